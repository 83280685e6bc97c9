"""The state file and the store: round trips, refusal of bad files, crash
safety by fault injection at every write step, and two processes at once."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
from pathlib import Path

import pytest

from dnssec_lite.anchors import statefile
from dnssec_lite.anchors.formats import bundled_root_anchors
from dnssec_lite.anchors.model import AnchorState, KeyState
from dnssec_lite.anchors.rfc5011 import trusted_anchors, update
from dnssec_lite.anchors.store import LOCK_FILE, STATE_FILE, AnchorStore, default_state_dir
from dnssec_lite.errors import AnchorError
from dnssec_lite.wire.name import ROOT

from .rootsim import DAY, Pub, dnskey_rrset, key, state_trusting, ts

T0 = ts("2025-03-01")
K17 = key("ksk2017")
K24 = key("ksk2024")


def _evolved() -> AnchorState:
    """A state with keys in several states and every timer set."""
    state = state_trusting(Pub(K17).dnskey, now=T0)
    answer = dnskey_rrset([Pub(K17), Pub(K24, signs=False)], T0)
    state, _ = update(state, answer, T0, rng=lambda: 0.25)
    return state


# -- the JSON state file ------------------------------------------------------------


def test_state_file_round_trips_and_is_readable() -> None:
    state = _evolved()
    text = statefile.dumps(state)
    assert statefile.loads(text) == state
    doc = json.loads(text)
    assert doc["schema"] == statefile.SCHEMA == 1
    (point,) = doc["trust_points"]
    assert point["zone"] == "."
    states = {k["tag"]: k["state"] for k in point["keys"]}
    assert states == {Pub(K17).dnskey.key_tag: "VALID", Pub(K24).dnskey.key_tag: "ADDPEND"}
    assert point["keys"][0]["since_utc"] == "2025-03-01T00:00:00Z"
    assert statefile.dumps(statefile.loads(text)) == text  # stable


def test_bootstrapped_bundled_state_round_trips() -> None:
    from dnssec_lite.anchors.rfc5011 import initial_state

    state = initial_state(bundled_root_anchors(T0), T0)
    assert statefile.loads(statefile.dumps(state)) == state
    assert {k.tag for k in state.points[ROOT].keys} == {20326, 38696}


def _bad(text: str, problem: str, line: int | None = None) -> None:
    with pytest.raises(AnchorError) as info:
        statefile.loads(text, "anchors.json")
    assert info.value.path == "anchors.json"
    assert problem in info.value.what, info.value.what
    if line is not None:
        assert info.value.line == line
        assert str(info.value).startswith(f"anchors.json:{line}: ")


def test_corrupt_truncated_and_foreign_state_files_are_refused() -> None:
    good = statefile.dumps(_evolved())
    _bad("", "empty")
    _bad(good[: len(good) // 2], "not valid JSON", good[: len(good) // 2].count("\n") + 1)
    _bad("{ this is not json", "not valid JSON", 1)
    _bad("[1, 2, 3]", "not a trust-anchor state file")
    _bad('{"hello": 1}', "not a trust-anchor state file")
    doc = json.loads(good)
    for schema, problem in ((2, "newer dnssec-lite (schema 2"), (0, "bad schema"), ("1", "bad")):
        _bad(json.dumps({**doc, "schema": schema}), problem)
    _bad(json.dumps({**doc, "trust_points": []}), "no trust points")


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        (("keys", 0, "state"), "TRUSTED", "unknown key state"),
        (("keys", 0, "tag"), 1, "is not the tag of its key"),
        (("keys", 0, "since"), "yesterday", "not an integer"),
        (("keys", 0, "since"), -5, "out of range"),
        (("keys", 0, "sightings"), True, "not an integer"),
        (("keys", 0, "dnskey"), "257 3 8 !!!", "base64"),
        (("keys", 0, "dnskey"), "385 3 8 AwEAAQ==", "without the REVOKE bit"),
        (("zone",), "a..b", "trust_points[0].zone"),
        (("ds",), ["20326 8 2 XYZ"], "trust_points[0].ds[0]"),
        (("keys",), "none", "expected list"),
        (("ttl",), None, "not an integer"),
    ],
)
def test_bad_fields_name_where_they_are(
    path: tuple[object, ...], value: object, problem: str
) -> None:
    doc = json.loads(statefile.dumps(_evolved()))
    target = doc["trust_points"][0]
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    _bad(json.dumps(doc), problem)


def test_duplicate_and_missing_fields() -> None:
    doc = json.loads(statefile.dumps(_evolved()))
    del doc["trust_points"][0]["keys"][0]["first_seen"]
    _bad(json.dumps(doc), "missing 'first_seen'")
    doc = json.loads(statefile.dumps(_evolved()))
    doc["trust_points"].append(doc["trust_points"][0])
    _bad(json.dumps(doc), "appears twice")


# -- the store ----------------------------------------------------------------------


def test_bootstrap_load_apply(tmp_path: Path) -> None:
    store = AnchorStore(tmp_path / "state")
    assert not store.exists()
    with pytest.raises(AnchorError) as info:
        store.load()
    assert info.value.path == str(store.path) and "bootstrap" in info.value.what
    state = store.bootstrap(T0, trusted_anchors(state_trusting(Pub(K17).dnskey, now=T0)))
    assert store.load() == state
    assert (tmp_path / "state" / STATE_FILE).exists() and (tmp_path / "state" / LOCK_FILE).exists()
    new, events = store.apply(dnskey_rrset([Pub(K17), Pub(K24, signs=False)], T0 + DAY), T0 + DAY)
    assert store.load() == new
    assert new.points[ROOT].find(Pub(K24).dnskey).state is KeyState.ADDPEND  # type: ignore[union-attr]
    assert events
    # The default bootstrap trusts the bundled IANA anchors.
    bundled = AnchorStore(tmp_path / "bundled").bootstrap(T0)
    assert {k.tag for k in bundled.points[ROOT].keys} == {20326, 38696}
    assert os.stat(store.path).st_mode & 0o777 == 0o644


def test_unauthenticated_update_keeps_the_known_good_anchors(tmp_path: Path) -> None:
    store = AnchorStore(tmp_path)
    good = store.bootstrap(T0, trusted_anchors(state_trusting(Pub(K17).dnskey, now=T0)))
    attacker = key("attacker")
    store.apply(dnskey_rrset([Pub(attacker)], T0 + DAY), T0 + DAY)
    store.apply(None, T0 + 2 * DAY, zone=ROOT)
    after = store.load()
    assert trusted_anchors(after) == trusted_anchors(good)
    assert after.points[ROOT].keys == good.points[ROOT].keys
    assert after.points[ROOT].query_failed == 2


def test_corrupt_state_on_disk_is_an_error_never_a_fallback(tmp_path: Path) -> None:
    store = AnchorStore(tmp_path)
    store.bootstrap(T0)
    text = store.path.read_text()
    for broken in (text[:100], "", "\x00\x01garbage", text.replace('"schema": 1', '"schema": 9')):
        store.path.write_text(broken)
        with pytest.raises(AnchorError) as info:
            store.load()
        assert info.value.path == str(store.path)
        with pytest.raises(AnchorError):
            store.apply(None, T0 + DAY, zone=ROOT)
        assert store.path.read_text() == broken  # nothing was "repaired"
    # Only the explicit reset starts over.
    store.reset(T0 + DAY)
    assert {k.tag for k in store.load().points[ROOT].keys} == {20326, 38696}
    # A state file that is a directory, or unreadable bytes.
    odd = AnchorStore(tmp_path / "odd")
    (tmp_path / "odd" / STATE_FILE).mkdir(parents=True)
    with pytest.raises(AnchorError) as info:
        odd.load()
    assert info.value.path == str(odd.path)
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / STATE_FILE).write_bytes(b'{"format": "\xff"}')
    with pytest.raises(AnchorError, match="UTF-8"):
        AnchorStore(tmp_path / "bin").load()


def _faulty(monkeypatch: pytest.MonkeyPatch, target: str, fail_on: int) -> None:
    """Make the ``fail_on``-th call of os.<target> raise (a crash there)."""
    real = getattr(os, target)
    calls = {"n": 0}

    def fake(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == fail_on:
            raise OSError(5, f"injected fault in os.{target}")
        return real(*args, **kwargs)

    monkeypatch.setattr(os, target, fake)


@pytest.mark.parametrize(
    ("target", "fail_on", "expect_new"),
    [
        ("write", 1, False),  # half-way through writing the temporary file
        ("fsync", 1, False),  # after the temp write, before its fsync completes
        ("chmod", 1, False),  # after fsync, before the rename
        ("replace", 1, False),  # the rename itself
        ("fsync", 2, True),  # after the rename: the directory fsync
    ],
)
def test_a_fault_at_each_write_step_leaves_old_or_new_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, fail_on: int, expect_new: bool
) -> None:
    store = AnchorStore(tmp_path)
    old = store.bootstrap(T0, trusted_anchors(state_trusting(Pub(K17).dnskey, now=T0)))
    new = _evolved()
    assert new != old
    if target == "write":
        # A crash half-way through writing the temporary file.
        real_fdopen = os.fdopen

        class HalfWriter:
            def __init__(self, f: io.BufferedWriter) -> None:
                self.f = f

            def __enter__(self) -> HalfWriter:
                return self

            def __exit__(self, *exc: object) -> None:
                self.f.close()

            def write(self, data: bytes) -> int:
                self.f.write(data[: len(data) // 2])
                self.f.flush()
                raise OSError(28, "injected: no space left on device")

        def half(fd: int, *args: object, **kwargs: object) -> HalfWriter:
            return HalfWriter(real_fdopen(fd, *args, **kwargs))  # type: ignore[arg-type]

        monkeypatch.setattr(os, "fdopen", half)
    else:
        _faulty(monkeypatch, target, fail_on)
    with pytest.raises(AnchorError) as info:
        store.save(new)
    assert info.value.path == str(store.path)
    monkeypatch.undo()
    assert store.load() == (new if expect_new else old)
    # No temporary file is left behind, and the next write works.
    assert {p.name for p in tmp_path.iterdir()} == {STATE_FILE, LOCK_FILE}
    store.save(new)
    assert store.load() == new


def test_a_crashed_writer_leaves_a_stale_temporary_that_is_ignored(tmp_path: Path) -> None:
    store = AnchorStore(tmp_path)
    old = store.bootstrap(T0)
    # A writer killed half-way through its temporary file.
    stale = tmp_path / ".anchors.json.abc123.tmp"
    stale.write_text(statefile.dumps(_evolved())[:200])
    assert store.load() == old
    store.save(_evolved())
    assert not stale.exists()
    assert store.load() == _evolved()


def _worker(directory: str, rounds: int) -> None:
    store = AnchorStore(directory)
    for i in range(rounds):
        # A failed probe bumps query_failed: a read-modify-write each time.
        store.apply(None, T0 + i, zone=ROOT)


def test_two_processes_updating_at_once_lose_nothing(tmp_path: Path) -> None:
    store = AnchorStore(tmp_path)
    store.bootstrap(T0)
    rounds = 25
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(str(tmp_path), rounds)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert store.load().points[ROOT].query_failed == 2 * rounds


def test_default_state_dir_per_platform() -> None:
    home = {"HOME": "/home/ann"}
    assert str(default_state_dir(home, platform="linux", euid=0)) == "/var/lib/dnssec-lite"
    assert str(default_state_dir(home, platform="linux", euid=1000)) == (
        "/home/ann/.local/state/dnssec-lite"
    )
    xdg = {**home, "XDG_STATE_HOME": "/srv/state"}
    assert str(default_state_dir(xdg, platform="linux", euid=1000)) == "/srv/state/dnssec-lite"
    relative = {**home, "XDG_STATE_HOME": "relative/path"}  # ignored, per the XDG spec
    assert str(default_state_dir(relative, platform="linux", euid=1000)).startswith("/home/ann/")
    assert str(default_state_dir(home, platform="darwin", euid=501)) == (
        "/home/ann/Library/Application Support/dnssec-lite"
    )
    assert str(default_state_dir(home, platform="darwin", euid=0)) == (
        "/Library/Application Support/dnssec-lite"
    )
    win = default_state_dir({"LOCALAPPDATA": "C:\\Users\\ann\\AppData\\Local"}, platform="win32")
    assert win.name == "dnssec-lite"
    assert AnchorStore().directory == default_state_dir()
