"""The resolver options shared by the commands that look names up (``query``,
``daneverify``, ``anchors update``): ``--server``, ``--anchors``,
``--recursive``, ``--root-hints`` and ``--timeout``, their checks, and the
resolver built from them -- one definition, so that the commands agree on
what each option means and how a bad value is reported."""

from __future__ import annotations

import argparse
from typing import Any, TypeVar

from .errors import DnssecLiteError

R = TypeVar("R")

TIMEOUT_HELP = (
    "per-try timeout in seconds (default 2; doubles each round over the servers, up to 4x)"
)


def _usage(message: str) -> Exception:
    from .cli import UsageError

    return UsageError(message)


def add_resolver_options(
    parser: argparse.ArgumentParser, *, anchors: bool = True, timeout_help: str = TIMEOUT_HELP
) -> None:
    """Add the shared options to ``parser`` (``--anchors`` unless the command
    takes its anchors elsewhere)."""
    parser.add_argument(
        "--server",
        "-s",
        action="append",
        metavar="ADDR[:PORT]",
        help="upstream resolver (repeat for failover order); default: /etc/resolv.conf",
    )
    if anchors:
        parser.add_argument(
            "--anchors", metavar="FILE", help="trust anchors (DS/DNSKEY zone file or XML)"
        )
    parser.add_argument(
        "--recursive", action="store_true", help="resolve iteratively from the root"
    )
    parser.add_argument("--root-hints", metavar="FILE", help="root hints file (with --recursive)")
    parser.add_argument("--timeout", type=float, default=2.0, metavar="S", help=timeout_help)


def resolver_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The resolver's keyword arguments from the shared options, the
    ``--anchors`` file read; raises the CLI's usage error naming the option."""
    if args.timeout <= 0:
        raise _usage("--timeout must be positive")
    if args.root_hints and not args.recursive:
        raise _usage("--root-hints needs --recursive")
    settings: dict[str, Any] = {
        "servers": args.server,
        "mode": "iterative" if args.recursive else "stub",
        "timeout": args.timeout,
        "root_hints": args.root_hints,
    }
    path = getattr(args, "anchors", None)
    if path:
        from .anchors.formats import load_anchors

        try:
            settings["anchors"] = load_anchors(path)
        except DnssecLiteError as exc:
            raise _usage(f"--anchors: {exc}") from None
    return settings


def build_resolver(cls: type[R], settings: dict[str, Any], **extra: Any) -> R:
    """``cls(**settings, **extra)`` (a Resolver or an AsyncResolver), a
    configuration it refuses reported as a usage error."""
    try:
        return cls(**settings, **extra)
    except (ValueError, OSError) as exc:
        raise _usage(str(exc)) from None


__all__ = ["add_resolver_options", "build_resolver", "resolver_settings"]
