"""The DANE decision rules, driven with canned validated answers.

No network: a dict of answers stands in for the resolver, a dict of probe
outcomes for the SMTP servers, and a table for the certificate matcher, so
every rule of RFC 7672 section 2 (and every transcript shape of the
reference) is checked exactly.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from dnssec_lite.dane.check import check_smtp
from dnssec_lite.dane.policy import LookupKind, ProbeRequest, classify, tlsa_name
from dnssec_lite.dane.report import HostRole, TlsaStatus, Verdict
from dnssec_lite.dnssec.status import Answer, Reason, Status
from dnssec_lite.wire.message import Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.address import AAAA, A
from dnssec_lite.wire.rdata.dane import TLSA
from dnssec_lite.wire.rdata.dnssec import NSEC
from dnssec_lite.wire.rdata.names import CNAME, MX
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import EDE, Rcode, RRClass, RRType

N = Name.from_text
S, INS, B, X = Status.SECURE, Status.INSECURE, Status.BOGUS, Status.INDETERMINATE
GOOD_TLSA = TLSA(3, 1, 1, bytes(32))
TA_TLSA = TLSA(2, 0, 1, bytes(range(32)))


def rrset(owner: str, rrtype: int, *rdatas: Any) -> RRset:
    return RRset(N(owner), rrtype, RRClass.IN, 300, list(rdatas))


def answer(
    name: str,
    rrtype: int,
    status: Status = S,
    *rrsets: RRset,
    rcode: int = Rcode.NOERROR,
    denial: Sequence[RRset] = (),
    reason: str = "",
    extra: dict[str, object] | None = None,
) -> Answer:
    why = None
    if status is not S:
        why = Reason(EDE.DNSSEC_BOGUS if status is B else None, reason or f"{status.value} data")
    return Answer(
        Question(N(name), rrtype),
        rcode,
        status,
        rrsets=tuple(rrsets),
        denial=tuple(denial),
        reason=why,
        extra=extra,
    )


def mx(domain: str, status: Status, *hosts: tuple[int, str], **kw: Any) -> Answer:
    records = [MX(pref, N(host)) for pref, host in hosts]
    return answer(domain, RRType.MX, status, rrset(domain, RRType.MX, *records), **kw)


def addr(host: str, status: Status, *addresses: str) -> list[Answer]:
    v4 = [A.from_address(a) for a in addresses if ":" not in a]
    v6 = [AAAA.from_address(a) for a in addresses if ":" in a]
    return [
        answer(host, RRType.A, status, *([rrset(host, RRType.A, *v4)] if v4 else [])),
        answer(host, RRType.AAAA, status, *([rrset(host, RRType.AAAA, *v6)] if v6 else [])),
    ]


def tlsa(host: str, status: Status = S, *records: TLSA, rcode: int = Rcode.NOERROR) -> Answer:
    owner = f"_25._tcp.{host}"
    sets = [rrset(owner, RRType.TLSA, *records)] if records else []
    return answer(owner, RRType.TLSA, status, *sets, rcode=rcode)


class FakeResolver:
    def __init__(self, *answers: Answer | list[Answer]) -> None:
        self.answers: dict[tuple[Name, int], Answer] = {}
        for item in answers:
            for a in item if isinstance(item, list) else [item]:
                self.answers[(a.question.name, a.question.rrtype)] = a
        self.asked: list[tuple[str, str]] = []

    def resolve(self, name: Name, rrtype: int) -> Answer:
        self.asked.append((name.to_text(), RRType.to_text(rrtype)))
        try:
            return self.answers[(name, rrtype)]
        except KeyError:
            # An unknown name: a secure NXDOMAIN.
            return answer(name.to_text(), rrtype, S, rcode=Rcode.NXDOMAIN)


@dataclass
class FakeProbe:
    local_address: str | None = "127.0.0.1"
    tls_protocol: str | None = "TLSv1.3"
    tls_cipher: str | None = "TLS_AES_256_GCM_SHA384"
    chain_der: Sequence[bytes] = (b"good-leaf",)
    failure: str | None = None
    failure_kind: str | None = None


@dataclass
class FakeMatch:
    ok: bool
    usable: int = 1
    reason: str = ""
    record: Any = None
    depth: int | None = None


@dataclass
class Lab:
    probes: dict[str, FakeProbe] = field(default_factory=dict)
    sent: list[ProbeRequest] = field(default_factory=list)

    def probe(self, request: ProbeRequest) -> FakeProbe:
        self.sent.append(request)
        return self.probes.get(request.address, FakeProbe())

    @staticmethod
    def verify(
        chain: Sequence[bytes], records: Sequence[Any], names: Sequence[Name], now: int
    ) -> FakeMatch:
        if chain and chain[0] == b"good-leaf":
            return FakeMatch(True, record=records[0], depth=0)
        return FakeMatch(False, reason="3 1 1 0000...: SPKI digest does not match the leaf")


def run(resolver: FakeResolver, lab: Lab | None = None, domain: str = "example.org", **kw: Any):
    lab = lab or Lab()
    report = check_smtp(
        domain,
        resolver,
        probe=lab.probe,
        verify=lab.verify,
        now=1_800_000_000,
        rng=random.Random(1),
        **kw,
    )
    return report, lab


def test_success_transcript_is_the_reference_shape() -> None:
    resolver = FakeResolver(
        mx("ietf.org", S, (0, "mail.ietf.org")),
        addr("mail.ietf.org", S, "4.31.198.44"),
        tlsa("mail.ietf.org", S, GOOD_TLSA),
    )
    lab = Lab(
        {"4.31.198.44": FakeProbe("216.71.133.161", "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384")}
    )
    report, lab = run(resolver, lab, "ietf.org")
    assert report.transcript == [
        "SECURE MX record(mail.ietf.org) found for ietf.org",
        "SECURE A record (4.31.198.44) found for MX(mail.ietf.org) in ietf.org",
        "Connecting to 4.31.198.44 on port 25.",
        "Connected to 4.31.198.44 from interface 216.71.133.161.",
        "SECURE TLSA record found for MX(mail.ietf.org) in ietf.org",
        "Checking TLS connection.",
        "TLS connection established: protocol TLSv1.2, cipher ECDHE-RSA-AES256-GCM-SHA384.",
        "Certificate verification successful",
        "TLS connection succeeded ietf.org.",
        "DANE SUCCESS for ietf.org",
        "DANE verification completed.",
    ]
    assert report.verdict is Verdict.SUCCESS and report.reason is None
    assert lab.sent[0].sni == N("mail.ietf.org")  # SNI is the TLSA base domain


def test_bogus_mx_through_stripping_upstream_names_it() -> None:
    resolver = FakeResolver(
        mx(
            "ietf.org",
            X,
            (0, "mail.ietf.org"),
            reason="every upstream strips DNSSEC",
            extra={"stripping": {"10.0.0.1:53": "DNSKEY of . without RRSIG"}},
        )
    )
    report, lab = run(resolver, domain="ietf.org")
    assert report.transcript[0] == "BOGUS MX record found for ietf.org"
    assert report.transcript[1] == "  upstream 10.0.0.1:53 strips DNSSEC: DNSKEY of . without RRSIG"
    assert report.transcript[-2:] == ["DANE FAILED for ietf.org", "DANE verification completed."]
    assert report.verdict is Verdict.FAILED and "strips DNSSEC" in report.reason.text
    assert report.stripping == {"10.0.0.1:53": "DNSKEY of . without RRSIG"}
    assert not lab.sent


def test_insecure_domain_with_three_hosts_is_the_reference_shape() -> None:
    hosts = ["alln-mx-01.cisco.com", "rcdn-mx-01.cisco.com", "aer-mx-01.cisco.com"]
    ips = ["173.37.147.230", "72.163.7.166", "173.38.212.150"]
    resolver = FakeResolver(
        mx("cisco.com", INS, *[(10 * (i + 1), h) for i, h in enumerate(hosts)]),
        *[addr(h, INS, ip) for h, ip in zip(hosts, ips, strict=True)],
    )
    report, lab = run(resolver, domain="cisco.com")
    expected = []
    for i, (h, ip) in enumerate(zip(hosts, ips, strict=True)):
        expected += [
            f"INSECURE MX record({h}) found for cisco.com",
            f"INSECURE MX record({h}) found. The command will still proceed.",
            f"INSECURE A record ({ip}) found for MX({h}) in cisco.com",
        ]
        if i < 2:
            expected.append("Trying next MX record in cisco.com")
    expected += [
        "DANE FAILED for cisco.com",
        "Policy opportunistic: DANE does not apply to cisco.com; deliver with ordinary TLS.",
        "DANE verification completed.",
    ]
    assert report.transcript == expected
    assert report.verdict is Verdict.FALLBACK_TLS
    # No TLSA was asked for insecure hosts (RFC 7672 2.2.2), nothing probed.
    assert not [q for q in resolver.asked if q[1] == "TLSA"] and not lab.sent
    mandatory, _ = run(resolver, domain="cisco.com", policy="mandatory")
    assert mandatory.verdict is Verdict.FAILED


def test_second_address_after_first_fails() -> None:
    host = "mx.example.org"
    resolver = FakeResolver(
        mx("example.org", S, (10, host)),
        addr(host, S, "192.0.2.1", "192.0.2.2"),
        tlsa(host, S, GOOD_TLSA),
    )
    lab = Lab(
        {
            "192.0.2.1": FakeProbe(
                local_address=None, failure="connection refused", failure_kind="connection-refused"
            )
        }
    )
    report, lab = run(resolver, lab, randomize_addresses=False)
    lines = report.transcript
    assert "Connection to 192.0.2.1 on port 25 failed: connection refused." in lines
    assert f"Trying next A record (192.0.2.2) for MX({host}) in example.org" in lines
    assert report.verdict is Verdict.SUCCESS
    assert [p.address for p in lab.sent] == ["192.0.2.1", "192.0.2.2"]
    first = report.hosts[0].addresses[0]
    assert first.error_kind == "connection-refused" and first.tried


def test_secure_tlsa_that_does_not_match_fails_even_opportunistic() -> None:
    host = "mx.example.org"
    resolver = FakeResolver(
        mx("example.org", S, (10, host)), addr(host, S, "192.0.2.1"), tlsa(host, S, GOOD_TLSA)
    )
    lab = Lab({"192.0.2.1": FakeProbe(chain_der=(b"other-leaf",))})
    report, _ = run(resolver, lab)
    assert report.verdict is Verdict.FAILED
    assert "Certificate verification failed" in report.transcript
    assert "  3 1 1 0000...: SPKI digest does not match the leaf" in report.transcript


def test_secure_zone_without_tlsa_falls_back() -> None:
    host = "mx.example.org"
    resolver = FakeResolver(mx("example.org", S, (10, host)), addr(host, S, "192.0.2.1"))
    report, lab = run(resolver)
    assert report.verdict is Verdict.FALLBACK_TLS and not lab.sent
    assert report.hosts[0].tlsa.status is TlsaStatus.NXDOMAIN
    assert any("NXDOMAIN TLSA record" in line for line in report.transcript)


@pytest.mark.parametrize(
    "status,rcode", [(B, Rcode.NOERROR), (X, Rcode.SERVFAIL), (INS, Rcode.SERVFAIL)]
)
def test_tlsa_failure_never_falls_back(status: Status, rcode: int) -> None:
    host = "mx.example.org"
    resolver = FakeResolver(
        mx("example.org", S, (10, host)),
        addr(host, S, "192.0.2.1"),
        tlsa(host, status, rcode=rcode),
    )
    report, lab = run(resolver)
    assert report.verdict is Verdict.FAILED and not lab.sent
    assert report.hosts[0].role is HostRole.UNUSABLE


def test_all_unusable_tlsa_means_tls_required() -> None:
    host = "mx.example.org"
    resolver = FakeResolver(
        mx("example.org", S, (10, host)),
        addr(host, S, "192.0.2.1"),
        tlsa(host, S, TLSA(1, 1, 1, bytes(32)), TLSA(3, 1, 1, b"short")),
    )
    report, lab = run(resolver)
    assert report.verdict is Verdict.FALLBACK_TLS and report.tls_required
    assert report.hosts[0].role is HostRole.TLS_REQUIRED and len(lab.sent) == 1
    assert run(resolver, policy="mandatory")[0].verdict is Verdict.FAILED


def test_bogus_address_makes_host_unusable_and_next_is_tried() -> None:
    resolver = FakeResolver(
        mx("example.org", S, (10, "a.example.org"), (20, "b.example.org")),
        addr("a.example.org", B, "192.0.2.1"),
        addr("b.example.org", S, "192.0.2.2"),
        tlsa("b.example.org", S, GOOD_TLSA),
    )
    report, lab = run(resolver)
    assert report.transcript[1] == "BOGUS A record found for MX(a.example.org) in example.org"
    assert "Trying next MX record in example.org" in report.transcript
    assert report.verdict is Verdict.SUCCESS
    assert [p.address for p in lab.sent] == ["192.0.2.2"]


def test_null_mx_no_mx_and_nxdomain() -> None:
    null = FakeResolver(mx("example.org", S, (0, ".")))
    report, _ = run(null)
    assert report.verdict is Verdict.FAILED and "accepts no mail" in report.reason.text
    implicit = FakeResolver(
        answer("example.org", RRType.MX, S),
        addr("example.org", S, "192.0.2.9"),
        tlsa("example.org", S, GOOD_TLSA),
    )
    report, _ = run(implicit)
    assert report.verdict is Verdict.SUCCESS and report.hosts[0].name == N("example.org")
    assert report.hosts[0].preference is None
    nx = FakeResolver(answer("example.org", RRType.MX, S, rcode=Rcode.NXDOMAIN))
    assert run(nx)[0].verdict is Verdict.FAILED


def test_equal_preference_is_shuffled_but_lower_first() -> None:
    hosts = [(10, f"h{i}.example.org") for i in range(6)] + [(5, "first.example.org")]
    seen = set()
    for seed in range(20):
        resolver = FakeResolver(mx("example.org", INS, *hosts))
        report = check_smtp(
            "example.org",
            resolver,
            probe=Lab().probe,
            verify=Lab.verify,
            now=0,
            rng=random.Random(seed),
        )
        names = [h.name.to_text() for h in report.hosts]
        assert names[0] == "first.example.org."
        seen.add(tuple(names))
    assert len(seen) > 1


def test_insecure_mx_with_secure_host_still_uses_dane() -> None:
    host = "mx.provider.example"
    resolver = FakeResolver(
        mx("hosted.example", INS, (10, host)), addr(host, S, "192.0.2.1"), tlsa(host, S, GOOD_TLSA)
    )
    report, _ = run(resolver, domain="hosted.example")
    assert report.verdict is Verdict.SUCCESS
    assert (
        report.transcript[1] == f"INSECURE MX record({host}) found. The command will still proceed."
    )


def test_secure_cname_gives_expanded_base_first() -> None:
    host, target = "mx.example.org", "mx.hoster.example"
    a_ans = answer(
        host,
        RRType.A,
        S,
        rrset(host, RRType.CNAME, CNAME(N(target))),
        rrset(target, RRType.A, A.from_address("192.0.2.7")),
    )
    aaaa = answer(host, RRType.AAAA, S, rrset(host, RRType.CNAME, CNAME(N(target))))
    resolver = FakeResolver(
        mx("example.org", S, (10, host)), a_ans, aaaa, tlsa(target, S, GOOD_TLSA)
    )
    report, lab = run(resolver)
    assert report.verdict is Verdict.SUCCESS
    assert report.hosts[0].tlsa.base_domain == N(target)
    assert lab.sent[0].sni == N(target)
    # The expanded name's TLSA was looked up in a later round.
    assert ("_25._tcp.mx.hoster.example.", "TLSA") in resolver.asked


def test_speculative_tlsa_only_with_secure_mx() -> None:
    host = "mx.example.org"
    resolver = FakeResolver(
        mx("example.org", S, (10, host)), addr(host, INS, "192.0.2.1"), tlsa(host, S, GOOD_TLSA)
    )
    report, lab = run(resolver)
    # Asked speculatively, but the host's addresses are insecure: not used.
    assert ("_25._tcp.mx.example.org.", "TLSA") in resolver.asked
    assert report.verdict is Verdict.FALLBACK_TLS and not lab.sent
    assert report.hosts[0].tlsa is None
    off, _ = run(
        FakeResolver(mx("example.org", S, (10, host)), addr(host, INS, "192.0.2.1")),
        speculative_tlsa=False,
    )
    assert off.verdict is Verdict.FALLBACK_TLS


def test_compact_denial_counts_as_nxdomain() -> None:
    owner = "_25._tcp.mx.example.org"
    nsec = rrset(
        owner,
        RRType.NSEC,
        NSEC(N("\\000." + owner), frozenset({RRType.NSEC, RRType.RRSIG, RRType.NXNAME})),
    )
    ans = answer(owner, RRType.TLSA, S, denial=[nsec])
    assert classify(ans) is LookupKind.NXDOMAIN


def test_json_contract() -> None:
    host = "mx.example.org"
    resolver = FakeResolver(
        mx("example.org", S, (10, host)),
        addr(host, S, "192.0.2.1", "2001:db8::1"),
        tlsa(host, S, GOOD_TLSA),
    )
    report, _ = run(resolver, randomize_addresses=False)
    data = json.loads(json.dumps(report.to_json()))
    assert set(data) >= {
        "domain",
        "policy",
        "verdict",
        "tls_required",
        "hosts",
        "reason",
        "transcript",
    }
    assert data["domain"] == "example.org" and data["verdict"] == "success"
    hostj = data["hosts"][0]
    assert set(hostj) >= {"name", "preference", "mx_status", "addresses", "tlsa"}
    assert hostj["name"] == host and hostj["preference"] == 10 and hostj["mx_status"] == "secure"
    first = hostj["addresses"][0]
    assert set(first) >= {"address", "family", "status", "reason", "tls", "match", "error"}
    assert first["tls"] == {"protocol": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384"}
    assert first["match"]["ok"] is True and first["match"]["depth"] == 0
    assert hostj["addresses"][1]["family"] == 6 and hostj["addresses"][1]["tls"] is None
    assert hostj["tlsa"] == {
        "status": "secure",
        "base_domain": "_25._tcp.mx.example.org"[9:] if False else host,
        "records": ["3 1 1 " + "00" * 32],
        "usable": 1,
        "reason": None,
    }


def test_failed_lookup_exception_is_a_failure_not_absence() -> None:
    class Broken(FakeResolver):
        def resolve(self, name: Name, rrtype: int) -> Answer:
            raise OSError("network unreachable")

    report, _ = run(Broken())
    assert report.verdict is Verdict.FAILED
    assert report.transcript[0] == "BOGUS MX record found for example.org"
    assert "network unreachable" in report.transcript[1]


def test_tlsa_name() -> None:
    assert tlsa_name(N("mx.example.org"), 25) == N("_25._tcp.mx.example.org")
    assert tlsa_name(N("mx.example.org"), 587) == N("_587._tcp.mx.example.org")


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown DANE policy"):
        run(FakeResolver(), policy="strict")
    with pytest.raises(ValueError, match="port"):
        run(FakeResolver(), port=0)


def test_addresses_are_randomised_unless_asked_not_to() -> None:
    host = "mx.example.org"
    ips = [f"192.0.2.{n}" for n in range(1, 9)]
    orders = set()
    for seed in range(10):
        resolver = FakeResolver(mx("example.org", INS, (10, host)), addr(host, INS, *reversed(ips)))
        report = check_smtp(
            "example.org",
            resolver,
            probe=Lab().probe,
            verify=Lab.verify,
            now=0,
            rng=random.Random(seed),
        )
        orders.add(tuple(a.address for a in report.hosts[0].addresses))
    assert len(orders) > 1
    fixed = check_smtp(
        "example.org",
        resolver,
        probe=Lab().probe,
        verify=Lab.verify,
        now=0,
        randomize_addresses=False,
    )
    assert [a.address for a in fixed.hosts[0].addresses] == ips
