"""The iterative engine as it was before it became a step generator, kept
verbatim (imports made absolute) as the reference of the differential tests.

An iterative resolution engine: resolves from the root, no recursive
resolver needed, over a pluggable transport.

:meth:`IterativeEngine.lookup` returns a message shaped like what a
recursive resolver answers to a ``DO=1 CD=1`` query: the question as asked,
the CNAME/DNAME chain concatenated into the answer section (signatures
attached), the authority section of the last response (denial proofs),
``RA``/``RD``/``CD`` set.  It never validates: that is the validator's job.

What the engine does:

* follows referrals from the root servers given, using glue when present and
  resolving the addresses of glueless name servers itself (with a loop
  guard and a depth limit);
* skips lame servers (errors, timeouts, SERVFAIL/REFUSED, upward or
  sideways referrals) and tries the next one; retries over TCP when an
  answer comes back truncated;
* skips DNSSEC-lame servers of zones known to be signed: an answer without
  any RRSIG (from a trust-anchor zone or a zone whose referral carried a
  DS), or a referral whose DS RRset is unsigned or which has neither a DS
  nor a signed NSEC/NSEC3 denial (from a trust-anchor zone or a zone whose
  DS was seen signed): a server or middlebox that strips DNSSEC.  The other
  servers of the zone are tried first; only when all are DNSSEC-lame is the
  first such response used (the validator then says what is missing);
* follows CNAME and DNAME chains across zones (at most
  :data:`MAX_CHAIN` links, also under an NXDOMAIN rcode); an in-answer chain
  is walked first, but not past a name outside the answering server's zone
  (that name is asked of its own servers), and irrelevant records are dropped;
* sends DS queries to the *parent* side of the zone cut, and answers them
  from the DS records (or the NSEC/NSEC3 denial) seen in referrals when the
  parent has no answer of its own;
* keeps per-engine caches: zone cut -> name servers and addresses
  (delegation cache), zone cut -> DS/denial from referrals, and name ->
  A/AAAA addresses seen in the answer or additional section of a zone's
  answers when the name is in that zone's bailiwick (used for name servers
  before asking for their addresses; see :meth:`IterativeEngine.known_addresses`);
* optionally minimises query names (RFC 9156, "relaxed" like Unbound's
  default): see :class:`IterativeEngine`;
* records which server answered each lookup (:meth:`IterativeEngine.take_sources`)
  and can be told to avoid servers for a zone (:meth:`IterativeEngine.exclude`):
  :func:`validate_with_restarts` uses both to retry a validation that came out
  bogus with the servers that supplied the bogus data left out (Unbound's
  server blacklist and ``val-max-restart``).

Every query is logged at DEBUG level on ``dnssec_lite.resolve.iterative``.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from dnssec_lite.dnssec.chain import (
    FetchFailed,
    KeyCache,
    KeyEntry,
    Validator,
    cname_first,
    dname_target,
    find_dname,
)
from dnssec_lite.dnssec.status import Answer, Status
from dnssec_lite.errors import DnssecLiteError, TransportError
from dnssec_lite.wire.edns import EDNS_DO, Edns
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import ROOT, Name
from dnssec_lite.wire.rdata.address import AAAA, A
from dnssec_lite.wire.rdata.names import CNAME, NS
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD, Rcode, RRType

__all__ = [
    "MAX_CHAIN",
    "MAX_MINIMISE_COUNT",
    "MAX_RESTARTS",
    "MINIMISE_ONE_LAB",
    "IterativeEngine",
    "QueryTransport",
    "Server",
    "Source",
    "validate_with_restarts",
]

log = logging.getLogger("dnssec_lite.resolve.iterative")

#: A server address: (IP address text, port).
Server = tuple[str, int]
#: Who supplied a response: (zone cut asked, server address).
Source = tuple[Name, Server]

#: CNAME/DNAME links followed for one lookup.
MAX_CHAIN = 12
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

_DENIAL_TYPES = frozenset({RRType.NSEC, RRType.NSEC3})
#: Rcodes that are answers (anything else: try another server).
_ANSWER_RCODES = frozenset({Rcode.NOERROR, Rcode.NXDOMAIN, Rcode.YXDOMAIN})
#: Rcodes under which a CNAME/DNAME chain that leaves the answer is followed.
_FOLLOW_RCODES = frozenset({Rcode.NOERROR, Rcode.NXDOMAIN})


class QueryTransport(Protocol):
    """Sends one query to one server and returns the response.

    Raises :class:`~dnssec_lite.errors.TransportError` (or its subclass
    :class:`~dnssec_lite.errors.QueryTimeout`) when there is no usable answer.
    """

    def query(self, server: Server, message: Message, *, tcp: bool = False) -> Message: ...


class _Failure(Exception):
    """Resolution of one question failed; the text says why."""


class _LimitHit(_Failure):
    """A work limit of the whole lookup was reached: stop everything."""


@dataclass
class _Cut:
    """A zone cut: the zone's name servers and the addresses known for them."""

    zone: Name
    ns_names: list[Name] = field(default_factory=list)
    addresses: list[Server] = field(default_factory=list)
    resolved: set[Name] = field(default_factory=set)


@dataclass(frozen=True)
class _Referral:
    """What a referral to a zone said about its DS: the DS RRset or a denial."""

    ds: RRset | None
    denial: tuple[RRset, ...]
    source: Source | None = None


class _Budget:
    """Work limits of one lookup (nested name-server lookups included)."""

    def __init__(self, max_queries: int, max_referrals: int, timeout: float) -> None:
        self.queries = max_queries
        self.referrals = max_referrals
        self.deadline = time.monotonic() + timeout

    def query(self) -> None:
        if self.queries <= 0:
            raise _LimitHit("query limit reached")
        if time.monotonic() > self.deadline:
            raise _LimitHit("lookup timed out")
        self.queries -= 1

    def referral(self) -> None:
        if self.referrals <= 0:
            raise _LimitHit("referral limit reached")
        self.referrals -= 1


_ANSWER, _REFERRAL, _LAME = "answer", "referral", "lame"


def _server(spec: str | tuple[str, int]) -> Server:
    if isinstance(spec, tuple):
        return (spec[0], int(spec[1]))
    return (spec, 53)


class IterativeEngine:
    """Resolve names iteratively from the root servers given.

    ``max_referrals`` and ``max_queries`` bound one :meth:`lookup` (the
    lookups of glueless name-server addresses included); ``timeout`` is the
    wall-clock budget of one lookup in seconds.  ``prime`` asks the root
    servers for ``. NS`` once and adds the addresses found to the list.
    ``signed_zones`` are zones known to be signed (trust-anchor points); with
    the zones whose referral carried a DS they enable DNSSEC-lame detection:
    an answer without any RRSIG from such a zone makes the engine try the
    other servers first (and use that answer only if none does better).
    Referrals are judged the same way, from a zone in ``signed_zones`` or
    whose DS was seen *signed*: a referral whose DS RRset has no RRSIG, or
    without a DS and without a signed NSEC/NSEC3 denial, is DNSSEC-lame.

    ``qname_minimisation`` (RFC 9156, relaxed mode as in Unbound's default)
    makes the engine ask each zone's servers about the next label of the name
    only, with qtype A (RFC 9156 section 2.1: NS queries stand out and some
    servers answer them badly; Unbound also uses A), until it reaches the
    name itself (for DS: its parent, whose servers get the DS query).  A
    referral moves on to the child zone; NOERROR at the shorter name (data,
    NODATA for an empty non-terminal, even a CNAME) adds the next label; a
    DNAME there (also one seen in an earlier answer) is used for the whole
    name (RFC 9156 section 3, 6b); NXDOMAIN without an answer ends the
    resolution: nothing exists below a name that does not exist (RFC 8020),
    and the response is returned (the validator checks its denial for the
    full name).  Relaxed: when no server gives a usable response to a
    minimised query (errors, timeouts, lame), the full name is asked instead.
    The first :data:`MINIMISE_ONE_LAB` steps add one label each, the rest are
    spread so that one question takes at most :data:`MAX_MINIMISE_COUNT`
    minimised queries.  A CNAME question keeps its qtype hidden too: the full
    name is asked with qtype A, whose answer holds the CNAME if there is one
    (then it is the answer); otherwise the CNAME query follows.
    """

    def __init__(
        self,
        transport: QueryTransport,
        root_servers: Sequence[str | tuple[str, int]],
        *,
        max_referrals: int = 30,
        max_queries: int = 100,
        timeout: float = 30.0,
        prime: bool = True,
        signed_zones: Sequence[Name] = (),
        qname_minimisation: bool = False,
    ) -> None:
        self.transport = transport
        self.qname_minimisation = qname_minimisation
        self.max_referrals = max_referrals
        self.max_queries = max_queries
        self.timeout = timeout
        self._prime_pending = prime
        roots = [_server(s) for s in root_servers]
        self._cuts: dict[Name, _Cut] = {ROOT: _Cut(ROOT, addresses=roots)}
        self._referrals: dict[Name, _Referral] = {}
        self._nsec: dict[Name, tuple[RRset, Source | None]] = {}
        self._resolving: set[Name] = set()
        self.queries_sent = 0
        #: Zones known to be signed (e.g. trust-anchor points): an answer from
        #: them without any RRSIG comes from a DNSSEC-lame server.
        self.signed_zones: set[Name] = set(signed_zones)
        self._excluded: set[Source] = set()
        self._zone_ns: dict[Name, RRset] = {}
        self._sources: list[Source] = []
        self._last: Source | None = None
        self._dnssec_lame_seen: set[Source] = set()
        #: DNAME RRsets seen in answers, by owner (for minimised lookups).
        self._dnames: dict[Name, tuple[RRset, Source | None]] = {}
        #: Zones whose servers gave no usable answer to a minimised query:
        #: not sent minimised queries again (relaxed mode).
        self._minimise_failed: set[Name] = set()
        #: Addresses of names, learnt from the answers of the name's own
        #: zone: (name, A or AAAA) -> (rank, addresses); see
        #: :meth:`_note_addresses`.
        self._addresses: dict[tuple[Name, int], tuple[int, list[Server]]] = {}

    # -- public -------------------------------------------------------------
    def lookup(self, name: Name, rrtype: int) -> Message | FetchFailed:
        """The answer to (``name``, ``rrtype``), or why there is none."""
        budget = _Budget(self.max_queries, self.max_referrals, self.timeout)
        try:
            if self._prime_pending:
                self._prime_pending = False
                self._prime(budget)
            return self._lookup(name, rrtype, budget, 0)
        except _Failure as exc:
            log.debug("lookup %s %s failed: %s", name, RRType.to_text(rrtype), exc)
            return FetchFailed(str(exc))

    def exclude(self, zone: Name, server: Server) -> None:
        """Do not ask ``server`` about ``zone`` (it supplied bogus data) until
        :meth:`clear_exclusions`; referral data it gave is not reused."""
        self._excluded.add((zone, server))

    def clear_exclusions(self) -> None:
        self._excluded.clear()

    @property
    def excluded(self) -> frozenset[Source]:
        return frozenset(self._excluded)

    @property
    def dnssec_lame(self) -> frozenset[Source]:
        """The (zone, server) pairs judged DNSSEC-lame so far (answers or
        referrals of a signed zone without the signatures or proofs)."""
        return frozenset(self._dnssec_lame_seen)

    def take_sources(self) -> list[Source]:
        """The (zone, server) pairs whose responses made up the lookups since
        the last call (one per CNAME/DNAME link; a DS answered from a
        referral names the server of the referral); the record is cleared."""
        out, self._sources = self._sources, []
        return out

    def add_stub(self, zone: Name, servers: Sequence[str | tuple[str, int]]) -> None:
        """Send queries for ``zone`` (and below) to ``servers`` (a stub zone)."""
        cut = self._cuts.setdefault(zone, _Cut(zone))
        for spec in servers:
            address = _server(spec)
            if address not in cut.addresses:
                cut.addresses.append(address)

    def zone_cuts(self) -> list[Name]:
        """Zone cuts learnt so far (the delegation cache), root first."""
        return sorted(self._cuts, key=len)

    def servers_for(self, zone: Name) -> list[Server]:
        """Addresses known for a zone cut (empty if unknown)."""
        cut = self._cuts.get(zone)
        return list(cut.addresses) if cut else []

    def cached_delegation(self, name: Name) -> RRset | None:
        """The NS RRset (as the zone itself served it, with signatures) of the
        closest zone at or above ``name`` whose servers were asked: what a
        resolver answers from its cache to a query without RD."""
        for count in range(len(name.labels), -1, -1):
            zone = name.suffix(count)
            if zone in self._cuts and zone in self._zone_ns:
                return self._zone_ns[zone]
        return None

    def known_addresses(self, name: Name) -> list[Server]:
        """Addresses of ``name`` learnt from the answer or additional section
        of an answer by the servers of the zone ``name`` is in (empty if none)."""
        out: list[Server] = []
        for rrtype in (RRType.A, RRType.AAAA):
            entry = self._addresses.get((name, rrtype))
            if entry is not None:
                out += entry[1]
        return out

    def referral_ds(self, zone: Name) -> RRset | None:
        """The DS RRset seen in a referral to ``zone``, if any."""
        ref = self._referrals.get(zone)
        return ref.ds if ref else None

    # -- chain following ----------------------------------------------------
    def _lookup(self, name: Name, rrtype: int, budget: _Budget, depth: int) -> Message:
        chain: list[RRset] = []
        denials: list[RRset] = []
        seen: set[Name] = {name}
        qname = name
        final: Message | None = None
        for _ in range(MAX_CHAIN):
            try:
                resp = self._resolve(qname, rrtype, budget, depth)
            except _Failure:
                if final is None:
                    raise
                break  # keep what the previous link gave
            if depth == 0 and self._last is not None:
                self._sources.append(self._last)
            bailiwick = self._last[0] if self._last is not None else None
            links, nxt = _walk_answer(resp, qname, rrtype, seen, bailiwick)
            self._remember_denials(resp)
            if nxt is not None:
                # A link that is not the last: keep its NSEC/NSEC3 records
                # for the final answer (the wildcard proof of an expanded
                # link, or a proof about the chain's next zone), as Unbound
                # prepends them (iterator handle_cname_response).
                denials += [r for r in resp.authority if r.rrtype in _DENIAL_TYPES]
            for rrset in links:
                if not any(r is rrset or _same(r, rrset) for r in chain):
                    chain.append(rrset)
            final = resp
            # A CNAME link keeps being followed under an NXDOMAIN rcode (some
            # servers set it from the chain's end, as RFC 6604 allows); the
            # final link's response gives the rcode.
            if nxt is None or resp.rcode not in _FOLLOW_RCODES:
                break
            qname = nxt
        assert final is not None
        authority = list(final.authority)
        for rrset in denials:
            if not any(_same(r, rrset) for r in authority):
                authority.append(rrset)
        return _response(name, rrtype, final.rcode, chain, authority)

    # -- one question, iteratively -----------------------------------------
    def _resolve(self, qname: Name, qtype: int, budget: _Budget, depth: int) -> Message:
        self._last = None
        is_ds = qtype == RRType.DS and not qname.is_root()
        if is_ds:
            ref = self._usable_referral(qname)
            if ref is not None and ref.ds is not None:
                log.debug("DS %s answered from a cached referral", qname)
                self._last = ref.source
                return _response(qname, qtype, Rcode.NOERROR, [ref.ds], [])
            zone = self._closest_cut(qname.parent())
        else:
            zone = self._closest_cut(qname)
        # Minimisation state: labels of the longest name known to exist (the
        # zone cut at least) and minimised queries sent.  A DS question
        # starts at the parent's cut, so it is never minimised past the
        # parent (RFC 9156 section 3, 1a).
        minimise = self.qname_minimisation
        known = len(zone.labels)
        steps = 0
        hidden: Message | None = None
        hidden_source: Source | None = None
        try:
            while True:
                ask_name, ask_type = qname, qtype
                if minimise:
                    step = self._minimised(qname, qtype, zone, known, steps)
                    if isinstance(step, Message):
                        return step
                    if step is None or zone in self._minimise_failed:
                        minimise = False
                    else:
                        ask_name, ask_type = step
                if (ask_name, ask_type) == (qname, qtype):
                    budget.referral()
                    try:
                        resp, kind, child = self._ask_zone(zone, qname, qtype, budget, depth)
                    except _Failure:
                        if hidden is None:
                            raise
                        # The CNAME came with another rcode (the target's)
                        # and the CNAME question has no answer of its own.
                        self._last = hidden_source
                        return hidden.replace(rcode=Rcode.NOERROR, authority=())
                else:
                    steps += 1
                    # A minimised query goes to the servers whose addresses
                    # are known (no name-server lookups for it): when they
                    # all fail, the full question follows.
                    probe_depth = MAX_NS_DEPTH if self._cuts[zone].addresses else depth
                    try:
                        resp, kind, child = self._ask_zone(
                            zone, ask_name, ask_type, budget, probe_depth
                        )
                    except _LimitHit:
                        raise
                    except _Failure as exc:
                        # Relaxed mode: a minimised query nobody answers
                        # usably gives way to the full question.
                        log.debug("minimised %s failed (%s): asking the full name", ask_name, exc)
                        self._minimise_failed.add(zone)
                        minimise = False
                        continue
                    if kind == _ANSWER:
                        self._note_dnames(resp)
                        done = self._minimised_answer(resp, qname, qtype, ask_name)
                        if done is not None:
                            return done
                        if ask_name == qname:
                            # Hidden CNAME qtype: ask it now.  A CNAME that
                            # came under another rcode (relaxed: ask again)
                            # stands if the CNAME question gets no answer.
                            minimise = False
                            if resp.find(resp.answer, qname, RRType.CNAME) is not None:
                                hidden, hidden_source = resp, self._last
                        known = len(ask_name.labels)
                        continue
                    budget.referral()
                if kind == _ANSWER:
                    self._note_dnames(resp)
                    return resp
                assert child is not None
                self._learn_referral(resp, child, self._last)
                if is_ds and child == qname:
                    return self._ds_from_referral(qname)
                zone = child
                known = max(known, len(child.labels))
        except _Failure:
            if is_ds and self._usable_referral(qname) is not None:
                return self._ds_from_referral(qname)
            seen = self._nsec.get(qname) if is_ds else None
            if seen is not None and (seen[1] is None or seen[1] not in self._excluded):
                log.debug("DS %s: answered with an NSEC seen earlier", qname)
                self._last = seen[1]
                return _response(qname, qtype, Rcode.NOERROR, [], [seen[0]])
            raise

    # -- QNAME minimisation (RFC 9156) --------------------------------------
    def _minimised(
        self, qname: Name, qtype: int, zone: Name, known: int, steps: int
    ) -> tuple[Name, int] | Message | None:
        """The next minimised question to ask ``zone``'s servers (the full
        question when the name is reached), a response built from a DNAME
        seen earlier above the name, or None: stop minimising (limit)."""
        if steps >= MAX_MINIMISE_COUNT:
            return None
        total = len(qname.labels)
        if steps < MINIMISE_ONE_LAB:
            nxt = known + 1
        else:
            left = MAX_MINIMISE_COUNT - steps
            nxt = known + -(-(total - known) // left)
        nxt = min(nxt, total)
        if qtype != RRType.DS:
            for count in range(len(zone.labels), nxt + 1):
                owner = qname.suffix(count)
                seen = self._dnames.get(owner)
                if owner == qname or seen is None:
                    continue
                if seen[1] is not None and seen[1] in self._excluded:
                    continue
                cname = _synthesize(seen[0], qname)
                if cname is not None:
                    log.debug("%s: below the DNAME %s seen earlier", qname, owner)
                    self._last = seen[1]
                    return _response(qname, qtype, Rcode.NOERROR, [seen[0], cname], [])
        if nxt < total:
            return qname.suffix(nxt), RRType.A
        if qtype == RRType.CNAME:
            return qname, RRType.A  # the A answer holds the CNAME, if any
        return qname, qtype

    def _minimised_answer(
        self, resp: Message, qname: Name, qtype: int, asked: Name
    ) -> Message | None:
        """The response to return for (``qname``, ``qtype``) after the
        answer ``resp`` to a minimised query about ``asked`` (None: go on)."""
        if resp.rcode == Rcode.NXDOMAIN and not resp.answer:
            # Nothing exists below a name that does not exist (RFC 8020).
            log.debug("minimised %s: NXDOMAIN, so %s does not exist", asked, qname)
            return resp
        if asked == qname:
            # The hidden CNAME question: the A answer holds the CNAME.
            if resp.find(resp.answer, qname, RRType.CNAME) or find_dname(resp, qname):
                return resp if resp.rcode == Rcode.NOERROR else None
            return None
        dname = find_dname(resp, asked)
        if dname is not None:
            cname = _synthesize(dname, qname)
            if cname is not None:
                # RFC 9156 section 3 (6b): as if the DNAME came for the name.
                return _response(qname, qtype, Rcode.NOERROR, [dname, cname], [])
        return None

    def _note_dnames(self, resp: Message) -> None:
        for rrset in resp.answer:
            if rrset.rrtype == RRType.DNAME:
                old = self._dnames.get(rrset.name)
                if old is None or rrset.sigs or not old[0].sigs:
                    self._dnames[rrset.name] = (rrset, self._last)

    def _remember_denials(self, resp: Message) -> None:
        for rrset in resp.authority:
            if rrset.rrtype == RRType.NSEC and rrset.sigs:
                self._nsec[rrset.name] = (rrset, self._last)

    def _usable_referral(self, zone: Name) -> _Referral | None:
        ref = self._referrals.get(zone)
        if ref is None or (ref.source is not None and ref.source in self._excluded):
            return None
        return ref

    def _ds_from_referral(self, qname: Name) -> Message:
        ref = self._referrals[qname]
        self._last = ref.source
        if ref.ds is not None:
            return _response(qname, RRType.DS, Rcode.NOERROR, [ref.ds], [])
        log.debug("DS %s: no DS in the referral, answering with its denial", qname)
        return _response(qname, RRType.DS, Rcode.NOERROR, [], list(ref.denial))

    def _closest_cut(self, name: Name) -> Name:
        for count in range(len(name.labels), -1, -1):
            zone = name.suffix(count)
            if zone in self._cuts:
                return zone
        return ROOT

    def _ask_zone(
        self, zone: Name, qname: Name, qtype: int, budget: _Budget, depth: int
    ) -> tuple[Message, str, Name | None]:
        cut = self._cuts[zone]
        tried: set[Server] = set()
        #: The first DNSSEC-lame response (used only if no server does better).
        fallback: tuple[Message, Server, str, Name | None] | None = None
        problem = "no server address"
        for server in self._servers(cut, budget, depth):
            if server in tried or (zone, server) in self._excluded:
                continue
            tried.add(server)
            try:
                resp = self._send(server, qname, qtype, budget)
            except TransportError as exc:
                problem = str(exc)
                continue
            if resp.rcode not in _ANSWER_RCODES:
                problem = f"{server[0]}: {Rcode.to_text(resp.rcode)}"
                continue
            kind, child = _classify(resp, zone, qname, qtype)
            if kind == _LAME:
                problem = f"{server[0]}: lame for {zone.to_text()}"
                continue
            why = self._dnssec_lame_why(zone, resp, kind, child)
            if why is not None:
                log.debug(
                    "%s#%d is DNSSEC-lame for %s (%s), trying another server",
                    server[0],
                    server[1],
                    zone,
                    why,
                )
                self._dnssec_lame_seen.add((zone, server))
                if fallback is None:
                    fallback = (resp, server, kind, child)
                continue
            self._last = (zone, server)
            self._note_zone_ns(zone, resp)
            if kind == _ANSWER:
                self._note_addresses(zone, resp)
            return resp, kind, child
        if fallback is not None:
            resp, server, kind, child = fallback
            log.debug(
                "every server of %s is DNSSEC-lame, using the response of %s#%d",
                zone,
                server[0],
                server[1],
            )
            self._last = (zone, server)
            self._note_zone_ns(zone, resp)
            if kind == _ANSWER:
                self._note_addresses(zone, resp)
            return resp, kind, child
        raise _Failure(f"no usable answer from the servers of {zone.to_text()} ({problem})")

    def _note_zone_ns(self, zone: Name, resp: Message) -> None:
        for rrset in (*resp.answer, *resp.authority):
            if rrset.rrtype == RRType.NS and rrset.name == zone:
                old = self._zone_ns.get(zone)
                if old is None or rrset.sigs or not old.sigs:
                    self._zone_ns[zone] = rrset

    def _note_addresses(self, zone: Name, resp: Message) -> None:
        """Remember the A/AAAA records of an answer by ``zone``'s servers whose
        owner is in that zone's bailiwick: inside ``zone`` and not below a
        zone cut known under it (the server has authority there).  Anything
        else may be a poisoning attempt and is ignored.  Ranking as in
        RFC 2181 section 5.4.1: an RRset replaces one of the same or a lower
        rank (answer section above additional), never one of a higher rank."""
        for rank, section in ((2, resp.answer), (1, resp.additional)):
            for rrset in section:
                if rrset.rrtype not in (RRType.A, RRType.AAAA):
                    continue
                owner = rrset.name
                if not owner.is_subdomain(zone) or self._closest_cut(owner) != zone:
                    log.debug("address of %s from %s: out of bailiwick, ignored", owner, zone)
                    continue
                found = _addresses([rrset])
                key = (owner, rrset.rrtype)
                old = self._addresses.get(key)
                if found and (old is None or rank >= old[0]):
                    self._addresses[key] = (rank, found)

    def _known_signed(self, zone: Name) -> bool:
        """A trust-anchor zone, or one whose DS was seen signed in a referral."""
        if zone in self.signed_zones:
            return True
        ref = self._referrals.get(zone)
        return ref is not None and ref.ds is not None and bool(ref.ds.sigs)

    def _dnssec_lame_why(
        self, zone: Name, resp: Message, kind: str, child: Name | None
    ) -> str | None:
        """Why a response of ``zone``'s server is DNSSEC-lame (None: it is not)."""
        if kind == _ANSWER:
            return "answer without RRSIGs" if self._dnssec_lame(zone, resp) else None
        if child is None or not self._known_signed(zone):
            return None
        ds = resp.find(resp.authority, child, RRType.DS)
        if ds is not None:
            return None if ds.sigs else f"referral to {child.to_text()} with an unsigned DS"
        if any(r.sigs for r in resp.authority if r.rrtype in _DENIAL_TYPES):
            return None
        return f"referral to {child.to_text()} without a signed DS or NSEC/NSEC3 denial"

    def _dnssec_lame(self, zone: Name, resp: Message) -> bool:
        """A zone known to be signed answered without any signature."""
        ref = self._referrals.get(zone)
        signed = zone in self.signed_zones or (ref is not None and ref.ds is not None)
        if not signed:
            return False
        sections = (*resp.answer, *resp.authority)
        return bool(sections) and not any(r.sigs or r.rrtype == RRType.RRSIG for r in sections)

    def _servers(self, cut: _Cut, budget: _Budget, depth: int) -> Iterator[Server]:
        index = 0
        while True:
            while index < len(cut.addresses):
                yield cut.addresses[index]
                index += 1
            pending = [n for n in cut.ns_names if n not in cut.resolved]
            if not pending or depth >= MAX_NS_DEPTH:
                return
            ns_name = pending[0]
            cut.resolved.add(ns_name)
            if ns_name in self._resolving:
                continue
            for address in self._ns_addresses(ns_name, budget, depth):
                if address not in cut.addresses:
                    cut.addresses.append(address)

    def _ns_addresses(self, ns_name: Name, budget: _Budget, depth: int) -> list[Server]:
        known = self.known_addresses(ns_name)
        if known:
            log.debug("address of %s known from its zone's answers", ns_name)
            return known
        self._resolving.add(ns_name)
        try:
            found: list[Server] = []
            for rrtype in (RRType.A, RRType.AAAA):
                try:
                    resp = self._lookup(ns_name, rrtype, budget, depth + 1)
                except _LimitHit:
                    raise
                except _Failure as exc:
                    log.debug("address of %s (%s): %s", ns_name, RRType.to_text(rrtype), exc)
                    continue
                found += _addresses(resp.answer)
                if found:
                    break
            return found
        finally:
            self._resolving.discard(ns_name)

    def _send(self, server: Server, qname: Name, qtype: int, budget: _Budget) -> Message:
        budget.query()
        self.queries_sent += 1
        query = Message.make_query(qname, qtype, do=True, cd=True, rd=False)
        log.debug("query %s %s to %s#%d", qname, RRType.to_text(qtype), server[0], server[1])
        resp = self.transport.query(server, query)
        if resp.tc:
            log.debug("truncated answer from %s, retrying over TCP", server[0])
            budget.query()
            self.queries_sent += 1
            resp = self.transport.query(server, query, tcp=True)
        if resp.question and resp.question[0] != Question(qname, qtype):
            raise TransportError(server[0], "answer to another question")
        return resp

    def _learn_referral(self, resp: Message, child: Name, source: Source | None) -> None:
        ns_rrset = resp.find(resp.authority, child, RRType.NS)
        names = [rd.target for rd in ns_rrset.rdatas if isinstance(rd, NS)] if ns_rrset else []
        glue: list[Server] = []
        for rrset in resp.additional:
            if rrset.name in names:
                glue += _addresses([rrset])
        cut = self._cuts.get(child)
        if cut is None:
            cut = self._cuts[child] = _Cut(child)
        for ns_name in names:
            if ns_name not in cut.ns_names:
                cut.ns_names.append(ns_name)
        for address in glue:
            if address not in cut.addresses:
                cut.addresses.append(address)
        ds = resp.find(resp.authority, child, RRType.DS)
        denial = tuple(r for r in resp.authority if r.rrtype in _DENIAL_TYPES)
        new = _Referral(ds, denial, source)
        old = self._usable_referral(child)
        if old is not None and _signed_referral(old) and not _signed_referral(new):
            # A DNSSEC-lame referral (used because no server did better this
            # time) does not replace the signed DS or denial seen before.
            log.debug("referral to %s: keeping the signed DS/denial seen before", child)
        else:
            self._referrals[child] = new
        log.debug(
            "referral to %s: %d NS, %d glue, DS %s",
            child,
            len(names),
            len(glue),
            "yes" if ds else "no",
        )

    def _prime(self, budget: _Budget) -> None:
        root = self._cuts[ROOT]
        for server in list(root.addresses):
            try:
                resp = self._send(server, ROOT, RRType.NS, budget)
            except TransportError:
                continue
            ns_rrset = resp.get_answer(ROOT, RRType.NS)
            if resp.rcode != Rcode.NOERROR or ns_rrset is None:
                continue
            names = [rd.target for rd in ns_rrset.rdatas if isinstance(rd, NS)]
            for ns_name in names:
                if ns_name not in root.ns_names:
                    root.ns_names.append(ns_name)
            for rrset in resp.additional:
                if rrset.name in names:
                    for address in _addresses([rrset]):
                        if address not in root.addresses:
                            root.addresses.append(address)
            return


# -- validation with restarts -------------------------------------------------

Lookup = Callable[[Name, int], "Message | FetchFailed"]


class _RestartKeyCache(KeyCache):
    """The key cache seen by a restarted validation: the shared cache without
    its BOGUS entries (they may come from the servers now left out); new
    entries go to the shared cache."""

    def __init__(self, base: KeyCache) -> None:
        super().__init__(base.max_entries)
        self.base = base

    def get(self, zone: Name, now: int) -> KeyEntry | None:
        entry = self.base.get(zone, now)
        return None if entry is None or entry.status is Status.BOGUS else entry

    def put(self, entry: KeyEntry, now: int, ttl: int) -> None:
        self.base.put(entry, now, ttl)

    def clear(self) -> None:
        self.base.clear()

    def __len__(self) -> int:
        return len(self.base)


def _validate_once(
    validator: Validator, question: Question, now: int, engine: IterativeEngine, lookup: Lookup
) -> tuple[Answer, list[tuple[Message, list[Source]]]]:
    used: list[tuple[Message, list[Source]]] = []

    def get(name: Name, rrtype: int) -> Message | FetchFailed:
        engine.take_sources()
        result = lookup(name, rrtype)
        sources = engine.take_sources()
        if isinstance(result, Message):
            used.append((result, sources))
        return result

    job = validator.start(question, get(question.name, question.rrtype), now)
    while job.answer is None:
        pending = job.pending()
        if not pending:
            raise DnssecLiteError("validation job stalled with no pending fetch")
        for item in pending:
            job.feed(item, get(item.name, item.rrtype))
    return job.answer, used


def _culprits(answer: Answer, used: Sequence[tuple[Message, list[Source]]]) -> set[Source]:
    """The servers whose responses held the record that failed validation, or
    answered the question of that record (a DS missing from a stripped
    referral names no record, only the question)."""
    reason = answer.reason
    if reason is None or reason.name is None:
        return set()
    out: set[Source] = set()
    for msg, sources in used:
        question = msg.question[0] if msg.question else None
        if (
            question is not None
            and question.name == reason.name
            and (reason.rrtype is None or question.rrtype == reason.rrtype)
        ):
            # The response to the very question that failed, even when the
            # record is missing from it (a DS stripped from a referral).
            out.update(sources)
            continue
        for rrset in (*msg.answer, *msg.authority):
            if rrset.name != reason.name:
                continue
            if reason.rrtype is None or rrset.rrtype == reason.rrtype:
                out.update(sources)
                break
    return out


def validate_with_restarts(
    validator: Validator,
    question: Question,
    now: int,
    engine: IterativeEngine,
    lookup: Lookup | None = None,
    *,
    max_restarts: int = MAX_RESTARTS,
) -> Answer:
    """Validate ``question``, resolving every fetch with ``lookup`` (default
    ``engine.lookup``; a wrapper must resolve through ``engine``).

    A BOGUS result makes the engine leave out, for this question, the servers
    whose responses held the record that failed (or answered its question:
    a DS missing altogether names the server of the referral or of the DS
    answer), and the validation is run
    again (key entries found BOGUS are not reused), at most ``max_restarts``
    times, as Unbound does (server blacklist, ``val-max-restart``).  A re-run
    counts only if it is SECURE or INSECURE; otherwise the first BOGUS answer
    is returned.
    """
    get = lookup if lookup is not None else engine.lookup
    first: Answer | None = None
    current = validator
    try:
        for _ in range(max_restarts + 1):
            answer, used = _validate_once(current, question, now, engine, get)
            if answer.status is not Status.BOGUS:
                if first is None or answer.status in (Status.SECURE, Status.INSECURE):
                    return answer
                return first
            if first is None:
                first = answer
            culprits = _culprits(answer, used) - engine.excluded
            if not culprits:
                break
            for zone, server in sorted(culprits):
                log.debug("bogus data from %s for %s: restarting without it", server[0], zone)
                engine.exclude(zone, server)
            if current is validator:
                current = copy.copy(validator)
                current.key_cache = _RestartKeyCache(validator.key_cache)
        assert first is not None
        return first
    finally:
        engine.clear_exclusions()


# -- helpers -----------------------------------------------------------------


def _signed_referral(ref: _Referral) -> bool:
    """A referral with a signed DS, or without DS but with a signed denial."""
    if ref.ds is not None:
        return bool(ref.ds.sigs)
    return any(r.sigs for r in ref.denial)


def _same(a: RRset, b: RRset) -> bool:
    return a.same_data(b)


def _addresses(rrsets: Sequence[RRset]) -> list[Server]:
    out: list[Server] = []
    for rrset in rrsets:
        for rd in rrset.rdatas:
            if isinstance(rd, A | AAAA):
                out.append((rd.to_text(), 53))
    return out


def _response(
    qname: Name, qtype: int, rcode: int, answer: Sequence[RRset], authority: Sequence[RRset]
) -> Message:
    return Message(
        id=0,
        flags=FLAG_QR | FLAG_RD | FLAG_RA | FLAG_CD,
        rcode=rcode,
        question=(Question(qname, qtype),),
        answer=answer,
        authority=authority,
        edns=Edns(flags=EDNS_DO),
    )


def _classify(resp: Message, zone: Name, qname: Name, qtype: int) -> tuple[str, Name | None]:
    """Answer (final for this question), referral (to the zone returned) or lame."""
    if resp.answer or resp.rcode != Rcode.NOERROR:
        return _ANSWER, None
    if any(r.rrtype == RRType.SOA for r in resp.authority):
        return _ANSWER, None
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
        return _REFERRAL, best
    if has_ns and not resp.aa:
        return _LAME, None
    return _ANSWER, None


#: Types that may stand beside a CNAME (RFC 4035 2.5: RRSIG and NSEC).
_WITH_CNAME = frozenset({RRType.CNAME, RRType.RRSIG, RRType.NSEC})


def _walk_answer(
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
                cname = _synthesize(dname, cur)
        if cname is None:
            return out, (cur if out else None)
        out.append(cname)
        targets = [rd.target for rd in cname.rdatas if isinstance(rd, CNAME)]
        if not targets or targets[0] in seen:
            return out, None  # broken or looping chain: the validator judges it
        cur = targets[0]
        seen.add(cur)


def _synthesize(dname: RRset, name: Name) -> RRset | None:
    """The CNAME that ``dname`` synthesises for ``name`` (RFC 6672 2.2)."""
    target = dname_target(dname, name)
    if target is None:
        return None
    return RRset(name, RRType.CNAME, dname.rrclass, dname.ttl, [CNAME(target)])
