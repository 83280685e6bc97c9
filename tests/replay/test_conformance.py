"""Replay every peer scenario (except RFC 5011 ones) against the validator.

(a) no scenario may get SECURE where bogus or insecure is expected;
(b) every scenario that does not pass is listed in known_failures.txt, and
    every listed one still does not pass (the list only shrinks);
(c) the pass rate is reported (and must not fall below the floor).
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from dnssec_lite.replay.harness import ScenarioResult, run_file

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "vectors" / "peer"
KNOWN = Path(__file__).with_name("known_failures.txt")
#: Pass-rate floor (fraction of the non-autotrust scenarios).
FLOOR = 0.97


def scenario_files() -> list[str]:
    with (VECTORS / "index.tsv").open(newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [f"{r['dir']}/{r['file']}" for r in rows if not r["file"].startswith("autotrust_")]


@functools.cache
def results() -> dict[str, ScenarioResult]:
    return {rel: run_file(VECTORS / rel) for rel in scenario_files()}


def known_failures() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in KNOWN.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, _, reason = line.partition("\t")
        out[name.strip()] = reason.strip()
    return out


def test_no_false_secure() -> None:
    bad = [
        f"{rel} step {s.step}: expected {s.expected}, got secure"
        for rel, res in results().items()
        for s in res.false_secures
    ]
    assert not bad, "false SECURE verdicts:\n" + "\n".join(bad)


def test_failures_are_known_and_known_failures_still_fail() -> None:
    known = known_failures()
    unexpected = [
        f"{rel}: {res.outcome} {res.reason}"
        for rel, res in results().items()
        if not res.passed and rel not in known
    ]
    fixed = [rel for rel in known if rel in results() and results()[rel].passed]
    stale = [rel for rel in known if rel not in results()]
    assert not unexpected, "new failures (fix or list them):\n" + "\n".join(unexpected)
    assert not fixed, "now passing, remove from known_failures.txt:\n" + "\n".join(fixed)
    assert not stale, "listed but not a scenario:\n" + "\n".join(stale)


def test_pass_rate() -> None:
    res = results()
    passed = sum(r.passed for r in res.values())
    rate = passed / len(res)
    print(f"conformance: {passed}/{len(res)} scenarios pass ({rate:.1%})")
    assert len(res) == 221
    assert rate >= FLOOR
