"""What validation concludes: status, reason, the chain checked, the answer.

A validation outcome is always a value of these types, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ..wire.message import Question
from ..wire.name import Name
from ..wire.rrset import RRset
from ..wire.types import EDE, Rcode, RRType


class Status(Enum):
    """RFC 4033 section 5 / RFC 4035 section 4.3 security status."""

    #: A chain of signed DNSKEY and DS records leads from a trust anchor to
    #: the data (or to the proof that it does not exist).
    SECURE = "secure"
    #: There is an authenticated proof that no chain of trust reaches the
    #: data: an unsigned delegation, a zone signed only with unsupported
    #: algorithms, an NSEC3 iteration count above the limit, or a negative
    #: trust anchor.
    INSECURE = "insecure"
    #: A chain of trust should reach the data but does not validate: bad or
    #: missing signatures, expired signatures, missing keys, broken proofs.
    BOGUS = "bogus"
    #: Nothing can be said: no trust anchor covers the name, or the data
    #: needed could not be fetched.
    INDETERMINATE = "indeterminate"

    @staticmethod
    def weakest(*statuses: Status) -> Status:
        """Combine link statuses: BOGUS > INDETERMINATE > INSECURE > SECURE."""
        best = Status.SECURE
        for status in statuses:
            if _RANK[status] > _RANK[best]:
                best = status
        return best


_RANK = {Status.SECURE: 0, Status.INSECURE: 1, Status.INDETERMINATE: 2, Status.BOGUS: 3}
_SECURE = Status.SECURE


def slot_setter(cls: type, name: str) -> Any:
    """The raw setter of slot ``name`` of ``cls``.

    The result types below are frozen, slotted dataclasses built several
    times per validated zone.  The ``__init__`` dataclasses generates for a
    frozen class goes through ``object.__setattr__`` for every field; the
    hand-written ones below store through the slot descriptors directly,
    which halves construction time.  Attribute assignment from outside
    still raises ``FrozenInstanceError``, and equality, hashing, ``repr``
    and ``dataclasses.replace`` are the dataclass ones.
    """
    return getattr(cls, name).__set__


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a result is not SECURE: an RFC 8914 code and a sentence.

    ``ede`` is None only for INSECURE results that need no error code (an
    ordinary unsigned delegation).  ``name``/``rrtype`` name the record whose
    check failed, when there is one.
    """

    ede: int | None
    text: str
    name: Name | None = None
    rrtype: int | None = None

    def __str__(self) -> str:
        if self.ede is None:
            return self.text
        return f"{self.text} (EDE {self.ede}: {EDE.to_text(self.ede).replace('_', ' ').title()})"


@dataclass(frozen=True, slots=True, init=False)
class KeyRef:
    """A key or DS record used in the chain: key tag, algorithm and detail
    (DNSKEY flags, or DS digest type)."""

    tag: int
    algorithm: int
    detail: int

    def __init__(self, tag: int, algorithm: int, detail: int) -> None:
        _kr_tag(self, tag)
        _kr_algorithm(self, algorithm)
        _kr_detail(self, detail)

    def __str__(self) -> str:
        return f"{self.tag}/{self.algorithm}"


_kr_tag = slot_setter(KeyRef, "tag")
_kr_algorithm = slot_setter(KeyRef, "algorithm")
_kr_detail = slot_setter(KeyRef, "detail")


@dataclass(frozen=True, slots=True, init=False)
class ChainLink:
    """One zone on the way from the trust anchor to the data."""

    zone: Name
    status: Status
    ds: tuple[KeyRef, ...] = ()
    dnskeys: tuple[KeyRef, ...] = ()
    proof: str | None = None
    #: Earliest RRSIG expiration (POSIX seconds) of the zone's validated DS
    #: and DNSKEY RRsets, for checks of how long the chain stays valid.
    sig_expires: int | None = field(default=None, compare=False)

    def __init__(
        self,
        zone: Name,
        status: Status,
        ds: tuple[KeyRef, ...] = (),
        dnskeys: tuple[KeyRef, ...] = (),
        proof: str | None = None,
        sig_expires: int | None = None,
    ) -> None:
        _cl_zone(self, zone)
        _cl_status(self, status)
        _cl_ds(self, ds)
        _cl_dnskeys(self, dnskeys)
        _cl_proof(self, proof)
        _cl_sig_expires(self, sig_expires)

    def to_text(self) -> str:
        parts = [f"{self.zone.to_text()} {self.status.value}"]
        if self.ds:
            parts.append("DS " + ",".join(str(k) for k in self.ds))
        if self.dnskeys:
            parts.append("DNSKEY " + ",".join(str(k) for k in self.dnskeys))
        if self.proof:
            parts.append(self.proof)
        return "; ".join(parts)


_cl_zone = slot_setter(ChainLink, "zone")
_cl_status = slot_setter(ChainLink, "status")
_cl_ds = slot_setter(ChainLink, "ds")
_cl_dnskeys = slot_setter(ChainLink, "dnskeys")
_cl_proof = slot_setter(ChainLink, "proof")
_cl_sig_expires = slot_setter(ChainLink, "sig_expires")


@dataclass(frozen=True, slots=True, init=False)
class Answer:
    """A validated answer: what was asked, what came back, how sure it is.

    ``rrsets`` are the answer-section RRsets (CNAME chain included) with
    their signatures; ``denial`` the NSEC/NSEC3 (and SOA) RRsets of a
    negative answer or a wildcard proof.  ``ttl`` is capped by the original
    TTLs and signature expirations of the data validated.
    """

    question: Question
    rcode: int
    status: Status
    rrsets: tuple[RRset, ...] = ()
    denial: tuple[RRset, ...] = ()
    reason: Reason | None = None
    chain: tuple[ChainLink, ...] = ()
    ttl: int = 0
    queries: int = 0
    extra: dict[str, object] = field(default_factory=dict, compare=False)
    #: How the answer was obtained: a ``dnssec_lite.resolve.Resolution`` set
    #: by the resolvers (None from a bare validator).  Typed ``Any`` here
    #: because the validator layer does not import the resolver layer.
    resolution: Any = field(default=None, compare=False)

    def __init__(
        self,
        question: Question,
        rcode: int,
        status: Status,
        rrsets: tuple[RRset, ...] = (),
        denial: tuple[RRset, ...] = (),
        reason: Reason | None = None,
        chain: tuple[ChainLink, ...] = (),
        ttl: int = 0,
        queries: int = 0,
        extra: dict[str, object] | None = None,
        resolution: Any = None,
    ) -> None:
        if (reason is None) != (status is _SECURE):
            raise ValueError("a reason is required exactly when the status is not SECURE")
        _an_question(self, question)
        _an_rcode(self, rcode)
        _an_status(self, status)
        _an_rrsets(self, rrsets)
        _an_denial(self, denial)
        _an_reason(self, reason)
        _an_chain(self, chain)
        _an_ttl(self, ttl)
        _an_queries(self, queries)
        _an_extra(self, {} if extra is None else extra)
        _an_resolution(self, resolution)

    @property
    def secure(self) -> bool:
        return self.status is Status.SECURE

    @property
    def rcode_text(self) -> str:
        return Rcode.to_text(self.rcode)

    def records(self, rrtype: int | None = None) -> list[RRset]:
        """Answer RRsets of the asked type (or ``rrtype``), CNAMEs left out."""
        want = self.question.rrtype if rrtype is None else rrtype
        return [rrset for rrset in self.rrsets if rrset.rrtype == want or want == RRType.ANY]

    def summary(self) -> str:
        """One line: status, rcode and the reason if any."""
        line = f"{self.status.value.upper()} {self.rcode_text} {self.question.to_text()}"
        if self.reason is not None:
            line += f": {self.reason}"
        return line


_an_question = slot_setter(Answer, "question")
_an_rcode = slot_setter(Answer, "rcode")
_an_status = slot_setter(Answer, "status")
_an_rrsets = slot_setter(Answer, "rrsets")
_an_denial = slot_setter(Answer, "denial")
_an_reason = slot_setter(Answer, "reason")
_an_chain = slot_setter(Answer, "chain")
_an_ttl = slot_setter(Answer, "ttl")
_an_queries = slot_setter(Answer, "queries")
_an_extra = slot_setter(Answer, "extra")
_an_resolution = slot_setter(Answer, "resolution")
