"""QNAME minimisation (RFC 9156) in iterative mode against the real loopback
hierarchy: the same verdicts as without it, and the root server only ever
sees names one label below the root."""

from __future__ import annotations

import threading

from dnssec_lite.anchors.formats import load_anchors
from dnssec_lite.errors import WireFormatError
from dnssec_lite.resolve.resolver import Resolver
from dnssec_lite.wire.message import Message

from .dnsenv import DnsEnv, _Proxy

QUESTIONS = [
    ("mail.rsa.test.", "A", "secure"),
    ("nonexistent.rsa.test.", "A", "secure"),
    ("_25._tcp.mail.ed.test.", "TLSA", "secure"),
    ("x.wild.ecdsa.test.", "A", "secure"),
    ("b.c.ecdsa.test.", "A", "secure"),
    ("mail.unsigned.test.", "A", "insecure"),
    ("mail.expired.test.", "A", "bogus"),
]


class RecordingProxy(_Proxy):
    """Forwards to the root server and remembers every question name."""

    def __init__(self, listen: tuple[str, int], upstream: tuple[str, int]) -> None:
        super().__init__(listen, upstream)
        self.names: list[str] = []
        self._names_lock = threading.Lock()

    def _handle_udp(self, data: bytes, client: tuple[str, int]) -> None:
        try:
            query = Message.from_wire(data)
        except WireFormatError:
            query = None
        if query is not None and query.question:
            with self._names_lock:
                self.names.append(query.question[0].name.to_text())
        super()._handle_udp(data, client)


def _resolver(env: DnsEnv, root: tuple[str, int], minimise: bool) -> Resolver:
    return Resolver(
        mode="iterative",
        anchors=load_anchors(str(env.anchor_path)),
        root_hints=[f"{root[0]}:{root[1]}"],
        timeout=3.0,
        qname_minimisation=minimise,
    )


def test_minimised_resolution_gives_the_same_verdicts(dnsenv: DnsEnv) -> None:
    root = (dnsenv.auth_servers["."], 53)
    mismatches = []
    for name, rrtype, expected in QUESTIONS:
        plain = _resolver(dnsenv, root, False).resolve(name, rrtype)
        minimised = _resolver(dnsenv, root, True).resolve(name, rrtype)
        if not (plain.status.value == minimised.status.value == expected):
            mismatches.append(
                f"{name} {rrtype}: plain {plain.status.value}, minimised "
                f"{minimised.status.value} ({minimised.reason}), expected {expected}"
            )
        assert plain.rcode == minimised.rcode, name
    assert not mismatches, "\n".join(mismatches)


def test_root_sees_only_one_label_names(dnsenv: DnsEnv) -> None:
    root = (dnsenv.auth_servers["."], 53)
    with RecordingProxy(("127.0.0.1", 0), root) as proxy:
        answer = _resolver(dnsenv, proxy.addr, True).resolve("_25._tcp.mail.ed.test.", "TLSA")
        seen = list(proxy.names)
    assert answer.status.value == "secure", answer.reason
    assert seen, "the root server was never asked"
    deep = [n for n in seen if n.count(".") > 1 and not n.endswith("root-servers.test.")]
    assert not deep, f"the root server saw full names: {deep}"


def test_without_minimisation_the_root_sees_the_full_name(dnsenv: DnsEnv) -> None:
    """The check above can fail: the plain engine does show the root the
    whole question."""
    root = (dnsenv.auth_servers["."], 53)
    with RecordingProxy(("127.0.0.1", 0), root) as proxy:
        _resolver(dnsenv, proxy.addr, False).resolve("_25._tcp.mail.ed.test.", "TLSA")
        seen = list(proxy.names)
    assert "_25._tcp.mail.ed.test." in seen
