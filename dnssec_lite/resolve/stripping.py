"""DNSSEC-stripping detection, for both modes.

An upstream (stub mode) or a root server (iterative mode) that strips
DNSSEC records makes a signed answer look BOGUS for missing RRSIGs, DNSKEYs
or NSECs.  :func:`suspicious` says when an answer may be such a case; the
server is then probed with a DO=1 query for the trust-anchor zone's DNSKEY
set, which is always signed, and :func:`probe_problem` reads the reply.  When
every server strips, :func:`all_strip` turns the BOGUS answer into an
INDETERMINATE one that says so (never a bare BOGUS).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from ..dnssec.chain import KeyCache, Validator
from ..dnssec.status import Answer, Reason, Status
from ..wire.message import Message
from ..wire.name import Name
from ..wire.types import EDE, Rcode, RRType
from .exchange import Server, stripping_problem

__all__ = ["STRIPPING_EDE", "all_strip", "fresh_validator", "probe_problem", "suspicious"]

#: EDE codes of a BOGUS answer that may come from a server stripping DNSSEC.
STRIPPING_EDE = frozenset({EDE.DNSKEY_MISSING, EDE.RRSIGS_MISSING, EDE.NSEC_MISSING})


def suspicious(answer: Answer) -> bool:
    """A BOGUS answer whose reason may come from stripped DNSSEC records."""
    return (
        answer.status is Status.BOGUS
        and answer.reason is not None
        and answer.reason.ede in STRIPPING_EDE
    )


def probe_problem(query: Message, reply: Message, zone: Name) -> str | None:
    """Signs of stripping in the reply to a DO=1 query for ``zone``'s DNSKEY
    set (a trust-anchor zone, hence signed): DO not echoed, or no RRSIGs."""
    problem = stripping_problem(query, reply)
    if problem is not None:
        return problem
    keys = reply.get_answer(zone, RRType.DNSKEY)
    if reply.rcode == Rcode.NOERROR and (keys is None or not keys.sigs):
        what = "DNSKEY set" if keys is not None else "DNSKEY answer"
        return f"RRSIGs missing: the {what} of {zone.to_text()} came back unsigned"
    return None


def all_strip(
    answer: Answer, servers: Sequence[Server], why: Mapping[Server, str], what: str
) -> Answer:
    """Every one of ``servers`` strips DNSSEC: say so, rather than a bare
    BOGUS (``what``: "upstream" or "root server")."""
    names = ", ".join(str(s) for s in servers)
    details = "; ".join(f"{s}: {text}" for s, text in why.items())
    ede: int = EDE.RRSIGS_MISSING
    if answer.reason is not None and answer.reason.ede in STRIPPING_EDE:
        ede = answer.reason.ede
    reason = Reason(
        ede,
        f"every {what} ({names}) strips DNSSEC records: {details}",
        answer.question.name,
        answer.question.rrtype,
    )
    return dataclasses.replace(answer, status=Status.INDETERMINATE, reason=reason)


def fresh_validator(like: Validator) -> Validator:
    """A validator with ``like``'s settings (anchors, limits, policy,
    ``ignore_time``, ``override_date``, the harden options) and an empty key cache: the one way a
    retry after stripping or a restart gets its validator."""
    return Validator(
        like.anchors,
        limits=like.limits,
        policy=like.policy,
        key_cache=KeyCache(),
        ignore_time=like.ignore_time,
        override_date=like.override_date,
        harden_algo_downgrade=like.harden_algo_downgrade,
        harden_dnssec_stripped=like.harden_dnssec_stripped,
    )
