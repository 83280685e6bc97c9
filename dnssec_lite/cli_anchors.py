"""``dnssec-lite anchors``: look after a trust-anchor store from the shell.

Subcommands (each takes ``--state DIR``, default
:func:`~dnssec_lite.anchors.store.default_state_dir`):

* ``status [--json]`` -- each trust point and key (tag, algorithm, state,
  since, hold-down end), last and next refresh, warnings;
* ``update [--server ADDR ...|--recursive [--root-hints FILE]]`` -- probe
  every trust point now, apply what validates, print the events;
* ``bootstrap [--from FILE]`` / ``reset`` -- start over from the bundled IANA
  root anchors (or FILE), replacing any state, even a corrupt one;
* ``import-unbound FILE`` / ``export-unbound FILE`` -- move to and from
  Unbound's auto-trust-anchor file (``-`` is standard output).

Exit codes as ``query``: 0 done (and every trust point trusts a key); 2 a
failure (a probe that failed or did not validate, a trust point trusting
nothing, a store that cannot be read or written -- the message names the
file); 64 usage (bad arguments, an input file that cannot be read).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from .anchors.formats import bundled_root_anchors, load_anchors
from .anchors.model import AnchorState, KeyState, Notice, TrackedKey, TrustPoint, key_id
from .anchors.rfc5011 import KEEP_MISSING, REMOVE_HOLDDOWN, problems
from .anchors.store import AnchorStore, default_state_dir
from .anchors.unbound import dumps_unbound, loads_unbound
from .cli_options import add_resolver_options, build_resolver, resolver_settings
from .dnssec.trust import TrustAnchors
from .errors import AnchorError, DnssecLiteError
from .wire.name import Name

if TYPE_CHECKING:
    from .resolve.anchoring import Refresh

__all__ = ["add_parser", "point_report", "warnings"]

EXIT_OK = 0
EXIT_FAIL = 2
#: Warn when the last successful refresh is older than this (seconds).
STALE_AFTER = 30 * 86400


def _usage(text: str) -> Exception:
    """The CLI's usage error (exit 64), imported late: no import cycle."""
    from .cli import UsageError

    return UsageError(text)


def add_parser(sub: Any) -> None:
    """Register ``anchors`` and its subcommands on the CLI's subparsers."""
    anchors = sub.add_parser(
        "anchors",
        help="manage the trust-anchor store (RFC 5011 state)",
        description="Inspect, refresh and initialise the trust-anchor store.",
        epilog="exit codes: 0 ok, 2 failure, 64 usage",
    )
    cmds = anchors.add_subparsers(dest="anchors_command", metavar="SUBCOMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = cmds.add_parser(
            name, help=help_text, description=help_text
        )
        parser.add_argument(
            "--state",
            metavar="DIR",
            help=f"store directory (default {default_state_dir()})",
        )
        return parser

    status = command("status", "show each trust point, its keys, timers and warnings")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.set_defaults(func=cmd_status)

    update = command("update", "probe every trust point now and apply what validates")
    add_resolver_options(update, anchors=False)
    update.add_argument("--json", action="store_true", help="print one JSON object")
    update.set_defaults(func=cmd_update)

    boot = command("bootstrap", "trust the bundled IANA root anchors (or FILE), from scratch")
    boot.add_argument("--from", dest="source", metavar="FILE", help="DS/DNSKEY or XML file")
    boot.set_defaults(func=cmd_bootstrap)

    reset = command("reset", "discard the state (even a corrupt one): bundled anchors again")
    reset.set_defaults(func=cmd_reset)

    imp = command("import-unbound", "replace trust points with those of an Unbound root.key")
    imp.add_argument("file", metavar="FILE")
    imp.set_defaults(func=cmd_import)

    exp = command("export-unbound", "write the state as an Unbound auto-trust-anchor file")
    exp.add_argument("file", metavar="FILE", help="'-' for standard output")
    exp.add_argument("--zone", default=".", help="the trust point (default the root)")
    exp.set_defaults(func=cmd_export)

    anchors.set_defaults(func=_missing_subcommand)


def _missing_subcommand(args: argparse.Namespace) -> int:
    raise _usage("dnssec-lite anchors: a subcommand is needed (status, update, bootstrap, ...)")


def _store(args: argparse.Namespace) -> AnchorStore:
    return AnchorStore(args.state) if args.state else AnchorStore()


def _now() -> int:
    return int(time.time())


def _utc(when: int) -> str | None:
    if not when:
        return None
    return dt.datetime.fromtimestamp(when, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- status ----------------------------------------------------------------------------


def _holddown_end(key: TrackedKey) -> int | None:
    """When the key's current hold-down ends (None: no hold-down running)."""
    if key.state is KeyState.ADDPEND:
        return key.since + key.add_holddown
    if key.state is KeyState.REVOKED:
        return key.since + REMOVE_HOLDDOWN
    if key.state is KeyState.MISSING:
        return key.since + KEEP_MISSING
    return None


def _key_report(key: TrackedKey) -> dict[str, object]:
    revoked = key.state in (KeyState.REVOKED, KeyState.REMOVED)
    return {
        "tag": key.tag,
        "published_tag": key.revoked_tag if revoked else key.tag,
        "algorithm": key.dnskey.algorithm,
        "state": key.state.name,
        "trusted": key.trusted,
        "since": _utc(key.since),
        "holddown_ends": _utc(end) if (end := _holddown_end(key)) else None,
        "sightings": key.sightings if key.state is KeyState.ADDPEND else None,
    }


def point_report(point: TrustPoint) -> dict[str, object]:
    """One trust point as the JSON of ``anchors status``."""
    return {
        "zone": point.zone.to_text(),
        "keys": [_key_report(k) for k in point.keys],
        "ds": [
            {"tag": d.key_tag, "algorithm": d.algorithm, "digest_type": d.digest_type}
            for d in point.ds
        ],
        "last_refresh": _utc(point.last_queried),
        "last_success": _utc(point.last_success),
        "next_refresh": None if point.all_revoked else (_utc(point.next_probe) or "now"),
        "failed_refreshes": point.query_failed,
    }


def warnings(state: AnchorState, published: TrustAnchors, now: int) -> list[str]:
    """What an operator should know: trust points trusting nothing, keys the
    published anchors list that the store does not track, stale refreshes,
    a clock behind the state."""
    out = list(problems(state).values())
    for zone, point in state.points.items():
        where = zone.to_text()
        anchor = published.anchors.get(zone)
        if anchor is not None and not point.all_revoked:
            tracked = {key_id(k.dnskey) for k in point.keys}
            for key in anchor.dnskeys:
                if key_id(key) not in tracked:
                    out.append(
                        f"{where}: the published anchors list key {key.key_tag}, which this "
                        "store does not track: run `dnssec-lite anchors update` (or bootstrap)"
                    )
        if point.last_success and now - point.last_success > STALE_AFTER:
            days = (now - point.last_success) // 86400
            out.append(f"{where}: no successful refresh for {days} days")
        if now < point.last_change:
            out.append(
                f"{where}: the clock is behind the state's last change ({_utc(point.last_change)})"
            )
    return out


def _key_line(key: TrackedKey) -> str:
    report = _key_report(key)
    text = f"  key {key.tag} alg {key.dnskey.algorithm} {key.state.name} since {report['since']}"
    if report["published_tag"] != key.tag:
        text += f" (published as {report['published_tag']})"
    if key.state is KeyState.ADDPEND:
        text += f", seen {key.sightings}x, add hold-down ends {report['holddown_ends']}"
    elif key.state is KeyState.REVOKED:
        text += f", removed after {report['holddown_ends']}"
    elif key.state is KeyState.MISSING:
        text += f", forgotten after {report['holddown_ends']}"
    return text


def cmd_status(args: argparse.Namespace) -> int:
    store = _store(args)
    state = store.load()
    now = _now()
    notes = warnings(state, store.published(now), now)
    if args.json:
        doc = {
            "store": str(store.path),
            "trust_points": [point_report(p) for p in state.points.values()],
            "warnings": notes,
        }
        print(json.dumps(doc))
    else:
        print(f"store: {store.path}")
        for point in state.points.values():
            report = point_report(point)
            last = report["last_refresh"] or "never"
            print(
                f"trust point {point.zone.to_text()}: last refresh {last}"
                f", last success {report['last_success'] or 'never'}"
                f", next refresh {report['next_refresh'] or 'never (nothing to probe)'}"
                f", {point.query_failed} failed since"
            )
            for key in point.keys:
                print(_key_line(key))
            for ds in point.ds:
                print(f"  DS {ds.key_tag} alg {ds.algorithm} digest {ds.digest_type} (no key yet)")
        for note in notes:
            print(f"warning: {note}")
    return EXIT_FAIL if problems(state) else EXIT_OK


# -- update ----------------------------------------------------------------------------


def _update_report(refresh: Refresh, state: AnchorState) -> dict[str, Any]:
    point = state.points.get(refresh.zone)
    return {
        "zone": refresh.zone.to_text(),
        "validated": any(e.notice is Notice.VALIDATED for e in refresh.events),
        "written": refresh.written,
        "events": [str(e) for e in refresh.events],
        "error": refresh.error,
        "diagnosis": refresh.diagnosis,
        "trusted": [k.tag for k in point.keys if k.trusted] if point is not None else [],
        "next_refresh": _utc(point.next_probe) if point is not None else None,
    }


def cmd_update(args: argparse.Namespace) -> int:
    from .resolve.resolver import Resolver

    if args.server and args.recursive:
        raise _usage("--server and --recursive exclude each other")
    settings = resolver_settings(args)
    store = _store(args)
    resolver = build_resolver(Resolver, settings, anchor_store=store)
    keeper = resolver.anchor_keeper
    assert keeper is not None
    reports = [_update_report(r, keeper.state) for r in resolver.refresh_anchors(force=True)]
    ok = bool(reports) and all(r["validated"] and r["error"] is None for r in reports)
    if args.json:
        print(json.dumps({"store": str(store.path), "trust_points": reports}))
        return EXIT_OK if ok else EXIT_FAIL
    if not reports:
        print(f"{store.path}: no trust point to probe (every key revoked?)")
    for report in reports:
        zone = report["zone"]
        for event in report["events"]:
            print(event)
        if report["error"]:
            print(f"trust point {zone}: not updated: {report['error']}")
        if report["diagnosis"]:
            print(f"trust point {zone}: {report['diagnosis']}")
        tags = ", ".join(str(t) for t in report["trusted"]) or "nothing"
        print(f"trust point {zone}: trusts {tags}; next refresh {report['next_refresh']}")
    return EXIT_OK if ok else EXIT_FAIL


# -- bootstrap, reset ----------------------------------------------------------------


def _trusted_text(state: AnchorState) -> str:
    parts = []
    for point in state.points.values():
        keys = [f"{k.tag} (alg {k.dnskey.algorithm})" for k in point.keys if k.trusted]
        keys += [f"DS {d.key_tag} (alg {d.algorithm})" for d in point.ds]
        parts.append(f"{point.zone.to_text()} trusts {', '.join(keys) or 'nothing'}")
    return "; ".join(parts)


def _previous(store: AnchorStore) -> str:
    if not store.exists():
        return "no previous state"
    try:
        store.load()
    except AnchorError as exc:
        return f"replacing an unusable state ({exc.what})"
    return "replacing the previous state"


def cmd_bootstrap(args: argparse.Namespace) -> int:
    store = _store(args)
    now = _now()
    if args.source:
        try:
            anchors = load_anchors(args.source, now)
        except DnssecLiteError as exc:
            raise _usage(f"--from: {exc}") from None
        origin = args.source
    else:
        anchors = bundled_root_anchors(now)
        origin = "the bundled IANA root anchors"
    before = _previous(store)
    state = store.bootstrap(now, anchors)
    print(f"bootstrapped {store.path} from {origin} ({before}): {_trusted_text(state)}")
    return EXIT_OK


def cmd_reset(args: argparse.Namespace) -> int:
    store = _store(args)
    now = _now()
    before = _previous(store)
    state = store.reset(now)
    print(f"reset {store.path} to the bundled IANA root anchors ({before}): {_trusted_text(state)}")
    return EXIT_OK


# -- Unbound ---------------------------------------------------------------------------


def cmd_import(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        with open(args.file, "rb") as f:
            data = f.read()
        text = data.decode("utf-8")
    except OSError as exc:
        raise _usage(f"{args.file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise _usage(f"{args.file}: not UTF-8 text (octet {exc.start})") from None
    try:
        imported = loads_unbound(text, args.file)
    except AnchorError as exc:
        raise _usage(str(exc)) from None

    def merge(state: AnchorState) -> tuple[AnchorState, AnchorState]:
        merged = AnchorState({**state.points, **imported.points})
        return merged, merged

    if store.exists():
        state = store.transact(merge)
    else:
        state = imported
        store.save(state)
    zones = ", ".join(z.to_text() for z in imported.points)
    print(f"imported {zones} from {args.file} into {store.path}: {_trusted_text(state)}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        zone = Name.from_text(args.zone)
    except DnssecLiteError as exc:
        raise _usage(f"--zone: {exc}") from None
    state = store.load()
    point = state.points.get(zone)
    if point is None:
        raise AnchorError(str(store.path), f"{zone.to_text()} is not a trust point of this store")
    text = dumps_unbound(point)
    if args.file == "-":
        sys.stdout.write(text)
        return EXIT_OK
    try:
        with open(args.file, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise AnchorError(args.file, f"cannot write: {exc.strerror or exc}") from None
    print(f"exported {zone.to_text()} from {store.path} to {args.file}")
    return EXIT_OK
