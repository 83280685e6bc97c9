"""DANE for TLS clients and mail (RFC 6698, RFC 7671, RFC 7672).

- :func:`check_smtp` / :func:`acheck_smtp`: may mail for a domain go out, and
  how -- the MX, A/AAAA and TLSA lookups, the STARTTLS probes and the verdict
  (SUCCESS, FAILED, FALLBACK_TLS) with the reference transcript.
- :func:`verify_chain`: the pure certificate-matching step, usable by any
  TLS client.
- :func:`starttls` / :func:`astarttls` with :func:`tlsa_verifier`: STARTTLS
  on a mail tool's own ``smtplib.SMTP`` connection or asyncio streams,
  verified by DANE.
- :func:`probe` / :func:`aprobe`: one STARTTLS session to one address,
  returning the presented chain; never sends mail.
- For operators: :func:`survey` / :func:`asurvey` (every address of every MX
  host, per server key type), :func:`check_many` (bulk, an async iterator),
  the expiry horizon (``days=``), TLSA rollover readiness and stable result
  codes (:class:`Code`, :class:`Finding`, ``DaneReport.tlsrpt_failure_details()``).
"""

from __future__ import annotations

from .bulk import CheckError, check_many
from .check import Gate, acheck_smtp, asurvey, check_smtp, survey
from .codes import Code, Finding, Severity
from .ops import OpsOptions
from .policy import CheckOptions, check_steps
from .records import Rollover
from .report import DaneReport, HostResult, Policy, TlsaResult, TlsaStatus, Verdict
from .smtp import ProbeResult, aprobe, probe
from .smtpdialogue import (
    DaneHandshakeError,
    DaneSmtpError,
    DaneSmtpTimeout,
    DaneStarttlsError,
    DaneVerificationError,
    FailureKind,
)
from .starttls import TlsSession, astarttls, starttls, tlsa_verifier
from .tlsa import Check, DaneMatch, RecordFailure, verify_chain

__all__ = [
    "Check",
    "CheckError",
    "CheckOptions",
    "Code",
    "DaneHandshakeError",
    "DaneMatch",
    "DaneReport",
    "DaneSmtpError",
    "DaneSmtpTimeout",
    "DaneStarttlsError",
    "DaneVerificationError",
    "FailureKind",
    "Finding",
    "Gate",
    "HostResult",
    "OpsOptions",
    "Policy",
    "ProbeResult",
    "RecordFailure",
    "Rollover",
    "Severity",
    "TlsSession",
    "TlsaResult",
    "TlsaStatus",
    "Verdict",
    "acheck_smtp",
    "aprobe",
    "astarttls",
    "asurvey",
    "check_many",
    "check_smtp",
    "check_steps",
    "probe",
    "starttls",
    "survey",
    "tlsa_verifier",
    "verify_chain",
]
