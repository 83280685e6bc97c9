"""Trust-anchor files: zone-file DS/DNSKEY lines, IANA ``root-anchors.xml``
and Unbound auto-trust-anchor state files.

Every problem raises :class:`~dnssec_lite.errors.AnchorError` naming the file
and what is wrong with it.  Reading is separated from parsing: the
``parse_*`` functions take text (and ``now``), only :func:`load_anchors` and
:func:`default_anchors` touch files.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from importlib import resources

from ..dnssec.trust import TrustAnchors
from ..errors import AnchorError, TextFormatError
from ..wire.name import Name
from ..wire.rdata.dnssec import DS
from ..wire.rrset import RR
from ..wire.types import RRClass, RRType
from ..wire.zonefile import parse_zone

__all__ = [
    "DEFAULT_ANCHORS_FILE",
    "ROOT_HINTS_FILE",
    "default_anchors",
    "load_anchors",
    "parse_anchor_text",
    "parse_root_anchors_xml",
    "read_package_file",
]

DEFAULT_ANCHORS_FILE = "root-anchors.zone"
ROOT_HINTS_FILE = "named.root"

#: TTL given to DS records built from the IANA XML (the root DS TTL).
_XML_TTL = 172800


def parse_anchor_text(text: str, source: str = "<text>") -> TrustAnchors:
    """DS and DNSKEY records in zone-file form (an Unbound state file's
    ``;;`` comments and ``;;state=`` annotations are comments too).

    Other record types are ignored; a file with no DS or DNSKEY is an error.
    """
    try:
        rrs = parse_zone(text, source=source)
    except TextFormatError as exc:
        raise AnchorError(source, f"not a zone-file anchor list: {exc}") from None
    wanted = [rr for rr in rrs if rr.rrtype in (RRType.DS, RRType.DNSKEY)]
    if not wanted:
        raise AnchorError(source, "no DS or DNSKEY records found")
    for rr in wanted:
        if rr.rrclass != RRClass.IN:
            raise AnchorError(source, f"{rr.name.to_text()}: anchor class is not IN")
    return TrustAnchors.from_rrs(wanted)


def _xml_time(text: str | None, source: str, what: str) -> int | None:
    if not text:
        return None
    try:
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise AnchorError(source, f"{what} {text!r} is not an ISO 8601 time") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return int(stamp.timestamp())


def parse_root_anchors_xml(text: str | bytes, now: int, source: str = "<xml>") -> TrustAnchors:
    """IANA's root-anchors.xml (RFC 9718): each current ``KeyDigest`` becomes
    a DS record.  Digests whose ``validUntil`` is before ``now`` (or whose
    ``validFrom`` is after it) are left out."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise AnchorError(source, f"not well-formed XML: {exc}") from None
    if root.tag != "TrustAnchor":
        raise AnchorError(source, f"root element is <{root.tag}>, expected <TrustAnchor>")
    zone_text = (root.findtext("Zone") or "").strip()
    if not zone_text:
        raise AnchorError(source, "no <Zone> element")
    try:
        zone = Name.from_text(zone_text)
    except TextFormatError as exc:
        raise AnchorError(source, f"bad <Zone> {zone_text!r}: {exc}") from None
    rrs: list[RR] = []
    digests = root.findall("KeyDigest")
    if not digests:
        raise AnchorError(source, "no <KeyDigest> elements")
    for kd in digests:
        ident = kd.get("id", "?")
        start = _xml_time(kd.get("validFrom"), source, f"KeyDigest {ident} validFrom")
        until = _xml_time(kd.get("validUntil"), source, f"KeyDigest {ident} validUntil")
        if (until is not None and until <= now) or (start is not None and start > now):
            continue
        try:
            tag = int(kd.findtext("KeyTag") or "")
            alg = int(kd.findtext("Algorithm") or "")
            dtype = int(kd.findtext("DigestType") or "")
            digest = bytes.fromhex((kd.findtext("Digest") or "").strip())
        except ValueError:
            raise AnchorError(
                source, f"KeyDigest {ident}: KeyTag, Algorithm, DigestType or Digest malformed"
            ) from None
        if not (0 <= tag <= 0xFFFF and 0 <= alg <= 255 and 0 <= dtype <= 255) or not digest:
            raise AnchorError(source, f"KeyDigest {ident}: values out of range")
        rrs.append(RR(zone, RRType.DS, RRClass.IN, _XML_TTL, DS(tag, alg, dtype, digest)))
    if not rrs:
        raise AnchorError(source, "every KeyDigest is expired or not yet valid")
    return TrustAnchors.from_rrs(rrs)


def load_anchors(path: str, now: int | None = None) -> TrustAnchors:
    """Read a trust-anchor file: IANA XML (by content) or zone-file DS/DNSKEY
    lines (plain lists and Unbound auto-trust-anchor state files).

    ``now`` is needed only for the XML form's validity times; when omitted,
    the current time is used (this is the I/O edge).
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise AnchorError(path, exc.strerror or str(exc)) from None
    stripped = data.lstrip()
    if stripped.startswith(b"<"):
        if now is None:
            import time

            now = int(time.time())
        return parse_root_anchors_xml(data, now, path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AnchorError(path, f"not UTF-8 text (octet {exc.start})") from None
    return parse_anchor_text(text, path)


def read_package_file(name: str) -> str:
    """A data file shipped inside the package (``dnssec_lite/data``)."""
    return resources.files("dnssec_lite").joinpath("data", name).read_text(encoding="utf-8")


def default_anchors() -> TrustAnchors:
    """The bundled IANA root anchors (KSK-2017 and KSK-2024, DS and DNSKEY)."""
    return parse_anchor_text(read_package_file(DEFAULT_ANCHORS_FILE), DEFAULT_ANCHORS_FILE)
