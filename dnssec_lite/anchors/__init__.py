"""Trust anchors: reading them from files (IANA XML, zone-file DS/DNSKEY
lines, Unbound state files), the bundled root anchors, RFC 5011 automated
updates (:mod:`.rfc5011`, sans-I/O) and the crash-safe store that keeps
their state (:mod:`.store`)."""

from __future__ import annotations

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
