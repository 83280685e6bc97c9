"""Hash-based DNSSEC computations: key tags, DS digests, NSEC3 hashes, base32hex.

Only ``hashlib``: these run for every DS match and NSEC3 proof, so they work
on ready-made wire bytes and stay free of parsing and objects.

Owner names are taken in uncompressed wire form.  They are lower-cased here
with ``bytes.lower()``, which is safe on a wire name: length octets are at
most 63 and so never in ``A``-``Z``, and RFC 4034 section 6.2 lower-cases only
ASCII letters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Final

__all__ = [
    "base32hex_decode",
    "base32hex_encode",
    "ds_digest",
    "is_supported_digest",
    "key_tag",
    "nsec3_hash",
]

_RSAMD5: Final = 1

_DS_HASHES: Final = {
    1: hashlib.sha1,  # RFC 4034 section 5.1.4
    2: hashlib.sha256,  # RFC 4509
    4: hashlib.sha384,  # RFC 6605 section 2
}


def key_tag(dnskey_rdata: bytes, algorithm: int) -> int:
    """The key tag of a DNSKEY, from its whole RDATA (RFC 4034 appendix B).

    Raises ValueError if the RDATA is shorter than its fixed 4-octet header.
    """
    if len(dnskey_rdata) < 4:
        raise ValueError("DNSKEY RDATA shorter than 4 octets")
    if algorithm == _RSAMD5:
        # Appendix B.1: "the most significant 16 bits of the least
        # significant 24 bits of the public key modulus".
        return int.from_bytes(dnskey_rdata[-3:-1])
    # Appendix B: even octets are high bytes, odd octets low bytes of a
    # 16-bit one's-complement-style sum; "ac += (ac >> 16) & 0xFFFF".
    ac = (sum(dnskey_rdata[0::2]) << 8) + sum(dnskey_rdata[1::2])
    ac += (ac >> 16) & 0xFFFF
    return ac & 0xFFFF


def is_supported_digest(digest_type: int) -> bool:
    """True for DS digest types we can compute: 1 SHA-1, 2 SHA-256, 4 SHA-384.

    3 (GOST R 34.11-94) is deprecated by RFC 8624 and unsupported, like any
    unknown type; RFC 4035 section 5.2 then treats the DS as absent.
    """
    return digest_type in _DS_HASHES


def ds_digest(digest_type: int, owner_canonical_wire: bytes, dnskey_rdata: bytes) -> bytes | None:
    """The DS digest of a DNSKEY, or None for an unsupported digest type.

    RFC 4034 section 5.1.4: "digest = digest_algorithm( DNSKEY owner name |
    DNSKEY RDATA)", with the owner name in canonical form.
    """
    hasher = _DS_HASHES.get(digest_type)
    if hasher is None:
        return None
    h = hasher(owner_canonical_wire.lower())
    h.update(dnskey_rdata)
    return h.digest()


def nsec3_hash(owner_canonical_wire: bytes, salt: bytes, iterations: int) -> bytes:
    """The RFC 5155 section 5 hash (algorithm 1, SHA-1) of an owner name.

    "IH(salt, x, 0) = H(x || salt); IH(salt, x, k) = H(IH(salt, x, k-1) ||
    salt)", applied ``iterations`` extra times.  Limiting iterations (RFC
    9276) is the caller's business; negative counts raise ValueError.
    """
    if iterations < 0:
        raise ValueError("negative NSEC3 iteration count")
    sha1 = hashlib.sha1
    digest = sha1(owner_canonical_wire.lower() + salt).digest()
    for _ in range(iterations):
        digest = sha1(digest + salt).digest()
    return digest


_B32HEX_ALPHABET: Final = frozenset("0123456789abcdefghijklmnopqrstuv")
#: Padding needed for each (length mod 8); lengths 1, 3 and 6 never occur.
_PADDING: Final = {0: "", 2: "======", 4: "====", 5: "===", 7: "="}


def base32hex_encode(data: bytes) -> str:
    """RFC 4648 section 7 "base32hex", lower case, no padding (RFC 5155 section 3.3)."""
    return base64.b32hexencode(data).rstrip(b"=").decode("ascii").lower()


def base32hex_decode(text: str) -> bytes:
    """Inverse of :func:`base32hex_encode`, case-insensitive, strict.

    Raises ValueError for characters outside the alphabet (padding
    included), impossible lengths, or non-zero unused trailing bits, so that
    each byte string has exactly one accepted spelling.
    """
    lowered = text.lower()
    if not text.isascii() or not _B32HEX_ALPHABET.issuperset(lowered):
        raise ValueError(f"not base32hex: {text!r}")
    pad = _PADDING.get(len(lowered) % 8)
    if pad is None:
        raise ValueError(f"impossible base32hex length {len(text)}")
    try:
        data = base64.b32hexdecode(lowered.upper() + pad)
    except binascii.Error as exc:  # pragma: no cover - excluded by the checks above
        raise ValueError(f"not base32hex: {text!r}") from exc
    if base32hex_encode(data) != lowered:
        raise ValueError(f"base32hex with non-zero trailing bits: {text!r}")
    return data
