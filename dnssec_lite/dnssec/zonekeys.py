"""A zone's keys: its DNSKEY RRset validated against its DS records or a
trust anchor, and RRsets checked with the keys found.

:class:`ZoneKeys` is the lowest part of the validation job: the walk
(``trustwalk.TrustWalk``) inherits it and calls these as plain methods, as
the job's other parts do.  It reads only fetches already made (the DNSKEY
RRset of the zone); asking for them is the walk's job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ..wire.name import Name
from ..wire.rdata.dnssec import DNSKEY, DS
from ..wire.rrset import RRset
from ..wire.types import DNSKEY_REVOKE, DNSKEY_ZONE, EDE, RRType
from . import reasons
from .algorithms import AlgorithmPolicy, is_supported, is_supported_key
from .digest import ds_digest, is_supported_digest
from .fetch import Fetch, FetchFailed, FetchResult
from .keycache import KeyCache, KeyEntry
from .limits import Limits
from .rrsig import Budget, SigCheck, check_rrset
from .status import ChainLink, KeyRef, Reason, Status
from .trust import TrustAnchor, TrustAnchors

# Enum members bound once (see trustwalk).
_SECURE = Status.SECURE
_INSECURE = Status.INSECURE
_BOGUS = Status.BOGUS
_T_DS = RRType.DS
_T_DNSKEY = RRType.DNSKEY
_tuple_new = tuple.__new__
_NO_ALGORITHMS: frozenset[int] = frozenset()


def keyless_entry(
    zone: Name,
    status: Status,
    reason: Reason,
    *,
    ds: tuple[KeyRef, ...] = (),
    dnskeys: tuple[KeyRef, ...] = (),
    ttl: int = 0,
) -> KeyEntry:
    """An insecure or bogus zone without usable keys, with the chain link
    that gives ``reason``."""
    return KeyEntry(
        zone,
        status,
        reason=reason,
        link=ChainLink(zone, status, ds=ds, dnskeys=dnskeys, proof=reason.text),
        ttl=ttl,
    )


def _refused_keys(zone: Name, keys: list[DNSKEY]) -> Reason:
    """INSECURE: the DS records of ``zone`` name only keys the policy refuses."""
    return reasons.refused_keys(zone, ", ".join(f"{k.key_tag}/{k.algorithm}" for k in keys))


class WalkConfig(Protocol):
    """What the walk reads of the validator's configuration."""

    anchors: TrustAnchors
    key_cache: KeyCache
    ignore_time: bool
    #: See ``Validator.anchor_diagnosis``: (DNSKEY RRset, now) -> reason or None.
    anchor_diagnosis: Callable[[RRset, int], str | None] | None
    harden_algo_downgrade: bool
    harden_dnssec_stripped: bool


class ZoneKeys:
    """Validating the keys of a zone and checking RRsets with them, for one
    validation job.

    The attributes are set by the job; they are declared here so that this
    part can be read (and type-checked) on its own."""

    validator: WalkConfig
    #: The time that ages the key cache.
    now: int
    #: The time at which RRSIG validity periods are checked (``now`` unless
    #: the validator overrides it).
    sig_time: int
    limits: Limits
    policy: AlgorithmPolicy
    budget: Budget
    results: dict[Fetch, FetchResult]
    _chain: dict[Name, ChainLink]

    def _check(self, rrset: RRset, entry: KeyEntry) -> SigCheck:
        """Check ``rrset`` with the keys of ``entry``: :meth:`_check_keys`
        inline, as the warm path runs it once per RRset."""
        if entry.algorithms:
            return self._check_every_algorithm(rrset, entry.zone, entry.keys, entry.algorithms)
        return check_rrset(
            rrset,
            entry.zone,
            entry.keys,
            self.sig_time,
            self.limits,
            self.policy,
            self.budget,
            ignore_time=self.validator.ignore_time,
        )

    def _check_keys(
        self,
        rrset: RRset,
        zone: Name,
        keys: tuple[DNSKEY, ...],
        algorithms: frozenset[int] = _NO_ALGORITHMS,
    ) -> SigCheck:
        """Check ``rrset`` with ``keys`` of ``zone`` under the validator's
        settings; with ``algorithms`` (``harden_algo_downgrade``) a valid
        signature by a key of each is needed."""
        if algorithms:
            return self._check_every_algorithm(rrset, zone, keys, algorithms)
        return check_rrset(
            rrset,
            zone,
            keys,
            self.sig_time,
            self.limits,
            self.policy,
            self.budget,
            ignore_time=self.validator.ignore_time,
        )

    def _check_every_algorithm(
        self, rrset: RRset, zone: Name, keys: tuple[DNSKEY, ...], algorithms: frozenset[int]
    ) -> SigCheck:
        """``harden_algo_downgrade``: a valid signature by a key of each of
        ``algorithms`` (Unbound's algorithm needs), else BOGUS naming the
        first algorithm that did not sign."""
        best: SigCheck | None = None
        for algorithm in sorted(algorithms):
            subset = tuple([k for k in keys if k.algorithm == algorithm])
            check = self._check_keys(rrset, zone, subset)
            if not check.ok:
                assert check.reason is not None
                reason = reasons.algorithm_unsigned(algorithm, rrset, check.reason)
                return SigCheck(False, reason=reason)
            if best is None or check.expires_in < best.expires_in:
                best = check
        assert best is not None
        return best

    def _result(self, fetch: Fetch) -> FetchResult:
        return self.results.get(fetch) or FetchFailed("not fetched")

    def _usable_ds(self, zone: Name, ds_set: tuple[DS, ...]) -> tuple[list[DS], Reason | None]:
        usable = [
            ds
            for ds in ds_set
            if is_supported_digest(ds.digest_type) and is_supported(ds.algorithm, self.policy)
        ]
        if not usable:
            algs = {ds.algorithm for ds in ds_set if not is_supported(ds.algorithm, self.policy)}
            if ds_set and all(not is_supported(ds.algorithm, self.policy) for ds in ds_set):
                return [], reasons.unsupported_algorithms(zone, algs)
            return [], reasons.unsupported_digests(zone, {ds.digest_type for ds in ds_set})
        if not self.validator.harden_algo_downgrade:
            # Any supported digest that matches is enough (Unbound's default).
            return usable, None
        # RFC 4509 section 3: only the strongest digest type counts; of the
        # supported ones (SHA-1, SHA-256, SHA-384) the highest number is the
        # strongest, Unbound's val_favorite_ds_algo.
        best = max(ds.digest_type for ds in usable)
        return [ds for ds in usable if ds.digest_type == best], None

    def _dnskey_entry(self, zone: Name, ds_rrset: RRset, parent: KeyEntry) -> KeyEntry:
        ds_set = tuple([rd for rd in ds_rrset.rdatas if isinstance(rd, DS)])
        ds_refs = tuple([KeyRef(d.key_tag, d.algorithm, d.digest_type) for d in ds_set])
        usable, reason = self._usable_ds(zone, ds_set)
        if not usable:
            assert reason is not None
            return keyless_entry(zone, _INSECURE, reason, ds=ds_refs, ttl=ds_rrset.ttl)
        ds_expires = min((sig.expiration for sig in ds_rrset.sigs), default=None)
        return self._keys_from_trust(zone, usable, (), ds_refs, ds_rrset.ttl, ds_expires=ds_expires)

    def _anchor_entry(self, anchor: TrustAnchor) -> KeyEntry:
        zone = anchor.zone
        ds_refs = tuple(KeyRef(d.key_tag, d.algorithm, d.digest_type) for d in anchor.ds)
        usable: list[DS] = []
        if anchor.ds:
            usable, reason = self._usable_ds(zone, anchor.ds)
            if not usable and not anchor.dnskeys:
                assert reason is not None
                return keyless_entry(
                    zone, _INSECURE, reason, ds=ds_refs, ttl=self.limits.max_key_ttl
                )
        # Anchor keys are configured, hence authenticated: the key policy may
        # judge them (unlike keys that only look like a DS's, below).
        keys = tuple(k for k in anchor.dnskeys if is_supported_key(k.algorithm, k.key, self.policy))
        if anchor.dnskeys and not keys and not usable:
            reason = reasons.unsupported_algorithms(zone, {k.algorithm for k in anchor.dnskeys})
            return keyless_entry(zone, _INSECURE, reason, ttl=self.limits.max_key_ttl)
        # An anchor has no TTL: what is derived from it lives at most
        # max_key_ttl (then the DNSKEY RRset is fetched and checked again).
        ttl = self.limits.max_key_ttl
        entry = self._keys_from_trust(zone, usable, keys, ds_refs, ttl, anchor=True)
        diagnose = self.validator.anchor_diagnosis
        if entry.status is _BOGUS and diagnose is not None:
            # Signed by a key the published anchors know but these do not:
            # the anchors are out of date, not every name below bogus.
            result = self._result(_tuple_new(Fetch, (zone, _T_DNSKEY)))
            rrset = None if isinstance(result, FetchFailed) else result.get_answer(zone, _T_DNSKEY)
            text = diagnose(rrset, self.sig_time) if rrset is not None else None
            if text is not None:
                reason = reasons.anchor_out_of_date(zone, text)
                return keyless_entry(zone, Status.INDETERMINATE, reason, ds=ds_refs)
        return entry

    def _keys_from_trust(
        self,
        zone: Name,
        ds_list: list[DS],
        anchor_keys: tuple[DNSKEY, ...],
        ds_refs: tuple[KeyRef, ...],
        ds_ttl: int,
        anchor: bool = False,
        ds_expires: int | None = None,
    ) -> KeyEntry:
        """Validate the DNSKEY RRset of ``zone`` with DS records or anchor keys."""

        def bogus(reason: Reason) -> KeyEntry:
            if anchor and reason.ede in (EDE.SIGNATURE_EXPIRED, EDE.SIGNATURE_NOT_YET_VALID):
                reason = reasons.clock_suspect(reason, self.sig_time)
            return keyless_entry(zone, _BOGUS, reason, ds=ds_refs)

        def stripped(reason: Reason) -> KeyEntry:
            if self.validator.harden_dnssec_stripped:
                return bogus(reason)
            # harden-dnssec-stripped off: the zone is taken as unsigned.
            insecure = reasons.stripped_taken_insecure(reason)
            return keyless_entry(zone, _INSECURE, insecure, ds=ds_refs, ttl=self.limits.bogus_ttl)

        result = self._result(_tuple_new(Fetch, (zone, _T_DNSKEY)))
        if isinstance(result, FetchFailed):
            return stripped(reasons.dnskey_lookup_failed(zone, result.reason))
        dnskey_rrset = result.get_answer(zone, _T_DNSKEY)
        if dnskey_rrset is None:
            return stripped(reasons.dnskey_missing(zone))
        all_keys = tuple([rd for rd in dnskey_rrset.rdatas if isinstance(rd, DNSKEY)])
        # RFC 4035 5.2 / RFC 6840 5.2: only the authenticated DS RRset (or
        # the anchor) may say that a zone is beyond this validator.  A key that
        # merely shares a DS's tag and algorithm is the attacker's to choose,
        # so its digest is checked before anything looks at its contents; the
        # key policy (RSA modulus size) judges only keys whose digest matched.
        trusted: list[DNSKEY] = []
        refused: list[DNSKEY] = []  # digest-matched, but refused by the policy
        unmatched = 0  # usable DS records that no published key matched
        mismatches = 0
        zone_wire = zone.canonical_wire()
        policy = self.policy
        for ds in ds_list:
            ds_tag = ds.key_tag
            ds_alg = ds.algorithm
            matched = False
            for key in all_keys:
                if key.algorithm != ds_alg or key.key_tag != ds_tag:
                    continue
                if ds_digest(ds.digest_type, zone_wire, key.to_wire()) != ds.digest:
                    mismatches += 1
                    if mismatches > self.limits.max_ds_mismatches:
                        return bogus(
                            reasons.limit_hit(
                                f"too many DS digest mismatches for {zone.to_text()}",
                                self.limits.max_ds_mismatches,
                                zone,
                                _T_DS,
                            )
                        )
                    continue
                matched = True
                if is_supported_key(key.algorithm, key.key, policy):
                    if key not in trusted:
                        trusted.append(key)
                elif key not in refused:
                    refused.append(key)
            if not matched:
                unmatched += 1
        for key in anchor_keys:
            if key in all_keys and key not in trusted:
                trusted.append(key)
        if not trusted:
            if refused and not unmatched and not anchor_keys:
                # Every usable DS record names, by digest, a key the policy
                # refuses (say an RSA key below min_rsa_bits): the zone's own
                # parent says it is signed only with keys this validator
                # cannot use, which counts as an unsupported algorithm.  One DS
                # left unmatched (a key the attacker may have dropped) and the
                # zone must validate through it: BOGUS below.
                return keyless_entry(
                    zone,
                    _INSECURE,
                    _refused_keys(zone, refused),
                    ds=ds_refs,
                    dnskeys=tuple(KeyRef(k.key_tag, k.algorithm, k.flags) for k in all_keys),
                    ttl=min(ds_ttl, dnskey_rrset.ttl),
                )
            return bogus(
                reasons.dnskey_unmatched(
                    zone,
                    bool(ds_list),
                    ", ".join(str(r) for r in ds_refs),
                    mismatches,
                    len(refused),
                    unmatched,
                )
            )
        # Flag tests on ``flags`` directly (is_zone_key, is_revoked): no
        # property calls in the loops run for every validated zone.
        zone_keys = [k for k in trusted if k.flags & DNSKEY_ZONE]
        if not zone_keys:
            return bogus(reasons.no_zone_key(zone))
        needed = _NO_ALGORITHMS
        if self.validator.harden_algo_downgrade:
            # Every algorithm the DS set (or the anchor) announces must sign
            # the DNSKEY RRset, and later every RRset of the zone.
            needed = frozenset(
                [ds.algorithm for ds in ds_list] + [k.algorithm for k in anchor_keys]
            )
        check = self._check_keys(dnskey_rrset, zone, tuple(zone_keys), needed)
        if not check.ok:
            assert check.reason is not None
            return bogus(check.reason)
        assert check.sig is not None
        ttl = min(dnskey_rrset.ttl, check.sig.original_ttl, check.expires_in, ds_ttl)
        usable_keys = tuple(
            [k for k in all_keys if k.flags & DNSKEY_ZONE and not k.flags & DNSKEY_REVOKE]
        )
        link = ChainLink(
            zone,
            _SECURE,
            ds_refs,
            tuple([KeyRef(k.key_tag, k.algorithm, k.flags) for k in usable_keys]),
            sig_expires=min(
                [e for e in (check.sig.expiration, ds_expires) if e is not None], default=None
            ),
        )
        return KeyEntry(zone, _SECURE, usable_keys, None, link, ttl if ttl > 0 else 0, needed)


__all__ = ["WalkConfig", "ZoneKeys", "keyless_entry"]
