"""Cold iterative-mode lookups with simulated latency: the engine as step
generators (one loop, the fetches of a round merged into one batch) against
the engine it replaced (parallel threads over one engine, failures asked
again alone), over the same authoritative test servers.

Both see every query answered after ``latency_ms`` (the old engine: each
query sleeps in its thread; the new one: each batch sleeps once, its queries
being sent together), so the figures are round trips, not CPU time.  Run from
the repository top::

    python -m benchmarks.bench_iterative [latency_ms]
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor

from dnssec_lite.dnssec.chain import FetchFailed, KeyCache, Validator
from dnssec_lite.dnssec.status import Answer, Status
from dnssec_lite.resolve import Batch, Resolver
from dnssec_lite.resolve.fetcher import Reply
from dnssec_lite.resolve.iterative import QueryTransportFetcher
from dnssec_lite.resolve.stripping import fresh_validator
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.types import RRClass, RRType
from tests.helpers.zonesigner import NOW
from tests.resolve.authnet import AuthNet
from tests.resolve.legacy import iterative_v1 as old
from tests.resolve.test_iterative_diff import WORLDS

LOOKUPS = [
    ("www.example.test.", "A"),
    ("www.sub.example.test.", "A"),
    ("far.example.test.", "A"),
    ("nope.example.test.", "A"),
    ("www.unsigned.test.", "A"),
]


class _SlowQueries:
    """The old engine's transport: every query takes ``delay`` seconds."""

    def __init__(self, net: AuthNet, delay: float) -> None:
        self.net, self.delay = net, delay

    def query(self, server: tuple[str, int], message: Message, *, tcp: bool = False) -> Message:
        time.sleep(self.delay)
        return self.net.query(server, message, tcp=tcp)


class _SlowBatches:
    """The new engine's fetcher: every batch takes ``delay`` seconds."""

    def __init__(self, net: AuthNet, delay: float) -> None:
        self.inner, self.delay, self.batches = QueryTransportFetcher(net), delay, 0

    def exchange(self, batch: Batch) -> list[Reply]:
        self.batches += 1
        time.sleep(self.delay)
        return self.inner.exchange(batch)


def _old(net: AuthNet, question: Question, delay: float) -> Answer:
    """The old resolver's iterative mode (threads, retry alone, restarts)."""
    h_validator = Validator(net.h.anchors(), key_cache=KeyCache())
    engine = old.IterativeEngine(
        _SlowQueries(net, delay), net.roots, signed_zones=[Name.from_text(".")]
    )
    with ThreadPoolExecutor(8) as pool:
        job = h_validator.start(question, engine.lookup(question.name, question.rrtype), NOW)
        while job.answer is None:
            pending = job.pending()
            if len(pending) == 1:
                results = [engine.lookup(pending[0].name, pending[0].rrtype)]
            else:
                results = list(pool.map(lambda f: engine.lookup(f.name, f.rrtype), pending))
            for i, (fetch, result) in enumerate(zip(pending, results, strict=True)):
                if isinstance(result, FetchFailed) and len(pending) > 1:
                    results[i] = engine.lookup(fetch.name, fetch.rrtype)
            for fetch, result in zip(pending, results, strict=True):
                job.feed(fetch, result)
        answer = job.answer
        if answer.status is Status.BOGUS:
            retried = old.validate_with_restarts(
                fresh_validator(h_validator), question, NOW, engine
            )
            if retried.status is not Status.BOGUS:
                answer = retried
    return answer


def main(latency_ms: float = 20.0) -> None:
    delay = latency_ms / 1000
    h = WORLDS["p256-nsec"]
    print(f"cold iterative lookups, {latency_ms:g} ms per round trip")
    for name, rrtype in LOOKUPS:
        question = Question(Name.from_text(name), RRType.from_text(rrtype), RRClass.IN)
        old_net = AuthNet(h)
        start = time.perf_counter()
        before = _old(old_net, question, delay)
        old_s = time.perf_counter() - start
        new_net = AuthNet(h)
        fetcher = _SlowBatches(new_net, delay)
        r = Resolver(
            anchors=h.anchors(),
            mode="iterative",
            root_hints=new_net.roots,
            clock=lambda: NOW,
            fetcher=fetcher,
        )
        start = time.perf_counter()
        after = r.resolve(name, rrtype)
        new_s = time.perf_counter() - start
        same = "same verdict" if after.status is before.status else "VERDICTS DIFFER"
        print(
            f"  {name} {rrtype}: {after.status.value}; threads {len(old_net.log)} queries "
            f"{old_s / delay:.1f} RTT; steps {after.queries} queries in {fetcher.batches} "
            f"batches {new_s / delay:.1f} RTT ({same})"
        )


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 20.0)
