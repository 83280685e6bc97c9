"""Known-answer tests from Unbound's unit vectors (vectors/unbound-unit/):
DS digests against DNSKEYs, NSEC3 hashes, DS files of key pairs, and RRSIG
checks per algorithm."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnssec_lite.dnssec.algorithms import LEGACY_TEST_POLICY
from dnssec_lite.dnssec.chain import KeyEntry
from dnssec_lite.dnssec.digest import ds_digest, nsec3_hash
from dnssec_lite.dnssec.limits import DEFAULT_LIMITS
from dnssec_lite.dnssec.rrsig import Budget, check_rrset
from dnssec_lite.dnssec.status import Status
from dnssec_lite.errors import WireFormatError
from dnssec_lite.wire.rdata.base import b32hex_decode, rdata_from_wire
from dnssec_lite.wire.rdata.dnssec import DNSKEY, DS, NSEC3
from dnssec_lite.wire.rrset import RR, RRset, group_rrs
from dnssec_lite.wire.types import RRType
from dnssec_lite.wire.zonefile import parse_question, parse_zone

UNIT = Path(__file__).resolve().parents[2] / "vectors" / "unbound-unit"


def _entries(path: Path) -> list[dict[str, list[str]]]:
    """Split an Unbound unit file into ENTRY blocks of section lines."""
    entries: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    section = ""
    for raw in path.read_text(encoding="latin-1").splitlines():
        line = raw.split(";", 1)[0].strip() if not raw.lstrip().startswith(";") else ""
        if raw.startswith("ENTRY_BEGIN"):
            current = {"QUESTION": [], "ANSWER": [], "AUTHORITY": [], "ADDITIONAL": []}
            continue
        if raw.startswith("ENTRY_END"):
            assert current is not None
            entries.append(current)
            current = None
            continue
        if current is None or not line:
            continue
        if line.startswith("SECTION"):
            section = line.split()[1]
            continue
        current[section].append(line)
    return entries


def _rrs(lines: list[str]) -> list[RR]:
    return parse_zone("\n".join(lines) + "\n")


@pytest.mark.parametrize("name", ["test_ds.sha1", "test_ds.sha384"])
def test_ds_matching(name: str) -> None:
    entries = _entries(UNIT / name)
    assert len(entries) >= 3
    for entry in entries:
        expect = parse_question(entry["QUESTION"][0]).name.labels[0].startswith(b"yes")
        rrs = _rrs(entry["ANSWER"])
        ds = next(rr for rr in rrs if isinstance(rr.rdata, DS))
        key = next(rr for rr in rrs if isinstance(rr.rdata, DNSKEY))
        assert isinstance(ds.rdata, DS) and isinstance(key.rdata, DNSKEY)
        digest = ds_digest(ds.rdata.digest_type, key.name.canonical_wire(), key.rdata.to_wire())
        matches = (
            digest == ds.rdata.digest
            and ds.rdata.key_tag == key.rdata.key_tag
            and ds.rdata.algorithm == key.rdata.algorithm
            and ds.name == key.name
        )
        assert matches == expect, entry["ANSWER"]


def test_nsec3_hashes() -> None:
    entries = _entries(UNIT / "test_nsec3_hash.1")
    assert len(entries) >= 5
    for entry in entries:
        qname = parse_question(entry["QUESTION"][0]).name
        answer = _rrs(entry["ANSWER"])[0]
        params = next(rr.rdata for rr in _rrs(entry["AUTHORITY"]) if isinstance(rr.rdata, NSEC3))
        assert isinstance(params, NSEC3)
        want = b32hex_decode(answer.name.labels[0].decode())
        got = nsec3_hash(qname.canonical_wire(), params.salt, params.iterations)
        assert got == want, qname


def test_key_files_match_their_ds() -> None:
    pairs = sorted((UNIT / "keys").glob("*.ds"))
    assert len(pairs) >= 5
    for ds_path in pairs:
        key_path = ds_path.with_suffix(".key")
        ds = parse_zone(ds_path.read_text())[0]
        key = parse_zone(key_path.read_text())[0]
        assert isinstance(ds.rdata, DS) and isinstance(key.rdata, DNSKEY)
        assert ds.rdata.key_tag == key.rdata.key_tag, key_path.name
        digest = ds_digest(ds.rdata.digest_type, key.name.canonical_wire(), key.rdata.to_wire())
        if ds.rdata.digest_type == 3:  # GOST R 34.11-94: not supported, by design
            assert digest is None
            continue
        assert digest == ds.rdata.digest, key_path.name


@pytest.mark.parametrize("path", sorted(UNIT.glob("test_signatures.*")), ids=lambda p: p.name)
def test_signatures(path: Path) -> None:
    entries = _entries(path)
    keyset = _rrs(entries[0]["ANSWER"])
    zone = keyset[0].name
    keys = tuple(rr.rdata for rr in keyset if isinstance(rr.rdata, DNSKEY))
    entry_keys = KeyEntry(zone, Status.SECURE, keys=keys)
    checked = 0
    for entry in entries[1:]:
        for rrset in group_rrs(_rrs(entry["ANSWER"])):
            if rrset.rrtype == RRType.RRSIG or not rrset.sigs:
                continue
            result = check_rrset(
                rrset,
                entry_keys.zone,
                entry_keys.keys,
                0,
                DEFAULT_LIMITS,
                LEGACY_TEST_POLICY,
                Budget(),
                ignore_time=True,
            )
            assert result.ok, (path.name, rrset, result.reason)
            checked += 1
            # One flipped bit in the data must break it.
            tampered = rrset.with_ttl(rrset.ttl)
            first = tampered.rdatas[0]
            bad_wire = bytearray(first.to_wire())
            bad_wire[-1] ^= 0x01
            try:
                bad = rdata_from_wire(rrset.rrtype, bytes(bad_wire), 0, len(bad_wire))
            except WireFormatError:  # a flip that breaks the format proves nothing
                continue
            broken = RRset(
                rrset.name,
                rrset.rrtype,
                rrset.rrclass,
                rrset.ttl,
                (bad, *rrset.rdatas[1:]),
                rrset.sigs,
            )
            result = check_rrset(
                broken,
                zone,
                keys,
                0,
                DEFAULT_LIMITS,
                LEGACY_TEST_POLICY,
                Budget(),
                ignore_time=True,
            )
            assert not result.ok, (path.name, rrset)
    assert checked >= 1


def test_cname_beside_other_data_first_one_wins() -> None:
    """RFC 2181 10.1 forbids data beside a CNAME; when a server sends both,
    the RRset it put first is the one used (Unbound's scrubber)."""
    from dnssec_lite.dnssec.chain import cname_first
    from dnssec_lite.wire.name import Name
    from dnssec_lite.wire.zonefile import parse_rrsets

    a_first = tuple(parse_rrsets("w.t. 60 IN A 192.0.2.1\nw.t. 60 IN CNAME x.t.\n"))
    cname_first_set = tuple(parse_rrsets("w.t. 60 IN CNAME x.t.\nw.t. 60 IN A 192.0.2.1\n"))
    name = Name.from_text("w.t.")
    assert not cname_first(a_first, name, a_first[0])
    assert cname_first(cname_first_set, name, cname_first_set[1])
