"""Validation over the iterative engine, with restarts after a bogus result.

A BOGUS result makes the engine leave out, for this question, the servers
whose responses held the record that failed (or answered its question: a DS
missing altogether names the server of the referral or of the DS answer),
and the validation runs again (key entries found BOGUS are not reused), at
most ``MAX_RESTARTS`` times, as Unbound does (server blacklist,
``val-max-restart``).  A re-run counts only if it is SECURE or INSECURE;
otherwise the first BOGUS answer is returned.

Written once as step generators over a *round* (the lookups of one
validation round): :func:`parallel_round` runs them side by side through
the engine's step generators (the resolver), :func:`validate_with_restarts`
calls a synchronous lookup function one fetch after another (the replay
harness, whose lookups also consult its own caches).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Generator, Sequence

from ...dnssec.chain import FetchFailed, KeyCache, KeyEntry, Validator
from ...dnssec.status import Answer, Status
from ...errors import DnssecLiteError
from ...wire.message import Message, Question
from ...wire.name import Name
from ..fetcher import Batch, Reply, drive, job_steps
from .common import MAX_RESTARTS, Source
from .engine import IterativeEngine, LookupResult
from .parallel import gather

log = logging.getLogger("dnssec_lite.resolve.iterative")

__all__ = [
    "Lookup",
    "LookupRound",
    "parallel_round",
    "restart_steps",
    "validate_with_restarts",
]

Lookup = Callable[[Name, int], "Message | FetchFailed"]
#: (name, type) pairs of one round -> a step generator of their results.
LookupRound = Callable[[list[tuple[Name, int]]], Generator[Batch, list[Reply], list[LookupResult]]]
Used = list[tuple[Message, list[Source]]]


class _RestartKeyCache(KeyCache):
    """The key cache seen by a restarted validation: the shared cache without
    its BOGUS entries (they may come from the servers now left out); new
    entries go to the shared cache."""

    def __init__(self, base: KeyCache) -> None:
        super().__init__(base.max_entries)
        self.base = base

    def get(self, zone: Name, now: int) -> KeyEntry | None:
        entry = self.base.get(zone, now)
        return None if entry is None or entry.status is Status.BOGUS else entry

    def put(self, entry: KeyEntry, now: int, ttl: int) -> None:
        self.base.put(entry, now, ttl)

    def clear(self) -> None:
        self.base.clear()

    def __len__(self) -> int:
        return len(self.base)


def parallel_round(engine: IterativeEngine) -> LookupRound:
    """The lookups of a round side by side, as the engine's step generators."""

    def round_(keys: list[tuple[Name, int]]) -> Generator[Batch, list[Reply], list[LookupResult]]:
        if len(keys) == 1:
            return [(yield from engine.lookup_steps(*keys[0]))]
        return (yield from gather([engine.lookup_steps(n, t) for n, t in keys]))

    return round_


def _calling_round(engine: IterativeEngine, lookup: Lookup) -> LookupRound:
    """The lookups of a round one after another through ``lookup`` (which
    resolves through ``engine``), each with the sources it used."""

    def round_(keys: list[tuple[Name, int]]) -> Generator[Batch, list[Reply], list[LookupResult]]:
        out: list[LookupResult] = []
        for name, rrtype in keys:
            engine.take_sources()
            result = lookup(name, rrtype)
            out.append((result, engine.take_sources()))
        return out
        yield  # a generator that never needs the driver

    return round_


def validate_steps(
    validator: Validator, question: Question, now: int, round_: LookupRound
) -> Generator[Batch, list[Reply], tuple[Answer, Used]]:
    """One validation; returns the answer and the responses used, each with
    the servers that supplied it."""
    used: Used = []

    def recorded(
        keys: list[tuple[Name, int]],
    ) -> Generator[Batch, list[Reply], list[Message | FetchFailed]]:
        results = yield from round_(keys)
        for result, sources in results:
            if isinstance(result, Message):
                used.append((result, sources))
        return [result for result, _sources in results]

    [response] = yield from recorded([(question.name, question.rrtype)])
    job = validator.start(question, response, now)
    answer = yield from job_steps(
        job, lambda pending: recorded([(f.name, f.rrtype) for f in pending])
    )
    return answer, used


def _culprits(answer: Answer, used: Sequence[tuple[Message, list[Source]]]) -> set[Source]:
    """The servers whose responses held the record that failed validation, or
    answered the question of that record (a DS missing from a stripped
    referral names no record, only the question)."""
    reason = answer.reason
    if reason is None or reason.name is None:
        return set()
    out: set[Source] = set()
    for msg, sources in used:
        question = msg.question[0] if msg.question else None
        if (
            question is not None
            and question.name == reason.name
            and (reason.rrtype is None or question.rrtype == reason.rrtype)
        ):
            # The response to the very question that failed, even when the
            # record is missing from it (a DS stripped from a referral).
            out.update(sources)
            continue
        for rrset in (*msg.answer, *msg.authority):
            if rrset.name != reason.name:
                continue
            if reason.rrtype is None or rrset.rrtype == reason.rrtype:
                out.update(sources)
                break
    return out


def restart_steps(
    validator: Validator,
    question: Question,
    now: int,
    engine: IterativeEngine,
    round_: LookupRound,
    *,
    max_restarts: int = MAX_RESTARTS,
) -> Generator[Batch, list[Reply], tuple[Answer, int]]:
    """Validate with restarts (see the module doc); returns the answer and
    the number of restarts behind it (0: the first run's answer)."""
    first: Answer | None = None
    current = validator
    try:
        for run in range(max_restarts + 1):
            answer, used = yield from validate_steps(current, question, now, round_)
            if answer.status is not Status.BOGUS:
                if first is None or answer.status in (Status.SECURE, Status.INSECURE):
                    return answer, run
                return first, 0
            if first is None:
                first = answer
            culprits = _culprits(answer, used) - engine.excluded
            if not culprits:
                break
            for zone, server in sorted(culprits):
                log.debug("bogus data from %s for %s: restarting without it", server[0], zone)
                engine.exclude(zone, server)
            if current is validator:
                current = copy.copy(validator)
                current.key_cache = _RestartKeyCache(validator.key_cache)
        assert first is not None
        return first, 0
    finally:
        engine.clear_exclusions(engine.clock())


class _NoFetcher:
    def exchange(self, batch: Batch) -> list[Reply]:
        raise DnssecLiteError("a synchronous lookup round asked the driver for I/O")


def validate_with_restarts(
    validator: Validator,
    question: Question,
    now: int,
    engine: IterativeEngine,
    lookup: Lookup | None = None,
    *,
    max_restarts: int = MAX_RESTARTS,
) -> Answer:
    """Validate ``question``, resolving every fetch with ``lookup`` (default
    ``engine.lookup``; a wrapper must resolve through ``engine``), one fetch
    after another, with restarts (see the module doc)."""
    get = lookup if lookup is not None else engine.lookup
    steps = restart_steps(
        validator, question, now, engine, _calling_round(engine, get), max_restarts=max_restarts
    )
    answer, _restarts = drive(steps, _NoFetcher())
    return answer
