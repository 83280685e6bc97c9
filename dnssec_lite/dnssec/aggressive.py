"""Aggressive use of the DNSSEC-validated cache (RFC 8198), sans-I/O.

:class:`AggressiveCache` keeps records taken from SECURE answers only:

* the NSEC and NSEC3 RRsets (with their RRSIGs) of validated denials and
  wildcard proofs, and the zone's SOA RRset from negative answers;
* wildcard RRsets, recovered from wildcard-expanded answers (an RRSIG whose
  labels field is smaller than its owner's label count), kept under their
  ``*.`` owner;
* the other answer RRsets of SECURE answers (CNAMEs included: a
  resolver's RRset cache), each with its RRSIGs.

:meth:`AggressiveCache.synthesize` builds, from these records, a *response*
(a :class:`~dnssec_lite.wire.message.Message`) to a question: NXDOMAIN,
NODATA (also for an empty non-terminal and under a wildcard) or a
wildcard-expanded answer, with the SOA, the NSEC/NSEC3 records and their
signatures in the authority section.  The driver validates that response
like any other one (:class:`~dnssec_lite.dnssec.chain.Validator`), so a
synthesized answer gets its status, reason and chain of trust the usual way
and every signature is checked again at the caller's ``now``.  Which records
answer a question, and the proof that they do, is :mod:`.synthesis`; this
module stores the records and bounds their lifetimes.

Rules (RFC 8198 sections 4, 5.4 and 6; RFC 9077):

* only records of SECURE answers are stored; anything else is ignored;
* a record lives min(its TTL, the SOA's TTL, the SOA's MINIMUM field, the
  answer's TTL (which the validator capped by signature expirations),
  ``max_ttl``) seconds; the synthesized response carries the remaining time;
* NSEC3 records are used only with SHA-1 and at most ``max_nsec3_iterations``
  iterations, and an opt-out NSEC3 is never used to cover a name (an opt-out
  span may hide an unsigned delegation);
* a negative response needs the zone's SOA in the cache;
* NSEC records from the parent side of a delegation prove nothing below it
  (the proof functions of :mod:`.nsec` and :mod:`.nsec3` refuse them).

The cache never reads the clock: every call takes ``now``.  It is bounded:
at most ``max_entries`` RRsets, least recently used first out.
"""

from __future__ import annotations

import bisect
import logging
from collections import OrderedDict
from collections.abc import Iterable

from ..wire.edns import EDNS_DO, Edns
from ..wire.message import Message, Question
from ..wire.name import Name
from ..wire.rdata.base import b32hex_decode
from ..wire.rdata.dnssec import NSEC, NSEC3
from ..wire.rdata.names import SOA
from ..wire.rrset import RRset
from ..wire.types import FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD, Rcode, RRClass, RRType
from . import synthesis
from .limits import DEFAULT_LIMITS, Limits
from .status import Answer, Status
from .synthesis import EntryKind, Item, ZoneRecords

__all__ = ["DEFAULT_MAX_ENTRIES", "MAX_TTL", "AggressiveCache"]

log = logging.getLogger("dnssec_lite.dnssec.aggressive")

#: Default bound on the number of RRsets kept.
DEFAULT_MAX_ENTRIES = 4096
#: Upper bound on any lifetime (one day, as Unbound's cache-max-ttl).
MAX_TTL = 86400

_NOT_SYNTHESIZED = frozenset({RRType.RRSIG, RRType.NSEC, RRType.NSEC3, RRType.ANY})
_NO_ZONE = Name.from_text(".")

# An entry key: (zone, kind, owner key or hash, type).
_Key = tuple[Name, EntryKind, object, int]


class AggressiveCache:
    """Validated denial records, wildcards and answer RRsets (CNAMEs included);
    see the module docstring.

    ``nsec3=False`` leaves NSEC3 records out (RFC 8198 section 4 makes their
    aggressive use optional); ``max_nsec3_iterations`` defaults to the
    limits' value.  Nothing is synthesized or taken from the CNAME cache
    for a name at or below one of ``negative_anchors`` (names the validator
    treats as insecure: the cached proofs of the zone above do not apply).
    """

    def __init__(
        self,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        *,
        nsec3: bool = True,
        max_ttl: int = MAX_TTL,
        limits: Limits = DEFAULT_LIMITS,
        max_nsec3_iterations: int | None = None,
        negative_anchors: Iterable[Name] = (),
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.nsec3 = nsec3
        self.max_ttl = max_ttl
        self.limits = limits
        self.max_nsec3_iterations = (
            limits.max_nsec3_iterations if max_nsec3_iterations is None else max_nsec3_iterations
        )
        self.negative_anchors = frozenset(negative_anchors)
        self._zones: dict[Name, ZoneRecords] = {}
        self._rrsets: dict[tuple[Name, int], Item] = {}
        self._lru: OrderedDict[_Key, None] = OrderedDict()
        self._created: list[Name] = []
        self.hits = 0

    # -- size -----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._lru)

    def clear(self) -> None:
        self._zones.clear()
        self._rrsets.clear()
        self._lru.clear()

    # -- storing --------------------------------------------------------------
    def add(self, answer: Answer, now: int) -> int:
        """Keep the usable records of ``answer`` (SECURE only); returns how
        many RRsets were stored."""
        if answer.status is not Status.SECURE:
            return 0
        cap = min(self.max_ttl, answer.ttl) if answer.ttl > 0 else self.max_ttl
        stored = 0
        soa = next(
            (r for r in answer.denial if r.rrtype == RRType.SOA and _soa(r) is not None), None
        )
        negative: tuple[Name, int] | None = None
        if soa is not None and _signer(soa) == soa.name:
            rdata = _soa(soa)
            assert rdata is not None
            negative = (soa.name, min(soa.ttl, rdata.minimum))
            life = min(cap, negative[1])
            if life > 0:
                self._zone(soa.name).soa = Item(soa, now + life)
                self._touch((soa.name, EntryKind.SOA, b"", RRType.SOA))
                stored += 1
        for rrset in answer.denial:
            if rrset.rrtype not in (RRType.NSEC, RRType.NSEC3):
                continue
            signer = _signer(rrset)
            if signer is None or not rrset.name.is_subdomain(signer):
                continue
            zone = self._zone(signer)
            life = min(cap, rrset.ttl)
            if negative is not None and negative[0] == signer:
                life = min(life, negative[1])
            elif zone.soa is not None and zone.soa.expires > now:
                life = min(life, zone.soa.expires - now)
            if life <= 0:
                continue
            if rrset.rrtype == RRType.NSEC:
                stored += self._add_nsec(zone, rrset, now + life)
            elif self.nsec3:
                stored += self._add_nsec3(zone, rrset, now + life)
        for rrset in answer.rrsets:
            life = min(cap, rrset.ttl)
            if life <= 0 or not rrset.sigs:
                continue
            labels = min(sig.labels for sig in rrset.sigs)
            if labels >= rrset.name.label_count():
                # A wildcard-expanded RRset is left to the wildcard entry
                # below: alone it would come without its NSEC/NSEC3 proof.
                self._rrsets[(rrset.name, rrset.rrtype)] = Item(rrset, now + life)
                self._touch((_NO_ZONE, EntryKind.RRSET, rrset.name, rrset.rrtype))
                stored += 1
            signer = _signer(rrset)
            if signer is not None and labels < rrset.name.label_count():
                wild = rrset.name.suffix(labels).wildcard()
                if wild.is_subdomain(signer):
                    zone = self._zone(signer)
                    source = RRset(
                        wild, rrset.rrtype, rrset.rrclass, rrset.ttl, rrset.rdatas, rrset.sigs
                    )
                    zone.wildcards[(wild, rrset.rrtype)] = Item(source, now + life)
                    self._touch((signer, EntryKind.WILD, wild, rrset.rrtype))
                    stored += 1
        for apex in self._created:
            created = self._zones.get(apex)
            if created is not None and created.empty():
                del self._zones[apex]  # nothing usable came for it
        self._created.clear()
        self._shrink()
        return stored

    def _add_nsec(self, zone: ZoneRecords, rrset: RRset, expires: int) -> int:
        rdata = next((rd for rd in rrset.rdatas if isinstance(rd, NSEC)), None)
        if rdata is None or not rdata.next.is_subdomain(zone.apex):
            # Scrubbed as Unbound does: a span leaving the zone proves
            # nothing about names outside it and is not kept.
            return 0
        key = rrset.name.key
        if key not in zone.nsec:
            bisect.insort(zone.nsec_keys, key)
        zone.nsec[key] = Item(rrset, expires)
        self._touch((zone.apex, EntryKind.NSEC, key, RRType.NSEC))
        return 1

    def _add_nsec3(self, zone: ZoneRecords, rrset: RRset, expires: int) -> int:
        if len(rrset.name) != len(zone.apex) + 1:
            return 0
        rdata = next((rd for rd in rrset.rdatas if isinstance(rd, NSEC3)), None)
        if rdata is None or rdata.hash_algorithm != 1:
            return 0
        if rdata.iterations > self.max_nsec3_iterations:
            return 0
        params = (rdata.iterations, rdata.salt)
        if zone.nsec3_params != params:
            # New parameters (a re-salted chain): the old records go.
            for old in zone.nsec3:
                self._lru.pop((zone.apex, EntryKind.NSEC3, old, RRType.NSEC3), None)
            zone.nsec3.clear()
            zone.nsec3_hashes.clear()
            zone.nsec3_params = params
        try:
            owner_hash = b32hex_decode(rrset.name.labels[0].decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            return 0
        if owner_hash not in zone.nsec3:
            bisect.insort(zone.nsec3_hashes, owner_hash)
        zone.nsec3[owner_hash] = Item(rrset, expires)
        self._touch((zone.apex, EntryKind.NSEC3, owner_hash, RRType.NSEC3))
        return 1

    def _zone(self, apex: Name) -> ZoneRecords:
        zone = self._zones.get(apex)
        if zone is None:
            zone = self._zones[apex] = ZoneRecords(apex)
            self._created.append(apex)
        return zone

    def _touch(self, key: _Key) -> None:
        self._lru[key] = None
        self._lru.move_to_end(key)

    def _shrink(self) -> None:
        while len(self._lru) > self.max_entries:
            key, _ = self._lru.popitem(last=False)
            self._forget(key)

    def _forget(self, key: _Key) -> None:
        apex, kind, what, rrtype = key
        self._lru.pop(key, None)
        if kind is EntryKind.RRSET:
            if isinstance(what, Name):
                self._rrsets.pop((what, rrtype), None)
            return
        zone = self._zones.get(apex)
        if zone is None:
            return
        if kind is EntryKind.SOA:
            zone.soa = None
        elif kind is EntryKind.NSEC and isinstance(what, tuple):
            if zone.nsec.pop(what, None) is not None:
                idx = bisect.bisect_left(zone.nsec_keys, what)
                if idx < len(zone.nsec_keys) and zone.nsec_keys[idx] == what:
                    del zone.nsec_keys[idx]
        elif kind is EntryKind.NSEC3 and isinstance(what, bytes):
            if zone.nsec3.pop(what, None) is not None:
                idx = bisect.bisect_left(zone.nsec3_hashes, what)
                if idx < len(zone.nsec3_hashes) and zone.nsec3_hashes[idx] == what:
                    del zone.nsec3_hashes[idx]
        elif kind is EntryKind.WILD and isinstance(what, Name):
            zone.wildcards.pop((what, rrtype), None)
        if zone.empty():
            del self._zones[apex]

    # -- lookups --------------------------------------------------------------
    def rrset(self, name: Name, rrtype: int, now: int) -> RRset | None:
        """The validated RRset (with its RRSIGs, TTL counted down) of an
        earlier SECURE answer, if cached and not expired."""
        if self._under_negative_anchor(name):
            return None
        item = self._rrsets.get((name, rrtype))
        if item is None:
            return None
        if item.expires <= now:
            self._forget((_NO_ZONE, EntryKind.RRSET, name, rrtype))
            return None
        self._touch((_NO_ZONE, EntryKind.RRSET, name, rrtype))
        return item.rrset.with_ttl(min(item.rrset.ttl, item.expires - now))

    def cname(self, name: Name, now: int) -> RRset | None:
        """The validated CNAME RRset at ``name``, if cached (a CNAME cache)."""
        return self.rrset(name, RRType.CNAME, now)

    def _under_negative_anchor(self, name: Name) -> bool:
        return any(name.is_subdomain(zone) for zone in self.negative_anchors)

    def synthesize(self, question: Question, now: int) -> Message | None:
        """A response to ``question`` built from the cache, or None.

        The response is not trusted by itself: validate it (the records keep
        their RRSIGs).  A hit is logged at DEBUG level.
        """
        qname, qtype = question.name, question.rrtype
        if qtype in _NOT_SYNTHESIZED or question.rrclass != RRClass.IN:
            return None
        if self._under_negative_anchor(qname):
            return None
        zone = self._closest_zone(qname, qtype)
        if zone is None:
            return None
        built = synthesis.from_nsec(self, zone, qname, qtype, now)
        if built is None and self.nsec3 and zone.nsec3:
            built = synthesis.from_nsec3(self, zone, qname, qtype, now)
        if built is None:
            return None
        rcode, answer, authority, why = built
        self.hits += 1
        log.debug(
            "aggressive cache: %s %s answered %s from cached records of %s (%s)",
            qname.to_text(),
            RRType.to_text(qtype),
            Rcode.to_text(rcode),
            zone.apex.to_text(),
            why,
        )
        return Message(
            id=0,
            flags=FLAG_QR | FLAG_RD | FLAG_RA | FLAG_CD,
            rcode=rcode,
            question=(Question(qname, qtype, RRClass.IN),),
            answer=tuple(answer),
            authority=tuple(authority),
            edns=Edns(flags=EDNS_DO),
        )

    def _closest_zone(self, qname: Name, qtype: int) -> ZoneRecords | None:
        # DS lives on the parent side: the zone at the name itself cannot deny it.
        start = len(qname) - 1 if qtype == RRType.DS else len(qname)
        for depth in range(start, -1, -1):
            zone = self._zones.get(qname.suffix(depth))
            if zone is not None:
                return zone
        return None

    def live(
        self, zone: ZoneRecords, kind: EntryKind, what: bytes | tuple[bytes, ...], now: int
    ) -> RRset | None:
        """The NSEC (owner key) or NSEC3 (owner hash) RRset if not expired."""
        if kind is EntryKind.NSEC:
            assert isinstance(what, tuple)
            item = zone.nsec.get(what)
            rrtype = RRType.NSEC
        else:
            assert isinstance(what, bytes)
            item = zone.nsec3.get(what)
            rrtype = RRType.NSEC3
        if item is None:
            return None
        if item.expires <= now:
            self._forget((zone.apex, kind, what, rrtype))
            return None
        self._touch((zone.apex, kind, what, rrtype))
        return item.rrset.with_ttl(min(item.rrset.ttl, item.expires - now))

    def soa_of(self, zone: ZoneRecords, now: int) -> RRset | None:
        item = zone.soa
        if item is None:
            return None
        if item.expires <= now:
            self._forget((zone.apex, EntryKind.SOA, b"", RRType.SOA))
            return None
        self._touch((zone.apex, EntryKind.SOA, b"", RRType.SOA))
        return item.rrset.with_ttl(min(item.rrset.ttl, item.expires - now))

    def wildcard(self, zone: ZoneRecords, wild: Name, qtype: int, now: int) -> RRset | None:
        for rrtype in (qtype, RRType.CNAME):
            item = zone.wildcards.get((wild, rrtype))
            if item is None:
                continue
            if item.expires <= now:
                self._forget((zone.apex, EntryKind.WILD, wild, rrtype))
                continue
            self._touch((zone.apex, EntryKind.WILD, wild, rrtype))
            return item.rrset.with_ttl(min(item.rrset.ttl, item.expires - now))
        return None


def _soa(rrset: RRset) -> SOA | None:
    return next((rd for rd in rrset.rdatas if isinstance(rd, SOA)), None)


def _signer(rrset: RRset) -> Name | None:
    """The one signer of the RRset's RRSIGs (None if unsigned or mixed)."""
    signers = {sig.signer for sig in rrset.sigs}
    if len(signers) != 1:
        return None
    return next(iter(signers))
