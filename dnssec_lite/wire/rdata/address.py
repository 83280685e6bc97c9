"""Address records: A (RFC 1035) and AAAA (RFC 3596)."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from ...errors import TextFormatError, WireFormatError
from ..name import Name, NameMemo
from ..types import RRType
from .base import Compress, Rdata, register, text_count

_AddressT = TypeVar("_AddressT", bound="_AddressRdata")
_new_rdata = object.__new__


class _AddressRdata(Rdata):
    """An IP address kept as its packed octets; subclasses fix the family."""

    __slots__ = ("packed",)

    #: Type mnemonic used in error messages ("A", "AAAA").
    _MNEMONIC: ClassVar[str]
    #: Number of octets of the packed address.
    _LENGTH: ClassVar[int]
    #: IP version, 4 or 6.
    _VERSION: ClassVar[int]

    def __init__(self, packed: bytes) -> None:
        self.packed = packed
        self._wire = packed

    @property
    def address(self) -> str:
        raise NotImplementedError

    @classmethod
    def _pack(cls, address: str) -> bytes:
        import ipaddress  # imported on first use: it is slow to import

        family = ipaddress.IPv4Address if cls._VERSION == 4 else ipaddress.IPv6Address
        return family(address).packed

    @classmethod
    def from_wire(
        cls: type[_AddressT], data: bytes, start: int, end: int, names: NameMemo | None = None
    ) -> _AddressT:
        if end - start != cls._LENGTH:
            raise WireFormatError(
                start, f"{cls._MNEMONIC} rdata of {end - start} octets, expected {cls._LENGTH}"
            )
        # Filled in directly: the __init__ call was a third of the decoding.
        rdata = _new_rdata(cls)
        rdata.packed = rdata._wire = data[start:end]
        return rdata

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        out += self.packed

    @classmethod
    def from_text(cls: type[_AddressT], tokens: list[str], origin: Name) -> _AddressT:
        text_count(tokens, 1, cls._MNEMONIC)
        try:
            return cls(cls._pack(tokens[0]))
        except ValueError:
            raise TextFormatError(
                f"{cls._MNEMONIC}: {tokens[0]!r} is not an IPv{cls._VERSION} address"
            ) from None

    @classmethod
    def from_address(cls: type[_AddressT], address: str) -> _AddressT:
        return cls(cls._pack(address))

    def to_text(self) -> str:
        return self.address


@register(RRType.A)
class A(_AddressRdata):
    """An IPv4 address, kept as its 4 octets."""

    __slots__ = ()

    _MNEMONIC = "A"
    _LENGTH = 4
    _VERSION = 4

    @property
    def address(self) -> str:
        return ".".join(str(octet) for octet in self.packed)


@register(RRType.AAAA)
class AAAA(_AddressRdata):
    """An IPv6 address, kept as its 16 octets."""

    __slots__ = ()

    _MNEMONIC = "AAAA"
    _LENGTH = 16
    _VERSION = 6

    @property
    def address(self) -> str:
        import ipaddress  # imported on first use: it is slow to import

        return ipaddress.IPv6Address(self.packed).compressed
