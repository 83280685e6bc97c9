"""The operator's DANE checks end to end: survey, horizon, rollover, bulk, codes.

Real DNS software (NSD, the validating Unbound) serving the signed lab zone,
and the lab's own STARTTLS servers on port 25 of loopback addresses (see
``danelab.py``, addresses 40 and up for these domains).
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dnssec_lite.anchors.formats import load_anchors
from dnssec_lite.dane import Code, Severity, asurvey, check_smtp, survey
from dnssec_lite.dane.horizon import signature_expiries
from dnssec_lite.dane.report import DaneReport, Verdict
from dnssec_lite.resolve.resolver import AsyncResolver, Resolver

from .danelab import ZONE, DaneLab
from .dnsenv import DnsEnv


def d(label: str) -> str:
    return f"{label}.{ZONE}"


def resolver(env: DnsEnv) -> Resolver:
    server = f"{env.unbound_addr[0]}:{env.unbound_addr[1]}"
    return Resolver([server], anchors=load_anchors(str(env.anchor_path)), timeout=2.0)


def plain(env: DnsEnv, domain: str, **kw: object) -> DaneReport:
    return check_smtp(domain, resolver(env), randomize_addresses=False, timeout=5.0, **kw)  # type: ignore[arg-type]


def surveyed(env: DnsEnv, domain: str, **kw: object) -> DaneReport:
    return survey(domain, resolver(env), randomize_addresses=False, timeout=5.0, **kw)  # type: ignore[arg-type]


def cli(env: DnsEnv, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "dnssec_lite", "daneverify", *args, "--fixed-order"]
    argv += ["--server", f"{env.unbound_addr[0]}:{env.unbound_addr[1]}"]
    argv += ["--anchors", str(env.anchor_path), "--smtp-timeout", "5"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)


def codes(report: DaneReport, severity: Severity) -> set[Code]:
    return {f.code for f in report.findings if f.severity is severity}


def test_one_bad_address_fails_the_survey_only(dane_lab: DaneLab, dnsenv: DnsEnv) -> None:
    mta = plain(dnsenv, d("split"))
    assert mta.verdict is Verdict.SUCCESS
    report = surveyed(dnsenv, d("split"))
    assert report.verdict is Verdict.FAILED and report.delivery is Verdict.SUCCESS
    assert report.transcript == mta.transcript[: len(report.transcript)]
    bad = [f for f in report.failures if f.address == dane_lab.address(41)]
    assert bad and all(f.code is Code.CERTIFICATE_NOT_TRUSTED for f in bad)
    assert not [f for f in report.failures if f.address == dane_lab.address(40)]
    first, second = report.hosts[0].addresses
    assert first.probes[0].authenticated is True and second.probes[0].authenticated is False
    leaf = first.probes[0].chain[0]
    assert leaf.subject == f"CN=mx.split.{ZONE}" and leaf.san == (f"mx.split.{ZONE}",)
    assert leaf.key_type == "ECDSA P-256" and len(leaf.spki_sha256) == 64
    assert first.probes[0].chain[1].subject == "CN=dnssec_lite test intermediate CA"
    assert [row.outcome for row in second.probes[0].table] == ["no-match"]
    assert report.survey_lines[-1] == f"Survey verdict: FAILED for {d('split')}"


def test_rsa_and_ecdsa_on_one_server_with_tlsa_for_one(dane_lab: DaneLab, dnsenv: DnsEnv) -> None:
    report = surveyed(dnsenv, d("dualkey"))
    (address,) = report.hosts[0].addresses
    by_type = {p.key_type: p for p in address.probes}
    assert set(by_type) == {None, "ecdsa", "rsa"}
    assert by_type["ecdsa"].protocol == "TLSv1.2" and by_type["rsa"].protocol == "TLSv1.2"
    assert by_type["ecdsa"].chain[0].key_type == "ECDSA P-256"
    assert by_type["rsa"].chain[0].key_type == "RSA 2048"
    assert by_type["ecdsa"].authenticated is True and by_type["rsa"].authenticated is False
    assert report.verdict is Verdict.FAILED
    (failure,) = report.failures
    assert failure.code is Code.CERTIFICATE_NOT_TRUSTED and "(RSA only)" in failure.text


def test_single_key_server_has_no_other_key_type(dane_lab: DaneLab, dnsenv: DnsEnv) -> None:
    report = surveyed(dnsenv, d("ok"))
    assert report.verdict is Verdict.SUCCESS
    (address,) = report.hosts[0].addresses
    rsa = next(p for p in address.probes if p.key_type == "rsa")
    assert rsa.protocol is None and rsa.authenticated is None  # no RSA certificate: fine
    assert codes(report, Severity.FAILURE) == set()
    assert Code.SPECIAL_PURPOSE_ADDRESS in codes(report, Severity.WARNING)


def test_strict_addresses_make_loopback_unusable(dane_lab: DaneLab, dnsenv: DnsEnv) -> None:
    report = surveyed(dnsenv, d("ok"), strict_addresses=True)
    assert report.verdict is Verdict.FAILED
    assert codes(report, Severity.FAILURE) == {Code.SPECIAL_PURPOSE_ADDRESS}
    run = cli(dnsenv, d("ok"), "--survey", "--strict-addresses")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "FAILURE special-purpose-address" in run.stdout
    relaxed = cli(dnsenv, d("ok"), "--survey")
    assert relaxed.returncode == 4, relaxed.stdout + relaxed.stderr  # warnings only
    assert "WARNING special-purpose-address" in relaxed.stdout


def test_certificate_expiring_within_the_horizon(dane_lab: DaneLab, dnsenv: DnsEnv) -> None:
    report = plain(dnsenv, d("certsoon"), days=10)
    assert report.verdict is Verdict.SUCCESS
    (finding,) = [f for f in report.warnings if f.code is Code.CERTIFICATE_EXPIRES_SOON]
    assert finding.address == dane_lab.address(43)
    assert re.search(
        r"CN=mx\.certsoon\.dane\.test \(depth 0\) expires \S+, within 10 days", finding.text
    )
    assert Code.CERTIFICATE_EXPIRES_SOON not in codes(
        plain(dnsenv, d("certsoon"), days=3), Severity.WARNING
    )
    assert cli(dnsenv, d("certsoon"), "--days", "10").returncode == 4
    assert cli(dnsenv, d("certsoon"), "--days", "3").returncode == 0
    assert cli(dnsenv, d("certsoon")).returncode == 0  # no horizon asked: the MTA's codes


def test_signatures_expiring_within_the_horizon(dane_lab: DaneLab, dnsenv: DnsEnv) -> None:
    report = plain(dnsenv, d("roll-eeta"), days=40)  # the lab signs for 30 days
    (finding,) = [f for f in report.warnings if f.code is Code.SIGNATURE_EXPIRES_SOON]
    assert re.fullmatch(
        r"RRSIG\((MX|A|TLSA|DS/DNSKEY)\) for \S+\. expires \d{4}-\d\d-\d\dT\d\d:\d\dZ, "
        r"within 40 days \(\d+ more lapse within the horizon\)",
        finding.text,
    ), finding.text
    assert not [
        f
        for f in plain(dnsenv, d("roll-eeta"), days=7).findings
        if f.code is Code.SIGNATURE_EXPIRES_SOON
    ]
    run = cli(dnsenv, d("roll-eeta"), "--days", "40", "--json")
    assert run.returncode == 4
    data = json.loads(run.stdout)
    assert data["horizon_days"] == 40 and data["schema"] == 1
    assert "signature-expires-soon" in {f["code"] for f in data["findings"]}


@pytest.mark.parametrize(
    ("label", "status", "warned"),
    [
        ("roll-next", "ready", set()),
        ("roll-eeta", "ready", set()),
        ("ok", "not-ready", {"single-ee-record", "rollover-not-ready"}),
        ("roll-sel0", "not-ready", {"single-ee-record", "selector-0-pin", "rollover-not-ready"}),
        ("roll-dup", "not-ready", {"duplicate-record", "selector-0-pin", "rollover-not-ready"}),
        ("roll-stale", "ready", {"stale-pin"}),
    ],
)
def test_rollover_shapes(
    dane_lab: DaneLab, dnsenv: DnsEnv, label: str, status: str, warned: set[str]
) -> None:
    report = plain(dnsenv, d(label))
    assert report.verdict is Verdict.SUCCESS  # readiness never changes the verdict
    data = report.to_json()
    rollover = data["hosts"][0]["rollover"]  # type: ignore[index]
    assert rollover["status"] == status, rollover["reasons"]
    assert {f.code.value for f in report.warnings} == warned


def test_tlsrpt_entries_of_a_failed_check(dane_lab: DaneLab, dnsenv: DnsEnv) -> None:
    report = plain(dnsenv, d("nomatch"))
    (entry,) = report.tlsrpt_failure_details()
    assert set(entry) == {
        "result-type",
        "sending-mta-ip",
        "receiving-mx-hostname",
        "receiving-ip",
        "failed-session-count",
        "additional-information",
        "failure-reason-code",
    }
    assert entry["result-type"] == "certificate-not-trusted"
    assert str(entry["sending-mta-ip"]).startswith("127.")
    assert entry["receiving-mx-hostname"] == f"mx.nomatch.{ZONE}"
    assert entry["receiving-ip"] == dane_lab.address(4)
    assert entry["failed-session-count"] == 1
    assert str(entry["additional-information"]).startswith("data:,")
    assert entry["failure-reason-code"] == "certificate-not-trusted"
    (starttls,) = plain(dnsenv, d("nostarttls")).tlsrpt_failure_details()
    assert starttls["result-type"] == "starttls-not-supported"
    (handshake,) = plain(dnsenv, d("badhs")).tlsrpt_failure_details()
    assert handshake["result-type"] == "validation-failure"
    assert handshake["failure-reason-code"] == "handshake-failed"
    (tlsa,) = plain(dnsenv, d("bogustlsa")).tlsrpt_failure_details()
    assert tlsa["result-type"] == "dnssec-invalid" and "receiving-ip" not in tlsa


def test_async_survey_agrees(dane_lab: DaneLab, dnsenv: DnsEnv) -> None:
    server = f"{dnsenv.unbound_addr[0]}:{dnsenv.unbound_addr[1]}"

    async def run() -> DaneReport:
        res = AsyncResolver([server], anchors=load_anchors(str(dnsenv.anchor_path)))
        return await asurvey(d("split"), res, randomize_addresses=False, timeout=5.0)

    report = asyncio.run(run())
    assert report.verdict is Verdict.FAILED and report.delivery is Verdict.SUCCESS


EXPECTED = {"mx.ok": "success", "mx.nomatch": "failed", "mx.notlsa": "fallback"}
EXPECTED |= {"mx.ta": "success", "mx.badhs": "failed"}
TARGETS = ("mx.ok", "mx.nomatch", "mx.notlsa", "mx.ta", "mx.badhs")


def test_bulk_json_lines(dane_lab: DaneLab, dnsenv: DnsEnv, tmp_path: Path) -> None:
    domains = {d(f"bulk{n}"): EXPECTED[TARGETS[n % 5]] for n in range(dane_lab.bulk)}
    domains |= {d("split"): "success", d("nullmx"): "failed", d("nxdomain-here"): "failed"}
    listing = tmp_path / "domains.txt"
    listing.write_text("# mail domains\n" + "\n".join(domains) + "\n\n")
    run = cli(dnsenv, "--from-file", str(listing), "--jobs", "8", "--json-lines")
    assert run.returncode == 1, run.stderr  # some domains fail
    lines = run.stdout.splitlines()
    assert len(lines) == len(domains) >= 50
    seen = {}
    for line in lines:
        data = json.loads(line)
        assert data["schema"] == 1 and set(data) >= {"domain", "verdict", "hosts", "findings"}
        seen[data["domain"]] = data["verdict"]
    assert seen == domains
    counts = {v: list(domains.values()).count(v) for v in set(domains.values())}
    summary = run.stderr.strip().splitlines()[-1]
    assert summary.startswith(f"checked {len(domains)} domains: ")
    assert f"fallback {counts['fallback']}" in summary and f"failed {counts['failed']}" in summary
    # success with warnings (single 3 1 1, rollover not ready) counts apart
    assert "success-with-warnings" in summary


def test_survey_in_iterative_mode(dane_lab: DaneLab, dnsenv: DnsEnv) -> None:
    res = Resolver(
        mode="iterative",
        anchors=load_anchors(str(dnsenv.anchor_path)),
        root_hints=str(dnsenv.root_hints_path),
    )
    report = survey(d("split"), res, randomize_addresses=False, timeout=5.0, days=40)
    assert report.verdict is Verdict.FAILED and report.delivery is Verdict.SUCCESS
    assert {f.address for f in report.failures} == {dane_lab.address(41)}
    # The iterative chain carries its own DS/DNSKEY signatures: the horizon sees them.
    (finding,) = [f for f in report.warnings if f.code is Code.SIGNATURE_EXPIRES_SOON]
    assert "within 40 days" in finding.text


@pytest.mark.parametrize("mode", ["stub", "iterative"])
def test_chain_links_carry_signature_expiry(dnsenv: DnsEnv, mode: str) -> None:
    anchors = load_anchors(str(dnsenv.anchor_path))
    if mode == "stub":
        res = resolver(dnsenv)
    else:
        res = Resolver(mode="iterative", anchors=anchors, root_hints=str(dnsenv.root_hints_path))
    answer = res.resolve(d("split"), "MX")
    assert [link.zone.to_text() for link in answer.chain] == [".", "test.", f"{ZONE}."]
    assert all(link.sig_expires is not None for link in answer.chain)
    whats = [e.what for e in signature_expiries([answer])]
    assert f"RRSIG(MX) for {d('split')}." in whats
    assert f"RRSIG(DS/DNSKEY) for {ZONE}." in whats and "RRSIG(DS/DNSKEY) for ." in whats
