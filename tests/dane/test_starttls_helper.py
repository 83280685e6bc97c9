"""The mail-tool helpers: STARTTLS on a caller's smtplib.SMTP or asyncio streams,
with the certificate judged by an injected verifier (the TLSA matcher's shape).

A good verifier leaves a TLS connection the caller goes on using (EHLO again,
then a real mail); a bad one, a missing STARTTLS, a refusal, a broken
handshake or injected plaintext raise the DaneSmtpError subclass naming the
check, close the connection, and no mail is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from dnssec_lite.dane.smtpdialogue import (
    DaneHandshakeError,
    DaneSmtpError,
    DaneSmtpTimeout,
    DaneStarttlsError,
    DaneVerificationError,
    FailureKind,
    check_chain,
)
from dnssec_lite.dane.starttls import astarttls, starttls
from dnssec_lite.errors import DaneError, DnssecLiteError
from tests.helpers.smtpserver import SmtpServer, make_server_certs

MX = "mx.example.test"


@dataclass(frozen=True)
class FakeMatch:
    """The shape of the TLSA matcher's DaneMatch."""

    ok: bool
    reason: str
    depth: int | None = None


@dataclass
class RecordingVerifier:
    """Accepts exactly one chain (compared as DER), and records what it was shown."""

    expected: tuple[bytes, ...]
    seen: list[tuple[bytes, ...]] = field(default_factory=list)

    def __call__(self, chain: Sequence[bytes]) -> FakeMatch:
        self.seen.append(tuple(chain))
        if tuple(chain) == self.expected:
            return FakeMatch(True, "3 1 1 ...: matches the leaf", 0)
        return FakeMatch(False, "3 1 1 e3b0...: SPKI digest does not match the leaf")


@pytest.fixture(scope="module")
def certs() -> Any:
    return make_server_certs([MX])


@pytest.fixture(scope="module")
def other() -> Any:
    return make_server_certs(["mx.other.test"])


MESSAGE = b"From: a@example.org\r\nTo: b@example.test\r\nSubject: hi\r\n\r\nbody\r\n"


# -- smtplib ----------------------------------------------------------------------------


def test_smtplib_good_verifier_leaves_a_verified_connection(certs: Any) -> None:
    verify = RecordingVerifier(certs.served_der)
    with SmtpServer(certs) as server:
        smtp = smtplib.SMTP(server.host, server.port, local_hostname="client.example", timeout=5)
        session = starttls(smtp, verify, server_hostname=MX)
        # the caller goes on using it: smtplib's state is the post-TLS EHLO
        assert smtp.does_esmtp and not smtp.has_extn("starttls") and smtp.has_extn("8bitmime")
        assert smtp.noop()[0] == 250
        smtp.sendmail("a@example.org", ["b@example.test"], MESSAGE)
        smtp.quit()
        (log,) = server.wait_sessions(1)
    assert verify.seen == [certs.served_der]
    assert session.chain_der == certs.served_der
    assert session.match.ok and session.match.reason == "3 1 1 ...: matches the leaf"
    assert session.protocol == log.tls_protocol and session.cipher == log.tls_cipher
    assert session.peer == f"127.0.0.1:{server.port}"
    assert "mx.example.test greets you" in session.ehlo_lines[0]
    assert log.sni == MX
    # smtplib writes its verbs in lower case
    assert [c.upper() for c in log.commands] == ["EHLO CLIENT.EXAMPLE", "STARTTLS"]
    assert [c.upper() for c in log.tls_commands[:2]] == ["EHLO CLIENT.EXAMPLE", "NOOP"]
    assert log.tls_commands[-1].upper() == "QUIT"
    assert log.mails == [MESSAGE]


def test_smtplib_bad_verifier_raises_and_closes(certs: Any, other: Any) -> None:
    verify = RecordingVerifier(other.served_der)
    with SmtpServer(certs) as server:
        smtp = smtplib.SMTP(server.host, server.port, timeout=5)
        with pytest.raises(DaneVerificationError) as caught:
            starttls(smtp, verify, server_hostname=MX)
        (log,) = server.wait_sessions(1)
    err = caught.value
    assert isinstance(err, DaneError) and isinstance(err, DnssecLiteError)
    assert err.kind is FailureKind.VERIFICATION_FAILED and err.step == "verify"
    assert isinstance(err.match, FakeMatch) and not err.match.ok
    assert str(err) == (
        f"127.0.0.1:{server.port}: verify: certificate verification failed: "
        "3 1 1 e3b0...: SPKI digest does not match the leaf"
    )
    assert verify.seen == [certs.served_der]
    assert smtp.sock is None  # closed: nothing safe is left to do on it
    assert [c.upper() for c in log.tls_commands] == ["QUIT"] and log.mails == []


def test_smtplib_without_starttls(certs: Any) -> None:
    verify = RecordingVerifier(certs.served_der)
    with SmtpServer(certs, offer_starttls=False) as server:
        smtp = smtplib.SMTP(server.host, server.port, timeout=5)
        with pytest.raises(DaneStarttlsError) as caught:
            starttls(smtp, verify, server_hostname=MX)
        (log,) = server.wait_sessions(1)
    assert caught.value.kind is FailureKind.STARTTLS_NOT_SUPPORTED
    assert "STARTTLS is not among the EHLO keywords" in str(caught.value)
    assert verify.seen == [] and smtp.sock is None
    assert log.commands[-1].upper() == "QUIT" and "STARTTLS" not in log.commands


@pytest.mark.parametrize("reply", ["454 4.7.0 TLS not available", "502 5.5.1 unknown"])
def test_smtplib_starttls_refused(certs: Any, reply: str) -> None:
    with SmtpServer(certs, starttls_reply=reply) as server:
        smtp = smtplib.SMTP(server.host, server.port, timeout=5)
        with pytest.raises(DaneStarttlsError) as caught:
            starttls(smtp, RecordingVerifier(certs.served_der), server_hostname=MX)
        (log,) = server.wait_sessions(1)
    assert caught.value.kind is FailureKind.STARTTLS_REFUSED
    assert caught.value.code == int(reply[:3]) and reply[4:] in str(caught.value)
    assert [c.upper() for c in log.commands[-2:]] == ["STARTTLS", "QUIT"]


@pytest.mark.parametrize("mode", ["garbage", "close"])
def test_smtplib_broken_handshake(certs: Any, mode: str) -> None:
    verify = RecordingVerifier(certs.served_der)
    with SmtpServer(certs, handshake=mode) as server:
        smtp = smtplib.SMTP(server.host, server.port, timeout=5)
        with pytest.raises(DaneHandshakeError) as caught:
            starttls(smtp, verify, server_hostname=MX)
    assert caught.value.kind is FailureKind.HANDSHAKE_FAILED and caught.value.step == "handshake"
    assert verify.seen == [] and smtp.sock is None


def test_smtplib_injected_plaintext_is_refused(certs: Any) -> None:
    verify = RecordingVerifier(certs.served_der)
    with SmtpServer(certs, inject=b"250-INJECTED\r\n250 AUTH PLAIN\r\n") as server:
        smtp = smtplib.SMTP(server.host, server.port, timeout=5)
        with pytest.raises(DaneSmtpError) as caught:
            starttls(smtp, verify, server_hostname=MX)
        (log,) = server.wait_sessions(1)
    assert caught.value.kind is FailureKind.PROTOCOL_ERROR
    assert "injection" in str(caught.value)
    assert verify.seen == [] and log.tls_protocol is None


def test_smtplib_server_gone_after_tls(certs: Any) -> None:
    with SmtpServer(certs, close_after_tls=True) as server:
        smtp = smtplib.SMTP(server.host, server.port, timeout=5)
        with pytest.raises(DaneSmtpError) as caught:
            starttls(smtp, RecordingVerifier(certs.served_der), server_hostname=MX)
    assert caught.value.kind is FailureKind.CONNECTION_CLOSED and caught.value.step == "ehlo"
    assert smtp.sock is None


def test_smtplib_slow_handshake_times_out(certs: Any) -> None:
    with SmtpServer(certs, delay={"handshake": 5.0}) as server:
        smtp = smtplib.SMTP(server.host, server.port, timeout=0.4)
        started = time.monotonic()
        with pytest.raises(DaneSmtpTimeout) as caught:
            starttls(smtp, RecordingVerifier(certs.served_der), server_hostname=MX)
        took = time.monotonic() - started
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.step == "handshake" and took < 1.5


def test_no_certificate_is_a_verification_failure() -> None:
    with pytest.raises(DaneVerificationError) as caught:
        check_chain("192.0.2.1:25", [], RecordingVerifier(()))
    assert caught.value.kind is FailureKind.NO_CERTIFICATE
    assert str(caught.value) == "192.0.2.1:25: verify: the server presented no certificate"


# -- asyncio streams ------------------------------------------------------------------


async def _connect(server: SmtpServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(server.host, server.port)
    while (await reader.readline())[3:4] == b"-":
        pass
    return reader, writer


async def _command(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: str
) -> list[bytes]:
    writer.write(line.encode() + b"\r\n")
    await writer.drain()
    lines = [await reader.readline()]
    while lines[-1][3:4] == b"-":
        lines.append(await reader.readline())
    return lines


def test_asyncio_good_verifier_returns_streams_to_go_on_with(certs: Any) -> None:
    verify = RecordingVerifier(certs.served_der)

    async def main(server: SmtpServer) -> Any:
        reader, writer = await _connect(server)
        reader, writer, session = await astarttls(
            reader, writer, verify, server_hostname=MX, ehlo_name="client.example", timeout=3
        )
        assert writer.get_extra_info("ssl_object") is not None
        assert (await _command(reader, writer, "NOOP"))[0].startswith(b"250")
        assert (await _command(reader, writer, "MAIL FROM:<a@example.org>"))[0][:3] == b"250"
        assert (await _command(reader, writer, "QUIT"))[0][:3] == b"221"
        writer.close()
        # After its 221 the server may close without a TLS close_notify (a
        # reset on a loaded machine): the session is over either way.
        with contextlib.suppress(ConnectionResetError):
            await writer.wait_closed()
        return session

    with SmtpServer(certs) as server:
        session = asyncio.run(main(server))
        (log,) = server.wait_sessions(1)
    assert verify.seen == [certs.served_der]
    assert session.chain_der == certs.served_der and session.match.ok
    assert session.protocol == log.tls_protocol and session.cipher == log.tls_cipher
    assert "STARTTLS" not in session.ehlo_lines and "8BITMIME" in session.ehlo_lines
    assert log.sni == MX
    assert log.commands == ["EHLO client.example", "STARTTLS"]
    assert log.tls_commands == ["EHLO client.example", "NOOP", "MAIL FROM:<a@example.org>", "QUIT"]


def _astarttls_error(server: SmtpServer, verify: RecordingVerifier, timeout: float = 3) -> Any:
    async def main() -> tuple[DaneSmtpError, bool]:
        reader, writer = await _connect(server)
        try:
            await astarttls(reader, writer, verify, server_hostname=MX, timeout=timeout)
        except DaneSmtpError as exc:
            return exc, writer.is_closing()
        raise AssertionError("astarttls did not fail")

    return asyncio.run(main())


def test_asyncio_bad_verifier(certs: Any, other: Any) -> None:
    verify = RecordingVerifier(other.served_der)
    with SmtpServer(certs) as server:
        err, closed = _astarttls_error(server, verify)
        (log,) = server.wait_sessions(1)
    assert isinstance(err, DaneVerificationError) and closed
    assert err.kind is FailureKind.VERIFICATION_FAILED
    assert "SPKI digest does not match the leaf" in str(err)
    assert isinstance(err.match, FakeMatch) and not err.match.ok
    assert verify.seen == [certs.served_der]
    assert log.tls_commands == ["QUIT"] and log.mails == []


@pytest.mark.parametrize(
    ("behaviour", "error", "kind", "step"),
    [
        ({"offer_starttls": False}, DaneStarttlsError, FailureKind.STARTTLS_NOT_SUPPORTED, "ehlo"),
        (
            {"starttls_reply": "454 4.7.0 TLS not available"},
            DaneStarttlsError,
            FailureKind.STARTTLS_REFUSED,
            "starttls",
        ),
        ({"handshake": "garbage"}, DaneHandshakeError, FailureKind.HANDSHAKE_FAILED, "handshake"),
        (
            {"inject": b"250-INJECTED\r\n250 AUTH PLAIN\r\n"},
            DaneSmtpError,
            FailureKind.PROTOCOL_ERROR,
            "starttls",
        ),
        ({"delay": {"handshake": 5.0}}, DaneSmtpTimeout, FailureKind.TIMEOUT, "handshake"),
    ],
    ids=["no-starttls", "refused", "broken-handshake", "injection", "timeout"],
)
def test_asyncio_failures(
    certs: Any, behaviour: dict[str, Any], error: type[DaneSmtpError], kind: FailureKind, step: str
) -> None:
    verify = RecordingVerifier(certs.served_der)
    with SmtpServer(certs, **behaviour) as server:
        started = time.monotonic()
        err, closed = _astarttls_error(server, verify, timeout=0.5)
        took = time.monotonic() - started
    assert isinstance(err, error) and closed
    assert err.kind is kind and err.step == step
    assert err.peer == f"127.0.0.1:{server.port}"
    assert verify.seen == []
    assert took < 2.0, took


def test_a_verifier_that_cannot_read_the_chain_fails_verification() -> None:
    def unreadable(chain: Sequence[bytes]) -> FakeMatch:
        raise DaneError("leaf certificate: malformed DER at offset 4")

    with pytest.raises(DaneVerificationError) as caught:
        check_chain("192.0.2.1:25", [b"\x30\x03"], unreadable)
    assert caught.value.kind is FailureKind.VERIFICATION_FAILED and caught.value.match is None
    assert "malformed DER at offset 4" in str(caught.value)


def test_a_verifier_bug_propagates_and_the_connection_is_closed(certs: Any) -> None:
    def broken(chain: Sequence[bytes]) -> FakeMatch:
        raise RuntimeError("bug in the verifier")

    with SmtpServer(certs) as server:
        smtp = smtplib.SMTP(server.host, server.port, timeout=5)
        with pytest.raises(RuntimeError, match="bug in the verifier"):
            starttls(smtp, broken, server_hostname=MX)
        assert smtp.sock is None

        async def main() -> bool:
            reader, writer = await _connect(server)
            with pytest.raises(RuntimeError, match="bug in the verifier"):
                await astarttls(reader, writer, broken, server_hostname=MX, timeout=3)
            return writer.is_closing()

        assert asyncio.run(main())
        logs = server.wait_sessions(2)
    assert all(log.mails == [] for log in logs)


# -- with the real matcher: tlsa_verifier -------------------------------------------


def _spki_tlsa(cert: Any, usage: int = 3) -> Any:
    import hashlib

    from cryptography.hazmat.primitives import serialization

    from dnssec_lite.wire.rdata.dane import TLSA

    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return TLSA(usage, 1, 1, hashlib.sha256(spki).digest())


def test_tlsa_verifier_with_the_real_matcher() -> None:
    from dnssec_lite.dane import tlsa_verifier

    certs = make_server_certs([MX])
    other = make_server_certs(["mx.other.test"])
    with SmtpServer(certs) as server:
        smtp = smtplib.SMTP(server.host, server.port, timeout=5)
        session = starttls(smtp, tlsa_verifier([_spki_tlsa(certs.leaf)], [MX]), server_hostname=MX)
        assert session.match.ok and getattr(session.match, "depth", None) == 0
        smtp.quit()
        smtp = smtplib.SMTP(server.host, server.port, timeout=5)
        with pytest.raises(DaneVerificationError, match="SPKI digest does not match"):
            starttls(smtp, tlsa_verifier([_spki_tlsa(other.leaf)], [MX]), server_hostname=MX)
    with pytest.raises(ValueError, match="no TLSA records"):
        tlsa_verifier([], [MX])
    # A fixed time: the leaf's dates do not matter for DANE-EE, they do for DANE-TA.
    far = int(time.time()) + 10 * 365 * 86400
    assert tlsa_verifier([_spki_tlsa(certs.leaf)], [MX], now=far)(certs.served_der).ok
