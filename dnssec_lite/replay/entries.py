"""A scenario's RANGE entries as DNS messages, and the fake transport that
answers from them: an entry's sections become RRsets (signatures attached,
stray ones too), its flags and rcode the header, and a query is matched
against the entries valid at the current step and server address."""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Iterator, Sequence

from ..errors import QueryTimeout, ReplayError, TextFormatError, TransportError
from ..resolve.fetcher import Batch, Reply
from ..resolve.iterative import Server
from ..wire.edns import EDNS_DO, Edns
from ..wire.message import Message, Question
from ..wire.name import Name
from ..wire.rdata.dnssec import RRSIG
from ..wire.rrset import RR, RRset, group_rrs
from ..wire.types import FLAG_NAMES, Opcode, Rcode, RRType
from ..wire.zonefile import ZoneParser, parse_question
from .broken import repair_rdata
from .scenario import Entry, RRLine, Scenario

_FLAGS = dict(FLAG_NAMES)


def _origin(entry: Entry) -> Name | None:
    return Name.from_text(entry.origin) if entry.origin else None


def _records(lines: Sequence[RRLine], parser: ZoneParser, source: str) -> list[RR]:
    out: list[RR] = []
    for line in lines:
        with _at(source, line):
            out.extend(parser.records(line.text))
    return out


@contextlib.contextmanager
def _at(source: str, line: RRLine) -> Iterator[None]:
    """Report bad record text at its line of the scenario file (the parser
    sees one record at a time, so its own line numbers are always 1)."""
    try:
        yield
    except TextFormatError as exc:
        raise ReplayError(source, line.line, exc.what) from None


def _attach_stray_sigs(sections: list[list[RRset]]) -> list[list[RRset]]:
    """Attach RRSIGs that arrived in another section than their RRset (as
    Unbound's message parser does); unmatched ones stay where they were."""
    by_key: dict[tuple[Name, int], list[tuple[int, int]]] = {}
    for si, section in enumerate(sections):
        for ri, rrset in enumerate(section):
            if rrset.rrtype != RRType.RRSIG:
                by_key.setdefault((rrset.name, rrset.rrtype), []).append((si, ri))
    out = [list(section) for section in sections]
    drop: set[tuple[int, int]] = set()
    for si, section in enumerate(sections):
        for ri, rrset in enumerate(section):
            if rrset.rrtype != RRType.RRSIG:
                continue
            keep: list[RRSIG] = []
            for sig in rrset.rdatas:
                if not isinstance(sig, RRSIG):
                    continue
                homes = by_key.get((rrset.name, sig.type_covered), [])
                if not homes:
                    keep.append(sig)
                    continue
                for hs, hr in homes:
                    home = out[hs][hr]
                    if sig not in home.sigs:
                        out[hs][hr] = home.with_sigs((*home.sigs, sig), rrset.ttl)
            if len(keep) != len(rrset.rdatas):
                if keep:
                    out[si][ri] = RRset(rrset.name, RRType.RRSIG, rrset.rrclass, rrset.ttl, keep)
                else:
                    drop.add((si, ri))
    return [
        [rrset for ri, rrset in enumerate(section) if (si, ri) not in drop]
        for si, section in enumerate(out)
    ]


def _rcode(word: str) -> int:
    return int(Rcode.NOTIMP) if word == "NOTIMPL" else Rcode.from_text(word)


def build_message(entry: Entry, source: str = "<entry>") -> Message:
    """The message of an entry: REPLY words, question and sections."""
    if entry.raw_hex is not None:
        return Message.from_wire(entry.raw_hex)
    origin = _origin(entry)
    parser = ZoneParser(
        origin,
        entry.default_ttl,
        source,
        strict=False,
        repair=lambda t, toks, o, err: repair_rdata(t, toks, o, err, source),
    )
    question: list[Question] = []
    for line in entry.sections["QUESTION"]:
        with _at(source, line):
            question.append(parse_question(line.text, origin))
    sections = [
        group_rrs(_records(entry.sections[name], parser, source))
        for name in ("ANSWER", "AUTHORITY", "ADDITIONAL")
    ]
    answer, authority, additional = _attach_stray_sigs(sections)
    flags = 0
    for word in entry.reply:
        flags |= _FLAGS.get(word, 0)
    return Message(
        id=0,
        flags=flags,
        opcode=Opcode.from_text(entry.opcode),
        rcode=_rcode(entry.rcode),
        question=question,
        answer=answer,
        authority=authority,
        additional=additional,
        edns=Edns(flags=EDNS_DO) if "DO" in entry.reply else None,
    )


def entry_matches(entry: Entry, entry_msg: Message, query: Message, *, tcp: bool = False) -> bool:
    """Whether ``query`` matches the entry's MATCH rules (Unbound/Deckard)."""
    match = entry.match
    if not query.question:
        return not ({"qtype", "qname", "question", "subdomain"} & match)
    q = query.question[0]
    eq = entry_msg.question[0] if entry_msg.question else None
    if "opcode" in match and query.opcode != entry_msg.opcode:
        return False
    if "qtype" in match and (eq is None or eq.rrtype != q.rrtype):
        return False
    if "qname" in match and (eq is None or eq.name != q.name):
        return False
    if "qcase" in match and (eq is None or eq.name.to_text() != q.name.to_text()):
        return False
    if "subdomain" in match and (eq is None or not q.name.is_subdomain(eq.name)):
        return False
    if "question" in match and (eq is None or eq != q):
        return False
    if "do" in match and not query.dnssec_ok:
        return False
    if "noedns" in match and query.edns is not None:
        return False
    if "tcp" in match and not tcp:
        return False
    return not ("udp" in match and tcp)


def _normal_address(text: str) -> str:
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        return text.lower()


class ScenarioTransport:
    """Answers queries from a scenario's RANGE entries at step :attr:`step`.

    The first range (file order) whose step window holds the step, whose
    ADDRESS list holds the server (or is empty) and which has a matching
    entry answers, with its first matching entry; ADJUST ``copy_id`` /
    ``copy_query`` copy the query's ID and question; no match (or
    ``do_not_answer``) raises :class:`~dnssec_lite.errors.QueryTimeout`.

    :attr:`later` lists the steps the clock may still move to before the
    answer is checked (the ``NOTHING`` steps after a ``QUERY``): a query
    that no range answers now stays pending in Unbound's test bed and is
    answered at the first of those steps where a range matches it, and the
    step stays there for the queries that follow.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.step = 0
        self.later: tuple[int, ...] = ()
        self.queries = 0
        self._ranges = [
            (rng, frozenset(_normal_address(a) for a in rng.addresses)) for rng in scenario.ranges
        ]
        self._messages: dict[int, Message] = {}

    def message(self, entry: Entry) -> Message:
        msg = self._messages.get(id(entry))
        if msg is None:
            msg = self._messages[id(entry)] = build_message(entry, self.scenario.path)
        return msg

    def exchange(self, batch: Batch) -> list[Reply]:
        """The :class:`~dnssec_lite.resolve.fetcher.Fetcher` interface: the
        scripted answer to each query of the batch, or its timeout."""
        out: list[Reply] = []
        for server, message in batch.items:
            try:
                out.append(self.query(server, message, tcp=batch.tcp))
            except TransportError as exc:
                out.append(exc)
        return out

    def query(self, server: Server, message: Message, *, tcp: bool = False) -> Message:
        self.queries += 1
        address = _normal_address(server[0])
        found = self._match(self.step, address, message, tcp)
        if found is None:
            for step in self.later:
                if step <= self.step:
                    continue
                found = self._match(step, address, message, tcp)
                if found is not None:
                    self.step = step  # the query waited until this step
                    break
        if found is None:
            raise QueryTimeout(server[0], "no matching entry")
        entry, msg = found
        if "do_not_answer" in entry.adjust:
            raise QueryTimeout(server[0], "entry says do_not_answer")
        changes: dict[str, object] = {}
        if "copy_id" in entry.adjust:
            changes["id"] = message.id
            if msg.question:
                changes["question"] = message.question
        if "copy_query" in entry.adjust:
            changes["question"] = message.question
        return msg.replace(**changes) if changes else msg

    def _match(
        self, step: int, address: str, message: Message, tcp: bool
    ) -> tuple[Entry, Message] | None:
        """The first matching entry of the first range that answers at ``step``."""
        for rng, addresses in self._ranges:
            if not rng.first <= step <= rng.last:
                continue
            if addresses and address not in addresses:
                continue
            for entry in rng.entries:
                msg = self.message(entry)
                if entry_matches(entry, msg, message, tcp=tcp):
                    return entry, msg
        return None


__all__ = ["ScenarioTransport", "build_message", "entry_matches"]
