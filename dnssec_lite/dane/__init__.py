"""DANE for TLS clients and mail (RFC 6698, RFC 7671, RFC 7672).

:func:`verify_chain` is the pure certificate-matching step: it takes the
chain a server presented, the TLSA records and the reference names, and says
which record matched at which depth, or why each record failed.
"""

from __future__ import annotations

from .tlsa import Check, DaneMatch, RecordFailure, verify_chain

__all__ = ["Check", "DaneMatch", "RecordFailure", "verify_chain"]
