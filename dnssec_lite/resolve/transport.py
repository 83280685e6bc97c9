"""Synchronous DNS over UDP and TCP on raw sockets, several queries at once.

One :mod:`selectors` loop drives every query of a batch: no threads, a few
non-blocking sockets.  Each UDP query gets its own socket, hence a fresh
ephemeral source port.  The accept/ignore decisions come from
:mod:`dnssec_lite.resolve.exchange`; an ignored datagram is logged at DEBUG
and the wait goes on until the timeout.  A truncated answer is asked again
over TCP (2-octet length framing); a :class:`Transport` keeps TCP connections
open and goes straight to TCP for a server that truncated once, so the
queries of one resolution reuse the connection.
"""

from __future__ import annotations

import errno
import logging
import selectors
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from ..errors import QueryTimeout, TransportError
from ..wire.message import Message
from ..wire.types import RRType
from .exchange import Disposition, Server, check_response, frame, unframe

if TYPE_CHECKING:
    from .fetcher import Batch

log = logging.getLogger("dnssec_lite.resolve")

__all__ = ["Server", "Transport", "describe", "oversized", "query", "query_many"]


def describe(msg: Message) -> str:
    """A one-line summary of a query or response for the debug log."""
    q = msg.question[0] if msg.question else None
    what = f"Q({q.name.to_text()!r}, {RRType.to_text(q.rrtype)!r})" if q is not None else "Q(-)"
    return f"{what} id={msg.id} [{msg.flags_text()}]"


def oversized(query: Message, data: bytes) -> str | None:
    """Why a UDP datagram is too large to be the reply to ``query``, or None.

    A UDP reply is at most the payload size the query advertised (512 octets
    without EDNS; RFC 6891 section 6.2.5), so a larger datagram is malformed
    and is rejected before it is parsed: nobody honest sends it, and parsing
    64 KB costs far more than the 1232 octets a reply can have.
    """
    edns = query.edns
    limit = 512 if edns is None else max(512, edns.payload)
    if len(data) <= limit:
        return None
    return (
        f"malformed response: {len(data)}-octet datagram exceeds the {limit}-octet "
        "payload the query advertised"
    )


class QueryState(Enum):
    """Where one query is in the transport's state machine."""

    NEW = "new"
    UDP = "udp"  # sent over UDP, waiting for the datagram
    CONNECT = "connect"  # TCP connection under way
    SEND = "send"  # TCP: writing the framed query
    RECV = "recv"  # TCP: reading the framed reply
    DONE = "done"


@dataclass(eq=False)
class _Pending:
    index: int
    server: Server
    query: Message
    tcp: bool
    sock: socket.socket | None = None
    state: QueryState = QueryState.NEW
    out: bytes = b""
    inbuf: bytearray = field(default_factory=bytearray)
    reused: bool = False
    result: Message | TransportError | None = None
    ignored: str = ""
    size: int = 0
    sent: int = 1


class Transport:
    """Sends queries; keeps TCP connections for reuse until :meth:`close`.

    ``sent`` counts the queries put on the wire (UDP and TCP), which is what
    the resolver reports as ``Answer.queries``; ``tcp_sent`` those over TCP;
    ``malformed`` the datagrams rejected unparsed (see :func:`oversized`).
    """

    def __init__(self) -> None:
        self._idle: dict[Server, list[socket.socket]] = {}
        self._prefer_tcp: set[Server] = set()
        self.sent = 0
        self.tcp_sent = 0
        self.malformed = 0
        #: (over TCP, reply octets, messages sent) of each query of the last batch.
        self.last_meta: list[tuple[bool, int, int]] = []

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the kept TCP connections."""
        for socks in self._idle.values():
            for sock in socks:
                sock.close()
        self._idle.clear()

    def query(self, server: Server, msg: Message, timeout: float, tcp: bool = False) -> Message:
        """One query; raises :class:`TransportError` / :class:`QueryTimeout`."""
        result = self.query_many([(server, msg)], timeout, tcp=tcp)[0]
        if isinstance(result, TransportError):
            raise result
        return result

    def query_many(
        self,
        items: Sequence[tuple[Server, Message]],
        timeout: float,
        *,
        tcp: bool = False,
    ) -> list[Message | TransportError]:
        """Send every query at once; return each response or the error, in order."""
        pendings = [
            _Pending(i, server, msg, tcp or server in self._prefer_tcp)
            for i, (server, msg) in enumerate(items)
        ]
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            for p in pendings:
                self._start(sel, p)
            while any(p.state is not QueryState.DONE for p in pendings):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                for key, events in sel.select(remaining):
                    p = key.data
                    assert isinstance(p, _Pending)
                    try:
                        self._step(sel, p, events)
                    except OSError as exc:
                        self._fail(sel, p, TransportError(str(p.server), _os_what(exc)))
            for p in pendings:
                if p.state is not QueryState.DONE:
                    how = "TCP" if p.tcp else "UDP"
                    what = f"no answer over {how} within {timeout:g} s"
                    if p.ignored:
                        what += f" (last ignored: {p.ignored})"
                    self._fail(sel, p, QueryTimeout(str(p.server), what))
        out: list[Message | TransportError] = []
        for p in pendings:
            assert p.result is not None
            out.append(p.result)
        self.last_meta = [(p.tcp, p.size, p.sent) for p in pendings]
        return out

    def exchange(self, batch: Batch) -> list[Message | TransportError]:
        """The :class:`~dnssec_lite.resolve.fetcher.Fetcher` interface."""
        return self.query_many(batch.items, batch.timeout, tcp=batch.tcp)

    # -- the state machine of one query --------------------------------------
    def _start(self, sel: selectors.BaseSelector, p: _Pending) -> None:
        self.sent += 1
        log.debug("DNS query: %s to %s%s", describe(p.query), p.server, " (TCP)" if p.tcp else "")
        try:
            if p.tcp:
                self._start_tcp(sel, p)
            else:
                sock = socket.socket(p.server.family, socket.SOCK_DGRAM)
                p.sock = sock
                sock.setblocking(False)
                # connect() fixes the peer (and brings ICMP errors back); the
                # source is still checked on every datagram.
                sock.connect(p.server.address)
                sock.send(p.query.to_wire())
                p.state = QueryState.UDP
                sel.register(sock, selectors.EVENT_READ, p)
        except OSError as exc:
            self._fail(sel, p, TransportError(str(p.server), _os_what(exc)))

    def _start_tcp(self, sel: selectors.BaseSelector, p: _Pending) -> None:
        if not p.tcp or p.state is QueryState.NEW:
            self.tcp_sent += 1  # not a reconnection of the same query
        p.tcp = True
        p.out = frame(p.query.to_wire())
        p.inbuf = bytearray()
        idle = self._idle.get(p.server)
        if idle:
            p.sock = idle.pop()
            p.reused = True
            p.state = QueryState.SEND
        else:
            sock = socket.socket(p.server.family, socket.SOCK_STREAM)
            p.sock = sock
            p.reused = False
            sock.setblocking(False)
            err = sock.connect_ex(p.server.address)
            if err not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
                raise OSError(err, errno.errorcode.get(err, str(err)))
            p.state = QueryState.CONNECT
        sel.register(p.sock, selectors.EVENT_WRITE, p)

    def _step(self, sel: selectors.BaseSelector, p: _Pending, events: int) -> None:
        sock = p.sock
        assert sock is not None
        if p.state is QueryState.UDP:
            while p.state is QueryState.UDP:
                try:
                    data, source = sock.recvfrom(65535)
                except BlockingIOError:
                    return
                why = oversized(p.query, data)
                if why is not None:
                    self.malformed += 1
                    p.ignored = why
                    log.debug("ignored a datagram from %s for %s: %s", source, p.server, why)
                    continue
                self._received(sel, p, data, source)
        elif p.state in (QueryState.CONNECT, QueryState.SEND):
            if p.state is QueryState.CONNECT:
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    raise OSError(err, errno.errorcode.get(err, str(err)))
                p.state = QueryState.SEND
            try:
                sent = sock.send(p.out)
            except (BrokenPipeError, ConnectionResetError):
                if p.reused:
                    return self._reconnect(sel, p)
                raise
            p.out = p.out[sent:]
            if not p.out:
                p.state = QueryState.RECV
                sel.modify(sock, selectors.EVENT_READ, p)
        elif p.state is QueryState.RECV:
            try:
                chunk = sock.recv(65537)
            except BlockingIOError:
                return
            except ConnectionResetError:
                if p.reused and not p.inbuf:
                    return self._reconnect(sel, p)
                raise
            if not chunk:
                if p.reused and not p.inbuf:
                    return self._reconnect(sel, p)
                raise OSError(errno.ECONNRESET, "connection closed before a full answer")
            p.inbuf += chunk
            while p.state is QueryState.RECV:
                message, used = unframe(p.inbuf)
                if message is None:
                    return
                del p.inbuf[:used]
                self._received(sel, p, message, None)

    def _reconnect(self, sel: selectors.BaseSelector, p: _Pending) -> None:
        """A kept TCP connection was closed by the server: open a new one."""
        self._drop(sel, p)
        log.debug("TCP connection to %s was closed; reconnecting", p.server)
        self._start_tcp(sel, p)

    def _received(
        self,
        sel: selectors.BaseSelector,
        p: _Pending,
        data: bytes,
        source: tuple[object, ...] | None,
    ) -> None:
        check = check_response(p.query, data, p.server, source, tcp=p.tcp)
        if check.disposition is Disposition.IGNORE:
            p.ignored = check.why
            log.debug(
                "ignored a message while waiting for %s from %s: %s",
                describe(p.query),
                p.server,
                check.why,
            )
            return
        if check.disposition is Disposition.RETRY_TCP:
            log.debug("truncated answer from %s: retrying over TCP", p.server)
            self._prefer_tcp.add(p.server)
            self._drop(sel, p)
            self.sent += 1
            p.sent += 1
            self._start_tcp(sel, p)
            return
        assert check.message is not None
        log.debug("DNS response: %s from %s", describe(check.message), p.server)
        p.result = check.message
        p.size = len(data)
        sock = p.sock
        if p.tcp and sock is not None and not p.inbuf:
            sel.unregister(sock)
            p.sock = None
            self._idle.setdefault(p.server, []).append(sock)
        else:
            self._drop(sel, p)
        p.state = QueryState.DONE

    def _drop(self, sel: selectors.BaseSelector, p: _Pending) -> None:
        if p.sock is not None:
            try:
                sel.unregister(p.sock)
            except (KeyError, ValueError):
                pass
            p.sock.close()
            p.sock = None

    def _fail(self, sel: selectors.BaseSelector, p: _Pending, error: TransportError) -> None:
        self._drop(sel, p)
        if p.state is not QueryState.DONE:
            log.debug("DNS failure: %s", error)
            p.result = error
            p.state = QueryState.DONE


def _os_what(exc: OSError) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (port unreachable)"
    return exc.strerror or str(exc)


def query(server: Server, msg: Message, timeout: float, tcp: bool = False) -> Message:
    """One query over UDP (TCP if truncated, or with ``tcp=True``)."""
    with Transport() as transport:
        return transport.query(server, msg, timeout, tcp)


def query_many(
    items: Sequence[tuple[Server, Message]], timeout: float, *, tcp: bool = False
) -> list[Message | TransportError]:
    """Several queries in parallel; each result is a Message or a TransportError."""
    with Transport() as transport:
        return transport.query_many(items, timeout, tcp=tcp)
