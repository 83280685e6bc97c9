"""The public resolvers: :class:`Resolver` (synchronous) and
:class:`AsyncResolver` (asyncio), with the same constructor and the same
``resolve(name, rrtype) -> Answer``.

Both drive the same sans-I/O validator through the same stub-mode lookup
generator (:func:`dnssec_lite.resolve.stub.resolve_steps`); only the transport
differs.  They keep two caches: validated answers (:class:`AnswerCache`) and
validated keys (the validator's :class:`KeyCache`), so that a second lookup in
an already validated zone costs one query.

``mode="iterative"`` resolves from the root hints instead of asking a
recursive upstream, with :class:`~dnssec_lite.resolve.iterative.IterativeEngine`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Sequence

from ..anchors.formats import ROOT_HINTS_FILE, default_anchors, read_package_file
from ..dnssec.algorithms import DEFAULT_POLICY, AlgorithmPolicy
from ..dnssec.chain import FetchFailed, KeyCache, Validator
from ..dnssec.limits import DEFAULT_LIMITS, Limits
from ..dnssec.status import Answer
from ..dnssec.trust import TrustAnchors
from ..errors import TransportError
from ..wire.message import Message, Question
from ..wire.name import Name
from ..wire.rdata.address import AAAA, A
from ..wire.types import RRClass, RRType
from ..wire.zonefile import parse_zone
from .cache import AnswerCache
from .exchange import Server
from .stub import resolve_steps, run_sync
from .transport import Transport
from .upstreams import DEFAULT_ATTEMPTS, DEFAULT_TIMEOUT, Upstreams

log = logging.getLogger("dnssec_lite.resolve")

__all__ = ["AsyncResolver", "Resolver", "parse_root_hints"]

#: How long a server that failed (timeout, refused) is tried last (seconds).
DEMOTE_SECONDS = 30.0


def parse_root_hints(text: str, source: str = "<root hints>") -> list[Server]:
    """Addresses of the root servers from a hints file (``named.root`` format)."""
    servers: list[Server] = []
    for rr in parse_zone(text, source=source):
        if isinstance(rr.rdata, A | AAAA):
            servers.append(Server(rr.rdata.to_text()))
    if not servers:
        raise ValueError(f"{source}: no A or AAAA records of root servers")
    return servers


def _question(name: Name | str, rrtype: int | str) -> Question:
    qname = name if isinstance(name, Name) else Name.from_text(name)
    qtype = RRType.from_text(rrtype) if isinstance(rrtype, str) else int(rrtype)
    return Question(qname, qtype, RRClass.IN)


class _Base:
    """Configuration and caches shared by both resolvers."""

    def __init__(
        self,
        servers: Sequence[str | Server] | None = None,
        anchors: TrustAnchors | None = None,
        mode: str = "stub",
        timeout: float = DEFAULT_TIMEOUT,
        attempts: int = DEFAULT_ATTEMPTS,
        limits: Limits = DEFAULT_LIMITS,
        policy: AlgorithmPolicy = DEFAULT_POLICY,
        root_hints: str | Sequence[str | Server] | None = None,
        *,
        cache_size: int = 4096,
        clock: Callable[[], float] | None = None,
        resolv_conf: str | None = None,
    ) -> None:
        if mode not in ("stub", "iterative"):
            raise ValueError(f"mode must be 'stub' or 'iterative', not {mode!r}")
        self.mode = mode
        self.anchors = anchors if anchors is not None else default_anchors()
        self.limits = limits
        self.policy = policy
        self.timeout = timeout
        self.attempts = attempts
        self.key_cache = KeyCache()
        self.validator = Validator(
            self.anchors, limits=limits, policy=policy, key_cache=self.key_cache
        )
        self.cache = AnswerCache(cache_size, bogus_ttl=limits.bogus_ttl)
        self.clock = clock if clock is not None else time.time
        self._demoted: dict[Server, float] = {}
        self.upstreams: Upstreams | None = None
        self.root_servers: list[Server] = []
        if mode == "stub":
            kwargs = {} if resolv_conf is None else {"resolv_conf": resolv_conf}
            self.upstreams = Upstreams.from_specs(
                servers, timeout=timeout, attempts=attempts, **kwargs
            )
        else:
            self.root_servers = self._root_servers(root_hints)

    @staticmethod
    def _root_servers(hints: str | Sequence[str | Server] | None) -> list[Server]:
        from .upstreams import parse_server

        if hints is None:
            return parse_root_hints(read_package_file(ROOT_HINTS_FILE), ROOT_HINTS_FILE)
        if isinstance(hints, str):
            with open(hints, encoding="utf-8") as f:
                return parse_root_hints(f.read(), hints)
        return [h if isinstance(h, Server) else parse_server(h) for h in hints]

    def now(self) -> int:
        return int(self.clock())

    def _order(self) -> list[Server]:
        """Upstreams by priority, those that failed recently last."""
        assert self.upstreams is not None
        mono = time.monotonic()
        good = [s for s in self.upstreams.servers if self._demoted.get(s, 0.0) <= mono]
        bad = [s for s in self.upstreams.servers if s not in good]
        return good + bad

    def _after(self, answer: Answer, now: int) -> Answer:
        failed = answer.extra.get("failed")
        if isinstance(failed, list):
            by_name = {str(s): s for s in (self.upstreams.servers if self.upstreams else ())}
            for text in failed:
                server = by_name.get(str(text))
                if server is not None and str(server) != answer.extra.get("server"):
                    self._demoted[server] = time.monotonic() + DEMOTE_SECONDS
        self.cache.put(answer, now)
        log.debug(
            "DNSSEC Response %s %s, %s, %d queries, ttl %d",
            answer.question.to_text(),
            answer.rcode_text,
            answer.status.value,
            answer.queries,
            answer.ttl,
        )
        return answer

    def _cached(self, question: Question, now: int) -> Answer | None:
        log.debug("DNS query: Q(%r, %r)", question.name.to_text(), RRType.to_text(question.rrtype))
        hit = self.cache.get(question.name, question.rrtype, question.rrclass, now=now)
        if hit is not None:
            log.debug("DNS cache hit %s: %s", question.to_text(), hit.status.value)
        return hit


class _IterTransport:
    """The iterative engine's transport over our sync :class:`Transport`."""

    def __init__(self, transport: Transport, timeout: float, attempts: int) -> None:
        self.transport = transport
        self.timeout = timeout
        self.attempts = attempts

    def query(self, server: tuple[str, int], message: Message, *, tcp: bool = False) -> Message:
        last: TransportError | None = None
        for attempt in range(self.attempts):
            try:
                return self.transport.query(
                    Server(server[0], server[1]), message, self.timeout * (attempt + 1), tcp
                )
            except TransportError as exc:
                last = exc
                if not isinstance(exc, TimeoutError):
                    break
        assert last is not None
        raise last


def _iterative(base: _Base, question: Question, now: int) -> Answer:
    """Iterative mode: the engine answers each fetch like a recursive server."""
    from .iterative import IterativeEngine

    with Transport() as transport:
        engine = IterativeEngine(
            _IterTransport(transport, base.timeout, base.attempts),
            [s.address for s in base.root_servers],
        )
        response: Message | FetchFailed = engine.lookup(question.name, question.rrtype)
        job = base.validator.start(question, response, now)
        while job.answer is None:
            pending = job.pending()
            if not pending:  # pragma: no cover
                break
            for fetch in pending:
                job.feed(fetch, engine.lookup(fetch.name, fetch.rrtype))
        assert job.answer is not None
        return dataclasses.replace(job.answer, queries=transport.sent)


class Resolver(_Base):
    """A DNSSEC-validating resolver (synchronous).

    >>> r = Resolver(["127.0.0.1"])            # doctest: +SKIP
    >>> answer = r.resolve("ietf.org", "MX")   # doctest: +SKIP
    >>> answer.status, answer.reason           # doctest: +SKIP
    """

    def resolve(self, name: Name | str, rrtype: int | str = "A") -> Answer:
        """Resolve and validate ``name``/``rrtype``; the outcome is in the Answer
        (status, reason, chain).  Raises only for bad arguments."""
        question = _question(name, rrtype)
        now = self.now()
        hit = self._cached(question, now)
        if hit is not None:
            return hit
        if self.mode == "iterative":
            return self._after(_iterative(self, question, now), now)
        assert self.upstreams is not None
        with Transport() as transport:
            steps = resolve_steps(
                question, self.validator, self.upstreams, now, order=self._order()
            )
            answer = run_sync(steps, transport.query_many)
        return self._after(answer, now)


class AsyncResolver(_Base):
    """The asyncio twin of :class:`Resolver`: ``await resolve(name, rrtype)``."""

    async def resolve(self, name: Name | str, rrtype: int | str = "A") -> Answer:
        question = _question(name, rrtype)
        now = self.now()
        hit = self._cached(question, now)
        if hit is not None:
            return hit
        if self.mode == "iterative":
            answer = await asyncio.to_thread(_iterative, self, question, now)
            return self._after(answer, now)
        from .aio import AsyncTransport, run_async

        assert self.upstreams is not None
        async with AsyncTransport() as transport:
            steps = resolve_steps(
                question, self.validator, self.upstreams, now, order=self._order()
            )
            answer = await run_async(steps, transport)
        return self._after(answer, now)
