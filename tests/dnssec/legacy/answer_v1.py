"""The answer check as it was before it was split by the class of the
response, kept verbatim (imports made absolute) as the reference of the
differential tests.

Validating the answer to the question: the data asked for, the CNAME and
DNAME links leading to it, and the denial at the end of the chain.

Each RRset of the answer is checked with the keys of its signer (found by
the trust walk); a chain of CNAMEs and DNAMEs is followed link by link, with
the synthesised CNAME of a DNAME checked against the substitution (RFC
6672), and the weakest link decides the status of the whole answer.

:class:`AnswerCheck` is the part of the validation job that does this; the
job (``chain.ValidationJob``) inherits it.
"""

from __future__ import annotations

from collections.abc import Generator

from dnssec_lite.dnssec import reasons
from dnssec_lite.dnssec.denial import DenialCheck, Link
from dnssec_lite.dnssec.fetch import Fetch, FetchFailed, FetchResult
from dnssec_lite.dnssec.keycache import KeyEntry
from dnssec_lite.dnssec.sections import (
    capped,
    cname_first,
    cname_target,
    dname_target,
    find_dname,
    min_ttl,
    proof_rrsets,
)
from dnssec_lite.dnssec.status import Answer, Reason, Status
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.names import CNAME
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import EDE, Rcode, RRType

# Enum members bound once: reading ``RRType.X`` costs an attribute lookup
# on the enum class, several times per validation on the hot paths.
_SECURE = Status.SECURE
_INSECURE = Status.INSECURE
_BOGUS = Status.BOGUS
_T_ANY = RRType.ANY
_T_RRSIG = RRType.RRSIG
_T_CNAME = RRType.CNAME
_NOT_BESIDE_CNAME = (RRType.CNAME, RRType.RRSIG, RRType.NSEC)
_ANSWER_RCODES = (Rcode.NOERROR, Rcode.NXDOMAIN)
_NOERROR = Rcode.NOERROR
_NXDOMAIN = Rcode.NXDOMAIN
_YXDOMAIN = Rcode.YXDOMAIN


class AnswerCheck(DenialCheck):
    """Checking the answer section; builds the final :class:`Answer`."""

    question: Question
    response: FetchResult

    def _finish(
        self,
        status: Status,
        reason: Reason | None,
        rcode: int,
        rrsets: list[RRset],
        denial: list[RRset],
        ttl: int,
    ) -> Answer:
        if status is _SECURE:
            reason = None
        elif reason is None:
            reason = reasons.bogus(EDE.OTHER, "validation failed")
        # Positional arguments: a keyword call costs more, once per job.
        return Answer(
            self.question,
            rcode,
            status,
            tuple(rrsets),
            tuple(denial),
            reason,
            tuple(self._chain.values()),
            ttl if ttl > 0 else 0,
            len(self.results),
        )

    def _quick_answer(self) -> Answer | None:
        """The common case without a generator: the data asked for is in
        the answer section, under one RRSIG, by a zone whose keys are
        cached.  This is the first hop of :meth:`_validate_answer` with the
        cases that may need a fetch or a longer walk left out; it shares the
        checks (``_signed_link``, ``_conclude``).  None, with nothing done,
        when the general path is needed."""
        response = self.response
        if isinstance(response, FetchFailed):
            return None
        rcode = response.rcode
        q = self.question
        qtype = q.rrtype
        if (
            rcode != _NOERROR
            or qtype == _T_RRSIG
            or qtype == _T_ANY
            or self.limits.max_chain_links < 0
            or self.validator.anchors.negative
        ):
            return None
        name = q.name
        answer = response.answer
        for direct in answer:
            if direct.rrtype == qtype and direct.name == name:
                break
        else:
            return None
        sigs = direct.sigs
        if (
            len(sigs) != 1
            or (qtype not in _NOT_BESIDE_CNAME and cname_first(answer, name, direct))
            or (qtype == _T_CNAME and find_dname(response, name) is not None)
        ):
            return None
        signer = sigs[0].signer
        if not name.is_subdomain(signer):
            return None
        entry = self._known_keys(signer)
        if entry is None:
            return None
        link = self._signed_link(direct, signer, entry, response)[0]
        status = link.status
        denial = proof_rrsets(response) if status is _INSECURE else []
        return self._conclude([link], rcode, [link.rrset or direct], denial)

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
        dname_overflow = find_dname(response, q.name) if rcode == _YXDOMAIN else None
        if dname_overflow is not None:
            # RFC 6672 2.2: the DNAME substitution would exceed 255 octets.
            # The DNAME can be validated; the rcode itself is not signed, so
            # at best the answer is INSECURE (as in Unbound: no AD).
            link = yield from self._validate_positive(dname_overflow, response)
            if link.status is _BOGUS:
                return self._finish(link.status, link.reason, rcode, [dname_overflow], [], 0)
            if link.status is _SECURE and dname_target(dname_overflow, q.name) is not None:
                # The signed DNAME rewrites the name into one that fits: the
                # YXDOMAIN rcode is contradicted by the data it comes with.
                return self._finish(
                    _BOGUS,
                    reasons.bogus(
                        EDE.DNSSEC_BOGUS,
                        f"YXDOMAIN for {q.name.to_text()}, but the signed DNAME "
                        f"{dname_overflow.name.to_text()} rewrites it into a valid name",
                        q.name,
                        q.rrtype,
                    ),
                    rcode,
                    [dname_overflow],
                    [],
                    0,
                )
            return self._finish(
                _INSECURE,
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
                _INSECURE,
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
                _INSECURE,
                reasons.negative_anchor(q.name, nta),
                rcode,
                list(response.answer),
                [],
                min_ttl(response.answer),
            )
        links: list[Link] = []
        out: list[RRset] = []
        denial: list[RRset] = []
        name = q.name
        seen: set[Name] = set()
        # The chain ended in the data asked for (not in a denial).
        positive = False
        for _hop in range(self.limits.max_chain_links + 1):
            if name in seen:
                links.append(
                    Link(
                        _BOGUS,
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
            if direct is not None and qtype == _T_CNAME and find_dname(response, name) is not None:
                # A CNAME asked for below a DNAME is the synthesised one: the
                # DNAME branch checks it against the substitution.
                direct = None
            if qtype == _T_ANY:
                found = [r for r in response.answer if r.name == name]
                if found:
                    for rrset in found:
                        link = yield from self._validate_positive(rrset, response)
                        links.append(link)
                        out.append(link.rrset or rrset)
                    positive = True
                    break
            if direct is not None:
                link = yield from self._validate_positive(direct, response)
                links.append(link)
                out.append(link.rrset or direct)
                if link.status is _INSECURE:
                    denial.extend(proof_rrsets(response))
                positive = True
                break
            cname = response.get_answer(name, _T_CNAME)
            # A CNAME below a DNAME is the synthesised (unsigned) one: the
            # DNAME branch checks it against the substitution.
            if cname is not None and q.rrtype != _T_CNAME and find_dname(response, name) is None:
                link = yield from self._validate_positive(cname, response)
                links.append(link)
                out.append(link.rrset or cname)
                target = cname_target(cname)
                if target is None:
                    break
                name = target
                continue
            dname = find_dname(response, name)
            if dname is not None:
                link = yield from self._validate_positive(dname, response)
                if link.status is _SECURE and any(
                    sig.labels < dname.name.label_count() for sig in dname.sigs
                ):
                    # RFC 6672 3.3: a DNAME is never synthesised from a wildcard.
                    link = Link(
                        _BOGUS,
                        reasons.bogus(
                            EDE.DNSSEC_BOGUS,
                            f"DNAME {dname.name.to_text()} is signed as a wildcard expansion",
                            dname.name,
                            RRType.DNAME,
                        ),
                        0,
                    )
                links.append(link)
                out.append(link.rrset or dname)
                synth = dname_target(dname, name)
                if synth is None:
                    links.append(
                        Link(
                            _BOGUS,
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
                given = response.get_answer(name, _T_CNAME)
                if given is not None:
                    problem = _synthesised_mismatch(given, dname, synth)
                    if problem is not None:
                        links.append(
                            Link(
                                _BOGUS,
                                reasons.bogus(EDE.DNSSEC_BOGUS, problem, name, _T_CNAME),
                                0,
                            )
                        )
                        break
                    # RFC 6672 3.1: the synthesised CNAME lives as long as
                    # the DNAME it comes from.
                    out.append(capped(given, out[-1].ttl) if link.status is _SECURE else given)
                else:
                    # The server left it out (or it was moved away): the
                    # answer carries the CNAME the DNAME defines, whatever
                    # the server sent (RFC 6672 3.4 lets resolvers make it).
                    out.append(RRset(name, _T_CNAME, dname.rrclass, out[-1].ttl, [CNAME(synth)]))
                if qtype == _T_CNAME:
                    positive = True
                    break  # the synthesised CNAME is the answer asked for
                name = synth
                continue
            # No data for ``name``: a negative answer (at the end of any chain).
            nxdomain = rcode == _NXDOMAIN
            link = yield from self._validate_negative(name, q.rrtype, nxdomain, response)
            links.append(link)
            denial.extend(proof_rrsets(response))
            break
        else:
            links.append(
                Link(
                    _BOGUS,
                    reasons.limit_hit(
                        "CNAME/DNAME chain too long", self.limits.max_chain_links, q.name, q.rrtype
                    ),
                    0,
                )
            )
        if positive and rcode == _NXDOMAIN:
            last = out[-1] if out else None
            target = cname_target(last) if last is not None and qtype == _T_CNAME else None
            if target is not None and target not in seen:
                # RFC 6604 3: a server that chased the CNAME asked for sets
                # the rcode of its target, which then needs its own proof.
                link = yield from self._validate_negative(target, qtype, True, response)
                links.append(link)
                if link.status is not _SECURE:
                    denial.extend(proof_rrsets(response))
            else:
                contradiction = _rcode_contradicted(links, name, qtype)
                if contradiction is not None:
                    links.append(contradiction)
        return self._conclude(links, rcode, out, denial)

    def _conclude(
        self, links: list[Link], rcode: int, out: list[RRset], denial: list[RRset]
    ) -> Answer:
        """The answer from the links checked: the weakest decides."""
        if len(links) == 1:  # the common case
            link = links[0]
            status, reason, ttl = link.status, link.reason, link.ttl
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
        if status is _SECURE:
            if self._rcode is not None:
                rcode = self._rcode
            # Only the denial records a proof was checked with, never other
            # records the response happened to carry.
            proven = self._proven
            denial = proven if proven is not None else []
        return self._finish(status, reason, rcode, out, denial, ttl)

    # -- positive data ------------------------------------------------------------
    def _validate_positive(
        self, rrset: RRset, response: Message
    ) -> Generator[list[Fetch], None, Link]:
        if not rrset.sigs:
            entry = yield from self._zone_of(rrset.name, rrset.rrtype)
            if entry.status is _SECURE:
                return Link(_BOGUS, reasons.rrsigs_missing(rrset.name, rrset.rrtype, entry.zone), 0)
            return Link(entry.status, entry.reason, rrset.ttl)
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
            if entry.status is not _SECURE:
                return Link(entry.status, entry.reason, rrset.ttl)
            return Link(
                _BOGUS,
                reasons.bogus(
                    EDE.DNSSEC_BOGUS,
                    f"no RRSIG of {reasons.rrset_label(rrset.name, rrset.rrtype)} is by a zone "
                    "above it",
                    rrset.name,
                    rrset.rrtype,
                ),
                0,
            )
        last: Link | None = None
        for signer in signers:
            known = self._known_keys(signer)
            entry = (
                known
                if known is not None
                else (yield from self._keys_for(signer, known_missed=True))
            )
            last, final = self._signed_link(rrset, signer, entry, response)
            if final:
                return last
        assert last is not None
        return last

    def _signed_link(
        self, rrset: RRset, signer: Name, entry: KeyEntry, response: Message
    ) -> tuple[Link, bool]:
        """The link ``rrset`` gets from its RRSIGs by ``signer``, whose zone
        the walk found as ``entry``; True when another signer cannot change
        the outcome."""
        if entry.status is not _SECURE:
            return Link(entry.status, entry.reason, rrset.ttl), entry.status is _INSECURE
        if entry.zone != signer:
            return Link(
                _BOGUS,
                reasons.bogus(
                    EDE.DNSKEY_MISSING,
                    f"{reasons.rrset_label(rrset.name, rrset.rrtype)} is signed by "
                    f"{signer.to_text()}, which is not a signed zone below "
                    f"{entry.zone.to_text()} (no DS for it)",
                    rrset.name,
                    rrset.rrtype,
                ),
                0,
            ), False
        check = self._check(rrset, entry)
        if not check.ok:
            return Link(_BOGUS, check.reason, 0), False
        sig = check.sig
        assert sig is not None
        # RFC 4035 5.3.3: the RRset handed back lives no longer than its
        # signature says (original TTL, expiration); a copy only when needed.
        cap = sig.original_ttl if sig.original_ttl < check.expires_in else check.expires_in
        out = rrset if rrset.ttl <= cap and rrset.sig_ttl <= cap else capped(rrset, cap)
        ttl = min(out.ttl, entry.ttl or rrset.ttl)
        if sig.labels < rrset.name.label_count():
            proof, proof_cap = self._wildcard_proof(rrset.name, sig.labels, entry, response)
            if not proof.ok:
                return Link(
                    _BOGUS,
                    reasons.bogus(EDE.NSEC_MISSING, proof.text, rrset.name, rrset.rrtype),
                    0,
                ), True
            if proof.insecure:
                return Link(
                    _INSECURE,
                    reasons.bogus(EDE.OTHER, proof.text, rrset.name, rrset.rrtype),
                    ttl,
                ), True
            if 0 <= proof_cap < ttl:
                ttl = proof_cap
        return Link(_SECURE, None, ttl, out), True


def _synthesised_mismatch(given: RRset, dname: RRset, synth: Name) -> str | None:
    """Why the CNAME a server synthesised from ``dname`` is not the one RFC
    6672 section 2.2 defines (same class, one record, target ``synth``); None
    when it is.  Its owner and type are those looked up."""
    label = f"CNAME {given.name.to_text()}"
    if given.rrclass != dname.rrclass:
        return f"{label} has class {given.rrclass}, the DNAME {dname.rrclass}"
    if len(given.rdatas) != 1:
        return f"{label} synthesised from the DNAME has {len(given.rdatas)} records"
    target = cname_target(given)
    if target != synth:
        text = target.to_text() if target is not None else "nothing"
        return (
            f"{label} -> {text} does not match the DNAME "
            f"{dname.name.to_text()} (expected {synth.to_text()})"
        )
    return None


def _rcode_contradicted(links: list[Link], name: Name, qtype: int) -> Link | None:
    """A BOGUS link when an NXDOMAIN rcode comes with signed data for the
    name at the end of the chain: the rcode is not signed, the data is, so
    the response was altered on the way (Unbound instead classifies such a
    response by its content and drops the rcode).  None when the data is
    not SECURE either: nothing authenticated contradicts the rcode."""
    if Status.weakest(*(link.status for link in links)) is not _SECURE:
        return None
    return Link(
        _BOGUS,
        reasons.bogus(
            EDE.DNSSEC_BOGUS,
            f"the response says NXDOMAIN but carries signed data for "
            f"{reasons.rrset_label(name, qtype)}",
            name,
            qtype,
        ),
        0,
    )


__all__ = ["AnswerCheck"]
