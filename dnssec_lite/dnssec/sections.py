"""What the validator reads out of a response's sections.

Small lookups on a :class:`~dnssec_lite.wire.message.Message`: the RRsets
that answer a question, the CNAME and DNAME links of the answer section,
the signer and proof records of a denial, and TTLs.  No signature is
checked here.  ``cname_first``, ``find_dname`` and ``dname_target`` serve
the iterative engine as well.
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
# Types that may stand beside a CNAME at the same name (RFC 2181 10.1, RFC 4035).
_NOT_BESIDE_CNAME = (RRType.CNAME, RRType.RRSIG, RRType.NSEC)


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


def data_at(response: Message, name: Name, qtype: int) -> RRset | None:
    """The RRset of type ``qtype`` at ``name`` that answers the question, or
    None.  RFC 2181 10.1: nothing else may stand beside a CNAME; when a
    server sends both, the one it put first wins (as in Unbound's scrubber).
    A CNAME asked for below a DNAME is the synthesised one, checked by the
    DNAME branch against the substitution."""
    answer = response.answer
    for direct in answer:
        if direct.rrtype == qtype and direct.name == name:
            break
    else:
        return None
    if qtype not in _NOT_BESIDE_CNAME and cname_first(answer, name, direct):
        return None
    if qtype == _T_CNAME and find_dname(response, name) is not None:
        return None
    return direct


def any_at(response: Message, name: Name) -> list[RRset]:
    """ANY: every RRset of the answer section at ``name``."""
    return [r for r in response.answer if r.name == name]


def synthesised_mismatch(given: RRset, dname: RRset, synth: Name) -> str | None:
    """Why the CNAME a server synthesised from ``dname`` is not the one RFC
    6672 section 2.2 defines (same class, one record, target ``synth``); None
    when it is.  Its owner and type are those looked up."""
    label = f"CNAME {given.name.to_text()}"
    if given.rrclass != dname.rrclass:
        return f"{label} has class {given.rrclass}, the DNAME {dname.rrclass}"
    if len(given.rdatas) != 1:
        return f"{label} synthesised from the DNAME has {len(given.rdatas)} records"
    target = cname_target(given)
    if target != synth:
        text = target.to_text() if target is not None else "nothing"
        return (
            f"{label} -> {text} does not match the DNAME "
            f"{dname.name.to_text()} (expected {synth.to_text()})"
        )
    return None


__all__ = [
    "any_at",
    "capped",
    "cname_first",
    "cname_target",
    "data_at",
    "dname_target",
    "find_dname",
    "min_ttl",
    "neg_ttl",
    "negative_signer",
    "proof_rrsets",
    "sig_cap",
    "synthesised_mismatch",
]
