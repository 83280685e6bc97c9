"""Will this still work in N days?  Signature and certificate expiry checks.

Pure: validated answers, chains and ``now`` in, findings out.  The two most
common DANE outages are a signer that stops re-signing and a certificate
renewed without its TLSA records; both show here days ahead.

* Signatures: every RRSIG that made an MX, A/AAAA or TLSA answer SECURE --
  the answer's own RRsets, the NSEC/NSEC3 of a denial, and the DS and DNSKEY
  RRsets of each zone on the chain (:attr:`ChainLink.sig_expires`) -- must
  stay valid until ``now + days``.  The first to lapse is named.
* Certificates: a chain authenticated by DANE-TA(2) must still verify at
  ``now + days``; a leaf matched by DANE-EE(3) is date-independent (RFC 7672
  3.1.1), but its expiry within the horizon is a warning unless the next key
  is already published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..dnssec.status import Answer, Status
from ..wire.name import Name
from ..wire.types import RRType
from .certinfo import describe_chain, iso
from .codes import Code, Finding, Severity
from .policy import Verify
from .records import label, usable

__all__ = ["Expiry", "certificate_findings", "signature_expiries", "signature_findings"]

DAY = 86400


@dataclass(frozen=True, order=True)
class Expiry:
    """When one signed thing stops validating, and what it is."""

    expires: int
    what: str


def signature_expiries(answers: Sequence[Answer]) -> list[Expiry]:
    """The signatures SECURE answers depend on, earliest first (deduplicated).

    An RRset stays valid while any of its signatures does, so each RRset
    counts with its latest expiration; each chain zone with its link's.
    """
    found: dict[str, int] = {}
    for answer in answers:
        if answer.status is not Status.SECURE:
            continue
        for rrset in (*answer.rrsets, *answer.denial):
            if not rrset.sigs:
                continue
            what = f"RRSIG({RRType.to_text(rrset.rrtype)}) for {rrset.name.to_text()}"
            found[what] = max(sig.expiration for sig in rrset.sigs)
        for link in answer.chain:
            if link.sig_expires is not None:
                found[f"RRSIG(DS/DNSKEY) for {link.zone.to_text()}"] = link.sig_expires
    return sorted(Expiry(when, what) for what, when in found.items())


def signature_findings(answers: Sequence[Answer], now: int, days: int) -> list[Finding]:
    """One warning naming the first signature to lapse within ``days``, if any."""
    horizon = now + days * DAY
    soon = [e for e in signature_expiries(answers) if e.expires < horizon]
    if not soon:
        return []
    first = soon[0]
    text = f"{first.what} expires {iso(first.expires)}, within {days} days"
    if len(soon) > 1:
        text += f" ({len(soon) - 1} more lapse within the horizon)"
    return [Finding(Code.SIGNATURE_EXPIRES_SOON, Severity.WARNING, text)]


def certificate_findings(
    chain_der: Sequence[bytes],
    records: Sequence[Any],
    match: Any,
    names: Sequence[Name],
    now: int,
    days: int,
    verify: Verify,
    *,
    host: str | None = None,
    address: str | None = None,
) -> list[Finding]:
    """Expiry warnings for a chain that authenticated now (``match.ok``)."""
    if not getattr(match, "ok", False) or days <= 0:
        return []
    horizon = now + days * DAY
    certs = [c for c in describe_chain(chain_der) if c.error is None]
    record = getattr(match, "record", None)
    usage = getattr(record, "usage", None)

    def found(text: str, severity: Severity = Severity.WARNING) -> list[Finding]:
        return [Finding(Code.CERTIFICATE_EXPIRES_SOON, severity, text, host, address)]

    if usage == 2:
        later = verify(list(chain_der), list(records), names, horizon)
        if getattr(later, "ok", False):
            return []
        depth = getattr(match, "depth", None)
        path = certs if depth is None else [c for c in certs if c.depth <= depth]
        lapsing = sorted((c for c in path if c.not_after < horizon), key=lambda c: c.not_after)
        if lapsing:
            c = lapsing[0]
            return found(
                f"the chain authenticated by {label(record)} stops verifying: {c.subject} "
                f"(depth {c.depth}) expires {iso(c.not_after)}, within {days} days"
            )
        return found(f"the chain authenticated by {label(record)} does not verify in {days} days")
    if usage == 3 and certs and certs[0].depth == 0 and certs[0].not_after < horizon:
        leaf = certs[0]
        others = [r for r in records if usable(r) and r is not record]
        nexts = [r for r in others if r.usage == 3 and r.selector == 1]
        ta = [r for r in others if r.usage == 2]
        when = f"the leaf {leaf.subject} expires {iso(leaf.not_after)}, within {days} days"
        if ta:
            return found(f"{when}; {label(ta[0])} will check the dates of its successor")
        if nexts and any(bytes(r.data) != bytes(getattr(record, "data", b"")) for r in nexts):
            return found(f"{when}; the next key is published, renew with it", Severity.NOTICE)
        return found(
            f"{when}, and no other usable TLSA record would match its successor: publish "
            "the next key's 3 1 1 record before renewing with a new key"
        )
    return []
