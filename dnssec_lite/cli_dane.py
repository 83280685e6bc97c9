"""``dnssec-lite daneverify``: the SMTP DANE check of one mail domain.

It prints the transcript of :mod:`dnssec_lite.dane.policy` line by line (the
reference's line formats, plus indented reason lines where we know more), or
with ``--json`` the report's one JSON object.

Exit codes: 0 DANE SUCCESS; 1 FAILED (mail must stay queued); 3
FALLBACK_TLS (DANE does not apply: ordinary TLS under the opportunistic
policy); 2 the check could not run (an error naming its cause); 64 usage.
In monitoring use (``--survey``, ``--days``, ``--from-file``) a check whose
verdict is SUCCESS but that has warnings (expiry within the horizon, rollover
not ready, ...) exits 4; a bulk run exits with the worst code of its domains
(1, then 2, then 3, then 4, then 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from .cli_options import add_resolver_options, build_resolver, resolver_settings
from .dane.report import DaneReport, Verdict
from .errors import DnssecLiteError

EXIT_SUCCESS = 0
EXIT_FAILED = 1
EXIT_ERROR = 2
EXIT_FALLBACK = 3
EXIT_WARNINGS = 4
#: Which exit code of a bulk run's domains wins.
_WORST = (EXIT_FAILED, EXIT_ERROR, EXIT_FALLBACK, EXIT_WARNINGS, EXIT_SUCCESS)

EXIT_BY_VERDICT = {
    Verdict.SUCCESS: EXIT_SUCCESS,
    Verdict.FAILED: EXIT_FAILED,
    Verdict.FALLBACK_TLS: EXIT_FALLBACK,
}


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "daneverify",
        help="check SMTP DANE for a mail domain (MX, A/AAAA, TLSA, STARTTLS)",
        description=(
            "Look up the MX, A/AAAA and TLSA records of DOMAIN with DNSSEC validation, "
            "probe the MX hosts with STARTTLS and match their certificates against TLSA "
            "(RFC 7672). No mail is sent."
        ),
        epilog=(
            "exit codes: 0 DANE success, 1 DANE failed (hold the mail), "
            "3 fallback to ordinary TLS (DANE does not apply), 2 error, 64 usage; "
            "with --survey, --days or --from-file: 4 success with warnings (expiry within "
            "the horizon, rollover not ready, ...); a bulk run exits with its worst code "
            "(1 > 2 > 3 > 4 > 0)"
        ),
    )
    p.add_argument("domain", metavar="DOMAIN", nargs="?")
    p.add_argument(
        "--survey",
        action="store_true",
        help="check every address of every MX host, per server key type; the verdict is "
        "the worst over the DANE hosts' addresses",
    )
    p.add_argument(
        "--days",
        type=int,
        metavar="N",
        help="warn about signatures and certificates that stop validating within N days",
    )
    p.add_argument(
        "--strict-addresses",
        action="store_true",
        help="with --survey: special-purpose MX addresses (loopback, private, ...) are unusable",
    )
    p.add_argument("--from-file", metavar="FILE", help="check every domain listed in FILE")
    p.add_argument(
        "--jobs", type=int, default=8, metavar="N", help="domains in flight with --from-file"
    )
    p.add_argument(
        "--connections",
        type=int,
        metavar="N",
        help="SMTP sessions open at once with --from-file (default 2 x --jobs; one per address)",
    )
    p.add_argument(
        "--json-lines", action="store_true", help="with --from-file: one JSON object per domain"
    )
    add_resolver_options(
        p,
        timeout_help="DNS per-try timeout in seconds (default 2; doubles per retry round, "
        "up to 4x)",
    )
    p.add_argument(
        "--policy",
        choices=("opportunistic", "mandatory"),
        default="opportunistic",
        help="opportunistic: DANE where published, else ordinary TLS (default); "
        "mandatory: anything but DANE success fails",
    )
    p.add_argument("--port", type=int, default=25, help="SMTP port (default 25)")
    p.add_argument("--ehlo", metavar="NAME", help="EHLO name (default: this host's name)")
    p.add_argument(
        "--smtp-timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="timeout of each SMTP step (connect, greeting, EHLO, STARTTLS, handshake); default 10",
    )
    p.add_argument("-4", dest="families", action="store_const", const=(4,), help="IPv4 only")
    p.add_argument("-6", dest="families", action="store_const", const=(6,), help="IPv6 only")
    p.add_argument(
        "--fixed-order",
        action="store_true",
        help="try a host's addresses in ascending order (IPv4 first) instead of at random",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--record",
        metavar="FILE",
        help="also write the whole check (DNS exchanges, SMTP sessions, verdict) to a vector "
        "that `dnssec-lite replay FILE` checks offline",
    )
    p.add_argument(
        "-v", "--verbose", action="store_true", help="debug log of every DNS query and SMTP step"
    )
    p.set_defaults(func=cmd_daneverify, families=(4, 6))


def _usage(message: str) -> Exception:
    from .cli import UsageError

    return UsageError(message)


def exit_code(report: DaneReport, monitoring: bool) -> int:
    """The exit code of one check: by verdict; 4 for a success with warnings
    when monitoring."""
    code = EXIT_BY_VERDICT[report.verdict]
    if monitoring and code == EXIT_SUCCESS and report.warnings:
        return EXIT_WARNINGS
    return code


def worst(codes: list[int]) -> int:
    """A bulk run's exit code: the worst of its domains'."""
    return min(codes, key=_WORST.index) if codes else EXIT_SUCCESS


def read_domains(path: str) -> list[str]:
    """Domains one per line; blank lines and ``#`` comments are skipped."""
    from .wire.name import Name

    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise _usage(f"--from-file: cannot read {path}: {exc}") from None
    domains: list[str] = []
    for number, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            name = Name.from_text(text)
        except DnssecLiteError as exc:
            raise _usage(f"{path} line {number}: bad domain {text!r}: {exc}") from None
        if name.is_root():
            raise _usage(f"{path} line {number}: the domain must not be the root")
        domains.append(text)
    return domains


def cmd_daneverify(args: argparse.Namespace) -> int:
    from .dane.check import check_smtp
    from .dane.ops import OpsOptions
    from .resolve.resolver import Resolver
    from .wire.name import Name

    if (args.domain is None) == (args.from_file is None):
        raise _usage("give one DOMAIN or --from-file FILE")
    if args.strict_addresses and not args.survey:
        raise _usage("--strict-addresses needs --survey")
    if args.days is not None and args.days < 0:
        raise _usage(f"--days must be 0 or more, not {args.days}")
    if args.jobs < 1 or (args.connections is not None and args.connections < 1):
        raise _usage("--jobs and --connections must be 1 or more")
    if args.record and args.from_file:
        raise _usage("--record writes one domain's check; not with --from-file")
    if args.json_lines and not args.from_file:
        raise _usage("--json-lines needs --from-file")
    if args.json and args.from_file:
        raise _usage("--json prints one domain's object; use --json-lines with --from-file")
    domain = None
    if args.domain is not None:
        try:
            domain = Name.from_text(args.domain)
        except DnssecLiteError as exc:
            raise _usage(f"bad domain {args.domain!r}: {exc}") from None
        if domain.is_root():
            raise _usage("the domain must not be the root")
    if not 0 < args.port < 65536:
        raise _usage(f"--port must be 1-65535, not {args.port}")
    if args.timeout <= 0 or args.smtp_timeout <= 0:
        raise _usage("--timeout and --smtp-timeout must be positive")
    settings = resolver_settings(args)
    ops = OpsOptions(args.survey, args.days, args.strict_addresses)
    monitoring = args.survey or args.days is not None or args.from_file is not None
    kw: dict[str, Any] = {
        "policy": args.policy,
        "port": args.port,
        "ehlo": args.ehlo,
        "timeout": args.smtp_timeout,
        "families": args.families,
        "randomize_addresses": not args.fixed_order,
        "ops": ops,
    }
    if args.from_file is not None:
        domains = read_domains(args.from_file)
        return asyncio.run(_bulk(args, settings, domains, kw))
    resolver = build_resolver(Resolver, settings)
    assert domain is not None
    if args.record:
        from .vectors.command import record_dane_check

        report = record_dane_check(args, resolver, ops)
    else:
        report = check_smtp(domain, resolver, **kw)
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        lines = report.transcript + (report.survey_lines if monitoring else [])
        sys.stdout.write("".join(line + "\n" for line in lines))
    return exit_code(report, monitoring)


def _summary_line(report: Any) -> str:
    if not isinstance(report, DaneReport):
        return f"{report.domain}: error: {report.error}"
    counts = f"{len(report.failures)} failures, {len(report.warnings)} warnings"
    codes = sorted({f.code.value for f in report.findings if f.severity.value != "notice"})
    tail = f" [{', '.join(codes)}]" if codes else ""
    return f"{report.to_json()['domain']}: {report.verdict.value} ({counts}){tail}"


async def _bulk(
    args: argparse.Namespace, settings: dict[str, Any], domains: list[str], kw: Any
) -> int:
    from .dane.bulk import check_many
    from .resolve.resolver import AsyncResolver

    resolver = build_resolver(AsyncResolver, settings)
    counts: dict[str, int] = {}
    codes: list[int] = []
    async for report in check_many(
        domains, resolver, jobs=args.jobs, connections=args.connections, **kw
    ):
        if isinstance(report, DaneReport):
            code = exit_code(report, True)
            verdict = report.verdict.value
            if code == EXIT_WARNINGS:
                verdict += "-with-warnings"
        else:
            code, verdict = EXIT_ERROR, "error"
        counts[verdict] = counts.get(verdict, 0) + 1
        codes.append(code)
        if args.json_lines:
            print(json.dumps(report.to_json()), flush=True)
        else:
            print(_summary_line(report), flush=True)
    total = ", ".join(f"{v} {n}" for v, n in sorted(counts.items()))
    summary = f"checked {len(codes)} domains: {total or 'none'}"
    print(summary, file=sys.stderr if args.json_lines else sys.stdout)
    return worst(codes)
