"""The iterative engine's lookups as step generators: no sockets, no threads.

:meth:`IterativeEngine.lookup_steps` yields the queries it needs, one
:class:`~dnssec_lite.resolve.fetcher.Batch` at a time (to which server), is
sent their replies, and returns the response (or why there is none) with the
servers that supplied it.  Lookups of one validation round run side by side
(:func:`~dnssec_lite.resolve.iterative.parallel.gather`): each has its own
:class:`~dnssec_lite.resolve.iterative.common.Ctx` (budget, last source, loop
guard), and they share the engine's memory, as a recursive server's
requests share its caches.  :meth:`IterativeEngine.lookup` runs one lookup
through the engine's fetcher (for callers that are synchronous anyway).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Sequence

from ...dnssec.chain import FetchFailed
from ...errors import TransportError
from ...wire.message import Message, Question
from ...wire.name import ROOT, Name
from ...wire.rrset import RRset
from ...wire.types import Rcode, RRType
from ..exchange import Server
from ..fetcher import Batch, Fetcher, Reply, drive, monotonic
from .common import (
    ANSWER,
    ANSWER_RCODES,
    DENIAL_TYPES,
    FOLLOW_RCODES,
    LAME,
    MAX_CHAIN,
    MAX_NS_DEPTH,
    Budget,
    Ctx,
    Cut,
    Failure,
    LimitHit,
    ResponseKind,
    Source,
    addresses,
    classify,
    response,
    server_of,
    walk_answer,
)
from .minimise import Minimiser

log = logging.getLogger("dnssec_lite.resolve.iterative")

#: What a lookup returns: the response or why there is none, and the
#: (zone, server) pairs whose responses made it up.
LookupResult = tuple[Message | FetchFailed, list[Source]]


class IterativeEngine(Minimiser):
    """Resolve names iteratively from the root servers given.

    ``fetcher`` makes the exchanges of :meth:`lookup` (a
    :class:`~dnssec_lite.resolve.fetcher.Fetcher`, or an object with the
    older ``query(server, message, *, tcp=False)`` that raises
    :class:`~dnssec_lite.errors.TransportError`); :meth:`lookup_steps` needs
    none.  ``attempts`` and ``query_timeout`` (seconds, growing with each
    attempt) apply to each query; with ``skip_failed`` a server that failed
    every attempt is not asked again by this engine (an infrastructure
    cache's view, for one resolution).

    ``max_referrals`` and ``max_queries`` bound one lookup (the lookups of
    glueless name-server addresses included); ``timeout`` is the wall-clock
    budget of one lookup in seconds.  ``prime`` asks the root servers for
    ``. NS`` once and adds the addresses found to the list.
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
    The first ``MINIMISE_ONE_LAB`` steps add one label each, the rest are
    spread so that one question takes at most ``MAX_MINIMISE_COUNT``
    minimised queries.  A CNAME question keeps its qtype hidden too: the full
    name is asked with qtype A, whose answer holds the CNAME if there is one
    (then it is the answer); otherwise the CNAME query follows.
    """

    def __init__(
        self,
        fetcher: object | None,
        root_servers: Sequence[str | tuple[str, int]],
        *,
        max_referrals: int = 30,
        max_queries: int = 100,
        timeout: float = 30.0,
        prime: bool = True,
        signed_zones: Sequence[Name] = (),
        qname_minimisation: bool = False,
        attempts: int = 1,
        query_timeout: float = 2.0,
        skip_failed: bool = False,
        clock: Callable[[], float] = monotonic,
        max_chain: int = MAX_CHAIN,
    ) -> None:
        super().__init__([server_of(s) for s in root_servers], signed_zones)
        from .transports import as_fetcher

        self.fetcher: Fetcher | None = as_fetcher(fetcher)
        self.qname_minimisation = qname_minimisation
        self.max_referrals = max_referrals
        self.max_queries = max_queries
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.query_timeout = query_timeout
        self.skip_failed = skip_failed
        self.clock = clock
        #: Responses followed along a CNAME/DNAME chain (the validator's
        #: ``Limits.max_chain_links`` plus one).
        self.max_chain = max_chain
        self._prime_pending = prime
        self.queries_sent = 0
        #: Servers that failed every attempt (with ``skip_failed``).
        self.dead: set[Server] = set()

    # -- public -------------------------------------------------------------
    def lookup_steps(self, name: Name, rrtype: int) -> Generator[Batch, list[Reply], LookupResult]:
        """The answer to (``name``, ``rrtype``), or why there is none, as a
        step generator; it also returns the sources of the response."""
        ctx = Ctx(Budget(self.max_queries, self.max_referrals, self.timeout, self.clock))
        try:
            if self._prime_pending:
                self._prime_pending = False
                yield from self._prime(ctx)
            resp = yield from self._lookup(ctx, name, rrtype, 0)
            return resp, ctx.sources
        except Failure as exc:
            log.debug("lookup %s %s failed: %s", name, RRType.to_text(rrtype), exc)
            return FetchFailed(str(exc)), ctx.sources

    def lookup(self, name: Name, rrtype: int) -> Message | FetchFailed:
        """:meth:`lookup_steps` run through the engine's fetcher; the sources
        are kept for :meth:`take_sources`."""
        if self.fetcher is None:
            raise TypeError("IterativeEngine.lookup needs a fetcher; use lookup_steps")
        result, sources = drive(self.lookup_steps(name, rrtype), self.fetcher)
        self._sources += sources
        return result

    # -- chain following ----------------------------------------------------
    def _lookup(
        self, ctx: Ctx, name: Name, rrtype: int, depth: int
    ) -> Generator[Batch, list[Reply], Message]:
        chain: list[RRset] = []
        denials: list[RRset] = []
        seen: set[Name] = {name}
        qname = name
        final: Message | None = None
        for _ in range(self.max_chain):
            try:
                resp = yield from self._resolve(ctx, qname, rrtype, depth)
            except Failure:
                if final is None:
                    raise
                break  # keep what the previous link gave
            if depth == 0 and ctx.last is not None:
                ctx.sources.append(ctx.last)
            bailiwick = ctx.last[0] if ctx.last is not None else None
            links, nxt = walk_answer(resp, qname, rrtype, seen, bailiwick)
            self._remember_denials(ctx, resp)
            if nxt is not None:
                # A link that is not the last: keep its NSEC/NSEC3 records
                # for the final answer (the wildcard proof of an expanded
                # link, or a proof about the chain's next zone), as Unbound
                # prepends them (iterator handle_cname_response).
                denials += [r for r in resp.authority if r.rrtype in DENIAL_TYPES]
            for rrset in links:
                if not any(r is rrset or r.same_data(rrset) for r in chain):
                    chain.append(rrset)
            final = resp
            # A CNAME link keeps being followed under an NXDOMAIN rcode (some
            # servers set it from the chain's end, as RFC 6604 allows); the
            # final link's response gives the rcode.
            if nxt is None or resp.rcode not in FOLLOW_RCODES:
                break
            qname = nxt
        assert final is not None
        authority = list(final.authority)
        for rrset in denials:
            if not any(r.same_data(rrset) for r in authority):
                authority.append(rrset)
        return response(name, rrtype, final.rcode, chain, authority)

    # -- one question, iteratively -----------------------------------------
    def _resolve(
        self, ctx: Ctx, qname: Name, qtype: int, depth: int
    ) -> Generator[Batch, list[Reply], Message]:
        ctx.last = None
        budget = ctx.budget
        is_ds = qtype == RRType.DS and not qname.is_root()
        if is_ds:
            ref = self._usable_referral(qname)
            if ref is not None and ref.ds is not None:
                log.debug("DS %s answered from a cached referral", qname)
                ctx.last = ref.source
                return response(qname, qtype, Rcode.NOERROR, [ref.ds], [])
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
                    step = self._minimised(ctx, qname, qtype, zone, known, steps)
                    if isinstance(step, Message):
                        return step
                    if step is None or zone in self._minimise_failed:
                        minimise = False
                    else:
                        ask_name, ask_type = step
                if (ask_name, ask_type) == (qname, qtype):
                    budget.referral()
                    try:
                        resp, kind, child = yield from self._ask_zone(
                            ctx, zone, qname, qtype, depth
                        )
                    except Failure:
                        if hidden is None:
                            raise
                        # The CNAME came with another rcode (the target's)
                        # and the CNAME question has no answer of its own.
                        ctx.last = hidden_source
                        return hidden.replace(rcode=Rcode.NOERROR, authority=())
                else:
                    steps += 1
                    # A minimised query goes to the servers whose addresses
                    # are known (no name-server lookups for it): when they
                    # all fail, the full question follows.
                    probe_depth = MAX_NS_DEPTH if self._cuts[zone].addresses else depth
                    try:
                        resp, kind, child = yield from self._ask_zone(
                            ctx, zone, ask_name, ask_type, probe_depth
                        )
                    except LimitHit:
                        raise
                    except Failure as exc:
                        # Relaxed mode: a minimised query nobody answers
                        # usably gives way to the full question.
                        log.debug("minimised %s failed (%s): asking the full name", ask_name, exc)
                        self._minimise_failed.add(zone)
                        minimise = False
                        continue
                    if kind is ANSWER:
                        self._note_dnames(ctx, resp)
                        done = self._minimised_answer(resp, qname, qtype, ask_name)
                        if done is not None:
                            return done
                        if ask_name == qname:
                            # Hidden CNAME qtype: ask it now.  A CNAME that
                            # came under another rcode (relaxed: ask again)
                            # stands if the CNAME question gets no answer.
                            minimise = False
                            if resp.find(resp.answer, qname, RRType.CNAME) is not None:
                                hidden, hidden_source = resp, ctx.last
                        known = len(ask_name.labels)
                        continue
                    budget.referral()
                if kind is ANSWER:
                    self._note_dnames(ctx, resp)
                    return resp
                assert child is not None
                self._learn_referral(resp, child, ctx.last)
                if is_ds and child == qname:
                    return self._ds_from_referral(ctx, qname)
                zone = child
                known = max(known, len(child.labels))
        except Failure:
            if is_ds and self._usable_referral(qname) is not None:
                return self._ds_from_referral(ctx, qname)
            seen = self._nsec.get(qname) if is_ds else None
            if seen is not None and (seen[1] is None or seen[1] not in self._excluded):
                log.debug("DS %s: answered with an NSEC seen earlier", qname)
                ctx.last = seen[1]
                return response(qname, qtype, Rcode.NOERROR, [], [seen[0]])
            raise

    # -- the servers of a zone ------------------------------------------------
    def _ask_zone(
        self, ctx: Ctx, zone: Name, qname: Name, qtype: int, depth: int
    ) -> Generator[Batch, list[Reply], tuple[Message, ResponseKind, Name | None]]:
        cut = self._cuts[zone]
        tried: set[Server] = set()
        #: The first DNSSEC-lame response (used only if no server does better).
        fallback: tuple[Message, Server, ResponseKind, Name | None] | None = None
        problem = "no server address"
        index = 0
        #: Servers demoted for bogus data: asked only when no other is left.
        deferred: list[Server] = []
        now = self.clock() if self._demoted else 0.0
        while True:
            if index >= len(cut.addresses):
                more = yield from self._more_addresses(ctx, cut, depth)
                if more:
                    continue
                if not deferred:
                    break
                server = deferred.pop(0)
            else:
                server = cut.addresses[index]
                index += 1
                if server in tried or (zone, server) in self._excluded:
                    continue
                if self._demoted and self.demoted(zone, server, now):
                    if server not in deferred:
                        deferred.append(server)
                    continue
            if server in tried:
                continue
            tried.add(server)
            try:
                resp = yield from self._send(ctx, server, qname, qtype)
            except TransportError as exc:
                problem = str(exc)
                continue
            if resp.rcode not in ANSWER_RCODES:
                problem = f"{server[0]}: {Rcode.to_text(resp.rcode)}"
                continue
            kind, child = classify(resp, zone, qname, qtype)
            if kind is LAME:
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
            return self._used(ctx, zone, server, resp, kind), kind, child
        if fallback is not None:
            resp, server, kind, child = fallback
            log.debug(
                "every server of %s is DNSSEC-lame, using the response of %s#%d",
                zone,
                server[0],
                server[1],
            )
            return self._used(ctx, zone, server, resp, kind), kind, child
        raise Failure(f"no usable answer from the servers of {zone.to_text()} ({problem})")

    def _used(
        self, ctx: Ctx, zone: Name, server: Server, resp: Message, kind: ResponseKind
    ) -> Message:
        ctx.last = (zone, server)
        self._note_zone_ns(zone, resp)
        if kind is ANSWER:
            self._note_addresses(zone, resp)
        return resp

    def _more_addresses(
        self, ctx: Ctx, cut: Cut, depth: int
    ) -> Generator[Batch, list[Reply], bool]:
        """Resolve the address of the cut's next name server (False: none
        left to try).  A name server whose address another lookup is
        resolving right now is resolved by this one too (no waiting); one
        this lookup is resolving already is skipped (the loop guard)."""
        pending = [
            n
            for n in cut.ns_names
            if (n not in cut.resolved or cut.inflight.get(n)) and (cut.zone, n) not in ctx.started
        ]
        if not pending or depth >= MAX_NS_DEPTH:
            return False
        ns_name = pending[0]
        cut.resolved.add(ns_name)
        ctx.started.add((cut.zone, ns_name))
        if ns_name in ctx.resolving:
            return True
        cut.inflight[ns_name] = cut.inflight.get(ns_name, 0) + 1
        try:
            found = yield from self._ns_addresses(ctx, ns_name, depth)
        finally:
            cut.inflight[ns_name] -= 1
        for address in found:
            if address not in cut.addresses:
                cut.addresses.append(address)
        return True

    def _ns_addresses(
        self, ctx: Ctx, ns_name: Name, depth: int
    ) -> Generator[Batch, list[Reply], list[Server]]:
        known = self.known_addresses(ns_name)
        if known:
            log.debug("address of %s known from its zone's answers", ns_name)
            return known
        ctx.resolving.add(ns_name)
        try:
            found: list[Server] = []
            for rrtype in (RRType.A, RRType.AAAA):
                try:
                    resp = yield from self._lookup(ctx, ns_name, rrtype, depth + 1)
                except LimitHit:
                    raise
                except Failure as exc:
                    log.debug("address of %s (%s): %s", ns_name, RRType.to_text(rrtype), exc)
                    continue
                found += addresses(resp.answer)
                if found:
                    break
            return found
        finally:
            ctx.resolving.discard(ns_name)

    # -- queries ----------------------------------------------------------------
    def _send(
        self, ctx: Ctx, server: Server, qname: Name, qtype: int
    ) -> Generator[Batch, list[Reply], Message]:
        ctx.budget.query()
        self.queries_sent += 1
        query = Message.make_query(qname, qtype, do=True, cd=True, rd=False)
        log.debug("query %s %s to %s#%d", qname, RRType.to_text(qtype), server[0], server[1])
        resp = yield from self._exchange(server, query, False)
        if resp.tc:
            log.debug("truncated answer from %s, retrying over TCP", server[0])
            ctx.budget.query()
            self.queries_sent += 1
            resp = yield from self._exchange(server, query, True)
        if resp.question and resp.question[0] != Question(qname, qtype):
            raise TransportError(server[0], "answer to another question")
        return resp

    def _exchange(
        self, server: Server, query: Message, tcp: bool
    ) -> Generator[Batch, list[Reply], Message]:
        """One query to one server, with the attempts configured; raises the
        last :class:`TransportError`."""
        if server in self.dead:
            raise TransportError(str(server), "not asked: it failed earlier in this resolution")
        last: TransportError | None = None
        for attempt in range(self.attempts):
            [reply] = yield Batch([(server, query)], self.query_timeout * (attempt + 1), tcp)
            if isinstance(reply, Message):
                return reply
            last = reply
            if not isinstance(reply, TimeoutError):
                break
        assert last is not None
        if self.skip_failed:
            self.dead.add(server)
        raise last

    def _prime(self, ctx: Ctx) -> Generator[Batch, list[Reply], None]:
        root = self._cuts[ROOT]
        for server in list(root.addresses):
            try:
                resp = yield from self._send(ctx, server, root.zone, RRType.NS)
            except TransportError:
                continue
            if self._learn_root_ns(resp):
                return
