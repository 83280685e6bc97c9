"""Every way a generated zone can be broken gives the right status and the
right RFC 8914 code."""

from __future__ import annotations

import pytest

from dnssec_lite.dnssec.status import Answer, Status
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.dnssec import DS
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import EDE, RRType
from tests.helpers.fakenet import FakeNetwork, validate_in
from tests.helpers.zonesigner import (
    DAY,
    NOW,
    FakeKey,
    Hierarchy,
    NSEC3Params,
    cached_key,
    colliding_dnskey,
)

N = Name.from_text


def example(alg: int = 13, nsec3: NSEC3Params | None = None) -> Hierarchy:
    h = Hierarchy(alg, nsec3=nsec3)
    assert h.domain is not None
    h.domain.add(
        "www 300 IN A 192.0.2.1",
        "*.wild 300 IN A 192.0.2.9",
        "a.b 300 IN A 192.0.2.3",
        "mail 300 IN A 192.0.2.25",
    )
    return h.sign()


def expect(answer: Answer, status: Status, *edes: int) -> None:
    assert answer.status is status, answer.summary()
    assert answer.reason is not None
    assert answer.reason.ede in edes, answer.summary()


def www(h: Hierarchy, net: FakeNetwork | None = None, **kw: object) -> Answer:
    return validate_in(h, "www.example.test.", "A", net=net, **kw)


def test_expired_signature_ede7() -> None:
    h = example()
    assert h.domain is not None
    h.domain.resign("www", RRType.A, inception=NOW - 40 * DAY, expiration=NOW - 10 * DAY)
    answer = www(h)
    expect(answer, Status.BOGUS, EDE.SIGNATURE_EXPIRED)
    assert "expired" in answer.reason.text  # type: ignore[union-attr]


def test_not_yet_valid_signature_ede8() -> None:
    h = example()
    assert h.domain is not None
    h.domain.resign("www", RRType.A, inception=NOW + 10 * DAY, expiration=NOW + 40 * DAY)
    expect(www(h), Status.BOGUS, EDE.SIGNATURE_NOT_YET_VALID)


def test_expiration_before_inception_ede25() -> None:
    h = example()
    assert h.domain is not None
    h.domain.resign("www", RRType.A, inception=NOW + DAY, expiration=NOW - DAY)
    expect(www(h), Status.BOGUS, EDE.SIGNATURE_EXPIRED_BEFORE_VALID)


def test_signed_by_unknown_key_ede9() -> None:
    h = example()
    assert h.domain is not None
    h.domain.resign("www", RRType.A, key=cached_key(13, "stranger"))
    expect(www(h), Status.BOGUS, EDE.DNSKEY_MISSING, EDE.DNSSEC_BOGUS)


def test_signed_by_wrong_key_with_right_tag_ede6() -> None:
    h = example()
    assert h.domain is not None
    zsk = h.domain.keys[1]
    h.domain.resign("www", RRType.A, key=cached_key(13, "stranger"), key_tag=zsk.dnskey.key_tag)
    expect(www(h), Status.BOGUS, EDE.DNSSEC_BOGUS)


def test_ds_mismatch_ede9() -> None:
    h = example()
    assert h.domain is not None
    good = h.domain.ds_rdatas()[0]
    bad = DS(good.key_tag, good.algorithm, good.digest_type, bytes(b ^ 1 for b in good.digest))
    h.set_ds("example.test.", [bad])
    h.sign()
    answer = www(h)
    expect(answer, Status.BOGUS, EDE.DNSKEY_MISSING)
    assert answer.reason.name == N("example.test.")  # type: ignore[union-attr]


def test_missing_dnskey_ede9() -> None:
    h = example()
    assert h.domain is not None
    h.domain.remove("example.test.", RRType.DNSKEY)
    expect(www(h), Status.BOGUS, EDE.DNSKEY_MISSING)


def test_stripped_rrsig_ede10() -> None:
    h = example()
    assert h.domain is not None
    h.domain.strip_sigs("www", RRType.A)
    expect(www(h), Status.BOGUS, EDE.RRSIGS_MISSING)


def test_stripped_dnskey_rrsig_is_bogus() -> None:
    h = example()
    assert h.domain is not None
    h.domain.strip_sigs("example.test.", RRType.DNSKEY)
    expect(www(h), Status.BOGUS, EDE.RRSIGS_MISSING)


def test_tampered_rdata_ede6() -> None:
    h = example()
    assert h.domain is not None
    h.domain.tamper("www", RRType.A, "192.0.2.66")
    expect(www(h), Status.BOGUS, EDE.DNSSEC_BOGUS)


def test_tampered_ds_in_parent_is_bogus() -> None:
    h = example()
    h.tld.tamper("example.test.", RRType.DS, "1 13 2 " + "00" * 32)
    expect(www(h), Status.BOGUS, EDE.DNSSEC_BOGUS)


def test_root_signatures_all_expired_blames_the_clock() -> None:
    h = example()
    h.root.resign_all(inception=NOW - 60 * DAY, expiration=NOW - 30 * DAY)
    answer = www(h)
    expect(answer, Status.BOGUS, EDE.SIGNATURE_EXPIRED)
    assert "clock" in answer.reason.text  # type: ignore[union-attr]


# -- denial proofs --------------------------------------------------------------


def drop_authority(net: FakeNetwork, qname: str, qtype: str, keep: object) -> None:
    def edit(msg: Message) -> Message:
        return msg.replace(authority=tuple(r for r in msg.authority if keep(r)))  # type: ignore[operator]

    net.override(qname, qtype, edit)


@pytest.mark.parametrize("nsec3", [None, NSEC3Params()], ids=["nsec", "nsec3"])
def test_nxdomain_without_wildcard_proof_ede12(nsec3: NSEC3Params | None) -> None:
    h = example(nsec3=nsec3)
    net = h.network()
    honest = net.honest("nope.example.test.", "A")
    proofs = [r for r in honest.authority if r.rrtype in (RRType.NSEC, RRType.NSEC3)]
    assert len(proofs) >= 2
    # Keep only the record that covers/matches the name itself, not the wildcard one.
    zone = h.domain
    assert zone is not None
    if nsec3 is None:
        keep_owner = zone.nsec_covering(N("nope.example.test.")).name  # type: ignore[union-attr]
        wild = zone.nsec_covering(N("*.example.test."))
        assert wild is not None and wild.name != keep_owner
    else:
        ce = zone.nsec3_matching(N("example.test."))
        nc = zone.nsec3_covering(N("nope.example.test."))
        wild = zone.nsec3_covering(N("*.example.test."))
        assert ce and nc and wild and wild.name not in (ce.name, nc.name)
        keep_owner = None
    drop_authority(
        net,
        "nope.example.test.",
        "A",
        lambda r: r.rrtype == RRType.SOA or (wild is not None and r.name != wild.name),
    )
    _ = keep_owner
    answer = validate_in(h, "nope.example.test.", "A", net=net)
    expect(answer, Status.BOGUS, EDE.NSEC_MISSING)


@pytest.mark.parametrize("nsec3", [None, NSEC3Params()], ids=["nsec", "nsec3"])
def test_nxdomain_with_wrong_coverage_ede12(nsec3: NSEC3Params | None) -> None:
    """The proof for another name, replayed for this one."""
    h = example(nsec3=nsec3)
    net = h.network()
    other = net.honest("zzzz.example.test.", "A")
    net.override("mz.example.test.", "A", lambda msg: msg.replace(authority=other.authority))
    answer = validate_in(h, "mz.example.test.", "A", net=net)
    expect(answer, Status.BOGUS, EDE.NSEC_MISSING)


@pytest.mark.parametrize("nsec3", [None, NSEC3Params()], ids=["nsec", "nsec3"])
def test_nxdomain_for_existing_name_ede12(nsec3: NSEC3Params | None) -> None:
    h = example(nsec3=nsec3)
    net = h.network()
    fake = net.honest("nope.example.test.", "A")
    net.override("www.example.test.", "A", lambda msg: fake.replace(question=msg.question))
    answer = www(h, net=net)
    expect(answer, Status.BOGUS, EDE.NSEC_MISSING)


@pytest.mark.parametrize("nsec3", [None, NSEC3Params()], ids=["nsec", "nsec3"])
def test_nodata_proof_listing_the_type_ede12(nsec3: NSEC3Params | None) -> None:
    h = example(nsec3=nsec3)
    net = h.network()
    nodata = net.honest("www.example.test.", "AAAA")
    net.override("www.example.test.", "A", lambda msg: nodata.replace(question=msg.question))
    expect(www(h, net=net), Status.BOGUS, EDE.NSEC_MISSING)


@pytest.mark.parametrize("nsec3", [None, NSEC3Params()], ids=["nsec", "nsec3"])
def test_wildcard_answer_without_proof_ede12(nsec3: NSEC3Params | None) -> None:
    h = example(nsec3=nsec3)
    net = h.network()
    drop_authority(net, "x.wild.example.test.", "A", lambda r: False)
    answer = validate_in(h, "x.wild.example.test.", "A", net=net)
    expect(answer, Status.BOGUS, EDE.NSEC_MISSING)


def test_wildcard_answer_for_existing_name_is_bogus() -> None:
    """A wildcard expansion replayed for a name that exists."""
    h = example()
    net = h.network()
    wild = net.honest("mail.wild.example.test.", "A")

    def replay(msg: Message) -> Message:
        (rrset,) = wild.answer
        moved = RRset(
            N("a.b.example.test."), rrset.rrtype, rrset.rrclass, rrset.ttl, rrset.rdatas, rrset.sigs
        )
        return msg.replace(answer=(moved,), authority=wild.authority)

    net.override("a.b.example.test.", "A", replay)
    answer = validate_in(h, "a.b.example.test.", "A", net=net)
    assert answer.status is Status.BOGUS, answer.summary()


def test_optout_nsec3_does_not_prove_nodata_ede12() -> None:
    h = example(nsec3=NSEC3Params(opt_out=True))
    net = h.network()
    nx = net.honest("nope.example.test.", "A")
    # The opt-out span covering a name is no proof that an existing name lacks a type.
    net.override(
        "www.example.test.",
        "A",
        lambda msg: nx.replace(rcode=0, question=msg.question),
    )
    answer = www(h, net=net)
    assert answer.status is not Status.SECURE, answer.summary()
    assert answer.status is Status.BOGUS
    assert answer.reason is not None and answer.reason.ede == EDE.NSEC_MISSING


def test_unsigned_negative_answer_in_signed_zone() -> None:
    h = example()
    net = h.network()
    drop_authority(net, "nope.example.test.", "A", lambda r: r.rrtype == RRType.SOA)
    net.override(
        "nope.example.test.",
        "A",
        lambda msg: msg.replace(
            authority=tuple(r.without_sigs() for r in msg.authority if r.rrtype == RRType.SOA)
        ),
    )
    answer = validate_in(h, "nope.example.test.", "A", net=net)
    expect(answer, Status.BOGUS, EDE.RRSIGS_MISSING, EDE.NSEC_MISSING)


# -- unsupported things: INSECURE ---------------------------------------------------


def test_unsupported_algorithm_is_insecure_ede1() -> None:
    h = Hierarchy(13, domain=None)
    zone = h.add_zone("example.test.", algorithm=253, ksk=FakeKey(253), zsk=FakeKey(253))
    zone.add("www 300 IN A 192.0.2.1")
    h.sign()
    answer = www(h)
    expect(answer, Status.INSECURE, EDE.UNSUPPORTED_DNSKEY_ALGORITHM)


def test_unknown_digest_type_is_insecure_ede2() -> None:
    h = Hierarchy(13, domain=None)
    zone = h.add_zone("example.test.", digest_types=(99,))
    zone.add("www 300 IN A 192.0.2.1")
    h.sign()
    answer = www(h)
    expect(answer, Status.INSECURE, EDE.UNSUPPORTED_DS_DIGEST_TYPE)


def test_unknown_digest_beside_a_good_one_is_secure() -> None:
    h = Hierarchy(13, domain=None)
    zone = h.add_zone("example.test.", digest_types=(99, 2))
    zone.add("www 300 IN A 192.0.2.1")
    h.sign()
    assert www(h).status is Status.SECURE


def test_unsupported_algorithm_beside_a_good_one_is_secure() -> None:
    h = example()
    assert h.domain is not None
    h.domain.add_key(FakeKey(253), 257, signs_keys=True, signs_zone=True)
    h.sign()
    assert www(h).status is Status.SECURE, www(h).summary()


@pytest.mark.parametrize("alg", [8, 13])
@pytest.mark.parametrize("which", ["ksk", "zsk"])
def test_key_tag_collision_still_validates(alg: int, which: str) -> None:
    h = example(alg)
    zone = h.domain
    assert zone is not None
    index = 0 if which == "ksk" else 1
    real = zone.keys[index].dnskey
    decoy = colliding_dnskey(real)
    assert decoy.key_tag == real.key_tag and decoy != real
    # The decoy comes first in the DNSKEY RRset, so it is tried first.
    zone.keys.insert(
        0,
        type(zone.keys[0])(FakeKey(alg, decoy.key), real.flags, False, False, in_ds=False),
    )
    h.sign()
    assert zone.dnskey_rrset().rdatas[0] == decoy
    answer = www(h)
    assert answer.status is Status.SECURE, answer.summary()
