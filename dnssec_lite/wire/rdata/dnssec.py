"""DNSSEC record types for keys and signatures: DS, CDS, DNSKEY, CDNSKEY, RRSIG.

The denial types (NSEC, NSEC3, NSEC3PARAM and type bitmaps) live in
:mod:`.denial` and are re-exported here, so both import paths work.

Records decoded from the wire keep their original rdata octets, which are
their canonical form (none of these types lower-cases names except RRSIG's
signer, RFC 6840 5.1): re-encoding an odd but valid type bitmap could
otherwise change signed data.
"""

from __future__ import annotations

import struct
import time

from ...errors import TextFormatError
from ..name import Name, NameMemo
from ..types import DNSKEY_REVOKE, DNSKEY_SEP, DNSKEY_ZONE, Algorithm, RRType
from .base import (
    Compress,
    Rdata,
    b64decode,
    b64encode,
    hexdecode,
    need,
    read_name,
    register,
    text_int,
    text_min,
    text_ttl,
    write_name,
)
from .denial import (
    NSEC,
    NSEC3,
    NSEC3_OPTOUT,
    NSEC3PARAM,
    decode_type_bitmap,
    encode_type_bitmap,
    types_from_text,
    types_to_text,
)

_HBB = struct.Struct("!HBB")
_new_rdata = object.__new__
_RRSIG_FIXED = struct.Struct("!HBBIIIH")


# -- signature times (RFC 4034 section 3.2) ---------------------------------


def sigtime_to_text(value: int) -> str:
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(value))


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's method)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def sigtime_from_text(token: str) -> int:
    """``YYYYMMDDHHmmSS`` (UTC) or a plain number of seconds, as RRSIG fields."""
    if len(token) == 14 and token.isdigit():
        year, month, day = int(token[:4]), int(token[4:6]), int(token[6:8])
        hour, minute, second = int(token[8:10]), int(token[10:12]), int(token[12:14])
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        month_days = (
            29 if month == 2 and leap else _MONTH_DAYS[month - 1] if 1 <= month <= 12 else 0
        )
        if not (1 <= day <= month_days and hour < 24 and minute < 60 and second <= 61):
            raise TextFormatError(f"bad signature time {token!r}")
        stamp = ((_days_from_civil(year, month, day) * 24 + hour) * 60 + minute) * 60 + second
        # RFC 4034 3.2: the value is the time modulo 2**32 (serial arithmetic).
        return stamp % (1 << 32)
    return text_int(token, 32, "signature time")


def _key_tag(rdata: bytes, algorithm: int) -> int:
    """RFC 4034 appendix B (with the RSAMD5 special case of B.1)."""
    if algorithm == 1:
        if len(rdata) < 4:
            return 0
        return (rdata[-3] << 8) | rdata[-2]
    # The sum of the big-endian 16-bit words (an odd last octet padded with
    # zero): the high octets weigh 256, the low ones 1.
    acc: int = (sum(rdata[0::2]) << 8) + sum(rdata[1::2])
    acc += (acc >> 16) & 0xFFFF
    return acc & 0xFFFF


# -- DS / CDS ---------------------------------------------------------------


class _DSBase(Rdata):
    __slots__ = ("algorithm", "digest", "digest_type", "key_tag")

    def __init__(self, key_tag: int, algorithm: int, digest_type: int, digest: bytes) -> None:
        self.key_tag = key_tag
        self.algorithm = algorithm
        self.digest_type = digest_type
        self.digest = digest
        self._wire = None

    @classmethod
    def from_wire(cls, data: bytes, start: int, end: int, names: NameMemo | None = None) -> _DSBase:
        if start + 4 > end:
            need(data, start, 4, end, f"{RRType.to_text(cls.rrtype)} fixed fields")
        # Filled in directly (as __init__ would), without the call.
        rdata = _new_rdata(cls)
        rdata.key_tag, rdata.algorithm, rdata.digest_type = _HBB.unpack_from(data, start)
        rdata.digest = data[start + 4 : end]
        rdata._wire = data[start:end]
        return rdata

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        out += _HBB.pack(self.key_tag, self.algorithm, self.digest_type)
        out += self.digest

    @classmethod
    def from_text(cls, tokens: list[str], origin: Name) -> _DSBase:
        what = RRType.to_text(cls.rrtype)
        text_min(tokens, 4, what)
        return cls(
            text_int(tokens[0], 16, f"{what} key tag"),
            _algorithm_from_text(tokens[1], what),
            text_int(tokens[2], 8, f"{what} digest type"),
            hexdecode(tokens[3:], f"{what} digest"),
        )

    def to_text(self) -> str:
        return f"{self.key_tag} {self.algorithm} {self.digest_type} {self.digest.hex().upper()}"


def _algorithm_from_text(token: str, what: str) -> int:
    if token.isdigit():
        return text_int(token, 8, f"{what} algorithm")
    try:
        value = Algorithm.from_text(token)
    except ValueError:
        raise TextFormatError(f"{what}: unknown algorithm {token!r}") from None
    if value > 255:
        raise TextFormatError(f"{what}: algorithm {value} does not fit in 8 bits")
    return value


@register(RRType.DS)
class DS(_DSBase):
    """Delegation signer (RFC 4034 section 5)."""

    __slots__ = ()


@register(RRType.CDS)
class CDS(_DSBase):
    """Child copy of DS (RFC 7344)."""

    __slots__ = ()


# -- DNSKEY / CDNSKEY -------------------------------------------------------


class _KeyBase(Rdata):
    __slots__ = ("_tag", "algorithm", "flags", "key", "protocol")

    def __init__(self, flags: int, protocol: int, algorithm: int, key: bytes) -> None:
        self.flags = flags
        self.protocol = protocol
        self.algorithm = algorithm
        self.key = key
        self._wire = None
        self._tag: int | None = None

    @classmethod
    def from_wire(
        cls, data: bytes, start: int, end: int, names: NameMemo | None = None
    ) -> _KeyBase:
        if start + 4 > end:
            need(data, start, 4, end, f"{RRType.to_text(cls.rrtype)} fixed fields")
        # Filled in directly, without the __init__ call: DNSKEY sets are
        # decoded on every cold validation.
        rdata = _new_rdata(cls)
        rdata.flags, rdata.protocol, rdata.algorithm = _HBB.unpack_from(data, start)
        rdata.key = data[start + 4 : end]
        rdata._wire = data[start:end]
        rdata._tag = None
        return rdata

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        out += _HBB.pack(self.flags, self.protocol, self.algorithm)
        out += self.key

    @property
    def key_tag(self) -> int:
        """RFC 4034 appendix B key tag (cached)."""
        tag = self._tag
        if tag is None:
            tag = _key_tag(self.to_wire(), self.algorithm)
            self._tag = tag
        return tag

    @property
    def is_zone_key(self) -> bool:
        return bool(self.flags & DNSKEY_ZONE)

    @property
    def is_revoked(self) -> bool:
        return bool(self.flags & DNSKEY_REVOKE)

    @property
    def is_sep(self) -> bool:
        return bool(self.flags & DNSKEY_SEP)

    @classmethod
    def from_text(cls, tokens: list[str], origin: Name) -> _KeyBase:
        what = RRType.to_text(cls.rrtype)
        text_min(tokens, 4, what)
        return cls(
            text_int(tokens[0], 16, f"{what} flags"),
            text_int(tokens[1], 8, f"{what} protocol"),
            _algorithm_from_text(tokens[2], what),
            b64decode(tokens[3:], f"{what} public key"),
        )

    def to_text(self) -> str:
        return f"{self.flags} {self.protocol} {self.algorithm} {b64encode(self.key) or '-'}"


@register(RRType.DNSKEY)
class DNSKEY(_KeyBase):
    """A zone's public key (RFC 4034 section 2)."""

    __slots__ = ()


@register(RRType.CDNSKEY)
class CDNSKEY(_KeyBase):
    """Child copy of DNSKEY (RFC 7344)."""

    __slots__ = ()


# -- RRSIG ------------------------------------------------------------------

#: Signer names decoded, by their (uncompressed, case-preserved) wire octets.
#: Names are immutable, so RRSIGs by the same zone share one object, whose
#: comparison key, hash and canonical form are then computed once.
_SIGNERS: dict[bytes, Name] = {}
_MAX_SIGNERS = 4096


@register(RRType.RRSIG)
class RRSIG(Rdata):
    """Signature over an RRset (RFC 4034 section 3)."""

    __slots__ = (
        "algorithm",
        "expiration",
        "inception",
        "key_tag",
        "labels",
        "original_ttl",
        "signature",
        "signer",
        "type_covered",
    )
    CANONICAL_NAMES = True

    def __init__(
        self,
        type_covered: int,
        algorithm: int,
        labels: int,
        original_ttl: int,
        expiration: int,
        inception: int,
        key_tag: int,
        signer: Name,
        signature: bytes,
    ) -> None:
        self.type_covered = type_covered
        self.algorithm = algorithm
        self.labels = labels
        self.original_ttl = original_ttl
        self.expiration = expiration
        self.inception = inception
        self.key_tag = key_tag
        self.signer = signer
        self.signature = signature
        self._wire = None

    @classmethod
    def from_wire(cls, data: bytes, start: int, end: int, names: NameMemo | None = None) -> RRSIG:
        if start + 18 > end:
            need(data, start, 18, end, "RRSIG fixed fields")
        # The signer is uncompressed (RFC 4034 3.1.7) and one of a few zones:
        # look its octets up among the signers seen.  Their octets up to the
        # first zero octet are tried first: a name's wire form is never the
        # prefix of another's, so if they are a known signer, that is the
        # signer (a zero octet inside a label just misses the table).
        first = start + 18
        zero = data.find(0, first, end)
        if zero >= 0:
            signer = _SIGNERS.get(data[first : zero + 1])
            if signer is not None:
                # Filled in directly: a tenth of the decoding was the
                # __init__ call with its nine arguments.  The fixed fields
                # are unpacked straight into the slots.
                rdata = _new_rdata(cls)
                (
                    rdata.type_covered,
                    rdata.algorithm,
                    rdata.labels,
                    rdata.original_ttl,
                    rdata.expiration,
                    rdata.inception,
                    rdata.key_tag,
                ) = _RRSIG_FIXED.unpack_from(data, start)
                rdata.signer = signer
                rdata.signature = data[zero + 1 : end]
                rdata._wire = data[start:end]
                return rdata
        # Otherwise find where it ends and look it up, or decode it.
        covered, alg, labels, ttl, expiration, inception, tag = _RRSIG_FIXED.unpack_from(
            data, start
        )
        pos = first
        while pos < end:
            length = data[pos]
            if length == 0:
                pos += 1
                wire = data[start + 18 : pos]
                signer = _SIGNERS.get(wire)
                if signer is None:
                    signer = read_name(data, start + 18, end, "RRSIG signer name", names)[0]
                    if len(_SIGNERS) >= _MAX_SIGNERS:
                        _SIGNERS.clear()
                    _SIGNERS[wire] = signer
                rdata = cls(
                    covered, alg, labels, ttl, expiration, inception, tag, signer, data[pos:end]
                )
                rdata._wire = data[start:end]
                return rdata
            if length > 63:
                break
            pos += length + 1
        signer, pos = read_name(data, start + 18, end, "RRSIG signer name", names)
        rdata = cls(covered, alg, labels, ttl, expiration, inception, tag, signer, data[pos:end])
        if pos - start - 18 == signer.wire_length():  # not compressed: keep the octets
            rdata._wire = data[start:end]
        return rdata

    def header_wire(self) -> bytes:
        """The rdata without the signature, signer lower-cased: the start of
        the signed data (RFC 4034 section 3.1.8.1)."""
        return (
            _RRSIG_FIXED.pack(
                self.type_covered,
                self.algorithm,
                self.labels,
                self.original_ttl,
                self.expiration,
                self.inception,
                self.key_tag,
            )
            + self.signer.canonical_wire()
        )

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        out += _RRSIG_FIXED.pack(
            self.type_covered,
            self.algorithm,
            self.labels,
            self.original_ttl,
            self.expiration,
            self.inception,
            self.key_tag,
        )
        write_name(out, self.signer, None)
        out += self.signature

    def canonical(self) -> bytes:
        return self.header_wire() + self.signature

    @classmethod
    def from_text(cls, tokens: list[str], origin: Name) -> RRSIG:
        text_min(tokens, 9, "RRSIG")
        try:
            covered = RRType.from_text(tokens[0])
        except ValueError:
            raise TextFormatError(f"RRSIG: unknown type covered {tokens[0]!r}") from None
        return cls(
            covered,
            _algorithm_from_text(tokens[1], "RRSIG"),
            text_int(tokens[2], 8, "RRSIG labels"),
            text_ttl(tokens[3], "RRSIG original TTL"),
            sigtime_from_text(tokens[4]),
            sigtime_from_text(tokens[5]),
            text_int(tokens[6], 16, "RRSIG key tag"),
            Name.from_text(tokens[7], origin),
            b64decode(tokens[8:], "RRSIG signature"),
        )

    def to_text(self) -> str:
        return (
            f"{RRType.to_text(self.type_covered)} {self.algorithm} {self.labels} "
            f"{self.original_ttl} {sigtime_to_text(self.expiration)} "
            f"{sigtime_to_text(self.inception)} {self.key_tag} {self.signer.to_text()} "
            f"{b64encode(self.signature)}"
        )


__all__ = [
    "CDNSKEY",
    "CDS",
    "DNSKEY",
    "DS",
    "NSEC",
    "NSEC3",
    "NSEC3PARAM",
    "NSEC3_OPTOUT",
    "RRSIG",
    "decode_type_bitmap",
    "encode_type_bitmap",
    "sigtime_from_text",
    "sigtime_to_text",
    "types_from_text",
    "types_to_text",
]
