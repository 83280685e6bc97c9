"""Zone-file (presentation) text: tokenizer, record parser and printer.

Implements RFC 1035 section 5: ``$ORIGIN``, ``$TTL``, ``@``, relative names,
blank owners (repeat the previous owner), parentheses spanning lines,
comments, quoted strings, TTL and class in either order, ``TYPEnnn`` /
``CLASSnnn`` and RFC 3597 ``\\# len hex`` data.  Errors are
:class:`~dnssec_lite.errors.TextFormatError` with the source, line and column.
``$INCLUDE`` is refused: this layer never opens files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..errors import TextFormatError
from .message import Question
from .name import ROOT, Name
from .rdata.base import Rdata, rdata_from_text, text_ttl
from .rrset import RR, RRset, group_rrs
from .types import RRClass, RRType

DEFAULT_TTL = 3600


@dataclass(frozen=True, slots=True)
class Token:
    """One token with where it started; quoted tokens keep their quotes."""

    text: str
    line: int
    column: int

    @property
    def quoted(self) -> bool:
        return self.text.startswith('"')


@dataclass(frozen=True, slots=True)
class Entry:
    """One logical line: its tokens and whether it began with blank space."""

    tokens: tuple[Token, ...]
    indented: bool
    line: int


def tokenize(text: str, source: str = "<text>") -> Iterator[Entry]:
    """Split text into logical entries (parentheses join physical lines)."""
    line = 1
    col = 1
    i = 0
    n = len(text)
    tokens: list[Token] = []
    depth = 0
    paren_line = 0
    entry_indented = False
    at_line_start = True
    entry_line = 1
    while i < n:
        ch = text[i]
        if ch == "\n":
            if depth == 0:
                if tokens:
                    yield Entry(tuple(tokens), entry_indented, entry_line)
                tokens = []
                at_line_start = True
            i += 1
            line += 1
            col = 1
            continue
        if at_line_start and depth == 0:
            entry_indented = ch in " \t"
            entry_line = line
            at_line_start = False
        if ch in " \t\r":
            i += 1
            col += 1
            continue
        if ch == ";":
            while i < n and text[i] != "\n":
                i += 1
            continue
        if ch == "(":
            if depth == 0:
                paren_line = line
            depth += 1
            i += 1
            col += 1
            continue
        if ch == ")":
            if depth == 0:
                raise TextFormatError("')' without '('", line, col, source)
            depth -= 1
            i += 1
            col += 1
            continue
        start_line, start_col = line, col
        buf: list[str] = []
        if ch == '"':
            buf.append('"')
            i += 1
            col += 1
            while True:
                if i >= n:
                    raise TextFormatError(
                        "unterminated quoted string", start_line, start_col, source
                    )
                c = text[i]
                if c == "\\" and i + 1 < n:
                    buf.append(text[i : i + 2])
                    if text[i + 1] == "\n":
                        line += 1
                        col = 1
                    else:
                        col += 2
                    i += 2
                    continue
                if c == "\n":
                    line += 1
                    col = 1
                    buf.append(c)
                    i += 1
                    continue
                buf.append(c)
                i += 1
                col += 1
                if c == '"':
                    break
        else:
            while i < n:
                c = text[i]
                if c in ' \t\r\n;()"':
                    break
                if c == "\\" and i + 1 < n:
                    buf.append(text[i : i + 2])
                    i += 2
                    col += 2
                    continue
                buf.append(c)
                i += 1
                col += 1
        tokens.append(Token("".join(buf), start_line, start_col))
    if depth:
        raise TextFormatError("'(' is never closed", paren_line, None, source)
    if tokens:
        yield Entry(tuple(tokens), entry_indented, entry_line)


def _is_class(text: str) -> int | None:
    try:
        return RRClass.from_text(text)
    except ValueError:
        return None


def _is_type(text: str) -> int | None:
    try:
        return RRType.from_text(text)
    except ValueError:
        return None


class ZoneParser:
    """Stateful reader of zone text (keeps origin, default TTL, last owner)."""

    def __init__(
        self,
        origin: Name | None = None,
        default_ttl: int | None = None,
        source: str = "<text>",
        *,
        strict: bool = True,
        repair: Callable[[int, list[str], Name, TextFormatError], Rdata | None] | None = None,
    ) -> None:
        self.strict = strict
        #: Called with (type, rdata tokens, origin, error) when the rdata of
        #: a record does not parse; an Rdata it returns stands in for it
        #: (recorded test data modelling a server that sends broken records).
        self.repair = repair
        self.origin = origin if origin is not None else ROOT
        self.default_ttl = default_ttl
        self.last_ttl: int | None = None
        self.last_owner: Name | None = None
        self.last_class: int = RRClass.IN
        self.source = source

    def _error(self, what: str, token: Token | None, line: int) -> TextFormatError:
        if token is not None:
            return TextFormatError(what, token.line, token.column, self.source)
        return TextFormatError(what, line, None, self.source)

    def records(self, text: str) -> Iterator[RR]:
        for entry in tokenize(text, self.source):
            rr = self.entry(entry)
            if rr is not None:
                yield rr

    def entry(self, entry: Entry) -> RR | None:
        """Handle one logical line: a directive (returns None) or a record."""
        toks = list(entry.tokens)
        first = toks[0]
        if not entry.indented and first.text.startswith("$"):
            self._directive(toks, entry.line)
            return None
        if entry.indented:
            if self.last_owner is None:
                raise self._error("record without an owner name", first, entry.line)
            owner = self.last_owner
        else:
            owner = self._name(toks.pop(0))
        ttl: int | None = None
        rrclass: int | None = None
        rrtype: int | None = None
        while toks:
            tok = toks.pop(0)
            text = tok.text
            if ttl is None and text[:1].isdigit():
                try:
                    ttl = text_ttl(text)
                except TextFormatError as exc:
                    raise self._error(exc.what, tok, entry.line) from None
                continue
            if rrclass is None:
                cls = _is_class(text)
                if cls is not None and not (text.upper().startswith("TYPE")):
                    rrclass = cls
                    continue
            rrtype = _is_type(text)
            if rrtype is None:
                raise self._error(f"unknown type {text!r}", tok, entry.line)
            break
        if rrtype is None:
            raise self._error("record has no type", entry.tokens[-1], entry.line)
        if ttl is None:
            ttl = self.default_ttl if self.default_ttl is not None else self.last_ttl
            if ttl is None:
                ttl = DEFAULT_TTL
        else:
            self.last_ttl = ttl
        if rrclass is None:
            rrclass = self.last_class
        self.last_class = rrclass
        self.last_owner = owner
        try:
            texts = [t.text for t in toks]
            rdata = rdata_from_text(rrtype, texts, self.origin, strict=self.strict)
        except TextFormatError as exc:
            fixed = None if self.repair is None else self.repair(rrtype, texts, self.origin, exc)
            if fixed is not None:
                return RR(owner, rrtype, rrclass, ttl, fixed)
            at = toks[0] if toks else entry.tokens[-1]
            raise self._error(
                f"{RRType.to_text(rrtype)} rdata: {exc.what}", at, entry.line
            ) from None
        return RR(owner, rrtype, rrclass, ttl, rdata)

    def _name(self, tok: Token) -> Name:
        try:
            return Name.from_text(tok.text, self.origin)
        except TextFormatError as exc:
            raise self._error(exc.what, tok, tok.line) from None

    def _directive(self, toks: list[Token], line: int) -> None:
        word = toks[0].text.upper()
        if word == "$ORIGIN":
            if len(toks) != 2:
                raise self._error("$ORIGIN needs exactly one name", toks[0], line)
            self.origin = self._name(toks[1])
        elif word == "$TTL":
            if len(toks) != 2:
                raise self._error("$TTL needs exactly one value", toks[0], line)
            try:
                self.default_ttl = text_ttl(toks[1].text)
            except TextFormatError as exc:
                raise self._error(exc.what, toks[1], line) from None
        elif word == "$INCLUDE":
            raise self._error("$INCLUDE is not supported in this context", toks[0], line)
        else:
            raise self._error(f"unknown directive {toks[0].text}", toks[0], line)


def parse_zone(
    text: str,
    origin: Name | str | None = None,
    default_ttl: int | None = None,
    source: str = "<text>",
) -> list[RR]:
    """All records of a zone text, in order."""
    if isinstance(origin, str):
        origin = Name.from_text(origin)
    return list(ZoneParser(origin, default_ttl, source).records(text))


def parse_rrsets(
    text: str,
    origin: Name | str | None = None,
    default_ttl: int | None = None,
    source: str = "<text>",
) -> list[RRset]:
    """Records of a zone text grouped into RRsets (RRSIGs attached)."""
    return group_rrs(parse_zone(text, origin, default_ttl, source))


def parse_rr(text: str, origin: Name | str | None = None, default_ttl: int | None = None) -> RR:
    """Exactly one record from one (possibly parenthesised) line."""
    records = parse_zone(text, origin, default_ttl)
    if len(records) != 1:
        raise TextFormatError(f"expected one record, found {len(records)}")
    return records[0]


def parse_question(text: str, origin: Name | str | None = None) -> Question:
    """A question line: ``name [class] type`` (class and type in either order)."""
    if isinstance(origin, str):
        origin = Name.from_text(origin)
    entries = list(tokenize(text))
    if len(entries) != 1:
        raise TextFormatError(f"expected one question, found {len(entries)} lines")
    toks = [t.text for t in entries[0].tokens]
    name = Name.from_text(toks[0], origin)
    rrclass: int = RRClass.IN
    rrtype: int | None = None
    for tok in toks[1:]:
        cls = _is_class(tok)
        if (
            cls is not None
            and rrtype is None
            and not tok.upper().startswith("TYPE")
            and tok.upper() != "ANY"
        ):
            rrclass = cls
            continue
        typ = _is_type(tok)
        if typ is None or rrtype is not None:
            raise TextFormatError(f"bad question field {tok!r}", entries[0].line)
        rrtype = typ
    if rrtype is None:
        raise TextFormatError("question has no type", entries[0].line)
    return Question(name, rrtype, rrclass)


def rr_to_text(rr: RR) -> str:
    return rr.to_text()
