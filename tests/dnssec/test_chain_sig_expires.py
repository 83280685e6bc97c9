"""ChainLink.sig_expires: the earliest expiration of a zone's DS and DNSKEY signatures.

Monitoring (the DANE expiry horizon) reads it to name the first signature on
a chain that will lapse; it must follow re-signing of either RRset.
"""

from __future__ import annotations

from dnssec_lite.dnssec.status import ChainLink, Status
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.types import RRType
from tests.helpers.fakenet import validate_in
from tests.helpers.zonesigner import DAY, EXPIRATION, NOW, Hierarchy

N = Name.from_text


def signed() -> Hierarchy:
    h = Hierarchy(13)
    assert h.domain is not None
    h.domain.add("www 300 IN A 192.0.2.1")
    return h.sign()


def test_every_secure_link_carries_its_earliest_signature_expiry() -> None:
    answer = validate_in(signed(), "www.example.test.", "A")
    assert answer.status is Status.SECURE
    assert [link.sig_expires for link in answer.chain] == [EXPIRATION] * len(answer.chain)


def test_an_earlier_dnskey_signature_shows() -> None:
    h = signed()
    assert h.domain is not None
    h.domain.resign("@", RRType.DNSKEY, expiration=NOW + 5 * DAY)
    answer = validate_in(h, "www.example.test.", "A")
    expiries = {link.zone: link.sig_expires for link in answer.chain}
    assert expiries[N("example.test.")] == NOW + 5 * DAY
    assert expiries[N(".")] == EXPIRATION


def test_an_earlier_ds_signature_in_the_parent_shows_on_the_child() -> None:
    h = signed()
    parent = h.zones[N("test.")]
    parent.resign("example", RRType.DS, expiration=NOW + 3 * DAY)
    answer = validate_in(h, "www.example.test.", "A")
    expiries = {link.zone: link.sig_expires for link in answer.chain}
    assert expiries[N("example.test.")] == NOW + 3 * DAY
    assert expiries[N("test.")] == EXPIRATION


def test_links_compare_equal_whatever_the_expiry() -> None:
    first = validate_in(signed(), "www.example.test.", "A").chain
    assert all(link.sig_expires is not None for link in first)
    link = first[0]
    assert ChainLink(link.zone, link.status, link.ds, link.dnskeys, link.proof) == link
