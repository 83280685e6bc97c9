"""The SMTP side of STARTTLS, sans I/O: replies, the dialogue, typed failures.

RFC 5321 replies are parsed by :class:`ReplyParser` (bounded line length and
line count).  :func:`dialogue` is a generator holding every decision of a
STARTTLS session -- greeting, EHLO, the STARTTLS offer and reply, the check
that nothing was injected before TLS, verification of the presented chain by
a caller's verifier, EHLO again, QUIT -- and yields the operations a driver
performs (:class:`Send`, :class:`ReadLine`, :class:`Buffered`,
:class:`StartTls`).  The sync and asyncio drivers in
:mod:`dnssec_lite.dane.smtp` and the mail-tool helpers in
:mod:`dnssec_lite.dane.starttls` share it, so they cannot disagree.
A failure is a :class:`DaneSmtpError` subclass carrying a
:class:`FailureKind`, the server and the step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from ..errors import DaneError

log = logging.getLogger("dnssec_lite.dane")

#: The EHLO name when the caller gives none.
DEFAULT_EHLO = "localhost"
#: Longest reply line accepted, CRLF included (RFC 5321 section 4.5.3.1.5 says 512;
#: real servers exceed it a little, hostile ones a lot).
MAX_LINE = 2048
#: Most lines in one multi-line reply.
MAX_REPLY_LINES = 128


class FailureKind(Enum):
    """Why a probe (or a STARTTLS helper) failed; the values are stable strings."""

    CONNECTION_REFUSED = "connection-refused"
    CONNECT_FAILED = "connect-failed"
    TIMEOUT = "timeout"
    CONNECTION_CLOSED = "connection-closed"
    BAD_GREETING = "bad-greeting"
    SERVICE_REFUSED = "service-refused"
    EHLO_REFUSED = "ehlo-refused"
    STARTTLS_NOT_SUPPORTED = "starttls-not-supported"
    STARTTLS_REFUSED = "starttls-refused"
    HANDSHAKE_FAILED = "handshake-failed"
    PROTOCOL_ERROR = "protocol-error"
    NO_CERTIFICATE = "no-certificate"
    VERIFICATION_FAILED = "verification-failed"


class DaneSmtpError(DaneError):
    """An SMTP or TLS step with a server failed; names the server and the step."""

    def __init__(
        self, kind: FailureKind, peer: str, step: str, what: str, code: int | None = None
    ) -> None:
        self.kind = kind
        self.peer = peer
        self.step = step
        self.what = what
        self.code = code
        super().__init__(f"{peer}: {step}: {what}")


class DaneSmtpTimeout(DaneSmtpError, TimeoutError):
    """A step did not complete within its timeout."""


class DaneStarttlsError(DaneSmtpError):
    """The server does not offer STARTTLS, or refused it."""


class DaneHandshakeError(DaneSmtpError):
    """The TLS handshake after STARTTLS failed."""


class DaneVerificationError(DaneSmtpError):
    """The presented chain did not pass the verifier; ``match`` says why."""

    def __init__(self, kind: FailureKind, peer: str, step: str, what: str, match: object) -> None:
        super().__init__(kind, peer, step, what)
        self.match = match


_ERRORS: dict[FailureKind, type[DaneSmtpError]] = {
    FailureKind.TIMEOUT: DaneSmtpTimeout,
    FailureKind.STARTTLS_NOT_SUPPORTED: DaneStarttlsError,
    FailureKind.STARTTLS_REFUSED: DaneStarttlsError,
    FailureKind.HANDSHAKE_FAILED: DaneHandshakeError,
}


def _fail(kind: FailureKind, peer: str, step: str, what: str, code: int | None = None) -> Exception:
    return _ERRORS.get(kind, DaneSmtpError)(kind, peer, step, what, code)


class MatchResult(Protocol):
    """What a verifier returns: the shape of the TLSA matcher's ``DaneMatch``."""

    @property
    def ok(self) -> bool: ...

    @property
    def reason(self) -> object: ...


#: Takes the presented chain (DER, leaf first) and judges it.
Verifier = Callable[[Sequence[bytes]], MatchResult]


# -- replies (RFC 5321 section 4.2) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reply:
    """One SMTP reply: its code and the text of each line (code and separator removed)."""

    code: int
    lines: tuple[str, ...]

    def keywords(self) -> frozenset[str]:
        """The EHLO keywords (RFC 5321 section 4.1.1.1): first word of each line after the first."""
        return frozenset(line.split()[0].upper() for line in self.lines[1:] if line.split())

    def summary(self) -> str:
        return f"{self.code} {' / '.join(self.lines)}".rstrip()


class ReplyFormatError(ValueError):
    """A reply line that is not SMTP."""


class ReplyParser:
    """Collects the lines of one reply: ``250-a``, ``250-b``, ``250 c``.

    Every line must start with the same three digits followed by ``-`` (more
    follow), a space or the end of the line (the last).  Bare LF endings are
    accepted; overlong lines and endless replies are not.
    """

    def __init__(self) -> None:
        self._code: int | None = None
        self._lines: list[str] = []

    def feed(self, raw: bytes) -> Reply | None:
        """Take one line; return the reply once its last line has arrived."""
        if len(raw) > MAX_LINE:
            raise ReplyFormatError(f"reply line longer than {MAX_LINE} octets")
        if not raw.endswith(b"\n"):
            raise ReplyFormatError("reply line without line ending")
        line = raw.rstrip(b"\r\n").decode("utf-8", errors="replace")
        head, sep, text = line[:3], line[3:4], line[4:]
        if not (head.isascii() and head.isdigit()) or sep not in ("", "-", " "):
            raise ReplyFormatError(f"not an SMTP reply line: {line[:60]!r}")
        code = int(head)
        if not 100 <= code <= 599:
            raise ReplyFormatError(f"reply code {code} out of range")
        if self._code is not None and code != self._code:
            raise ReplyFormatError(f"reply code changed from {self._code} to {code} mid-reply")
        self._code = code
        self._lines.append(text)
        if sep == "-":
            if len(self._lines) >= MAX_REPLY_LINES:
                raise ReplyFormatError(f"reply longer than {MAX_REPLY_LINES} lines")
            return None
        return Reply(code, tuple(self._lines))


# -- the dialogue, as operations a driver performs ------------------------------------


@dataclass(frozen=True, slots=True)
class Send:
    step: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ReadLine:
    step: str


@dataclass(frozen=True, slots=True)
class Buffered:
    """How many received octets are not consumed yet (0 expected before TLS)."""

    step: str


@dataclass(frozen=True, slots=True)
class StartTls:
    step: str


Op = Send | ReadLine | Buffered | StartTls


@dataclass(frozen=True, slots=True)
class TlsInfo:
    """What the handshake gave: protocol, cipher and the presented chain (DER, leaf first)."""

    protocol: str | None
    cipher: str | None
    chain_der: tuple[bytes, ...]


@dataclass
class Session:
    """Filled in step by step, so that a failure still reports what was seen."""

    peer: str
    greeting: tuple[str, ...] = ()
    ehlo_lines: tuple[str, ...] = ()
    tls: TlsInfo | None = None
    match: MatchResult | None = None
    transcript: list[str] = field(default_factory=list)

    def note(self, line: str) -> None:
        self.transcript.append(line)
        log.debug("%s %s", self.peer, line)


def _reply(s: Session, step: str) -> Generator[Op, Any, Reply]:
    parser = ReplyParser()
    while True:
        raw: bytes = yield ReadLine(step)
        s.note("< " + raw.rstrip(b"\r\n").decode("utf-8", errors="replace")[:200])
        try:
            reply = parser.feed(raw)
        except ReplyFormatError as exc:
            kind = FailureKind.BAD_GREETING if step == "greeting" else FailureKind.PROTOCOL_ERROR
            raise _fail(kind, s.peer, step, str(exc)) from None
        if reply is not None:
            return reply


def _command(s: Session, step: str, command: str) -> Generator[Op, Any, Reply]:
    s.note("> " + command)
    yield Send(step, command.encode("ascii") + b"\r\n")
    return (yield from _reply(s, step))


def _quit(s: Session) -> Generator[Op, Any, None]:
    """QUIT politely; a server that does not answer it changes nothing."""
    try:
        yield from _command(s, "quit", "QUIT")
    except DaneSmtpError as exc:
        s.note(f"* QUIT not answered: {exc.what}")


def check_chain(peer: str, chain: Sequence[bytes], verify: Verifier) -> MatchResult:
    """Run the verifier on a presented chain; raise :class:`DaneVerificationError` if it fails."""
    if not chain:
        raise DaneVerificationError(
            FailureKind.NO_CERTIFICATE, peer, "verify", "the server presented no certificate", None
        )
    try:
        match = verify(chain)
    except DaneError as exc:  # the matcher could not read what it was given
        if isinstance(exc, DaneSmtpError):
            raise
        what = f"certificate verification failed: {exc}"
        raise DaneVerificationError(
            FailureKind.VERIFICATION_FAILED, peer, "verify", what, None
        ) from exc
    if not match.ok:
        what = f"certificate verification failed: {match.reason}"
        raise DaneVerificationError(FailureKind.VERIFICATION_FAILED, peer, "verify", what, match)
    return match


def dialogue(
    s: Session,
    ehlo_name: str,
    *,
    read_greeting: bool = True,
    verify: Verifier | None = None,
    ehlo_after_tls: bool = False,
    quit_after: bool = True,
) -> Generator[Op, Any, None]:
    """Greeting, EHLO, STARTTLS, handshake, (verify, EHLO again,) QUIT."""
    if read_greeting:
        greeting = yield from _reply(s, "greeting")
        s.greeting = greeting.lines
        if greeting.code != 220:
            if greeting.code // 100 in (4, 5):
                yield from _quit(s)
                raise _fail(
                    FailureKind.SERVICE_REFUSED,
                    s.peer,
                    "greeting",
                    f"server refuses service: {greeting.summary()}",
                    greeting.code,
                )
            what = f"expected 220, got {greeting.summary()}"
            raise _fail(FailureKind.BAD_GREETING, s.peer, "greeting", what, greeting.code)
    ehlo = yield from _command(s, "ehlo", f"EHLO {ehlo_name}")
    if ehlo.code != 250:
        yield from _quit(s)
        what = f"EHLO answered {ehlo.summary()}"
        raise _fail(FailureKind.EHLO_REFUSED, s.peer, "ehlo", what, ehlo.code)
    s.ehlo_lines = ehlo.lines
    if "STARTTLS" not in ehlo.keywords():
        yield from _quit(s)
        what = "STARTTLS is not among the EHLO keywords"
        raise _fail(FailureKind.STARTTLS_NOT_SUPPORTED, s.peer, "ehlo", what)
    ready = yield from _command(s, "starttls", "STARTTLS")
    if ready.code != 220:
        refused = ready.code // 100 in (4, 5)
        if refused:
            yield from _quit(s)
        kind = FailureKind.STARTTLS_REFUSED if refused else FailureKind.PROTOCOL_ERROR
        what = f"STARTTLS answered {ready.summary()}"
        raise _fail(kind, s.peer, "starttls", what, ready.code)
    # Anything already received was sent in clear before TLS and would be read
    # later as if it came over TLS (the STARTTLS command-injection flaw).
    pending: int = yield Buffered("starttls")
    if pending:
        what = f"{pending} octets arrived after the 220 reply to STARTTLS, before TLS (injection)"
        raise _fail(FailureKind.PROTOCOL_ERROR, s.peer, "starttls", what)
    s.note("* TLS handshake")
    tls: TlsInfo = yield StartTls("handshake")
    s.tls = tls
    s.note(f"* TLS {tls.protocol} {tls.cipher}, {len(tls.chain_der)} certificate(s) presented")
    if verify is not None:
        try:
            s.match = check_chain(s.peer, tls.chain_der, verify)
        except DaneVerificationError as exc:
            s.note(f"* {exc.what}")
            yield from _quit(s)
            raise
        s.note("* certificate verification successful")
    if ehlo_after_tls:
        ehlo = yield from _command(s, "ehlo", f"EHLO {ehlo_name}")
        if ehlo.code != 250:
            yield from _quit(s)
            what = f"EHLO after TLS answered {ehlo.summary()}"
            raise _fail(FailureKind.EHLO_REFUSED, s.peer, "ehlo", what, ehlo.code)
        s.ehlo_lines = ehlo.lines
    if quit_after:
        yield from _quit(s)
