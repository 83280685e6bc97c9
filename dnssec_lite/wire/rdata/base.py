"""The record-data base class, the type registry and RFC 3597 generic data.

Every record type is a small class with four conversions: ``from_wire`` /
``encode`` (wire), ``from_text`` / ``to_text`` (presentation).  Checks happen
in the decoders, at the boundary; constructors trust their arguments, which
keeps parsing fast.  Equality and hashing use the canonical wire form
(RFC 4034 section 6.2), which is what DNSSEC compares.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from typing import ClassVar, TypeVar

from ...errors import TextFormatError, WireFormatError
from ..name import Name, NameMemo, decode_name
from ..types import RRType

Compress = dict[tuple[bytes, ...], int]


class Rdata:
    """Base of all record data.  Instances are immutable by convention."""

    __slots__ = ("_wire",)

    rrtype: int = 0
    #: Whether names inside may be compressed when writing (RFC 3597 section 4:
    #: only the RFC 1035 types).
    COMPRESSIBLE: ClassVar[bool] = False
    #: Whether the canonical form lower-cases embedded names (RFC 4034 6.2 as
    #: amended by RFC 6840 5.1).
    CANONICAL_NAMES: ClassVar[bool] = False

    _wire: bytes | None

    # -- wire -------------------------------------------------------------
    @classmethod
    def from_wire(
        cls: type[_R], data: bytes, start: int, end: int, names: NameMemo | None = None
    ) -> _R:
        """Decode the rdata in ``data[start:end]`` (names may point before it).

        ``names`` is the memo of the message being decoded: names in the
        data are looked up in it and added to it (see :func:`decode_name`).
        """
        raise NotImplementedError

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        """Append the rdata (without its length) to ``out``."""
        raise NotImplementedError

    def to_wire(self) -> bytes:
        """Uncompressed wire form, case preserved (cached)."""
        wire = self._wire
        if wire is None:
            buf = bytearray()
            self.encode(buf, None)
            wire = bytes(buf)
            self._wire = wire
        return wire

    def canonical(self) -> bytes:
        """Canonical wire form (RFC 4034 section 6.2)."""
        return self.to_wire()

    # -- text -------------------------------------------------------------
    @classmethod
    def from_text(cls: type[_R], tokens: list[str], origin: Name) -> _R:
        """Parse presentation-form tokens (quoted tokens keep their quotes)."""
        raise NotImplementedError

    def to_text(self) -> str:
        raise NotImplementedError

    # -- comparison -------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Rdata):
            return NotImplemented
        return self.rrtype == other.rrtype and self.canonical() == other.canonical()

    def __hash__(self) -> int:
        return hash((self.rrtype, self.canonical()))

    def __lt__(self, other: Rdata) -> bool:
        return self.canonical() < other.canonical()

    def __repr__(self) -> str:
        return f"<{RRType.to_text(self.rrtype)} {self.to_text()}>"


_R = TypeVar("_R", bound=Rdata)


class GenericRdata(Rdata):
    """Data of a type this library does not interpret (RFC 3597)."""

    __slots__ = ("data", "rrtype")

    def __init__(self, rrtype: int, data: bytes) -> None:
        self.rrtype = rrtype
        self.data = data
        self._wire = data

    @classmethod
    def from_wire(
        cls, data: bytes, start: int, end: int, names: NameMemo | None = None
    ) -> GenericRdata:
        raise NotImplementedError("use rdata_from_wire for generic data")

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        out += self.data

    def to_text(self) -> str:
        if not self.data:
            return "\\# 0"
        return f"\\# {len(self.data)} {self.data.hex()}"


REGISTRY: dict[int, type[Rdata]] = {}
#: The ``from_wire`` of each registered class, bound once: the message
#: decoder calls it without looking the classmethod up on every record.
DECODERS: dict[int, Callable[[bytes, int, int, NameMemo | None], Rdata]] = {}


def register(rrtype: int) -> Callable[[type[_R]], type[_R]]:
    """Class decorator: make ``cls`` the decoder of ``rrtype``."""

    def deco(cls: type[_R]) -> type[_R]:
        cls.rrtype = int(rrtype)
        REGISTRY[rrtype] = cls
        DECODERS[rrtype] = cls.from_wire
        return cls

    return deco


def rdata_class(rrtype: int) -> type[Rdata] | None:
    return REGISTRY.get(rrtype)


def rdata_from_wire(rrtype: int, data: bytes, start: int, end: int) -> Rdata:
    """Decode rdata of ``rrtype``; unknown types become :class:`GenericRdata`."""
    cls = REGISTRY.get(rrtype)
    if cls is None:
        return GenericRdata(rrtype, data[start:end])
    return cls.from_wire(data, start, end)


def rdata_from_text(rrtype: int, tokens: list[str], origin: Name, *, strict: bool = True) -> Rdata:
    """Parse rdata tokens; accepts the RFC 3597 ``\\# len hex`` form for any type.

    Generic data for a known type must decode as that type; with
    ``strict=False`` data that does not is kept as :class:`GenericRdata`
    (test vectors use this to carry deliberately malformed records).
    """
    if tokens and tokens[0] == "\\#":
        if len(tokens) < 2 or not tokens[1].isdigit():
            raise TextFormatError("generic rdata needs '\\# <length> <hex>'")
        length = int(tokens[1])
        try:
            data = bytes.fromhex("".join(tokens[2:]))
        except ValueError:
            raise TextFormatError("generic rdata: bad hexadecimal data") from None
        if len(data) != length:
            raise TextFormatError(
                f"generic rdata: length {length} does not match {len(data)} octets of data"
            )
        cls = REGISTRY.get(rrtype)
        if cls is None:
            return GenericRdata(rrtype, data)
        try:
            return cls.from_wire(data, 0, len(data))
        except WireFormatError as exc:
            if not strict:
                return GenericRdata(rrtype, data)
            raise TextFormatError(f"generic rdata for a known type: {exc.what}") from None
    cls = REGISTRY.get(rrtype)
    if cls is None:
        raise TextFormatError(
            f"type {RRType.to_text(rrtype)} is unknown; write its data as '\\# <length> <hex>'"
        )
    return cls.from_text(tokens, origin)


# -- helpers shared by the record modules -----------------------------------


def write_name(out: bytearray, name: Name, compress: Compress | None) -> None:
    """Append ``name``, using and extending the compression table if given."""
    labels = name.labels
    if compress is None:
        for label in labels:
            out.append(len(label))
            out += label
        out.append(0)
        return
    key = name.key  # reversed lower-cased labels
    n = len(labels)
    for i in range(n):
        suffix = key[: n - i]
        pointer = compress.get(suffix)
        if pointer is not None:
            out += (0xC000 | pointer).to_bytes(2, "big")
            return
        if len(out) < 0x3FFF:
            compress[suffix] = len(out)
        label = labels[i]
        out.append(len(label))
        out += label
    out.append(0)


def read_name(
    data: bytes, offset: int, end: int, what: str, names: NameMemo | None = None
) -> tuple[Name, int]:
    """Decode a name inside rdata, which must end within the rdata."""
    name, nxt = decode_name(data, offset, names)
    if nxt > end:
        raise WireFormatError(offset, f"{what} runs past the end of the rdata")
    return name, nxt


def expect_end(pos: int, end: int, what: str) -> None:
    if pos != end:
        if pos > end:
            raise WireFormatError(end, f"{what} rdata shorter than its fields")
        raise WireFormatError(pos, f"{end - pos} unexpected octets at the end of {what} rdata")


def need(data: bytes, pos: int, count: int, end: int, what: str) -> None:
    if pos + count > end:
        raise WireFormatError(pos, f"{what} truncated")


def text_int(token: str, bits: int, what: str) -> int:
    if not token.isdigit():
        raise TextFormatError(f"{what}: {token!r} is not a number")
    value = int(token)
    if value >= 1 << bits:
        raise TextFormatError(f"{what}: {value} does not fit in {bits} bits")
    return value


def text_count(tokens: list[str], count: int, what: str) -> None:
    if len(tokens) != count:
        raise TextFormatError(f"{what} needs {count} fields, got {len(tokens)}")


def text_min(tokens: list[str], count: int, what: str) -> None:
    if len(tokens) < count:
        raise TextFormatError(f"{what} needs at least {count} fields, got {len(tokens)}")


def b64decode(tokens: list[str], what: str) -> bytes:
    text = "".join(tokens)
    if text == "-":
        return b""
    try:
        return binascii.a2b_base64(text.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError):
        raise TextFormatError(f"{what}: bad base64 data") from None


def b64encode(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def hexdecode(tokens: list[str], what: str) -> bytes:
    text = "".join(tokens)
    if text == "-":
        return b""
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise TextFormatError(f"{what}: bad hexadecimal data") from None


_B32_STD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_B32_HEX = b"0123456789ABCDEFGHIJKLMNOPQRSTUV"
_TO_HEX = bytes.maketrans(_B32_STD, _B32_HEX)
_FROM_HEX = bytes.maketrans(_B32_HEX, _B32_STD)


def b32hex_encode(data: bytes) -> str:
    """RFC 4648 base32 with the extended-hex alphabet, no padding, lower case."""
    import base64  # imported on first use: it is slow to import

    return base64.b32encode(data).translate(_TO_HEX).rstrip(b"=").decode("ascii").lower()


def b32hex_decode(text: str) -> bytes:
    """Inverse of :func:`b32hex_encode`; case-insensitive; ValueError if bad."""

    raw = text.upper().encode("ascii")
    if raw.translate(None, _B32_HEX):
        raise ValueError(f"bad base32hex text {text!r}")
    padded = raw + b"=" * (-len(raw) % 8)
    import base64

    try:
        return base64.b32decode(padded.translate(_FROM_HEX))
    except binascii.Error:
        raise ValueError(f"bad base32hex text {text!r}") from None


_TTL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def text_ttl(token: str, what: str = "TTL") -> int:
    """A TTL or timer: plain seconds or BIND units such as ``1h30m`` or ``2D``."""
    if token.isdigit():
        value = int(token)
    else:
        value = 0
        number = ""
        for ch in token.lower():
            if ch.isdigit():
                number += ch
            elif ch in _TTL_UNITS and number:
                value += int(number) * _TTL_UNITS[ch]
                number = ""
            else:
                raise TextFormatError(f"{what}: {token!r} is not a time value")
        if number:
            raise TextFormatError(f"{what}: {token!r} has a number without a unit")
    if value > 0xFFFFFFFF:
        raise TextFormatError(f"{what}: {value} does not fit in 32 bits")
    return value
