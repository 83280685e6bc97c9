"""Property: whatever an attacker does to the unsigned parts of a genuine
signed response, a SECURE result says what the genuine response says.

Over real responses of an NSEC and an NSEC3 zone (positive, TLSA, NXDOMAIN,
NODATA, wildcard and wildcard NODATA, CNAME and DNAME chains, a CNAME to
nowhere, an empty non-terminal), seeded random mutations flip the rcode and
header flags, move RRsets between sections, re-own them (other names, case
changes, names below), duplicate and drop them, and transplant genuine
RRsets of the zone's other responses (at the question's name, too), one to
three at a time.
When the result is SECURE:

* its records are the genuine ones (owner names case aside, types,
  classes, rdata), in the same order;
* its rcode is the genuine one;
* its denial records are those of the genuine response (a subset: a
  response that drops a record it did not need still proves the same),
  never other records, not even genuine ones transplanted from elsewhere
  in the zone; and a negative or wildcard answer still has its proof.

The sample is derandomised (fixed seeds); ``DNSSEC_LITE_MUTATIONS`` sets
its size for a longer run (the default keeps the suite fast).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from functools import cache

import pytest

from dnssec_lite.dnssec.chain import FetchFailed, Validator
from dnssec_lite.dnssec.status import Answer, Status
from dnssec_lite.errors import WireFormatError
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import (
    FLAG_AA,
    FLAG_AD,
    FLAG_CD,
    FLAG_RA,
    FLAG_RD,
    FLAG_TC,
    Rcode,
    RRType,
)
from tests.helpers.fakenet import FakeNetwork
from tests.helpers.zonesigner import Hierarchy, NSEC3Params

N = Name.from_text
DIGEST = "8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1"
#: (qname, qtype) of the genuine responses mutated.
CASES = [
    ("www.example.test.", "A"),
    ("_25._tcp.mx.example.test.", "TLSA"),
    ("nope.example.test.", "A"),
    ("www.example.test.", "TXT"),
    ("x.wild.example.test.", "A"),
    ("x.wild.example.test.", "TXT"),
    ("alias.example.test.", "A"),
    ("alias.example.test.", "CNAME"),
    ("dangling.example.test.", "A"),
    ("www.old.example.test.", "A"),
    ("ent.example.test.", "A"),
    ("x.mail.wild.example.test.", "A"),
]
RCODES = [
    Rcode.NOERROR,
    Rcode.FORMERR,
    Rcode.SERVFAIL,
    Rcode.NXDOMAIN,
    Rcode.REFUSED,
    Rcode.YXDOMAIN,
]
FLAGS = [FLAG_AA, FLAG_TC, FLAG_AD, FLAG_CD, FLAG_RD, FLAG_RA]
SECTIONS = ("answer", "authority", "additional")
TOTAL = int(os.environ.get("DNSSEC_LITE_MUTATIONS", "3000"))

Mutation = Callable[[random.Random, Message], Message]


@cache
def world(nsec3: bool) -> tuple[Hierarchy, FakeNetwork, Validator]:
    h = Hierarchy(13, nsec3=NSEC3Params() if nsec3 else None)
    assert h.domain is not None
    h.domain.add(
        "www 300 IN A 192.0.2.1",
        "mx 300 IN A 192.0.2.25",
        f"_25._tcp.mx 300 IN TLSA 3 1 1 {DIGEST}",
        "*.wild 300 IN A 192.0.2.9",
        "alias 300 IN CNAME www",
        "dangling 300 IN CNAME nothere",
        "old 300 IN DNAME example.test.",
        "a.ent 300 IN A 192.0.2.5",
        "mail.wild 300 IN A 192.0.2.25",
    )
    h.sign()
    net = h.network(roundtrip=False)
    validator = Validator(h.anchors())
    for qname, qtype in CASES:  # warm the key cache with honest data
        net.resolve(validator, qname, qtype)
    return h, net, validator


@cache
def genuine(nsec3: bool, qname: str, qtype: str) -> tuple[Message, Answer]:
    _h, net, validator = world(nsec3)
    honest = net.honest(qname, qtype)
    answer = net.resolve(validator, qname, qtype, response=honest)
    assert answer.status is Status.SECURE, answer.summary()
    return honest, answer


# -- mutations -------------------------------------------------------------------------


def _sections(msg: Message) -> dict[str, list[RRset]]:
    return {s: list(getattr(msg, s)) for s in SECTIONS}


def _pick(rng: random.Random, secs: dict[str, list[RRset]]) -> tuple[str, int] | None:
    spots = [(s, i) for s in SECTIONS for i in range(len(secs[s]))]
    return rng.choice(spots) if spots else None


@cache
def pool(nsec3: bool) -> tuple[RRset, ...]:
    """Every RRset of the genuine responses: what a transplant draws from."""
    _h, net, _v = world(nsec3)
    out: list[RRset] = []
    for qname, qtype in CASES:
        honest = net.honest(qname, qtype)
        out += [*honest.answer, *honest.authority]
    return tuple(out)


def transplant(rng: random.Random, msg: Message) -> Message:
    """A genuine RRset of another response of the zone, put into this one
    (at the question's name half of the time: a wildcard expansion there)."""
    secs = _sections(msg)
    donor = rng.choice(pool(_NSEC3[0]))
    if rng.random() < 0.5:
        owner = msg.question[0].name
        donor = RRset(owner, donor.rrtype, donor.rrclass, donor.ttl, donor.rdatas, donor.sigs)
    dest = secs[rng.choice(SECTIONS)]
    dest.insert(rng.randint(0, len(dest)), donor)
    return msg.replace(**secs)


#: The world a transplant draws from (set by :func:`run`).
_NSEC3 = [False]


def flip_rcode(rng: random.Random, msg: Message) -> Message:
    return msg.replace(rcode=rng.choice(RCODES))


def flip_flags(rng: random.Random, msg: Message) -> Message:
    bits = 0
    for flag in rng.sample(FLAGS, rng.randint(1, 3)):
        bits |= flag
    return msg.replace(flags=msg.flags ^ bits)


def move(rng: random.Random, msg: Message) -> Message:
    secs = _sections(msg)
    spot = _pick(rng, secs)
    if spot is None:
        return msg
    rrset = secs[spot[0]].pop(spot[1])
    dest = secs[rng.choice(SECTIONS)]
    dest.insert(rng.randint(0, len(dest)), rrset)
    return msg.replace(**secs)


def duplicate(rng: random.Random, msg: Message) -> Message:
    secs = _sections(msg)
    spot = _pick(rng, secs)
    if spot is None:
        return msg
    dest = secs[rng.choice(SECTIONS)]
    dest.insert(rng.randint(0, len(dest)), secs[spot[0]][spot[1]])
    return msg.replace(**secs)


def drop(rng: random.Random, msg: Message) -> Message:
    secs = _sections(msg)
    spot = _pick(rng, secs)
    if spot is None:
        return msg
    del secs[spot[0]][spot[1]]
    return msg.replace(**secs)


def _other_name(rng: random.Random, msg: Message, current: Name) -> Name:
    pool = [r.name for s in SECTIONS for r in getattr(msg, s)] + [q.name for q in msg.question]
    pool += [N(n) for n, _t in CASES] + [N("example.test."), N("zzz.example.test.")]
    base = rng.choice(pool)
    kind = rng.random()
    if kind < 0.3:
        return Name.from_labels([bytes(label).swapcase() for label in current.labels])
    if kind < 0.6 and len(base) < 8:
        return base.child(rng.choice([b"x", b"*", b"zz", b"mail"]))
    if kind < 0.7 and len(base) > 2:
        return base.parent()
    return base


def reown(rng: random.Random, msg: Message) -> Message:
    secs = _sections(msg)
    spot = _pick(rng, secs)
    if spot is None:
        return msg
    r = secs[spot[0]][spot[1]]
    owner = _other_name(rng, msg, r.name)
    secs[spot[0]][spot[1]] = RRset(owner, r.rrtype, r.rrclass, r.ttl, r.rdatas, r.sigs, r.sig_ttl)
    return msg.replace(**secs)


MUTATIONS: list[Mutation] = [
    flip_rcode,
    flip_flags,
    move,
    duplicate,
    drop,
    reown,
    reown,
    transplant,
]


def mutate(rng: random.Random, msg: Message) -> tuple[Message, list[str]]:
    done = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        mutation = rng.choice(MUTATIONS)
        msg = mutation(rng, msg)
        done.append(mutation.__name__)
    return msg, done


# -- the property ----------------------------------------------------------------------


def _key(rrset: RRset) -> tuple[bytes, int, int, tuple[bytes, ...]]:
    """Owner (case aside), type, class and the set of rdata: an RRset is a
    set, a record repeated on the wire is the same record (RFC 2181 5), and
    names inside rdata compare case aside too (canonical form, RFC 4034 6.2)."""
    return (
        rrset.name.canonical_wire(),
        rrset.rrtype,
        rrset.rrclass,
        tuple(sorted({rd.canonical() for rd in rrset.rdatas})),
    )


def same_meaning(got: Answer, want: Answer) -> str | None:
    """None when a SECURE ``got`` says what ``want`` says; else the difference."""
    if got.rcode != want.rcode:
        return f"rcode {got.rcode_text} instead of {want.rcode_text}"
    if [_key(r) for r in got.rrsets] != [_key(r) for r in want.rrsets]:
        return f"records {[r.name for r in got.rrsets]} instead of {[r.name for r in want.rrsets]}"
    genuine_denial = {_key(r) for r in want.denial}
    extra = [r for r in got.denial if _key(r) not in genuine_denial]
    if extra:
        return f"denial records not in the genuine response: {[r.name for r in extra]}"
    proof_types = (RRType.NSEC, RRType.NSEC3)
    if any(r.rrtype in proof_types for r in want.denial) and not any(
        r.rrtype in proof_types for r in got.denial
    ):
        return "a negative or wildcard answer without its proof"
    return None


def run(nsec3: bool, seed: int, count: int) -> dict[str, int]:
    _h, net, validator = world(nsec3)
    _NSEC3[0] = nsec3
    rng = random.Random(seed)
    tally = {"mutations": 0, "secure": 0, "other": 0, "unparsable": 0}
    for _ in range(count):
        qname, qtype = rng.choice(CASES)
        honest, want = genuine(nsec3, qname, qtype)
        bad, done = mutate(rng, honest)
        tally["mutations"] += 1
        try:
            parsed: Message | FetchFailed = Message.from_wire(bad.to_wire())
        except WireFormatError:
            tally["unparsable"] += 1
            parsed = FetchFailed("malformed response")
        got = net.resolve(validator, qname, qtype, response=parsed)
        if got.status is not Status.SECURE:
            tally["other"] += 1
            continue
        tally["secure"] += 1
        problem = same_meaning(got, want)
        assert problem is None, (qname, qtype, done, problem, got.summary())
    return tally


@pytest.mark.parametrize("nsec3", [False, True], ids=["nsec", "nsec3"])
def test_secure_results_of_mutated_responses_mean_the_genuine_thing(nsec3: bool) -> None:
    tally = run(nsec3, seed=20261201 + nsec3, count=TOTAL // 2)
    assert tally["mutations"] == TOTAL // 2
    # The sample exercises both sides: mutations that leave the meaning
    # intact (e.g. flag flips) and ones that must be refused.
    assert tally["secure"] > 0 and tally["other"] > 0, tally


@pytest.mark.parametrize("nsec3", [False, True], ids=["nsec", "nsec3"])
@pytest.mark.parametrize("qname,qtype", CASES)
def test_every_genuine_response_is_secure_and_rcode_flips_are_refused(
    nsec3: bool, qname: str, qtype: str
) -> None:
    honest, want = genuine(nsec3, qname, qtype)
    _h, net, validator = world(nsec3)
    for rcode in RCODES:
        got = net.resolve(validator, qname, qtype, response=honest.replace(rcode=rcode))
        if got.status is Status.SECURE:
            assert same_meaning(got, want) is None, (rcode, got.summary())
        elif rcode == want.rcode:
            raise AssertionError(f"the genuine response is not SECURE: {got.summary()}")
