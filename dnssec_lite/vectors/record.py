"""Recording: a fetcher that wraps another and keeps every exchange, and
the assembly of a :class:`~dnssec_lite.vectors.format.Vector` from a live
resolution.

The recorder sees the messages the inner fetcher accepted (a transport has
already checked ID, source and question), so a response is stored as that
message encoded again: the same records, possibly compressed differently
from the datagram that arrived.
"""

from __future__ import annotations

import platform
import struct
from collections.abc import Mapping, Sequence
from typing import Any

from .. import __version__
from ..dnssec.status import Answer
from ..dnssec.trust import TrustAnchors
from ..errors import TransportError
from ..resolve.exchange import Server
from ..resolve.fetcher import Batch, Fetcher, Reply, monotonic
from ..resolve.resolver import Resolver
from ..wire.message import Message
from ..wire.types import RRClass, RRType
from .format import Exchange, Expected, Vector, iso_time

__all__ = ["Recorder", "anchor_lines", "expected_of", "record_resolution"]

_ID = struct.Struct("!H")


class Recorder:
    """A :class:`~dnssec_lite.resolve.fetcher.Fetcher` that passes every
    batch to ``inner`` and keeps each exchange as an :class:`Exchange`."""

    def __init__(self, inner: Fetcher) -> None:
        self.inner = inner
        self.exchanges: list[Exchange] = []
        self.last_meta: list[tuple[bool, int, int]] = []

    def exchange(self, batch: Batch) -> list[Reply]:
        start = monotonic()
        replies = self.inner.exchange(batch)
        seconds = monotonic() - start
        meta = getattr(self.inner, "last_meta", None)
        if not isinstance(meta, list) or len(meta) != len(replies):
            meta = [(batch.tcp, 0, 1)] * len(replies)
        self.last_meta = list(meta)
        for (server, query), reply, (tcp, _size, _sent) in zip(
            batch.items, replies, meta, strict=True
        ):
            if isinstance(reply, TransportError):
                response, error = None, reply.what
            else:
                response, error = _as_reply_to(query, reply.to_wire()), None
            self.exchanges.append(
                Exchange(server, query.question[0], query.to_wire(), response, error, tcp, seconds)
            )
        return replies


def _as_reply_to(query: Message, wire: bytes) -> bytes:
    """The reply with its query's ID: the fetcher handed it over as the
    answer to that query (a transport has checked the ID already; test
    doubles answer with a fixed one)."""
    return _ID.pack(query.id) + wire[2:]


def anchor_lines(anchors: TrustAnchors) -> list[str]:
    """The trust anchors as zone-file lines (DS first, then DNSKEY, per zone)."""
    lines: list[str] = []
    for zone in sorted(anchors.anchors, key=lambda z: z.to_text()):
        anchor = anchors.anchors[zone]
        owner = zone.to_text()
        lines += [f"{owner} IN DS {ds.to_text()}" for ds in anchor.ds]
        lines += [f"{owner} IN DNSKEY {key.to_text()}" for key in anchor.dnskeys]
    return lines


def expected_of(answer: Answer) -> Expected:
    """What a replay must conclude again: the answer's status, rcode, reason
    and answer records (zone-file lines, sorted)."""
    reason = answer.reason
    records = sorted(rr.to_text() for rrset in answer.rrsets for rr in rrset.rrs())
    return Expected(
        status=answer.status.value,
        rcode=answer.rcode_text,
        ede=None if reason is None else reason.ede,
        text=None if reason is None else reason.text,
        records=tuple(records),
    )


def record_resolution(
    resolver: Resolver,
    name: str,
    rrtype: str,
    inner: Fetcher,
    *,
    command: Sequence[str] = (),
    description: str = "",
    now: int | None = None,
) -> tuple[Answer, Vector]:
    """Resolve ``name``/``rrtype`` with ``resolver`` through a recorder around
    ``inner``; the answer and the vector that replays it.

    The resolver's own fetcher and clock are replaced for this lookup
    (``now`` fixes the validation time; default: the resolver's clock).
    """
    recorder = Recorder(inner)
    when = resolver.now() if now is None else now
    resolver.fetcher = recorder
    resolver.clock = lambda: float(when)
    answer = resolver.resolve(name, rrtype)
    options: Mapping[str, Any] = {
        "timeout": resolver.timeout,
        "attempts": resolver.attempts,
        "qname_minimisation": resolver.qname_minimisation,
        "aggressive_nsec": resolver.aggressive is not None,
    }
    upstreams: tuple[Server, ...] = ()
    if resolver.upstreams is not None:
        upstreams = tuple(resolver.upstreams.servers)
    q = answer.question
    provenance = {
        "recorded": iso_time(when),
        "by": f"dnssec-lite {__version__}",
        "command": " ".join(command),
        "python": platform.python_version(),
        "platform": platform.system(),
    }
    vector = Vector(
        question=q,
        mode=resolver.mode,
        time=when,
        anchors=tuple(anchor_lines(resolver.anchors)),
        negative_anchors=tuple(sorted(n.to_text() for n in resolver.anchors.negative)),
        exchanges=tuple(recorder.exchanges),
        expected=expected_of(answer),
        upstreams=upstreams,
        root_hints=tuple(resolver.root_servers),
        options=options,
        provenance=provenance,
        description=description
        or f"{q.name.to_text()} {RRClass.to_text(q.rrclass)} {RRType.to_text(q.rrtype)}",
    )
    return answer, vector
