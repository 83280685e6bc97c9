"""The stub-mode driver of the validator, written once for sync and async.

:func:`resolve_steps` is a generator: it yields a :class:`Batch` (queries to
send in parallel and how long to wait) and is sent back the results (each a
:class:`~dnssec_lite.wire.message.Message` or a
:class:`~dnssec_lite.errors.TransportError`), until it returns the
:class:`~dnssec_lite.dnssec.status.Answer`.  :func:`run_sync` runs it over a
:class:`~dnssec_lite.resolve.transport.Transport` (one ``selectors`` loop, no
threads); :mod:`dnssec_lite.resolve.aio` runs it over asyncio.

What happens in one lookup:

1. The question goes to the first upstream (RD=1 CD=1, EDNS0 DO=1).  On a
   timeout, SERVFAIL, REFUSED, FORMERR, NOTIMP, a malformed answer or a reply
   without DO echoed, the next upstream is tried; after a round over all of
   them, the next attempt waits twice as long.
2. The validator's fetches (DS and DNSKEY sets) go out in parallel, each
   round as one batch, first to the upstream that answered the question.
3. If the answer is BOGUS because signatures, keys or NSEC records are
   missing (EDE 9, 10, 12), the upstream is probed: it is asked for the
   DNSKEY set of the trust-anchor zone, which is always signed.  An upstream
   that returns it without RRSIGs (or drops DO) strips DNSSEC: it is skipped
   for this lookup and the lookup starts again with the next upstream and a
   fresh key cache (so that keys judged BOGUS through the stripping upstream
   are not reused).  If every upstream strips, the answer is INDETERMINATE
   and its reason says so: ``every upstream (...) strips DNSSEC records: ...``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

from ..dnssec.chain import Fetch, FetchFailed, KeyCache, Validator
from ..dnssec.status import Answer, Reason, Status
from ..errors import TransportError
from ..wire.message import Message, Question
from ..wire.name import Name
from ..wire.types import EDE, Rcode, RRType
from .exchange import Server, attempt_timeout, build_query, stripping_problem, upstream_problem
from .upstreams import Upstreams

log = logging.getLogger("dnssec_lite.resolve")

__all__ = [
    "STRIPPING_EDE",
    "Batch",
    "Lookup",
    "Results",
    "Steps",
    "probe_problem",
    "resolve_steps",
    "run_sync",
    "suspicious",
    "trace_line",
]

#: EDE codes of a BOGUS answer that may come from an upstream stripping DNSSEC.
STRIPPING_EDE = frozenset({EDE.DNSKEY_MISSING, EDE.RRSIGS_MISSING, EDE.NSEC_MISSING})


@dataclass(frozen=True, slots=True)
class Batch:
    """Queries to send at once, and the time to wait for their answers."""

    items: list[tuple[Server, Message]]
    timeout: float


Results = list[Message | TransportError]
Steps = Generator[Batch, Results, Answer]


@dataclass
class Lookup:
    """The bookkeeping of one lookup: queries sent, upstreams found
    stripping DNSSEC, the trace of every query (for ``--trace``)."""

    upstreams: Upstreams
    queries: int = 0
    stripping: dict[Server, str] = field(default_factory=dict)
    failed: set[Server] = field(default_factory=set)
    trace: list[str] = field(default_factory=list)

    def note(self, server: Server, query: Message, reply: Message | TransportError) -> None:
        self.trace.append(trace_line(server, query, reply))


def trace_line(server: Server, query: Message, reply: Message | TransportError) -> str:
    """One line of ``Answer.extra["trace"]``: the question, the server, and
    what came back (rcode and counts, or why nothing usable did)."""
    q = query.question[0]
    asked = f"{q.name.to_text()} {RRType.to_text(q.rrtype)}"
    if isinstance(reply, TransportError):
        return f"{asked} @{server}: {reply.what}"
    records = sum(len(r) for r in reply.answer)
    sigs = sum(len(r.sigs) for r in reply.answer)
    return (
        f"{asked} @{server}: {Rcode.to_text(reply.rcode)}, {records} records, "
        f"{sigs} RRSIGs, {sum(len(r) for r in reply.authority)} authority"
    )


def _fetch(
    lookup: Lookup,
    keys: Sequence[tuple[Name, int]],
    servers: Sequence[Server],
) -> Generator[Batch, Results, list[tuple[Message | FetchFailed, Server | None]]]:
    """Ask for every (name, type) in parallel, failing over per question."""
    up = lookup.upstreams
    results: list[tuple[Message | FetchFailed, Server | None] | None] = [None] * len(keys)
    why: list[list[str]] = [[] for _ in keys]
    done_with: list[set[Server]] = [set() for _ in keys]  # answered but unusably
    for attempt in range(up.attempts):
        for server in servers:
            todo = [
                i for i in range(len(keys)) if results[i] is None and server not in done_with[i]
            ]
            if not todo:
                continue
            queries = [build_query(*keys[i]) for i in todo]
            lookup.queries += len(queries)
            replies = yield Batch(
                [(server, q) for q in queries], attempt_timeout(up.timeout, attempt)
            )
            for i, query, reply in zip(todo, queries, replies, strict=True):
                lookup.note(server, query, reply)
                if isinstance(reply, TransportError):
                    why[i].append(f"{server}: {reply.what}")
                    lookup.failed.add(server)
                    continue
                problem = upstream_problem(query, reply)
                if problem is not None:
                    done_with[i].add(server)
                    why[i].append(f"{server} {problem}")
                    if stripping_problem(query, reply) is not None:
                        lookup.stripping.setdefault(server, problem)
                    log.debug(
                        "upstream %s unusable for %s: %s",
                        server,
                        query.question[0].to_text(),
                        problem,
                    )
                    continue
                results[i] = (reply, server)
        if all(r is not None for r in results):
            break
    out: list[tuple[Message | FetchFailed, Server | None]] = []
    for i, result in enumerate(results):
        if result is not None:
            out.append(result)
            continue
        stripped = bool(servers) and all(s in lookup.stripping for s in servers)
        text = "; ".join(dict.fromkeys(why[i])) or "no upstream to ask"
        name, rrtype = keys[i]
        out.append(
            (
                FetchFailed(
                    f"no usable answer for {name.to_text()}/{RRType.to_text(rrtype)}: {text}",
                    EDE.NETWORK_ERROR,
                    stripped,
                ),
                None,
            )
        )
    return out


def _validate(
    lookup: Lookup,
    question: Question,
    validator: Validator,
    servers: Sequence[Server],
    now: int,
) -> Generator[Batch, Results, tuple[Answer, Server | None, bool]]:
    """One validation through ``servers``; returns the answer, the server
    that answered the question, and whether every server dropped DO."""
    [(response, used)] = yield from _fetch(lookup, [(question.name, question.rrtype)], servers)
    job = validator.start(question, response, now)
    prefer = [used] + [s for s in servers if s != used] if used is not None else list(servers)
    while job.answer is None:
        pending: list[Fetch] = job.pending()
        if not pending:  # pragma: no cover - the validator always asks or answers
            break
        got = yield from _fetch(lookup, [(f.name, f.rrtype) for f in pending], prefer)
        for fetch, (result, _server) in zip(pending, got, strict=True):
            job.feed(fetch, result)
    assert job.answer is not None
    stripped = isinstance(response, FetchFailed) and response.stripped
    return job.answer, used, stripped


def _probe(lookup: Lookup, server: Server, zone: Name) -> Generator[Batch, Results, str | None]:
    """Does ``server`` strip DNSSEC?  Ask it for the anchor zone's DNSKEY set."""
    query = build_query(zone, RRType.DNSKEY)
    lookup.queries += 1
    [reply] = yield Batch([(server, query)], lookup.upstreams.timeout)
    lookup.note(server, query, reply)
    if isinstance(reply, TransportError):
        return None
    return probe_problem(query, reply, zone)


def probe_problem(query: Message, reply: Message, zone: Name) -> str | None:
    """Signs of stripping in the reply to a DO=1 query for ``zone``'s DNSKEY
    set (a trust-anchor zone, hence signed): DO not echoed, or no RRSIGs."""
    problem = stripping_problem(query, reply)
    if problem is not None:
        return problem
    keys = reply.get_answer(zone, RRType.DNSKEY)
    if reply.rcode == Rcode.NOERROR and (keys is None or not keys.sigs):
        what = "DNSKEY set" if keys is not None else "DNSKEY answer"
        return f"RRSIGs missing: the {what} of {zone.to_text()} came back unsigned"
    return None


def suspicious(answer: Answer) -> bool:
    """A BOGUS answer whose reason may come from stripped DNSSEC records."""
    return (
        answer.status is Status.BOGUS
        and answer.reason is not None
        and answer.reason.ede in STRIPPING_EDE
    )


def resolve_steps(
    question: Question,
    validator: Validator,
    upstreams: Upstreams,
    now: int,
    *,
    order: Sequence[Server] | None = None,
    fresh_validator: Callable[[], Validator] | None = None,
) -> Steps:
    """The whole stub-mode lookup as a generator of batches (see the module doc).

    ``order`` overrides the priority order (the resolver demotes servers
    that failed recently); ``fresh_validator`` makes the validator of a retry
    after stripping was detected (default: same settings, empty key cache).
    """
    lookup = Lookup(upstreams)
    candidates = list(order if order is not None else upstreams.servers)
    if fresh_validator is None:

        def fresh_validator() -> Validator:
            return Validator(
                validator.anchors,
                limits=validator.limits,
                policy=validator.policy,
                key_cache=KeyCache(),
                ignore_time=validator.ignore_time,
                override_date=validator.override_date,
            )

    current = validator
    last: Answer | None = None
    used: Server | None = None
    while True:
        servers = [s for s in candidates if s not in lookup.stripping]
        if not servers:
            break
        answer, used, stripped = yield from _validate(lookup, question, current, servers, now)
        last = answer
        if stripped:
            break  # every remaining server dropped DO (recorded by _fetch)
        if not suspicious(answer) or used is None:
            return _finish(lookup, answer, used)
        anchor = current.anchors.closest(question.name)
        problem = yield from _probe(lookup, used, anchor.zone if anchor else Name.from_text("."))
        if problem is None:
            return _finish(lookup, answer, used)  # genuinely bogus
        assert answer.reason is not None
        log.info("upstream %s strips DNSSEC (%s); trying the next one", used, problem)
        lookup.stripping[used] = f"{problem}; {answer.reason.text}"
        current = fresh_validator()
    assert last is not None
    return _all_strip(lookup, last, candidates)


def _finish(lookup: Lookup, answer: Answer, used: Server | None) -> Answer:
    extra = dict(answer.extra)
    extra["server"] = str(used) if used is not None else None
    extra["trace"] = list(lookup.trace)
    if lookup.stripping:
        extra["stripping"] = {str(s): why for s, why in lookup.stripping.items()}
    extra["failed"] = sorted(str(s) for s in lookup.failed)
    return dataclasses.replace(answer, queries=lookup.queries, extra=extra)


def _all_strip(lookup: Lookup, answer: Answer, servers: Sequence[Server]) -> Answer:
    """Every upstream strips DNSSEC: say so, rather than a bare BOGUS."""
    names = ", ".join(str(s) for s in servers)
    details = "; ".join(f"{s}: {why}" for s, why in lookup.stripping.items())
    ede: int = EDE.RRSIGS_MISSING
    if answer.reason is not None and answer.reason.ede in STRIPPING_EDE:
        ede = answer.reason.ede
    reason = Reason(
        ede,
        f"every upstream ({names}) strips DNSSEC records: {details}",
        answer.question.name,
        answer.question.rrtype,
    )
    stripped = dataclasses.replace(answer, status=Status.INDETERMINATE, reason=reason)
    return _finish(lookup, stripped, None)


def run_sync(
    steps: Steps, query_many: Callable[[list[tuple[Server, Message]], float], Results]
) -> Answer:
    """Run a lookup generator with a synchronous ``query_many``."""
    try:
        batch = next(steps)
        while True:
            batch = steps.send(query_many(batch.items, batch.timeout))
    except StopIteration as stop:
        answer = stop.value
        assert isinstance(answer, Answer)
        return answer
