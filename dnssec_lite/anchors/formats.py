"""Trust-anchor files: zone-file DS/DNSKEY lines, IANA ``root-anchors.xml``
and Unbound auto-trust-anchor state files.

Every problem raises :class:`~dnssec_lite.errors.AnchorError` naming the file
and what is wrong with it.  Reading is separated from parsing: the
``parse_*`` functions take text (and ``now``), only :func:`load_anchors` and
:func:`default_anchors` touch files.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import xml.etree.ElementTree as ET
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from ..dnssec.algorithms import AlgorithmPolicy, is_supported
from ..dnssec.digest import ds_digest, is_supported_digest
from ..dnssec.trust import TrustAnchors
from ..errors import AnchorError, TextFormatError
from ..wire.name import Name
from ..wire.rdata.base import b64decode
from ..wire.rdata.dnssec import DNSKEY, DS
from ..wire.rrset import RR
from ..wire.types import DNSKEY_REVOKE, RRClass, RRType
from ..wire.zonefile import ZoneParser, tokenize

__all__ = [
    "DEFAULT_ANCHORS_FILE",
    "ROOT_ANCHORS_XML",
    "ROOT_HINTS_FILE",
    "bundled_root_anchors",
    "check_anchor_records",
    "data_dir",
    "parse_anchor_records",
    "default_anchors",
    "load_anchors",
    "parse_anchor_text",
    "parse_root_anchors_xml",
    "read_package_file",
]

DEFAULT_ANCHORS_FILE = "root-anchors.zone"
ROOT_ANCHORS_XML = "root-anchors.xml"
ROOT_HINTS_FILE = "named.root"

#: TTL given to DS records built from the IANA XML (the root DS TTL).
_XML_TTL = 172800

#: Digest lengths of the DS digest types whose size is known (RFC 4509, 5933, 6605).
_DIGEST_SIZES = {1: 20, 2: 32, 3: 32, 4: 48}

#: Unbound auto-trust states whose keys are trusted (VALID, MISSING); START,
#: ADDPEND (hold-down not over), REVOKED and REMOVED keys are not anchors.
_TRUSTED_STATES = frozenset({2, 3})
_STATE = re.compile(r";;state=(\d+)")

#: Algorithm numbers an anchor may use: every algorithm the validator can
#: implement (DSA and small RSA keys included, so that old test data loads;
#: the validator's own policy still decides what it accepts).
_ANY_KNOWN = AlgorithmPolicy(allow_sha1=True, allow_dsa=True, min_rsa_bits=0)


def _check_digest(source: str, owner: str, ds: DS, line: int | None = None) -> None:
    size = _DIGEST_SIZES.get(ds.digest_type)
    if size is not None and len(ds.digest) != size:
        raise AnchorError(
            source,
            f"{owner} DS {ds.key_tag}: digest type {ds.digest_type} needs {size} octets, "
            f"got {len(ds.digest)}",
            line,
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


def parse_anchor_records(text: str, source: str = "<text>") -> list[tuple[int, RR]]:
    """The DS and DNSKEY records of zone-file text with their line numbers,
    checked by :func:`check_anchor_records`; other record types are ignored."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise AnchorError(source, "file is empty")
    return _records(text, source)


def _records(text: str, source: str) -> list[tuple[int, RR]]:
    parser = ZoneParser(source=source)
    found: list[tuple[int, RR]] = []
    try:
        for entry in tokenize(text, source):
            rr = parser.entry(entry)
            if rr is not None and rr.rrtype in (RRType.DS, RRType.DNSKEY):
                found.append((entry.line, rr))
    except TextFormatError as exc:
        raise AnchorError(source, f"not a zone-file anchor list: {exc}", exc.line) from None
    check_anchor_records(found, source)
    return found


def check_anchor_records(records: list[tuple[int, RR]], source: str) -> None:
    """Refuse what cannot be an anchor: another class, an algorithm or digest
    type the validator does not know, a DS whose digest does not match the
    DNSKEY with its tag given beside it."""
    keys: dict[tuple[Name, int, int], list[DNSKEY]] = {}
    for _, rr in records:
        if isinstance(rr.rdata, DNSKEY):
            # Index by the tag of the key with the REVOKE bit clear: that
            # is the tag the DS of the key carries.
            plain = DNSKEY(rr.rdata.flags & ~DNSKEY_REVOKE, 3, rr.rdata.algorithm, rr.rdata.key)
            keys.setdefault((rr.name, plain.key_tag, plain.algorithm), []).append(plain)
    for line, rr in records:
        owner = rr.name.to_text()
        if rr.rrclass != RRClass.IN:
            raise AnchorError(source, f"{owner}: anchor class is not IN", line)
        rdata = rr.rdata
        assert isinstance(rdata, DS | DNSKEY)
        kind = "DS" if isinstance(rdata, DS) else "DNSKEY"
        if not is_supported(rdata.algorithm, _ANY_KNOWN):
            raise AnchorError(
                source, f"{owner} {kind}: unsupported algorithm {rdata.algorithm}", line
            )
        if not isinstance(rdata, DS):
            continue
        _check_digest(source, owner, rdata, line)
        if not is_supported_digest(rdata.digest_type):
            raise AnchorError(
                source,
                f"{owner} DS {rdata.key_tag}: unsupported digest type {rdata.digest_type}",
                line,
            )
        given = keys.get((rr.name, rdata.key_tag, rdata.algorithm))
        if given and not any(
            ds_digest(rdata.digest_type, rr.name.canonical_wire(), k.to_wire()) == rdata.digest
            for k in given
        ):
            raise AnchorError(
                source,
                f"{owner} DS {rdata.key_tag}: digest does not match the DNSKEY "
                f"{rdata.key_tag} given with it",
                line,
            )


def parse_anchor_text(text: str, source: str = "<text>") -> TrustAnchors:
    """DS and DNSKEY records in zone-file form, one zone or many (an Unbound
    state file's ``;;`` comments and ``;;state=`` annotations are comments).

    Other record types are ignored; a file with no DS or DNSKEY is an error.
    Keys an Unbound state file marks as not trusted (``;;state=`` other than
    2 VALID or 3 MISSING) are left out.
    """
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise AnchorError(source, "file is empty")
    text, dropped = _untrusted_states_commented(text)
    wanted = [rr for _, rr in _records(text, source)]
    if not wanted:
        if dropped:
            raise AnchorError(
                source, f"no DS or DNSKEY records in a trusted state ({dropped} not trusted)"
            )
        raise AnchorError(source, "no DS or DNSKEY records found")
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


def _xml_line(kd: ET.Element) -> int | None:
    line = getattr(kd, "sourceline", None)
    return line if isinstance(line, int) else None


def _xml_dnskey(kd: ET.Element, ds: DS, zone: Name, source: str, ident: str) -> DNSKEY | None:
    """The DNSKEY of an RFC 9718 ``<PublicKey>``/``<Flags>`` pair, proven by
    the digest beside it; None for the older, digest-only form."""
    key_text = "".join((kd.findtext("PublicKey") or "").split())
    flags_text = (kd.findtext("Flags") or "").strip()
    if not key_text and not flags_text:
        return None
    if not key_text:
        raise AnchorError(source, f"KeyDigest {ident}: <Flags> without <PublicKey>")
    flags = _xml_int(kd, "Flags", 0xFFFF, source, ident) if flags_text else 257
    try:
        key = b64decode([key_text], "PublicKey")
    except TextFormatError:
        raise AnchorError(source, f"KeyDigest {ident}: <PublicKey> is not base64") from None
    dnskey = DNSKEY(flags, 3, ds.algorithm, key)
    if dnskey.key_tag != ds.key_tag:
        raise AnchorError(
            source,
            f"KeyDigest {ident}: <PublicKey> has key tag {dnskey.key_tag}, <KeyTag> says "
            f"{ds.key_tag}",
        )
    if ds_digest(ds.digest_type, zone.canonical_wire(), dnskey.to_wire()) != ds.digest:
        raise AnchorError(
            source, f"KeyDigest {ident}: digest does not match the <PublicKey> given with it"
        )
    return dnskey


def parse_root_anchors_xml(text: str | bytes, now: int, source: str = "<xml>") -> TrustAnchors:
    """IANA's root-anchors.xml (RFC 9718): each current ``KeyDigest`` becomes
    a DS record, and a DNSKEY too when it carries ``<PublicKey>`` (whose
    digest must then match).  Digests whose ``validUntil`` is before ``now``
    (or whose ``validFrom`` is after it) are left out."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise AnchorError(source, f"not well-formed XML: {exc}", exc.position[0]) from None
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
        if not is_supported(alg, _ANY_KNOWN):
            raise AnchorError(source, f"KeyDigest {ident}: unsupported algorithm {alg}")
        if not is_supported_digest(dtype):
            raise AnchorError(source, f"KeyDigest {ident}: unsupported digest type {dtype}")
        rrs.append(RR(zone, RRType.DS, RRClass.IN, _XML_TTL, ds))
        dnskey = _xml_dnskey(kd, ds, zone, source, ident)
        if dnskey is not None:
            rrs.append(RR(zone, RRType.DNSKEY, RRClass.IN, _XML_TTL, dnskey))
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
    """A bundled data file (trust anchors, root hints) from :func:`data_dir`."""
    path = data_dir().joinpath(name)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AnchorError(str(path), exc.strerror or str(exc)) from None


@functools.cache
def data_dir() -> Traversable:
    """Where the bundled files are.  The source tree keeps them once, in
    ``trust_anchors/`` beside the package; a wheel installs that directory
    as the data-only package ``dnssec_lite.trust_anchors`` (see
    pyproject.toml).  A source checkout run in place has no such package
    and reads the directory itself."""
    try:
        return resources.files("dnssec_lite.trust_anchors")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent.parent / "trust_anchors"


def bundled_root_anchors(now: int) -> TrustAnchors:
    """The bundled IANA root-anchors.xml as of ``now`` (validity windows
    honoured): what an explicit bootstrap of a trust-anchor store trusts."""
    return parse_root_anchors_xml(read_package_file(ROOT_ANCHORS_XML), now, ROOT_ANCHORS_XML)


def default_anchors() -> TrustAnchors:
    """The bundled IANA root anchors (KSK-2017 and KSK-2024, DS and DNSKEY)."""
    return parse_anchor_text(read_package_file(DEFAULT_ANCHORS_FILE), DEFAULT_ANCHORS_FILE)
