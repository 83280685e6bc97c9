"""Stable result codes of DANE checks, and the findings that carry them.

Every failure and warning of a report carries one code.  Where RFC 8460
(SMTP TLS Reporting) has a result type that fits, the code *is* that result
type, so a report can be turned into TLSRPT ``failure-details`` without a
table; the other codes are ours, documented in ``docs/dane.md``, and map to
the nearest RFC 8460 type for TLSRPT (:func:`tlsrpt_type`).  Codes are
strings that never change meaning: scripts and monitoring match on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum


class Code(StrEnum):
    """Result codes (the values are the stable strings)."""

    # RFC 8460 section 4.3 result types.
    STARTTLS_NOT_SUPPORTED = "starttls-not-supported"
    CERTIFICATE_HOST_MISMATCH = "certificate-host-mismatch"
    CERTIFICATE_EXPIRED = "certificate-expired"
    CERTIFICATE_NOT_TRUSTED = "certificate-not-trusted"
    TLSA_INVALID = "tlsa-invalid"
    DNSSEC_INVALID = "dnssec-invalid"
    DANE_REQUIRED = "dane-required"
    VALIDATION_FAILURE = "validation-failure"
    # Ours: failures.
    NO_SUCH_DOMAIN = "no-such-domain"
    NULL_MX = "null-mx"
    MX_BOGUS = "mx-bogus"
    MX_LOOKUP_FAILED = "mx-lookup-failed"
    ADDRESS_BOGUS = "address-bogus"
    ADDRESS_LOOKUP_FAILED = "address-lookup-failed"
    NO_ADDRESS = "no-address"
    TLSA_BOGUS = "tlsa-bogus"
    TLSA_LOOKUP_FAILED = "tlsa-lookup-failed"
    UPSTREAM_STRIPS_DNSSEC = "upstream-strips-dnssec"
    CONNECTION_REFUSED = "connection-refused"
    CONNECT_FAILED = "connect-failed"
    TIMEOUT = "timeout"
    CONNECTION_CLOSED = "connection-closed"
    SMTP_ERROR = "smtp-error"
    HANDSHAKE_FAILED = "handshake-failed"
    NO_CERTIFICATE = "no-certificate"
    SPECIAL_PURPOSE_ADDRESS = "special-purpose-address"
    # Ours: warnings (the delivery verdict stands; an operator should act).
    SIGNATURE_EXPIRES_SOON = "signature-expires-soon"
    CERTIFICATE_EXPIRES_SOON = "certificate-expires-soon"
    ROLLOVER_NOT_READY = "rollover-not-ready"
    SINGLE_EE_RECORD = "single-ee-record"
    SELECTOR_0_PIN = "selector-0-pin"
    DUPLICATE_RECORD = "duplicate-record"
    STALE_PIN = "stale-pin"
    UNUSABLE_RECORD = "unusable-record"
    FULL_DATA_RECORD = "full-data-record"
    MX_WITHOUT_DANE = "mx-without-dane"
    KEY_TYPE_NOT_PROBED = "key-type-not-probed"


#: The RFC 8460 result types (section 4.3, plus the MTA-STS ones we never emit).
TLSRPT_TYPES = frozenset(
    {
        "starttls-not-supported",
        "certificate-host-mismatch",
        "certificate-expired",
        "certificate-not-trusted",
        "validation-failure",
        "tlsa-invalid",
        "dnssec-invalid",
        "dane-required",
        "sts-policy-fetch-error",
        "sts-policy-invalid",
        "sts-webpki-invalid",
    }
)

_DNSSEC = {
    Code.MX_BOGUS,
    Code.ADDRESS_BOGUS,
    Code.TLSA_BOGUS,
    Code.UPSTREAM_STRIPS_DNSSEC,
    Code.MX_LOOKUP_FAILED,
    Code.ADDRESS_LOOKUP_FAILED,
    Code.TLSA_LOOKUP_FAILED,
}


def tlsrpt_type(code: Code) -> str:
    """The RFC 8460 result type a code is reported as.

    DNS failures of the MX, address and TLSA lookups are ``dnssec-invalid``
    ("no valid records were returned"); everything else that is not itself an
    RFC 8460 type is ``validation-failure`` with our code as the
    ``failure-reason-code``.
    """
    if code.value in TLSRPT_TYPES:
        return code.value
    if code in _DNSSEC:
        return "dnssec-invalid"
    return "validation-failure"


class Severity(Enum):
    """How a finding weighs: failures fail the check, warnings ask for action,
    notices only explain."""

    FAILURE = "failure"
    WARNING = "warning"
    NOTICE = "notice"


@dataclass(frozen=True)
class Finding:
    """One coded failure, warning or notice, and where it was found."""

    code: Code
    severity: Severity
    text: str
    host: str | None = None
    address: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code.value,
            "severity": self.severity.value,
            "text": self.text,
            "host": self.host,
            "address": self.address,
        }

    def __str__(self) -> str:
        where = " ".join(w for w in (self.host, self.address) if w)
        lead = f"{self.severity.value.upper()} {self.code.value}"
        return f"{lead} ({where}): {self.text}" if where else f"{lead}: {self.text}"


#: The probe's failure kinds (``FailureKind`` values) as result codes.
PROBE_CODES = {
    "connection-refused": Code.CONNECTION_REFUSED,
    "connect-failed": Code.CONNECT_FAILED,
    "timeout": Code.TIMEOUT,
    "connection-closed": Code.CONNECTION_CLOSED,
    "bad-greeting": Code.SMTP_ERROR,
    "service-refused": Code.SMTP_ERROR,
    "ehlo-refused": Code.SMTP_ERROR,
    "starttls-not-supported": Code.STARTTLS_NOT_SUPPORTED,
    "starttls-refused": Code.STARTTLS_NOT_SUPPORTED,
    "handshake-failed": Code.HANDSHAKE_FAILED,
    "protocol-error": Code.SMTP_ERROR,
    "no-certificate": Code.NO_CERTIFICATE,
    "verification-failed": Code.CERTIFICATE_NOT_TRUSTED,
    "certificate-not-trusted": Code.CERTIFICATE_NOT_TRUSTED,
}


def probe_code(kind: str | None) -> Code:
    """The code of a probe failure kind (unknown kinds: ``validation-failure``)."""
    if kind is None:
        return Code.VALIDATION_FAILURE
    return PROBE_CODES.get(kind, Code.VALIDATION_FAILURE)
