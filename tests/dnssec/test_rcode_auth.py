"""The status covers the rcode: header fields the attacker can rewrite
(rcode, flags) never turn genuine signed data into a SECURE answer with
another meaning.

The rcode is not signed; the data and the denial records are.  NXDOMAIN is
SECURE only with a valid NXDOMAIN proof for the last name of the chain, and
signed data that contradicts the rcode makes the answer BOGUS.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dnssec_lite.dnssec.status import Answer, Status
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.dnssec import NSEC
from dnssec_lite.wire.rdata.names import CNAME
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import (
    FLAG_AA,
    FLAG_AD,
    FLAG_CD,
    FLAG_RA,
    FLAG_RD,
    FLAG_TC,
    Rcode,
    RRClass,
    RRType,
)
from tests.helpers.fakenet import FakeNetwork, validate_in
from tests.helpers.zonesigner import Hierarchy, NSEC3Params

N = Name.from_text
TLSA = "_25._tcp.mx.example.test."
DIGEST = "8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1"
MODES = [None, NSEC3Params()]
IDS = ["nsec", "nsec3"]
#: (qname, qtype) of genuine positive answers: plain, TLSA, wildcard,
#: CNAME chain, DNAME chain, and the CNAME itself.
POSITIVE = [
    ("www.example.test.", "A"),
    (TLSA, "TLSA"),
    ("x.wild.example.test.", "A"),
    ("alias.example.test.", "A"),
    ("www.old.example.test.", "A"),
    ("alias.example.test.", "CNAME"),
    ("www.old.example.test.", "CNAME"),
]


def world(nsec3: NSEC3Params | None) -> Hierarchy:
    h = Hierarchy(13, nsec3=nsec3)
    assert h.domain is not None
    h.domain.add(
        "www 300 IN A 192.0.2.1",
        "mx 300 IN A 192.0.2.25",
        f"_25._tcp.mx 300 IN TLSA 3 1 1 {DIGEST}",
        "*.wild 300 IN A 192.0.2.9",
        "alias 300 IN CNAME www",
        "dangling 300 IN CNAME nothere",
        "old 300 IN DNAME example.test.",
    )
    return h.sign()


def flipped(h: Hierarchy, qname: str, qtype: str, **fields: object) -> Answer:
    net = h.network()
    net.override(qname, qtype, lambda msg: msg.replace(**fields))
    return validate_in(h, qname, qtype, net=net)


def bogus(answer: Answer) -> None:
    assert answer.status is Status.BOGUS, answer.summary()


@pytest.mark.parametrize("nsec3", MODES, ids=IDS)
@pytest.mark.parametrize("qname,qtype", POSITIVE)
def test_positive_answers_flipped_to_nxdomain_are_bogus(
    nsec3: NSEC3Params | None, qname: str, qtype: str
) -> None:
    h = world(nsec3)
    honest = validate_in(h, qname, qtype)
    assert honest.status is Status.SECURE and honest.rcode == Rcode.NOERROR, honest.summary()
    assert honest.records(), honest.summary()
    bogus(flipped(h, qname, qtype, rcode=Rcode.NXDOMAIN))


def test_issue_recipe_tlsa_flip_is_not_a_secure_no_tlsa() -> None:
    h = world(None)
    answer = flipped(h, TLSA, "TLSA", rcode=Rcode.NXDOMAIN)
    bogus(answer)
    assert "NXDOMAIN" in str(answer.reason)


@pytest.mark.parametrize("nsec3", MODES, ids=IDS)
def test_denials_flipped_are_bogus(nsec3: NSEC3Params | None) -> None:
    h = world(nsec3)
    nx = validate_in(h, "nope.example.test.", "A")
    assert nx.status is Status.SECURE and nx.rcode == Rcode.NXDOMAIN
    bogus(flipped(h, "nope.example.test.", "A", rcode=Rcode.NOERROR))
    nodata = validate_in(h, "www.example.test.", "TXT")
    assert nodata.status is Status.SECURE and nodata.rcode == Rcode.NOERROR
    bogus(flipped(h, "www.example.test.", "TXT", rcode=Rcode.NXDOMAIN))


@pytest.mark.parametrize("nsec3", MODES, ids=IDS)
def test_nodata_needs_its_proof(nsec3: NSEC3Params | None) -> None:
    h = world(nsec3)
    net = h.network()
    nx = net.honest("nope.example.test.", "A")
    # NOERROR, no data, and the proof of another name: not a NODATA proof.
    bogus(flipped(h, "www.example.test.", "TXT", authority=nx.authority))
    bogus(flipped(h, "www.example.test.", "TXT", authority=()))


@pytest.mark.parametrize("nsec3", MODES, ids=IDS)
def test_cname_chain_nxdomain_needs_the_target_proof(nsec3: NSEC3Params | None) -> None:
    """A CNAME to a name that does not exist: NXDOMAIN belongs to the target
    (RFC 6604), with the target's proof; for qtype CNAME too when the
    upstream chased it."""
    h = world(nsec3)
    net = h.network()
    chased = net.honest("dangling.example.test.", "A")
    assert chased.rcode == Rcode.NXDOMAIN
    answer = validate_in(h, "dangling.example.test.", "A")
    assert answer.status is Status.SECURE and answer.rcode == Rcode.NXDOMAIN
    assert [r.rrtype for r in answer.rrsets] == [RRType.CNAME]
    as_cname = validate_in(
        h,
        "dangling.example.test.",
        "CNAME",
        net=_override(h, "dangling.example.test.", "CNAME", chased),
    )
    assert as_cname.status is Status.SECURE and as_cname.rcode == Rcode.NXDOMAIN
    # Without the target's proof the NXDOMAIN is unauthenticated.
    bogus(flipped(h, "dangling.example.test.", "CNAME", rcode=Rcode.NXDOMAIN))
    bogus(flipped(h, "dangling.example.test.", "A", authority=()))
    # The CNAME's target exists: NXDOMAIN with the chased name's proof
    # transplanted from another response stays BOGUS.
    bogus(flipped(h, "alias.example.test.", "A", rcode=Rcode.NXDOMAIN, authority=chased.authority))


def _override(h: Hierarchy, qname: str, qtype: str, msg: Message) -> FakeNetwork:
    net = h.network()
    net.override(qname, qtype, lambda m: msg.replace(question=m.question))
    return net


@pytest.mark.parametrize("nsec3", MODES, ids=IDS)
def test_yxdomain_needs_a_dname_that_overflows(nsec3: NSEC3Params | None) -> None:
    h = world(nsec3)
    answer = flipped(h, "www.old.example.test.", "A", rcode=Rcode.YXDOMAIN)
    bogus(answer)
    assert "YXDOMAIN" in str(answer.reason)


@pytest.mark.parametrize("rcode", [Rcode.SERVFAIL, Rcode.REFUSED, Rcode.FORMERR, Rcode.NOTIMP])
def test_other_rcodes_with_signed_data_are_indeterminate_without_data(rcode: int) -> None:
    h = world(None)
    answer = flipped(h, "www.example.test.", "A", rcode=rcode)
    assert answer.status is Status.INDETERMINATE, answer.summary()
    assert answer.rrsets == () and answer.rcode == rcode


@pytest.mark.parametrize("nsec3", MODES, ids=IDS)
@pytest.mark.parametrize("flag", [FLAG_AA, FLAG_TC, FLAG_AD, FLAG_CD, FLAG_RD, FLAG_RA])
@pytest.mark.parametrize(
    "qname,qtype", [("www.example.test.", "A"), ("nope.example.test.", "A"), (TLSA, "TLSA")]
)
def test_flag_flips_change_nothing(
    nsec3: NSEC3Params | None, flag: int, qname: str, qtype: str
) -> None:
    h = world(nsec3)
    honest = validate_in(h, qname, qtype)
    net = h.network()
    net.override(qname, qtype, lambda msg: msg.replace(flags=msg.flags ^ flag))
    answer = validate_in(h, qname, qtype, net=net)
    assert answer.status is honest.status is Status.SECURE
    assert answer.rcode == honest.rcode
    assert [(r.name, r.rrtype, r.rdatas) for r in answer.rrsets] == [
        (r.name, r.rrtype, r.rdatas) for r in honest.rrsets
    ]


def _synth(h: Hierarchy, mutate: Callable[[RRset], RRset]) -> Answer:
    net = h.network()

    def rewrite(msg: Message) -> Message:
        return msg.replace(
            answer=tuple(mutate(r) if r.rrtype == RRType.CNAME else r for r in msg.answer)
        )

    net.override("www.old.example.test.", "A", rewrite)
    return validate_in(h, "www.old.example.test.", "A", net=net)


@pytest.mark.parametrize("rrclass", [RRClass.CH, 28, 46, RRClass.ANY])
def test_dname_synthesised_cname_of_another_class_is_bogus(rrclass: int) -> None:
    h = world(None)
    assert _synth(h, lambda r: r).status is Status.SECURE
    answer = _synth(h, lambda r: RRset(r.name, r.rrtype, rrclass, r.ttl, r.rdatas))
    bogus(answer)
    assert "class" in str(answer.reason)


def test_dname_synthesised_cname_with_extra_targets_is_bogus() -> None:
    h = world(None)
    extra = CNAME(N("evil.example."))
    bogus(_synth(h, lambda r: RRset(r.name, r.rrtype, r.rrclass, r.ttl, [*r.rdatas, extra])))
    bogus(_synth(h, lambda r: RRset(r.name, r.rrtype, r.rrclass, r.ttl, [extra, *r.rdatas])))
    bogus(_synth(h, lambda r: RRset(r.name, r.rrtype, r.rrclass, r.ttl, [extra])))


def test_secure_denial_holds_only_validated_records() -> None:
    """An unsigned NSEC slipped into a signed positive answer (or next to a
    genuine denial) is not handed back as part of a SECURE answer's proof."""
    h = world(None)
    junk = RRset(
        N("a.example.test."),
        RRType.NSEC,
        RRClass.IN,
        300,
        [NSEC(N("zzz.example.test."), frozenset({RRType.A}))],
    )
    for qname in ("www.example.test.", "nope.example.test.", "x.wild.example.test."):
        net = h.network()
        net.override(qname, "A", lambda msg: msg.replace(authority=(*msg.authority, junk)))
        answer = validate_in(h, qname, "A", net=net)
        assert answer.status is Status.SECURE, answer.summary()
        assert all(r.sigs for r in answer.denial)
        assert N("a.example.test.") not in [r.name for r in answer.denial]
