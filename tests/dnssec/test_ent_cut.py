"""A broken DS answer for an empty non-terminal above a secure delegation.

``sub.sub.example.test.`` is delegated from ``example.test.`` with a DS, so
``sub.example.test.`` is an empty non-terminal of ``example.test.``.  When
the DS answer for ``sub.example.test.`` is broken (a server that signs its
NSEC wrong), the validated DS of ``sub.sub.example.test.`` -- signed by
``example.test.`` itself -- proves that no cut lies between, and the chain
goes on from there.  A DS signed by any other zone proves nothing of the
kind: a broken DS answer for a real cut stays BOGUS.
"""

from __future__ import annotations

from dnssec_lite.dnssec.chain import Validator
from dnssec_lite.dnssec.status import Status
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.rrset import RRset
from tests.helpers.zonesigner import Hierarchy

QNAME = "www.sub.sub.example.test."


def _unsigned_authority(msg: Message) -> Message:
    return msg.replace(authority=tuple(RRset.without_sigs(r) for r in msg.authority))


def _unsigned(msg: Message) -> Message:
    return _unsigned_authority(msg).replace(answer=tuple(RRset.without_sigs(r) for r in msg.answer))


def _hierarchy(*, real_cut: bool) -> Hierarchy:
    h = Hierarchy(13)
    if real_cut:
        h.add_zone("sub.example.test.")
    h.add_zone("sub.sub.example.test.").add("www 300 IN A 192.0.2.7")
    return h.sign()


def test_empty_non_terminal_with_a_broken_ds_answer_is_skipped() -> None:
    h = _hierarchy(real_cut=False)
    assert h.network().resolve(Validator(h.anchors()), QNAME, "A").status is Status.SECURE
    net = h.network()
    net.override("sub.example.test.", "DS", _unsigned_authority)
    answer = net.resolve(Validator(h.anchors()), QNAME, "A")
    assert answer.status is Status.SECURE, answer.summary()


def test_a_real_cut_with_a_broken_ds_answer_stays_bogus() -> None:
    h = _hierarchy(real_cut=True)
    assert h.network().resolve(Validator(h.anchors()), QNAME, "A").status is Status.SECURE
    net = h.network()
    net.override("sub.example.test.", "DS", _unsigned)
    answer = net.resolve(Validator(h.anchors()), QNAME, "A")
    assert answer.status is Status.BOGUS, answer.summary()


def test_a_deeper_ds_that_does_not_validate_does_not_help() -> None:
    h = _hierarchy(real_cut=False)
    net = h.network()
    net.override("sub.example.test.", "DS", _unsigned_authority)
    net.override("sub.sub.example.test.", "DS", _unsigned)
    answer = net.resolve(Validator(h.anchors()), QNAME, "A")
    assert answer.status is Status.BOGUS, answer.summary()
