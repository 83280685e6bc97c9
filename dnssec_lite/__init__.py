"""dnssec_lite: a pure-Python DNSSEC-validating stub resolver with DANE for mail.

The main types are re-exported here: the resolvers (:class:`Resolver`,
:class:`AsyncResolver`), what they return (:class:`Answer`, :class:`Status`,
:class:`Reason`, :class:`ChainLink`), trust anchors (:class:`TrustAnchors`,
:func:`load_anchors`), the sans-I/O :class:`Validator`, the wire types and
the exception tree.

The validator and resolver names are imported on first use (PEP 562), so
that ``import dnssec_lite`` stays as cheap as the wire codec it loads.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from .anchors.formats import default_anchors, load_anchors
    from .anchors.store import AnchorStore
    from .dane import (
        DaneMatch,
        DaneReport,
        Verdict,
        acheck_smtp,
        check_smtp,
        starttls,
        tlsa_verifier,
        verify_chain,
    )
    from .dnssec.aggressive import AggressiveCache
    from .dnssec.algorithms import DEFAULT_POLICY, AlgorithmPolicy
    from .dnssec.chain import KeyCache, Validator
    from .dnssec.limits import DEFAULT_LIMITS, Limits
    from .dnssec.status import Answer, ChainLink, Reason, Status
    from .dnssec.trust import TrustAnchor, TrustAnchors
    from .resolve.resolver import AsyncResolver, Resolver

__version__ = "0.1.0"

#: Re-exported names loaded on first access: name -> module.
_LAZY = {
    "default_anchors": ".anchors.formats",
    "DaneMatch": ".dane",
    "DaneReport": ".dane",
    "Verdict": ".dane",
    "acheck_smtp": ".dane",
    "check_smtp": ".dane",
    "starttls": ".dane",
    "tlsa_verifier": ".dane",
    "verify_chain": ".dane",
    "load_anchors": ".anchors.formats",
    "AnchorStore": ".anchors.store",
    "AggressiveCache": ".dnssec.aggressive",
    "DEFAULT_POLICY": ".dnssec.algorithms",
    "AlgorithmPolicy": ".dnssec.algorithms",
    "KeyCache": ".dnssec.chain",
    "Validator": ".dnssec.chain",
    "DEFAULT_LIMITS": ".dnssec.limits",
    "Limits": ".dnssec.limits",
    "Answer": ".dnssec.status",
    "ChainLink": ".dnssec.status",
    "Reason": ".dnssec.status",
    "Status": ".dnssec.status",
    "TrustAnchor": ".dnssec.trust",
    "TrustAnchors": ".dnssec.trust",
    "AsyncResolver": ".resolve.resolver",
    "Resolver": ".resolve.resolver",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_POLICY",
    "EDE",
    "RR",
    "ROOT",
    "AggressiveCache",
    "Algorithm",
    "AlgorithmPolicy",
    "AnchorError",
    "AnchorStore",
    "Answer",
    "AsyncResolver",
    "ChainLink",
    "ConfigError",
    "DaneError",
    "DaneMatch",
    "DaneReport",
    "DigestType",
    "DnssecLiteError",
    "KeyCache",
    "Limits",
    "Message",
    "Name",
    "Opcode",
    "QueryTimeout",
    "Question",
    "RRClass",
    "RRType",
    "RRset",
    "Rcode",
    "Reason",
    "ReplayError",
    "Resolver",
    "Status",
    "TextFormatError",
    "TransportError",
    "TrustAnchor",
    "TrustAnchors",
    "Validator",
    "Verdict",
    "WireFormatError",
    "__version__",
    "acheck_smtp",
    "check_smtp",
    "default_anchors",
    "load_anchors",
    "starttls",
    "tlsa_verifier",
    "verify_chain",
]
