"""Fetchers for the engine's synchronous :meth:`lookup`.

An object with the older one-query interface, ``query(server, message, *,
tcp=False) -> Message`` raising :class:`~dnssec_lite.errors.TransportError`
(a test double, a scripted scenario's transport), is adapted to the
:class:`~dnssec_lite.resolve.fetcher.Fetcher` interface: each exchange of a
batch is one call, in order.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ...errors import TransportError
from ...wire.message import Message
from ..exchange import Server
from ..fetcher import Batch, Fetcher, Reply

__all__ = ["QueryTransport", "QueryTransportFetcher", "as_fetcher"]


@runtime_checkable
class QueryTransport(Protocol):
    """Sends one query to one server and returns the response.

    Raises :class:`~dnssec_lite.errors.TransportError` (or its subclass
    :class:`~dnssec_lite.errors.QueryTimeout`) when there is no usable answer.
    """

    def query(self, server: Server, message: Message, *, tcp: bool = False) -> Message: ...


class QueryTransportFetcher:
    """A :class:`Fetcher` over a :class:`QueryTransport`."""

    def __init__(self, transport: QueryTransport) -> None:
        self.transport = transport

    def exchange(self, batch: Batch) -> list[Reply]:
        out: list[Reply] = []
        for server, message in batch.items:
            try:
                out.append(self.transport.query(server, message, tcp=batch.tcp))
            except TransportError as exc:
                out.append(exc)
        return out


def as_fetcher(obj: object | None) -> Fetcher | None:
    """``obj`` as a Fetcher: itself if it has ``exchange``, adapted if it has
    ``query``; None stays None."""
    if obj is None:
        return None
    if callable(getattr(obj, "exchange", None)):
        return obj  # type: ignore[return-value]
    if isinstance(obj, QueryTransport):
        return QueryTransportFetcher(obj)
    raise TypeError(f"{type(obj).__name__} is neither a Fetcher nor a query transport")
