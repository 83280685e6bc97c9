"""Trust anchors: reading them from files (IANA XML, zone-file DS/DNSKEY
lines, Unbound state files) and the bundled root anchors."""

from __future__ import annotations

from .formats import default_anchors, load_anchors, parse_anchor_text, parse_root_anchors_xml

__all__ = ["default_anchors", "load_anchors", "parse_anchor_text", "parse_root_anchors_xml"]
