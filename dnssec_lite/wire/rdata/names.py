"""Records whose data is or contains domain names.

NS, CNAME, PTR, MX and SOA are RFC 1035 types: their names may be compressed
on the wire.  SRV and DNAME names must not be compressed when writing (RFC
3597 section 4) but are decompressed when reading, as peers do.  All of them
lower-case their names in canonical form (RFC 4034 6.2, RFC 6840 5.1).
"""

from __future__ import annotations

import struct

from ...errors import WireFormatError
from ..name import Name, NameMemo, decode_name
from ..types import RRType
from .base import (
    Compress,
    Rdata,
    expect_end,
    need,
    read_name,
    register,
    text_count,
    text_int,
    text_ttl,
    write_name,
)

_H = struct.Struct("!H")
_HHH = struct.Struct("!HHH")
_SOA_INTS = struct.Struct("!IIIII")
_new_rdata = object.__new__


class _SingleName(Rdata):
    """Data that is exactly one domain name."""

    __slots__ = ("target",)
    COMPRESSIBLE = True
    CANONICAL_NAMES = True

    def __init__(self, target: Name) -> None:
        self.target = target
        self._wire = None

    @classmethod
    def from_wire(
        cls, data: bytes, start: int, end: int, names: NameMemo | None = None
    ) -> _SingleName:
        name, pos = decode_name(data, start, names)
        if pos != end:  # the mnemonic is looked up for the error only
            what = RRType.to_text(cls.rrtype)
            if pos > end:
                raise WireFormatError(start, f"{what} target runs past the end of the rdata")
            expect_end(pos, end, what)
        return cls(name)

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        write_name(out, self.target, compress if self.COMPRESSIBLE else None)

    def canonical(self) -> bytes:
        return self.target.canonical_wire()

    @classmethod
    def from_text(cls, tokens: list[str], origin: Name) -> _SingleName:
        text_count(tokens, 1, RRType.to_text(cls.rrtype))
        return cls(Name.from_text(tokens[0], origin))

    def to_text(self) -> str:
        return self.target.to_text()


@register(RRType.NS)
class NS(_SingleName):
    """Authoritative name server (RFC 1035 3.3.11)."""

    __slots__ = ()


@register(RRType.CNAME)
class CNAME(_SingleName):
    """Canonical name alias (RFC 1035 3.3.1)."""

    __slots__ = ()


@register(RRType.PTR)
class PTR(_SingleName):
    """Domain name pointer (RFC 1035 3.3.12)."""

    __slots__ = ()


@register(RRType.DNAME)
class DNAME(_SingleName):
    """Redirection of a whole subtree (RFC 6672)."""

    __slots__ = ()
    COMPRESSIBLE = False


@register(RRType.MX)
class MX(Rdata):
    """Mail exchanger (RFC 1035 3.3.9)."""

    __slots__ = ("exchange", "preference")
    COMPRESSIBLE = True
    CANONICAL_NAMES = True

    def __init__(self, preference: int, exchange: Name) -> None:
        self.preference = preference
        self.exchange = exchange
        self._wire = None

    @classmethod
    def from_wire(cls, data: bytes, start: int, end: int, names: NameMemo | None = None) -> MX:
        # The checking helpers are called only when a check fails: a call
        # costs more than the test (likewise for SOA, NSEC and NSEC3).
        if start + 2 > end:
            need(data, start, 2, end, "MX preference")
        name, pos = decode_name(data, start + 2, names)
        if pos != end:
            if pos > end:
                read_name(data, start + 2, end, "MX exchange", names)
            expect_end(pos, end, "MX")
        # Filled in directly (as __init__ would), without the call.
        rdata = _new_rdata(cls)
        rdata.preference = (data[start] << 8) | data[start + 1]
        rdata.exchange = name
        rdata._wire = None
        return rdata

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        out += _H.pack(self.preference)
        write_name(out, self.exchange, compress)

    def canonical(self) -> bytes:
        return _H.pack(self.preference) + self.exchange.canonical_wire()

    @classmethod
    def from_text(cls, tokens: list[str], origin: Name) -> MX:
        text_count(tokens, 2, "MX")
        return cls(text_int(tokens[0], 16, "MX preference"), Name.from_text(tokens[1], origin))

    def to_text(self) -> str:
        return f"{self.preference} {self.exchange.to_text()}"


@register(RRType.SRV)
class SRV(Rdata):
    """Service location (RFC 2782)."""

    __slots__ = ("port", "priority", "target", "weight")
    CANONICAL_NAMES = True

    def __init__(self, priority: int, weight: int, port: int, target: Name) -> None:
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
        self._wire = None

    @classmethod
    def from_wire(cls, data: bytes, start: int, end: int, names: NameMemo | None = None) -> SRV:
        need(data, start, 6, end, "SRV fixed fields")
        priority, weight, port = _HHH.unpack_from(data, start)
        name, pos = read_name(data, start + 6, end, "SRV target", names)
        expect_end(pos, end, "SRV")
        return cls(priority, weight, port, name)

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        out += _HHH.pack(self.priority, self.weight, self.port)
        write_name(out, self.target, None)

    def canonical(self) -> bytes:
        return _HHH.pack(self.priority, self.weight, self.port) + self.target.canonical_wire()

    @classmethod
    def from_text(cls, tokens: list[str], origin: Name) -> SRV:
        text_count(tokens, 4, "SRV")
        return cls(
            text_int(tokens[0], 16, "SRV priority"),
            text_int(tokens[1], 16, "SRV weight"),
            text_int(tokens[2], 16, "SRV port"),
            Name.from_text(tokens[3], origin),
        )

    def to_text(self) -> str:
        return f"{self.priority} {self.weight} {self.port} {self.target.to_text()}"


@register(RRType.SOA)
class SOA(Rdata):
    """Start of authority (RFC 1035 3.3.13); ``minimum`` is the negative TTL."""

    __slots__ = ("expire", "minimum", "mname", "refresh", "retry", "rname", "serial")
    COMPRESSIBLE = True
    CANONICAL_NAMES = True

    def __init__(
        self,
        mname: Name,
        rname: Name,
        serial: int,
        refresh: int,
        retry: int,
        expire: int,
        minimum: int,
    ) -> None:
        self.mname = mname
        self.rname = rname
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
        self._wire = None

    def _ints(self) -> bytes:
        return _SOA_INTS.pack(self.serial, self.refresh, self.retry, self.expire, self.minimum)

    @classmethod
    def from_wire(cls, data: bytes, start: int, end: int, names: NameMemo | None = None) -> SOA:
        mname, pos = decode_name(data, start, names)
        if pos > end:
            read_name(data, start, end, "SOA mname", names)
        rname, nxt = decode_name(data, pos, names)
        if nxt > end:
            read_name(data, pos, end, "SOA rname", names)
        pos = nxt
        if pos + 20 > end:
            need(data, pos, 20, end, "SOA timers")
        if pos + 20 != end:
            expect_end(pos + 20, end, "SOA")
        # Filled in directly (as __init__ would), without the call.
        rdata = _new_rdata(cls)
        rdata.mname = mname
        rdata.rname = rname
        rdata.serial, rdata.refresh, rdata.retry, rdata.expire, rdata.minimum = (
            _SOA_INTS.unpack_from(data, pos)
        )
        rdata._wire = None
        return rdata

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        write_name(out, self.mname, compress)
        write_name(out, self.rname, compress)
        out += self._ints()

    def canonical(self) -> bytes:
        return self.mname.canonical_wire() + self.rname.canonical_wire() + self._ints()

    @classmethod
    def from_text(cls, tokens: list[str], origin: Name) -> SOA:
        text_count(tokens, 7, "SOA")
        return cls(
            Name.from_text(tokens[0], origin),
            Name.from_text(tokens[1], origin),
            text_int(tokens[2], 32, "SOA serial"),
            *(text_ttl(tok, "SOA timer") for tok in tokens[3:]),
        )

    def to_text(self) -> str:
        return (
            f"{self.mname.to_text()} {self.rname.to_text()} {self.serial} "
            f"{self.refresh} {self.retry} {self.expire} {self.minimum}"
        )
