"""The resolution-wide signature budget scales with the response.

A legitimate ANY answer with dozens of signed RRsets needs about one
verification per RRset, more than the base budget of 32; each signed RRset
beyond ``free_rrsets`` adds ``verifications_per_extra_rrset``, up to
``max_verifications_hard``.  A flood of RRsets each carrying failing
signatures stays bounded by that hard maximum (times printed with ``-s``).
"""

from __future__ import annotations

import dataclasses
import time

from dnssec_lite.dnssec.chain import Validator
from dnssec_lite.dnssec.limits import DEFAULT_LIMITS, Limits, verification_cap
from dnssec_lite.dnssec.status import Status
from dnssec_lite.wire.edns import EDNS_DO, Edns
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.types import FLAG_QR, RRClass, RRType
from tests.helpers.zonesigner import FakeKey, Hierarchy, sign_rrset

N = Name.from_text
WWW = N("www.example.test.")
TYPES = [65280 + i for i in range(60)]


def _zone(count: int) -> Hierarchy:
    h = Hierarchy(13)
    assert h.domain is not None
    h.domain.add("www 300 IN A 192.0.2.1")
    for rrtype in TYPES[:count]:
        h.domain.add(f"www 300 IN TYPE{rrtype} \\# 1 {rrtype & 0xFF:02x}")
    return h.sign()


def _any_response(h: Hierarchy, count: int, forge: bool = False, keep: bool = False) -> Message:
    assert h.domain is not None
    rrsets = [h.domain.get("www", RRType.A)] + [h.domain.get("www", t) for t in TYPES[:count]]
    if forge:
        zsk = h.domain.keys[1]
        fake = FakeKey(13, zsk.key.public_key_bytes)
        rrsets = [
            r.with_sigs(
                [
                    sign_rrset(r.without_sigs(), fake, h.domain.apex, key_tag=zsk.dnskey.key_tag)
                    for _ in range(7 if keep else 8)
                ]
                + (list(r.sigs) if keep else [])
            )
            for r in rrsets
        ]
    return Message(
        id=1,
        flags=FLAG_QR,
        question=(Question(WWW, RRType.ANY, RRClass.IN),),
        answer=tuple(rrsets),
        edns=Edns(flags=EDNS_DO),
    )


def test_cap_rule() -> None:
    limits = DEFAULT_LIMITS
    assert verification_cap(limits, 1) == limits.max_verifications
    assert verification_cap(limits, limits.free_rrsets) == limits.max_verifications
    assert verification_cap(limits, limits.free_rrsets + 10) == limits.max_verifications + 20
    assert verification_cap(limits, 10_000) == limits.max_verifications_hard


def test_any_answer_with_forty_signed_rrsets_is_secure() -> None:
    h = _zone(40)
    response = _any_response(h, 40)
    answer = h.network().resolve(Validator(h.anchors()), WWW, RRType.ANY, response=response)
    assert answer.status is Status.SECURE, answer.summary()
    assert len(answer.rrsets) == 41
    # Without scaling (the old rule) the same answer ran out of budget.
    flat = dataclasses.replace(Limits(), verifications_per_extra_rrset=0)
    old = h.network().resolve(
        Validator(h.anchors(), limits=flat), WWW, RRType.ANY, response=response
    )
    assert old.status is Status.BOGUS
    assert old.reason is not None and "limit" in old.reason.text


def test_flood_of_rrsets_with_failing_signatures_is_bounded() -> None:
    h = _zone(60)
    response = _any_response(h, 60, forge=True)
    validator = Validator(h.anchors())
    start = time.perf_counter()
    answer = h.network().resolve(validator, WWW, RRType.ANY, response=response)
    elapsed = time.perf_counter() - start
    print(f"ANY flood, 61 RRsets x 8 failing signatures: {elapsed * 1000:.0f} ms")
    assert answer.status is Status.BOGUS
    assert elapsed < 2.0


def test_rrsets_that_each_cost_the_per_rrset_maximum_hit_the_scaled_cap() -> None:
    """7 failing signatures before the good one on each of 61 RRsets: every
    RRset validates, but 8 verifications each exceed the scaled cap."""
    h = _zone(60)
    response = _any_response(h, 60, forge=True, keep=True)
    start = time.perf_counter()
    answer = h.network().resolve(Validator(h.anchors()), WWW, RRType.ANY, response=response)
    elapsed = time.perf_counter() - start
    cap = verification_cap(DEFAULT_LIMITS, 61)
    print(f"ANY, 61 RRsets x (7 failing + 1 good): {elapsed * 1000:.0f} ms, cap {cap}")
    assert answer.status is Status.BOGUS
    assert answer.reason is not None and "limit" in answer.reason.text
    assert str(cap) in answer.reason.text
    assert elapsed < 2.0
