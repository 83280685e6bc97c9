"""What the validator reads out of a response's sections.

Small lookups on a :class:`~dnssec_lite.wire.message.Message`: the CNAME
and DNAME links of the answer section, the signer and proof records of a
denial, and TTLs.  No signature is checked here.  ``cname_first``,
``find_dname`` and ``dname_target`` serve the iterative engine as well.
"""

from __future__ import annotations

from ..wire.message import Message
from ..wire.name import Name
from ..wire.rdata.names import CNAME, DNAME
from ..wire.rrset import RRset
from ..wire.types import RRType

_PROOF_TYPES = (RRType.NSEC, RRType.NSEC3, RRType.SOA)
# Enum members bound once: an attribute lookup on the enum class costs
# about 0.1 µs, and these run in loops over the sections.
_T_SOA = RRType.SOA
_T_CNAME = RRType.CNAME
_T_DNAME = RRType.DNAME
_DENIAL_TYPES = (RRType.SOA, RRType.NSEC, RRType.NSEC3)


def min_ttl(rrsets: tuple[RRset, ...]) -> int:
    return min((r.ttl for r in rrsets), default=0)


def neg_ttl(response: Message) -> int:
    for rrset in response.authority:
        if rrset.rrtype == _T_SOA:
            for rd in rrset.rdatas:
                minimum = getattr(rd, "minimum", None)
                if isinstance(minimum, int):
                    return min(rrset.ttl, minimum)
    return 0


def sig_cap(rrset: RRset, zone: Name, now: int, ignore_time: bool = False) -> int:
    """How long ``rrset``, validated as signed by ``zone``, may be kept: its
    TTL capped by the original TTL and the remaining validity of the zone's
    unexpired RRSIGs over it (RFC 4035 5.3.3).  The smallest over those
    signatures, so a signature added by an attacker can only lower it."""
    cap = rrset.ttl
    now32 = now & 0xFFFFFFFF
    for sig in rrset.sigs:
        if sig.signer != zone:
            continue
        if sig.original_ttl < cap:
            cap = sig.original_ttl
        if not ignore_time:
            left = (sig.expiration - now32) & 0xFFFFFFFF
            if left < cap:  # an expired one wraps to a huge value: skipped
                cap = left
    return cap


def capped(rrset: RRset, cap: int) -> RRset:
    """``rrset`` with its TTLs (data and RRSIG) at most ``cap``: the same
    object when they already are (the common case), else a cheap copy."""
    if rrset.ttl <= cap and rrset.sig_ttl <= cap:
        return rrset
    return rrset.with_ttl(min(rrset.ttl, cap if cap > 0 else 0))


def proof_rrsets(response: Message) -> list[RRset]:
    return [r for r in response.authority if r.rrtype in _PROOF_TYPES]


def cname_first(answer: tuple[RRset, ...], name: Name, other: RRset) -> bool:
    """Whether a CNAME at ``name`` comes before ``other`` in the answer."""
    for rrset in answer:
        if rrset is other:
            return False
        if rrset.rrtype == _T_CNAME and rrset.name == name:
            return True
    return False


def cname_target(rrset: RRset) -> Name | None:
    for rd in rrset.rdatas:
        if isinstance(rd, CNAME):
            return rd.target
    return None


def find_dname(response: Message, name: Name) -> RRset | None:
    """The DNAME of the answer section whose owner is the closest strict
    ancestor of ``name`` (the one that rewrites it), if any."""
    best: RRset | None = None
    for rrset in response.answer:
        if rrset.rrtype == _T_DNAME and name.is_strict_subdomain(rrset.name):
            if best is None or len(rrset.name) > len(best.name):
                best = rrset
    return best


def dname_target(dname: RRset, name: Name) -> Name | None:
    """``name`` rewritten by ``dname`` (RFC 6672 section 2.2); None if the
    DNAME RRset holds no target or the result would be too long."""
    target = next((rd.target for rd in dname.rdatas if isinstance(rd, DNAME)), None)
    if target is None:
        return None
    prefix = name.labels[: len(name) - len(dname.name)]
    try:
        return Name.from_labels(prefix + target.labels)
    except ValueError:
        return None


def negative_signer(response: Message, name: Name) -> Name | None:
    """The zone that signed the denial: signer of the SOA/NSEC/NSEC3 records
    in the authority section that is an ancestor of ``name``."""
    best: Name | None = None
    for rrset in response.authority:
        if rrset.rrtype not in _DENIAL_TYPES:
            continue
        for sig in rrset.sigs:
            if name.is_subdomain(sig.signer) and rrset.name.is_subdomain(sig.signer):
                if best is None or len(sig.signer) > len(best):
                    best = sig.signer
    return best


__all__ = [
    "capped",
    "cname_first",
    "cname_target",
    "dname_target",
    "find_dname",
    "min_ttl",
    "neg_ttl",
    "negative_signer",
    "proof_rrsets",
    "sig_cap",
]
