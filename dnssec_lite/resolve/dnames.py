"""Answers below a cached DNAME, for both resolvers (RFC 6672 section 3.4).

A SECURE answer's DNAME RRsets go into a
:class:`~dnssec_lite.dnssec.dnamecache.DnameCache`.  A later question for a
name below such a DNAME is not sent anywhere: the resolver synthesises the
DNAME and CNAME, resolves the CNAME's target as any question (perhaps from
its caches), and validates the whole chain again, so the answer is exactly
as secure as the DNAME and the target's answer are.  When that validation
would need fetches (the DNAME's keys have left the key cache), the question
is resolved the usual way.
"""

from __future__ import annotations

from ..dnssec.chain import Validator
from ..dnssec.dnamecache import DnameCache
from ..dnssec.status import Answer, Status
from ..wire.message import Message, Question
from ..wire.rdata.names import CNAME
from ..wire.types import Rcode, RRType

__all__ = ["combine", "learn", "plan"]


def learn(dnames: DnameCache, answer: Answer, now: int) -> None:
    """Keep the DNAMEs of a SECURE answer (for at most its TTL)."""
    if answer.status is not Status.SECURE:
        return
    for rrset in answer.rrsets:
        if rrset.rrtype == RRType.DNAME:
            dnames.add(rrset, now, answer.ttl)


def plan(
    dnames: DnameCache, question: Question, now: int
) -> tuple[Message, Question | None] | None:
    """The synthesised DNAME + CNAME for ``question`` and the question for
    the CNAME's target (None when the question asks for the CNAME itself),
    or None without a cached DNAME above the name."""
    synthesized = dnames.synthesize(question, now)
    if synthesized is None:
        return None
    cname = synthesized.answer[-1]
    target = next((rd.target for rd in cname.rdatas if isinstance(rd, CNAME)), None)
    if target is None or question.rrtype == RRType.CNAME:
        return synthesized, None
    return synthesized, Question(target, question.rrtype, question.rrclass)


def combine(
    validator: Validator,
    question: Question,
    synthesized: Message,
    target: Answer | None,
    now: int,
) -> Answer | None:
    """The validated answer to ``question`` from the synthesised records and
    the target's answer; None if validating it would need a fetch."""
    if target is not None and target.status is Status.BOGUS:
        assert target.reason is not None
        return Answer(question, Rcode.SERVFAIL, Status.BOGUS, reason=target.reason, ttl=target.ttl)
    response = synthesized
    if target is not None:
        answer = list(synthesized.answer)
        answer += [r for r in target.rrsets if not any(r.same_data(a) for a in answer)]
        response = synthesized.replace(
            rcode=target.rcode, answer=tuple(answer), authority=tuple(target.denial)
        )
    job = validator.start(question, response, now)
    return job.answer
