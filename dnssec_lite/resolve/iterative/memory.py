"""What the iterative engine remembers between lookups, and its judgments
of responses: zone cuts and their servers (the delegation cache), the DS or
denial seen in referrals, signed NSECs and DNAMEs seen, in-bailiwick
addresses of names, the zone-side NS RRsets, DNSSEC-lame servers and the
servers left out for a restart.  No I/O: the step methods of
:class:`~dnssec_lite.resolve.iterative.engine.IterativeEngine` call these."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ...wire.message import Message
from ...wire.name import ROOT, Name
from ...wire.rdata.names import NS
from ...wire.rrset import RRset
from ...wire.types import Rcode, RRType
from ..exchange import Server
from .common import (
    ANSWER,
    DENIAL_TYPES,
    Ctx,
    Cut,
    Referral,
    ResponseKind,
    Source,
    addresses,
    response,
    server_of,
    signed_referral,
)

log = logging.getLogger("dnssec_lite.resolve.iterative")

#: How long a server that sent bogus data is asked only after the others
#: of its zone (Unbound's infra-host-ttl: 900 s).
DEMOTION_SECONDS = 900.0


class Memory:
    """The engine's caches (see the module docstring)."""

    def __init__(self, roots: Sequence[Server], signed_zones: Sequence[Name]) -> None:
        self._cuts: dict[Name, Cut] = {ROOT: Cut(ROOT, addresses=list(roots))}
        self._referrals: dict[Name, Referral] = {}
        self._nsec: dict[Name, tuple[RRset, Source | None]] = {}
        #: Zones known to be signed (e.g. trust-anchor points): an answer from
        #: them without any RRSIG comes from a DNSSEC-lame server.
        self.signed_zones: set[Name] = set(signed_zones)
        self._excluded: set[Source] = set()
        #: (zone, server) pairs that sent bogus data, with the time (on the
        #: engine's clock) until which they are asked only after the others.
        self._demoted: dict[Source, float] = {}
        self._zone_ns: dict[Name, RRset] = {}
        self._sources: list[Source] = []
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
    def exclude(self, zone: Name, server: tuple[str, int]) -> None:
        """Do not ask ``server`` about ``zone`` (it supplied bogus data) until
        :meth:`clear_exclusions`.  The referral DS/denials, NSECs and DNAMEs
        it gave are dropped (learnt again from whoever is asked next)."""
        source = (zone, server_of(server))
        self._excluded.add(source)
        for child, ref in list(self._referrals.items()):
            if ref.source == source:
                del self._referrals[child]
        for owner, (_rrset, seen) in list(self._nsec.items()):
            if seen == source:
                del self._nsec[owner]
        for owner, (_rrset, seen) in list(self._dnames.items()):
            if seen == source:
                del self._dnames[owner]

    def clear_exclusions(self, now: float | None = None) -> None:
        """End the exclusions of a question.  With ``now``, each excluded
        server stays demoted (asked after the zone's other servers) until
        ``now + DEMOTION_SECONDS`` (Unbound's infra-host-ttl), then is asked
        as before, so that a fixed server is used again."""
        if now is not None:
            for source in self._excluded:
                self._demoted[source] = now + DEMOTION_SECONDS
        self._excluded.clear()

    def demoted(self, zone: Name, server: Server, now: float) -> bool:
        """Whether ``server`` is demoted for ``zone`` at ``now``."""
        until = self._demoted.get((zone, server))
        if until is None:
            return False
        if now >= until:
            del self._demoted[(zone, server)]
            return False
        return True

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
        cut = self._cuts.setdefault(zone, Cut(zone))
        for spec in servers:
            address = server_of(spec)
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

    # -- noting what responses said -----------------------------------------
    def _note_dnames(self, ctx: Ctx, resp: Message) -> None:
        for rrset in resp.answer:
            if rrset.rrtype == RRType.DNAME:
                old = self._dnames.get(rrset.name)
                if old is None or rrset.sigs or not old[0].sigs:
                    self._dnames[rrset.name] = (rrset, ctx.last)

    def _remember_denials(self, ctx: Ctx, resp: Message) -> None:
        for rrset in resp.authority:
            if rrset.rrtype == RRType.NSEC and rrset.sigs:
                self._nsec[rrset.name] = (rrset, ctx.last)

    def _usable_referral(self, zone: Name) -> Referral | None:
        ref = self._referrals.get(zone)
        if ref is None or (ref.source is not None and ref.source in self._excluded):
            return None
        return ref

    def _ds_from_referral(self, ctx: Ctx, qname: Name) -> Message:
        ref = self._referrals[qname]
        ctx.last = ref.source
        if ref.ds is not None:
            return response(qname, RRType.DS, Rcode.NOERROR, [ref.ds], [])
        log.debug("DS %s: no DS in the referral, answering with its denial", qname)
        return response(qname, RRType.DS, Rcode.NOERROR, [], list(ref.denial))

    def _closest_cut(self, name: Name) -> Name:
        for count in range(len(name.labels), -1, -1):
            zone = name.suffix(count)
            if zone in self._cuts:
                return zone
        return ROOT

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
                found = addresses([rrset])
                key = (owner, rrset.rrtype)
                old = self._addresses.get(key)
                if found and (old is None or rank >= old[0]):
                    self._addresses[key] = (rank, found)

    def _learn_referral(self, resp: Message, child: Name, source: Source | None) -> None:
        ns_rrset = resp.find(resp.authority, child, RRType.NS)
        names = [rd.target for rd in ns_rrset.rdatas if isinstance(rd, NS)] if ns_rrset else []
        glue: list[Server] = []
        for rrset in resp.additional:
            if rrset.name in names:
                glue += addresses([rrset])
        cut = self._cuts.get(child)
        if cut is None:
            cut = self._cuts[child] = Cut(child)
        for ns_name in names:
            if ns_name not in cut.ns_names:
                cut.ns_names.append(ns_name)
        for address in glue:
            if address not in cut.addresses:
                cut.addresses.append(address)
        ds = resp.find(resp.authority, child, RRType.DS)
        denial = tuple(r for r in resp.authority if r.rrtype in DENIAL_TYPES)
        new = Referral(ds, denial, source)
        old = self._usable_referral(child)
        if old is not None and signed_referral(old) and not signed_referral(new):
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

    def _learn_root_ns(self, resp: Message) -> bool:
        """Priming: the root's NS names and their addresses (False: unusable)."""
        root = self._cuts[ROOT]
        ns_rrset = resp.get_answer(ROOT, RRType.NS)
        if resp.rcode != Rcode.NOERROR or ns_rrset is None:
            return False
        names = [rd.target for rd in ns_rrset.rdatas if isinstance(rd, NS)]
        for ns_name in names:
            if ns_name not in root.ns_names:
                root.ns_names.append(ns_name)
        for rrset in resp.additional:
            if rrset.name in names:
                for address in addresses([rrset]):
                    if address not in root.addresses:
                        root.addresses.append(address)
        return True

    # -- DNSSEC-lame judgments ---------------------------------------------
    def _known_signed(self, zone: Name) -> bool:
        """A trust-anchor zone, or one whose DS was seen signed in a referral."""
        if zone in self.signed_zones:
            return True
        ref = self._referrals.get(zone)
        return ref is not None and ref.ds is not None and bool(ref.ds.sigs)

    def _dnssec_lame_why(
        self, zone: Name, resp: Message, kind: ResponseKind, child: Name | None
    ) -> str | None:
        """Why a response of ``zone``'s server is DNSSEC-lame (None: it is not)."""
        if kind is ANSWER:
            return "answer without RRSIGs" if self._dnssec_lame(zone, resp) else None
        if child is None or not self._known_signed(zone):
            return None
        ds = resp.find(resp.authority, child, RRType.DS)
        if ds is not None:
            return None if ds.sigs else f"referral to {child.to_text()} with an unsigned DS"
        if any(r.sigs for r in resp.authority if r.rrtype in DENIAL_TYPES):
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
