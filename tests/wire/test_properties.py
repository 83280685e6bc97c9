"""Property tests: every registered type and random messages round-trip."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import ROOT, Name
from dnssec_lite.wire.rdata import REGISTRY, GenericRdata, Rdata, rdata_from_text
from dnssec_lite.wire.types import RRType
from dnssec_lite.wire.zonefile import parse_rr, tokenize

from .helpers import (
    RDATA_STRATEGIES,
    generic_rdata,
    message_key,
    messages,
    names,
    rr_from_wire,
    rr_to_wire,
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _tokens(text: str) -> list[str]:
    entries = list(tokenize(text))
    return [tok.text for entry in entries for tok in entry.tokens]


def test_strategies_cover_every_registered_type() -> None:
    assert set(RDATA_STRATEGIES) == set(REGISTRY)
    expected = (
        "A AAAA NS CNAME DNAME PTR SOA MX TXT SPF HINFO NAPTR SRV DS CDS DNSKEY "
        "CDNSKEY RRSIG NSEC NSEC3 NSEC3PARAM TLSA SMIMEA OPT"
    )
    assert {RRType.to_text(t) for t in REGISTRY} == set(expected.split())


def _check_wire_round_trip(rd: Rdata) -> None:
    wire = rd.to_wire()
    cls = type(rd)
    back = cls.from_wire(wire, 0, len(wire))
    assert back.to_wire() == wire
    assert back.canonical() == rd.canonical()
    assert back == rd and hash(back) == hash(rd)
    # Decoding inside a larger buffer (offsets not at 0) gives the same data.
    padded = b"\xff" * 7 + wire + b"\xee" * 3
    assert cls.from_wire(padded, 7, 7 + len(wire)).to_wire() == wire


def _check_text_round_trip(rd: Rdata) -> None:
    text = rd.to_text()
    back = rdata_from_text(rd.rrtype, _tokens(text), ROOT)
    assert type(back) is type(rd)
    assert back.to_wire() == rd.to_wire()
    assert back.to_text() == text


def _check_generic_round_trip(rd: Rdata) -> None:
    wire = rd.to_wire()
    generic = GenericRdata(rd.rrtype, wire).to_text()
    assert generic == (f"\\# {len(wire)} {wire.hex()}" if wire else "\\# 0")
    back = rdata_from_text(rd.rrtype, _tokens(generic), ROOT)
    assert back.to_wire() == wire
    assert type(back) is type(rd) or type(rd) is GenericRdata


def _make_type_test(rrtype: int):  # type: ignore[no-untyped-def]
    @SETTINGS
    @given(RDATA_STRATEGIES[rrtype])
    def test(rd: Rdata) -> None:
        assert rd.rrtype == rrtype
        _check_wire_round_trip(rd)
        _check_text_round_trip(rd)
        _check_generic_round_trip(rd)

    test.__name__ = f"test_round_trip_{RRType.to_text(rrtype).lower()}"
    return test


for _rrtype in RDATA_STRATEGIES:
    _test = _make_type_test(_rrtype)
    globals()[_test.__name__] = _test
del _rrtype, _test


@SETTINGS
@given(generic_rdata())
def test_round_trip_generic_rfc3597(rd: GenericRdata) -> None:
    text = rd.to_text()
    back = rdata_from_text(rd.rrtype, _tokens(text), ROOT)
    assert isinstance(back, GenericRdata)
    assert back.data == rd.data and back.rrtype == rd.rrtype
    assert back.to_text() == text


@SETTINGS
@given(st.sampled_from(sorted(RDATA_STRATEGIES)).flatmap(lambda t: RDATA_STRATEGIES[t]), names())
def test_whole_record_text_and_wire_round_trip(rd: Rdata, owner: Name) -> None:
    from dnssec_lite.wire.rrset import RR

    rr = RR(owner, rd.rrtype, 1, 3600, rd)
    wire = rr_to_wire(rr)
    assert rr_to_wire(rr_from_wire(wire)) == wire
    line = rr.to_text()
    again = parse_rr(line)
    assert again.name.labels == owner.labels
    assert rr_to_wire(again) == wire
    assert again.to_text() == line


@SETTINGS
@given(names())
def test_name_text_and_wire_round_trip(name: Name) -> None:
    text = name.to_text()
    back = Name.from_text(text)
    assert back.labels == name.labels
    assert Name.from_wire(name.to_wire())[0].labels == name.labels
    assert back.to_text() == text


@SETTINGS
@given(messages())
def test_message_round_trip_uncompressed(msg: Message) -> None:
    wire = msg.to_wire(compress=False)
    back = Message.from_wire(wire)
    assert message_key(back) == message_key(msg)
    assert back.to_wire(compress=False) == wire


@SETTINGS
@given(messages())
def test_message_round_trip_compressed(msg: Message) -> None:
    wire = msg.to_wire()
    assert len(wire) <= len(msg.to_wire(compress=False))
    back = Message.from_wire(wire)
    assert message_key(back, exact=False) == message_key(msg, exact=False)
    assert back.rcode == msg.rcode
    assert back.edns == msg.edns
    assert back.flags == msg.flags
    again = back.to_wire()
    assert message_key(Message.from_wire(again)) == message_key(back)


@SETTINGS
@given(messages(), st.integers(12, 600))
def test_message_truncation_to_max_size(msg: Message, limit: int) -> None:
    wire = msg.to_wire(max_size=limit)
    back = Message.from_wire(wire)
    if len(msg.to_wire()) > limit:
        assert back.tc
        assert not back.answer and not back.authority and not back.additional
        assert back.question == msg.question
    else:
        assert wire == msg.to_wire()
