"""Tests of dnssec_lite.dnssec.algorithms: policy, key loading, verification."""

from __future__ import annotations

import base64
import calendar
import dataclasses
import json
import struct
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from dnssec_lite.dnssec.algorithms import (
    DEFAULT_POLICY,
    LEGACY_TEST_POLICY,
    MAX_RSA_BITS,
    AlgorithmPolicy,
    PublicKey,
    is_supported,
    is_supported_key,
    load_public_key,
    verify,
)
from tests.helpers.keys import DsaTestKey, TestKey, name_to_wire, rsa_public_key_field

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "rfc" / "rfc-vectors.json"
MODERN = [8, 10, 13, 14, 15, 16]
SIGNING = [5, 7, 8, 10, 13, 14, 15, 16]
NO_SHA1 = AlgorithmPolicy(allow_sha1=False)


def _vectors(*kinds: str) -> list[dict[str, Any]]:
    data = json.loads(VECTORS.read_text(encoding="utf-8"))
    return [v for v in data["vectors"] if v["kind"] in kinds]


def _load(key: TestKey, policy: AlgorithmPolicy = DEFAULT_POLICY) -> PublicKey:
    loaded = load_public_key(key.algorithm, key.public_key_bytes, policy)
    assert loaded is not None
    return loaded


# --------------------------------------------------------------------------
# A tiny presentation-format -> signed-data builder for the published vectors
# (A, NS, MX, SOA, NSEC only; RFC 4034 sections 3.1.8.1 and 6).

TYPES = {"A": 1, "NS": 2, "SOA": 6, "MX": 15, "RRSIG": 46, "NSEC": 47, "DNSKEY": 48}


def _rdata(rtype: str, fields: list[str]) -> bytes:
    if rtype == "A":
        return bytes(int(octet) for octet in fields[0].split("."))
    if rtype == "NS":
        return name_to_wire(fields[0])
    if rtype == "MX":
        return struct.pack("!H", int(fields[0])) + name_to_wire(fields[1])
    if rtype == "SOA":
        tail = struct.pack("!5I", *(int(f) for f in fields[2:7]))
        return name_to_wire(fields[0]) + name_to_wire(fields[1]) + tail
    if rtype == "NSEC":
        codes = sorted(TYPES[t] for t in fields[1:])
        assert codes[-1] < 256  # window 0 only
        bitmap = bytearray(codes[-1] // 8 + 1)
        for code in codes:
            bitmap[code // 8] |= 0x80 >> (code % 8)
        return name_to_wire(fields[0]) + bytes([0, len(bitmap)]) + bytes(bitmap)
    raise AssertionError(rtype)


def _time(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y%m%d%H%M%S"))


def _split_rr(text: str) -> tuple[str, str, list[str]]:
    """(owner, type, rdata fields) of 'owner ttl IN TYPE rdata...'."""
    tokens = text.split(";")[0].split()
    return tokens[0], tokens[3], tokens[4:]


def signed_data(rrset: list[str], rrsig: str) -> tuple[int, bytes, bytes]:
    """(algorithm, signature, signed data) of an RRSIG over an RRset."""
    _, _, f = _split_rr(rrsig)
    covered, alg, labels, ttl = TYPES[f[0]], int(f[1]), int(f[2]), int(f[3])
    prefix = struct.pack(
        "!HBBIIIH", covered, alg, labels, ttl, _time(f[4]), _time(f[5]), int(f[6])
    ) + name_to_wire(f[7])
    signature = base64.b64decode("".join(f[8:]))
    records = []
    for rr in rrset:
        owner, rtype, fields = _split_rr(rr)
        owner_labels = owner.rstrip(".").split(".")
        if len(owner_labels) > labels:  # RFC 4035 section 5.3.2: wildcard expansion
            owner = "*." + ".".join(owner_labels[len(owner_labels) - labels :]) + "."
        rdata = _rdata(rtype, fields)
        records.append(
            name_to_wire(owner) + struct.pack("!HHIH", TYPES[rtype], 1, ttl, len(rdata)) + rdata
        )
    return alg, signature, prefix + b"".join(sorted(records))


def _dnskey_field(text: str) -> tuple[int, bytes]:
    """(algorithm, public key) of a DNSKEY RR, or of its bare 'flags proto alg b64' RDATA."""
    tokens = text.split(";")[0].split()
    if "DNSKEY" in tokens:
        tokens = tokens[tokens.index("DNSKEY") + 1 :]
    return int(tokens[2]), base64.b64decode("".join(tokens[3:]))


# --------------------------------------------------------------------------
# Policy and support table.


def test_default_support_table() -> None:
    supported = {a for a in range(256) if is_supported(a, DEFAULT_POLICY)}
    assert supported == {5, 7, 8, 10, 13, 14, 15, 16}


def test_policy_switches() -> None:
    assert {a for a in range(256) if is_supported(a, NO_SHA1)} == set(MODERN)
    legacy = {a for a in range(256) if is_supported(a, LEGACY_TEST_POLICY)}
    assert legacy == {3, 5, 6, 7, 8, 10, 13, 14, 15, 16}
    # DSA hashes with SHA-1: turning SHA-1 off turns DSA off too.
    assert not is_supported(3, AlgorithmPolicy(allow_dsa=True, allow_sha1=False))
    for never in (0, 1, 2, 4, 9, 11, 12, 17, 252, 253, 254, 255):
        assert not is_supported(never, LEGACY_TEST_POLICY)


def test_policy_is_frozen_and_defaults() -> None:
    assert DEFAULT_POLICY == AlgorithmPolicy(allow_sha1=True, allow_dsa=False, min_rsa_bits=1024)
    assert LEGACY_TEST_POLICY.allow_dsa and LEGACY_TEST_POLICY.min_rsa_bits == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_POLICY.allow_sha1 = False  # type: ignore[misc]


# --------------------------------------------------------------------------
# Round trips and tampering.


@pytest.mark.parametrize("algorithm", SIGNING)
def test_sign_verify_round_trip(algorithm: int) -> None:
    key = TestKey.generate(algorithm)
    public = _load(key)
    assert public.algorithm == algorithm
    data = b"\x00\x01signed data" * 20
    signature = key.sign(data)
    assert verify(algorithm, public, signature, data)
    # Tampered data, flipped signature bits, truncated and padded signatures.
    assert not verify(algorithm, public, signature, data + b"\x00")
    assert not verify(algorithm, public, signature, data[:-1] + b"\x01")
    for index in (0, len(signature) // 2, len(signature) - 1):
        flipped = bytearray(signature)
        flipped[index] ^= 0x01
        assert not verify(algorithm, public, bytes(flipped), data)
    assert not verify(algorithm, public, signature[:-1], data)
    assert not verify(algorithm, public, signature + b"\x00", data)
    assert not verify(algorithm, public, b"", data)
    assert not verify(algorithm, public, bytes(len(signature)), data)


@pytest.mark.parametrize("algorithm", SIGNING)
def test_other_key_does_not_verify(algorithm: int) -> None:
    key = TestKey.generate(algorithm, fresh=True)
    other = TestKey.generate(algorithm, fresh=True)
    data = b"some RRset"
    assert not verify(algorithm, _load(other), key.sign(data), data)


def test_algorithm_must_match_key() -> None:
    # RSASHA1 and RSASHA256 keys share the RFC 3110 format, but RFC 4035
    # 5.3.1 requires the RRSIG algorithm to equal the DNSKEY algorithm.
    key = TestKey.generate(8)
    public = _load(key)
    signature = key.sign(b"data")
    assert verify(8, public, signature, b"data")
    assert not verify(5, public, signature, b"data")
    assert not verify(10, public, signature, b"data")


def test_rsa_1024_and_4096_keys() -> None:
    for bits in (1024, 4096):
        key = TestKey.generate(10, rsa_bits=bits)
        public = _load(key)
        assert public.bits == bits
        assert verify(10, public, key.sign(b"x"), b"x")


def test_rsa_long_exponent_length_form() -> None:
    # RFC 3110: a zero octet then a 2-octet exponent length; accepted even
    # when the exponent would have fit the short form.
    key = TestKey.generate(8)
    assert isinstance(key.private_key, rsa.RSAPrivateKey)
    numbers = key.private_key.public_key().public_numbers()
    field = rsa_public_key_field(numbers.e, numbers.n, long_exponent_length=True)
    assert field[:3] == b"\x00\x00\x03"
    public = load_public_key(8, field)
    assert public is not None
    assert verify(8, public, key.sign(b"abc"), b"abc")
    # An exponent longer than 255 octets needs the long form; such a key is
    # useless but must neither raise nor verify.
    huge = rsa_public_key_field((1 << 2100) + 1, numbers.n)
    assert huge[:3] == b"\x00\x01\x07"
    odd = load_public_key(8, huge)
    assert odd is None or not verify(8, odd, key.sign(b"abc"), b"abc")


def test_public_key_bytes_is_inverse_of_load() -> None:
    for algorithm in SIGNING:
        key = TestKey.generate(algorithm)
        field = key.public_key_bytes
        public = _load(key)
        assert public.algorithm == algorithm
        assert field == TestKey(algorithm, key.private_key).public_key_bytes
    assert len(TestKey.generate(13).public_key_bytes) == 64
    assert len(TestKey.generate(14).public_key_bytes) == 96
    assert len(TestKey.generate(15).public_key_bytes) == 32
    assert len(TestKey.generate(16).public_key_bytes) == 57


def test_loaded_keys_are_cached() -> None:
    key = TestKey.generate(13)
    field = key.public_key_bytes
    assert load_public_key(13, field) is load_public_key(13, bytes(bytearray(field)))


@settings(max_examples=60, deadline=None)
@given(algorithm=st.sampled_from(MODERN), signature=st.binary(max_size=600), data=st.binary())
def test_verify_never_raises_on_garbage(algorithm: int, signature: bytes, data: bytes) -> None:
    public = _load(TestKey.generate(algorithm))
    assert verify(algorithm, public, signature, data) is False


# --------------------------------------------------------------------------
# Malformed and refused keys.


@pytest.mark.parametrize(
    ("algorithm", "key"),
    [
        (8, b""),
        (8, b"\x01"),
        (8, b"\x03\x01\x00\x01"),  # exponent but no modulus
        (8, b"\x04\x01\x00\x01"),  # exponent length beyond the key
        (8, b"\x00\x00\x00" + b"\xff" * 64),  # zero exponent length (long form)
        (8, b"\x00\x01"),  # truncated long form
        (8, b"\x01\x02" + b"\xc3" * 127 + b"\xc5"),  # even exponent
        (8, b"\x01\x01" + b"\xc3" * 128),  # exponent 1
        (8, b"\x03\x01\x00\x01" + b"\xc3" * 127 + b"\xc4"),  # even modulus
        (13, b""),
        (13, bytes(64)),  # not a point on P-256
        (13, b"\x04" + bytes(63)),
        (13, bytes(63)),
        (13, bytes(65)),
        (14, bytes(96)),
        (14, bytes(64)),
        (15, bytes(31)),
        (15, bytes(33)),
        (16, bytes(56)),
        (16, bytes(58)),
    ],
    ids=lambda value: value.hex()[:16] if isinstance(value, bytes) else str(value),
)
def test_malformed_keys_load_as_none(algorithm: int, key: bytes) -> None:
    assert load_public_key(algorithm, key, LEGACY_TEST_POLICY) is None
    assert load_public_key(algorithm, key) is None


def test_curve_point_validation() -> None:
    good = TestKey.generate(13).public_key_bytes
    bad = good[:-1] + bytes([good[-1] ^ 1])  # y no longer matches x
    assert load_public_key(13, good) is not None
    assert load_public_key(13, bad) is None


def test_unsupported_algorithms_load_as_none() -> None:
    rsa_field = TestKey.generate(8).public_key_bytes
    for algorithm in (1, 12, 0, 200, 255):
        assert load_public_key(algorithm, rsa_field, LEGACY_TEST_POLICY) is None
        assert not is_supported_key(algorithm, rsa_field, LEGACY_TEST_POLICY)
    ed_field = TestKey.generate(15).public_key_bytes
    assert load_public_key(16, ed_field) is None  # right algorithm number matters


def test_sha1_switch() -> None:
    for algorithm in (5, 7):
        key = TestKey.generate(algorithm)
        assert load_public_key(algorithm, key.public_key_bytes) is not None
        assert load_public_key(algorithm, key.public_key_bytes, NO_SHA1) is None
        assert not is_supported_key(algorithm, key.public_key_bytes, NO_SHA1)
    key8 = TestKey.generate(8)
    assert load_public_key(8, key8.public_key_bytes, NO_SHA1) is not None


def test_min_rsa_bits() -> None:
    key = TestKey.generate(8, rsa_bits=1024)
    field = key.public_key_bytes
    assert load_public_key(8, field) is not None
    assert is_supported_key(8, field)
    strict = AlgorithmPolicy(min_rsa_bits=2048)
    assert load_public_key(8, field, strict) is None
    assert not is_supported_key(8, field, strict)  # too small = unsupported, not bogus
    # The policy is applied after the cache: the same bytes load again.
    assert load_public_key(8, field) is not None


def test_rsa_above_4096_bits_refused() -> None:
    n = (1 << (MAX_RSA_BITS + 8)) - 1  # odd; never used for arithmetic
    field = rsa_public_key_field(65537, n)
    assert load_public_key(8, field, LEGACY_TEST_POLICY) is None
    assert not is_supported_key(8, field, LEGACY_TEST_POLICY)


def test_malformed_key_of_supported_algorithm_is_not_unsupported() -> None:
    # Garbage must not pass for "unsupported" (which would make a zone insecure).
    assert is_supported_key(8, b"\x04\x01")
    assert is_supported_key(13, bytes(10))
    assert load_public_key(8, b"\x04\x01") is None


# --------------------------------------------------------------------------
# Legacy DSA.


def _dsa_der_key() -> tuple[dsa.DSAPrivateKey, bytes]:
    priv = dsa.generate_private_key(1024)
    nums = priv.public_key().public_numbers()
    pn = nums.parameter_numbers
    assert pn.q.bit_length() == 160
    field = (
        b"\x08" + pn.q.to_bytes(20) + pn.p.to_bytes(128) + pn.g.to_bytes(128) + nums.y.to_bytes(128)
    )
    return priv, field


@pytest.mark.parametrize("algorithm", [3, 6])
def test_dsa_der_and_trs_forms(algorithm: int) -> None:
    priv, field = _dsa_der_key()
    assert load_public_key(algorithm, field) is None  # off by default
    public = load_public_key(algorithm, field, LEGACY_TEST_POLICY)
    assert public is not None and public.bits == 1024
    data = b"legacy data"
    der = priv.sign(data, hashes.SHA1())
    r, s = decode_dss_signature(der)
    trs = b"\x08" + r.to_bytes(20) + s.to_bytes(20)
    assert verify(algorithm, public, der, data)
    assert verify(algorithm, public, trs, data)
    assert not verify(algorithm, public, der, data + b"!")
    assert not verify(algorithm, public, trs, data + b"!")
    assert not verify(algorithm, public, trs[:-1], data)
    assert not verify(algorithm, public, der[:-1], data)
    assert not verify(algorithm, public, b"\x08" + bytes(40), data)  # r = s = 0
    assert not verify(algorithm, public, b"\x30\x00", data)


@pytest.mark.parametrize("t", [0, 3])
def test_dsa_small_primes(t: int) -> None:
    key = DsaTestKey.generate(3, t)
    field = key.public_key_bytes
    assert len(field) == 21 + 3 * (64 + 8 * t)
    public = load_public_key(3, field, LEGACY_TEST_POLICY)
    assert public is not None
    assert verify(3, public, key.sign(b"zone data"), b"zone data")
    assert not verify(3, public, key.sign(b"zone data"), b"zone datA")
    assert not verify(6, public, key.sign(b"zone data"), b"zone data")


def test_dsa_malformed_keys() -> None:
    key = DsaTestKey.generate(3, 0)
    field = key.public_key_bytes
    for bad in (b"", b"\x09" + field[1:], field[:-1], field + b"\x00", b"\x00" + bytes(212)):
        assert load_public_key(3, bad, LEGACY_TEST_POLICY) is None


# Real DSA RRSIGs (T = 0, 512-bit prime) from NLnet Labs Unbound's test data
# (BSD-3-Clause): one in RFC 2536 T|R|S form, one in ASN.1 DER form.
_CESAR_KEY = (
    "cesar.sec3.br. 43200 IN DNSKEY 257 3 3"
    " AMAdw+X4IcinbsSOXamwV4BrJVbRjSJ63DYRV0NLR4W5cDMEQGmB3Lci"
    " ybjLvaEogs9RDmjhxQrQJRfaIVMG11LtOwlTPBr4yzyeK9zzeZPAQz2F"
    " 9yCCPqgUdts51v4XeK5evtn+b4AB7t/j+v7Vb+26k8No6hmJiRJAy59N"
    " Fpzrt5FoY5qFZ8QbPl59nzEcXTbOiXBNSu9mQbe/jFH5p9NP4KB0iNL/"
    " oAthNIVVsDG8hQFh1hE5YlDNLxYY3U+TODjWx//DZvkn5Tyyvp7I6b33 oJiq"
)
_CESAR_SOA = (
    "cesar.sec3.br. 43200 IN SOA home.kuroiwa.eng.br. hostmaster.cesar.sec3.br."
    " 2008040903 86400 86400 8640000 600"
)
_CESAR_RRSIG = (
    "cesar.sec3.br. 43200 IN RRSIG SOA 3 3 43200 20081010000000 20080410122550"
    " 14996 cesar.sec3.br. AJOGbuGOMggPspEBhIc58I8BXUHqR+DKiZqGZRwu9jMTgAX6JCPunSI="
)
_EXAMPLE_KEY = (
    "example.com. 3600 IN DNSKEY 256 3 3 ALXLUsWqUrY3JYER3T4TBJII"
    " s70j+sDS/UT2QRp61SE7S3E EXopNXoFE73JLRmvpi/UrOO/Vz4Se 6wXv/CYCKjGw06U4WRgR"
    " YXcpEhJROyNapmdIKSx hOzfLVE1gqA0PweZR8d tY3aNQSRn3sPpwJr6Mi"
    " /PqQKAMMrZ9ckJpf1+b QMOOvxgzz2U1GS18b3y ZKcgTMEaJzd/GZYzi/B"
    " N2DzQ0MsrSwYXfsNLFO Bbs8PJMW4LYIxeeOe6rUgkWOF 7CC9Dh/dduQ1QrsJhmZAEFfd6ByYV+"
)
_EXAMPLE_RRSIG = (
    "ns.example.com. 3600 IN RRSIG A 3 3 3600 20070926135752 20070829135752 2854"
    " example.com. MC0CFQCMSWxVehgOQLoYclB9PIAbNP229AIUeH0vNNGJhjnZiqgIOKvs1EhzqAo="
)
UNBOUND_DSA = [
    (_CESAR_KEY, [_CESAR_SOA], _CESAR_RRSIG),
    (_EXAMPLE_KEY, ["ns.example.com. 3600 IN A 1.2.3.4"], _EXAMPLE_RRSIG),
]


@pytest.mark.parametrize(("dnskey", "rrset", "rrsig"), UNBOUND_DSA)
def test_unbound_dsa_vectors(dnskey: str, rrset: list[str], rrsig: str) -> None:
    algorithm, field = _dnskey_field(dnskey)
    public = load_public_key(algorithm, field, LEGACY_TEST_POLICY)
    assert public is not None and public.bits == 512
    alg, signature, data = signed_data(rrset, rrsig)
    assert verify(alg, public, signature, data)
    assert not verify(alg, public, signature, data[:-1] + bytes([data[-1] ^ 1]))


# --------------------------------------------------------------------------
# Published RFC signatures.


@pytest.mark.parametrize("vector", _vectors("rrsig"), ids=lambda v: v["source"][:40])
def test_rfc_rrsig_vectors(vector: dict[str, Any]) -> None:
    algorithm, field = _dnskey_field(vector["dnskey"])
    public = load_public_key(algorithm, field, LEGACY_TEST_POLICY)
    assert public is not None
    alg, signature, data = signed_data(vector["rrset"], vector["rrsig"])
    assert alg == algorithm
    assert verify(alg, public, signature, data) is vector["check"]["verifies_at_validate_at"]
    assert not verify(alg, public, signature, data + b"\x00")
    if algorithm == 8 and public.bits < 1024:  # RFC 5702 6.1: a 512-bit key, refused by default
        assert load_public_key(algorithm, field) is None
        assert not is_supported_key(algorithm, field)


@pytest.mark.parametrize("vector", _vectors("eddsa_rrsig"), ids=lambda v: v["source"][:40])
def test_rfc8080_eddsa_vectors(vector: dict[str, Any]) -> None:
    algorithm, field = _dnskey_field(vector["dnskey"])
    public = load_public_key(algorithm, field)
    assert public is not None
    alg, signature, data = signed_data(vector["rrset"], vector["rrsig_recomputed"])
    assert verify(alg, public, signature, data)
    assert not verify(alg, public, signature, data.replace(b"mail", b"MAIL"))
    # EdDSA is deterministic: the RFC private key regenerates the signature.
    private = base64.b64decode(vector["private_key_b64"])
    signer: ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey
    if algorithm == 15:
        signer = ed25519.Ed25519PrivateKey.from_private_bytes(private)
    else:
        signer = ed448.Ed448PrivateKey.from_private_bytes(private)
    assert TestKey(algorithm, signer).public_key_bytes == field
    assert TestKey(algorithm, signer).sign(data) == signature


def test_vector_file_has_all_kinds() -> None:
    assert len(_vectors("rrsig")) == 6
    assert len(_vectors("eddsa_rrsig")) == 4


@pytest.mark.parametrize(("algorithm", "size"), [(13, 32), (14, 48)])
def test_ecdsa_signature_width_is_fixed(algorithm: int, size: int) -> None:
    # RFC 6605 section 4: r and s are exactly `size` octets each; a leading
    # zero octet on s would give the same integers but is not the format.
    key = TestKey.generate(algorithm)
    public = _load(key)
    signature = key.sign(b"data")
    assert verify(algorithm, public, signature, b"data")
    padded = signature[:size] + b"\x00" + signature[size:]
    assert not verify(algorithm, public, padded, b"data")
    assert not verify(algorithm, public, b"\x00" + signature, b"data")
