"""Zone-file text: directives, owners, parentheses, quoting, errors with positions."""

from __future__ import annotations

import pytest

from dnssec_lite.errors import TextFormatError
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.dnssec import DNSKEY, RRSIG
from dnssec_lite.wire.rdata.txt import TXT
from dnssec_lite.wire.types import RRClass, RRType
from dnssec_lite.wire.zonefile import (
    ZoneParser,
    parse_question,
    parse_rr,
    parse_rrsets,
    parse_zone,
    tokenize,
)


def N(text: str) -> Name:
    return Name.from_text(text)


def error(text: str, **kwargs: object) -> TextFormatError:
    with pytest.raises(TextFormatError) as exc:
        parse_zone(text, **kwargs)  # type: ignore[arg-type]
    return exc.value


ZONE = """\
$ORIGIN example.com.
$TTL 1h
@       IN  SOA ns1 hostmaster ( 2024010101 ; serial
                7200       ; refresh
                3600 1209600 300 )
        IN  NS  ns1
        IN  NS  ns2.example.net.
ns1     300 A   192.0.2.53          ; TTL before the type
www     IN  300 AAAA 2001:db8::1    ; class before TTL
mail    CNAME   www
$ORIGIN sub.example.com.
host    A 192.0.2.7
"""


def test_origin_ttl_at_relative_and_blank_owner() -> None:
    rrs = parse_zone(ZONE)
    owners = [rr.name.to_text() for rr in rrs]
    assert owners == [
        "example.com.",
        "example.com.",
        "example.com.",
        "ns1.example.com.",
        "www.example.com.",
        "mail.example.com.",
        "host.sub.example.com.",
    ]
    soa = rrs[0]
    assert soa.ttl == 3600 and soa.rrtype == RRType.SOA
    assert soa.rdata.to_text() == (
        "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300"
    )
    assert rrs[2].rdata.to_text() == "ns2.example.net."
    assert rrs[3].ttl == 300 and rrs[4].ttl == 300 and rrs[5].ttl == 3600
    assert rrs[5].rdata.to_text() == "www.example.com."


def test_default_ttl_from_previous_record_without_ttl_directive() -> None:
    rrs = parse_zone("a. 120 IN A 192.0.2.1\nb. IN A 192.0.2.2\n")
    assert [rr.ttl for rr in rrs] == [120, 120]
    assert parse_zone("a. IN A 192.0.2.1", default_ttl=77)[0].ttl == 77


def test_quoted_strings_with_escapes_and_semicolons() -> None:
    rr = parse_rr('t.example. TXT "semi;colon" "paren ( )" "quote \\" end" \\"bare')
    assert isinstance(rr.rdata, TXT)
    assert rr.rdata.strings == (b"semi;colon", b"paren ( )", b'quote " end', b'"bare')


def test_quoted_string_across_lines_inside_parentheses() -> None:
    rr = parse_rr('t.example. TXT ( "one"\n  "two" ; comment\n )')
    assert isinstance(rr.rdata, TXT) and rr.rdata.strings == (b"one", b"two")


def test_split_base64_and_hex_across_lines() -> None:
    text = """
example. 3600 IN DNSKEY 257 3 13 (
        AQID
        BAUG ; a comment in the middle
        Bwg= )
example. 3600 IN DS 1 13 2 (
        0102 0304
        0506 )
"""
    key, ds = parse_zone(text)
    assert isinstance(key.rdata, DNSKEY) and key.rdata.key == bytes(range(1, 9))
    assert ds.rdata.to_text() == "1 13 2 010203040506"


def test_generic_type_class_and_rdata() -> None:
    rr = parse_rr("x.example. 60 CLASS4711 TYPE65534 \\# 2 beef")
    assert rr.rrclass == 4711 and rr.rrtype == 65534
    assert rr.rdata.to_wire() == b"\xbe\xef"
    assert rr.to_text() == "x.example.\t60\tCLASS4711\tTYPE65534\t\\# 2 beef"
    known = parse_rr("x.example. 60 IN TYPE1 \\# 4 c0000201")
    assert known.rrtype == RRType.A and known.rdata.to_text() == "192.0.2.1"
    assert parse_rr("x. 60 CH TXT abc").rrclass == RRClass.CH


def test_rrsig_over_parentheses_and_grouping() -> None:
    text = """
$ORIGIN example.
www 60 IN A 192.0.2.1
www 60 IN RRSIG A 13 2 60 (
        20300101000000 20200101000000
        4711 example.
        AAAA BBBB )
"""
    (rrset,) = parse_rrsets(text)
    assert rrset.rrtype == RRType.A and len(rrset.sigs) == 1
    sig = rrset.sigs[0]
    assert isinstance(sig, RRSIG) and sig.key_tag == 4711 and len(sig.signature) == 6


def test_tokenizer_positions() -> None:
    (entry,) = tokenize('a.example.  IN\t"x y" (\n  b )')
    assert [(t.text, t.line, t.column) for t in entry.tokens] == [
        ("a.example.", 1, 1),
        ("IN", 1, 13),
        ('"x y"', 1, 16),
        ("b", 2, 3),
    ]
    assert entry.tokens[2].quoted and not entry.indented


def test_error_unknown_type_has_line_and_column() -> None:
    err = error("a. 60 IN A 192.0.2.1\nb.  60 IN BOGUS x\n", source="z.zone")
    assert (err.line, err.column, err.source) == (2, 11, "z.zone")
    assert "unknown type 'BOGUS'" in err.what
    assert str(err).startswith("z.zone:2:11: ")


def test_error_bad_rdata_points_at_the_rdata() -> None:
    err = error("ok. 60 IN A 192.0.2.1\n\nbad.    60 IN A 192.0.2.300\n")
    assert (err.line, err.column) == (3, 17)
    assert "A rdata" in err.what and "IPv4" in err.what


def test_error_unterminated_quote_and_parenthesis() -> None:
    err = error('a. 60 IN TXT "never closed\n')
    assert (err.line, err.column) == (1, 14) and "unterminated quoted string" in err.what
    err = error("a. 60 IN TXT ( x\n y\n")
    assert err.line == 1 and "never closed" in err.what
    err = error("a. 60 IN TXT x )\n")
    assert (err.line, err.column) == (1, 16)


def test_error_blank_owner_first_and_missing_type() -> None:
    err = error("   60 IN A 192.0.2.1\n")
    assert (err.line, err.column) == (1, 4) and "without an owner" in err.what
    err = error("a. 60 IN\n")
    assert err.line == 1 and "no type" in err.what


def test_error_directives() -> None:
    err = error("$INCLUDE other.zone\n")
    assert (err.line, err.column) == (1, 1) and "$INCLUDE" in err.what
    err = error("\n$TTL abc\n")
    assert (err.line, err.column) == (2, 6)
    err = error("$ORIGIN a. b.\n")
    assert "exactly one name" in err.what
    err = error("$FOO x\n")
    assert "unknown directive" in err.what


def test_error_bad_owner_name() -> None:
    err = error("a..b. 60 IN A 192.0.2.1\n")
    assert (err.line, err.column) == (1, 1) and "empty label" in err.what


def test_strict_and_lenient_generic_data() -> None:
    # Scenario files carry an A record with 5 octets on purpose.
    text = "bad.example. 60 IN A \\# 5 0102030405\n"
    with pytest.raises(TextFormatError, match="A rdata of 5 octets"):
        parse_zone(text)
    (rr,) = ZoneParser(strict=False).records(text)
    assert rr.rrtype == RRType.A and rr.rdata.to_wire() == bytes([1, 2, 3, 4, 5])


def test_parse_question() -> None:
    q = parse_question("www.example. IN AAAA")
    assert (q.name, q.rrtype, q.rrclass) == (N("www.example."), RRType.AAAA, 1)
    assert parse_question("www DS", origin="example.").name == N("www.example.")
    assert parse_question("example. ANY").rrtype == RRType.ANY
    with pytest.raises(TextFormatError):
        parse_question("example. IN")
    with pytest.raises(TextFormatError):
        parse_question("example. A AAAA")


def test_parse_rr_needs_exactly_one_record() -> None:
    with pytest.raises(TextFormatError, match="expected one record, found 2"):
        parse_rr("a. 1 IN A 192.0.2.1\nb. 1 IN A 192.0.2.2")


def test_text_output_parses_back() -> None:
    rrs = parse_zone(ZONE)
    again = parse_zone("\n".join(rr.to_text() for rr in rrs))
    assert again == rrs
