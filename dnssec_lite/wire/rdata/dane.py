"""DANE certificate associations: TLSA (RFC 6698) and SMIMEA (RFC 8162)."""

from __future__ import annotations

from ...errors import WireFormatError
from ..name import Name, NameMemo
from ..types import RRType
from .base import Compress, Rdata, hexdecode, register, text_int, text_min

_new_rdata = object.__new__


class _Association(Rdata):
    """Usage, selector, matching type and the association data."""

    __slots__ = ("data", "mtype", "selector", "usage")

    def __init__(self, usage: int, selector: int, mtype: int, data: bytes) -> None:
        self.usage = usage
        self.selector = selector
        self.mtype = mtype
        self.data = data
        self._wire = None

    @classmethod
    def from_wire(
        cls, data: bytes, start: int, end: int, names: NameMemo | None = None
    ) -> _Association:
        if end - start < 3:
            raise WireFormatError(
                start, f"{RRType.to_text(cls.rrtype)} rdata shorter than 3 octets"
            )
        # Filled in directly (as __init__ would), without the call.
        rdata = _new_rdata(cls)
        rdata.usage = data[start]
        rdata.selector = data[start + 1]
        rdata.mtype = data[start + 2]
        rdata.data = data[start + 3 : end]
        rdata._wire = data[start:end]
        return rdata

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        out.append(self.usage)
        out.append(self.selector)
        out.append(self.mtype)
        out += self.data

    @classmethod
    def from_text(cls, tokens: list[str], origin: Name) -> _Association:
        what = RRType.to_text(cls.rrtype)
        text_min(tokens, 4, what)
        return cls(
            text_int(tokens[0], 8, f"{what} usage"),
            text_int(tokens[1], 8, f"{what} selector"),
            text_int(tokens[2], 8, f"{what} matching type"),
            hexdecode(tokens[3:], f"{what} data"),
        )

    def to_text(self) -> str:
        return f"{self.usage} {self.selector} {self.mtype} {self.data.hex() or '-'}"


@register(RRType.TLSA)
class TLSA(_Association):
    """TLS server certificate association."""

    __slots__ = ()


@register(RRType.SMIMEA)
class SMIMEA(_Association):
    """S/MIME certificate association."""

    __slots__ = ()
