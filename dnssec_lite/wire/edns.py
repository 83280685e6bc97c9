"""EDNS0 (RFC 6891): the OPT pseudo-record as a value, with the options the
library reads: Extended DNS Errors (RFC 8914) and cookies (RFC 7873)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from ..errors import WireFormatError
from .types import EDE, EdnsOptionCode

EDNS_DO = 0x8000
DEFAULT_PAYLOAD = 1232

_H = struct.Struct("!H")


@dataclass(frozen=True, slots=True)
class ExtendedError:
    """One RFC 8914 Extended DNS Error: an info code and optional text."""

    code: int
    text: str = ""

    def to_option(self) -> tuple[int, bytes]:
        return (EdnsOptionCode.EXTENDED_ERROR, _H.pack(self.code) + self.text.encode("utf-8"))

    @classmethod
    def from_option(cls, value: bytes) -> ExtendedError:
        if len(value) < 2:
            raise WireFormatError(0, "Extended DNS Error option shorter than 2 octets")
        text = value[2:].rstrip(b"\x00").decode("utf-8", "replace")
        return cls(_H.unpack_from(value)[0], text)

    def __str__(self) -> str:
        name = EDE.to_text(self.code).replace("_", " ").title()
        return f"EDE {self.code} ({name})" + (f": {self.text}" if self.text else "")


@dataclass(frozen=True, slots=True)
class Edns:
    """The EDNS parameters of a message.

    ``flags`` is the 16-bit flags field (DO is its top bit); ``ext_rcode`` is
    kept in :attr:`Message.rcode` instead.  ``options`` keeps every option,
    known or not, as ``(code, value)`` in order.
    """

    payload: int = DEFAULT_PAYLOAD
    version: int = 0
    flags: int = EDNS_DO
    options: tuple[tuple[int, bytes], ...] = field(default=())

    @property
    def dnssec_ok(self) -> bool:
        return bool(self.flags & EDNS_DO)

    @property
    def extended_errors(self) -> tuple[ExtendedError, ...]:
        out = []
        for code, value in self.options:
            if code == EdnsOptionCode.EXTENDED_ERROR and len(value) >= 2:
                out.append(ExtendedError.from_option(value))
        return tuple(out)

    @property
    def cookie(self) -> tuple[bytes, bytes] | None:
        """(client cookie, server cookie) when a well-formed cookie is present."""
        for code, value in self.options:
            if code == EdnsOptionCode.COOKIE and (len(value) == 8 or 16 <= len(value) <= 40):
                return value[:8], value[8:]
        return None

    def option(self, code: int) -> bytes | None:
        for opt_code, value in self.options:
            if opt_code == code:
                return value
        return None
