"""NSEC3 proofs (RFC 5155 8) on records hashed here."""

from __future__ import annotations

import dataclasses

import pytest

from dnssec_lite.dnssec import nsec3
from dnssec_lite.dnssec.digest import nsec3_hash
from dnssec_lite.dnssec.limits import Limits
from dnssec_lite.dnssec.rrsig import Budget
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.base import b32hex_encode
from dnssec_lite.wire.rdata.dnssec import NSEC3
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import RRType as T

N = Name.from_text
Z = N("example.")
SALT = b"\xaa"


def h(name: str) -> bytes:
    return nsec3_hash(N(name).canonical_wire(), SALT, 1)


def chain(names: dict[str, set[int]], optout: bool = False, zone: Name = Z) -> list[RRset]:
    hashed = sorted((h(n), types) for n, types in names.items())
    out = []
    for i, (digest, types) in enumerate(hashed):
        nxt = hashed[(i + 1) % len(hashed)][0]
        owner = zone.child(b32hex_encode(digest).lower().encode())
        rd = NSEC3(1, int(optout), 1, SALT, nxt, frozenset(types))
        out.append(RRset(owner, T.NSEC3, 1, 300, [rd]))
    return out


ZONE = {
    "example.": {T.SOA, T.NS, T.DNSKEY},
    "a.example.": {T.A},
    "y.example.": set(),
    "x.y.example.": {T.A},
    "sub.example.": {T.NS},
}


def nset(rrsets: list[RRset], limits: Limits | None = None) -> nsec3.NSEC3Set:
    return nsec3.NSEC3Set(rrsets, Z, limits or Limits(), Budget())


def test_nxdomain_and_nodata() -> None:
    ns3 = nset(chain(ZONE))
    assert nsec3.prove_nxdomain(ns3, N("b.example.")).kind == "nxdomain"
    assert nsec3.prove_nodata(ns3, N("a.example."), T.AAAA).kind == "nodata"
    assert not nsec3.prove_nodata(ns3, N("a.example."), T.A).ok
    assert nsec3.prove_nodata(ns3, N("y.example."), T.A).kind == "nodata"  # ENT


def test_nxdomain_for_existing_name_fails() -> None:
    ns3 = nset(chain(ZONE))
    assert not nsec3.prove_nxdomain(ns3, N("a.example.")).ok


def test_delegation_cannot_be_closest_encloser() -> None:
    ns3 = nset(chain(ZONE))
    assert not nsec3.prove_nxdomain(ns3, N("www.sub.example.")).ok
    assert not nsec3.prove_nodata(ns3, N("sub.example."), T.A).ok
    assert nsec3.prove_no_ds(ns3, N("sub.example.")).kind == "no-ds"


def test_optout_only_insecure() -> None:
    ns3 = nset(chain(ZONE, optout=True))
    proof = nsec3.prove_nxdomain(ns3, N("b.example."))
    assert proof.ok and proof.insecure


def test_child_zone_nsec3_ignored() -> None:
    child = chain({"sub.example.": {T.SOA}, "w.sub.example.": {T.A}}, zone=N("sub.example."))
    assert not nset(child)


def test_hash_budget() -> None:
    limits = dataclasses.replace(Limits(), max_nsec3_hashes=3)
    ns3 = nset(chain(ZONE), limits)
    with pytest.raises(nsec3.LimitExceeded):
        nsec3.prove_nxdomain(ns3, N("a.b.c.d.e.example."))


def test_records_per_proof_bounded() -> None:
    names = {f"n{i}.example.": {T.A} for i in range(40)}
    ns3 = nset(chain(names))
    assert len(ns3.records) == Limits().max_nsec3_per_proof
