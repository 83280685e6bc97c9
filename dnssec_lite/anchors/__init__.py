"""Trust anchors: reading them from files (IANA XML, zone-file DS/DNSKEY
lines, Unbound state files), the bundled root anchors, RFC 5011 automated
updates (:mod:`.rfc5011`, sans-I/O) and the crash-safe store that keeps
their state (:mod:`.store`)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .diagnose import out_of_date_reason
    from .formats import (
        bundled_root_anchors,
        default_anchors,
        load_anchors,
        parse_anchor_text,
        parse_root_anchors_xml,
    )
    from .model import AnchorEvent, AnchorState, Event, KeyState, Notice, TrackedKey, TrustPoint
    from .rfc5011 import due, initial_state, next_refresh, problems, trusted_anchors, update
    from .store import AnchorStore, default_state_dir
    from .unbound import dumps_unbound, loads_unbound

#: Re-exported names loaded on first access (a resolver that reads the bundled
#: anchors need not load the RFC 5011 machinery or the store): name -> module.
_LAZY = {
    "out_of_date_reason": ".diagnose",
    **dict.fromkeys(
        (
            "bundled_root_anchors",
            "default_anchors",
            "load_anchors",
            "parse_anchor_text",
            "parse_root_anchors_xml",
        ),
        ".formats",
    ),
    **dict.fromkeys(
        ("AnchorEvent", "AnchorState", "Event", "KeyState", "Notice", "TrackedKey", "TrustPoint"),
        ".model",
    ),
    **dict.fromkeys(
        ("due", "initial_state", "next_refresh", "problems", "trusted_anchors", "update"),
        ".rfc5011",
    ),
    "AnchorStore": ".store",
    "default_state_dir": ".store",
    "dumps_unbound": ".unbound",
    "loads_unbound": ".unbound",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "AnchorEvent",
    "AnchorState",
    "AnchorStore",
    "Event",
    "KeyState",
    "Notice",
    "TrackedKey",
    "TrustPoint",
    "bundled_root_anchors",
    "default_anchors",
    "default_state_dir",
    "due",
    "dumps_unbound",
    "initial_state",
    "load_anchors",
    "loads_unbound",
    "next_refresh",
    "out_of_date_reason",
    "parse_anchor_text",
    "parse_root_anchors_xml",
    "problems",
    "trusted_anchors",
    "update",
]
