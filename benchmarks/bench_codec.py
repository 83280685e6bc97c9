"""Codec speed, import time and memory: dnssec_lite against dnspython and dnslib.

Run from the repository root: ``python -m benchmarks.bench_codec`` (add
``--quick`` for a short run).  Decoding and encoding are timed on the
workload of :mod:`benchmarks.workload`, the three libraries alternating
round by round so that machine noise hits them alike; each figure is the
best round (seconds per pass over the whole workload).  Import time is the
wall time of a fresh interpreter running the import minus that of a bare
interpreter (``python -c pass``), best of N.  Memory is the tracemalloc peak
of the import in a fresh interpreter, and of holding the decoded workload.
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import dns.message  # noqa: E402
import dnslib  # noqa: E402

from benchmarks.workload import build  # noqa: E402
from dnssec_lite.wire.message import Message  # noqa: E402

Timer = Callable[[], object]


def _rounds(contenders: dict[str, Timer], rounds: int, inner: int) -> dict[str, float]:
    """Best seconds per call of each contender, alternating the order."""
    best = {name: float("inf") for name in contenders}
    names = list(contenders)
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            fn = contenders[name]
            gc.collect()
            start = time.perf_counter()
            for _ in range(inner):
                fn()
            best[name] = min(best[name], (time.perf_counter() - start) / inner)
    return best


def _decode_timers(wires: list[bytes]) -> dict[str, Timer]:
    def ours() -> None:
        for w in wires:
            Message.from_wire(w)

    def dnspython() -> None:
        for w in wires:
            dns.message.from_wire(w)

    def dnslib_() -> None:
        for w in wires:
            dnslib.DNSRecord.parse(w)

    return {"dnssec_lite": ours, "dnspython": dnspython, "dnslib": dnslib_}


def _encode_timers(wires: list[bytes]) -> dict[str, Timer]:
    ours_msgs = [Message.from_wire(w) for w in wires]
    their_msgs = [dns.message.from_wire(w) for w in wires]
    lib_msgs = [dnslib.DNSRecord.parse(w) for w in wires]

    def ours() -> None:
        for m in ours_msgs:
            m.to_wire()

    def dnspython() -> None:
        for m in their_msgs:
            m.to_wire()

    def dnslib_() -> None:
        for m in lib_msgs:
            m.pack()

    return {"dnssec_lite": ours, "dnspython": dnspython, "dnslib": dnslib_}


def _env(cached_bytecode: bool) -> dict[str, str]:
    """Child environment.  With ``cached_bytecode`` the children may write
    .pyc files, into a temporary prefix (not into the source tree), so after
    the first run every library imports from bytecode as an installed one
    does; without it nothing is written and the repository's modules are
    compiled on every start (site-packages keep their own .pyc)."""
    env = dict(os.environ)
    if cached_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = _PYCACHE
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return env


_PYCACHE = tempfile.mkdtemp(prefix="bench-pycache-")


def _walls(codes: list[str], runs: int, env: dict[str, str]) -> list[float]:
    """Best wall time (s) of a fresh interpreter running each of ``codes``,
    interleaved round by round so that load changes hit all of them alike."""
    best = [float("inf")] * len(codes)
    for r in range(runs + 1):  # the first round may write bytecode
        for i, code in enumerate(codes):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env)
            if r:
                best[i] = min(best[i], time.perf_counter() - start)
    return best


def _import_peak(statement: str) -> int:
    code = (
        "import tracemalloc; tracemalloc.start(); "
        f"{statement}; print(tracemalloc.get_traced_memory()[1])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_env(True),
    )
    return int(out.stdout.strip())


def _holding_peak(decode: Callable[[bytes], object], wires: list[bytes], copies: int) -> int:
    gc.collect()
    tracemalloc.start()
    kept = [decode(w) for _ in range(copies) for w in wires]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del kept
    return peak


IMPORTS = {
    "dnssec_lite": "import dnssec_lite",
    "dnssec_lite (codec + zone text + dnssec)": (
        "import dnssec_lite, dnssec_lite.wire.zonefile, dnssec_lite.dnssec"
    ),
    "dnspython (dns.resolver, dns.dnssec)": "import dns.resolver, dns.dnssec",
    "dnslib": "import dnslib",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args()
    rounds, inner, runs = (5, 20, 5) if args.quick else (15, 50, 15)

    workload = build()
    wires = list(workload.values())
    total = sum(len(w) for w in wires)
    print(f"workload: {len(wires)} responses, {total} octets: " + ", ".join(
        f"{k} {len(v)}" for k, v in workload.items()
    ))  # fmt: skip
    print(
        f"python {sys.version.split()[0]}, dnspython {dns.version.version}, dnslib {dnslib.version}"
    )

    for title, timers in (
        ("from_wire", _decode_timers(wires)),
        ("to_wire", _encode_timers(wires)),
    ):
        best = _rounds(timers, rounds, inner)
        ours = best["dnssec_lite"]
        print(f"\n{title} (best of {rounds} rounds x {inner} passes, µs per pass / per message)")
        for name, value in best.items():
            ratio = value / ours
            print(
                f"  {name:12} {value * 1e6:9.1f} µs  {value * 1e6 / len(wires):7.1f} µs/msg"
                f"  {'' if name == 'dnssec_lite' else f'dnssec_lite is {ratio:.2f}x faster'}"
            )

    print("\nper message kind, from_wire (µs): dnssec_lite / dnspython / dnslib")
    for kind, wire in workload.items():
        best = _rounds(_decode_timers([wire]), max(3, rounds // 3), inner * 2)
        print(
            f"  {kind:9} {best['dnssec_lite'] * 1e6:7.1f} / {best['dnspython'] * 1e6:7.1f} / "
            f"{best['dnslib'] * 1e6:7.1f}   ({best['dnspython'] / best['dnssec_lite']:.1f}x, "
            f"{best['dnslib'] / best['dnssec_lite']:.1f}x)"
        )

    for cached in (True, False):
        env = _env(cached)
        bare, *walls = _walls(["pass", *IMPORTS.values()], runs, env)
        how = "bytecode cached" if cached else "repository modules compiled at each start"
        print(
            f"\nimport time added to a bare interpreter start ({bare * 1e3:.1f} ms), "
            f"best of {runs}, {how}:"
        )
        for (name, statement), wall in zip(IMPORTS.items(), walls, strict=True):
            extra = wall - bare
            peak = _import_peak(statement) if cached else 0
            mem = f"   tracemalloc peak {peak / 1024:7.0f} KiB" if cached else ""
            print(f"  {name:42} {extra * 1e3:6.1f} ms{mem}")

    copies = 20
    print(f"\nmemory holding the decoded workload x{copies} (tracemalloc peak):")
    for name, decode in (
        ("dnssec_lite", Message.from_wire),
        ("dnspython", dns.message.from_wire),
        ("dnslib", dnslib.DNSRecord.parse),
    ):
        peak = _holding_peak(decode, wires, copies)
        print(f"  {name:12} {peak / 1024:7.0f} KiB")


if __name__ == "__main__":
    main()
