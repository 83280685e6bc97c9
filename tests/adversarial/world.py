"""The signed zones and questions the adversarial tests attack.

One hierarchy holds every kind of answer the properties are stated over:
positive, NSEC and NSEC3 NXDOMAIN and NODATA, wildcard expansions (NSEC
and NSEC3), CNAME, DNAME, TLSA, plus a zone whose signatures expire soon
(so that cache lifetimes must follow signature expiration, not TTLs).
``run`` validates one question with a fresh validator, the response to one
chosen fetch replaced by a mutation, and checks the three properties.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache

from dnssec_lite.dnssec.chain import FetchResult, KeyCache, Validator
from dnssec_lite.dnssec.keycache import KeyEntry
from dnssec_lite.dnssec.limits import DEFAULT_LIMITS
from dnssec_lite.dnssec.status import Answer, Status
from dnssec_lite.errors import DnssecLiteError
from dnssec_lite.resolve.cache import AnswerCache
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import RRClass, RRType
from dnssec_lite.wire.zonefile import parse_rrsets
from tests.helpers.fakenet import FakeNetwork
from tests.helpers.hostile import CLASSES, Mutation, Pool, draw, forged_dnskey
from tests.helpers.zonesigner import NOW, Hierarchy, NSEC3Params

#: Signatures of short.test. expire this long after NOW.
SHORT_LIFE = 900
TLSA_HEX = "0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6"

#: (label, qname, qtype) of every genuine question.
SCENARIOS: tuple[tuple[str, str, str], ...] = (
    ("positive", "www.example.test.", "A"),
    ("nodata-nsec", "www.example.test.", "AAAA"),
    ("nxdomain-nsec", "nope.example.test.", "A"),
    ("wildcard-nsec", "x.wild.example.test.", "A"),
    ("cname", "alias.example.test.", "A"),
    ("dname", "www.dn.example.test.", "A"),
    ("tlsa", "_25._tcp.mx.example.test.", "TLSA"),
    ("positive-nsec3", "www.n3.test.", "A"),
    ("nxdomain-nsec3", "nope.n3.test.", "A"),
    ("nodata-nsec3", "www.n3.test.", "TXT"),
    ("wildcard-nsec3", "x.wild.n3.test.", "A"),
    ("wildcard-apex", "x.wc.test.", "A"),
    ("positive-under-wildcard", "mail.wc.test.", "A"),
    ("nxdomain-below-wildcard", "x.mail.wc.test.", "A"),
    ("nxdomain-nsec3-deep", "x.www.n3.test.", "A"),
    ("wildcard-apex-nsec3", "x.wc3.test.", "A"),
    ("nxdomain-below-wildcard-nsec3", "x.mail.wc3.test.", "A"),
    ("short-lived", "www.short.test.", "A"),
)


def build() -> Hierarchy:
    """root, test., example.test. (NSEC), n3.test. (NSEC3, RSA), wc.test.
    (Ed25519, NSEC) and wc3.test. (NSEC3) with a wildcard at the apex and
    names beside it, and short.test. whose signatures expire soon."""
    h = Hierarchy(13)
    assert h.domain is not None
    h.domain.add(
        "www 300 IN A 192.0.2.1",
        "www 300 IN A 192.0.2.2",
        "*.wild 300 IN A 192.0.2.9",
        "alias 300 IN CNAME www",
        "dn 300 IN DNAME n3.test.",
        "mx 300 IN A 192.0.2.25",
        f"_25._tcp.mx 300 IN TLSA 3 1 1 {TLSA_HEX}",
    )
    n3 = h.add_zone("n3.test.", algorithm=8, nsec3=NSEC3Params(iterations=0, salt=b"\xab"))
    n3.add("www 170 IN A 198.51.100.1", "*.wild 300 IN A 198.51.100.9", "z 300 IN A 198.51.100.26")
    wc = h.add_zone("wc.test.", algorithm=15)
    wc.add("* 300 IN A 192.0.2.99", "mail 300 IN A 192.0.2.25", "z 300 IN A 192.0.2.26")
    wc3 = h.add_zone("wc3.test.", nsec3=NSEC3Params())
    wc3.add("* 300 IN A 192.0.2.99", "mail 300 IN A 192.0.2.25", "z 300 IN A 192.0.2.26")
    short = h.add_zone("short.test.", expiration=NOW + SHORT_LIFE)
    short.add("www 300 IN A 203.0.113.1")
    return h.sign()


@dataclass
class Genuine:
    """A scenario's genuine validation and the responses it fetched."""

    label: str
    question: Question
    answer: Answer
    responses: dict[tuple[Name, int], Message]
    fetches: list[tuple[Name, int]]


@dataclass
class World:
    h: Hierarchy
    net: FakeNetwork
    pool: Pool
    genuine: list[Genuine] = field(default_factory=list)


def _recorder(
    net: FakeNetwork, responses: dict[tuple[Name, int], Message], order: list[tuple[Name, int]]
) -> Callable[[Name, int], FetchResult]:
    """A fetcher that keeps each honest response (decoded from its wire form)."""

    def fetch(name: Name, rrtype: int) -> FetchResult:
        if (name, rrtype) not in responses:
            res = net.query(name, rrtype)
            assert isinstance(res, Message)
            responses[(name, rrtype)] = Message.from_wire(res.to_wire())
            order.append((name, rrtype))
        return responses[(name, rrtype)]

    return fetch


@cache
def world() -> World:
    h = build()
    net = h.network(roundtrip=False)
    w = World(h, net, Pool.from_hierarchy(h))
    for label, qname, qtype in SCENARIOS:
        q = Question(Name.from_text(qname), RRType.from_text(qtype), RRClass.IN)
        responses: dict[tuple[Name, int], Message] = {}
        order: list[tuple[Name, int]] = []
        answer = validate(h, q, _recorder(net, responses, order))
        assert answer.status is Status.SECURE, f"{label}: {answer.summary()}"
        w.genuine.append(Genuine(label, q, answer, responses, order))
    return w


# -- shared attack material ------------------------------------------------------------


@cache
def rsa_world() -> Hierarchy:
    """Every zone signed with RSA/SHA-256 (algorithm 8), as the real root is."""
    h = Hierarchy(8)
    assert h.domain is not None
    h.domain.add("www 300 IN A 192.0.2.1")
    h.add_zone("other.test.", algorithm=8).add("www 300 IN A 192.0.2.7")
    return h.sign()


def forged_set(zone: str, tag: int, alg: int, **kw: object) -> RRset:
    """An unsigned DNSKEY set of one key forged with key tag ``tag`` (see forged_dnskey)."""
    keys = [forged_dnskey(tag, alg, random.Random(tag * 31 + alg), **kw)]  # type: ignore[arg-type]
    assert keys[0].key_tag == tag
    return RRset(Name.from_text(zone), RRType.DNSKEY, RRClass.IN, 3600, keys)


def unsigned_answer(msg: Message) -> Message:
    """The question answered with one unsigned record the attacker chose."""
    q = msg.question[0]
    rrsets = parse_rrsets(f"{q.name.to_text()} 300 IN A 6.6.6.6\n", ".")
    return msg.replace(answer=tuple(rrsets), authority=())


Fetcher = Callable[[Name, int], FetchResult]


def validate(h: Hierarchy, q: Question, fetch: Fetcher, now: int = NOW) -> Answer:
    validator = Validator(h.anchors(), key_cache=KeyCache())
    answer = drive(validator, q, fetch, now)
    answer.extra["key_cache"] = validator.key_cache
    return answer


def drive(validator: Validator, q: Question, fetch: Fetcher, now: int = NOW) -> Answer:
    job = validator.start(q, fetch(q.name, q.rrtype), now)
    for _ in range(1000):
        if job.answer is not None:
            return job.answer
        for f in job.pending():
            job.feed(f, fetch(f.name, f.rrtype))
    raise AssertionError("validation did not finish")


# -- the properties -------------------------------------------------------------------


RRsetView = tuple[bytes, int, int, frozenset[bytes]]


def _rrset_view(r: RRset) -> RRsetView:
    """An RRset as a set of records: owner case, TTLs and duplicates aside."""
    return (r.name.canonical_wire(), r.rrtype, r.rrclass, frozenset(d.to_wire() for d in r.rdatas))


def _records(answer: Answer) -> frozenset[RRsetView]:
    """The answer's records; a CNAME synthesised from a DNAME in the same
    answer is optional (RFC 6672 section 3.4: the validator may synthesise it)."""
    dnames = [r.name for r in answer.rrsets if r.rrtype == RRType.DNAME]
    return frozenset(
        _rrset_view(r)
        for r in answer.rrsets
        if not (r.rrtype == RRType.CNAME and any(r.name.is_strict_subdomain(d) for d in dnames))
    )


def _has_proof(answer: Answer) -> bool:
    return any(r.rrtype in (RRType.NSEC, RRType.NSEC3) for r in answer.denial)


def view(answer: Answer) -> tuple[object, ...]:
    """What a SECURE answer asserts: its rcode and its records."""
    return (answer.rcode, _records(answer))


def denial_extras(answer: Answer, genuine: Answer) -> list[str]:
    """Denial RRsets of ``answer`` that are not in the genuine answer's denial."""
    known = {_rrset_view(r) for r in genuine.denial}
    return [
        f"{r.name.to_text()} {RRType.to_text(r.rrtype)}"
        for r in answer.denial
        if _rrset_view(r) not in known
    ]


def _zone_of(h: Hierarchy, name: Name) -> Name:
    best = Name.from_text(".")
    for apex in h.zones:
        if name.is_subdomain(apex) and len(apex) > len(best):
            best = apex
    return best


def key_entry_bound(h: Hierarchy, entry: KeyEntry, now: int) -> int:
    """The longest a key-cache entry may live: a SECURE one no longer than the
    zone's DNSKEY TTL, its DS TTL and its signatures; BOGUS ones
    ``bogus_ttl``; anything else at most a day and the DS TTL."""
    zone = h.zones.get(entry.zone)
    if entry.status is Status.BOGUS:
        return DEFAULT_LIMITS.bogus_ttl
    if zone is None:  # an entry for a name that is no zone here
        return DEFAULT_LIMITS.bogus_ttl
    parent = h.parent_of(zone.apex)
    ttls = [zone.ttl, zone.expiration - now, 86400]
    if parent is not None:
        ttls += [parent.ttl, parent.expiration - now]
    return min(ttls)


def answer_bound(genuine: Genuine, now: int) -> int:
    """The longest a SECURE answer may be cached: the original TTLs and the
    signature expirations of what the genuine response was signed with."""
    ttls = [86400]
    for key, msg in genuine.responses.items():
        if key != (genuine.question.name, genuine.question.rrtype):
            continue
        for r in (*msg.answer, *msg.authority):
            for sig in r.sigs:
                ttls += [sig.original_ttl, sig.expiration - now]
    return min(ttls)


def record_caps(answer: Answer, now: int) -> dict[tuple[bytes, int], int]:
    """The longest each signed record of ``answer`` may be kept: its RRSIGs'
    original TTLs and expirations."""
    caps: dict[tuple[bytes, int], int] = {}
    for r in answer.rrsets:
        if r.sigs:
            limit = min(min(s.original_ttl, s.expiration - now) for s in r.sigs)
            caps[(r.name.canonical_wire(), r.rrtype)] = limit
    return caps


def check(genuine: Genuine, answer: Answer, now: int = NOW) -> list[str]:
    """The violated properties, if any (empty: all hold)."""
    w = world()
    bad: list[str] = []
    if answer.status is Status.SECURE and view(answer) != view(genuine.answer):
        bad.append(f"(a) SECURE but differs from the genuine answer: {answer.summary()}")
    if answer.status is Status.SECURE and _has_proof(genuine.answer) and not _has_proof(answer):
        bad.append(
            f"(a) SECURE without the denial proof the genuine answer has: {answer.summary()}"
        )
    if answer.status is Status.SECURE and (extras := denial_extras(answer, genuine.answer)):
        bad.append(f"(a-denial) SECURE denial holds records not in the proof: {extras}")
    if answer.status is Status.INSECURE:
        bad.append(f"(b) INSECURE below an authenticated DS: {answer.summary()}")
    cache = answer.extra.get("key_cache")
    if isinstance(cache, KeyCache):
        for zone, (entry, expires) in cache._entries.items():
            limit = key_entry_bound(w.h, entry, now)
            if expires - now > limit:
                bad.append(
                    f"(c) key entry {zone.to_text()} {entry.status.value} lives "
                    f"{expires - now} s > {limit} s"
                )
    lifetime = AnswerCache().lifetime(answer)
    if answer.status is Status.SECURE:
        limit = answer_bound(genuine, now)
        if lifetime > limit:
            bad.append(f"(c) answer cached {lifetime} s > {limit} s")
        for r in answer.rrsets:
            # Capped by the signatures of the genuine record (an attacker may
            # attach others, which validate nothing), else by its own.
            cap = record_caps(genuine.answer, now).get((r.name.canonical_wire(), r.rrtype))
            if cap is None:
                own = [s.original_ttl for s in r.sigs] + [s.expiration - now for s in r.sigs]
                cap = min(own) if own else None
            if cap is not None and r.ttl > cap:
                bad.append(f"(c) record {r.name.to_text()} TTL {r.ttl} > {cap}")
    elif answer.status is Status.BOGUS and lifetime > DEFAULT_LIMITS.bogus_ttl:
        bad.append(f"(c) BOGUS answer cached {lifetime} s")
    return bad


@dataclass
class Outcome:
    label: str
    target: tuple[Name, int]
    mutation: Mutation
    verdict: str
    violations: list[str]
    summary: str


def run_mutation(genuine: Genuine, target: tuple[Name, int], mutation: Mutation) -> Outcome:
    """Validate ``genuine.question`` with the response to ``target`` rewritten."""
    w = world()
    mutated: Message | None = None
    try:
        mutated = Message.from_wire(mutation.apply(genuine.responses[target]).to_wire())
    except DnssecLiteError:
        pass
    except (ValueError, OverflowError, KeyError, IndexError):  # not encodable: not sendable
        pass
    if mutated is None:
        return Outcome(genuine.label, target, mutation, "unsendable", [], "")

    def fetch(name: Name, rrtype: int) -> FetchResult:
        if (name, rrtype) == target:
            return mutated
        known = genuine.responses.get((name, rrtype))
        return known if known is not None else w.net.query(name, rrtype)

    answer = validate(w.h, genuine.question, fetch)
    verdict = answer.status.value
    if answer.status is Status.SECURE:
        verdict = "secure-same" if view(answer) == view(genuine.answer) else "secure-DIFFERENT"
    return Outcome(
        genuine.label, target, mutation, verdict, check(genuine, answer), answer.summary()
    )


def scenario(label: str) -> Genuine:
    return next(g for g in world().genuine if g.label == label)


def attack(
    label: str,
    rewrite: Callable[[Message], Message],
    target: tuple[str, str] | None = None,
    now: int = NOW,
) -> Answer:
    """Validate scenario ``label`` with the response to ``target`` (default:
    the question) rewritten; the answer carries its key cache in ``extra``."""
    genuine = scenario(label)
    w = world()
    key = (
        (genuine.question.name, genuine.question.rrtype)
        if target is None
        else (Name.from_text(target[0]), RRType.from_text(target[1]))
    )
    base = genuine.responses.get(key)
    if base is None:
        honest = w.net.query(*key)
        assert isinstance(honest, Message)
        base = honest
    mutated = Message.from_wire(rewrite(base).to_wire())

    def fetch(name: Name, rrtype: int) -> FetchResult:
        if (name, rrtype) == key:
            return mutated
        known = genuine.responses.get((name, rrtype))
        return known if known is not None else w.net.query(name, rrtype)

    return validate(w.h, genuine.question, fetch, now)


def sample(count: int, seed: int = 0) -> Iterator[tuple[Genuine, tuple[Name, int], Mutation]]:
    """``count`` mutations drawn deterministically from ``seed``, round-robin
    over the scenarios: half of them rewrite the response to the question
    itself, half one response of the chain (DNSKEY, DS) the genuine
    validation fetched (there, often a forged key set or a mixed DS set)."""
    w = world()
    rng = random.Random(seed)
    made = 0
    while made < count:
        genuine = w.genuine[made % len(w.genuine)]
        first = (genuine.question.name, genuine.question.rrtype)
        target = first if rng.random() < 0.5 else rng.choice(genuine.fetches)
        classes: tuple[str, ...] = tuple(CLASSES)
        if target != first and rng.random() < 0.4:
            classes = ("forged-dnskey", "ds-mix")  # the key attacks, where they apply
        mutation = draw(genuine.responses[target], w.pool, rng, classes)
        if mutation is None:
            continue
        made += 1
        yield genuine, target, mutation


def count_env(default: int) -> int:
    """The mutation count: ``DNSSEC_LITE_MUTATIONS`` or ``default``."""
    return int(os.environ.get("DNSSEC_LITE_MUTATIONS", default))


@dataclass
class Tally:
    """Counts of a mutation run: per class, per verdict, per (class, verdict),
    and the violations by property."""

    total: int = 0
    by_class: Counter[str] = field(default_factory=Counter)
    by_verdict: Counter[str] = field(default_factory=Counter)
    by_pair: Counter[tuple[str, str]] = field(default_factory=Counter)
    violations: dict[str, list[str]] = field(default_factory=dict)

    def add(self, o: Outcome) -> None:
        self.total += 1
        self.by_class[o.mutation.cls] += 1
        self.by_verdict[o.verdict] += 1
        self.by_pair[(o.mutation.cls, o.verdict)] += 1
        for v in o.violations:
            prop = v.split(")", 1)[0] + ")"
            self.violations.setdefault(prop, []).append(
                f"{o.label}: {o.mutation.cls} [{o.mutation.detail}] on "
                f"{o.target[0].to_text()} {RRType.to_text(o.target[1])}: {v}"
            )

    def table(self) -> str:
        verdicts = sorted(self.by_verdict)
        head = f"{'class':<14}" + "".join(f"{v:>17}" for v in verdicts) + f"{'total':>8}"
        lines = [head]
        for cls in sorted(self.by_class):
            row = "".join(f"{self.by_pair[(cls, v)]:>17}" for v in verdicts)
            lines.append(f"{cls:<14}{row}{self.by_class[cls]:>8}")
        row = "".join(f"{self.by_verdict[v]:>17}" for v in verdicts)
        lines.append(f"{'all':<14}{row}{self.total:>8}")
        for prop, found in sorted(self.violations.items()):
            lines.append(f"violations {prop}: {len(found)}")
        return "\n".join(lines)


def run_sample(count: int, seed: int = 0) -> Tally:
    tally = Tally()
    for genuine, target, mutation in sample(count, seed):
        tally.add(run_mutation(genuine, target, mutation))
    return tally


__all__ = [
    "SCENARIOS",
    "Genuine",
    "Outcome",
    "Tally",
    "World",
    "attack",
    "build",
    "check",
    "count_env",
    "forged_set",
    "rsa_world",
    "unsigned_answer",
    "run_mutation",
    "run_sample",
    "sample",
    "scenario",
    "world",
]
