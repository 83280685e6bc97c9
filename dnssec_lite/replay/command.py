"""``dnssec-lite replay FILE...``: replay recorded test vectors.

The format of each file is detected from its content (``.rpl`` replay
scenarios today; Unbound's RFC 5011 ``autotrust_*.rpl`` scenarios are played
through the trust-anchor state machine, :mod:`.autotrust`).  Output: one
line per scenario, ``PASS|FAIL|SKIP name: reason``, then ``N passed, M
failed, K skipped``; ``--json`` prints one JSON document instead.  The exit
status is 1 if anything failed (an unreadable or unrecognised file counts as
a failure), else 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .harness import ScenarioResult, run_file
from .rpl import is_rpl

__all__ = ["add_parser", "replay_paths", "run"]


def add_parser(subparsers: Any) -> None:
    """Register the ``replay`` subcommand on an argparse subparsers object."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "replay",
        help="replay recorded DNSSEC test scenarios (.rpl) against the validator",
        description="Replay recorded DNSSEC test scenarios against the validator.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="scenario files")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("-v", "--verbose", action="store_true", help="show every checked step")
    parser.set_defaults(func=run)


def replay_paths(paths: list[str]) -> list[ScenarioResult]:
    """Replay each file; unreadable or unknown files give a FAIL result."""
    results: list[ScenarioResult] = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            results.append(ScenarioResult(path, "FAIL", f"cannot read: {exc.strerror or exc}"))
            continue
        if is_rpl(data):
            results.append(run_file(path))
        else:
            results.append(
                ScenarioResult(path, "FAIL", "unknown vector format (not a .rpl scenario)")
            )
    return results


def run(args: argparse.Namespace) -> int:
    """Run the ``replay`` subcommand; returns the exit status."""
    results = replay_paths(list(args.files))
    passed = sum(r.outcome == "PASS" for r in results)
    failed = sum(r.outcome == "FAIL" for r in results)
    skipped = sum(r.outcome == "SKIP" for r in results)
    if getattr(args, "json", False):
        doc = {
            "results": [r.to_json() for r in results],
            "passed": passed,
            "failed": failed,
            "skipped": skipped,
        }
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for r in results:
            print(f"{r.outcome} {r.name}: {r.reason}")
            if getattr(args, "verbose", False):
                for s in r.steps:
                    mark = "ok" if s.passed else "FAIL"
                    line = f"    step {s.step}: {mark} expected {s.expected}, got {s.got} {s.rcode}"
                    print(line + (f": {s.reason}" if s.reason else ""))
        print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m dnssec_lite.replay.command``)."""
    parser = argparse.ArgumentParser(prog="dnssec-lite")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
