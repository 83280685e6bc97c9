"""Vectors against the loopback hierarchy: ``record`` a live lookup and
``replay`` it offline; DNSViz probe files made here (recursive through the
validating Unbound, authoritative from the servers) get the same verdict
per query from ``replay`` as from ``dnsviz grok``; a live lookup that cannot
work says what to do instead."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dnssec_lite.anchors.formats import load_anchors, parse_anchor_text
from dnssec_lite.dnssec.status import Answer
from dnssec_lite.vectors.dnsviz import parse_dnsviz, validate_probe
from dnssec_lite.vectors.format import load_vector
from dnssec_lite.vectors.replay import replay_vector
from dnssec_lite.wire.types import RRType
from tests.vectors.test_corpus import _grok_statuses

from .dnsenv import DnsEnv, StrippingProxy

_TOP = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_TOP), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "dnssec_lite", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=_TOP,
    )


def _dnsviz(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("dnsviz") is None:
        pytest.fail("dnsviz is not installed: pip install -e '.[test]'", pytrace=False)
    return subprocess.run(["dnsviz", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("name", "rrtype", "status", "code"),
    [
        ("mail.rsa.test", "A", "secure", 0),
        ("nothere.ecdsa.test", "A", "secure", 0),
        ("mail.unsigned.test", "A", "insecure", 0),
        ("mail.tampered.test", "A", "bogus", 1),
    ],
)
def test_record_then_replay_offline(
    dnsenv: DnsEnv, tmp_path: Path, name: str, rrtype: str, status: str, code: int
) -> None:
    out = tmp_path / "v.json"
    server = f"{dnsenv.unbound_addr[0]}:{dnsenv.unbound_addr[1]}"
    done = cli("record", name, rrtype, "--server", server, "--anchors", str(dnsenv.anchor_path),
               "-o", str(out))  # fmt: skip
    assert done.returncode == code, done.stderr
    assert ";; recorded " in done.stdout and str(out) in done.stdout
    vector = load_vector(str(out))
    assert vector.expected.status == status
    assert vector.upstreams[0].host == dnsenv.unbound_addr[0]
    assert vector.provenance["command"].startswith(f"dnssec-lite record {name} {rrtype}")
    replayed = cli("replay", str(out))
    assert replayed.returncode == 0, replayed.stdout
    assert replayed.stdout.startswith(f"PASS v.json: {status} ")


def test_record_recursive_and_json(dnsenv: DnsEnv, tmp_path: Path) -> None:
    out = tmp_path / "iter.json"
    done = cli("record", "www.ed.test", "A", "--recursive", "--root-hints",
               str(dnsenv.root_hints_path), "--anchors", str(dnsenv.anchor_path), "--json",
               "-o", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["status"] == "secure" and doc["vector"] == str(out)
    vector = load_vector(str(out))
    assert vector.mode == "iterative"
    asked = {e.server.host for e in vector.exchanges}
    assert dnsenv.auth_servers["."] in asked and dnsenv.auth_servers["ed.test."] in asked
    assert len(vector.exchanges) == doc["queries"]
    result = replay_vector(vector)
    assert result.passed and not result.missing


def _compare_with_grok(probe: Path, grok_anchor: Path, our_anchors: object) -> int:
    grok = _dnsviz("grok", "-t", str(grok_anchor), "-r", str(probe))
    assert grok.returncode == 0, grok.stderr[-2000:]
    theirs = _grok_statuses(json.loads(grok.stdout))
    verdicts = validate_probe(parse_dnsviz(probe.read_bytes(), str(probe)), our_anchors)  # type: ignore[arg-type]
    ours = {
        (v.question.name.to_text().lower(), RRType.to_text(v.question.rrtype)): v.answer
        for v in verdicts
    }
    compared = 0
    for key, status in theirs.items():
        if key in ours:
            assert _same(ours[key], status), (key, ours[key].summary())
            compared += 1
    return compared


def _same(answer: Answer, grok: str) -> bool:
    """Our status against grok's.  One difference of words: above an island
    anchor DNSViz calls data no anchor covers "insecure", RFC 4035 (and we)
    "indeterminate"."""
    if answer.status.value == "indeterminate" and answer.reason is not None:
        if "no trust anchor covers" in answer.reason.text:
            return grok == "insecure"
    return answer.status.value == grok


def test_dnsviz_recursive_probe_verdicts_equal_grok(dnsenv: DnsEnv, tmp_path: Path) -> None:
    probe = tmp_path / "probe.json"
    names = ["mail.ed.test", "nothere.rsa.test", "x.wild.ecdsa.test", "mail.future.test",
             "mail.stripped.test", "mail.p384.test"]  # fmt: skip
    done = _dnsviz("probe", "-s", dnsenv.unbound_addr[0], "-o", str(probe), *names)
    assert done.returncode == 0, done.stderr[-2000:]
    anchors = load_anchors(str(dnsenv.anchor_path))
    assert _compare_with_grok(probe, dnsenv.anchor_dnskey_path, anchors) >= 12
    replayed = cli("replay", "--anchors", str(dnsenv.anchor_path), "--json", str(probe))
    assert replayed.returncode == 0, replayed.stdout
    results = json.loads(replayed.stdout)["files"][0]["results"]
    by_name = {(r["name"], r["type"]): r for r in results}
    assert by_name[("mail.future.test.", "A")]["status"] == "bogus"
    assert "EDE 8" in by_name[("mail.future.test.", "A")]["reason"]
    assert by_name[("nothere.rsa.test.", "A")]["rcode"] == "NXDOMAIN"


def test_dnsviz_authoritative_probe_verdicts_equal_grok(dnsenv: DnsEnv, tmp_path: Path) -> None:
    """``-A -x``: DNSViz asks the zone's servers directly.  It treats the
    zone above the explicitly given servers as a stub, so the probe holds the
    chain from rsa.test. down; both judge it with rsa.test.'s KSK as anchor."""
    probe = tmp_path / "auth.json"
    a = dnsenv.auth_servers
    done = _dnsviz("probe", "-A", "-x", f".:a.root-servers.test={a['.']}",
                   "-x", f"test:ns.test={a['test.']}", "-o", str(probe),
                   "mail.rsa.test", "nothere.rsa.test")  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(probe.read_text())
    assert doc["rsa.test."]["type"] == "authoritative"
    keys = dnsenv.dig("+norec", "rsa.test", "DNSKEY", server=(a["rsa.test."], 53))
    ksk = [line for line in keys.splitlines() if "\tDNSKEY\t257 " in line or " DNSKEY 257 " in line]
    assert ksk, keys
    anchor = tmp_path / "rsa.dnskey"
    anchor.write_text("\n".join(ksk) + "\n")
    anchors = parse_anchor_text(anchor.read_text(), str(anchor))
    assert _compare_with_grok(probe, anchor, anchors) >= 4


def test_stripping_resolver_error_points_to_the_alternatives(dnsenv: DnsEnv) -> None:
    with StrippingProxy(("127.0.0.1", 0), dnsenv.unbound_addr) as proxy:
        server = f"{proxy.addr[0]}:{proxy.addr[1]}"
        done = cli("query", "mail.rsa.test", "--server", server, "--anchors",
                   str(dnsenv.anchor_path), "--timeout", "0.5")  # fmt: skip
    assert done.returncode == 2, done.stdout
    assert f"the only resolver that answered ({server}) strips DNSSEC" in done.stderr
    for hint in ("--server", "--recursive", "dnssec-lite replay"):
        assert hint in done.stderr


@pytest.mark.parametrize(
    ("label", "verdict", "code"), [("ok", "success", 0), ("nomatch", "failed", 1)]
)
def test_daneverify_record_then_replay(
    dnsenv: DnsEnv, dane_lab: object, tmp_path: Path, label: str, verdict: str, code: int
) -> None:
    out = tmp_path / "dane.json"
    server = f"{dnsenv.unbound_addr[0]}:{dnsenv.unbound_addr[1]}"
    done = cli("daneverify", f"{label}.dane.test", "--server", server, "--anchors",
               str(dnsenv.anchor_path), "--fixed-order", "--record", str(out))  # fmt: skip
    assert done.returncode == code, done.stdout + done.stderr
    doc = json.loads(out.read_text())
    assert doc["kind"] == "dane" and doc["expected"]["verdict"] == verdict
    assert doc["smtp"] and doc["smtp"][0]["chain"] and doc["smtp"][0]["tls_protocol"]
    assert doc["expected"]["transcript"] == done.stdout.splitlines()
    replayed = cli("replay", "-v", str(out))
    assert replayed.returncode == 0, replayed.stdout
    assert f"DANE {verdict.upper()} {label}.dane.test" in replayed.stdout.splitlines()[0]
    for line in done.stdout.splitlines():  # the offline transcript is the live one
        assert f"    {line}" in replayed.stdout
