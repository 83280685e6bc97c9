"""Record data: canonical forms, decoding errors, text details, key tags."""

from __future__ import annotations

import pytest

from dnssec_lite.errors import TextFormatError, WireFormatError
from dnssec_lite.wire.name import ROOT, Name
from dnssec_lite.wire.rdata import REGISTRY, GenericRdata, Rdata, rdata_from_text, rdata_from_wire
from dnssec_lite.wire.rdata.address import AAAA, A
from dnssec_lite.wire.rdata.base import b32hex_decode, b32hex_encode, text_ttl
from dnssec_lite.wire.rdata.dane import TLSA
from dnssec_lite.wire.rdata.dnssec import (
    DNSKEY,
    NSEC,
    NSEC3,
    RRSIG,
    decode_type_bitmap,
    encode_type_bitmap,
    sigtime_from_text,
    sigtime_to_text,
)
from dnssec_lite.wire.rdata.names import MX, SOA, SRV
from dnssec_lite.wire.rdata.txt import TXT
from dnssec_lite.wire.types import RRType
from dnssec_lite.wire.zonefile import parse_rr

UPPER = Name.from_text("Host.EXAMPLE.")


def _text(rrtype: str, rdata: str) -> Rdata:
    return parse_rr(f"owner. 3600 IN {rrtype} {rdata}").rdata


# -- canonical form (RFC 4034 6.2 as amended by RFC 6840 5.1) --------------------

#: Registered types whose embedded names are lower-cased in canonical form.
LOWERCASED = {"NS", "CNAME", "DNAME", "PTR", "SOA", "MX", "NAPTR", "SRV", "RRSIG"}

CASES = {
    "NS": "Host.EXAMPLE.",
    "CNAME": "Host.EXAMPLE.",
    "DNAME": "Host.EXAMPLE.",
    "PTR": "Host.EXAMPLE.",
    "SOA": "Host.EXAMPLE. Admin.EXAMPLE. 1 2 3 4 5",
    "MX": "10 Host.EXAMPLE.",
    "NAPTR": '1 2 "A" "B" "C" Host.EXAMPLE.',
    "SRV": "1 2 3 Host.EXAMPLE.",
    "RRSIG": "A 13 2 3600 20300101000000 20200101000000 1234 Host.EXAMPLE. AAAA",
    "NSEC": "Host.EXAMPLE. A RRSIG NSEC",
}


@pytest.mark.parametrize("rrtype", sorted(CASES))
def test_canonical_form_lower_cases_exactly_the_listed_types(rrtype: str) -> None:
    rd = _text(rrtype, CASES[rrtype])
    wire = rd.to_wire()
    assert b"Host" in wire and b"EXAMPLE" in wire  # case kept in normal form
    canonical = rd.canonical()
    if rrtype in LOWERCASED:
        assert b"Host" not in canonical and b"host" in canonical
        assert canonical == wire.lower() or rrtype in {"RRSIG", "NAPTR"}
    else:
        assert canonical == wire  # RFC 6840 5.1: the NSEC next name keeps its case


def test_canonical_flags_agree_with_the_list() -> None:
    for rrtype, cls in REGISTRY.items():
        assert cls.CANONICAL_NAMES == (RRType.to_text(rrtype) in LOWERCASED), rrtype


def test_rrsig_canonical_lowercases_only_the_signer() -> None:
    rd = _text("RRSIG", "A 13 2 3600 20300101000000 20200101000000 1234 Host.EXAMPLE. QUJD")
    assert isinstance(rd, RRSIG)
    assert rd.signature == b"ABC"
    assert rd.canonical().endswith(b"\x04host\x07example\x00ABC")
    assert rd.header_wire() + b"ABC" == rd.canonical()


def test_equality_uses_canonical_form() -> None:
    assert MX(10, UPPER) == MX(10, Name.from_text("host.example."))
    assert hash(MX(10, UPPER)) == hash(MX(10, Name.from_text("host.example.")))
    assert NSEC(UPPER, frozenset({1})) != NSEC(Name.from_text("host.example."), frozenset({1}))
    assert GenericRdata(1, b"\x01\x02\x03\x04") == A(b"\x01\x02\x03\x04")


# -- decoding errors carry offsets ---------------------------------------------------


def test_address_lengths() -> None:
    with pytest.raises(WireFormatError, match="A rdata of 5 octets") as exc:
        rdata_from_wire(RRType.A, b"\x00\x00\x01\x02\x03\x04\x05", 2, 7)
    assert exc.value.offset == 2
    with pytest.raises(WireFormatError, match="AAAA rdata of 4 octets"):
        rdata_from_wire(RRType.AAAA, b"\x01\x02\x03\x04", 0, 4)
    assert A.from_address("192.0.2.1").address == "192.0.2.1"
    assert AAAA.from_address("2001:db8::1").address == "2001:db8::1"


def test_trailing_octets_inside_rdata() -> None:
    data = b"\x00\x0a\x04host\x00\xff\xff"
    with pytest.raises(WireFormatError, match="2 unexpected octets at the end of MX") as exc:
        rdata_from_wire(RRType.MX, data, 0, len(data))
    assert exc.value.offset == 8


def test_name_running_past_rdata_end() -> None:
    data = b"\x00\x0a\x04host\x00"
    with pytest.raises(WireFormatError, match="MX exchange runs past") as exc:
        rdata_from_wire(RRType.MX, data, 0, 5)
    assert exc.value.offset == 2


def test_truncated_fixed_fields() -> None:
    with pytest.raises(WireFormatError, match="SRV fixed fields truncated"):
        rdata_from_wire(RRType.SRV, b"\x00\x01\x00", 0, 3)
    with pytest.raises(WireFormatError, match="RRSIG fixed fields truncated"):
        rdata_from_wire(RRType.RRSIG, b"\x00" * 17, 0, 17)
    with pytest.raises(WireFormatError, match="SOA timers truncated"):
        rdata_from_wire(RRType.SOA, b"\x00\x00" + b"\x00" * 19, 0, 21)
    with pytest.raises(WireFormatError, match="TLSA rdata shorter than 3"):
        rdata_from_wire(RRType.TLSA, b"\x03\x01", 0, 2)


def test_character_strings() -> None:
    with pytest.raises(WireFormatError, match="character-string runs past") as exc:
        rdata_from_wire(RRType.TXT, b"\x02ab\x05abc", 0, 7)
    assert exc.value.offset == 3
    with pytest.raises(WireFormatError, match="TXT rdata is empty"):
        rdata_from_wire(RRType.TXT, b"", 0, 0)
    with pytest.raises(WireFormatError, match="HINFO has 1 strings"):
        rdata_from_wire(RRType.HINFO, b"\x01a", 0, 2)


def test_nsec3_fields() -> None:
    with pytest.raises(WireFormatError, match="next hashed owner is empty"):
        rdata_from_wire(RRType.NSEC3, b"\x01\x00\x00\x00\x00\x00", 0, 6)
    with pytest.raises(WireFormatError, match="NSEC3 salt truncated"):
        rdata_from_wire(RRType.NSEC3, b"\x01\x00\x00\x00\x04ab", 0, 7)
    with pytest.raises(WireFormatError, match="NSEC3PARAM"):
        rdata_from_wire(RRType.NSEC3PARAM, b"\x01\x00\x00\x00\x01ab", 0, 7)


def test_type_bitmap_rules() -> None:
    types = frozenset({1, 2, 6, 46, 47, 48, 257, 65534})
    wire = encode_type_bitmap(types)
    assert decode_type_bitmap(wire, 0, len(wire)) == types
    assert encode_type_bitmap(frozenset({1, 15, 46, 47})) == bytes.fromhex("0006400100000003")
    with pytest.raises(WireFormatError, match="windows out of order") as exc:
        decode_type_bitmap(b"\x01\x01\x40\x00\x01\x40", 0, 6)
    assert exc.value.offset == 3
    with pytest.raises(WireFormatError, match="window length 0"):
        decode_type_bitmap(b"\x00\x00", 0, 2)
    with pytest.raises(WireFormatError, match="window length 33"):
        decode_type_bitmap(b"\x00\x21" + b"\x00" * 33, 0, 35)
    with pytest.raises(WireFormatError, match="runs past the end"):
        decode_type_bitmap(b"\x00\x05\x40", 0, 3)
    with pytest.raises(WireFormatError, match="header truncated"):
        decode_type_bitmap(b"\x00", 0, 1)


def test_decoded_dnssec_records_keep_their_octets() -> None:
    # Trailing zero octets in a bitmap window are unusual but must survive,
    # or signatures over them would break.
    wire = b"\x04Host\x00" + b"\x00\x04\x40\x00\x00\x00"
    rd = rdata_from_wire(RRType.NSEC, wire, 0, len(wire))
    assert isinstance(rd, NSEC)
    assert rd.types == frozenset({1})
    assert rd.to_wire() == wire and rd.canonical() == wire


# -- text details ---------------------------------------------------------------------


def test_txt_escapes_and_quoting() -> None:
    rd = _text("TXT", '"a \\"quoted\\" \\\\ str;ing" unquoted \\065\\010')
    assert isinstance(rd, TXT)
    assert rd.strings == (b'a "quoted" \\ str;ing', b"unquoted", b"A\n")
    assert rd.to_text() == '"a \\"quoted\\" \\\\ str;ing" "unquoted" "A\\010"'
    with pytest.raises(TextFormatError, match="exceeds 255"):
        _text("TXT", "x" * 256)


def test_split_base64_and_hex() -> None:
    key = _text("DNSKEY", "257 3 13 ( AQID BAUG\n Bwg= )")
    assert isinstance(key, DNSKEY)
    assert key.key == bytes(range(1, 9))
    tlsa = _text("TLSA", "3 1 1 ( 0102\n 0304 )")
    assert isinstance(tlsa, TLSA) and tlsa.data == b"\x01\x02\x03\x04"
    with pytest.raises(TextFormatError, match="bad base64"):
        _text("DNSKEY", "257 3 13 AQI")


def test_algorithm_mnemonics() -> None:
    key = _text("DNSKEY", "257 3 ECDSAP256SHA256 AQID")
    assert isinstance(key, DNSKEY) and key.algorithm == 13
    assert rdata_from_text(RRType.DS, "1 RSASHA256 2 ABCD".split(), ROOT).to_text() == "1 8 2 ABCD"


def test_signature_times() -> None:
    assert sigtime_to_text(0) == "19700101000000"
    assert sigtime_from_text("20300101000000") == 1893456000
    assert sigtime_from_text("1893456000") == 1893456000
    # RFC 4034 3.2: after 2106 the value wraps modulo 2**32
    assert sigtime_from_text("21060207062816") == 0
    with pytest.raises(TextFormatError):
        sigtime_from_text("20301301000000")


def test_ttl_units() -> None:
    assert text_ttl("1h30m") == 5400
    assert text_ttl("2D") == 172800
    assert text_ttl("1w") == 604800
    with pytest.raises(TextFormatError):
        text_ttl("1x")
    with pytest.raises(TextFormatError):
        text_ttl("4294967296")


def test_base32hex() -> None:
    raw = bytes.fromhex("0a1b2c3d4e5f60718293a4b5c6d7e8f901234567")
    text = b32hex_encode(raw)
    assert text == text.lower() and "=" not in text
    assert b32hex_decode(text.upper()) == raw
    with pytest.raises(ValueError):
        b32hex_decode("wxyz")


def test_key_tag_rfc4034_appendix_b() -> None:
    # RFC 4034 section 5.4 example: DNSKEY 256 3 5 ... has key tag 60485.
    key = _text(
        "DNSKEY",
        "256 3 5 AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/ "
        "2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/ M5+X7OrzKBaMbCVdFLU"
        "Uh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/r ljwvFw==",
    )
    assert isinstance(key, DNSKEY)
    assert key.key_tag == 60485
    assert key.is_zone_key and not key.is_sep and not key.is_revoked
    rsamd5 = DNSKEY(256, 3, 1, b"\x01\x02\x03\xab\xcd\x00")
    assert rsamd5.key_tag == 0xABCD  # appendix B.1: the low 16 bits of the modulus


def test_nsec3_text() -> None:
    rd = _text("NSEC3", "1 1 12 AABBCCDD 2t7b4g4vsa5smi47k61mv5bv1a22bojr NS SOA RRSIG")
    assert isinstance(rd, NSEC3)
    assert rd.opt_out and rd.iterations == 12 and rd.salt == bytes.fromhex("aabbccdd")
    assert rd.types == frozenset({2, 6, 46})
    assert rd.to_text() == "1 1 12 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR NS SOA RRSIG"
    empty = _text("NSEC3", "1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr")
    assert isinstance(empty, NSEC3) and empty.salt == b"" and empty.types == frozenset()


def test_type_mnemonics_from_the_iana_registry() -> None:
    rd = _text("NSEC", "next.example. A GPOS NSAP-PTR L64 TYPE65534")
    assert isinstance(rd, NSEC)
    assert rd.types == frozenset({1, 27, 23, 106, 65534})
    assert rd.to_text() == "next.example. A NSAP-PTR GPOS L64 TYPE65534"


def test_generic_rdata_rules() -> None:
    assert _text("TYPE65534", "\\# 3 abcdef").to_wire() == b"\xab\xcd\xef"
    assert _text("TYPE65534", "\\# 0").to_wire() == b""
    assert _text("A", "\\# 4 c0000201").to_text() == "192.0.2.1"
    with pytest.raises(TextFormatError, match="length 5 does not match 4"):
        _text("A", "\\# 5 c0000201")
    with pytest.raises(TextFormatError, match="A rdata of 5 octets"):
        _text("A", "\\# 5 c000020101")
    with pytest.raises(TextFormatError, match="is unknown"):
        _text("TYPE65534", "abc")


def test_soa_and_srv_text() -> None:
    soa = _text("SOA", "ns.example. admin.example. 2024010101 1h 15m 1w 300")
    assert isinstance(soa, SOA)
    assert (soa.refresh, soa.retry, soa.expire, soa.minimum) == (3600, 900, 604800, 300)
    srv = _text("SRV", "0 5 5060 sip.example.")
    assert isinstance(srv, SRV) and srv.port == 5060
