"""A hostile upstream answers over UDP with 60 KB of compression-pointer
chains although the query advertised 1232 octets: the datagram is rejected
unparsed (counted, logged, the wait goes on), the honest reply that follows
is used, and under asyncio an honest concurrent lookup is not delayed."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from benchmarks.bench_pointer_chains import pointer_chain
from dnssec_lite.dnssec.status import Status
from dnssec_lite.errors import QueryTimeout
from dnssec_lite.resolve import AsyncResolver, Resolver
from dnssec_lite.resolve.aio import AsyncTransport
from dnssec_lite.resolve.exchange import PAYLOAD, build_query
from dnssec_lite.resolve.transport import Transport, oversized
from dnssec_lite.wire.message import Message
from tests.helpers.zonesigner import NOW, Hierarchy

from .dnsserver import TestServer, hierarchy_handler

H = Hierarchy().sign()
HOSTILE_SIZE = 60_000


def hostile_reply(query: Message) -> bytes:
    """A reply with the query's ID and question, 60 KB of pointer chains."""
    q = query.question[0]
    question = q.name.to_wire() + q.rrtype.to_bytes(2, "big") + q.rrclass.to_bytes(2, "big")
    wire = pointer_chain(HOSTILE_SIZE, question=question, msg_id=query.id)
    assert len(wire) > HOSTILE_SIZE - 20
    return wire


class HostileFirst(TestServer):
    """Sends ``copies`` hostile datagrams before each honest UDP reply (or
    instead of it, with ``honest=False``)."""

    __test__ = False

    def __init__(self, *, copies: int = 1, honest: bool = True) -> None:
        super().__init__(hierarchy_handler(H))
        self.copies = copies
        self.honest = honest

    def _send_udp(self, reply: bytes, addr: tuple[str, int]) -> None:
        hostile = hostile_reply(Message.from_wire(reply))
        for _ in range(self.copies):
            super()._send_udp(hostile, addr)
        if self.honest:
            super()._send_udp(reply, addr)


def test_oversized_is_decided_by_the_advertised_payload() -> None:
    query = build_query("www.example.test.", "A")
    assert query.edns is not None and query.edns.payload == PAYLOAD
    assert oversized(query, b"\x00" * PAYLOAD) is None
    why = oversized(query, b"\x00" * (PAYLOAD + 1))
    assert why is not None and "1233-octet datagram exceeds the 1232-octet payload" in why
    plain = Message.make_query("www.example.test.", "A", do=False, use_edns=False)
    assert oversized(plain, b"\x00" * 512) is None
    assert oversized(plain, b"\x00" * 513) is not None
    small = Message.make_query("www.example.test.", "A", payload=100)
    assert oversized(small, b"\x00" * 512) is None  # below 512 counts as 512


def test_sync_transport_rejects_the_datagram_unparsed(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="dnssec_lite.resolve")
    with HostileFirst(honest=False) as srv, Transport() as transport:
        start = time.monotonic()
        with pytest.raises(QueryTimeout, match=r"last ignored: malformed response: 599\d\d-octet"):
            transport.query(srv.server, build_query("example.test.", "SOA"), timeout=0.5)
        assert time.monotonic() - start < 1.5
        assert transport.malformed == 1
    assert any("exceeds the 1232-octet payload" in r.getMessage() for r in caplog.records)


def test_sync_resolver_uses_the_honest_reply_after_hostile_ones() -> None:
    with HostileFirst(copies=3) as srv:
        r = Resolver(
            [str(srv.server)], anchors=H.anchors(), clock=lambda: NOW, timeout=1, attempts=1
        )
        start = time.monotonic()
        answer = r.resolve("example.test.", "SOA")
        elapsed = time.monotonic() - start
    assert answer.status is Status.SECURE, answer.reason
    assert elapsed < 1.0  # each hostile datagram parsed took about 5 s before


def test_async_transport_counts_the_datagram() -> None:
    async def run() -> int:
        with HostileFirst(copies=2) as srv:
            async with AsyncTransport() as transport:
                reply = await transport.query(srv.server, build_query("example.test.", "SOA"), 1.0)
                assert reply.answer
                return transport.malformed

    assert asyncio.run(run()) == 2


def test_async_honest_lookup_is_not_delayed_by_a_hostile_upstream() -> None:
    """The hostile upstream floods each query with 20 datagrams of 60 KB;
    the honest lookup on the same event loop takes as long as it does alone."""

    async def honest(srv: TestServer) -> float:
        r = AsyncResolver([str(srv.server)], anchors=H.anchors(), clock=lambda: NOW)
        start = time.monotonic()
        answer = await r.resolve("example.test.", "SOA")
        assert answer.status is Status.SECURE, answer.reason
        return time.monotonic() - start

    async def hostile(srv: TestServer) -> Status:
        r = AsyncResolver(
            [str(srv.server)], anchors=H.anchors(), clock=lambda: NOW, timeout=0.5, attempts=1
        )
        return (await r.resolve("example.test.", "SOA")).status

    async def run() -> tuple[float, float, Status]:
        with (
            TestServer(hierarchy_handler(H), delay=0.02) as good,
            HostileFirst(copies=20, honest=False) as bad,
        ):
            alone = min([await honest(good) for _ in range(3)])
            bad_status, together = await asyncio.gather(hostile(bad), honest(good))
            return alone, together, bad_status

    alone, together, bad_status = asyncio.run(run())
    assert bad_status is not Status.SECURE
    assert together < alone + 0.25, (alone, together)  # was 78 s in the report


def test_hostile_only_upstream_is_left_for_the_next_one() -> None:
    with HostileFirst(honest=False) as bad, TestServer(hierarchy_handler(H)) as good:
        r = Resolver(
            [str(bad.server), str(good.server)],
            anchors=H.anchors(),
            clock=lambda: NOW,
            timeout=0.3,
            attempts=1,
        )
        start = time.monotonic()
        answer = r.resolve("example.test.", "SOA")
        elapsed = time.monotonic() - start
    assert answer.status is Status.SECURE, answer.reason
    assert str(answer.resolution.server) == str(good.server)
    assert bad.udp_queries  # it was asked, and its 60 KB reply dropped
    assert elapsed < 2.0
