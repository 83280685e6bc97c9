"""Denial of existence with NSEC (RFC 4034 section 4, RFC 4035 section 5.4).

Every function takes NSEC RRsets that have already been validated as signed
by ``zone`` and returns a :class:`Proof`; none of them touches signatures.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..wire.name import Name
from ..wire.rdata.dnssec import NSEC
from ..wire.rrset import RRset
from ..wire.types import RRType

# Enum members bound once: an attribute lookup on the enum class costs
# about 0.1 µs, and the proofs test several types per record.
_T_CNAME = RRType.CNAME
_T_DNAME = RRType.DNAME
_T_DS = RRType.DS
_T_NS = RRType.NS
_T_SOA = RRType.SOA


class ProofKind(StrEnum):
    """What a denial proof established (its value is the word traces show)."""

    NXDOMAIN = "nxdomain"
    NODATA = "nodata"
    WILDCARD_NODATA = "wildcard-nodata"
    ENT_NODATA = "ent-nodata"  # an empty non-terminal
    WILDCARD_ANSWER = "wildcard-answer"  # the expanded name does not exist
    NO_DS = "no-ds"  # an insecure delegation
    OPTOUT = "optout"  # covered by an opt-out span: insecure
    NOT_A_CUT = "not-a-cut"  # the name exists without NS: no zone cut
    DS_EXISTS = "ds-exists"  # the bitmap shows a DS: the denial is a lie
    ITERATIONS = "iterations"  # NSEC3 iterations above the limit: insecure
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Proof:
    """What a set of NSEC/NSEC3 records established about a name: ``kind``,
    and ``text`` saying which records proved it or what was missing.
    """

    ok: bool
    kind: ProofKind
    text: str
    insecure: bool = False


def _first(rrset: RRset) -> NSEC | None:
    for rdata in rrset.rdatas:
        if isinstance(rdata, NSEC):
            return rdata
    return None


def nsec_records(rrsets: list[RRset], zone: Name) -> list[tuple[Name, NSEC]]:
    """(owner, NSEC) pairs usable as proofs in ``zone``.

    An NSEC whose next name lies outside the zone is dropped (a known
    validator bug was to let it cover names beyond the zone).
    """
    out = []
    for rrset in rrsets:
        nsec = _first(rrset)
        if nsec is None or not rrset.name.is_subdomain(zone):
            continue
        if not nsec.next.is_subdomain(zone):
            continue
        out.append((rrset.name, nsec))
    return out


def covers(owner: Name, nxt: Name, name: Name, zone: Name) -> bool:
    """True when ``owner < name < next`` in canonical order, the last NSEC
    of the zone (next is the apex) covering everything after its owner."""
    if not name.is_subdomain(zone) or name == owner:
        return False
    if owner < nxt:
        return owner < name < nxt
    # Wrap-around: next is at or before owner (the apex ends the chain).
    return owner < name


def _is_delegation(nsec: NSEC) -> bool:
    return _T_NS in nsec.types and _T_SOA not in nsec.types


def matching(records: list[tuple[Name, NSEC]], name: Name) -> NSEC | None:
    for owner, nsec in records:
        if owner == name:
            return nsec
    return None


def covering(records: list[tuple[Name, NSEC]], name: Name, zone: Name) -> tuple[Name, NSEC] | None:
    """An NSEC covering ``name`` (not one from the parent side of a cut
    above ``name``, which cannot speak for the child zone)."""
    for owner, nsec in records:
        if covers(owner, nsec.next, name, zone):
            if _is_delegation(nsec) and name.is_strict_subdomain(owner):
                continue
            return owner, nsec
    return None


def closest_encloser(name: Name, owner: Name, nxt: Name) -> Name:
    """The closest existing ancestor of ``name`` implied by a covering NSEC."""
    a = name.common_ancestor(owner)
    b = name.common_ancestor(nxt)
    return a if len(a) >= len(b) else b


def prove_nodata(records: list[tuple[Name, NSEC]], name: Name, qtype: int, zone: Name) -> Proof:
    """NOERROR/NODATA: the name exists but has no ``qtype`` (nor CNAME)."""
    nsec = matching(records, name)
    if nsec is not None:
        if qtype in nsec.types or _T_CNAME in nsec.types:
            return Proof(
                False, ProofKind.FAILED, f"NSEC at {name.to_text()} lists the type asked for"
            )
        if qtype == _T_DS:
            if _T_SOA in nsec.types and not name.is_root():
                return Proof(
                    False,
                    ProofKind.FAILED,
                    f"NSEC at {name.to_text()} is the child zone's apex; it cannot deny DS",
                )
        elif _is_delegation(nsec):
            return Proof(
                False,
                ProofKind.FAILED,
                f"NSEC at {name.to_text()} is the parent side of a delegation; "
                "it cannot deny data in the child zone",
            )
        return Proof(
            True, ProofKind.NODATA, f"NSEC at {name.to_text()} shows no {RRType.to_text(qtype)}"
        )
    cover = covering(records, name, zone)
    if cover is None:
        return Proof(False, ProofKind.FAILED, f"no NSEC matches or covers {name.to_text()}")
    owner, covering_nsec = cover
    if covering_nsec.next.is_strict_subdomain(name):
        return _empty_non_terminal(name, owner, covering_nsec)
    # Wildcard NODATA: the name does not exist, the wildcard does, without qtype.
    ce = closest_encloser(name, owner, covering_nsec.next)
    wild = ce.wildcard()
    wnsec = matching(records, wild)
    if wnsec is None:
        return Proof(
            False,
            ProofKind.FAILED,
            f"NSEC covers {name.to_text()} but the answer is NODATA "
            f"and no NSEC matches the wildcard {wild.to_text()}",
        )
    if qtype in wnsec.types or _T_CNAME in wnsec.types:
        return Proof(False, ProofKind.FAILED, f"NSEC at {wild.to_text()} lists the type asked for")
    return Proof(
        True, ProofKind.WILDCARD_NODATA, f"wildcard {wild.to_text()} has no {RRType.to_text(qtype)}"
    )


def _empty_non_terminal(name: Name, owner: Name, cover: NSEC) -> Proof:
    """The NODATA proof of an empty non-terminal: the NSEC covering ``name``
    points to a name below it."""
    return Proof(
        True,
        ProofKind.ENT_NODATA,
        f"{name.to_text()} is an empty non-terminal "
        f"(NSEC {owner.to_text()} -> {cover.next.to_text()})",
    )


def prove_nxdomain(records: list[tuple[Name, NSEC]], name: Name, zone: Name) -> Proof:
    """NXDOMAIN: an NSEC covers the name and one covers the wildcard at its
    closest encloser (RFC 4035 5.4)."""
    if matching(records, name) is not None:
        return Proof(False, ProofKind.FAILED, f"an NSEC shows that {name.to_text()} exists")
    cover = covering(records, name, zone)
    if cover is None:
        return Proof(False, ProofKind.FAILED, f"no NSEC covers {name.to_text()}")
    owner, nsec = cover
    if nsec.next.is_strict_subdomain(name):
        # An empty non-terminal answered NXDOMAIN (old servers do): the
        # proof is a valid NODATA proof; the name exists but holds nothing.
        return _empty_non_terminal(name, owner, nsec)
    ce = closest_encloser(name, owner, nsec.next)
    if not ce.is_subdomain(zone):
        return Proof(
            False, ProofKind.FAILED, f"closest encloser {ce.to_text()} is outside {zone.to_text()}"
        )
    # A DNAME at the closest encloser would have redirected the query.
    ce_nsec = matching(records, ce)
    if ce_nsec is not None and _T_DNAME in ce_nsec.types:
        return Proof(
            False, ProofKind.FAILED, f"{ce.to_text()} has a DNAME; the name should be redirected"
        )
    wild = ce.wildcard()
    if matching(records, wild) is not None:
        return Proof(False, ProofKind.FAILED, f"the wildcard {wild.to_text()} exists")
    if covering(records, wild, zone) is None:
        return Proof(False, ProofKind.FAILED, f"no NSEC denies the wildcard {wild.to_text()}")
    return Proof(
        True,
        ProofKind.NXDOMAIN,
        f"NSEC {owner.to_text()} -> {nsec.next.to_text()} covers "
        f"{name.to_text()}; wildcard {wild.to_text()} denied",
    )


def prove_wildcard_answer(
    records: list[tuple[Name, NSEC]], name: Name, labels: int, zone: Name
) -> Proof:
    """A wildcard-expanded answer (RFC 4035 5.3.4, RFC 4592).

    The RRSIG labels field names the source of synthesis ``*.<ce>`` with
    ``ce = name.suffix(labels)``.  An NSEC must cover ``name`` and imply that
    same closest encloser: had any name existed between ``ce`` and ``name``
    (the next closer name or anything below it), the wildcard could not
    have been used, and the NSEC covering ``name`` would share a longer
    ancestor with it.
    """
    cover = covering(records, name, zone)
    if cover is None:
        return Proof(
            False,
            ProofKind.FAILED,
            f"no NSEC shows that {name.to_text()} does not exist, "
            "yet the answer was synthesised from a wildcard",
        )
    owner, nsec = cover
    source = name.suffix(labels)
    implied = closest_encloser(name, owner, nsec.next)
    if implied != source:
        return Proof(
            False,
            ProofKind.FAILED,
            f"the answer for {name.to_text()} was synthesised from {source.wildcard().to_text()}, "
            f"but NSEC {owner.to_text()} -> {nsec.next.to_text()} shows that "
            f"{implied.to_text()} is the closest encloser",
        )
    return Proof(
        True,
        ProofKind.WILDCARD_ANSWER,
        f"NSEC {owner.to_text()} -> {nsec.next.to_text()} shows {name.to_text()} does not "
        f"exist and {source.to_text()} is its closest encloser",
    )


def proof_owners(
    records: list[tuple[Name, NSEC]], name: Name, kind: ProofKind, zone: Name
) -> set[Name]:
    """Owners of the NSEC records a successful proof of ``kind`` about
    ``name`` rests on: the one matching or covering the name and, for
    NXDOMAIN and wildcard NODATA, the one matching or covering the wildcard
    at the closest encloser.  Other validated NSEC records the response
    carried are no part of what the answer proves."""
    if kind == ProofKind.NODATA:
        return {name}
    cover = covering(records, name, zone)
    if cover is None:
        return set()
    owner, nsec = cover
    out = {owner}
    if kind in (ProofKind.NXDOMAIN, ProofKind.WILDCARD_NODATA):
        wild = closest_encloser(name, owner, nsec.next).wildcard()
        if matching(records, wild) is not None:
            out.add(wild)
        else:
            wild_cover = covering(records, wild, zone)
            if wild_cover is not None:
                out.add(wild_cover[0])
    return out


def prove_no_ds(records: list[tuple[Name, NSEC]], name: Name, zone: Name) -> Proof:
    """What the parent's NSEC records say about DS at ``name``.

    "no-ds" (insecure delegation), "not-a-cut" (the name exists without NS,
    or does not exist at all), or failure.
    """
    nsec = matching(records, name)
    if nsec is not None:
        if _T_DS in nsec.types:
            return Proof(False, ProofKind.DS_EXISTS, f"NSEC at {name.to_text()} lists DS")
        if _T_SOA in nsec.types:
            return Proof(
                False, ProofKind.FAILED, f"NSEC at {name.to_text()} comes from the child apex"
            )
        if _T_NS in nsec.types:
            return Proof(
                True,
                ProofKind.NO_DS,
                f"NSEC at {name.to_text()} shows NS without DS",
                insecure=True,
            )
        return Proof(True, ProofKind.NOT_A_CUT, f"NSEC at {name.to_text()} shows no delegation")
    cover = covering(records, name, zone)
    if cover is not None:
        return Proof(True, ProofKind.NOT_A_CUT, f"NSEC shows {name.to_text()} is not a delegation")
    return Proof(False, ProofKind.FAILED, f"no NSEC matches or covers {name.to_text()}")
