"""The chain of trust, walked top-down to the zone that signed a record.

From the closest trust anchor (or the deepest zone already in the key
cache) the walk asks the DS of each name on the way down (RFC 4035 5.2) and
validates each DNSKEY RRset against its DS records or the anchor; it never
asks a name below a proven insecure delegation.  To keep a cold chain to one
round trip, it asks the DS and DNSKEY sets of every name on the way at once.

:class:`TrustWalk` is the part of the validation job that does this; the
job (``chain.ValidationJob``) inherits it and supplies the state declared
on it.  Plain methods rather than functions taking the job: the warm path
calls them once per RRset, and an attribute of ``self`` costs no more.
Validating a zone's DNSKEY RRset and checking RRsets with its keys is the
part below it (``zonekeys.ZoneKeys``), which the walk inherits.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from enum import Enum

from ..wire.message import Message
from ..wire.name import Name
from ..wire.rrset import RRset
from ..wire.types import EDE, Rcode, RRType
from . import nsec as nsec_proofs
from . import nsec3 as nsec3_proofs
from . import reasons
from .fetch import Fetch, FetchFailed, Need
from .keycache import KeyEntry
from .nsec import ProofKind
from .sections import negative_signer
from .status import Reason, Status
from .zonekeys import WalkConfig, ZoneKeys, keyless_entry

log = logging.getLogger("dnssec_lite.dnssec")

# Enum members bound once: reading ``Status.X`` or ``RRType.X`` is an
# attribute lookup on the enum class (about 0.1 µs), dozens of times per
# cold chain.
_SECURE = Status.SECURE
_INSECURE = Status.INSECURE
_BOGUS = Status.BOGUS
_T_DS = RRType.DS
_T_DNSKEY = RRType.DNSKEY
_T_CNAME = RRType.CNAME
_T_NSEC = RRType.NSEC
_T_NSEC3 = RRType.NSEC3
_DS_RCODES = (Rcode.NOERROR, Rcode.NXDOMAIN)


class DsStep(Enum):
    """What the DS question at a name below a secure zone showed."""

    CUT = "cut"  # a secure delegation (its DS RRset comes with it)
    INSECURE = "insecure"  # a proven unsigned delegation, or one the policy cannot follow
    NOCUT = "nocut"  # no zone cut at the name: the walk goes on below
    BOGUS = "bogus"


_CUT = DsStep.CUT
_NOCUT = DsStep.NOCUT
_STEP_INSECURE = DsStep.INSECURE
_STEP_BOGUS = DsStep.BOGUS
# Fetches built with tuple.__new__: the named tuple's own __new__ is a
# Python function, and a cold walk builds a dozen fetches.
_tuple_new = tuple.__new__


class TrustWalk(ZoneKeys):
    """Finding the keys of zones top-down, for one validation job."""

    def _need(self, fetches: list[Fetch]) -> Need:
        todo = [f for f in dict.fromkeys(fetches) if f not in self.results]
        if todo:
            room = max(self.limits.max_fetches - len(self.results), 0)
            for fetch in todo[room:]:  # beyond the limit: failed without asking
                self.results[fetch] = FetchFailed(
                    f"fetch limit of {self.limits.max_fetches} reached", EDE.DNSSEC_BOGUS
                )
            if not room:
                return
            if log.isEnabledFor(logging.DEBUG):
                log.debug("validator needs %s", ", ".join(str(f) for f in todo[:room]))
            yield todo[:room]

    def _validated_proofs(
        self, response: Message, entry: KeyEntry
    ) -> tuple[list[RRset], list[RRset], Reason | None]:
        """NSEC and NSEC3 RRsets of the authority section signed by the zone."""
        nsecs: list[RRset] = []
        nsec3s: list[RRset] = []
        zone = entry.zone
        for rrset in response.authority:
            rrtype = rrset.rrtype
            if rrtype != _T_NSEC and rrtype != _T_NSEC3:
                continue
            if not rrset.name.is_subdomain(zone):
                continue
            for sig in rrset.sigs:  # any() without a generator
                if sig.signer == zone:
                    break
            else:
                continue
            check = self._check(rrset, entry)
            if not check.ok:
                return [], [], check.reason
            if check.sig is not None and check.sig.labels < rrset.name.label_count():
                # Synthesised from a wildcard: such a record says nothing
                # about the names it seems to cover (CVE-2017-15105).
                continue
            (nsecs if rrtype == _T_NSEC else nsec3s).append(rrset)
        return nsecs, nsec3s, None

    def _zone_of(self, name: Name, rrtype: int = 0) -> Generator[list[Fetch], None, KeyEntry]:
        """The security of the zone holding ``name``/``rrtype`` (walk down to it).

        DS records live on the parent side of a cut (RFC 4035 2.4), so for
        them the walk stops at the parent's zone."""
        if rrtype == _T_DS and not name.is_root():
            name = name.parent()
        return (yield from self._keys_for(name))

    def _keys_for(
        self, target: Name, known_missed: bool = False
    ) -> Generator[list[Fetch], None, KeyEntry]:
        """Walk from the closest trust anchor down to ``target``.

        Returns the entry of the deepest zone found at or above ``target``:
        SECURE with its keys, INSECURE below an unsigned delegation, or BOGUS.
        ``known_missed``: the caller has just had None from
        ``_known_keys(target)``, which need not be asked again.
        """
        if not known_missed:
            known = self._known_keys(target)
            if known is not None:
                return known
        anchors = self.validator.anchors
        cache = self.validator.key_cache
        anchor = anchors.closest(target)
        if anchor is None:
            why = anchors.problem_for(target) if anchors.problems else None
            return KeyEntry(target, Status.INDETERMINATE, reason=reasons.no_anchor(target, why))
        start: KeyEntry | None = None
        # The names from below the anchor down to ``target``, built once: the
        # cache probe and the walk use the same ones.  The probe goes from the
        # parent of ``target`` up to the anchor: _known_keys has looked up
        # ``target`` itself (the cache is keyed by zone, so a hit there would
        # have been returned).
        # (Label counts read as len(name.labels): Name.__len__ is a Python call.)
        top = len(anchor.zone.labels)
        size = len(target.labels)
        path = [target.suffix(d) for d in range(top + 1, size)]
        if size > top:
            path.append(target)
        below_start = 0
        for depth in range(len(path) - 2, -2, -1):
            cached = cache.get(path[depth] if depth >= 0 else anchor.zone, self.now)
            if cached is not None:
                start = cached
                below_start = len(start.zone.labels) - top
                break
        names_below = path[below_start:]
        if len(names_below) > self.limits.max_delegation_depth:
            return KeyEntry(
                target,
                _BOGUS,
                reason=reasons.limit_hit(
                    f"{target.to_text()} is too deep below its trust anchor",
                    self.limits.max_delegation_depth,
                    target,
                    None,
                ),
            )
        # Ask for everything this walk may need at once: parallel fetches.
        wanted: list[Fetch] = []
        if start is None:
            wanted.append(_tuple_new(Fetch, (anchor.zone, _T_DNSKEY)))
        if start is None or start.status is _SECURE:
            for below in names_below:
                wanted.append(_tuple_new(Fetch, (below, _T_DS)))
                wanted.append(_tuple_new(Fetch, (below, _T_DNSKEY)))
        yield from self._need(wanted)
        if start is None:
            entry = self._anchor_entry(anchor)
            self._remember(entry)
        else:
            entry = start
            self._record(entry)
        if entry.status is not _SECURE:
            return entry
        index = 0
        while index < len(names_below):
            below = names_below[index]
            index += 1
            step = self._ds_step(entry, below)
            kind = step[0]
            if kind is _STEP_BOGUS:
                # The DS answer for ``below`` is broken; a validated DS
                # further down signed by this same zone proves that no cut
                # lies between (an empty non-terminal, say), so the walk
                # may go on from there.
                deeper = self._deeper_cut(entry, names_below, index)
                if deeper is not None:
                    index, below, step = deeper
                    kind = step[0]
            if kind is _NOCUT:
                continue
            if kind is _CUT:
                ds_rrset = step[1]
                assert isinstance(ds_rrset, RRset)
                entry = self._dnskey_entry(below, ds_rrset, entry)
                self._remember(entry)
                if entry.status is not _SECURE:
                    return entry
                continue
            if kind is _STEP_INSECURE:
                reason = step[1]
                assert isinstance(reason, Reason)
                ttl = self._denial_ttl(below, entry)
                insecure = keyless_entry(below, _INSECURE, reason, ttl=ttl)
                self._remember(insecure)
                return insecure
            reason = step[1]
            assert isinstance(reason, Reason)
            bogus = keyless_entry(below, _BOGUS, reason)
            self._remember(bogus)
            return bogus
        return entry

    def _deeper_cut(
        self, parent: KeyEntry, names: list[Name], start: int
    ) -> tuple[int, Name, tuple[DsStep, RRset | Reason | None]] | None:
        """The first name from ``names[start:]`` whose DS RRset was fetched
        and validates with ``parent``'s keys (its signer is ``parent``'s zone,
        so ``parent``'s zone holds that name and no cut lies above it): the
        index after it, the name and its CUT step.  Only a validated DS
        counts, so this can lead to SECURE or BOGUS, never to INSECURE."""
        zone = parent.zone
        for position in range(start, len(names)):
            name = names[position]
            result = self.results.get(_tuple_new(Fetch, (name, _T_DS)))
            if not isinstance(result, Message):
                continue
            ds_rrset = result.get_answer(name, _T_DS)
            if ds_rrset is None or not any(sig.signer == zone for sig in ds_rrset.sigs):
                continue
            step = self._ds_step(parent, name)
            if step[0] is _CUT:
                return position + 1, name, step
            return None
        return None

    def _known_keys(self, target: Name) -> KeyEntry | None:
        """The entry for ``target`` when no walk is needed: a negative trust
        anchor covers it, or the cache knows the zone itself (the warm path,
        taken without starting a generator)."""
        anchors = self.validator.anchors
        if anchors.negative:
            nta = anchors.negative_for(target)
            if nta is not None:
                return KeyEntry(nta, _INSECURE, reason=reasons.negative_anchor(target, nta))
        exact = self.validator.key_cache.get(target, self.now)
        if exact is not None and exact.zone == target:
            # _record inline (the warm path)
            # setdefault: one hash of the name where "not in" and a store cost two.
            if exact.link is not None:
                self._chain.setdefault(exact.zone, exact.link)
            return exact
        return None

    def _record(self, entry: KeyEntry) -> None:
        if entry.link is not None:  # the first link of a zone stays
            self._chain.setdefault(entry.zone, entry.link)

    def _remember(self, entry: KeyEntry) -> None:
        if entry.link is not None:  # _record inline
            self._chain.setdefault(entry.zone, entry.link)
        # Whatever the entry's own TTL says, nothing outlives max_key_ttl, and
        # a BOGUS verdict (perhaps an attacker's doing) only bogus_ttl.
        limits = self.limits
        ttl = min(limits.bogus_ttl if entry.status is _BOGUS else entry.ttl, limits.max_key_ttl)
        self.validator.key_cache.put(entry, self.now, ttl)

    def _denial_ttl(self, name: Name, parent: KeyEntry) -> int:
        """How long the proof that ``name`` has no DS may be believed: the
        parent's own lifetime, capped by the TTL, original TTL and remaining
        validity of the NSEC/NSEC3 records the parent signed for it."""
        ttl = parent.ttl
        result = self._result(_tuple_new(Fetch, (name, _T_DS)))
        if isinstance(result, FetchFailed):
            return 0
        now32 = self.sig_time & 0xFFFFFFFF
        zone = parent.zone
        for rrset in result.authority:
            if rrset.rrtype != _T_NSEC and rrset.rrtype != _T_NSEC3:
                continue
            for sig in rrset.sigs:
                if sig.signer != zone:
                    continue
                ttl = min(ttl, rrset.ttl, sig.original_ttl)
                if not self.validator.ignore_time:
                    ttl = min(ttl, (sig.expiration - now32) & 0xFFFFFFFF)
        return ttl

    def _ds_step(self, parent: KeyEntry, name: Name) -> tuple[DsStep, RRset | Reason | None]:
        """Is ``name`` a secure cut (CUT, DS RRset), an unsigned one
        (INSECURE, reason), no cut (NOCUT, None) or broken (BOGUS, reason)?"""
        result = self._result(_tuple_new(Fetch, (name, _T_DS)))
        if isinstance(result, FetchFailed):
            return _STEP_BOGUS, reasons.ds_lookup_failed(name, result.ede, result.reason)
        if result.rcode not in _DS_RCODES:
            return _STEP_BOGUS, reasons.ds_lookup_rcode(name, result.rcode)
        ds_rrset = result.get_answer(name, _T_DS)
        if ds_rrset is not None:
            check = self._check(ds_rrset, parent)
            if not check.ok:
                return _STEP_BOGUS, check.reason or reasons.rrsigs_missing(name, _T_DS, parent.zone)
            return _CUT, ds_rrset.with_ttl(
                min(ds_rrset.ttl, check.expires_in, check.sig.original_ttl if check.sig else 0)
            )
        cname = result.get_answer(name, _T_CNAME)
        if cname is not None:
            check = self._check(cname, parent)
            if not check.ok:
                return _STEP_BOGUS, check.reason or reasons.rrsigs_missing(
                    name, _T_CNAME, parent.zone
                )
            return _NOCUT, None
        signer = negative_signer(result, name)
        if signer is not None and signer != parent.zone:
            if signer.is_strict_subdomain(parent.zone) and signer == name:
                # The child zone answered (a resolver that asked the wrong side):
                # the name is a cut, but its DS cannot be judged from this.
                return _STEP_BOGUS, reasons.ds_denial_from_child(name)
            if not signer.is_subdomain(parent.zone):
                return _STEP_BOGUS, reasons.ds_denial_outside(name, signer, parent.zone)
        nsecs, nsec3s, problem = self._validated_proofs(result, parent)
        if problem is not None:
            return _STEP_BOGUS, problem
        proof: nsec_proofs.Proof
        if nsecs:
            records = nsec_proofs.nsec_records(nsecs, parent.zone)
            proof = nsec_proofs.prove_no_ds(records, name, parent.zone)
        elif nsec3s:
            ns3 = nsec3_proofs.NSEC3Set(nsec3s, parent.zone, self.limits, self.budget)
            if not ns3:
                if ns3.unknown_hash:
                    return _STEP_INSECURE, reasons.nsec3_unknown_hash(parent.zone, name)
                return _STEP_BOGUS, reasons.ds_absence_unproven_nsec3(name)
            if ns3.iterations > self.limits.max_nsec3_iterations:
                return _STEP_INSECURE, reasons.nsec3_iterations(
                    parent.zone, ns3.iterations, self.limits.max_nsec3_iterations
                )
            try:
                proof = nsec3_proofs.prove_no_ds(ns3, name)
            except nsec3_proofs.LimitExceeded:
                return _STEP_BOGUS, reasons.limit_hit(
                    "too many NSEC3 hash computations",
                    self.limits.max_nsec3_hashes,
                    name,
                    _T_DS,
                )
        else:
            unsigned = not any(r.sigs for r in result.authority)
            return _STEP_BOGUS, reasons.ds_absence_unproven(name, parent.zone, unsigned)
        if not proof.ok:
            return _STEP_BOGUS, reasons.ds_denial_failed(name, proof.text)
        if proof.kind == ProofKind.NO_DS:
            return _STEP_INSECURE, reasons.insecure_delegation(name, proof.text)
        return _NOCUT, None


__all__ = ["TrustWalk", "WalkConfig"]
