"""Trust-anchor files: the bundled root anchors, IANA XML, Unbound state
files, DNSKEY-form and non-root anchors, and every bad input giving an
AnchorError that names the file and the problem."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dnssec_lite.anchors.formats import (
    default_anchors,
    load_anchors,
    parse_anchor_text,
    parse_root_anchors_xml,
)
from dnssec_lite.dnssec.chain import Validator
from dnssec_lite.dnssec.digest import ds_digest
from dnssec_lite.dnssec.status import Status
from dnssec_lite.dnssec.trust import TrustAnchors
from dnssec_lite.errors import AnchorError
from dnssec_lite.wire.name import ROOT, Name
from tests.helpers.fakenet import validate_in
from tests.helpers.zonesigner import Hierarchy

REPO = Path(__file__).resolve().parents[2]
ANCHOR_DIR = REPO / "trust_anchors"
KSK2017 = (20326, "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D")
KSK2024 = (38696, "683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16")
KSK2010 = 19036


def _ts(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp())


AFTER_2010_EXPIRY = _ts("2025-06-01T00:00:00")
BEFORE_2010_EXPIRY = _ts("2018-06-01T00:00:00")


def _root_ds(anchors: TrustAnchors) -> dict[int, tuple[int, int, str]]:
    anchor = anchors.anchors[ROOT]
    return {ds.key_tag: (ds.algorithm, ds.digest_type, ds.digest.hex().upper()) for ds in anchor.ds}


def _write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def _bundled_dnskey_lines() -> list[str]:
    text = (ANCHOR_DIR / "root-anchors.zone").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if "\tDNSKEY\t" in line and not line.startswith(";")]


# -- the bundled root anchors ---------------------------------------------------


def _check_root_ksks(anchors: TrustAnchors) -> None:
    assert set(anchors.anchors) == {ROOT}
    ds = _root_ds(anchors)
    assert ds == {
        KSK2017[0]: (8, 2, KSK2017[1]),
        KSK2024[0]: (8, 2, KSK2024[1]),
    }


def test_default_anchors_hold_ksk2017_and_ksk2024() -> None:
    anchors = default_anchors()
    _check_root_ksks(anchors)
    assert KSK2010 not in _root_ds(anchors)


def test_bundled_file_matches_package_data() -> None:
    from_file = load_anchors(str(ANCHOR_DIR / "root-anchors.zone"))
    _check_root_ksks(from_file)
    assert from_file.anchors == default_anchors().anchors


def test_bundled_dnskeys_hash_to_the_bundled_ds() -> None:
    anchor = default_anchors().anchors[ROOT]
    assert sorted(k.key_tag for k in anchor.dnskeys) == [KSK2017[0], KSK2024[0]]
    expected = dict(_root_ds(default_anchors()))
    for key in anchor.dnskeys:
        assert key.flags == 257 and key.protocol == 3 and key.algorithm == 8
        digest = ds_digest(2, ROOT.canonical_wire(), key.to_wire())
        assert digest is not None
        assert digest.hex().upper() == expected[key.key_tag][2]


# -- IANA root-anchors.xml -------------------------------------------------------


def test_iana_xml_drops_expired_ksk2010() -> None:
    text = (ANCHOR_DIR / "root-anchors.xml").read_text(encoding="utf-8")
    anchors = parse_root_anchors_xml(text, AFTER_2010_EXPIRY, "root-anchors.xml")
    _check_root_ksks(anchors)
    # RFC 9718 form: each current KeyDigest carries its <PublicKey> and <Flags>
    keys = anchors.anchors[ROOT].dnskeys
    assert sorted((k.key_tag, k.flags) for k in keys) == [(20326, 257), (38696, 257)]
    assert set(keys) == set(default_anchors().anchors[ROOT].dnskeys)


def test_iana_xml_without_public_keys_gives_ds_only() -> None:
    text = (Path(__file__).parent / "data" / "root-anchors-digests-only.xml").read_text()
    anchors = parse_root_anchors_xml(text, AFTER_2010_EXPIRY, "old.xml")
    _check_root_ksks(anchors)
    assert anchors.anchors[ROOT].dnskeys == ()


def test_iana_xml_keeps_ksk2010_before_its_valid_until() -> None:
    text = (ANCHOR_DIR / "root-anchors.xml").read_text(encoding="utf-8")
    anchors = parse_root_anchors_xml(text, BEFORE_2010_EXPIRY, "root-anchors.xml")
    ds = _root_ds(anchors)
    # KSK-2024 is not valid yet in 2018; KSK-2010 still is.
    assert set(ds) == {KSK2010, KSK2017[0]}
    assert ds[KSK2010] == (8, 2, "49AAC11D7B6F6446702E54A1607371607A1A41855200FD2CE1CDDE32F24E8FB5")


def test_iana_xml_expiry_boundary() -> None:
    text = (ANCHOR_DIR / "root-anchors.xml").read_text(encoding="utf-8")
    until = _ts("2019-01-11T00:00:00")
    assert KSK2010 in _root_ds(parse_root_anchors_xml(text, until - 1))
    assert KSK2010 not in _root_ds(parse_root_anchors_xml(text, until))


def test_load_anchors_detects_xml_by_content(tmp_path: Path) -> None:
    xml = (ANCHOR_DIR / "root-anchors.xml").read_bytes()
    path = _write(tmp_path, "anchors.txt", b"\xef\xbb\xbf" + xml)
    _check_root_ksks(load_anchors(path, now=AFTER_2010_EXPIRY))
    assert KSK2010 in _root_ds(load_anchors(path, now=BEFORE_2010_EXPIRY))


def test_load_anchors_xml_uses_current_time(tmp_path: Path) -> None:
    path = _write(tmp_path, "root-anchors.xml", (ANCHOR_DIR / "root-anchors.xml").read_bytes())
    _check_root_ksks(load_anchors(path))


# -- Unbound auto-trust-anchor state file ---------------------------------------

_UNBOUND_HEADER = """\
; autotrust trust anchor file
;;id: . 1
;;last_queried: 1735689600 ;;Wed Jan  1 00:00:00 2025
;;last_success: 1735689600 ;;Wed Jan  1 00:00:00 2025
;;next_probe_time: 1735729517 ;;Wed Jan  1 11:05:17 2025
;;query_failed: 0
;;query_interval: 43200
;;retry_time: 8640
"""


def _state_line(dnskey_line: str, tag: int, state: str) -> str:
    return (
        f"{dnskey_line} ;{{id = {tag} (ksk), size = 2048b}} ;;state={state} ;;count=0 "
        ";;lastchange=1735689600 ;;Wed Jan  1 00:00:00 2025"
    )


def test_unbound_state_file_dnskeys(tmp_path: Path) -> None:
    k2017, k2024 = _bundled_dnskey_lines()
    text = (
        _UNBOUND_HEADER
        + _state_line(k2017, KSK2017[0], "2 [  VALID  ]")
        + "\n"
        + _state_line(k2024, KSK2024[0], "3 [ MISSING ]")
        + "\n"
    )
    anchors = load_anchors(_write(tmp_path, "root.key", text))
    assert set(anchors.anchors) == {ROOT}
    keys = anchors.anchors[ROOT].dnskeys
    assert sorted(k.key_tag for k in keys) == [KSK2017[0], KSK2024[0]]
    assert anchors.anchors[ROOT].ds == ()


def test_unbound_state_file_leaves_out_untrusted_states(tmp_path: Path) -> None:
    k2017, k2024 = _bundled_dnskey_lines()
    text = (
        _UNBOUND_HEADER
        + _state_line(k2017, KSK2017[0], "2 [  VALID  ]")
        + "\n"
        + _state_line(k2024, KSK2024[0], "1 [ ADDPEND ]")
        + "\n"
    )
    keys = load_anchors(_write(tmp_path, "root.key", text)).anchors[ROOT].dnskeys
    assert [k.key_tag for k in keys] == [KSK2017[0]]


def test_unbound_state_file_all_untrusted_is_an_error(tmp_path: Path) -> None:
    k2017, _ = _bundled_dnskey_lines()
    path = _write(
        tmp_path, "root.key", _UNBOUND_HEADER + _state_line(k2017, KSK2017[0], "4 [ REVOKED ]")
    )
    with pytest.raises(AnchorError) as info:
        load_anchors(path)
    assert info.value.path == path
    assert "trusted state" in info.value.what


def test_unbound_state_file_ds_lines(tmp_path: Path) -> None:
    text = _UNBOUND_HEADER + (
        f".\t172800\tIN\tDS\t{KSK2017[0]} 8 2 {KSK2017[1]} ;;state=2 [  VALID  ] ;;count=0 "
        ";;lastchange=1735689600 ;;Wed Jan  1 00:00:00 2025\n"
    )
    anchors = load_anchors(_write(tmp_path, "root.key", text))
    assert _root_ds(anchors) == {KSK2017[0]: (8, 2, KSK2017[1])}


# -- DNSKEY-form and non-root anchors, and the validator ------------------------


def _signed() -> Hierarchy:
    h = Hierarchy()
    h["example.test."].add("www 300 IN A 192.0.2.1")
    return h.sign()


def test_dnskey_form_root_anchor_validates(tmp_path: Path) -> None:
    h = _signed()
    lines = [f". 3600 IN DNSKEY {zk.dnskey.to_text()}" for zk in h.root.keys if zk.flags == 257]
    assert lines
    anchors = load_anchors(_write(tmp_path, "root-dnskey.zone", "\n".join(lines) + "\n"))
    assert anchors.anchors[ROOT].ds == () and anchors.anchors[ROOT].dnskeys
    answer = validate_in(h, "www.example.test.", "A", anchors=anchors)
    assert answer.status is Status.SECURE, answer.summary()


@pytest.mark.parametrize("form", ["DS", "DNSKEY"])
def test_non_root_anchor_is_an_island_of_trust(tmp_path: Path, form: str) -> None:
    h = _signed()
    zone = h["example.test."]
    if form == "DS":
        rdatas = [ds.to_text() for ds in zone.ds_rdatas()]
    else:
        rdatas = [zk.dnskey.to_text() for zk in zone.keys if zk.flags == 257]
    text = "$ORIGIN test.\n" + "".join(f"example 3600 IN {form} {rd}\n" for rd in rdatas)
    anchors = load_anchors(_write(tmp_path, "example.anchor", text))
    assert set(anchors.anchors) == {Name.from_text("example.test.")}
    assert anchors.closest(Name.from_text("www.example.test.")) is not None
    assert anchors.closest(Name.from_text("other.test.")) is None
    answer = validate_in(h, "www.example.test.", "A", anchors=anchors)
    assert answer.status is Status.SECURE, answer.summary()


def test_loaded_anchors_feed_the_validator(tmp_path: Path) -> None:
    h = _signed()
    text = "".join(rr.to_text() + "\n" for rr in h.root_ds())
    anchors = load_anchors(_write(tmp_path, "anchors.zone", text))
    validator = Validator(anchors)
    assert validator.anchors is anchors
    answer = validate_in(h, "www.example.test.", "A", anchors=anchors)
    assert answer.status is Status.SECURE, answer.summary()
    # The bundled root anchors do not fit the private root: BOGUS, not SECURE.
    Validator(default_anchors())
    wrong = validate_in(h, "www.example.test.", "A", anchors=default_anchors())
    assert wrong.status is Status.BOGUS


# -- bad input: always AnchorError naming the file and the problem ---------------

_XML = (ANCHOR_DIR / "root-anchors.xml").read_text(encoding="utf-8")
_DS_LINE = f". 172800 IN DS {KSK2017[0]} 8 2 {KSK2017[1]}\n"

BAD_TEXT = {
    "empty": ("", "empty"),
    "blank-lines": ("\n   \n\t\n", "empty"),
    "comments-only": ("; no records here\n;; none\n", "no DS or DNSKEY"),
    "wrong-types-only": (
        ". 3600 IN NS a.root-servers.net.\na.root-servers.net. 3600 IN A 198.41.0.4\n",
        "no DS or DNSKEY",
    ),
    "garbage": (_DS_LINE + "this is not a zone file\n", ":2:"),
    "binary": ("\x00\x01\x02\x03", "not a zone-file anchor list"),
    "bad-hex-digest": (". 172800 IN DS 20326 8 2 E06D44ZZ\n", "hexadecimal"),
    "odd-hex-digest": (". 172800 IN DS 20326 8 2 E06D4\n", "hexadecimal"),
    "short-digest": (". 172800 IN DS 20326 8 2 E06D44B8\n", "32 octets"),
    "missing-digest": (". 172800 IN DS 20326 8 2\n", "fields"),
    "bad-base64-key": (". 172800 IN DNSKEY 257 3 8 !!!!\n", "base64"),
    "class-ch": (". 172800 CH DS 20326 8 2 " + KSK2017[1] + "\n", "class"),
    "open-paren": (". 172800 IN DS ( 20326 8 2\n", "never closed"),
}


@pytest.mark.parametrize("case", sorted(BAD_TEXT))
def test_bad_zone_file_anchor_is_an_anchor_error(tmp_path: Path, case: str) -> None:
    content, problem = BAD_TEXT[case]
    path = _write(tmp_path, f"{case}.zone", content)
    with pytest.raises(AnchorError) as info:
        load_anchors(path)
    assert info.value.path == path
    where = path if info.value.line is None else f"{path}:{info.value.line}"
    assert str(info.value).startswith(where + ": ")
    if problem not in ("empty", "no DS or DNSKEY"):
        assert info.value.line is not None  # a bad record names its line
    assert problem in info.value.what, info.value.what
    with pytest.raises(AnchorError) as info2:
        parse_anchor_text(content, "named-source")
    assert info2.value.path == "named-source"


def test_garbage_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "garbage.zone", _DS_LINE + "\n\nthis is not a zone file\n")
    with pytest.raises(AnchorError) as info:
        load_anchors(path)
    assert f"{path}:4:" in info.value.what, info.value.what


BAD_XML = {
    "truncated": (_XML[: len(_XML) // 2], "not well-formed XML"),
    "empty-xml": ("<?xml version='1.0'?>", "not well-formed XML"),
    "no-keydigest": (_XML.split("<KeyDigest")[0] + "</TrustAnchor>\n", "no <KeyDigest>"),
    "no-zone": (_XML.replace("<Zone>.</Zone>", ""), "no <Zone>"),
    "bad-zone": (_XML.replace("<Zone>.</Zone>", "<Zone>a..b</Zone>"), "bad <Zone>"),
    "wrong-root": ("<html><body>Not Found</body></html>", "<html>"),
    "bad-hex": (_XML.replace(KSK2017[1], "Z" + KSK2017[1][1:]), "is not hex"),
    "odd-hex": (_XML.replace(KSK2017[1], KSK2017[1][1:]), "is not hex"),
    "empty-digest": (_XML.replace(KSK2017[1], ""), "is not hex"),
    "short-digest": (_XML.replace(KSK2017[1], KSK2017[1][:40]), "32 octets"),
    "bad-keytag": (_XML.replace("<KeyTag>20326", "<KeyTag>x20326"), "<KeyTag>"),
    "huge-keytag": (_XML.replace("<KeyTag>20326", "<KeyTag>920326"), "<KeyTag>"),
    "negative-alg": (
        _XML.replace("<Algorithm>8</Algorithm>", "<Algorithm>-8</Algorithm>"),
        "<Algorithm>",
    ),
    "missing-digesttype": (_XML.replace("<DigestType>2</DigestType>", ""), "<DigestType>"),
    "non-ascii-digits": (
        _XML.replace("<KeyTag>20326", "<KeyTag>\u0662\u0660\u0663\u0662\u0666"),
        "<KeyTag>",
    ),
    "bad-time": (_XML.replace("2017-02-02T00:00:00+00:00", "soon"), "ISO 8601"),
    "all-expired": (
        _XML.replace(
            'validFrom="2017-02-02T00:00:00+00:00"',
            'validFrom="2017-02-02T00:00:00+00:00" validUntil="2020-01-01T00:00:00Z"',
        ).replace(
            'validFrom="2024-07-18T00:00:00+00:00"',
            'validFrom="2024-07-18T00:00:00+00:00" validUntil="2024-12-01T00:00:00Z"',
        ),
        "expired",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_XML))
def test_bad_xml_is_an_anchor_error(tmp_path: Path, case: str) -> None:
    content, problem = BAD_XML[case]
    path = _write(tmp_path, f"{case}.xml", content)
    with pytest.raises(AnchorError) as info:
        load_anchors(path, now=AFTER_2010_EXPIRY)
    assert info.value.path == path
    where = path if info.value.line is None else f"{path}:{info.value.line}"
    assert str(info.value).startswith(where + ": ")
    assert problem in info.value.what, info.value.what


def test_missing_file_is_an_anchor_error(tmp_path: Path) -> None:
    path = str(tmp_path / "no-such-anchors.zone")
    with pytest.raises(AnchorError) as info:
        load_anchors(path)
    assert info.value.path == path
    assert "No such file" in info.value.what


def test_directory_is_an_anchor_error(tmp_path: Path) -> None:
    with pytest.raises(AnchorError) as info:
        load_anchors(str(tmp_path))
    assert info.value.path == str(tmp_path)
    assert info.value.what


def test_non_utf8_file_is_an_anchor_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "latin1.zone", b". 3600 IN DS 1 8 2 \xff\xfe\n")
    with pytest.raises(AnchorError) as info:
        load_anchors(path)
    assert info.value.path == path
    assert "UTF-8" in info.value.what


def test_utf8_bom_is_not_part_of_the_owner(tmp_path: Path) -> None:
    path = _write(tmp_path, "bom.zone", b"\xef\xbb\xbf" + _DS_LINE.encode())
    anchors = load_anchors(path)
    assert set(anchors.anchors) == {ROOT}
