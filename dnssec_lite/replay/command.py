"""``dnssec-lite replay FILE...``: replay recorded test vectors.

Three formats, detected from the content: dnssec-lite vectors (JSON,
docs/vectors.md; resolutions and DANE checks), Unbound/Deckard ``.rpl``
scenarios (Unbound's RFC 5011 ``autotrust_*.rpl`` ones played through the
trust-anchor state machine, :mod:`.autotrust`), and DNSViz probe output.
Output: one line per vector or scenario, ``PASS|FAIL|SKIP name: detail``
(one per query for a DNSViz file, which holds no expected result: a query
passes when it could be decided), then ``N passed, M failed``.  ``--json``
prints one JSON document instead.

Exit status: 0 when everything passed, 1 when anything failed (a file of
an unknown format counts as a failure), 64 for a usage error -- a missing
or unreadable file, a bad ``--at`` or ``--anchors`` -- reported on stderr
before anything is replayed.
"""

from __future__ import annotations

import argparse
import calendar
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..dnssec.trust import TrustAnchors
from ..errors import ConfigError, DnssecLiteError
from .harness import ScenarioResult, run_file
from .rpl import is_rpl

__all__ = ["FileReport", "add_parser", "bundled_vectors", "parse_time", "replay_paths", "run"]


def add_parser(subparsers: Any) -> None:
    """Register the ``replay`` subcommand on an argparse subparsers object."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "replay",
        help="replay recorded vectors (dnssec-lite JSON, .rpl, DNSViz probe output) offline",
        description="Replay recorded test vectors against the validator, with no network.",
        epilog="exit codes: 0 all passed, 1 something failed, 64 usage (unreadable file)",
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="vector files")
    parser.add_argument(
        "--bundled",
        action="store_true",
        help="replay the vectors shipped with the package (no network, no files needed)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--at",
        metavar="TIME",
        help="validate at TIME (POSIX seconds or YYYY-MM-DDTHH:MM:SSZ) instead of the recorded "
        "time",
    )
    parser.add_argument(
        "--anchors",
        metavar="FILE",
        help="trust anchors instead of the recorded ones (DNSViz files: instead of the bundled)",
    )
    parser.add_argument(
        "--graph", metavar="FILE", help="draw the chain checked (one vector of ours only)"
    )
    parser.add_argument(
        "-v", "--verbose", dest="steps", action="store_true", help="show every replayed step"
    )
    parser.set_defaults(func=run)


def parse_time(text: str) -> int:
    """POSIX seconds, or an ISO 8601 UTC time (``2026-12-01T19:00:00Z``)."""
    if text.isdigit():
        return int(text)
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return calendar.timegm(time.strptime(text, fmt))
        except ValueError:
            continue
    raise ValueError(f"bad time {text!r} (POSIX seconds or YYYY-MM-DDTHH:MM:SSZ)")


@dataclass
class FileReport:
    """What one file gave: its format and one (outcome, name, detail) per item."""

    path: str
    format: str
    items: list[tuple[str, str, str]] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    json_items: list[dict[str, object]] = field(default_factory=list)


def _usage(message: str) -> Exception:
    from ..cli import UsageError

    return UsageError(message)


def _read_all(paths: list[str]) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for path in paths:
        try:
            out.append((path, Path(path).read_bytes()))
        except OSError as exc:
            raise _usage(f"cannot read {path}: {exc.strerror or exc}") from None
    return out


def _vector_report(
    path: str, data: bytes, at: int | None, anchors: TrustAnchors | None, graph: str | None
) -> FileReport:
    from ..vectors.format import parse_vector
    from ..vectors.replay import replay_vector

    if _kind(data) == "dane":
        return _dane_report(path, data, at, anchors, graph)
    report = FileReport(path, "dnssec-lite")
    name = Path(path).name
    try:
        vector = parse_vector(data, path)
    except DnssecLiteError as exc:
        return _unreadable(report, name, exc)
    result = replay_vector(vector, path, at=at, anchors=anchors)
    if result.error is not None:
        detail = f"replay failed: {result.error}"
    elif result.mismatches:
        detail = "; ".join(result.mismatches)
    else:
        a = result.answer
        assert a is not None
        detail = f"{a.status.value} {a.rcode_text} {vector.question.to_text()}"
    if result.missing:
        detail += "; not in the vector: " + ", ".join(result.missing[:4])
        if len(result.missing) > 4:
            detail += f" (+{len(result.missing) - 4} more)"
    outcome = "PASS" if result.passed else "FAIL"
    report.items.append((outcome, name, detail))
    report.steps = list(result.steps)
    report.json_items.append(
        {
            "name": name,
            "outcome": outcome,
            "mismatches": list(result.mismatches),
            "missing": list(result.missing),
            "error": result.error,
            "status": None if result.answer is None else result.answer.status.value,
        }
    )
    if graph is not None and result.answer is not None:
        from ..vectors.graph import write_graph

        write_graph(result.answer, graph)
    return report


def _unreadable(report: FileReport, name: str, exc: DnssecLiteError) -> FileReport:
    """The report of a vector file that does not parse: one FAIL naming why."""
    report.items.append(("FAIL", name, f"unreadable vector: {exc}"))
    report.json_items.append({"name": name, "outcome": "FAIL", "error": str(exc)})
    return report


def _kind(data: bytes) -> str | None:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    kind = doc.get("kind") if isinstance(doc, dict) else None
    return kind if isinstance(kind, str) else None


def _dane_report(
    path: str, data: bytes, at: int | None, anchors: TrustAnchors | None, graph: str | None
) -> FileReport:
    from ..vectors.dane import parse_dane_vector, replay_dane

    report = FileReport(path, "dnssec-lite")
    name = Path(path).name
    try:
        vector = parse_dane_vector(data, path)
    except DnssecLiteError as exc:
        return _unreadable(report, name, exc)
    result = replay_dane(vector, path, at=at, anchors=anchors)
    if result.error is not None:
        detail = f"replay failed: {result.error}"
    elif result.mismatches:
        detail = "; ".join(result.mismatches)
    else:
        assert result.report is not None
        hosts = ", ".join(f"{n} {r}" for n, r, _ in vector.expected.hosts)
        domain = vector.domain.to_text().rstrip(".")
        detail = f"DANE {result.report.verdict.value.upper()} {domain}: {hosts}"
    if result.missing:
        detail += "; not in the vector: " + ", ".join(result.missing[:4])
    outcome = "PASS" if result.passed else "FAIL"
    report.items.append((outcome, name, detail))
    if result.report is not None:
        report.steps = list(result.report.transcript)
        if graph is not None:
            from ..vectors.graph import write_graph

            write_graph(result.report, graph)
    report.json_items.append(
        {
            "name": name,
            "kind": "dane",
            "outcome": outcome,
            "mismatches": list(result.mismatches),
            "missing": list(result.missing),
            "error": result.error,
            "verdict": None if result.report is None else result.report.verdict.value,
        }
    )
    return report


def _dnsviz_report(
    path: str, data: bytes, at: int | None, anchors: TrustAnchors | None
) -> FileReport:
    from ..anchors.formats import default_anchors
    from ..vectors.dnsviz import parse_dnsviz, validate_probe

    report = FileReport(path, "dnsviz")
    name = Path(path).name
    try:
        probe = parse_dnsviz(data, path)
    except DnssecLiteError as exc:
        report.items.append(("FAIL", name, f"unreadable DNSViz file: {exc}"))
        return report
    for verdict in validate_probe(probe, anchors or default_anchors(), at):
        outcome = "PASS" if verdict.decided else "FAIL"
        report.items.append((outcome, name, verdict.to_text()))
        report.json_items.append(verdict.to_json())
    return report


def _rpl_report(path: str) -> FileReport:
    result: ScenarioResult = run_file(path)
    report = FileReport(path, "rpl", [(result.outcome, result.name, result.reason)])
    report.json_items.append(result.to_json())
    for s in result.steps:
        mark = "ok" if s.passed else "FAIL"
        line = f"step {s.step}: {mark} expected {s.expected}, got {s.got} {s.rcode}"
        report.steps.append(line + (f": {s.reason}" if s.reason else ""))
    return report


def replay_paths(
    paths: list[str],
    *,
    at: int | None = None,
    anchors: TrustAnchors | None = None,
    graph: str | None = None,
) -> list[FileReport]:
    """Replay each file (read them all first: an unreadable one is a usage
    error, raised before anything runs)."""
    from ..vectors.dnsviz import is_dnsviz
    from ..vectors.format import is_vector

    reports: list[FileReport] = []
    for path, data in _read_all(paths):
        if is_vector(data):
            reports.append(_vector_report(path, data, at, anchors, graph))
        elif is_dnsviz(data):
            reports.append(_dnsviz_report(path, data, at, anchors))
        elif is_rpl(data):
            reports.append(_rpl_report(path))
        else:
            why = "unknown vector format (not a dnssec-lite vector, .rpl scenario or DNSViz file)"
            report = FileReport(path, "unknown", [("FAIL", Path(path).name, why)])
            report.json_items.append({"name": Path(path).name, "outcome": "FAIL", "error": why})
            reports.append(report)
    return reports


def bundled_vectors() -> list[str]:
    """Paths of the vectors shipped in the package (``dnssec_lite/vectors/data``)."""
    from importlib import resources

    folder = resources.files("dnssec_lite").joinpath("vectors", "data")
    return sorted(str(p) for p in folder.iterdir() if p.name.endswith(".json"))


def run(args: argparse.Namespace) -> int:
    """Run the ``replay`` subcommand; returns the exit status."""
    files = list(args.files)
    if getattr(args, "bundled", False):
        files += bundled_vectors()
    if not files:
        raise _usage("replay: give vector FILEs, or --bundled")
    args.files = files
    at = None
    if getattr(args, "at", None):
        try:
            at = parse_time(args.at)
        except ValueError as exc:
            raise _usage(f"--at: {exc}") from None
    anchors = None
    if getattr(args, "anchors", None):
        from ..anchors.formats import load_anchors

        try:
            anchors = load_anchors(args.anchors)
        except DnssecLiteError as exc:
            raise _usage(f"--anchors: {exc}") from None
    graph = getattr(args, "graph", None)
    if graph and len(args.files) != 1:
        raise _usage("--graph draws one vector: give one FILE")
    try:
        reports = replay_paths(list(args.files), at=at, anchors=anchors, graph=graph)
    except ConfigError as exc:
        if graph and exc.path == graph:
            raise _usage(f"--graph: {exc}") from None
        raise
    items = [item for r in reports for item in r.items]
    passed = sum(o == "PASS" for o, _, _ in items)
    failed = sum(o == "FAIL" for o, _, _ in items)
    skipped = sum(o == "SKIP" for o, _, _ in items)
    if getattr(args, "json", False):
        doc = {
            "files": [
                {"file": r.path, "format": r.format, "results": r.json_items} for r in reports
            ],
            "passed": passed,
            "failed": failed,
            "skipped": skipped,
        }
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for r in reports:
            for outcome, name, detail in r.items:
                print(f"{outcome} {name}: {detail}")
            if getattr(args, "steps", False):
                for line in r.steps:
                    print(f"    {line}")
        summary = f"{passed} passed, {failed} failed"
        print(summary + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m dnssec_lite.replay.command``)."""
    from ..cli import main as cli_main

    return cli_main(["replay", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
