"""A scriptable SMTP server on loopback, for the STARTTLS and DANE tests.

Usage::

    certs = make_server_certs(["mx.example.test"])        # CA -> intermediate -> leaf
    with SmtpServer(certs) as server:                      # 127.0.0.1, a free port
        result = probe(server.host, port=server.port, server_hostname="mx.example.test")
        server.sessions[0].commands                        # ["EHLO localhost", "STARTTLS", ...]
    assert result.chain_der == certs.served_der

``SmtpServer(certs, host="127.0.0.1", port=0, **behaviour)`` runs an accept
thread and one thread per connection; ``close()`` (or leaving the ``with``)
stops them.  ``server.sessions`` holds a :class:`SessionLog` per connection:
the commands received, the SNI name the client sent, the TLS protocol and
cipher the server negotiated, and any mail received.  ``wait_sessions(n)``
waits until ``n`` connections have ended.

Behaviour (keyword arguments, all optional):

* ``greeting``: the raw greeting lines, e.g. ``("220-mx.test", "220 ready")``
  for a multi-line one, ``("554 go away",)``, or nonsense such as
  ``("HTTP/1.1 400 Bad Request",)``.
* ``close_on_accept``: close right after accepting, before any greeting.
* ``offer_starttls``: whether EHLO lists STARTTLS (default True).
* ``ehlo_reply``: the raw EHLO reply lines, replacing the built one.
* ``starttls_reply``: the reply to STARTTLS (``"454 4.7.0 TLS not available"``).
* ``inject``: octets sent in the same write as the 220 reply to STARTTLS,
  before TLS (a STARTTLS injection attack).
* ``handshake``: ``"tls"`` (default), ``"garbage"`` (read the ClientHello, answer
  with non-TLS bytes, close) or ``"close"`` (close instead of TLS).
* ``delay``: seconds to sleep before a stage, keyed ``"greeting"``, ``"ehlo"``,
  ``"starttls"`` or ``"handshake"``.
* ``drip``: send the greeting one octet per ``drip`` seconds.
* ``tls_version``: pin the server to one :class:`ssl.TLSVersion`.
* ``close_after_tls``: close right after the handshake (no SMTP over TLS).

:func:`closed_port` gives a port on which nothing listens (connection refused).
The certificate maker here is deliberately small and named apart from any
fuller test certificate module: it makes what a STARTTLS server presents.
"""

from __future__ import annotations

import datetime
import os
import socket
import ssl
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

_Key = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


# -- certificates -----------------------------------------------------------------------


@dataclass(frozen=True)
class ServerCerts:
    """A leaf with its issuers; ``served`` is what the server sends, leaf first."""

    leaf: x509.Certificate
    key: _Key
    intermediates: tuple[x509.Certificate, ...]
    root: x509.Certificate | None

    @property
    def served(self) -> tuple[x509.Certificate, ...]:
        return (self.leaf, *self.intermediates)

    @property
    def served_der(self) -> tuple[bytes, ...]:
        return tuple(c.public_bytes(serialization.Encoding.DER) for c in self.served)

    def pem(self) -> bytes:
        key = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return key + b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.served)


def _new_key(kind: str) -> _Key:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _cert(
    subject: str,
    key: _Key,
    issuer: x509.Name | None,
    issuer_key: _Key,
    *,
    ca: bool,
    names: Sequence[str] = (),
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def make_server_certs(
    names: Sequence[str] = ("mx.example.test",), *, intermediates: int = 1, key: str = "ec"
) -> ServerCerts:
    """A root CA, ``intermediates`` intermediate CAs and a leaf for ``names``.

    With ``intermediates=-1`` the leaf is self-signed (the usual DANE-EE setup).
    """
    leaf_key = _new_key(key)
    if intermediates < 0:
        leaf = _cert(names[0], leaf_key, None, leaf_key, ca=False, names=names)
        return ServerCerts(leaf, leaf_key, (), None)
    root_key = _new_key(key)
    root = _cert("Test Root CA", root_key, None, root_key, ca=True)
    issuer, issuer_key = root, root_key
    chain: list[x509.Certificate] = []
    for depth in range(intermediates):
        ikey = _new_key(key)
        icert = _cert(f"Test Intermediate {depth}", ikey, issuer.subject, issuer_key, ca=True)
        chain.insert(0, icert)
        issuer, issuer_key = icert, ikey
    leaf = _cert(names[0], leaf_key, issuer.subject, issuer_key, ca=False, names=names)
    return ServerCerts(leaf, leaf_key, tuple(chain), root)


def server_context(certs: ServerCerts, tls_version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if tls_version is not None:
        context.minimum_version = tls_version
        context.maximum_version = tls_version
    fd, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(certs.pem())
        context.load_cert_chain(path)
    finally:
        os.unlink(path)
    return context


def closed_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` where nothing listens (it was free a moment ago)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
    return port


def ipv6_loopback_works() -> bool:
    """Whether this machine can listen on and connect to ::1."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
            s.listen(1)
            with socket.create_connection(s.getsockname()[:2], timeout=2):
                pass
    except OSError:
        return False
    return True


# -- the server ---------------------------------------------------------------------


@dataclass
class SessionLog:
    """What one connection did."""

    peer: tuple[str, int]
    commands: list[str] = field(default_factory=list)
    sni: str | None = None
    tls_protocol: str | None = None
    tls_cipher: str | None = None
    tls_commands: list[str] = field(default_factory=list)
    mails: list[bytes] = field(default_factory=list)
    error: str | None = None


class _Closed(Exception):
    pass


class SmtpServer:
    """See the module docstring."""

    def __init__(
        self,
        certs: ServerCerts | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        greeting: Sequence[str] = ("220 mx.example.test ESMTP test server",),
        close_on_accept: bool = False,
        offer_starttls: bool = True,
        ehlo_reply: Sequence[str] | None = None,
        starttls_reply: str = "220 2.0.0 Ready to start TLS",
        inject: bytes = b"",
        handshake: str = "tls",
        delay: dict[str, float] | None = None,
        drip: float | None = None,
        tls_version: ssl.TLSVersion | None = None,
        close_after_tls: bool = False,
    ) -> None:
        self.certs = certs or make_server_certs()
        self.greeting = tuple(greeting)
        self.close_on_accept = close_on_accept
        self.offer_starttls = offer_starttls
        self.ehlo_reply = tuple(ehlo_reply) if ehlo_reply is not None else None
        self.starttls_reply = starttls_reply
        self.inject = inject
        self.handshake = handshake
        self.delay = dict(delay or {})
        self.drip = drip
        self.close_after_tls = close_after_tls
        self.sessions: list[SessionLog] = []
        self._ended = threading.Semaphore(0)
        self._stop = threading.Event()
        self._local = threading.local()
        self.context = server_context(self.certs, tls_version)
        self.context.sni_callback = self._on_sni
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        # A fixed port (25 in the DANE lab) may still have connections of the
        # previous run in TIME-WAIT; they must not stop the next one binding.
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, port))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self.host = host
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept_loop, daemon=True)
        self._accepter.start()

    def __enter__(self) -> SmtpServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._accepter.join(5)
        self._listener.close()
        for thread in self._threads:
            thread.join(5)

    def wait_sessions(self, count: int, timeout: float = 5.0) -> list[SessionLog]:
        """Wait until ``count`` connections have ended; return the sessions."""
        for _ in range(count):
            if not self._ended.acquire(timeout=timeout):
                raise AssertionError(f"only {len(self.sessions)} sessions ended in time")
        return self.sessions

    # -- internals ----------------------------------------------------------------

    def _on_sni(self, sslobj: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        log: SessionLog | None = getattr(self._local, "log", None)
        if log is not None:
            log.sni = name

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            log = SessionLog(peer=peer[:2])
            self.sessions.append(log)
            thread = threading.Thread(target=self._serve, args=(conn, log), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _sleep(self, stage: str) -> None:
        if stage in self.delay:
            self._stop.wait(self.delay[stage])

    def _serve(self, conn: socket.socket, log: SessionLog) -> None:
        self._local.log = log
        self._local.tls = None
        conn.settimeout(10)
        try:
            if not self.close_on_accept:
                self._session(conn, log)
        except (_Closed, OSError) as exc:
            log.error = f"{type(exc).__name__}: {exc}"
        finally:
            tls = getattr(self._local, "tls", None)
            if tls is not None:
                tls.close()
                self._local.tls = None
            conn.close()
            self._ended.release()

    def _session(self, sock: socket.socket, log: SessionLog) -> None:
        reader = _LineReader(sock)
        self._sleep("greeting")
        greeting = b"".join(line.encode() + b"\r\n" for line in self.greeting)
        if self.drip is not None:
            for octet in greeting:
                sock.sendall(bytes([octet]))
                if self._stop.wait(self.drip):
                    return
        else:
            sock.sendall(greeting)
        tls = False
        while not self._stop.is_set():
            line = reader.readline()
            (log.tls_commands if tls else log.commands).append(line)
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._sleep("ehlo")
                reader.send(self._ehlo_lines(verb, tls))
            elif verb == "STARTTLS" and not tls and self.offer_starttls:
                self._sleep("starttls")
                reader.sock.sendall(self.starttls_reply.encode() + b"\r\n" + self.inject)
                if not self.starttls_reply.startswith("220"):
                    continue
                self._sleep("handshake")
                if self.handshake == "close":
                    return
                if self.handshake == "garbage":
                    sock.recv(4096)  # the ClientHello
                    sock.sendall(b"this is not TLS\r\n" * 8)
                    return
                tls_sock = self.context.wrap_socket(sock, server_side=True)
                self._local.tls = sock = tls_sock
                reader = _LineReader(tls_sock)
                log.tls_protocol = tls_sock.version()
                cipher = tls_sock.cipher()
                log.tls_cipher = cipher[0] if cipher else None
                tls = True
                if self.close_after_tls:
                    return
            elif verb == "QUIT":
                reader.send(["221 2.0.0 Bye"])
                return
            elif verb in ("NOOP", "RSET"):
                reader.send(["250 2.0.0 OK"])
            elif verb in ("MAIL", "RCPT"):
                reader.send(["250 2.1.0 OK"])
            elif verb == "DATA":
                reader.send(["354 End data with <CR><LF>.<CR><LF>"])
                log.mails.append(reader.read_data())
                reader.send(["250 2.0.0 Queued"])
            else:
                reader.send(["502 5.5.2 Command not recognised"])

    def _ehlo_lines(self, verb: str, tls: bool) -> list[str]:
        if self.ehlo_reply is not None:
            return list(self.ehlo_reply)
        if verb == "HELO":
            return ["250 mx.example.test"]
        keywords = ["PIPELINING", "SIZE 10240000"]
        if self.offer_starttls and not tls:
            keywords.append("STARTTLS")
        keywords.append("8BITMIME")
        lines = ["mx.example.test greets you", *keywords]
        return [f"250-{x}" for x in lines[:-1]] + [f"250 {lines[-1]}"]


class _LineReader:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def readline(self) -> str:
        while b"\n" not in self.buffer:
            data = self.sock.recv(4096)
            if not data:
                raise _Closed("client closed the connection")
            self.buffer += data
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", errors="replace")

    def read_data(self) -> bytes:
        lines = []
        while (line := self.readline()) != ".":
            lines.append(line[1:] if line.startswith(".") else line)
        return "\r\n".join(lines).encode() + b"\r\n"

    def send(self, lines: Sequence[str]) -> None:
        self.sock.sendall(b"".join(line.encode() + b"\r\n" for line in lines))
