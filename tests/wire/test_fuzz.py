"""Bounded fuzzing of Message.from_wire: mutated valid messages and random
bytes must parse or raise WireFormatError with a real offset, quickly."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from dnssec_lite.errors import WireFormatError
from dnssec_lite.wire.edns import Edns, ExtendedError
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.types import FLAG_AD, FLAG_QR, FLAG_RD, RRType
from dnssec_lite.wire.zonefile import parse_rrsets

BUDGET_SECONDS = 2.5
SLOW_PARSE_SECONDS = 0.25

_SIG = "13 2 300 20300101000000 20200101000000 4711 example.com. " + "QUJD" * 16
ZONE = f"""
$ORIGIN example.com.
www 300 IN A 192.0.2.1
www 300 IN A 192.0.2.2
www 300 IN RRSIG A {_SIG}
@ 300 IN MX 10 mail
@ 300 IN RRSIG MX {_SIG}
@ 300 IN DNSKEY 257 3 13 {"AQID" * 22}
@ 300 IN DNSKEY 256 3 13 {"BAUG" * 22}
@ 300 IN RRSIG DNSKEY {_SIG}
_25._tcp.mail 300 IN TLSA 3 1 1 {"ab" * 32}
_25._tcp.mail 300 IN RRSIG TLSA {_SIG}
@ 300 IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@ 300 IN NSEC www.example.com. A NS SOA MX RRSIG NSEC DNSKEY
0p9mhaveqvm6t7vbl5lop2u3t2rp3tom 300 IN NSEC3 1 1 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr NS SOA
@ 300 IN NS ns1
ns1 300 IN A 192.0.2.53
ns1 300 IN AAAA 2001:db8::53
@ 300 IN TXT "v=spf1 -all" "second string"
@ 300 IN SRV 0 5 25 mail
@ 300 IN NAPTR 10 20 "s" "SIP+D2U" "" _sip._udp
"""


def _seeds() -> list[bytes]:
    rrsets = parse_rrsets(ZONE)
    q = Question(Name.from_text("www.example.com."), RRType.A)
    edns = Edns(payload=1232, options=(ExtendedError(6, "x").to_option(), (10, b"c" * 16)))
    full = Message(
        id=0xBEEF,
        flags=FLAG_QR | FLAG_RD | FLAG_AD,
        question=[q],
        answer=rrsets[:6],
        authority=rrsets[6:10],
        additional=rrsets[10:],
        edns=edns,
    )
    return [
        full.to_wire(),
        full.to_wire(compress=False),
        Message.make_query("www.example.com.", "A", id=1).to_wire(),
        Message(id=2, flags=FLAG_QR, rcode=3, question=[q], authority=rrsets[6:9]).to_wire(),
    ]


def _flip_bits(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(out))
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data))]


def _insert(rng: random.Random, data: bytes) -> bytes:
    i = rng.randrange(len(data) + 1)
    return data[:i] + rng.randbytes(rng.randint(1, 8)) + data[i:]


def _delete(rng: random.Random, data: bytes) -> bytes:
    i = rng.randrange(len(data))
    return data[:i] + data[i + rng.randint(1, 8) :]


def _corrupt_pointer(rng: random.Random, data: bytes) -> bytes:
    if len(data) < 14:
        return data + b"\xc0" + bytes([rng.randrange(256)])
    spots = [i for i in range(12, len(data) - 1) if data[i] & 0xC0 == 0xC0]
    out = bytearray(data)
    if not spots:
        i = rng.randrange(12, len(data) - 1)
        out[i] = 0xC0
    else:
        i = rng.choice(spots)
    out[i] = 0xC0 | rng.randrange(0x40)
    out[i + 1] = rng.randrange(256)
    return bytes(out)


def _bump_count(rng: random.Random, data: bytes) -> bytes:
    if len(data) < 12:
        return data
    out = bytearray(data)
    i = rng.choice((4, 6, 8, 10))
    out[i + 1] = (out[i + 1] + rng.choice((1, 2, 255))) & 0xFF
    return bytes(out)


def _random(rng: random.Random, data: bytes) -> bytes:
    return rng.randbytes(rng.randint(0, 300))


MUTATORS: list[Callable[[random.Random, bytes], bytes]] = [
    _flip_bits,
    _truncate,
    _insert,
    _delete,
    _corrupt_pointer,
    _bump_count,
    _random,
]


def _check_one(data: bytes) -> str:
    start = time.perf_counter()
    try:
        msg = Message.from_wire(data)
    except WireFormatError as exc:
        # offset -1 would mean the safety net caught an internal error
        assert 0 <= exc.offset <= len(data), (data.hex(), exc)
        result = "error"
    else:
        # whatever parses re-encodes to something that parses the same way
        again = Message.from_wire(msg.to_wire(compress=False))
        assert len(again.answer) == len(msg.answer)
        assert again.rcode == msg.rcode and again.edns == msg.edns
        result = "ok"
    assert time.perf_counter() - start < SLOW_PARSE_SECONDS, data.hex()
    return result


def test_fuzz_mutated_and_random_messages() -> None:
    rng = random.Random(20240229)
    seeds = _seeds()
    for seed in seeds:
        assert _check_one(seed) == "ok"
    outcomes = {"ok": 0, "error": 0}
    deadline = time.perf_counter() + BUDGET_SECONDS
    count = 0
    while time.perf_counter() < deadline:
        data = rng.choice(seeds)
        for _ in range(rng.randint(1, 3)):
            data = rng.choice(MUTATORS)(rng, data) or b"\x00"
        outcomes[_check_one(data)] += 1
        count += 1
    assert count > 1000
    assert outcomes["ok"] > 0 and outcomes["error"] > 0


def test_every_truncation_of_a_valid_message_is_rejected_cleanly() -> None:
    wire = _seeds()[0]
    for cut in range(len(wire)):
        assert _check_one(wire[:cut]) == "error"


def test_every_single_pointer_target_is_handled() -> None:
    wire = _seeds()[0]
    spot = next(i for i in range(12, len(wire) - 1) if wire[i] & 0xC0 == 0xC0)
    for target in range(0x3FFF + 1 if len(wire) < 0x3FFF else len(wire)):
        if target > len(wire) + 16:
            break
        data = bytearray(wire)
        data[spot : spot + 2] = (0xC000 | target).to_bytes(2, "big")
        result = _check_one(bytes(data))
        if target >= spot:
            assert result == "error"  # forward pointers and self-pointers
