"""Forged material no signer would produce: DNSSEC keys with a chosen key tag
and any algorithm or size, and replies made of compression-pointer chains.

Used by :mod:`tests.helpers.hostile` and the adversarial tests; nobody holds
a private key for anything made here.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Sequence

from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.dnssec import DNSKEY, DS
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import RRClass, RRType

from .keys import rsa_public_key_field

#: Algorithms the validator implements, and some it does not (RFC 8624).
SUPPORTED_ALGORITHMS = (5, 7, 8, 10, 13, 14, 15, 16)
UNSUPPORTED_ALGORITHMS = (1, 3, 6, 12, 253)
RSA_ALGORITHMS = (1, 5, 7, 8, 10)
#: RSA modulus sizes an attacker may pick: below policy, odd, huge.
RSA_BITS = (512, 1023, 1024, 1025, 2048, 4095, 4097, 16384)
#: Public-key lengths of the fixed-size algorithms.
KEY_LENGTHS = {13: 64, 14: 96, 15: 32, 16: 57, 12: 64, 3: 405, 6: 405}
#: DS digest types: supported (SHA-1, SHA-256, SHA-384) and not (GOST, unknown).
SUPPORTED_DIGESTS = (1, 2, 4)
UNSUPPORTED_DIGESTS = (3, 5, 200)


# -- forged keys ---------------------------------------------------------------------


def with_key_tag(flags: int, algorithm: int, key: bytes, tag: int, *, odd_end: bool) -> DNSKEY:
    """A DNSKEY over ``key`` with two of its octets changed so that its key
    tag is ``tag`` (RFC 4034 appendix B); ``odd_end`` keeps the last octet
    odd (an RSA modulus)."""
    buf = bytearray(key)
    if algorithm == 1:  # RSA/MD5: the tag is octets -3 and -2 of the modulus
        buf[-3:-1] = struct.pack("!H", tag)
        return DNSKEY(flags, 3, algorithm, bytes(buf))
    # The two octets changed sit at an even rdata offset (one 16-bit word of
    # the key-tag sum) in the middle of the key: away from an RSA key's
    # exponent at the start and its odd last octet at the end.  The word's
    # value is solved for, not searched: the tag is the sum S of the words
    # plus its carry S >> 16, so for each possible carry c the sum must be
    # c * 65536 + ((tag - c) mod 65536).
    # One tag (equal to the carry, the low half of the rest non-zero) is out
    # of reach of the word alone: then the next word changes and we solve again.
    word = max(0, (len(buf) // 2) & ~1)
    for nudge in (None, b"\x00\x00", b"\xff\xff"):
        if nudge is not None and word + 4 < len(buf):
            # Set the next word to its least or its greatest: the sum moves
            # below or above a multiple of 65536, so its carry (and with it
            # the one unreachable tag) changes.
            buf[word + 2 : word + 4] = nudge
        buf[word : word + 2] = b"\x00\x00"
        rdata = struct.pack("!HBB", flags, 3, algorithm) + bytes(buf)
        rest = sum(octet << 8 if i % 2 == 0 else octet for i, octet in enumerate(rdata))
        for carry in (rest >> 16, (rest >> 16) + 1):
            total = carry * 65536 + ((tag - carry) % 65536)
            value = total - rest
            if 0 <= value <= 0xFFFF and total >> 16 == carry:
                buf[word : word + 2] = struct.pack("!H", value)
                key_out = DNSKEY(flags, 3, algorithm, bytes(buf))
                if key_out.key_tag == tag:
                    return key_out
    raise ValueError(f"cannot give a key of algorithm {algorithm} the tag {tag}")


def forged_dnskey(
    tag: int,
    algorithm: int,
    rng: random.Random,
    *,
    bits: int | None = None,
    flags: int = 257,
    length: int | None = None,
) -> DNSKEY:
    """A random, unauthenticated DNSKEY with key tag ``tag``.

    RSA algorithms get exponent 65537 and a random odd modulus of ``bits``
    bits (default 1024); others get ``length`` (default: the algorithm's
    size) random octets.  Nobody holds the private key: it can only be used
    to fool a validator that trusts a key by its tag.
    """
    if algorithm in RSA_ALGORITHMS:
        nbits = bits if bits is not None else 1024
        n = rng.getrandbits(nbits) | (1 << (nbits - 1)) | 1
        key = rsa_public_key_field(65537, n)
        return with_key_tag(flags, algorithm, key, tag, odd_end=True)
    size = length if length is not None else KEY_LENGTHS.get(algorithm, 64)
    key = bytes(rng.getrandbits(8) for _ in range(size))
    if algorithm in (3, 6) and key:
        key = b"\x08" + key[1:]
    return with_key_tag(flags, algorithm, key, tag, odd_end=False)


def forged_dnskey_rrset(
    zone: Name, targets: Sequence[DS], rng: random.Random, ttl: int = 3600
) -> tuple[str, RRset]:
    """(description, an unsigned DNSKEY RRset of keys forged to match the tags of
    ``targets``) with a random algorithm and size."""
    target = rng.choice(list(targets))
    how = rng.choice(("same-alg", "supported", "unsupported"))
    if how == "same-alg":
        alg = target.algorithm
    elif how == "supported":
        alg = rng.choice(SUPPORTED_ALGORITHMS)
    else:
        alg = rng.choice(UNSUPPORTED_ALGORITHMS)
    bits = rng.choice(RSA_BITS) if alg in RSA_ALGORITHMS else None
    length = None
    if alg not in RSA_ALGORITHMS and rng.random() < 0.3:
        length = KEY_LENGTHS.get(alg, 64) + rng.choice((-1, 1, 7))
    keys = [forged_dnskey(target.key_tag, alg, rng, bits=bits, length=length)]
    if rng.random() < 0.3:
        keys.append(forged_dnskey(rng.getrandbits(16), alg, rng, bits=bits, flags=256))
    detail = f"{how}/alg{alg}" + (f"/{bits}b" if bits else "")
    return detail, RRset(zone, RRType.DNSKEY, RRClass.IN, ttl, keys)


# -- raw-wire attacks ------------------------------------------------------------------


def pointer_chain(
    query: Message, size: int = 65000, *, spread: bool = False, hops: int | None = None
) -> bytes:
    """A reply whose names are long chains of compression pointers (the
    quadratic-decoding attack).  The first answer record's rdata (type NULL,
    opaque) is a root label followed by pointers each pointing two octets
    back -- with ``hops``, every ``hops``-th pointer points at the root label
    again, so no name needs more than ``hops`` pointers; then CNAME records
    whose owner and target point at the deepest pointer (``spread``: at ever
    other pointers), until ``size`` octets."""
    q = query.question[0]
    out = bytearray(struct.pack("!HHHHHH", query.id, 0x8180, 1, 0, 0, 0))
    out += q.name.to_wire() + struct.pack("!HH", q.rrtype, q.rrclass)
    # Record 1: owner = the question name (pointer 12), type NULL, rdata chain.
    start = len(out) + 12
    # Pointers hold 14-bit offsets: the chain must end below 0x4000.
    chain_words = max(1, min((size - start) // 4, (0x3FFF - start - 1) // 2))
    out += struct.pack("!HHHIH", 0xC00C, 10, 1, 0, 1 + 2 * chain_words)
    out += b"\x00"
    for k in range(chain_words):
        here = start + 1 + 2 * k
        restart = k == 0 or (hops is not None and k % hops == 0)
        out += struct.pack("!H", 0xC000 | (start if restart else here - 2))
    deepest = chain_words - 1
    if hops is not None and chain_words >= hops:
        deepest = (chain_words // hops) * hops - 1
    last = start + 1 + 2 * deepest
    count = 1
    while len(out) + 14 <= size and count < 65535:
        owner = last - 2 * ((count * 7919) % (deepest + 1)) if spread else last
        target = last - 2 * ((count * 104729) % (deepest + 1)) if spread else last
        out += struct.pack("!HHHIH", 0xC000 | owner, RRType.CNAME, 1, 0, 2)
        out += struct.pack("!H", 0xC000 | target)
        count += 1
    struct.pack_into("!H", out, 6, count)
    return bytes(out)


__all__ = [
    "KEY_LENGTHS",
    "RSA_ALGORITHMS",
    "RSA_BITS",
    "SUPPORTED_ALGORITHMS",
    "SUPPORTED_DIGESTS",
    "UNSUPPORTED_ALGORITHMS",
    "UNSUPPORTED_DIGESTS",
    "forged_dnskey",
    "forged_dnskey_rrset",
    "pointer_chain",
    "with_key_tag",
]
