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
"""

from __future__ import annotations

from collections.abc import Generator
from typing import NamedTuple

from ..wire.message import Message, Question
from ..wire.name import Name
from ..wire.rrset import RRset
from ..wire.types import EDE, Rcode, RRType
from . import nsec as nsec_proofs
from . import nsec3 as nsec3_proofs
from . import reasons
from .algorithms import DEFAULT_POLICY, AlgorithmPolicy
from .fetch import Fetch, FetchFailed, FetchResult
from .keycache import KeyCache, KeyEntry
from .limits import DEFAULT_LIMITS, Limits
from .rrsig import Budget, check_rrset
from .sections import (
    cname_first,
    cname_target,
    dname_target,
    find_dname,
    min_ttl,
    neg_ttl,
    negative_signer,
    proof_rrsets,
)
from .status import Answer, ChainLink, Reason, Status
from .trust import TrustAnchors
from .trustwalk import TrustWalk

# Enum members bound once: reading ``RRType.X`` costs an attribute lookup
# on the enum class, several times per validation on the hot paths.
_SECURE = Status.SECURE
_INSECURE = Status.INSECURE
_BOGUS = Status.BOGUS
_T_ANY = RRType.ANY
_T_CNAME = RRType.CNAME
_T_RRSIG = RRType.RRSIG
_T_DNAME = RRType.DNAME
_NOT_BESIDE_CNAME = (RRType.CNAME, RRType.RRSIG, RRType.NSEC)
_ANSWER_RCODES = (Rcode.NOERROR, Rcode.NXDOMAIN)


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
    ) -> None:
        self.anchors = anchors
        self.limits = limits
        self.policy = policy
        self.key_cache = key_cache if key_cache is not None else KeyCache()
        self.ignore_time = ignore_time

    def start(self, question: Question, response: FetchResult, now: int) -> ValidationJob:
        return ValidationJob(self, question, response, now)


class _Link(NamedTuple):
    """The outcome of one link of an answer (a named tuple: built per RRset)."""

    status: Status
    reason: Reason | None
    ttl: int


class ValidationJob(TrustWalk):
    """One validation in progress; see the module docstring for the loop."""

    def __init__(
        self, validator: Validator, question: Question, response: FetchResult, now: int
    ) -> None:
        self.validator = validator
        self.question = question
        self.response = response
        self.now = now
        self.limits = validator.limits
        self.policy = validator.policy
        self.budget = Budget()
        self.results: dict[Fetch, FetchResult] = {}
        self.answer: Answer | None = None
        self._asked: list[Fetch] = []
        self._outstanding: set[Fetch] = set()
        self._rcode: int | None = None
        self._chain: dict[Name, ChainLink] = {}
        self._gen = self._validate()
        self._resume()

    # -- driver interface ------------------------------------------------------
    def pending(self) -> list[Fetch]:
        """Fetches wanted now and not yet fed (independent of each other)."""
        return [f for f in self._asked if f not in self.results]

    def feed(self, fetch: Fetch, result: FetchResult) -> None:
        """Give the result of one fetch; resumes the work when all are in."""
        if self.answer is not None:
            return
        first = fetch not in self.results
        self.results[fetch] = result
        if first and fetch in self._outstanding:
            self._outstanding.discard(fetch)
            if not self._outstanding:
                self._resume()

    @property
    def fetch_count(self) -> int:
        return len(self.results)

    def _resume(self) -> None:
        while True:
            try:
                wanted = next(self._gen)
            except StopIteration:
                return
            self._asked = wanted
            self._outstanding = {f for f in wanted if f not in self.results}
            if self._outstanding:
                return

    def _finish(
        self,
        status: Status,
        reason: Reason | None,
        rcode: int,
        rrsets: list[RRset],
        denial: list[RRset],
        ttl: int,
    ) -> Answer:
        if status is Status.SECURE:
            reason = None
        elif reason is None:
            reason = reasons.bogus(EDE.OTHER, "validation failed")
        return Answer(
            question=self.question,
            rcode=rcode,
            status=status,
            rrsets=tuple(rrsets),
            denial=tuple(denial),
            reason=reason,
            chain=tuple(self._chain.values()),
            ttl=max(0, ttl),
            queries=len(self.results),
        )

    # -- the validation -----------------------------------------------------------
    def _validate(self) -> Generator[list[Fetch], None, None]:
        self.answer = yield from self._validate_answer()

    def _validate_answer(self) -> Generator[list[Fetch], None, Answer]:
        q = self.question
        response = self.response
        if isinstance(response, FetchFailed):
            return self._finish(
                Status.INDETERMINATE,
                reasons.bogus(response.ede, response.reason, q.name, q.rrtype),
                Rcode.SERVFAIL,
                [],
                [],
                0,
            )
        rcode = response.rcode
        dname_overflow = find_dname(response, q.name) if rcode == Rcode.YXDOMAIN else None
        if dname_overflow is not None:
            # RFC 6672 2.2: the DNAME substitution would exceed 255 octets.
            # The DNAME can be validated; the rcode itself is not signed, so
            # at best the answer is INSECURE (as in Unbound: no AD).
            link = yield from self._validate_positive(dname_overflow, response)
            if link.status is Status.BOGUS:
                return self._finish(link.status, link.reason, rcode, [dname_overflow], [], 0)
            return self._finish(
                Status.INSECURE,
                Reason(
                    None,
                    f"YXDOMAIN: substituting the DNAME {dname_overflow.name.to_text()} into "
                    f"{q.name.to_text()} gives a name longer than 255 octets; the rcode "
                    "itself is not signed",
                    q.name,
                    q.rrtype,
                ),
                rcode,
                [dname_overflow],
                [],
                link.ttl,
            )
        if rcode not in _ANSWER_RCODES:
            return self._finish(
                Status.INDETERMINATE,
                reasons.bogus(
                    EDE.NO_REACHABLE_AUTHORITY,
                    f"the upstream answered {Rcode.to_text(rcode)}",
                    q.name,
                    q.rrtype,
                ),
                rcode,
                [],
                [],
                0,
            )
        qtype = q.rrtype
        if qtype == _T_RRSIG:
            # RFC 4035 5.3.1 never covers RRSIG RRsets; like Unbound, hand
            # them over as unvalidated.
            return self._finish(
                Status.INSECURE,
                Reason(
                    None,
                    "RRSIG records are not signed themselves; returned unvalidated",
                    q.name,
                    q.rrtype,
                ),
                rcode,
                list(response.answer),
                [],
                min_ttl(response.answer),
            )
        nta = self.validator.anchors.negative_for(q.name)
        if nta is not None:
            return self._finish(
                Status.INSECURE,
                reasons.negative_anchor(q.name, nta),
                rcode,
                list(response.answer),
                [],
                min_ttl(response.answer),
            )
        links: list[_Link] = []
        out: list[RRset] = []
        denial: list[RRset] = []
        name = q.name
        seen: set[Name] = set()
        for _hop in range(self.limits.max_chain_links + 1):
            if name in seen:
                links.append(
                    _Link(
                        Status.BOGUS,
                        reasons.bogus(
                            EDE.DNSSEC_BOGUS,
                            f"CNAME/DNAME loop at {name.to_text()}",
                            name,
                            q.rrtype,
                        ),
                        0,
                    )
                )
                break
            seen.add(name)
            direct = None
            if qtype != _T_ANY:
                for rrset in response.answer:
                    if rrset.rrtype == qtype and rrset.name == name:
                        direct = rrset
                        break
            if (
                direct is not None
                and qtype not in _NOT_BESIDE_CNAME
                and cname_first(response.answer, name, direct)
            ):
                # RFC 2181 10.1: nothing else may stand beside a CNAME.  When
                # a server sends both, the one it put first wins (as in
                # Unbound's scrubber); the other is left out.
                direct = None
            if (
                direct is not None
                and qtype == RRType.CNAME
                and find_dname(response, name) is not None
            ):
                # A CNAME asked for below a DNAME is the synthesised one: the
                # DNAME branch checks it against the substitution.
                direct = None
            if qtype == _T_ANY:
                found = [r for r in response.answer if r.name == name]
                if found:
                    for rrset in found:
                        link = yield from self._validate_positive(rrset, response)
                        links.append(link)
                        out.append(rrset)
                    break
            if direct is not None:
                link = yield from self._validate_positive(direct, response)
                links.append(link)
                out.append(direct)
                if link.status is _SECURE or link.status is _INSECURE:
                    denial.extend(proof_rrsets(response))
                break
            cname = response.get_answer(name, RRType.CNAME)
            # A CNAME below a DNAME is the synthesised (unsigned) one: the
            # DNAME branch checks it against the substitution.
            if (
                cname is not None
                and q.rrtype != RRType.CNAME
                and find_dname(response, name) is None
            ):
                link = yield from self._validate_positive(cname, response)
                links.append(link)
                out.append(cname)
                target = cname_target(cname)
                if target is None:
                    break
                name = target
                continue
            dname = find_dname(response, name)
            if dname is not None:
                link = yield from self._validate_positive(dname, response)
                if link.status is Status.SECURE and any(
                    sig.labels < dname.name.label_count() for sig in dname.sigs
                ):
                    # RFC 6672 3.3: a DNAME is never synthesised from a wildcard.
                    link = _Link(
                        Status.BOGUS,
                        reasons.bogus(
                            EDE.DNSSEC_BOGUS,
                            f"DNAME {dname.name.to_text()} is signed as a wildcard expansion",
                            dname.name,
                            RRType.DNAME,
                        ),
                        0,
                    )
                links.append(link)
                out.append(dname)
                synth = dname_target(dname, name)
                if synth is None:
                    links.append(
                        _Link(
                            Status.BOGUS,
                            reasons.bogus(
                                EDE.DNSSEC_BOGUS,
                                f"DNAME substitution for {name.to_text()} is too long",
                                name,
                                q.rrtype,
                            ),
                            0,
                        )
                    )
                    break
                given = response.get_answer(name, RRType.CNAME)
                if given is not None:
                    target = cname_target(given)
                    if target != synth:
                        links.append(
                            _Link(
                                Status.BOGUS,
                                reasons.bogus(
                                    EDE.DNSSEC_BOGUS,
                                    f"CNAME {name.to_text()} -> {target} does not match the DNAME "
                                    f"{dname.name.to_text()} (expected {synth.to_text()})",
                                    name,
                                    RRType.CNAME,
                                ),
                                0,
                            )
                        )
                        break
                    out.append(given)
                if qtype == RRType.CNAME:
                    break  # the synthesised CNAME is the answer asked for
                name = synth
                continue
            # No data for ``name``: a negative answer (at the end of any chain).
            nxdomain = rcode == Rcode.NXDOMAIN
            link = yield from self._validate_negative(name, q.rrtype, nxdomain, response)
            links.append(link)
            denial.extend(proof_rrsets(response))
            break
        else:
            links.append(
                _Link(
                    Status.BOGUS,
                    reasons.limit_hit(
                        "CNAME/DNAME chain too long", self.limits.max_chain_links, q.name, q.rrtype
                    ),
                    0,
                )
            )
        if len(links) == 1:  # the common case
            status, reason, ttl = links[0]
        else:
            status = Status.weakest(*(link.status for link in links)) if links else _BOGUS
            reason = None
            for link in links:
                if link.status is status:
                    reason = link.reason
                    break
            ttl = min((link.ttl for link in links), default=0)
        if status is _BOGUS:
            ttl = min(ttl, self.limits.bogus_ttl)
        if self._rcode is not None and status is _SECURE:
            rcode = self._rcode
        return self._finish(status, reason, rcode, out, denial, ttl)

    # -- positive data ------------------------------------------------------------
    def _validate_positive(
        self, rrset: RRset, response: Message
    ) -> Generator[list[Fetch], None, _Link]:
        if not rrset.sigs:
            entry = yield from self._zone_of(rrset.name, rrset.rrtype)
            if entry.status is Status.SECURE:
                return _Link(
                    Status.BOGUS, reasons.rrsigs_missing(rrset.name, rrset.rrtype, entry.zone), 0
                )
            return _Link(entry.status, entry.reason, rrset.ttl)
        owner = rrset.name
        if len(rrset.sigs) == 1:
            signer = rrset.sigs[0].signer
            signers = [signer] if owner.is_subdomain(signer) else []
        else:
            signers = list(
                dict.fromkeys(s.signer for s in rrset.sigs if owner.is_subdomain(s.signer))
            )
        if not signers:
            entry = yield from self._zone_of(rrset.name, rrset.rrtype)
            if entry.status is not Status.SECURE:
                return _Link(entry.status, entry.reason, rrset.ttl)
            return _Link(
                Status.BOGUS,
                reasons.bogus(
                    EDE.DNSSEC_BOGUS,
                    f"no RRSIG of {reasons.rrset_label(rrset.name, rrset.rrtype)} is by a zone "
                    "above it",
                    rrset.name,
                    rrset.rrtype,
                ),
                0,
            )
        last: _Link | None = None
        for signer in signers:
            known = self._known_keys(signer)
            entry = known if known is not None else (yield from self._keys_for(signer))
            if entry.status is not _SECURE:
                last = _Link(entry.status, entry.reason, rrset.ttl)
                if entry.status is _INSECURE:
                    return last
                continue
            if entry.zone != signer:
                last = _Link(
                    Status.BOGUS,
                    reasons.bogus(
                        EDE.DNSKEY_MISSING,
                        f"{reasons.rrset_label(rrset.name, rrset.rrtype)} is signed by "
                        f"{signer.to_text()}, which is not a signed zone below "
                        f"{entry.zone.to_text()} (no DS for it)",
                        rrset.name,
                        rrset.rrtype,
                    ),
                    0,
                )
                continue
            check = check_rrset(
                rrset,
                entry.zone,
                entry.keys,
                self.now,
                self.limits,
                self.policy,
                self.budget,
                ignore_time=self.validator.ignore_time,
            )
            if not check.ok:
                last = _Link(_BOGUS, check.reason, 0)
                continue
            assert check.sig is not None
            ttl = min(rrset.ttl, check.sig.original_ttl, check.expires_in, entry.ttl or rrset.ttl)
            if check.sig.labels < owner.label_count():
                proof = self._wildcard_proof(rrset.name, check.sig.labels, entry, response)
                if not proof.ok:
                    return _Link(
                        Status.BOGUS,
                        reasons.bogus(EDE.NSEC_MISSING, proof.text, rrset.name, rrset.rrtype),
                        0,
                    )
                if proof.insecure:
                    return _Link(
                        Status.INSECURE,
                        reasons.bogus(EDE.OTHER, proof.text, rrset.name, rrset.rrtype),
                        ttl,
                    )
            return _Link(_SECURE, None, ttl)
        assert last is not None
        return last

    def _wildcard_proof(
        self, name: Name, labels: int, entry: KeyEntry, response: Message
    ) -> nsec_proofs.Proof:
        nsecs, nsec3s, problem = self._validated_proofs(response, entry)
        if problem is not None:
            return nsec_proofs.Proof(False, "failed", problem.text)
        if nsecs:
            records = nsec_proofs.nsec_records(nsecs, entry.zone)
            return nsec_proofs.prove_wildcard_answer(records, name, entry.zone)
        if nsec3s:
            ns3 = nsec3_proofs.NSEC3Set(nsec3s, entry.zone, self.limits, self.budget)
            if ns3.iterations > self.limits.max_nsec3_iterations:
                return nsec_proofs.Proof(
                    True,
                    "iterations",
                    reasons.nsec3_iterations(
                        entry.zone, ns3.iterations, self.limits.max_nsec3_iterations
                    ).text,
                    insecure=True,
                )
            try:
                return nsec3_proofs.prove_wildcard_answer(ns3, name, labels)
            except nsec3_proofs.LimitExceeded:
                return nsec_proofs.Proof(False, "failed", "too many NSEC3 hash computations")
        return nsec_proofs.Proof(
            False,
            "failed",
            f"{name.to_text()} was synthesised from a "
            "wildcard but no NSEC/NSEC3 proves the name does not exist",
        )

    # -- negative answers ------------------------------------------------------------
    def _validate_negative(
        self, name: Name, qtype: int, nxdomain: bool, response: Message
    ) -> Generator[list[Fetch], None, _Link]:
        signer = negative_signer(response, name)
        if signer is not None:
            anchors = self.validator.anchors
            holder = name.parent() if qtype == RRType.DS and not name.is_root() else name
            anchor = anchors.closest(holder)
            if (
                anchor is not None
                and anchor.zone.is_strict_subdomain(signer)
                and anchors.closest(signer) is not None
            ):
                # The signer is in an island of trust, but the name lies
                # under a closer trust anchor below it: the name's zone is at
                # or below that anchor, and a denial signed above it (an
                # opt-out span, an unsigned delegation) proves nothing about
                # the name.  The name's own zone must deny it.
                signer = None
        if signer is None:
            entry = yield from self._zone_of(name, qtype)
            if entry.status is not Status.SECURE:
                return _Link(entry.status, entry.reason, neg_ttl(response))
            return _Link(
                Status.BOGUS,
                reasons.bogus(
                    EDE.NSEC_MISSING
                    if any(r.sigs for r in response.authority)
                    else EDE.RRSIGS_MISSING,
                    f"{'NXDOMAIN' if nxdomain else 'NODATA'} for "
                    f"{reasons.rrset_label(name, qtype)} comes without signed NSEC/NSEC3 "
                    f"records although {entry.zone.to_text()} is signed",
                    name,
                    qtype,
                ),
                0,
            )
        entry = yield from self._keys_for(signer)
        if entry.status is not Status.SECURE:
            return _Link(entry.status, entry.reason, neg_ttl(response))
        if entry.zone != signer:
            return _Link(
                Status.BOGUS,
                reasons.bogus(
                    EDE.DNSKEY_MISSING,
                    f"denial for {name.to_text()} is signed by "
                    f"{signer.to_text()}, which is not a signed zone",
                    name,
                    qtype,
                ),
                0,
            )
        if qtype == RRType.DS and signer == name and not name.is_root():
            return _Link(
                Status.BOGUS,
                reasons.bogus(
                    EDE.DNSSEC_BOGUS,
                    f"denial of DS for {name.to_text()} comes from the child zone itself",
                    name,
                    qtype,
                ),
                0,
            )
        soa = response.find(response.authority, signer, RRType.SOA)
        ttl = neg_ttl(response)
        if soa is not None and soa.sigs:
            check = self._check(soa, entry)
            if not check.ok:
                return _Link(Status.BOGUS, check.reason, 0)
            ttl = min(ttl, check.expires_in)
        nsecs, nsec3s, problem = self._validated_proofs(response, entry)
        if problem is not None:
            return _Link(Status.BOGUS, problem, 0)
        proof: nsec_proofs.Proof
        if nsecs:
            records = nsec_proofs.nsec_records(nsecs, entry.zone)
            if nxdomain:
                proof = nsec_proofs.prove_nxdomain(records, name, entry.zone)
            else:
                proof = nsec_proofs.prove_nodata(records, name, qtype, entry.zone)
        elif nsec3s:
            ns3 = nsec3_proofs.NSEC3Set(nsec3s, entry.zone, self.limits, self.budget)
            if not ns3:
                if ns3.unknown_hash:
                    return _Link(
                        Status.INSECURE,
                        reasons.bogus(
                            EDE.OTHER,
                            f"NSEC3 of {entry.zone.to_text()} uses an unknown hash algorithm",
                            name,
                            qtype,
                        ),
                        ttl,
                    )
                return _Link(
                    Status.BOGUS,
                    reasons.bogus(
                        EDE.NSEC_MISSING, f"no usable NSEC3 of {entry.zone.to_text()}", name, qtype
                    ),
                    0,
                )
            if ns3.iterations > self.limits.max_nsec3_iterations:
                return _Link(
                    Status.INSECURE,
                    reasons.nsec3_iterations(
                        entry.zone, ns3.iterations, self.limits.max_nsec3_iterations
                    ),
                    ttl,
                )
            try:
                if nxdomain:
                    proof = nsec3_proofs.prove_nxdomain(ns3, name)
                else:
                    proof = nsec3_proofs.prove_nodata(ns3, name, qtype)
            except nsec3_proofs.LimitExceeded:
                return _Link(
                    Status.BOGUS,
                    reasons.limit_hit(
                        "too many NSEC3 hash computations",
                        self.limits.max_nsec3_hashes,
                        name,
                        qtype,
                    ),
                    0,
                )
        else:
            return _Link(
                Status.BOGUS,
                reasons.bogus(
                    EDE.NSEC_MISSING,
                    f"{'NXDOMAIN' if nxdomain else 'NODATA'} for "
                    f"{reasons.rrset_label(name, qtype)} has no NSEC or NSEC3 proof",
                    name,
                    qtype,
                ),
                0,
            )
        if not proof.ok and nsecs:
            # The denial may come from the parent side of an unsigned
            # delegation at or above the name: that proves insecurity.
            for owner, rd in nsec_proofs.nsec_records(nsecs, entry.zone):
                if (
                    name.is_subdomain(owner)
                    and owner != entry.zone
                    and RRType.NS in rd.types
                    and RRType.DS not in rd.types
                    and RRType.SOA not in rd.types
                    and qtype != RRType.DS
                ):
                    reason = reasons.insecure_delegation(
                        owner, f"NSEC at {owner.to_text()} shows NS without DS"
                    )
                    return _Link(Status.INSECURE, reason, neg_ttl(response))
        if not proof.ok and nsec3s and qtype != RRType.DS:
            ns3 = nsec3_proofs.NSEC3Set(nsec3s, entry.zone, self.limits, self.budget)
            try:
                for depth in range(len(name), len(entry.zone), -1):
                    cut = name.suffix(depth)
                    rd3 = ns3.match(cut) if ns3 else None
                    if (
                        rd3 is not None
                        and RRType.NS in rd3.types
                        and RRType.DS not in rd3.types
                        and RRType.SOA not in rd3.types
                    ):
                        reason = reasons.insecure_delegation(
                            cut, f"NSEC3 for {cut.to_text()} shows NS without DS"
                        )
                        return _Link(Status.INSECURE, reason, neg_ttl(response))
            except nsec3_proofs.LimitExceeded:
                pass
        if not proof.ok:
            if len(name) > len(entry.zone) + 1 or (qtype != RRType.DS and name != entry.zone):
                # The name may lie below an unsigned delegation inside the
                # signer's zone (the denial then comes from the parent side).
                below = yield from self._zone_of(name)
                if below.status is Status.INSECURE:
                    return _Link(Status.INSECURE, below.reason, neg_ttl(response))
            return _Link(Status.BOGUS, reasons.bogus(EDE.NSEC_MISSING, proof.text, name, qtype), 0)
        self._note_proof(entry.zone, proof.text)
        if nxdomain and proof.kind == "ent-nodata":
            # The name exists (an empty non-terminal): the right answer is
            # NOERROR/NODATA, whatever rcode the server sent.
            self._rcode = Rcode.NOERROR
        if proof.insecure:
            return _Link(Status.INSECURE, reasons.bogus(EDE.OTHER, proof.text, name, qtype), ttl)
        return _Link(Status.SECURE, None, ttl)

    def _note_proof(self, zone: Name, text: str) -> None:
        link = self._chain.get(zone)
        if link is not None and link.proof is None:
            self._chain[zone] = ChainLink(link.zone, link.status, link.ds, link.dnskeys, text)


__all__ = [
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
