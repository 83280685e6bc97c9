"""DANE for SMTP end to end: signed zones served by NSD, Unbound, our SMTP servers.

Every transcript shape of the reference is reproduced line for line against
real DNS software (stub mode through the validating Unbound, and iterative
mode from the private root), with STARTTLS servers of the tests' own on
port 25 of loopback addresses (see ``danelab.py`` for the domains).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator

import pytest

from dnssec_lite.anchors.formats import load_anchors
from dnssec_lite.dane.check import acheck_smtp, check_smtp
from dnssec_lite.dane.report import DaneReport, HostRole, TlsaStatus, Verdict
from dnssec_lite.resolve.resolver import AsyncResolver, Resolver

from .danelab import INSECURE_ZONE, ZONE, DaneLab
from .dnsenv import DnsEnv, StrippingProxy

MODES = ("stub", "iterative")


def _spec(addr: tuple[str, int]) -> str:
    return f"{addr[0]}:{addr[1]}"


def resolver(env: DnsEnv, mode: str, servers: list[str] | None = None) -> Resolver:
    anchors = load_anchors(str(env.anchor_path))
    if mode == "iterative":
        return Resolver(mode="iterative", anchors=anchors, root_hints=str(env.root_hints_path))
    return Resolver(servers or [_spec(env.unbound_addr)], anchors=anchors, timeout=2.0)


def check(env: DnsEnv, domain: str, mode: str = "stub", **kw: object) -> DaneReport:
    kw.setdefault("rng", random.Random(7))
    kw.setdefault("timeout", 5.0)
    kw.setdefault("randomize_addresses", False)  # the lab's order: the refusing one first
    return check_smtp(domain, resolver(env, mode), **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def lab(dnsenv: DnsEnv, dane_lab: DaneLab) -> Iterator[DaneLab]:
    yield dane_lab


def d(label: str) -> str:
    return f"{label}.{ZONE}"


@pytest.mark.parametrize("mode", MODES)
def test_success_transcript(lab: DaneLab, dnsenv: DnsEnv, mode: str) -> None:
    report = check(dnsenv, d("ok"), mode)
    host, addr = f"mx.ok.{ZONE}", lab.address(1)
    lines = report.transcript
    assert lines[:3] == [
        f"SECURE MX record({host}) found for {d('ok')}",
        f"SECURE A record ({addr}) found for MX({host}) in {d('ok')}",
        f"Connecting to {addr} on port 25.",
    ]
    assert lines[3].startswith(f"Connected to {addr} from interface 127.")
    assert lines[4] == f"SECURE TLSA record found for MX({host}) in {d('ok')}"
    assert lines[5] == "Checking TLS connection."
    assert lines[6].startswith("TLS connection established: protocol TLSv1.")
    assert lines[7:] == [
        "Certificate verification successful",
        f"TLS connection succeeded {d('ok')}.",
        f"DANE SUCCESS for {d('ok')}",
        "DANE verification completed.",
    ]
    assert report.verdict is Verdict.SUCCESS
    match = report.hosts[0].addresses[0].match
    assert match is not None and match.ok and getattr(match, "depth", None) == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "label,verdict,needle",
    [
        ("ta", Verdict.SUCCESS, "Certificate verification successful"),
        ("tabadname", Verdict.FAILED, "mx.other.example"),
        ("nomatch", Verdict.FAILED, "Certificate verification failed"),
        ("notlsa", Verdict.FALLBACK_TLS, "TLSA record for MX(mx.notlsa"),
        ("twoaddr", Verdict.SUCCESS, "Trying next A record"),
        ("equal", Verdict.SUCCESS, "DANE SUCCESS"),
        ("nullmx", Verdict.FAILED, "accepts no mail"),
        ("nomx", Verdict.SUCCESS, "implicit MX"),
        ("bogustlsa", Verdict.FAILED, "BOGUS TLSA record found"),
        ("unusable", Verdict.FALLBACK_TLS, "No usable TLSA record"),
        ("nostarttls", Verdict.FAILED, "TLS connection failed"),
        ("badhs", Verdict.FAILED, "TLS connection failed"),
    ],
)
def test_domains(
    lab: DaneLab, dnsenv: DnsEnv, mode: str, label: str, verdict: Verdict, needle: str
) -> None:
    report = check(dnsenv, d(label), mode)
    text = "\n".join(report.transcript)
    assert report.verdict is verdict, text
    assert needle in text, text
    assert report.transcript[-1] == "DANE verification completed."
    if verdict is Verdict.SUCCESS:
        assert report.transcript[-2] == f"DANE SUCCESS for {d(label)}"
    else:
        assert f"DANE FAILED for {d(label)}" in report.transcript


def test_details_of_failures(lab: DaneLab, dnsenv: DnsEnv) -> None:
    unusable = check(dnsenv, d("unusable"))
    assert unusable.tls_required and unusable.hosts[0].role is HostRole.TLS_REQUIRED
    assert unusable.hosts[0].tlsa is not None and unusable.hosts[0].tlsa.usable == 0
    bogus = check(dnsenv, d("bogustlsa"))
    assert bogus.hosts[0].tlsa is not None and bogus.hosts[0].tlsa.status is TlsaStatus.BOGUS
    assert not any(a.tried for a in bogus.hosts[0].addresses)  # never connected
    two = check(dnsenv, d("twoaddr"))
    first, second = two.hosts[0].addresses
    assert first.error_kind == "connection-refused" and second.match is not None
    nostarttls = check(dnsenv, d("nostarttls"))
    assert nostarttls.hosts[0].addresses[0].error_kind == "starttls-not-supported"
    mismatch = check(dnsenv, d("tabadname"))
    assert "mx.other.example" in (mismatch.hosts[0].addresses[0].error or "")


@pytest.mark.parametrize("mode", MODES)
def test_insecure_domain_with_three_hosts(lab: DaneLab, dnsenv: DnsEnv, mode: str) -> None:
    report = check(dnsenv, INSECURE_ZONE, mode)
    expected: list[str] = []
    for n, label in enumerate(("mx1", "mx2", "mx3")):
        host = f"{label}.{INSECURE_ZONE}"
        expected += [
            f"INSECURE MX record({host}) found for {INSECURE_ZONE}",
            f"INSECURE MX record({host}) found. The command will still proceed.",
            f"INSECURE A record ({lab.address(20 + n)}) found for MX({host}) in {INSECURE_ZONE}",
        ]
        if n < 2:
            expected.append(f"Trying next MX record in {INSECURE_ZONE}")
    expected += [
        f"DANE FAILED for {INSECURE_ZONE}",
        f"Policy opportunistic: DANE does not apply to {INSECURE_ZONE}; deliver with ordinary TLS.",
        "DANE verification completed.",
    ]
    assert report.transcript == expected
    assert report.verdict is Verdict.FALLBACK_TLS
    mandatory = check(dnsenv, INSECURE_ZONE, mode, policy="mandatory")
    assert mandatory.verdict is Verdict.FAILED
    assert mandatory.transcript[-3] == f"DANE FAILED for {INSECURE_ZONE}"


def test_insecure_mx_secure_host_uses_dane(lab: DaneLab, dnsenv: DnsEnv) -> None:
    # RFC 7672 2.2.1 allows DANE for a host with secure addresses and TLSA
    # even when the MX RRset is insecure; Postfix says "Trusted" for it.
    domain = f"hosted.{INSECURE_ZONE}"
    report = check(dnsenv, domain)
    assert report.transcript[1] == (
        f"INSECURE MX record(mx.ok.{ZONE}) found. The command will still proceed."
    )
    assert report.verdict is Verdict.SUCCESS


def test_stripping_upstream_is_named_and_failover_works(lab: DaneLab, dnsenv: DnsEnv) -> None:
    with StrippingProxy(("127.0.0.1", 0), dnsenv.unbound_addr) as proxy:
        alone = check_smtp(
            d("ok"), resolver(dnsenv, "stub", [_spec(proxy.addr)]), rng=random.Random(1)
        )
        both = check_smtp(
            d("ok"),
            resolver(dnsenv, "stub", [_spec(proxy.addr), _spec(dnsenv.unbound_addr)]),
            rng=random.Random(1),
        )
    assert alone.transcript[0] == f"BOGUS MX record found for {d('ok')}"
    assert alone.transcript[1].startswith(f"  upstream {_spec(proxy.addr)} strips DNSSEC")
    assert alone.transcript[-2:] == [f"DANE FAILED for {d('ok')}", "DANE verification completed."]
    assert alone.verdict is Verdict.FAILED and _spec(proxy.addr) in alone.stripping
    assert both.verdict is Verdict.SUCCESS
    assert _spec(proxy.addr) in both.stripping


def test_async_driver_agrees(lab: DaneLab, dnsenv: DnsEnv) -> None:
    import asyncio

    anchors = load_anchors(str(dnsenv.anchor_path))

    async def run() -> list[DaneReport]:
        res = AsyncResolver([_spec(dnsenv.unbound_addr)], anchors=anchors)
        labels = ("ok", "ta", "nomatch", "notlsa", "unusable")
        return list(
            await asyncio.gather(
                *(acheck_smtp(d(x), res, rng=random.Random(7), timeout=5.0) for x in labels)
            )
        )

    reports = asyncio.run(run())
    verdicts = [r.verdict for r in reports]
    assert verdicts == [
        Verdict.SUCCESS,
        Verdict.SUCCESS,
        Verdict.FAILED,
        Verdict.FALLBACK_TLS,
        Verdict.FALLBACK_TLS,
    ]
    sync = check(dnsenv, d("ok"))
    assert reports[0].transcript[:2] == sync.transcript[:2]


def _cli(env: DnsEnv, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "dnssec_lite", "daneverify", *args, "--fixed-order"]
    argv += ["--server", _spec(env.unbound_addr), "--anchors", str(env.anchor_path)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def test_cli_transcript_and_exit_codes(lab: DaneLab, dnsenv: DnsEnv) -> None:
    ok = _cli(dnsenv, d("ok"))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[-2:] == [
        f"DANE SUCCESS for {d('ok')}",
        "DANE verification completed.",
    ]
    assert _cli(dnsenv, d("nomatch")).returncode == 1
    assert _cli(dnsenv, d("notlsa")).returncode == 3
    assert _cli(dnsenv, d("notlsa"), "--policy", "mandatory").returncode == 1
    bad = _cli(dnsenv, "a..b")
    assert bad.returncode == 64 and "a..b" in bad.stderr and not bad.stdout


def test_cli_json_contract(lab: DaneLab, dnsenv: DnsEnv) -> None:
    run = _cli(dnsenv, d("twoaddr"), "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["domain"] == d("twoaddr") and data["policy"] == "opportunistic"
    assert data["verdict"] == "success" and data["tls_required"] is False
    assert data["reason"] is None and data["transcript"][-1] == "DANE verification completed."
    (host,) = data["hosts"]
    assert host["name"] == f"mx.twoaddr.{ZONE}" and host["preference"] == 10
    assert host["mx_status"] == "secure"
    first, second = host["addresses"]
    assert first["address"] == lab.address(6) and first["family"] == 4
    assert first["status"] == "secure" and first["tls"] is None and first["match"] is None
    assert "refused" in first["error"]
    assert second["tls"]["protocol"].startswith("TLSv1") and second["tls"]["cipher"]
    assert second["match"]["ok"] is True and second["error"] is None
    tlsa = host["tlsa"]
    assert tlsa["status"] == "secure" and tlsa["base_domain"] == f"mx.twoaddr.{ZONE}"
    assert tlsa["usable"] == 1 and tlsa["records"][0].startswith("3 1 1 ")
    failed = json.loads(_cli(dnsenv, d("bogustlsa"), "--json").stdout)
    assert failed["verdict"] == "failed" and failed["reason"]["text"]
    assert failed["hosts"][0]["tlsa"]["status"] == "bogus"
