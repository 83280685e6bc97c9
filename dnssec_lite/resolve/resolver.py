"""The public resolvers: :class:`Resolver` (synchronous) and
:class:`AsyncResolver` (asyncio), with the same constructor and the same
``resolve(name, rrtype) -> Answer``.

Both drive the same sans-I/O validator through the same stub-mode lookup
generator (:func:`dnssec_lite.resolve.stub.resolve_steps`); only the transport
differs.  They keep three caches: validated answers (:class:`AnswerCache`),
validated keys (the validator's :class:`KeyCache`), so that a second lookup in
an already validated zone costs one query, and (unless
``aggressive_nsec=False``) the validated NSEC/NSEC3 records and wildcards of
SECURE answers (:class:`~dnssec_lite.dnssec.aggressive.AggressiveCache`,
RFC 8198), from which a denial or a wildcard answer is synthesized and
validated again without a query.

``mode="iterative"`` resolves from the root hints instead of asking a
recursive upstream, with :class:`~dnssec_lite.resolve.iterative.IterativeEngine`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

from ..anchors.formats import ROOT_HINTS_FILE, default_anchors, read_package_file
from ..dnssec.aggressive import AggressiveCache
from ..dnssec.algorithms import DEFAULT_POLICY, AlgorithmPolicy
from ..dnssec.chain import FetchFailed, KeyCache, Validator
from ..dnssec.limits import DEFAULT_LIMITS, Limits
from ..dnssec.status import Answer, Status
from ..dnssec.trust import TrustAnchors
from ..errors import ConfigError, TextFormatError, TransportError
from ..wire.message import Message, Question
from ..wire.name import Name
from ..wire.rdata.address import AAAA, A
from ..wire.types import RRClass, RRType
from ..wire.zonefile import parse_zone
from .cache import AnswerCache
from .exchange import Server, build_query
from .fetcher import AsyncFetcher, Batch, Fetcher, Reply, adrive, drive
from .resolution import ExchangeRecord, Resolution, Transcript, record
from .stripping import all_strip, fresh_validator, probe_problem, suspicious
from .stub import StubResult, resolve_steps
from .transport import Transport
from .upstreams import DEFAULT_ATTEMPTS, DEFAULT_TIMEOUT, Upstreams

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
    ) -> None:
        if mode not in ("stub", "iterative"):
            raise ValueError(f"mode must be 'stub' or 'iterative', not {mode!r}")
        if qname_minimisation and mode != "iterative":
            raise ValueError("qname_minimisation applies to mode='iterative' only")
        self.mode = mode
        #: Makes every exchange (None: a fresh UDP/TCP transport per lookup).
        self.fetcher: F | None = fetcher
        self.qname_minimisation = qname_minimisation
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
        self.aggressive: AggressiveCache | None = (
            AggressiveCache(cache_size, limits=limits, negative_anchors=self.anchors.negative)
            if aggressive_nsec
            else None
        )
        self.clock = clock if clock is not None else time.time
        self._demoted: dict[Server, float] = {}
        self._questions: dict[tuple[Name | str, int | str], Question] = {}
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

    def _stub_steps(
        self, question: Question, now: int
    ) -> Generator[Batch, list[Reply], StubResult]:
        assert self.upstreams is not None
        return resolve_steps(question, self.validator, self.upstreams, now, order=self._order())

    def _question(self, name: Name | str, rrtype: int | str) -> Question:
        """The question for the arguments, parsed once per distinct pair (the
        parse of a name is most of the cost of a cache hit)."""
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
            log.debug(
                "aggressive cache: %s not used (%s)",
                question.to_text(),
                "keys not cached" if answer is None else answer.summary(),
            )
            return None
        answer = _with(answer, Resolution(self.mode, cache="aggressive", chain=answer.chain))
        if log.isEnabledFor(logging.DEBUG):
            log.debug("aggressive cache hit %s: %s", question.to_text(), answer.rcode_text)
        return self._after(answer, now)


class _IterTransport:
    """The iterative engine's transport over our sync :class:`Transport`,
    noting every exchange in the shared :class:`_IterTrace`.

    One instance per thread: the fetches of a validation round run in
    parallel threads, each with its own :class:`Transport`.
    """

    def __init__(self, timeout: float, attempts: int, trace: _IterTrace) -> None:
        self.transport = Transport()
        self.timeout = timeout
        self.attempts = attempts
        self.trace = trace

    def close(self) -> None:
        self.transport.close()

    def query(self, server: tuple[str, int], message: Message, *, tcp: bool = False) -> Message:
        last: TransportError | None = None
        target = Server(server[0], server[1])
        if target in self.trace.dead:
            raise TransportError(str(target), "not asked: it failed earlier in this resolution")
        for attempt in range(self.attempts):
            start = time.monotonic()
            result = self.transport.query_many(
                [(target, message)], self.timeout * (attempt + 1), tcp=tcp
            )[0]
            used_tcp, size, sent = self.transport.last_meta[0]
            self.trace.note(
                record(
                    target,
                    message,
                    result,
                    tcp=used_tcp,
                    size=size,
                    seconds=time.monotonic() - start,
                    sent=sent,
                )
            )
            if isinstance(result, Message):
                return result
            last = result
            if not isinstance(result, TimeoutError):
                break
        assert last is not None
        self.trace.dead.add(target)
        raise last


class _IterTrace:
    """What the threads of one iterative resolution share: the exchanges
    made, and the servers that failed every attempt (not asked again in the
    same resolution, as a recursive server's infrastructure cache would do)."""

    def __init__(self) -> None:
        self.records: list[ExchangeRecord] = []
        self.dead: set[Server] = set()
        self._lock = threading.Lock()

    def note(self, rec: ExchangeRecord) -> None:
        with self._lock:
            self.records.append(rec)


#: Threads of one round of iterative fetches (DS/DNSKEY of the zones on the way).
MAX_PARALLEL_FETCHES = 8


class _Iterated:
    """An iterative answer and how it was obtained."""

    def __init__(self, answer: Answer, records: list[ExchangeRecord], restarts: int) -> None:
        self.answer = answer
        self.records = records
        self.restarts = restarts


def _iterative_once(
    base: _Base[F], question: Question, now: int, roots: Sequence[Server], validator: Validator
) -> _Iterated:
    """Iterative mode: the engine answers each fetch like a recursive server.

    The validator's fetches of one round are independent, so they run in
    parallel threads over one shared engine (each thread with its own
    transport).  The engine keeps its delegation caches in plain dicts and
    lists (safe to share under the GIL), but its guard against loops while
    resolving the address of a glueless name server is per engine, so a
    fetch can fail spuriously when another thread is resolving the same
    name server: every fetch that failed in parallel is asked again alone,
    after the round, before the validator sees the failure.
    """
    from .iterative import IterativeEngine, validate_with_restarts

    trace = _IterTrace()
    local = threading.local()
    transports: list[_IterTransport] = []
    transports_lock = threading.Lock()
    restarts = 0

    def transport() -> _IterTransport:
        mine = getattr(local, "transport", None)
        if mine is None:
            mine = _IterTransport(base.timeout, base.attempts, trace)
            local.transport = mine
            with transports_lock:
                transports.append(mine)
        assert isinstance(mine, _IterTransport)
        return mine

    class _PerThread:
        def query(self, server: tuple[str, int], message: Message, *, tcp: bool = False) -> Message:
            return transport().query(server, message, tcp=tcp)

    engine = IterativeEngine(
        _PerThread(),
        [s.address for s in roots],
        signed_zones=list(base.anchors.anchors),
        qname_minimisation=base.qname_minimisation,
    )
    try:
        with ThreadPoolExecutor(MAX_PARALLEL_FETCHES, "dnssec-lite-iter") as pool:
            response: Message | FetchFailed = engine.lookup(question.name, question.rrtype)
            job = validator.start(question, response, now)
            while job.answer is None:
                pending = job.pending()
                if not pending:  # pragma: no cover - the validator always asks or answers
                    break
                if len(pending) == 1:
                    results = [engine.lookup(pending[0].name, pending[0].rrtype)]
                else:
                    results = list(pool.map(lambda f: engine.lookup(f.name, f.rrtype), pending))
                for i, (fetch, result) in enumerate(zip(pending, results, strict=True)):
                    if isinstance(result, FetchFailed) and len(pending) > 1:
                        log.debug("retrying %s %s alone", fetch.name, RRType.to_text(fetch.rrtype))
                        results[i] = engine.lookup(fetch.name, fetch.rrtype)
                for fetch, result in zip(pending, results, strict=True):
                    job.feed(fetch, result)
            if job.answer is not None and job.answer.status is Status.BOGUS:
                # Unbound's server blacklist: validate again without the
                # servers whose responses held the failing record.
                # A fresh key cache: the first run cached the bogus entry.
                retried = validate_with_restarts(fresh_validator(validator), question, now, engine)
                if retried.status is not Status.BOGUS:
                    log.info(
                        "%s: bogus data from some servers; validated through others",
                        question.to_text(),
                    )
                    job.answer = retried
                    restarts = 1
    finally:
        for t in transports:
            t.close()
    assert job.answer is not None
    return _Iterated(job.answer, list(trace.records), restarts)


def _iterative(base: _Base[F], question: Question, now: int) -> Answer:
    """Iterative mode, with the stub mode's answer to stripping at the root.

    If the answer is BOGUS for missing signatures, keys or NSECs, every root
    server of the hints is asked for the DNSKEY set of the root trust anchor
    (always signed).  Servers that return it unsigned strip DNSSEC: the
    lookup is done again without them (and with a fresh key cache).  If every
    root server strips, the answer is INDETERMINATE and says so.  (Stripping
    further down, at a TLD server for example, is the engine's business: it
    treats a signed zone's answers without RRSIGs as DNSSEC-lame.)
    """
    roots = list(base.root_servers)
    first = _iterative_once(base, question, now, roots, base.validator)
    answer = first.answer

    def done(answer: Answer, records: list[ExchangeRecord], **kw: object) -> Answer:
        failed = Resolution.servers([r.server for r in records if r.rcode is None])
        res = Resolution(
            "iterative",
            upstreams=tuple(roots),
            exchanges=tuple(records),
            failed=failed,
            chain=answer.chain,
            **kw,  # type: ignore[arg-type]
        )
        return _with(answer, res)

    anchor = base.anchors.closest(question.name)
    if not suspicious(answer) or anchor is None or not anchor.zone.is_root():
        return done(answer, first.records, restarts=first.restarts)
    records = list(first.records)
    stripping: dict[Server, str] = {}
    with Transport() as transport:
        for server in roots:
            query = build_query(anchor.zone, RRType.DNSKEY, rd=False)
            start = time.monotonic()
            reply = transport.query_many([(server, query)], base.timeout)[0]
            tcp, size, sent = transport.last_meta[0]
            records.append(
                record(
                    server,
                    query,
                    reply,
                    tcp=tcp,
                    size=size,
                    seconds=time.monotonic() - start,
                    sent=sent,
                )
            )
            if isinstance(reply, TransportError):
                continue
            problem = probe_problem(query, reply, anchor.zone)
            if problem is not None:
                stripping[server] = problem
    if not stripping:
        return done(answer, records, restarts=first.restarts)  # genuinely bogus
    assert answer.reason is not None
    log.info("root servers %s strip DNSSEC; resolving without them", list(map(str, stripping)))
    why_stripping = {s: f"{why}; {answer.reason.text}" for s, why in stripping.items()}
    good = [s for s in roots if s not in stripping]
    if not good:
        stripped = all_strip(answer, roots, why_stripping, "root server")
        return done(stripped, records, stripping=why_stripping)
    retry = _iterative_once(base, question, now, good, fresh_validator(base.validator))
    return done(
        retry.answer, records + retry.records, stripping=why_stripping, restarts=retry.restarts
    )


def _with(answer: Answer, res: Resolution) -> Answer:
    """The answer as the resolver returns it: with its :class:`Resolution`,
    ``queries`` read from it, and the legacy ``extra`` keys filled from it."""
    extra = dict(answer.extra)
    if res.cache is not None:
        extra["cached"] = True
        if res.cache == "aggressive":
            extra["aggressive"] = True
    else:
        extra["server"] = str(res.server) if res.server is not None else None
        extra["trace"] = res.trace()
        extra["failed"] = sorted(str(s) for s in res.failed)
        extra["tcp"] = res.tcp
        if res.stripping:
            extra["stripping"] = {str(s): why for s, why in res.stripping.items()}
        if res.mode == "iterative":
            extra["mode"] = "iterative"
        if res.restarts:
            extra["restarted"] = True
    return dataclasses.replace(answer, queries=res.queries, extra=extra, resolution=res)


def _stub_answer(result: StubResult, transcript: Transcript) -> Answer:
    records = transcript.exchanges
    failed = Resolution.servers([r.server for r in records if r.rcode is None])
    res = Resolution(
        "stub",
        upstreams=result.order,
        server=result.server,
        exchanges=tuple(records),
        stripping=dict(result.lookup.stripping),
        failed=failed,
        chain=result.answer.chain,
    )
    return _with(result.answer, res)


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
        hit = self._cached(question, now)
        if hit is not None:
            return hit
        if self.mode == "iterative":
            return self._after(_iterative(self, question, now), now)
        transcript = Transcript()
        steps = self._stub_steps(question, now)
        if self.fetcher is not None:
            result = drive(steps, self.fetcher, transcript)
        else:
            with Transport() as transport:
                result = drive(steps, transport, transcript)
        return self._after(_stub_answer(result, transcript), now)


class AsyncResolver(_Base[AsyncFetcher]):
    """The asyncio twin of :class:`Resolver`: ``await resolve(name, rrtype)``;
    ``fetcher`` is an :class:`~dnssec_lite.resolve.fetcher.AsyncFetcher`."""

    async def resolve(self, name: Name | str, rrtype: int | str = "A") -> Answer:
        question = self._question(name, rrtype)
        now = self.now()
        hit = self._cached(question, now)
        if hit is not None:
            return hit
        if self.mode == "iterative":
            answer = await asyncio.to_thread(_iterative, self, question, now)
            return self._after(answer, now)
        from .aio import AsyncTransport

        transcript = Transcript()
        steps = self._stub_steps(question, now)
        if self.fetcher is not None:
            result = await adrive(steps, self.fetcher, transcript)
        else:
            async with AsyncTransport() as transport:
                result = await adrive(steps, transport, transcript)
        return self._after(_stub_answer(result, transcript), now)
