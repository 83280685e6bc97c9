"""Wildcard proofs must check the closest encloser (RFC 4035 5.3.4, RFC 4592).

The attacker holds a genuine wildcard RRset and its RRSIG, and genuine NSEC
or NSEC3 records of the zone, and places them where they do not belong: the
``*.example.`` RRset answered for a name below an existing name, or an
NXDOMAIN proof that skips the wildcard at the real closest encloser.
"""

from __future__ import annotations

import pytest

from dnssec_lite.dnssec.status import Answer, Status
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import Rcode, RRType
from tests.helpers.fakenet import FakeNetwork, validate_in
from tests.helpers.zonesigner import Hierarchy, NSEC3Params

N = Name.from_text
NSEC3 = NSEC3Params()


def world(nsec3: NSEC3Params | None) -> Hierarchy:
    """Zone ``example.`` with ``*.example.``, ``mail.example.``, ``z.example.``
    and a deeper wildcard ``*.deep.example.``."""
    h = Hierarchy(13, tld="example.", domain=None, nsec3=nsec3)
    h.tld.add(
        "* 300 IN A 192.0.2.99",
        "mail 300 IN A 192.0.2.25",
        "z 300 IN A 192.0.2.26",
        "*.deep 300 IN A 192.0.2.77",
    )
    return h.sign()


def moved(rrset: RRset, owner: str) -> RRset:
    """The RRset with its signatures, re-owned (what a wildcard expansion
    looks like on the wire)."""
    return RRset(N(owner), rrset.rrtype, rrset.rrclass, rrset.ttl, rrset.rdatas, rrset.sigs)


def forged(net: FakeNetwork, qname: str, **fields: object) -> None:
    """Answer ``qname``/A with the given sections (NOERROR unless told)."""
    fields.setdefault("rcode", Rcode.NOERROR)
    net.override(qname, "A", lambda msg: msg.replace(**fields))


def not_secure(answer: Answer) -> None:
    assert answer.status is Status.BOGUS, answer.summary()


@pytest.mark.parametrize("nsec3", [None, NSEC3], ids=["nsec", "nsec3"])
def test_genuine_wildcard_and_nxdomain_below_existing_name(nsec3: NSEC3Params | None) -> None:
    h = world(nsec3)
    expanded = validate_in(h, "x.nope.example.", "A")
    assert expanded.status is Status.SECURE and expanded.rcode == Rcode.NOERROR
    assert [r.name for r in expanded.rrsets] == [N("x.nope.example.")]
    assert expanded.denial, "a wildcard answer carries its proof"
    # Below mail.example. the wildcard *.example. does not apply: NXDOMAIN.
    below = validate_in(h, "x.mail.example.", "A")
    assert below.status is Status.SECURE and below.rcode == Rcode.NXDOMAIN, below.summary()
    deep = validate_in(h, "a.b.deep.example.", "A")
    assert deep.status is Status.SECURE and deep.rcode == Rcode.NOERROR, deep.summary()


def test_issue_recipe_nsec_wildcard_across_existing_name_is_bogus() -> None:
    """``*.example.`` (labels 1) at ``x.mail.example.`` with the NSEC
    ``mail.example.`` -> next: that NSEC shows mail.example. exists, a closer
    encloser than the wildcard's parent."""
    h = world(None)
    net = h.network()
    wild = h.tld.get("*.example.", RRType.A)
    proof = h.tld.get("mail.example.", RRType.NSEC)
    forged(net, "x.mail.example.", answer=(moved(wild, "x.mail.example."),), authority=(proof,))
    answer = validate_in(h, "x.mail.example.", "A", net=net)
    not_secure(answer)
    assert "closest encloser" in str(answer.reason)


@pytest.mark.parametrize("nsec3", [None, NSEC3], ids=["nsec", "nsec3"])
def test_wildcard_across_existing_name_with_every_genuine_proof(
    nsec3: NSEC3Params | None,
) -> None:
    """Whatever genuine denial records of the zone come with it, the
    expansion of *.example. at x.mail.example. is never SECURE."""
    h = world(nsec3)
    net = h.network()
    wild = h.tld.get("*.example.", RRType.A)
    every: list[RRset] = (
        [r for (_o, t), r in h.tld.signed.items() if t == RRType.NSEC]
        if nsec3 is None
        else list(h.tld.nsec3_rrsets.values())
    )
    forged(net, "x.mail.example.", answer=(moved(wild, "x.mail.example."),), authority=tuple(every))
    not_secure(validate_in(h, "x.mail.example.", "A", net=net))
    for one in every:
        forged(net, "x.mail.example.", answer=(moved(wild, "x.mail.example."),), authority=(one,))
        assert validate_in(h, "x.mail.example.", "A", net=net).status is not Status.SECURE


@pytest.mark.parametrize("nsec3", [None, NSEC3], ids=["nsec", "nsec3"])
def test_deeper_wildcard_moved_up_or_sideways(nsec3: NSEC3Params | None) -> None:
    """``*.deep.example.`` (labels 2) answered for a name outside deep.:
    the RRSIG then names another source of synthesis and cannot verify;
    answered with the apex wildcard's proof it stays BOGUS."""
    h = world(nsec3)
    net = h.network()
    deep = h.tld.get("*.deep.example.", RRType.A)
    honest = net.honest("x.nope.example.", "A")
    forged(net, "x.nope.example.", answer=(moved(deep, "x.nope.example."),))
    not_secure(validate_in(h, "x.nope.example.", "A", net=net))
    # The apex wildcard placed below deep. with the proof of x.nope.example.
    wild = h.tld.get("*.example.", RRType.A)
    forged(
        net,
        "a.deep.example.",
        answer=(moved(wild, "a.deep.example."),),
        authority=honest.authority,
    )
    not_secure(validate_in(h, "a.deep.example.", "A", net=net))
    # ... or with the genuine records next to a.deep.example.: deep.example.
    # exists (an empty non-terminal above *.deep.example.).
    if nsec3 is None:
        near = [h.tld.nsec_covering(N("a.deep.example."))]
    else:
        near = [h.tld.nsec3_covering(N(n)) for n in ("a.deep.example.", "deep.example.")]
        near.append(h.tld.nsec3_matching(N("example.")))
    forged(
        net,
        "a.deep.example.",
        answer=(moved(wild, "a.deep.example."),),
        authority=tuple(r for r in near if r is not None),
    )
    not_secure(validate_in(h, "a.deep.example.", "A", net=net))


@pytest.mark.parametrize("nsec3", [None, NSEC3], ids=["nsec", "nsec3"])
def test_nxdomain_must_deny_the_wildcard_at_the_closest_encloser(
    nsec3: NSEC3Params | None,
) -> None:
    """x.nope.example. is a wildcard expansion: an NXDOMAIN for it built from
    genuine records of the zone (those denying x.mail.example.) is BOGUS."""
    h = world(nsec3)
    net = h.network()
    other = net.honest("x.mail.example.", "A")
    assert other.rcode == Rcode.NXDOMAIN
    forged(net, "x.nope.example.", rcode=Rcode.NXDOMAIN, answer=(), authority=other.authority)
    not_secure(validate_in(h, "x.nope.example.", "A", net=net))
    # ... nor with every denial record of the zone but the wildcard's own.
    honest = net.honest("x.nope.example.", "A")
    forged(net, "x.nope.example.", rcode=Rcode.NXDOMAIN, answer=(), authority=honest.authority)
    not_secure(validate_in(h, "x.nope.example.", "A", net=net))


def test_nsec_nxdomain_with_the_closest_encloser_derived_from_the_records() -> None:
    """The closest encloser comes from the covering NSEC: mail.example. for
    x.mail.example., so *.mail.example. (not *.example.) must be denied; the
    one NSEC mail.example. -> next does both, the genuine NXDOMAIN."""
    h = world(None)
    net = h.network()
    proof = h.tld.get("mail.example.", RRType.NSEC)
    soa = h.tld.get("example.", RRType.SOA)
    forged(net, "x.mail.example.", rcode=Rcode.NXDOMAIN, answer=(), authority=(soa, proof))
    answer = validate_in(h, "x.mail.example.", "A", net=net)
    assert answer.status is Status.SECURE and answer.rcode == Rcode.NXDOMAIN
    assert "*.mail.example." in (answer.chain[-1].proof or "")
    # Under deep. the covering NSEC implies deep.example. as the encloser,
    # and *.deep.example. exists: no NXDOMAIN can be proven there.
    cover = h.tld.nsec_covering(N("a.b.deep.example."))
    assert cover is not None
    forged(net, "a.b.deep.example.", rcode=Rcode.NXDOMAIN, answer=(), authority=(soa, cover))
    not_secure(validate_in(h, "a.b.deep.example.", "A", net=net))


def test_wildcard_proof_records_are_what_the_answer_returns() -> None:
    h = world(None)
    net = h.network()
    honest: Message = net.honest("x.nope.example.", "A")
    answer = validate_in(h, "x.nope.example.", "A")
    assert answer.status is Status.SECURE
    assert {(r.name, r.rrtype) for r in answer.denial} == {
        (r.name, r.rrtype) for r in honest.authority
    }
