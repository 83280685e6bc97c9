"""asyncio DNS over UDP and TCP, with the decisions of
:mod:`dnssec_lite.resolve.exchange` (the same as the sync transport).

:class:`AsyncTransport` sends a batch with :func:`asyncio.gather`; each UDP
query has its own datagram endpoint (a fresh source port); ignored datagrams
are logged and the wait goes on; a truncated answer is asked again over TCP,
and TCP connections are kept for reuse until :meth:`AsyncTransport.close`.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Sequence

from ..errors import QueryTimeout, TransportError
from ..wire.message import Message
from .exchange import Disposition, Server, check_response, frame
from .fetcher import Batch, Reply
from .transport import describe, oversized

log = logging.getLogger("dnssec_lite.resolve")

__all__ = ["AsyncTransport", "query", "query_many"]


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: Server, query: Message) -> None:
        self.server = server
        self.query = query
        self.done: asyncio.Future[tuple[Disposition, Message | OSError]] = (
            asyncio.get_running_loop().create_future()
        )
        self.ignored = ""
        self.malformed = 0
        self.size = 0

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        if self.done.done():
            return
        why = oversized(self.query, data)
        if why is not None:
            self.malformed += 1
            self.ignored = why
            log.debug("ignored a datagram from %s for %s: %s", addr, self.server, why)
            return
        check = check_response(self.query, data, self.server, tuple(addr))
        if check.disposition is Disposition.IGNORE:
            self.ignored = check.why
            log.debug(
                "ignored a message while waiting for %s from %s: %s",
                describe(self.query),
                self.server,
                check.why,
            )
            return
        assert check.message is not None
        self.size = len(data)
        self.done.set_result((check.disposition, check.message))

    def error_received(self, exc: Exception) -> None:
        if not self.done.done() and isinstance(exc, OSError):
            self.done.set_result((Disposition.IGNORE, exc))


def _os_error(server: Server, exc: OSError) -> TransportError:
    if isinstance(exc, ConnectionRefusedError):
        return TransportError(str(server), "connection refused (port unreachable)")
    return TransportError(str(server), exc.strerror or str(exc))


class AsyncTransport:
    """Sends queries over asyncio; ``sent`` counts queries put on the wire,
    ``tcp_sent`` those over TCP, ``malformed`` the datagrams rejected
    unparsed (see :func:`~dnssec_lite.resolve.transport.oversized`)."""

    def __init__(self) -> None:
        self._idle: dict[Server, list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = {}
        self._prefer_tcp: set[Server] = set()
        self.sent = 0
        self.tcp_sent = 0
        self.malformed = 0
        self.last_meta: list[tuple[bool, int, int]] = []
        #: (over TCP, reply octets, messages sent) by query, until its batch returns.
        self._meta: dict[int, tuple[bool, int, int]] = {}

    async def __aenter__(self) -> AsyncTransport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        for conns in self._idle.values():
            for _reader, writer in conns:
                writer.close()
        self._idle.clear()

    async def query(
        self, server: Server, msg: Message, timeout: float, tcp: bool = False
    ) -> Message:
        """One query; raises :class:`TransportError` / :class:`QueryTimeout`."""
        try:
            return await asyncio.wait_for(self._query(server, msg, timeout, tcp), timeout)
        except TimeoutError:
            how = "TCP" if tcp or server in self._prefer_tcp else "UDP"
            raise QueryTimeout(str(server), f"no answer over {how} within {timeout:g} s") from None

    async def query_many(
        self, items: Sequence[tuple[Server, Message]], timeout: float, *, tcp: bool = False
    ) -> list[Reply]:
        """Every query at once; each result is a Message or a TransportError."""

        async def one(server: Server, msg: Message) -> Message | TransportError:
            try:
                return await self.query(server, msg, timeout, tcp)
            except TransportError as exc:
                log.debug("DNS failure: %s", exc)
                return exc

        return list(await asyncio.gather(*(one(s, m) for s, m in items)))

    async def exchange(self, batch: Batch) -> list[Reply]:
        """The :class:`~dnssec_lite.resolve.fetcher.AsyncFetcher` interface;
        ``last_meta`` says, for each exchange, (over TCP, reply octets,
        messages sent)."""
        replies = await self.query_many(batch.items, batch.timeout, tcp=batch.tcp)
        default = (batch.tcp, 0, 1)
        self.last_meta = [self._meta.pop(id(msg), default) for _server, msg in batch.items]
        return replies

    async def _query(self, server: Server, msg: Message, timeout: float, tcp: bool) -> Message:
        self.sent += 1
        log.debug("DNS query: %s to %s%s", describe(msg), server, " (TCP)" if tcp else "")
        if tcp or server in self._prefer_tcp:
            self._meta[id(msg)] = (True, 0, 1)
            return await self._tcp(server, msg)
        loop = asyncio.get_running_loop()
        try:
            transport, protocol = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(server, msg), remote_addr=server.address
            )
        except OSError as exc:
            raise _os_error(server, exc) from None
        try:
            transport.sendto(msg.to_wire())
            disposition, result = await protocol.done
        finally:
            transport.close()
            self.malformed += protocol.malformed
        if isinstance(result, OSError):
            raise _os_error(server, result)
        if disposition is Disposition.RETRY_TCP:
            log.debug("truncated answer from %s: retrying over TCP", server)
            self._prefer_tcp.add(server)
            self.sent += 1
            self._meta[id(msg)] = (True, 0, 2)
            return await self._tcp(server, msg)
        self._meta[id(msg)] = (False, protocol.size, 1)
        log.debug("DNS response: %s from %s", describe(result), server)
        return result

    async def _tcp(self, server: Server, msg: Message) -> Message:
        self.tcp_sent += 1
        idle = self._idle.get(server)
        if idle:
            reader, writer = idle.pop()
            try:
                return await self._tcp_exchange(server, msg, reader, writer)
            except (OSError, asyncio.IncompleteReadError):
                writer.close()
                log.debug("TCP connection to %s was closed; reconnecting", server)
        try:
            reader, writer = await asyncio.open_connection(server.host, server.port)
        except OSError as exc:
            raise _os_error(server, exc) from None
        try:
            return await self._tcp_exchange(server, msg, reader, writer)
        except asyncio.IncompleteReadError:
            writer.close()
            raise TransportError(str(server), "connection closed before a full answer") from None
        except OSError as exc:
            writer.close()
            raise _os_error(server, exc) from None

    async def _tcp_exchange(
        self,
        server: Server,
        msg: Message,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> Message:
        writer.write(frame(msg.to_wire()))
        await writer.drain()
        while True:
            (length,) = struct.unpack("!H", await reader.readexactly(2))
            data = await reader.readexactly(length)
            check = check_response(msg, data, server, None, tcp=True)
            if check.disposition is Disposition.ACCEPT:
                assert check.message is not None
                self._idle.setdefault(server, []).append((reader, writer))
                tcp, _size, sent = self._meta.get(id(msg), (True, 0, 1))
                self._meta[id(msg)] = (tcp, length, sent)
                log.debug("DNS response: %s from %s (TCP)", describe(check.message), server)
                return check.message
            log.debug("ignored a TCP message from %s: %s", server, check.why)


async def query(server: Server, msg: Message, timeout: float, tcp: bool = False) -> Message:
    """One query over UDP (TCP if truncated, or with ``tcp=True``)."""
    async with AsyncTransport() as transport:
        return await transport.query(server, msg, timeout, tcp)


async def query_many(
    items: Sequence[tuple[Server, Message]], timeout: float, *, tcp: bool = False
) -> list[Reply]:
    """Several queries in parallel; each result is a Message or a TransportError."""
    async with AsyncTransport() as transport:
        return await transport.query_many(items, timeout, tcp=tcp)
