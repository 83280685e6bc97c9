"""A cache of validated DNAME RRsets that answers names below them.

RFC 6672 section 3.4: a resolver that holds a DNAME may synthesise the CNAME
for any name below its owner instead of asking.  A DNAME that validated
(even inside an answer that proved bogus for another reason, say a spoofed
CNAME beside it) is kept for its TTL; a lookup below it is then answered
with the DNAME and the synthesised CNAME, which the validator checks like a
server's answer (the DNAME's signature, and the CNAME against it), so the
answer is exactly as secure as the DNAME was.  Synthesised CNAMEs are never
kept on their own: once the DNAME expires, the servers are asked again.

Sans-I/O: every call takes ``now``.
"""

from __future__ import annotations

from ..wire.edns import EDNS_DO, Edns
from ..wire.message import Message, Question
from ..wire.name import Name
from ..wire.rdata.names import CNAME
from ..wire.rrset import RRset
from ..wire.types import FLAG_CD, FLAG_QR, FLAG_RA, RRClass, RRType
from .sections import dname_target

__all__ = ["DnameCache"]


class DnameCache:
    """Validated DNAME RRsets by owner, each with its expiry time."""

    def __init__(self, max_entries: int = 1024) -> None:
        self.max_entries = max_entries
        self._entries: dict[Name, tuple[RRset, int]] = {}

    def add(self, dname: RRset, now: int, ttl: int) -> None:
        """Keep ``dname`` (validated by the caller) for ``min(ttl, its TTL)``."""
        if dname.rrtype != RRType.DNAME:
            raise ValueError(f"not a DNAME RRset: {dname.name.to_text()}")
        life = min(ttl, dname.ttl)
        if life <= 0:
            return
        self._entries.pop(dname.name, None)
        self._entries[dname.name] = (dname, now + life)
        while len(self._entries) > self.max_entries:
            del self._entries[next(iter(self._entries))]

    def covering(self, name: Name, now: int) -> RRset | None:
        """The unexpired DNAME whose owner is the closest strict ancestor of
        ``name``, its TTL lowered to what is left."""
        if not self._entries:
            return None
        probe = name
        while not probe.is_root():
            probe = probe.parent()
            item = self._entries.get(probe)
            if item is None:
                continue
            rrset, expires = item
            if now >= expires:
                del self._entries[probe]
                continue
            return RRset(
                rrset.name, rrset.rrtype, rrset.rrclass, expires - now, rrset.rdatas, rrset.sigs
            )
        return None

    def synthesize(self, question: Question, now: int) -> Message | None:
        """A response for ``question`` from a cached DNAME above its name:
        the DNAME and the CNAME it implies, shaped like the iterative
        engine's (``QR RA CD``, DO), or None without such a DNAME (or when
        the substituted name would be too long: RFC 6672 YXDOMAIN, left to
        the servers)."""
        if question.rrtype == RRType.DNAME and question.name in self._entries:
            return None
        dname = self.covering(question.name, now)
        if dname is None:
            return None
        target = dname_target(dname, question.name)
        if target is None:
            return None
        cname = RRset(question.name, RRType.CNAME, RRClass.IN, dname.ttl, [CNAME(target)])
        return Message(
            id=0,
            flags=FLAG_QR | FLAG_RA | FLAG_CD,
            question=(question,),
            answer=(dname, cname),
            edns=Edns(flags=EDNS_DO),
        )

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
