"""Address records: A (RFC 1035) and AAAA (RFC 3596)."""

from __future__ import annotations

from ...errors import TextFormatError, WireFormatError
from ..name import Name
from ..types import RRType
from .base import Compress, Rdata, register, text_count


@register(RRType.A)
class A(Rdata):
    """An IPv4 address, kept as its 4 octets."""

    __slots__ = ("packed",)

    def __init__(self, packed: bytes) -> None:
        self.packed = packed
        self._wire = packed

    @property
    def address(self) -> str:
        return ".".join(str(octet) for octet in self.packed)

    @classmethod
    def from_wire(cls, data: bytes, start: int, end: int) -> A:
        if end - start != 4:
            raise WireFormatError(start, f"A rdata of {end - start} octets, expected 4")
        return cls(data[start:end])

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        out += self.packed

    @classmethod
    def from_text(cls, tokens: list[str], origin: Name) -> A:
        text_count(tokens, 1, "A")
        import ipaddress

        try:
            return cls(ipaddress.IPv4Address(tokens[0]).packed)
        except ValueError:
            raise TextFormatError(f"A: {tokens[0]!r} is not an IPv4 address") from None

    @classmethod
    def from_address(cls, address: str) -> A:
        import ipaddress

        return cls(ipaddress.IPv4Address(address).packed)

    def to_text(self) -> str:
        return self.address


@register(RRType.AAAA)
class AAAA(Rdata):
    """An IPv6 address, kept as its 16 octets."""

    __slots__ = ("packed",)

    def __init__(self, packed: bytes) -> None:
        self.packed = packed
        self._wire = packed

    @property
    def address(self) -> str:
        import ipaddress  # imported on first use: it is slow to import

        return ipaddress.IPv6Address(self.packed).compressed

    @classmethod
    def from_wire(cls, data: bytes, start: int, end: int) -> AAAA:
        if end - start != 16:
            raise WireFormatError(start, f"AAAA rdata of {end - start} octets, expected 16")
        return cls(data[start:end])

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        out += self.packed

    @classmethod
    def from_text(cls, tokens: list[str], origin: Name) -> AAAA:
        text_count(tokens, 1, "AAAA")
        import ipaddress

        try:
            return cls(ipaddress.IPv6Address(tokens[0]).packed)
        except ValueError:
            raise TextFormatError(f"AAAA: {tokens[0]!r} is not an IPv6 address") from None

    @classmethod
    def from_address(cls, address: str) -> AAAA:
        import ipaddress

        return cls(ipaddress.IPv6Address(address).packed)

    def to_text(self) -> str:
        return self.address
