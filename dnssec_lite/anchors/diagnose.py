"""Saying plainly that a trust-anchor store is out of date.

An appliance offline through a rollover (or shipped with KSK-2017 only)
sees a root DNSKEY RRset that no key it trusts signs.  When a key the
bundled or published anchors know does sign it, the store is stale, not the
zone bogus: :func:`out_of_date_reason` says so and what to run.
"""

from __future__ import annotations

import datetime as dt

from ..dnssec.algorithms import DEFAULT_POLICY, AlgorithmPolicy
from ..dnssec.limits import DEFAULT_LIMITS, Limits
from ..dnssec.rrsig import Budget, check_rrset
from ..dnssec.trust import TrustAnchors
from ..wire.name import ROOT, Name
from ..wire.rdata.dnssec import DNSKEY
from ..wire.rrset import RRset
from .model import AnchorState, KeyState, TrackedKey, key_id
from .rfc5011 import _ds_matches, _published, self_signed

__all__ = ["BOOTSTRAP_HINT", "out_of_date_reason"]

BOOTSTRAP_HINT = "run `dnssec-lite anchors bootstrap`"


def _day(when: int) -> str:
    return dt.datetime.fromtimestamp(when, dt.UTC).strftime("%Y-%m-%d")


def _zone_text(zone: Name) -> str:
    return "the root" if zone == ROOT else f"the {zone.to_text()}"


def _signs(rrset: RRset, key: DNSKEY, now: int, policy: AlgorithmPolicy, limits: Limits) -> bool:
    check = check_rrset(rrset, rrset.name, (key,), now, limits, policy, Budget())
    return check.ok


def _known(zone: Name, key: DNSKEY, known: TrustAnchors) -> bool:
    anchor = known.anchors.get(zone)
    if anchor is None:
        return False
    ident = key_id(key)
    return any(key_id(k) == ident for k in anchor.dnskeys) or any(
        _ds_matches(zone, key, ds) for ds in anchor.ds
    )


def _describe(tracked: TrackedKey, rrset: RRset, now: int, policy: AlgorithmPolicy,
              limits: Limits) -> str:  # fmt: skip
    ident = key_id(tracked.dnskey)
    published = {key_id(k): k for k in rrset.rdatas if isinstance(k, DNSKEY)}
    if tracked.state in (KeyState.REVOKED, KeyState.REMOVED):
        return f"{tracked.tag}, revoked since {_day(tracked.since)}"
    shown = published.get(ident)
    if shown is None:
        return f"{tracked.tag}, no longer published"
    if shown.is_revoked:
        how = "self-signed" if self_signed(rrset, shown, now, policy, limits) else "unsigned"
        return f"{tracked.tag}, now published revoked as {shown.key_tag} ({how})"
    return f"{tracked.tag}, published but not signing"


def out_of_date_reason(
    state: AnchorState,
    dnskey_rrset: RRset,
    known: TrustAnchors,
    now: int,
    *,
    policy: AlgorithmPolicy = DEFAULT_POLICY,
    limits: Limits = DEFAULT_LIMITS,
) -> str | None:
    """The reason text when ``dnskey_rrset`` (a trust point's DNSKEY RRset)
    is signed by a key ``known`` vouches for (the bundled or published
    anchors) but by no key the store trusts; None otherwise.

    For the answers under the trust point: INDETERMINATE with this reason,
    never BOGUS for every name and never INSECURE.
    """
    zone = dnskey_rrset.name
    point = state.points.get(zone)
    if point is None:
        return None
    keys = _published(dnskey_rrset)
    trusted_ids = {key_id(k) for k in point.trusted_keys}
    for key in keys:
        if key.is_revoked:
            continue
        vouched = key_id(key) in trusted_ids or any(_ds_matches(zone, key, d) for d in point.ds)
        if vouched and _signs(dnskey_rrset, key, now, policy, limits):
            return None  # the store is fine
    signers = [
        key
        for key in keys
        if not key.is_revoked
        and key_id(key) not in trusted_ids
        and _known(zone, key, known)
        and _signs(dnskey_rrset, key, now, policy, limits)
    ]
    if not signers:
        return None
    tags = " and ".join(str(k.key_tag) for k in signers)
    noun = "key" if len(signers) == 1 else "keys"
    which = "which this trust-anchor store does not trust"
    described = [
        _describe(t, dnskey_rrset, now, policy, limits)
        for t in point.keys
        if t.trusted or t.state in (KeyState.REVOKED, KeyState.REMOVED)
    ]
    described += [f"DS {d.key_tag}" for d in point.ds]
    trusts = "; ".join(described) if described else "nothing"
    return (
        f"{_zone_text(zone)} DNSKEY RRset is signed by {noun} {tags}, {which} "
        f"(it trusts {trusts}): {BOOTSTRAP_HINT}"
    )
