"""NSEC proofs (RFC 4035 5.4) on hand-made records."""

from __future__ import annotations

from dnssec_lite.dnssec import nsec
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.dnssec import NSEC
from dnssec_lite.wire.types import RRType

N = Name.from_text
Z = N("example.")
T = RRType


def rec(owner: str, nxt: str, *types: int) -> tuple[Name, NSEC]:
    return N(owner), NSEC(N(nxt), frozenset({*types, T.NSEC, T.RRSIG}))


CHAIN = [
    rec("example.", "a.example.", T.SOA, T.NS, T.DNSKEY),
    rec("a.example.", "sub.example.", T.A),
    rec("sub.example.", "x.y.example.", T.NS, T.DS),
    rec("x.y.example.", "example.", T.A),
]


def test_covers_and_wraparound() -> None:
    assert nsec.covers(N("a.example."), N("sub.example."), N("b.example."), Z)
    assert not nsec.covers(N("a.example."), N("sub.example."), N("a.example."), Z)
    assert nsec.covers(N("x.y.example."), N("example."), N("zzz.example."), Z)
    assert not nsec.covers(N("x.y.example."), N("example."), N("b.example."), Z)
    assert not nsec.covers(N("x.y.example."), N("example."), N("zzz.other."), Z)


def test_nxdomain_needs_name_and_wildcard_denial() -> None:
    assert nsec.prove_nxdomain(CHAIN, N("b.example."), Z).ok
    # without the apex NSEC, *.example. is not denied
    assert not nsec.prove_nxdomain(CHAIN[1:], N("b.example."), Z).ok
    assert not nsec.prove_nxdomain(CHAIN, N("a.example."), Z).ok


def test_nodata_and_empty_non_terminal() -> None:
    assert nsec.prove_nodata(CHAIN, N("a.example."), T.AAAA, Z).kind == "nodata"
    assert not nsec.prove_nodata(CHAIN, N("a.example."), T.A, Z).ok
    assert nsec.prove_nodata(CHAIN, N("y.example."), T.A, Z).kind == "ent-nodata"


def test_parent_side_delegation_nsec_denies_nothing_below() -> None:
    assert not nsec.prove_nodata(CHAIN, N("sub.example."), T.A, Z).ok
    assert nsec.covering(CHAIN, N("www.sub.example."), Z) is None
    assert not nsec.prove_nxdomain(CHAIN, N("www.sub.example."), Z).ok


def test_ds_proofs() -> None:
    assert nsec.prove_no_ds(CHAIN, N("sub.example."), Z).kind == "ds-exists"
    insecure = [rec("example.", "sub.example.", T.SOA), rec("sub.example.", "example.", T.NS)]
    proof = nsec.prove_no_ds(insecure, N("sub.example."), Z)
    assert proof.ok and proof.kind == "no-ds" and proof.insecure
    assert nsec.prove_no_ds(CHAIN, N("b.example."), Z).kind == "not-a-cut"


def test_next_name_outside_zone_dropped() -> None:
    from dnssec_lite.wire.rrset import RRset

    bad = RRset(N("example."), T.NSEC, 1, 300, [NSEC(N("zzz.other."), frozenset({T.SOA}))])
    good = RRset(N("a.example."), T.NSEC, 1, 300, [NSEC(N("example."), frozenset({T.A}))])
    assert [o for o, _ in nsec.nsec_records([bad, good], Z)] == [N("a.example.")]


def test_wildcard_answer_proof() -> None:
    assert nsec.prove_wildcard_answer(CHAIN, N("b.example."), 1, Z).ok
    assert not nsec.prove_wildcard_answer(CHAIN, N("a.example."), 1, Z).ok


def test_wildcard_answer_needs_the_signed_closest_encloser() -> None:
    """x.a.example. is covered by a.example. -> sub.example., whose owner is a
    closer encloser than the apex: *.example. cannot have been used."""
    assert not nsec.prove_wildcard_answer(CHAIN, N("x.a.example."), 1, Z).ok
    # ... while *.a.example. (labels 2) is consistent with that NSEC.
    assert nsec.prove_wildcard_answer(CHAIN, N("x.a.example."), 2, Z).ok
    # A deeper claimed source than the NSEC implies is just as wrong.
    assert not nsec.prove_wildcard_answer(CHAIN, N("p.q.example."), 2, Z).ok


def test_proof_owners_are_the_records_a_proof_rests_on() -> None:
    # NXDOMAIN for b.example.: the cover (a.example.) and the wildcard's (example.).
    assert nsec.proof_owners(CHAIN, N("b.example."), "nxdomain", Z) == {N("a.example."), Z}
    assert nsec.proof_owners(CHAIN, N("a.example."), "nodata", Z) == {N("a.example.")}
    # Empty non-terminal and wildcard answers: the cover alone.
    assert nsec.proof_owners(CHAIN, N("y.example."), "ent-nodata", Z) == {N("sub.example.")}
    assert nsec.proof_owners(CHAIN, N("b.example."), "wildcard-answer", Z) == {N("a.example.")}
