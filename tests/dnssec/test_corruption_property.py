"""Property: a single-byte corruption of signed data never validates SECURE.

The property is stated over the bytes DNSSEC protects: the owner name, type,
class, rdlength and rdata of every answer-section record of a signed
response (the RRset and its RRSIG).  A corruption there must make the
message unparsable or the answer non-SECURE.  Excluded, because they do not
change what was signed: TTL fields, the header and question (the validator
is given the question separately), and case-only changes of letters inside
names (canonical form lower-cases names, RFC 4034 6.2).
"""

from __future__ import annotations

import struct
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dnssec_lite.dnssec.chain import FetchFailed, Validator
from dnssec_lite.dnssec.status import Status
from dnssec_lite.errors import WireFormatError
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.types import RRType
from tests.helpers.fakenet import FakeNetwork
from tests.helpers.zonesigner import Hierarchy

QNAME = "www.example.test."


@cache
def world() -> tuple[Hierarchy, FakeNetwork]:
    h = Hierarchy(13)
    assert h.domain is not None
    h.domain.add("www 300 IN A 192.0.2.1", "www 300 IN A 192.0.2.2")
    h.sign()
    return h, h.network(roundtrip=False)


def _name_end(wire: bytes, pos: int) -> int:
    while wire[pos]:
        pos += 1 + wire[pos]
    return pos + 1


def protected(wire: bytes) -> tuple[list[int], set[int]]:
    """(offsets of protected bytes, offsets that are inside names)."""
    qd, an = struct.unpack_from("!HH", wire, 4)
    pos = 12
    for _ in range(qd):
        pos = _name_end(wire, pos) + 4
    out: list[int] = []
    names: set[int] = set()
    for _ in range(an):
        start = pos
        pos = _name_end(wire, pos)
        names.update(range(start, pos))
        rrtype, _cls, _ttl, rdlen = struct.unpack_from("!HHIH", wire, pos)
        out.extend(range(start, pos + 4))  # owner, type, class
        out.extend(range(pos + 8, pos + 10 + rdlen))  # rdlength, rdata
        rdata = pos + 10
        if rrtype == RRType.RRSIG:
            names.update(range(rdata + 18, _name_end(wire, rdata + 18)))
        pos = rdata + rdlen
    return out, names


def corrupt(wire: bytes, offset: int, xor: int) -> bytes:
    data = bytearray(wire)
    data[offset] ^= xor
    return bytes(data)


def case_only(old: int, new: int) -> bool:
    return chr(old).isalpha() and chr(new).isalpha() and old ^ new == 0x20


def check(qname: str, qtype: str, fetch: tuple[str, str] | None, data: st.DataObject) -> None:
    h, net = world()
    target = fetch or (qname, qtype)
    honest = net.honest(*target)
    wire = honest.to_wire(compress=False)
    offsets, names = protected(wire)
    assert offsets
    offset = data.draw(st.sampled_from(offsets), label="offset")
    xor = data.draw(st.integers(1, 255), label="xor")
    if offset in names and case_only(wire[offset], wire[offset] ^ xor):
        return
    bad = corrupt(wire, offset, xor)
    try:
        parsed: Message | FetchFailed = Message.from_wire(bad)
    except WireFormatError:
        if fetch is None:
            return
        parsed = FetchFailed("malformed response")
    net.overrides.clear()
    if fetch is None:
        answer = net.resolve(Validator(h.anchors()), qname, qtype, response=parsed)
    else:
        net.override(fetch[0], fetch[1], parsed)
        answer = net.resolve(Validator(h.anchors()), qname, qtype)
        net.overrides.clear()
    assert answer.status is not Status.SECURE, (offset, xor, answer.summary())


def test_uncorrupted_is_secure() -> None:
    h, net = world()
    assert net.resolve(Validator(h.anchors()), QNAME, "A").status is Status.SECURE
    wire = net.honest(QNAME, "A").to_wire(compress=False)
    answer = net.resolve(Validator(h.anchors()), QNAME, "A", response=Message.from_wire(wire))
    assert answer.status is Status.SECURE


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_corrupted_answer_never_secure(data: st.DataObject) -> None:
    check(QNAME, "A", None, data)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_corrupted_dnskey_response_never_secure(data: st.DataObject) -> None:
    check(QNAME, "A", ("example.test.", "DNSKEY"), data)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_corrupted_ds_response_never_secure(data: st.DataObject) -> None:
    check(QNAME, "A", ("example.test.", "DS"), data)
