"""RFC 5011 automated trust-anchor updates, sans-I/O.

The caller fetches a trust point's DNSKEY RRset (with its RRSIGs) when
:func:`next_refresh` says so and hands it to :func:`update` with the current
time; nothing here touches the network, a file or the clock.

The per-key lifecycle is the transition table :data:`TRANSITIONS` (RFC 5011
section 4); :func:`update` works out which events a DNSKEY RRset implies and
runs them through the table.  Choices where RFC 5011 leaves room:

* Add hold-down: ``max(30 days, original TTL of the first validated RRset
  that showed the key)``, RFC 5011 section 2.4.1.  Unbound uses a fixed 30
  days; the RFC's rule is never shorter, and equal for the root (TTL 2 days).
* At least :data:`MIN_SIGHTINGS` validated sightings before Valid, as
  Unbound (``MIN_PENDINGCOUNT``): a key seen once only stays AddPend however
  long ago that was.  As in Unbound, a key seen twice becomes Valid once its
  hold-down is over even if the probe that notices fails.
* Remove hold-down 30 days, measured from the revocation.
* Missing keys are forgotten after :data:`KEEP_MISSING` (366 days, as
  Unbound's ``keep-missing``), but never the last ones: with no Valid key
  left they stay, still trusted, because forgetting them trusts nothing.
* A key seen revoked while AddPend becomes Revoked too (not in the RFC's
  table, which has no RevBit for AddPend): a revoked key is never trusted.
* A ``now`` before the trust point's last change (the clock went
  backwards) completes no hold-down and is reported, as Unbound does.
* Any key trusted now may sign the DNSKEY RRset, even one no longer
  published in it (a Missing key still proves possession of its private
  key; Unbound's trust-anchor check allows it too).
* Zone-signing keys (no SEP flag) are never learnt; one configured as an
  anchor validates, vouches at once for the SEP keys of the RRsets it
  validates while no SEP key is Valid, and is retired when one is (as
  Unbound).  Keys of an algorithm the policy cannot verify are not followed.
* A trust point with every key revoked is not probed any more.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Final

from ..dnssec.algorithms import (
    DEFAULT_POLICY,
    AlgorithmPolicy,
    is_supported,
    load_public_key,
    verify,
)
from ..dnssec.canonical import signed_data
from ..dnssec.digest import ds_digest
from ..dnssec.limits import DEFAULT_LIMITS, Limits
from ..dnssec.rrsig import Budget, check_rrset, within_validity
from ..dnssec.trust import TrustAnchor, TrustAnchors
from ..wire.name import Name
from ..wire.rdata.dnssec import DNSKEY, DS
from ..wire.rrset import RRset
from ..wire.types import RRClass, RRType
from .model import (
    AnchorEvent,
    AnchorState,
    Event,
    KeyState,
    Notice,
    TrackedKey,
    TrustPoint,
    key_id,
    plain_key,
)

__all__ = [
    "ADD_HOLDDOWN",
    "KEEP_MISSING",
    "MIN_SIGHTINGS",
    "REMOVE_HOLDDOWN",
    "TRANSITIONS",
    "due",
    "initial_state",
    "next_refresh",
    "problem_text",
    "problems",
    "query_interval",
    "retry_time",
    "self_signed",
    "transition",
    "trusted_anchors",
    "update",
]

log = logging.getLogger(__name__)

HOUR: Final = 3600
DAY: Final = 86400
ADD_HOLDDOWN: Final = 30 * DAY
REMOVE_HOLDDOWN: Final = 30 * DAY
KEEP_MISSING: Final = 366 * DAY
MIN_SIGHTINGS: Final = 2
_S = KeyState
_E = Event

#: RFC 5011 section 4, plus AddPend --RevBit--> Revoked (see the module text).
#: A pair not listed is an event that does not apply in that state.
TRANSITIONS: Final[Mapping[tuple[KeyState, Event], KeyState]] = MappingProxyType(
    {
        (_S.START, _E.NEW_KEY): _S.ADDPEND,
        (_S.ADDPEND, _E.ADD_TIME): _S.VALID,
        (_S.ADDPEND, _E.KEY_REM): _S.START,
        (_S.ADDPEND, _E.REV_BIT): _S.REVOKED,
        (_S.VALID, _E.KEY_REM): _S.MISSING,
        (_S.VALID, _E.REV_BIT): _S.REVOKED,
        (_S.MISSING, _E.KEY_PRES): _S.VALID,
        (_S.MISSING, _E.REV_BIT): _S.REVOKED,
        (_S.REVOKED, _E.REM_TIME): _S.REMOVED,
    }
)


def transition(state: KeyState, event: Event) -> KeyState | None:
    """The state ``event`` moves a key in ``state`` to, or None."""
    return TRANSITIONS.get((state, event))


def query_interval(orig_ttl: int, sig_expires_in: int) -> int:
    """RFC 5011 2.3: MAX(1 h, MIN(15 days, 1/2 OrigTTL, 1/2 RRSigExpirationInterval))."""
    return max(HOUR, min(15 * DAY, orig_ttl // 2, sig_expires_in // 2))


def retry_time(orig_ttl: int, sig_expires_in: int) -> int:
    """RFC 5011 2.3: MAX(1 h, MIN(1 day, OrigTTL/10, RRSigExpirationInterval/10))."""
    return max(HOUR, min(DAY, orig_ttl // 10, sig_expires_in // 10))


def _jittered(now: int, interval: int, rng: Callable[[], float]) -> int:
    """Next probe at 90-100 % of ``interval`` (as Unbound), never under 1 h,
    so that many resolvers started together do not probe together."""
    return now + max(HOUR, int(interval * (0.9 + 0.1 * rng())))


class _Run:
    """The working copy of one trust point during one update."""

    def __init__(self, point: TrustPoint, now: int) -> None:
        self.point = point
        self.now = now
        self.keys: dict[tuple[int, int, int, bytes], TrackedKey] = {
            key_id(k.dnskey): k for k in point.keys
        }
        self.events: list[AnchorEvent] = []
        self.backwards = now < point.last_change

    def fire(self, tracked: TrackedKey, event: Event, detail: str = "") -> TrackedKey:
        new = transition(tracked.state, event)
        if new is None:
            return tracked
        tag = tracked.revoked_tag if new in (KeyState.REVOKED, KeyState.REMOVED) else tracked.tag
        self.events.append(
            AnchorEvent(self.point.zone, Notice.TRANSITION, tag, event, tracked.state, new, detail)
        )
        log.info("%s", self.events[-1])
        moved = tracked.moved(new, self.now)
        if new is KeyState.START:
            del self.keys[key_id(tracked.dnskey)]  # Start keys are not kept
        else:
            self.keys[key_id(tracked.dnskey)] = moved
        return moved

    def notice(self, notice: Notice, detail: str, key_tag: int | None = None) -> None:
        self.events.append(AnchorEvent(self.point.zone, notice, key_tag, detail=detail))
        log.info("%s", self.events[-1])

    def elapsed(self, tracked: TrackedKey, hold: int) -> bool:
        """Hold-down over?  Never while the clock runs backwards."""
        return not self.backwards and self.now - tracked.since >= hold


def self_signed(
    rrset: RRset, key: DNSKEY, now: int, policy: AlgorithmPolicy, limits: Limits
) -> bool:
    """Does ``key`` (as published, REVOKE bit and all) sign ``rrset`` with a
    signature valid at ``now``?  The one use of a revoked key RFC 5011
    section 2.1 allows: proving its own revocation."""
    public = None
    for sig in rrset.sigs:
        if (
            sig.type_covered != RRType.DNSKEY
            or sig.key_tag != key.key_tag
            or sig.algorithm != key.algorithm
            or sig.signer != rrset.name
        ):
            continue
        if not within_validity(sig, now, limits):
            continue
        if public is None:
            public = load_public_key(key.algorithm, key.key, policy)
            if public is None:
                return False
        if verify(key.algorithm, public, sig.signature, signed_data(rrset, sig)):
            return True
    return False


def _ds_matches(zone: Name, key: DNSKEY, ds: DS) -> bool:
    plain = plain_key(key)
    return (
        plain.key_tag == ds.key_tag
        and plain.algorithm == ds.algorithm
        and ds_digest(ds.digest_type, zone.canonical_wire(), plain.to_wire()) == ds.digest
    )


def _published(rrset: RRset) -> list[DNSKEY]:
    return [
        k
        for k in rrset.rdatas
        if isinstance(k, DNSKEY) and k.protocol == 3 and k.is_zone_key and k.is_sep
    ]


def update(
    state: AnchorState,
    dnskey_answer: RRset | None,
    now: int,
    *,
    zone: Name | None = None,
    rng: Callable[[], float] | None = None,
    policy: AlgorithmPolicy = DEFAULT_POLICY,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[AnchorState, list[AnchorEvent]]:
    """Apply one probe of a trust point: its DNSKEY RRset with RRSIGs, or None
    when the query failed (then ``zone`` names the trust point).

    Only an RRset signed by a key trusted now changes the key set (RFC 5011
    section 2.2); anything else only moves the retry timer, except a trusted
    key's self-signed revocation, which counts whoever else signs.
    """
    if dnskey_answer is not None:
        zone = dnskey_answer.name
    if zone is None:
        raise ValueError("update() needs the zone when there is no answer")
    point = state.points.get(zone)
    if point is None:
        raise ValueError(f"{zone.to_text()} is not a trust point of this state")
    run = _Run(point, now)
    if run.backwards:
        run.notice(
            Notice.CLOCK_BACKWARDS,
            f"now ({now}) is before the last change ({point.last_change}): "
            "hold-downs are delayed, not completed",
        )
    # Time alone completes an add whose key was seen often enough (Unbound's
    # autr_holddown_exceed): a failing probe does not hold it back.
    for pending in list(run.keys.values()):
        if (
            pending.state is KeyState.ADDPEND
            and pending.sightings >= MIN_SIGHTINGS
            and run.elapsed(pending, pending.add_holddown)
        ):
            run.fire(pending, Event.ADD_TIME, "add hold-down over")
    draw = rng if rng is not None else random.random
    rrset = dnskey_answer
    if (
        rrset is None
        or rrset.rrtype != RRType.DNSKEY
        or rrset.rrclass != RRClass.IN
        or rrset.name != zone
    ):
        return _not_validated(state, run, "no DNSKEY RRset in the answer", draw)
    published = _published(rrset)
    plain_published = {key_id(k): k for k in published if not k.is_revoked}
    revoked_published = {key_id(k): k for k in published if k.is_revoked}

    # DS anchors vouch for keys they match: those count as Valid keys now.
    ds_left = list(point.ds)
    for key in published:
        for ds in ds_left:
            if key_id(key) not in run.keys and _ds_matches(zone, key, ds):
                plain = plain_key(key)
                run.keys[key_id(key)] = TrackedKey(plain, KeyState.VALID, now, now)
                ds_left.remove(ds)
                break

    # Self-signed revocations of trusted (and pending) keys.
    for ident, revoked in revoked_published.items():
        tracked = run.keys.get(ident)
        if tracked is None or tracked.state not in (
            KeyState.VALID,
            KeyState.MISSING,
            KeyState.ADDPEND,
        ):
            continue
        if self_signed(rrset, revoked, now, policy, limits):
            run.fire(tracked, Event.REV_BIT, "published with the REVOKE bit, self-signed")

    # Validation: every key trusted now may sign, published or not (a
    # Missing key still proves possession of its private key, as Unbound's
    # trust-anchor check allows); anchors may be zone-signing keys.
    signing = tuple(tracked.dnskey for tracked in run.keys.values() if tracked.trusted)
    check = check_rrset(rrset, zone, signing, now, limits, policy, Budget()) if signing else None
    if check is None or not check.ok or check.sig is None:
        why = (
            check.reason.text
            if check is not None and check.reason is not None
            else "the trust point has no trusted key"
        )
        # Revocations stand; DS-matched keys that did not validate anything
        # go back to being plain DS anchors.
        before = {key_id(k.dnskey) for k in point.keys}
        for ident in list(run.keys):
            if ident not in before and run.keys[ident].state is KeyState.VALID:
                del run.keys[ident]
        kept_ds = tuple(
            ds
            for ds in point.ds
            if not any(
                _ds_matches(zone, t.dnskey, ds)
                for t in run.keys.values()
                if t.state in (KeyState.REVOKED, KeyState.REMOVED)
            )
        )
        return _not_validated(state, run, why, draw, kept_ds)
    orig_ttl = check.sig.original_ttl
    _apply_validated(run, plain_published, orig_ttl, policy)
    interval = query_interval(orig_ttl, check.expires_in)
    retry = retry_time(orig_ttl, check.expires_in)
    new_point = replace(
        point,
        keys=tuple(run.keys.values()),
        ds=tuple(ds_left),
        last_change=max(point.last_change, now),
        last_queried=now,
        last_success=now,
        next_probe=_jittered(now, interval, draw),
        query_failed=0,
        query_interval=interval,
        retry_time=retry,
        ttl=orig_ttl,
    )
    run.notice(Notice.VALIDATED, f"signed by key {check.sig.key_tag}", check.sig.key_tag)
    return state.with_point(new_point), run.events


def _apply_validated(
    run: _Run,
    plain_published: dict[tuple[int, int, int, bytes], DNSKEY],
    orig_ttl: int,
    policy: AlgorithmPolicy,
) -> None:
    """The events a validated RRset implies, beyond revocations."""
    now = run.now
    for ident, key in plain_published.items():
        tracked = run.keys.get(ident)
        if tracked is None:
            if not is_supported(key.algorithm, policy):
                continue  # a key we could never verify with is no anchor
            hold = max(ADD_HOLDDOWN, orig_ttl)
            start = TrackedKey(key, KeyState.START, now, now, 1, hold)
            run.keys[ident] = start
            run.fire(start, Event.NEW_KEY, "new SEP key in the validated RRset")
        elif tracked.state is KeyState.ADDPEND:
            tracked = replace(tracked, sightings=tracked.sightings + 1)
            run.keys[ident] = tracked
            if tracked.sightings >= MIN_SIGHTINGS and run.elapsed(tracked, tracked.add_holddown):
                run.fire(tracked, Event.ADD_TIME, "add hold-down over")
        elif tracked.state is KeyState.MISSING:
            run.fire(tracked, Event.KEY_PRES, "published again")
        elif tracked.state in (KeyState.REVOKED, KeyState.REMOVED):
            run.notice(
                Notice.REVOKED_KEY_REPUBLISHED,
                "a revoked key is never trusted again",
                tracked.tag,
            )
    for ident, tracked in list(run.keys.items()):
        if not tracked.dnskey.is_sep:
            continue  # a configured zone-signing-key anchor: see below
        present = ident in plain_published
        if present and tracked.since == 0:
            # A key from an anchor file without state: its lifecycle here
            # starts with this first validated sighting (as Unbound).
            run.keys[ident] = replace(tracked, since=now, first_seen=now)
        if tracked.state in (KeyState.ADDPEND, KeyState.VALID) and not present:
            run.fire(tracked, Event.KEY_REM, "not in the validated RRset")
        elif tracked.state is KeyState.REVOKED and run.elapsed(tracked, REMOVE_HOLDDOWN):
            run.fire(tracked, Event.REM_TIME, "remove hold-down over")
    has_valid = any(t.state is KeyState.VALID and t.dnskey.is_sep for t in run.keys.values())
    if not has_valid and any(t.trusted and not t.dnskey.is_sep for t in run.keys.values()):
        # Only a configured zone-signing key is trusted (ZSKs are never
        # learnt, so it came from the operator): ZSKs are not followed and
        # roll often, so the SEP keys it validated are trusted at once
        # (Unbound's init_zsk_to_ksk).
        for tracked in list(run.keys.values()):
            if tracked.state is KeyState.ADDPEND:
                run.fire(tracked, Event.ADD_TIME, "vouched for by the configured ZSK anchor")
                has_valid = True
    for ident, tracked in list(run.keys.items()):
        if not tracked.dnskey.is_sep and has_valid:
            # Zone-signing keys are only a starting point: RFC 5011 follows
            # SEP keys, so once one is Valid the configured ZSK is retired.
            del run.keys[ident]
            run.notice(Notice.ZSK_ANCHOR_RETIRED, "a SEP key is trusted now", tracked.tag)
            continue
        if (
            tracked.state is KeyState.MISSING
            and has_valid
            and ident not in plain_published
            and run.elapsed(tracked, KEEP_MISSING)
        ):
            del run.keys[ident]
            run.notice(
                Notice.MISSING_DROPPED,
                f"missing for more than {KEEP_MISSING // DAY} days",
                tracked.tag,
            )


def _not_validated(
    state: AnchorState,
    run: _Run,
    why: str,
    draw: Callable[[], float],
    ds: tuple[DS, ...] | None = None,
) -> tuple[AnchorState, list[AnchorEvent]]:
    point = run.point
    retry = point.retry_time or (retry_time(point.ttl, point.ttl) if point.ttl else HOUR)
    new_point = replace(
        point,
        keys=tuple(run.keys.values()),
        ds=point.ds if ds is None else ds,
        last_change=max(point.last_change, run.now),
        last_queried=run.now,
        query_failed=point.query_failed + 1,
        next_probe=_jittered(run.now, retry, draw),
    )
    if new_point.all_revoked:
        # The revocations were authenticated (self-signed): a successful
        # probe, the last one (nothing is probed any more).
        new_point = replace(new_point, last_success=run.now, query_failed=0)
        run.notice(Notice.ALL_REVOKED, problem_text(new_point) or "")
    else:
        run.notice(Notice.NOT_VALIDATED, why)
    return state.with_point(new_point), run.events


def next_refresh(state: AnchorState, now: int) -> int:
    """When the next trust point is due for a probe (``<= now``: due now).

    A trust point whose keys are all revoked is not probed any more (nothing
    it could fetch would validate); with nothing to probe the answer is 15
    days ahead, the longest query interval."""
    times = [p.next_probe or now for p in state.points.values() if not p.all_revoked]
    return min(times) if times else now + 15 * DAY


def due(state: AnchorState, now: int) -> list[Name]:
    """The trust points to probe at ``now``."""
    return [
        p.zone for p in state.points.values() if not p.all_revoked and (p.next_probe or now) <= now
    ]


def trusted_anchors(state: AnchorState) -> TrustAnchors:
    """The validator's anchors: DS anchors plus Valid and Missing keys.

    A trust point that trusts nothing (every key revoked) is left out, as
    Unbound drops it: under the root the validator then answers
    INDETERMINATE (no trust anchor), never INSECURE; under a deeper trust
    point the chain from the parent decides.  Their :func:`problems` texts
    go with the anchors, as the reason of those answers.
    """
    anchors = {
        point.zone: TrustAnchor(point.zone, point.ds, point.trusted_keys)
        for point in state.points.values()
        if point.ds or point.trusted_keys
    }
    return TrustAnchors(anchors, problems=problems(state))


def problem_text(point: TrustPoint) -> str | None:
    """Why nothing is trusted under ``point`` (None while something is)."""
    if point.ds or point.trusted_keys:
        return None
    gone = [k for k in point.keys if k.state in (KeyState.REVOKED, KeyState.REMOVED)]
    if gone:
        tags = ", ".join(f"{k.tag} (published as {k.revoked_tag})" for k in gone)
        return (
            f"every trusted key of {point.zone.to_text()} is revoked: {tags}; "
            "nothing is trusted until the store is bootstrapped again"
        )
    return f"the trust point {point.zone.to_text()} has no trusted key (nothing is trusted)"


def problems(state: AnchorState) -> dict[Name, str]:
    """Trust points that trust nothing, with the reason to give answers
    under them (INDETERMINATE, never INSECURE)."""
    out = {}
    for point in state.points.values():
        text = problem_text(point)
        if text is not None:
            out[point.zone] = text
    return out


def initial_state(anchors: TrustAnchors, now: int) -> AnchorState:
    """A fresh state trusting ``anchors``: DNSKEYs as Valid keys, DS records
    (without a DNSKEY beside them) kept as DS anchors until first use."""
    points: dict[Name, TrustPoint] = {}
    for zone, anchor in anchors.anchors.items():
        keys: list[TrackedKey] = []
        for key in anchor.dnskeys:
            plain = plain_key(key)
            if key.is_revoked or any(key_id(t.dnskey) == key_id(plain) for t in keys):
                continue
            keys.append(TrackedKey(plain, KeyState.VALID, now, now))
        ds = tuple(d for d in anchor.ds if not any(_ds_matches(zone, t.dnskey, d) for t in keys))
        points[zone] = TrustPoint(zone, tuple(keys), ds, last_change=now)
    return AnchorState(points)
