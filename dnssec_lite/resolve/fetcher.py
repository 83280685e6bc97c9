"""The one fetch boundary of a resolution, and the one driver of its steps.

Every resolution path (the stub lookup, the iterative engine, the replayed
vectors, the tests' fake network, the benchmarks) is written as a generator
of :class:`Batch` es: it yields the exchanges it needs -- (server, query)
pairs to send at once -- and is sent back one reply per exchange, a
:class:`~dnssec_lite.wire.message.Message` or the
:class:`~dnssec_lite.errors.TransportError` that says why there is none.
The generator does no I/O; a :class:`Fetcher` (or :class:`AsyncFetcher`)
does all of it, and :func:`drive` / :func:`adrive` are the trampoline that
connects the two.  The default fetchers are the UDP/TCP transports
(:class:`~dnssec_lite.resolve.transport.Transport`,
:class:`~dnssec_lite.resolve.aio.AsyncTransport`); a recorder is a fetcher
that wraps another one, a replayer a fetcher answering from a dict.

:func:`job_steps` is the one loop around a validation job: take its
``pending()`` fetches, get them through a *round* (a step generator that
turns fetches into exchanges and replies into fetch results: failover over
upstreams in stub mode, iterative resolution in iterative mode), ``feed()``
them back, until the job has its answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from ..dnssec.chain import Fetch, FetchFailed, FetchResult, ValidationJob
from ..dnssec.status import Answer
from ..errors import DnssecLiteError, TransportError
from ..wire.message import Message
from .exchange import Server, build_query
from .resolution import Transcript, record

__all__ = [
    "AsyncFetcher",
    "Batch",
    "Fetcher",
    "Reporting",
    "Reply",
    "Round",
    "Steps",
    "adrive",
    "ask_upstream",
    "drive",
    "job_steps",
]

T = TypeVar("T")


def monotonic() -> float:
    """The clock of the I/O side (batch timings, the iterative engine's
    wall-clock budget by default): the step modules read no clock."""
    return time.monotonic()


@dataclass(frozen=True, slots=True)
class Batch:
    """Exchanges to make at once (in parallel), and how long to wait.

    ``tcp`` asks for TCP from the start (the iterative engine's retry of a
    truncated answer; the transports also switch to TCP by themselves).
    """

    items: list[tuple[Server, Message]]
    timeout: float
    tcp: bool = False


#: The outcome of one exchange: the response, or why there is none.
Reply = Message | TransportError
#: A resolution step generator returning ``T``.
Steps = Generator[Batch, list[Reply], T]
#: Fetches of a validation round -> a step generator of their results.
Round = Callable[[list[Fetch]], Generator[Batch, list[Reply], list[FetchResult]]]


class Fetcher(Protocol):
    """Makes the exchanges of a batch; one reply per item, in order.

    It never raises for a failed exchange (the reply is the
    :class:`TransportError`); the step generator decides what a failure means.
    """

    def exchange(self, batch: Batch) -> list[Reply]: ...


class AsyncFetcher(Protocol):
    """The asyncio form of :class:`Fetcher`."""

    async def exchange(self, batch: Batch) -> list[Reply]: ...


class Reporting(Protocol):
    """A fetcher that also says, after each batch, how each exchange went:
    ``last_meta[i] == (tcp, size, sent)`` (over TCP, reply octets, messages
    put on the wire).  The transports do; other fetchers need not."""

    last_meta: list[tuple[bool, int, int]]


def _note(
    transcript: Transcript, batch: Batch, replies: list[Reply], fetcher: object, seconds: float
) -> None:
    meta = getattr(fetcher, "last_meta", None)
    if not isinstance(meta, list) or len(meta) != len(replies):
        meta = [(batch.tcp, 0, 1)] * len(replies)
    for (server, query), reply, (tcp, size, sent) in zip(batch.items, replies, meta, strict=True):
        transcript.exchanges.append(
            record(server, query, reply, tcp=tcp, size=size, seconds=seconds, sent=sent)
        )


def drive(
    steps: Generator[Batch, list[Reply], T],
    fetcher: Fetcher,
    transcript: Transcript | None = None,
) -> T:
    """Run ``steps`` to its return value, each batch through ``fetcher``;
    every exchange is noted in ``transcript`` if one is given."""
    try:
        batch = next(steps)
        while True:
            start = monotonic()
            replies = fetcher.exchange(batch)
            if len(replies) != len(batch.items):
                raise DnssecLiteError(
                    f"fetcher returned {len(replies)} replies for {len(batch.items)} exchanges"
                )
            if transcript is not None:
                _note(transcript, batch, replies, fetcher, monotonic() - start)
            batch = steps.send(replies)
    except StopIteration as stop:
        value: T = stop.value
        return value


async def adrive(
    steps: Generator[Batch, list[Reply], T],
    fetcher: AsyncFetcher,
    transcript: Transcript | None = None,
) -> T:
    """The asyncio twin of :func:`drive` (the same steps, awaited exchanges)."""
    try:
        batch = next(steps)
        while True:
            start = monotonic()
            replies = await fetcher.exchange(batch)
            if len(replies) != len(batch.items):
                raise DnssecLiteError(
                    f"fetcher returned {len(replies)} replies for {len(batch.items)} exchanges"
                )
            if transcript is not None:
                _note(transcript, batch, replies, fetcher, monotonic() - start)
            batch = steps.send(replies)
    except StopIteration as stop:
        value: T = stop.value
        return value


def job_steps(job: ValidationJob, round_: Round) -> Steps[Answer]:
    """The validation loop, once for every path: ``pending()``, fetch, ``feed()``."""
    while job.answer is None:
        pending = job.pending()
        if not pending:
            raise DnssecLiteError(f"validation of {job.question.to_text()} stalled")
        results = yield from round_(pending)
        for fetch, result in zip(pending, results, strict=True):
            job.feed(fetch, result)
    return job.answer


def ask_upstream(server: Server, timeout: float = 2.0) -> Round:
    """The simplest round: every fetch asked of one recursive ``server``
    at once (DO=1 CD=1), a failed exchange becoming a :class:`FetchFailed`
    with the transport's words.  Used by the tests' fake network and the
    benchmarks; the resolver's stub mode adds failover on top."""

    def round_(fetches: Sequence[Fetch]) -> Generator[Batch, list[Reply], list[FetchResult]]:
        queries = [build_query(f.name, f.rrtype) for f in fetches]
        replies = yield Batch([(server, q) for q in queries], timeout)
        return [FetchFailed(r.what) if isinstance(r, TransportError) else r for r in replies]

    return round_
