"""Differential tests: the iterative engine as step generators against the
engine it replaced (kept in ``tests/resolve/legacy``), over authoritative
servers for generated signed hierarchies.

* One lookup after another, the two engines send exactly the same queries in
  the same order and return the same responses, and validations through them
  end with the same status, rcode, reason, records and chain.
* The resolver's iterative mode (validation rounds side by side, restarts
  after BOGUS) gives the same verdicts as the old engine driven one fetch
  after another, and asks the same set of questions.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from dnssec_lite.dnssec.chain import FetchFailed, KeyCache, Validator
from dnssec_lite.dnssec.status import Answer, Status
from dnssec_lite.resolve.fetcher import drive
from dnssec_lite.resolve.iterative import IterativeEngine, QueryTransportFetcher
from dnssec_lite.resolve.iterative.mode import IterativeSettings, iterative_steps
from dnssec_lite.resolve.stripping import fresh_validator
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.types import RRClass, RRType
from tests.helpers.zonesigner import NOW, Hierarchy, NSEC3Params

from .authnet import AuthNet, addresses
from .legacy import iterative_v1 as old

QUESTIONS = [
    ("example.test.", "SOA"),
    ("www.example.test.", "A"),
    ("mx.example.test.", "MX"),
    ("www.example.test.", "TXT"),
    ("nope.example.test.", "A"),
    ("deep.nope.example.test.", "AAAA"),
    ("alias.example.test.", "A"),
    ("far.example.test.", "A"),
    ("host.wild.example.test.", "A"),
    ("www.unsigned.test.", "A"),
    ("www.sub.example.test.", "A"),
    ("www.other.test.", "A"),
    ("nothing.test.", "A"),
    ("test.", "DNSKEY"),
    ("www.hosted.test.", "A"),
    ("mail.second.test.", "A"),
]


def _glueless() -> Hierarchy:
    """hosted.test. and second.test. served by name servers in other.test.,
    whose addresses the referrals do not carry (glueless delegations)."""
    h = Hierarchy(13)
    assert h.domain is not None
    h.domain.add("www 3600 IN A 192.0.2.1")
    other = h.add_zone("other.test.")
    for label in ("hosted", "second"):
        zone = h.add_zone(f"{label}.test.")
        zone.add("www 3600 IN A 192.0.2.5", "mail 3600 IN A 192.0.2.6")
        h.tld.remove_data(f"{label}.test.", RRType.NS)
        h.tld.remove_data(f"ns1.{label}.test.", RRType.A)
        h.tld.add(f"{label}.test. 3600 IN NS ns-{label}.other.test.")
    where = addresses(h)
    for label in ("hosted", "second"):
        other.add(f"ns-{label} 3600 IN A {where[Name.from_text(f'{label}.test.')]}")
    return h.sign()


def _world(variant: str) -> Hierarchy:
    if variant == "glueless":
        return _glueless()
    algorithm = 8 if variant == "rsa-nsec3" else 13
    nsec3 = NSEC3Params(iterations=0, salt=b"\x01\x02") if "nsec3" in variant else None
    h = Hierarchy(algorithm, nsec3=nsec3)
    assert h.domain is not None
    h.domain.add(
        "www 3600 IN A 192.0.2.1",
        "mx 3600 IN MX 10 mail.example.test.",
        "mail 3600 IN A 192.0.2.25",
        "alias 3600 IN CNAME www.example.test.",
        "far 3600 IN CNAME www.other.test.",
        "*.wild 3600 IN A 192.0.2.77",
    )
    other = h.add_zone("other.test.", algorithm=algorithm, nsec3=nsec3)
    other.add("www 3600 IN A 192.0.2.2")
    unsigned = h.add_zone("unsigned.test.", signed=False)
    unsigned.add("www 3600 IN A 192.0.2.3")
    sub = h.add_zone("sub.example.test.", algorithm=algorithm, nsec3=nsec3)
    sub.add("www 3600 IN A 192.0.2.4")
    if variant == "bad-ds":
        h.set_ds("sub.example.test.", h.zones[Name.from_text("other.test.")].ds_rdatas())
    h.sign()
    if variant == "tampered":
        h.domain.tamper("www", RRType.A, "192.0.2.66")
        other.tamper("www", RRType.A, "192.0.2.99")
    return h


VARIANTS = ["p256-nsec", "rsa-nsec3", "p256-nsec3", "bad-ds", "tampered", "glueless"]
WORLDS = {v: _world(v) for v in VARIANTS}


def _question(name: str, rrtype: str) -> Question:
    return Question(Name.from_text(name), RRType.from_text(rrtype), RRClass.IN)


def _validate(
    validator: Validator, question: Question, lookup: Callable[[Name, int], Message | FetchFailed]
) -> tuple[Answer, list[tuple[Name, int]]]:
    """The validation loop over a synchronous lookup, one fetch at a time."""
    fetched = [(question.name, question.rrtype)]
    job = validator.start(question, lookup(question.name, question.rrtype), NOW)
    while job.answer is None:
        for fetch in job.pending():
            fetched.append((fetch.name, fetch.rrtype))
            job.feed(fetch, lookup(fetch.name, fetch.rrtype))
    return job.answer, fetched


def _verdict(answer: Answer) -> tuple[object, ...]:
    return (
        answer.status,
        answer.rcode,
        str(answer.reason),
        answer.rrsets,
        answer.denial,
        answer.chain,
    )


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("minimise", [False, True])
def test_one_lookup_after_another_sends_the_same_queries(variant: str, minimise: bool) -> None:
    h = WORLDS[variant]
    anchors = h.anchors()
    old_net, new_net = AuthNet(h), AuthNet(h)
    signed = [Name.from_text(".")]
    old_engine = old.IterativeEngine(
        old_net, old_net.roots, signed_zones=signed, qname_minimisation=minimise
    )
    new_engine = IterativeEngine(
        new_net, new_net.roots, signed_zones=signed, qname_minimisation=minimise
    )
    old_validator = Validator(anchors, key_cache=KeyCache())
    new_validator = Validator(anchors, key_cache=KeyCache())
    for name, rrtype in QUESTIONS:
        question = _question(name, rrtype)
        old_answer, old_fetched = _validate(old_validator, question, old_engine.lookup)
        new_answer, new_fetched = _validate(new_validator, question, new_engine.lookup)
        assert _verdict(new_answer) == _verdict(old_answer), (variant, name, rrtype)
        assert new_fetched == old_fetched
        assert new_net.log == old_net.log, (variant, name, rrtype)
        assert new_engine.take_sources() == old_engine.take_sources()
    assert new_engine.zone_cuts() == old_engine.zone_cuts()
    assert new_engine.dnssec_lame == old_engine.dnssec_lame
    assert new_engine.queries_sent == old_engine.queries_sent


def _old_resolver(h: Hierarchy, question: Question, minimise: bool) -> tuple[Answer, AuthNet]:
    """What the resolver's iterative mode did before, one fetch at a time:
    validate; when BOGUS, validate again with restarts and a fresh key cache."""
    net = AuthNet(h)
    engine = old.IterativeEngine(
        net, net.roots, signed_zones=[Name.from_text(".")], qname_minimisation=minimise
    )
    validator = Validator(h.anchors(), key_cache=KeyCache())
    answer, _fetched = _validate(validator, question, engine.lookup)
    if answer.status is Status.BOGUS:
        retried = old.validate_with_restarts(fresh_validator(validator), question, NOW, engine)
        if retried.status is not Status.BOGUS:
            answer = retried
    return answer, net


def _new_resolver(h: Hierarchy, question: Question, minimise: bool) -> tuple[Answer, AuthNet]:
    net = AuthNet(h)
    validator = Validator(h.anchors(), key_cache=KeyCache())
    settings = IterativeSettings(timeout=1.0, attempts=1, qname_minimisation=minimise)
    roots = [s for s in IterativeEngine(None, net.roots).servers_for(Name.from_text("."))]
    steps = iterative_steps(question, NOW, roots, validator, settings)
    out = drive(steps, QueryTransportFetcher(net))
    return out.answer, net


CASES = list(itertools.product(VARIANTS, QUESTIONS, [False, True]))


@pytest.mark.parametrize(("variant", "q", "minimise"), CASES)
def test_resolver_mode_gives_the_same_verdicts(
    variant: str, q: tuple[str, str], minimise: bool
) -> None:
    question = _question(*q)
    old_answer, old_net = _old_resolver(WORLDS[variant], question, minimise)
    new_answer, new_net = _new_resolver(WORLDS[variant], question, minimise)
    assert _verdict(new_answer) == _verdict(old_answer)
    asked_old = {(name, rrtype) for _s, name, rrtype, _tcp in old_net.log}
    asked_new = {(name, rrtype) for _s, name, rrtype, _tcp in new_net.log}
    assert asked_new == asked_old


def test_the_worlds_cover_every_status() -> None:
    seen = set()
    for variant, q in itertools.product(VARIANTS, QUESTIONS):
        answer, _net = _new_resolver(WORLDS[variant], _question(*q), False)
        seen.add(answer.status)
    assert seen == {Status.SECURE, Status.INSECURE, Status.BOGUS}


# -- the resolver's iterative mode through an injected fetcher --------------------


def test_iterative_resolver_sync_and_async_agree_without_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio
    import threading

    from dnssec_lite.resolve import AsyncResolver, Batch, Resolution, Resolver
    from dnssec_lite.resolve.fetcher import Reply

    def no_threads(self: threading.Thread) -> None:
        raise AssertionError("a thread was started")

    h = WORLDS["tampered"]
    sync_net, async_net = AuthNet(h), AuthNet(h)
    inner = QueryTransportFetcher(async_net)

    class AsyncNet:
        async def exchange(self, batch: Batch) -> list[Reply]:
            await asyncio.sleep(0)
            return inner.exchange(batch)

    sync = Resolver(
        anchors=h.anchors(),
        mode="iterative",
        root_hints=sync_net.roots,
        clock=lambda: NOW,
        fetcher=QueryTransportFetcher(sync_net),
    )
    aio = AsyncResolver(
        anchors=h.anchors(),
        mode="iterative",
        root_hints=async_net.roots,
        clock=lambda: NOW,
        fetcher=AsyncNet(),
    )
    monkeypatch.setattr(threading.Thread, "start", no_threads)
    for name, rrtype in QUESTIONS:
        a = sync.resolve(name, rrtype)
        b = asyncio.run(aio.resolve(name, rrtype))
        assert _verdict(a) == _verdict(b)
        assert isinstance(a.resolution, Resolution) and isinstance(b.resolution, Resolution)
        assert a.resolution.mode == "iterative" and a.queries == b.queries
        assert [e.question for e in a.resolution.exchanges] == [
            e.question for e in b.resolution.exchanges
        ]
    assert sorted(sync_net.log) == sorted(async_net.log)
    bogus = sync.resolve("alias.example.test.", "A")  # from the cache now
    assert bogus.status is Status.BOGUS and bogus.queries == 0


def test_lookups_side_by_side_through_the_same_glueless_delegation() -> None:
    """Two lookups that both need a glueless zone's server address at once:
    each resolves it (no spurious failure while the other one is at it, which
    the threaded engine worked around by asking failures again alone)."""
    from dnssec_lite.resolve.iterative import gather

    h = WORLDS["glueless"]
    net = AuthNet(h)
    engine = IterativeEngine(None, net.roots, signed_zones=[Name.from_text(".")])
    names = [Name.from_text("www.hosted.test."), Name.from_text("mail.hosted.test.")]
    results = drive(
        gather([engine.lookup_steps(n, RRType.A) for n in names]), QueryTransportFetcher(net)
    )
    other = net.address[Name.from_text("other.test.")]
    asked = [e for e in net.log if e[1] == "ns-hosted.other.test." and e[2] == RRType.A]
    assert [e[0] for e in asked].count(other) == 2  # resolved by both lookups, side by side
    old_net = AuthNet(h)
    old_engine = old.IterativeEngine(old_net, old_net.roots, signed_zones=[Name.from_text(".")])
    for name, (result, sources) in zip(names, results, strict=True):
        before = old_engine.lookup(name, RRType.A)
        assert isinstance(result, Message) and isinstance(before, Message)
        assert result.answer == before.answer and result.rcode == before.rcode
        assert sources == old_engine.take_sources()
