"""DNSSEC signature algorithms: which are usable, key loading, verification.

This is the only module of dnssec_lite that imports ``cryptography``; all other
code sees opaque :class:`PublicKey` objects and plain ``bytes``.  Nothing here
parses DNS messages, looks at a clock or raises for bad input: a key that
cannot be used loads as ``None`` and a signature that does not check out
verifies as ``False``, because to a validator both are just "this RRSIG does
not validate", never a crash.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

__all__ = [
    "DEFAULT_POLICY",
    "LEGACY_TEST_POLICY",
    "MAX_RSA_BITS",
    "AlgorithmPolicy",
    "PublicKey",
    "is_supported",
    "is_supported_key",
    "load_public_key",
    "verify",
]

# IANA "DNS Security Algorithm Numbers".
DSA: Final = 3
RSASHA1: Final = 5
DSA_NSEC3_SHA1: Final = 6
RSASHA1_NSEC3_SHA1: Final = 7
RSASHA256: Final = 8
RSASHA512: Final = 10
ECDSAP256SHA256: Final = 13
ECDSAP384SHA384: Final = 14
ED25519: Final = 15
ED448: Final = 16

#: RFC 3110 section 1: "[the modulus is] limited to 4096 bits"; larger keys are
#: refused outright so that a hostile zone cannot make us do huge exponentiations.
MAX_RSA_BITS: Final = 4096


@dataclass(frozen=True, slots=True)
class AlgorithmPolicy:
    """Which algorithms and key sizes the validator accepts.

    Anything refused by the policy counts as an *unsupported algorithm*
    (RFC 4035 section 5.2: such a zone is treated as insecure, not bogus).

    * ``allow_sha1`` -- RSASHA1 (5) and RSASHA1-NSEC3-SHA1 (7).  On by
      default, as in Unbound, BIND and Knot; RFC 9905 lets an operator turn
      SHA-1 signatures off.  DSA (3, 6) also hashes with SHA-1, so it is
      refused too when this is off.
    * ``allow_dsa`` -- DSA (3) and DSA-NSEC3-SHA1 (6), "MUST NOT" validate per
      RFC 8624 section 3.1; off by default, on only to replay old test data.
    * ``min_rsa_bits`` -- RSA keys with a smaller modulus are treated as keys
      of an unsupported algorithm (:func:`is_supported_key` is False and
      :func:`load_public_key` returns None); 0 accepts the 512-bit keys of old
      RFC examples and test suites.
    """

    allow_sha1: bool = True
    allow_dsa: bool = False
    min_rsa_bits: int = 1024


#: What a validator should use unless told otherwise.
DEFAULT_POLICY: Final = AlgorithmPolicy()

#: For replaying old test suites only (DSA on, tiny RSA keys accepted);
#: never for validating real answers.
LEGACY_TEST_POLICY: Final = AlgorithmPolicy(allow_dsa=True, min_rsa_bits=0)

_ALWAYS_SUPPORTED: Final = frozenset(
    {RSASHA256, RSASHA512, ECDSAP256SHA256, ECDSAP384SHA384, ED25519, ED448}
)
_SHA1_RSA: Final = frozenset({RSASHA1, RSASHA1_NSEC3_SHA1})
_DSA_ALGS: Final = frozenset({DSA, DSA_NSEC3_SHA1})
_RSA_ALGS: Final = frozenset({RSASHA1, RSASHA1_NSEC3_SHA1, RSASHA256, RSASHA512})


def is_supported(algorithm: int, policy: AlgorithmPolicy = DEFAULT_POLICY) -> bool:
    """True if signatures of ``algorithm`` can be validated under ``policy``.

    RSAMD5 (1, "MUST NOT" per RFC 8624), ECC-GOST (12) and unknown numbers are
    never supported.
    """
    if algorithm in _ALWAYS_SUPPORTED:
        return True
    if algorithm in _SHA1_RSA:
        return policy.allow_sha1
    if algorithm in _DSA_ALGS:
        return policy.allow_dsa and policy.allow_sha1
    return False


def is_supported_key(algorithm: int, key: bytes, policy: AlgorithmPolicy = DEFAULT_POLICY) -> bool:
    """True unless the key must be treated as one of an unsupported algorithm.

    That is the case when the algorithm itself is unsupported, or for an RSA
    key whose modulus is below ``policy.min_rsa_bits`` or above
    :data:`MAX_RSA_BITS`.  A *malformed* key of a supported algorithm is
    still "supported" here (it fails :func:`load_public_key`, making its
    signatures bogus), so that garbage cannot pass for an unsupported key.
    """
    if not is_supported(algorithm, policy):
        return False
    if algorithm in _RSA_ALGS:
        parsed = _split_rsa(key)
        if parsed is not None:
            # The modulus size, without converting it to an integer.
            modulus = parsed[1].lstrip(b"\x00")
            bits = (len(modulus) - 1) * 8 + modulus[0].bit_length() if modulus else 0
            return policy.min_rsa_bits <= bits <= MAX_RSA_BITS
    return True


class PublicKey:
    """A loaded DNSKEY public key, ready to verify signatures of its algorithm.

    Opaque on purpose: callers only pass it back to :func:`verify`.  ``bits``
    is the key size (RSA modulus, DSA prime, curve size).
    """

    __slots__ = ("_check", "algorithm", "bits")

    def __init__(self, algorithm: int, bits: int, check: Callable[[bytes, bytes], bool]) -> None:
        self.algorithm = algorithm
        self.bits = bits
        self._check = check

    def __repr__(self) -> str:
        return f"<PublicKey algorithm={self.algorithm} bits={self.bits}>"


def load_public_key(
    algorithm: int, key: bytes, policy: AlgorithmPolicy = DEFAULT_POLICY
) -> PublicKey | None:
    """Load the public-key field of a DNSKEY; None if unusable, never raises.

    None means: algorithm unsupported under ``policy``, RSA key size outside
    the policy, or key bytes malformed (wrong length, point not on the
    curve, ...).  Use :func:`is_supported_key` to tell these cases apart.
    Parsed keys are cached: one DNSKEY usually verifies many RRSIGs.
    """
    if algorithm not in _ALWAYS_SUPPORTED and not is_supported(algorithm, policy):
        return None
    loaded = _load_cached(algorithm, key if type(key) is bytes else bytes(key))
    if loaded is None:
        return None
    if algorithm in _RSA_ALGS and loaded.bits < policy.min_rsa_bits:
        return None
    return loaded


def verify(algorithm: int, public_key: PublicKey, signature: bytes, data: bytes) -> bool:
    """True iff ``signature`` (RRSIG signature field) is valid for ``data``.

    ``data`` is the RFC 4034 section 3.1.8.1 signed data (RRSIG RDATA without
    the signature, then the canonical RRset).  RFC 4035 section 5.3.1: the
    RRSIG algorithm must match the DNSKEY algorithm, otherwise False.
    """
    if algorithm != public_key.algorithm:
        return False
    return public_key._check(signature, data)


# --------------------------------------------------------------------------
# Loading (cached).  Each loader returns None for anything malformed.

_PKCS1: Final = padding.PKCS1v15()
_RSA_HASH: Final[dict[int, hashes.HashAlgorithm]] = {
    RSASHA1: hashes.SHA1(),
    RSASHA1_NSEC3_SHA1: hashes.SHA1(),
    RSASHA256: hashes.SHA256(),
    RSASHA512: hashes.SHA512(),
}
_EC_CURVE: Final[dict[int, tuple[ec.EllipticCurve, ec.EllipticCurveSignatureAlgorithm, int]]] = {
    # (curve, signature algorithm, coordinate length); RFC 6605 section 4.
    ECDSAP256SHA256: (ec.SECP256R1(), ec.ECDSA(hashes.SHA256()), 32),
    ECDSAP384SHA384: (ec.SECP384R1(), ec.ECDSA(hashes.SHA384()), 48),
}


@functools.lru_cache(maxsize=1024)
def _load_cached(algorithm: int, key: bytes) -> PublicKey | None:
    try:
        if algorithm in _RSA_ALGS:
            return _load_rsa(algorithm, key)
        if algorithm in _EC_CURVE:
            return _load_ecdsa(algorithm, key)
        if algorithm == ED25519:
            return _load_eddsa(algorithm, key, 32)
        if algorithm == ED448:
            return _load_eddsa(algorithm, key, 57)
        if algorithm in _DSA_ALGS:
            return _load_dsa(algorithm, key)
    except (ValueError, TypeError, OverflowError):
        return None
    return None


def _split_rsa(key: bytes) -> tuple[bytes, bytes] | None:
    """(exponent, modulus) of an RFC 3110 section 2 key, None if malformed.

    "The exponent length [is] one octet if the exponent is 1 to 255 octets
    long, or three octets: a zero octet followed by two octets of length".
    """
    if len(key) < 3:
        return None
    if key[0]:
        elen, start = key[0], 1
    else:
        elen, start = int.from_bytes(key[1:3]), 3
    if elen == 0 or len(key) <= start + elen:
        return None
    return key[start : start + elen], key[start + elen :]


def _load_rsa(algorithm: int, key: bytes) -> PublicKey | None:
    parsed = _split_rsa(key)
    if parsed is None:
        return None
    e, n = int.from_bytes(parsed[0]), int.from_bytes(parsed[1])
    bits = n.bit_length()
    # An even modulus cannot be a product of two odd primes.
    if bits > MAX_RSA_BITS or not n & 1:
        return None
    # Raises ValueError for e < 3, an even e, or e >= n.
    pub = rsa.RSAPublicNumbers(e, n).public_key()
    hash_alg = _RSA_HASH[algorithm]
    pub_verify = pub.verify
    pkcs1 = _PKCS1

    def check(signature: bytes, data: bytes) -> bool:
        try:
            pub_verify(signature, data, pkcs1, hash_alg)
        except (InvalidSignature, ValueError):
            return False
        return True

    return PublicKey(algorithm, bits, check)


def _load_ecdsa(algorithm: int, key: bytes) -> PublicKey | None:
    curve, sig_alg, size = _EC_CURVE[algorithm]
    # RFC 6605 section 4: the key is "Q", i.e. X | Y without the 0x04 prefix.
    if len(key) != 2 * size:
        return None
    pub = ec.EllipticCurvePublicKey.from_encoded_point(curve, b"\x04" + key)
    pub_verify = pub.verify
    sig_len = 2 * size
    from_bytes = int.from_bytes
    encode = encode_dss_signature

    def check(signature: bytes, data: bytes) -> bool:
        # RFC 6605 section 4: the signature is r | s, each exactly ``size`` octets.
        if len(signature) != sig_len:
            return False
        der = encode(from_bytes(signature[:size]), from_bytes(signature[size:]))
        try:
            pub_verify(der, data, sig_alg)
        except (InvalidSignature, ValueError):
            return False
        return True

    return PublicKey(algorithm, curve.key_size, check)


def _load_eddsa(algorithm: int, key: bytes, size: int) -> PublicKey | None:
    # RFC 8080 section 3: the public key is the raw 32 (Ed25519) or 57 (Ed448) octets.
    if len(key) != size:
        return None
    pub: ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
    if algorithm == ED25519:
        pub = ed25519.Ed25519PublicKey.from_public_bytes(key)
    else:
        pub = ed448.Ed448PublicKey.from_public_bytes(key)
    pub_verify = pub.verify

    def check(signature: bytes, data: bytes) -> bool:
        try:
            pub_verify(signature, data)
        except (InvalidSignature, ValueError):
            return False
        return True

    return PublicKey(algorithm, 8 * size, check)


def _load_dsa(algorithm: int, key: bytes) -> PublicKey | None:
    """RFC 2536 section 2: T (1) | Q (20) | P | G | Y, with P, G, Y 64 + 8T octets.

    Verified in pure Python: ``cryptography`` only accepts primes of 1024+
    bits, while the old test data this exists for uses T = 0 (512 bits).
    """
    if not key or key[0] > 8:
        return None
    t = key[0]
    width = 64 + 8 * t
    if len(key) != 21 + 3 * width:
        return None
    q = int.from_bytes(key[1:21])
    p = int.from_bytes(key[21 : 21 + width])
    g = int.from_bytes(key[21 + width : 21 + 2 * width])
    y = int.from_bytes(key[21 + 2 * width :])
    # FIPS 186: q is a 160-bit divisor of p - 1; g and y lie in (1, p).
    if q.bit_length() != 160 or (p - 1) % q or not (1 < g < p and 1 < y < p):
        return None

    def check(signature: bytes, data: bytes) -> bool:
        rs = _dsa_signature(signature)
        if rs is None:
            return False
        r, s = rs
        if not (0 < r < q and 0 < s < q):
            return False
        w = pow(s, -1, q)
        h = int.from_bytes(hashlib.sha1(data).digest())
        v = (pow(g, h * w % q, p) * pow(y, r * w % q, p)) % p % q
        return v == r

    return PublicKey(algorithm, p.bit_length(), check)


def _dsa_signature(signature: bytes) -> tuple[int, int] | None:
    """(r, s) from RFC 2536 section 3 T | R | S (41 octets) or ASN.1 DER.

    Old Unbound test data stores DSA RRSIGs in the DER form OpenSSL emits;
    a DER SEQUENCE starts with 0x30, a legal T is at most 8.
    """
    if len(signature) == 41 and signature[0] <= 8:
        return int.from_bytes(signature[1:21]), int.from_bytes(signature[21:])
    if signature[:1] == b"\x30":
        try:
            return decode_dss_signature(signature)
        except ValueError:
            return None
    return None
