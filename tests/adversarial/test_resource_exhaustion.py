"""Resource exhaustion by a hostile upstream: compression-pointer chains
(parse time must be linear in the message size) and colliding keys with
many signatures (KeyTrap) served over the wire.  The validator-level KeyTrap
and NSEC3 bounds are in ``tests/dnssec/test_limits.py``."""

from __future__ import annotations

import random
import struct
import time

import pytest

from dnssec_lite.dnssec.status import Status
from dnssec_lite.errors import WireFormatError
from dnssec_lite.resolve.resolver import Resolver
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.dnssec import RRSIG
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import RRClass, RRType
from dnssec_lite.wire.zonefile import parse_rrsets
from tests.adversarial.world import unsigned_answer, world
from tests.helpers.hostile import HostileServer, for_question, forged_dnskey, pointer_chain
from tests.helpers.zonesigner import EXPIRATION, INCEPTION, NOW
from tests.resolve.dnsserver import TestServer

QUERY = Message.make_query("www.example.test.", "A", id=4242)


def parse_time(wire: bytes, rounds: int = 3) -> float:
    """Best of ``rounds`` parses (a WireFormatError is a valid, fast outcome);
    one round only if it was slow."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        try:
            Message.from_wire(wire)
        except WireFormatError:
            pass
        best = min(best, time.perf_counter() - start)
        if best > 0.5:
            break
    return best


#: (pointers per name at most, CNAMEs pointing at ever other pointers): the
#: issue's layout (one chain of ~8,170 pointers) and chains restarting every
#: 100 pointers, which a per-name hop bound does not refuse.
LAYOUTS = [(None, False), (None, True), (100, False), (100, True)]


@pytest.mark.parametrize(("hops", "spread"), LAYOUTS)
def test_pointer_chain_parse_time_is_linear(hops: int | None, spread: bool) -> None:
    """16 KB and 64 KB of pointer chains: 4x the octets may cost at most
    8x the time (quadratic decoding costs 12-16x), and 64 KB parses (or is
    refused) in well under the resolver's default timeout."""
    small = parse_time(pointer_chain(QUERY, 16000, spread=spread, hops=hops))
    large = parse_time(pointer_chain(QUERY, 65000, spread=spread, hops=hops))
    assert large < 0.5, f"64 KB took {large:.3f} s"
    assert large < 8 * max(small, 0.02), f"16 KB {small:.4f} s, 64 KB {large:.4f} s"


@pytest.mark.parametrize(("hops", "spread"), LAYOUTS)
@pytest.mark.parametrize("size", [512, 1232, 4096, 16384, 65000])
def test_pointer_chain_is_parsed_or_refused_cleanly(
    size: int, hops: int | None, spread: bool
) -> None:
    wire = pointer_chain(QUERY, size, spread=spread, hops=hops)
    try:
        msg = Message.from_wire(wire)
    except WireFormatError:
        return
    assert msg.answer and msg.answer[0].name == Name.from_text("www.example.test.")
    count = struct.unpack_from("!H", wire, 6)[0]
    assert sum(len(r.rdatas) for r in msg.answer) == count


def test_colliding_keys_and_signatures_over_the_wire() -> None:
    """KeyTrap from a hostile upstream: example.test.'s DNSKEY answer holds
    40 keys all with the KSK's tag and 40 signatures naming that tag.  The
    lookup ends fast, BOGUS (never SECURE, never INSECURE)."""
    w = world()
    zone = w.h.zones[Name.from_text("example.test.")]
    tag = zone.ds_rdatas()[0].key_tag
    rng = random.Random(3)
    keys = [forged_dnskey(tag, 13, rng) for _ in range(40)]
    apex = zone.apex
    sigs = [
        RRSIG(RRType.DNSKEY, 13, 2, 3600, EXPIRATION, INCEPTION, tag, apex, rng.randbytes(64))
        for _ in range(40)
    ]
    flood = RRset(apex, RRType.DNSKEY, RRClass.IN, 3600, keys, sigs)
    rewrite = for_question({("example.test.", "DNSKEY"): lambda m: m.replace(answer=(flood,))})
    with HostileServer(w.net, rewrite) as srv:
        resolver = Resolver([srv.server], anchors=w.h.anchors(), clock=lambda: NOW)
        start = time.monotonic()
        answer = resolver.resolve("www.example.test.", "A")
        elapsed = time.monotonic() - start
    assert answer.status is Status.BOGUS, answer.summary()
    assert elapsed < 1.0, f"{elapsed:.2f} s"


def test_udp_datagram_larger_than_advertised_is_not_used() -> None:
    """The query advertises 1,232 octets; a 3,000-octet UDP reply carrying a
    forged (unsigned) answer must be dropped unparsed, not validated: the
    result is never that forged answer (BOGUS), whatever the resolver then
    does (time out, or ask again over TCP, where the answer is genuine)."""
    w = world()

    def handler(query: Message, tcp: bool) -> bytes | None:
        q = query.question[0]
        genuine = w.net.honest(q.name, q.rrtype).replace(id=query.id, question=query.question)
        if tcp or q.rrtype != RRType.A:
            return genuine.to_wire()
        forged = unsigned_answer(genuine)
        pad = parse_rrsets(
            "".join(f"pad{i}.example.test. 300 IN TXT {'x' * 200}\n" for i in range(14)), "."
        )
        wire = forged.replace(additional=tuple(pad)).to_wire()
        assert 1232 < len(wire) < 4096
        return wire

    with TestServer(handler) as srv:
        resolver = Resolver(
            [srv.server], anchors=w.h.anchors(), clock=lambda: NOW, timeout=0.5, attempts=1
        )
        answer = resolver.resolve("www.example.test.", "A")
    assert answer.status is not Status.BOGUS, answer.summary()
    assert not any("6.6.6.6" in r.to_text() for r in answer.rrsets), answer.summary()
