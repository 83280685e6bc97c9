"""Denial of existence with NSEC3 (RFC 5155 section 8), with bounded work.

The records given have already been validated as signed by ``zone``.  Only
NSEC3 records whose owner is directly below the zone apex are used (a child
zone's NSEC3 cannot prove anything in the parent), with SHA-1 and the
parameters of the first record; hash computations are counted against the
resolution's budget (CVE-2023-50868).
"""

from __future__ import annotations

from ..wire.name import Name
from ..wire.rdata.base import b32hex_decode
from ..wire.rdata.dnssec import NSEC3
from ..wire.rrset import RRset
from ..wire.types import RRType
from .digest import nsec3_hash
from .limits import Limits
from .nsec import Proof, ProofKind
from .rrsig import Budget

_B32HEX_DIGITS = b"0123456789ABCDEFGHIJKLMNOPQRSTUV"

# Enum members bound once: an attribute lookup on the enum class costs
# about 0.1 µs, and the proofs test several types per record.
_T_CNAME = RRType.CNAME
_T_DNAME = RRType.DNAME
_T_DS = RRType.DS
_T_NS = RRType.NS
_T_NSEC3 = RRType.NSEC3
_T_SOA = RRType.SOA


def _owner_hash(label: bytes) -> bytes:
    """The hash an NSEC3 owner label spells in base32hex: the result of
    ``b32hex_decode(label.decode("ascii"))``, errors included.

    A SHA-1 hash is 32 digits, exactly 160 bits; once every octet is known
    to be a base32hex digit, ``int(label, 32)`` reads them in C, about ten
    times faster than the generic decoder (run for every NSEC3 record)."""
    if len(label) == 32 and not label.upper().translate(None, _B32HEX_DIGITS):
        return int(label, 32).to_bytes(20, "big")
    return b32hex_decode(label.decode("ascii"))


class LimitExceeded(Exception):
    """Raised inside this module when the hash budget runs out."""


class NSEC3Set:
    """The usable NSEC3 records of one zone, indexed by hash."""

    def __init__(self, rrsets: list[RRset], zone: Name, limits: Limits, budget: Budget) -> None:
        self.zone = zone
        self.limits = limits
        self.budget = budget
        self.records: list[tuple[bytes, NSEC3]] = []
        self.params: tuple[int, bytes] | None = None
        self.unknown_hash = False
        self.iterations = 0
        for rrset in rrsets:
            if rrset.rrtype != _T_NSEC3 or len(rrset.name) != len(zone) + 1:
                continue
            if not rrset.name.is_subdomain(zone):
                continue
            for rdata in rrset.rdatas:
                if not isinstance(rdata, NSEC3):
                    continue
                if rdata.hash_algorithm != 1:
                    self.unknown_hash = True
                    continue
                if self.params is None:
                    self.params = (rdata.iterations, rdata.salt)
                    self.iterations = rdata.iterations
                elif self.params != (rdata.iterations, rdata.salt):
                    continue
                try:
                    owner_hash = _owner_hash(rrset.name.labels[0])
                except (ValueError, UnicodeDecodeError):
                    continue
                if len(self.records) >= limits.max_nsec3_per_proof:
                    continue
                self.records.append((owner_hash, rdata))
        self._cache: dict[Name, bytes] = {}
        #: The records a match or cover found: what a proof rested on.
        self.used: list[NSEC3] = []

    def __bool__(self) -> bool:
        return bool(self.records)

    def hash(self, name: Name) -> bytes:
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        assert self.params is not None
        self.budget.nsec3_hashes += 1
        if self.budget.nsec3_hashes > self.limits.max_nsec3_hashes:
            raise LimitExceeded
        digest = nsec3_hash(name.canonical_wire(), self.params[1], self.params[0])
        self._cache[name] = digest
        return digest

    def match(self, name: Name) -> NSEC3 | None:
        h = self.hash(name)
        for owner_hash, rdata in self.records:
            if owner_hash == h:
                self.used.append(rdata)
                return rdata
        return None

    def cover(self, name: Name) -> NSEC3 | None:
        h = self.hash(name)
        for owner_hash, rdata in self.records:
            nxt = rdata.next_hashed
            if owner_hash < nxt:
                if owner_hash < h < nxt:
                    self.used.append(rdata)
                    return rdata
            elif h > owner_hash or h < nxt:  # last record wraps around
                self.used.append(rdata)
                return rdata
        return None

    def used_rrsets(self, rrsets: list[RRset]) -> list[RRset]:
        """Those of ``rrsets`` holding a record a match or cover found."""
        used = self.used
        return [r for r in rrsets if any(rd is u for rd in r.rdatas for u in used)]

    def closest_encloser(self, name: Name) -> tuple[Name, Name, NSEC3 | None] | None:
        """RFC 5155 8.3: the deepest ancestor that matches, the next closer
        name, and the NSEC3 covering the next closer name (if any)."""
        for depth in range(len(name) - 1, len(self.zone) - 1, -1):
            candidate = name.suffix(depth)
            matched = self.match(candidate)
            if matched is None:
                continue
            if _T_DNAME in matched.types:
                return None
            if _T_NS in matched.types and _T_SOA not in matched.types:
                # A delegation point cannot be the closest encloser of names below it.
                return None
            next_closer = name.suffix(depth + 1)
            return candidate, next_closer, self.cover(next_closer)
        return None


def _text(name: Name) -> str:
    return name.to_text()


def prove_nxdomain(ns3: NSEC3Set, name: Name) -> Proof:
    ce_info = ns3.closest_encloser(name)
    if ce_info is None:
        return Proof(False, ProofKind.FAILED, f"no NSEC3 closest-encloser proof for {_text(name)}")
    ce, next_closer, nc_cover = ce_info
    if nc_cover is None:
        return Proof(
            False, ProofKind.FAILED, f"no NSEC3 covers the next closer name {_text(next_closer)}"
        )
    wild = ce.wildcard()
    if ns3.match(wild) is not None:
        return Proof(False, ProofKind.FAILED, f"the wildcard {_text(wild)} exists")
    if ns3.cover(wild) is None:
        return Proof(False, ProofKind.FAILED, f"no NSEC3 denies the wildcard {_text(wild)}")
    if nc_cover.opt_out:
        return Proof(
            True,
            ProofKind.OPTOUT,
            f"NSEC3 opt-out covers {_text(next_closer)}: the name may be an unsigned delegation",
            insecure=True,
        )
    return Proof(
        True,
        ProofKind.NXDOMAIN,
        f"NSEC3 closest encloser {_text(ce)}, next closer "
        f"{_text(next_closer)} covered, wildcard denied",
    )


def prove_nodata(ns3: NSEC3Set, name: Name, qtype: int) -> Proof:
    matched = ns3.match(name)
    if matched is not None:
        if qtype in matched.types or _T_CNAME in matched.types:
            return Proof(
                False, ProofKind.FAILED, f"NSEC3 for {_text(name)} lists the type asked for"
            )
        if qtype == _T_DS:
            if _T_SOA in matched.types and not name.is_root():
                return Proof(False, ProofKind.FAILED, f"NSEC3 for {_text(name)} is the child apex")
        elif _T_NS in matched.types and _T_SOA not in matched.types:
            return Proof(
                False,
                ProofKind.FAILED,
                f"NSEC3 for {_text(name)} is the parent side of a "
                "delegation; it cannot deny data in the child zone",
            )
        return Proof(
            True, ProofKind.NODATA, f"NSEC3 for {_text(name)} shows no {RRType.to_text(qtype)}"
        )
    ce_info = ns3.closest_encloser(name)
    if ce_info is None:
        return Proof(
            False, ProofKind.FAILED, f"no NSEC3 matches {_text(name)} and no closest encloser"
        )
    ce, next_closer, nc_cover = ce_info
    if nc_cover is None:
        return Proof(
            False, ProofKind.FAILED, f"no NSEC3 covers the next closer name {_text(next_closer)}"
        )
    if qtype == _T_DS and nc_cover.opt_out:
        # RFC 5155 8.6: opt-out covering the next closer name: insecure delegation.
        return Proof(
            True, ProofKind.OPTOUT, f"NSEC3 opt-out covers {_text(next_closer)}", insecure=True
        )
    wild = ce.wildcard()
    wmatch = ns3.match(wild)
    if wmatch is not None:
        if qtype in wmatch.types or _T_CNAME in wmatch.types:
            return Proof(
                False, ProofKind.FAILED, f"NSEC3 for {_text(wild)} lists the type asked for"
            )
        if nc_cover.opt_out:
            return Proof(
                True,
                ProofKind.OPTOUT,
                f"wildcard NODATA under opt-out at {_text(next_closer)}",
                insecure=True,
            )
        return Proof(
            True,
            ProofKind.WILDCARD_NODATA,
            f"wildcard {_text(wild)} has no {RRType.to_text(qtype)}",
        )
    if nc_cover.opt_out:
        # RFC 5155 8.7 (Unbound's case 5): data under an opt-out span may sit
        # below an unsigned delegation; nothing is proven, nothing is forged.
        return Proof(
            True, ProofKind.OPTOUT, f"NSEC3 opt-out covers {_text(next_closer)}", insecure=True
        )
    return Proof(False, ProofKind.FAILED, f"no NSEC3 matches {_text(name)} for a NODATA answer")


def prove_wildcard_answer(ns3: NSEC3Set, name: Name, labels: int) -> Proof:
    """The RRSIG labels field says the source was ``*.<suffix(labels)>``;
    the next closer name below that closest encloser must be covered."""
    next_closer = name.suffix(labels + 1)
    cover = ns3.cover(next_closer)
    if cover is None:
        return Proof(
            False, ProofKind.FAILED, f"no NSEC3 covers {_text(next_closer)} for the wildcard answer"
        )
    if cover.opt_out:
        return Proof(
            True, ProofKind.OPTOUT, f"opt-out NSEC3 covers {_text(next_closer)}", insecure=True
        )
    return Proof(True, ProofKind.WILDCARD_ANSWER, f"NSEC3 covers {_text(next_closer)}")


def prove_no_ds(ns3: NSEC3Set, name: Name) -> Proof:
    matched = ns3.match(name)
    if matched is not None:
        if _T_DS in matched.types:
            return Proof(False, ProofKind.DS_EXISTS, f"NSEC3 for {_text(name)} lists DS")
        if _T_SOA in matched.types:
            return Proof(False, ProofKind.FAILED, f"NSEC3 for {_text(name)} is from the child apex")
        if _T_NS in matched.types:
            return Proof(
                True, ProofKind.NO_DS, f"NSEC3 for {_text(name)} shows NS without DS", insecure=True
            )
        return Proof(True, ProofKind.NOT_A_CUT, f"NSEC3 shows {_text(name)} is not a delegation")
    ce_info = ns3.closest_encloser(name)
    if ce_info is None:
        return Proof(False, ProofKind.FAILED, f"no NSEC3 proof about {_text(name)}")
    _ce, next_closer, nc_cover = ce_info
    if nc_cover is None:
        return Proof(False, ProofKind.FAILED, f"no NSEC3 covers {_text(next_closer)}")
    if nc_cover.opt_out:
        return Proof(
            True, ProofKind.NO_DS, f"NSEC3 opt-out covers {_text(next_closer)}", insecure=True
        )
    return Proof(True, ProofKind.NOT_A_CUT, f"NSEC3 shows {_text(name)} does not exist")
