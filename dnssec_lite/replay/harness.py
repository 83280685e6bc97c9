"""Replay ``.rpl`` scenarios against the validator.

:func:`run_scenario` plays every ``QUERY`` step of a scenario: a fake
transport (:class:`ScenarioTransport`) answers from the scenario's RANGE
entries; the question is resolved iteratively from the stub-zone address(es)
by :class:`~dnssec_lite.resolve.iterative.IterativeEngine` (or, for a
``forward-zone`` scenario, sent to the forwarder, which plays a recursive
resolver); the :class:`~dnssec_lite.dnssec.chain.Validator` then validates
the answer, every fetch it asks for being answered the same way.  Each
``CHECK_ANSWER`` step is compared with the outcome:

* the verdict (see :func:`dnssec_lite.replay.rpl.expected_outcomes`):
  ``secure`` needs SECURE, ``bogus`` needs BOGUS, ``insecure`` needs INSECURE
  or INDETERMINATE, ``noDO`` needs anything but BOGUS; ``cd`` queries are not
  validated (the raw answer is returned);
* unless bogus: the rcode, and the ANSWER section as a set of records, TTLs
  ignored (RRSIGs included only when the query had DO).

AUTHORITY/ADDITIONAL contents are resolver-specific and not compared.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..anchors.formats import ROOT_HINTS_FILE, read_package_file
from ..dnssec.aggressive import AggressiveCache
from ..dnssec.algorithms import (
    DEFAULT_POLICY,
    LEGACY_TEST_POLICY,
    AlgorithmPolicy,
    is_supported_key,
)
from ..dnssec.chain import FetchFailed, Validator
from ..dnssec.dnamecache import DnameCache
from ..dnssec.limits import DEFAULT_LIMITS
from ..dnssec.status import Answer, Status
from ..dnssec.trust import TrustAnchors
from ..errors import DnssecLiteError, QueryTimeout, ReplayError, TextFormatError, TransportError
from ..resolve.cache import AnswerCache
from ..resolve.fetcher import Batch, Reply
from ..resolve.iterative import IterativeEngine, Lookup, Server, validate_with_restarts
from ..resolve.resolver import parse_root_hints
from ..wire.edns import EDNS_DO, Edns
from ..wire.message import Message, Question
from ..wire.name import Name
from ..wire.rdata.dnssec import DNSKEY, DS, RRSIG
from ..wire.rrset import RR, RRset, group_rrs
from ..wire.types import FLAG_CD, FLAG_NAMES, FLAG_QR, FLAG_RA, Opcode, Rcode, RRClass, RRType
from ..wire.zonefile import ZoneParser, parse_question
from . import macros
from .broken import repair_rdata
from .options import REPLAY_LIMITS, scenario_options
from .rpl import Entry, RRLine, Scenario, expected_outcomes, iter_entries, parse_file

__all__ = [
    "AUTOTRUST_SKIP",
    "ScenarioResult",
    "ScenarioTransport",
    "StepResult",
    "build_message",
    "entry_matches",
    "needs_legacy_policy",
    "run_file",
    "run_scenario",
    "trust_anchors",
]

AUTOTRUST_SKIP = "RFC 5011 scenario without a CHECK_AUTOTRUST step: nothing to compare"


_FLAGS = dict(FLAG_NAMES)
_DSA_ALGS = frozenset({3, 6})
_RSA_ALGS = frozenset({5, 7, 8, 10})
_STATE_RE = re.compile(r";;\s*state=(\d+)")
_USABLE_STATES = frozenset({2, 3})  # VALID, MISSING


# ---------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class StepResult:
    """The outcome of one CHECK_ANSWER step."""

    step: int
    expected: str
    got: str
    rcode: str
    passed: bool
    reason: str = ""


@dataclass(frozen=True)
class ScenarioResult:
    """The outcome of one scenario: ``outcome`` is PASS, FAIL or SKIP."""

    path: str
    outcome: str
    reason: str = ""
    steps: tuple[StepResult, ...] = ()
    policy: str = "default"

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def passed(self) -> bool:
        return self.outcome == "PASS"

    @property
    def false_secures(self) -> list[StepResult]:
        """Steps expecting bogus or insecure that got SECURE."""
        return [s for s in self.steps if s.expected in ("bogus", "insecure") and s.got == "secure"]

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.path,
            "name": self.name,
            "outcome": self.outcome,
            "reason": self.reason,
            "policy": self.policy,
            "steps": [
                {
                    "step": s.step,
                    "expected": s.expected,
                    "got": s.got,
                    "rcode": s.rcode,
                    "passed": s.passed,
                    "reason": s.reason,
                }
                for s in self.steps
            ],
        }


# ---------------------------------------------------------------------------
# entries -> messages


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


# ---------------------------------------------------------------------------
# configuration


def trust_anchors(scenario: Scenario) -> TrustAnchors:
    """Trust anchors (``trust-anchor:`` lines and AUTOTRUST_FILE keys in state
    VALID or MISSING, or without state) and ``domain-insecure`` zones."""
    config = scenario.config
    rrs: list[RR] = list(_anchor_rrs(scenario))
    for text in config.autotrust_files.values():
        for raw in text.splitlines():
            stripped = raw.strip()
            if not stripped or stripped.startswith(";"):
                continue
            state = _STATE_RE.search(raw)
            if state is not None and int(state.group(1)) not in _USABLE_STATES:
                continue
            rrs.extend(ZoneParser(None, None, scenario.path, strict=False).records(raw))
    negative = [Name.from_text(zone) for zone in config.domain_insecure]
    return TrustAnchors.from_rrs(rrs, negative=negative)


def _scripted_rrsets(scenario: Scenario, transport: ScenarioTransport) -> Iterator[RRset]:
    """Every RRset of every scripted answer (raw-hex entries left out)."""
    for entry in iter_entries(scenario):
        if entry.raw_hex is not None:
            continue
        msg = transport.message(entry)
        for section in (msg.answer, msg.authority, msg.additional):
            yield from section


def _anchor_rrs(scenario: Scenario) -> Iterator[RR]:
    """The records of the scenario's ``trust-anchor:`` lines."""
    for line in scenario.config.trust_anchors:
        yield from ZoneParser(None, None, scenario.path, strict=False).records(line.text)


def needs_legacy_policy(scenario: Scenario, transport: ScenarioTransport) -> bool:
    """True if a DNSKEY of the scenario (or an anchor) is DSA or an RSA key
    below the default minimum size: old Unbound test data."""
    keys: list[DNSKEY] = []
    for rrset in _scripted_rrsets(scenario, transport):
        keys += [rd for rd in rrset.rdatas if isinstance(rd, DNSKEY)]
    for rr in _anchor_rrs(scenario):
        if isinstance(rr.rdata, DNSKEY):
            keys.append(rr.rdata)
    for rrset in _scripted_rrsets(scenario, transport):
        if any(sig.algorithm in _DSA_ALGS for sig in rrset.sigs):
            return True
        if any(isinstance(rd, DS) and rd.algorithm in _DSA_ALGS for rd in rrset.rdatas):
            return True
    for rr in _anchor_rrs(scenario):
        if isinstance(rr.rdata, DS) and rr.rdata.algorithm in _DSA_ALGS:
            return True
    for key in keys:
        if key.algorithm in _DSA_ALGS:
            return True
        if key.algorithm in _RSA_ALGS and not is_supported_key(
            key.algorithm, key.key, DEFAULT_POLICY
        ):
            return True
    return False


# ---------------------------------------------------------------------------
# running


#: A lookup as the recorded resolver makes it (the iterative engine's).
Fetcher = Lookup


@dataclass
class _Caches:
    """The recorded resolver's caches that the library models, and the
    scenario's current time for them."""

    aggressive: AggressiveCache | None = None
    #: Validated DNAMEs, which answer names below them by synthesis.
    dnames: DnameCache | None = None
    #: Validated answers, served again within their TTL.
    answers: AnswerCache | None = None
    #: The time for cache lifetimes: the pinned validation time (if any)
    #: plus the time the scenario let pass.
    now: int = 0


def _make_fetcher(
    scenario: Scenario,
    transport: ScenarioTransport,
    signed: Sequence[Name] = (),
    caches: _Caches | None = None,
) -> tuple[Fetcher, IterativeEngine, dict[tuple[Name, int], Message]]:
    """Resolution as the recorded recursive resolver did it: iterative from the
    stub zones (or through a forwarder), with a cache of earlier answers that
    is used when the servers no longer answer (a resolver's cache).  With
    ``caches.aggressive``, a lookup is first answered, when it can be, from
    validated NSEC/NSEC3 records, wildcards and CNAMEs of earlier answers
    (RFC 8198; the response is validated again like any other)."""
    state = caches if caches is not None else _Caches()
    config = scenario.config
    roots: list[str] = []
    stubs: list[tuple[Name, tuple[str, ...]]] = []
    for zone, addrs in config.stub_zones:
        if zone == ".":
            roots += [_addr(a) for a in addrs]
        else:
            stubs.append((Name.from_text(zone), tuple(_addr(a) for a in addrs)))
    if not roots and not config.forward_zones:
        # No stub address: the resolver starts from its built-in root hints.
        roots = _root_hints()
    engine = IterativeEngine(
        transport,
        roots,
        signed_zones=signed,
        qname_minimisation=config.qname_minimisation,
        # The scenario's clock (TIME_PASSES moves it): server demotions for
        # bogus data expire on it.
        clock=lambda: float(state.now),
    )
    cache: dict[tuple[Name, int], Message] = {}
    for zone_name, addrs in stubs:
        engine.add_stub(zone_name, addrs)
    forwards = [
        (Name.from_text(zone), [Server(_addr(a), _port(a)) for a in addrs])
        for zone, addrs in config.forward_zones
    ]

    busy: set[tuple[Name, int]] = set()

    def fetch(name: Name, rrtype: int) -> Message | FetchFailed:
        key = (name, rrtype)
        if state.dnames is not None and not engine.excluded and key not in busy:
            synthesized = state.dnames.synthesize(Question(name, rrtype, RRClass.IN), state.now)
            if synthesized is not None:
                busy.add(key)
                try:
                    chased = _chase(synthesized, name, rrtype, fetch)
                finally:
                    busy.discard(key)
                if isinstance(chased, Message):
                    return chased
        if state.aggressive is not None and not engine.excluded and key not in busy:
            busy.add(key)
            try:
                cached = from_cache(state.aggressive, name, rrtype)
            finally:
                busy.discard(key)
            if cached is not None:
                return cached
        result = resolve(name, rrtype)
        if isinstance(result, Message):
            cache[key] = result
            return result
        if engine.excluded:
            return result  # restarting: the remembered answer may be the bogus one
        return cache.get(key, result)

    def from_cache(aggressive: AggressiveCache, name: Name, rrtype: int) -> Message | None:
        question = Question(name, rrtype, RRClass.IN)
        msg = aggressive.synthesize(question, state.now)
        if msg is None:
            found = aggressive.rrset(name, rrtype, state.now)
            if found is None and rrtype != RRType.CNAME:
                found = aggressive.cname(name, state.now)
            if found is not None:
                msg = Message(
                    id=0,
                    flags=FLAG_QR | FLAG_RA | FLAG_CD,
                    question=(question,),
                    answer=(found,),
                    edns=Edns(flags=EDNS_DO),
                )
        if msg is None:
            return None
        chased = _chase(msg, name, rrtype, fetch)
        return chased if isinstance(chased, Message) else None

    def resolve(name: Name, rrtype: int) -> Message | FetchFailed:
        best: tuple[Name, list[Server]] | None = None
        # DS lives on the parent side: a DS query for a forward zone's apex
        # goes where the parent's queries go (as Unbound does).
        at = name.parent() if rrtype == RRType.DS and not name.is_root() else name
        for zone, servers in forwards:
            if at.is_subdomain(zone) and (best is None or len(zone) > len(best[0])):
                best = (zone, servers)
        if best is None:
            return engine.lookup(name, rrtype)
        query = Message.make_query(name, rrtype, do=True, cd=True, rd=True)
        problem = "no forwarder"
        for server in best[1]:
            try:
                reply = transport.query(server, query)
            except TransportError as exc:
                problem = str(exc)
                continue
            return _chase(reply, name, rrtype, resolve)
        return FetchFailed(problem)

    return fetch, engine, cache


def _chase(
    reply: Message,
    name: Name,
    rrtype: int,
    resolve: Callable[[Name, int], Message | FetchFailed],
    links: int = DEFAULT_LIMITS.max_chain_links,
) -> Message | FetchFailed:
    """Follow a CNAME chain that a forwarder left unfinished (it answered
    with the alias only), as the recorded resolver does: ask for the target
    and join the answer sections; the last response gives rcode and authority,
    to which the NSEC/NSEC3 records of the earlier responses are added (they
    may prove something about a later link, as in Unbound's iterator)."""
    if rrtype in (RRType.CNAME, RRType.ANY) or reply.rcode != Rcode.NOERROR:
        return reply
    answer = list(reply.answer)
    denials: list[RRset] = []
    current = reply
    target = name

    def joined() -> Message:
        authority = list(current.authority)
        authority += [r for r in denials if not any(r.same_data(a) for a in authority)]
        return current.replace(answer=tuple(answer), authority=tuple(authority))

    for _ in range(links):
        nxt = _chain_end(answer, target, rrtype)
        if nxt is None or nxt == target:
            return joined() if current is not reply else reply
        if any(r.rrtype == RRType.SOA and nxt.is_subdomain(r.name) for r in current.authority):
            # A negative answer for the chain's end (NODATA/NXDOMAIN from
            # its zone).  NSEC/NSEC3 records alone do not make one: they may
            # prove something about an earlier link (Unbound classifies the
            # response as a CNAME to follow unless an SOA or a referral is
            # there).
            return joined()
        more = resolve(nxt, rrtype)
        if isinstance(more, FetchFailed):
            return more
        denials += [r for r in current.authority if r.rrtype in (RRType.NSEC, RRType.NSEC3)]
        current = more
        answer += [r for r in more.answer if not any(r.same_data(a) for a in answer)]
        target = nxt
    return joined()


def _chain_end(answer: Sequence[RRset], name: Name, rrtype: int) -> Name | None:
    """The name where the CNAME chain from ``name`` ends without data, or
    None when the answer holds the data asked for."""
    seen = set()
    while name not in seen:
        seen.add(name)
        if any(r.name == name and r.rrtype == rrtype for r in answer):
            return None
        alias = next((r for r in answer if r.name == name and r.rrtype == RRType.CNAME), None)
        if alias is None:
            return name
        target = getattr(alias.rdatas[0], "target", None)
        if not isinstance(target, Name):
            return None
        name = target
    return None


def _root_hints() -> list[str]:
    """The root server addresses of the built-in hints file (``named.root``)."""
    hints = parse_root_hints(read_package_file(ROOT_HINTS_FILE), ROOT_HINTS_FILE)
    return [server.host for server in hints]


def _addr(spec: str) -> str:
    return spec.split("@", 1)[0].strip()


def _port(spec: str) -> int:
    parts = spec.split("@", 1)
    return int(parts[1]) if len(parts) == 2 and parts[1].strip().isdigit() else 53


@dataclass
class _Outcome:
    status: Status | None  # None: not validated (CD)
    rcode: int
    answer: tuple[RRset, ...]
    do: bool
    reason: str = ""
    sentinel: bool = False


@dataclass
class _State:
    clock: int = 0
    variables: dict[str, int | str] = field(default_factory=dict)


def _record_keys(rrsets: Sequence[RRset], with_sigs: bool) -> set[tuple[Name, int, int, bytes]]:
    out: set[tuple[Name, int, int, bytes]] = set()
    for rrset in rrsets:
        for rr in rrset.rrs():
            if rr.rrtype == RRType.RRSIG and not with_sigs:
                continue
            out.add((rr.name, rr.rrtype, rr.rrclass, rr.rdata.canonical()))
    return out


def _describe(keys: set[tuple[Name, int, int, bytes]]) -> str:
    items = sorted(f"{n.to_text()} {RRType.to_text(t)}" for n, t, _, _ in keys)
    return ", ".join(items[:4]) + (" ..." if len(items) > 4 else "")


def _compare(
    step: int, expected: str, outcome: _Outcome, entry: Entry, entry_msg: Message
) -> StepResult:
    got = "unvalidated" if outcome.status is None else outcome.status.value
    if outcome.sentinel:
        got = "sentinel-servfail"
        ok = expected in ("bogus", "cd")
        why = "" if ok else f"expected {expected}, got a key-sentinel SERVFAIL"
        return StepResult(step, expected, got, "SERVFAIL", ok, why)
    rcode_text = Rcode.to_text(outcome.rcode)
    problems: list[str] = []
    status = outcome.status
    if expected == "secure" and status is not Status.SECURE:
        problems.append(f"expected secure, got {got}")
    elif expected == "bogus" and status is not Status.BOGUS:
        problems.append(f"expected bogus, got {got}")
    elif expected == "insecure" and status not in (Status.INSECURE, Status.INDETERMINATE):
        problems.append(f"expected insecure, got {got}")
    elif expected == "noDO" and status is Status.BOGUS:
        problems.append("expected not bogus, got bogus")
    if outcome.reason and problems:
        problems[-1] += f" ({outcome.reason})"
    if expected != "bogus" and not problems:
        match = entry.match
        full = "all" in match
        if (full or "rcode" in match) and outcome.rcode != entry_msg.rcode:
            problems.append(
                f"rcode {rcode_text}, expected {Rcode.to_text(entry_msg.rcode)}"
                + (f" ({outcome.reason})" if outcome.reason else "")
            )
        if full or "answer" in match:
            want = _record_keys(entry_msg.answer, outcome.do)
            have = _record_keys(outcome.answer, outcome.do)
            if want != have:
                missing, extra = want - have, have - want
                text = "answer differs"
                if missing:
                    text += f"; missing {_describe(missing)}"
                if extra:
                    text += f"; unexpected {_describe(extra)}"
                problems.append(text)
    return StepResult(step, expected, got, rcode_text, not problems, "; ".join(problems))


def _run_query(
    entry: Entry,
    msg: Message,
    fetch: Fetcher,
    engine: IterativeEngine,
    validator: Validator,
    now: int,
    sentinel_tags: frozenset[int] | None = None,
    answered: Mapping[tuple[Name, int], Message] | None = None,
    caches: _Caches | None = None,
) -> _Outcome:
    if not msg.question:
        raise DnssecLiteError("QUERY step without a question")
    question = msg.question[0]
    asked = entry.reply
    do = "DO" in asked
    if "CD" in asked:
        response = fetch(question.name, question.rrtype)
        if isinstance(response, FetchFailed):
            return _Outcome(None, Rcode.SERVFAIL, (), do, response.reason)
        return _Outcome(None, response.rcode, response.answer, do)
    if "RD" not in asked and answered is not None:
        key = (question.name, question.rrtype)
        referral = None if key in answered else engine.cached_delegation(question.name)
        if referral is not None:
            return _cached_referral(referral, fetch, engine, validator, now, do)
    hit = None
    if caches is not None and caches.answers is not None:
        hit = caches.answers.get(question.name, question.rrtype, now=caches.now)
    if hit is not None:
        answer: Answer = hit
    else:
        answer = validate_with_restarts(
            validator, Question(question.name, question.rrtype, RRClass.IN), now, engine, fetch
        )
        if caches is not None and caches.answers is not None:
            caches.answers.put(answer, caches.now)
    if caches is not None and caches.aggressive is not None:
        caches.aggressive.add(answer, caches.now)
    if caches is not None and caches.dnames is not None:
        replied = answered.get((question.name, question.rrtype)) if answered else None
        _keep_dnames(caches.dnames, answer, replied, validator, engine, fetch, now, caches.now)
    reason = str(answer.reason) if answer.reason else ""
    if answer.status is Status.BOGUS:
        return _Outcome(answer.status, Rcode.SERVFAIL, (), do, reason)
    if sentinel_tags is not None and answer.status is Status.SECURE:
        refusal = _sentinel(question, sentinel_tags)
        if refusal:
            return _Outcome(None, Rcode.SERVFAIL, (), do, refusal, sentinel=True)
    return _Outcome(answer.status, answer.rcode, answer.rrsets, do, reason)


def _keep_dnames(
    dnames: DnameCache,
    answer: Answer,
    response: Message | None,
    validator: Validator,
    engine: IterativeEngine,
    fetch: Fetcher,
    now: int,
    cache_now: int,
) -> None:
    """Cache each DNAME of the step's answer that validates on its own --
    also from an answer that was BOGUS for another reason (a spoofed CNAME
    beside a good DNAME), as the recorded resolvers keep validated RRsets."""
    candidates = [r for r in answer.rrsets if r.rrtype == RRType.DNAME]
    if response is not None:
        candidates += [r for r in response.answer if r.rrtype == RRType.DNAME]
    seen: list[RRset] = []
    for dname in candidates:
        if not dname.sigs or any(dname.same_data(s) for s in seen):
            continue
        seen.append(dname)
        if answer.status is Status.SECURE and dname in answer.rrsets:
            dnames.add(dname, cache_now, answer.ttl)
            continue
        alone = Message(
            id=0,
            flags=FLAG_QR | FLAG_RA | FLAG_CD,
            question=(Question(dname.name, RRType.DNAME, RRClass.IN),),
            answer=(dname,),
            edns=Edns(flags=EDNS_DO),
        )

        def lookup(
            name: Name, rrtype: int, own: RRset = dname, msg: Message = alone
        ) -> Message | FetchFailed:
            if name == own.name and rrtype == RRType.DNAME:
                return msg
            return fetch(name, rrtype)

        check = validate_with_restarts(
            validator, Question(dname.name, RRType.DNAME, RRClass.IN), now, engine, lookup
        )
        if check.status is Status.SECURE:
            dnames.add(dname, cache_now, check.ttl)


def _cached_referral(
    ns_rrset: RRset,
    fetch: Fetcher,
    engine: IterativeEngine,
    validator: Validator,
    now: int,
    do: bool,
) -> _Outcome:
    """A query without RD whose answer is not cached: the resolver answers
    from its cache with a referral to the closest zone it knows (Unbound);
    the referral's NS RRset is validated (AD when it is secure)."""
    zone = ns_rrset.name
    message = Message(
        id=0,
        flags=FLAG_QR | FLAG_RA | FLAG_CD,
        question=(Question(zone, RRType.NS),),
        answer=(ns_rrset,),
        edns=Edns(flags=EDNS_DO),
    )

    def lookup(name: Name, rrtype: int) -> Message | FetchFailed:
        if name == zone and rrtype == RRType.NS:
            return message
        return fetch(name, rrtype)

    answer = validate_with_restarts(
        validator, Question(zone, RRType.NS, RRClass.IN), now, engine, lookup
    )
    reason = str(answer.reason) if answer.reason else ""
    if answer.status is Status.BOGUS:
        return _Outcome(answer.status, Rcode.SERVFAIL, (), do, reason)
    return _Outcome(answer.status, Rcode.NOERROR, (), do, reason)


_SENTINEL_RE = re.compile(rb"root-key-sentinel-(is|not)-ta-(\d{5})", re.IGNORECASE)


def _root_anchor_tags(anchors: TrustAnchors) -> frozenset[int]:
    anchor = anchors.anchors.get(Name.from_text("."))
    if anchor is None:
        return frozenset()
    tags = {ds.key_tag for ds in anchor.ds} | {key.key_tag for key in anchor.dnskeys}
    return frozenset(tags)


def _sentinel(question: Question, root_tags: frozenset[int]) -> str:
    """RFC 8509 key-sentinel: the SERVFAIL reason, or "" to answer normally."""
    if question.rrtype not in (RRType.A, RRType.AAAA) or not question.name.labels:
        return ""
    found = _SENTINEL_RE.fullmatch(question.name.labels[0])
    if found is None:
        return ""
    tag = int(found.group(2))
    is_ta = found.group(1).lower() == b"is"
    if is_ta != (tag in root_tags):
        return f"RFC 8509 key sentinel: key tag {tag} {'not ' if is_ta else ''}in the root anchors"
    return ""


def _aggressive_cache(scenario: Scenario, anchors: TrustAnchors) -> AggressiveCache | None:
    """The recorded resolver's cache of validated denials, wildcards and
    CNAMEs, NSEC3 iterations limited as in :data:`REPLAY_LIMITS`."""
    return AggressiveCache(limits=REPLAY_LIMITS, negative_anchors=anchors.negative)


def run_scenario(scenario: Scenario) -> ScenarioResult:
    """Replay one scenario; never raises for problems inside the scenario."""
    name = Path(scenario.path).name
    if name.startswith("autotrust_"):
        return _autotrust(scenario)
    try:
        return _run(scenario)
    except (DnssecLiteError, ValueError) as exc:
        return ScenarioResult(scenario.path, "FAIL", f"error: {exc}")


def _autotrust(scenario: Scenario) -> ScenarioResult:
    """An RFC 5011 scenario, played through the trust-anchor state machine
    (:mod:`.autotrust`, imported here: it builds on this module)."""
    from .autotrust import run_autotrust

    result = run_autotrust(scenario)
    if result.outcome == "NONE":
        return ScenarioResult(scenario.path, "SKIP", AUTOTRUST_SKIP, policy="rfc5011")
    if result.error is not None:
        return ScenarioResult(scenario.path, "FAIL", f"error: {result.error}", policy="rfc5011")
    reason = "; ".join(result.failures) or f"{result.checks} CHECK_AUTOTRUST steps match"
    return ScenarioResult(scenario.path, result.outcome, reason, policy="rfc5011")


def _run(scenario: Scenario) -> ScenarioResult:
    config = scenario.config
    transport = ScenarioTransport(scenario)
    legacy = needs_legacy_policy(scenario, transport)
    policy: AlgorithmPolicy = LEGACY_TEST_POLICY if legacy else DEFAULT_POLICY
    anchors = trust_anchors(scenario)
    options = scenario_options(config, path=scenario.path)
    validator = Validator(
        anchors,
        policy=policy,
        limits=options.limits,
        ignore_time=config.ignore_signature_times,
        override_date=config.val_override_date,
        harden_algo_downgrade=options.harden_algo_downgrade,
        harden_dnssec_stripped=options.harden_dnssec_stripped,
    )
    caches = _Caches(
        aggressive=_aggressive_cache(scenario, anchors), dnames=DnameCache(), answers=AnswerCache()
    )
    fetch, engine, answered = _make_fetcher(scenario, transport, list(anchors.anchors), caches)
    sentinel_tags = (
        _root_anchor_tags(anchors)
        if config.flag("root-key-sentinel")
        or any(
            "root-key-sentinel" in (e.question.text if e.question else "")
            for e in (s.entry for s in scenario.steps if s.kind == "QUERY")
            if e is not None
        )
        else None
    )
    expected = expected_outcomes(scenario)
    if not expected:
        return ScenarioResult(scenario.path, "SKIP", "no CHECK_ANSWER step")
    state = _State()
    results: list[StepResult] = []
    outcome: _Outcome | None = None
    checks = 0
    for index, step in enumerate(scenario.steps):
        if step.kind == "QUERY" and step.entry is not None:
            transport.step = step.number
            transport.later = _waiting_steps(scenario, index)
            # The simulated clock ages the caches; a val-override-date only
            # fixes the time at which signatures are checked (as in Unbound).
            now = state.clock
            msg = transport.message(step.entry)
            # Cache lifetimes run on the scenario's clock even when the
            # validation time is pinned (val-override-date), as in Unbound.
            caches.now = (config.val_override_date or 0) + state.clock
            outcome = _run_query(
                step.entry,
                msg,
                fetch,
                engine,
                validator,
                now,
                sentinel_tags,
                answered,
                caches,
            )
        elif step.kind == "CHECK_ANSWER" and step.entry is not None:
            verdict = expected[checks]
            checks += 1
            if outcome is None:
                results.append(StepResult(step.number, verdict, "-", "-", False, "no answer"))
                continue
            entry_msg = transport.message(step.entry)
            results.append(_compare(step.number, verdict, outcome, step.entry, entry_msg))
        elif step.kind == "TIME_PASSES":
            how, arg = step.args
            value = arg
            if how == "EVAL":
                value = macros.expand(arg, state.variables, state.clock, path=scenario.path)
            state.clock += int(float(value))
        elif step.kind == "ASSIGN":
            var, expr = step.args
            state.variables[var] = macros.expand(
                expr, state.variables, state.clock, path=scenario.path
            )
    failed = [r for r in results if not r.passed]
    policy_name = "legacy-test" if legacy else "default"
    if failed:
        first = failed[0]
        reason = f"step {first.step}: {first.reason}"
        if len(failed) > 1:
            reason += f" (+{len(failed) - 1} more failing step(s))"
        return ScenarioResult(scenario.path, "FAIL", reason, tuple(results), policy_name)
    return ScenarioResult(
        scenario.path, "PASS", f"{len(results)} check(s)", tuple(results), policy_name
    )


def _waiting_steps(scenario: Scenario, index: int) -> tuple[int, ...]:
    """The ``NOTHING`` steps right after step ``index``: the moments at which
    Unbound's test bed may still answer the queries of that step."""
    out: list[int] = []
    for step in scenario.steps[index + 1 :]:
        if step.kind != "NOTHING":
            break
        out.append(step.number)
    return tuple(out)


def run_file(path: str | Path) -> ScenarioResult:
    """Parse and replay one file (parse errors become a FAIL result)."""
    try:
        scenario = parse_file(path)
    except DnssecLiteError as exc:
        return ScenarioResult(str(path), "FAIL", f"cannot parse: {exc}")
    return run_scenario(scenario)
