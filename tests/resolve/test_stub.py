"""The stub-mode resolver end to end against loopback servers answering
from a signed test hierarchy: validation, failover, stripping detection,
caching, parallel fetches, and the asyncio resolver."""

from __future__ import annotations

import asyncio
import time

from dnssec_lite.dnssec.status import Answer, Status
from dnssec_lite.resolve import AsyncResolver, Resolver
from dnssec_lite.resolve.resolution import Resolution
from dnssec_lite.wire.types import EDE, Rcode
from tests.helpers.zonesigner import NOW, Hierarchy

from .dnsserver import Faults, TestServer, dead_server, hierarchy_handler, serving


def _hierarchy() -> Hierarchy:
    h = Hierarchy()
    h["example.test."].add("mx 3600 IN MX 10 mail.example.test.", "mail 3600 IN A 192.0.2.25")
    return h.sign()


H = _hierarchy()


def _res(answer: Answer) -> Resolution:
    """The answer's typed record of how it was obtained."""
    assert isinstance(answer.resolution, Resolution)
    return answer.resolution


def _resolver(*servers: str, **kw: object) -> Resolver:
    return Resolver(list(servers), anchors=H.anchors(), clock=lambda: NOW, **kw)  # type: ignore[arg-type]


def test_secure_answer_and_chain() -> None:
    with serving(H) as srv:
        answer = _resolver(str(srv.server)).resolve("mx.example.test.", "MX")
    assert answer.status is Status.SECURE, answer.reason
    assert [link.zone.to_text() for link in answer.chain] == [".", "test.", "example.test."]
    assert answer.queries == srv.queries == 6
    assert str(_res(answer).server) == str(srv.server)


def test_warm_lookup_in_same_zone_is_one_query() -> None:
    with serving(H) as srv:
        r = _resolver(str(srv.server))
        r.resolve("mx.example.test.", "MX")
        before = srv.queries
        answer = r.resolve("mail.example.test.", "A")
        assert answer.status is Status.SECURE
        assert srv.queries - before == 1 and answer.queries == 1
        cached = r.resolve("mail.example.test.", "A")
        assert srv.queries - before == 1 and cached.queries == 0
        assert cached.status is Status.SECURE


def test_negative_answer_validated_and_cached() -> None:
    with serving(H) as srv:
        r = _resolver(str(srv.server))
        answer = r.resolve("nope.example.test.", "A")
        assert answer.rcode == Rcode.NXDOMAIN and answer.status is Status.SECURE
        before = srv.queries
        r.resolve("NOPE.example.test.", "A")
        assert srv.queries == before


def test_failover_from_dead_first_upstream() -> None:
    dead = dead_server()
    with serving(H) as srv:
        start = time.monotonic()
        answer = _resolver(str(dead), str(srv.server), timeout=0.5).resolve(
            "mx.example.test.", "MX"
        )
        assert time.monotonic() - start < 2.0
    assert answer.status is Status.SECURE
    assert str(_res(answer).server) == str(srv.server)


def test_failover_on_servfail_and_refused() -> None:
    for rcode in (Rcode.SERVFAIL, Rcode.REFUSED, Rcode.FORMERR):
        with serving(H, Faults(rcode=rcode)) as bad, serving(H) as good:
            answer = _resolver(str(bad.server), str(good.server)).resolve("mx.example.test.", "MX")
        assert answer.status is Status.SECURE, rcode


def test_rrsig_stripping_upstream_skipped_for_a_good_one() -> None:
    with serving(H, Faults(strip_sigs=True)) as strip, serving(H) as good:
        answer = _resolver(str(strip.server), str(good.server)).resolve("mx.example.test.", "MX")
    assert answer.status is Status.SECURE, answer.reason
    assert _res(answer).server == good.server
    assert strip.server in _res(answer).stripping


def test_no_opt_upstream_skipped_for_a_good_one() -> None:
    with serving(H, Faults(no_opt=True)) as strip, serving(H) as good:
        answer = _resolver(str(strip.server), str(good.server)).resolve("mx.example.test.", "MX")
    assert answer.status is Status.SECURE
    assert strip.server in _res(answer).stripping


def test_every_upstream_strips_is_said_plainly() -> None:
    with serving(H, Faults(strip_sigs=True)) as a, serving(H, Faults(no_opt=True)) as b:
        answer = _resolver(str(a.server), str(b.server)).resolve("mx.example.test.", "MX")
    assert answer.status is Status.INDETERMINATE
    assert answer.reason is not None
    assert answer.reason.text.startswith(f"every upstream ({a.server}, {b.server}) strips DNSSEC")
    assert answer.reason.ede == EDE.RRSIGS_MISSING


def test_genuinely_bogus_zone_is_bogus_not_stripping() -> None:
    h = _hierarchy()
    h["example.test."].strip_sigs("mx.example.test.", 15)
    with serving(h) as srv:
        answer = _resolver(str(srv.server)).resolve("mx.example.test.", "MX")
    assert answer.status is Status.BOGUS
    assert answer.reason is not None and answer.reason.ede == EDE.RRSIGS_MISSING
    assert not _res(answer).stripping


def test_truncated_answers_use_tcp() -> None:
    with serving(H, Faults(udp_limit=200)) as srv:
        answer = _resolver(str(srv.server)).resolve("mx.example.test.", "MX")
    assert answer.status is Status.SECURE
    assert srv.tcp_queries
    # Every message on the wire counts, the TCP retry of a truncated answer included.
    assert answer.queries == srv.queries == len(srv.udp_queries) + len(srv.tcp_queries)
    assert _res(answer).tcp == len(srv.tcp_queries)


def test_trace_names_every_query_and_the_failover() -> None:
    dead = dead_server()
    with serving(H) as srv:
        # Without the chain prefetch, whose queries would fail over too.
        answer = _resolver(str(dead), str(srv.server), timeout=0.5, prefetch_chain=0).resolve(
            "mx.example.test.", "MX"
        )
    assert answer.status is Status.SECURE
    trace = _res(answer).trace()
    assert len(trace) == answer.queries == 7
    assert trace[0].startswith(f"mx.example.test. MX @{dead}: ")
    assert trace[1] == (
        f"mx.example.test. MX @{srv.server}: NOERROR, 1 records, 1 RRSIGs, 0 authority"
    )
    assert _res(answer).failed == (dead,)
    assert _res(answer).tcp == 0


def test_chain_fetches_go_out_in_parallel() -> None:
    with serving(H, delay=0.05) as srv:
        start = time.monotonic()
        answer = _resolver(str(srv.server)).resolve("mx.example.test.", "MX")
        elapsed = time.monotonic() - start
    assert answer.status is Status.SECURE
    assert elapsed < 3 * 0.05 + 0.1  # at most three round trips for six queries


def test_async_resolver_same_answer() -> None:
    async def run() -> tuple[Status, int, int]:
        with TestServer(hierarchy_handler(H), delay=0.02) as srv:
            r = AsyncResolver([str(srv.server)], anchors=H.anchors(), clock=lambda: NOW)
            cold = await r.resolve("mx.example.test.", "MX")
            warm = await r.resolve("mail.example.test.", "A")
            return cold.status, cold.queries, warm.queries

    status, cold, warm = asyncio.run(run())
    assert status is Status.SECURE and cold == 6 and warm == 1
