"""Proof misuse, rcode and flag tampering, re-owned records, DNAME
synthesis and TTL stretching, each as a fixed recipe on the genuine signed
responses of ``world.py``.  These are the named attacks behind the seeded
mutation classes of ``test_mutation_properties.py``.
"""

from __future__ import annotations

import pytest

from dnssec_lite.dnssec.status import Answer, Status
from dnssec_lite.wire.edns import Edns
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.dnssec import NSEC3
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import FLAG_AA, FLAG_AD, FLAG_CD, FLAG_TC, Rcode, RRClass, RRType
from dnssec_lite.wire.zonefile import parse_rrsets
from tests.adversarial.world import SHORT_LIFE, attack, scenario, view, world
from tests.helpers.zonesigner import NOW

N = Name.from_text


def signed(zone: str, owner: str, rrtype: int) -> RRset:
    z = world().h.zones[N(zone)]
    return z.get(owner, rrtype)


def renamed(rrset: RRset, owner: str) -> RRset:
    return RRset(N(owner), rrset.rrtype, rrset.rrclass, rrset.ttl, rrset.rdatas, rrset.sigs)


def never_secure(answer: Answer) -> None:
    assert answer.status is Status.BOGUS, answer.summary()


def secure_only_as_genuine(answer: Answer, label: str) -> None:
    """SECURE is allowed only for exactly the genuine answer (rcode included)."""
    genuine = scenario(label).answer
    assert answer.status is not Status.INSECURE, answer.summary()
    if answer.status is Status.SECURE:
        assert view(answer) == view(genuine), f"{answer.summary()} (genuine {genuine.summary()})"


# -- wildcard expansions across existing names ----------------------------------------


@pytest.mark.parametrize("rcode", [Rcode.NOERROR, Rcode.NXDOMAIN])
def test_nsec_wildcard_from_above_the_closest_encloser(rcode: int) -> None:
    """``*.wc.test.`` expanded at ``x.mail.wc.test.``: but ``mail.wc.test.``
    exists, so the closest encloser is ``mail.wc.test.`` and only a
    ``*.mail.wc.test.`` could match.  The NSEC covering the name is genuine."""
    wild = signed("wc.test.", "*.wc.test.", RRType.A)
    cover = world().h.zones[N("wc.test.")].nsec_covering(N("x.mail.wc.test."))
    assert cover is not None and cover.name == N("mail.wc.test.")

    def rewrite(m: Message) -> Message:
        return m.replace(
            rcode=rcode, answer=(renamed(wild, "x.mail.wc.test."),), authority=(cover,)
        )

    secure_only_as_genuine(attack("nxdomain-below-wildcard", rewrite), "nxdomain-below-wildcard")


@pytest.mark.parametrize("rcode", [Rcode.NOERROR, Rcode.NXDOMAIN])
def test_nsec3_wildcard_from_above_the_closest_encloser(rcode: int) -> None:
    zone = world().h.zones[N("wc3.test.")]
    wild = zone.get("*.wc3.test.", RRType.A)
    proof = [
        p
        for p in (
            zone.nsec3_covering(N("x.mail.wc3.test.")),
            zone.nsec3_matching(N("mail.wc3.test.")),
        )
        if p is not None
    ]

    def rewrite(m: Message) -> Message:
        return m.replace(
            rcode=rcode, answer=(renamed(wild, "x.mail.wc3.test."),), authority=tuple(proof)
        )

    label = "nxdomain-below-wildcard-nsec3"
    secure_only_as_genuine(attack(label, rewrite), label)


@pytest.mark.parametrize("label", ["wildcard-apex", "wildcard-apex-nsec3"])
def test_nxdomain_for_a_name_the_wildcard_covers(label: str) -> None:
    """NXDOMAIN for ``x.wc.test.`` with only the record covering the name:
    the wildcard at the closest encloser exists, so no proof can deny it."""
    g = scenario(label)
    zone = world().h.zones[g.question.name.parent()]
    soa = zone.get(zone.apex, RRType.SOA)
    cover = (
        zone.nsec3_covering(g.question.name)
        if zone.nsec3 is not None
        else zone.nsec_covering(g.question.name)
    )
    assert cover is not None

    def rewrite(m: Message) -> Message:
        return m.replace(rcode=Rcode.NXDOMAIN, answer=(), authority=(soa, cover))

    never_secure(attack(label, rewrite))


def test_wildcard_expansion_onto_an_existing_name() -> None:
    """``*.wc.test.`` A placed at ``mail.wc.test.``, which has its own A."""
    wild = signed("wc.test.", "*.wc.test.", RRType.A)
    proofs = [r for r in world().h.zones[N("wc.test.")].signed.values() if r.rrtype == RRType.NSEC]

    def rewrite(m: Message) -> Message:
        return m.replace(answer=(renamed(wild, "mail.wc.test."),), authority=tuple(proofs))

    secure_only_as_genuine(attack("positive-under-wildcard", rewrite), "positive-under-wildcard")


# -- proofs from elsewhere ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "donor"),
    [
        ("nxdomain-nsec", "nxdomain-nsec3"),
        ("nxdomain-nsec3", "nxdomain-nsec"),
        ("nodata-nsec", "nxdomain-nsec"),
        ("nodata-nsec3", "nodata-nsec"),
        ("nodata-nsec3", "nxdomain-nsec3"),
        ("nxdomain-nsec", "nodata-nsec"),
    ],
)
def test_denial_proof_from_another_zone_or_name(label: str, donor: str) -> None:
    """The authority section of another negative answer (another zone or
    another name of the same zone) in place of the genuine one."""
    g = scenario(donor)
    foreign = g.responses[(g.question.name, g.question.rrtype)].authority

    def rewrite(m: Message) -> Message:
        return m.replace(authority=foreign)

    never_secure(attack(label, rewrite))


# -- rcode and flags ---------------------------------------------------------------------

SIGNED_ANSWERS = [
    "positive",
    "tlsa",
    "wildcard-nsec",
    "wildcard-nsec3",
    "cname",
    "dname",
    "positive-nsec3",
]


@pytest.mark.parametrize("label", SIGNED_ANSWERS)
def test_nxdomain_rcode_on_a_signed_answer(label: str) -> None:
    """The genuine signed answer with the rcode turned into NXDOMAIN: a DANE
    client would read 'no TLSA'.  Only the genuine NOERROR may be SECURE."""
    secure_only_as_genuine(attack(label, lambda m: m.replace(rcode=Rcode.NXDOMAIN)), label)


@pytest.mark.parametrize("label", ["nxdomain-nsec", "nxdomain-nsec3"])
def test_noerror_rcode_on_an_nxdomain_proof(label: str) -> None:
    """NXDOMAIN turned into NOERROR (a NODATA claim): the proof denies the
    name, not just the type; SECURE only as the genuine NXDOMAIN."""
    secure_only_as_genuine(attack(label, lambda m: m.replace(rcode=Rcode.NOERROR)), label)


@pytest.mark.parametrize("label", ["nodata-nsec", "nodata-nsec3"])
def test_nodata_claim_without_its_proof(label: str) -> None:
    def rewrite(m: Message) -> Message:
        return m.replace(authority=tuple(r for r in m.authority if r.rrtype == RRType.SOA))

    never_secure(attack(label, rewrite))


@pytest.mark.parametrize("label", ["positive", "tlsa", "nxdomain-nsec"])
@pytest.mark.parametrize("rcode", [Rcode.SERVFAIL, Rcode.REFUSED])
def test_error_rcode_on_signed_data_is_never_secure(label: str, rcode: int) -> None:
    answer = attack(label, lambda m: m.replace(rcode=rcode))
    assert answer.status is not Status.SECURE or answer.rcode == scenario(label).answer.rcode


@pytest.mark.parametrize("flag", [FLAG_AA, FLAG_AD, FLAG_TC, FLAG_CD])
@pytest.mark.parametrize("label", ["positive", "nxdomain-nsec3", "wildcard-nsec"])
def test_header_flags_change_nothing(flag: int, label: str) -> None:
    """AA, AD, TC and CD are not signed: flipping them neither authenticates
    nor breaks anything (the verdict is the genuine one)."""
    answer = attack(label, lambda m: m.replace(flags=m.flags ^ flag))
    assert answer.status is Status.SECURE, answer.summary()
    assert view(answer) == view(scenario(label).answer)


@pytest.mark.parametrize("label", ["positive", "tlsa"])
def test_ad_flag_on_unsigned_data_authenticates_nothing(label: str) -> None:
    def rewrite(m: Message) -> Message:
        return m.replace(flags=m.flags | FLAG_AD, answer=tuple(r.without_sigs() for r in m.answer))

    never_secure(attack(label, rewrite))


def test_do_bit_dropped_with_signatures_is_bogus_not_insecure() -> None:
    """An upstream that 'does not do DNSSEC' for a signed zone: no RRSIGs, no DO."""

    def rewrite(m: Message) -> Message:
        return m.replace(edns=Edns(flags=0), answer=tuple(r.without_sigs() for r in m.answer))

    never_secure(attack("positive", rewrite))
    never_secure(attack("positive", lambda m: rewrite(m).replace(edns=None)))


# -- re-owned records and swapped signatures ------------------------------------------------


def test_record_reowned_to_the_question_name_is_bogus() -> None:
    """www.example.test.'s signed A set served as the answer for alias.example.test."""
    www = signed("example.test.", "www.example.test.", RRType.A)
    never_secure(
        attack("cname", lambda m: m.replace(answer=(renamed(www, "alias.example.test."),)))
    )


def test_owner_case_change_is_harmless() -> None:
    def rewrite(m: Message) -> Message:
        return m.replace(answer=tuple(renamed(r, r.name.to_text().upper()) for r in m.answer))

    answer = attack("positive", rewrite)
    assert answer.status is Status.SECURE and view(answer) == view(scenario("positive").answer)


def test_signature_from_another_zone_is_bogus() -> None:
    """www.n3.test.'s RRSIG (a valid signature, by n3.test.) on www.example.test.'s data."""
    other = signed("n3.test.", "www.n3.test.", RRType.A)
    never_secure(
        attack("positive", lambda m: m.replace(answer=(m.answer[0].with_sigs(other.sigs),)))
    )


# -- DNAME synthesis -----------------------------------------------------------------------


def _synth(m: Message, **change: object) -> Message:
    out = []
    for r in m.answer:
        if r.rrtype == RRType.CNAME and r.name == N("www.dn.example.test."):
            fields = {"name": r.name, "rrclass": r.rrclass, "rdatas": r.rdatas, **change}
            r = RRset(fields["name"], r.rrtype, fields["rrclass"], r.ttl, fields["rdatas"])  # type: ignore[arg-type]
        out.append(r)
    return m.replace(answer=tuple(out))


@pytest.mark.parametrize("rrclass", [28, 46, RRClass.CH])
def test_dname_synthesised_cname_of_another_class(rrclass: int) -> None:
    """The unsigned CNAME a DNAME implies, in another class: it must not come
    back in a SECURE answer (the validator checks or re-synthesises it)."""
    answer = attack("dname", lambda m: _synth(m, rrclass=rrclass))
    if answer.status is Status.SECURE:
        assert all(r.rrclass == RRClass.IN for r in answer.rrsets), answer.rrsets
        assert view(answer) == view(scenario("dname").answer)


def test_dname_synthesised_cname_to_another_target() -> None:
    target = parse_rrsets("www.dn.example.test. 300 IN CNAME www.example.test.\n", ".")[0]
    answer = attack("dname", lambda m: _synth(m, rdatas=target.rdatas))
    secure_only_as_genuine(answer, "dname")


# -- TTL stretching -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "label", ["positive", "tlsa", "wildcard-nsec3", "positive-nsec3", "short-lived"]
)
@pytest.mark.parametrize("ttl", [295215, 0x7FFFFFFF])
def test_stretched_ttls_are_capped(label: str, ttl: int) -> None:
    """Records (and the RRSIG records) served with a TTL above the RRSIG's
    original TTL: the answer's TTL and every returned record's TTL are capped
    by the original TTL and by the signature expiration (RFC 4035 5.3.3)."""

    def rewrite(m: Message) -> Message:
        return m.replace(
            answer=tuple(
                RRset(r.name, r.rrtype, r.rrclass, ttl, r.rdatas, r.sigs, ttl) for r in m.answer
            )
        )

    answer = attack(label, rewrite)
    assert answer.status is Status.SECURE, answer.summary()
    for r in answer.rrsets:
        cap = min([s.original_ttl for s in r.sigs] + [s.expiration - NOW for s in r.sigs])
        assert r.ttl <= cap, f"{r.name.to_text()} TTL {r.ttl} > {cap}"
    assert 0 < answer.ttl <= scenario(label).answer.ttl
    if label == "short-lived":
        assert answer.ttl <= SHORT_LIFE


# -- NSEC3 parameters an attacker changed --------------------------------------------------


@pytest.mark.parametrize("iterations", [51, 500, 2500])
def test_forged_nsec3_iterations_do_not_downgrade(iterations: int) -> None:
    """NSEC3 records re-written with a huge iteration count (their RRSIGs no
    longer match): 'iterations above the limit' is INSECURE only for a
    signed NSEC3 chain; a forged one is BOGUS, and costs no hashing."""

    def rewrite(m: Message) -> Message:
        out = []
        for r in m.authority:
            if r.rrtype == RRType.NSEC3:
                rds = [
                    NSEC3(d.hash_algorithm, d.flags, iterations, d.salt, d.next_hashed, d.types)
                    for d in r.rdatas
                    if isinstance(d, NSEC3)
                ]
                r = RRset(r.name, r.rrtype, r.rrclass, r.ttl, rds, r.sigs)
            out.append(r)
        return m.replace(authority=tuple(out))

    for label in ("nxdomain-nsec3", "nodata-nsec3", "wildcard-nsec3"):
        never_secure(attack(label, rewrite))
