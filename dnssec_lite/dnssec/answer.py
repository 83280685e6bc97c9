"""Validating the answer to the question: the data asked for, the CNAME and
DNAME links leading to it, and the denial at the end of the chain.

Each RRset of the answer is checked with the keys of its signer (found by
the trust walk); a chain of CNAMEs and DNAMEs is followed link by link, with
the synthesised CNAME of a DNAME checked against the substitution (RFC
6672), and the weakest link decides the status of the whole answer.

As in Unbound's validator, the response is classified first (positive
data, ANY, a CNAME/DNAME chain, a denial) and each class has its branch;
the warm case of the positive branch settles without a generator.

:class:`AnswerCheck` is the part of the validation job that does this; the
job (``chain.ValidationJob``) inherits it.
"""

from __future__ import annotations

from collections.abc import Generator

from ..wire.message import Message, Question
from ..wire.name import Name
from ..wire.rdata.names import CNAME
from ..wire.rrset import RRset
from ..wire.types import EDE, Rcode, RRType
from . import reasons
from .denial import DenialCheck, Link
from .fetch import Fetch, FetchFailed, FetchResult
from .keycache import KeyEntry
from .sections import (
    any_at,
    capped,
    cname_target,
    data_at,
    dname_target,
    find_dname,
    min_ttl,
    proof_rrsets,
    synthesised_mismatch,
)
from .status import Answer, Reason, Status

# Enum members bound once: reading ``RRType.X`` costs an attribute lookup
# on the enum class, several times per validation on the hot paths.
_SECURE = Status.SECURE
_INSECURE = Status.INSECURE
_BOGUS = Status.BOGUS
_T_ANY = RRType.ANY
_T_RRSIG = RRType.RRSIG
_T_CNAME = RRType.CNAME
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

    # -- classify, then dispatch ----------------------------------------------
    def _start_answer(self) -> Answer | Generator[list[Fetch], None, Answer]:
        """Classify the response and hand it to the branch for its class;
        what cannot be validated (a failed fetch, an error rcode, RRSIGs, a
        negative trust anchor) is settled here.  An :class:`Answer` when
        settled without a fetch, else the generator that does the rest."""
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
        name = q.name
        qtype = q.rrtype
        if rcode != _NOERROR and rcode != _NXDOMAIN:
            dname = find_dname(response, name) if rcode == _YXDOMAIN else None
            if dname is not None:
                return self._dname_overflow(dname, response)
            return self._finish(
                Status.INDETERMINATE,
                reasons.upstream_rcode(name, qtype, rcode),
                rcode,
                [],
                [],
                0,
            )
        if qtype == _T_RRSIG:
            # RFC 4035 5.3.1 never covers RRSIG RRsets; like Unbound, hand
            # them over as unvalidated.
            return self._finish(
                _INSECURE,
                reasons.rrsig_query(name, qtype),
                rcode,
                list(response.answer),
                [],
                min_ttl(response.answer),
            )
        anchors = self.validator.anchors
        if anchors.negative:
            nta = anchors.negative_for(name)
            if nta is not None:
                return self._finish(
                    _INSECURE,
                    reasons.negative_anchor(name, nta),
                    rcode,
                    list(response.answer),
                    [],
                    min_ttl(response.answer),
                )
        if self.limits.max_chain_links < 0:
            return self._conclude([self._chain_too_long()], rcode, [], [])
        if qtype == _T_ANY:
            found = any_at(response, name)
            if found:
                return self._any_answer(found, response)
        else:
            direct = data_at(response, name, qtype)
            if direct is not None:
                return self._positive_answer(direct, response)
        if (qtype != _T_CNAME and response.get_answer(name, _T_CNAME) is not None) or find_dname(
            response, name
        ) is not None:
            return self._chain_answer(response)
        return self._negative_answer(name, response)

    # -- the classes of response ----------------------------------------------
    def _positive_answer(
        self, direct: RRset, response: Message
    ) -> Answer | Generator[list[Fetch], None, Answer]:
        """The data asked for, at the name asked for.  Its warm case -- one
        RRSIG, by a zone whose keys are cached, NOERROR -- is settled here
        without a generator; anything else may need fetches."""
        rcode = response.rcode
        sigs = direct.sigs
        if rcode == _NOERROR and len(sigs) == 1:
            signer = sigs[0].signer
            if direct.name.is_subdomain(signer) and not self._closer_anchor(
                direct.name, direct.rrtype, signer
            ):
                entry = self._known_keys(signer)
                if entry is not None:
                    link = self._signed_link(direct, signer, entry, response)[0]
                    denial = proof_rrsets(response) if link.status is _INSECURE else []
                    return self._conclude([link], rcode, [link.rrset or direct], denial)
        return self._cold_positive(direct, response)

    def _cold_positive(
        self, direct: RRset, response: Message
    ) -> Generator[list[Fetch], None, Answer]:
        links: list[Link] = []
        out: list[RRset] = []
        denial: list[RRset] = []
        yield from self._data_link(direct, response, links, out, denial)
        name = direct.name
        return (yield from self._with_data(links, out, denial, {name}, name, response))

    def _any_answer(
        self, found: list[RRset], response: Message
    ) -> Generator[list[Fetch], None, Answer]:
        """ANY: every RRset at the name, each checked on its own."""
        links: list[Link] = []
        out: list[RRset] = []
        yield from self._any_links(found, response, links, out)
        name = self.question.name
        return (yield from self._with_data(links, out, [], {name}, name, response))

    def _negative_answer(
        self, name: Name, response: Message
    ) -> Generator[list[Fetch], None, Answer]:
        """No data and no chain at the name asked for: NXDOMAIN or NODATA."""
        links: list[Link] = []
        denial: list[RRset] = []
        yield from self._negative_link(name, response, links, denial)
        return self._conclude(links, response.rcode, [], denial)

    def _chain_answer(self, response: Message) -> Generator[list[Fetch], None, Answer]:
        """A CNAME or DNAME at the name asked for: each link of the chain,
        then the data (or ANY's RRsets) or the denial at its end."""
        q = self.question
        qtype = q.rrtype
        links: list[Link] = []
        out: list[RRset] = []
        denial: list[RRset] = []
        name = q.name
        seen: set[Name] = set()
        for _hop in range(self.limits.max_chain_links + 1):
            if name in seen:
                links.append(
                    Link(
                        _BOGUS,
                        reasons.chain_loop(name, qtype),
                        0,
                    )
                )
                break
            seen.add(name)
            if qtype == _T_ANY:
                found = any_at(response, name)
                if found:
                    yield from self._any_links(found, response, links, out)
                    return (yield from self._with_data(links, out, denial, seen, name, response))
            else:
                direct = data_at(response, name, qtype)
                if direct is not None:
                    yield from self._data_link(direct, response, links, out, denial)
                    return (yield from self._with_data(links, out, denial, seen, name, response))
            dname = find_dname(response, name)
            cname = response.get_answer(name, _T_CNAME) if dname is None else None
            # A CNAME below a DNAME is the synthesised (unsigned) one: the
            # DNAME branch checks it against the substitution.
            if cname is not None and qtype != _T_CNAME:
                link = yield from self._validate_positive(cname, response)
                links.append(link)
                out.append(link.rrset or cname)
                target = cname_target(cname)
                if target is None:
                    break
                name = target
                continue
            if dname is not None:
                synth = yield from self._dname_link(dname, name, response, links, out)
                if synth is None:
                    break
                if qtype == _T_CNAME:
                    # The synthesised CNAME is the answer asked for.
                    return (yield from self._with_data(links, out, denial, seen, name, response))
                name = synth
                continue
            # No data for ``name``: a denial at the end of the chain.
            yield from self._negative_link(name, response, links, denial)
            break
        else:
            links.append(self._chain_too_long())
        return self._conclude(links, response.rcode, out, denial)

    def _dname_overflow(
        self, dname: RRset, response: Message
    ) -> Generator[list[Fetch], None, Answer]:
        """YXDOMAIN with a DNAME: RFC 6672 2.2, the substitution would
        exceed 255 octets.  The DNAME can be validated; the rcode itself is
        not signed, so at best the answer is INSECURE (as in Unbound: no
        AD)."""
        q = self.question
        rcode = response.rcode
        link = yield from self._validate_positive(dname, response)
        if link.status is _BOGUS:
            return self._finish(link.status, link.reason, rcode, [dname], [], 0)
        if link.status is _SECURE and dname_target(dname, q.name) is not None:
            # The signed DNAME rewrites the name into one that fits: the
            # YXDOMAIN rcode is contradicted by the data it comes with.
            return self._finish(
                _BOGUS,
                reasons.yxdomain_contradicted(q.name, q.rrtype, dname.name),
                rcode,
                [dname],
                [],
                0,
            )
        return self._finish(
            _INSECURE,
            reasons.yxdomain_overflow(q.name, q.rrtype, dname.name),
            rcode,
            [dname],
            [],
            link.ttl,
        )

    # -- pieces shared by the branches ----------------------------------------
    def _data_link(
        self,
        direct: RRset,
        response: Message,
        links: list[Link],
        out: list[RRset],
        denial: list[RRset],
    ) -> Generator[list[Fetch], None, None]:
        """Check the data asked for; an INSECURE one keeps the response's
        proof records beside it."""
        link = yield from self._validate_positive(direct, response)
        links.append(link)
        out.append(link.rrset or direct)
        if link.status is _INSECURE:
            denial.extend(proof_rrsets(response))

    def _any_links(
        self, found: list[RRset], response: Message, links: list[Link], out: list[RRset]
    ) -> Generator[list[Fetch], None, None]:
        for rrset in found:
            link = yield from self._validate_positive(rrset, response)
            links.append(link)
            out.append(link.rrset or rrset)

    def _negative_link(
        self, name: Name, response: Message, links: list[Link], denial: list[RRset]
    ) -> Generator[list[Fetch], None, None]:
        nxdomain = response.rcode == _NXDOMAIN
        link = yield from self._validate_negative(name, self.question.rrtype, nxdomain, response)
        links.append(link)
        denial.extend(proof_rrsets(response))

    def _dname_link(
        self, dname: RRset, name: Name, response: Message, links: list[Link], out: list[RRset]
    ) -> Generator[list[Fetch], None, Name | None]:
        """Check a DNAME above ``name`` and the CNAME synthesised from it
        (RFC 6672); the name it rewrites ``name`` into, or None when the
        chain stops here (a BOGUS link appended)."""
        link = yield from self._validate_positive(dname, response)
        if link.status is _SECURE and any(
            sig.labels < dname.name.label_count() for sig in dname.sigs
        ):
            # RFC 6672 3.3: a DNAME is never synthesised from a wildcard.
            link = Link(
                _BOGUS,
                reasons.dname_from_wildcard(dname.name),
                0,
            )
        links.append(link)
        out.append(link.rrset or dname)
        synth = dname_target(dname, name)
        if synth is None:
            links.append(
                Link(
                    _BOGUS,
                    reasons.dname_too_long(name, self.question.rrtype),
                    0,
                )
            )
            return None
        given = response.get_answer(name, _T_CNAME)
        if given is not None:
            problem = synthesised_mismatch(given, dname, synth)
            if problem is not None:
                links.append(
                    Link(_BOGUS, reasons.bogus(EDE.DNSSEC_BOGUS, problem, name, _T_CNAME), 0)
                )
                return None
            # RFC 6672 3.1: the synthesised CNAME lives as long as the DNAME
            # it comes from.
            out.append(capped(given, out[-1].ttl) if link.status is _SECURE else given)
        else:
            # The server left it out (or it was moved away): the answer
            # carries the CNAME the DNAME defines, whatever the server sent
            # (RFC 6672 3.4 lets resolvers make it).
            out.append(RRset(name, _T_CNAME, dname.rrclass, out[-1].ttl, [CNAME(synth)]))
        return synth

    def _with_data(
        self,
        links: list[Link],
        out: list[RRset],
        denial: list[RRset],
        seen: set[Name],
        name: Name,
        response: Message,
    ) -> Generator[list[Fetch], None, Answer]:
        """The answer for a chain that ended in data at ``name``.  Under
        NXDOMAIN that data needs a second look: the target of a CNAME asked
        for needs its own denial, other signed data contradicts the rcode."""
        rcode = response.rcode
        if rcode == _NXDOMAIN:
            qtype = self.question.rrtype
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

    def _chain_too_long(self) -> Link:
        q = self.question
        return Link(
            _BOGUS,
            reasons.limit_hit(
                "CNAME/DNAME chain too long", self.limits.max_chain_links, q.name, q.rrtype
            ),
            0,
        )

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
        # A signer above the trust anchor closest to the data proves nothing.
        above = [s for s in signers if self._closer_anchor(owner, rrset.rrtype, s)]
        if above:
            signers = [s for s in signers if s not in above]
        if not signers:
            entry = yield from self._zone_of(rrset.name, rrset.rrtype)
            if entry.status is not _SECURE:
                return Link(entry.status, entry.reason, rrset.ttl)
            return Link(
                _BOGUS,
                reasons.signer_above_anchor(rrset.name, rrset.rrtype, above),
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
                reasons.signer_not_below(rrset.name, rrset.rrtype, signer, entry.zone),
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
                    reasons.denial_insecure(rrset.name, rrset.rrtype, proof.text),
                    ttl,
                ), True
            if 0 <= proof_cap < ttl:
                ttl = proof_cap
        return Link(_SECURE, None, ttl, out), True


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
        reasons.nxdomain_with_data(name, qtype),
        0,
    )


__all__ = ["AnswerCheck"]
