"""A size-bounded cache of validated answers; it takes ``now``, never reads
the clock.

* Keyed by (name lowercased, type, class).
* Positive answers live ``Answer.ttl`` seconds: the validator already capped
  it by the records' original TTLs and the signatures' expirations.
* Negative answers (NXDOMAIN, NODATA) live for the SOA minimum of the denial
  (RFC 2308 section 5: the smaller of the SOA's TTL and its MINIMUM field),
  capped by ``Answer.ttl`` when the validator gave one.
* BOGUS answers live ``Limits.bogus_ttl`` seconds (60 by default, like
  Unbound's val-bogus-ttl), so that a broken zone is not hammered yet is
  retried soon; they are stored with their BOGUS status, never as secure.
* INDETERMINATE answers (network failures, no trust anchor) are not cached.
* Least recently used entries go first when ``max_entries`` is reached.

The chain pieces (DNSKEY and DS results) are cached separately by the
validator's :class:`~dnssec_lite.dnssec.chain.KeyCache`.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from dataclasses import dataclass

from ..dnssec.limits import DEFAULT_LIMITS
from ..dnssec.status import Answer, Status
from ..wire.name import Name
from ..wire.rdata.names import SOA
from ..wire.types import Rcode, RRClass, RRType
from .resolution import Resolution

__all__ = ["AnswerCache", "CacheKey", "cache_key", "negative_ttl"]

#: (name, type, class); names compare and hash case-insensitively.
CacheKey = tuple[Name, int, int]

#: Upper bound on any cached lifetime (one day, as Unbound's cache-max-ttl).
MAX_TTL = 86400


def cache_key(name: Name, rrtype: int, rrclass: int = RRClass.IN) -> CacheKey:
    return (name, int(rrtype), int(rrclass))


def negative_ttl(answer: Answer) -> int | None:
    """RFC 2308: min(SOA TTL, SOA MINIMUM) of the denial, or None if no SOA."""
    for rrset in answer.denial:
        if rrset.rrtype == RRType.SOA:
            for rdata in rrset.rdatas:
                if isinstance(rdata, SOA):
                    return min(rrset.ttl, rdata.minimum)
    return None


def is_negative(answer: Answer) -> bool:
    return answer.rcode == Rcode.NXDOMAIN or (
        answer.rcode == Rcode.NOERROR and not answer.records()
    )


@dataclass(slots=True)
class _Entry:
    """A cached answer; ``aged`` is the answer as returned at time
    ``aged_at`` (TTLs counted down), reused for every hit in that second."""

    answer: Answer
    expires: int
    aged_at: int = -1
    aged: Answer | None = None
    resolution: Resolution | None = None


class AnswerCache:
    """Answers by question, with TTLs and an LRU size bound."""

    def __init__(
        self, max_entries: int = 4096, *, bogus_ttl: int = DEFAULT_LIMITS.bogus_ttl
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.bogus_ttl = bogus_ttl
        self._entries: OrderedDict[CacheKey, _Entry] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def lifetime(self, answer: Answer) -> int:
        """How long ``answer`` may be cached (0: not at all)."""
        if answer.status is Status.INDETERMINATE:
            return 0
        if answer.status is Status.BOGUS:
            return max(0, self.bogus_ttl)
        ttl = answer.ttl
        if is_negative(answer):
            neg = negative_ttl(answer)
            if neg is not None:
                ttl = min(ttl, neg) if ttl > 0 else neg
        return max(0, min(ttl, MAX_TTL))

    def put(self, answer: Answer, now: int) -> int:
        """Store ``answer`` at time ``now``; returns the lifetime given (0: not stored)."""
        ttl = self.lifetime(answer)
        q = answer.question
        key = cache_key(q.name, q.rrtype, q.rrclass)
        if ttl <= 0:
            self._entries.pop(key, None)
            return 0
        self._entries[key] = _Entry(answer, now + ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return ttl

    def get(self, name: Name, rrtype: int, rrclass: int = RRClass.IN, *, now: int) -> Answer | None:
        """The cached answer, its TTLs counted down to ``now``; None if absent or expired."""
        key = cache_key(name, rrtype, rrclass)
        entry = self._entries.get(key)
        if entry is None or now >= entry.expires:
            if entry is not None:
                del self._entries[key]
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        if entry.aged_at == now and entry.aged is not None:
            return entry.aged
        res = entry.resolution
        if res is None:
            res = entry.resolution = _hit_resolution(entry.answer)
        aged = _aged(entry.answer, entry.expires - now, res)
        entry.aged_at = now
        entry.aged = aged
        return aged

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _hit_resolution(answer: Answer) -> Resolution:
    """The :class:`Resolution` of a hit: the original one, marked as from
    the answer cache, without exchanges (a hit makes none)."""
    res = answer.resolution
    if isinstance(res, Resolution):
        return dataclasses.replace(res, cache="answer", exchanges=(), restarts=0)
    return Resolution("stub", cache="answer", chain=answer.chain)


def _aged(answer: Answer, left: int, res: Resolution) -> Answer:
    """The answer as a cache hit returns it: TTLs counted down, no query,
    ``res`` as its resolution (built directly: ``dataclasses.replace`` would
    cost more than the rest of the hit)."""
    return Answer(
        answer.question,
        answer.rcode,
        answer.status,
        tuple([r.with_ttl(min(r.ttl, left)) for r in answer.rrsets]),
        answer.denial,
        answer.reason,
        answer.chain,
        min(answer.ttl, left) if answer.ttl else left,
        0,
        answer.extra,
        res,
    )
