"""QNAME minimisation (RFC 9156, relaxed mode as in Unbound's default): which
shorter name to ask next, and what an answer to a minimised query means.
No I/O; see :class:`~dnssec_lite.resolve.iterative.engine.IterativeEngine`
for the behaviour as a whole."""

from __future__ import annotations

import logging

from ...dnssec.chain import find_dname
from ...wire.message import Message
from ...wire.name import Name
from ...wire.types import Rcode, RRType
from .common import MAX_MINIMISE_COUNT, MINIMISE_ONE_LAB, Ctx, response, synthesize
from .memory import Memory

log = logging.getLogger("dnssec_lite.resolve.iterative")


class Minimiser(Memory):
    """The minimisation decisions, on top of the engine's memory."""

    def _minimised(
        self, ctx: Ctx, qname: Name, qtype: int, zone: Name, known: int, steps: int
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
                cname = synthesize(seen[0], qname)
                if cname is not None:
                    log.debug("%s: below the DNAME %s seen earlier", qname, owner)
                    ctx.last = seen[1]
                    return response(qname, qtype, Rcode.NOERROR, [seen[0], cname], [])
        if nxt < total:
            return qname.suffix(nxt), RRType.A
        if qtype == RRType.CNAME:
            return qname, RRType.A  # the A answer holds the CNAME, if any
        return qname, qtype

    @staticmethod
    def _minimised_answer(resp: Message, qname: Name, qtype: int, asked: Name) -> Message | None:
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
            cname = synthesize(dname, qname)
            if cname is not None:
                # RFC 9156 section 3 (6b): as if the DNAME came for the name.
                return response(qname, qtype, Rcode.NOERROR, [dname, cname], [])
        return None
