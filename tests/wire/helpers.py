"""Shared helpers for the wire tests: single-RR wire forms, message
comparison and hypothesis strategies for names, rdata and messages."""

from __future__ import annotations

import struct
from typing import Any

from hypothesis import strategies as st

from dnssec_lite.wire.edns import Edns
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import Name, decode_name
from dnssec_lite.wire.rdata import GenericRdata, Rdata, rdata_from_wire
from dnssec_lite.wire.rdata.address import AAAA, A
from dnssec_lite.wire.rdata.dane import SMIMEA, TLSA
from dnssec_lite.wire.rdata.dnssec import (
    CDNSKEY,
    CDS,
    DNSKEY,
    DS,
    NSEC,
    NSEC3,
    NSEC3PARAM,
    RRSIG,
)
from dnssec_lite.wire.rdata.names import CNAME, DNAME, MX, NS, PTR, SOA, SRV
from dnssec_lite.wire.rdata.opt import OPT
from dnssec_lite.wire.rdata.txt import HINFO, NAPTR, SPF, TXT
from dnssec_lite.wire.rrset import RR, RRset
from dnssec_lite.wire.types import RRClass, RRType

_RR_FIXED = struct.Struct("!HHIH")


def rr_to_wire(rr: RR) -> bytes:
    """Uncompressed wire form of one record (owner, type, class, TTL, rdata)."""
    rdata = rr.rdata.to_wire()
    return rr.name.to_wire() + _RR_FIXED.pack(rr.rrtype, rr.rrclass, rr.ttl, len(rdata)) + rdata


def rr_from_wire(wire: bytes) -> RR:
    """Decode exactly one uncompressed record."""
    name, pos = decode_name(wire, 0)
    rrtype, rrclass, ttl, rdlen = _RR_FIXED.unpack_from(wire, pos)
    pos += 10
    assert pos + rdlen == len(wire), "record length mismatch"
    return RR(name, rrtype, rrclass, ttl, rdata_from_wire(rrtype, wire, pos, pos + rdlen))


def section_key(section: tuple[RRset, ...], exact: bool = True) -> list[Any]:
    """Comparable summary of a section: owner, type, class, TTLs, rdata and
    signature wire forms.  ``exact`` compares case too; without it names are
    compared as DNS does (name compression may reuse an earlier spelling)."""
    return [
        (
            rrset.name.labels if exact else rrset.name,
            rrset.rrtype,
            rrset.rrclass,
            rrset.ttl,
            [rd.to_wire() if exact else rd.canonical() for rd in rrset.rdatas],
            [sig.to_wire() if exact else sig.canonical() for sig in rrset.sigs],
            rrset.sig_ttl if rrset.sigs else None,
        )
        for rrset in section
    ]


def message_key(msg: Message, exact: bool = True) -> tuple[Any, ...]:
    return (
        msg.id,
        msg.flags,
        msg.opcode,
        msg.rcode,
        [(q.name.labels if exact else q.name, q.rrtype, q.rrclass) for q in msg.question],
        section_key(msg.answer, exact),
        section_key(msg.authority, exact),
        section_key(msg.additional, exact),
        msg.edns,
    )


# -- hypothesis strategies ----------------------------------------------------

_LABEL_ALPHABET = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_*"


def labels(max_size: int = 20) -> st.SearchStrategy[bytes]:
    """Mostly host-name-like labels, sometimes arbitrary octets."""
    plain = st.binary(min_size=1, max_size=max_size).map(
        lambda b: bytes(_LABEL_ALPHABET[x % len(_LABEL_ALPHABET)] for x in b)
    )
    return st.one_of(plain, plain, plain, st.binary(min_size=1, max_size=max_size))


@st.composite
def names(draw: st.DrawFn, max_labels: int = 5) -> Name:
    labs = draw(st.lists(labels(), max_size=max_labels))
    return Name.from_labels(labs)


def u8() -> st.SearchStrategy[int]:
    return st.integers(0, 0xFF)


def u16() -> st.SearchStrategy[int]:
    return st.integers(0, 0xFFFF)


def u32() -> st.SearchStrategy[int]:
    return st.integers(0, 0xFFFFFFFF)


def char_string() -> st.SearchStrategy[bytes]:
    return st.binary(max_size=40)


# Types that may appear in a bitmap: anything except window gaps is fine.
_bitmap_types = st.frozensets(
    st.one_of(st.integers(1, 300), st.sampled_from([32768, 32769, 65534])), max_size=12
)

#: DS digests of the registered lengths or of unassigned types (other
#: libraries refuse reserved type 0 and wrong lengths).
_DS_DIGESTS = st.sampled_from([(1, 20), (2, 32), (4, 48), (5, 7), (200, 1)]).flatmap(
    lambda tl: st.tuples(st.just(tl[0]), st.binary(min_size=tl[1], max_size=tl[1]))
)

#: TLSA/SMIMEA matching types 1 and 2 carry SHA-256 / SHA-512 digests.
_ASSOCIATIONS = u8().flatmap(
    lambda m: st.tuples(
        st.just(m),
        st.binary(min_size=32, max_size=32)
        if m == 1
        else st.binary(min_size=64, max_size=64)
        if m == 2
        else st.binary(min_size=1, max_size=64),
    )
)

RDATA_STRATEGIES: dict[int, st.SearchStrategy[Rdata]] = {
    RRType.A: st.binary(min_size=4, max_size=4).map(A),
    RRType.AAAA: st.binary(min_size=16, max_size=16).map(AAAA),
    RRType.NS: names().map(NS),
    RRType.CNAME: names().map(CNAME),
    RRType.DNAME: names().map(DNAME),
    RRType.PTR: names().map(PTR),
    RRType.SOA: st.builds(SOA, names(), names(), u32(), u32(), u32(), u32(), u32()),
    RRType.MX: st.builds(MX, u16(), names()),
    RRType.TXT: st.lists(char_string(), min_size=1, max_size=4).map(lambda x: TXT(tuple(x))),
    RRType.SPF: st.lists(char_string(), min_size=1, max_size=4).map(lambda x: SPF(tuple(x))),
    RRType.HINFO: st.builds(HINFO, char_string(), char_string()),
    RRType.NAPTR: st.builds(
        NAPTR, u16(), u16(), char_string(), char_string(), char_string(), names()
    ),
    RRType.SRV: st.builds(SRV, u16(), u16(), u16(), names()),
    RRType.DS: st.builds(lambda t, a, d: DS(t, a, *d), u16(), u8(), _DS_DIGESTS),
    RRType.CDS: st.builds(lambda t, a, d: CDS(t, a, *d), u16(), u8(), _DS_DIGESTS),
    RRType.DNSKEY: st.builds(DNSKEY, u16(), u8(), u8(), st.binary(min_size=1, max_size=80)),
    RRType.CDNSKEY: st.builds(CDNSKEY, u16(), u8(), u8(), st.binary(min_size=1, max_size=80)),
    RRType.RRSIG: st.builds(
        RRSIG,
        st.integers(1, 0xFFFF),
        u8(),
        u8(),
        u32(),
        u32(),
        u32(),
        u16(),
        names(),
        st.binary(min_size=1, max_size=80),
    ),
    RRType.NSEC: st.builds(NSEC, names(), _bitmap_types),
    RRType.NSEC3: st.builds(
        NSEC3,
        u8(),
        u8(),
        u16(),
        st.binary(max_size=16),
        st.binary(min_size=1, max_size=32),
        _bitmap_types,
    ),
    RRType.NSEC3PARAM: st.builds(NSEC3PARAM, u8(), u8(), u16(), st.binary(max_size=16)),
    RRType.TLSA: st.builds(lambda u, s, a: TLSA(u, s, *a), u8(), u8(), _ASSOCIATIONS),
    RRType.SMIMEA: st.builds(lambda u, s, a: SMIMEA(u, s, *a), u8(), u8(), _ASSOCIATIONS),
    RRType.OPT: st.lists(st.tuples(u16(), st.binary(max_size=20)), max_size=3).map(
        lambda x: OPT(tuple(x))
    ),
}

#: Types with no presentation form of their own (OPT) use RFC 3597 text.
TEXT_GENERIC_ONLY = frozenset({int(RRType.OPT)})

# Types outside the registry: their data is kept as GenericRdata.
_UNKNOWN_TYPES = st.sampled_from([99 + 1000, 65280, 65534, 4711])


@st.composite
def generic_rdata(draw: st.DrawFn) -> GenericRdata:
    return GenericRdata(draw(_UNKNOWN_TYPES), draw(st.binary(max_size=40)))


def any_rdata() -> st.SearchStrategy[Rdata]:
    return st.one_of(*RDATA_STRATEGIES.values(), generic_rdata())


# -- messages -------------------------------------------------------------------

_SECTION_TYPES = [t for t in RDATA_STRATEGIES if t not in (RRType.OPT, RRType.RRSIG)]


_SINGLETONS = frozenset({RRType.SOA, RRType.CNAME, RRType.DNAME, RRType.NSEC})


@st.composite
def rrsets(draw: st.DrawFn, owners: list[Name], in_only: bool = False) -> RRset:
    rrtype = draw(st.sampled_from([*_SECTION_TYPES, 65534]))
    strategy = RDATA_STRATEGIES.get(rrtype)
    if strategy is None:
        items: list[Rdata] = draw(
            st.lists(st.binary(max_size=20).map(lambda b: GenericRdata(65534, b)), min_size=1)
        )
    else:
        # other libraries keep one record of "singleton" types per RRset
        single = in_only and rrtype in _SINGLETONS
        items = draw(st.lists(strategy, min_size=1, max_size=1 if single else 3))
    sigs = []
    for _ in range(draw(st.integers(0, 2))):
        sig = draw(RDATA_STRATEGIES[RRType.RRSIG])
        assert isinstance(sig, RRSIG)
        sigs.append(
            RRSIG(
                rrtype,
                sig.algorithm,
                sig.labels,
                sig.original_ttl,
                sig.expiration,
                sig.inception,
                sig.key_tag,
                sig.signer,
                sig.signature,
            )
        )
    ttl = draw(st.integers(0, 0x7FFFFFFF))
    return RRset(
        draw(st.sampled_from(owners)),
        rrtype,
        RRClass.IN
        if in_only
        else draw(st.sampled_from([RRClass.IN, RRClass.IN, RRClass.CH, 4711])),
        ttl,
        items,
        sigs,
        draw(st.integers(0, 0x7FFFFFFF)) if sigs else None,
    )


def _unique(section: list[RRset]) -> list[RRset]:
    """Keep one RRset per (owner, type, class): the decoder would merge them."""
    seen = set()
    out = []
    for rrset in section:
        key = (rrset.name, rrset.rrtype, rrset.rrclass)
        if key not in seen:
            seen.add(key)
            out.append(rrset)
    return out


#: EDNS options other libraries decode with their own rules (client subnet,
#: cookies, Extended DNS Errors with UTF-8 text, report channel, the
#: filtering and EDE-language texts): random values are not valid there.
TYPED_OPTIONS = frozenset({8, 10, 15, 18, 22, 23, 24, 25})


def option_codes(portable: bool) -> st.SearchStrategy[int]:
    codes = u16()
    return codes.filter(lambda c: c not in TYPED_OPTIONS) if portable else codes


@st.composite
def messages(draw: st.DrawFn, in_only: bool = False) -> Message:
    """Random messages; ``in_only`` keeps to class IN and opcode QUERY (other
    libraries give other classes and opcodes their own meanings)."""
    owners = draw(st.lists(names(max_labels=4), min_size=1, max_size=4))
    edns = None
    if draw(st.booleans()):
        edns = Edns(
            payload=draw(u16()),
            version=draw(u8()),
            flags=draw(u16()),
            options=tuple(
                draw(st.lists(st.tuples(option_codes(in_only), st.binary(max_size=12)), max_size=3))
            ),
        )
    rcode = draw(st.integers(0, 0xFFF) if edns is not None else st.integers(0, 15))
    return Message(
        id=draw(u16()),
        flags=draw(u16()) & 0x87F0,
        opcode=0 if in_only else draw(st.integers(0, 15)),
        rcode=rcode,
        question=[
            Question(n, t, c)
            for n, t, c in draw(
                st.lists(
                    st.tuples(st.sampled_from(owners), u16(), st.just(1) if in_only else u16()),
                    max_size=2,
                )
            )
        ],
        answer=_unique(draw(st.lists(rrsets(owners, in_only), max_size=3))),
        authority=_unique(draw(st.lists(rrsets(owners, in_only), max_size=3))),
        additional=_unique(draw(st.lists(rrsets(owners, in_only), max_size=2))),
        edns=edns,
    )
