"""Responses synthesized from the aggressive cache's records (RFC 8198 section 5).

Given the cached records of one zone (:class:`~.aggressive.ZoneRecords`)
these functions pick the NSEC or NSEC3 RRsets, SOA and wildcard data that
answer a question (NXDOMAIN, NODATA, an empty non-terminal, a wildcard
expansion) and check that they prove it, with the same proof functions the
validator uses.  The response built from them is validated again by the
caller; a proof that does not hold here is simply no answer (None).  The
storage, lifetimes and eviction stay in :mod:`.aggressive`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from ..wire.name import Name
from ..wire.rdata.dnssec import NSEC, NSEC3
from ..wire.rrset import RRset
from ..wire.types import Rcode, RRType
from . import nsec as nsec_proofs
from . import nsec3 as nsec3_proofs
from .limits import Limits
from .nsec import ProofKind
from .rrsig import Budget


class EntryKind(Enum):
    """What a cache entry holds (part of its key in the LRU order)."""

    SOA = "soa"
    NSEC = "nsec"
    NSEC3 = "nsec3"
    WILD = "wild"  # a wildcard RRset recovered from an expanded answer
    RRSET = "rrset"  # an answer RRset (CNAMEs included)


class CachedRecords(Protocol):
    """What synthesis reads from the cache: live (unexpired, LRU-touched)
    records, with the TTL counted down; see :class:`.aggressive.AggressiveCache`."""

    limits: Limits

    def live(
        self, zone: ZoneRecords, kind: EntryKind, what: bytes | tuple[bytes, ...], now: int
    ) -> RRset | None: ...

    def soa_of(self, zone: ZoneRecords, now: int) -> RRset | None: ...

    def wildcard(self, zone: ZoneRecords, wild: Name, qtype: int, now: int) -> RRset | None: ...


@dataclass(slots=True)
class Item:
    """A cached RRset and the time it stops being usable."""

    rrset: RRset
    expires: int


@dataclass
class ZoneRecords:
    """The cached records of one zone: its SOA, its NSEC chain (sorted owner
    keys), its NSEC3 chain (sorted owner hashes, one parameter set) and the
    wildcard RRsets recovered from expanded answers."""

    apex: Name
    soa: Item | None = None
    nsec: dict[tuple[bytes, ...], Item] = field(default_factory=dict)
    nsec_keys: list[tuple[bytes, ...]] = field(default_factory=list)
    nsec3: dict[bytes, Item] = field(default_factory=dict)
    nsec3_hashes: list[bytes] = field(default_factory=list)
    nsec3_params: tuple[int, bytes] | None = None
    wildcards: dict[tuple[Name, int], Item] = field(default_factory=dict)

    def empty(self) -> bool:
        return self.soa is None and not self.nsec and not self.nsec3 and not self.wildcards


#: Built: (rcode, answer RRsets, authority RRsets, why, for the log).
Built = tuple[int, list[RRset], list[RRset], str]

NEGATIVE_KINDS = frozenset(
    {
        ProofKind.NXDOMAIN,
        ProofKind.NODATA,
        ProofKind.WILDCARD_NODATA,
        ProofKind.ENT_NODATA,
    }
)


# -- NSEC -------------------------------------------------------------------


def _nsec_at(cache: CachedRecords, zone: ZoneRecords, name: Name, now: int) -> RRset | None:
    return cache.live(zone, EntryKind.NSEC, name.key, now)


def _nsec_before(cache: CachedRecords, zone: ZoneRecords, name: Name, now: int) -> RRset | None:
    """The NSEC with the greatest owner before ``name`` (the one that may
    cover it); the last one of the chain when none comes before."""
    keys = zone.nsec_keys
    if not keys:
        return None
    idx = bisect.bisect_left(keys, name.key) - 1
    return cache.live(zone, EntryKind.NSEC, keys[idx], now)


def from_nsec(
    cache: CachedRecords, zone: ZoneRecords, qname: Name, qtype: int, now: int
) -> Built | None:
    if not zone.nsec_keys:
        return None
    apex = zone.apex
    picked: list[RRset] = []
    exact = _nsec_at(cache, zone, qname, now)
    if exact is not None:
        picked.append(exact)
        proof = nsec_proofs.prove_nodata(_pairs(picked, apex), qname, qtype, apex)
        return _negative(cache, zone, Rcode.NOERROR, picked, proof, now)
    before = _nsec_before(cache, zone, qname, now)
    if before is None:
        return None
    picked.append(before)
    pairs = _pairs(picked, apex)
    cover = nsec_proofs.covering(pairs, qname, apex)
    if cover is None:
        return None
    owner, covering = cover
    if covering.next.is_strict_subdomain(qname):
        proof = nsec_proofs.prove_nodata(pairs, qname, qtype, apex)
        return _negative(cache, zone, Rcode.NOERROR, picked, proof, now)
    ce = nsec_proofs.closest_encloser(qname, owner, covering.next)
    if not ce.is_subdomain(apex):
        return None
    at_ce = _nsec_at(cache, zone, ce, now)
    if at_ce is not None:
        ce_nsec = _first_nsec(at_ce)
        if ce_nsec is None or RRType.DNAME in ce_nsec.types:
            return None
        if RRType.NS in ce_nsec.types and RRType.SOA not in ce_nsec.types:
            return None
        picked.append(at_ce)
    wild = ce.wildcard()
    data = cache.wildcard(zone, wild, qtype, now)
    if data is not None:
        # The cached wildcard RRset (validated with its signature) shows
        # that the wildcard exists; the covering NSEC that ``qname`` does not.
        return Rcode.NOERROR, [_expand(data, qname)], picked, f"wildcard {wild.to_text()}"
    at_wild = _nsec_at(cache, zone, wild, now)
    if at_wild is not None:
        wild_nsec = _first_nsec(at_wild)
        if wild_nsec is not None and (qtype in wild_nsec.types or RRType.CNAME in wild_nsec.types):
            data = cache.wildcard(zone, wild, qtype, now)
            if data is None:
                return None
            expanded = _expand(data, qname)
            return Rcode.NOERROR, [expanded], picked, f"wildcard {wild.to_text()}"
        picked.append(at_wild)
        proof = nsec_proofs.prove_nodata(_pairs(picked, apex), qname, qtype, apex)
        return _negative(cache, zone, Rcode.NOERROR, picked, proof, now)
    wild_cover = _nsec_before(cache, zone, wild, now)
    if wild_cover is None:
        return None
    picked.append(wild_cover)
    proof = nsec_proofs.prove_nxdomain(_pairs(picked, apex), qname, apex)
    return _negative(cache, zone, Rcode.NXDOMAIN, picked, proof, now)


def _negative(
    cache: CachedRecords,
    zone: ZoneRecords,
    rcode: int,
    picked: list[RRset],
    proof: nsec_proofs.Proof,
    now: int,
) -> Built | None:
    if not proof.ok or proof.insecure or proof.kind not in NEGATIVE_KINDS:
        return None
    if rcode == Rcode.NXDOMAIN and proof.kind != ProofKind.NXDOMAIN:
        rcode = Rcode.NOERROR  # an empty non-terminal
    if rcode == Rcode.NOERROR and proof.kind == ProofKind.NXDOMAIN:
        return None
    soa = cache.soa_of(zone, now)
    if soa is None:
        return None
    return rcode, [], [soa, *_unique(picked)], proof.text


# -- NSEC3 ------------------------------------------------------------------


def _nsec3_match(cache: CachedRecords, zone: ZoneRecords, digest: bytes, now: int) -> RRset | None:
    return cache.live(zone, EntryKind.NSEC3, digest, now)


def _nsec3_cover(cache: CachedRecords, zone: ZoneRecords, digest: bytes, now: int) -> RRset | None:
    hashes = zone.nsec3_hashes
    if not hashes:
        return None
    idx = bisect.bisect_left(hashes, digest) - 1
    rrset = cache.live(zone, EntryKind.NSEC3, hashes[idx], now)
    if rrset is None:
        return None
    rdata = _first_nsec3(rrset)
    if rdata is None or rdata.opt_out:
        # RFC 8198 section 4: an opt-out span may hide an unsigned
        # delegation; it never proves a name absent.
        return None
    owner = hashes[idx]
    nxt = rdata.next_hashed
    inside = owner < digest < nxt if owner < nxt else (digest > owner or digest < nxt)
    return rrset if inside else None


def from_nsec3(
    cache: CachedRecords, zone: ZoneRecords, qname: Name, qtype: int, now: int
) -> Built | None:
    params = zone.nsec3_params
    if params is None:
        return None
    apex = zone.apex
    ns3 = nsec3_proofs.NSEC3Set([], apex, cache.limits, Budget())
    ns3.params = params
    hash_of = ns3.hash
    try:
        digest = hash_of(qname)
        exact = _nsec3_match(cache, zone, digest, now)
        if exact is not None:
            proof = _nsec3_proof([exact], apex, cache.limits, qname, qtype, nodata=True)
            return _negative(cache, zone, Rcode.NOERROR, [exact], proof, now)
        positive = _nsec3_wildcard(cache, zone, qname, qtype, now, hash_of)
        if positive is not None:
            return positive
        # Closest encloser: the deepest ancestor with a matching NSEC3.
        ce: Name | None = None
        ce_rrset: RRset | None = None
        for depth in range(len(qname) - 1, len(apex) - 1, -1):
            candidate = qname.suffix(depth)
            ce_rrset = _nsec3_match(cache, zone, hash_of(candidate), now)
            if ce_rrset is not None:
                ce = candidate
                break
        if ce is None or ce_rrset is None:
            return None
        next_closer = qname.suffix(len(ce) + 1)
        nc_cover = _nsec3_cover(cache, zone, hash_of(next_closer), now)
        if nc_cover is None:
            return None
        wild = ce.wildcard()
        wild_hash = hash_of(wild)
        wild_match = _nsec3_match(cache, zone, wild_hash, now)
        if wild_match is not None:
            wild_rdata = _first_nsec3(wild_match)
            if wild_rdata is not None and (
                qtype in wild_rdata.types or RRType.CNAME in wild_rdata.types
            ):
                data = cache.wildcard(zone, wild, qtype, now)
                if data is None:
                    return None
                check = nsec3_proofs.NSEC3Set([ce_rrset, nc_cover], apex, cache.limits, Budget())
                if check.closest_encloser(qname) is None:
                    return None  # a DNAME or a delegation at the closest encloser
                return (
                    Rcode.NOERROR,
                    [_expand(data, qname)],
                    [nc_cover],
                    f"wildcard {wild.to_text()}",
                )
            picked = [ce_rrset, nc_cover, wild_match]
            proof = _nsec3_proof(picked, apex, cache.limits, qname, qtype, nodata=True)
            return _negative(cache, zone, Rcode.NOERROR, picked, proof, now)
        wild_cover = _nsec3_cover(cache, zone, wild_hash, now)
        if wild_cover is None:
            return None
        picked = [ce_rrset, nc_cover, wild_cover]
        proof = _nsec3_proof(picked, apex, cache.limits, qname, qtype, nodata=False)
        return _negative(cache, zone, Rcode.NXDOMAIN, picked, proof, now)
    except nsec3_proofs.LimitExceeded:
        return None


def _nsec3_wildcard(
    cache: CachedRecords,
    zone: ZoneRecords,
    qname: Name,
    qtype: int,
    now: int,
    hash_of: Callable[[Name], bytes],
) -> Built | None:
    """A wildcard answer: a cached wildcard ``*.p`` above ``qname`` (its
    signed data shows that ``p`` exists) and an NSEC3 without opt-out
    covering the next closer name below ``p`` (RFC 5155 section 8.8)."""
    if not zone.wildcards:
        return None
    for depth in range(len(qname) - 1, len(zone.apex) - 1, -1):
        parent = qname.suffix(depth)
        wild = parent.wildcard()
        if (wild, qtype) not in zone.wildcards and (wild, RRType.CNAME) not in zone.wildcards:
            continue
        data = cache.wildcard(zone, wild, qtype, now)
        if data is None:
            continue
        cover = _nsec3_cover(cache, zone, hash_of(qname.suffix(depth + 1)), now)
        if cover is None:
            return None
        return Rcode.NOERROR, [_expand(data, qname)], [cover], f"wildcard {wild.to_text()}"
    return None


def _nsec3_proof(
    rrsets: list[RRset], apex: Name, limits: Limits, qname: Name, qtype: int, *, nodata: bool
) -> nsec_proofs.Proof:
    ns3 = nsec3_proofs.NSEC3Set(_unique(rrsets), apex, limits, Budget())
    try:
        if nodata:
            return nsec3_proofs.prove_nodata(ns3, qname, qtype)
        return nsec3_proofs.prove_nxdomain(ns3, qname)
    except nsec3_proofs.LimitExceeded:
        return nsec_proofs.Proof(False, ProofKind.FAILED, "NSEC3 hash budget exhausted")


def _unique(rrsets: Iterable[RRset]) -> list[RRset]:
    out: list[RRset] = []
    for rrset in rrsets:
        if not any(rrset.same_data(o) for o in out):
            out.append(rrset)
    return out


def _pairs(rrsets: list[RRset], apex: Name) -> list[tuple[Name, NSEC]]:
    return nsec_proofs.nsec_records(rrsets, apex)


def _first_nsec(rrset: RRset) -> NSEC | None:
    return next((rd for rd in rrset.rdatas if isinstance(rd, NSEC)), None)


def _first_nsec3(rrset: RRset) -> NSEC3 | None:
    return next((rd for rd in rrset.rdatas if isinstance(rd, NSEC3)), None)


def _expand(wildcard: RRset, qname: Name) -> RRset:
    """The wildcard RRset as the server would have expanded it at ``qname``
    (the RRSIGs keep their labels field, which tells the validator)."""
    return RRset(
        qname,
        wildcard.rrtype,
        wildcard.rrclass,
        wildcard.ttl,
        wildcard.rdatas,
        wildcard.sigs,
        wildcard.sig_ttl,
    )
