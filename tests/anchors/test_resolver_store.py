"""A resolver that keeps its trust anchors in a store: it follows a full
root KSK rollover (RFC 5011) on a simulated clock, answering SECURE all the
way; an appliance that missed the rollover is told so plainly; failed or
forged probes never change the store; a cache hit never touches it."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from dnssec_lite.anchors.model import KeyState
from dnssec_lite.anchors.store import AnchorStore
from dnssec_lite.dnssec.chain import FetchFailed
from dnssec_lite.dnssec.status import Status
from dnssec_lite.errors import AnchorError
from dnssec_lite.resolve import AsyncResolver, Resolver
from dnssec_lite.resolve.anchoring import Refresh
from dnssec_lite.resolve.fetcher import Batch, Reply
from dnssec_lite.resolve.iterative import QueryTransportFetcher
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import ROOT, Name
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import EDE, RRClass, RRType
from tests.helpers.keys import TestKey
from tests.helpers.zonesigner import dnskey_of, sign_rrset
from tests.resolve.authnet import AuthNet

from .resolverworld import DAY, World, anchors_of, key_states

WWW = "www.example.test."


def _resolver(world: World, store: AnchorStore) -> Resolver:
    return Resolver(world.servers(), anchor_store=store, clock=lambda: world.now, fetcher=world.net)


def _probes(resolver: Resolver) -> list[int]:
    """The times of the resolver's RFC 5011 probes, from now on."""
    keeper = resolver.anchor_keeper
    assert keeper is not None
    times: list[int] = []
    apply = keeper.apply

    def counted(zone: Name, rrset: RRset | None, now: int) -> Refresh:
        times.append(now)
        return apply(zone, rrset, now)

    keeper.apply = counted  # type: ignore[method-assign]
    return times


def _dnskey_probes(world: World) -> int:
    return sum(1 for name, rrtype in world.net.log if name == ROOT and rrtype == RRType.DNSKEY)


def test_a_full_root_rollover_keeps_answering_secure(tmp_path: Path) -> None:
    world = World()
    store = world.store(tmp_path)
    resolver = _resolver(world, store)
    probes = _probes(resolver)
    old_tag, new_tag = world.old.key_tag, world.new.key_tag
    revoked_tag = dnskey_of(world.ksk2017, 385).key_tag
    schedule = {10: "published", 60: "switched", 90: "revoked", 130: "removed"}
    seen: dict[int, dict[int, str]] = {}
    for half_day in range(0, 2 * 140):
        day = half_day // 2
        if half_day % 2 == 0 and day in schedule:
            world.phase(schedule[day])
        answer = resolver.resolve(WWW, "A")
        assert answer.status is Status.SECURE, (day, answer.reason)
        seen[day] = key_states(store.load())
        world.advance(DAY // 2)
    # KSK-2024: pending from its first sighting, trusted after the hold-down.
    assert seen[9] == {old_tag: "VALID"}
    assert seen[11][new_tag] == "ADDPEND"
    assert seen[38][new_tag] == "ADDPEND"
    assert seen[42][new_tag] == "VALID" and seen[42][old_tag] == "VALID"
    # KSK-2017 revoked (self-signed) at once, removed after 30 more days.
    assert seen[91] == {new_tag: "VALID", old_tag: "REVOKED"}
    assert seen[125][old_tag] == "REMOVED"
    final = store.load().points[ROOT]
    assert [k.dnskey for k in final.keys if k.trusted] == [world.new]
    assert resolver.anchors.anchors[ROOT].dnskeys == (world.new,)
    # About one probe a day (the root's 2-day TTL halved, with jitter).
    assert 130 <= len(probes) <= 170, len(probes)
    assert revoked_tag != old_tag


def test_an_appliance_that_missed_the_switch_is_told_to_bootstrap(tmp_path: Path) -> None:
    world = World()
    store = world.store(tmp_path)  # trusts KSK-2017 only, then goes dark
    world.now += 70 * DAY
    world.phase("switched")
    before = store.path.read_bytes()
    resolver = _resolver(world, store)
    for name in (WWW, "test.", "."):
        answer = resolver.resolve(name, "SOA" if name != WWW else "A")
        assert answer.status is Status.INDETERMINATE, answer.reason
        assert answer.reason is not None and answer.reason.ede == EDE.DNSSEC_INDETERMINATE
        text = answer.reason.text
        assert f"signed by key {world.new.key_tag}" in text
        assert "which this trust-anchor store does not trust" in text
        assert f"it trusts {world.old.key_tag}, published but not signing" in text
        assert text.endswith("run `dnssec-lite anchors bootstrap`")
    # The probe did not validate (KSK-2017 does not sign): nothing written.
    assert store.path.read_bytes() == before


def test_an_appliance_offline_until_after_the_revocation(tmp_path: Path) -> None:
    world = World()
    store = world.store(tmp_path)
    world.now += 100 * DAY
    world.phase("revoked")
    resolver = _resolver(world, store)
    answer = resolver.resolve(WWW, "A")
    assert answer.status is Status.INDETERMINATE
    assert answer.reason is not None
    assert f"signed by key {world.new.key_tag}" in answer.reason.text
    assert f"it trusts {world.old.key_tag}, revoked since 2026-11-09" in answer.reason.text
    # The revocation was self-signed, hence authenticated: it is kept.
    assert key_states(store.load()) == {world.old.key_tag: "REVOKED"}
    # After an explicit bootstrap from the published anchors, SECURE again.
    store.bootstrap(world.now)
    fresh = _resolver(world, store)
    assert fresh.resolve(WWW, "A").status is Status.SECURE


def test_every_key_revoked_says_so_not_no_trust_anchor(tmp_path: Path) -> None:
    world = World()
    store = AnchorStore(tmp_path)  # published: the bundled IANA file (no test key)
    store.bootstrap(world.now, anchors_of(world.old))
    world.now += 100 * DAY
    world.phase("revoked")
    resolver = _resolver(world, store)
    answer = resolver.resolve(WWW, "A")
    assert answer.status is Status.INDETERMINATE
    assert answer.reason is not None
    text = answer.reason.text
    assert text.startswith("every trusted key of . is revoked")
    assert str(world.old.key_tag) in text and "no trust anchor" not in text
    assert store.load().points[ROOT].all_revoked
    # Nothing is probed any more, and the reason stays.
    world.advance(20 * DAY)
    probes = _probes(resolver)
    again = resolver.resolve("test.", "SOA")
    assert again.status is Status.INDETERMINATE and again.reason is not None
    assert again.reason.text.startswith("every trusted key of . is revoked")
    assert probes == []


def test_a_failed_probe_changes_nothing_on_disk_and_waits_to_retry(tmp_path: Path) -> None:
    world = World()
    store = world.store(tmp_path)
    resolver = _resolver(world, store)
    assert resolver.resolve(WWW, "A").status is Status.SECURE  # first probe, validated
    before = store.path.read_bytes()
    probes = _probes(resolver)
    world.net.override(".", "DNSKEY", FetchFailed("timed out"))
    world.advance(2 * DAY)
    resolver.resolve(WWW, "A")
    assert store.path.read_bytes() == before and len(probes) == 1
    world.advance(600)  # within the retry time: no new probe
    resolver.resolve("test.", "SOA")
    assert len(probes) == 1
    world.net.overrides.clear()
    world.advance(6 * 3600)  # past the retry time (a tenth of the TTL)
    assert resolver.resolve("example.test.", "SOA").status is Status.SECURE
    assert len(probes) == 2 and store.path.read_bytes() != before  # a good probe is kept


@pytest.mark.parametrize("forgery", ["foreign-signer", "key-slipped-in"])
def test_a_forged_dnskey_rrset_is_never_applied(tmp_path: Path, forgery: str) -> None:
    world = World()
    store = world.store(tmp_path)
    resolver = _resolver(world, store)
    assert resolver.resolve(WWW, "A").status is Status.SECURE
    before = store.path.read_bytes()
    evil = TestKey.generate(13)
    honest = world.net.honest(".", "DNSKEY").get_answer(ROOT, RRType.DNSKEY)
    assert honest is not None
    keys = [*honest.rdatas, dnskey_of(evil, 257)]
    forged = RRset(ROOT, RRType.DNSKEY, RRClass.IN, honest.ttl, keys)
    if forgery == "foreign-signer":
        sig = sign_rrset(
            forged,
            evil,
            ROOT,
            flags=257,
            inception=world.now - DAY,
            expiration=world.now + 90 * DAY,
        )
        forged = forged.with_sigs([sig])
    else:
        forged = forged.with_sigs(list(honest.sigs))  # the old signature, now wrong
    world.net.override(".", "DNSKEY", lambda m: _with_answer(m, forged))
    for _ in range(40):  # well past any hold-down
        world.advance(DAY)
        resolver.refresh_anchors()
        assert store.path.read_bytes() == before
    state = store.load()
    assert dnskey_of(evil, 257).key_tag not in key_states(state)
    assert all(k.dnskey != dnskey_of(evil, 257) for k in state.points[ROOT].keys)


def _with_answer(message: Message, rrset: RRset) -> Message:
    return message.replace(answer=[rrset])


def test_a_cache_hit_does_not_touch_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World()
    store = world.store(tmp_path)
    resolver = _resolver(world, store)
    assert resolver.resolve(WWW, "A").status is Status.SECURE

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the store was touched")

    monkeypatch.setattr(AnchorStore, "load", refuse)
    monkeypatch.setattr(AnchorStore, "transact", refuse)
    world.advance(60)
    for _ in range(100):
        assert resolver.resolve(WWW, "A").status is Status.SECURE
    assert resolver.resolve("test.", "SOA").status is Status.SECURE  # a miss, not due


def test_a_store_that_cannot_be_read_is_an_error_and_then_kept_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world = World()
    store = world.store(tmp_path)
    resolver = _resolver(world, store)
    assert resolver.resolve(WWW, "A").status is Status.SECURE
    store.path.write_text("{ not json")
    with pytest.raises(AnchorError) as err:
        _resolver(world, store)
    assert str(store.path) in str(err.value)
    # A running resolver keeps its anchors, logs the problem, trusts nothing new.
    world.advance(2 * DAY)
    with caplog.at_level(logging.ERROR, logger="dnssec_lite.anchors"):
        assert resolver.resolve(WWW, "A").status is Status.SECURE
    assert any(str(store.path) in r.getMessage() for r in caplog.records)
    assert store.path.read_text() == "{ not json"


def test_without_a_store_the_anchors_are_read_only(tmp_path: Path) -> None:
    world = World()
    resolver = Resolver(
        world.servers(),
        anchors=world.published(),
        clock=lambda: world.now,
        fetcher=world.net,
    )
    assert resolver.anchor_keeper is None and resolver.refresh_anchors() == []
    assert resolver.resolve(WWW, "A").status is Status.SECURE
    assert _dnskey_probes(world) == 1  # the validation's own fetch, no probe
    with pytest.raises(ValueError, match="not both"):
        Resolver(world.servers(), anchors=world.published(), anchor_store=world.store(tmp_path))


def test_the_async_resolver_refreshes_through_its_fetcher(tmp_path: Path) -> None:
    world = World()
    store = world.store(tmp_path)
    world.phase("published")

    class AsyncNet:
        async def exchange(self, batch: Batch) -> list[Reply]:
            await asyncio.sleep(0)
            return world.net.exchange(batch)

    async def go() -> list[dict[int, str]]:
        r = AsyncResolver(world.servers(), anchor_store=store, clock=lambda: world.now,
                          fetcher=AsyncNet())  # fmt: skip
        states = []
        for _ in range(3):
            assert (await r.resolve(WWW, "A")).status is Status.SECURE
            states.append(key_states(store.load()))
            world.advance(DAY)
        return states

    states = asyncio.run(go())
    assert states[0][world.new.key_tag] == "ADDPEND"
    assert store.load().points[ROOT].find(world.new) is not None
    assert store.load().points[ROOT].find(world.new).sightings == 3  # type: ignore[union-attr]


def test_iterative_mode_probes_the_root_servers(tmp_path: Path) -> None:
    world = World()
    store = world.store(tmp_path)
    world.phase("published")
    net = AuthNet(world.h)
    resolver = Resolver(
        anchor_store=store,
        mode="iterative",
        root_hints=net.roots,
        clock=lambda: world.now,
        fetcher=QueryTransportFetcher(net),
    )
    assert resolver.resolve(WWW, "A").status is Status.SECURE
    root_address = net.roots[0]
    assert (root_address, ".", RRType.DNSKEY, False) in net.log
    tracked = store.load().points[ROOT].find(world.new)
    assert tracked is not None and tracked.state is KeyState.ADDPEND


def test_a_root_dnskey_rrset_signed_by_an_unknown_key_stays_bogus(tmp_path: Path) -> None:
    world = World()
    store = world.store(tmp_path)
    evil = TestKey.generate(13)
    forged = RRset(ROOT, RRType.DNSKEY, RRClass.IN, 172800, [world.old, dnskey_of(evil, 257)])
    start, until = world.now - DAY, world.now + 20 * DAY
    sig = sign_rrset(forged, evil, ROOT, flags=257, inception=start, expiration=until)
    world.net.override(".", "DNSKEY", lambda m: _with_answer(m, forged.with_sigs([sig])))
    answer = _resolver(world, store).resolve(WWW, "A")
    # Not the "out of date" story: no published key signs this RRset.
    assert answer.status is Status.BOGUS
    assert answer.reason is not None and "bootstrap" not in answer.reason.text


def test_a_running_resolver_picks_up_a_bootstrap_made_elsewhere(tmp_path: Path) -> None:
    world = World()
    store = world.store(tmp_path)
    world.now += 100 * DAY
    world.phase("revoked")
    resolver = _resolver(world, store)
    assert resolver.resolve(WWW, "A").status is Status.INDETERMINATE  # every key revoked now
    AnchorStore(tmp_path, published=world.published()).bootstrap(world.now)  # another process
    world.advance(600)
    assert resolver.resolve("test.", "SOA").status is Status.INDETERMINATE  # not re-read yet
    world.advance(3600)
    assert resolver.resolve(WWW, "A").status is Status.SECURE  # re-read within the hour
    assert resolver.anchors.anchors[ROOT].dnskeys == (world.new,)


def test_an_appliance_that_saw_the_new_key_once_then_slept_through_it(tmp_path: Path) -> None:
    world = World()
    store = world.store(tmp_path)
    world.phase("published")
    _resolver(world, store).resolve(WWW, "A")  # KSK-2024 seen once: AddPend
    assert key_states(store.load())[world.new.key_tag] == "ADDPEND"
    world.now += 200 * DAY
    world.phase("removed")
    answer = _resolver(world, store).resolve(WWW, "A")
    assert answer.status is Status.INDETERMINATE and answer.reason is not None
    assert f"it trusts {world.old.key_tag}, no longer published" in answer.reason.text
    # One sighting is not enough, however long ago: still pending, not trusted.
    assert key_states(store.load())[world.new.key_tag] == "ADDPEND"


def test_resolve_many_refreshes_when_due_too(tmp_path: Path) -> None:
    world = World()
    store = world.store(tmp_path)
    world.phase("published")
    resolver = _resolver(world, store)
    probes = _probes(resolver)
    answers = resolver.resolve_many([(WWW, "A"), ("test.", "SOA")])
    assert [a.status for a in answers] == [Status.SECURE, Status.SECURE]
    assert len(probes) == 1
    assert key_states(store.load())[world.new.key_tag] == "ADDPEND"
