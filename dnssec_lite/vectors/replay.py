"""Replaying a vector: a dict-backed fetcher answers the resolver from the
recorded exchanges, at the recorded time, and the answer is compared with
the recorded conclusion field by field.

Exchanges are matched by server and question, never by position, so a
vector still replays when a later version asks in another order, fewer
times or more often (a question asked again gets the next recorded reply
of that server, then the last one again).  A recorded reply goes through
the same acceptance checks as one off the network
(:func:`~dnssec_lite.resolve.exchange.check_response`): a reply whose ID
differs from its recorded query's (spoofed), that does not decode, or that
repeats another question is ignored, and the lookup times out as it would
live; a truncated UDP reply sends the resolver to the recorded TCP one.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..anchors.formats import parse_anchor_text
from ..dnssec.status import Answer
from ..dnssec.trust import TrustAnchors
from ..errors import DnssecLiteError, QueryTimeout, ReplayError, TransportError
from ..resolve.exchange import Disposition, Server, check_response
from ..resolve.fetcher import Batch, Reply
from ..resolve.resolver import Resolver
from ..wire.message import Message, Question
from ..wire.name import Name
from .format import Exchange, Expected, Vector, question_text
from .record import expected_of

__all__ = ["Replayer", "VectorResult", "compare", "replay_vector", "vector_anchors"]

_ID = struct.Struct("!H")


class Replayer:
    """A :class:`~dnssec_lite.resolve.fetcher.Fetcher` answering from recorded
    exchanges; ``missing`` lists the (server, question) pairs it could not
    answer, in the order asked."""

    def __init__(self, exchanges: Iterable[Exchange]) -> None:
        self._by_key: dict[tuple[Server, Question], dict[bool, list[Exchange]]] = {}
        for ex in exchanges:
            slot = self._by_key.setdefault((ex.server, ex.question), {False: [], True: []})
            slot[ex.tcp].append(ex)
        self._next: dict[tuple[Server, Question, bool], int] = {}
        self.missing: list[tuple[Server, Question]] = []
        self.last_meta: list[tuple[bool, int, int]] = []

    def exchange(self, batch: Batch) -> list[Reply]:
        replies: list[Reply] = []
        meta: list[tuple[bool, int, int]] = []
        for server, query in batch.items:
            reply, m = self._reply(server, query, batch.tcp)
            replies.append(reply)
            meta.append(m)
        self.last_meta = meta
        return replies

    def _take(self, server: Server, question: Question, tcp: bool) -> Exchange | None:
        slot = self._by_key.get((server, question))
        if slot is None or not slot[tcp]:
            return None
        key = (server, question, tcp)
        i = self._next.get(key, 0)
        self._next[key] = i + 1
        return slot[tcp][min(i, len(slot[tcp]) - 1)]

    def _reply(
        self, server: Server, query: Message, tcp: bool
    ) -> tuple[Reply, tuple[bool, int, int]]:
        question = query.question[0]
        if (server, question) not in self._by_key:
            self.missing.append((server, question))
            return QueryTimeout(str(server), "not recorded in the vector"), (tcp, 0, 1)
        ex = self._take(server, question, tcp)
        if ex is None:  # only the other transport was recorded: the transport switched
            tcp = not tcp
            ex = self._take(server, question, tcp)
        assert ex is not None
        reply, size = _replayed(ex, query, server)
        if reply is _TRUNCATED:
            tcp_ex = self._take(server, question, True)
            if tcp_ex is None:
                why = "truncated over UDP, and no TCP reply is recorded"
                return TransportError(str(server), why), (False, size, 1)
            reply, size = _replayed(tcp_ex, query, server)
            if reply is _TRUNCATED:  # pragma: no cover - check_response ignores TC over TCP
                reply = TransportError(str(server), "truncated over TCP")
            assert not isinstance(reply, _Truncated)
            return reply, (True, size, 2)
        assert not isinstance(reply, _Truncated)
        return reply, (ex.tcp, size, 1)


class _Truncated:
    """Marker: the recorded UDP reply is truncated (go to the TCP one)."""


_TRUNCATED = _Truncated()


def _replayed(ex: Exchange, query: Message, server: Server) -> tuple[Reply | _Truncated, int]:
    """The reply a transport would hand over for this recorded exchange."""
    if ex.response is None:
        what = ex.error or "no response"
        if "timed out" in what or "no answer" in what:
            return QueryTimeout(str(server), what), 0
        return TransportError(str(server), what), 0
    data = ex.response
    if len(data) >= 2 and len(ex.query) >= 2:
        # Keep the recorded reply's ID relative to its query's: a reply that
        # carried its query's ID gets this query's, a spoofed one stays off
        # by the same amount (so never matches by chance).
        offset = _ID.unpack_from(data)[0] - _ID.unpack_from(ex.query)[0]
        data = _ID.pack((query.id + offset) & 0xFFFF) + data[2:]
    check = check_response(query, data, server, tcp=ex.tcp)
    if check.disposition is Disposition.RETRY_TCP:
        return _TRUNCATED, len(data)
    if check.disposition is Disposition.IGNORE:
        return QueryTimeout(str(server), f"no acceptable reply (ignored: {check.why})"), 0
    assert check.message is not None
    return check.message, len(data)


def vector_anchors(vector: Vector, source: str = "<vector>") -> TrustAnchors:
    """The trust anchors recorded in the vector (none: an empty set)."""
    negative = [Name.from_text(n) for n in vector.negative_anchors]
    if not vector.anchors:
        return TrustAnchors(negative=frozenset(negative))
    anchors = parse_anchor_text("\n".join(vector.anchors) + "\n", f"{source}: anchors")
    return anchors.with_negative(negative)


@dataclass(frozen=True, slots=True)
class VectorResult:
    """The outcome of replaying one vector."""

    path: str
    answer: Answer | None
    mismatches: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    error: str | None = None
    steps: tuple[str, ...] = field(default=(), compare=False)

    @property
    def passed(self) -> bool:
        return self.error is None and not self.mismatches


def compare(expected: Expected, got: Expected) -> list[str]:
    """The differing fields, each as ``field: expected X, got Y``."""
    out: list[str] = []
    for name in ("status", "rcode", "ede"):
        want, have = getattr(expected, name), getattr(got, name)
        if want != have:
            out.append(f"{'reason.ede' if name == 'ede' else name}: expected {want}, got {have}")
    if sorted(expected.records) != sorted(got.records):
        gone = sorted(set(expected.records) - set(got.records))
        new = sorted(set(got.records) - set(expected.records))
        detail = "; ".join(
            [f"missing {r!r}" for r in gone[:2]] + [f"unexpected {r!r}" for r in new[:2]]
        )
        out.append(f"records: {detail or 'differ in count'}")
    return out


def replay_vector(
    vector: Vector,
    path: str = "<vector>",
    *,
    at: int | None = None,
    anchors: TrustAnchors | None = None,
) -> VectorResult:
    """Resolve the vector's question again from its exchanges and compare.

    ``at`` replaces the recorded validation time, ``anchors`` the recorded
    trust anchors (to ask what the answer would be with other keys).
    """
    replayer = Replayer(vector.exchanges)
    when = vector.time if at is None else at
    try:
        trusted = anchors if anchors is not None else vector_anchors(vector, path)
        resolver = _resolver(vector, trusted, replayer, when, path)
        answer = resolver.resolve(vector.question.name, vector.question.rrtype)
    except (DnssecLiteError, ValueError) as exc:
        return VectorResult(path, None, error=str(exc))
    missing = tuple(f"{question_text(q)} @{s}" for s, q in dict.fromkeys(replayer.missing))
    res = answer.resolution
    steps = tuple(res.trace()) if res is not None else ()
    steps += tuple(f"chain {link.to_text()}" for link in answer.chain)
    return VectorResult(
        path, answer, tuple(compare(vector.expected, expected_of(answer))), missing, steps=steps
    )


def _resolver(
    vector: Vector, anchors: TrustAnchors, fetcher: Replayer, when: int, path: str
) -> Resolver:
    opts = vector.options
    if vector.mode == "stub" and not vector.upstreams:
        raise ReplayError(path, None, "a stub-mode vector needs 'upstreams'")
    servers: Sequence[Server] | None = list(vector.upstreams) if vector.mode == "stub" else None
    return Resolver(
        servers=servers,
        anchors=anchors,
        mode=vector.mode,
        timeout=float(opts.get("timeout", 2.0)),
        attempts=int(opts.get("attempts", 2)),
        root_hints=list(vector.root_hints) if vector.mode == "iterative" else None,
        clock=lambda: float(when),
        qname_minimisation=bool(opts.get("qname_minimisation", False)),
        aggressive_nsec=bool(opts.get("aggressive_nsec", True)),
        fetcher=fetcher,
    )
