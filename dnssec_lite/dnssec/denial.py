"""Denial of existence: validating NXDOMAIN and NODATA answers.

The zone that signed the denial is found from the authority section, its
keys come from the trust walk, and its NSEC or NSEC3 records must prove the
name or type absent (or, for a wildcard answer, that no closer name
exists).  A denial that fails may still show that the name lies below an
unsigned delegation, which makes the answer INSECURE rather than BOGUS.

:class:`DenialCheck` is the part of the validation job that does this; the
job inherits it (through ``answer.AnswerCheck``).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import NamedTuple

from ..wire.message import Message
from ..wire.name import ROOT, Name
from ..wire.rdata.dnssec import NSEC
from ..wire.rrset import RRset
from ..wire.types import Rcode, RRType
from . import nsec as nsec_proofs
from . import nsec3 as nsec3_proofs
from . import reasons
from .fetch import Fetch
from .keycache import KeyEntry
from .nsec import ProofKind
from .sections import capped, neg_ttl, negative_signer, sig_cap
from .status import ChainLink, Reason, Status
from .trust import TrustAnchor
from .trustwalk import TrustWalk

# Enum members bound once (see trustwalk).
_SECURE = Status.SECURE
_INSECURE = Status.INSECURE
_BOGUS = Status.BOGUS
_T_DS = RRType.DS
_ROOT = ROOT
_T_NS = RRType.NS
_T_SOA = RRType.SOA


class Link(NamedTuple):
    """The outcome of one link of an answer (a named tuple: built per RRset).

    ``rrset``: for a validated RRset, the copy to hand back, its TTL capped
    by the RRSIG's original TTL and expiration (RFC 4035 5.3.3); None when
    there is nothing to cap (the RRset as received is returned).
    """

    status: Status
    reason: Reason | None
    ttl: int
    rrset: RRset | None = None


class DenialCheck(TrustWalk):
    """Checking NSEC/NSEC3 denials with the keys the walk finds."""

    # An empty non-terminal proven under an NXDOMAIN: the rcode to answer.
    _rcode: int | None
    # The denial records (SOA, NSEC, NSEC3) validated for a proof the answer
    # rests on, TTLs capped: what a SECURE answer hands back as its denial
    # (never records of the response that were not checked).  Made on first use.
    _proven: list[RRset] | None = None

    def _keep_proofs(self, zone: Name, rrsets: list[RRset]) -> int:
        """Note ``rrsets`` (validated as signed by ``zone``) as denial records
        of the answer; returns the smallest of their TTL caps (-1 if none)."""
        proven = self._proven
        if proven is None:
            proven = self._proven = []
        low = -1
        ignore_time = self.validator.ignore_time
        for rrset in rrsets:
            cap = sig_cap(rrset, zone, self.sig_time, ignore_time)
            if low < 0 or cap < low:
                low = cap
            for kept in proven:
                if kept.rrtype == rrset.rrtype and kept.name == rrset.name:
                    break
            else:
                proven.append(capped(rrset, cap))
        return low

    def _wildcard_proof(
        self, name: Name, labels: int, entry: KeyEntry, response: Message
    ) -> tuple[nsec_proofs.Proof, int]:
        """The proof that a wildcard answer was the right one, and the TTL
        cap of the records proving it (-1 when nothing was proven)."""
        proof = self._wildcard_denial(name, labels, entry, response)
        if not proof[0].ok:
            return proof[0], -1
        return proof[0], self._keep_proofs(entry.zone, proof[1])

    def _wildcard_denial(
        self, name: Name, labels: int, entry: KeyEntry, response: Message
    ) -> tuple[nsec_proofs.Proof, list[RRset]]:
        nsecs, nsec3s, problem = self._validated_proofs(response, entry)
        if problem is not None:
            return nsec_proofs.Proof(False, ProofKind.FAILED, problem.text), []
        if nsecs:
            records = nsec_proofs.nsec_records(nsecs, entry.zone)
            proof = nsec_proofs.prove_wildcard_answer(records, name, labels, entry.zone)
            return proof, _used_nsecs(nsecs, records, name, proof.kind, entry.zone)
        if nsec3s:
            ns3 = nsec3_proofs.NSEC3Set(nsec3s, entry.zone, self.limits, self.budget)
            if ns3.iterations > self.limits.max_nsec3_iterations:
                return nsec_proofs.Proof(
                    True,
                    ProofKind.ITERATIONS,
                    reasons.nsec3_iterations(
                        entry.zone, ns3.iterations, self.limits.max_nsec3_iterations
                    ).text,
                    insecure=True,
                ), nsec3s
            try:
                proof = nsec3_proofs.prove_wildcard_answer(ns3, name, labels)
                return proof, ns3.used_rrsets(nsec3s)
            except nsec3_proofs.LimitExceeded:
                return nsec_proofs.Proof(
                    False, ProofKind.FAILED, "too many NSEC3 hash computations"
                ), []
        return nsec_proofs.Proof(
            False,
            ProofKind.FAILED,
            f"{name.to_text()} was synthesised from a "
            "wildcard but no NSEC/NSEC3 proves the name does not exist",
        ), []

    # -- negative answers ------------------------------------------------------------
    def _closer_anchor(self, name: Name, qtype: int, signer: Name) -> TrustAnchor | None:
        """The trust anchor closest to the data ``name``/``qtype`` (the
        parent side for a DS) when it lies strictly below ``signer``: then
        the anchor decides, not the signer's chain (RFC 4035 section 4.3;
        Unbound primes the closest anchor whatever a higher one proved, an
        insecure delegation included), and only an NXDOMAIN for the anchor's
        own name can override it (see ``_validate_negative``)."""
        anchors = self.validator.anchors
        table = anchors.anchors
        if len(table) == 1 and _ROOT in table:
            return None  # the usual case: nothing lies above the root
        holder = name.parent() if qtype == _T_DS and not name.is_root() else name
        anchor = anchors.closest(holder)
        if anchor is not None and anchor.zone.is_strict_subdomain(signer):
            return anchor
        return None

    def _proves_no_name(
        self, signer: Name, absent: Name, response: Message
    ) -> Generator[list[Fetch], None, bool]:
        """Whether the NSEC/NSEC3 records of ``response``, validated with the
        keys of ``signer``, prove NXDOMAIN for ``absent`` (a name below it)."""
        entry = yield from self._keys_for(signer)
        if entry.status is not _SECURE or entry.zone != signer:
            return False
        nsecs, nsec3s, problem = self._validated_proofs(response, entry)
        if problem is not None:
            return False
        if nsecs:
            records = nsec_proofs.nsec_records(nsecs, signer)
            return nsec_proofs.prove_nxdomain(records, absent, signer).ok
        if nsec3s:
            ns3 = nsec3_proofs.NSEC3Set(nsec3s, signer, self.limits, self.budget)
            if not ns3 or ns3.iterations > self.limits.max_nsec3_iterations:
                return False
            try:
                return nsec3_proofs.prove_nxdomain(ns3, absent).ok
            except nsec3_proofs.LimitExceeded:
                return False
        return False

    def _validate_negative(
        self, name: Name, qtype: int, nxdomain: bool, response: Message
    ) -> Generator[list[Fetch], None, Link]:
        signer = negative_signer(response, name)
        if signer is not None:
            anchor = self._closer_anchor(name, qtype, signer)
            if anchor is not None and not (
                nxdomain and self.validator.anchors.closest(signer) is None
            ):
                # The name lies under a trust anchor below the signer: the
                # name's zone is at or below that anchor, and a denial signed above it (an
                # opt-out span, an unsigned delegation) proves nothing about
                # the name.  The name's own zone must deny it -- unless the
                # signer's validated records prove that the anchor's name
                # itself does not exist: then there is no zone below to ask
                # and the ancestor's NXDOMAIN decides.
                denied = nxdomain and (
                    yield from self._proves_no_name(signer, anchor.zone, response)
                )
                if not denied:
                    signer = None
            # (An NXDOMAIN by a signer no anchor covers stays with that
            # signer: INDETERMINATE, as Unbound's "unsigned parent zone
            # denies trust anchor".)
        if signer is None:
            entry = yield from self._zone_of(name, qtype)
            if entry.status is not _SECURE:
                return Link(entry.status, entry.reason, neg_ttl(response))
            return Link(
                _BOGUS,
                reasons.denial_unsigned(
                    name, qtype, entry.zone, nxdomain, any(r.sigs for r in response.authority)
                ),
                0,
            )
        entry = yield from self._keys_for(signer)
        if entry.status is not _SECURE:
            return Link(entry.status, entry.reason, neg_ttl(response))
        if entry.zone != signer:
            return Link(
                _BOGUS,
                reasons.denial_signer_unsigned(name, qtype, signer),
                0,
            )
        if qtype == _T_DS and signer == name and not name.is_root():
            return Link(
                _BOGUS,
                reasons.ds_denial_from_child_itself(name, qtype),
                0,
            )
        soa = response.find(response.authority, signer, _T_SOA)
        ttl = neg_ttl(response)
        signed_soa = None
        if soa is not None and soa.sigs:
            check = self._check(soa, entry)
            if not check.ok:
                return Link(_BOGUS, check.reason, 0)
            ttl = min(ttl, check.expires_in)
            signed_soa = soa
        nsecs, nsec3s, problem = self._validated_proofs(response, entry)
        if problem is not None:
            return Link(_BOGUS, problem, 0)
        proof: nsec_proofs.Proof
        used: list[RRset] = []
        if nsecs:
            records = nsec_proofs.nsec_records(nsecs, entry.zone)
            if nxdomain:
                proof = nsec_proofs.prove_nxdomain(records, name, entry.zone)
            else:
                proof = nsec_proofs.prove_nodata(records, name, qtype, entry.zone)
            if proof.ok:
                used = _used_nsecs(nsecs, records, name, proof.kind, entry.zone)
        elif nsec3s:
            ns3 = nsec3_proofs.NSEC3Set(nsec3s, entry.zone, self.limits, self.budget)
            if not ns3:
                if ns3.unknown_hash:
                    return Link(
                        _INSECURE,
                        reasons.nsec3_unknown_hash(entry.zone, name, qtype),
                        ttl,
                    )
                return Link(
                    _BOGUS,
                    reasons.no_usable_nsec3(entry.zone, name, qtype),
                    0,
                )
            if ns3.iterations > self.limits.max_nsec3_iterations:
                return Link(
                    _INSECURE,
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
                used = ns3.used_rrsets(nsec3s)
            except nsec3_proofs.LimitExceeded:
                return Link(
                    _BOGUS,
                    reasons.limit_hit(
                        "too many NSEC3 hash computations",
                        self.limits.max_nsec3_hashes,
                        name,
                        qtype,
                    ),
                    0,
                )
        else:
            return Link(
                _BOGUS,
                reasons.denial_unproven(name, qtype, nxdomain),
                0,
            )
        if not proof.ok and nsecs:
            # The denial may come from the parent side of an unsigned
            # delegation at or above the name: that proves insecurity.
            for owner, rd in nsec_proofs.nsec_records(nsecs, entry.zone):
                if (
                    name.is_subdomain(owner)
                    and owner != entry.zone
                    and _T_NS in rd.types
                    and _T_DS not in rd.types
                    and _T_SOA not in rd.types
                    and qtype != _T_DS
                ):
                    reason = reasons.insecure_delegation(
                        owner, f"NSEC at {owner.to_text()} shows NS without DS"
                    )
                    return Link(_INSECURE, reason, neg_ttl(response))
        if not proof.ok and nsec3s and qtype != _T_DS:
            ns3 = nsec3_proofs.NSEC3Set(nsec3s, entry.zone, self.limits, self.budget)
            try:
                for depth in range(len(name), len(entry.zone), -1):
                    cut = name.suffix(depth)
                    rd3 = ns3.match(cut) if ns3 else None
                    if (
                        rd3 is not None
                        and _T_NS in rd3.types
                        and _T_DS not in rd3.types
                        and _T_SOA not in rd3.types
                    ):
                        reason = reasons.insecure_delegation(
                            cut, f"NSEC3 for {cut.to_text()} shows NS without DS"
                        )
                        return Link(_INSECURE, reason, neg_ttl(response))
            except nsec3_proofs.LimitExceeded:
                pass
        if not proof.ok:
            if len(name) > len(entry.zone) + 1 or (qtype != _T_DS and name != entry.zone):
                # The name may lie below an unsigned delegation inside the
                # signer's zone (the denial then comes from the parent side).
                below = yield from self._zone_of(name)
                if below.status is _INSECURE:
                    return Link(_INSECURE, below.reason, neg_ttl(response))
            return Link(_BOGUS, reasons.denial_failed(name, qtype, proof.text), 0)
        self._note_proof(entry.zone, proof.text)
        cap = self._keep_proofs(entry.zone, ([signed_soa] if signed_soa is not None else []) + used)
        if 0 <= cap < ttl:
            ttl = cap
        if nxdomain and proof.kind == ProofKind.ENT_NODATA:
            # The name exists (an empty non-terminal): the right answer is
            # NOERROR/NODATA, whatever rcode the server sent.
            self._rcode = Rcode.NOERROR
        if proof.insecure:
            return Link(_INSECURE, reasons.denial_insecure(name, qtype, proof.text), ttl)
        return Link(_SECURE, None, ttl)

    def _note_proof(self, zone: Name, text: str) -> None:
        link = self._chain.get(zone)
        if link is not None and link.proof is None:
            self._chain[zone] = ChainLink(
                link.zone, link.status, link.ds, link.dnskeys, text, link.sig_expires
            )


def _used_nsecs(
    nsecs: list[RRset],
    records: list[tuple[Name, NSEC]],
    name: Name,
    kind: ProofKind,
    zone: Name,
) -> list[RRset]:
    """The NSEC RRsets a proof of ``kind`` about ``name`` rests on."""
    owners = nsec_proofs.proof_owners(records, name, kind, zone)
    return [r for r in nsecs if r.name in owners]


__all__ = ["DenialCheck", "Link"]
