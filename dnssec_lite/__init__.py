"""dnssec_lite: a pure-Python DNSSEC-validating stub resolver with DANE for mail."""

from __future__ import annotations

from .errors import (
    AnchorError,
    ConfigError,
    DaneError,
    DnssecLiteError,
    QueryTimeout,
    ReplayError,
    TextFormatError,
    TransportError,
    WireFormatError,
)
from .wire.message import Message, Question
from .wire.name import ROOT, Name
from .wire.rrset import RR, RRset
from .wire.types import EDE, Algorithm, DigestType, Opcode, Rcode, RRClass, RRType

__version__ = "0.1.0"

__all__ = [
    "EDE",
    "RR",
    "ROOT",
    "Algorithm",
    "AnchorError",
    "ConfigError",
    "DaneError",
    "DigestType",
    "DnssecLiteError",
    "Message",
    "Name",
    "Opcode",
    "QueryTimeout",
    "Question",
    "RRClass",
    "RRType",
    "RRset",
    "Rcode",
    "ReplayError",
    "TextFormatError",
    "TransportError",
    "WireFormatError",
    "__version__",
]
