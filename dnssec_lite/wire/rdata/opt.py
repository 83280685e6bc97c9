"""The EDNS0 OPT pseudo-record's data: a list of (code, value) options.

Message decoding turns the OPT record into :class:`dnssec_lite.wire.edns.Edns`;
this class exists so that OPT data also round-trips like any other type.
"""

from __future__ import annotations

import struct

from ...errors import TextFormatError, WireFormatError
from ..name import Name, NameMemo
from ..types import RRType
from .base import Compress, Rdata, register

_HH = struct.Struct("!HH")


def decode_options(data: bytes, start: int, end: int) -> tuple[tuple[int, bytes], ...]:
    options = []
    pos = start
    while pos < end:
        if pos + 4 > end:
            raise WireFormatError(pos, "EDNS option header truncated")
        code, length = _HH.unpack_from(data, pos)
        pos += 4
        if pos + length > end:
            raise WireFormatError(pos, f"EDNS option {code} runs past the end of the OPT rdata")
        options.append((code, data[pos : pos + length]))
        pos += length
    return tuple(options)


def encode_options(out: bytearray, options: tuple[tuple[int, bytes], ...]) -> None:
    for code, value in options:
        out += _HH.pack(code, len(value))
        out += value


@register(RRType.OPT)
class OPT(Rdata):
    """EDNS0 options (RFC 6891 section 6.1.2)."""

    __slots__ = ("options",)

    def __init__(self, options: tuple[tuple[int, bytes], ...]) -> None:
        self.options = options
        self._wire = None

    @classmethod
    def from_wire(cls, data: bytes, start: int, end: int, names: NameMemo | None = None) -> OPT:
        return cls(decode_options(data, start, end))

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        encode_options(out, self.options)

    @classmethod
    def from_text(cls, tokens: list[str], origin: Name) -> OPT:
        raise TextFormatError("OPT has no presentation form; use '\\# <length> <hex>'")

    def to_text(self) -> str:
        buf = bytearray()
        self.encode(buf, None)
        return f"\\# {len(buf)} {bytes(buf).hex()}" if buf else "\\# 0"
