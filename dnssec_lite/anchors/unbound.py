"""Unbound's auto-trust-anchor file (``root.key``), read and written.

So that an operator can move between Unbound and dnssec-lite without
starting the hold-downs over.  The format, one trust point per file::

    ; autotrust trust anchor file
    ;;id: . 1
    ;;last_queried: 1710504759 ;;Fri Mar 15 12:12:39 2024
    ;;last_success: 1710504759 ;;Fri Mar 15 12:12:39 2024
    ;;next_probe_time: 1710546743 ;;Fri Mar 15 23:52:23 2024
    ;;query_failed: 0
    ;;query_interval: 43200
    ;;retry_time: 8640
    .	172800	IN	DNSKEY	257 3 8 AwEA...= ;{id = 20326 (ksk), size = 2048b} ;;state=2 [  VALID  ]
        ;;count=0 ;;lastchange=1683463064 ;;Sun May  7 12:37:44 2023   (one line in the file)

States are numbered as :class:`~.model.KeyState`; ``count`` is the AddPend
sighting count, ``lastchange`` the time of the last state change.  A DNSKEY
line without ``;;state=`` is a Valid key; a DS line is a DS anchor.  Start
and Removed keys are not written (Unbound forgets them), and neither are
our Removed tombstones.  A ``;;REVOKED`` line marks a trust point whose keys
are all revoked.  Times in the ``;;`` comments are UTC (Unbound writes local
time; readers ignore them).
"""

from __future__ import annotations

import datetime as dt
import re

from ..errors import AnchorError
from ..wire.name import Name
from ..wire.rdata.dnssec import DNSKEY, DS
from .formats import parse_anchor_records
from .model import AnchorState, KeyState, TrackedKey, TrustPoint, plain_key, revoked_key
from .rfc5011 import ADD_HOLDDOWN

__all__ = ["dumps_unbound", "loads_unbound"]

_ID = re.compile(r"^;;id:\s*(\S+)\s+\d+")
_HEADER = re.compile(r"^;;(last_queried|last_success|next_probe_time|query_failed|"
                     r"query_interval|retry_time):\s*(-?\d+)")  # fmt: skip
_ANNOTATION = re.compile(r";;(state|count|lastchange)=(\d+)")
_STATE_TEXT = {
    KeyState.START: "  START  ",
    KeyState.ADDPEND: " ADDPEND ",
    KeyState.VALID: "  VALID  ",
    KeyState.MISSING: " MISSING ",
    KeyState.REVOKED: " REVOKED ",
    KeyState.REMOVED: " REMOVED ",
}
_HEADER_FIELDS = {
    "last_queried": "last_queried",
    "last_success": "last_success",
    "next_probe_time": "next_probe",
    "query_failed": "query_failed",
    "query_interval": "query_interval",
    "retry_time": "retry_time",
}
_REVOKED_NOTE = (
    ";;REVOKED\n",
    "; The zone has all keys revoked, and is\n"
    "; considered as if it has no trust anchors.\n"
    "; the remainder of the file is the last probe.\n"
    "; to restart the trust anchor, overwrite this file.\n"
    "; with one containing valid DNSKEYs or DSes.\n",
)


def _ctime(when: int) -> str:
    """C ``ctime`` layout ("Fri Mar 15 12:12:39 2024"), in UTC."""
    stamp = dt.datetime.fromtimestamp(when, dt.UTC)
    return f"{stamp:%a %b} {stamp.day:2d} {stamp:%H:%M:%S %Y}"


def _key_bits(key: DNSKEY) -> int:
    """Key size as Unbound prints it (RSA modulus bits, DSA prime, curve size)."""
    if key.algorithm in (3, 6) and key.key:
        return 512 + 64 * key.key[0]  # RFC 2536: T, then a prime of 64 + 8T octets
    if key.algorithm in (5, 7, 8, 10) and key.key:
        length, start = key.key[0], 1
        if length == 0 and len(key.key) >= 3:
            length, start = int.from_bytes(key.key[1:3]), 3
        modulus = key.key[start + length :]
        return len(modulus) * 8 - (8 - modulus[0].bit_length() if modulus else 0)
    return {13: 256, 14: 384, 15: 256, 16: 456}.get(key.algorithm, len(key.key) * 8)


def _key_line(zone: Name, ttl: int, tracked: TrackedKey) -> str:
    shown = tracked.dnskey
    if tracked.state in (KeyState.REVOKED, KeyState.REMOVED):
        shown = revoked_key(shown)
    kind = "ksk" if shown.is_sep else "zsk"
    return (
        f"{zone.to_text()}\t{ttl}\tIN\tDNSKEY\t{shown.to_text()} "
        f";{{id = {shown.key_tag} ({kind}), size = {_key_bits(shown)}b}} "
        f";;state={int(tracked.state)} [{_STATE_TEXT[tracked.state]}] "
        f";;count={tracked.sightings} ;;lastchange={tracked.since} ;;{_ctime(tracked.since)}\n"
    )


def dumps_unbound(point: TrustPoint, *, ttl: int | None = None) -> str:
    """One trust point in Unbound's auto-trust-anchor file format."""
    zone = point.zone
    rr_ttl = ttl if ttl is not None else (point.ttl or 172800)
    out = ["; autotrust trust anchor file\n"]
    if point.all_revoked:
        out.append(_REVOKED_NOTE[0])
    out.append(f";;id: {zone.to_text()} 1\n")
    if point.all_revoked:
        out.append(_REVOKED_NOTE[1])
    out.append(f";;last_queried: {point.last_queried} ;;{_ctime(point.last_queried)}\n")
    out.append(f";;last_success: {point.last_success} ;;{_ctime(point.last_success)}\n")
    # A trust point with every key revoked is not probed any more.
    probe = 0 if point.all_revoked else point.next_probe
    out.append(f";;next_probe_time: {probe} ;;{_ctime(probe)}\n")
    out.append(f";;query_failed: {point.query_failed}\n")
    out.append(f";;query_interval: {point.query_interval}\n")
    out.append(f";;retry_time: {point.retry_time}\n")
    # Unbound keeps its newest key first.
    for tracked in reversed(point.keys):
        if tracked.state in (KeyState.START, KeyState.REMOVED):
            continue
        out.append(_key_line(zone, rr_ttl, tracked))
    out += [f"{zone.to_text()}\t{rr_ttl}\tIN\tDS\t{ds.to_text()}\n" for ds in point.ds]
    return "".join(out)


def loads_unbound(text: str, source: str = "<root.key>") -> AnchorState:
    """Unbound auto-trust-anchor file(s) as our state (one or more
    ``;;id:`` sections); errors name the file and line."""
    lines = text.removeprefix("\ufeff").split("\n")
    records = parse_anchor_records(text, source)
    if not records:
        raise AnchorError(source, "no DS or DNSKEY records found")
    headers: dict[Name, dict[str, int]] = {}
    revoked_marks: set[Name] = set()
    section: Name | None = None
    pending_revoked = False
    for number, line in enumerate(lines, 1):
        if line.startswith(";;REVOKED"):
            pending_revoked = True
        match = _ID.match(line)
        if match is not None:
            try:
                section = Name.from_text(match.group(1))
            except Exception:
                raise AnchorError(source, f"bad zone in {line.strip()!r}", number) from None
            headers.setdefault(section, {})
            if pending_revoked:
                revoked_marks.add(section)
                pending_revoked = False
            continue
        field = _HEADER.match(line)
        if field is not None and section is not None:
            headers[section][_HEADER_FIELDS[field.group(1)]] = max(0, int(field.group(2)))
    keys: dict[Name, list[TrackedKey]] = {}
    ds: dict[Name, list[DS]] = {}
    ttl: dict[Name, int] = {}
    for number, rr in records:
        zone = rr.name
        ttl.setdefault(zone, rr.ttl)
        if isinstance(rr.rdata, DS):
            ds.setdefault(zone, []).append(rr.rdata)
            continue
        assert isinstance(rr.rdata, DNSKEY)
        notes = dict(_ANNOTATION.findall(lines[number - 1]))
        state_no = int(notes.get("state", int(KeyState.VALID)))
        try:
            state = KeyState(state_no)
        except ValueError:
            raise AnchorError(source, f"unknown key state {state_no}", number) from None
        if state in (KeyState.START, KeyState.REMOVED):
            continue
        if rr.rdata.is_revoked and state is not KeyState.REVOKED:
            raise AnchorError(
                source, f"key {rr.rdata.key_tag} has the REVOKE bit but state {state_no}", number
            )
        since = int(notes.get("lastchange", 0))
        hold = max(ADD_HOLDDOWN, rr.ttl)
        keys.setdefault(zone, []).append(
            TrackedKey(plain_key(rr.rdata), state, since, since, int(notes.get("count", 0)), hold)
        )
    points: dict[Name, TrustPoint] = {}
    for zone in dict.fromkeys([*keys, *ds]):
        tracked = list(reversed(keys.get(zone, [])))  # back to oldest first
        if zone in revoked_marks:
            tracked = [t.moved(KeyState.REVOKED, t.since) if t.trusted else t for t in tracked]
        head = headers.get(zone, {})
        last = max([head.get("last_queried", 0), *(t.since for t in tracked)])
        points[zone] = TrustPoint(
            zone,
            tuple(tracked),
            tuple(ds.get(zone, ())),
            last_change=last,
            ttl=ttl.get(zone, 0),
            **head,
        )
    return AnchorState(points)
