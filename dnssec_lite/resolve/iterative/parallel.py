"""Running step generators side by side: their batches of each round go out
as one batch, so that independent lookups overlap their round trips (what
threads did before, without threads or locks).

Exchanges asked over TCP from the start (the engine's retry of a truncated
answer from a transport that does not retry itself) go in a batch of their
own in the same round.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import TypeVar

from ..fetcher import Batch, Reply

__all__ = ["gather"]

T = TypeVar("T")


def gather(
    steps: Sequence[Generator[Batch, list[Reply], T]],
) -> Generator[Batch, list[Reply], list[T]]:
    """Run every generator of ``steps`` to its end, their batches merged
    round by round; returns their values in order."""
    results: dict[int, T] = {}
    waiting: dict[int, Batch] = {}
    for i, gen in enumerate(steps):
        try:
            waiting[i] = next(gen)
        except StopIteration as stop:
            results[i] = stop.value
    while waiting:
        replies: dict[int, list[Reply]] = {}
        for tcp in (False, True):
            group = [(i, b) for i, b in waiting.items() if b.tcp is tcp]
            if not group:
                continue
            items = [item for _i, b in group for item in b.items]
            got: list[Reply] = []
            if items:
                got = yield Batch(items, max(b.timeout for _i, b in group), tcp)
            at = 0
            for i, b in group:
                replies[i] = got[at : at + len(b.items)]
                at += len(b.items)
        nxt: dict[int, Batch] = {}
        for i in list(waiting):
            try:
                nxt[i] = steps[i].send(replies[i])
            except StopIteration as stop:
                results[i] = stop.value
        waiting = nxt
    return [results[i] for i in range(len(steps))]
