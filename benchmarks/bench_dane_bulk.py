"""Bulk DANE checks: domains per second and peak memory, concurrent vs one by one.

Run from the repository top (needs the end-to-end environment: NSD, Unbound,
root or CAP_NET_BIND_SERVICE for the SMTP servers on port 25)::

    python -m benchmarks.bench_dane_bulk [domains] [latency_ms] [jobs ...]

It builds the ``tests/e2e`` environment with the DANE lab publishing
``domains`` bulk domains (MX round-robin over five lab hosts: two DANE
successes, two DANE failures, one fallback), puts a latency proxy in front of
the validating Unbound (every query answered ``latency_ms`` later, like a
network round trip), and checks every domain with ``check_many`` on a fresh
``AsyncResolver`` (cold cache) -- first with ``jobs=1`` (one after another),
then with each ``jobs`` value.  Wall time gives domains/s; a second, traced
run of each (``tracemalloc``) gives the peak of Python memory allocated
during the checks.
"""

from __future__ import annotations

import asyncio
import sys
import time
import tracemalloc
from collections import Counter

from dnssec_lite.anchors.formats import load_anchors
from dnssec_lite.dane import DaneReport, check_many
from dnssec_lite.resolve.resolver import AsyncResolver


async def _run(server: str, anchors: object, domains: list[str], jobs: int) -> Counter[str]:
    resolver = AsyncResolver([server], anchors=anchors, timeout=2.0)
    verdicts: Counter[str] = Counter()
    async for report in check_many(domains, resolver, jobs=jobs, timeout=10.0):
        verdicts[report.verdict.value if isinstance(report, DaneReport) else "error"] += 1
    return verdicts


def measure(server: str, anchors: object, domains: list[str], jobs: int) -> tuple[float, int, str]:
    started = time.perf_counter()
    verdicts = asyncio.run(_run(server, anchors, domains, jobs))
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    asyncio.run(_run(server, anchors, domains, jobs))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    shown = ", ".join(f"{v} {n}" for v, n in sorted(verdicts.items()))
    return elapsed, peak, shown


def main(count: int = 1000, latency_ms: float = 20.0, jobs: tuple[int, ...] = (8, 32)) -> None:
    from tests.e2e.danelab import ZONE, DaneLab
    from tests.e2e.dnsenv import DnsEnv, LatencyProxy

    lab = DaneLab(bulk=count)
    env = DnsEnv(extra_zones=lab.zones)
    env.start()
    try:
        for attempt in range(12):  # port 25 sockets of a previous run may sit in TIME-WAIT
            try:
                lab.start_servers()
                break
            except RuntimeError:
                if attempt == 11:
                    raise
                time.sleep(10)
        anchors = load_anchors(str(env.anchor_path))
        domains = [f"bulk{n}.{ZONE}" for n in range(count)]
        with LatencyProxy(("127.0.0.1", 0), env.unbound_addr, latency_ms) as proxy:
            server = f"{proxy.addr[0]}:{proxy.addr[1]}"
            print(f"{count} domains, {latency_ms:g} ms added per DNS query")
            print(f"{'jobs':>5} {'wall s':>8} {'domains/s':>10} {'peak MiB':>9}  verdicts")
            for j in (1, *jobs):
                elapsed, peak, shown = measure(server, anchors, domains, j)
                print(
                    f"{j:>5} {elapsed:>8.1f} {count / elapsed:>10.1f} "
                    f"{peak / 2**20:>9.1f}  {shown}",
                    flush=True,
                )
    finally:
        lab.stop_servers()
        env.stop()


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        int(args[0]) if args else 1000,
        float(args[1]) if len(args) > 1 else 20.0,
        tuple(int(a) for a in args[2:]) or (8, 32),
    )
