"""Reading DNSViz probe output (``dnsviz probe``, format version 1.2).

A probe file holds, per analysed name, the queries DNSViz made and the raw
response of each server (base64 wire), recursive (``-s``) or authoritative
(``-A``).  It records no verdict and no trust anchor, so every query it
holds is validated here with the caller's anchors, at the file's analysis
end time.  The validator's own lookups (DNSKEY, DS, the names between) are
answered from the file too, whichever server answered them: in an
authoritative probe the DS comes from the parent's servers and the DNSKEY
from the child's.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..dnssec.chain import Fetch, FetchFailed, FetchResult, Validator
from ..dnssec.status import Answer, Reason, Status
from ..dnssec.trust import TrustAnchors
from ..errors import ReplayError, WireFormatError
from ..wire.message import Message, Question
from ..wire.name import Name
from ..wire.types import EDE, Rcode, RRClass, RRType

__all__ = ["DnsvizProbe", "QueryVerdict", "is_dnsviz", "parse_dnsviz", "validate_probe"]

_META = "_meta._dnsviz."
#: Format versions of ``dnsviz probe`` read here (0.11 writes 1.2).
VERSIONS = (1.0, 1.1, 1.2)
#: Lookups the validator may make for one query before giving up.
_MAX_ROUNDS = 64


def is_dnsviz(data: bytes) -> bool:
    """Whether ``data`` looks like DNSViz probe output."""
    head = data.lstrip()[: 1 << 20]
    return head.startswith(b"{") and b'"_meta._dnsviz."' in data


@dataclass(frozen=True, slots=True)
class DnsvizProbe:
    """The responses of a probe file, by question, and its analysis end."""

    #: Questions in the order the file lists them (each once).
    questions: tuple[Question, ...]
    #: (server, response message or why there is none) per question.
    responses: dict[Question, list[tuple[str, Message | str]]]
    analysis_end: int
    version: float
    kind: str


def _time(text: str, source: str, where: str) -> int:
    try:
        return calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S UTC"))
    except (TypeError, ValueError):
        raise ReplayError(source, None, f"{where}: bad time {text!r}") from None


def _question(query: dict[str, Any], source: str, where: str) -> Question:
    try:
        return Question(
            Name.from_text(query["qname"]),
            RRType.from_text(query["qtype"]),
            RRClass.from_text(query.get("qclass", "IN")),
        )
    except (KeyError, TypeError, ValueError, WireFormatError) as exc:
        raise ReplayError(source, None, f"{where}: bad question ({exc})") from None


def _responses(query: dict[str, Any], where: str) -> Iterator[tuple[str, Message | str]]:
    servers = query.get("responses", {})
    if not isinstance(servers, dict):
        return
    for server, clients in servers.items():
        if not isinstance(clients, dict):
            continue
        for response in clients.values():
            if not isinstance(response, dict):
                continue
            wire = response.get("message")
            if not isinstance(wire, str):
                yield server, f"no response ({response.get('error', 'error')})"
                continue
            try:
                yield server, Message.from_wire(base64.b64decode(wire, validate=True))
            except (binascii.Error, ValueError, WireFormatError) as exc:
                yield server, f"undecodable response at {where} from {server}: {exc}"


def parse_dnsviz(data: bytes | str, source: str = "<dnsviz>") -> DnsvizProbe:
    """Parse a probe file; raises ReplayError naming the file and the entry."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReplayError(source, getattr(exc, "lineno", None), f"not JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get(_META), dict):
        raise ReplayError(source, None, f"not DNSViz probe output (no {_META!r} object)")
    version = doc[_META].get("version")
    if version not in VERSIONS:
        raise ReplayError(source, None, f"DNSViz format version {version!r} is not read here")
    questions: dict[Question, None] = {}
    responses: dict[Question, list[tuple[str, Message | str]]] = {}
    end = 0
    kinds: set[str] = set()
    for name, entry in doc.items():
        if name == _META or not isinstance(entry, dict):
            continue
        if isinstance(entry.get("analysis_end"), str):
            end = max(end, _time(entry["analysis_end"], source, f"{name} analysis_end"))
        kinds.add(str(entry.get("type", "recursive")))
        for i, query in enumerate(entry.get("queries", [])):
            where = f"{name} queries[{i}]"
            if not isinstance(query, dict):
                raise ReplayError(source, None, f"{where}: expected an object")
            q = _question(query, source, where)
            questions.setdefault(q, None)
            responses.setdefault(q, []).extend(_responses(query, where))
    if not end:
        raise ReplayError(source, None, "no analysis_end time in the file")
    kind = "authoritative" if kinds == {"authoritative"} else "recursive"
    return DnsvizProbe(tuple(questions), responses, end, float(version), kind)


def _usable(msg: Message, q: Question) -> int:
    """How good a response is for ``q`` (higher is better, 0 unusable)."""
    if msg.rcode not in (Rcode.NOERROR, Rcode.NXDOMAIN):
        return 0
    if any(r.rrtype == q.rrtype and r.name == q.name for r in msg.answer):
        return 3
    if msg.answer or msg.rcode == Rcode.NXDOMAIN:
        return 2  # a CNAME, or a denial
    if any(r.rrtype == RRType.SOA for r in msg.authority):
        return 2  # NODATA
    return 1  # a referral


def best_response(probe: DnsvizProbe, q: Question) -> FetchResult:
    """The file's best response to ``q`` (an answer over a denial over a
    referral), or why there is none."""
    best: tuple[int, Message] | None = None
    why = "not in the probe file"
    for _server, got in probe.responses.get(q, []):
        if isinstance(got, str):
            why = got
            continue
        score = _usable(got, q)
        if best is None or score > best[0]:
            best = (score, got)
    return FetchFailed(why) if best is None else best[1]


@dataclass(frozen=True, slots=True)
class QueryVerdict:
    """One query of a probe file, validated."""

    question: Question
    answer: Answer

    @property
    def decided(self) -> bool:
        return self.answer.status is not Status.INDETERMINATE

    def to_json(self) -> dict[str, object]:
        a = self.answer
        return {
            "name": self.question.name.to_text(),
            "type": RRType.to_text(self.question.rrtype),
            "status": a.status.value,
            "rcode": a.rcode_text,
            "reason": None if a.reason is None else str(a.reason),
        }

    def to_text(self) -> str:
        d = self.to_json()
        return f"{d['name']} {d['type']} {d['status']} {d['rcode']} {d['reason'] or '-'}"


def validate_probe(
    probe: DnsvizProbe, anchors: TrustAnchors, at: int | None = None
) -> list[QueryVerdict]:
    """Validate every query of the probe at ``at`` (default: its analysis end)."""
    now = probe.analysis_end if at is None else at
    validator = Validator(anchors)
    out: list[QueryVerdict] = []
    for q in probe.questions:
        job = validator.start(q, best_response(probe, q), now)
        for _ in range(_MAX_ROUNDS):
            if job.answer is not None:
                break
            for fetch in job.pending():
                job.feed(fetch, _fetch(probe, fetch))
        answer = job.answer
        if answer is None:  # pragma: no cover - a job always finishes on a fixed file
            why = Reason(EDE.OTHER, f"validation did not finish in {_MAX_ROUNDS} rounds")
            answer = Answer(q, Rcode.SERVFAIL, Status.INDETERMINATE, reason=why)
        out.append(QueryVerdict(q, answer))
    return out


def _fetch(probe: DnsvizProbe, fetch: Fetch) -> FetchResult:
    return best_response(probe, Question(fetch.name, fetch.rrtype, RRClass.IN))
