"""The vector file format: one JSON document per recorded resolution.

A vector holds everything a replay needs -- the question and how it was
asked, the validation time, the trust anchors, every exchange as wire bytes
-- and what the validator concluded then.  Reading one never touches the
network or the clock.  The layout is documented in docs/vectors.md; this
module turns it into typed values and back, and names the offending field
(``exchanges[3].response``) when a file is malformed.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ReplayError
from ..resolve.exchange import Server
from ..resolve.upstreams import parse_server
from ..wire.message import Message, Question
from ..wire.name import Name
from ..wire.types import RRClass, RRType

__all__ = [
    "SCHEMA",
    "Exchange",
    "Expected",
    "Fields",
    "Vector",
    "is_vector",
    "iso_time",
    "load_vector",
    "parse_exchange",
    "parse_vector",
    "question_text",
    "server_field",
]

#: The ``"schema"`` value of this version of the format.
SCHEMA = "dnssec-lite-vector/1"
_SCHEMA_PREFIX = "dnssec-lite-vector/"


def question_text(q: Question) -> str:
    """``owner CLASS TYPE``, the form the file uses for a question."""
    return f"{q.name.to_text()} {RRClass.to_text(q.rrclass)} {RRType.to_text(q.rrtype)}"


@dataclass(frozen=True, slots=True)
class Exchange:
    """One recorded exchange: the query sent to ``server`` and its outcome.

    ``response`` is the reply's wire form, or None when there was none
    (``error`` says why: a timeout, a refused connection).  ``tcp`` says
    whether the reply came over TCP.
    """

    server: Server
    question: Question
    query: bytes
    response: bytes | None
    error: str | None = None
    tcp: bool = False
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "server": str(self.server),
            "question": question_text(self.question),
            "transport": "tcp" if self.tcp else "udp",
            "seconds": round(self.seconds, 6),
            "query": base64.b64encode(self.query).decode("ascii"),
        }
        if self.response is None:
            doc["error"] = self.error or "no response"
        else:
            doc["response"] = base64.b64encode(self.response).decode("ascii")
            doc["response_text"] = render_response(self.response)
        return doc


def render_response(wire: bytes) -> list[str]:
    """The reviewer's rendering of a response: dig-like text, one line per
    list item (or why the octets do not decode, for adversarial vectors)."""
    try:
        return Message.from_wire(wire).to_text().splitlines()
    except Exception as exc:  # any decoding failure is shown, not raised
        return [f";; undecodable message ({len(wire)} octets): {exc}"]


@dataclass(frozen=True, slots=True)
class Expected:
    """The validator's conclusion: status, rcode, reason, answer records."""

    status: str
    rcode: str
    ede: int | None = None
    text: str | None = None
    records: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        reason = None if self.text is None else {"ede": self.ede, "text": self.text}
        return {
            "status": self.status,
            "rcode": self.rcode,
            "reason": reason,
            "records": list(self.records),
        }


@dataclass(frozen=True, slots=True)
class Vector:
    """A recorded resolution (see the module docstring and docs/vectors.md)."""

    question: Question
    mode: str
    time: int
    anchors: tuple[str, ...]
    exchanges: tuple[Exchange, ...]
    expected: Expected
    upstreams: tuple[Server, ...] = ()
    root_hints: tuple[Server, ...] = ()
    negative_anchors: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    schema: str = SCHEMA

    def to_json(self) -> dict[str, Any]:
        q = self.question
        doc: dict[str, Any] = {
            "schema": self.schema,
            "kind": "resolution",
            "description": self.description,
            "question": {"name": q.name.to_text(), "type": RRType.to_text(q.rrtype)},
            "mode": self.mode,
        }
        if self.mode == "stub":
            doc["upstreams"] = [str(s) for s in self.upstreams]
        else:
            doc["root_hints"] = [str(s) for s in self.root_hints]
        doc["options"] = dict(self.options)
        doc["time"] = self.time
        doc["time_text"] = iso_time(self.time)
        doc["anchors"] = list(self.anchors)
        doc["negative_anchors"] = list(self.negative_anchors)
        doc["exchanges"] = [e.to_json() for e in self.exchanges]
        doc["expected"] = self.expected.to_json()
        doc["provenance"] = dict(self.provenance)
        return doc

    def dumps(self) -> str:
        """The file's text: indented JSON, one key per line, a final newline."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"


def iso_time(when: int) -> str:
    """``when`` (POSIX seconds) as an ISO 8601 UTC time, for readers of the file."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def is_vector(data: bytes) -> bool:
    """Whether ``data`` looks like a vector of this format (any version)."""
    head = data.lstrip()[:4096]
    return head.startswith(b"{") and _SCHEMA_PREFIX.encode() in head


def load_vector(path: str) -> Vector:
    """Read and parse a vector file; raises ReplayError naming file and field."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise ReplayError(path, None, f"cannot read: {exc.strerror or exc}") from None
    return parse_vector(data, path)


class Fields:
    """Typed access to a JSON object that names the path of a bad field."""

    def __init__(self, source: str, doc: Any, where: str) -> None:
        if not isinstance(doc, dict):
            raise ReplayError(source, None, f"{where or 'document'}: expected a JSON object")
        self.source, self.doc, self.where = source, doc, where

    def _path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def bad(self, key: str, what: str) -> ReplayError:
        return ReplayError(self.source, None, f"field {self._path(key)}: {what}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.doc or self.doc[key] is None:
            if default is ...:
                raise self.bad(key, "missing")
            return default
        value = self.doc[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _kinds(kind)):
            raise self.bad(key, f"expected {_kind_name(kind)}, got {type(value).__name__}")
        return value

    def sub(self, key: str) -> Fields:
        return Fields(self.source, self.get(key, dict), self._path(key))

    def items(self, key: str) -> list[Fields]:
        return [
            Fields(self.source, item, f"{self._path(key)}[{i}]")
            for i, item in enumerate(self.get(key, list, []))
        ]


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {dict: "an object", list: "a list", str: "a string", int: "an integer"}
    names |= {float: "a number", bool: "true or false"}
    return " or ".join(names.get(k, k.__name__) for k in _kinds(kind))


def _b64(f: Fields, key: str) -> bytes:
    try:
        return base64.b64decode(f.get(key, str), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise f.bad(key, f"not base64 ({exc})") from None


def server_field(f: Fields, key: str, text: str) -> Server:
    try:
        return parse_server(text)
    except ValueError as exc:
        raise f.bad(key, str(exc)) from None


def _parse_question(f: Fields, key: str, text: str) -> Question:
    parts = text.split()
    if len(parts) == 2:
        parts.insert(1, "IN")
    if len(parts) != 3:
        raise f.bad(key, f"expected 'NAME CLASS TYPE', got {text!r}")
    try:
        return Question(
            Name.from_text(parts[0]), RRType.from_text(parts[2]), RRClass.from_text(parts[1])
        )
    except Exception as exc:
        raise f.bad(key, f"bad question {text!r}: {exc}") from None


def parse_exchange(f: Fields) -> Exchange:
    transport = f.get("transport", str, "udp")
    if transport not in ("udp", "tcp"):
        raise f.bad("transport", f"expected 'udp' or 'tcp', got {transport!r}")
    response = _b64(f, "response") if f.get("response", str, None) is not None else None
    error = f.get("error", str, None)
    if response is None and error is None:
        raise f.bad("response", "missing (and no 'error' says why)")
    seconds = f.get("seconds", (int, float), 0.0)
    return Exchange(
        server=server_field(f, "server", f.get("server", str)),
        question=_parse_question(f, "question", f.get("question", str)),
        query=_b64(f, "query"),
        response=response,
        error=error,
        tcp=transport == "tcp",
        seconds=float(seconds),
    )


def _expected(f: Fields) -> Expected:
    status = f.get("status", str)
    if status not in ("secure", "insecure", "bogus", "indeterminate"):
        raise f.bad("status", f"unknown status {status!r}")
    ede: int | None = None
    text: str | None = None
    if f.get("reason", dict, None) is not None:
        reason = f.sub("reason")
        ede = reason.get("ede", int, None)
        text = reason.get("text", str, "")
    records = f.get("records", list, [])
    if not all(isinstance(r, str) for r in records):
        raise f.bad("records", "expected a list of strings")
    return Expected(status, f.get("rcode", str), ede, text, tuple(records))


def parse_vector(data: bytes | str, source: str = "<vector>") -> Vector:
    """Parse a vector's text; raises ReplayError naming ``source`` and the field."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise ReplayError(source, line, f"not JSON: {exc}") from None
    f = Fields(source, doc, "")
    schema = f.get("schema", str)
    if not schema.startswith(_SCHEMA_PREFIX):
        raise f.bad("schema", f"not a dnssec-lite vector ({schema!r})")
    if schema != SCHEMA:
        raise f.bad("schema", f"version {schema!r} is not supported (this reads {SCHEMA!r})")
    kind = f.get("kind", str, "resolution")
    if kind != "resolution":
        raise f.bad("kind", f"unsupported kind {kind!r}")
    mode = f.get("mode", str)
    if mode not in ("stub", "iterative"):
        raise f.bad("mode", f"expected 'stub' or 'iterative', got {mode!r}")
    q = f.sub("question")
    question = _parse_question(q, "name", f"{q.get('name', str)} IN {q.get('type', str)}")
    servers = {
        key: tuple(server_field(f, key, s) for s in _strings(f, key))
        for key in ("upstreams", "root_hints")
    }
    return Vector(
        question=question,
        mode=mode,
        time=f.get("time", int),
        anchors=tuple(_strings(f, "anchors")),
        negative_anchors=tuple(_strings(f, "negative_anchors")),
        exchanges=tuple(parse_exchange(e) for e in f.items("exchanges")),
        expected=_expected(f.sub("expected")),
        upstreams=servers["upstreams"],
        root_hints=servers["root_hints"],
        options=f.get("options", dict, {}),
        provenance=f.get("provenance", dict, {}),
        description=f.get("description", str, ""),
        schema=schema,
    )


def _strings(f: Fields, key: str) -> Sequence[str]:
    items: list[object] = f.get(key, list, [])
    strings = [i for i in items if isinstance(i, str)]
    if len(strings) != len(items):
        raise f.bad(key, "expected a list of strings")
    return strings
