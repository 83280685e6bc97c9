"""Test-only DNSSEC signing keys, to build signed data and zones on purpose.

The library itself never signs; these keys produce exactly what a signer
would publish: the DNSKEY public-key field and RRSIG signature field.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
from typing import ClassVar

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import (
    dsa,
    ec,
    ed448,
    ed25519,
    padding,
    rsa,
)
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

PrivateKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)

_RSA_HASHES: dict[int, type[hashes.HashAlgorithm]] = {
    5: hashes.SHA1,
    7: hashes.SHA1,
    8: hashes.SHA256,
    10: hashes.SHA512,
}
_EC: dict[int, tuple[ec.EllipticCurve, type[hashes.HashAlgorithm], int]] = {
    13: (ec.SECP256R1(), hashes.SHA256, 32),
    14: (ec.SECP384R1(), hashes.SHA384, 48),
}


def name_to_wire(name: str) -> bytes:
    """Uncompressed wire form of a presentation-format name (no escapes), lower-cased."""
    labels = [label for label in name.lower().rstrip(".").split(".") if label]
    return b"".join(bytes([len(lb)]) + lb.encode("ascii") for lb in labels) + b"\x00"


def rsa_public_key_field(e: int, n: int, *, long_exponent_length: bool = False) -> bytes:
    """RFC 3110 section 2 encoding; ``long_exponent_length`` forces the 0 + 2-octet form."""
    eb = e.to_bytes((e.bit_length() + 7) // 8)
    nb = n.to_bytes((n.bit_length() + 7) // 8)
    if len(eb) > 255 or long_exponent_length:
        return b"\x00" + struct.pack("!H", len(eb)) + eb + nb
    return bytes([len(eb)]) + eb + nb


class TestKey:
    """A private key of one DNSSEC algorithm with DNSSEC-format outputs."""

    __test__ = False  # not a pytest test class despite its name

    _rsa_cache: ClassVar[dict[tuple[int, int], rsa.RSAPrivateKey]] = {}

    def __init__(self, algorithm: int, private_key: PrivateKey) -> None:
        self.algorithm = algorithm
        self.private_key = private_key

    @classmethod
    def generate(cls, algorithm: int, rsa_bits: int = 2048, *, fresh: bool = False) -> TestKey:
        """A key for algorithm 5, 7, 8, 10, 13, 14, 15 or 16.

        RSA keys are slow to make, so one per (algorithm, bits) is reused
        within the process unless ``fresh`` is set (needed when a test wants
        two distinct keys of the same algorithm).
        """
        if algorithm in _RSA_HASHES:
            cached = None if fresh else cls._rsa_cache.get((algorithm, rsa_bits))
            if cached is None:
                cached = rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
                if not fresh:
                    cls._rsa_cache[(algorithm, rsa_bits)] = cached
            return cls(algorithm, cached)
        if algorithm in _EC:
            return cls(algorithm, ec.generate_private_key(_EC[algorithm][0]))
        if algorithm == 15:
            return cls(algorithm, ed25519.Ed25519PrivateKey.generate())
        if algorithm == 16:
            return cls(algorithm, ed448.Ed448PrivateKey.generate())
        raise ValueError(f"cannot generate keys for algorithm {algorithm}")

    @property
    def public_key_bytes(self) -> bytes:
        """The DNSKEY public-key field (RFC 3110 / 6605 / 8080 format)."""
        key = self.private_key
        if isinstance(key, rsa.RSAPrivateKey):
            numbers = key.public_key().public_numbers()
            return rsa_public_key_field(numbers.e, numbers.n)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            size = _EC[self.algorithm][2]
            point = key.public_key().public_numbers()
            return point.x.to_bytes(size) + point.y.to_bytes(size)
        return key.public_key().public_bytes_raw()

    def dnskey_rdata(self, flags: int = 256) -> bytes:
        """Whole DNSKEY RDATA: flags | protocol 3 | algorithm | public key."""
        return struct.pack("!HBB", flags, 3, self.algorithm) + self.public_key_bytes

    def sign(self, data: bytes) -> bytes:
        """The RRSIG signature field over ``data`` (already the RFC 4034 signed data)."""
        key = self.private_key
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), _RSA_HASHES[self.algorithm]())
        if isinstance(key, ec.EllipticCurvePrivateKey):
            _, hash_cls, size = _EC[self.algorithm]
            r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hash_cls())))
            return r.to_bytes(size) + s.to_bytes(size)
        return key.sign(data)


class DsaTestKey:
    """Legacy DSA (algorithms 3 and 6) key, for the policy's ``allow_dsa`` path.

    ``t`` is the RFC 2536 size parameter.  T = 8 (1024-bit prime) is made
    with ``cryptography``; smaller T, as in old test data, with a small
    pure-Python parameter search (``cryptography`` refuses primes < 1024 bits).
    """

    __test__ = False

    def __init__(self, algorithm: int, t: int, p: int, q: int, g: int, x: int) -> None:
        self.algorithm, self.t, self.p, self.q, self.g, self.x = (
            algorithm,
            t,
            p,
            q,
            g,
            x,
        )
        self.y = pow(g, x, p)

    @classmethod
    def generate(cls, algorithm: int = 3, t: int = 8) -> DsaTestKey:
        if t == 8:
            priv = dsa.generate_private_key(1024)
            nums = priv.private_numbers()
            pn = nums.public_numbers.parameter_numbers
            return cls(algorithm, t, pn.p, pn.q, pn.g, nums.x)
        p, q, g = _small_dsa_parameters(512 + 64 * t)
        return cls(algorithm, t, p, q, g, 1 + secrets.randbelow(q - 1))

    @property
    def public_key_bytes(self) -> bytes:
        """RFC 2536 section 2: T | Q | P | G | Y."""
        width = 64 + 8 * self.t
        return (
            bytes([self.t])
            + self.q.to_bytes(20)
            + self.p.to_bytes(width)
            + self.g.to_bytes(width)
            + self.y.to_bytes(width)
        )

    def sign_rs(self, data: bytes) -> tuple[int, int]:
        """Textbook DSA with SHA-1 (test use only)."""
        h = int.from_bytes(hashlib.sha1(data).digest())
        while True:
            k = 1 + secrets.randbelow(self.q - 1)
            r = pow(self.g, k, self.p) % self.q
            s = pow(k, -1, self.q) * (h + self.x * r) % self.q
            if r and s:
                return r, s

    def sign(self, data: bytes) -> bytes:
        """RFC 2536 section 3 signature: T | R | S (41 octets)."""
        r, s = self.sign_rs(data)
        return bytes([self.t]) + r.to_bytes(20) + s.to_bytes(20)


def _is_probable_prime(n: int) -> bool:
    if n < 2:
        return False
    for small in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % small == 0:
            return n == small
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(32):
        x = pow(2 + secrets.randbelow(n - 3), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _small_dsa_parameters(pbits: int) -> tuple[int, int, int]:
    """(p, q, g): 160-bit prime q dividing p - 1, p a ``pbits``-bit prime."""
    while True:
        q = secrets.randbits(160) | (1 << 159) | 1
        if _is_probable_prime(q):
            break
    while True:
        k = (secrets.randbits(pbits - 160) | (1 << (pbits - 161))) & ~1
        p = k * q + 1
        if p.bit_length() == pbits and _is_probable_prime(p):
            break
    h = 2
    while (g := pow(h, (p - 1) // q, p)) == 1:
        h += 1
    return p, q, g
