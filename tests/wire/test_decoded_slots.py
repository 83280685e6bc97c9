"""The decoder builds messages, questions, RRsets, names and some rdata
without calling ``__init__`` (it is faster); every slot must still be set,
so that adding a slot to one of those classes without teaching the decoder
fails here rather than as an AttributeError far away."""

from __future__ import annotations

from collections.abc import Iterator

from dnssec_lite.wire.edns import Edns
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.base import Rdata
from dnssec_lite.wire.rdata.dnssec import RRSIG
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.zonefile import parse_rrsets

ZONE = """\
example. 3600 IN DNSKEY 257 3 13 ( mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+Gq
    JxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ== )
example. 3600 IN RRSIG DNSKEY 13 1 3600 20260101000000 20251201000000 12345 example. AAAA
www.Example. 300 IN A 192.0.2.1
www.Example. 300 IN A 192.0.2.2
www.example. 300 IN AAAA 2001:db8::1
www.example. 300 IN RRSIG A 13 2 300 20260101000000 20251201000000 12345 example. AAAA
other.example. 300 IN RRSIG TXT 13 2 300 20260101000000 20251201000000 12345 Example. AAAA
mail.example. 300 IN MX 10 www.example.
example. 300 IN SOA ns.example. hostmaster.example. 1 7200 3600 1209600 300
sub.example. 300 IN DS 12345 13 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE9A8DE30C1E0EBCF6D0F0E7E1
_25._tcp.www.example. 300 IN TLSA 3 1 1 (
    49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE9A8DE30C1E0EBCF6D0F0E7E1 )
2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S.example. 300 IN NSEC3 1 1 0 - (
    35MTHGPGCU1QG68FAB165KLNSNK3DPVL A RRSIG )
"""


def _slots(cls: type) -> set[str]:
    return {s for klass in cls.__mro__ for s in getattr(klass, "__slots__", ())}


def _objects(msg: Message) -> Iterator[object]:
    yield msg
    for q in msg.question:
        yield q
        yield q.name
    for section in (msg.answer, msg.authority, msg.additional):
        for rrset in section:
            yield rrset
            yield rrset.name
            for rd in (*rrset.rdatas, *rrset.sigs):
                yield rd
                if isinstance(rd, RRSIG):
                    yield rd.signer


def _decoded(compress: bool) -> Message:
    rrsets = parse_rrsets(ZONE)
    msg = Message(
        0x1234,
        0x8180,
        0,
        0,
        [Question(Name.from_text("www.example."), 1)],
        answer=rrsets[:3],
        authority=rrsets[3:],
        edns=Edns(payload=1232),
    )
    return Message.from_wire(msg.to_wire(compress=compress))


def test_every_slot_of_every_decoded_object_is_set() -> None:
    seen: set[type] = set()
    for compress in (True, False):
        decoded = _decoded(compress)
        for obj in _objects(decoded):
            missing = [s for s in sorted(_slots(type(obj))) if not hasattr(obj, s)]
            assert not missing, f"{type(obj).__name__} decoded without {missing}"
            seen.add(type(obj))
    names = {cls.__name__ for cls in seen}
    # The classes the decoder fills in without __init__ are all covered.
    assert {
        "Message",
        "Question",
        "RRset",
        "Name",
        "RRSIG",
        "DNSKEY",
        "DS",
        "A",
        "AAAA",
        "MX",
        "SOA",
        "TLSA",
        "NSEC3",
    } <= names
    assert any(issubclass(cls, Rdata) for cls in seen) and RRset in seen
