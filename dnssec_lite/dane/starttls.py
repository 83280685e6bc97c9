"""STARTTLS for mail tools, with the certificate judged by a DANE verifier.

:func:`starttls` upgrades a caller's :class:`smtplib.SMTP` connection;
:func:`astarttls` does the same on asyncio streams.  Both take ``verify``, a
callable that receives the presented chain (DER, leaf first) and returns a
``DaneMatch``-like object (``.ok``, ``.reason``): typically the TLSA
matcher with the TLSA RRset, reference names and time bound in, e.g.
``lambda chain: verify_chain(chain, tlsa, names, now)``.

Verification inside :mod:`ssl` is off (RFC 7672 section 3.1: DANE, not the
Web PKI, authenticates the server).  On any failure the connection is closed
(with a polite QUIT where the protocol allows) and a
:class:`~dnssec_lite.dane.smtpdialogue.DaneSmtpError` subclass names the
server and the failed step: under DANE nothing safe is left to do on it, and
the mail stays queued.  On success the caller goes on using the connection:
EHLO has been sent again over TLS, as RFC 3207 section 4.2 requires.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ..wire.name import Name
from ..wire.rrset import RRset
from .smtp import DEFAULT_TIMEOUT, StreamDriver, aclose, adrive, peer_name, presented_chain
from .smtp import probe_context as _unverified_context
from .smtpdialogue import (
    DEFAULT_EHLO,
    DaneHandshakeError,
    DaneSmtpError,
    DaneSmtpTimeout,
    DaneStarttlsError,
    FailureKind,
    MatchResult,
    Session,
    Verifier,
    check_chain,
    dialogue,
)
from .tlsa import Association, DaneMatch, verify_chain


@dataclass(frozen=True, slots=True)
class TlsSession:
    """A verified STARTTLS session: what was negotiated and what the verifier said."""

    peer: str
    protocol: str | None
    cipher: str | None
    chain_der: tuple[bytes, ...]
    match: MatchResult
    ehlo_lines: tuple[str, ...]


def tlsa_verifier(
    tlsa: RRset | Sequence[Association],
    reference_names: Sequence[Name | str],
    now: int | None = None,
) -> Verifier:
    """The verifier for :func:`starttls`: ``verify_chain`` with the TLSA records
    and reference names bound (and the time: now when the session is checked,
    unless ``now`` is given).  Pass only a TLSA RRset that validated SECURE.
    """
    records = tuple(tlsa)
    names = tuple(reference_names)
    if not records:
        raise ValueError("no TLSA records to verify with")

    def verify(chain: Sequence[bytes]) -> DaneMatch:
        when = int(time.time()) if now is None else now
        return verify_chain(chain, records, names, when)

    return verify


def _smtp_peer(smtp: smtplib.SMTP) -> str:
    sock = smtp.sock
    if sock is None:
        raise DaneSmtpError(
            FailureKind.CONNECTION_CLOSED, "<not connected>", "starttls", "not connected"
        )
    try:
        address = sock.getpeername()
    except OSError:
        return "<unknown peer>"
    return peer_name(str(address[0]), int(address[1]))


def _abandon(smtp: smtplib.SMTP, polite: bool) -> None:
    """Close the caller's connection after a failure, with QUIT when the state allows."""
    if polite:
        try:
            smtp.quit()
            return
        except (smtplib.SMTPException, OSError):
            pass
    smtp.close()


def _io_error(peer: str, step: str, exc: OSError) -> DaneSmtpError:
    if isinstance(exc, TimeoutError):
        return DaneSmtpTimeout(FailureKind.TIMEOUT, peer, step, "timed out")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return DaneSmtpError(
            FailureKind.CONNECTION_CLOSED, peer, step, "server closed the connection"
        )
    if isinstance(exc, smtplib.SMTPHeloError):
        what = f"EHLO answered {exc.smtp_code} {exc.smtp_error!r}"
        return DaneSmtpError(FailureKind.EHLO_REFUSED, peer, step, what, exc.smtp_code)
    return DaneSmtpError(FailureKind.CONNECTION_CLOSED, peer, step, f"connection lost: {exc}")


def _buffered(smtp: smtplib.SMTP) -> int:
    """Octets smtplib has read past the STARTTLS reply (they came in clear).

    Peeking with the socket non-blocking returns what is buffered without
    waiting for more.
    """
    file, sock = smtp.file, smtp.sock
    if file is None or sock is None:
        return 0
    previous = sock.gettimeout()
    sock.setblocking(False)
    try:
        return len(file.peek(1))
    except OSError:
        return 0
    finally:
        sock.settimeout(previous)


def starttls(
    smtp: smtplib.SMTP,
    verify: Verifier,
    *,
    server_hostname: str,
    context: ssl.SSLContext | None = None,
) -> TlsSession:
    """STARTTLS on ``smtp``, the presented chain judged by ``verify``.

    ``server_hostname`` is the SNI name: the TLSA base domain (RFC 7672
    section 8.1).  Raises :class:`DaneStarttlsError` (not offered or refused),
    :class:`DaneHandshakeError`, :class:`DaneVerificationError` or another
    :class:`DaneSmtpError` (timeout, connection lost); the connection is then
    closed.  Returns with ``smtp`` ready for MAIL FROM over verified TLS.
    """
    peer = _smtp_peer(smtp)
    try:
        smtp.ehlo_or_helo_if_needed()
    except OSError as exc:  # smtplib's errors are OSErrors
        _abandon(smtp, polite=isinstance(exc, smtplib.SMTPHeloError))
        raise _io_error(peer, "ehlo", exc) from None
    if not smtp.has_extn("starttls"):
        _abandon(smtp, polite=True)
        what = "STARTTLS is not among the EHLO keywords"
        raise DaneStarttlsError(FailureKind.STARTTLS_NOT_SUPPORTED, peer, "ehlo", what)
    try:
        code, text = smtp.docmd("STARTTLS")
    except OSError as exc:
        _abandon(smtp, polite=False)
        raise _io_error(peer, "starttls", exc) from None
    if code != 220:
        refused = code // 100 in (4, 5)
        _abandon(smtp, polite=refused)
        kind = FailureKind.STARTTLS_REFUSED if refused else FailureKind.PROTOCOL_ERROR
        what = f"STARTTLS answered {code} {text.decode('utf-8', errors='replace')}"
        raise DaneStarttlsError(kind, peer, "starttls", what, code)
    assert smtp.sock is not None  # docmd succeeded on it
    pending = _buffered(smtp)
    if pending:
        _abandon(smtp, polite=False)
        what = f"{pending} octets arrived after the 220 reply to STARTTLS, before TLS (injection)"
        raise DaneSmtpError(FailureKind.PROTOCOL_ERROR, peer, "starttls", what)
    try:
        tls = (context or _unverified_context()).wrap_socket(
            smtp.sock, server_hostname=server_hostname
        )
    except TimeoutError:
        _abandon(smtp, polite=False)
        raise DaneSmtpTimeout(FailureKind.TIMEOUT, peer, "handshake", "timed out") from None
    except (ssl.SSLError, OSError) as exc:
        _abandon(smtp, polite=False)
        what = f"TLS handshake failed: {exc}"
        raise DaneHandshakeError(FailureKind.HANDSHAKE_FAILED, peer, "handshake", what) from None
    # What smtplib.SMTP.starttls does: a new socket, no buffered plaintext, and
    # everything learnt before TLS forgotten (RFC 3207 section 4.2).
    smtp.sock = tls
    smtp.file = None
    smtp.helo_resp = None
    smtp.ehlo_resp = None
    smtp.esmtp_features = {}
    smtp.does_esmtp = False
    chain = presented_chain(tls)
    try:
        match = check_chain(peer, chain, verify)
    except BaseException:  # a failed check, or a verifier's own bug: never go on
        _abandon(smtp, polite=True)
        raise
    try:
        code, _ = smtp.ehlo()
    except OSError as exc:
        _abandon(smtp, polite=False)
        raise _io_error(peer, "ehlo", exc) from None
    if code != 250:
        _abandon(smtp, polite=True)
        what = f"EHLO after TLS answered {code}"
        raise DaneSmtpError(FailureKind.EHLO_REFUSED, peer, "ehlo", what, code)
    cipher = tls.cipher()
    ehlo = (smtp.ehlo_resp or b"").decode("utf-8", errors="replace").splitlines()
    return TlsSession(peer, tls.version(), cipher[0] if cipher else None, chain, match, tuple(ehlo))


async def astarttls(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    verify: Verifier,
    *,
    server_hostname: str,
    ehlo_name: str = DEFAULT_EHLO,
    timeout: float = DEFAULT_TIMEOUT,
    context: ssl.SSLContext | None = None,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, TlsSession]:
    """STARTTLS on asyncio streams whose 220 greeting the caller has read.

    Sends EHLO, checks the STARTTLS offer, starts TLS (``writer.start_tls``),
    judges the chain with ``verify`` and sends EHLO again; ``timeout`` bounds
    each step.  Returns the streams to go on with (the same objects, now over
    TLS) and the session.  Octets that arrive in clear after the 220 reply to
    STARTTLS are an injection attempt and fail the session.  On failure the
    writer is closed and a :class:`DaneSmtpError` subclass raised.
    """
    address = writer.get_extra_info("peername")
    peer = peer_name(str(address[0]), int(address[1])) if address else "<unknown peer>"
    s = Session(peer)
    driver = StreamDriver(
        reader, writer, peer, timeout, context or _unverified_context(), server_hostname
    )
    steps = dialogue(
        s, ehlo_name, read_greeting=False, verify=verify, ehlo_after_tls=True, quit_after=False
    )
    try:
        await adrive(steps, driver)
    except BaseException:  # a failed step, a verifier's bug or a cancellation
        await aclose(writer, min(timeout, 1.0))
        raise
    tls = s.tls
    assert tls is not None and s.match is not None  # the dialogue got that far
    session = TlsSession(peer, tls.protocol, tls.cipher, tls.chain_der, s.match, s.ehlo_lines)
    return reader, writer, session
