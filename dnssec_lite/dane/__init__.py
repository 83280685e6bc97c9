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
"""

from __future__ import annotations

from .check import acheck_smtp, check_smtp
from .policy import CheckOptions, check_steps
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
    "CheckOptions",
    "DaneHandshakeError",
    "DaneMatch",
    "DaneReport",
    "DaneSmtpError",
    "DaneSmtpTimeout",
    "DaneStarttlsError",
    "DaneVerificationError",
    "FailureKind",
    "HostResult",
    "Policy",
    "ProbeResult",
    "RecordFailure",
    "TlsSession",
    "TlsaResult",
    "TlsaStatus",
    "Verdict",
    "acheck_smtp",
    "aprobe",
    "astarttls",
    "check_smtp",
    "check_steps",
    "probe",
    "starttls",
    "tlsa_verifier",
    "verify_chain",
]
