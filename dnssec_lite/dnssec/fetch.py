"""What the validation job asks its driver for, and what it gets back.

A job names each lookup it needs as a :class:`Fetch`; the driver answers it
with the response :class:`~dnssec_lite.wire.message.Message` or a
:class:`FetchFailed`.  These types are shared by the job and by every driver
(sync, asyncio, iterative, replay, tests), so they live apart from both.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import NamedTuple

from ..wire.message import Message
from ..wire.name import Name
from ..wire.types import EDE, RRType


class Fetch(NamedTuple):
    """A lookup the validator needs: the response to (name, rrtype) asked
    with DO=1 CD=1 from a recursive server (or resolved iteratively).

    A named tuple rather than a dataclass: fetches are hashed on every
    ``feed`` and tuples hash fastest."""

    name: Name
    rrtype: int

    def __str__(self) -> str:
        return f"{self.name.to_text()}/{RRType.to_text(self.rrtype)}"


@dataclass(frozen=True, slots=True)
class FetchFailed:
    """A lookup that produced no usable response."""

    reason: str
    ede: int = EDE.NETWORK_ERROR
    stripped: bool = False


FetchResult = Message | FetchFailed

# A step of the validation: yields the lists of fetches it needs.
Need = Generator[list[Fetch], None, None]

__all__ = ["Fetch", "FetchFailed", "FetchResult", "Need"]
