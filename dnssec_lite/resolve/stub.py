"""The stub-mode driver of the validator, written once for sync and async.

:func:`resolve_steps` is a step generator (:mod:`dnssec_lite.resolve.fetcher`):
it yields a :class:`~dnssec_lite.resolve.fetcher.Batch` (queries to send in
parallel and how long to wait) and is sent back the replies, until it
returns a :class:`StubResult` (the answer and the lookup's bookkeeping).
:func:`~dnssec_lite.resolve.fetcher.drive` runs it over any fetcher (the
sync transport: one ``selectors`` loop, no threads), and
:func:`~dnssec_lite.resolve.fetcher.adrive` over an asyncio one.

What happens in one lookup:

1. The question goes to the first upstream (RD=1 CD=1, EDNS0 DO=1).  On a
   timeout, SERVFAIL, REFUSED, FORMERR, NOTIMP, a malformed answer or a reply
   without DO echoed, the next upstream is tried; after a round over all of
   them, the next attempt waits twice as long.
2. The validator's fetches (DS and DNSKEY sets) go out in parallel, each
   round as one batch, first to the upstream that answered the question.
   With ``prefetch`` set, the likely ones go out with the question instead
   (:mod:`.prefetch`); a fetch whose answer came that way is not sent again.
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

import logging
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from ..dnssec.chain import Fetch, FetchFailed, Validator
from ..dnssec.status import Answer
from ..errors import TransportError
from ..wire.message import Message, Question
from ..wire.name import Name
from ..wire.types import EDE, RRType
from .exchange import Server, attempt_timeout, build_query, stripping_problem, upstream_problem
from .fetcher import Batch, Reply, job_steps
from .prefetch import speculative_fetches
from .stripping import STRIPPING_EDE, all_strip, fresh_validator, probe_problem, suspicious
from .upstreams import Upstreams

log = logging.getLogger("dnssec_lite.resolve")

__all__ = [
    "STRIPPING_EDE",
    "Batch",
    "Lookup",
    "Results",
    "Steps",
    "StubResult",
    "fetch_steps",
    "probe_problem",
    "resolve_steps",
    "suspicious",
]

Results = list[Reply]


@dataclass
class Lookup:
    """The bookkeeping of one lookup: the upstreams found stripping DNSSEC
    (and why), and those that failed an exchange."""

    upstreams: Upstreams
    stripping: dict[Server, str] = field(default_factory=dict)
    failed: set[Server] = field(default_factory=set)
    #: Speculative chain queries sent with the question, and those whose
    #: answers the validation did not use (see :mod:`.prefetch`).
    prefetched: int = 0
    prefetch_unused: int = 0


class StubResult(NamedTuple):
    """What a stub lookup returns: the answer, the upstream whose response
    to the question was validated (None if none was usable), the order in
    which the upstreams were to be tried, and the bookkeeping."""

    answer: Answer
    server: Server | None
    order: tuple[Server, ...]
    lookup: Lookup


Steps = Generator[Batch, Results, StubResult]


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
            replies = yield Batch(
                [(server, q) for q in queries], attempt_timeout(up.timeout, attempt)
            )
            for i, query, reply in zip(todo, queries, replies, strict=True):
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
                    if log.isEnabledFor(logging.DEBUG):
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


#: The failover fetch under its public name (the trust-anchor probe uses it).
fetch_steps = _fetch


def _validate(
    lookup: Lookup,
    question: Question,
    validator: Validator,
    servers: Sequence[Server],
    now: int,
    prefetch: int = 0,
) -> Generator[Batch, Results, tuple[Answer, Server | None, bool]]:
    """One validation through ``servers``; returns the answer, the server
    that answered the question, and whether every server dropped DO."""
    keys = [(question.name, question.rrtype)]
    keys += speculative_fetches(question, validator, now, prefetch)
    got = yield from _fetch(lookup, keys, servers)
    response, used = got[0]
    # Usable speculative answers, each handed to the validation at most once.
    spare: dict[tuple[Name, int], Message] = {
        key: result
        for key, (result, _s) in zip(keys[1:], got[1:], strict=True)
        if isinstance(result, Message)
    }
    job = validator.start(question, response, now)
    prefer = [used] + [s for s in servers if s != used] if used is not None else list(servers)

    def round_(pending: list[Fetch]) -> Generator[Batch, Results, list[Message | FetchFailed]]:
        out: list[Message | FetchFailed | None] = [
            spare.pop((f.name, f.rrtype), None) for f in pending
        ]
        missing = [i for i, result in enumerate(out) if result is None]
        if missing:
            asked = [(pending[i].name, pending[i].rrtype) for i in missing]
            fetched = yield from _fetch(lookup, asked, prefer)
            for i, (result, _server) in zip(missing, fetched, strict=True):
                out[i] = result
        return [result for result in out if result is not None]

    answer = yield from job_steps(job, round_)
    lookup.prefetched += len(keys) - 1
    lookup.prefetch_unused += len(spare)
    stripped = isinstance(response, FetchFailed) and response.stripped
    return answer, used, stripped


def _probe(lookup: Lookup, server: Server, zone: Name) -> Generator[Batch, Results, str | None]:
    """Does ``server`` strip DNSSEC?  Ask it for the anchor zone's DNSKEY set."""
    query = build_query(zone, RRType.DNSKEY)
    [reply] = yield Batch([(server, query)], lookup.upstreams.timeout)
    if isinstance(reply, TransportError):
        return None
    return probe_problem(query, reply, zone)


def resolve_steps(
    question: Question,
    validator: Validator,
    upstreams: Upstreams,
    now: int,
    *,
    order: Sequence[Server] | None = None,
    fresh: Callable[[], Validator] | None = None,
    prefetch: int = 0,
) -> Steps:
    """The whole stub-mode lookup as a step generator (see the module doc).

    ``order`` overrides the priority order (the resolver demotes servers
    that failed recently); ``fresh`` makes the validator of a retry after
    stripping was detected (default: :func:`fresh_validator` of
    ``validator``: same settings, empty key cache).  ``prefetch`` is the
    number of labels of speculative chain prefetch (0: none; see
    :mod:`.prefetch`).
    """
    lookup = Lookup(upstreams)
    candidates = tuple(order if order is not None else upstreams.servers)
    current = validator
    last: Answer | None = None
    used: Server | None = None
    while True:
        servers = [s for s in candidates if s not in lookup.stripping]
        if not servers:
            break
        answer, used, stripped = yield from _validate(
            lookup, question, current, servers, now, prefetch
        )
        last = answer
        if stripped:
            break  # every remaining server dropped DO (recorded by _fetch)
        if not suspicious(answer) or used is None:
            return StubResult(answer, used, candidates, lookup)
        anchor = current.anchors.closest(question.name)
        problem = yield from _probe(lookup, used, anchor.zone if anchor else Name.from_text("."))
        if problem is None:
            return StubResult(answer, used, candidates, lookup)  # genuinely bogus
        assert answer.reason is not None
        log.info("upstream %s strips DNSSEC (%s); trying the next one", used, problem)
        lookup.stripping[used] = f"{problem}; {answer.reason.text}"
        current = fresh() if fresh is not None else fresh_validator(validator)
    assert last is not None
    stripped_answer = all_strip(last, candidates, lookup.stripping, "upstream")
    return StubResult(stripped_answer, None, candidates, lookup)
