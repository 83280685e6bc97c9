"""Messages: building, decoding rules with exact offsets, EDNS, RRset grouping."""

from __future__ import annotations

import struct

import pytest

from dnssec_lite.errors import WireFormatError
from dnssec_lite.wire.edns import Edns, ExtendedError
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.dnssec import RRSIG
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import FLAG_AD, FLAG_QR, FLAG_RD, EdnsOptionCode, Rcode, RRType
from dnssec_lite.wire.zonefile import parse_rrsets

HEADER = struct.Struct("!HHHHHH")
QNAME = b"\x07example\x03com\x00"
QUESTION = QNAME + b"\x00\x01\x00\x01"
A_RR = b"\xc0\x0c" + b"\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\xc0\x00\x02\x01"


def header(qd: int = 1, an: int = 0, ns: int = 0, ar: int = 0, word: int = 0x8180) -> bytes:
    return HEADER.pack(0x1234, word, qd, an, ns, ar)


def wire_error(data: bytes) -> WireFormatError:
    with pytest.raises(WireFormatError) as exc:
        Message.from_wire(data)
    return exc.value


def test_make_query_defaults() -> None:
    q = Message.make_query("example.com", "DNSKEY", id=7)
    assert q.id == 7 and q.rd and not q.qr and not q.cd
    assert q.question == (Question(Name.from_text("example.com."), RRType.DNSKEY),)
    assert q.edns is not None and q.dnssec_ok and q.edns.payload == 1232
    wire = q.to_wire()
    assert wire[:4] == b"\x00\x07\x01\x00"
    back = Message.from_wire(wire)
    assert back.question == q.question and back.edns == q.edns


def test_make_query_without_edns_and_with_cd() -> None:
    q = Message.make_query("example.com.", RRType.A, do=False, use_edns=False, cd=True, id=1)
    assert q.edns is None and q.cd and not q.dnssec_ok
    assert len(q.to_wire()) == 12 + len(QUESTION)


def test_minimal_answer_decodes() -> None:
    msg = Message.from_wire(header(an=1) + QUESTION + A_RR)
    assert msg.qr and msg.rd and msg.ra and not msg.aa
    assert msg.rcode == Rcode.NOERROR and msg.edns is None
    (rrset,) = msg.answer
    assert rrset.name == Name.from_text("example.com.") and rrset.ttl == 3600
    assert rrset.rdatas[0].to_text() == "192.0.2.1"
    assert msg.get_answer(Name.from_text("EXAMPLE.com."), RRType.A) is rrset
    assert msg.get_answer(Name.from_text("example.com."), RRType.AAAA) is None


def test_header_too_short() -> None:
    err = wire_error(b"\x00" * 11)
    assert err.offset == 11 and "shorter than the 12-octet header" in err.what


def test_bad_counts_rejected_before_reading() -> None:
    err = wire_error(header(qd=1, an=5000) + QUESTION + A_RR)
    assert err.offset == 4 and "record counts exceed" in err.what


def test_count_larger_than_records_present() -> None:
    empty_a = b"\x00" + b"\x00\x01\x00\x01" + b"\x00" * 6
    err = wire_error(header(an=2) + QUESTION + A_RR + empty_a)
    # the second answer is a type A record with rdlength 0
    assert err.offset == 12 + len(QUESTION) + len(A_RR) + 11
    assert "A rdata of 0 octets" in err.what


def test_rdlength_past_end() -> None:
    bad = A_RR[:-6] + b"\x00\x05" + A_RR[-4:]
    err = wire_error(header(an=1) + QUESTION + bad)
    assert err.offset == 12 + len(QUESTION) + 10
    assert "rdata length 5 runs past the end" in err.what


def test_rdlength_shorter_than_fields() -> None:
    # an MX record whose rdlength cuts its exchange name short
    mx = b"\xc0\x0c\x00\x0f\x00\x01\x00\x00\x0e\x10\x00\x04\x00\x0a\x02mx\x00"
    err = wire_error(header(an=1) + QUESTION + mx + b"\x00" * 5)
    assert "MX exchange runs past the end of the rdata" in err.what
    assert err.offset == 12 + len(QUESTION) + 14


def test_trailing_garbage() -> None:
    err = wire_error(header(an=1) + QUESTION + A_RR + b"\xde\xad")
    assert err.offset == 12 + len(QUESTION) + len(A_RR)
    assert "2 octets of trailing data" in err.what


def test_truncated_question() -> None:
    err = wire_error(header() + QNAME + b"\x00\x01\x00")
    assert err.offset == 12 + len(QNAME) and "question type and class truncated" in err.what


def test_truncated_record_header() -> None:
    err = wire_error(header(an=1) + QUESTION + A_RR[:8] + b"\x00" * 3)
    assert err.offset == 12 + len(QUESTION) + 2 and "record header truncated" in err.what


def test_forward_compression_pointer_in_question() -> None:
    data = header(an=1) + b"\xc0\x12\x00\x01\x00\x01" + QUESTION[:-4] + A_RR[2:]
    err = wire_error(data)
    assert err.offset == 12 and "pointer to 18 does not point backwards" in err.what


def test_pointer_beyond_the_message() -> None:
    data = header(an=1) + QUESTION + b"\xc0\xbb" + A_RR[2:]
    err = wire_error(data)
    assert err.offset == 12 + len(QUESTION) and "pointer to 187" in err.what


def _opt(ttl: int = 0, payload: int = 1232, rdata: bytes = b"") -> bytes:
    return b"\x00" + struct.pack("!HHIH", 41, payload, ttl, len(rdata)) + rdata


def test_edns_and_extended_rcode() -> None:
    ede = struct.pack("!HH", 15, 8) + struct.pack("!H", 6) + b"bogus!"
    ttl = (0x01 << 24) | 0x8000  # extended rcode high bits 1 -> 16 + low bits
    data = header(an=1, ar=1, word=0x8180) + QUESTION + A_RR + _opt(ttl, 4096, ede)
    msg = Message.from_wire(data)
    assert msg.rcode == 16 == Rcode.BADVERS
    assert msg.edns is not None and msg.edns.payload == 4096 and msg.dnssec_ok
    assert msg.extended_errors == (ExtendedError(6, "bogus!"),)
    assert str(msg.extended_errors[0]) == "EDE 6 (Dnssec Bogus): bogus!"
    assert msg.edns.option(EdnsOptionCode.EXTENDED_ERROR) == ede[4:]
    assert not msg.additional
    again = Message.from_wire(msg.to_wire())
    assert again.rcode == 16 and again.edns == msg.edns


def test_opt_rules() -> None:
    two = header(ar=2) + QUESTION + _opt() + _opt()
    err = wire_error(two)
    assert err.offset == 12 + len(QUESTION) + 11 and "more than one OPT" in err.what
    in_answer = header(an=1) + QUESTION + _opt()
    err = wire_error(in_answer)
    assert err.offset == 12 + len(QUESTION) and "outside the additional" in err.what
    named = header(ar=1) + QUESTION + b"\xc0\x0c" + _opt()[1:]
    err = wire_error(named)
    assert "owner is not the root" in err.what
    bad_option = header(ar=1) + QUESTION + _opt(rdata=b"\x00\x0f\x00\x09ab")
    err = wire_error(bad_option)
    assert "EDNS option 15 runs past" in err.what


def test_cookie_option() -> None:
    edns = Edns(options=((EdnsOptionCode.COOKIE, b"c" * 8 + b"s" * 16),))
    assert edns.cookie == (b"c" * 8, b"s" * 16)
    assert Edns(options=((EdnsOptionCode.COOKIE, b"short"),)).cookie is None


ZONE = """
$ORIGIN example.
@ 300 IN DNSKEY 257 3 13 AQID
@ 300 IN DNSKEY 256 3 13 BAUG
@ 300 IN RRSIG DNSKEY 13 1 300 20300101000000 20200101000000 1 example. AAAA
www 60 IN A 192.0.2.1
www 60 IN RRSIG A 13 2 60 20300101000000 20200101000000 2 example. BBBB
www 30 IN RRSIG AAAA 13 2 60 20300101000000 20200101000000 2 example. CCCC
"""


def test_sections_are_rrsets_with_signatures_attached() -> None:
    rrsets = parse_rrsets(ZONE)
    msg = Message(id=1, flags=FLAG_QR, answer=rrsets)
    back = Message.from_wire(msg.to_wire())
    keys, addr, orphan = back.answer
    assert keys.rrtype == RRType.DNSKEY and len(keys) == 2 and len(keys.sigs) == 1
    assert addr.rrtype == RRType.A and addr.sigs[0].type_covered == RRType.A
    assert orphan.rrtype == RRType.RRSIG and orphan.ttl == 30
    assert all(isinstance(sig, RRSIG) for sig in orphan.rdatas)
    assert [r.to_text() for r in back.answer] == [r.to_text() for r in rrsets]


def test_rrset_ttl_is_the_minimum() -> None:
    rrsets = parse_rrsets("a. 100 IN A 192.0.2.1\na. 50 IN A 192.0.2.2\n")
    assert rrsets[0].ttl == 50
    msg = Message(answer=rrsets)
    assert Message.from_wire(msg.to_wire()).answer[0].ttl == 50


def test_compression_is_used_and_preserved() -> None:
    rrsets = parse_rrsets("www.example. 60 IN CNAME host.example.\n")
    msg = Message(question=[Question(Name.from_text("www.example."), RRType.A)], answer=rrsets)
    compressed, plain = msg.to_wire(), msg.to_wire(compress=False)
    assert len(compressed) < len(plain)
    assert b"\xc0\x0c" in compressed
    assert Message.from_wire(compressed).answer[0].rdatas == rrsets[0].rdatas


def test_no_compression_inside_non_rfc1035_rdata() -> None:
    rrsets = parse_rrsets(
        "example. 60 IN NS ns.example.\n"
        "example. 60 IN SRV 0 0 1 ns.example.\n"
        "example. 60 IN RRSIG NS 13 1 60 20300101000000 20200101000000 1 example. AAAA\n"
    )
    wire = Message(answer=rrsets).to_wire()
    assert wire.count(b"\x02ns\x07example\x00") == 1  # NS target written in full once...
    assert b"\x00\x00\x00\x01\x02ns\x07example\x00" in wire  # ...inside SRV, uncompressed
    assert b"\x07example\x00" + b"AAAA"[:0] in wire


def test_truncation_with_max_size() -> None:
    rrsets = parse_rrsets("".join(f'a. 60 IN TXT "{"x" * 200}{i}"\n' for i in range(10)))
    msg = Message(id=9, flags=FLAG_QR | FLAG_RD, answer=rrsets, edns=Edns())
    wire = msg.to_wire(max_size=512)
    back = Message.from_wire(wire)
    assert len(wire) <= 512 and back.tc and not back.answer and back.edns == msg.edns


def test_make_response_and_replace() -> None:
    q = Message.make_query("example.", "A", cd=True, id=5)
    r = q.make_response()
    assert r.id == 5 and r.qr and r.rd and r.cd and r.question == q.question
    assert r.edns is not None and r.edns.dnssec_ok
    r2 = r.replace(rcode=Rcode.NXDOMAIN, flags=r.flags | FLAG_AD)
    assert r2.rcode == 3 and r2.ad and r.rcode == 0


def test_to_text_mentions_sections_and_ede() -> None:
    msg = Message(
        id=3,
        flags=FLAG_QR,
        rcode=Rcode.SERVFAIL,
        question=[Question(Name.from_text("example."), RRType.A)],
        answer=parse_rrsets("example. 60 IN A 192.0.2.1"),
        edns=Edns(options=(ExtendedError(9, "no key").to_option(),)),
    )
    text = msg.to_text()
    assert "status: SERVFAIL" in text and "flags: QR" in text
    assert ";; EDE 9 (Dnskey Missing): no key" in text
    assert ";; ANSWER SECTION:" in text and "192.0.2.1" in text
    assert repr(msg).startswith("<Message id=3 SERVFAIL")


def test_rrset_helpers() -> None:
    (rrset,) = parse_rrsets("a. 60 IN A 192.0.2.1\na. 60 IN A 192.0.2.2")
    assert len(rrset) == 2 and list(rrset) == list(rrset.rdatas)
    assert rrset.with_ttl(10).ttl == 10
    assert rrset.same_data(RRset(rrset.name, 1, 1, 5, reversed(rrset.rdatas)))
    assert len(rrset.rrs()) == 2


def test_owner_names_behind_pointers_are_shared_objects() -> None:
    msg = Message.from_wire(header(an=2) + QUESTION + A_RR + A_RR[:-1] + b"\x02")
    (rrset,) = msg.answer
    assert len(rrset) == 2
    assert rrset.name is msg.question[0].name  # both point at offset 12
    again = Message.from_wire(msg.to_wire(compress=False))
    assert again.answer[0].name == again.question[0].name  # written in full: not shared
    assert again.answer[0].name is not again.question[0].name
