"""RFC 5011 state machine: the real root rollover replayed with generated
keys, then attacks and faults (simulated time, nothing sleeps)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from dnssec_lite.anchors.model import (
    AnchorEvent,
    AnchorState,
    Event,
    KeyState,
    Notice,
    TrustPoint,
    key_id,
)
from dnssec_lite.anchors.rfc5011 import (
    ADD_HOLDDOWN,
    KEEP_MISSING,
    REMOVE_HOLDDOWN,
    TRANSITIONS,
    due,
    initial_state,
    next_refresh,
    problems,
    query_interval,
    retry_time,
    self_signed,
    transition,
    trusted_anchors,
    update,
)
from dnssec_lite.dnssec.algorithms import DEFAULT_POLICY
from dnssec_lite.dnssec.limits import DEFAULT_LIMITS, Limits
from dnssec_lite.dnssec.status import Status
from dnssec_lite.dnssec.trust import TrustAnchors
from dnssec_lite.wire.name import ROOT, Name
from dnssec_lite.wire.rdata.dnssec import RRSIG
from dnssec_lite.wire.rrset import RR, RRset
from dnssec_lite.wire.types import RRClass, RRType
from tests.helpers.fakenet import validate_in
from tests.helpers.zonesigner import Hierarchy, colliding_dnskey, make_ds, sign_rrset

from .rootsim import DAY, KSK, REVOKED, TTL, ZSK, Pub, dnskey_rrset, key, state_trusting, ts

K17 = key("ksk2017")
K24 = key("ksk2024")
ZSK_KEY = key("zsk", 13)
EVIL = key("attacker")


def _root(state: AnchorState) -> TrustPoint:
    return state.points[ROOT]


def _state_of(state: AnchorState, pub: Pub) -> KeyState | None:
    tracked = _root(state).find(pub.dnskey)
    return None if tracked is None else tracked.state


def _transitions(events: list[AnchorEvent]) -> list[tuple[Event | None, KeyState | None]]:
    return [(e.event, e.new) for e in events if e.notice is Notice.TRANSITION]


def _fixed_rng() -> float:
    return 0.5


# -- the table ------------------------------------------------------------------


def test_transition_table_is_rfc5011_section_4() -> None:
    s, e = KeyState, Event
    assert dict(TRANSITIONS) == {
        (s.START, e.NEW_KEY): s.ADDPEND,
        (s.ADDPEND, e.ADD_TIME): s.VALID,
        (s.ADDPEND, e.KEY_REM): s.START,
        (s.ADDPEND, e.REV_BIT): s.REVOKED,  # our documented addition
        (s.VALID, e.KEY_REM): s.MISSING,
        (s.VALID, e.REV_BIT): s.REVOKED,
        (s.MISSING, e.KEY_PRES): s.VALID,
        (s.MISSING, e.REV_BIT): s.REVOKED,
        (s.REVOKED, e.REM_TIME): s.REMOVED,
    }
    # Nothing leaves Removed, and nothing ever goes back from Revoked to trust.
    assert all(transition(s.REMOVED, ev) is None for ev in Event)
    assert all(transition(s.REVOKED, ev) in (None, s.REMOVED) for ev in Event)
    assert transition(s.VALID, e.NEW_KEY) is None


def test_hold_down_periods() -> None:
    assert (ADD_HOLDDOWN, REMOVE_HOLDDOWN, KEEP_MISSING) == (30 * DAY, 30 * DAY, 366 * DAY)


def test_timers_follow_section_2_3() -> None:
    # root: TTL 2 days, signatures 3 weeks: interval 1 day, retry 1 day cap
    assert query_interval(172800, 21 * DAY) == DAY
    assert retry_time(172800, 21 * DAY) == 17280
    assert query_interval(10 * 365 * DAY, 10 * 365 * DAY) == 15 * DAY
    assert retry_time(10 * 365 * DAY, 10 * 365 * DAY) == DAY
    assert query_interval(60, 60) == 3600 and retry_time(60, 60) == 3600
    assert query_interval(172800, 4 * 3600) == 2 * 3600  # expiring signatures win


# -- the real rollover, replayed -------------------------------------------------

PUBLISH_2024 = ts("2025-01-11")
SWITCH = ts("2026-10-11")
REVOKE_2017 = ts("2027-01-11")
REMOVE_2017 = ts("2027-03-22")


def _published_at(t: int) -> list[Pub]:
    """What the simulated root publishes at ``t`` (the ICANN plan)."""
    zsk = Pub(ZSK_KEY, ZSK, signs=False)
    if t < PUBLISH_2024:
        return [Pub(K17), zsk]
    if t < SWITCH:
        return [Pub(K17), Pub(K24, signs=False), zsk]
    if t < REVOKE_2017:
        return [Pub(K17, signs=False), Pub(K24), zsk]
    if t < REMOVE_2017:
        return [Pub(K17, REVOKED), Pub(K24), zsk]
    return [Pub(K24), zsk]


_SIGNED: dict[tuple[int, int], RRset] = {}


def _answer_at(t: int) -> RRset:
    """Signed weekly (as the root's KSK ceremonies sign ahead), cached."""
    week = t // (7 * DAY)
    phase = len([p for p in (PUBLISH_2024, SWITCH, REVOKE_2017, REMOVE_2017) if t >= p])
    cached = _SIGNED.get((phase, week))
    if cached is None:
        start = max(week * 7 * DAY, (PUBLISH_2024, SWITCH, REVOKE_2017, REMOVE_2017, 0)[phase - 1])
        cached = dnskey_rrset(_published_at(t), start, validity=21 * DAY)
        _SIGNED[(phase, week)] = cached
    return cached


def _probe_until(
    state: AnchorState, until: int, answer: Callable[[int], RRset | None], start: int
) -> tuple[AnchorState, list[tuple[int, AnchorEvent]], int]:
    """Probe whenever next_refresh says so, from ``start`` to ``until``."""
    log: list[tuple[int, AnchorEvent]] = []
    now = start
    while now < until:
        state, events = update(state, answer(now), now, zone=ROOT, rng=_fixed_rng)
        log += [(now, e) for e in events]
        now = max(next_refresh(state, now), now + 1)
    return state, log, now


def test_the_root_rollover_2024_2027() -> None:
    bought = ts("2024-06-01")  # an appliance set up trusting KSK-2017 only
    state = state_trusting(Pub(K17).dnskey, now=bought)
    assert trusted_anchors(state).anchors[ROOT].dnskeys == (Pub(K17).dnskey,)

    # Until KSK-2024 appears nothing happens.
    state, log, now = _probe_until(state, PUBLISH_2024, _answer_at, bought)
    assert not [e for _, e in log if e.notice is Notice.TRANSITION]
    assert _root(state).query_interval == DAY  # 1/2 of the root's 2-day TTL

    # KSK-2024 published: AddPend for the hold-down, with sightings counted.
    state, log, now = _probe_until(state, PUBLISH_2024 + ADD_HOLDDOWN - DAY, _answer_at, now)
    new_key = [(t, e) for t, e in log if e.event is Event.NEW_KEY]
    assert len(new_key) == 1 and new_key[0][0] < PUBLISH_2024 + DAY
    assert new_key[0][1].key_tag == Pub(K24).dnskey.key_tag
    assert _state_of(state, Pub(K24)) is KeyState.ADDPEND
    assert _root(state).find(Pub(K24).dnskey).sightings >= 2  # type: ignore[union-attr]
    assert Pub(K24).dnskey not in trusted_anchors(state).anchors[ROOT].dnskeys

    # The hold-down ends: Valid, about 30 days after the first sighting.
    state, log, now = _probe_until(state, PUBLISH_2024 + ADD_HOLDDOWN + 2 * DAY, _answer_at, now)
    added = [t for t, e in log if e.event is Event.ADD_TIME]
    assert len(added) == 1
    assert new_key[0][0] + ADD_HOLDDOWN <= added[0] <= new_key[0][0] + ADD_HOLDDOWN + DAY
    assert _state_of(state, Pub(K24)) is KeyState.VALID
    assert set(trusted_anchors(state).anchors[ROOT].dnskeys) == {Pub(K17).dnskey, Pub(K24).dnskey}

    # The switch of signer: KSK-2024 signs alone, still validated, no change.
    state, log, now = _probe_until(state, REVOKE_2017, _answer_at, now)
    assert not [e for _, e in log if e.notice is Notice.TRANSITION]
    assert [e for t, e in log if t >= SWITCH and e.notice is Notice.VALIDATED]
    assert all(
        e.key_tag == Pub(K24).dnskey.key_tag
        for t, e in log
        if t >= SWITCH and e.notice is Notice.VALIDATED
    )

    # KSK-2017 published revoked, self-signed: Revoked at once, Removed 30 days later.
    state, log, now = _probe_until(state, ts("2027-06-01"), _answer_at, now)
    revoked = [(t, e) for t, e in log if e.event is Event.REV_BIT]
    removed = [(t, e) for t, e in log if e.event is Event.REM_TIME]
    assert len(revoked) == 1 and REVOKE_2017 <= revoked[0][0] < REVOKE_2017 + DAY
    assert revoked[0][1].key_tag == Pub(K17, REVOKED).dnskey.key_tag
    assert len(removed) == 1 and removed[0][0] - revoked[0][0] >= REMOVE_HOLDDOWN
    assert removed[0][0] - revoked[0][0] < REMOVE_HOLDDOWN + DAY
    assert _state_of(state, Pub(K17)) is KeyState.REMOVED
    assert trusted_anchors(state).anchors[ROOT].dnskeys == (Pub(K24).dnskey,)
    assert not problems(state)
    # No probe failed along the way.
    assert not [e for _, e in log if e.notice is Notice.NOT_VALIDATED]


def test_the_real_root_keys_are_bundled_with_their_revoked_tags() -> None:
    from dnssec_lite.anchors.formats import bundled_root_anchors, default_anchors
    from dnssec_lite.anchors.model import revoked_key
    from dnssec_lite.dnssec.digest import ds_digest

    for anchors in (default_anchors(), bundled_root_anchors(ts("2026-12-01"))):
        anchor = anchors.anchors[ROOT]
        by_tag = {k.key_tag: k for k in anchor.dnskeys}
        assert set(by_tag) == {20326, 38696}
        digests = {d.key_tag: d.digest.hex().upper() for d in anchor.ds}
        assert digests == {
            20326: "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
            38696: "683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16",
        }
        for tag, k in by_tag.items():
            assert k.flags == 257 and k.algorithm == 8
            assert ds_digest(2, ROOT.canonical_wire(), k.to_wire()).hex().upper() == digests[tag]  # type: ignore[union-attr]
        assert revoked_key(by_tag[20326]).key_tag == 20454
        assert revoked_key(by_tag[38696]).key_tag == 38824
        # Bootstrapping from them trusts both KSKs as Valid keys.
        state = initial_state(anchors, ts("2026-12-01"))
        assert {k.tag: k.state for k in _root(state).keys} == {
            20326: KeyState.VALID,
            38696: KeyState.VALID,
        }
        assert _root(state).ds == ()


# -- attacks and faults ------------------------------------------------------------

T0 = ts("2025-03-01")


def _trusting_k17(now: int = T0) -> AnchorState:
    return state_trusting(Pub(K17).dnskey, now=now)


def _probe(
    state: AnchorState, pubs: list[Pub], now: int, **kw: object
) -> tuple[AnchorState, list[AnchorEvent]]:
    return update(state, dnskey_rrset(pubs, now, **kw), now, rng=_fixed_rng)  # type: ignore[arg-type]


def test_a_key_shown_for_less_than_the_hold_down_is_never_trusted() -> None:
    state = _trusting_k17()
    for day in range(0, 29):
        state, _ = _probe(state, [Pub(K17), Pub(EVIL, signs=False)], T0 + day * DAY)
        assert _state_of(state, Pub(EVIL)) is KeyState.ADDPEND
    state, events = _probe(state, [Pub(K17)], T0 + 29 * DAY)
    assert (Event.KEY_REM, KeyState.START) in _transitions(events)
    assert _root(state).find(Pub(EVIL).dnskey) is None  # forgotten
    # Back again: the hold-down starts over, the earlier days do not count.
    state, _ = _probe(state, [Pub(K17), Pub(EVIL, signs=False)], T0 + 30 * DAY)
    state, _ = _probe(state, [Pub(K17), Pub(EVIL, signs=False)], T0 + 45 * DAY)
    assert _state_of(state, Pub(EVIL)) is KeyState.ADDPEND
    assert Pub(EVIL).dnskey not in trusted_anchors(state).anchors[ROOT].dnskeys


def test_an_rrset_no_trusted_key_signs_is_ignored() -> None:
    state = _trusting_k17()
    # The attacker's own KSK, and the trusted key published but not signing.
    for pubs in ([Pub(EVIL)], [Pub(K17, signs=False), Pub(EVIL)]):
        new, events = _probe(state, pubs, T0 + DAY)
        assert [e.notice for e in events] == [Notice.NOT_VALIDATED]
        assert _root(new).keys == _root(state).keys
        assert _root(new).query_failed == 1
        assert _root(new).next_probe - (T0 + DAY) < DAY  # the retry timer
    # A signature by the trusted key that does not verify (tampered RRset).
    good = dnskey_rrset([Pub(K17), Pub(EVIL, signs=False)], T0)
    forged = RRset(ROOT, RRType.DNSKEY, RRClass.IN, TTL, [*good.rdatas], good.sigs)
    forged = forged.with_sigs(
        [RRSIG(*[getattr(s, f) for f in _RRSIG_FIELDS[:-1]], s.signature[::-1]) for s in good.sigs]
    )
    new, events = update(state, forged, T0)
    assert events[-1].notice is Notice.NOT_VALIDATED
    assert _root(new).find(Pub(EVIL).dnskey) is None
    # Expired signatures by the trusted key.
    old = dnskey_rrset([Pub(K17), Pub(EVIL, signs=False)], T0 - 60 * DAY)
    new, events = update(state, old, T0)
    assert events[-1].notice is Notice.NOT_VALIDATED and "expired" in events[-1].detail
    # Not a DNSKEY RRset at all, or no answer.
    new, events = update(state, None, T0, zone=ROOT)
    assert events[-1].notice is Notice.NOT_VALIDATED and _root(new).keys == _root(state).keys
    with pytest.raises(ValueError):
        update(state, dnskey_rrset([Pub(K17)], T0, zone=Name.from_text("example.")), T0)


_RRSIG_FIELDS = (
    "type_covered",
    "algorithm",
    "labels",
    "original_ttl",
    "expiration",
    "inception",
    "key_tag",
    "signer",
    "signature",
)


def test_a_revoked_key_without_a_valid_self_signature_is_ignored() -> None:
    state = state_trusting(Pub(K17).dnskey, Pub(K24).dnskey, now=T0)
    # Published revoked, but only K24 signs: no proof of revocation.
    new, events = _probe(state, [Pub(K17, REVOKED, signs=False), Pub(K24)], T0 + DAY)
    assert _state_of(new, Pub(K17)) is KeyState.MISSING  # its plain form is gone
    assert Event.REV_BIT not in [e.event for e in events]
    # A "self-signature" that does not verify (made by another key with the tag).
    fake = dnskey_rrset([Pub(K17, REVOKED, signs=False), Pub(K24)], T0 + DAY)
    bad_sig = [
        RRSIG(
            *[getattr(s, f) for f in _RRSIG_FIELDS[:6]],
            Pub(K17, REVOKED).dnskey.key_tag,
            s.signer,
            s.signature,
        )
        for s in fake.sigs
    ]
    new, events = update(state, fake.with_sigs([*fake.sigs, *bad_sig]), T0 + DAY)
    assert Event.REV_BIT not in [e.event for e in events]
    assert _state_of(new, Pub(K17)) is KeyState.MISSING
    # A revoked key whose plain form nobody trusted yet is not even tracked.
    new, events = _probe(state, [Pub(K17), Pub(K24), Pub(EVIL, REVOKED)], T0 + DAY)
    assert _root(new).find(Pub(EVIL).dnskey) is None


def test_a_key_seen_once_stays_addpend() -> None:
    state = _trusting_k17()
    state, _ = _probe(state, [Pub(K17), Pub(K24, signs=False)], T0)
    # Probes fail for two months: the hold-down passes with one sighting.
    for day in (1, 10, 31, 45, 60):
        state, _ = update(state, None, T0 + day * DAY, zone=ROOT, rng=_fixed_rng)
    assert _state_of(state, Pub(K24)) is KeyState.ADDPEND
    assert _root(state).query_failed == 5
    # Two sightings inside the hold-down are not enough either ...
    state2 = _trusting_k17()
    state2, _ = _probe(state2, [Pub(K17), Pub(K24, signs=False)], T0)
    state2, _ = _probe(state2, [Pub(K17), Pub(K24, signs=False)], T0 + 29 * DAY)
    assert _state_of(state2, Pub(K24)) is KeyState.ADDPEND
    # ... but the second sighting after the hold-down is.
    state, events = _probe(state, [Pub(K17), Pub(K24, signs=False)], T0 + 61 * DAY)
    assert (Event.ADD_TIME, KeyState.VALID) in _transitions(events)
    # Seen twice: once the hold-down is over, time alone completes the add,
    # even on a failed probe.
    state2, events = update(state2, None, T0 + 30 * DAY, zone=ROOT, rng=_fixed_rng)
    assert (Event.ADD_TIME, KeyState.VALID) in _transitions(events)
    assert _state_of(state2, Pub(K24)) is KeyState.VALID


def test_all_trusted_keys_revoked_trusts_nothing_and_says_so() -> None:
    state = _trusting_k17()
    state, events = _probe(state, [Pub(K17, REVOKED), Pub(K24)], T0)
    assert (Event.REV_BIT, KeyState.REVOKED) in _transitions(events)
    assert events[-1].notice is Notice.ALL_REVOKED
    assert _root(state).all_revoked
    assert ROOT not in trusted_anchors(state).anchors
    reason = problems(state)[ROOT]
    assert "revoked" in reason and str(Pub(K17).dnskey.key_tag) in reason
    # The unvalidated new key was not picked up.
    assert _root(state).find(Pub(K24).dnskey) is None
    # Answers under the root are INDETERMINATE, never INSECURE.
    h = Hierarchy()
    h["example.test."].add("www 300 IN A 192.0.2.1")
    h.sign()
    answer = validate_in(h, "www.example.test.", "A", anchors=trusted_anchors(state))
    assert answer.status is Status.INDETERMINATE
    # Later probes change nothing: the revoked key is never trusted again.
    state, events = _probe(state, [Pub(K17), Pub(K24)], T0 + DAY)
    assert _state_of(state, Pub(K17)) is KeyState.REVOKED and ROOT in problems(state)


def test_a_revoked_key_published_again_stays_revoked() -> None:
    state = state_trusting(Pub(K17).dnskey, Pub(K24).dnskey, now=T0)
    state, _ = _probe(state, [Pub(K17, REVOKED), Pub(K24)], T0)
    state, events = _probe(state, [Pub(K17), Pub(K24)], T0 + DAY)
    assert Notice.REVOKED_KEY_REPUBLISHED in [e.notice for e in events]
    assert _state_of(state, Pub(K17)) is KeyState.REVOKED
    state, _ = _probe(state, [Pub(K17), Pub(K24)], T0 + 40 * DAY)
    assert _state_of(state, Pub(K17)) is KeyState.REMOVED
    state, _ = _probe(state, [Pub(K17), Pub(K24)], T0 + 400 * DAY)
    assert _state_of(state, Pub(K17)) is KeyState.REMOVED
    assert trusted_anchors(state).anchors[ROOT].dnskeys == (Pub(K24).dnskey,)


def test_time_going_backwards_delays_hold_downs_and_is_reported() -> None:
    state = _trusting_k17()
    state, _ = _probe(state, [Pub(K17), Pub(K24, signs=False)], T0)
    state, _ = update(state, None, T0 + 40 * DAY, zone=ROOT, rng=_fixed_rng)
    # The clock now reads earlier than the last change: no completion.
    back = T0 + 35 * DAY
    state, events = _probe(state, [Pub(K17), Pub(K24, signs=False)], back)
    assert events[0].notice is Notice.CLOCK_BACKWARDS
    assert Event.ADD_TIME not in [e.event for e in events]
    assert _state_of(state, Pub(K24)) is KeyState.ADDPEND
    # Far in the past: still nothing completes, new keys are still held down.
    state, events = _probe(state, [Pub(K17), Pub(K24, signs=False)], T0 - 300 * DAY)
    assert events[0].notice is Notice.CLOCK_BACKWARDS
    assert _state_of(state, Pub(K24)) is KeyState.ADDPEND
    # Once past the last change again, the hold-down completes.
    state, events = _probe(state, [Pub(K17), Pub(K24, signs=False)], T0 + 41 * DAY)
    assert Notice.CLOCK_BACKWARDS not in [e.notice for e in events]
    assert (Event.ADD_TIME, KeyState.VALID) in _transitions(events)


def test_remove_hold_down_is_delayed_by_a_backwards_clock() -> None:
    state = state_trusting(Pub(K17).dnskey, Pub(K24).dnskey, now=T0)
    state, _ = _probe(state, [Pub(K17, REVOKED), Pub(K24)], T0 + 10 * DAY)
    assert _state_of(state, Pub(K17)) is KeyState.REVOKED
    state, _ = update(state, None, T0 + 50 * DAY, zone=ROOT, rng=_fixed_rng)
    # 35 days after the revocation, but before the last change: delayed.
    state, events = _probe(state, [Pub(K24)], T0 + 45 * DAY)
    assert events[0].notice is Notice.CLOCK_BACKWARDS
    assert _state_of(state, Pub(K17)) is KeyState.REVOKED
    state, events = _probe(state, [Pub(K24)], T0 + 51 * DAY)
    assert (Event.REM_TIME, KeyState.REMOVED) in _transitions(events)


def test_missing_keys_come_back_or_are_dropped_after_a_year() -> None:
    state = state_trusting(Pub(K17).dnskey, Pub(K24).dnskey, now=T0)
    state, events = _probe(state, [Pub(K24)], T0 + DAY)
    assert (Event.KEY_REM, KeyState.MISSING) in _transitions(events)
    assert Pub(K17).dnskey in trusted_anchors(state).anchors[ROOT].dnskeys  # still trusted
    state, events = _probe(state, [Pub(K17), Pub(K24)], T0 + 2 * DAY)
    assert (Event.KEY_PRES, KeyState.VALID) in _transitions(events)
    state, _ = _probe(state, [Pub(K24)], T0 + 3 * DAY)
    assert KEEP_MISSING == 366 * DAY  # as Unbound's keep-missing
    state, _ = _probe(state, [Pub(K24)], T0 + 3 * DAY + 365 * DAY)
    assert _state_of(state, Pub(K17)) is KeyState.MISSING
    state, events = _probe(state, [Pub(K24)], T0 + 3 * DAY + 366 * DAY)
    assert Notice.MISSING_DROPPED in [e.notice for e in events]
    assert _root(state).find(Pub(K17).dnskey) is None


def test_a_lone_trusted_key_that_vanishes_is_not_replaced() -> None:
    # Only K17 is trusted; it vanishes while a not-yet-trusted key signs.
    state = state_trusting(Pub(K17).dnskey, now=T0)
    state, _ = _probe(state, [Pub(K17), Pub(K24, signs=False)], T0)
    state, _ = update(state, dnskey_rrset([Pub(K24)], T0 + DAY), T0 + DAY)
    # Not validated (K24 is not trusted): K17 stays Valid, nothing replaced.
    assert _state_of(state, Pub(K17)) is KeyState.VALID
    state, _ = update(state, dnskey_rrset([Pub(K24)], T0 + 400 * DAY), T0 + 400 * DAY)
    assert _state_of(state, Pub(K17)) is KeyState.VALID


def test_zone_signing_keys_are_not_followed() -> None:
    state = _trusting_k17()
    state, events = _probe(state, [Pub(K17), Pub(ZSK_KEY, ZSK, signs=False)], T0)
    assert _root(state).find(Pub(ZSK_KEY, ZSK).dnskey) is None
    assert not _transitions(events)


def test_ds_anchors_become_valid_keys_on_first_validated_rrset() -> None:
    ds17 = make_ds(ROOT, Pub(K17).dnskey)
    ds24 = make_ds(ROOT, Pub(K24).dnskey)
    rrs = [RR(ROOT, RRType.DS, RRClass.IN, TTL, d) for d in (ds17, ds24)]
    state = initial_state(TrustAnchors.from_rrs(rrs), T0)
    assert _root(state).keys == () and len(_root(state).ds) == 2
    # An RRset nobody's DS matches: nothing changes, the DS stay.
    new, events = _probe(state, [Pub(EVIL)], T0)
    assert events[-1].notice is Notice.NOT_VALIDATED and _root(new).ds == _root(state).ds
    assert _root(new).keys == ()
    state, events = _probe(state, [Pub(K17), Pub(ZSK_KEY, ZSK, signs=False)], T0)
    assert events[-1].notice is Notice.VALIDATED
    assert _state_of(state, Pub(K17)) is KeyState.VALID
    assert _root(state).ds == (ds24,)  # K24 not published yet: still a DS anchor
    state, events = _probe(state, [Pub(K17), Pub(K24, signs=False)], T0 + DAY)
    assert _state_of(state, Pub(K24)) is KeyState.VALID  # its DS vouches: no hold-down
    assert _root(state).ds == ()


def test_ds_anchored_key_revoked_before_first_use() -> None:
    rrs = [RR(ROOT, RRType.DS, RRClass.IN, TTL, make_ds(ROOT, Pub(K17).dnskey))]
    state = initial_state(TrustAnchors.from_rrs(rrs), T0)
    state, events = _probe(state, [Pub(K17, REVOKED), Pub(K24)], T0)
    assert _state_of(state, Pub(K17)) is KeyState.REVOKED
    assert _root(state).ds == () and _root(state).all_revoked
    assert events[-1].notice is Notice.ALL_REVOKED


def test_refresh_timers_with_injected_jitter() -> None:
    state = _trusting_k17()
    assert due(state, T0) == [ROOT] and next_refresh(state, T0) == T0
    for draw, low in ((0.0, True), (0.999, False)):
        new, _ = update(state, dnskey_rrset([Pub(K17)], T0), T0, rng=lambda d=draw: d)
        point = _root(new)
        assert point.query_interval == DAY and point.retry_time == 17280
        delay = point.next_probe - T0
        assert int(0.9 * DAY) <= delay <= DAY
        assert (delay == int(0.9 * DAY)) is low
        assert next_refresh(new, T0) == point.next_probe
        assert due(new, T0) == [] and due(new, point.next_probe) == [ROOT]
    # A failure retries sooner, at the retry time.
    ok, _ = update(state, dnskey_rrset([Pub(K17)], T0), T0, rng=_fixed_rng)
    failed, _ = update(ok, None, T0 + DAY, zone=ROOT, rng=_fixed_rng)
    assert 0.9 * 17280 <= _root(failed).next_probe - (T0 + DAY) <= 17280
    assert _root(failed).query_failed == 1 and _root(failed).last_success == T0
    # Short-lived signatures shorten the interval (1/2 RRSigExpirationInterval).
    quick, _ = update(state, dnskey_rrset([Pub(K17)], T0, validity=6 * 3600), T0)
    assert _root(quick).query_interval == 3 * 3600


def test_hold_down_is_the_longer_of_30_days_and_the_ttl() -> None:
    state = _trusting_k17()
    long_ttl = 40 * DAY
    state, _ = _probe(state, [Pub(K17), Pub(K24, signs=False)], T0, ttl=long_ttl)
    tracked = _root(state).find(Pub(K24).dnskey)
    assert tracked is not None and tracked.add_holddown == long_ttl
    state, _ = _probe(state, [Pub(K17), Pub(K24, signs=False)], T0 + 31 * DAY, ttl=long_ttl)
    assert _state_of(state, Pub(K24)) is KeyState.ADDPEND  # 30 days are not enough here
    state, _ = _probe(state, [Pub(K17), Pub(K24, signs=False)], T0 + 40 * DAY, ttl=long_ttl)
    assert _state_of(state, Pub(K24)) is KeyState.VALID


def test_keys_are_matched_by_data_never_by_tag() -> None:
    state = _trusting_k17()
    twin = colliding_dnskey(Pub(K17).dnskey)
    assert twin.key_tag == Pub(K17).dnskey.key_tag and key_id(twin) != key_id(Pub(K17).dnskey)
    rrset = dnskey_rrset([Pub(K17)], T0)
    with_twin = RRset(ROOT, RRType.DNSKEY, RRClass.IN, TTL, [*rrset.rdatas, twin])
    sig = sign_rrset(with_twin, K17, ROOT, flags=KSK, inception=T0 - DAY, expiration=T0 + DAY)
    signed = with_twin.with_sigs([sig])
    state, _ = update(state, signed, T0)
    # The twin is a new key (AddPend), not the trusted one.
    assert _root(state).find(twin) is not None
    assert _root(state).find(twin).state is KeyState.ADDPEND  # type: ignore[union-attr]
    assert _state_of(state, Pub(K17)) is KeyState.VALID


def test_initial_state_skips_revoked_and_duplicate_keys() -> None:
    rrs = [
        RR(ROOT, RRType.DNSKEY, RRClass.IN, TTL, k)
        for k in (Pub(K17).dnskey, Pub(K17).dnskey, Pub(K24, REVOKED).dnskey)
    ]
    state = initial_state(TrustAnchors.from_rrs(rrs), T0)
    assert [k.tag for k in _root(state).keys] == [Pub(K17).dnskey.key_tag]
    assert replace(_root(state), keys=()).all_revoked is False


def test_a_configured_zsk_anchor_vouches_for_the_ksk_and_is_retired() -> None:
    zsk = Pub(ZSK_KEY, ZSK)
    state = state_trusting(zsk.dnskey, now=T0)
    # The ZSK signs the DNSKEY RRset; the KSK it shows is trusted at once.
    rrset = dnskey_rrset([Pub(K17, signs=False), zsk], T0)
    state, events = update(state, rrset, T0, rng=_fixed_rng)
    assert (Event.ADD_TIME, KeyState.VALID) in _transitions(events)
    assert _state_of(state, Pub(K17)) is KeyState.VALID
    assert _root(state).find(zsk.dnskey) is None
    assert Notice.ZSK_ANCHOR_RETIRED in [e.notice for e in events]
    assert trusted_anchors(state).anchors[ROOT].dnskeys == (Pub(K17).dnskey,)


def test_keys_of_an_unverifiable_algorithm_are_not_followed() -> None:
    from tests.helpers.zonesigner import FakeKey

    state = _trusting_k17()
    odd = Pub(FakeKey(200), signs=False)  # type: ignore[arg-type]
    state, events = update(state, dnskey_rrset([Pub(K17), odd], T0), T0)
    assert events[-1].notice is Notice.VALIDATED
    assert _root(state).find(odd.dnskey) is None


def test_a_missing_trusted_key_may_still_sign() -> None:
    state = state_trusting(Pub(K17).dnskey, Pub(K24).dnskey, now=T0)
    # K17 signs although it is no longer listed: still validated, K17 Missing.
    rrset = dnskey_rrset([Pub(K24, signs=False)], T0, extra_signers=[Pub(K17)])
    state, events = update(state, rrset, T0)
    assert events[-1].notice is Notice.VALIDATED
    assert _state_of(state, Pub(K17)) is KeyState.MISSING


def test_an_all_revoked_trust_point_is_not_probed() -> None:
    state = _trusting_k17()
    state, _ = _probe(state, [Pub(K17, REVOKED), Pub(K24)], T0)
    assert _root(state).all_revoked
    assert due(state, T0 + 400 * DAY) == []
    assert next_refresh(state, T0) == T0 + 15 * DAY
    assert _root(state).last_success == T0 and _root(state).query_failed == 0


def test_self_signature_time_follows_the_validator_skew_policy() -> None:
    """A revocation's self-signature is held to the validator's time rule:
    Unbound's allowance before inception, none after expiration unless
    ``Limits.expiry_skew_*`` configures one (the old rule allowed an hour
    on both sides)."""
    revoked = Pub(K17, REVOKED)
    rrset = RRset(ROOT, RRType.DNSKEY, RRClass.IN, TTL, [revoked.dnskey])

    def signed(inception: int, expiration: int) -> RRset:
        sig = sign_rrset(
            rrset, K17, ROOT, flags=REVOKED, inception=inception, expiration=expiration
        )
        return rrset.with_sigs([sig])

    def ok(candidate: RRset, limits: Limits = DEFAULT_LIMITS) -> bool:
        return self_signed(candidate, revoked.dnskey, T0, DEFAULT_POLICY, limits)

    # Expired 30 minutes ago (20-day validity): refused by default ...
    expired = signed(T0 - 20 * DAY, T0 - 1800)
    assert not ok(expired)
    # ... accepted with Unbound's allowance after expiration configured.
    assert ok(expired, replace(DEFAULT_LIMITS, expiry_skew_min=3600, expiry_skew_max=86400))
    # Made to start 30 minutes from now: within the default allowance
    # before inception (10 % of 20 days, clamped to one day) ...
    assert ok(signed(T0 + 1800, T0 + 20 * DAY))
    # ... up to that clamp, not beyond it.
    assert ok(signed(T0 + DAY - 60, T0 + 20 * DAY))
    assert not ok(signed(T0 + DAY + 60, T0 + 20 * DAY))
    # Without allowance before inception either, the early one fails.
    assert not ok(signed(T0 + 1800, T0 + 20 * DAY), replace(DEFAULT_LIMITS, skew_min=0, skew_max=0))
    # A current one passes; a tampered one never does.
    good = signed(T0 - DAY, T0 + 20 * DAY)
    assert ok(good)
    sig = good.sigs[0]
    forged = RRSIG(
        sig.type_covered,
        sig.algorithm,
        sig.labels,
        sig.original_ttl,
        sig.expiration,
        sig.inception,
        sig.key_tag,
        sig.signer,
        sig.signature[::-1],
    )
    assert not ok(rrset.with_sigs([forged]))
