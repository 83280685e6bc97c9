"""Sync transport against small loopback servers: spoofing, TC -> TCP,
timeouts, parallel queries, TCP reuse; and the asyncio twin."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from dnssec_lite.errors import QueryTimeout, TransportError
from dnssec_lite.resolve import aio
from dnssec_lite.resolve.exchange import build_query
from dnssec_lite.resolve.transport import Transport, query, query_many
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.txt import TXT
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import RRClass, RRType

from .dnsserver import TestServer, dead_server, wait_until


def _answer(q: Message) -> Message:
    name = q.question[0].name
    # About 1.2 KB: over 512 (the TC tests cut it) but within the 1232 octets the
    # query advertises (a larger UDP reply is rejected unparsed).
    txt = RRset(name, RRType.TXT, RRClass.IN, 300, [TXT((b"x" * 100,)) for _ in range(10)])
    return q.make_response().replace(answer=[txt])


def _plain(q: Message, tcp: bool) -> bytes:
    return _answer(q).to_wire()


def test_udp_query() -> None:
    with TestServer(_plain) as srv:
        reply = query(srv.server, build_query("a.example", "TXT"), 2.0)
    assert reply.answer[0].rrtype == RRType.TXT
    assert len(srv.udp_queries) == 1 and not srv.tcp_queries


def test_fresh_source_port_per_query() -> None:
    with TestServer(_plain) as srv:
        with Transport() as t:
            for _ in range(3):
                t.query(srv.server, build_query("a.example", "TXT"), 2.0)
        query_many([(srv.server, build_query("b.example", "TXT")) for _ in range(3)], 2.0)
    ports = {port for _host, port in srv.udp_sources}
    assert len(srv.udp_sources) == 6 and len(ports) == 6


def test_spoofed_id_question_and_source_ignored_then_real_answer_accepted() -> None:
    q = build_query("a.example", "TXT")

    def handler(got: Message, tcp: bool) -> bytes | None:
        return None  # answered by hand below

    with TestServer(handler) as srv:

        def spoof_then_answer() -> None:
            assert wait_until(lambda: bool(srv.udp_sources))
            addr = srv.udp_sources[-1]
            wrong_id = _answer(q).replace(id=(q.id + 1) % 65536).to_wire()
            wrong_q = (
                _answer(q)
                .replace(question=[Question(Name.from_text("evil.example"), RRType.TXT)])
                .to_wire()
            )
            srv.udp.sendto(wrong_id, addr)
            srv.udp.sendto(wrong_q, addr)
            other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            other.sendto(_answer(q).to_wire(), addr)  # right data, wrong source port
            other.close()
            time.sleep(0.05)
            srv.udp.sendto(_answer(q).to_wire(), addr)

        thread = threading.Thread(target=spoof_then_answer)
        thread.start()
        reply = query(srv.server, q, 3.0)
        thread.join()
    assert reply.id == q.id
    assert reply.question[0].name == Name.from_text("a.example")


def test_spoofed_only_times_out_naming_server() -> None:
    def handler(q: Message, tcp: bool) -> bytes:
        return _answer(q).replace(id=(q.id + 1) % 65536).to_wire()

    with TestServer(handler) as srv:
        with pytest.raises(QueryTimeout) as info:
            query(srv.server, build_query("a.example", "TXT"), 0.3)
    assert str(srv.server) in str(info.value)
    assert "ID" in str(info.value)


def test_truncation_switches_to_tcp_and_reuses_connection() -> None:
    def handler(q: Message, tcp: bool) -> bytes:
        return _answer(q).to_wire(max_size=None if tcp else 512)

    with TestServer(handler) as srv:
        with Transport() as t:
            first = t.query(srv.server, build_query("a.example", "TXT"), 2.0)
            more = t.query_many(
                [(srv.server, build_query(f"{i}.example", "TXT")) for i in range(3)], 2.0
            )
        assert len(first.answer[0]) == 10
        assert all(isinstance(m, Message) for m in more)
        assert len(srv.udp_queries) == 1  # later queries go straight to TCP
        assert len(srv.tcp_queries) == 4
        assert srv.tcp_connections <= 3  # the first connection was reused


def test_dead_server_is_an_error_quickly() -> None:
    start = time.monotonic()
    [result] = query_many([(dead_server(), build_query("a.example", "A"))], 2.0)
    assert isinstance(result, TransportError)
    assert time.monotonic() - start < 1.5


def test_parallel_queries_take_one_round_trip() -> None:
    with TestServer(_plain, delay=0.2) as srv:
        items = [(srv.server, build_query(f"{i}.example", "TXT")) for i in range(5)]
        start = time.monotonic()
        results = query_many(items, 2.0)
        elapsed = time.monotonic() - start
    assert all(isinstance(r, Message) for r in results)
    for (_, q), r in zip(items, results, strict=True):
        assert isinstance(r, Message) and r.id == q.id
    assert elapsed < 0.6


def test_async_transport_udp_tcp_and_timeout() -> None:
    def handler(q: Message, tcp: bool) -> bytes | None:
        if q.question[0].name == Name.from_text("silent.example"):
            return None
        return _answer(q).to_wire(max_size=None if tcp else 512)

    async def run() -> list[Message | TransportError]:
        with TestServer(handler) as srv:
            return await aio.query_many(
                [
                    (srv.server, build_query("a.example", "TXT")),
                    (srv.server, build_query("silent.example", "TXT")),
                ],
                0.5,
            )

    ok, silent = asyncio.run(run())
    assert isinstance(ok, Message) and len(ok.answer[0]) == 10
    assert isinstance(silent, QueryTimeout)


def test_tcp_sent_counts_truncation_retries_and_direct_tcp() -> None:
    def handler(q: Message, tcp: bool) -> bytes:
        return _answer(q).to_wire(max_size=None if tcp else 512)

    with TestServer(handler) as srv:
        with Transport() as t:
            t.query(srv.server, build_query("a.example", "TXT"), 2.0)  # UDP, TC, then TCP
            assert (t.sent, t.tcp_sent) == (2, 1)
            t.query_many([(srv.server, build_query(f"{i}.example", "TXT")) for i in range(2)], 2.0)
            assert (t.sent, t.tcp_sent) == (4, 3)  # straight to TCP now


def test_async_tcp_sent_counts_truncation_retries() -> None:
    def handler(q: Message, tcp: bool) -> bytes:
        return _answer(q).to_wire(max_size=None if tcp else 512)

    async def run() -> tuple[int, int]:
        with TestServer(handler) as srv:
            async with aio.AsyncTransport() as t:
                await t.query(srv.server, build_query("a.example", "TXT"), 2.0)
                await t.query(srv.server, build_query("b.example", "TXT"), 2.0)
                return t.sent, t.tcp_sent

    assert asyncio.run(run()) == (3, 2)
