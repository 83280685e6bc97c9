"""Our DANE verdicts beside Postfix's ``posttls-finger -l dane``, domain by domain.

Both ask the same validating Unbound about the lab's domains (``danelab.py``)
and connect to the same STARTTLS servers.  ``posttls-finger`` is a diagnostic
tool: where Postfix's SMTP client would defer the mail it often still
completes the session and logs "Untrusted", so its outcome is read from the
whole log (:func:`tests.e2e.posttls.classify`).  The correspondence:

==================  ==============================================
posttls-finger      our verdict
==================  ==============================================
Verified            SUCCESS, the MX RRset secure
Trusted             SUCCESS, the MX RRset insecure (RFC 7672 2.2.1)
Untrusted           FALLBACK_TLS: DANE does not apply
unusable TLSA       FALLBACK_TLS with ``tls_required`` (encrypt)
DANE mismatch,      FAILED: a secure TLSA RRset applies and the
TLSA lookup error,  host did not authenticate (or could not be
handshake failure,  judged); never a fallback
no STARTTLS
null MX             FAILED: the domain accepts no mail
==================  ==============================================

Under our ``mandatory`` policy the peer is ``posttls-finger -l dane-only``
(``test_mandatory_agrees_with_dane_only``): only Verified or Trusted is
SUCCESS; everything else is mail Postfix would defer, our FAILED.

Two documented differences are asserted as such (``test_differences``):
``posttls-finger`` stops at the first MX host whose TLS session it opens,
authenticated or not, where an MTA -- and our check -- goes on to the next MX
host; and it connects to non-DANE hosts (to report their TLS), where our
check, like the reference tool, ends once DANE is known not to apply.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from typing import Any

import pytest

from dnssec_lite.anchors.formats import load_anchors
from dnssec_lite.dane.check import check_smtp
from dnssec_lite.dane.report import DaneReport, HostRole, Verdict
from dnssec_lite.dnssec.status import Status
from dnssec_lite.resolve.resolver import Resolver

from .danelab import INSECURE_ZONE, ZONE, DaneLab
from .dnsenv import DnsEnv
from .posttls import FingerRun, Outcome, PostTlsFinger, available

#: Every lab domain compared, with posttls-finger's expected outcome.
CASES: dict[str, Outcome] = {
    f"ok.{ZONE}": Outcome.VERIFIED,
    f"ta.{ZONE}": Outcome.VERIFIED,
    f"tabadname.{ZONE}": Outcome.DANE_MISMATCH,
    f"nomatch.{ZONE}": Outcome.DANE_MISMATCH,
    f"notlsa.{ZONE}": Outcome.UNTRUSTED,
    f"twoaddr.{ZONE}": Outcome.VERIFIED,
    f"equal.{ZONE}": Outcome.VERIFIED,
    f"nullmx.{ZONE}": Outcome.NULL_MX,
    f"nomx.{ZONE}": Outcome.VERIFIED,
    f"bogustlsa.{ZONE}": Outcome.TLSA_ERROR,
    f"unusable.{ZONE}": Outcome.TLS_REQUIRED,
    f"nostarttls.{ZONE}": Outcome.NO_STARTTLS,
    f"badhs.{ZONE}": Outcome.HANDSHAKE_FAILED,
    f"two.{ZONE}": Outcome.VERIFIED,
    # An insecure MX RRset naming a host with secure addresses and TLSA:
    # RFC 7672 2.2.1 allows both using DANE for that host and not (the MX
    # could have been forged to point there).  Postfix uses it (insecure MX
    # policy "dane", the default: "Trusted"), and so do we: SUCCESS.
    f"hosted.{INSECURE_ZONE}": Outcome.TRUSTED,
}

#: Our verdict (and tls_required) for each posttls-finger outcome.
AGREES: dict[Outcome, tuple[Verdict, bool]] = {
    Outcome.VERIFIED: (Verdict.SUCCESS, False),
    Outcome.TRUSTED: (Verdict.SUCCESS, False),
    Outcome.UNTRUSTED: (Verdict.FALLBACK_TLS, False),
    Outcome.TLS_REQUIRED: (Verdict.FALLBACK_TLS, True),
    Outcome.DANE_MISMATCH: (Verdict.FAILED, False),
    Outcome.TLSA_ERROR: (Verdict.FAILED, False),
    Outcome.HANDSHAKE_FAILED: (Verdict.FAILED, False),
    Outcome.NO_STARTTLS: (Verdict.FAILED, False),
    Outcome.NULL_MX: (Verdict.FAILED, False),
}

_MATCHED = re.compile(
    r"^(?P<host>\S+)\[(?P<addr>[^\]]+)\]:25: Matched DANE (?:EE|TA) certificate "
    r"at depth (?P<depth>\d+): (?P<record>\d \d \d [0-9A-F]+)$"
)


@pytest.fixture(scope="module")
def finger(dnsenv: DnsEnv, dane_lab: DaneLab) -> Iterator[PostTlsFinger]:
    missing = available()
    if missing is not None:
        pytest.fail(f"posttls-finger comparison: {missing}", pytrace=False)
    runner = PostTlsFinger(dnsenv.unbound_addr[0])
    try:
        yield runner
    finally:
        runner.close()


def _resolver(env: DnsEnv) -> Resolver:
    return Resolver(
        [f"{env.unbound_addr[0]}:{env.unbound_addr[1]}"],
        anchors=load_anchors(str(env.anchor_path)),
        timeout=2.0,
    )


def ours(env: DnsEnv, domain: str) -> DaneReport:
    return check_smtp(domain, _resolver(env), rng=random.Random(7), timeout=5.0)


def _tlsa_texts(env: DnsEnv, report: DaneReport, host: str) -> set[str]:
    """The TLSA records of ``host`` as text: from our report when we looked at
    that host, else (an equal-preference host both of us could pick: we
    stopped at the other one) asked of the validating resolver."""
    records: tuple[Any, ...] = ()
    for result in report.hosts:
        if result.name.to_text().rstrip(".") == host and result.tlsa is not None:
            records = result.tlsa.records
            break
    else:
        mx = _resolver(env).resolve(report.domain, "MX")
        preference = {r.exchange.to_text().rstrip("."): r.preference for r in _rdatas(mx)}
        assert preference[host] == report.hosts[0].preference
        records = tuple(_rdatas(_resolver(env).resolve(f"_25._tcp.{host}", "TLSA")))
    return {f"{r.usage} {r.selector} {r.mtype} {r.data.hex()}" for r in records}


def _rdatas(answer: Any) -> list[Any]:
    assert answer.status is Status.SECURE
    return [r for rrset in answer.records() for r in rrset.rdatas]


def _authenticated(report: DaneReport) -> tuple[str, str, int] | None:
    """(host, address, depth) of our authenticated session, if any."""
    for host in report.hosts:
        for address in host.addresses:
            if address.match is not None and address.match.ok:
                depth = getattr(address.match, "depth", None)
                assert isinstance(depth, int)
                return host.name.to_text().rstrip("."), address.address, depth
    return None


@pytest.mark.parametrize("domain", sorted(CASES))
def test_agrees_with_posttls_finger(
    finger: PostTlsFinger, dnsenv: DnsEnv, dane_lab: DaneLab, domain: str
) -> None:
    peer = finger.run(domain)
    report = ours(dnsenv, domain)
    transcript = "\n".join(report.transcript)
    assert peer.outcome is CASES[domain], peer.text
    verdict, tls_required = AGREES[peer.outcome]
    assert (report.verdict, report.tls_required) == (verdict, tls_required), (
        f"posttls-finger: {peer.outcome.value}\n{peer.text}\nours:\n{transcript}"
    )
    if peer.outcome in (Outcome.VERIFIED, Outcome.TRUSTED):
        # A host we know, at our depth, by a record of that host's TLSA RRset
        # (equal-preference hosts are picked at random by both of us).
        matched = [m for m in map(_MATCHED.match, peer.lines) if m is not None]
        assert len(matched) == 1, peer.text
        mine = _authenticated(report)
        assert mine is not None, transcript
        texts = _tlsa_texts(dnsenv, report, matched[0]["host"])
        assert int(matched[0]["depth"]) == mine[2], peer.text
        assert matched[0]["record"].lower() in texts, peer.text
        secure_mx = report.hosts[0].mx_status is Status.SECURE
        assert secure_mx is (peer.outcome is Outcome.VERIFIED), transcript
    if peer.outcome is Outcome.TLSA_ERROR:
        # Neither of us connects to a host whose TLSA lookup failed.
        assert "Connected to" not in peer.text
        assert not any(a.tried for h in report.hosts for a in h.addresses)
    if peer.outcome is Outcome.TLS_REQUIRED:
        assert report.hosts[0].role is HostRole.TLS_REQUIRED


def _sessions(peer: FingerRun) -> list[str]:
    """The hosts posttls-finger opened (or tried to open) a session with, in order."""
    seen: list[str] = []
    for line in peer.lines:
        found = re.match(
            r"^(?:Connected to |Failed to establish session to \S+ via )([^\[:]+)", line
        )
        if found and found.group(1) not in seen:
            seen.append(found.group(1))
    return seen


def test_differences(finger: PostTlsFinger, dnsenv: DnsEnv, dane_lab: DaneLab) -> None:
    # 1. failover: mx1 (preference 10) has a secure TLSA that does not match,
    # mx2 (20) authenticates.  RFC 7672 2.2: a host that fails authentication
    # is not used, the next MX host is tried -- our SUCCESS via mx2.
    # posttls-finger reports the first session it opened and stops at mx1.
    domain = f"failover.{ZONE}"
    peer = finger.run(domain)
    report = ours(dnsenv, domain)
    assert peer.outcome is Outcome.DANE_MISMATCH, peer.text
    assert _sessions(peer) == [f"mx1.{domain}"], peer.text
    assert report.verdict is Verdict.SUCCESS
    first, second = report.hosts
    assert first.role is HostRole.DANE and first.addresses[0].error_kind == (
        "certificate-not-trusted"
    )
    assert second.preference == 20 and second.role is HostRole.DANE
    assert _authenticated(report) == (f"mx2.{domain}", dane_lab.address(18), 0)

    # 2. An unsigned domain (no DANE) whose three MX hosts have no server:
    # posttls-finger connects to each in preference order and reports that no
    # session could be opened; our check stops once DANE is known not to apply
    # (no TLSA lookup, no connection) and says: deliver with ordinary TLS.
    peer = finger.run(INSECURE_ZONE)
    report = ours(dnsenv, INSECURE_ZONE)
    assert peer.outcome is Outcome.NO_SESSION, peer.text
    assert "TLSA" not in peer.text
    hosts = [h.name.to_text().rstrip(".") for h in report.hosts]
    assert _sessions(peer) == hosts == [f"mx{n}.{INSECURE_ZONE}" for n in (1, 2, 3)]
    assert report.verdict is Verdict.FALLBACK_TLS and not report.tls_required
    assert not any(a.tried for h in report.hosts for a in h.addresses)


#: Domains for the mandatory comparison, with posttls-finger -l dane-only's outcome.
MANDATORY: dict[str, Outcome] = {
    f"ok.{ZONE}": Outcome.VERIFIED,
    f"hosted.{INSECURE_ZONE}": Outcome.TRUSTED,
    f"notlsa.{ZONE}": Outcome.UNTRUSTED,
    f"unusable.{ZONE}": Outcome.TLS_REQUIRED,
    f"nomatch.{ZONE}": Outcome.DANE_MISMATCH,
    INSECURE_ZONE: Outcome.NO_SESSION,
}


@pytest.mark.parametrize("domain", sorted(MANDATORY))
def test_mandatory_agrees_with_dane_only(
    finger: PostTlsFinger, dnsenv: DnsEnv, dane_lab: DaneLab, domain: str
) -> None:
    peer = finger.run(domain, "-l", "dane-only")
    report = check_smtp(
        domain, _resolver(dnsenv), policy="mandatory", rng=random.Random(7), timeout=5.0
    )
    assert peer.outcome is MANDATORY[domain], peer.text
    authenticated = peer.outcome in (Outcome.VERIFIED, Outcome.TRUSTED)
    expected = Verdict.SUCCESS if authenticated else Verdict.FAILED
    assert report.verdict is expected, "\n".join(report.transcript)
    # Without TLSA records Postfix's dane-only falls back to PKIX ("secure"),
    # which no public CA could pass here; our mandatory policy fails at once.
    no_tlsa = domain in (f"notlsa.{ZONE}", INSECURE_ZONE)
    assert peer.resorted_to_pkix is no_tlsa, peer.text
