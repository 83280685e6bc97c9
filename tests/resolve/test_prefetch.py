"""Speculative chain prefetch (stub mode): which sets are guessed, that a
right guess saves the second round, and that the answers are the same."""

from __future__ import annotations

import pytest

from dnssec_lite.dnssec.chain import Validator
from dnssec_lite.resolve import Resolver
from dnssec_lite.resolve.fetcher import Batch, Reply
from dnssec_lite.resolve.prefetch import speculative_fetches
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.types import RRType
from tests.helpers.zonesigner import NOW, Hierarchy
from tests.resolve.dnsserver import recursive_answer

SERVER = "192.0.2.53"


def _hierarchy() -> Hierarchy:
    h = Hierarchy()
    assert h.domain is not None
    h.domain.add("www 3600 IN A 192.0.2.1", "@ 3600 IN MX 10 www.example.test.")
    h.add_zone("dept.example.test.").add("www 3600 IN A 192.0.2.2")
    h.tld.add("www.shop 3600 IN A 192.0.2.3")
    h.sign()
    return h


H = _hierarchy()


class Upstream:
    """A recursive upstream answering from the hierarchy in process; notes
    every batch's questions."""

    def __init__(self) -> None:
        self.batches: list[list[tuple[str, str]]] = []

    def exchange(self, batch: Batch) -> list[Reply]:
        self.batches.append(
            [
                (q.question[0].name.to_text(), RRType.to_text(q.question[0].rrtype))
                for _s, q in batch.items
            ]
        )
        return [Message.from_wire(recursive_answer(H, q).to_wire()) for _s, q in batch.items]

    @property
    def asked(self) -> list[tuple[str, str]]:
        return [key for batch in self.batches for key in batch]


def _keys(name: str, rrtype: str, labels: int = 2, validator: Validator | None = None) -> list[str]:
    v = validator if validator is not None else Validator(H.anchors())
    q = Question(Name.from_text(name), RRType.from_text(rrtype))
    return [f"{n.to_text()} {RRType.to_text(t)}" for n, t in speculative_fetches(q, v, NOW, labels)]


def test_the_guess_is_the_chain_down_to_the_registered_domain() -> None:
    assert _keys("www.example.test.", "A") == [
        ". DNSKEY",
        "test. DS",
        "test. DNSKEY",
        "example.test. DS",
        "example.test. DNSKEY",
    ]
    # The apex asked for itself: its DNSKEY set is the question, not sent twice.
    assert _keys("example.test.", "DNSKEY") == [
        ". DNSKEY",
        "test. DS",
        "test. DNSKEY",
        "example.test. DS",
    ]
    assert _keys("www.dept.example.test.", "A", labels=3)[-2:] == [
        "dept.example.test. DS",
        "dept.example.test. DNSKEY",
    ]
    assert _keys("www.example.test.", "A", labels=0) == []


def _resolver(up: Upstream, prefetch: int) -> Resolver[Upstream]:
    return Resolver(
        [SERVER], anchors=H.anchors(), clock=lambda: NOW, fetcher=up, prefetch_chain=prefetch
    )


def test_cached_keys_are_not_guessed_again() -> None:
    up = Upstream()
    r = _resolver(up, 2)
    r.resolve("www.example.test.", "A")
    assert _keys("mx.example.test.", "A", validator=r.validator) == []
    # Only what is below the cached zones.
    assert _keys("www.shop.test.", "A", validator=r.validator) == [
        "shop.test. DS",
        "shop.test. DNSKEY",
    ]


@pytest.mark.parametrize(
    ("name", "rrtype", "rounds"),
    [
        ("www.example.test.", "A", 1),  # the cut at the registered domain: one round
        ("example.test.", "MX", 1),
        ("www.shop.test.", "A", 1),  # a shallower cut: one round, two queries wasted
        ("www.dept.example.test.", "A", 2),  # deeper: the second round remains
    ],
)
def test_prefetch_gives_the_same_answer_in_fewer_rounds(
    name: str, rrtype: str, rounds: int
) -> None:
    plain, fast = Upstream(), Upstream()
    a = _resolver(plain, 0).resolve(name, rrtype)
    b = _resolver(fast, 2).resolve(name, rrtype)
    assert len(plain.batches) == 2
    assert len(fast.batches) == rounds
    assert (b.status, b.rcode, b.reason, b.rrsets) == (a.status, a.rcode, a.reason, a.rrsets)
    assert b.status.value == "secure"
    assert [link.zone for link in b.chain] == [link.zone for link in a.chain]
    # Every query the plain lookup made is made once, never twice.
    assert set(plain.asked) <= set(fast.asked)
    assert len(fast.asked) == len(set(fast.asked))


def test_the_prefetch_depth_is_bounded() -> None:
    with pytest.raises(ValueError, match="prefetch_chain"):
        Resolver([SERVER], anchors=H.anchors(), prefetch_chain=9)


def _varied() -> Hierarchy:
    """Insecure and broken delegations, NSEC3, negative answers: the guesses
    land on unsigned zones, bad DS sets and denials."""
    from dnssec_lite.wire.rdata.dnssec import DS
    from tests.helpers.zonesigner import NSEC3Params

    h = Hierarchy()
    assert h.domain is not None
    h.domain.add("www 3600 IN A 192.0.2.1", "*.wild 3600 IN A 192.0.2.9")
    h.add_zone("unsigned.test.", signed=False).add("www 3600 IN A 192.0.2.4")
    h.add_zone("broken.test.").add("www 3600 IN A 192.0.2.5")
    h.set_ds("broken.test.", [DS(1, 13, 2, b"\x00" * 32)])
    h.add_zone("sub.example.test.").add("deep.www 3600 IN A 192.0.2.6")
    h.add_zone("hashed.test.", nsec3=NSEC3Params()).add("www 3600 IN A 192.0.2.7")
    h.sign()
    return h


VARIED = _varied()
VARIED_CASES = [
    ("www.example.test.", "A"),
    ("nothere.example.test.", "A"),  # NXDOMAIN
    # NSEC3 zone (this upstream sends no NSEC3 proofs: bogus both ways)
    ("nothere.hashed.test.", "A"),
    ("www.hashed.test.", "TXT"),
    ("www.example.test.", "TXT"),  # NODATA
    ("x.wild.example.test.", "A"),  # under a wildcard (answered NXDOMAIN here: bogus)
    ("www.unsigned.test.", "A"),  # insecure delegation
    ("www.broken.test.", "A"),  # DS matches no key: bogus
    ("deep.www.sub.example.test.", "A"),  # a cut below the registered domain
    ("test.", "SOA"),
    (".", "DNSKEY"),
]


class VariedUpstream(Upstream):
    def exchange(self, batch: Batch) -> list[Reply]:
        self.batches.append([])
        return [Message.from_wire(recursive_answer(VARIED, q).to_wire()) for _s, q in batch.items]


@pytest.mark.parametrize(("name", "rrtype"), VARIED_CASES)
@pytest.mark.parametrize("labels", [1, 2, 3])
def test_prefetch_changes_no_verdict(name: str, rrtype: str, labels: int) -> None:
    """Same status, rcode, reason, records and chain with and without it, cold
    and then warm (the second lookup in the same resolver)."""
    outcomes = []
    for prefetch in (0, labels):
        r = Resolver(
            [SERVER],
            anchors=VARIED.anchors(),
            clock=lambda: NOW,
            fetcher=VariedUpstream(),
            prefetch_chain=prefetch,
        )
        seen = []
        for qname in (name, f"other.{name}" if name != "." else "test."):
            a = r.resolve(qname, rrtype)
            seen.append((a.status, a.rcode, a.reason, a.rrsets, a.chain))
        outcomes.append(seen)
    assert outcomes[0] == outcomes[1]


def test_the_async_resolver_prefetches_alike() -> None:
    import asyncio

    from dnssec_lite.resolve import AsyncResolver

    class AsyncUpstream(Upstream):
        async def exchange(self, batch: Batch) -> list[Reply]:  # type: ignore[override]
            return Upstream.exchange(self, batch)

    up = AsyncUpstream()
    r = AsyncResolver([SERVER], anchors=H.anchors(), clock=lambda: NOW, fetcher=up)
    answer = asyncio.run(r.resolve("www.example.test.", "A"))
    assert answer.status.value == "secure"
    assert len(up.batches) == 1 and len(up.asked) == 6
