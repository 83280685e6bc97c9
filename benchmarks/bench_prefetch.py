"""Cold stub lookups with and without speculative chain prefetch.

Run from the repository top::

    python -m benchmarks.bench_prefetch [latency_ms ...]   # default: 20 100

The upstream is the loopback test server of ``bench_resolver`` (a signed
``.`` -> ``test.`` -> ... hierarchy, every answer delayed by the latency, the
delays of parallel queries overlapping like network round trips).  Each
lookup uses a fresh resolver (empty caches).  For each case it prints the
wall time in round trips (median of the runs), the rounds of queries (the
batches the lookup sent), the queries, and the wasted queries: speculative
queries whose answers the validation did not use (those it asked for that
the lookup without prefetch does not ask).
"""

from __future__ import annotations

import statistics
import sys
import time

from dnssec_lite.resolve import Resolver
from dnssec_lite.resolve.fetcher import Batch, Reply
from dnssec_lite.resolve.transport import Transport
from tests.helpers.zonesigner import NOW, Hierarchy
from tests.resolve.dnsserver import serving

#: (label, name, type): where the zone cut is, relative to the name.
CASES = [
    ("cut at the registered domain", "www.example.test.", "A"),
    ("registered domain apex", "example.test.", "MX"),
    ("deeper cut (dept.example.test.)", "www.dept.example.test.", "A"),
    ("shallower cut (name in test.)", "www.shop.test.", "A"),
]
RUNS = 5


class Recording:
    """The transport, counting batches and noting every question sent."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.batches = 0
        self.asked: list[tuple[str, int]] = []

    def exchange(self, batch: Batch) -> list[Reply]:
        self.batches += 1
        for _server, query in batch.items:
            q = query.question[0]
            self.asked.append((q.name.to_text().lower(), q.rrtype))
        return self.transport.exchange(batch)


def hierarchy() -> Hierarchy:
    h = Hierarchy()
    assert h.domain is not None
    h.domain.add("www 3600 IN A 192.0.2.1", "@ 3600 IN MX 10 www.example.test.")
    h.add_zone("dept.example.test.").add("www 3600 IN A 192.0.2.2")
    h.tld.add("www.shop 3600 IN A 192.0.2.3")
    h.sign()
    return h


def lookup(
    h: Hierarchy, server: str, name: str, rrtype: str, prefetch: int
) -> tuple[float, int, list[tuple[str, int]], str]:
    with Transport() as transport:
        rec = Recording(transport)
        r = Resolver(
            [server], anchors=h.anchors(), clock=lambda: NOW, fetcher=rec, prefetch_chain=prefetch
        )
        start = time.monotonic()
        answer = r.resolve(name, rrtype)
        elapsed = time.monotonic() - start
    return elapsed, rec.batches, rec.asked, answer.status.value


def main(latencies: list[float]) -> None:
    h = hierarchy()
    for latency_ms in latencies:
        with serving(h, delay=latency_ms / 1000) as srv:
            server = str(srv.server)
            print(f"latency {latency_ms:g} ms per query, {RUNS} cold lookups each")
            for label, name, rrtype in CASES:
                base_asked: set[tuple[str, int]] = set()
                for prefetch in (0, 2):
                    times = []
                    for _ in range(RUNS):
                        elapsed, rounds, asked, status = lookup(h, server, name, rrtype, prefetch)
                        times.append(elapsed)
                    if prefetch == 0:
                        base_asked = set(asked)
                    wasted = len(set(asked) - base_asked)
                    rtt = statistics.median(times) / (latency_ms / 1000)
                    print(
                        f"  {label:34} {name} {rrtype:3} prefetch={prefetch}: {status}, "
                        f"{rtt:.2f} RTT, {rounds} rounds, {len(asked)} queries, {wasted} wasted"
                    )


if __name__ == "__main__":
    main([float(a) for a in sys.argv[1:]] or [20.0, 100.0])
