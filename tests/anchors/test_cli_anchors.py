"""``dnssec-lite anchors``: every subcommand on a temporary store, its
output and exit codes (0 ok, 2 failure, 64 usage), a corrupt store named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dnssec_lite import cli
from dnssec_lite.anchors.model import KeyState
from dnssec_lite.anchors.store import AnchorStore
from dnssec_lite.anchors.unbound import loads_unbound
from dnssec_lite.wire.name import ROOT
from tests.helpers.zonesigner import dnskey_of
from tests.resolve.dnsserver import serving

from .resolverworld import World, key_states

KSK2017, KSK2024 = 20326, 38696


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["anchors", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> World:
    """A world whose simulated clock is the CLI's clock."""
    world = World()
    for where in ("dnssec_lite.cli_anchors.time.time", "dnssec_lite.resolve.resolver.time.time"):
        monkeypatch.setattr(where, lambda: float(world.now))
    return world


def test_bootstrap_says_what_is_trusted_and_status_shows_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = str(tmp_path)
    code, out, _ = run(capsys, "bootstrap", "--state", state)
    assert code == 0
    assert f"from the bundled IANA root anchors (no previous state): . trusts {KSK2017}" in out
    assert f"{KSK2024} (alg 8)" in out
    code, out, _ = run(capsys, "status", "--state", state)
    assert code == 0
    assert f"store: {tmp_path / 'anchors.json'}" in out
    assert "trust point .: last refresh never" in out and "next refresh now" in out
    assert f"  key {KSK2017} alg 8 VALID since " in out
    assert "warning" not in out
    code, out, _ = run(capsys, "status", "--state", state, "--json")
    doc = json.loads(out)
    assert code == 0 and doc["warnings"] == []
    [point] = doc["trust_points"]
    assert point["zone"] == "." and point["next_refresh"] == "now"
    assert {k["tag"]: k["state"] for k in point["keys"]} == {KSK2017: "VALID", KSK2024: "VALID"}


def test_bootstrap_from_a_file_and_status_of_pending_and_revoked_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clock: World
) -> None:
    world = clock
    source = tmp_path / "old.zone"
    source.write_text(f". 172800 IN DNSKEY {world.old.to_text()}\n")
    state = str(tmp_path / "store")
    code, out, _ = run(capsys, "bootstrap", "--state", state, "--from", str(source))
    assert code == 0 and f"from {source} (no previous state): . trusts {world.old.key_tag}" in out
    store = AnchorStore(state)
    world.phase("published")
    net = world.net
    rrset = net.honest(".", "DNSKEY").get_answer(ROOT, 48)
    store.apply(rrset, world.now)
    code, out, _ = run(capsys, "status", "--state", state, "--json")
    keys = {k["tag"]: k for k in json.loads(out)["trust_points"][0]["keys"]}
    pending = keys[world.new.key_tag]
    assert pending["state"] == "ADDPEND" and pending["sightings"] == 1
    assert pending["holddown_ends"] == "2026-08-31T00:00:00Z"  # 30 days on
    code, out, _ = run(capsys, "status", "--state", state)
    assert "seen 1x, add hold-down ends 2026-08-31T00:00:00Z" in out
    # The published anchors (bundled) list keys this store does not track.
    assert out.count("warning: .: the published anchors list key") == 2


def test_status_of_a_store_that_trusts_nothing_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clock: World
) -> None:
    world = clock
    store = world.store(tmp_path)
    world.phase("revoked")
    store.apply(world.net.honest(".", "DNSKEY").get_answer(ROOT, 48), world.now)
    assert store.load().points[ROOT].all_revoked
    code, out, _ = run(capsys, "status", "--state", str(tmp_path))
    assert code == 2
    revoked_tag = dnskey_of(world.ksk2017, 385).key_tag
    assert f"  key {world.old.key_tag} alg 13 REVOKED since " in out
    assert f"(published as {revoked_tag})" in out
    assert "REVOKED" in out and "removed after" in out
    assert "warning: every trusted key of . is revoked" in out
    assert "next refresh never (nothing to probe)" in out


@pytest.mark.parametrize("command", ["status", "update", "export-unbound"])
def test_a_corrupt_store_is_named_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    (tmp_path / "anchors.json").write_text('{"format": "dnssec-lite trust-anchor state", "sch')
    extra = ["-"] if command == "export-unbound" else []
    if command == "update":
        extra = ["--server", "127.0.0.1:9"]
    code, out, err = run(capsys, command, *extra, "--state", str(tmp_path))
    assert code == 2
    assert f"error: {tmp_path / 'anchors.json'}" in err
    assert out == ""


def test_a_missing_store_says_to_bootstrap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "status", "--state", str(tmp_path))
    assert code == 2 and "run `dnssec-lite anchors bootstrap`" in err


def test_reset_replaces_a_corrupt_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "anchors.json").write_text("garbage")
    code, out, _ = run(capsys, "reset", "--state", str(tmp_path))
    assert code == 0
    assert "replacing an unusable state" in out and f". trusts {KSK2017}" in out
    assert {k.tag for k in AnchorStore(tmp_path).load().points[ROOT].keys} == {KSK2017, KSK2024}


@pytest.mark.parametrize(
    "argv",
    [
        ["update", "--root-hints", "x"],
        ["update", "--recursive", "--server", "127.0.0.1"],
        ["update", "--timeout", "0"],
        ["status", "--bogus"],
        ["export-unbound"],
        [],
    ],
)
def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, _out, err = run(capsys, *argv, *(["--state", str(tmp_path)] if argv else []))
    assert code == 64 and err.startswith("error: ")


def test_bootstrap_from_a_bad_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.zone"
    bad.write_text(". 3600 IN DNSKEY 257 3 8 !!!\n")
    code, _, err = run(capsys, "bootstrap", "--state", str(tmp_path), "--from", str(bad))
    assert code == 64 and str(bad) in err
    assert not (tmp_path / "anchors.json").exists()
    code, _, err = run(
        capsys, "bootstrap", "--state", str(tmp_path), "--from", str(tmp_path / "no")
    )
    assert code == 64


def test_export_then_import_unbound_round_trips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clock: World
) -> None:
    world = clock
    store = world.store(tmp_path / "a")
    world.phase("published")
    store.apply(world.net.honest(".", "DNSKEY").get_answer(ROOT, 48), world.now)
    root_key = tmp_path / "root.key"
    code, out, _ = run(capsys, "export-unbound", str(root_key), "--state", str(tmp_path / "a"))
    assert code == 0 and f"to {root_key}" in out
    exported = loads_unbound(root_key.read_text())
    assert key_states(exported) == {world.old.key_tag: "VALID", world.new.key_tag: "ADDPEND"}
    code, out, _ = run(capsys, "export-unbound", "-", "--state", str(tmp_path / "a"))
    assert out == root_key.read_text()
    # Import into a fresh store, and over an existing one.
    for target in ("b", "a"):
        code, out, _ = run(
            capsys, "import-unbound", str(root_key), "--state", str(tmp_path / target)
        )
        assert code == 0 and f"imported . from {root_key}" in out
        states = key_states(AnchorStore(tmp_path / target).load())
        assert states == {world.old.key_tag: "VALID", world.new.key_tag: "ADDPEND"}
    pending = AnchorStore(tmp_path / "b").load().points[ROOT].find(world.new)
    assert pending is not None and pending.state is KeyState.ADDPEND and pending.sightings == 1


def test_import_of_a_bad_unbound_file_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "root.key"
    bad.write_text("; autotrust trust anchor file\n;;id: . 1\n")
    code, _, err = run(capsys, "import-unbound", str(bad), "--state", str(tmp_path))
    assert code == 64 and str(bad) in err
    code, _, err = run(
        capsys, "export-unbound", "--zone", "example.", "-", "--state", str(tmp_path)
    )
    assert code == 2  # no store


def test_update_against_a_server_applies_and_prints_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clock: World
) -> None:
    world = clock
    world.store(tmp_path)
    world.phase("published")
    with serving(world.h) as srv:
        code, out, _ = run(capsys, "update", "--state", str(tmp_path), "--server", str(srv.server))
        assert code == 0, out
        assert f". key {world.new.key_tag}: NewKey START -> ADDPEND" in out
        assert f". validated, trusts {world.old.key_tag}" not in out
        assert f"trust point .: trusts {world.old.key_tag}; next refresh 2026-08-0" in out
        # A forced update again at once: a second sighting, still pending.
        code, out, _ = run(
            capsys, "update", "--state", str(tmp_path), "--server", str(srv.server), "--json"
        )
    doc = json.loads(out)
    [point] = doc["trust_points"]
    assert code == 0 and point["validated"] and point["written"]
    assert point["trusted"] == [world.old.key_tag]
    tracked = AnchorStore(tmp_path).load().points[ROOT].find(world.new)
    assert tracked is not None and tracked.sightings == 2


def test_update_that_cannot_validate_fails_and_keeps_the_state(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    clock: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = clock
    store = world.store(tmp_path)
    # The published anchors the CLI's store knows: the test's KSKs.
    monkeypatch.setattr(AnchorStore, "published", lambda self, now: world.published())
    before = store.path.read_bytes()
    world.phase("switched")  # signed by KSK-2024 only: the store is out of date
    with serving(world.h) as srv:
        code, out, _ = run(capsys, "update", "--state", str(tmp_path), "--server", str(srv.server))
    assert code == 2
    assert ": not-validated" in out
    assert f"signed by key {world.new.key_tag}, which this trust-anchor store" in out
    assert store.path.read_bytes() == before
    code, out, _ = run(capsys, "update", "--state", str(tmp_path), "--server", "127.0.0.1:9",
                       "--timeout", "0.2")  # fmt: skip
    assert code == 2 and "not updated: the DNSKEY query failed" in out
    assert store.path.read_bytes() == before


def test_import_over_a_corrupt_store_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clock: World
) -> None:
    world = clock
    world.store(tmp_path / "a")
    root_key = tmp_path / "root.key"
    assert run(capsys, "export-unbound", str(root_key), "--state", str(tmp_path / "a"))[0] == 0
    (tmp_path / "anchors.json").write_text("[]")
    code, _, err = run(capsys, "import-unbound", str(root_key), "--state", str(tmp_path))
    assert code == 2 and f"error: {tmp_path / 'anchors.json'}" in err
    assert (tmp_path / "anchors.json").read_text() == "[]"
