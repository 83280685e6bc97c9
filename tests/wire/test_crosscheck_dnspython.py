"""Cross-checks against dnspython on generated rdata and messages: the same
rdata wire bytes, the same text where the formats agree, the same key tags."""

from __future__ import annotations

import re

import dns.dnssec
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import ROOT, Name
from dnssec_lite.wire.rdata import Rdata, rdata_from_text
from dnssec_lite.wire.rdata.dnssec import DNSKEY
from dnssec_lite.wire.types import RRType
from dnssec_lite.wire.zonefile import tokenize

from .helpers import RDATA_STRATEGIES, messages, names

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: OPT has no text form in either library.
CROSS_TYPES = sorted(t for t in RDATA_STRATEGIES if t != RRType.OPT)


def _tokens(text: str) -> list[str]:
    return [tok.text for entry in tokenize(text) for tok in entry.tokens]


def _normalise(text: str) -> str:
    """Make equivalent presentations equal: base64/hex chunking (dnspython
    splits them with spaces), letter case of hex and base32, empty fields."""
    words = text.split()
    out: list[str] = []
    for word in words:
        # join runs of base64/hex chunks that dnspython separates
        if (
            out
            and re.fullmatch(r"[A-Za-z0-9+/=]+", word)
            and re.fullmatch(r"[A-Za-z0-9+/]{32,}=*|[0-9a-fA-F]{32,}", out[-1])
        ):
            out[-1] += word
        else:
            out.append(word)
    return " ".join(out).lower()


def _dnspython_knows_the_words(text: str) -> bool:
    """False when our text uses a type mnemonic dnspython lacks (EID, ATMA, ...)."""
    for word in text.split():
        if word.isalpha() and word.isupper() and word in RRType.__members__:
            try:
                dns.rdatatype.from_text(word)
            except dns.rdatatype.UnknownRdatatype:
                return False
    return True


def _theirs_from_wire(rrtype: int, wire: bytes) -> dns.rdata.Rdata:
    return dns.rdata.from_wire(dns.rdataclass.IN, rrtype, wire, 0, len(wire))


def _check_against_dnspython(rd: Rdata) -> None:
    wire = rd.to_wire()
    theirs = _theirs_from_wire(rd.rrtype, wire)
    # same wire bytes when dnspython re-encodes what it decoded
    assert theirs.to_wire() == wire
    if not _dnspython_knows_the_words(rd.to_text()):
        return
    # our text, read by dnspython, gives the same wire bytes
    from_ours = dns.rdata.from_text(dns.rdataclass.IN, rd.rrtype, rd.to_text())
    assert from_ours.to_wire() == wire
    # dnspython's text, read by us, gives the same wire bytes
    back = rdata_from_text(rd.rrtype, _tokens(theirs.to_text()), ROOT)
    assert back.to_wire() == wire
    # canonical forms agree (RFC 4034 6.2 lower-casing rules)
    assert rd.canonical() == theirs.to_digestable(dns.name.root)


def _make_test(rrtype: int):  # type: ignore[no-untyped-def]
    @SETTINGS
    @given(RDATA_STRATEGIES[rrtype])
    def test(rd: Rdata) -> None:
        _check_against_dnspython(rd)

    test.__name__ = f"test_dnspython_agrees_on_{RRType.to_text(rrtype).lower()}"
    return test


for _rrtype in CROSS_TYPES:
    _test = _make_test(_rrtype)
    globals()[_test.__name__] = _test
del _rrtype, _test


# Text is compared where the formats agree: types whose data has no names
# with odd octets and no character-strings dnspython escapes differently.
TEXT_EQUAL_TYPES = [
    RRType.A,
    RRType.AAAA,
    RRType.DS,
    RRType.CDS,
    RRType.DNSKEY,
    RRType.CDNSKEY,
    RRType.NSEC3,
    RRType.NSEC3PARAM,
    RRType.TLSA,
    RRType.SMIMEA,
    RRType.RRSIG,
    RRType.NSEC,
    RRType.MX,
    RRType.SOA,
    RRType.SRV,
]

_host_label = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
_host_names = st.lists(_host_label.map(str.encode), min_size=1, max_size=4).map(Name.from_labels)


@SETTINGS
@given(st.sampled_from(TEXT_EQUAL_TYPES).flatmap(lambda t: RDATA_STRATEGIES[t]))
def test_same_canonical_text(rd: Rdata) -> None:
    wire = rd.to_wire()
    theirs = _theirs_from_wire(rd.rrtype, wire)
    ours = rd.to_text()
    if not _dnspython_knows_the_words(ours):
        return
    if any(isinstance(v, Name) for v in _fields(rd)):
        # only host-name-like names print the same (escaping styles differ)
        if not all(re.fullmatch(r"[a-z0-9.*_-]+", str(v).lower()) for v in _names(rd)):
            return
    assert _normalise(ours) == _normalise(theirs.to_text())


def _fields(rd: Rdata) -> list[object]:
    return [getattr(rd, slot) for cls in type(rd).__mro__ for slot in getattr(cls, "__slots__", ())
            if slot != "_wire" and hasattr(rd, slot)]  # fmt: skip


def _names(rd: Rdata) -> list[Name]:
    return [v for v in _fields(rd) if isinstance(v, Name)]


@SETTINGS
@given(RDATA_STRATEGIES[RRType.DNSKEY])
def test_same_key_tags(key: Rdata) -> None:
    assert isinstance(key, DNSKEY)
    theirs = _theirs_from_wire(RRType.DNSKEY, key.to_wire())
    assert key.key_tag == dns.dnssec.key_id(theirs)  # type: ignore[arg-type]


@SETTINGS
@given(names())
def test_same_names(name: Name) -> None:
    theirs = dns.name.from_wire(name.to_wire(), 0)[0]
    assert theirs.to_wire() == name.to_wire()
    assert dns.name.from_text(name.to_text()).to_wire() == name.to_wire()
    assert Name.from_text(theirs.to_text()).labels == name.labels
    assert theirs.to_digestable() == name.canonical_wire()


@SETTINGS
@given(names(), names())
def test_same_canonical_order(a: Name, b: Name) -> None:
    ta, tb = dns.name.from_wire(a.to_wire(), 0)[0], dns.name.from_wire(b.to_wire(), 0)[0]
    assert (a < b) == (ta < tb)
    assert (a == b) == (ta == tb)


@SETTINGS
@given(messages(in_only=True))
def test_dnspython_reads_our_messages(msg: Message) -> None:
    wire = msg.to_wire()
    theirs = dns.message.from_wire(wire)
    assert theirs.id == msg.id
    assert theirs.rcode() == msg.rcode
    assert (theirs.edns >= 0) == (msg.edns is not None)
    if msg.edns is not None:
        assert theirs.payload == msg.edns.payload
        assert theirs.ednsflags & 0xFFFF == msg.edns.flags
        assert [(o.otype, o.to_wire()) for o in theirs.options] == [
            (code, value) for code, value in msg.edns.options
        ]
    ours = sorted(
        (rrset.name.canonical_wire(), rd.rrtype, rd.canonical())
        for section in (msg.answer, msg.authority, msg.additional)
        for rrset in section
        for rd in (*rrset.rdatas, *rrset.sigs)
    )
    expected = sorted(
        (rrset.name.to_digestable(), int(rrset.rdtype), rd.to_digestable(dns.name.root))
        for section in (theirs.answer, theirs.authority, theirs.additional)
        for rrset in section
        for rd in rrset
    )
    # dnspython drops duplicate rdatas inside an RRset; compare as sets then.
    assert set(ours) == set(expected)


@SETTINGS
@given(messages(in_only=True))
def test_we_read_dnspython_messages(msg: Message) -> None:
    theirs = dns.message.from_wire(msg.to_wire())
    wire = theirs.to_wire()
    back = Message.from_wire(wire)
    assert back.id == msg.id and back.rcode == msg.rcode and back.flags == msg.flags
    assert back.edns == msg.edns
    ours = {
        (rrset.name, rd.rrtype, rd.canonical())
        for section in (back.answer, back.authority, back.additional)
        for rrset in section
        for rd in (*rrset.rdatas, *rrset.sigs)
    }
    original = {
        (rrset.name, rd.rrtype, rd.canonical())
        for section in (msg.answer, msg.authority, msg.additional)
        for rrset in section
        for rd in (*rrset.rdatas, *rrset.sigs)
    }
    assert ours == original
