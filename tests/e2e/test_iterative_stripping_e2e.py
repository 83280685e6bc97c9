"""Iterative mode against real servers when one server of a signed zone
strips DNSSEC: its referrals come without the DS RRset's RRSIGs (or without
any DS or NSEC at all).  The engine judges such a referral from a zone known
to be signed DNSSEC-lame and takes the referral of another server of the
zone, so the lookup is SECURE on the first pass (no restart, no root probe).

The DANE lesson: a secondary without DNSSEC must not make a domain look
BOGUS while a DNSSEC-capable server is reachable."""

from __future__ import annotations

import logging

import pytest

from dnssec_lite.anchors.formats import load_anchors
from dnssec_lite.dnssec.status import Answer
from dnssec_lite.errors import WireFormatError
from dnssec_lite.resolve.resolution import Resolution
from dnssec_lite.resolve.resolver import Resolver
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import RRType
from dnssec_lite.wire.zonefile import parse_rrsets

from .dnsenv import DnsEnv, StrippingProxy, _Proxy

NAME, TYPE = "mail.rsa.test.", "A"
DANE_NAME, DANE_TYPE = "_25._tcp.mail.ed.test.", "TLSA"
CASES = [(NAME, TYPE), (DANE_NAME, DANE_TYPE)]

RRSIG_ONLY = (int(RRType.RRSIG),)
#: Everything DNSSEC: no DS, no denial either, in the referrals.
ALL_DNSSEC = (int(RRType.RRSIG), int(RRType.DS), int(RRType.NSEC), int(RRType.NSEC3))
STRIPS = {"rrsig": RRSIG_ONLY, "all": ALL_DNSSEC}

TLD = Name.from_text("test.")
#: The extra name server the fake root lists for test. (first).
STRIPPER_NS = "ns-strip.test."

LOGGER = "dnssec_lite.resolve.iterative"


class SecondaryAddingProxy(_Proxy):
    """The real root server, but its referrals to ``test.`` name one more
    name server, listed first, whose glue is ``address`` (the parent-side NS
    RRset and glue are not signed, so the root's data stays valid)."""

    def __init__(self, listen: tuple[str, int], upstream: tuple[str, int], address: str) -> None:
        super().__init__(listen, upstream)
        self.address = address

    def transform(self, response: bytes) -> bytes:
        try:
            msg = Message.from_wire(response)
        except WireFormatError:
            return response
        ns = msg.find(msg.authority, TLD, RRType.NS)
        if msg.answer or ns is None:
            return response
        extra_ns, glue = parse_rrsets(
            f"test. {ns.ttl} IN NS {STRIPPER_NS}\n{STRIPPER_NS} {ns.ttl} IN A {self.address}\n"
        )
        both = RRset(ns.name, ns.rrtype, ns.rrclass, ns.ttl, [*extra_ns.rdatas, *ns.rdatas])
        authority = [both if r is ns else r for r in msg.authority]
        return msg.replace(authority=authority, additional=[glue, *msg.additional]).to_wire()


def _resolver(env: DnsEnv, *roots: tuple[str, int]) -> Resolver:
    return Resolver(
        mode="iterative",
        anchors=load_anchors(str(env.anchor_path)),
        root_hints=[f"{a}:{p}" for a, p in roots],
        timeout=3.0,
    )


def _judged_lame(caplog: pytest.LogCaptureFixture, server: tuple[str, int], zone: str) -> list[str]:
    """The engine's log lines saying ``server`` gave a DNSSEC-lame referral."""
    prefix = f"{server[0]}#{server[1]} is DNSSEC-lame for {zone} (referral to "
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == LOGGER and r.getMessage().startswith(prefix)
    ]


def _first_pass_secure(env: DnsEnv, answer: Answer, name: str, rrtype: str) -> None:
    assert answer.status.value == env.unbound_verdict(name, rrtype) == "secure", answer.reason
    assert answer.rrsets and answer.rrsets[0].sigs
    # Neither the restart without bogus servers nor the root probe was needed.
    assert isinstance(answer.resolution, Resolution)
    assert answer.resolution.restarts == 0 and not answer.resolution.stripping


@pytest.mark.parametrize("strip", list(STRIPS))
@pytest.mark.parametrize(("name", "rrtype"), CASES)
def test_stripping_tld_secondary_listed_first_is_dnssec_lame(
    dnsenv: DnsEnv, caplog: pytest.LogCaptureFixture, name: str, rrtype: str, strip: str
) -> None:
    """``test.`` has two servers: a stripping one (listed first) and the real
    one.  The stripping server's referral is passed over: SECURE."""
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    root = (dnsenv.auth_servers["."], 53)
    tld = (dnsenv.auth_servers["test."], 53)
    secondary = (f"{dnsenv.prefix}.0.77", 53)  # in the environment's private prefix
    with (
        StrippingProxy(secondary, tld, strip_types=STRIPS[strip]) as stripper,
        SecondaryAddingProxy(("127.0.0.1", 0), root, secondary[0]) as fake_root,
    ):
        answer = _resolver(dnsenv, fake_root.addr).resolve(name, rrtype)
        assert stripper.queries >= 1
        assert fake_root.queries >= 1
    _first_pass_secure(dnsenv, answer, name, rrtype)
    lines = _judged_lame(caplog, secondary, "test.")
    assert lines, [r.getMessage() for r in caplog.records if "DNSSEC-lame" in r.getMessage()]
    wanted = "with an unsigned DS" if strip == "rrsig" else "without a signed DS or NSEC"
    assert any(wanted in line for line in lines), lines


@pytest.mark.parametrize(("name", "rrtype"), CASES)
def test_stripping_root_listed_first_is_dnssec_lame(
    dnsenv: DnsEnv, caplog: pytest.LogCaptureFixture, name: str, rrtype: str
) -> None:
    """The root hints list a stripping proxy of the root first and the real
    root second: the proxy's referral to ``test.`` (DS without RRSIGs) is
    DNSSEC-lame for the trust-anchor zone, the real root's is used."""
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    root = (dnsenv.auth_servers["."], 53)
    with StrippingProxy(("127.0.0.1", 0), root) as proxy:
        answer = _resolver(dnsenv, proxy.addr, root).resolve(name, rrtype)
        assert proxy.queries >= 1
    _first_pass_secure(dnsenv, answer, name, rrtype)
    lines = _judged_lame(caplog, proxy.addr, ".")
    assert any("referral to test. with an unsigned DS" in line for line in lines), lines
