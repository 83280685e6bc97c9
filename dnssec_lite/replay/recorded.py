"""How the recorded resolver fetched: iteratively from the scenario's stub
zones or built-in root hints, or through its forwarders (whose unfinished
CNAME chains it follows), with the caches the library models (earlier
answers, RFC 8198 aggressive use of denials, validated DNAMEs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..anchors.formats import ROOT_HINTS_FILE, read_package_file
from ..dnssec.aggressive import AggressiveCache
from ..dnssec.chain import FetchFailed
from ..dnssec.dnamecache import DnameCache
from ..dnssec.limits import DEFAULT_LIMITS
from ..errors import TransportError
from ..resolve.cache import AnswerCache
from ..resolve.iterative import IterativeEngine, Lookup, Server
from ..resolve.resolver import parse_root_hints
from ..wire.edns import EDNS_DO, Edns
from ..wire.message import Message, Question
from ..wire.name import Name
from ..wire.rrset import RRset
from ..wire.types import FLAG_CD, FLAG_QR, FLAG_RA, Rcode, RRClass, RRType
from .entries import ScenarioTransport
from .scenario import Scenario

#: A lookup as the recorded resolver makes it (the iterative engine's).
Fetcher = Lookup


@dataclass
class Caches:
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


def make_fetcher(
    scenario: Scenario,
    transport: ScenarioTransport,
    signed: Sequence[Name] = (),
    caches: Caches | None = None,
) -> tuple[Fetcher, IterativeEngine, dict[tuple[Name, int], Message]]:
    """Resolution as the recorded recursive resolver did it: iterative from the
    stub zones (or through a forwarder), with a cache of earlier answers that
    is used when the servers no longer answer (a resolver's cache).  With
    ``caches.aggressive``, a lookup is first answered, when it can be, from
    validated NSEC/NSEC3 records, wildcards and CNAMEs of earlier answers
    (RFC 8198; the response is validated again like any other)."""
    state = caches if caches is not None else Caches()
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


__all__ = ["Caches", "Fetcher", "make_fetcher"]
