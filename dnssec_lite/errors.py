"""The exception tree: one base class, one subclass per kind of bad input.

A validation *outcome* (bogus, insecure, ...) is never an exception; it is a
value carried by :class:`dnssec_lite.dnssec.status.Answer`.  Exceptions are for
input the library cannot make sense of: malformed wire data, broken zone-file
text, unreachable servers, unusable trust-anchor files.
"""

from __future__ import annotations


class DnssecLiteError(Exception):
    """Base class of every error raised by dnssec_lite."""


class WireFormatError(DnssecLiteError):
    """Malformed DNS wire data; ``offset`` is where the problem was found."""

    def __init__(self, offset: int, what: str) -> None:
        self.offset = offset
        self.what = what
        super().__init__(f"malformed DNS message at offset {offset}: {what}")


class TextFormatError(DnssecLiteError):
    """Malformed presentation-format (zone-file) text, with its position."""

    def __init__(
        self,
        what: str,
        line: int | None = None,
        column: int | None = None,
        source: str | None = None,
    ) -> None:
        self.what = what
        self.line = line
        self.column = column
        self.source = source
        # Only what is known is said: no placeholder for text without a source.
        where = source or ("line" if line is not None else "")
        if line is not None:
            where += f":{line}" if source else f" {line}"
            if column is not None:
                where += f":{column}" if source else f", column {column}"
        super().__init__(f"{where}: {what}" if where else what)


class TransportError(DnssecLiteError, OSError):
    """A server could not be reached or answered unusably; names the server."""

    def __init__(self, server: str, what: str) -> None:
        self.server = server
        self.what = what
        DnssecLiteError.__init__(self, f"{server}: {what}")

    def __str__(self) -> str:
        return f"{self.server}: {self.what}"


class QueryTimeout(TransportError, TimeoutError):
    """No acceptable answer from a server within the timeout."""


class AnchorError(DnssecLiteError):
    """A trust-anchor file or state file is missing, corrupt or unusable;
    names the file (and the line, when one line is at fault)."""

    def __init__(self, path: str, what: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.what = what
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {what}")


class ConfigError(DnssecLiteError, ValueError):
    """A configuration file (root hints, ...) is missing, unreadable or holds
    nothing usable; names the file (and the line, for a malformed one).  A
    :class:`ValueError` too, like the other bad constructor arguments."""

    def __init__(self, path: str, what: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.what = what
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {what}")


class DaneError(DnssecLiteError):
    """A DANE check could not be carried out (bad TLSA data, SMTP failure)."""


class ReplayError(DnssecLiteError):
    """A recorded scenario or vector file cannot be read; names file and line."""

    def __init__(self, path: str, line: int | None, what: str) -> None:
        self.path = path
        self.line = line
        self.what = what
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {what}")
