"""The validator's options against zones signed by real signers and served
by NSD: the signature-time allowance on each side, and
``harden_dnssec_stripped``.  The resolver's clock is moved to just outside a
validity period read from the served signatures."""

from __future__ import annotations

import dataclasses

from dnssec_lite.anchors.formats import load_anchors
from dnssec_lite.dnssec.limits import DEFAULT_LIMITS, Limits
from dnssec_lite.resolve.resolver import Resolver
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.types import RRType

from .dnsenv import DnsEnv, udp_exchange


def _sig_times(env: DnsEnv, zone: str, qname: str) -> tuple[int, int]:
    """(inception, expiration) of the RRSIG(A) of ``qname`` as NSD serves it."""
    query = Message.make_query(Name.from_text(qname), RRType.A, do=True, rd=False)
    reply = Message.from_wire(udp_exchange(query.to_wire(), (env.auth_servers[zone], 53), 5.0))
    rrset = reply.get_answer(Name.from_text(qname), RRType.A)
    assert rrset is not None and rrset.sigs, reply.to_text()
    return rrset.sigs[0].inception, rrset.sigs[0].expiration


def _resolver(env: DnsEnv, at: int, limits: Limits = DEFAULT_LIMITS, **kwargs: bool) -> Resolver:
    return Resolver(
        mode="iterative",
        anchors=load_anchors(str(env.anchor_path)),
        root_hints=str(env.root_hints_path),
        timeout=3.0,
        limits=limits,
        clock=lambda: float(at),
        **kwargs,  # type: ignore[arg-type]
    )


def test_allowance_before_inception_by_default_configurable(dnsenv: DnsEnv) -> None:
    """future.test. is signed from +16 days: an hour before that, Unbound's
    allowance (here one day) makes it SECURE; without one it is BOGUS."""
    inception, _ = _sig_times(dnsenv, "future.test.", "mail.future.test.")
    at = inception - 3600
    assert _resolver(dnsenv, at).resolve("mail.future.test.", "A").status.value == "secure"
    strict = dataclasses.replace(DEFAULT_LIMITS, skew_min=0, skew_max=0)
    late = _resolver(dnsenv, at, strict).resolve("mail.future.test.", "A")
    assert late.status.value == "bogus" and late.reason is not None and late.reason.ede == 8


def test_no_allowance_after_expiration_by_default_configurable(dnsenv: DnsEnv) -> None:
    """Every ordinary zone expires at +30 days: an hour after that the
    default finds the signatures expired; Unbound's rule on that side still
    accepts them."""
    _, expiration = _sig_times(dnsenv, "rsa.test.", "mail.rsa.test.")
    at = expiration + 3600
    expired = _resolver(dnsenv, at).resolve("mail.rsa.test.", "A")
    assert expired.status.value == "bogus" and expired.reason is not None
    assert expired.reason.ede == 7
    unbound = dataclasses.replace(DEFAULT_LIMITS, expiry_skew_min=3600, expiry_skew_max=86400)
    assert _resolver(dnsenv, at, unbound).resolve("mail.rsa.test.", "A").status.value == "secure"


def test_harden_dnssec_stripped(dnsenv: DnsEnv) -> None:
    """nodnskey.test. has a DS in test. but serves no DNSKEY RRset."""
    inception, _ = _sig_times(dnsenv, "rsa.test.", "mail.rsa.test.")
    at = inception + 86400 + 3600
    hard = _resolver(dnsenv, at).resolve("mail.nodnskey.test.", "A")
    assert hard.status.value == "bogus"
    assert dnsenv.unbound_verdict("mail.nodnskey.test.", "A") == "bogus"
    soft = _resolver(dnsenv, at, harden_dnssec_stripped=False).resolve("mail.nodnskey.test.", "A")
    assert soft.status.value == "insecure", soft.summary()
