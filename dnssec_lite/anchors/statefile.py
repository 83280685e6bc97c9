"""The trust-anchor state file: human-readable JSON with a schema version.

Text in, text out; :mod:`.store` does the file I/O.  Layout (schema 1)::

    {
      "format": "dnssec-lite trust-anchor state",
      "schema": 1,
      "trust_points": [
        {
          "zone": ".",
          "ds": ["20326 8 2 E06D44B8..."],        # DS anchors not yet seen as keys
          "keys": [
            {"tag": 20326, "state": "VALID", "since": 1736553600,
             "since_utc": "2025-01-11T00:00:00Z", "first_seen": 1736553600,
             "sightings": 0, "add_holddown": 2592000,
             "dnskey": "257 3 8 AwEAAaz/tAm8..."}
          ],
          "last_change": 0, "last_queried": 0, "last_success": 0,
          "next_probe": 0, "query_failed": 0, "query_interval": 0,
          "retry_time": 0, "ttl": 0
        }
      ]
    }

Times are POSIX seconds (the ``*_utc`` fields are for people and ignored
when read).  ``dnskey`` is always written without the REVOKE bit; ``tag``
is that key's tag and must match it.  A reader refuses a newer schema: a
file it does not understand is never half-read.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ..errors import AnchorError, TextFormatError
from ..wire.name import ROOT, Name
from ..wire.rdata.dnssec import DNSKEY, DS
from .model import AnchorState, KeyState, TrackedKey, TrustPoint

__all__ = ["FORMAT", "SCHEMA", "dumps", "loads"]

FORMAT = "dnssec-lite trust-anchor state"
SCHEMA = 1

_POINT_TIMES = (
    "last_change",
    "last_queried",
    "last_success",
    "next_probe",
    "query_failed",
    "query_interval",
    "retry_time",
    "ttl",
)


def _utc(when: int) -> str:
    return dt.datetime.fromtimestamp(when, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _key_json(key: TrackedKey) -> dict[str, object]:
    return {
        "tag": key.tag,
        "state": key.state.name,
        "since": key.since,
        "since_utc": _utc(key.since),
        "first_seen": key.first_seen,
        "sightings": key.sightings,
        "add_holddown": key.add_holddown,
        "dnskey": key.dnskey.to_text(),
    }


def dumps(state: AnchorState) -> str:
    """The state as schema-1 JSON text (sorted by zone; ends with a newline)."""
    points = []
    for zone in sorted(state.points, key=lambda n: n.canonical_wire()[::-1]):
        point = state.points[zone]
        entry: dict[str, object] = {
            "zone": zone.to_text(),
            "ds": [d.to_text() for d in point.ds],
            "keys": [_key_json(k) for k in point.keys],
        }
        for name in _POINT_TIMES:
            entry[name] = getattr(point, name)
        points.append(entry)
    doc = {"format": FORMAT, "schema": SCHEMA, "trust_points": points}
    return json.dumps(doc, indent=2) + "\n"


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, what: str) -> AnchorError:
        return AnchorError(self.source, f"{where}: {what}")

    def get(self, obj: dict[str, Any], name: str, kind: type, where: str) -> Any:
        if name not in obj:
            raise self.fail(where, f"missing {name!r}")
        value = obj[name]
        if kind is int and (not isinstance(value, int) or isinstance(value, bool)):
            raise self.fail(f"{where}.{name}", f"{value!r} is not an integer")
        if kind is int and not 0 <= value < 1 << 63:
            raise self.fail(f"{where}.{name}", f"{value!r} is out of range")
        if not isinstance(value, kind):
            raise self.fail(f"{where}.{name}", f"expected {kind.__name__}, got {value!r}")
        return value

    def key(self, obj: object, where: str) -> TrackedKey:
        if not isinstance(obj, dict):
            raise self.fail(where, "a key must be an object")
        state_name = self.get(obj, "state", str, where)
        try:
            state = KeyState[state_name]
        except KeyError:
            raise self.fail(f"{where}.state", f"unknown key state {state_name!r}") from None
        text = self.get(obj, "dnskey", str, where)
        try:
            parsed = DNSKEY.from_text(text.split(), ROOT)
        except TextFormatError as exc:
            raise self.fail(f"{where}.dnskey", exc.what) from None
        assert isinstance(parsed, DNSKEY)
        dnskey = parsed
        if dnskey.is_revoked:
            raise self.fail(f"{where}.dnskey", "keys are stored without the REVOKE bit")
        tag = self.get(obj, "tag", int, where)
        if tag != dnskey.key_tag:
            raise self.fail(f"{where}.tag", f"{tag} is not the tag of its key ({dnskey.key_tag})")
        return TrackedKey(
            dnskey,
            state,
            self.get(obj, "since", int, where),
            self.get(obj, "first_seen", int, where),
            self.get(obj, "sightings", int, where),
            self.get(obj, "add_holddown", int, where),
        )

    def point(self, obj: object, where: str) -> TrustPoint:
        if not isinstance(obj, dict):
            raise self.fail(where, "a trust point must be an object")
        zone_text = self.get(obj, "zone", str, where)
        try:
            zone = Name.from_text(zone_text)
        except TextFormatError as exc:
            raise self.fail(f"{where}.zone", exc.what) from None
        ds_list: list[DS] = []
        for i, text in enumerate(self.get(obj, "ds", list, where)):
            if not isinstance(text, str):
                raise self.fail(f"{where}.ds[{i}]", "expected DS text")
            try:
                ds = DS.from_text(text.split(), ROOT)
            except TextFormatError as exc:
                raise self.fail(f"{where}.ds[{i}]", exc.what) from None
            assert isinstance(ds, DS)
            ds_list.append(ds)
        keys = [
            self.key(k, f"{where}.keys[{i}]")
            for i, k in enumerate(self.get(obj, "keys", list, where))
        ]
        times = {name: self.get(obj, name, int, where) for name in _POINT_TIMES}
        return TrustPoint(zone, tuple(keys), tuple(ds_list), **times)


def loads(text: str | bytes, source: str = "<state>") -> AnchorState:
    """Parse a state file; any problem is an :class:`AnchorError` naming
    ``source`` (and the line, for broken JSON)."""
    reader = _Reader(source)
    if not text.strip():
        raise AnchorError(source, "state file is empty (truncated?)")
    try:
        doc = json.loads(text)
    except UnicodeDecodeError as exc:
        raise AnchorError(source, f"not UTF-8 text (octet {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise AnchorError(
            source, f"not valid JSON (truncated or corrupt?): {exc.msg}", exc.lineno
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise AnchorError(source, f'not a trust-anchor state file (no "format": {FORMAT!r})')
    schema = doc.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise AnchorError(source, f"bad schema version {schema!r}")
    if schema > SCHEMA:
        raise AnchorError(
            source,
            f"written by a newer dnssec-lite (schema {schema}; this version reads up to "
            f"schema {SCHEMA}): upgrade, or bootstrap a new store explicitly",
        )
    raw = reader.get(doc, "trust_points", list, "file")
    points: dict[Name, TrustPoint] = {}
    for i, obj in enumerate(raw):
        point = reader.point(obj, f"trust_points[{i}]")
        if point.zone in points:
            raise reader.fail(f"trust_points[{i}]", f"{point.zone.to_text()} appears twice")
        points[point.zone] = point
    if not points:
        raise AnchorError(source, "no trust points (nothing would be trusted)")
    return AnchorState(points)
