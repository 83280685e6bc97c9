"""Speculative chain prefetch for stub mode: guess the DS and DNSKEY sets a
cold validation will ask for and send them with the question.

A cold stub lookup takes two round trips: the answer, then (in parallel)
every DS and DNSKEY set of the chain of trust, which the validator can only
name once it has seen the answer's signer.  The signer is usually the
registered domain or one of its ancestors, so the sets of the qname's
ancestors can be asked for in the first round: when the guess is right, the
lookup takes one round trip.  What a wrong guess costs is queries whose
answers the validation never reads.

Which sets (:func:`speculative_fetches`): for every suffix of the qname
from the closest trust anchor down to ``labels`` labels below the root (the
qname itself included when it is that short), the DNSKEY set, and the DS
set of each such name below the anchor; names whose keys the key cache
holds are skipped, and nothing is guessed below a cached zone that is not
secure, or for a name under a negative trust anchor.  With ``labels=2``
(:data:`DEFAULT_LABELS`), ``www.example.com`` adds DNSKEY ``.``, DS and
DNSKEY ``com.``, DS and DNSKEY ``example.com.``: five queries.  A zone cut
deeper than that still needs a second round; a shallower one wastes the
sets of the names that are not zones.
"""

from __future__ import annotations

from ..dnssec.chain import Validator
from ..dnssec.status import Status
from ..wire.message import Question
from ..wire.name import Name
from ..wire.types import RRType

__all__ = ["DEFAULT_LABELS", "MAX_LABELS", "speculative_fetches"]

#: Labels below the root the prefetch covers by default: the top-level and
#: the registered domain (see docs/performance.md for the measurements).
DEFAULT_LABELS = 2
#: The most a caller may ask for: each label costs two queries per cold lookup.
MAX_LABELS = 4


def speculative_fetches(
    question: Question, validator: Validator, now: int, labels: int
) -> list[tuple[Name, int]]:
    """The (name, type) pairs to send with ``question`` (see the module doc)."""
    if labels <= 0:
        return []
    qname = question.name
    anchors = validator.anchors
    anchor = anchors.closest(qname)
    if anchor is None or anchors.negative_for(qname) is not None:
        return []
    top = len(anchor.zone)
    deepest = min(len(qname), max(labels, top))
    cache = validator.key_cache
    start = top
    for depth in range(deepest, top - 1, -1):
        entry = cache.get(qname.suffix(depth), now)
        if entry is not None:
            if entry.status is not Status.SECURE:
                return []  # the walk stops there: nothing below is asked
            start = depth + 1
            break
    out: list[tuple[Name, int]] = []
    asked = (qname, question.rrtype)
    for depth in range(start, deepest + 1):
        zone = qname.suffix(depth)
        wanted = (
            [(zone, RRType.DNSKEY)] if depth == top else [(zone, RRType.DS), (zone, RRType.DNSKEY)]
        )
        out.extend(key for key in wanted if key != asked)
    return out
