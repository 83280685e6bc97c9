"""The cache of validated DNAMEs (dnssec_lite.dnssec.dnamecache)."""

from __future__ import annotations

import pytest

from dnssec_lite.dnssec.chain import Validator
from dnssec_lite.dnssec.dnamecache import DnameCache
from dnssec_lite.dnssec.status import Status
from dnssec_lite.wire.message import Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.names import CNAME, DNAME
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import RRClass, RRType
from tests.helpers.zonesigner import NOW, Hierarchy

N = Name.from_text


def _dname(owner: str, target: str, ttl: int = 300) -> RRset:
    return RRset(N(owner), RRType.DNAME, RRClass.IN, ttl, [DNAME(N(target))])


def _q(name: str, rrtype: int = RRType.A) -> Question:
    return Question(N(name), rrtype, RRClass.IN)


def test_synthesises_below_the_owner_only() -> None:
    cache = DnameCache()
    cache.add(_dname("x.", "."), 0, 3600)
    msg = cache.synthesize(_q("shortloop.x.x."), 10)
    assert msg is not None
    dname, cname = msg.answer
    assert dname.rrtype == RRType.DNAME and dname.ttl == 290
    assert cname.name == N("shortloop.x.x.") and cname.rrtype == RRType.CNAME
    assert isinstance(cname.rdatas[0], CNAME) and cname.rdatas[0].target == N("shortloop.x.")
    assert cache.synthesize(_q("x."), 10) is None  # the owner itself is not rewritten
    assert cache.synthesize(_q("x.", RRType.DNAME), 10) is None
    assert cache.synthesize(_q("y."), 10) is None


def test_expires_with_the_shorter_of_ttl_and_given_lifetime() -> None:
    cache = DnameCache()
    cache.add(_dname("x.", "."), 100, 50)
    assert cache.synthesize(_q("a.x."), 149) is not None
    assert cache.synthesize(_q("a.x."), 150) is None
    assert len(cache) == 0
    cache.add(_dname("x.", ".", ttl=0), 0, 3600)
    assert len(cache) == 0


def test_the_closest_dname_wins_and_overflow_is_left_to_the_servers() -> None:
    cache = DnameCache()
    cache.add(_dname("x.", "a."), 0, 100)
    cache.add(_dname("y.x.", "b."), 0, 100)
    msg = cache.synthesize(_q("w.y.x."), 1)
    assert msg is not None and msg.answer[0].name == N("y.x.")
    long_target = ".".join(["l" * 63] * 3 + ["m" * 40]) + "."
    cache.add(_dname("z.", long_target), 0, 100)
    assert cache.synthesize(_q(("k" * 60) + ".z."), 1) is None  # over 255 octets


def test_only_dnames() -> None:
    with pytest.raises(ValueError):
        DnameCache().add(RRset(N("x."), RRType.CNAME, RRClass.IN, 1, [CNAME(N("y."))]), 0, 1)


def _signed() -> Hierarchy:
    h = Hierarchy(13)
    assert h.domain is not None
    h.domain.add("alias 300 IN DNAME example.test.", "www 300 IN A 192.0.2.1")
    return h.sign()


def test_synthesised_answer_is_as_secure_as_the_dname() -> None:
    h = _signed()
    assert h.domain is not None
    cache = DnameCache()
    cache.add(h.domain.get("alias", RRType.DNAME), NOW, 300)
    msg = cache.synthesize(_q("www.alias.example.test."), NOW)
    assert msg is not None
    full = msg.replace(answer=(*msg.answer, h.domain.get("www", RRType.A)))
    net = h.network()
    answer = net.resolve(Validator(h.anchors()), "www.alias.example.test.", "A", response=full)
    assert answer.status is Status.SECURE, answer.summary()


def test_a_forged_dname_in_the_cache_does_not_validate() -> None:
    """The cache does not vouch for anything: a DNAME put there without a
    valid signature makes the synthesised answer BOGUS."""
    h = _signed()
    assert h.domain is not None
    good = h.domain.get("alias", RRType.DNAME)
    forged = RRset(good.name, RRType.DNAME, RRClass.IN, 300, [DNAME(N("evil.test."))], good.sigs)
    cache = DnameCache()
    cache.add(forged, NOW, 300)
    msg = cache.synthesize(_q("www.alias.example.test."), NOW)
    assert msg is not None
    net = h.network()
    answer = net.resolve(Validator(h.anchors()), "www.alias.example.test.", "A", response=msg)
    assert answer.status is Status.BOGUS
