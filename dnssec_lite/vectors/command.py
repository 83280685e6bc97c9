"""``dnssec-lite record NAME [TYPE] -o FILE``: resolve live and write the vector.

Takes every option of ``query`` (servers, anchors, ``--recursive``, root
hints, QNAME minimisation, timeout); prints the answer as ``query`` does
and exits with the same codes, after writing the vector (a vector of a
failed or bogus lookup is as useful as one of a secure lookup).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "cmd_record", "record_dane_check"]


def add_parser(subparsers: Any) -> None:
    """Register the ``record`` subcommand."""
    from ..cli import add_query_options

    parser: argparse.ArgumentParser = subparsers.add_parser(
        "record",
        help="resolve live and write every exchange and the result to a vector file",
        description="Resolve NAME/TYPE live, validate it, and write a replayable vector.",
    )
    add_query_options(parser)
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="vector to write")
    parser.add_argument("--description", default="", help="a sentence saying what it shows")
    parser.set_defaults(func=cmd_record)


def cmd_record(args: argparse.Namespace) -> int:
    from ..cli import (
        _EXIT_BY_STATUS,
        UsageError,
        answer_to_json,
        live_failure_hint,
        render_text,
        resolver_from_args,
    )
    from ..resolve.transport import Transport
    from .record import record_resolution

    out = Path(args.output)
    if not out.parent.is_dir():
        raise UsageError(f"-o: directory {str(out.parent)!r} does not exist")
    resolver = resolver_from_args(args)
    with Transport() as transport:
        answer, vector = record_resolution(
            resolver,
            args.name,
            args.type,
            transport,
            command=_command(args),
            description=args.description,
        )
    try:
        out.write_text(vector.dumps(), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"-o: cannot write {args.output}: {exc.strerror or exc}") from None
    if args.json:
        doc = answer_to_json(answer)
        doc["vector"] = args.output
        print(json.dumps(doc))
    else:
        print(render_text(answer, args.trace))
        print(f";; recorded {len(vector.exchanges)} exchanges to {args.output}")
    hint = live_failure_hint(answer)
    if hint is not None:
        print(f"error: {hint}", file=sys.stderr)
    return _EXIT_BY_STATUS[answer.status]


def _command(args: argparse.Namespace) -> list[str]:
    """The command line that makes this vector again (its provenance)."""
    argv = ["dnssec-lite", "record", args.name, args.type]
    for server in args.server or ():
        argv += ["--server", server]
    for flag, value in (("--anchors", args.anchors), ("--root-hints", args.root_hints)):
        if value:
            argv += [flag, value]
    argv += ["--recursive"] if args.recursive else []
    argv += ["--qname-min"] if args.qname_min else []
    argv += ["--timeout", f"{args.timeout:g}", "-o", args.output]
    return argv


def record_dane_check(args: argparse.Namespace, resolver: Any, ops: Any) -> Any:
    """``daneverify DOMAIN --record FILE``: the check, recorded; the report."""
    from ..cli import UsageError
    from ..dane.check import _smtp_probe
    from ..resolve.transport import Transport
    from .dane import record_dane

    out = Path(args.record)
    if not out.parent.is_dir():
        raise UsageError(f"--record: directory {str(out.parent)!r} does not exist")
    argv = ["dnssec-lite", "daneverify", args.domain, "--record", args.record]
    with Transport() as transport:
        report, vector = record_dane(
            args.domain,
            resolver,
            transport,
            _smtp_probe(args.ehlo, args.smtp_timeout),
            policy=args.policy,
            port=args.port,
            families=args.families,
            randomize_addresses=not args.fixed_order,
            ops=ops,
            command=argv,
        )
    try:
        out.write_text(vector.dumps(), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--record: cannot write {args.record}: {exc.strerror or exc}") from None
    return report
