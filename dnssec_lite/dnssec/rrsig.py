"""Checking the RRSIGs of one RRset against a validated DNSKEY set.

RFC 4035 section 5.3.1 lists the checks; each failure is kept with the
signature it concerns so that the final reason names the real problem
(an expired signature is reported as expired, not as "no valid signature").
"""

from __future__ import annotations

from typing import NamedTuple

from ..wire.name import Name
from ..wire.rdata.dnssec import DNSKEY, RRSIG
from ..wire.rrset import RRset
from ..wire.types import DNSKEY_REVOKE, DNSKEY_ZONE, EDE
from . import reasons
from .algorithms import AlgorithmPolicy, load_public_key, verify
from .canonical import signed_data
from .limits import Limits
from .status import Reason

_HALF = 1 << 31
_QUARTER = 1 << 30
_tuple_new = tuple.__new__


def serial_lt(a: int, b: int) -> bool:
    """RFC 1982 serial-number ``a < b`` for 32-bit values."""
    return a != b and ((b - a) & 0xFFFFFFFF) < _HALF


def skew(sig: RRSIG, limits: Limits) -> int:
    """The allowance before inception (Unbound's rule): 10 % of the validity
    period, clamped to [skew_min, skew_max]."""
    period = (sig.expiration - sig.inception) & 0xFFFFFFFF
    return max(limits.skew_min, min(limits.skew_max, period // 10))


def expiry_skew(sig: RRSIG, limits: Limits) -> int:
    """The allowance after expiration: the same rule clamped to
    [expiry_skew_min, expiry_skew_max] (none by default)."""
    if limits.expiry_skew_max <= 0:
        return 0
    period = (sig.expiration - sig.inception) & 0xFFFFFFFF
    return max(limits.expiry_skew_min, min(limits.expiry_skew_max, period // 10))


class Budget:
    """Counters shared by one whole resolution (limits cannot be reset by
    retrying: the job owns one budget)."""

    __slots__ = ("cap", "fetches", "nsec3_hashes", "verifications")

    def __init__(self, cap: int = 0) -> None:
        self.verifications = 0
        self.nsec3_hashes = 0
        self.fetches = 0
        #: Verifications allowed (0: ``Limits.max_verifications``); the job
        #: sets it from the response with ``limits.verification_cap``.
        self.cap = cap


class SigCheck(NamedTuple):
    """Outcome of checking an RRset: the signature that validated, or why none did.

    A named tuple rather than a frozen dataclass: one is built per RRset
    checked, and a tuple is built in a third of the time.
    """

    ok: bool
    sig: RRSIG | None = None
    reason: Reason | None = None
    #: Seconds until the validating signature expires (caps the TTL).
    expires_in: int = 0


def _time_check(sig: RRSIG, name: Name, now: int, limits: Limits) -> Reason | None:
    now32 = now & 0xFFFFFFFF
    inception = sig.inception
    expiration = sig.expiration
    # Fast path: ``inception <= now <= expiration`` without wrap-around and a
    # validity period under 2**30 seconds; the serial-number comparisons
    # below cannot disagree with it then, whatever the skew allowance.
    if inception <= now32 <= expiration and expiration - inception < _QUARTER:
        return None
    if serial_lt(sig.expiration, sig.inception):
        return reasons.sig_expires_before_inception(name, sig)
    if serial_lt((sig.expiration + expiry_skew(sig, limits)) & 0xFFFFFFFF, now32):
        return reasons.sig_expired(name, sig)
    if serial_lt(now32, (sig.inception - skew(sig, limits)) & 0xFFFFFFFF):
        return reasons.sig_not_yet_valid(name, sig)
    return None


def within_validity(sig: RRSIG, now: int, limits: Limits) -> bool:
    """Is ``sig`` current at ``now`` under the skew policy of ``limits``
    (the allowance before inception, and after expiration only if
    configured)?  The one time rule for every caller that checks a
    signature outside :func:`check_rrset` (RFC 5011 self-signatures)."""
    return _time_check(sig, sig.signer, now, limits) is None


def check_rrset(
    rrset: RRset,
    zone: Name,
    keys: tuple[DNSKEY, ...],
    now: int,
    limits: Limits,
    policy: AlgorithmPolicy,
    budget: Budget,
    *,
    ignore_time: bool = False,
) -> SigCheck:
    """Find one RRSIG of ``rrset`` by ``zone`` that verifies with ``keys``.

    ``keys`` is the validated DNSKEY set of ``zone`` (or, for a DNSKEY RRset
    being bootstrapped, the keys a DS or anchor vouches for).
    """
    name = rrset.name
    if not rrset.sigs:
        return SigCheck(False, reason=reasons.rrsigs_missing(name, rrset.rrtype, zone))
    if len(rrset.rdatas) > limits.max_rrset_size:
        return SigCheck(
            False,
            reason=reasons.limit_hit(
                f"{reasons.rrset_label(name, rrset.rrtype)} has {len(rrset.rdatas)} records",
                limits.max_rrset_size,
                name,
                rrset.rrtype,
            ),
        )
    failures: list[Reason] = []
    attempts = 0
    # Name.label_count inline (RRSIG labels: no root, no leading "*").
    labels = name.labels
    owner_labels = len(labels)
    if owner_labels and labels[0] == b"*":
        owner_labels -= 1
    zone_labels = -1  # computed on first use
    rrtype = rrset.rrtype
    in_zone: bool | None = None
    now32 = now & 0xFFFFFFFF
    for sig in rrset.sigs:
        # RFC 4035 5.3.1: the RRSIG must cover this type ...
        if sig.type_covered != rrtype:
            failures.append(reasons.sig_other_type(name, sig))
            continue
        # ... its signer must be the zone whose keys we hold, and the owner
        # must be in that zone (signer names are usually shared objects:
        # identity first, one comparison at most) ...
        signer = sig.signer
        by_zone = signer is zone or signer == zone
        if by_zone and in_zone is None:
            in_zone = name.is_subdomain(zone)
        if not by_zone or not in_zone:
            failures.append(reasons.sig_signer_not_zone(name, sig, zone, rrtype))
            continue
        # ... the labels field may not exceed the owner's labels, nor drop
        # below the signer's (a wildcard above the zone apex is impossible).
        if zone_labels < 0:
            zone_labels = zone.label_count()
        if sig.labels > owner_labels or sig.labels < zone_labels:
            failures.append(reasons.sig_labels_impossible(name, sig, owner_labels, zone, rrtype))
            continue
        if not ignore_time:
            # The fast path of _time_check, inline: inception <= now <=
            # expiration without wrap-around, validity under 2**30 seconds.
            inception = sig.inception
            expiration = sig.expiration
            if not (inception <= now32 <= expiration and expiration - inception < _QUARTER):
                problem = _time_check(sig, name, now, limits)
                if problem is not None:
                    failures.append(problem)
                    continue
        tag = sig.key_tag
        algorithm = sig.algorithm
        data: bytes | None = None
        found = False
        # The candidate keys are scanned in place (no list): the failures
        # come out in the same order as with a list of candidates.
        for key in keys:
            if key.key_tag != tag or key.algorithm != algorithm:
                continue
            found = True
            flags = key.flags
            if not flags & DNSKEY_ZONE or key.protocol != 3:
                failures.append(reasons.key_not_zone_key(name, sig, key.key_tag, rrtype))
                continue
            if flags & DNSKEY_REVOKE:
                failures.append(reasons.key_revoked(name, sig, key.key_tag, rrtype))
                continue
            public = load_public_key(algorithm, key.key, policy)
            if public is None:
                failures.append(reasons.key_unusable(name, sig, key.key_tag, rrtype))
                continue
            attempts += 1
            budget.verifications += 1
            if attempts > limits.max_verifications_per_rrset:
                return SigCheck(
                    False,
                    reason=reasons.limit_hit(
                        f"too many signature checks for {reasons.rrset_label(name, rrtype)}",
                        limits.max_verifications_per_rrset,
                        name,
                        rrtype,
                    ),
                )
            if budget.verifications > (budget.cap or limits.max_verifications):
                return SigCheck(
                    False,
                    reason=reasons.limit_hit(
                        "too many signature checks in this resolution",
                        budget.cap or limits.max_verifications,
                        name,
                        rrtype,
                    ),
                )
            if data is None:
                data = signed_data(rrset, sig)
            if verify(algorithm, public, sig.signature, data):
                expires = ((sig.expiration - now) & 0xFFFFFFFF) if not ignore_time else 1 << 30
                if expires >= _HALF:
                    expires = 0
                # tuple.__new__ directly: skips the Python-level __new__ of
                # the named tuple, once per RRset validated.
                return _tuple_new(SigCheck, (True, sig, None, expires))
            failures.append(reasons.sig_does_not_verify(name, sig, key.key_tag, rrtype))
        if not found:
            failures.append(reasons.sig_key_missing(name, sig, zone, rrtype))
    return SigCheck(False, reason=_pick(failures, name, rrset.rrtype))


_PREFERENCE = (
    EDE.SIGNATURE_EXPIRED_BEFORE_VALID,
    EDE.SIGNATURE_EXPIRED,
    EDE.SIGNATURE_NOT_YET_VALID,
    EDE.DNSSEC_BOGUS,
    EDE.NO_ZONE_KEY_BIT_SET,
    EDE.DNSKEY_MISSING,
)


def _pick(failures: list[Reason], name: Name, rrtype: int) -> Reason:
    """The most telling failure: a concrete problem beats a missing key."""
    if not failures:
        return reasons.no_usable_rrsig(name, rrtype)
    for code in _PREFERENCE:
        for failure in failures:
            if failure.ede == code:
                return failure
    return failures[0]
