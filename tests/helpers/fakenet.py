"""A fake recursive resolver over signed test zones, and a driver for the
validator's sans-I/O job.

:class:`FakeNetwork` answers ``(name, type)`` the way a recursive server
asked with DO=1 CD=1 would: positive answers with their RRSIGs, CNAME and
DNAME chains followed across zones, NXDOMAIN / NODATA with SOA and NSEC or
NSEC3 proofs in the authority section, wildcard synthesis with its proof, DS
from the parent side of a cut and DNSKEY from the apex.

Tests break answers with ``overrides`` (a fixed response, a FetchFailed or
a function of the honest response) and ``mutators`` (applied to every
response).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dnssec_lite.dnssec.chain import FetchFailed, FetchResult, ValidationJob, Validator
from dnssec_lite.dnssec.limits import DEFAULT_LIMITS
from dnssec_lite.dnssec.status import Answer
from dnssec_lite.errors import TransportError
from dnssec_lite.resolve.exchange import Server
from dnssec_lite.resolve.fetcher import Batch, Reply, ask_upstream, drive, job_steps
from dnssec_lite.wire.edns import EDNS_DO, Edns
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.names import CNAME, DNAME
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD, Rcode, RRClass, RRType

from .zonesigner import NOW, Zone

Override = Message | FetchFailed | Callable[[Message], FetchResult]
Mutator = Callable[[Name, int, Message], FetchResult]

#: Responses followed along a CNAME/DNAME chain: the links the validator
#: accepts, plus the one holding the data.
MAX_CHASE = DEFAULT_LIMITS.max_chain_links + 1
#: The address the fake network answers at (any address would do).
UPSTREAM = Server("192.0.2.53")


def _n(text: str | Name) -> Name:
    return text if isinstance(text, Name) else Name.from_text(text)


def _t(rrtype: int | str) -> int:
    return RRType.from_text(rrtype) if isinstance(rrtype, str) else int(rrtype)


class FakeNetwork:
    """Answers lookups from a set of signed zones; counts the queries."""

    def __init__(self, zones: Sequence[Zone], *, roundtrip: bool = True) -> None:
        self.zones: dict[Name, Zone] = {z.apex: z for z in zones}
        self.roundtrip = roundtrip
        self.queries = 0
        self.log: list[tuple[Name, int]] = []
        self.overrides: dict[tuple[Name, int], Override] = {}
        self.mutators: list[Mutator] = []

    # -- configuration -----------------------------------------------------------
    def override(self, qname: str | Name, rrtype: int | str, value: Override) -> None:
        self.overrides[(_n(qname), _t(rrtype))] = value

    # -- answering -------------------------------------------------------------------
    def zone_for(self, qname: Name, rrtype: int) -> Zone | None:
        """The zone that answers: the deepest enclosing zone, the parent side
        for DS (unless there is no parent)."""
        best: Zone | None = None
        for apex, zone in self.zones.items():
            if not qname.is_subdomain(apex):
                continue
            if (
                rrtype == RRType.DS
                and apex == qname
                and any(qname.is_strict_subdomain(a) for a in self.zones)
            ):
                continue
            if best is None or len(apex) > len(best.apex):
                best = zone
        return best

    def honest(self, qname: str | Name, rrtype: int | str) -> Message:
        """The unmodified response a recursive server would give."""
        qname, rrtype = _n(qname), _t(rrtype)
        answer: list[RRset] = []
        authority: list[RRset] = []
        rcode: int = Rcode.NOERROR
        name = qname
        for _ in range(MAX_CHASE):
            zone = self.zone_for(name, rrtype)
            if zone is None:
                rcode = Rcode.SERVFAIL
                break
            rcode, ans, auth, nxt = zone_answer(zone, name, rrtype)
            for rrset in auth:
                if not any(rrset.name == a.name and rrset.rrtype == a.rrtype for a in authority):
                    authority.append(rrset)
            for rrset in ans:
                if not any(rrset.name == a.name and rrset.rrtype == a.rrtype for a in answer):
                    answer.append(rrset)
            if nxt is None:
                break
            name = nxt
            if any(a.name == name and a.rrtype == RRType.CNAME for a in answer):
                break  # a loop: stop like a resolver would
        return Message(
            id=0x1234,
            flags=FLAG_QR | FLAG_RD | FLAG_RA | FLAG_CD,
            rcode=rcode,
            question=(Question(qname, rrtype, RRClass.IN),),
            answer=answer,
            authority=authority,
            edns=Edns(flags=EDNS_DO),
        )

    def query(self, qname: str | Name, rrtype: int | str) -> FetchResult:
        qname, rrtype = _n(qname), _t(rrtype)
        self.queries += 1
        self.log.append((qname, rrtype))
        override = self.overrides.get((qname, rrtype))
        result: FetchResult
        if isinstance(override, (Message, FetchFailed)):
            result = override
        else:
            result = self.honest(qname, rrtype)
            if override is not None:
                result = override(result)
        for mutate in self.mutators:
            if isinstance(result, Message):
                result = mutate(qname, rrtype, result)
        if self.roundtrip and isinstance(result, Message):
            result = Message.from_wire(result.to_wire())
        return result

    def exchange(self, batch: Batch) -> list[Reply]:
        """The Fetcher interface: each query answered by :meth:`query`; a
        FetchFailed becomes the exchange's TransportError (same words)."""
        out: list[Reply] = []
        for server, message in batch.items:
            q = message.question[0]
            result = self.query(q.name, q.rrtype)
            out.append(
                TransportError(str(server), result.reason)
                if isinstance(result, FetchFailed)
                else result
            )
        return out

    # -- driving the validator ------------------------------------------------------
    def resolve(
        self,
        validator: Validator,
        qname: str | Name,
        rrtype: int | str,
        now: int = NOW,
        response: FetchResult | None = None,
    ) -> Answer:
        return resolve(self, validator, qname, rrtype, now, response=response)


def run_job(job: ValidationJob, net: FakeNetwork) -> Answer:
    """Feed a job from the network until it has an answer: the library's
    driver, with the network as the fetcher of one upstream."""
    return drive(job_steps(job, ask_upstream(UPSTREAM)), net)


def resolve(
    net: FakeNetwork,
    validator: Validator,
    qname: str | Name,
    rrtype: int | str,
    now: int = NOW,
    *,
    response: FetchResult | None = None,
) -> Answer:
    """Ask the network, validate the response, fetch what the job needs.

    ``response`` replaces the answer to the question itself.  The number of
    network queries made (question included) is in ``answer.extra["fetches"]``.
    """
    qname, rrtype = _n(qname), _t(rrtype)
    before = net.queries
    if response is None:
        response = net.query(qname, rrtype)
    job = validator.start(Question(qname, rrtype, RRClass.IN), response, now)
    answer = run_job(job, net)
    answer.extra["fetches"] = net.queries - before
    return answer


# -- one zone's answer ----------------------------------------------------------------


def zone_answer(
    zone: Zone, qname: Name, qtype: int
) -> tuple[int, list[RRset], list[RRset], Name | None]:
    """(rcode, answer, authority, name to chase) for ``qname`` in ``zone``."""
    signed = zone.signed
    cut = zone.below_cut(qname)
    if cut is not None and not (qname == cut and qtype == RRType.DS):
        # A referral to a child zone nobody modelled.
        auth = [signed[(cut, RRType.NS)]]
        if (cut, RRType.DS) in signed:
            auth.append(signed[(cut, RRType.DS)])
        else:
            auth += _nodata_proof(zone, cut)
        return Rcode.NOERROR, [], auth, None
    # DNAME above the name (within this zone).
    for depth in range(len(zone.apex), len(qname)):
        owner = qname.suffix(depth)
        dname = signed.get((owner, RRType.DNAME))
        if dname is not None:
            target = next(rd.target for rd in dname.rdatas if isinstance(rd, DNAME))
            new = Name.from_labels(qname.labels[: len(qname) - len(owner)] + target.labels)
            synth = RRset(qname, RRType.CNAME, RRClass.IN, dname.ttl, [CNAME(new)])
            return Rcode.NOERROR, [dname, synth], [], new
    direct = signed.get((qname, qtype))
    if direct is not None and qtype not in (RRType.NSEC3,):
        return Rcode.NOERROR, [direct], [], None
    cname = signed.get((qname, RRType.CNAME))
    if cname is not None and qtype != RRType.CNAME:
        return Rcode.NOERROR, [cname], [], _cname_target(cname)
    soa = [signed[(zone.apex, RRType.SOA)]]
    if zone.exists(qname):
        return Rcode.NOERROR, [], soa + _nodata_proof(zone, qname), None
    ce = closest_encloser(zone, qname)
    wild = ce.wildcard()
    next_closer = qname.suffix(len(ce) + 1)
    if zone.exists(wild):
        wdata = signed.get((wild, qtype))
        wcname = signed.get((wild, RRType.CNAME))
        if wdata is not None or (wcname is not None and qtype != RRType.CNAME):
            source = wdata if wdata is not None else wcname
            assert source is not None
            synth = RRset(
                qname,
                source.rrtype,
                source.rrclass,
                source.ttl,
                source.rdatas,
                source.sigs,
                source.sig_ttl,
            )
            if zone.nsec3 is not None:
                proof = _some([zone.nsec3_covering(next_closer)])
            else:
                proof = _some([zone.nsec_covering(qname)])
            nxt = _cname_target(synth) if source.rrtype == RRType.CNAME else None
            return Rcode.NOERROR, [synth], proof, nxt
        # Wildcard NODATA.
        if zone.nsec3 is not None:
            proof = _some(
                [
                    zone.nsec3_matching(ce),
                    zone.nsec3_covering(next_closer),
                    zone.nsec3_matching(wild),
                ]
            )
        else:
            proof = _some([zone.nsec_covering(qname), zone.nsec_for(wild)])
        return Rcode.NOERROR, [], soa + proof, None
    if zone.nsec3 is not None:
        proof = _some(
            [zone.nsec3_matching(ce), zone.nsec3_covering(next_closer), zone.nsec3_covering(wild)]
        )
    else:
        proof = _some([zone.nsec_covering(qname), zone.nsec_covering(wild)])
    return Rcode.NXDOMAIN, [], soa + proof, None


def closest_encloser(zone: Zone, qname: Name) -> Name:
    for depth in range(len(qname) - 1, len(zone.apex) - 1, -1):
        candidate = qname.suffix(depth)
        if zone.exists(candidate):
            return candidate
    return zone.apex


def _nodata_proof(zone: Zone, qname: Name) -> list[RRset]:
    if zone.nsec3 is not None:
        matched = zone.nsec3_matching(qname)
        if matched is not None:
            return [matched]
        # Not in the chain (an opt-out delegation): closest provable encloser.
        for depth in range(len(qname) - 1, len(zone.apex) - 1, -1):
            ce = qname.suffix(depth)
            m = zone.nsec3_matching(ce)
            if m is not None:
                return _some([m, zone.nsec3_covering(qname.suffix(depth + 1))])
        return []
    nsec = zone.nsec_for(qname)
    if nsec is not None:
        return [nsec]
    return _some([zone.nsec_covering(qname)])  # an empty non-terminal


def _some(rrsets: list[RRset | None]) -> list[RRset]:
    out: list[RRset] = []
    for rrset in rrsets:
        if rrset is not None and not any(
            r.name == rrset.name and r.rrtype == rrset.rrtype for r in out
        ):
            out.append(rrset)
    return out


def _cname_target(rrset: RRset) -> Name | None:
    for rd in rrset.rdatas:
        if isinstance(rd, CNAME):
            return rd.target
    return None


def validate_in(
    hierarchy: object,
    qname: str | Name,
    rrtype: int | str,
    now: int = NOW,
    *,
    anchors: object = None,
    net: FakeNetwork | None = None,
    **validator_kwargs: object,
) -> Answer:
    """Sign nothing, just ask: a fresh Validator over ``hierarchy`` (a
    zonesigner.Hierarchy) with its root anchor unless ``anchors`` is given."""
    from .zonesigner import Hierarchy

    assert isinstance(hierarchy, Hierarchy)
    validator = Validator(
        anchors if anchors is not None else hierarchy.anchors(),  # type: ignore[arg-type]
        **validator_kwargs,  # type: ignore[arg-type]
    )
    network = net if net is not None else hierarchy.network()
    return network.resolve(validator, qname, rrtype, now)


__all__ = ["FakeNetwork", "closest_encloser", "resolve", "run_job", "validate_in", "zone_answer"]
