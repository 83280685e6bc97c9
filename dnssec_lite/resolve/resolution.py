"""What happened in one resolution, as a typed record built once by the driver.

:class:`Resolution` is carried by ``Answer.resolution``: the mode, the
upstreams asked and in what order, every exchange made (server, question,
rcode, size, TCP or UDP, time), the servers found stripping DNSSEC, whether
the answer came from a cache, the restarts of a bogus validation, and the
validator's chain.  ``--trace``, ``--json`` and the recorders read it; the
step generators never build one (they return their bookkeeping and the
resolver assembles it here).

``Answer.queries`` has one meaning on every path: the messages put on the
wire for this answer (:attr:`Resolution.queries`; a truncated answer's retry
over TCP counts, a cache hit is 0).
The resolvers assemble their answers here too: :func:`stub_answer` and
:func:`iterative_answer` build the Resolution from what the steps return.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from ..dnssec.status import Answer, ChainLink
from ..errors import TransportError
from ..wire.message import Message, Question
from ..wire.types import Rcode, RRType
from .exchange import Server

if TYPE_CHECKING:  # the step generators import this module
    from .fetcher import Batch, Reply
    from .iterative.mode import IterativeOutcome
    from .stub import StubResult

T = TypeVar("T")

__all__ = [
    "ExchangeRecord",
    "Resolution",
    "Transcript",
    "iterative_answer",
    "noted",
    "stub_answer",
    "trace_line",
    "with_resolution",
]


@dataclass(frozen=True, slots=True)
class ExchangeRecord:
    """One exchange: the question asked of ``server`` and what came back.

    ``rcode`` is None when nothing usable came back (``error`` says why);
    ``size`` is the reply's length in octets when the fetcher reports it
    (0 otherwise); ``seconds`` is the wall time of the batch it was part of.
    """

    server: Server
    question: Question
    rcode: int | None
    error: str | None = None
    tcp: bool = False
    size: int = 0
    seconds: float = 0.0
    answer_records: int = 0
    answer_sigs: int = 0
    authority_records: int = 0
    #: Messages this exchange put on the wire (2: UDP, truncated, then TCP).
    sent: int = 1

    def to_text(self) -> str:
        """One ``--trace`` line: question, server, and the outcome."""
        q = self.question
        asked = f"{q.name.to_text()} {RRType.to_text(q.rrtype)}"
        if self.rcode is None:
            line = f"{asked} @{self.server}: {self.error}"
        else:
            line = (
                f"{asked} @{self.server}: {Rcode.to_text(self.rcode)}, "
                f"{self.answer_records} records, {self.answer_sigs} RRSIGs, "
                f"{self.authority_records} authority"
            )
        return line + (" (TCP)" if self.tcp else "")


def record(
    server: Server,
    query: Message,
    reply: Message | TransportError,
    *,
    tcp: bool = False,
    size: int = 0,
    seconds: float = 0.0,
    sent: int = 1,
) -> ExchangeRecord:
    """The record of one exchange (the reply's counts, not the reply)."""
    question = query.question[0]
    if isinstance(reply, TransportError):
        return ExchangeRecord(server, question, None, reply.what, tcp, size, seconds, sent=sent)
    return ExchangeRecord(
        server,
        question,
        reply.rcode,
        None,
        tcp,
        size,
        seconds,
        sum(len(r) for r in reply.answer),
        sum(len(r.sigs) for r in reply.answer),
        sum(len(r) for r in reply.authority),
        sent,
    )


def trace_line(server: Server, query: Message, reply: Message | TransportError) -> str:
    """The ``--trace`` line of one exchange (see :meth:`ExchangeRecord.to_text`)."""
    return record(server, query, reply).to_text()


@dataclass(slots=True)
class Transcript:
    """The exchanges of one resolution, in the order they were made; the
    driver appends to it (:func:`~dnssec_lite.resolve.fetcher.drive`)."""

    exchanges: list[ExchangeRecord] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Resolution:
    """How an answer was obtained (see the module docstring)."""

    mode: str
    #: Upstreams (stub) or root servers (iterative) in the order they were tried.
    upstreams: tuple[Server, ...] = ()
    #: The upstream whose response to the question was validated (stub mode).
    server: Server | None = None
    exchanges: tuple[ExchangeRecord, ...] = ()
    #: Servers found stripping DNSSEC, and why.
    stripping: Mapping[Server, str] = field(default_factory=dict)
    #: Servers that did not answer at least one exchange.
    failed: tuple[Server, ...] = ()
    #: "answer" (the answer cache), "aggressive" (synthesized from cached
    #: NSEC/NSEC3 records, RFC 8198), "dname" (synthesized below a cached
    #: DNAME, RFC 6672; its target resolved as usual) or None (resolved now).
    cache: str | None = None
    #: Validations run again after a BOGUS result (iterative mode).
    restarts: int = 0
    #: The validator's chain (the same tuple as ``Answer.chain``).
    chain: tuple[ChainLink, ...] = ()

    @property
    def queries(self) -> int:
        """Messages put on the wire (``Answer.queries``)."""
        return sum(e.sent for e in self.exchanges)

    @property
    def asked(self) -> tuple[Server, ...]:
        """The servers asked, in the order of their first exchange."""
        return tuple(dict.fromkeys(e.server for e in self.exchanges))

    @property
    def tcp(self) -> int:
        """Exchanges that went over TCP."""
        return sum(1 for e in self.exchanges if e.tcp)

    def trace(self) -> list[str]:
        """The ``--trace`` lines, one per exchange."""
        return [e.to_text() for e in self.exchanges]

    @staticmethod
    def servers(servers: Sequence[Server]) -> tuple[Server, ...]:
        return tuple(dict.fromkeys(servers))


def iterative_answer(out: IterativeOutcome, transcript: Transcript) -> Answer:
    """The answer of an iterative resolution, with its Resolution."""
    records = transcript.exchanges
    res = Resolution(
        "iterative",
        upstreams=out.roots,
        exchanges=tuple(records),
        stripping=dict(out.stripping),
        failed=Resolution.servers([r.server for r in records if r.rcode is None]),
        restarts=out.restarts,
        chain=out.answer.chain,
    )
    return with_resolution(out.answer, res)


def with_resolution(answer: Answer, res: Resolution) -> Answer:
    """The answer as the resolver returns it: with its :class:`Resolution`
    and ``queries`` read from it (built once, here)."""
    return dataclasses.replace(answer, queries=res.queries, resolution=res)


def stub_answer(result: StubResult, transcript: Transcript) -> Answer:
    """The answer of a stub lookup, with its Resolution."""
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
    return with_resolution(result.answer, res)


def noted(
    steps: Generator[Batch, list[Reply], T], transcript: Transcript
) -> Generator[Batch, list[Reply], T]:
    """``steps`` with its own exchanges noted in ``transcript``: when several
    lookups run side by side, each answer's Resolution lists only its own."""
    try:
        batch = next(steps)
        while True:
            replies = yield batch
            for (server, query), reply in zip(batch.items, replies, strict=True):
                transcript.exchanges.append(record(server, query, reply, tcp=batch.tcp))
            batch = steps.send(replies)
    except StopIteration as stop:
        value: T = stop.value
        return value
