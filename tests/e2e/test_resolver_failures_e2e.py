"""The resolver against real DNS software when the network misbehaves: a dead
first upstream, an upstream that strips DNSSEC, truncation forcing TCP, and
spoofed responses.  Stub mode goes through the validating Unbound (CD=1),
iterative mode straight to the NSD servers (the misbehaving piece sits in
front of the root); the verdicts are compared with Unbound's own.

The misbehaving pieces are small proxies built on ``dnsenv``'s forwarder."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import time
from collections.abc import Iterator

import pytest

from dnssec_lite.anchors.formats import load_anchors
from dnssec_lite.dnssec.status import Answer
from dnssec_lite.resolve.resolution import Resolution
from dnssec_lite.resolve.resolver import AsyncResolver, Resolver

from ..resolve.dnsserver import udp_tcp_pair
from .dnsenv import DnsEnv, StrippingProxy, _Proxy, udp_exchange

#: A signed name (RSASHA256, NSEC) and a DANE record (ED25519).
NAME, TYPE = "mail.rsa.test.", "A"
DANE_NAME, DANE_TYPE = "_25._tcp.mail.ed.test.", "TLSA"
#: What forged answers say (if one were accepted, the lookup would not be secure).
FORGED_RCODE = 3  # NXDOMAIN, without any proof


def _spec(addr: tuple[str, int]) -> str:
    return f"{addr[0]}:{addr[1]}"


def _stub(env: DnsEnv, *servers: str, timeout: float = 3.0, prefetch_chain: int = 2) -> Resolver:
    return Resolver(
        servers=list(servers),
        anchors=load_anchors(str(env.anchor_path)),
        timeout=timeout,
        prefetch_chain=prefetch_chain,
    )


def _iterative(env: DnsEnv, *roots: str, timeout: float = 3.0) -> Resolver:
    return Resolver(
        mode="iterative",
        anchors=load_anchors(str(env.anchor_path)),
        root_hints=list(roots),
        timeout=timeout,
    )


def _root(env: DnsEnv) -> tuple[str, int]:
    return (env.auth_servers["."], 53)


def _trace(answer: Answer) -> list[str]:
    assert isinstance(answer.resolution, Resolution)
    return answer.resolution.trace()


def _res(answer: Answer) -> Resolution:
    assert isinstance(answer.resolution, Resolution)
    return answer.resolution


def _header_and_question(query: bytes) -> tuple[int, int, bytes]:
    """The ID, the flags and the question section of a query."""
    qid, flags = struct.unpack_from("!HH", query, 0)
    end = query.index(b"\x00", 12) + 5  # an uncompressed name, then type and class
    return qid, flags, query[12:end]


def forged_reply(query: bytes, *, qid_delta: int = 0, prefix: bytes = b"") -> bytes:
    """An NXDOMAIN (no records, no proof) to ``query``: ID shifted by
    ``qid_delta``, question name with ``prefix`` labels in front."""
    qid, flags, question = _header_and_question(query)
    flags = 0x8000 | 0x0400 | 0x0080 | (flags & 0x0110) | FORGED_RCODE  # QR AA RA, RD/CD copied
    return struct.pack("!HHHHHH", (qid + qid_delta) & 0xFFFF, flags, 1, 0, 0, 0) + prefix + question


def truncated_reply(query: bytes) -> bytes:
    """What a server with a tiny UDP payload answers: header and question, TC=1."""
    qid, flags, question = _header_and_question(query)
    flags = 0x8000 | 0x0200 | 0x0080 | (flags & 0x0110)  # QR TC RA, RD/CD copied
    return struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 0) + question


class TruncatingProxy(_Proxy):
    """Answers every UDP query with an empty TC=1 reply; forwards TCP."""

    def __init__(self, listen: tuple[str, int], upstream: tuple[str, int]) -> None:
        super().__init__(listen, upstream)
        self.udp_queries = 0

    def _handle_udp(self, data: bytes, client: tuple[str, int]) -> None:
        self._count()
        with self._count_lock:
            self.udp_queries += 1
        assert self._udp is not None
        self._udp.sendto(truncated_reply(data), client)

    @property
    def tcp_queries(self) -> int:
        return self.queries - self.udp_queries


class SpoofingProxy(_Proxy):
    """Forwards each UDP query, and before the real answer sends to the client
    three forged NXDOMAINs: one with the wrong ID and one for another question
    (both from the right address and port), and one right in every field but
    sent from another source port.  TCP is forwarded untouched."""

    def __init__(self, listen: tuple[str, int], upstream: tuple[str, int]) -> None:
        super().__init__(listen, upstream)
        self.forged = 0
        self._other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._other.bind((listen[0], 0))

    def stop(self) -> None:
        super().stop()
        self._other.close()

    def _handle_udp(self, data: bytes, client: tuple[str, int]) -> None:
        self._count()
        try:
            reply = udp_exchange(data, self.upstream, self.timeout)
        except OSError:
            return
        assert self._udp is not None
        try:
            self._udp.sendto(forged_reply(data, qid_delta=1), client)
            self._udp.sendto(forged_reply(data, prefix=b"\x07spoofed"), client)
            self._other.sendto(forged_reply(data), client)
            with self._count_lock:
                self.forged += 3
            time.sleep(0.01)  # the forgeries arrive first
            self._udp.sendto(reply, client)
        except OSError:
            return


@pytest.fixture
def refusing() -> Iterator[str]:
    """A loopback port with nothing behind it: UDP queries come back refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield f"127.0.0.1:{port}"


@pytest.fixture
def dropping() -> Iterator[str]:
    """A loopback port that accepts queries and never answers (UDP and TCP)."""
    udp, tcp, port = udp_tcp_pair(socket.AF_INET, "127.0.0.1")
    tcp.listen(4)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        udp.close()
        tcp.close()


# -- a dead first upstream ----------------------------------------------------


@pytest.mark.parametrize("dead_kind", ["refusing", "dropping"])
def test_stub_fails_over_from_a_dead_first_upstream(
    dnsenv: DnsEnv, dead_kind: str, request: pytest.FixtureRequest
) -> None:
    dead = request.getfixturevalue(dead_kind)
    unbound = _spec(dnsenv.unbound_addr)
    # Without the chain prefetch: the trace's shape is the question first.
    resolver = _stub(dnsenv, dead, unbound, timeout=0.4, prefetch_chain=0)
    started = time.monotonic()
    answer = resolver.resolve(NAME, TYPE)
    elapsed = time.monotonic() - started
    assert answer.status.value == dnsenv.unbound_verdict(NAME, TYPE) == "secure", answer.reason
    assert str(_res(answer).server) == unbound
    assert [str(s) for s in _res(answer).failed] == [dead]
    trace = _trace(answer)
    assert trace[0].startswith(f"{NAME} A @{dead}: ")
    why = "refused" if dead_kind == "refusing" else "no answer over UDP within 0.4 s"
    assert why in trace[0]
    assert trace[1].startswith(f"{NAME} A @{unbound}: NOERROR")
    assert not any(f"@{dead}" in line for line in trace[2:])  # the chain went to unbound
    assert elapsed < 2.0
    # The dead server is now tried last: the next lookup goes straight to unbound.
    again = resolver.resolve("mail.ed.test.", "A")
    assert again.status.value == "secure"
    assert all(f"@{unbound}" in line for line in _trace(again))
    assert _res(again).failed == ()


@pytest.mark.parametrize("dead_kind", ["refusing", "dropping"])
def test_iterative_fails_over_from_a_dead_first_root_server(
    dnsenv: DnsEnv, dead_kind: str, request: pytest.FixtureRequest
) -> None:
    dead = request.getfixturevalue(dead_kind)
    resolver = _iterative(dnsenv, dead, _spec(_root(dnsenv)), timeout=0.4)
    answer = resolver.resolve(NAME, TYPE)
    assert answer.status.value == dnsenv.unbound_verdict(NAME, TYPE) == "secure", answer.reason
    assert _res(answer).mode == "iterative"
    assert dead in [str(s) for s in _res(answer).failed]
    trace = _trace(answer)
    assert trace[0].startswith(f". NS @{dead}: ")  # priming went to the dead server first
    assert any(line.startswith(f". NS @{_spec(_root(dnsenv))}: NOERROR") for line in trace)


# -- an upstream that strips DNSSEC -------------------------------------------


@pytest.mark.parametrize(("name", "rrtype"), [(NAME, TYPE), (DANE_NAME, DANE_TYPE)])
def test_stub_every_upstream_stripping_is_indeterminate_not_bogus(
    dnsenv: DnsEnv, name: str, rrtype: str
) -> None:
    with StrippingProxy(("127.0.0.1", 0), dnsenv.unbound_addr) as proxy:
        answer = _stub(dnsenv, _spec(proxy.addr)).resolve(name, rrtype)
    assert dnsenv.unbound_verdict(name, rrtype) == "secure"
    assert answer.status.value == "indeterminate"
    assert answer.reason is not None
    assert answer.reason.text.startswith(f"every upstream ({_spec(proxy.addr)}) strips DNSSEC")
    assert "RRSIGs missing" in answer.reason.text
    assert proxy.queries >= 2


@pytest.mark.parametrize(("name", "rrtype"), [(NAME, TYPE), (DANE_NAME, DANE_TYPE)])
def test_stub_stripping_first_upstream_then_unbound_is_secure(
    dnsenv: DnsEnv, name: str, rrtype: str
) -> None:
    """The DANE lesson: a secondary without DNSSEC must not make the domain
    look BOGUS while a DNSSEC-capable server is reachable."""
    unbound = _spec(dnsenv.unbound_addr)
    with StrippingProxy(("127.0.0.1", 0), dnsenv.unbound_addr) as proxy:
        answer = _stub(dnsenv, _spec(proxy.addr), unbound).resolve(name, rrtype)
    assert answer.status.value == dnsenv.unbound_verdict(name, rrtype) == "secure", answer.reason
    assert str(_res(answer).server) == unbound
    assert [str(s) for s in _res(answer).stripping] == [_spec(proxy.addr)]
    assert answer.rrsets and answer.rrsets[0].sigs


def test_iterative_stripping_root_server_then_real_root_is_secure(
    dnsenv: DnsEnv, caplog: pytest.LogCaptureFixture
) -> None:
    """Iterative mode: a root server that strips RRSIGs is DNSSEC-lame for a
    zone with a trust anchor; the engine prefers the real root server."""
    caplog.set_level(logging.DEBUG, logger="dnssec_lite.resolve")
    with StrippingProxy(("127.0.0.1", 0), _root(dnsenv)) as proxy:
        resolver = _iterative(dnsenv, _spec(proxy.addr), _spec(_root(dnsenv)))
        answer = resolver.resolve(DANE_NAME, DANE_TYPE)
    assert answer.status.value == dnsenv.unbound_verdict(DANE_NAME, DANE_TYPE) == "secure", (
        answer.reason
    )
    assert proxy.queries >= 1
    host = proxy.addr[0]
    lame = [r.getMessage() for r in caplog.records if "DNSSEC-lame" in r.getMessage()]
    assert any(host in line for line in lame), lame


def test_iterative_stripping_root_in_hints_is_left_behind_after_priming(
    dnsenv: DnsEnv,
) -> None:
    """Only a stripping root server is in the hints, but priming names the
    real root server: a DNSSEC-capable server is reachable, so the answer
    validates (a server without DNSSEC must not make the name look BOGUS)."""
    with StrippingProxy(("127.0.0.1", 0), _root(dnsenv)) as proxy:
        answer = _iterative(dnsenv, _spec(proxy.addr)).resolve(NAME, TYPE)
        assert proxy.queries >= 1
    assert answer.status.value == dnsenv.unbound_verdict(NAME, TYPE) == "secure", answer.reason


# -- truncation forcing TCP ---------------------------------------------------


def test_stub_truncated_answers_are_asked_again_over_tcp(dnsenv: DnsEnv) -> None:
    with TruncatingProxy(("127.0.0.1", 0), dnsenv.unbound_addr) as proxy:
        # Without the chain prefetch, which sends six UDP queries at once.
        answer = _stub(dnsenv, _spec(proxy.addr), prefetch_chain=0).resolve(NAME, TYPE)
    assert answer.status.value == dnsenv.unbound_verdict(NAME, TYPE) == "secure", answer.reason
    # One UDP query came back TC=1; it and the rest of the lookup went over TCP.
    assert proxy.udp_queries == 1
    assert proxy.tcp_queries == _res(answer).tcp == answer.queries - 1
    assert answer.queries >= 3  # the question, then DS/DNSKEY sets of the chain


def test_iterative_truncated_root_answers_are_asked_again_over_tcp(dnsenv: DnsEnv) -> None:
    with TruncatingProxy(("127.0.0.1", 0), _root(dnsenv)) as proxy:
        answer = _iterative(dnsenv, _spec(proxy.addr)).resolve(NAME, TYPE)
    assert answer.status.value == dnsenv.unbound_verdict(NAME, TYPE) == "secure", answer.reason
    assert proxy.udp_queries >= 1
    assert proxy.tcp_queries >= 1
    tcp_lines = [line for line in _trace(answer) if line.endswith("(TCP)")]
    assert len(tcp_lines) == proxy.tcp_queries  # every root query was answered over TCP
    assert _res(answer).tcp == proxy.tcp_queries


# -- spoofed responses --------------------------------------------------------


@pytest.fixture
def ignored_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="dnssec_lite.resolve")
    return caplog


def _ignored(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("ignored")]


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_stub_ignores_spoofed_responses(
    dnsenv: DnsEnv, flavour: str, ignored_log: pytest.LogCaptureFixture
) -> None:
    with SpoofingProxy(("127.0.0.1", 0), dnsenv.unbound_addr) as proxy:
        started = time.monotonic()
        if flavour == "sync":
            answer = _stub(dnsenv, _spec(proxy.addr)).resolve(NAME, TYPE)
        else:
            resolver = AsyncResolver(
                servers=[_spec(proxy.addr)], anchors=load_anchors(str(dnsenv.anchor_path))
            )
            answer = asyncio.run(resolver.resolve(NAME, TYPE))
        elapsed = time.monotonic() - started
    assert answer.status.value == dnsenv.unbound_verdict(NAME, TYPE) == "secure", answer.reason
    assert answer.rcode_text == "NOERROR"
    assert proxy.forged == 3 * proxy.queries
    assert answer.queries == proxy.queries  # no query was asked twice
    assert elapsed < 2.0  # and none waited for a timeout
    ignored = _ignored(ignored_log)
    assert sum("does not match the query's" in m and "ID " in m for m in ignored) == proxy.queries
    assert sum("question 'spoofed." in m for m in ignored) == proxy.queries
    # The forgery from another port never reaches the resolver's connected socket;
    # if it did, it would be ignored as coming from an unexpected source.
    assert not any("unexpected source" in m and "spoofed" in m for m in ignored)


def test_iterative_ignores_spoofed_responses_from_the_root(
    dnsenv: DnsEnv, ignored_log: pytest.LogCaptureFixture
) -> None:
    with SpoofingProxy(("127.0.0.1", 0), _root(dnsenv)) as proxy:
        answer = _iterative(dnsenv, _spec(proxy.addr)).resolve(NAME, TYPE)
    assert answer.status.value == dnsenv.unbound_verdict(NAME, TYPE) == "secure", answer.reason
    assert proxy.queries >= 1
    assert proxy.forged == 3 * proxy.queries
    ignored = _ignored(ignored_log)
    assert sum("ID " in m for m in ignored) == proxy.queries
    assert sum("question 'spoofed." in m for m in ignored) == proxy.queries


def test_udp_source_check_with_an_unconnected_listener(dnsenv: DnsEnv) -> None:
    """A datagram from the right address but another port is ignored even
    where the socket is not connected: the check itself, on real traffic."""
    from dnssec_lite.resolve.exchange import Disposition, Server, build_query, check_response

    query = build_query(NAME, TYPE)
    server = Server(*dnsenv.unbound_addr)
    real = udp_exchange(query.to_wire(), dnsenv.unbound_addr, 3.0)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
        other.bind((dnsenv.unbound_addr[0], 0))  # same address, another port
        source = other.getsockname()
    assert check_response(query, real, server, dnsenv.unbound_addr).disposition is (
        Disposition.ACCEPT
    )
    check = check_response(query, real, server, source)
    assert check.disposition is Disposition.IGNORE and "unexpected source" in check.why
