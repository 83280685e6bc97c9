"""A cold DANE check of a domain with two MX hosts, DNS wall time in RTTs.

Run from the repository top (needs root and the tools of docs/e2e.md)::

    python -m benchmarks.bench_dane [latency_ms ...]     # default: 20 100

It builds the end-to-end environment of ``tests/e2e`` (NSD per zone, the
validating Unbound) with the DANE lab of ``tests/e2e/danelab.py``, whose
``two.dane.test`` has MX hosts mx1 (10) and mx2 (20), each with A, AAAA and
TLSA records in the signed zone, and STARTTLS servers on the A addresses.
The Unbound is warmed first, so that it stands for a far upstream that has
the answers: a :class:`~tests.e2e.dnsenv.LatencyProxy` in front of it adds
the latency to every query, like a network round trip.  Each measured check
starts with a fresh resolver (cold caches).

Reported per driver (sync :func:`~dnssec_lite.dane.check.check_smtp`,
async :func:`~dnssec_lite.dane.check.acheck_smtp`): the wall time spent on
DNS (the union of the intervals in which a lookup was running) in RTTs,
the policy's lookups and rounds, the queries the proxy saw, and the
SMTP/TLS time (the probes) separately.  For comparison, Postfix's
``posttls-finger -l dane`` behind a local validating Unbound that forwards
through the same latency to the same upstream: cold (freshly started) and
warm (the second run), its total wall time and the queries that crossed
the latency.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dnssec_lite.anchors.formats import load_anchors
from dnssec_lite.dane import smtp
from dnssec_lite.dane.check import acheck_smtp, check_smtp
from dnssec_lite.dane.policy import ProbeOutcome, ProbeRequest
from dnssec_lite.dane.report import DaneReport, Verdict, display
from dnssec_lite.resolve.resolver import AsyncResolver, Resolver
from dnssec_lite.wire.types import RRType
from tests.e2e.danelab import ZONE, DaneLab
from tests.e2e.dnsenv import DnsEnv, LatencyProxy
from tests.e2e.posttls import Outcome, PostTlsFinger, available

DOMAIN = f"two.{ZONE}"
RUNS = 3


@dataclass
class Trace:
    """What one check did: lookup intervals, probe intervals, proxy queries."""

    lookups: list[tuple[float, float, str]] = field(default_factory=list)
    probes: list[tuple[float, float]] = field(default_factory=list)

    def dns_wall(self) -> float:
        """Wall time during which at least one lookup was running."""
        total, end = 0.0, float("-inf")
        for start, stop, _ in sorted(self.lookups):
            if stop <= end:
                continue
            total += stop - max(start, end)
            end = stop
        return total

    def batches(self, gap: float = 0.002) -> list[list[tuple[float, float, str]]]:
        """Lookups grouped by start: the async driver starts one round's
        lookups together; the sync driver's lookups each make their own."""
        out: list[list[tuple[float, float, str]]] = []
        for item in sorted(self.lookups):
            if out and item[0] - out[-1][-1][0] <= gap:
                out[-1].append(item)
            else:
                out.append([item])
        return out

    def rounds(self) -> int:
        return len(self.batches())

    def split(self, rtt: float) -> str:
        """Each batch's wall time in RTTs, e.g. ``MX 2.1 + 5 lookups 1.0``."""
        parts = []
        for batch in self.batches():
            took = max(stop for _, stop, _ in batch) - batch[0][0]
            what = batch[0][2].split()[-1] if len(batch) == 1 else f"{len(batch)} lookups"
            parts.append(f"{what} {took / rtt:.1f}")
        return " + ".join(parts)


def _what(name: Any, rrtype: Any) -> str:
    return f"{name} {RRType.to_text(rrtype) if isinstance(rrtype, int) else rrtype}"


class TimedResolver:
    def __init__(self, inner: Resolver, trace: Trace) -> None:
        self.inner, self.trace = inner, trace

    def resolve(self, name: Any, rrtype: Any) -> Any:
        start = time.monotonic()
        answer = self.inner.resolve(name, rrtype)
        self.trace.lookups.append((start, time.monotonic(), _what(name, rrtype)))
        return answer

    def resolve_many(self, questions: list[tuple[Any, Any]]) -> list[Any]:
        """One round's lookups side by side (what ``check_smtp`` uses)."""
        start = time.monotonic()
        answers = self.inner.resolve_many(questions)
        stop = time.monotonic()
        self.trace.lookups += [(start, stop, _what(n, t)) for n, t in questions]
        return answers


class TimedAsyncResolver:
    def __init__(self, inner: AsyncResolver, trace: Trace) -> None:
        self.inner, self.trace = inner, trace

    async def resolve(self, name: Any, rrtype: Any) -> Any:
        start = time.monotonic()
        answer = await self.inner.resolve(name, rrtype)
        self.trace.lookups.append((start, time.monotonic(), _what(name, rrtype)))
        return answer


def _probe(trace: Trace) -> Callable[[ProbeRequest], ProbeOutcome]:
    def run(request: ProbeRequest) -> ProbeOutcome:
        start = time.monotonic()
        try:
            return smtp.probe(
                request.address,
                server_hostname=display(request.sni),
                port=request.port,
                ehlo_name="bench.test",
                timeout=10.0,
            )
        finally:
            trace.probes.append((start, time.monotonic()))

    return run


def _aprobe(trace: Trace) -> Callable[[ProbeRequest], Any]:
    async def run(request: ProbeRequest) -> ProbeOutcome:
        start = time.monotonic()
        try:
            return await smtp.aprobe(
                request.address,
                server_hostname=display(request.sni),
                port=request.port,
                ehlo_name="bench.test",
                timeout=10.0,
            )
        finally:
            trace.probes.append((start, time.monotonic()))

    return run


@dataclass
class Run:
    wall: float
    dns: float
    smtp: float
    lookups: int
    rounds: int
    wire: int
    verdict: Verdict
    split: str


def _run(env: DnsEnv, proxy: LatencyProxy, driver: str, *, warm: bool = False) -> Run:
    """One check; ``warm``: on a resolver that has just done the same check."""
    anchors = load_anchors(str(env.anchor_path))
    server = [f"{proxy.addr[0]}:{proxy.addr[1]}"]
    trace = Trace()
    kw: dict[str, Any] = {"rng": random.Random(1), "randomize_addresses": False}
    report: DaneReport
    if driver == "sync":
        resolver = TimedResolver(Resolver(server, anchors=anchors, timeout=5.0), trace)
        if warm:
            check_smtp(DOMAIN, resolver.inner, probe=_probe(Trace()), **kw)
        seen, start = proxy.queries, time.monotonic()
        report = check_smtp(DOMAIN, resolver, probe=_probe(trace), **kw)
    else:

        async def go() -> tuple[DaneReport, int, float]:
            inner = AsyncResolver(server, anchors=anchors, timeout=5.0)
            if warm:
                await acheck_smtp(DOMAIN, inner, probe=_aprobe(Trace()), **kw)
            resolver = TimedAsyncResolver(inner, trace)
            seen, start = proxy.queries, time.monotonic()
            return await acheck_smtp(DOMAIN, resolver, probe=_aprobe(trace), **kw), seen, start

        report, seen, start = asyncio.run(go())
    wall = time.monotonic() - start
    return Run(
        wall,
        trace.dns_wall(),
        sum(b - a for a, b in trace.probes),
        len(trace.lookups),
        trace.rounds(),
        proxy.queries - seen,
        report.verdict,
        trace.split(proxy.delay) if proxy.delay else "",
    )


def _median(runs: list[Run], attr: str) -> float:
    return float(statistics.median(float(getattr(r, attr)) for r in runs))


@contextmanager
def _local_unbound(env: DnsEnv, address: str, upstream: tuple[str, int]) -> Iterator[None]:
    """A validating Unbound on ``address`` port 53 forwarding to ``upstream``
    (posttls-finger's local resolver, with a cache of its own)."""
    directory = Path(tempfile.mkdtemp(prefix="dnssec-lite-bench-unbound-"))
    conf = directory / "unbound.conf"
    conf.write_text(
        "\n".join(
            [
                "server:",
                f"  interface: {address}@53",
                "  do-ip6: no",
                "  num-threads: 1",
                '  username: ""',
                '  chroot: ""',
                f'  directory: "{directory}"',
                f'  logfile: "{directory}/unbound.log"',
                '  pidfile: ""',
                "  access-control: 127.0.0.0/8 allow",
                "  do-not-query-localhost: no",
                '  local-zone: "test." nodefault',
                '  module-config: "validator iterator"',
                f'  trust-anchor-file: "{env.anchor_path}"',
                "  prefetch: no",
                "forward-zone:",
                '  name: "."',
                f"  forward-addr: {upstream[0]}@{upstream[1]}",
                "remote-control:",
                "  control-enable: no",
                "",
            ]
        )
    )
    proc = subprocess.Popen(["unbound", "-d", "-c", str(conf)], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            probe = subprocess.run(
                ["dig", f"@{address}", "+time=1", "+tries=1", "+norec", "version.server", "CH"],
                capture_output=True,
                text=True,
                check=False,
            )
            if "status:" in probe.stdout:
                break
            time.sleep(0.1)
        yield
    finally:
        proc.terminate()
        proc.wait(5)
        shutil.rmtree(directory, ignore_errors=True)


def _posttls(env: DnsEnv, latency_ms: float) -> None:
    missing = available()
    if missing is not None:
        print(f"  posttls-finger: not run ({missing})")
        return
    address = f"{env.prefix}.0.70"
    with LatencyProxy(("127.0.0.1", 0), env.unbound_addr, latency_ms) as proxy:
        with _local_unbound(env, address, proxy.addr):
            finger = PostTlsFinger(address)
            try:
                # The first run after start-up spends 1.5-2 s before its first
                # DNS query (nothing crosses the proxy then): spend it on a
                # literal address with nothing listening, not on the chain.
                finger.run("[127.0.0.1]:9")
                for label in ("cold", "warm"):
                    seen = proxy.queries
                    run = finger.run(DOMAIN, "-c")
                    ok = run.outcome is Outcome.VERIFIED
                    print(
                        f"  posttls-finger, {label} local Unbound: "
                        f"{'Verified' if ok else run.outcome.value}, "
                        f"{run.seconds * 1000:.0f} ms in all "
                        f"= {run.seconds / (latency_ms / 1000):.1f} RTT, "
                        f"{proxy.queries - seen} queries across the latency"
                    )
            finally:
                finger.close()


def main(latencies: list[float]) -> None:
    lab = DaneLab()
    with DnsEnv(extra_zones=lab.zones) as env:
        lab.start_servers()
        try:
            # Warm the upstream Unbound (untimed): it stands for a far
            # resolver that has the answers.
            with LatencyProxy(("127.0.0.1", 0), env.unbound_addr, 0) as proxy:
                _run(env, proxy, "sync")
            for latency in latencies:
                print(f"latency {latency:g} ms per query; {DOMAIN}, cold resolver, {RUNS} runs")
                with LatencyProxy(("127.0.0.1", 0), env.unbound_addr, latency) as proxy:
                    for driver, warm in (("sync", False), ("async", False), ("async", True)):
                        runs = [_run(env, proxy, driver, warm=warm) for _ in range(RUNS)]
                        rtt = latency / 1000
                        verdicts = {r.verdict.value for r in runs}
                        print(
                            f"  {driver:5}{' warm' if warm else ''}: "
                            f"{'/'.join(sorted(verdicts))}; DNS "
                            f"{_median(runs, 'dns') * 1000:.0f} ms = "
                            f"{_median(runs, 'dns') / rtt:.1f} RTT; "
                            f"{runs[0].lookups} lookups "
                            + f"in {runs[0].rounds} concurrent rounds"
                            + f" (RTT each: {runs[-1].split})"
                            + f", {_median(runs, 'wire'):.0f} queries at the proxy; "
                            f"SMTP/TLS {_median(runs, 'smtp') * 1000:.0f} ms; "
                            f"total {_median(runs, 'wall') * 1000:.0f} ms"
                        )
                _posttls(env, latency)
        finally:
            lab.stop_servers()


if __name__ == "__main__":
    main([float(a) for a in sys.argv[1:]] or [20.0, 100.0])
