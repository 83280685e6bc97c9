"""Tests of dnssec_lite.dnssec.digest: key tags, DS digests, NSEC3, base32hex."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

import dns.dnssec
import dns.dnssectypes
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnssec_lite.dnssec.digest import (
    base32hex_decode,
    base32hex_encode,
    ds_digest,
    is_supported_digest,
    key_tag,
    nsec3_hash,
)
from tests.helpers.keys import name_to_wire

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "rfc" / "rfc-vectors.json"


def _vectors(kind: str) -> list[dict[str, Any]]:
    data = json.loads(VECTORS.read_text(encoding="utf-8"))
    return [v for v in data["vectors"] if v["kind"] == kind]


def _dnskey_rdata(text: str) -> bytes:
    """'flags proto alg base64...' -> DNSKEY RDATA."""
    flags, proto, alg, *key = text.split()
    return struct.pack("!HBB", int(flags), int(proto), int(alg)) + base64.b64decode("".join(key))


# --------------------------------------------------------------------------
# Known answers.

KEYTAG_VECTORS = _vectors("keytag_ds")
NSEC3_VECTORS = _vectors("nsec3_hash")


def test_vector_counts() -> None:
    assert len(KEYTAG_VECTORS) == 7
    assert len(NSEC3_VECTORS) == 12


@pytest.mark.parametrize("vector", KEYTAG_VECTORS, ids=lambda v: str(v["key_tag"]))
def test_rfc_key_tags(vector: dict[str, Any]) -> None:
    rdata = _dnskey_rdata(vector["dnskey"])
    assert key_tag(rdata, rdata[3]) == vector["key_tag"]


@pytest.mark.parametrize(
    ("vector", "ds"),
    [(v, ds) for v in KEYTAG_VECTORS for ds in v["ds"]],
    ids=lambda x: str(x.get("key_tag", x.get("digest_type"))),
)
def test_rfc_ds_digests(vector: dict[str, Any], ds: dict[str, Any]) -> None:
    rdata = _dnskey_rdata(vector["dnskey"])
    owner = name_to_wire(vector["owner"])
    assert ds_digest(ds["digest_type"], owner, rdata) == bytes.fromhex(ds["digest"])
    # The owner name is canonicalised (lower-cased) by ds_digest itself.
    upper = ds_digest(ds["digest_type"], owner.upper(), rdata)
    assert upper == bytes.fromhex(ds["digest"])
    assert ds_digest(ds["digest_type"], owner, rdata[:-1]) != bytes.fromhex(ds["digest"])


@pytest.mark.parametrize("vector", NSEC3_VECTORS, ids=lambda v: v["name"])
def test_rfc5155_nsec3_hashes(vector: dict[str, Any]) -> None:
    assert vector["algorithm"] == 1
    digest = nsec3_hash(
        name_to_wire(vector["name"]),
        bytes.fromhex(vector["salt"]),
        vector["iterations"],
    )
    assert len(digest) == 20
    assert base32hex_encode(digest) == vector["hash"]
    assert base32hex_decode(vector["hash"]) == digest
    assert base32hex_decode(vector["hash"].upper()) == digest


def test_nsec3_hash_zero_iterations_and_empty_salt() -> None:
    import hashlib

    wire = name_to_wire("example.")
    assert nsec3_hash(wire, b"", 0) == hashlib.sha1(wire).digest()
    once = hashlib.sha1(hashlib.sha1(wire + b"\xab").digest() + b"\xab").digest()
    assert nsec3_hash(wire, b"\xab", 1) == once
    assert nsec3_hash(name_to_wire("EXAMPLE."), b"\xab", 1) == once
    with pytest.raises(ValueError):
        nsec3_hash(wire, b"", -1)


def test_key_tag_rsamd5_rule() -> None:
    # RFC 4034 B.1: bits 8..23 counted from the end of the modulus.
    rdata = struct.pack("!HBB", 256, 3, 1) + b"\x01\x03" + bytes(60) + b"\x12\x34\x56"
    assert key_tag(rdata, 1) == 0x1234
    assert key_tag(rdata, 1) != key_tag(rdata, 5)


def test_key_tag_rejects_short_rdata() -> None:
    with pytest.raises(ValueError):
        key_tag(b"\x01\x00\x03", 8)
    assert key_tag(b"\x01\x00\x03\x08", 8) == ((0x01 + 0x03) << 8) + 0x08


def test_supported_digests() -> None:
    assert [t for t in range(256) if is_supported_digest(t)] == [1, 2, 4]
    for unsupported in (0, 3, 5, 6, 255):
        assert ds_digest(unsupported, b"\x00", b"\x01\x00\x03\x08") is None
    assert len(ds_digest(1, b"\x00", b"") or b"") == 20
    assert len(ds_digest(2, b"\x00", b"") or b"") == 32
    assert len(ds_digest(4, b"\x00", b"") or b"") == 48


# --------------------------------------------------------------------------
# base32hex.


def test_base32hex_known() -> None:
    # RFC 4648 section 10 test vectors, base32hex, padding removed, lower case.
    cases = {b"": "", b"f": "co", b"fo": "cpng", b"foo": "cpnmu", b"foob": "cpnmuog",
             b"fooba": "cpnmuoj1", b"foobar": "cpnmuoj1e8"}  # fmt: skip
    for raw, text in cases.items():
        assert base32hex_encode(raw) == text
        assert base32hex_decode(text) == raw
        assert base32hex_decode(text.upper()) == raw


BAD_BASE32HEX = [
    *("w", "cpnmuoj1e8w", "cpng=", "co======", "c-", " co", "co\n"),  # bad characters
    *("c", "cpn", "cpnmuo"),  # lengths that no byte string encodes to
    *("cp", "cr"),  # non-zero unused trailing bits
    *("c\u212a", "\u0130o"),  # non-ASCII letters whose lower case is ASCII
]


@pytest.mark.parametrize("bad", BAD_BASE32HEX)
def test_base32hex_decode_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        base32hex_decode(bad)


@given(st.binary(max_size=64))
def test_base32hex_round_trip(raw: bytes) -> None:
    text = base32hex_encode(raw)
    assert text == base64.b32hexencode(raw).decode().rstrip("=").lower()
    assert base32hex_decode(text) == raw
    assert base32hex_decode(text.upper()) == raw


# --------------------------------------------------------------------------
# Cross-checks against dnspython.

label = st.binary(min_size=1, max_size=63)
names = st.lists(label, max_size=6).map(
    lambda labels: b"".join(bytes([len(lb)]) + lb for lb in labels) + b"\x00"
)
dnskeys = st.tuples(
    st.integers(0, 0xFFFF),
    st.sampled_from([3, 5, 7, 8, 10, 13, 14, 15, 16, 253]),
    st.binary(min_size=1, max_size=300),
).map(lambda t: struct.pack("!HBB", t[0], 3, t[1]) + t[2])


def _dns_dnskey(rdata: bytes) -> Any:
    return dns.rdata.from_wire(dns.rdataclass.IN, dns.rdatatype.DNSKEY, rdata, 0, len(rdata))


@settings(max_examples=200)
@given(rdata=dnskeys)
def test_key_tag_matches_dnspython(rdata: bytes) -> None:
    assert key_tag(rdata, rdata[3]) == dns.dnssec.key_id(_dns_dnskey(rdata))


@given(key=st.binary(min_size=3, max_size=200))
def test_rsamd5_key_tag_matches_dnspython(key: bytes) -> None:
    rdata = struct.pack("!HBB", 256, 3, 1) + key
    assert key_tag(rdata, 1) == dns.dnssec.key_id(_dns_dnskey(rdata))


@settings(max_examples=100)
@given(owner=names, rdata=dnskeys, digest_type=st.sampled_from([1, 2, 4]))
def test_ds_digest_matches_dnspython(owner: bytes, rdata: bytes, digest_type: int) -> None:
    name = dns.name.from_wire(owner, 0)[0]
    expected = dns.dnssec.make_ds(
        name,
        _dns_dnskey(rdata),
        dns.dnssectypes.DSDigest(digest_type),
        policy=dns.dnssec.allow_all_policy,
    ).digest
    assert ds_digest(digest_type, owner, rdata) == expected


@settings(max_examples=100)
@given(owner=names, salt=st.binary(max_size=255), iterations=st.integers(0, 25))
def test_nsec3_hash_matches_dnspython(owner: bytes, salt: bytes, iterations: int) -> None:
    name = dns.name.from_wire(owner, 0)[0]
    expected = dns.dnssec.nsec3_hash(name, salt, iterations, 1)
    assert base32hex_encode(nsec3_hash(owner, salt, iterations)) == expected.lower()
    assert base32hex_decode(expected) == nsec3_hash(owner, salt, iterations)
