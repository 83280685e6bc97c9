"""Trust-anchor files: zone-file DS/DNSKEY lines, IANA ``root-anchors.xml``
and Unbound auto-trust-anchor state files.

Every problem raises :class:`~dnssec_lite.errors.AnchorError` naming the file
and what is wrong with it.  Reading is separated from parsing: the
``parse_*`` functions take text (and ``now``), only :func:`load_anchors` and
:func:`default_anchors` touch files.
"""

from __future__ import annotations

import datetime as dt
import re
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

#: Digest lengths of the DS digest types whose size is known (RFC 4509, 5933, 6605).
_DIGEST_SIZES = {1: 20, 2: 32, 3: 32, 4: 48}

#: Unbound auto-trust states whose keys are trusted (VALID, MISSING); START,
#: ADDPEND (hold-down not over), REVOKED and REMOVED keys are not anchors.
_TRUSTED_STATES = frozenset({2, 3})
_STATE = re.compile(r";;state=(\d+)")


def _check_digest(source: str, owner: str, ds: DS) -> None:
    size = _DIGEST_SIZES.get(ds.digest_type)
    if size is not None and len(ds.digest) != size:
        raise AnchorError(
            source,
            f"{owner} DS {ds.key_tag}: digest type {ds.digest_type} needs {size} octets, "
            f"got {len(ds.digest)}",
        )


def _untrusted_states_commented(text: str) -> tuple[str, int]:
    """Unbound state-file lines for keys not (or no longer) trusted become
    comments; returns the text and how many lines were dropped."""
    lines = text.split("\n")
    dropped = 0
    for i, line in enumerate(lines):
        match = _STATE.search(line)
        if match is not None and int(match.group(1)) not in _TRUSTED_STATES:
            lines[i] = ";" + line
            dropped += 1
    return "\n".join(lines), dropped


def parse_anchor_text(text: str, source: str = "<text>") -> TrustAnchors:
    """DS and DNSKEY records in zone-file form (an Unbound state file's
    ``;;`` comments and ``;;state=`` annotations are comments too).

    Other record types are ignored; a file with no DS or DNSKEY is an error.
    Keys an Unbound state file marks as not trusted (``;;state=`` other than
    2 VALID or 3 MISSING) are left out.
    """
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise AnchorError(source, "file is empty")
    text, dropped = _untrusted_states_commented(text)
    try:
        rrs = parse_zone(text, source=source)
    except TextFormatError as exc:
        raise AnchorError(source, f"not a zone-file anchor list: {exc}") from None
    wanted = [rr for rr in rrs if rr.rrtype in (RRType.DS, RRType.DNSKEY)]
    if not wanted:
        if dropped:
            raise AnchorError(
                source, f"no DS or DNSKEY records in a trusted state ({dropped} not trusted)"
            )
        raise AnchorError(source, "no DS or DNSKEY records found")
    for rr in wanted:
        if rr.rrclass != RRClass.IN:
            raise AnchorError(source, f"{rr.name.to_text()}: anchor class is not IN")
        if isinstance(rr.rdata, DS):
            _check_digest(source, rr.name.to_text(), rr.rdata)
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


def _xml_int(kd: ET.Element, tag: str, top: int, source: str, ident: str) -> int:
    text = (kd.findtext(tag) or "").strip()
    if not (text.isascii() and text.isdigit()) or int(text) > top:
        raise AnchorError(source, f"KeyDigest {ident}: <{tag}> {text!r} is not a number 0-{top}")
    return int(text)


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
        tag = _xml_int(kd, "KeyTag", 0xFFFF, source, ident)
        alg = _xml_int(kd, "Algorithm", 255, source, ident)
        dtype = _xml_int(kd, "DigestType", 255, source, ident)
        digest_text = (kd.findtext("Digest") or "").strip()
        try:
            digest = bytes.fromhex(digest_text)
        except ValueError:
            digest = b""
        if not digest:
            raise AnchorError(source, f"KeyDigest {ident}: Digest {digest_text!r} is not hex")
        ds = DS(tag, alg, dtype, digest)
        _check_digest(source, f"KeyDigest {ident}", ds)
        rrs.append(RR(zone, RRType.DS, RRClass.IN, _XML_TTL, ds))
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
    data = data.removeprefix(b"\xef\xbb\xbf")
    if data.lstrip().startswith(b"<"):
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
