"""The attacks end to end, over UDP and TCP on loopback: a hostile upstream
in front of the stub resolver (sync and asyncio), and a hostile
authoritative server for a child zone in front of the iterative mode."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Iterator

import pytest

from dnssec_lite.dnssec.status import Status
from dnssec_lite.resolve.resolver import AsyncResolver, Resolver
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import Rcode, RRClass, RRType
from tests.adversarial.world import (
    check,
    forged_set,
    rsa_world,
    sample,
    unsigned_answer,
    view,
    world,
)
from tests.helpers.hostile import (
    AuthServer,
    HostileServer,
    Rewrite,
    for_question,
    honest_rewrite,
    pointer_chain,
    readdress,
)
from tests.helpers.zonesigner import NOW, Hierarchy

N = Name.from_text


def stub(server: HostileServer, h: Hierarchy, *, clock: float = NOW, **kw: object) -> Resolver:
    return Resolver([server.server], anchors=h.anchors(), clock=lambda: clock, **kw)  # type: ignore[arg-type]


def forged_root(h: Hierarchy) -> Rewrite:
    tag = h.zones[N(".")].ds_rdatas()[0].key_tag
    forged = forged_set(".", tag, 8, bits=512)
    return for_question(
        {
            (".", "DNSKEY"): lambda m: m.replace(answer=(forged,)),
            ("www.example.test.", "A"): unsigned_answer,
            ("www.other.test.", "A"): unsigned_answer,
        }
    )


# -- stub mode -----------------------------------------------------------------------------


def test_honest_upstream_validates() -> None:
    w = world()
    with HostileServer(w.net) as srv:
        for g in w.genuine[:6]:
            answer = stub(srv, w.h).resolve(g.question.name, g.question.rrtype)
            assert answer.status is Status.SECURE, answer.summary()
            assert view(answer) == view(g.answer)


def test_forged_root_key_through_the_stub_resolver_and_recovery() -> None:
    """The issue recipe over the wire; then the upstream goes honest and a
    lookup a day later in another zone validates (nothing stuck)."""
    h = rsa_world()
    with HostileServer(h.network(), forged_root(h)) as srv:
        resolver = stub(srv, h)
        answer = resolver.resolve("www.example.test.", "A")
        # BOGUS, or INDETERMINATE where the stub takes the unsigned key set
        # for an upstream that strips DNSSEC: never INSECURE, never SECURE.
        assert answer.status in (Status.BOGUS, Status.INDETERMINATE), answer.summary()
        srv.rewrite = honest_rewrite
        resolver.clock = lambda: NOW + 86401
        answer = resolver.resolve("www.other.test.", "A")
        assert answer.status is Status.SECURE, answer.summary()


def test_rcode_flip_on_tlsa_through_the_stub_resolver() -> None:
    w = world()
    rewrite = for_question(
        {("_25._tcp.mx.example.test.", "TLSA"): lambda m: m.replace(rcode=Rcode.NXDOMAIN)}
    )
    with HostileServer(w.net, rewrite) as srv:
        answer = stub(srv, w.h).resolve("_25._tcp.mx.example.test.", "TLSA")
    assert not (answer.status is Status.SECURE and answer.rcode == Rcode.NXDOMAIN), answer.summary()


def test_wildcard_above_the_closest_encloser_through_the_stub_resolver() -> None:
    w = world()
    zone = w.h.zones[N("wc.test.")]
    wild = zone.get("*.wc.test.", RRType.A)
    forged = RRset(N("x.mail.wc.test."), RRType.A, RRClass.IN, wild.ttl, wild.rdatas, wild.sigs)
    cover = zone.nsec_covering(N("x.mail.wc.test."))
    assert cover is not None
    rewrite = for_question(
        {
            ("x.mail.wc.test.", "A"): lambda m: m.replace(
                rcode=0, answer=(forged,), authority=(cover,)
            )
        }
    )
    with HostileServer(w.net, rewrite) as srv:
        answer = stub(srv, w.h).resolve("x.mail.wc.test.", "A")
    assert not (answer.status is Status.SECURE and answer.records()), answer.summary()


def test_seeded_mutations_through_the_stub_resolver() -> None:
    """A sample of the offline mutations, served over UDP/TCP: properties (a),
    (b) and (c) hold for the resolver's result and both its caches."""
    w = world()
    current: dict[str, Rewrite] = {"rw": honest_rewrite}

    def rewrite(query: Message, response: Message) -> Message | bytes | None:
        return current["rw"](query, response)

    failures: list[str] = []
    with HostileServer(w.net, rewrite) as srv:
        for genuine, target, mutation in sample(120, seed=7):
            key = (target[0].to_text(), RRType.to_text(target[1]))
            current["rw"] = for_question({key: mutation.apply})
            resolver = stub(srv, w.h, timeout=0.3, attempts=1)
            answer = resolver.resolve(genuine.question.name, genuine.question.rrtype)
            answer.extra["key_cache"] = resolver.key_cache
            for problem in check(genuine, answer):
                failures.append(f"{genuine.label} {mutation.cls} [{mutation.detail}]: {problem}")
            for _key, entry in resolver.cache._entries.items():
                if entry.answer.status is not Status.SECURE:
                    assert entry.expires - NOW <= 60, (genuine.label, entry.answer.summary())
    assert not failures, "\n".join(failures[:20])


def test_pointer_chain_reply_does_not_stall_the_stub_resolver() -> None:
    """A 64 KB UDP datagram of compression-pointer chains (the query
    advertised 1,232 octets): the lookup ends within its time budget."""
    w = world()
    with HostileServer(w.net, lambda q, r: pointer_chain(q)) as srv:
        start = time.monotonic()
        stub(srv, w.h, timeout=0.5, attempts=1).resolve("www.example.test.", "A")
        elapsed = time.monotonic() - start
    assert elapsed < 1.5, f"resolve(timeout=0.5, attempts=1) took {elapsed:.2f} s"


# -- asyncio ------------------------------------------------------------------------------


def test_async_forged_root_key_is_bogus() -> None:
    h = rsa_world()
    with HostileServer(h.network(), forged_root(h)) as srv:
        resolver = AsyncResolver([srv.server], anchors=h.anchors(), clock=lambda: NOW)
        answer = asyncio.run(resolver.resolve("www.example.test.", "A"))
    assert answer.status in (Status.BOGUS, Status.INDETERMINATE), answer.summary()


def test_async_honest_lookup_is_not_delayed_by_a_hostile_reply() -> None:
    """One lookup gets a pointer-chain datagram, a concurrent one goes to an
    honest upstream: the honest one must not wait for the hostile parse."""
    w = world()
    with (
        HostileServer(w.net, lambda q, r: pointer_chain(q)) as bad,
        HostileServer(w.net) as good,
    ):
        hostile = AsyncResolver(
            [bad.server], anchors=w.h.anchors(), clock=lambda: NOW, timeout=1.0, attempts=1
        )
        honest = AsyncResolver([good.server], anchors=w.h.anchors(), clock=lambda: NOW)

        async def timed_honest(start: float) -> tuple[float, Status]:
            await asyncio.sleep(0.05)  # let the hostile reply arrive first
            answer = await honest.resolve("www.example.test.", "A")
            return time.monotonic() - start, answer.status

        async def both() -> tuple[float, Status]:
            start = time.monotonic()
            _, result = await asyncio.gather(
                hostile.resolve("www.n3.test.", "A"), timed_honest(start)
            )
            return result

        elapsed, status = asyncio.run(both())
    assert status is Status.SECURE
    # Started 0.05 s after the hostile lookup; honest loopback lookups take ms.
    assert elapsed < 0.85, f"the honest lookup ended {elapsed:.2f} s after the start"


# -- iterative mode ------------------------------------------------------------------------


@contextlib.contextmanager
def iterative_lab(rewrite: Rewrite) -> Iterator[tuple[Hierarchy, list[AuthServer]]]:
    """root, test. and example.test. on 127.71.R.1-3 port 53 (R random, so
    runs do not collide); example.test.'s server answers through ``rewrite``."""
    for _attempt in range(20):
        base = f"127.71.{random.randrange(1, 255)}"
        h = Hierarchy(8)
        assert h.domain is not None
        h.domain.add("www 300 IN A 192.0.2.1", "_25._tcp.www 300 IN TLSA 3 1 1 " + "ab" * 32)
        readdress(
            h, {"ns1.": f"{base}.1", "ns1.test.": f"{base}.2", "ns1.example.test.": f"{base}.3"}
        )
        h.sign()
        zones = [h.zones[N(z)] for z in (".", "test.", "example.test.")]
        try:
            servers = [
                AuthServer(
                    h, zone, f"{base}.{i + 1}", rewrite=rewrite if i == 2 else honest_rewrite
                )
                for i, zone in enumerate(zones)
            ]
        except OSError:
            continue
        with contextlib.ExitStack() as stack:
            for s in servers:
                stack.enter_context(s)
            yield h, servers
        return
    pytest.fail("no free 127.71.x.0/24 triple for the iterative lab")


def iterative(h: Hierarchy, servers: list[AuthServer]) -> Resolver:
    return Resolver(
        mode="iterative",
        root_hints=[servers[0].server],
        anchors=h.anchors(),
        clock=lambda: NOW,
        timeout=0.5,
        attempts=1,
    )


def test_iterative_honest_child_validates() -> None:
    with iterative_lab(honest_rewrite) as (h, servers):
        answer = iterative(h, servers).resolve("www.example.test.", "A")
    assert answer.status is Status.SECURE, answer.summary()


def test_iterative_hostile_child_forged_key_is_bogus() -> None:
    """The child's authoritative server answers its DNSKEY query with an
    unsigned RSA-512 key carrying the DS's tag, and the question unsigned."""

    def rewrite(query: Message, response: Message) -> Message | bytes | None:
        q = query.question[0]
        if q.rrtype == RRType.DNSKEY:
            tag = next(iter(h_ds))
            return response.replace(answer=(forged_set("example.test.", tag, 8, bits=512),))
        if q.rrtype == RRType.A and q.name == N("www.example.test."):
            return unsigned_answer(response)
        return response

    h_ds: list[int] = []
    with iterative_lab(rewrite) as (h, servers):
        h_ds.extend(d.key_tag for d in h.zones[N("example.test.")].ds_rdatas())
        answer = iterative(h, servers).resolve("www.example.test.", "A")
    assert answer.status is Status.BOGUS, answer.summary()


def test_iterative_hostile_child_rcode_flip_is_not_secure_nxdomain() -> None:
    def rewrite(query: Message, response: Message) -> Message | bytes | None:
        if query.question[0].rrtype == RRType.TLSA:
            return response.replace(rcode=Rcode.NXDOMAIN)
        return response

    with iterative_lab(rewrite) as (h, servers):
        answer = iterative(h, servers).resolve("_25._tcp.www.example.test.", "TLSA")
    assert not (answer.status is Status.SECURE and answer.rcode == Rcode.NXDOMAIN), answer.summary()
