"""What validation concludes: status, reason, the chain checked, the answer.

A validation outcome is always a value of these types, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

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


@dataclass(frozen=True, slots=True)
class KeyRef:
    """A key or DS record used in the chain: key tag, algorithm and detail
    (DNSKEY flags, or DS digest type)."""

    tag: int
    algorithm: int
    detail: int

    def __str__(self) -> str:
        return f"{self.tag}/{self.algorithm}"


@dataclass(frozen=True, slots=True)
class ChainLink:
    """One zone on the way from the trust anchor to the data."""

    zone: Name
    status: Status
    ds: tuple[KeyRef, ...] = ()
    dnskeys: tuple[KeyRef, ...] = ()
    proof: str | None = None

    def to_text(self) -> str:
        parts = [f"{self.zone.to_text()} {self.status.value}"]
        if self.ds:
            parts.append("DS " + ",".join(str(k) for k in self.ds))
        if self.dnskeys:
            parts.append("DNSKEY " + ",".join(str(k) for k in self.dnskeys))
        if self.proof:
            parts.append(self.proof)
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
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

    def __post_init__(self) -> None:
        if (self.reason is None) != (self.status is Status.SECURE):
            raise ValueError("a reason is required exactly when the status is not SECURE")

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
