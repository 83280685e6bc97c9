"""What a DANE check found: per host, per address, and the verdict.

These are plain values built by :mod:`dnssec_lite.dane.policy`; the command
line prints :attr:`DaneReport.transcript` and :meth:`DaneReport.to_json`.  The
JSON field names are a contract read by scripts: keep them.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from ..dnssec.status import Reason, Status
from ..wire.name import Name
from .codes import Code, Finding, Severity, tlsrpt_type

#: Version of the JSON report; bumped only when a field changes meaning or
#: goes away (new fields do not bump it).
SCHEMA = 1


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
    #: The stable result code of the failure (see :mod:`dnssec_lite.dane.codes`).
    code: Code | None = None
    #: The local address the probe connected from.
    local_address: str | None = None
    #: Why the address is special-purpose (loopback, private, ...), if it is.
    special: str | None = None
    #: Survey only: every probe of this address (default, then per key type).
    probes: list[Any] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        tls = None
        if self.tls_protocol is not None:
            tls = {"protocol": self.tls_protocol, "cipher": self.tls_cipher}
        out: dict[str, object] = {
            "address": self.address,
            "family": self.family,
            "status": self.status.value,
            "reason": reason_json(self.reason),
            "tls": tls,
            "match": match_json(self.match),
            "error": self.error,
            "code": None if self.code is None else self.code.value,
            "special": self.special,
        }
        if self.probes:
            out["survey"] = [p.to_json() for p in self.probes]
        return out


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
    #: The stable code of why the host is unusable, when it is.
    code: Code | None = None
    #: TLSA rollover readiness (DANE hosts; :class:`dnssec_lite.dane.records.Rollover`).
    rollover: Any = None

    def to_json(self) -> dict[str, object]:
        return {
            "name": display(self.name),
            "preference": self.preference,
            "mx_status": self.mx_status.value,
            "role": self.role.value,
            "addresses": [a.to_json() for a in self.addresses],
            "tlsa": None if self.tlsa is None else self.tlsa.to_json(),
            "reason": reason_json(self.reason),
            "code": None if self.code is None else self.code.value,
            "rollover": None if self.rollover is None else self.rollover.to_json(),
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
    #: Every coded failure, warning and notice of the check.
    findings: list[Finding] = field(default_factory=list)
    #: A survey (every address, every key type); ``verdict`` is then the
    #: worst over the DANE hosts' addresses and ``delivery`` the MTA's one.
    survey: bool = False
    delivery: Verdict | None = None
    #: The expiry horizon checked, in days (None: not asked).
    horizon_days: int | None = None
    #: The operator's lines (survey table, rollover, findings) after the transcript.
    survey_lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.SUCCESS

    def by_severity(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity is severity]

    @property
    def failures(self) -> list[Finding]:
        return self.by_severity(Severity.FAILURE)

    @property
    def warnings(self) -> list[Finding]:
        return self.by_severity(Severity.WARNING)

    def to_json(self) -> dict[str, object]:
        return {
            "schema": SCHEMA,
            "domain": display(self.domain),
            "policy": self.policy.value,
            "verdict": self.verdict.value,
            "delivery": (self.delivery or self.verdict).value,
            "survey": self.survey,
            "horizon_days": self.horizon_days,
            "tls_required": self.tls_required,
            "hosts": [host.to_json() for host in self.hosts],
            "reason": reason_json(self.reason),
            "stripping": dict(self.stripping),
            "findings": [f.to_json() for f in self.findings],
            "transcript": list(self.transcript),
        }

    def tlsrpt_failure_details(self, sending_mta_ip: str | None = None) -> list[dict[str, object]]:
        """RFC 8460 section 4.3 ``failure-details`` entries, one per failed session
        or lookup of this check.

        ``result-type`` is the RFC 8460 type of the code, ``failure-reason-code``
        our code, ``additional-information`` the explanation as a ``data:`` URI
        (the field is a URI).  ``sending-mta-ip`` defaults to the local address
        the probe used.
        """
        local = {
            a.address: a.local_address for h in self.hosts for a in h.addresses if a.local_address
        }
        entries: list[dict[str, object]] = []
        for finding in self.failures:
            entry: dict[str, object] = {"result-type": tlsrpt_type(finding.code)}
            sender = sending_mta_ip or (local.get(finding.address) if finding.address else None)
            if sender:
                entry["sending-mta-ip"] = sender
            if finding.host:
                entry["receiving-mx-hostname"] = finding.host
            if finding.address:
                entry["receiving-ip"] = finding.address
            entry["failed-session-count"] = 1
            entry["additional-information"] = "data:," + urllib.parse.quote(finding.text)
            entry["failure-reason-code"] = finding.code.value
            entries.append(entry)
        return entries


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
