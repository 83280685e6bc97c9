"""The public resolvers: :class:`Resolver` (synchronous) and
:class:`AsyncResolver` (asyncio), with the same constructor and the same
``resolve(name, rrtype) -> Answer``.

Both run the same step generators (:func:`~dnssec_lite.resolve.stub.resolve_steps`
in stub mode, :func:`~dnssec_lite.resolve.iterative.mode.iterative_steps` in
iterative mode) through the one driver of :mod:`dnssec_lite.resolve.fetcher`,
over a fetcher (default: the UDP/TCP transport); the answer carries the
:class:`~dnssec_lite.resolve.resolution.Resolution` built here.  They keep
three caches: validated answers (:class:`AnswerCache`), validated keys (the
validator's :class:`KeyCache`), so that a second lookup in an already
validated zone costs one query, and (unless
``aggressive_nsec=False``) the validated NSEC/NSEC3 records and wildcards of
SECURE answers (:class:`~dnssec_lite.dnssec.aggressive.AggressiveCache`,
RFC 8198), from which a denial or a wildcard answer is synthesized and
validated again without a query.

``mode="iterative"`` resolves from the root hints instead of asking a
recursive upstream, with :class:`~dnssec_lite.resolve.iterative.IterativeEngine`.
The hit path of the answer cache formats nothing unless debug logging is on.

``anchor_store=`` (an :class:`~dnssec_lite.anchors.store.AnchorStore`) takes
the trust anchors from the store and keeps them up to date (RFC 5011) with
an :class:`~dnssec_lite.resolve.anchoring.AnchorKeeper`: when a trust point
is due (an integer comparison per lookup), its DNSKEY RRset is fetched
through the same fetcher as the lookup, applied to the store, and the
validator's anchors are swapped (the zone's cached keys dropped).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

from ..anchors.formats import ROOT_HINTS_FILE, default_anchors, read_package_file
from ..dnssec.aggressive import AggressiveCache
from ..dnssec.algorithms import DEFAULT_POLICY, AlgorithmPolicy
from ..dnssec.chain import FetchResult, KeyCache, Validator
from ..dnssec.dnamecache import DnameCache
from ..dnssec.limits import DEFAULT_LIMITS, Limits
from ..dnssec.status import Answer, Status
from ..dnssec.trust import TrustAnchors
from ..errors import ConfigError, TextFormatError
from ..wire.message import Message, Question
from ..wire.name import Name
from ..wire.rdata.address import AAAA, A
from ..wire.rrset import RRset
from ..wire.types import RRClass, RRType
from ..wire.zonefile import parse_zone
from . import dnames
from .cache import AnswerCache
from .exchange import Server
from .fetcher import AsyncFetcher, Batch, Fetcher, Reply, adrive, drive
from .iterative.engine import IterativeEngine
from .iterative.mode import IterativeOutcome, IterativeSettings, iterative_steps
from .iterative.parallel import gather
from .prefetch import DEFAULT_LABELS as DEFAULT_PREFETCH_LABELS
from .prefetch import MAX_LABELS as MAX_PREFETCH_LABELS
from .resolution import (
    Resolution,
    Transcript,
    iterative_answer,
    noted,
    stub_answer,
    with_resolution,
)
from .stub import Lookup, StubResult, fetch_steps, resolve_steps
from .transport import Transport
from .upstreams import DEFAULT_ATTEMPTS, DEFAULT_TIMEOUT, Upstreams

if TYPE_CHECKING:  # the store and its keeper load only for resolvers that use one
    from ..anchors.store import AnchorStore
    from .anchoring import AnchorKeeper, Refresh

log = logging.getLogger("dnssec_lite.resolve")

__all__ = ["AsyncResolver", "Resolver", "parse_root_hints"]

#: How long a server that failed (timeout, refused) is tried last (seconds).
DEMOTE_SECONDS = 30.0


def parse_root_hints(text: str, source: str = "<root hints>") -> list[Server]:
    """Addresses of the root servers from a hints file (``named.root`` format).

    Raises :class:`ConfigError` (naming ``source``, and the line for a
    malformed record) if the text holds no usable root server address.
    """
    servers: list[Server] = []
    try:
        rrs = parse_zone(text, source=source)
    except TextFormatError as exc:
        raise ConfigError(source, f"bad root hints line: {exc.what}", exc.line) from None
    for rr in rrs:
        if isinstance(rr.rdata, A | AAAA):
            servers.append(Server(rr.rdata.to_text()))
    if not servers:
        raise ConfigError(source, "no A or AAAA records of root servers")
    return servers


def _question(name: Name | str, rrtype: int | str) -> Question:
    qname = name if isinstance(name, Name) else Name.from_text(name)
    qtype = RRType.from_text(rrtype) if isinstance(rrtype, str) else int(rrtype)
    return Question(qname, qtype, RRClass.IN)


F = TypeVar("F", Fetcher, AsyncFetcher)
T = TypeVar("T")
#: Distinct (name, type) arguments whose parsed question is kept.
_QUESTION_MEMO = 4096


class _Base(Generic[F]):
    """Configuration and caches shared by both resolvers; ``F`` is the kind
    of fetcher the resolver drives (sync or async)."""

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
        qname_minimisation: bool = False,
        aggressive_nsec: bool = True,
        fetcher: F | None = None,
        anchor_store: AnchorStore | None = None,
        harden_algo_downgrade: bool = False,
        harden_dnssec_stripped: bool = True,
        prefetch_chain: int = DEFAULT_PREFETCH_LABELS,
    ) -> None:
        if mode not in ("stub", "iterative"):
            raise ValueError(f"mode must be 'stub' or 'iterative', not {mode!r}")
        if anchor_store is not None and anchors is not None:
            raise ValueError("give anchors or anchor_store, not both")
        if qname_minimisation and mode != "iterative":
            raise ValueError("qname_minimisation applies to mode='iterative' only")
        if not 0 <= prefetch_chain <= MAX_PREFETCH_LABELS:
            raise ValueError(f"prefetch_chain must be 0..{MAX_PREFETCH_LABELS} labels")
        self.mode = mode
        #: Stub mode: labels of speculative chain prefetch (0: off; see
        #: :mod:`dnssec_lite.resolve.prefetch`).
        self.prefetch_chain = prefetch_chain
        #: Makes every exchange (None: a fresh UDP/TCP transport per lookup).
        self.fetcher: F | None = fetcher
        self.qname_minimisation = qname_minimisation
        self.clock = clock if clock is not None else time.time
        #: Keeps the anchors in step with ``anchor_store`` (None: read-only anchors).
        self.anchor_keeper: AnchorKeeper | None = None
        #: When a trust point is next due (never, without a store).
        self._anchors_due = sys.maxsize
        self._refreshing = False
        if anchor_store is not None:
            from .anchoring import AnchorKeeper

            keeper = AnchorKeeper(anchor_store, self.now(), policy=policy, limits=limits)
            self.anchor_keeper = keeper
            self._anchors_due = keeper.refresh_at
            anchors = keeper.anchors
        self.anchors = anchors if anchors is not None else default_anchors()
        self.limits = limits
        self.policy = policy
        self.timeout = timeout
        self.attempts = attempts
        self.key_cache = KeyCache()
        self.validator = Validator(
            self.anchors,
            limits=limits,
            policy=policy,
            key_cache=self.key_cache,
            anchor_diagnosis=self.anchor_keeper.diagnosis if self.anchor_keeper else None,
            harden_algo_downgrade=harden_algo_downgrade,
            harden_dnssec_stripped=harden_dnssec_stripped,
        )
        self.cache = AnswerCache(cache_size, bogus_ttl=limits.bogus_ttl)
        #: Validated DNAMEs; names below them are answered by synthesis.
        self.dnames = DnameCache(cache_size)
        self._dname_depth = 0
        self.aggressive: AggressiveCache | None = (
            AggressiveCache(cache_size, limits=limits, negative_anchors=self.anchors.negative)
            if aggressive_nsec
            else None
        )
        self._demoted: dict[Server, float] = {}
        self._questions: dict[tuple[str, int | str], Question] = {}
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
            try:
                with open(hints, "rb") as f:
                    data = f.read()
            except OSError as exc:
                raise ConfigError(hints, f"cannot read root hints: {exc.strerror or exc}") from None
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = data[: exc.start].count(b"\n") + 1
                raise ConfigError(hints, "root hints file is not UTF-8 text", line) from None
            return parse_root_hints(text, hints)
        return [h if isinstance(h, Server) else parse_server(h) for h in hints]

    def now(self) -> int:
        return int(self.clock())

    # -- trust-anchor refresh (with an anchor store) -----------------------------------
    def _probe_fetch(self, name: Name, rrtype: int) -> Generator[Batch, list[Reply], FetchResult]:
        """One fetch the way this resolver fetches: stub failover over the
        upstreams, or the iterative engine from the root hints."""
        if self.mode == "iterative":
            engine = IterativeEngine(
                None,
                self.root_servers,
                signed_zones=list(self.anchors.anchors),
                attempts=self.attempts,
                query_timeout=self.timeout,
                skip_failed=True,
            )
            result, _sources = yield from engine.lookup_steps(name, rrtype)
            return result
        assert self.upstreams is not None
        [(fetched, _server)] = yield from fetch_steps(
            Lookup(self.upstreams), [(name, rrtype)], self._order()
        )
        return fetched

    def _refresh_steps(
        self, now: int, force: bool
    ) -> Generator[Batch, list[Reply], list[tuple[Name, RRset | None]]]:
        assert self.anchor_keeper is not None
        return self.anchor_keeper.refresh_steps(now, self._probe_fetch, force=force)

    def _adopt(self, refreshes: list[Refresh], reloaded: list[Name]) -> list[Refresh]:
        """Swap in the keeper's anchors after probes (or a re-read of the
        store) that changed them."""
        keeper = self.anchor_keeper
        assert keeper is not None
        zones = [*reloaded, *(done.zone for done in refreshes if done.changed)]
        for zone in dict.fromkeys(zones):
            self.anchors = keeper.anchors
            self.validator.anchors = self.anchors
            dropped = self.key_cache.forget(zone)
            self.cache.clear()
            log.info(
                "trust anchors of %s changed: %d cached key entries dropped",
                zone.to_text(),
                dropped,
            )
        self._anchors_due = keeper.refresh_at
        return refreshes

    def _apply_all(self, fetched: list[tuple[Name, RRset | None]], now: int) -> list[Refresh]:
        keeper = self.anchor_keeper
        assert keeper is not None
        return [keeper.apply(zone, rrset, now) for zone, rrset in fetched]

    def _order(self) -> list[Server]:
        """Upstreams by priority, those that failed recently last."""
        assert self.upstreams is not None
        mono = time.monotonic()
        good = [s for s in self.upstreams.servers if self._demoted.get(s, 0.0) <= mono]
        bad = [s for s in self.upstreams.servers if s not in good]
        return good + bad

    def _after(self, answer: Answer, now: int) -> Answer:
        res = answer.resolution
        if isinstance(res, Resolution) and res.mode == "stub" and res.failed:
            for server in res.failed:
                if server != res.server:
                    self._demoted[server] = time.monotonic() + DEMOTE_SECONDS
        self.cache.put(answer, now)
        if self.aggressive is not None:
            self.aggressive.add(answer, now)
        dnames.learn(self.dnames, answer, now)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "DNSSEC Response %s %s, %s, %d queries, ttl %d",
                answer.question.to_text(),
                answer.rcode_text,
                answer.status.value,
                answer.queries,
                answer.ttl,
            )
        return answer

    def _iterative_steps(
        self, question: Question, now: int
    ) -> Generator[Batch, list[Reply], IterativeOutcome]:
        settings = IterativeSettings(self.timeout, self.attempts, self.qname_minimisation)
        return iterative_steps(question, now, self.root_servers, self.validator, settings)

    def _stub_steps(
        self, question: Question, now: int
    ) -> Generator[Batch, list[Reply], StubResult]:
        assert self.upstreams is not None
        return resolve_steps(
            question,
            self.validator,
            self.upstreams,
            now,
            order=self._order(),
            prefetch=self.prefetch_chain,
        )

    def _lookup_steps(
        self, question: Question, now: int, transcript: Transcript
    ) -> Generator[Batch, list[Reply], Answer]:
        """The steps of one lookup not answered from a cache, in the
        resolver's mode, ending in the answer with its Resolution (built
        from ``transcript``); the caller hands it to :meth:`_after`."""
        if self.mode == "iterative":
            out = yield from self._iterative_steps(question, now)
            return iterative_answer(out, transcript)
        result = yield from self._stub_steps(question, now)
        return stub_answer(result, transcript)

    def _many_steps(
        self, asked: list[Question], now: int, notes: list[Transcript]
    ) -> Generator[Batch, list[Reply], list[Answer]]:
        """Several lookups side by side (one batch of exchanges per round
        for all of them), each noting its own exchanges."""
        steps = [
            noted(self._lookup_steps(q, now, note), note)
            for q, note in zip(asked, notes, strict=True)
        ]
        return (yield from gather(steps))

    def _question(self, name: Name | str, rrtype: int | str) -> Question:
        """The question for the arguments, parsed once per distinct pair (the
        parse of a name is most of the cost of a cache hit).  A ``Name`` is
        not kept: names compare case-insensitively, and the answer's question
        keeps the caller's spelling."""
        if isinstance(name, Name):
            return _question(name, rrtype)
        key = (name, rrtype)
        question = self._questions.get(key)
        if question is None:
            question = _question(name, rrtype)
            if len(self._questions) >= _QUESTION_MEMO:
                self._questions.clear()
            self._questions[key] = question
        return question

    def _cached(self, question: Question, now: int) -> Answer | None:
        debug = log.isEnabledFor(logging.DEBUG)
        if debug:
            log.debug(
                "DNS query: Q(%r, %r)", question.name.to_text(), RRType.to_text(question.rrtype)
            )
        hit = self.cache.get(question.name, question.rrtype, question.rrclass, now=now)
        if hit is not None:
            if debug:
                log.debug("DNS cache hit %s: %s", question.to_text(), hit.status.value)
            return hit
        return self._synthesized(question, now)

    def _dname_plan(self, question: Question, now: int) -> tuple[Message, Question | None] | None:
        """A cached DNAME's synthesis for ``question`` (None: none, or the
        chain of synthesised links is at its limit)."""
        if self._dname_depth >= self.limits.max_chain_links:
            return None
        return dnames.plan(self.dnames, question, now)

    def _dname_done(
        self, question: Question, synthesized: Message, target: Answer | None, now: int
    ) -> Answer | None:
        answer = dnames.combine(self.validator, question, synthesized, target, now)
        if answer is None:
            return None
        if log.isEnabledFor(logging.DEBUG):
            log.debug("DNAME cache: %s synthesised (%s)", question.to_text(), answer.summary())
        answer = with_resolution(answer, Resolution(self.mode, cache="dname", chain=answer.chain))
        return self._after(answer, now)

    def _synthesized(self, question: Question, now: int) -> Answer | None:
        """An answer synthesized from the aggressive cache and validated again
        (RFC 8198), or None: nothing to synthesize, the zone's keys are no
        longer in the key cache, or the result is not SECURE."""
        if self.aggressive is None:
            return None
        response = self.aggressive.synthesize(question, now)
        if response is None:
            return None
        if question.rrtype != RRType.CNAME and any(
            r.rrtype == RRType.CNAME for r in response.answer
        ):
            return None  # a wildcard CNAME: its target needs a lookup anyway
        job = self.validator.start(question, response, now)
        answer = job.answer
        if answer is None or answer.status is not Status.SECURE:
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "aggressive cache: %s not used (%s)",
                    question.to_text(),
                    "keys not cached" if answer is None else answer.summary(),
                )
            return None
        answer = with_resolution(
            answer, Resolution(self.mode, cache="aggressive", chain=answer.chain)
        )
        if log.isEnabledFor(logging.DEBUG):
            log.debug("aggressive cache hit %s: %s", question.to_text(), answer.rcode_text)
        return self._after(answer, now)


class Resolver(_Base[Fetcher]):
    """A DNSSEC-validating resolver (synchronous).

    ``fetcher`` makes every exchange of stub mode (default: a fresh
    :class:`~dnssec_lite.resolve.transport.Transport` per lookup); a
    recorder or a replayer is a fetcher (see docs/resolver.md).

    >>> r = Resolver(["127.0.0.1"])            # doctest: +SKIP
    >>> answer = r.resolve("ietf.org", "MX")   # doctest: +SKIP
    >>> answer.status, answer.reason           # doctest: +SKIP
    """

    def resolve(self, name: Name | str, rrtype: int | str = "A") -> Answer:
        """Resolve and validate ``name``/``rrtype``; the outcome is in the Answer
        (status, reason, chain).  Raises only for bad arguments."""
        question = self._question(name, rrtype)
        now = self.now()
        if now >= self._anchors_due:
            self.refresh_anchors(now)
        hit = self._cached(question, now)
        if hit is not None:
            return hit
        planned = self._dname_plan(question, now)
        if planned is not None:
            synthesized, target_q = planned
            target = None
            if target_q is not None:
                self._dname_depth += 1
                try:
                    target = self.resolve(target_q.name, target_q.rrtype)
                finally:
                    self._dname_depth -= 1
            done = self._dname_done(question, synthesized, target, now)
            if done is not None:
                return done
        transcript = Transcript()
        answer = self._drive(self._lookup_steps(question, now, transcript), transcript)
        return self._after(answer, now)

    def _drive(
        self, steps: Generator[Batch, list[Reply], T], transcript: Transcript | None = None
    ) -> T:
        """Run ``steps`` over the fetcher given, or else a fresh transport."""
        if self.fetcher is not None:
            return drive(steps, self.fetcher, transcript)
        with Transport() as transport:
            return drive(steps, transport, transcript)

    def refresh_anchors(self, now: int | None = None, *, force: bool = False) -> list[Refresh]:
        """Probe the due trust points of the anchor store now (``force``:
        all of them; a lookup does this by itself when one is due); what
        each probe did.  Never raises for a failed probe or an unwritable
        store (see :class:`~dnssec_lite.resolve.anchoring.Refresh`)."""
        if self.anchor_keeper is None:
            return []
        keeper = self.anchor_keeper
        at = self.now() if now is None else now
        if self._refreshing:
            return []
        self._refreshing = True
        try:
            reloaded = keeper.reload(at)
            fetched: list[tuple[Name, RRset | None]] = []
            if keeper.probeable() if force else keeper.due(at):
                fetched = self._drive(self._refresh_steps(at, force))
            return self._adopt(self._apply_all(fetched, at), reloaded)
        finally:
            self._refreshing = False

    def resolve_many(self, questions: Sequence[tuple[Name | str, int | str]]) -> list[Answer]:
        """Resolve several (name, type) questions at once, answers in order.

        The lookups not answered from the cache run side by side: each
        round's exchanges of all of them go out together (one ``selectors``
        loop, no threads), so independent lookups cost the round trips of
        the longest, not their sum.  Each answer's Resolution lists its own
        exchanges (without sizes: the batches are shared).
        """
        now = self.now()
        if now >= self._anchors_due:
            self.refresh_anchors(now)
        asked = [self._question(name, rrtype) for name, rrtype in questions]
        answers: list[Answer | None] = [self._cached(q, now) for q in asked]
        todo = [i for i, hit in enumerate(answers) if hit is None]
        if not todo:
            return [a for a in answers if a is not None]
        notes = [Transcript() for _ in todo]
        results = self._drive(self._many_steps([asked[i] for i in todo], now, notes))
        for i, answer in zip(todo, results, strict=True):
            answers[i] = self._after(answer, now)
        return [a for a in answers if a is not None]


class AsyncResolver(_Base[AsyncFetcher]):
    """The asyncio twin of :class:`Resolver`: ``await resolve(name, rrtype)``;
    ``fetcher`` is an :class:`~dnssec_lite.resolve.fetcher.AsyncFetcher`."""

    async def resolve(self, name: Name | str, rrtype: int | str = "A") -> Answer:
        question = self._question(name, rrtype)
        now = self.now()
        if now >= self._anchors_due:
            await self.refresh_anchors(now)
        hit = self._cached(question, now)
        if hit is not None:
            return hit
        planned = self._dname_plan(question, now)
        if planned is not None:
            synthesized, target_q = planned
            target = None
            if target_q is not None:
                self._dname_depth += 1
                try:
                    target = await self.resolve(target_q.name, target_q.rrtype)
                finally:
                    self._dname_depth -= 1
            done = self._dname_done(question, synthesized, target, now)
            if done is not None:
                return done
        transcript = Transcript()
        answer = await self._drive(self._lookup_steps(question, now, transcript), transcript)
        return self._after(answer, now)

    async def _drive(
        self, steps: Generator[Batch, list[Reply], T], transcript: Transcript | None = None
    ) -> T:
        """Run ``steps`` over the fetcher given, or else a fresh transport."""
        if self.fetcher is not None:
            return await adrive(steps, self.fetcher, transcript)
        from .aio import AsyncTransport

        async with AsyncTransport() as transport:
            return await adrive(steps, transport, transcript)

    async def refresh_anchors(
        self, now: int | None = None, *, force: bool = False
    ) -> list[Refresh]:
        """The asyncio form of :meth:`Resolver.refresh_anchors`; the store's
        locked write runs in a thread, off the event loop.  Lookups made
        while a refresh runs use the anchors in force."""
        keeper = self.anchor_keeper
        if keeper is None or self._refreshing:
            return []
        at = self.now() if now is None else now
        self._refreshing = True
        try:
            reloaded = await asyncio.to_thread(keeper.reload, at)
            fetched: list[tuple[Name, RRset | None]] = []
            if keeper.probeable() if force else keeper.due(at):
                fetched = await self._drive(self._refresh_steps(at, force))
            done = await asyncio.to_thread(self._apply_all, fetched, at)
            return self._adopt(done, reloaded)
        finally:
            self._refreshing = False
