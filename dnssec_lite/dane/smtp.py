"""The STARTTLS probe: the only sockets of the DANE layer (RFC 7672 section 2).

:func:`probe` (and its asyncio twin :func:`aprobe`) connects to one address,
reads the 220 greeting, says EHLO, checks that STARTTLS is offered, starts
TLS with SNI set to the TLSA base domain, takes the chain the server presents
and says QUIT.  It never sends a mail and never verifies anything itself:
verification inside :mod:`ssl` is off, because the TLSA matcher decides, and
a PKIX failure must not hide a DANE success (RFC 7672 section 3.1).

The decisions live in :func:`dnssec_lite.dane.smtpdialogue.dialogue`; the two
drivers here only connect, send, read lines and run the handshake.  Each step
has its own deadline, so a server that drips one byte a second cannot stretch
a step.  A failure is a value in the :class:`ProbeResult`: a
:class:`FailureKind` plus a message naming the address and the step.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import select
import socket
import ssl
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from .smtpdialogue import (
    DEFAULT_EHLO,
    MAX_LINE,
    Buffered,
    DaneHandshakeError,
    DaneSmtpError,
    DaneSmtpTimeout,
    FailureKind,
    Op,
    ReadLine,
    Reply,
    Send,
    Session,
    TlsInfo,
    dialogue,
)

#: The SMTP port DANE for mail is about (RFC 7672 section 2.2: TLSA at _25._tcp).
DEFAULT_PORT = 25
#: Seconds allowed for each step (connect, greeting, each reply, the handshake).
DEFAULT_TIMEOUT = 10.0


#: ``_ssl.ENCODING_DER``, the format argument of ``Certificate.public_bytes``.
ENCODING_DER = 2


def presented_chain(tls: ssl.SSLSocket | ssl.SSLObject) -> tuple[bytes, ...]:
    """The chain the peer sent, DER, leaf first, unverified.

    ``get_unverified_chain()`` is public from Python 3.13; on 3.11 and 3.12 the
    underlying ``_sslobj`` has it.  Without either, only the leaf is known.
    """
    getter = getattr(tls, "get_unverified_chain", None)
    if getter is None:
        getter = getattr(getattr(tls, "_sslobj", None), "get_unverified_chain", None)
    if getter is not None:
        chain = getter()
        if chain:
            return tuple(c if isinstance(c, bytes) else c.public_bytes(ENCODING_DER) for c in chain)
    leaf = tls.getpeercert(binary_form=True)
    return (leaf,) if leaf else ()


def _tls_info(tls: ssl.SSLSocket | ssl.SSLObject) -> TlsInfo:
    cipher = tls.cipher()
    return TlsInfo(tls.version(), cipher[0] if cipher else None, presented_chain(tls))


def probe_context() -> ssl.SSLContext:
    """A client context that verifies nothing: the TLSA matcher decides (RFC 7672 3.1)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


# -- results ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What one STARTTLS probe of one address saw; ``failure`` is None on success."""

    address: str
    port: int
    local_address: str | None
    greeting: tuple[str, ...]
    ehlo_lines: tuple[str, ...]
    tls_protocol: str | None
    tls_cipher: str | None
    chain_der: tuple[bytes, ...]
    failure: str | None
    failure_kind: FailureKind | None
    failed_step: str | None
    transcript: tuple[str, ...]
    elapsed: float

    @property
    def ok(self) -> bool:
        return self.failure_kind is None

    @property
    def starttls_offered(self) -> bool:
        return self.tls_protocol is not None or "STARTTLS" in Reply(250, self.ehlo_lines).keywords()


def peer_name(address: str, port: int) -> str:
    """``192.0.2.1:25`` or ``[2001:db8::1]:25``: how messages name a server."""
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _result(
    address: str,
    port: int,
    local: str | None,
    s: Session,
    error: DaneSmtpError | None,
    started: float,
) -> ProbeResult:
    tls = s.tls
    return ProbeResult(
        address=address,
        port=port,
        local_address=local,
        greeting=s.greeting,
        ehlo_lines=s.ehlo_lines,
        tls_protocol=tls.protocol if tls else None,
        tls_cipher=tls.cipher if tls else None,
        chain_der=tls.chain_der if tls else (),
        failure=str(error) if error else None,
        failure_kind=error.kind if error else None,
        failed_step=error.step if error else None,
        transcript=tuple(s.transcript),
        elapsed=time.monotonic() - started,
    )


def _family(address: str) -> socket.AddressFamily:
    """Only IP literals: a host name here would be resolved without DNSSEC."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(f"not an IP address: {address!r} (resolve it with DNSSEC first)") from None
    return socket.AF_INET6 if ip.version == 6 else socket.AF_INET


def _connect_error(peer: str, exc: OSError) -> DaneSmtpError:
    if isinstance(exc, ConnectionRefusedError):
        return DaneSmtpError(FailureKind.CONNECTION_REFUSED, peer, "connect", "connection refused")
    if isinstance(exc, TimeoutError):
        return DaneSmtpTimeout(FailureKind.TIMEOUT, peer, "connect", "no connection in time")
    what = exc.strerror or str(exc) or type(exc).__name__
    return DaneSmtpError(FailureKind.CONNECT_FAILED, peer, "connect", what)


# -- the sync driver -------------------------------------------------------------------


class _SocketDriver:
    """Performs the dialogue's operations on a blocking socket, one deadline per step."""

    def __init__(
        self,
        sock: socket.socket,
        peer: str,
        timeout: float,
        context: ssl.SSLContext,
        sni: str | None,
    ) -> None:
        self.sock = sock
        self.peer = peer
        self.timeout = timeout
        self.context = context
        self.sni = sni
        self.buffer = bytearray()
        self.step = ""
        self.deadline = 0.0

    def _remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise DaneSmtpTimeout(FailureKind.TIMEOUT, self.peer, self.step, "timed out")
        return left

    def perform(self, op: Op) -> object:
        if op.step != self.step:
            self.step = op.step
            self.deadline = time.monotonic() + self.timeout
        try:
            if isinstance(op, Send):
                self.sock.settimeout(self._remaining())
                self.sock.sendall(op.data)
                return None
            if isinstance(op, ReadLine):
                return self._readline()
            if isinstance(op, Buffered):
                return len(self.buffer)
            return self._handshake()
        except TimeoutError:
            raise DaneSmtpTimeout(FailureKind.TIMEOUT, self.peer, self.step, "timed out") from None
        except ssl.SSLError as exc:
            raise DaneSmtpError(
                FailureKind.PROTOCOL_ERROR, self.peer, self.step, f"TLS error: {exc}"
            ) from None
        except OSError as exc:
            what = f"connection lost: {exc.strerror or exc}"
            raise DaneSmtpError(FailureKind.CONNECTION_CLOSED, self.peer, self.step, what) from None

    def _readline(self) -> bytes:
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                line = bytes(self.buffer[: end + 1])
                del self.buffer[: end + 1]
                return line
            if len(self.buffer) > MAX_LINE:
                return bytes(self.buffer)  # the parser rejects it as overlong
            self.sock.settimeout(self._remaining())
            data = self.sock.recv(4096)
            if not data:
                raise DaneSmtpError(
                    FailureKind.CONNECTION_CLOSED,
                    self.peer,
                    self.step,
                    "server closed the connection",
                )
            self.buffer += data

    def _handshake(self) -> TlsInfo:
        tls = self.context.wrap_socket(
            self.sock, server_hostname=self.sni, do_handshake_on_connect=False
        )
        self.sock = tls
        tls.setblocking(False)
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                wait: tuple[list[ssl.SSLSocket], list[ssl.SSLSocket]] = ([tls], [])
            except ssl.SSLWantWriteError:
                wait = ([], [tls])
            except (ssl.SSLError, OSError) as exc:
                what = f"TLS handshake failed: {exc}"
                raise DaneHandshakeError(
                    FailureKind.HANDSHAKE_FAILED, self.peer, self.step, what
                ) from None
            select.select(*wait, [], self._remaining())
        tls.settimeout(self.timeout)
        return _tls_info(tls)


def _drive(gen: Generator[Op, Any, None], perform: Callable[[Op], object]) -> None:
    value: object = None
    error: BaseException | None = None
    while True:
        try:
            op = gen.throw(error) if error is not None else gen.send(value)
        except StopIteration:
            return
        value, error = None, None
        try:
            value = perform(op)
        except DaneSmtpError as exc:
            error = exc


def probe(
    address: str,
    *,
    server_hostname: str | None,
    port: int = DEFAULT_PORT,
    ehlo_name: str = DEFAULT_EHLO,
    timeout: float = DEFAULT_TIMEOUT,
    source_address: str | None = None,
    context: ssl.SSLContext | None = None,
) -> ProbeResult:
    """STARTTLS-probe one address; the result carries the presented chain or the failure.

    ``server_hostname`` is the SNI name (the TLSA base domain, RFC 7672
    section 8.1); ``timeout`` bounds every step on its own.
    """
    family = _family(address)
    peer = peer_name(address, port)
    s = Session(peer)
    started = time.monotonic()
    s.note(f"* connecting to {peer}")
    local: str | None = None
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        try:
            sock.settimeout(timeout)
            if source_address:
                sock.bind((source_address, 0))
            sock.connect((address, port))
            local = str(sock.getsockname()[0])
        except OSError as exc:
            error = _connect_error(peer, exc)
            s.note(f"* {error.what}")
            return _result(address, port, local, s, error, started)
        s.note(f"* connected from {local}")
        driver = _SocketDriver(sock, peer, timeout, context or probe_context(), server_hostname)
        try:
            _drive(dialogue(s, ehlo_name), driver.perform)
        except DaneSmtpError as exc:
            s.note(f"* failed: {exc}")
            return _result(address, port, local, s, exc, started)
        finally:
            sock = driver.sock
        return _result(address, port, local, s, None, started)
    finally:
        sock.close()


# -- the async driver ------------------------------------------------------------------


class StreamDriver:
    """Performs the dialogue's operations on asyncio streams, one deadline per step."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        peer: str,
        timeout: float,
        context: ssl.SSLContext,
        sni: str | None,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.peer = peer
        self.timeout = timeout
        self.context = context
        self.sni = sni
        self.step = ""
        self.deadline = 0.0

    def _remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise DaneSmtpTimeout(FailureKind.TIMEOUT, self.peer, self.step, "timed out")
        return left

    async def perform(self, op: Op) -> object:
        if op.step != self.step:
            self.step = op.step
            self.deadline = time.monotonic() + self.timeout
        try:
            if isinstance(op, Send):
                self.writer.write(op.data)
                await asyncio.wait_for(self.writer.drain(), self._remaining())
                return None
            if isinstance(op, ReadLine):
                return await asyncio.wait_for(self.reader.readuntil(b"\n"), self._remaining())
            if isinstance(op, Buffered):
                # No public API tells what a StreamReader holds; CPython keeps it here.
                return len(getattr(self.reader, "_buffer", b""))
            return await self._handshake()
        except TimeoutError:
            raise DaneSmtpTimeout(FailureKind.TIMEOUT, self.peer, self.step, "timed out") from None
        except asyncio.IncompleteReadError:
            what = "server closed the connection"
            raise DaneSmtpError(FailureKind.CONNECTION_CLOSED, self.peer, self.step, what) from None
        except asyncio.LimitOverrunError:
            what = f"reply line longer than {MAX_LINE} octets"
            raise DaneSmtpError(FailureKind.PROTOCOL_ERROR, self.peer, self.step, what) from None
        except OSError as exc:
            what = f"connection lost: {exc.strerror or exc}"
            raise DaneSmtpError(FailureKind.CONNECTION_CLOSED, self.peer, self.step, what) from None

    async def _handshake(self) -> TlsInfo:
        remaining = self._remaining()
        try:
            await asyncio.wait_for(
                self.writer.start_tls(
                    self.context, server_hostname=self.sni, ssl_handshake_timeout=remaining
                ),
                remaining,
            )
        except TimeoutError:
            raise
        except (ssl.SSLError, OSError, EOFError) as exc:
            what = f"TLS handshake failed: {exc or type(exc).__name__}"
            raise DaneHandshakeError(
                FailureKind.HANDSHAKE_FAILED, self.peer, self.step, what
            ) from None
        tls = self.writer.get_extra_info("ssl_object")
        if not isinstance(tls, ssl.SSLObject | ssl.SSLSocket):
            what = "no TLS object after the handshake"
            raise DaneHandshakeError(FailureKind.HANDSHAKE_FAILED, self.peer, self.step, what)
        return _tls_info(tls)


async def adrive(gen: Generator[Op, Any, None], driver: StreamDriver) -> None:
    value: object = None
    error: BaseException | None = None
    while True:
        try:
            op = gen.throw(error) if error is not None else gen.send(value)
        except StopIteration:
            return
        value, error = None, None
        try:
            value = await driver.perform(op)
        except DaneSmtpError as exc:
            error = exc


async def aclose(writer: asyncio.StreamWriter, timeout: float) -> None:
    writer.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(writer.wait_closed(), timeout)


async def aprobe(
    address: str,
    *,
    server_hostname: str | None,
    port: int = DEFAULT_PORT,
    ehlo_name: str = DEFAULT_EHLO,
    timeout: float = DEFAULT_TIMEOUT,
    source_address: str | None = None,
    context: ssl.SSLContext | None = None,
) -> ProbeResult:
    """The asyncio twin of :func:`probe`, same arguments, same result."""
    _family(address)
    peer = peer_name(address, port)
    s = Session(peer)
    started = time.monotonic()
    s.note(f"* connecting to {peer}")
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                address, port, local_addr=(source_address, 0) if source_address else None
            ),
            timeout,
        )
    except OSError as exc:
        error = _connect_error(peer, exc)
        s.note(f"* {error.what}")
        return _result(address, port, None, s, error, started)
    local = str(writer.get_extra_info("sockname")[0])
    s.note(f"* connected from {local}")
    driver = StreamDriver(
        reader, writer, peer, timeout, context or probe_context(), server_hostname
    )
    try:
        await adrive(dialogue(s, ehlo_name), driver)
    except DaneSmtpError as exc:
        s.note(f"* failed: {exc}")
        return _result(address, port, local, s, exc, started)
    finally:
        await aclose(writer, min(timeout, 1.0))
    return _result(address, port, local, s, None, started)
