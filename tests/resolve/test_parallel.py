"""Step generators side by side: batches merged per round, replies routed
back to the generator that asked, values returned in order."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from dnssec_lite.errors import QueryTimeout
from dnssec_lite.resolve import Batch, Server, drive
from dnssec_lite.resolve.fetcher import Reply
from dnssec_lite.resolve.iterative import IterativeEngine, gather
from dnssec_lite.resolve.iterative.transports import as_fetcher
from dnssec_lite.wire.message import Message

S1, S2 = Server("192.0.2.1"), Server("192.0.2.2")


def _asks(
    server: Server, names: list[str], tcp: bool = False
) -> Generator[Batch, list[Reply], str]:
    seen = []
    for name in names:
        [reply] = yield Batch([(server, Message.make_query(name, "A"))], 1.0, tcp)
        assert isinstance(reply, Message)
        seen.append(reply.question[0].name.to_text())
    return ",".join(seen)


class Echo:
    """Answers every query with its own question; records the batches."""

    def __init__(self) -> None:
        self.batches: list[tuple[bool, list[str]]] = []

    def exchange(self, batch: Batch) -> list[Reply]:
        self.batches.append((batch.tcp, [q.question[0].name.to_text() for _s, q in batch.items]))
        return [q.make_response() for _s, q in batch.items]


def test_rounds_are_merged_and_replies_go_back_to_their_asker() -> None:
    echo = Echo()

    def nothing() -> Generator[Batch, list[Reply], str]:
        return "none"
        yield  # a generator that asks for nothing

    steps = [_asks(S1, ["a.", "b.", "c."]), nothing(), _asks(S2, ["x."]), _asks(S1, ["t."], True)]
    assert drive(gather(steps), echo) == ["a.,b.,c.", "none", "x.", "t."]
    # Round 1: UDP a. and x. together, then the TCP one apart; then b., then c.
    assert echo.batches == [(False, ["a.", "x."]), (True, ["t."]), (False, ["b."]), (False, ["c."])]


def test_a_failure_reaches_only_its_own_lookup() -> None:
    class HalfDead:
        def exchange(self, batch: Batch) -> list[Reply]:
            return [
                QueryTimeout(str(s), "no answer") if s == S2 else q.make_response()
                for s, q in batch.items
            ]

    def tolerant(server: Server) -> Generator[Batch, list[Reply], str]:
        [reply] = yield Batch([(server, Message.make_query("a.", "A"))], 1.0)
        return "timeout" if isinstance(reply, QueryTimeout) else "answer"

    assert drive(gather([tolerant(S1), tolerant(S2)]), HalfDead()) == ["answer", "timeout"]


def test_engine_fetcher_forms() -> None:
    echo = Echo()
    assert as_fetcher(echo) is echo and as_fetcher(None) is None
    with pytest.raises(TypeError, match="neither a Fetcher nor a query transport"):
        as_fetcher(object())
    with pytest.raises(TypeError, match="needs a fetcher"):
        IterativeEngine(None, ["192.0.2.1"]).lookup(
            Message.make_query("a.", "A").question[0].name, 1
        )
