"""The STARTTLS probe against a scripted loopback SMTP server, sync and asyncio.

Every misbehaviour mode of the test server gives its own failure kind, naming
the address and the step; timeouts are bounded per step (a dripping server
cannot stretch one); the presented chain is the served chain, octet for octet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import dnssec_lite.dane.smtpdialogue as dialogue_module
from dnssec_lite.dane.smtp import ProbeResult, aprobe, presented_chain, probe
from dnssec_lite.dane.smtpdialogue import (
    MAX_LINE,
    MAX_REPLY_LINES,
    FailureKind,
    Reply,
    ReplyFormatError,
    ReplyParser,
)
from tests.helpers.smtpserver import (
    SmtpServer,
    closed_port,
    ipv6_loopback_works,
    make_server_certs,
)
from tests.test_layering import purity_violations

MX = "mx.example.test"
Prober = Callable[..., ProbeResult]


def _sync(address: str, **kw: Any) -> ProbeResult:
    return probe(address, **kw)


def _async(address: str, **kw: Any) -> ProbeResult:
    return asyncio.run(aprobe(address, **kw))


@pytest.fixture(params=["sync", "async"])
def run(request: pytest.FixtureRequest) -> Prober:
    return _sync if request.param == "sync" else _async


@pytest.fixture(scope="module")
def certs() -> Any:
    return make_server_certs([MX])


def _probe(run: Prober, server: SmtpServer, **kw: Any) -> ProbeResult:
    kw.setdefault("server_hostname", MX)
    kw.setdefault("timeout", 3.0)
    return run(server.host, port=server.port, **kw)


# -- success ----------------------------------------------------------------------------


def test_success_reports_the_served_chain_protocol_cipher_and_sni(run: Prober, certs: Any) -> None:
    with SmtpServer(certs) as server:
        result = _probe(run, server, ehlo_name="probe.example.org")
        (session,) = server.wait_sessions(1)
    assert result.ok, result.failure
    assert result.failure is None and result.failure_kind is None and result.failed_step is None
    assert result.chain_der == certs.served_der
    assert len(result.chain_der) == 2
    assert result.tls_protocol == session.tls_protocol == "TLSv1.3"
    assert result.tls_cipher == session.tls_cipher
    assert session.sni == MX
    assert result.address == "127.0.0.1" and result.port == server.port
    assert result.local_address == "127.0.0.1"
    assert result.greeting == ("mx.example.test ESMTP test server",)
    assert "STARTTLS" in result.ehlo_lines and result.starttls_offered
    # EHLO with the given name, STARTTLS, then only QUIT over TLS: never a mail.
    assert session.commands == ["EHLO probe.example.org", "STARTTLS"]
    assert session.tls_commands == ["QUIT"]
    assert session.mails == []
    assert "> QUIT" in result.transcript and "< 221 2.0.0 Bye" in result.transcript


def test_multiline_greeting(run: Prober, certs: Any) -> None:
    greeting = ("220-mx.example.test ESMTP", "220-no UCE", "220 ready")
    with SmtpServer(certs, greeting=greeting) as server:
        result = _probe(run, server)
    assert result.ok, result.failure
    assert result.greeting == ("mx.example.test ESMTP", "no UCE", "ready")


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_protocol_and_cipher_are_the_negotiated_ones(
    run: Prober, certs: Any, version: ssl.TLSVersion
) -> None:
    with SmtpServer(certs, tls_version=version) as server:
        result = _probe(run, server)
        (session,) = server.wait_sessions(1)
    assert result.ok, result.failure
    assert result.tls_protocol == session.tls_protocol
    assert result.tls_protocol == {"TLSv1_2": "TLSv1.2", "TLSv1_3": "TLSv1.3"}[version.name]
    assert result.tls_cipher is not None and result.tls_cipher == session.tls_cipher


@pytest.mark.parametrize(("intermediates", "key"), [(-1, "ec"), (-1, "rsa"), (0, "rsa"), (2, "ec")])
def test_presented_chain_equals_the_served_chain(run: Prober, intermediates: int, key: str) -> None:
    chain = make_server_certs([MX], intermediates=intermediates, key=key)
    with SmtpServer(chain) as server:
        result = _probe(run, server)
    assert result.ok, result.failure
    assert result.chain_der == chain.served_der
    assert len(result.chain_der) == max(intermediates, 0) + 1


def test_without_sni(run: Prober, certs: Any) -> None:
    with SmtpServer(certs) as server:
        result = _probe(run, server, server_hostname=None)
        (session,) = server.wait_sessions(1)
    assert result.ok, result.failure
    assert session.sni is None


def test_source_address_is_the_reported_local_interface(run: Prober, certs: Any) -> None:
    with SmtpServer(certs) as server:
        result = _probe(run, server, source_address="127.0.0.2")
        (session,) = server.wait_sessions(1)
    assert result.ok, result.failure
    assert result.local_address == "127.0.0.2" == session.peer[0]


@pytest.mark.skipif(not ipv6_loopback_works(), reason="this machine cannot listen on ::1")
def test_ipv6_loopback(run: Prober, certs: Any) -> None:
    with SmtpServer(certs, host="::1") as server:
        result = _probe(run, server)
    assert result.ok, result.failure
    assert result.address == "::1" and result.local_address == "::1"
    assert result.chain_der == certs.served_der
    port = closed_port("::1")
    refused = run("::1", port=port, server_hostname=MX, timeout=2.0)
    assert refused.failure_kind is FailureKind.CONNECTION_REFUSED
    assert refused.failure is not None and refused.failure.startswith(f"[::1]:{port}: connect:")


def test_steps_are_logged_at_debug(
    run: Prober, certs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="dnssec_lite.dane"), SmtpServer(certs) as server:
        _probe(run, server, ehlo_name="logged.example")
    messages = [r.getMessage() for r in caplog.records if r.name == "dnssec_lite.dane"]
    assert any(m.endswith("> EHLO logged.example") for m in messages)
    assert any(m.endswith("> STARTTLS") for m in messages)
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.name == "dnssec_lite.dane")


def test_a_host_name_is_refused_not_resolved(run: Prober) -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        run("mx.example.test", server_hostname=MX)


# -- failures -----------------------------------------------------------------------


def _failed(result: ProbeResult, kind: FailureKind, step: str, *words: str) -> None:
    assert result.failure_kind is kind, result.failure
    assert result.failed_step == step
    assert not result.ok
    assert result.failure is not None
    assert result.failure.startswith(f"127.0.0.1:{result.port}: {step}: "), result.failure
    for word in words:
        assert word in result.failure
    assert result.chain_der == () or kind is FailureKind.VERIFICATION_FAILED


def test_connection_refused(run: Prober) -> None:
    port = closed_port()
    result = run("127.0.0.1", port=port, server_hostname=MX, timeout=2.0)
    _failed(result, FailureKind.CONNECTION_REFUSED, "connect", "refused")
    assert result.local_address is None and result.greeting == ()


def test_server_closes_before_greeting(run: Prober, certs: Any) -> None:
    with SmtpServer(certs, close_on_accept=True) as server:
        result = _probe(run, server)
    _failed(result, FailureKind.CONNECTION_CLOSED, "greeting", "closed")
    assert result.local_address == "127.0.0.1"


@pytest.mark.parametrize(
    "greeting",
    [
        ("HTTP/1.1 400 Bad Request",),
        ("SSH-2.0-OpenSSH_9.6",),
        ("250 mx.example.test but not a greeting",),
        ("220-mx.example.test", "250 code changed mid-reply"),
        ("220" + "x" * (MAX_LINE + 10),),
        ("220-flood",) * (MAX_REPLY_LINES + 5),
        ("22 short",),
        ("220_bad separator",),
    ],
    ids=["http", "ssh", "not-220", "mixed-codes", "overlong", "endless", "short", "separator"],
)
def test_nonsense_greeting(run: Prober, certs: Any, greeting: tuple[str, ...]) -> None:
    with SmtpServer(certs, greeting=greeting) as server:
        result = _probe(run, server)
        (session,) = server.wait_sessions(1)
    _failed(result, FailureKind.BAD_GREETING, "greeting")
    assert session.commands == []  # nothing said to a server that is not SMTP


@pytest.mark.parametrize("code", ["554", "421"])
def test_service_refused_in_the_greeting_gets_a_quit(run: Prober, certs: Any, code: str) -> None:
    with SmtpServer(certs, greeting=(f"{code} 5.3.2 no service for you",)) as server:
        result = _probe(run, server)
        (session,) = server.wait_sessions(1)
    _failed(result, FailureKind.SERVICE_REFUSED, "greeting", code, "no service for you")
    assert session.commands == ["QUIT"]


def test_ehlo_refused(run: Prober, certs: Any) -> None:
    with SmtpServer(certs, ehlo_reply=("502 5.5.1 EHLO not implemented",)) as server:
        result = _probe(run, server)
        (session,) = server.wait_sessions(1)
    _failed(result, FailureKind.EHLO_REFUSED, "ehlo", "502")
    assert session.commands == ["EHLO localhost", "QUIT"]


def test_no_starttls_offered(run: Prober, certs: Any) -> None:
    with SmtpServer(certs, offer_starttls=False) as server:
        result = _probe(run, server)
        (session,) = server.wait_sessions(1)
    _failed(result, FailureKind.STARTTLS_NOT_SUPPORTED, "ehlo", "STARTTLS")
    assert "PIPELINING" in result.ehlo_lines and not result.starttls_offered
    assert session.commands == ["EHLO localhost", "QUIT"]  # never STARTTLS, never a mail


def test_starttls_only_as_a_parameter_is_not_an_offer(run: Prober, certs: Any) -> None:
    ehlo = ("250-mx.example.test", "250-X-NOTE STARTTLS", "250 HELP")
    with SmtpServer(certs, ehlo_reply=ehlo) as server:
        result = _probe(run, server)
    _failed(result, FailureKind.STARTTLS_NOT_SUPPORTED, "ehlo")


@pytest.mark.parametrize(
    "reply", ["454 4.7.0 TLS not available due to local problem", "502 5.5.1 no", "501 5.5.4 x"]
)
def test_starttls_refused(run: Prober, certs: Any, reply: str) -> None:
    with SmtpServer(certs, starttls_reply=reply) as server:
        result = _probe(run, server)
        (session,) = server.wait_sessions(1)
    _failed(result, FailureKind.STARTTLS_REFUSED, "starttls", reply[:3], reply[4:])
    assert session.commands == ["EHLO localhost", "STARTTLS", "QUIT"]
    assert session.tls_protocol is None


def test_starttls_answered_with_a_non_220_success_is_a_protocol_error(
    run: Prober, certs: Any
) -> None:
    with SmtpServer(certs, starttls_reply="250 2.0.0 fine, go ahead") as server:
        result = _probe(run, server)
    _failed(result, FailureKind.PROTOCOL_ERROR, "starttls", "250")


@pytest.mark.parametrize("mode", ["garbage", "close"])
def test_broken_handshake(run: Prober, certs: Any, mode: str) -> None:
    with SmtpServer(certs, handshake=mode) as server:
        result = _probe(run, server)
    _failed(result, FailureKind.HANDSHAKE_FAILED, "handshake", "TLS handshake failed")
    assert result.tls_protocol is None


def test_plaintext_injected_before_tls_is_refused(run: Prober, certs: Any) -> None:
    """The STARTTLS injection attack: replies sent in clear with the 220 must not
    be read later as if they had come over TLS."""
    with SmtpServer(certs, inject=b"250-INJECTED\r\n250 AUTH PLAIN\r\n") as server:
        result = _probe(run, server)
        (session,) = server.wait_sessions(1)
    _failed(result, FailureKind.PROTOCOL_ERROR, "starttls", "injection", "octets")
    assert session.tls_protocol is None


# -- timeouts -------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["greeting", "ehlo", "starttls", "handshake"])
def test_a_slow_step_times_out_within_its_bound(run: Prober, certs: Any, stage: str) -> None:
    with SmtpServer(certs, delay={stage: 5.0}) as server:
        started = time.monotonic()
        result = _probe(run, server, timeout=0.4)
        took = time.monotonic() - started
    _failed(result, FailureKind.TIMEOUT, stage, "timed out")
    assert 0.35 < took < 1.5, took
    assert result.elapsed <= took


def test_connect_times_out_within_its_bound(run: Prober) -> None:
    """A listener whose accept queue is full: Linux drops the SYN, the connect hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.1)
        started = time.monotonic()
        result = run("127.0.0.1", port=port, server_hostname=MX, timeout=0.4)
        took = time.monotonic() - started
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
    _failed(result, FailureKind.TIMEOUT, "connect", "no connection in time")
    assert 0.35 < took < 1.5, took


def test_a_dripping_greeting_cannot_stretch_the_step(run: Prober, certs: Any) -> None:
    """One octet every 50 ms keeps every single read alive; the step deadline still ends it."""
    with SmtpServer(certs, drip=0.05) as server:
        started = time.monotonic()
        result = _probe(run, server, timeout=0.6)
        took = time.monotonic() - started
    _failed(result, FailureKind.TIMEOUT, "greeting")
    assert took < 1.5, took


def test_each_step_has_its_own_deadline(run: Prober, certs: Any) -> None:
    """Three steps of 0.25 s each pass under a 0.5 s timeout: it is per step, not overall."""
    delay = {"greeting": 0.25, "ehlo": 0.25, "starttls": 0.25}
    with SmtpServer(certs, delay=delay) as server:
        result = _probe(run, server, timeout=0.5)
    assert result.ok, result.failure
    assert result.elapsed >= 0.75


# -- pieces ---------------------------------------------------------------------------


def test_reply_parser_multiline_and_keywords() -> None:
    parser = ReplyParser()
    assert parser.feed(b"250-mx.example.test hello\r\n") is None
    assert parser.feed(b"250-starttls\n") is None  # bare LF, lower case
    assert parser.feed(b"250-SIZE 1000\r\n") is None
    reply = parser.feed(b"250\r\n")  # a last line without text
    assert reply == Reply(250, ("mx.example.test hello", "starttls", "SIZE 1000", ""))
    assert reply.keywords() == {"STARTTLS", "SIZE"}
    assert reply.summary() == "250 mx.example.test hello / starttls / SIZE 1000 /"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([b"250-a\r\n", b"251 b\r\n"], "changed"),
        ([b"abc\r\n"], "not an SMTP reply"),
        ([b"250 no line end"], "without line ending"),
        ([b"099 low\r\n"], "out of range"),
        ([b"600 high\r\n"], "out of range"),
        ([b"250" + b"x" * MAX_LINE + b"\r\n"], "longer than"),
        ([b"250-x\r\n"] * MAX_REPLY_LINES, "lines"),
    ],
)
def test_reply_parser_rejects(lines: list[bytes], message: str) -> None:
    parser = ReplyParser()
    with pytest.raises(ReplyFormatError, match=message):
        for line in lines:
            parser.feed(line)


@given(st.lists(st.binary(max_size=80), min_size=1, max_size=5))
def test_reply_parser_on_random_lines_only_raises_its_own_error(lines: list[bytes]) -> None:
    parser = ReplyParser()
    try:
        for line in lines:
            reply = parser.feed(line + b"\n")
            if reply is not None:
                assert 100 <= reply.code <= 599
                break
    except ReplyFormatError:
        pass


def test_presented_chain_falls_back_to_the_leaf() -> None:
    class OnlyPeerCert:
        def getpeercert(self, binary_form: bool = False) -> bytes:
            assert binary_form
            return b"leaf-der"

    class NoCert(OnlyPeerCert):
        def getpeercert(self, binary_form: bool = False) -> bytes:
            return b""

    assert presented_chain(OnlyPeerCert()) == (b"leaf-der",)  # type: ignore[arg-type]
    assert presented_chain(NoCert()) == ()  # type: ignore[arg-type]


def test_the_dialogue_module_is_sans_io() -> None:
    """All decisions live in smtpdialogue, which touches no socket, TLS, loop or clock."""
    source = Path(dialogue_module.__file__).read_text(encoding="utf-8")
    assert purity_violations(source, "dnssec_lite.dane.smtpdialogue") == []
    assert purity_violations("import ssl", "dnssec_lite.dane.smtpdialogue") != []
