"""TLSA records against presented chains: the match table and rollover readiness.

Pure functions over the records, the chains presented (one per server key
type or address) and the certificate matcher, so they work the same on a
live check, a recorded one and in tests.

Rollover readiness (per host) is semantic: the host is *ready* when a
certificate change would still meet a published record --

* a DANE-TA(2) record authenticates the presented chain (a new leaf from the
  same issuer will match), or
* a DANE-EE(3) record matches the current leaf and another DANE-EE SPKI
  record pins a different key (the next one, published ahead).

It never changes the delivery verdict; it yields warnings an operator acts
on before a renewal breaks mail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..wire.name import Name
from .codes import Code, Finding, Severity
from .policy import Verify

__all__ = ["RecordRow", "Rollover", "assess_rollover", "label", "match_table", "usable"]

_DIGEST_LENGTHS = {1: 32, 2: 64}


def label(record: Any) -> str:
    """``3 1 1 e3b0c442...``: a record as findings name it."""
    data = bytes(record.data).hex()
    short = data if len(data) <= 16 else data[:16] + "..."
    return f"{record.usage} {record.selector} {record.mtype} {short or '-'}"


def usable(record: Any) -> bool:
    """Usable by an SMTP client (RFC 7672 3.1): DANE-TA/EE, a known selector
    and matching type, digest data of the right length."""
    if record.usage not in (2, 3) or record.selector not in (0, 1):
        return False
    if record.mtype == 0:
        return bool(record.data)
    return len(record.data) == _DIGEST_LENGTHS.get(record.mtype, -1)


@dataclass(frozen=True)
class RecordRow:
    """One TLSA record against one presented chain.

    ``outcome`` is ``matched`` (authenticates, at ``depth``), ``partial`` (the
    data matches a certificate at ``depth`` but the chain or the names fail),
    ``no-match``, ``unusable`` or ``superseded`` (digest agility).
    """

    record: str
    outcome: str
    depth: int | None
    why: str

    def to_json(self) -> dict[str, object]:
        return {
            "record": self.record,
            "outcome": self.outcome,
            "depth": self.depth,
            "why": self.why,
        }


def _row(record: Any, match: Any, superseded: bool) -> RecordRow:
    if superseded:
        return RecordRow(label(record), "superseded", None, "a stronger digest is published")
    if getattr(match, "ok", False):
        depth = getattr(match, "depth", None)
        where = "the leaf" if depth == 0 else f"depth {depth}"
        return RecordRow(label(record), "matched", depth, f"authenticates the chain at {where}")
    failures = getattr(match, "failures", ()) or ()
    failure = failures[0] if failures else None
    check = str(getattr(failure, "check", "") or "")
    why = str(getattr(failure, "reason", "") or getattr(match, "reason", "") or "no match")
    if check == "unusable" or not usable(record):
        return RecordRow(label(record), "unusable", None, why)
    if check in ("chain", "name"):
        return RecordRow(label(record), "partial", getattr(failure, "depth", None), why)
    return RecordRow(label(record), "no-match", None, why)


def match_table(
    chain_der: Sequence[bytes],
    records: Sequence[Any],
    names: Sequence[Name],
    now: int,
    verify: Verify,
) -> list[RecordRow]:
    """Each record on its own against one chain (and digest agility over the set)."""
    whole = verify(list(chain_der), list(records), names, now)
    superseded = {
        id(getattr(f, "record", None))
        for f in getattr(whole, "failures", ()) or ()
        if str(getattr(f, "check", "")) == "superseded"
    }
    return [_row(r, verify(list(chain_der), [r], names, now), id(r) in superseded) for r in records]


@dataclass
class Rollover:
    """Rollover readiness of one DANE host; ``ready`` is None when no chain was seen."""

    ready: bool | None
    reasons: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "unknown" if self.ready is None else "ready" if self.ready else "not-ready"

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "ready": self.ready,
            "reasons": list(self.reasons),
            "warnings": [f.to_json() for f in self.findings],
        }


def _same_key_groups(
    records: Sequence[Any], tables: Sequence[Sequence[RecordRow]]
) -> list[list[Any]]:
    """Usable records of one usage matching the same certificate with different
    selectors (3 0 1 and 3 1 1 of one leaf): they break together."""
    groups: list[list[Any]] = []
    for table in tables:
        by_place: dict[tuple[int, int], list[Any]] = {}
        for record, row in zip(records, table, strict=True):
            if row.outcome in ("matched", "partial") and row.depth is not None:
                by_place.setdefault((record.usage, row.depth), []).append(record)
        for same in by_place.values():
            if len({r.selector for r in same}) > 1 and same not in groups:
                groups.append(same)
    return groups


def assess_rollover(
    records: Sequence[Any],
    chains: Sequence[tuple[str, Sequence[bytes]]],
    names: Sequence[Name],
    now: int,
    verify: Verify,
    host: str | None = None,
) -> Rollover:
    """Readiness of a host's TLSA RRset for the chains it presented.

    ``chains`` are (what, chain) pairs: ``what`` names the chain in reasons
    ("the ECDSA certificate"), one pair per distinct leaf seen.
    """
    out = Rollover(None)

    def warn(code: Code, text: str, severity: Severity = Severity.WARNING) -> None:
        out.findings.append(Finding(code, severity, text, host))

    good = [r for r in records if usable(r)]
    for r in records:
        if not usable(r):
            warn(Code.UNUSABLE_RECORD, f"{label(r)}: unusable for SMTP; remove or fix it")
    seen: set[tuple[int, int, int, bytes]] = set()
    for r in records:
        key = (r.usage, r.selector, r.mtype, bytes(r.data))
        if key in seen:
            warn(Code.DUPLICATE_RECORD, f"{label(r)} is published more than once")
        seen.add(key)
    for r in good:
        if r.mtype == 0:
            warn(
                Code.FULL_DATA_RECORD,
                f"{label(r)}: matching type 0 carries the full "
                f"{'key' if r.selector == 1 else 'certificate'}; publish a SHA-256 digest (1)",
            )
        if r.usage == 3 and r.selector == 0:
            warn(
                Code.SELECTOR_0_PIN,
                f"{label(r)} pins the whole certificate: it breaks at every renewal, even "
                "with the same key; pin the key (selector 1)",
            )
    if len(good) == 1 and good[0].usage == 3:
        warn(
            Code.SINGLE_EE_RECORD,
            f"{label(good[0])} is the only usable record: a new key breaks delivery unless "
            "the next key is published first",
        )
    if not chains:
        out.reasons.append("no certificate was presented: readiness cannot be judged")
        return out

    tables = [match_table(chain, records, names, now, verify) for _, chain in chains]
    for group in _same_key_groups(records, tables):
        shown = " and ".join(label(r) for r in group)
        warn(Code.DUPLICATE_RECORD, f"{shown} pin the same certificate: they break together")
    matched_any = {
        id(r)
        for table in tables
        for r, row in zip(records, table, strict=True)
        if row.outcome in ("matched", "partial")
    }
    next_keys = [r for r in good if r.usage == 3 and r.selector == 1 and id(r) not in matched_any]
    ready_all = True
    used_next = False
    for (what, _), table in zip(chains, tables, strict=True):
        rows = list(zip(records, table, strict=True))
        ta = [r for r, row in rows if r.usage == 2 and row.outcome == "matched" and usable(r)]
        ee = [r for r, row in rows if r.usage == 3 and row.outcome == "matched" and usable(r)]
        ta_partial = [(r, row) for r, row in rows if r.usage == 2 and row.outcome == "partial"]
        if ta:
            out.reasons.append(
                f"{what}: {label(ta[0])} authenticates the chain through its issuer; a new "
                "leaf from the same issuer will match"
            )
        elif ee and next_keys:
            used_next = True
            out.reasons.append(
                f"{what}: {label(ee[0])} pins the current key and {label(next_keys[0])} "
                "a different (next) key"
            )
        else:
            ready_all = False
            if ee:
                sel0 = all(r.selector == 0 for r in ee)
                out.reasons.append(
                    f"{what}: only the current "
                    f"{'certificate' if sel0 else 'key'} is pinned ({label(ee[0])}); before "
                    "renewing with a new key, publish a 3 1 1 record for the next key "
                    "(or a 2 x x record for the issuer) and wait out the TTL"
                )
            else:
                out.reasons.append(f"{what}: no usable record authenticates the presented chain")
            for r, row in ta_partial:
                out.reasons.append(f"{what}: {label(r)} {row.why}")
    for r in good:
        if id(r) in matched_any:
            continue
        if used_next and r in next_keys:
            warn(
                Code.STALE_PIN,
                f"{label(r)} matches nothing presented: taken as the next key, published "
                "ahead of a rollover (remove it if it is an old one)",
                Severity.NOTICE,
            )
        else:
            warn(Code.STALE_PIN, f"{label(r)} matches nothing the server presented")
    out.ready = ready_all
    return out
