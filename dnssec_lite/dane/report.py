"""What a DANE check found: per host, per address, and the verdict.

These are plain values built by :mod:`dnssec_lite.dane.policy`; the command
line prints :attr:`DaneReport.transcript` and :meth:`DaneReport.to_json`.  The
JSON field names are a contract read by scripts: keep them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from ..dnssec.status import Reason, Status
from ..wire.name import Name


class Policy(Enum):
    """How strictly a destination must authenticate (RFC 7672 section 2)."""

    #: DANE where the destination publishes secure TLSA records, ordinary
    #: (unauthenticated) TLS elsewhere.
    OPPORTUNISTIC = "opportunistic"
    #: Anything short of a DANE-authenticated session is a failure.
    MANDATORY = "mandatory"

    @classmethod
    def parse(cls, value: str | Policy) -> Policy:
        if isinstance(value, Policy):
            return value
        try:
            return cls(value.lower())
        except ValueError:
            choices = ", ".join(p.value for p in cls)
            raise ValueError(f"unknown DANE policy {value!r} (choose from {choices})") from None


class Verdict(Enum):
    """The delivery decision for a domain."""

    #: A DANE host's certificate was authenticated with its TLSA records.
    SUCCESS = "success"
    #: Mail must not be sent now (it stays queued): DANE applies and failed,
    #: the MX lookup is bogus, no host is usable, or the policy is mandatory.
    FAILED = "failed"
    #: DANE does not apply (opportunistic policy): deliver over ordinary TLS.
    FALLBACK_TLS = "fallback"


class TlsaStatus(Enum):
    """How the TLSA lookup of one MX host came out."""

    #: Secure TLSA records: DANE applies to the host.
    SECURE = "secure"
    #: The TLSA records provably do not exist (secure NXDOMAIN or NODATA).
    NXDOMAIN = "nxdomain"
    NODATA = "nodata"
    #: The TLSA answer is insecure: no DANE for the host.
    INSECURE = "insecure"
    #: Bogus, indeterminate, SERVFAIL or timeout: the host is unusable and
    #: must not be used without authentication (RFC 7672 section 2.1.1).
    BOGUS = "bogus"
    FAILED = "failed"
    #: Not asked: the host's addresses are not secure (RFC 7672 2.2.2).
    NOT_LOOKED_UP = "not-looked-up"


class MatchOutcome(Protocol):
    """The part of :class:`dnssec_lite.dane.tlsa.DaneMatch` the policy reads."""

    @property
    def ok(self) -> bool: ...

    @property
    def usable(self) -> int: ...

    @property
    def reason(self) -> str: ...


@dataclass(frozen=True)
class TlsaResult:
    """The TLSA RRset that applies to a host, and how it was classified."""

    status: TlsaStatus
    base_domain: Name
    records: tuple[Any, ...] = ()
    usable: int = 0
    reason: Reason | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status.value,
            "base_domain": display(self.base_domain),
            "records": [record.to_text() for record in self.records],
            "usable": self.usable,
            "reason": reason_json(self.reason),
        }


@dataclass
class AddressResult:
    """One address of an MX host and what happened when it was tried."""

    address: str
    family: int
    status: Status
    reason: Reason | None = None
    tls_protocol: str | None = None
    tls_cipher: str | None = None
    match: MatchOutcome | None = None
    error: str | None = None
    #: Our stable code for the failure (``connection-refused``, ...), if any.
    error_kind: str | None = None
    tried: bool = False

    def to_json(self) -> dict[str, object]:
        tls = None
        if self.tls_protocol is not None:
            tls = {"protocol": self.tls_protocol, "cipher": self.tls_cipher}
        return {
            "address": self.address,
            "family": self.family,
            "status": self.status.value,
            "reason": reason_json(self.reason),
            "tls": tls,
            "match": match_json(self.match),
            "error": self.error,
        }


class HostRole(Enum):
    """What a host is to the check once its lookups are done."""

    #: Secure TLSA records apply: it must authenticate.
    DANE = "dane"
    #: Secure TLSA records apply but none is usable: TLS is required,
    #: unauthenticated (RFC 7672 section 2.2; Postfix "encrypt").
    TLS_REQUIRED = "tls-required"
    #: DANE does not apply (insecure addresses or no TLSA).
    NON_DANE = "non-dane"
    #: A lookup failed or was bogus: the host must not be used.
    UNUSABLE = "unusable"


@dataclass
class HostResult:
    """One MX host (or the domain itself, as the implicit MX)."""

    name: Name
    preference: int | None
    mx_status: Status
    addresses: list[AddressResult] = field(default_factory=list)
    tlsa: TlsaResult | None = None
    role: HostRole = HostRole.NON_DANE
    #: Why the host is unusable, when it is.
    reason: Reason | None = None
    #: The host's address records came through a secure CNAME to this name.
    cname_target: Name | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "name": display(self.name),
            "preference": self.preference,
            "mx_status": self.mx_status.value,
            "role": self.role.value,
            "addresses": [a.to_json() for a in self.addresses],
            "tlsa": None if self.tlsa is None else self.tlsa.to_json(),
            "reason": reason_json(self.reason),
        }


@dataclass
class DaneReport:
    """The outcome of one DANE check of a mail domain."""

    domain: Name
    policy: Policy
    verdict: Verdict
    tls_required: bool
    hosts: list[HostResult]
    reason: Reason | None
    transcript: list[str]
    #: Upstreams that the resolver found stripping DNSSEC, with the evidence.
    stripping: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.SUCCESS

    def to_json(self) -> dict[str, object]:
        return {
            "domain": display(self.domain),
            "policy": self.policy.value,
            "verdict": self.verdict.value,
            "tls_required": self.tls_required,
            "hosts": [host.to_json() for host in self.hosts],
            "reason": reason_json(self.reason),
            "stripping": dict(self.stripping),
            "transcript": list(self.transcript),
        }


def display(name: Name) -> str:
    """A name as the reference transcript writes it: no final dot."""
    text = name.to_text()
    return text if text == "." else text.rstrip(".")


def reason_json(reason: Reason | None) -> dict[str, object] | None:
    if reason is None:
        return None
    return {"ede": reason.ede, "text": reason.text}


def match_json(match: MatchOutcome | None) -> dict[str, object] | None:
    if match is None:
        return None
    out: dict[str, object] = {"ok": match.ok, "usable": match.usable, "reason": match.reason}
    record = getattr(match, "record", None)
    if record is not None:
        out["record"] = record.to_text() if hasattr(record, "to_text") else str(record)
    depth = getattr(match, "depth", None)
    if depth is not None:
        out["depth"] = depth
    return out


def indent(lines: Sequence[str]) -> list[str]:
    """Reason lines follow the line they explain, indented by two spaces."""
    return [f"  {line}" for line in lines]
