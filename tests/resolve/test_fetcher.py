"""The fetch boundary: any Fetcher drives a lookup (a recorder and a
replayer are a few lines on top), the Resolution of an answer says what was
exchanged, and a cache hit is fast and quiet."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Generator

import pytest

from dnssec_lite.dnssec.status import Status
from dnssec_lite.errors import DnssecLiteError, QueryTimeout
from dnssec_lite.resolve import AsyncResolver, Batch, Resolution, Resolver, Server, drive
from dnssec_lite.resolve.fetcher import Reply
from dnssec_lite.resolve.transport import Transport
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.types import Rcode, RRType
from tests.helpers.zonesigner import NOW, Hierarchy

from .dnsserver import recursive_answer, serving


def _hierarchy() -> Hierarchy:
    h = Hierarchy()
    h["example.test."].add("mx 3600 IN MX 10 mail.example.test.", "mail 3600 IN A 192.0.2.25")
    return h.sign()


H = _hierarchy()
UP = Server("192.0.2.1")


class Recorder:
    """A recording fetcher: wraps another one, keeps every exchange."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.log: list[tuple[Server, Message, Reply]] = []

    def exchange(self, batch: Batch) -> list[Reply]:
        replies = self.inner.exchange(batch)
        self.log += [(s, q, r) for (s, q), r in zip(batch.items, replies, strict=True)]
        return replies


class Replayer:
    """A replaying fetcher: answers from a dict of (server, question) -> reply."""

    def __init__(self, replies: dict[tuple[Server, Question], Reply]) -> None:
        self.replies = replies
        self.asked: list[Question] = []

    def exchange(self, batch: Batch) -> list[Reply]:
        out: list[Reply] = []
        for server, query in batch.items:
            self.asked.append(query.question[0])
            found = self.replies.get((server, query.question[0]))
            out.append(found if found is not None else QueryTimeout(str(server), "not recorded"))
        return out


class Hierarchical:
    """A fetcher answering like a recursive server from the test hierarchy
    (no sockets at all)."""

    def __init__(self, h: Hierarchy) -> None:
        self.h = h
        self.batches: list[int] = []

    def exchange(self, batch: Batch) -> list[Reply]:
        self.batches.append(len(batch.items))
        out: list[Reply] = []
        for _server, query in batch.items:
            reply = recursive_answer(self.h, query)
            out.append(Message.from_wire(reply.to_wire()))
        return out


def test_record_then_replay_gives_the_same_answer_and_exchanges() -> None:
    with serving(H) as srv, Transport() as transport:
        recorder = Recorder(transport)
        live = Resolver([str(srv.server)], anchors=H.anchors(), clock=lambda: NOW, fetcher=recorder)
        first = live.resolve("mx.example.test.", "MX")
    assert first.status is Status.SECURE and len(recorder.log) == 6
    replies = {(s, q.question[0]): r for s, q, r in recorder.log}
    replayer = Replayer(replies)
    again = Resolver([str(srv.server)], anchors=H.anchors(), clock=lambda: NOW, fetcher=replayer)
    second = again.resolve("mx.example.test.", "MX")
    assert (second.status, second.rrsets, second.chain) == (first.status, first.rrsets, first.chain)
    assert replayer.asked == [q.question[0] for _s, q, _r in recorder.log]
    assert second.queries == first.queries == 6


def test_injected_fetcher_sees_parallel_batches_and_resolution_is_typed() -> None:
    fetcher = Hierarchical(H)
    r = Resolver(
        [str(UP)], anchors=H.anchors(), clock=lambda: NOW, fetcher=fetcher, prefetch_chain=0
    )
    answer = r.resolve("mx.example.test.", "MX")
    assert answer.status is Status.SECURE
    # The question, then the chain's DS/DNSKEY fetches round by round (no
    # chain prefetch: tests/resolve/test_prefetch.py has the one-round case).
    assert fetcher.batches[0] == 1 and sum(fetcher.batches) == 6 and len(fetcher.batches) < 6
    res = answer.resolution
    assert isinstance(res, Resolution)
    assert res.mode == "stub" and res.server == UP and res.upstreams == (UP,)
    assert res.cache is None and res.chain == answer.chain and res.failed == ()
    assert answer.queries == res.queries == len(res.exchanges) == 6
    first = res.exchanges[0]
    assert first.server == UP and first.question.name == Name.from_text("mx.example.test.")
    assert first.rcode == Rcode.NOERROR and not first.tcp and first.answer_sigs == 1
    assert res.trace()[0].startswith("mx.example.test. MX @192.0.2.1:53: NOERROR, 1 records")


def test_failed_exchanges_fail_over_and_are_recorded() -> None:
    dead = Server("192.0.2.9")
    inner = Hierarchical(H)

    class HalfDead:
        def exchange(self, batch: Batch) -> list[Reply]:
            if batch.items[0][0] == dead:
                return [QueryTimeout(str(dead), "no answer") for _ in batch.items]
            return inner.exchange(batch)

    r = Resolver([str(dead), str(UP)], anchors=H.anchors(), clock=lambda: NOW, fetcher=HalfDead())
    answer = r.resolve("mail.example.test.", "A")
    assert answer.status is Status.SECURE
    res = answer.resolution
    assert isinstance(res, Resolution)
    assert res.server == UP and res.failed == (dead,) and res.upstreams == (dead, UP)
    assert res.asked == (dead, UP)
    assert res.exchanges[0].server == dead and res.exchanges[0].rcode is None
    assert res.exchanges[0].error == "no answer"


def test_async_resolver_takes_an_async_fetcher() -> None:
    inner = Hierarchical(H)

    class AsyncHierarchical:
        async def exchange(self, batch: Batch) -> list[Reply]:
            await asyncio.sleep(0)
            return inner.exchange(batch)

    async def go() -> None:
        r = AsyncResolver([str(UP)], anchors=H.anchors(), clock=lambda: NOW,
                          fetcher=AsyncHierarchical())  # fmt: skip
        answer = await r.resolve("mx.example.test.", "MX")
        assert answer.status is Status.SECURE and answer.queries == 6
        assert isinstance(answer.resolution, Resolution)

    asyncio.run(go())


def test_a_fetcher_returning_too_few_replies_is_an_error() -> None:
    class Short:
        def exchange(self, batch: Batch) -> list[Reply]:
            return []

    r = Resolver([str(UP)], anchors=H.anchors(), clock=lambda: NOW, fetcher=Short())
    with pytest.raises(DnssecLiteError, match="0 replies for 6 exchanges"):
        r.resolve("mx.example.test.", "MX")


def test_drive_returns_the_generators_value() -> None:
    def steps() -> Generator[Batch, list[Reply], int]:
        replies = yield Batch([(UP, Message.make_query("a.test.", "A"))], 1.0)
        return len(replies)

    assert drive(steps(), Hierarchical(H)) == 1


# -- the cache-hit path ------------------------------------------------------------


def test_cache_hit_resolution_ttl_and_identity_within_a_second() -> None:
    clock = [float(NOW)]
    r = Resolver([str(UP)], anchors=H.anchors(), clock=lambda: clock[0], fetcher=Hierarchical(H))
    cold = r.resolve("mail.example.test.", "A")
    hit = r.resolve("MAIL.Example.TEST.", "A")
    assert hit.status is Status.SECURE and hit.queries == 0 and hit.rrsets == cold.rrsets
    res = hit.resolution
    assert isinstance(res, Resolution) and res.cache == "answer" and res.exchanges == ()
    assert res.server == UP and res.chain == cold.chain
    assert r.resolve("mail.example.test.", "A") is r.resolve("mail.example.test.", "A")
    clock[0] += 100
    later = r.resolve("mail.example.test.", "A")
    assert later.ttl == hit.ttl - 100 and later.rrsets[0].ttl == hit.rrsets[0].ttl - 100


def test_cache_hit_formats_nothing_for_a_disabled_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    r = Resolver([str(UP)], anchors=H.anchors(), clock=lambda: NOW, fetcher=Hierarchical(H))
    r.resolve("mail.example.test.", "A")
    r.resolve("mail.example.test.", "A")
    calls = []
    real = Name.to_text

    def counting(self: Name, *args: object, **kw: object) -> str:
        calls.append(self)
        return real(self, *args, **kw)

    monkeypatch.setattr(Name, "to_text", counting)
    logging.getLogger("dnssec_lite").setLevel(logging.INFO)
    try:
        for _ in range(3):
            assert r.resolve("mail.example.test.", "A").queries == 0
        assert calls == []
        logging.getLogger("dnssec_lite.resolve").setLevel(logging.DEBUG)
        r.resolve("mail.example.test.", "A")
        assert calls  # the debug lines are formatted once the logger is enabled
    finally:
        logging.getLogger("dnssec_lite").setLevel(logging.NOTSET)
        logging.getLogger("dnssec_lite.resolve").setLevel(logging.NOTSET)


def test_question_memo_does_not_confuse_types() -> None:
    r = Resolver([str(UP)], anchors=H.anchors(), clock=lambda: NOW, fetcher=Hierarchical(H))
    a = r.resolve("mail.example.test.", "A")
    mx = r.resolve("mail.example.test.", RRType.MX)
    assert a.question.rrtype == RRType.A and mx.question.rrtype == RRType.MX
    assert mx.rcode == Rcode.NOERROR and not mx.rrsets  # NODATA


def test_truncated_answers_are_recorded_alike_by_both_transports() -> None:
    """Each exchange says whether it went over TCP and how many messages it
    took (UDP, truncated, then TCP: 2); the sync transport also gives sizes."""
    from .dnsserver import Faults

    with serving(H, Faults(udp_limit=200)) as srv:
        sync = Resolver([str(srv.server)], anchors=H.anchors(), clock=lambda: NOW)
        a = sync.resolve("mx.example.test.", "MX")
        before = srv.queries
        aio = AsyncResolver([str(srv.server)], anchors=H.anchors(), clock=lambda: NOW)
        b = asyncio.run(aio.resolve("mx.example.test.", "MX"))
        async_seen = srv.queries - before
    assert a.status is b.status is Status.SECURE
    ra, rb = a.resolution, b.resolution
    assert isinstance(ra, Resolution) and isinstance(rb, Resolution)
    assert a.queries == before and b.queries == async_seen
    assert [(e.question, e.tcp, e.sent) for e in ra.exchanges] == [
        (e.question, e.tcp, e.sent) for e in rb.exchanges
    ]
    assert any(e.sent == 2 and e.tcp for e in ra.exchanges)
    assert [e.size for e in ra.exchanges] == [e.size for e in rb.exchanges]
    assert all(e.size > 0 for e in ra.exchanges) and all(e.seconds >= 0 for e in ra.exchanges)


def test_resolve_many_runs_lookups_side_by_side() -> None:
    """Independent lookups share rounds: the batches of all of them go out
    together, so three cold lookups cost the rounds of one, and each answer
    lists only its own exchanges."""
    h = Hierarchy()
    h["example.test."].add(
        "mx 3600 IN MX 10 mail.example.test.",
        "mail 3600 IN A 192.0.2.25",
        "mail 3600 IN AAAA 2001:db8::25",
    )
    h = h.sign()
    one = Hierarchical(h)
    alone = Resolver([UP], anchors=h.anchors(), clock=lambda: NOW, fetcher=one)
    alone.resolve("mail.example.test.", "A")
    net = Hierarchical(h)
    r = Resolver([UP], anchors=h.anchors(), clock=lambda: NOW, fetcher=net)
    questions = [("mx.example.test.", "MX"), ("mail.example.test.", "A"),
                 ("mail.example.test.", "AAAA")]  # fmt: skip
    answers = r.resolve_many(questions)
    assert [a.status for a in answers] == [Status.SECURE] * 3
    assert [a.question.rrtype for a in answers] == [RRType.MX, RRType.A, RRType.AAAA]
    assert len(net.batches) == len(one.batches)  # the rounds of one lookup
    assert net.batches[0] == 3 * one.batches[0]  # the first round of each (question, chain)
    for answer, (name, rrtype) in zip(answers, questions, strict=True):
        mine = [e.question for e in answer.resolution.exchanges]
        assert Question(Name.from_text(name), RRType.from_text(rrtype)) in mine
        others = {Question(Name.from_text(n), RRType.from_text(t)) for n, t in questions}
        assert not (set(mine) & others) - {Question(Name.from_text(name), RRType.from_text(rrtype))}
    # Answered from the cache now: no exchange at all.
    before = len(net.batches)
    again = r.resolve_many(questions)
    assert len(net.batches) == before
    assert [a.resolution.cache for a in again] == ["answer"] * 3


def test_an_error_reply_without_opt_is_not_taken_for_stripping() -> None:
    """A SERVFAIL built without EDNS (as many servers build their errors) from
    an upstream that signs every other answer: the lookup fails over and
    fails, but the upstream is not reported as stripping DNSSEC."""

    class ServfailFor(Hierarchical):
        def exchange(self, batch: Batch) -> list[Reply]:
            out = super().exchange(batch)
            for k, (_server, query) in enumerate(batch.items):
                if query.question[0].name == Name.from_text("mail.example.test."):
                    bare = query.make_response().replace(rcode=Rcode.SERVFAIL, edns=None)
                    out[k] = Message.from_wire(bare.to_wire())
            return out

    r = Resolver([UP], anchors=H.anchors(), clock=lambda: NOW, fetcher=ServfailFor(H))
    answer = r.resolve("mail.example.test.", "A")
    assert answer.status is Status.INDETERMINATE
    assert answer.reason is not None and "strips" not in answer.reason.text
    assert not answer.resolution.stripping
    assert r.resolve("mx.example.test.", "MX").status is Status.SECURE
