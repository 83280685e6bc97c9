"""The resolver's use of the aggressive cache (RFC 8198) against a loopback
server: a denial proven by cached NSEC records costs no query, is validated
SECURE, expires with the SOA negative TTL and can be turned off."""

from __future__ import annotations

from dnssec_lite.dnssec.status import Answer, Status
from dnssec_lite.resolve import Resolution, Resolver
from dnssec_lite.wire.types import Rcode
from tests.helpers.zonesigner import NOW, Hierarchy

from .dnsserver import serving


def _res(answer: Answer) -> Resolution:
    """The answer's typed record of how it was obtained."""
    assert isinstance(answer.resolution, Resolution)
    return answer.resolution


def _hierarchy() -> Hierarchy:
    h = Hierarchy()
    h["example.test."].add("a 3600 IN A 192.0.2.1", "m 3600 IN A 192.0.2.2")
    return h.sign()


H = _hierarchy()


def test_denial_from_cached_nsec_needs_no_query_until_it_expires() -> None:
    clock = [NOW]
    with serving(H) as srv:
        r = Resolver([str(srv.server)], anchors=H.anchors(), clock=lambda: clock[0])
        first = r.resolve("b.example.test.", "A")
        assert first.status is Status.SECURE and first.rcode == Rcode.NXDOMAIN
        assert _res(first).cache is None
        before = srv.queries
        # c. lies in the same NSEC span (a -> m) as b.: answered from the cache.
        second = r.resolve("c.example.test.", "TXT")
        assert srv.queries == before
        assert second.status is Status.SECURE and second.rcode == Rcode.NXDOMAIN
        assert _res(second).cache == "aggressive" and second.queries == 0
        assert second.chain and second.reason is None
        # The SOA minimum (300 s) bounds the NSEC records' lifetime.
        clock[0] = NOW + 301
        third = r.resolve("d.example.test.", "A")
        assert srv.queries > before and _res(third).cache is None
        assert third.status is Status.SECURE and third.rcode == Rcode.NXDOMAIN


def test_aggressive_nsec_can_be_turned_off() -> None:
    with serving(H) as srv:
        r = Resolver(
            [str(srv.server)], anchors=H.anchors(), clock=lambda: NOW, aggressive_nsec=False
        )
        assert r.aggressive is None
        r.resolve("b.example.test.", "A")
        before = srv.queries
        answer = r.resolve("c.example.test.", "A")
        assert srv.queries == before + 1
        assert answer.status is Status.SECURE and _res(answer).cache is None
