"""Differential tests: the answer check split by the class of the response
against the single loop it replaced (kept in ``tests/dnssec/legacy``).

Over the genuine responses of an NSEC and an NSEC3 zone (positive, TLSA,
NXDOMAIN, NODATA, wildcards, CNAME and DNAME chains, ANY, RRSIG), with
rcode flips and seeded random mutations of them, two validators -- one per
implementation, key caches cold at first and then warm, reset now and then
-- give equal answers (status, rcode, reason, records, denial, chain, TTL,
query count) after asking the same fetches in the same order.  Negative
trust anchors and chain limits (none, one link) are covered too, and a
world with an unsigned zone and a signed island below an insecure
delegation (chains into both).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Generator

import pytest

from dnssec_lite.dnssec.chain import FetchFailed, KeyCache, ValidationJob, Validator
from dnssec_lite.dnssec.fetch import Fetch, FetchResult
from dnssec_lite.dnssec.limits import DEFAULT_LIMITS
from dnssec_lite.dnssec.status import Answer, Status
from dnssec_lite.errors import WireFormatError
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.types import RRClass, RRType
from tests.helpers.fakenet import FakeNetwork, run_job
from tests.helpers.zonesigner import NOW, Hierarchy

from .legacy import answer_v1 as old
from .test_mutation_property import CASES, RCODES, mutate, world

#: (qname, qtype) of a world with an unsigned zone and a signed zone below
#: an insecure delegation (an island), chains into both, and ANY.
MIXED_CASES = [
    ("www.unsigned.test.", "A"),
    ("www.island.test.", "A"),
    ("nope.island.test.", "A"),
    ("www.island.test.", "TXT"),
    ("to-unsigned.example.test.", "A"),
    ("to-island.example.test.", "A"),
    ("x.old.example.test.", "A"),
    ("www.example.test.", "A"),
    ("www.island.test.", "ANY"),
]


def mixed_world() -> tuple[Hierarchy, FakeNetwork]:
    h = Hierarchy(13)
    assert h.domain is not None
    h.domain.add(
        "www 300 IN A 192.0.2.1",
        "to-unsigned 300 IN CNAME www.unsigned.test.",
        "to-island 300 IN CNAME www.island.test.",
        "old 300 IN DNAME island.test.",
    )
    h.add_zone("unsigned.test.", signed=False).add("www 300 IN A 192.0.2.7")
    h.add_zone("island.test.", secure_delegation=False).add(
        "www 300 IN A 192.0.2.8", 'www 300 IN TXT "island"', "x 300 IN A 192.0.2.9"
    )
    h.sign()
    return h, h.network(roundtrip=False)


class LegacyJob(old.AnswerCheck, ValidationJob):
    """A validation job whose answer check is the old one."""

    def _start_answer(self) -> Answer | Generator[list[Fetch], None, Answer]:
        quick = self._quick_answer()
        return quick if quick is not None else self._validate_answer()


EXTRA_CASES = [("www.example.test.", "RRSIG"), ("www.example.test.", "ANY")]


def _response(net: FakeNetwork, qname: str, qtype: str) -> Message:
    if qtype != "ANY":
        return net.honest(qname, qtype)
    # ANY: the RRsets the zone has at the name, as a server would list them.
    a = net.honest(qname, "A")
    assert a.answer, qname
    txt = net.honest(qname, "TXT")
    question = (Question(Name.from_text(qname), RRType.ANY, RRClass.IN),)
    return a.replace(question=question, answer=tuple(a.answer) + tuple(txt.answer))


def _run(
    validator: Validator,
    net: FakeNetwork,
    job_class: type[ValidationJob],
    q: Question,
    response: FetchResult,
) -> tuple[Answer, list[Fetch]]:
    job = job_class(validator, q, response, NOW)
    answer = run_job(job, net)
    return answer, list(job.results)


class Pair:
    """Two validators with the same configuration, one per implementation."""

    def __init__(self, h: Hierarchy, net: FakeNetwork, **options: object) -> None:
        self.h, self.net, self.options = h, net, options
        self.reset()

    def reset(self) -> None:
        anchors = self.h.anchors()
        negative = self.options.get("negative")
        if negative:
            anchors = anchors.with_negative([Name.from_text(str(negative))])
        limits = self.options.get("limits", DEFAULT_LIMITS)
        self.new = Validator(anchors, key_cache=KeyCache(), limits=limits)  # type: ignore[arg-type]
        self.old = Validator(anchors, key_cache=KeyCache(), limits=limits)  # type: ignore[arg-type]

    def check(self, qname: str, qtype: int, response: FetchResult, label: object) -> Answer:
        q = Question(Name.from_text(qname), qtype, RRClass.IN)
        got, got_fetches = _run(self.new, self.net, ValidationJob, q, response)
        want, want_fetches = _run(self.old, self.net, LegacyJob, q, response)
        assert got == want, (label, got.summary(), want.summary())
        # TTLs too, whatever RRset equality looks at.
        for rrsets in ("rrsets", "denial"):
            ttls = [(r.ttl, r.sig_ttl) for r in getattr(got, rrsets)]
            assert ttls == [(r.ttl, r.sig_ttl) for r in getattr(want, rrsets)], label
        assert got_fetches == want_fetches, (label, got_fetches, want_fetches)
        return got


def _cases(
    net: FakeNetwork, cases: list[tuple[str, str]] = CASES + EXTRA_CASES
) -> list[tuple[str, str, Message]]:
    return [(n, t, _response(net, n, t)) for n, t in cases]


def test_unsigned_zones_islands_and_chains_into_them_cold_and_warm() -> None:
    h, net = mixed_world()
    pair = Pair(h, net)
    cases = _cases(net, MIXED_CASES)
    statuses = set()
    for warm in (False, True):
        for qname, qtype, honest in cases:
            for rcode in RCODES:
                if not warm:
                    pair.reset()
                response = honest.replace(rcode=rcode)
                got = pair.check(qname, RRType.from_text(qtype), response, (qname, qtype, rcode))
                statuses.add(got.status)
    rng = random.Random(20261202)
    for i in range(400):
        if i % 40 == 0:
            pair.reset()
        qname, qtype, honest = rng.choice(cases)
        bad, done = mutate(rng, honest)
        try:
            parsed: Message | FetchFailed = Message.from_wire(bad.to_wire())
        except WireFormatError:
            parsed = FetchFailed("malformed response")
        got = pair.check(qname, RRType.from_text(qtype), parsed, (qname, qtype, done))
        statuses.add(got.status)
    assert Status.INSECURE in statuses and Status.SECURE in statuses, statuses


@pytest.mark.parametrize("nsec3", [False, True], ids=["nsec", "nsec3"])
def test_genuine_and_rcode_flipped_responses_cold_and_warm(nsec3: bool) -> None:
    h, net, _validator = world(nsec3)
    pair = Pair(h, net)
    statuses = set()
    for warm in (False, True):
        for qname, qtype, honest in _cases(net):
            for rcode in RCODES:
                if not warm:
                    pair.reset()
                response = honest.replace(rcode=rcode)
                got = pair.check(qname, RRType.from_text(qtype), response, (qname, qtype, rcode))
                statuses.add(got.status)
    assert len(statuses) >= 3, statuses


@pytest.mark.parametrize("nsec3", [False, True], ids=["nsec", "nsec3"])
def test_mutated_responses(nsec3: bool) -> None:
    h, net, _validator = world(nsec3)
    pair = Pair(h, net)
    cases = _cases(net)
    rng = random.Random(20261201 + nsec3)
    statuses = set()
    for i in range(600):
        if i % 50 == 0:
            pair.reset()
        qname, qtype, honest = rng.choice(cases)
        bad, done = mutate(rng, honest)
        try:
            parsed: Message | FetchFailed = Message.from_wire(bad.to_wire())
        except WireFormatError:
            parsed = FetchFailed("malformed response")
        got = pair.check(qname, RRType.from_text(qtype), parsed, (qname, qtype, done))
        statuses.add(got.status)
    assert len(statuses) >= 3, statuses


@pytest.mark.parametrize(
    "options",
    [
        {"negative": "example.test."},
        {"negative": "wild.example.test."},
        {"limits": dataclasses.replace(DEFAULT_LIMITS, max_chain_links=-1)},
        {"limits": dataclasses.replace(DEFAULT_LIMITS, max_chain_links=0)},
        {"limits": dataclasses.replace(DEFAULT_LIMITS, max_chain_links=1)},
    ],
    ids=["nta-zone", "nta-below", "no-chain", "chain-0", "chain-1"],
)
def test_negative_anchors_and_chain_limits(options: dict[str, object]) -> None:
    h, net, _validator = world(False)
    pair = Pair(h, net, **options)
    for _warm in (False, True):
        for qname, qtype, honest in _cases(net):
            pair.check(qname, RRType.from_text(qtype), honest, (qname, qtype, options))
