"""A TLSA lookup that fails (SERVFAIL, timeout) makes the host unusable: never a fallback.

RFC 7672 section 2.2: when the addresses of an MX host are secure, a TLSA
lookup that fails is not a denial of existence, so the client must not
deliver through that host without authentication -- an attacker who can
make the TLSA query fail must not be able to downgrade the session.  A
:class:`~tests.e2e.dnsenv.FaultProxy` in front of the validating Unbound
answers SERVFAIL for, or drops, the TLSA question of one host; everything
else is forwarded.  Stub mode (the proxy is the only upstream).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator

import pytest

from dnssec_lite.anchors.formats import load_anchors
from dnssec_lite.dane.check import acheck_smtp, check_smtp
from dnssec_lite.dane.report import DaneReport, HostRole, TlsaStatus, Verdict
from dnssec_lite.resolve.resolver import AsyncResolver, Resolver

from .danelab import INSECURE_ZONE, ZONE, DaneLab
from .dnsenv import DnsEnv, FaultProxy

FAULTS = ("servfail", "drop")
#: The resolver's timeout per query; a dropped TLSA query costs a few of these.
TIMEOUT = 1.0


@pytest.fixture(scope="module")
def lab(dnsenv: DnsEnv, dane_lab: DaneLab) -> Iterator[DaneLab]:
    yield dane_lab


def _tlsa(host: str) -> tuple[str, str]:
    return (f"_25._tcp.{host}", "TLSA")


def _check(env: DnsEnv, proxy: FaultProxy, domain: str, **kw: object) -> DaneReport:
    resolver = Resolver(
        [f"{proxy.addr[0]}:{proxy.addr[1]}"],
        anchors=load_anchors(str(env.anchor_path)),
        timeout=TIMEOUT,
    )
    kw.setdefault("rng", random.Random(3))
    kw.setdefault("randomize_addresses", False)
    return check_smtp(domain, resolver, timeout=5.0, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("speculative", [True, False], ids=["speculative", "after-addresses"])
@pytest.mark.parametrize("policy", ["opportunistic", "mandatory"])
@pytest.mark.parametrize("fault", FAULTS)
def test_failed_tlsa_lookup_is_failed_never_fallback(
    lab: DaneLab, dnsenv: DnsEnv, fault: str, policy: str, speculative: bool
) -> None:
    host = f"mx.ok.{ZONE}"
    domain = f"ok.{ZONE}"
    with FaultProxy(("127.0.0.1", 0), dnsenv.unbound_addr, {_tlsa(host): fault}) as proxy:
        start = time.monotonic()
        report = _check(dnsenv, proxy, domain, policy=policy, speculative_tlsa=speculative)
        elapsed = time.monotonic() - start
        asked = proxy.seen[(f"_25._tcp.{host}", 52)]
    text = "\n".join(report.transcript)
    assert asked >= 1, "the TLSA question never reached the proxy"
    assert report.verdict is Verdict.FAILED, text
    assert not report.tls_required
    (result,) = report.hosts
    assert result.role is HostRole.UNUSABLE
    assert result.tlsa is not None and result.tlsa.status in (TlsaStatus.FAILED, TlsaStatus.BOGUS)
    # The attacker gains nothing: no connection at all, no "deliver with TLS".
    assert not any(a.tried for a in result.addresses), text
    assert "Connecting to" not in text and "ordinary TLS" not in text
    lines = report.transcript
    at = lines.index(f"BOGUS TLSA record found for MX({host}) in {domain}")
    assert lines[at + 1].startswith("  "), text  # why, indented
    assert lines[-3:] == [
        f"DANE FAILED for {domain}",
        f"  no usable MX host for {domain}",
        "DANE verification completed.",
    ], text
    assert result.reason is not None and result.reason.text
    if fault == "servfail":
        assert "answered SERVFAIL" in lines[at + 1], text
        assert "strips DNSSEC" not in text, text  # a failure, not a stripping upstream
    else:
        assert "no answer over" in lines[at + 1], text  # the timeout, named
        assert elapsed < 30 * TIMEOUT, f"a dropped TLSA query took {elapsed:.1f} s"


@pytest.mark.parametrize("fault", FAULTS)
def test_next_mx_host_after_a_failed_tlsa_lookup(lab: DaneLab, dnsenv: DnsEnv, fault: str) -> None:
    # two.dane.test: mx1 (10) and mx2 (20).  mx1's TLSA lookup fails: mx1 is
    # not used (not even unauthenticated), mx2 authenticates.
    domain = f"two.{ZONE}"
    mx1, mx2 = f"mx1.{domain}", f"mx2.{domain}"
    with FaultProxy(("127.0.0.1", 0), dnsenv.unbound_addr, {_tlsa(mx1): fault}) as proxy:
        report = _check(dnsenv, proxy, domain)
    text = "\n".join(report.transcript)
    assert report.verdict is Verdict.SUCCESS, text
    first, second = report.hosts
    assert first.name.to_text() == f"{mx1}." and first.role is HostRole.UNUSABLE
    assert not any(a.tried for a in first.addresses)
    assert f"Trying next MX record in {domain}" in report.transcript
    assert second.name.to_text() == f"{mx2}." and second.role is HostRole.DANE
    assert second.addresses[0].address == lab.address(16)
    assert second.addresses[0].match is not None and second.addresses[0].match.ok


def test_tlsa_failure_of_an_insecure_host_is_never_asked(lab: DaneLab, dnsenv: DnsEnv) -> None:
    # RFC 7672 2.2.2: TLSA is looked up only for hosts with secure addresses
    # (some unsigned zones answer SERVFAIL for TLSA).  An unsigned domain
    # whose hosts' TLSA would fail still gets the non-DANE outcome.
    faults = {_tlsa(f"mx{n}.{INSECURE_ZONE}"): "servfail" for n in (1, 2, 3)}
    with FaultProxy(("127.0.0.1", 0), dnsenv.unbound_addr, faults) as proxy:
        report = _check(dnsenv, proxy, INSECURE_ZONE)
        asked = sum(proxy.seen.values())
    assert asked == 0
    assert report.verdict is Verdict.FALLBACK_TLS
    assert all(h.role is HostRole.NON_DANE and h.tlsa is None for h in report.hosts)


@pytest.mark.parametrize("fault", FAULTS)
def test_async_driver_fails_the_same_way(lab: DaneLab, dnsenv: DnsEnv, fault: str) -> None:
    host = f"mx.ok.{ZONE}"

    async def run(proxy: FaultProxy) -> DaneReport:
        resolver = AsyncResolver(
            [f"{proxy.addr[0]}:{proxy.addr[1]}"],
            anchors=load_anchors(str(dnsenv.anchor_path)),
            timeout=TIMEOUT,
        )
        return await acheck_smtp(f"ok.{ZONE}", resolver, rng=random.Random(3), timeout=5.0)

    with FaultProxy(("127.0.0.1", 0), dnsenv.unbound_addr, {_tlsa(host): fault}) as proxy:
        report = asyncio.run(run(proxy))
    assert report.verdict is Verdict.FAILED
    assert report.hosts[0].role is HostRole.UNUSABLE
    assert not any(a.tried for a in report.hosts[0].addresses)
