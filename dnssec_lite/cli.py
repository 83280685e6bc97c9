"""The ``dnssec-lite`` command line.

Exit codes (every subcommand):

* 0 -- a validated answer: SECURE, or INSECURE (provably unsigned);
* 1 -- BOGUS: the answer failed validation;
* 2 -- failure to resolve, or INDETERMINATE (no answer, no trust anchor,
  every upstream strips DNSSEC);
* 64 -- usage error (bad arguments, unreadable anchor file), as EX_USAGE.

``daneverify`` (:mod:`dnssec_lite.cli_dane`) has its own exit codes: 0
SUCCESS, 1 FAILED, 3 FALLBACK_TLS, 2 error, 64 usage.

More subcommands live in the modules of ``_COMMAND_MODULES`` (``daneverify``
in :mod:`dnssec_lite.cli_dane`, ``replay`` in :mod:`dnssec_lite.replay.command`,
``anchors`` in :mod:`dnssec_lite.cli_anchors`, ``record`` in
:mod:`dnssec_lite.vectors.command`); each is registered when its module is
installed (they are optional, so only a module's absence -- ImportError -- is
tolerated).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from . import __version__
from .cli_options import add_resolver_options, build_resolver, resolver_settings
from .dnssec.status import Answer, Status
from .errors import DnssecLiteError
from .resolve.resolution import Resolution
from .wire.types import RRType

EXIT_OK = 0
EXIT_BOGUS = 1
EXIT_FAIL = 2
EXIT_USAGE = 64

_EXIT_BY_STATUS = {
    Status.SECURE: EXIT_OK,
    Status.INSECURE: EXIT_OK,
    Status.BOGUS: EXIT_BOGUS,
    Status.INDETERMINATE: EXIT_FAIL,
}


class UsageError(Exception):
    """Bad arguments: printed as one line, exit code 64."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="dnssec-lite",
        description="DNSSEC-validating stub resolver.",
        epilog="exit codes: 0 secure or insecure, 1 bogus, 2 failure/indeterminate, 64 usage",
    )
    parser.add_argument("--version", action="version", version=f"dnssec-lite {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    q = sub.add_parser(
        "query",
        help="resolve and validate one name (like delv)",
        description="Resolve NAME/TYPE and validate it with DNSSEC.",
    )
    add_query_options(q)
    q.add_argument(
        "--graph",
        metavar="FILE",
        help="draw the checked chain: Graphviz DOT, or .svg/.png rendered with dot",
    )
    q.set_defaults(func=cmd_query)
    _add_optional_commands(sub)
    return parser


def add_query_options(q: argparse.ArgumentParser) -> None:
    """NAME, TYPE and every option of a lookup (shared by ``query`` and ``record``)."""
    q.add_argument("name", metavar="NAME")
    q.add_argument("type", metavar="TYPE", nargs="?", default="A")
    add_resolver_options(q)
    q.add_argument(
        "--qname-min",
        action="store_true",
        help="QNAME minimisation, RFC 9156 (with --recursive)",
    )
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.add_argument("--trace", action="store_true", help="show the chain and every query")
    q.add_argument("-v", "--verbose", action="store_true", help="debug log of every query")


#: Modules that add a subcommand (``add_parser(sub)``), in help order.
_COMMAND_MODULES = (
    "dnssec_lite.cli_dane",
    "dnssec_lite.replay.command",
    "dnssec_lite.cli_anchors",
    "dnssec_lite.vectors.command",
)


def _add_optional_commands(sub: Any) -> None:
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # that subcommand is not installed: nothing to register
            raise
        module.add_parser(sub)


def answer_to_json(answer: Answer) -> dict[str, object]:
    q = answer.question
    reason = None
    if answer.reason is not None:
        reason = {"ede": answer.reason.ede, "text": answer.reason.text}
    return {
        "name": q.name.to_text(),
        "type": RRType.to_text(q.rrtype),
        "status": answer.status.value,
        "rcode": answer.rcode_text,
        "records": [rr.to_text() for rrset in answer.rrsets for rr in rrset.rrs()],
        "reason": reason,
        "chain": [
            {
                "zone": link.zone.to_text(),
                "status": link.status.value,
                "ds": [str(k) for k in link.ds],
                "dnskeys": [str(k) for k in link.dnskeys],
                "proof": link.proof,
            }
            for link in answer.chain
        ],
        "queries": answer.resolution.queries
        if isinstance(answer.resolution, Resolution)
        else answer.queries,
    }


def status_line(answer: Answer) -> str:
    """delv's status line: ``; fully validated``, ``; unsigned answer``
    (``; negative response, ...`` for NXDOMAIN and NODATA), or why not."""
    negative = "negative response, " if _negative(answer) else ""
    if answer.status is Status.SECURE:
        return f"; {negative}fully validated"
    if answer.status is Status.INSECURE:
        line = f"; {negative}unsigned answer"
        return line + (f" ({answer.reason.text})" if answer.reason else "")
    if answer.status is Status.BOGUS:
        return f"; validation failed: {answer.reason}"
    return f"; resolution failed: {answer.reason}"


def _negative(answer: Answer) -> bool:
    return answer.rcode_text == "NXDOMAIN" or (
        answer.rcode_text == "NOERROR" and not any(len(r) for r in answer.rrsets)
    )


def render_text(answer: Answer, trace: bool) -> str:
    lines: list[str] = []
    if trace:
        lines.append(f";; question: {answer.question.to_text()}")
        res = answer.resolution
        if isinstance(res, Resolution):
            if res.cache is not None:
                lines.append(f";; from the {res.cache} cache")
            lines += [f";; query {line}" for line in res.trace()]
        for link in answer.chain:
            lines.append(f";; chain {link.to_text()}")
        lines.append(f";; {answer.queries} queries, ttl {answer.ttl}")
    lines.append(status_line(answer))
    if answer.rcode_text != "NOERROR":
        lines.append(f";; rcode {answer.rcode_text}")
    for rrset in answer.rrsets:
        lines += [rr.to_text() for rr in rrset.rrs()]
    if trace:
        for rrset in answer.denial:
            lines += [f";; denial {rr.to_text()}" for rr in rrset.rrs()]
    return "\n".join(lines)


def resolver_from_args(args: argparse.Namespace, fetcher: Any = None) -> Any:
    """The :class:`~dnssec_lite.resolve.resolver.Resolver` the lookup options
    ask for; raises UsageError for a bad name, type, option or anchor file."""
    from .resolve.resolver import Resolver
    from .wire.name import Name

    try:
        Name.from_text(args.name)
    except DnssecLiteError as exc:
        raise UsageError(f"bad name: {exc}") from None
    try:
        RRType.from_text(args.type)
    except ValueError:
        raise UsageError(f"unknown record type {args.type!r}") from None
    if args.qname_min and not args.recursive:
        raise UsageError("--qname-min needs --recursive")
    settings = resolver_settings(args)
    return build_resolver(Resolver, settings, qname_minimisation=args.qname_min, fetcher=fetcher)


def live_failure_hint(answer: Answer) -> str | None:
    """What to try when a live lookup could not work at all: every upstream
    failed or stripped DNSSEC (None when the answer is not that case)."""
    res = answer.resolution
    if answer.status is not Status.INDETERMINATE or not isinstance(res, Resolution):
        return None
    tried = res.upstreams or res.asked
    if not tried or res.cache is not None:
        return None
    answered = {e.server for e in res.exchanges if e.rcode is not None}
    if answered - set(res.stripping):
        return None  # a server answered with DNSSEC: the failure is the zone's
    if res.stripping:
        what = "the only resolvers that answered strip DNSSEC"
        if len(res.stripping) == 1:
            what = f"the only resolver that answered ({next(iter(res.stripping))}) strips DNSSEC"
    else:
        what = "no server answered (" + ", ".join(str(s) for s in tried[:3]) + ")"
    return (
        f"no validation possible: {what}; try --server ADDR (a resolver that passes DNSSEC "
        "records), --recursive (resolve from the root), or replay a recorded vector offline "
        "(dnssec-lite replay FILE)"
    )


def cmd_query(args: argparse.Namespace) -> int:
    resolver = resolver_from_args(args)
    answer = resolver.resolve(args.name, args.type)
    if args.graph:
        from .vectors.graph import write_graph

        write_graph(answer, args.graph)
    if args.json:
        print(json.dumps(answer_to_json(answer)))
    else:
        print(render_text(answer, args.trace))
    hint = live_failure_hint(answer)
    if hint is not None:
        print(f"error: {hint}", file=sys.stderr)
    return _EXIT_BY_STATUS[answer.status]


def _wants_json(argv: Sequence[str] | None) -> bool:
    """Whether the command line asked for JSON (read raw: it may not have parsed)."""
    return "--json" in (sys.argv[1:] if argv is None else argv)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is None:
            parser.print_usage(sys.stderr)
            return EXIT_USAGE
        if getattr(args, "verbose", False):
            logging.basicConfig(level=logging.DEBUG, format="%(levelname)s: %(name)s: %(message)s")
        code = args.func(args)
        return int(code)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if _wants_json(argv):
            print(json.dumps({"error": {"kind": "usage", "text": str(exc)}}))
        return EXIT_USAGE
    except DnssecLiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if _wants_json(argv):
            print(json.dumps({"error": {"kind": type(exc).__name__, "text": str(exc)}}))
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
