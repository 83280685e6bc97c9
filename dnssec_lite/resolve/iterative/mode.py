"""The resolver's iterative mode as one step generator: the engine answers
each fetch like a recursive server, the fetches of a validation round run
side by side, a BOGUS answer is validated again with restarts, and the
stub mode's answer to stripping is given at the root.

If the answer is BOGUS for missing signatures, keys or NSECs and the trust
anchor is the root, every root server of the hints is asked (in parallel)
for the root DNSKEY set, which is always signed.  Servers that return it
unsigned strip DNSSEC: the lookup is done again without them (and with a
fresh key cache).  If every root server strips, the answer is INDETERMINATE
and says so.  (Stripping further down, at a TLD server for example, is the
engine's business: it treats a signed zone's answers without RRSIGs as
DNSSEC-lame.)
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field

from ...dnssec.chain import Validator
from ...dnssec.status import Answer, Status
from ...wire.message import Message, Question
from ...wire.types import RRType
from ..exchange import Server, build_query
from ..fetcher import Batch, Reply
from ..stripping import all_strip, fresh_validator, probe_problem, suspicious
from .engine import IterativeEngine
from .restarts import parallel_round, restart_steps, validate_steps

log = logging.getLogger("dnssec_lite.resolve")

__all__ = ["IterativeOutcome", "IterativeSettings", "iterative_steps"]


@dataclass(frozen=True, slots=True)
class IterativeSettings:
    """What the resolver's options say about iterative resolution."""

    timeout: float = 2.0
    attempts: int = 2
    qname_minimisation: bool = False


@dataclass(frozen=True, slots=True)
class IterativeOutcome:
    """The answer of an iterative resolution and how it was obtained."""

    answer: Answer
    roots: tuple[Server, ...]
    stripping: dict[Server, str] = field(default_factory=dict)
    restarts: int = 0


def _once(
    question: Question,
    now: int,
    roots: Sequence[Server],
    validator: Validator,
    settings: IterativeSettings,
) -> Generator[Batch, list[Reply], tuple[Answer, int]]:
    """One resolution over a fresh engine from ``roots``."""
    engine = IterativeEngine(
        None,
        roots,
        signed_zones=list(validator.anchors.anchors),
        qname_minimisation=settings.qname_minimisation,
        attempts=settings.attempts,
        query_timeout=settings.timeout,
        skip_failed=True,
        max_chain=validator.limits.max_chain_links + 1,
    )
    round_ = parallel_round(engine)
    answer, _used = yield from validate_steps(validator, question, now, round_)
    if answer.status is not Status.BOGUS:
        return answer, 0
    # Unbound's server blacklist: validate again without the servers whose
    # responses held the failing record; a fresh key cache, since the first
    # run cached the bogus entry.
    retried, run = yield from restart_steps(
        fresh_validator(validator), question, now, engine, round_
    )
    if retried.status is Status.BOGUS:
        return answer, 0
    log.info("%s: bogus data from some servers; validated through others", question.to_text())
    return retried, run + 1


def iterative_steps(
    question: Question,
    now: int,
    roots: Sequence[Server],
    validator: Validator,
    settings: IterativeSettings,
) -> Generator[Batch, list[Reply], IterativeOutcome]:
    """The whole iterative-mode resolution (see the module doc)."""
    all_roots = tuple(roots)
    answer, restarts = yield from _once(question, now, all_roots, validator, settings)
    anchor = validator.anchors.closest(question.name)
    if not suspicious(answer) or anchor is None or not anchor.zone.is_root():
        return IterativeOutcome(answer, all_roots, restarts=restarts)
    queries = [build_query(anchor.zone, RRType.DNSKEY, rd=False) for _ in all_roots]
    replies = yield Batch(list(zip(all_roots, queries, strict=True)), settings.timeout)
    stripping: dict[Server, str] = {}
    for server, query, reply in zip(all_roots, queries, replies, strict=True):
        if isinstance(reply, Message):
            problem = probe_problem(query, reply, anchor.zone)
            if problem is not None:
                stripping[server] = problem
    if not stripping:
        return IterativeOutcome(answer, all_roots, restarts=restarts)  # genuinely bogus
    assert answer.reason is not None
    log.info("root servers %s strip DNSSEC; resolving without them", list(map(str, stripping)))
    why = {s: f"{problem}; {answer.reason.text}" for s, problem in stripping.items()}
    good = [s for s in all_roots if s not in stripping]
    if not good:
        return IterativeOutcome(all_strip(answer, all_roots, why, "root server"), all_roots, why)
    retry, restarts = yield from _once(question, now, good, fresh_validator(validator), settings)
    return IterativeOutcome(retry, all_roots, why, restarts)
