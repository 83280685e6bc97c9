"""Known-answer tests: RFC example signatures, keys and NSEC3 hashes
(``vectors/rfc``), and Unbound's per-algorithm signature checks
(``vectors/unbound-unit/test_signatures.*``)."""

from __future__ import annotations

import calendar
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from dnssec_lite.dnssec.algorithms import DEFAULT_POLICY, LEGACY_TEST_POLICY
from dnssec_lite.dnssec.chain import KeyCache, KeyEntry, Validator
from dnssec_lite.dnssec.digest import ds_digest
from dnssec_lite.dnssec.limits import DEFAULT_LIMITS
from dnssec_lite.dnssec.nsec3 import NSEC3Set
from dnssec_lite.dnssec.rrsig import Budget, check_rrset
from dnssec_lite.dnssec.status import Status
from dnssec_lite.dnssec.trust import TrustAnchors
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.base import b32hex_encode
from dnssec_lite.wire.rdata.dnssec import DNSKEY, RRSIG
from dnssec_lite.wire.rrset import RRset, group_rrs
from dnssec_lite.wire.zonefile import parse_zone

ROOT = Path(__file__).resolve().parents[2] / "vectors"
RFC = json.loads((ROOT / "rfc" / "rfc-vectors.json").read_text())["vectors"]


def stamp(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y%m%d%H%M%S"))


def of_kind(*kinds: str) -> list[Any]:
    return [pytest.param(v, id=v["source"][:60]) for v in RFC if v["kind"] in kinds]


def signed_rrset(vector: dict[str, Any]) -> tuple[RRset, DNSKEY]:
    sig_text = vector.get("rrsig") or vector["rrsig_recomputed"]
    (rrset,) = group_rrs(parse_zone("\n".join([*vector["rrset"], sig_text]) + "\n"))
    key_rr = parse_zone(
        vector["dnskey"]
        if " DNSKEY " in vector["dnskey"]
        else f"{vector['owner']} 3600 IN DNSKEY {vector['dnskey']}"
    )[0]
    assert isinstance(key_rr.rdata, DNSKEY)
    return rrset, key_rr.rdata


def policy_for(vector: dict[str, Any]) -> Any:
    return LEGACY_TEST_POLICY if "512-bit" in vector["source"] else DEFAULT_POLICY


@pytest.mark.parametrize("vector", of_kind("rrsig", "eddsa_rrsig"))
def test_rfc_rrsig_verifies_at_recorded_time(vector: dict[str, Any]) -> None:
    rrset, key = signed_rrset(vector)
    sig = rrset.sigs[0]
    zone = sig.signer
    now = stamp(vector["validate_at"])
    check = check_rrset(rrset, zone, (key,), now, DEFAULT_LIMITS, policy_for(vector), Budget())
    assert check.ok, check.reason
    # Long after expiration (beyond any skew) it is refused as expired.
    late = check_rrset(
        rrset,
        zone,
        (key,),
        sig.expiration + 10 * 86400,
        DEFAULT_LIMITS,
        policy_for(vector),
        Budget(),
    )
    assert not late.ok and late.reason is not None and late.reason.ede == 7
    # One flipped signature bit and it fails.
    flipped = RRSIG(
        sig.type_covered,
        sig.algorithm,
        sig.labels,
        sig.original_ttl,
        sig.expiration,
        sig.inception,
        sig.key_tag,
        sig.signer,
        sig.signature[:-1] + bytes([sig.signature[-1] ^ 1]),
    )
    bad = check_rrset(
        rrset.with_sigs([flipped]), zone, (key,), now, DEFAULT_LIMITS, policy_for(vector), Budget()
    )
    assert not bad.ok


def test_rfc5702_512_bit_key_refused_by_default_policy() -> None:
    (vector,) = [v for v in RFC if "512-bit" in v["source"]]
    rrset, key = signed_rrset(vector)
    check = check_rrset(
        rrset,
        rrset.sigs[0].signer,
        (key,),
        stamp(vector["validate_at"]),
        DEFAULT_LIMITS,
        DEFAULT_POLICY,
        Budget(),
    )
    assert not check.ok


def _not_wildcard(vector: dict[str, Any]) -> bool:
    rrset, _key = signed_rrset(vector)
    return rrset.sigs[0].labels == rrset.name.label_count()


@pytest.mark.parametrize(
    "vector",
    [p for p in of_kind("rrsig", "eddsa_rrsig") if _not_wildcard(p.values[0])],  # type: ignore[arg-type]
)
def test_rfc_rrsig_through_validator(vector: dict[str, Any]) -> None:
    """Non-wildcard examples through the validator, the zone's key already
    validated (the RFCs give no signed DNSKEY RRset to start from)."""
    rrset, key = signed_rrset(vector)
    zone = rrset.sigs[0].signer
    now = stamp(vector["validate_at"])
    cache = KeyCache()
    cache.put(KeyEntry(zone, Status.SECURE, keys=(key,), ttl=3600), now, 3600)
    anchors = TrustAnchors.from_rrs(parse_zone(vector["dnskey"] + "\n"))
    validator = Validator(anchors, policy=policy_for(vector), key_cache=cache)
    response = Message(
        flags=0x8180, question=(Question(rrset.name, rrset.rrtype),), answer=(rrset,)
    )
    job = validator.start(Question(rrset.name, rrset.rrtype), response, now)
    assert job.answer is not None and not job.pending()
    assert job.answer.status is Status.SECURE, job.answer.summary()
    later = Validator(anchors, policy=policy_for(vector), key_cache=KeyCache())
    cache2 = later.key_cache
    cache2.put(KeyEntry(zone, Status.SECURE, keys=(key,), ttl=3600), now, 3600)
    expired_at = rrset.sigs[0].expiration + 10 * 86400
    cache2.put(KeyEntry(zone, Status.SECURE, keys=(key,), ttl=3600), expired_at, 3600)
    job = later.start(Question(rrset.name, rrset.rrtype), response, expired_at)
    assert job.answer is not None and job.answer.status is Status.BOGUS


@pytest.mark.parametrize("vector", of_kind("keytag_ds"))
def test_rfc_key_tags_and_ds_digests(vector: dict[str, Any]) -> None:
    rr = parse_zone(f"{vector['owner']} 3600 IN DNSKEY {vector['dnskey']}\n")[0]
    assert isinstance(rr.rdata, DNSKEY)
    assert rr.rdata.key_tag == vector["key_tag"]
    for ds in vector["ds"]:
        digest = ds_digest(ds["digest_type"], rr.name.canonical_wire(), rr.rdata.to_wire())
        assert digest is not None and digest.hex() == ds["digest"]


@pytest.mark.parametrize("vector", of_kind("nsec3_hash"))
def test_rfc5155_nsec3_hashes(vector: dict[str, Any]) -> None:
    from dnssec_lite.wire.rdata.dnssec import NSEC3
    from dnssec_lite.wire.types import RRType

    zone = Name.from_text("example.")
    salt = bytes.fromhex(vector["salt"])
    owner = zone.child(vector["hash"].encode())
    rd = NSEC3(1, 0, vector["iterations"], salt, bytes(20), frozenset())
    ns3 = NSEC3Set([RRset(owner, RRType.NSEC3, 1, 3600, [rd])], zone, DEFAULT_LIMITS, Budget())
    digest = ns3.hash(Name.from_text(vector["name"]))
    assert b32hex_encode(digest).lower() == vector["hash"]
    assert ns3.match(Name.from_text(vector["name"])) is rd


# -- Unbound's test_signatures.* ------------------------------------------------------


def unbound_entries(path: Path) -> list[str]:
    text = path.read_text()
    out = []
    for block in re.findall(r"ENTRY_BEGIN(.*?)ENTRY_END", text, re.S):
        lines = []
        section = ""
        for line in block.splitlines():
            line = line.split(";")[0].strip()
            if line.startswith("SECTION"):
                section = line.split()[1]
                continue
            if line and section == "ANSWER":
                lines.append(line)
        out.append("\n".join(lines) + "\n")
    return out


SIG_FILES = sorted((ROOT / "unbound-unit").glob("test_signatures.*"))


def test_unbound_signature_vectors_are_present() -> None:
    assert SIG_FILES, "the Unbound unit vectors (vectors/unbound-unit) are missing"


@pytest.mark.parametrize("path", SIG_FILES, ids=[p.name for p in SIG_FILES])
def test_unbound_signature_vectors(path: Path) -> None:
    """Unbound's rule: an RRset is expected bogus when its owner's first
    label is 'bogus' or it has no RRSIG; every other one must verify."""
    entries = unbound_entries(path)
    key_rrsets = [r for r in group_rrs(parse_zone(entries[0])) if r.rrtype == 48]
    keys = tuple(rd for r in key_rrsets for rd in r.rdatas if isinstance(rd, DNSKEY))
    zone = key_rrsets[0].name
    checked = 0
    for text in entries[1:]:
        for rrset in group_rrs(parse_zone(text)):
            if rrset.rrtype == 46:
                continue
            expect_bogus = not rrset.sigs or rrset.name.labels[0].lower() == b"bogus"
            check = check_rrset(
                rrset, zone, keys, 0, DEFAULT_LIMITS, LEGACY_TEST_POLICY, Budget(), ignore_time=True
            )
            assert check.ok is not expect_bogus, (rrset, check.reason)
            checked += 1
    assert checked
