"""Iterative mode against real servers: a root server that hands out forged
signatures is left out and the answer validated through the real one
(Unbound's server blacklist and val-max-restart)."""

from __future__ import annotations

from dnssec_lite.anchors.formats import load_anchors
from dnssec_lite.errors import WireFormatError
from dnssec_lite.resolve.resolution import Resolution
from dnssec_lite.resolve.resolver import Resolver
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.rdata.dnssec import RRSIG
from dnssec_lite.wire.rrset import RRset

from .dnsenv import DnsEnv, _Proxy


def _forge(rrset: RRset) -> RRset:
    sigs = []
    for sig in rrset.sigs:
        damaged = bytes([sig.signature[0] ^ 0xFF]) + sig.signature[1:]
        sigs.append(
            RRSIG(
                sig.type_covered,
                sig.algorithm,
                sig.labels,
                sig.original_ttl,
                sig.expiration,
                sig.inception,
                sig.key_tag,
                sig.signer,
                damaged,
            )
        )
    return rrset.with_sigs(sigs)


class ForgingProxy(_Proxy):
    """Forwards to a real server and damages every signature it returns."""

    def transform(self, response: bytes) -> bytes:
        try:
            msg = Message.from_wire(response)
        except WireFormatError:
            return response
        forged = msg.replace(
            answer=tuple(_forge(r) for r in msg.answer),
            authority=tuple(_forge(r) for r in msg.authority),
        )
        return forged.to_wire()


def _resolver(env: DnsEnv, *roots: tuple[str, int]) -> Resolver:
    return Resolver(
        mode="iterative",
        anchors=load_anchors(str(env.anchor_path)),
        root_hints=[f"{a}:{p}" for a, p in roots],
        timeout=3.0,
    )


def test_forging_root_from_the_hints_is_left_out_after_priming(dnsenv: DnsEnv) -> None:
    """Only the forging server is in the hints; priming names the real root
    server, so once the forger is left out the answer validates."""
    root = (dnsenv.auth_servers["."], 53)
    with ForgingProxy(("127.0.0.1", 0), root) as proxy:
        answer = _resolver(dnsenv, proxy.addr).resolve("mail.rsa.test.", "A")
        assert proxy.queries >= 1
    assert answer.status.value == "secure", answer.reason
    assert isinstance(answer.resolution, Resolution) and answer.resolution.restarts > 0


def test_forging_root_is_left_out_and_the_real_one_validates(dnsenv: DnsEnv) -> None:
    root = (dnsenv.auth_servers["."], 53)
    with ForgingProxy(("127.0.0.1", 0), root) as proxy:
        answer = _resolver(dnsenv, proxy.addr, root).resolve("mail.rsa.test.", "A")
        assert proxy.queries >= 1
    assert answer.status.value == dnsenv.unbound_verdict("mail.rsa.test.", "A") == "secure", (
        answer.reason
    )
    assert isinstance(answer.resolution, Resolution) and answer.resolution.restarts > 0
