"""The resolver against real DNS software: our verdict for every case of the
loopback hierarchy equals Unbound's, in stub mode (through the validating
Unbound with CD=1) and in iterative mode (straight to the NSD servers)."""

from __future__ import annotations

import pytest

from dnssec_lite.anchors.formats import load_anchors
from dnssec_lite.resolve.resolver import Resolver

from .dnsenv import DnsEnv

#: Questions beyond each case's probe: (name, type, expected status).
EXTRA = [
    ("nonexistent.rsa.test.", "A", "secure"),  # NSEC NXDOMAIN
    ("mail.rsa.test.", "TXT", "secure"),  # NSEC NODATA
    ("x.wild.rsa.test.", "A", "secure"),  # wildcard answer, NSEC
    ("www.rsa.test.", "A", "secure"),  # CNAME in zone
    ("cname-out.rsa.test.", "A", "insecure"),  # CNAME into an unsigned zone
    ("cname-bogus.rsa.test.", "A", "bogus"),  # CNAME into a bogus zone
    ("b.c.ecdsa.test.", "A", "secure"),  # empty non-terminal, NSEC3
    ("nonexistent.ecdsa.test.", "A", "secure"),  # NSEC3 NXDOMAIN
    ("x.wild.ecdsa.test.", "A", "secure"),  # wildcard answer, NSEC3
    ("y.wild.ed.test.", "MX", "secure"),  # wildcard NODATA
    ("_25._tcp.mail.ed.test.", "TLSA", "secure"),
    ("rsa.test.", "DS", "secure"),
    ("unsigned.test.", "DS", "secure"),  # NODATA proof of no DS
]


def _questions(env: DnsEnv) -> list[tuple[str, str, str]]:
    probes = [(case.probe, case.probe_type, case.expected) for case in env.cases.values()]
    return probes + EXTRA


def _check(env: DnsEnv, resolver: Resolver) -> None:
    mismatches = []
    for name, rrtype, expected in _questions(env):
        answer = resolver.resolve(name, rrtype)
        unbound = env.unbound_verdict(name, rrtype)
        if answer.status.value != expected or unbound != expected:
            mismatches.append(
                f"{name} {rrtype}: ours {answer.status.value} ({answer.reason}), "
                f"unbound {unbound}, expected {expected}"
            )
        if expected != "secure":
            assert answer.reason is not None and answer.reason.text
    assert not mismatches, "\n".join(mismatches)


def test_stub_mode_agrees_with_unbound(dnsenv: DnsEnv) -> None:
    resolver = Resolver(
        servers=[f"{dnsenv.unbound_addr[0]}:{dnsenv.unbound_addr[1]}"],
        anchors=load_anchors(str(dnsenv.anchor_path)),
        timeout=3.0,
    )
    _check(dnsenv, resolver)


def test_iterative_mode_agrees_with_unbound(dnsenv: DnsEnv) -> None:
    resolver = Resolver(
        mode="iterative",
        anchors=load_anchors(str(dnsenv.anchor_path)),
        root_hints=str(dnsenv.root_hints_path),
        timeout=3.0,
    )
    _check(dnsenv, resolver)


def test_warm_lookup_needs_one_query(dnsenv: DnsEnv) -> None:
    resolver = Resolver(
        servers=[f"{dnsenv.unbound_addr[0]}:{dnsenv.unbound_addr[1]}"],
        anchors=load_anchors(str(dnsenv.anchor_path)),
    )
    cold = resolver.resolve("mail.rsa.test.", "A")
    warm = resolver.resolve("mail.rsa.test.", "AAAA")
    assert cold.status.value == warm.status.value == "secure"
    assert cold.queries > warm.queries
    assert warm.queries <= 1


@pytest.mark.parametrize("mode", ["stub", "iterative"])
def test_bogus_reason_names_the_failed_check(dnsenv: DnsEnv, mode: str) -> None:
    kwargs: dict[str, object] = {"anchors": load_anchors(str(dnsenv.anchor_path))}
    if mode == "stub":
        kwargs["servers"] = [f"{dnsenv.unbound_addr[0]}:{dnsenv.unbound_addr[1]}"]
    else:
        kwargs["mode"] = "iterative"
        kwargs["root_hints"] = str(dnsenv.root_hints_path)
    answer = Resolver(**kwargs).resolve("mail.expired.test.", "A")  # type: ignore[arg-type]
    assert answer.status.value == "bogus"
    assert answer.reason is not None and answer.reason.ede == 7
    assert "expired at" in answer.reason.text
