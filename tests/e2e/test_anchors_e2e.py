"""``python -m dnssec_lite anchors`` against the loopback hierarchy: a store
bootstrapped from the environment's root DS, updated through the validating
Unbound and iteratively from the root hints, then used by a resolver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dnssec_lite.anchors.model import KeyState
from dnssec_lite.anchors.store import AnchorStore
from dnssec_lite.dnssec.status import Status
from dnssec_lite.resolve import Resolver
from dnssec_lite.wire.name import ROOT

from .dnsenv import DnsEnv

_TOP = Path(__file__).resolve().parents[2]


def anchors(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_TOP), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "dnssec_lite", "anchors", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=_TOP,
    )


def test_bootstrap_update_status_then_resolve(dnsenv: DnsEnv, tmp_path: Path) -> None:
    state = str(tmp_path)
    server = f"{dnsenv.unbound_addr[0]}:{dnsenv.unbound_addr[1]}"
    done = anchors("bootstrap", "--state", state, "--from", str(dnsenv.anchor_path))
    assert done.returncode == 0, done.stderr
    assert "trusts DS " in done.stdout  # a DS anchor until the first probe
    done = anchors("update", "--state", state, "--server", server)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ": validated (signed by key " in done.stdout
    point = AnchorStore(state).load().points[ROOT]
    assert not point.ds and [k.state for k in point.keys] == [KeyState.VALID]
    ksk = point.keys[0].tag
    assert f"trust point .: trusts {ksk}; next refresh " in done.stdout
    # Iteratively, from the root hints: the same key, a second success.
    done = anchors(
        "update", "--state", state, "--recursive", "--root-hints", str(dnsenv.root_hints_path),
        "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    [report] = json.loads(done.stdout)["trust_points"]
    assert report["validated"] and report["trusted"] == [ksk]
    done = anchors("status", "--state", state, "--json")
    assert done.returncode == 0
    [status] = json.loads(done.stdout)["trust_points"]
    assert [(k["tag"], k["state"]) for k in status["keys"]] == [(ksk, "VALID")]
    assert status["last_success"] is not None and status["failed_refreshes"] == 0
    # A resolver on that store validates through the environment.
    resolver = Resolver([server], anchor_store=AnchorStore(state))
    # (a name of its own: the other tests look at TTLs in Unbound's cache)
    assert resolver.resolve("anchors-e2e.wild.rsa.test", "A").status is Status.SECURE


def test_update_against_a_dead_server_fails_and_keeps_the_state(
    dnsenv: DnsEnv, tmp_path: Path
) -> None:
    state = str(tmp_path)
    assert anchors("bootstrap", "--state", state, "--from", str(dnsenv.anchor_path)).returncode == 0
    before = (tmp_path / "anchors.json").read_bytes()
    done = anchors("update", "--state", state, "--server", "127.0.0.1:9", "--timeout", "0.2")
    assert done.returncode == 2
    assert "not updated: the DNSKEY query failed" in done.stdout
    assert (tmp_path / "anchors.json").read_bytes() == before
