"""The line-level text handling of the ``.rpl`` parser (:mod:`.rpl`): a
cursor over the lines that names the file and line in its errors, comments
and quotes, parenthesised continuations, hex blocks and verbatim blocks."""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Iterator

from dnssec_lite.errors import ReplayError


def _unquoted(text: str) -> Iterator[tuple[int, str]]:
    """Index and character of each character of ``text`` outside double
    quotes; backslash escapes and the quotes themselves are skipped."""
    in_quote = False
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            in_quote = not in_quote
        elif not in_quote:
            yield i, c
        i += 1


def strip_comment(text: str, markers: str = ";") -> str:
    """Cut ``text`` at the first comment marker outside double quotes."""
    for i, c in _unquoted(text):
        if c in markers:
            return text[:i].rstrip()
    return text.rstrip()


def paren_balance(text: str) -> int:
    """Net count of ``(`` minus ``)`` outside quotes (comments already cut)."""
    depth = 0
    for _, c in _unquoted(text):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
    return depth


def unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def absolute_name(name: str) -> str:
    name = name.strip()
    return name if name.endswith(".") else name + "."


def first_word(text: str) -> str:
    parts = text.split(None, 1)
    return parts[0] if parts else ""


def after_first_word(text: str) -> str:
    parts = text.split(None, 1)
    return parts[1].strip() if len(parts) > 1 else ""


_HEX_RE = re.compile(r"[0-9a-fA-F]*")


class LineCursor:
    """A cursor over the lines of a file, 1-based line numbers."""

    def __init__(self, text: str, path: str) -> None:
        self.lines = [ln.rstrip("\r") for ln in text.split("\n")]
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.pos = 0
        self.path = path

    def next(self) -> tuple[int, str] | None:
        if self.pos >= len(self.lines):
            return None
        self.pos += 1
        return self.pos, self.lines[self.pos - 1]

    def next_significant(self) -> tuple[int, str, str] | None:
        """Next line that is not blank or a ``;`` comment: (no, raw, stripped)."""
        while True:
            item = self.next()
            if item is None:
                return None
            lineno, raw = item
            text = strip_comment(raw).strip()
            if text:
                return lineno, raw, text

    def error(self, line: int | None, what: str) -> ReplayError:
        return ReplayError(self.path, line, what)


def hex_bytes(cur: LineCursor, line: int, text: str) -> bytes:
    """Hex digits of ``text`` (whitespace and ``;`` comments ignored) as bytes."""
    digits = "".join(strip_comment(part) for part in text.split("\n"))
    digits = "".join(digits.split())
    if not _HEX_RE.fullmatch(digits):
        raise cur.error(line, "bad hex data: non-hex characters")
    if len(digits) % 2:
        raise cur.error(line, "bad hex data: odd number of hex digits")
    return bytes.fromhex(digits)


def parse_date(cur: LineCursor, line: int, value: str) -> int:
    if re.fullmatch(r"\d{14}", value):
        try:
            when = datetime.datetime.strptime(value, "%Y%m%d%H%M%S")
        except ValueError:
            raise cur.error(line, f"bad val-override-date {value!r}") from None
        return calendar.timegm(when.timetuple())
    if re.fullmatch(r"\d+", value):
        return int(value)
    raise cur.error(line, f"bad val-override-date {value!r} (want YYYYMMDDhhmmss)")


def read_block(cur: LineCursor, start: int, end_word: str, *, at_column0: bool) -> str:
    """Raw lines up to a line starting with ``end_word``; each ends in ``\\n``."""
    out: list[str] = []
    while True:
        item = cur.next()
        if item is None:
            raise cur.error(start, f"unterminated block: no {end_word}")
        _, raw = item
        probe = raw if at_column0 else raw.lstrip()
        if probe.startswith(end_word):
            return "".join(out)
        out.append(raw + "\n")


def read_hex_block(cur: LineCursor, start: int, end_word: str) -> bytes:
    chunks: list[str] = []
    while True:
        item = cur.next()
        if item is None:
            raise cur.error(start, f"unterminated hex block: no {end_word}")
        _, raw = item
        if raw.strip().startswith(end_word):
            return hex_bytes(cur, start, "\n".join(chunks))
        chunks.append(raw)


__all__ = [
    "LineCursor",
    "absolute_name",
    "after_first_word",
    "first_word",
    "hex_bytes",
    "paren_balance",
    "parse_date",
    "read_block",
    "read_hex_block",
    "strip_comment",
    "unquote",
]
