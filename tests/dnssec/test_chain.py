"""The validator over generated zones: what must come out SECURE (or
INSECURE for good reasons), across algorithms, denial types, CNAME/DNAME
chains, trust anchors, TTLs and signature times."""

from __future__ import annotations

import dataclasses

import pytest

from dnssec_lite.dnssec.algorithms import AlgorithmPolicy
from dnssec_lite.dnssec.chain import Validator
from dnssec_lite.dnssec.limits import DEFAULT_LIMITS, Limits
from dnssec_lite.dnssec.status import Status
from dnssec_lite.dnssec.trust import TrustAnchor, TrustAnchors
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.dnssec import DNSKEY, RRSIG
from dnssec_lite.wire.rdata.names import CNAME
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import EDE, Rcode, RRType
from tests.helpers.fakenet import validate_in
from tests.helpers.keys import TestKey
from tests.helpers.zonesigner import DAY, NOW, Hierarchy, NSEC3Params

N = Name.from_text
DENIALS = [None, NSEC3Params(iterations=0, salt=b""), NSEC3Params(iterations=5, salt=b"\xaa\xbb")]
DENIAL_IDS = ["nsec", "nsec3", "nsec3-salted"]


def example(alg: int = 13, nsec3: NSEC3Params | None = None) -> Hierarchy:
    h = Hierarchy(alg, nsec3=nsec3)
    assert h.domain is not None
    h.domain.add(
        "www 300 IN A 192.0.2.1",
        "www 300 IN TXT hello",
        "a.b.c 300 IN TXT deep",
        "*.wild 300 IN A 192.0.2.9",
        "*.wild 300 IN MX 10 mail",
        "*.wc 300 IN CNAME www",
        "alias 300 IN CNAME www",
        "alias2 300 IN CNAME alias",
        "mail 300 IN A 192.0.2.25",
    )
    return h.sign()


@pytest.mark.parametrize("alg", [8, 10, 13, 14, 15, 16, 5, 7])
def test_algorithms_secure(alg: int) -> None:
    h = example(alg)
    answer = validate_in(h, "www.example.test.", "A")
    assert answer.status is Status.SECURE, answer.summary()
    assert answer.reason is None
    assert [link.status for link in answer.chain] == [Status.SECURE] * 3
    assert answer.records()[0].rdatas[0].to_text() == "192.0.2.1"


@pytest.mark.parametrize("alg", [5, 7])
def test_sha1_algorithms_insecure_when_sha1_refused(alg: int) -> None:
    h = Hierarchy(13, domain=None)
    zone = h.add_zone("example.test.", algorithm=alg)
    zone.add("www 300 IN A 192.0.2.1")
    h.sign()
    assert validate_in(h, "www.example.test.", "A").status is Status.SECURE
    answer = validate_in(h, "www.example.test.", "A", policy=AlgorithmPolicy(allow_sha1=False))
    assert answer.status is Status.INSECURE, answer.summary()
    assert answer.reason is not None and answer.reason.ede == EDE.UNSUPPORTED_DNSKEY_ALGORITHM


@pytest.mark.parametrize("nsec3", DENIALS, ids=DENIAL_IDS)
def test_nxdomain_secure(nsec3: NSEC3Params | None) -> None:
    answer = validate_in(example(nsec3=nsec3), "nope.example.test.", "A")
    assert answer.status is Status.SECURE, answer.summary()
    assert answer.rcode == Rcode.NXDOMAIN
    assert any(r.rrtype in (RRType.NSEC, RRType.NSEC3) for r in answer.denial)


@pytest.mark.parametrize("nsec3", DENIALS, ids=DENIAL_IDS)
def test_nodata_secure(nsec3: NSEC3Params | None) -> None:
    answer = validate_in(example(nsec3=nsec3), "www.example.test.", "AAAA")
    assert answer.status is Status.SECURE, answer.summary()
    assert answer.rcode == Rcode.NOERROR and not answer.rrsets


@pytest.mark.parametrize("nsec3", DENIALS, ids=DENIAL_IDS)
def test_empty_non_terminal_nodata_secure(nsec3: NSEC3Params | None) -> None:
    answer = validate_in(example(nsec3=nsec3), "b.c.example.test.", "A")
    assert answer.status is Status.SECURE, answer.summary()
    assert answer.rcode == Rcode.NOERROR


@pytest.mark.parametrize("nsec3", DENIALS, ids=DENIAL_IDS)
def test_wildcard_answer_secure(nsec3: NSEC3Params | None) -> None:
    answer = validate_in(example(nsec3=nsec3), "host.wild.example.test.", "A")
    assert answer.status is Status.SECURE, answer.summary()
    (rrset,) = answer.records()
    assert rrset.name == N("host.wild.example.test.")
    assert answer.denial, "a wildcard answer carries its proof"


@pytest.mark.parametrize("nsec3", DENIALS, ids=DENIAL_IDS)
def test_wildcard_nodata_secure(nsec3: NSEC3Params | None) -> None:
    answer = validate_in(example(nsec3=nsec3), "host.wild.example.test.", "TXT")
    assert answer.status is Status.SECURE, answer.summary()
    assert answer.rcode == Rcode.NOERROR and not answer.rrsets


@pytest.mark.parametrize("nsec3", DENIALS, ids=DENIAL_IDS)
def test_wildcard_cname_secure(nsec3: NSEC3Params | None) -> None:
    answer = validate_in(example(nsec3=nsec3), "x.wc.example.test.", "A")
    assert answer.status is Status.SECURE, answer.summary()
    assert [r.rrtype for r in answer.rrsets] == [RRType.CNAME, RRType.A]


def test_cname_chain_secure_in_zone() -> None:
    answer = validate_in(example(), "alias2.example.test.", "A")
    assert answer.status is Status.SECURE, answer.summary()
    assert [r.rrtype for r in answer.rrsets] == [RRType.CNAME, RRType.CNAME, RRType.A]


def cross_zone() -> Hierarchy:
    h = example()
    other = h.add_zone("other.test.")
    other.add("target 300 IN A 192.0.2.77", "back 300 IN CNAME www.example.test.")
    unsigned = h.add_zone("plain.test.", signed=False)
    unsigned.add("target 300 IN A 192.0.2.88", "back 300 IN CNAME www.example.test.")
    broken = h.add_zone("broken.test.")
    broken.add("target 300 IN A 192.0.2.99")
    assert h.domain is not None
    h.domain.add(
        "to-other 300 IN CNAME target.other.test.",
        "to-plain 300 IN CNAME target.plain.test.",
        "to-broken 300 IN CNAME target.broken.test.",
    )
    h.sign()
    broken.tamper("target", RRType.A, "192.0.2.100")
    return h


def test_cname_chain_across_secure_zones() -> None:
    answer = validate_in(cross_zone(), "to-other.example.test.", "A")
    assert answer.status is Status.SECURE, answer.summary()


def test_cname_chain_into_insecure_zone_is_insecure() -> None:
    answer = validate_in(cross_zone(), "to-plain.example.test.", "A")
    assert answer.status is Status.INSECURE, answer.summary()
    assert answer.rrsets[-1].rdatas[0].to_text() == "192.0.2.88"


def test_cname_chain_from_insecure_zone_is_insecure() -> None:
    answer = validate_in(cross_zone(), "back.plain.test.", "A")
    assert answer.status is Status.INSECURE, answer.summary()


def test_cname_chain_into_bogus_zone_is_bogus() -> None:
    answer = validate_in(cross_zone(), "to-broken.example.test.", "A")
    assert answer.status is Status.BOGUS, answer.summary()
    assert answer.reason is not None and answer.reason.ede == EDE.DNSSEC_BOGUS


def dname_zone() -> Hierarchy:
    h = example()
    assert h.domain is not None
    h.domain.add("old 300 IN DNAME example.test.")
    return h.sign()


def test_dname_with_matching_synthesised_cname_secure() -> None:
    answer = validate_in(dname_zone(), "www.old.example.test.", "A")
    assert answer.status is Status.SECURE, answer.summary()
    types = [r.rrtype for r in answer.rrsets]
    assert types[0] == RRType.DNAME and types[-1] == RRType.A


def test_dname_with_mismatching_synthesised_cname_bogus() -> None:
    h = dname_zone()
    net = h.network()

    def lie(msg: Message) -> Message:
        answer = [
            RRset(r.name, r.rrtype, r.rrclass, r.ttl, [CNAME(N("mail.example.test."))])
            if r.rrtype == RRType.CNAME
            else r
            for r in msg.answer
        ]
        return msg.replace(answer=tuple(answer))

    net.override("www.old.example.test.", "A", lie)
    answer = validate_in(h, "www.old.example.test.", "A", net=net)
    assert answer.status is Status.BOGUS, answer.summary()
    assert answer.reason is not None and answer.reason.ede == EDE.DNSSEC_BOGUS


def test_negative_trust_anchor_makes_broken_zone_insecure() -> None:
    h = example()
    assert h.domain is not None
    h.domain.tamper("www", RRType.A, "192.0.2.66")
    assert validate_in(h, "www.example.test.", "A").status is Status.BOGUS
    anchors = h.anchors(negative=[N("example.test.")])
    answer = validate_in(h, "www.example.test.", "A", anchors=anchors)
    assert answer.status is Status.INSECURE, answer.summary()
    assert answer.reason is not None and answer.reason.ede is None
    # The NTA covers only its subtree.
    assert validate_in(h, "test.", "SOA", anchors=anchors).status is Status.SECURE


@pytest.mark.parametrize("form", ["ds", "dnskey"])
def test_island_of_trust_anchor(form: str) -> None:
    h = example()
    # Break everything above the island: its anchor alone must carry it.
    h.root.resign_all(inception=NOW - 40 * DAY, expiration=NOW - 20 * DAY)
    assert validate_in(h, "www.example.test.", "A").status is Status.BOGUS
    anchors = h.anchor_for("example.test.", form=form)
    answer = validate_in(h, "www.example.test.", "A", anchors=anchors)
    assert answer.status is Status.SECURE, answer.summary()
    assert answer.chain[0].zone == N("example.test.")
    # Names outside the island have no anchor.
    outside = validate_in(h, "test.", "SOA", anchors=anchors)
    assert outside.status is Status.INDETERMINATE


def test_dnskey_anchor_with_wrong_key_is_bogus() -> None:
    h = example()
    assert h.domain is not None
    real = h.domain.keys[0].dnskey
    wrong = DNSKEY(real.flags, real.protocol, real.algorithm, TestKey.generate(13).public_key_bytes)
    anchors = TrustAnchors({N("example.test."): TrustAnchor(N("example.test."), (), (wrong,))})
    answer = validate_in(h, "www.example.test.", "A", anchors=anchors)
    assert answer.status is Status.BOGUS, answer.summary()
    assert answer.reason is not None and answer.reason.ede == EDE.DNSKEY_MISSING


def high_iterations(iterations: int) -> Hierarchy:
    return example(nsec3=NSEC3Params(iterations=iterations, salt=b"\x01"))


def test_nsec3_iterations_at_limit_secure() -> None:
    answer = validate_in(high_iterations(50), "nope.example.test.", "A")
    assert answer.status is Status.SECURE, answer.summary()


def test_nsec3_iterations_above_limit_insecure_ede27() -> None:
    answer = validate_in(high_iterations(51), "nope.example.test.", "A")
    assert answer.status is Status.INSECURE, answer.summary()
    assert answer.reason is not None
    assert answer.reason.ede == EDE.UNSUPPORTED_NSEC3_ITERATIONS_VALUE


def test_nsec3_iterations_above_limit_with_bad_rrsig_is_bogus() -> None:
    h = high_iterations(100)
    assert h.domain is not None
    for owner in list(h.domain.nsec3_rrsets):
        rrset = h.domain.nsec3_rrsets[owner]
        bad = [
            RRSIG(
                s.type_covered,
                s.algorithm,
                s.labels,
                s.original_ttl,
                s.expiration,
                s.inception,
                s.key_tag,
                s.signer,
                bytes(len(s.signature)),
            )
            for s in rrset.sigs
        ]
        h.domain.nsec3_rrsets[owner] = rrset.with_sigs(bad)
    answer = validate_in(h, "nope.example.test.", "A")
    assert answer.status is Status.BOGUS, answer.summary()


def test_ttl_capped_by_original_ttl() -> None:
    h = example()
    net = h.network()

    def inflate(msg: Message) -> Message:
        return msg.replace(answer=tuple(r.with_ttl(86400 * 7) for r in msg.answer))

    net.override("www.example.test.", "A", inflate)
    answer = validate_in(h, "www.example.test.", "A", net=net)
    assert answer.status is Status.SECURE, answer.summary()
    assert 0 < answer.ttl <= 300


def test_ttl_capped_by_signature_expiration() -> None:
    h = example()
    assert h.domain is not None
    h.domain.resign("www", RRType.A, expiration=NOW + 100)
    answer = validate_in(h, "www.example.test.", "A")
    assert answer.status is Status.SECURE, answer.summary()
    assert 0 < answer.ttl <= 100


@pytest.mark.parametrize(
    ("validity", "allowance"),
    [
        (2 * DAY, 2 * DAY // 10),  # 10 % of the validity
        (2 * 3600, 3600),  # clamped up to one hour
        (100 * DAY, DAY),  # clamped down to one day
    ],
)
def test_clock_skew_unbound_rule(validity: int, allowance: int) -> None:
    """Before inception Unbound's allowance applies by default; after
    expiration none does, unless the expiry side is configured like Unbound."""
    h = example()
    assert h.domain is not None
    inception, expiration = NOW - validity // 2, NOW + validity // 2
    for zone in h.zones.values():
        zone.resign_all(inception=inception, expiration=expiration)
    unbound = dataclasses.replace(DEFAULT_LIMITS, expiry_skew_min=3600, expiry_skew_max=86400)

    def status(now: int, limits: Limits = DEFAULT_LIMITS) -> tuple[Status, int | None]:
        answer = validate_in(h, "www.example.test.", "A", now=now, limits=limits)
        return answer.status, answer.reason.ede if answer.reason else None

    assert status(expiration - 60)[0] is Status.SECURE
    assert status(expiration + 60) == (Status.BOGUS, EDE.SIGNATURE_EXPIRED)
    assert status(expiration + allowance - 60, unbound)[0] is Status.SECURE
    assert status(expiration + allowance + 60, unbound) == (Status.BOGUS, EDE.SIGNATURE_EXPIRED)
    for limits in (DEFAULT_LIMITS, unbound):
        assert status(inception - allowance + 60, limits)[0] is Status.SECURE
        assert status(inception - allowance - 60, limits) == (
            Status.BOGUS,
            EDE.SIGNATURE_NOT_YET_VALID,
        )


def test_clock_skew_both_sides_configurable() -> None:
    """No allowance at all (Knot Resolver, BIND), or a fixed one."""
    h = example()
    inception, expiration = NOW - DAY, NOW + DAY
    for zone in h.zones.values():
        zone.resign_all(inception=inception, expiration=expiration)
    strict = dataclasses.replace(DEFAULT_LIMITS, skew_min=0, skew_max=0)
    fixed = dataclasses.replace(
        DEFAULT_LIMITS, skew_min=600, skew_max=600, expiry_skew_min=600, expiry_skew_max=600
    )

    def status(now: int, limits: Limits) -> Status:
        return validate_in(h, "www.example.test.", "A", now=now, limits=limits).status

    assert status(inception - 1, strict) is Status.BOGUS
    assert status(inception, strict) is Status.SECURE
    assert status(inception - 590, fixed) is Status.SECURE
    assert status(inception - 610, fixed) is Status.BOGUS
    assert status(expiration + 590, fixed) is Status.SECURE
    assert status(expiration + 610, fixed) is Status.BOGUS


def test_serial_arithmetic_across_2106() -> None:
    wrap = 1 << 32
    h = example()
    for zone in h.zones.values():
        zone.inception = wrap - 10 * DAY  # February 2106
        zone.expiration = wrap + 20 * DAY  # wraps to a small number
        zone.sign()
    assert h.domain is not None
    assert h.domain.get("www", RRType.A).sigs[0].expiration < 30 * DAY
    answer = validate_in(h, "www.example.test.", "A", now=wrap + DAY)
    assert answer.status is Status.SECURE, answer.summary()
    before = validate_in(h, "www.example.test.", "A", now=wrap - 5 * DAY)
    assert before.status is Status.SECURE, before.summary()
    late = validate_in(h, "www.example.test.", "A", now=wrap + 25 * DAY)
    assert late.status is Status.BOGUS
    assert late.reason is not None and late.reason.ede == EDE.SIGNATURE_EXPIRED


def test_ignore_time_accepts_expired_signatures() -> None:
    h = example()
    answer = validate_in(h, "www.example.test.", "A", now=NOW + 400 * DAY, ignore_time=True)
    assert answer.status is Status.SECURE, answer.summary()


def test_override_date_is_the_time_signatures_are_checked_at() -> None:
    h = example()
    late = NOW + 400 * DAY
    answer = validate_in(h, "www.example.test.", "A", now=late, override_date=NOW)
    assert answer.status is Status.SECURE, answer.summary()
    answer = validate_in(h, "www.example.test.", "A", now=NOW, override_date=late)
    assert answer.status is Status.BOGUS
    assert answer.reason is not None and answer.reason.ede == EDE.SIGNATURE_EXPIRED


def test_bogus_key_entry_expires_by_now_under_override_date() -> None:
    """Unbound's val-override-date fixes only the signature time: a BOGUS key
    entry still ages out of the key cache with the clock (``now``)."""
    h = example()
    assert h.domain is not None
    good = h.domain.get("@", RRType.DNSKEY)
    h.domain.resign("@", RRType.DNSKEY, inception=NOW - 40 * DAY, expiration=NOW - 20 * DAY)
    net = h.network()
    validator = Validator(h.anchors(), override_date=NOW)
    clock = 1000
    first = net.resolve(validator, "www.example.test.", "A", now=clock)
    assert first.status is Status.BOGUS
    assert first.reason is not None and first.reason.ede == EDE.SIGNATURE_EXPIRED
    h.domain.put(good)  # the zone is fixed
    net = h.network()
    soon = net.resolve(validator, "www.example.test.", "A", now=clock + 30)
    assert soon.status is Status.BOGUS  # the BOGUS key entry is still cached
    later = net.resolve(validator, "www.example.test.", "A", now=clock + 61)
    assert later.status is Status.SECURE, later.summary()


def test_key_cache_reused_across_validations() -> None:
    h = example()
    net = h.network()
    validator = Validator(h.anchors())
    first = net.resolve(validator, "www.example.test.", "A")
    second = net.resolve(validator, "mail.example.test.", "A")
    assert first.secure and second.secure
    assert second.extra["fetches"] < first.extra["fetches"]
    assert second.extra["fetches"] == 1


def test_chain_links_name_keys_and_ds() -> None:
    answer = validate_in(example(), "www.example.test.", "A")
    zones = [link.zone for link in answer.chain]
    assert zones == [N("."), N("test."), N("example.test.")]
    assert all(link.dnskeys for link in answer.chain)
    assert all(link.ds for link in answer.chain)


def test_dname_question_for_the_synthesised_cname_secure() -> None:
    """Asking for the CNAME itself below a DNAME: the answer is the DNAME
    (signed) plus the synthesised CNAME (unsigned), checked against it."""
    answer = validate_in(dname_zone(), "www.old.example.test.", "CNAME")
    assert answer.status is Status.SECURE, answer.reason
    types = [r.rrtype for r in answer.rrsets]
    assert types == [RRType.DNAME, RRType.CNAME]


def test_denial_from_above_a_closer_trust_anchor_proves_nothing() -> None:
    """A name under a trust anchor that sits below the denial's signer (an
    island under an unsigned delegation of a signed zone with its own
    anchor): the signer's proof that the delegation is unsigned must not
    make the name INSECURE; the anchored zone itself has to deny it."""
    h = example()
    sub = h.add_zone("sub.example.test.", secure_delegation=False)
    sub.add("www 300 IN A 192.0.2.44")
    h.sign()
    assert h.domain is not None
    anchors = TrustAnchors(
        {**h.anchor_for("example.test.").anchors, **h.anchor_for("sub.example.test.").anchors}
    )
    validator = Validator(anchors)
    net = h.network()
    assert net.resolve(validator, "www.sub.example.test.", "A").status is Status.SECURE
    delegation = h.domain.nsec_for(N("sub.example.test."))
    assert delegation is not None and delegation.sigs
    query = Message.make_query("nope.sub.example.test.", "A", id=1)
    forged = query.make_response().replace(authority=(delegation,))
    answer = net.resolve(Validator(anchors), "nope.sub.example.test.", "A", response=forged)
    assert answer.status is Status.BOGUS, answer.summary()


@pytest.mark.parametrize(
    ("shift", "ede"), [(60 * DAY, EDE.SIGNATURE_EXPIRED), (-60 * DAY, EDE.SIGNATURE_NOT_YET_VALID)]
)
def test_clock_far_off_is_diagnosed(shift: int, ede: int) -> None:
    """Every root signature out of date at ``now`` (a clock months off,
    beyond any allowance): BOGUS, and the reason says the clock looks wrong."""
    answer = validate_in(example(), "www.example.test.", "A", now=NOW + shift)
    assert answer.status is Status.BOGUS
    assert answer.reason is not None and answer.reason.ede == ede
    assert "system clock" in answer.reason.text and "looks wrong" in answer.reason.text
