"""``dnssec-lite daneverify``: the SMTP DANE check of one mail domain.

It prints the transcript of :mod:`dnssec_lite.dane.policy` line by line (the
reference's line formats, plus indented reason lines where we know more), or
with ``--json`` the report's one JSON object.

Exit codes: 0 DANE SUCCESS; 1 FAILED (mail must stay queued); 3
FALLBACK_TLS (DANE does not apply: ordinary TLS under the opportunistic
policy); 2 the check could not run (an error naming its cause); 64 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .dane.report import Verdict
from .errors import DnssecLiteError

EXIT_SUCCESS = 0
EXIT_FAILED = 1
EXIT_ERROR = 2
EXIT_FALLBACK = 3

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
            "3 fallback to ordinary TLS (DANE does not apply), 2 error, 64 usage"
        ),
    )
    p.add_argument("domain", metavar="DOMAIN")
    p.add_argument(
        "--server",
        "-s",
        action="append",
        metavar="ADDR[:PORT]",
        help="upstream resolver (repeat for failover order); default: /etc/resolv.conf",
    )
    p.add_argument("--anchors", metavar="FILE", help="trust anchors (DS/DNSKEY zone file or XML)")
    p.add_argument("--recursive", action="store_true", help="resolve iteratively from the root")
    p.add_argument("--root-hints", metavar="FILE", help="root hints file (with --recursive)")
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
        "--timeout",
        type=float,
        default=2.0,
        metavar="S",
        help="DNS per-try timeout in seconds (default 2; doubles per retry round, up to 4x)",
    )
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
        "-v", "--verbose", action="store_true", help="debug log of every DNS query and SMTP step"
    )
    p.set_defaults(func=cmd_daneverify, families=(4, 6))


def _usage(message: str) -> Exception:
    from .cli import UsageError

    return UsageError(message)


def cmd_daneverify(args: argparse.Namespace) -> int:
    from .anchors.formats import load_anchors
    from .dane.check import check_smtp
    from .resolve.resolver import Resolver
    from .wire.name import Name

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
    if args.root_hints and not args.recursive:
        raise _usage("--root-hints needs --recursive")
    anchors = None
    if args.anchors:
        try:
            anchors = load_anchors(args.anchors)
        except DnssecLiteError as exc:
            raise _usage(f"--anchors: {exc}") from None
    try:
        resolver = Resolver(
            servers=args.server,
            anchors=anchors,
            mode="iterative" if args.recursive else "stub",
            timeout=args.timeout,
            root_hints=args.root_hints,
        )
    except (ValueError, OSError) as exc:
        raise _usage(str(exc)) from None
    report = check_smtp(
        domain,
        resolver,
        policy=args.policy,
        port=args.port,
        ehlo=args.ehlo,
        timeout=args.smtp_timeout,
        families=args.families,
        randomize_addresses=not args.fixed_order,
    )
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        sys.stdout.write("".join(line + "\n" for line in report.transcript))
    return EXIT_BY_VERDICT[report.verdict]
