"""Cold and warm validated lookups against a local upstream with added latency,
and query counts beside ``delv +vtrace``'s for the same lookups.

Run from the repository top::

    python -m benchmarks.bench_resolver [latency_ms]        # Python test server
    python -m benchmarks.bench_resolver --e2e [latency_ms]  # real NSD + Unbound
    python -m benchmarks.bench_resolver --cache-hit [rounds]  # cached lookups

The first form needs nothing installed: the upstream is a loopback test
server answering from a signed private hierarchy (``.`` -> ``test.`` ->
``example.test.``) with every answer delayed by the latency, like a network
round trip.  A latency of 0 reports times only (no RTT column).

The ``--e2e`` form builds the end-to-end environment of ``tests/e2e`` (NSD per
zone, Unbound; needs root and the tools listed in docs/e2e.md), puts a
latency proxy in front of the validating Unbound (our stub, CD=1) and one in
front of the non-validating Unbound (``delv``, which validates itself), warms
both Unbound caches, then for each lookup reports queries and wall time of
our cold stub lookup, of ``delv +vtrace`` (its ``;; fetch:`` lines and the
queries the proxy saw), and of our iterative mode (straight to the NSD
servers, no added latency).

The ``--cache-hit`` form times a lookup answered from the cache (a name and
type asked before, within its TTL): ``Resolver.resolve`` (a validated
answer) against dnspython's ``dns.resolver.Resolver`` with an ``LRUCache``
(not validating), both filled from the same loopback test server, in the
same process, alternately (the order reversed every other round), with the
garbage collector off during each sample.  It prints the median time per hit
of each, the hits per second and the ratio.
"""

from __future__ import annotations

import subprocess
import sys
import time

from dnssec_lite.resolve import Resolver
from tests.helpers.zonesigner import NOW, Hierarchy
from tests.resolve.dnsserver import serving

#: Lookups of the --e2e run: (name, type).
E2E_LOOKUPS = [
    ("rsa.test.", "MX"),
    ("mail.rsa.test.", "A"),
    ("_25._tcp.mail.ed.test.", "TLSA"),
    ("nonexistent.ecdsa.test.", "A"),
]


def _rtt(elapsed: float, latency_ms: float) -> str:
    if latency_ms <= 0:
        return "no added latency"
    return f"{elapsed / (latency_ms / 1000):.2f} RTT ({latency_ms:g} ms each)"


def main(latency_ms: float = 20.0) -> None:
    h = Hierarchy()
    h["example.test."].add("mx 3600 IN MX 10 mail.example.test.", "mail 3600 IN A 192.0.2.25")
    h.sign()
    with serving(h, delay=max(latency_ms, 0.0) / 1000) as srv:
        for aggressive in (True, False):
            print(f"aggressive_nsec={aggressive}:")
            r = Resolver(
                [str(srv.server)],
                anchors=h.anchors(),
                clock=lambda: NOW,
                aggressive_nsec=aggressive,
            )
            for label, name, rrtype in (
                ("cold", "mx.example.test.", "MX"),
                ("warm", "mail.example.test.", "A"),
                ("nxdomain", "nope1.example.test.", "A"),
                # Covered by the NSEC records of the NXDOMAIN above (RFC 8198).
                ("nxdomain, same NSEC", "nope2.example.test.", "AAAA"),
            ):
                start = time.monotonic()
                answer = r.resolve(name, rrtype)
                elapsed = time.monotonic() - start
                print(
                    f"  {label}: {name} {rrtype} {answer.rcode_text} {answer.status.value}, "
                    f"{answer.queries} queries, {elapsed * 1000:.1f} ms = "
                    f"{_rtt(elapsed, latency_ms)}"
                )


def main_e2e(latency_ms: float = 20.0) -> None:
    from dnssec_lite.anchors.formats import load_anchors
    from tests.e2e.dnsenv import DnsEnv, LatencyProxy

    with DnsEnv() as env:
        anchors = load_anchors(str(env.anchor_path))
        for name, rrtype in E2E_LOOKUPS:  # warm both Unbound caches
            env.unbound_answer(name, rrtype, cd=True)
            env.delv(name, rrtype)
        with (
            LatencyProxy(("127.0.0.1", 0), env.unbound_addr, latency_ms) as ours_proxy,
            LatencyProxy(("127.0.0.1", 0), env.resolver_addr, latency_ms) as delv_proxy,
        ):
            print(f"latency {latency_ms:g} ms per query (proxy in front of Unbound)")
            for name, rrtype in E2E_LOOKUPS:
                stub = Resolver([f"{ours_proxy.addr[0]}:{ours_proxy.addr[1]}"], anchors=anchors)
                seen = ours_proxy.queries
                start = time.monotonic()
                answer = stub.resolve(name, rrtype)
                ours_s = time.monotonic() - start
                ours_wire = ours_proxy.queries - seen

                seen = delv_proxy.queries
                start = time.monotonic()
                delv = subprocess.run(
                    [
                        "delv", f"@{delv_proxy.addr[0]}", "-p", str(delv_proxy.addr[1]),
                        "-a", str(env.anchor_bind_path), "+root=.", "+vtrace", name, rrtype,
                    ],
                    capture_output=True, text=True, timeout=60, check=False,
                )  # fmt: skip
                delv_s = time.monotonic() - start
                delv_wire = delv_proxy.queries - seen
                text = delv.stdout + delv.stderr
                fetches = sum(1 for line in text.splitlines() if line.startswith(";; fetch:"))
                delv_status = "secure" if "fully validated" in text else "not secure"

                iterative = Resolver(
                    mode="iterative", anchors=anchors, root_hints=str(env.root_hints_path)
                )
                start = time.monotonic()
                it_answer = iterative.resolve(name, rrtype)
                it_s = time.monotonic() - start
                print(
                    f"{name} {rrtype}: ours {answer.status.value}, {answer.queries} queries "
                    f"({ours_wire} at the proxy), {ours_s * 1000:.1f} ms = "
                    f"{_rtt(ours_s, latency_ms)}; delv {delv_status}, {fetches} fetches "
                    f"({delv_wire} at the proxy), {delv_s * 1000:.1f} ms = "
                    f"{_rtt(delv_s, latency_ms)}; iterative {it_answer.status.value}, "
                    f"{it_answer.queries} queries, {it_s * 1000:.1f} ms"
                )


#: (name, type) pairs looked up in the cache-hit benchmark, each as a string.
HIT_LOOKUPS = [("mx.example.test.", "MX"), ("mail.example.test.", "A")]


def cache_hits(rounds: int = 9, count: int = 20_000) -> dict[str, float]:
    """Median seconds per cache hit of each resolver (see the module doc)."""
    import gc
    import statistics

    import dns.resolver

    h = Hierarchy()
    h["example.test."].add("mx 3600 IN MX 10 mail.example.test.", "mail 3600 IN A 192.0.2.25")
    h.sign()
    with serving(h) as srv:
        ours = Resolver([str(srv.server)], anchors=h.anchors(), clock=lambda: NOW)
        theirs = dns.resolver.Resolver(configure=False)
        theirs.nameservers = [srv.server.host]
        theirs.port = srv.server.port
        theirs.cache = dns.resolver.LRUCache()
        ticking = [float(NOW)]

        def tick() -> float:  # one second per call: every hit ages the answer
            ticking[0] += 1.0
            return ticking[0]

        aging = Resolver([str(srv.server)], anchors=h.anchors(), clock=tick)
        for name, rrtype in HIT_LOOKUPS:  # fill the caches
            for resolver in (ours, aging):
                answer = resolver.resolve(name, rrtype)
                if not answer.secure:
                    raise AssertionError(answer.summary())
            theirs.resolve(name, rrtype)
        filled = srv.queries

        def run_ours() -> None:
            resolve = ours.resolve
            for _ in range(count):
                for name, rrtype in HIT_LOOKUPS:
                    resolve(name, rrtype)

        def run_theirs() -> None:
            resolve = theirs.resolve
            for _ in range(count):
                for name, rrtype in HIT_LOOKUPS:
                    resolve(name, rrtype)

        def run_aging() -> None:  # a few hundred: TTLs are 3600 s
            resolve = aging.resolve
            for _ in range(200):
                for name, rrtype in HIT_LOOKUPS:
                    resolve(name, rrtype)
            ticking[0] = float(NOW)

        runs = {"dnssec_lite": run_ours, "dnspython": run_theirs, "aging": run_aging}
        sizes = {"dnssec_lite": count, "dnspython": count, "aging": 200}
        samples: dict[str, list[float]] = {k: [] for k in runs}
        for i in range(rounds):
            order = list(runs) if i % 2 == 0 else list(reversed(runs))
            for key in order:
                gc.disable()
                start = time.perf_counter()
                runs[key]()
                elapsed = time.perf_counter() - start
                samples[key].append(elapsed / (sizes[key] * len(HIT_LOOKUPS)))
                gc.enable()
        if srv.queries != filled:
            raise AssertionError(f"{srv.queries - filled} queries after the caches were filled")
    return {k: statistics.median(v) for k, v in samples.items()}


def main_cache_hit(rounds: int = 9) -> None:
    med = cache_hits(rounds)
    ours, theirs, aging = med["dnssec_lite"], med["dnspython"], med["aging"]
    print(
        f"cache hit: dnssec_lite {ours * 1e6:.2f} us ({1 / ours:,.0f}/s), "
        f"dnspython LRUCache {theirs * 1e6:.2f} us ({1 / theirs:,.0f}/s): "
        f"{theirs / ours:.1f}x faster; dnssec_lite with a new second on every "
        f"hit (TTLs counted down each time) {aging * 1e6:.2f} us ({1 / aging:,.0f}/s, "
        f"{theirs / aging:.1f}x)"
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "--cache-hit":
        main_cache_hit(int(args[1]) if len(args) > 1 else 9)
    elif args and args[0] == "--e2e":
        main_e2e(float(args[1]) if len(args) > 1 else 20.0)
    else:
        main(float(args[0]) if args else 20.0)
