"""RFC 8198 aggressive use of validated NSEC/NSEC3 records (and the wildcard
and RRset caches beside them): what may be synthesized, what must not be,
lifetimes, size bound; every synthesized response is validated again."""

from __future__ import annotations

import logging

import pytest

from dnssec_lite.dnssec.aggressive import AggressiveCache
from dnssec_lite.dnssec.chain import Validator
from dnssec_lite.dnssec.status import Answer, Reason, Status
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.dnssec import NSEC3
from dnssec_lite.wire.types import EDE, Rcode, RRClass, RRType
from tests.helpers.fakenet import FakeNetwork, run_job
from tests.helpers.zonesigner import NOW, Hierarchy, NSEC3Params

N = Name.from_text


def _hierarchy(nsec3: NSEC3Params | None = None) -> Hierarchy:
    h = Hierarchy(nsec3=nsec3)
    # NSEC chain: example.test. a alias m ns1 *.wild z
    h["example.test."].add(
        "a 3600 IN A 192.0.2.1",
        "a 3600 IN TXT hello",
        "alias 3600 IN CNAME a",
        "m 3600 IN A 192.0.2.2",
        "z 3600 IN A 192.0.2.3",
        "*.wild 3600 IN A 192.0.2.9",
    )
    return h.sign()


NSEC_H = _hierarchy()
NSEC3_H = _hierarchy(NSEC3Params(iterations=1, salt=b"\xab"))
OPTOUT_H = _hierarchy(NSEC3Params(iterations=1, salt=b"\xab", opt_out=True))


class Env:
    """A validator over a fake network and an aggressive cache fed by it."""

    def __init__(self, h: Hierarchy, cache: AggressiveCache | None = None) -> None:
        self.net: FakeNetwork = h.network()
        self.validator = Validator(h.anchors())
        self.cache = cache if cache is not None else AggressiveCache()

    def learn(self, qname: str, qtype: str, now: int = NOW) -> Answer:
        answer = self.net.resolve(self.validator, qname, qtype, now)
        assert answer.status is Status.SECURE, answer.summary()
        self.cache.add(answer, now)
        return answer

    def synth(self, qname: str, qtype: str, now: int = NOW) -> Message | None:
        return self.cache.synthesize(Question(N(qname), RRType.from_text(qtype)), now)

    def validate(self, qname: str, qtype: str, response: Message, now: int = NOW) -> Answer:
        """Validate a synthesized response; no network query may be needed."""
        before = self.net.queries
        question = Question(N(qname), RRType.from_text(qtype), RRClass.IN)
        answer = run_job(self.validator.start(question, response, now), self.net)
        assert self.net.queries == before, "the synthesized answer needed a query"
        return answer


@pytest.fixture(params=["nsec", "nsec3"])
def env(request: pytest.FixtureRequest) -> Env:
    return Env(NSEC_H if request.param == "nsec" else NSEC3_H)


def test_nxdomain_from_cached_nsec_is_validated_secure(caplog: pytest.LogCaptureFixture) -> None:
    e = Env(NSEC_H)
    e.learn("b.example.test.", "A")
    assert e.synth("n.example.test.", "A") is None  # m -> ns1 was never seen
    caplog.set_level(logging.DEBUG, logger="dnssec_lite.dnssec.aggressive")
    response = e.synth("c.example.test.", "TXT")
    assert response is not None and response.rcode == Rcode.NXDOMAIN
    assert "aggressive cache: c.example.test. TXT answered NXDOMAIN" in caplog.text
    assert any(r.rrtype == RRType.SOA for r in response.authority)
    answer = e.validate("c.example.test.", "TXT", response)
    assert answer.status is Status.SECURE and answer.rcode == Rcode.NXDOMAIN
    assert answer.chain and answer.chain[-1].zone == N("example.test.")


def test_nxdomain_below_a_nonexistent_name(env: Env) -> None:
    env.learn("b.example.test.", "A")
    response = env.synth("deep.b.example.test.", "AAAA")
    assert response is not None and response.rcode == Rcode.NXDOMAIN
    answer = env.validate("deep.b.example.test.", "AAAA", response)
    assert answer.status is Status.SECURE and answer.rcode == Rcode.NXDOMAIN


def test_nodata_from_cached_nsec_but_never_for_an_existing_type(env: Env) -> None:
    env.learn("a.example.test.", "MX")
    response = env.synth("a.example.test.", "AAAA")
    assert response is not None and response.rcode == Rcode.NOERROR and not response.answer
    answer = env.validate("a.example.test.", "AAAA", response)
    assert answer.status is Status.SECURE and answer.rcode == Rcode.NOERROR
    assert env.synth("a.example.test.", "A") is None
    assert env.synth("a.example.test.", "TXT") is None


def test_empty_non_terminal_nodata() -> None:
    e = Env(NSEC_H)
    e.learn("o.example.test.", "A")  # NSEC ns1 -> *.wild covers o
    response = e.synth("wild.example.test.", "TXT")
    assert response is not None and response.rcode == Rcode.NOERROR
    answer = e.validate("wild.example.test.", "TXT", response)
    assert answer.status is Status.SECURE and answer.rcode == Rcode.NOERROR


@pytest.mark.parametrize(
    ("h", "learn", "ask"),
    [
        (NSEC_H, "x.wild.example.test.", "y.wild.example.test."),
        (NSEC3_H, "x.wild.example.test.", "deep.x.wild.example.test."),
    ],
)
def test_wildcard_answer_synthesized_from_a_cached_wildcard(
    h: Hierarchy, learn: str, ask: str
) -> None:
    e = Env(h)
    e.learn(learn, "A")
    response = e.synth(ask, "A")
    assert response is not None and response.rcode == Rcode.NOERROR
    assert [r.name for r in response.answer] == [N(ask)]
    answer = e.validate(ask, "A", response)
    assert answer.status is Status.SECURE
    assert [r.rdatas[0].to_text() for r in answer.records()] == ["192.0.2.9"]
    # No wildcard MX was ever seen: nothing to synthesize.
    assert e.synth(ask, "MX") is None


def _raw_secure_nxdomain(h: Hierarchy, qname: str) -> Answer:
    """The records of a real NXDOMAIN response, presented as a SECURE answer
    (the cache trusts its caller's status; here we want opt-out records in)."""
    response = h.network().query(N(qname), RRType.A)
    assert isinstance(response, Message) and response.rcode == Rcode.NXDOMAIN
    return Answer(
        Question(N(qname), RRType.A, RRClass.IN),
        Rcode.NXDOMAIN,
        Status.SECURE,
        denial=tuple(response.authority),
        ttl=300,
    )


def test_opt_out_nsec3_never_proves_a_name_absent() -> None:
    opted = AggressiveCache()
    opted.add(_raw_secure_nxdomain(OPTOUT_H, "b.example.test."), NOW)
    assert len(opted) > 0
    assert any(
        isinstance(rd, NSEC3) and rd.opt_out
        for zone in opted._zones.values()
        for item in zone.nsec3.values()
        for rd in item.rrset.rdatas
    )
    question = Question(N("deep.b.example.test."), RRType.A)
    assert opted.synthesize(question, NOW) is None
    plain = AggressiveCache()
    plain.add(_raw_secure_nxdomain(NSEC3_H, "b.example.test."), NOW)
    synthesized = plain.synthesize(question, NOW)
    assert synthesized is not None and synthesized.rcode == Rcode.NXDOMAIN


def test_nsec3_can_be_turned_off() -> None:
    e = Env(NSEC3_H, AggressiveCache(nsec3=False))
    e.learn("b.example.test.", "A")
    assert e.synth("deep.b.example.test.", "A") is None
    assert not any(zone.nsec3 for zone in e.cache._zones.values())


def test_entries_expire_with_the_soa_negative_ttl(env: Env) -> None:
    # Records have TTL 3600, the SOA minimum is 300: RFC 9077 caps at 300.
    env.learn("b.example.test.", "A")
    response = env.synth("deep.b.example.test.", "A", now=NOW + 299)
    assert response is not None
    assert all(r.ttl <= 1 for r in response.authority)
    assert env.validate("deep.b.example.test.", "A", response, NOW + 299).secure
    assert env.synth("deep.b.example.test.", "A", now=NOW + 300) is None
    assert len(env.cache) < 3


def test_only_secure_answers_are_kept() -> None:
    e = Env(NSEC_H)
    answer = e.net.resolve(e.validator, "b.example.test.", "A", NOW)
    for status in (Status.INSECURE, Status.BOGUS, Status.INDETERMINATE):
        other = Answer(
            answer.question,
            answer.rcode,
            status,
            rrsets=answer.rrsets,
            denial=answer.denial,
            reason=Reason(EDE.DNSSEC_BOGUS, "test"),
            ttl=answer.ttl,
        )
        assert e.cache.add(other, NOW) == 0
    assert len(e.cache) == 0
    assert e.synth("c.example.test.", "A") is None


def test_size_is_bounded() -> None:
    e = Env(NSEC_H, AggressiveCache(max_entries=3))
    for qname in ("b.example.test.", "o.example.test.", "zz.example.test.", "a.example.test."):
        e.learn(qname, "MX" if qname.startswith("a.") else "A")
        assert len(e.cache) <= 3
    with pytest.raises(ValueError):
        AggressiveCache(max_entries=0)


def test_negative_trust_anchor_blocks_synthesis() -> None:
    e = Env(NSEC_H, AggressiveCache(negative_anchors=[N("c.example.test.")]))
    e.learn("b.example.test.", "A")
    assert e.synth("c.example.test.", "A") is None
    assert e.synth("deep.c.example.test.", "A") is None
    assert e.synth("d.example.test.", "A") is not None


def test_ds_is_not_denied_by_the_child_apex() -> None:
    e = Env(NSEC_H)
    e.learn("example.test.", "MX")  # NODATA at the apex of example.test.
    assert e.synth("example.test.", "AAAA") is not None
    assert e.synth("example.test.", "DS") is None


def test_rrset_and_cname_cache() -> None:
    e = Env(NSEC_H)
    e.learn("alias.example.test.", "A")
    cname = e.cache.cname(N("alias.example.test."), NOW + 10)
    assert cname is not None and cname.rrtype == RRType.CNAME and cname.sigs
    assert cname.ttl == 3590
    target = e.cache.rrset(N("a.example.test."), RRType.A, NOW)
    assert target is not None and target.sigs
    assert e.cache.cname(N("alias.example.test."), NOW + 3600) is None
    assert e.cache.cname(N("a.example.test."), NOW) is None


def test_nsec_span_leaving_the_zone_is_not_kept() -> None:
    """Scrubbing: an NSEC of example.test. whose next name lies outside the
    zone (its span would cover names of other zones) is not cached; one
    wrapping to the apex is."""
    from dnssec_lite.wire.rdata.dnssec import NSEC, RRSIG
    from dnssec_lite.wire.rrset import RRset

    apex = Name.from_text("example.test.")

    def nsec(owner: str, nxt: str) -> RRset:
        sig = RRSIG(RRType.NSEC, 13, 3, 300, NOW + 3600, NOW - 3600, 1, apex, b"\0" * 64)
        rdata = NSEC(Name.from_text(nxt), frozenset({RRType.A, RRType.RRSIG, RRType.NSEC}))
        return RRset(Name.from_text(owner), RRType.NSEC, RRClass.IN, 300, [rdata], [sig])

    question = Question(Name.from_text("x.example.test."), RRType.A)

    def stored(rrset: RRset) -> int:
        answer = Answer(question, Rcode.NXDOMAIN, Status.SECURE, denial=(rrset,), ttl=300)
        return AggressiveCache().add(answer, NOW)

    assert stored(nsec("w.example.test.", "other.test.")) == 0
    assert stored(nsec("w.example.test.", "example.test.")) == 1
