"""Text records: TXT and SPF (RFC 1035 3.3.14), a list of character-strings."""

from __future__ import annotations

from ...errors import TextFormatError, WireFormatError
from ..name import Name, NameMemo
from ..types import RRType
from .base import Compress, Rdata, expect_end, read_name, register, text_int, write_name


def decode_character_string(token: str) -> bytes:
    """Decode one presentation-form character-string (quoted or not)."""
    if len(token) >= 2 and token[0] == '"' and token[-1] == '"':
        token = token[1:-1]
    out = bytearray()
    i = 0
    n = len(token)
    while i < n:
        ch = token[i]
        if ch == "\\":
            if i + 1 >= n:
                raise TextFormatError("character-string ends in a backslash")
            nxt = token[i + 1]
            if nxt.isdigit():
                digits = token[i + 1 : i + 4]
                if len(digits) != 3 or not digits.isdigit() or int(digits) > 255:
                    raise TextFormatError(f"bad \\DDD escape in {token!r}")
                out.append(int(digits))
                i += 4
                continue
            out += nxt.encode("utf-8")
            i += 2
            continue
        out += ch.encode("utf-8")
        i += 1
    if len(out) > 255:
        raise TextFormatError(f"character-string of {len(out)} octets exceeds 255")
    return bytes(out)


def encode_character_string(data: bytes) -> str:
    """Quoted presentation form of one character-string."""
    out = ['"']
    for octet in data:
        if octet in (0x22, 0x5C):
            out.append("\\" + chr(octet))
        elif 0x20 <= octet <= 0x7E:
            out.append(chr(octet))
        else:
            out.append(f"\\{octet:03d}")
    out.append('"')
    return "".join(out)


def read_character_strings(data: bytes, start: int, end: int) -> tuple[bytes, ...]:
    """Decode consecutive character-strings filling ``data[start:end]``."""
    strings = []
    pos = start
    while pos < end:
        stop = pos + 1 + data[pos]
        if stop > end:
            raise WireFormatError(pos, "character-string runs past the end of the rdata")
        strings.append(data[pos + 1 : stop])
        pos = stop
    return tuple(strings)


class _Strings(Rdata):
    __slots__ = ("strings",)

    def __init__(self, strings: tuple[bytes, ...]) -> None:
        self.strings = strings
        self._wire = None

    @classmethod
    def from_wire(
        cls, data: bytes, start: int, end: int, names: NameMemo | None = None
    ) -> _Strings:
        strings = read_character_strings(data, start, end)
        if not strings:
            raise WireFormatError(start, f"{RRType.to_text(cls.rrtype)} rdata is empty")
        rdata = cls(strings)
        rdata._wire = data[start:end]
        return rdata

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        for string in self.strings:
            out.append(len(string))
            out += string

    @classmethod
    def from_text(cls, tokens: list[str], origin: Name) -> _Strings:
        if not tokens:
            raise TextFormatError(f"{RRType.to_text(cls.rrtype)} needs at least one string")
        return cls(tuple(decode_character_string(tok) for tok in tokens))

    def to_text(self) -> str:
        return " ".join(encode_character_string(s) for s in self.strings)


@register(RRType.TXT)
class TXT(_Strings):
    """Descriptive text."""

    __slots__ = ()


@register(RRType.SPF)
class SPF(_Strings):
    """The historic SPF type (RFC 7208 section 3.1 says use TXT)."""

    __slots__ = ()


@register(RRType.HINFO)
class HINFO(Rdata):
    """Host information (RFC 1035 3.3.2): CPU and OS strings."""

    __slots__ = ("cpu", "os")

    def __init__(self, cpu: bytes, os: bytes) -> None:
        self.cpu = cpu
        self.os = os
        self._wire = None

    @classmethod
    def from_wire(cls, data: bytes, start: int, end: int, names: NameMemo | None = None) -> HINFO:
        strings = read_character_strings(data, start, end)
        if len(strings) != 2:
            raise WireFormatError(start, f"HINFO has {len(strings)} strings, expected 2")
        return cls(strings[0], strings[1])

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        for string in (self.cpu, self.os):
            out.append(len(string))
            out += string

    @classmethod
    def from_text(cls, tokens: list[str], origin: Name) -> HINFO:
        if len(tokens) != 2:
            raise TextFormatError(f"HINFO needs 2 strings, got {len(tokens)}")
        return cls(decode_character_string(tokens[0]), decode_character_string(tokens[1]))

    def to_text(self) -> str:
        return f"{encode_character_string(self.cpu)} {encode_character_string(self.os)}"


@register(RRType.NAPTR)
class NAPTR(Rdata):
    """Naming authority pointer (RFC 3403); the replacement is never compressed."""

    __slots__ = ("flags", "order", "preference", "regexp", "replacement", "services")
    CANONICAL_NAMES = True

    def __init__(
        self,
        order: int,
        preference: int,
        flags: bytes,
        services: bytes,
        regexp: bytes,
        replacement: Name,
    ) -> None:
        self.order = order
        self.preference = preference
        self.flags = flags
        self.services = services
        self.regexp = regexp
        self.replacement = replacement
        self._wire = None

    @classmethod
    def from_wire(cls, data: bytes, start: int, end: int, names: NameMemo | None = None) -> NAPTR:
        if end - start < 4:
            raise WireFormatError(start, "NAPTR fixed fields truncated")
        order = (data[start] << 8) | data[start + 1]
        preference = (data[start + 2] << 8) | data[start + 3]
        pos = start + 4
        strings = []
        for _ in range(3):
            if pos >= end:
                raise WireFormatError(pos, "NAPTR character-string truncated")
            stop = pos + 1 + data[pos]
            if stop > end:
                raise WireFormatError(pos, "NAPTR character-string runs past the rdata")
            strings.append(data[pos + 1 : stop])
            pos = stop
        replacement, pos = read_name(data, pos, end, "NAPTR replacement", names)
        expect_end(pos, end, "NAPTR")
        return cls(order, preference, strings[0], strings[1], strings[2], replacement)

    def _head(self) -> bytes:
        out = bytearray(self.order.to_bytes(2, "big") + self.preference.to_bytes(2, "big"))
        for string in (self.flags, self.services, self.regexp):
            out.append(len(string))
            out += string
        return bytes(out)

    def encode(self, out: bytearray, compress: Compress | None) -> None:
        out += self._head()
        write_name(out, self.replacement, None)

    def canonical(self) -> bytes:
        return self._head() + self.replacement.canonical_wire()

    @classmethod
    def from_text(cls, tokens: list[str], origin: Name) -> NAPTR:
        if len(tokens) != 6:
            raise TextFormatError(f"NAPTR needs 6 fields, got {len(tokens)}")
        return cls(
            text_int(tokens[0], 16, "NAPTR order"),
            text_int(tokens[1], 16, "NAPTR preference"),
            decode_character_string(tokens[2]),
            decode_character_string(tokens[3]),
            decode_character_string(tokens[4]),
            Name.from_text(tokens[5], origin),
        )

    def to_text(self) -> str:
        strings = " ".join(
            encode_character_string(s) for s in (self.flags, self.services, self.regexp)
        )
        return f"{self.order} {self.preference} {strings} {self.replacement.to_text()}"
