"""The chain of trust as a sans-I/O job.

``Validator.start(question, response, now)`` returns a :class:`ValidationJob`
that says which (name, type) lookups it still needs (:meth:`pending`) and
takes their results (:meth:`feed`) until :attr:`ValidationJob.answer` is set.
The driver -- sync sockets, asyncio, a recorded vector or a test double --
does all the I/O; independent fetches come out together so that it can send
them in parallel.

Internally the validation is written as a generator that yields the lists of
fetches it needs; the job resumes it when all of them have been fed.  Zone
cuts are found top-down from the closest trust anchor: a DS query for each
name between the last known secure zone and the target (RFC 4035 5.2), which
never asks a name below a proven insecure delegation.

This module is the public entry and the driver adapter only.  The job's
work is inherited, one module per job: ``answer`` (the answer and its
CNAME/DNAME chain) on top of ``denial`` (NSEC/NSEC3 denials) on top of
``trustwalk`` (the walk down to a zone's keys).  Base classes rather than
functions taking the job keep every call on the warm path a plain method
call.  ``Fetch`` and friends, ``KeyCache`` and ``KeyEntry``, and the helpers
on messages used by the iterative engine are re-exported from here.
"""

from __future__ import annotations

from collections.abc import Callable

from ..wire.message import Question
from ..wire.name import Name
from ..wire.rrset import RRset
from .algorithms import DEFAULT_POLICY, AlgorithmPolicy
from .answer import AnswerCheck
from .fetch import Fetch, FetchFailed, FetchResult
from .keycache import KeyCache, KeyEntry
from .limits import DEFAULT_LIMITS, Limits, verification_cap
from .rrsig import Budget
from .sections import cname_first, dname_target, find_dname
from .status import Answer, ChainLink
from .trust import TrustAnchors

#: (the trust point's DNSKEY RRset, now) -> why the anchors are out of date, or None.
AnchorDiagnosis = Callable[[RRset, int], str | None]


class Validator:
    """Holds the configuration shared by many validations."""

    def __init__(
        self,
        anchors: TrustAnchors,
        *,
        limits: Limits = DEFAULT_LIMITS,
        policy: AlgorithmPolicy = DEFAULT_POLICY,
        key_cache: KeyCache | None = None,
        ignore_time: bool = False,
        override_date: int | None = None,
        anchor_diagnosis: AnchorDiagnosis | None = None,
        harden_algo_downgrade: bool = False,
        harden_dnssec_stripped: bool = True,
    ) -> None:
        self.anchors = anchors
        self.limits = limits
        self.policy = policy
        self.key_cache = key_cache if key_cache is not None else KeyCache()
        self.ignore_time = ignore_time
        #: Check RRSIG validity periods at this POSIX time instead of the
        #: ``now`` given to :meth:`start` (Unbound's ``val-override-date``);
        #: ``now`` still ages the key cache.
        self.override_date = override_date
        #: Asked when a trust anchor's own DNSKEY RRset fails to validate:
        #: a reason text turns the BOGUS into INDETERMINATE (stale anchors).
        self.anchor_diagnosis = anchor_diagnosis
        #: Unbound's ``harden-algo-downgrade``.  Off (the default, as in
        #: Unbound and RFC 6840 section 5.11): one supported algorithm and
        #: one supported DS digest that validate are enough.  On: only the
        #: strongest DS digest type counts (RFC 4509 section 3) and every
        #: algorithm the DS set (or the anchor) announces must sign the
        #: DNSKEY RRset and each RRset of the zone.
        self.harden_algo_downgrade = harden_algo_downgrade
        #: Unbound's ``harden-dnssec-stripped``.  On (the default): a zone
        #: with a DS whose DNSKEY RRset cannot be fetched is BOGUS.  Off: such
        #: a zone is INSECURE -- dangerous, an on-path attacker who drops the
        #: DNSKEY answers turns a signed zone into an unsigned one.
        self.harden_dnssec_stripped = harden_dnssec_stripped

    def start(self, question: Question, response: FetchResult, now: int) -> ValidationJob:
        return ValidationJob(self, question, response, now)


def _cap(limits: Limits, response: FetchResult) -> int:
    """The verification cap for ``response`` (0, the default, for the usual
    small response: counted only when it holds many RRsets)."""
    if isinstance(response, FetchFailed):
        return 0
    answer = response.answer
    authority = response.authority
    if len(answer) + len(authority) <= limits.free_rrsets:
        return 0
    signed = sum(1 for r in answer if r.sigs) + sum(1 for r in authority if r.sigs)
    return verification_cap(limits, signed)


class ValidationJob(AnswerCheck):
    """One validation in progress; see the module docstring for the loop."""

    def __init__(
        self, validator: Validator, question: Question, response: FetchResult, now: int
    ) -> None:
        self.validator = validator
        self.question = question
        self.response = response
        # ``now`` ages the key cache; signatures are checked at ``sig_time``.
        self.now = now
        override = validator.override_date
        self.sig_time = now if override is None else override
        self.limits = validator.limits
        self.policy = validator.policy
        self.budget = Budget(_cap(self.limits, response))
        self.results: dict[Fetch, FetchResult] = {}
        self._asked: list[Fetch] = []
        self._outstanding: set[Fetch] = set()
        self._rcode: int | None = None
        self._chain: dict[Name, ChainLink] = {}
        # A warm answer is settled without starting a generator at all.
        started = self._start_answer()
        if isinstance(started, Answer):
            self.answer: Answer | None = started
        else:
            self.answer = None
            self._gen = started
            self._resume()

    # -- driver interface ------------------------------------------------------
    def pending(self) -> list[Fetch]:
        """Fetches wanted now and not yet fed (independent of each other)."""
        return [f for f in self._asked if f not in self.results]

    def feed(self, fetch: Fetch, result: FetchResult) -> None:
        """Give the result of one fetch; resumes the work when all are in."""
        if self.answer is not None:
            return
        # Sizes before and after tell what changed: each hash of a fetch
        # hashes its name in Python, so two lookups instead of four.
        results = self.results
        known = len(results)
        results[fetch] = result
        if len(results) != known:  # the first result for this fetch
            outstanding = self._outstanding
            waiting = len(outstanding)
            outstanding.discard(fetch)
            if len(outstanding) != waiting and not outstanding:
                self._resume()

    @property
    def fetch_count(self) -> int:
        return len(self.results)

    def _resume(self) -> None:
        while True:
            try:
                wanted = next(self._gen)
            except StopIteration as done:
                self.answer = done.value
                return
            self._asked = wanted
            # TrustWalk._need yields only fetches without a result, each once.
            self._outstanding = set(wanted)
            if self._outstanding:
                return


__all__ = [
    "AnchorDiagnosis",
    "Fetch",
    "FetchFailed",
    "FetchResult",
    "KeyCache",
    "KeyEntry",
    "ValidationJob",
    "Validator",
    "cname_first",
    "dname_target",
    "find_dname",
]
