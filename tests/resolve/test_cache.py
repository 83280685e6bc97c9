"""Answer cache: TTLs, negative caching by SOA minimum, bogus briefly, LRU."""

from __future__ import annotations

from dnssec_lite.dnssec.status import Answer, Reason, Status
from dnssec_lite.resolve.cache import AnswerCache
from dnssec_lite.wire.message import Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.address import A
from dnssec_lite.wire.rdata.names import SOA
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import Rcode, RRClass, RRType

NAME = Name.from_text("www.example.org")


def _answer(
    status: Status = Status.SECURE, ttl: int = 300, rcode: int = Rcode.NOERROR, name: Name = NAME
) -> Answer:
    q = Question(name, RRType.A)
    rrsets: tuple[RRset, ...] = ()
    denial: tuple[RRset, ...] = ()
    if rcode == Rcode.NOERROR:
        rrsets = (RRset(name, RRType.A, RRClass.IN, ttl, [A(bytes([192, 0, 2, 1]))]),)
    else:
        soa = SOA(
            Name.from_text("ns.example.org"), Name.from_text("h.example.org"), 1, 2, 3, 4, 120
        )
        denial = (RRset(Name.from_text("example.org"), RRType.SOA, RRClass.IN, 3600, [soa]),)
    reason = None if status is Status.SECURE else Reason(6, "broken")
    return Answer(q, rcode, status, rrsets, denial, reason, ttl=ttl)


def test_positive_ttl_counts_down_and_expires() -> None:
    cache = AnswerCache()
    assert cache.put(_answer(ttl=300), now=1000) == 300
    hit = cache.get(Name.from_text("WWW.Example.ORG"), RRType.A, now=1100)
    assert hit is not None and hit.status is Status.SECURE
    assert hit.ttl == 200 and hit.rrsets[0].ttl == 200 and hit.queries == 0
    assert cache.get(NAME, RRType.A, now=1300) is None
    assert cache.get(NAME, RRType.AAAA, now=1100) is None


def test_negative_cached_by_soa_minimum() -> None:
    cache = AnswerCache()
    assert cache.put(_answer(ttl=3600, rcode=Rcode.NXDOMAIN), now=0) == 120
    assert cache.get(NAME, RRType.A, now=119) is not None
    assert cache.get(NAME, RRType.A, now=120) is None


def test_bogus_cached_briefly_and_never_as_secure() -> None:
    cache = AnswerCache(bogus_ttl=60)
    assert cache.put(_answer(Status.BOGUS, ttl=3600), now=0) == 60
    hit = cache.get(NAME, RRType.A, now=30)
    assert hit is not None and hit.status is Status.BOGUS and hit.reason is not None
    assert cache.get(NAME, RRType.A, now=60) is None


def test_indeterminate_and_zero_ttl_not_cached() -> None:
    cache = AnswerCache()
    assert cache.put(_answer(Status.INDETERMINATE), now=0) == 0
    assert cache.put(_answer(ttl=0), now=0) == 0
    assert len(cache) == 0


def test_lru_bound() -> None:
    cache = AnswerCache(max_entries=2)
    names = [Name.from_text(f"{i}.example.org") for i in range(3)]
    cache.put(_answer(name=names[0]), now=0)
    cache.put(_answer(name=names[1]), now=0)
    assert cache.get(names[0], RRType.A, now=1) is not None  # 0 is now most recent
    cache.put(_answer(name=names[2]), now=0)
    assert len(cache) == 2
    assert cache.get(names[1], RRType.A, now=1) is None
    assert cache.get(names[0], RRType.A, now=1) is not None
