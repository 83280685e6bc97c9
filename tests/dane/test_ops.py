"""The operator's check with fakes: survey verdicts, key types, special
addresses, result codes, TLSRPT entries and exit codes.

Canned DNS answers and probe outcomes (as in ``test_policy.py``), with real
certificates and the real matcher, so the survey's tables are the real ones.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from dnssec_lite.cli_dane import EXIT_WARNINGS, exit_code, worst
from dnssec_lite.dane import Code, Gate, OpsOptions, Severity, check_many
from dnssec_lite.dane.check import acheck_smtp, check_smtp, survey
from dnssec_lite.dane.codes import TLSRPT_TYPES, tlsrpt_type
from dnssec_lite.dane.ops import special_purpose
from dnssec_lite.dane.policy import ProbeRequest
from dnssec_lite.dane.report import SCHEMA, Verdict
from dnssec_lite.dane.tlsa import verify_chain
from dnssec_lite.wire.rdata.dane import TLSA
from tests.dane.test_policy import B, FakeProbe, FakeResolver, S, addr, mx, tlsa
from tests.helpers.certs import NOW, Chain, ca_chain

HOST = "mx.example.org"
GOOD_IP, BAD_IP = "8.8.4.4", "8.8.8.8"  # global addresses: no special-purpose warning


@pytest.fixture(scope="module")
def ecdsa() -> Chain:
    return ca_chain([HOST])


@pytest.fixture(scope="module")
def rsa() -> Chain:
    return ca_chain([HOST], kind="rsa")


def ee(chain: Chain) -> TLSA:
    return TLSA(3, 1, 1, chain.leaf.association(1, 1))


def served(chain: Chain, protocol: str = "TLSv1.3") -> FakeProbe:
    return FakeProbe(
        "10.9.9.9", protocol, "TLS_AES_128_GCM_SHA256", chain.presented(with_root=False)
    )


NO_TLS12 = FakeProbe("10.9.9.9", None, None, (), "handshake failed", "handshake-failed")


@dataclass
class Servers:
    """Probe outcomes by (address, key type); unknown ones: no TLS 1.2 session."""

    table: dict[tuple[str, str | None], FakeProbe]
    sent: list[ProbeRequest] = field(default_factory=list)

    def probe(self, request: ProbeRequest) -> FakeProbe:
        self.sent.append(request)
        return self.table.get((request.address, request.key_type), NO_TLS12)

    async def aprobe(self, request: ProbeRequest) -> FakeProbe:
        await asyncio.sleep(0)
        return self.probe(request)


def one_host(*ips: str, records: Sequence[TLSA], status: Any = S) -> FakeResolver:
    return FakeResolver(
        mx("example.org", S, (10, HOST)), addr(HOST, S, *ips), tlsa(HOST, status, *records)
    )


def run(resolver: FakeResolver, servers: Servers, **kw: Any) -> Any:
    kw.setdefault("randomize_addresses", False)
    return check_smtp(
        "example.org",
        resolver,
        probe=servers.probe,
        verify=verify_chain,
        now=NOW,
        rng=random.Random(1),
        **kw,
    )


def test_one_bad_address_fails_the_survey_not_the_delivery(ecdsa: Chain, rsa: Chain) -> None:
    resolver = one_host(GOOD_IP, BAD_IP, records=[ee(ecdsa)])
    servers = Servers({(GOOD_IP, None): served(ecdsa), (BAD_IP, None): served(rsa)})
    plain = run(resolver, servers)
    assert plain.verdict is Verdict.SUCCESS and not plain.survey
    surveyed = run(resolver, servers, ops=OpsOptions(survey=True))
    assert surveyed.verdict is Verdict.FAILED and surveyed.delivery is Verdict.SUCCESS
    assert surveyed.transcript == plain.transcript  # the MTA's transcript is untouched
    bad = [f for f in surveyed.failures if f.address == BAD_IP]
    assert [f.code for f in bad] == [Code.CERTIFICATE_NOT_TRUSTED]
    assert surveyed.survey_lines[-1] == "Survey verdict: FAILED for example.org"
    data = json.loads(json.dumps(surveyed.to_json()))
    assert data["schema"] == SCHEMA and data["verdict"] == "failed"
    assert data["delivery"] == "success" and data["survey"] is True
    second = data["hosts"][0]["addresses"][1]
    (default, *_) = second["survey"]
    assert default["key_type"] == "default" and default["authenticated"] is False
    assert default["chain"][0]["key_type"] == "RSA 2048"
    assert default["chain"][0]["san"] == [HOST]
    assert re.fullmatch(r"[0-9a-f]{64}", default["chain"][0]["spki_sha256"])
    assert default["tlsa"][0]["outcome"] == "no-match"
    assert default["code"] == "certificate-not-trusted"


def test_every_key_type_is_probed_and_checked(ecdsa: Chain, rsa: Chain) -> None:
    resolver = one_host(GOOD_IP, records=[ee(ecdsa)])
    servers = Servers(
        {
            (GOOD_IP, None): served(ecdsa),
            (GOOD_IP, "ecdsa"): served(ecdsa, "TLSv1.2"),
            (GOOD_IP, "rsa"): served(rsa, "TLSv1.2"),
        }
    )
    report = survey("example.org", resolver, probe=servers.probe, verify=verify_chain, now=NOW)
    assert [r.key_type for r in servers.sent] == [None, "ecdsa", "rsa"]
    assert report.delivery is Verdict.SUCCESS and report.verdict is Verdict.FAILED
    (failure,) = report.failures
    assert failure.code is Code.CERTIFICATE_NOT_TRUSTED and "(RSA only)" in failure.text
    probes = report.hosts[0].addresses[0].probes
    assert [p.authenticated for p in probes] == [True, True, False]
    rollover = report.hosts[0].rollover
    assert rollover.ready is False and len(rollover.reasons) == 2  # one per certificate


def test_both_key_types_pinned_pass(ecdsa: Chain, rsa: Chain) -> None:
    resolver = one_host(GOOD_IP, records=[ee(ecdsa), ee(rsa)])
    servers = Servers(
        {
            (GOOD_IP, None): served(ecdsa),
            (GOOD_IP, "ecdsa"): served(ecdsa, "TLSv1.2"),
            (GOOD_IP, "rsa"): served(rsa, "TLSv1.2"),
        }
    )
    report = run(resolver, servers, ops=OpsOptions(survey=True))
    assert report.verdict is Verdict.SUCCESS and report.failures == []


def test_a_server_without_tls12_is_checked_by_its_default_certificate(ecdsa: Chain) -> None:
    resolver = one_host(GOOD_IP, records=[ee(ecdsa)])
    servers = Servers({(GOOD_IP, None): served(ecdsa)})
    report = run(resolver, servers, ops=OpsOptions(survey=True))
    assert report.verdict is Verdict.SUCCESS
    notices = [f.code for f in report.findings if f.severity is Severity.NOTICE]
    assert notices == [Code.KEY_TYPE_NOT_PROBED]


def test_hosts_without_tlsa_are_surveyed_too(ecdsa: Chain) -> None:
    resolver = FakeResolver(
        mx("example.org", S, (10, HOST), (20, "mx2.example.org")),
        addr(HOST, S, GOOD_IP),
        tlsa(HOST, S, ee(ecdsa)),
        addr("mx2.example.org", S, BAD_IP),
    )
    servers = Servers({(GOOD_IP, None): served(ecdsa), (BAD_IP, None): served(ecdsa)})
    report = run(resolver, servers, ops=OpsOptions(survey=True))
    assert (BAD_IP, None) in {(r.address, r.key_type) for r in servers.sent}
    assert report.verdict is Verdict.SUCCESS  # only DANE hosts weigh
    (warning,) = [f for f in report.warnings if f.code is Code.MX_WITHOUT_DANE]
    assert warning.host == "mx2.example.org"
    assert {f.code for f in report.warnings} == {
        Code.MX_WITHOUT_DANE,
        Code.ROLLOVER_NOT_READY,
        Code.SINGLE_EE_RECORD,
    }
    assert report.hosts[1].addresses[0].probes[0].chain[0].subject == f"CN={HOST}"


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.0.2.7", "private"),  # documentation (TEST-NET-1)
        ("169.254.1.1", "link-local"),
        ("::1", "loopback"),
        ("2001:db8::1", "private"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "special-purpose"),  # shared address space
        ("8.8.8.8", None),
        ("2a00:1450::1", None),
    ],
)
def test_special_purpose_addresses(address: str, kind: str | None) -> None:
    assert special_purpose(address) == kind


def test_special_addresses_warn_unless_strict(ecdsa: Chain) -> None:
    resolver = one_host("127.0.0.1", records=[ee(ecdsa)])
    servers = Servers({("127.0.0.1", None): served(ecdsa)})
    relaxed = run(resolver, servers, ops=OpsOptions(survey=True))
    assert relaxed.verdict is Verdict.SUCCESS
    assert [f.code for f in relaxed.warnings if f.address] == [Code.SPECIAL_PURPOSE_ADDRESS]
    servers.sent.clear()
    strict = run(resolver, servers, ops=OpsOptions(survey=True, strict_addresses=True))
    assert strict.verdict is Verdict.FAILED and strict.delivery is Verdict.SUCCESS
    assert [f.code for f in strict.failures] == [Code.SPECIAL_PURPOSE_ADDRESS]
    assert all(r.key_type is None for r in servers.sent)  # only the MTA's own probe


def test_codes_of_the_mta_decision(ecdsa: Chain) -> None:
    refused = FakeProbe(None, None, None, (), "connection refused", "connection-refused")
    resolver = one_host(BAD_IP, GOOD_IP, records=[ee(ecdsa)])
    # Ascending order: GOOD_IP (8.8.4.4) is tried first; here it refuses.
    report = run(resolver, Servers({(GOOD_IP, None): refused, (BAD_IP, None): served(ecdsa)}))
    assert report.verdict is Verdict.SUCCESS
    assert [(f.code, f.address) for f in report.failures] == [(Code.CONNECTION_REFUSED, GOOD_IP)]
    assert report.hosts[0].addresses[0].to_json()["code"] == "connection-refused"

    bogus = FakeResolver(mx("example.org", B, (10, HOST)))
    assert [f.code for f in run(bogus, Servers({})).failures] == [Code.MX_BOGUS]

    bad_tlsa = one_host(GOOD_IP, records=[ee(ecdsa)], status=B)
    report = run(bad_tlsa, Servers({}))
    assert [f.code for f in report.failures] == [Code.TLSA_BOGUS]
    assert report.hosts[0].code is Code.TLSA_BOGUS

    unsigned = FakeResolver(mx("example.org", S, (10, HOST)), addr(HOST, S, GOOD_IP))
    report = run(unsigned, Servers({(GOOD_IP, None): served(ecdsa)}), policy="mandatory")
    assert [f.code for f in report.failures] == [Code.DANE_REQUIRED]


def test_certificate_failure_codes() -> None:
    expired = ca_chain([HOST], leaf_not_after=NOW - 86400)
    ta = TLSA(2, 0, 1, expired.at(1).association(0, 1))
    resolver = one_host(GOOD_IP, records=[ta])
    report = run(resolver, Servers({(GOOD_IP, None): served(expired)}))
    assert [f.code for f in report.failures] == [Code.CERTIFICATE_EXPIRED]
    other = ca_chain(["mx.other.example"])
    resolver = one_host(GOOD_IP, records=[TLSA(2, 0, 1, other.at(1).association(0, 1))])
    report = run(resolver, Servers({(GOOD_IP, None): served(other)}))
    assert [f.code for f in report.failures] == [Code.CERTIFICATE_HOST_MISMATCH]


def test_rollover_is_in_every_check_and_never_changes_the_verdict(ecdsa: Chain) -> None:
    resolver = one_host(GOOD_IP, records=[ee(ecdsa)])
    report = run(resolver, Servers({(GOOD_IP, None): served(ecdsa)}))
    assert report.verdict is Verdict.SUCCESS
    rollover = report.to_json()["hosts"][0]["rollover"]  # type: ignore[index]
    assert rollover["status"] == "not-ready" and rollover["ready"] is False
    codes = {f.code for f in report.warnings}
    assert codes == {Code.ROLLOVER_NOT_READY, Code.SINGLE_EE_RECORD}
    assert exit_code(report, monitoring=False) == 0
    assert exit_code(report, monitoring=True) == EXIT_WARNINGS


def test_horizon_in_a_plain_check() -> None:
    soon = ca_chain([HOST], leaf_not_after=NOW + 3 * 86400)
    resolver = one_host(GOOD_IP, records=[TLSA(2, 0, 1, soon.at(1).association(0, 1))])
    servers = Servers({(GOOD_IP, None): served(soon)})
    assert Code.CERTIFICATE_EXPIRES_SOON not in {f.code for f in run(resolver, servers).findings}
    report = run(resolver, servers, days=7)
    (finding,) = [f for f in report.warnings if f.code is Code.CERTIFICATE_EXPIRES_SOON]
    assert finding.address == GOOD_IP and "within 7 days" in finding.text
    assert report.to_json()["horizon_days"] == 7


def test_tlsrpt_failure_details_follow_rfc8460(ecdsa: Chain, rsa: Chain) -> None:
    refused = FakeProbe(None, None, None, (), "connection refused", "connection-refused")
    resolver = one_host(GOOD_IP, BAD_IP, "9.9.9.9", records=[ee(ecdsa)])
    servers = Servers(
        {
            (GOOD_IP, None): served(rsa),
            (BAD_IP, None): refused,
            ("9.9.9.9", None): served(ecdsa),
        }
    )
    report = run(resolver, servers)
    entries = report.tlsrpt_failure_details()
    assert len(entries) == 2
    required = {"result-type", "failed-session-count"}
    allowed = required | {
        "sending-mta-ip",
        "receiving-mx-hostname",
        "receiving-mx-helo",
        "receiving-ip",
        "additional-information",
        "failure-reason-code",
    }
    for entry in entries:
        assert required <= set(entry) <= allowed
        assert entry["result-type"] in TLSRPT_TYPES
        assert entry["failed-session-count"] == 1
        assert entry["receiving-mx-hostname"] == HOST
        assert str(entry["additional-information"]).startswith("data:,")
    first, second = entries
    assert first["result-type"] == "certificate-not-trusted"
    assert first["receiving-ip"] == GOOD_IP and first["sending-mta-ip"] == "10.9.9.9"
    assert second["result-type"] == "validation-failure"
    assert second["failure-reason-code"] == "connection-refused"
    assert "sending-mta-ip" not in second  # never connected: no local address
    assert report.tlsrpt_failure_details("192.0.2.25")[1]["sending-mta-ip"] == "192.0.2.25"


def test_every_code_maps_to_a_tlsrpt_type() -> None:
    assert all(tlsrpt_type(code) in TLSRPT_TYPES for code in Code)
    assert tlsrpt_type(Code.MX_BOGUS) == "dnssec-invalid"
    assert tlsrpt_type(Code.TLSA_INVALID) == "tlsa-invalid"


def test_worst_exit_code_of_a_bulk_run() -> None:
    assert worst([0, 4, 3]) == 3
    assert worst([0, 4]) == 4
    assert worst([0, 2, 1]) == 1
    assert worst([]) == 0


def test_check_many_yields_every_domain_with_bounded_connections(ecdsa: Chain) -> None:
    hosts = {f"d{n}.example": f"mx{n % 3}.example" for n in range(12)}
    answers: list[Any] = []
    for domain, host in hosts.items():
        answers.append(mx(domain, S, (10, host)))
    for n in range(3):
        answers += addr(f"mx{n}.example", S, f"8.8.8.{n + 1}")
        answers.append(tlsa(f"mx{n}.example", S, ee(ecdsa)))
    resolver = FakeResolver(*answers)

    class AsyncFake:
        async def resolve(self, name: Any, rrtype: int) -> Any:
            await asyncio.sleep(0)
            return resolver.resolve(name, rrtype)

    active: dict[str, int] = {}
    peak_per_address = 0

    async def probe(request: ProbeRequest) -> FakeProbe:
        nonlocal peak_per_address
        active[request.address] = active.get(request.address, 0) + 1
        peak_per_address = max(peak_per_address, active[request.address])
        await asyncio.sleep(0.01)
        active[request.address] -= 1
        return served(ecdsa)

    async def main() -> list[Any]:
        return [
            r
            async for r in check_many(
                [*hosts, "bad..name"],
                AsyncFake(),
                jobs=5,
                probe=probe,
                verify=verify_chain,
                now=NOW,
            )
        ]

    reports = asyncio.run(main())
    assert len(reports) == 13
    errors = [r for r in reports if not hasattr(r, "verdict")]
    assert [e.to_json()["verdict"] for e in errors] == ["error"]
    assert {r.to_json()["domain"] for r in reports if hasattr(r, "verdict")} == set(hosts)
    assert all(r.verdict is Verdict.SUCCESS for r in reports if hasattr(r, "verdict"))
    assert peak_per_address == 1


def test_gate_bounds_connections_in_all() -> None:
    gate = Gate(connections=2)

    async def probe(request: ProbeRequest) -> Any:
        await asyncio.sleep(0.01)
        return request

    async def main() -> None:
        from dnssec_lite.wire.name import Name

        n = Name.from_text("mx.example")
        requests = [ProbeRequest(f"8.8.8.{i}", 25, n, n) for i in range(6)]
        got = await gate.run_probes(requests, probe)
        assert got == requests

    asyncio.run(main())
    assert gate.peak == 2 and gate.in_flight == 0


def test_async_survey_probes_addresses_concurrently(ecdsa: Chain) -> None:
    resolver = one_host(GOOD_IP, BAD_IP, records=[ee(ecdsa)])
    servers = Servers({(GOOD_IP, None): served(ecdsa), (BAD_IP, None): served(ecdsa)})

    class AsyncFake:
        async def resolve(self, name: Any, rrtype: int) -> Any:
            return resolver.resolve(name, rrtype)

    gate = Gate()
    report = asyncio.run(
        acheck_smtp(
            "example.org",
            AsyncFake(),
            probe=servers.aprobe,
            verify=verify_chain,
            now=NOW,
            ops=OpsOptions(survey=True),
            gate=gate,
            randomize_addresses=False,
        )
    )
    assert report.verdict is Verdict.SUCCESS
    assert len(servers.sent) == 6  # 2 addresses x (default, ECDSA, RSA)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["daneverify"], "give one DOMAIN or --from-file FILE"),
        (["daneverify", "example.org", "--from-file", "x"], "give one DOMAIN or --from-file"),
        (["daneverify", "example.org", "--strict-addresses"], "--strict-addresses needs --survey"),
        (["daneverify", "example.org", "--days=-1"], "--days must be 0 or more"),
        (["daneverify", "example.org", "--json-lines"], "--json-lines needs --from-file"),
        (["daneverify", "--from-file", "x", "--jobs", "0"], "--jobs and --connections"),
        (["daneverify", "--from-file", "x", "--json"], "use --json-lines with --from-file"),
    ],
)
def test_cli_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from dnssec_lite import cli

    assert cli.main(argv) == 64
    assert message in capsys.readouterr().err


def test_domain_file(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from dnssec_lite import cli
    from dnssec_lite.cli_dane import read_domains

    listing = tmp_path / "domains.txt"
    listing.write_text("# monitored\nexample.org\n\n  example.net  # hosted\n")
    assert read_domains(str(listing)) == ["example.org", "example.net"]
    listing.write_text("example.org\nbad..name\n")
    assert cli.main(["daneverify", "--from-file", str(listing)]) == 64
    err = capsys.readouterr().err
    assert f"{listing} line 2: bad domain 'bad..name'" in err
    assert cli.main(["daneverify", "--from-file", str(tmp_path / "missing.txt")]) == 64
    assert "cannot read" in capsys.readouterr().err


def test_chain_description_is_bounded_and_survives_garbage(ecdsa: Chain) -> None:
    from dnssec_lite.dane.certinfo import MAX_DESCRIBED, describe_chain

    presented = list(ecdsa.presented(with_root=False))
    described = describe_chain([presented[0], b"\x30\x03junk", *[presented[1]] * 200])
    assert len(described) == MAX_DESCRIBED
    assert described[0].subject == f"CN={HOST}" and described[0].error is None
    assert described[1].error is not None and described[1].to_json()["depth"] == 1
    assert described[2].subject == described[3].subject == ecdsa.at(1).cert.subject.rfc4514_string()
