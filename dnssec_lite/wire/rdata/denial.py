"""Authenticated denial record types: NSEC, NSEC3, NSEC3PARAM, and the type
bitmaps NSEC and NSEC3 carry.

Split from :mod:`.dnssec` (keys and signatures), which re-exports these
names.  As there, decoded records keep their original rdata octets: the
canonical form, so an odd but valid bitmap is never re-encoded differently
from what was signed.
"""

from __future__ import annotations

import struct

from ...errors import TextFormatError, WireFormatError
from ..name import Name, NameMemo
from ..types import RRType
from .base import (
    Compress,
    Rdata,
    b32hex_decode,
    b32hex_encode,
    expect_end,
    hexdecode,
    need,
    read_name,
    register,
    text_count,
    text_int,
    text_min,
    write_name,
)

_new_rdata = object.__new__
_NSEC3_FIXED = struct.Struct("!BBHB")


# -- type bitmaps (RFC 4034 section 4.1.2) -----------------------------------


#: The bits set in each octet value, as offsets from its most significant bit
#: (the bitmap's order): a table lookup instead of testing eight bits.
_BITS = tuple(tuple(bit for bit in range(8) if octet & (0x80 >> bit)) for octet in range(256))


def decode_type_bitmap(data: bytes, start: int, end: int) -> frozenset[int]:
    """Decode window blocks; windows must ascend and be 1..32 octets long."""
    types: set[int] = set()
    pos = start
    last_window = -1
    while pos < end:
        if pos + 2 > end:
            raise WireFormatError(pos, "type bitmap window header truncated")
        window = data[pos]
        length = data[pos + 1]
        if window <= last_window:
            raise WireFormatError(pos, "type bitmap windows out of order")
        if not 1 <= length <= 32:
            raise WireFormatError(pos + 1, f"type bitmap window length {length}")
        if pos + 2 + length > end:
            raise WireFormatError(pos, "type bitmap runs past the end of the rdata")
        offset = window << 8
        for octet in data[pos + 2 : pos + 2 + length]:
            if octet:
                for bit in _BITS[octet]:
                    types.add(offset + bit)
            offset += 8
        last_window = window
        pos += 2 + length
    return frozenset(types)


def encode_type_bitmap(types: frozenset[int]) -> bytes:
    out = bytearray()
    windows: dict[int, bytearray] = {}
    for rrtype in sorted(types):
        window, low = divmod(rrtype, 256)
        bits = windows.setdefault(window, bytearray())
        index = low // 8
        if len(bits) <= index:
            bits.extend(b"\x00" * (index + 1 - len(bits)))
        bits[index] |= 0x80 >> (low % 8)
    for window in sorted(windows):
        bits = windows[window]
        out.append(window)
        out.append(len(bits))
        out += bits
    return bytes(out)


def types_from_text(tokens: list[str]) -> frozenset[int]:
    types = set()
    for tok in tokens:
        try:
            types.add(RRType.from_text(tok))
        except ValueError:
            raise TextFormatError(f"unknown type {tok!r} in type bitmap") from None
    return frozenset(types)


def types_to_text(types: frozenset[int]) -> str:
    return " ".join(RRType.to_text(t) for t in sorted(types))


# -- NSEC -------------------------------------------------------------------


@register(RRType.NSEC)
class NSEC(Rdata):
    """Next secure record (RFC 4034 section 4); the next name keeps its case."""

    __slots__ = ("next", "types")

    def __init__(self, next: Name, types: frozenset[int]) -> None:
        self.next = next
        self.types = types
        self._wire = None

    @classmethod
    def from_wire(cls, data: bytes, start: int, end: int, names: NameMemo | None = None) -> NSEC:
        name, pos = read_name(data, start, end, "NSEC next name", names)
        rdata = cls(name, decode_type_bitmap(data, pos, end))
        if pos - start == name.wire_length():  # not compressed: keep the octets
            rdata._wire = data[start:end]
        return rdata

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        write_name(out, self.next, None)
        out += encode_type_bitmap(self.types)

    @classmethod
    def from_text(cls, tokens: list[str], origin: Name) -> NSEC:
        text_min(tokens, 1, "NSEC")
        return cls(Name.from_text(tokens[0], origin), types_from_text(tokens[1:]))

    def to_text(self) -> str:
        bitmap = types_to_text(self.types)
        return f"{self.next.to_text()} {bitmap}" if bitmap else self.next.to_text()


# -- NSEC3 / NSEC3PARAM -----------------------------------------------------

NSEC3_OPTOUT = 0x01


def _salt_from_text(token: str, what: str) -> bytes:
    if token == "-":
        return b""
    salt = hexdecode([token], f"{what} salt")
    if len(salt) > 255:
        raise TextFormatError(f"{what}: salt longer than 255 octets")
    return salt


class _NSEC3Params(Rdata):
    """Hash algorithm, flags, iterations and salt: the fields NSEC3 and
    NSEC3PARAM begin with (RFC 5155 sections 3.2 and 4.2)."""

    __slots__ = ("flags", "hash_algorithm", "iterations", "salt")

    def __init__(self, hash_algorithm: int, flags: int, iterations: int, salt: bytes) -> None:
        self.hash_algorithm = hash_algorithm
        self.flags = flags
        self.iterations = iterations
        self.salt = salt
        self._wire = None

    def _encode_params(self, out: bytearray) -> None:
        out += _NSEC3_FIXED.pack(self.hash_algorithm, self.flags, self.iterations, len(self.salt))
        out += self.salt

    @staticmethod
    def _params_from_text(tokens: list[str], what: str) -> tuple[int, int, int, bytes]:
        return (
            text_int(tokens[0], 8, f"{what} hash algorithm"),
            text_int(tokens[1], 8, f"{what} flags"),
            text_int(tokens[2], 16, f"{what} iterations"),
            _salt_from_text(tokens[3], what),
        )

    def _params_to_text(self) -> str:
        return (
            f"{self.hash_algorithm} {self.flags} {self.iterations} {self.salt.hex().upper() or '-'}"
        )


@register(RRType.NSEC3)
class NSEC3(_NSEC3Params):
    """Hashed next secure record (RFC 5155 section 3)."""

    __slots__ = ("next_hashed", "types")

    def __init__(
        self,
        hash_algorithm: int,
        flags: int,
        iterations: int,
        salt: bytes,
        next_hashed: bytes,
        types: frozenset[int],
    ) -> None:
        self.hash_algorithm = hash_algorithm
        self.flags = flags
        self.iterations = iterations
        self.salt = salt
        self.next_hashed = next_hashed
        self.types = types
        self._wire = None

    @property
    def opt_out(self) -> bool:
        return bool(self.flags & NSEC3_OPTOUT)

    @classmethod
    def from_wire(cls, data: bytes, start: int, end: int, names: NameMemo | None = None) -> NSEC3:
        # need() is called only when its check fails: a call costs more
        # than the test.
        if start + 5 > end:
            need(data, start, 5, end, "NSEC3 fixed fields")
        hash_algorithm, flags, iterations, salt_len = _NSEC3_FIXED.unpack_from(data, start)
        pos = start + 5
        if pos + salt_len + 1 > end:
            need(data, pos, salt_len + 1, end, "NSEC3 salt")
        salt = data[pos : pos + salt_len]
        pos += salt_len
        hash_len = data[pos]
        pos += 1
        if pos + hash_len > end:
            need(data, pos, hash_len, end, "NSEC3 next hashed owner")
        if hash_len == 0:
            raise WireFormatError(pos - 1, "NSEC3 next hashed owner is empty")
        # Filled in directly (as __init__ would), without the call.
        rdata = _new_rdata(cls)
        rdata.hash_algorithm = hash_algorithm
        rdata.flags = flags
        rdata.iterations = iterations
        rdata.salt = salt
        rdata.next_hashed = data[pos : pos + hash_len]
        rdata.types = decode_type_bitmap(data, pos + hash_len, end)
        rdata._wire = data[start:end]
        return rdata

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        self._encode_params(out)
        out.append(len(self.next_hashed))
        out += self.next_hashed
        out += encode_type_bitmap(self.types)

    @classmethod
    def from_text(cls, tokens: list[str], origin: Name) -> NSEC3:
        text_min(tokens, 5, "NSEC3")
        try:
            next_hashed = b32hex_decode(tokens[4])
        except ValueError:
            raise TextFormatError(f"NSEC3: bad next hashed owner {tokens[4]!r}") from None
        if not next_hashed or len(next_hashed) > 255:
            raise TextFormatError("NSEC3: next hashed owner must be 1..255 octets")
        return cls(
            *cls._params_from_text(tokens, "NSEC3"),
            next_hashed,
            types_from_text(tokens[5:]),
        )

    def to_text(self) -> str:
        text = f"{self._params_to_text()} {b32hex_encode(self.next_hashed).upper()}"
        bitmap = types_to_text(self.types)
        return f"{text} {bitmap}" if bitmap else text


@register(RRType.NSEC3PARAM)
class NSEC3PARAM(_NSEC3Params):
    """NSEC3 parameters of a zone (RFC 5155 section 4)."""

    __slots__ = ()

    @classmethod
    def from_wire(
        cls, data: bytes, start: int, end: int, names: NameMemo | None = None
    ) -> NSEC3PARAM:
        need(data, start, 5, end, "NSEC3PARAM fixed fields")
        hash_algorithm, flags, iterations, salt_len = _NSEC3_FIXED.unpack_from(data, start)
        expect_end(start + 5 + salt_len, end, "NSEC3PARAM")
        rdata = cls(hash_algorithm, flags, iterations, data[start + 5 : end])
        rdata._wire = data[start:end]
        return rdata

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        self._encode_params(out)

    @classmethod
    def from_text(cls, tokens: list[str], origin: Name) -> NSEC3PARAM:
        text_count(tokens, 4, "NSEC3PARAM")
        return cls(*cls._params_from_text(tokens, "NSEC3PARAM"))

    def to_text(self) -> str:
        return self._params_to_text()
