"""Authoritative servers for a signed test hierarchy, without sockets.

Each zone of a :class:`~tests.helpers.zonesigner.Hierarchy` gets its own
server address; a query to a zone's address is answered authoritatively
from that zone (a referral, with glue pointing at the child's address, for
names below a cut; the DS of a child from the parent side), as the iterative
engine expects from real authoritative servers.  :class:`AuthNet` is a
one-query transport (``query(server, message, tcp=...)``), so that both the
engine of today (through the adapter) and the reference engine kept for the
differential tests run over it; ``log`` lists every query.
"""

from __future__ import annotations

from dnssec_lite.errors import QueryTimeout
from dnssec_lite.resolve.exchange import Server
from dnssec_lite.wire.edns import EDNS_DO, Edns
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.address import A
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import FLAG_AA, FLAG_QR, RRClass, RRType
from tests.helpers.fakenet import zone_answer
from tests.helpers.zonesigner import Hierarchy, Zone


def addresses(h: Hierarchy) -> dict[Name, str]:
    """The server address of each zone of ``h`` (fixed by the zones' names)."""
    apexes = sorted(h.zones, key=lambda apex: (len(apex.labels), apex))
    return {apex: f"10.53.{i // 250}.{i % 250 + 1}" for i, apex in enumerate(apexes)}


class AuthNet:
    """Every zone of ``h`` on its own address (see the module doc)."""

    def __init__(self, h: Hierarchy) -> None:
        self.h = h
        self.address = addresses(h)
        self.by_address: dict[str, Zone] = {a: h.zones[apex] for apex, a in self.address.items()}
        self.log: list[tuple[str, str, int, bool]] = []
        self.dead: set[str] = set()

    @property
    def roots(self) -> list[str]:
        return [self.address[Name.from_text(".")]]

    def query(self, server: tuple[str, int], message: Message, *, tcp: bool = False) -> Message:
        q = message.question[0]
        self.log.append((server[0], q.name.to_text().lower(), q.rrtype, tcp))
        zone = self.by_address.get(server[0])
        if zone is None or server[0] in self.dead:
            raise QueryTimeout(str(Server(server[0], server[1])), "no answer")
        rcode, answer, authority, _next = zone_answer(zone, q.name, q.rrtype)
        additional: list[RRset] = []
        flags = FLAG_QR | FLAG_AA
        cut = zone.below_cut(q.name)
        if cut is not None and not (q.name == cut and q.rrtype == RRType.DS):
            flags = FLAG_QR  # a referral
            child = self.address.get(cut)
            if child is not None:
                ns = cut.child(b"ns1")
                additional.append(
                    RRset(ns, RRType.A, RRClass.IN, 3600, [A.from_text([child], cut)])
                )
        return Message(
            id=message.id,
            flags=flags,
            rcode=rcode,
            question=message.question,
            answer=answer,
            authority=authority,
            additional=additional,
            edns=Edns(flags=EDNS_DO),
        )
