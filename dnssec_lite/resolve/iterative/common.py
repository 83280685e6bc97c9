"""The iterative engine's data types, limits and pure helpers on responses:
classifying a response (answer, referral, lame), walking a CNAME/DNAME chain
inside an answer, and building the recursive-style response returned to the
validator.  No I/O, no engine state."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from ...dnssec.chain import cname_first, dname_target, find_dname
from ...dnssec.limits import DEFAULT_LIMITS
from ...wire.edns import EDNS_DO, Edns
from ...wire.message import Message, Question
from ...wire.name import Name
from ...wire.rdata.address import AAAA, A
from ...wire.rdata.names import CNAME
from ...wire.rrset import RRset
from ...wire.types import FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD, Rcode, RRType
from ..exchange import Server

#: Who supplied a response: (zone cut asked, server address).
Source = tuple[Name, Server]

#: Responses followed for one lookup along a CNAME/DNAME chain: the links
#: the validator accepts (``Limits.max_chain_links``) plus the one with the data.
MAX_CHAIN = DEFAULT_LIMITS.max_chain_links + 1
#: Nesting of name-server address resolutions (glueless delegations).
MAX_NS_DEPTH = 4
#: Minimised queries of one question at most (RFC 9156 section 2.3).
MAX_MINIMISE_COUNT = 10
#: Minimised steps that add exactly one label before labels are grouped
#: (RFC 9156 section 2.3).
MINIMISE_ONE_LAB = 4
#: Validations re-run after a bogus result with the servers that supplied the
#: bogus data left out (Unbound's ``val-max-restart`` default).
MAX_RESTARTS = 5

DENIAL_TYPES = frozenset({RRType.NSEC, RRType.NSEC3})
#: Rcodes that are answers (anything else: try another server).
ANSWER_RCODES = frozenset({Rcode.NOERROR, Rcode.NXDOMAIN, Rcode.YXDOMAIN})
#: Rcodes under which a CNAME/DNAME chain that leaves the answer is followed.
FOLLOW_RCODES = frozenset({Rcode.NOERROR, Rcode.NXDOMAIN})


class ResponseKind(Enum):
    """What a server's response to the engine is (:func:`classify`)."""

    ANSWER = "answer"  # an answer, a denial, or a CNAME/DNAME to follow
    REFERRAL = "referral"  # a delegation closer to the name
    LAME = "lame"  # neither: try another server


ANSWER, REFERRAL, LAME = ResponseKind.ANSWER, ResponseKind.REFERRAL, ResponseKind.LAME


class Failure(Exception):
    """Resolution of one question failed; the text says why.  Internal to
    the engine's step generators: a lookup returns a FetchFailed instead."""


class LimitHit(Failure):
    """A work limit of the whole lookup was reached: stop everything."""


@dataclass
class Cut:
    """A zone cut: the zone's name servers and the addresses known for them.

    ``resolved`` holds the name servers whose address lookup has started;
    ``inflight`` counts those still running (a lookup running beside this
    one may then look the address up itself rather than give up)."""

    zone: Name
    ns_names: list[Name] = field(default_factory=list)
    addresses: list[Server] = field(default_factory=list)
    resolved: set[Name] = field(default_factory=set)
    inflight: dict[Name, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Referral:
    """What a referral to a zone said about its DS: the DS RRset or a denial."""

    ds: RRset | None
    denial: tuple[RRset, ...]
    source: Source | None = None


class Budget:
    """Work limits of one lookup (nested name-server lookups included)."""

    def __init__(
        self, max_queries: int, max_referrals: int, timeout: float, clock: Callable[[], float]
    ) -> None:
        self.queries = max_queries
        self.referrals = max_referrals
        self.clock = clock
        self.deadline = clock() + timeout

    def query(self) -> None:
        if self.queries <= 0:
            raise LimitHit("query limit reached")
        if self.clock() > self.deadline:
            raise LimitHit("lookup timed out")
        self.queries -= 1

    def referral(self) -> None:
        if self.referrals <= 0:
            raise LimitHit("referral limit reached")
        self.referrals -= 1


@dataclass
class Ctx:
    """The state of one lookup (with its nested name-server lookups): its
    budget, the source of the last response used, the sources of the
    lookup's responses, and the name servers whose address it is resolving
    (the loop guard).  Lookups running side by side each have their own."""

    budget: Budget
    last: Source | None = None
    sources: list[Source] = field(default_factory=list)
    resolving: set[Name] = field(default_factory=set)
    started: set[tuple[Name, Name]] = field(default_factory=set)


def server_of(spec: str | tuple[str, int]) -> Server:
    if isinstance(spec, tuple):
        return Server(spec[0], int(spec[1]))
    return Server(spec, 53)


def signed_referral(ref: Referral) -> bool:
    """A referral with a signed DS, or without DS but with a signed denial."""
    if ref.ds is not None:
        return bool(ref.ds.sigs)
    return any(r.sigs for r in ref.denial)


def addresses(rrsets: Sequence[RRset]) -> list[Server]:
    out: list[Server] = []
    for rrset in rrsets:
        for rd in rrset.rdatas:
            if isinstance(rd, A | AAAA):
                out.append(Server(rd.to_text(), 53))
    return out


def response(
    qname: Name, qtype: int, rcode: int, answer: Sequence[RRset], authority: Sequence[RRset]
) -> Message:
    """A response shaped like a recursive server's to a DO=1 CD=1 query."""
    return Message(
        id=0,
        flags=FLAG_QR | FLAG_RD | FLAG_RA | FLAG_CD,
        rcode=rcode,
        question=(Question(qname, qtype),),
        answer=answer,
        authority=authority,
        edns=Edns(flags=EDNS_DO),
    )


def classify(
    resp: Message, zone: Name, qname: Name, qtype: int
) -> tuple[ResponseKind, Name | None]:
    """Answer (final for this question), referral (to the zone returned) or lame."""
    if resp.answer or resp.rcode != Rcode.NOERROR:
        return ANSWER, None
    if any(r.rrtype == RRType.SOA for r in resp.authority):
        return ANSWER, None
    best: Name | None = None
    has_ns = False
    for rrset in resp.authority:
        if rrset.rrtype != RRType.NS:
            continue
        has_ns = True
        owner = rrset.name
        if qname.is_subdomain(owner) and owner.is_strict_subdomain(zone):
            if best is None or len(owner) > len(best):
                best = owner
    if best is not None:
        return REFERRAL, best
    if has_ns and not resp.aa:
        return LAME, None
    return ANSWER, None


#: Types that may stand beside a CNAME (RFC 4035 2.5: RRSIG and NSEC).
_WITH_CNAME = frozenset({RRType.CNAME, RRType.RRSIG, RRType.NSEC})


def walk_answer(
    resp: Message, qname: Name, qtype: int, seen: set[Name], bailiwick: Name | None = None
) -> tuple[list[RRset], Name | None]:
    """The answer RRsets on the chain from ``qname``, and the name to ask
    next when the chain leaves this answer without reaching data (else None).

    With ``bailiwick`` (the zone whose server answered), the chain is not
    walked past a name outside that zone: the server has no authority there,
    so what it says about the name is not used (a resolver's scrubber drops
    it) and the name is asked of its own zone's servers.
    """
    out: list[RRset] = []
    cur = qname
    while True:
        if out and bailiwick is not None and not cur.is_subdomain(bailiwick):
            return out, cur
        if qtype == RRType.ANY:
            here = [r for r in resp.answer if r.name == cur]
            if here:
                return out + here, None
        else:
            match = resp.find(resp.answer, cur, qtype)
            if match is not None and (
                qtype in _WITH_CNAME or not cname_first(resp.answer, cur, match)
            ):
                dname = find_dname(resp, cur) if qtype == RRType.CNAME else None
                if dname is not None and not any(r is dname for r in out):
                    out.append(dname)  # the CNAME asked for is synthesised
                out.append(match)
                return out, None
            # RFC 2181 10.1: no other data beside a CNAME.  When a server
            # sends both, the one it put first wins (as in Unbound's scrubber).
        cname = resp.find(resp.answer, cur, RRType.CNAME)
        dname = find_dname(resp, cur)
        if dname is not None:
            out.append(dname)
            if cname is None:
                cname = synthesize(dname, cur)
        if cname is None:
            return out, (cur if out else None)
        out.append(cname)
        targets = [rd.target for rd in cname.rdatas if isinstance(rd, CNAME)]
        if not targets or targets[0] in seen:
            return out, None  # broken or looping chain: the validator judges it
        cur = targets[0]
        seen.add(cur)


def synthesize(dname: RRset, name: Name) -> RRset | None:
    """The CNAME that ``dname`` synthesises for ``name`` (RFC 6672 2.2)."""
    target = dname_target(dname, name)
    if target is None:
        return None
    return RRset(name, RRType.CNAME, dname.rrclass, dname.ttl, [CNAME(target)])
