"""Hostile compression-pointer layouts: rejected or parsed correctly, in work
linear in the message size.

The work is counted as octet reads of the message (a ``bytes`` subclass
counting ``__getitem__``, passed to the decoder below ``Message.from_wire``),
so the bounds hold on a loaded machine; one wall-time bound covers the
64 KB layout of the original report (about 10 s before the fix).
"""

from __future__ import annotations

import random
import struct
import time
from collections.abc import Callable
from typing import Any, SupportsIndex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.bench_pointer_chains import LAYOUTS, label_chain, pointer_chain
from dnssec_lite.errors import WireFormatError
from dnssec_lite.wire import message as message_module
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import MAX_NAME, MAX_POINTERS, Name, NameMemo, decode_name
from dnssec_lite.wire.rdata import Rdata
from dnssec_lite.wire.rdata.names import CNAME


class _Counting(bytes):
    """Message octets that count how often they are indexed or sliced."""

    reads = 0

    def __getitem__(self, index: SupportsIndex | slice) -> Any:
        _Counting.reads += 1
        return super().__getitem__(index)


def _reads(wire: bytes) -> tuple[int, Message | WireFormatError]:
    """Octet reads to decode ``wire``, and the message or the error."""
    _Counting.reads = 0
    try:
        result: Message | WireFormatError = message_module._decode(_Counting(wire))
    except WireFormatError as exc:
        result = exc
    return _Counting.reads, result


def _reference(data: bytes, offset: int) -> tuple[tuple[bytes, ...], int] | None:
    """An independent, plain decoder: labels and end, or None if malformed
    (RFC 1035 limits, pointers strictly backwards, at most MAX_POINTERS)."""
    labels: list[bytes] = []
    pos = floor = offset
    end = None
    hops = 0
    octets = 1
    while True:
        if pos >= len(data):
            return None
        length = data[pos]
        if length == 0:
            return tuple(labels), (pos + 1 if end is None else end)
        if length < 64:
            if pos + 1 + length > len(data):
                return None
            labels.append(data[pos + 1 : pos + 1 + length])
            octets += length + 1
            if octets > MAX_NAME:
                return None
            pos += 1 + length
        elif length >= 0xC0:
            if pos + 1 >= len(data):
                return None
            target = ((length & 0x3F) << 8) | data[pos + 1]
            end = pos + 2 if end is None else end
            hops += 1
            if target >= floor or hops > MAX_POINTERS:
                return None
            pos = floor = target
        else:
            return None


def _target(rdata: Rdata) -> tuple[bytes, ...]:
    assert isinstance(rdata, CNAME)
    return rdata.target.labels


# -- linear work ------------------------------------------------------------


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_work_is_linear_in_the_size(layout: str) -> None:
    build = LAYOUTS[layout]
    small, _ = _reads(build(4096))
    wire = build(16384)
    large, result = _reads(wire)
    # A few reads per octet whatever the layout (the record headers alone
    # take two per record); quadrupling the size at most quadruples the work.
    assert large <= 2 * len(wire), (layout, large)
    assert large <= 4.5 * small, (layout, small, large)
    if layout in ("chain",):
        assert isinstance(result, WireFormatError)
    else:
        assert isinstance(result, Message), result


def test_the_reported_64k_chain_is_rejected_fast_naming_the_offset() -> None:
    wire = pointer_chain(65535)
    assert len(wire) > 65000
    assert struct.unpack_from("!H", wire, 6)[0] > 3500  # records into the chain
    start = time.perf_counter()
    with pytest.raises(WireFormatError, match="more than 128 compression pointers") as exc:
        Message.from_wire(wire)
    assert time.perf_counter() - start < 0.5  # was about 10 s
    # The first record that points deep into the chain, not somewhere inside it.
    first_cname = 12 + 7 + 12 + (struct.unpack_from("!H", wire, 12 + 7 + 10)[0])
    assert exc.value.offset == first_cname


def test_deepest_allowed_chains_parse_like_the_reference() -> None:
    builds: list[Callable[[int], bytes]] = [
        lambda n: pointer_chain(n, MAX_POINTERS - 1),
        lambda n: label_chain(n, 127),
    ]
    for build in builds:
        start = time.perf_counter()
        assert Message.from_wire(build(65535)).answer
        assert time.perf_counter() - start < 0.5
        wire = build(8192)
        msg = Message.from_wire(wire)
        records = struct.unpack_from("!H", wire, 6)[0]
        assert sum(len(rrset.rdatas) for rrset in msg.answer) == records
        # Every CNAME's owner and target as the reference decoder reads them.
        got = {(rs.name.labels, _target(rd)) for rs in msg.answer[1:] for rd in rs.rdatas}
        want = set()
        pos = 12 + 7
        for _ in range(records):
            owner = _reference(wire, pos)
            assert owner is not None
            rrtype, _, _, rdlen = struct.unpack_from("!HHIH", wire, owner[1])
            if rrtype == 5:
                target = _reference(wire, owner[1] + 10)
                assert target is not None
                want.add((owner[0], target[0]))
            pos = owner[1] + 10 + rdlen
        assert got == want


def test_one_pointer_more_than_allowed_is_rejected() -> None:
    ok = pointer_chain(2048, MAX_POINTERS - 1)
    assert Message.from_wire(ok).answer
    with pytest.raises(WireFormatError, match="compression pointers"):
        Message.from_wire(pointer_chain(2048, MAX_POINTERS))
    # 127 labels each followed by a pointer: the longest honest name.
    assert Message.from_wire(label_chain(2048, 127)).answer
    with pytest.raises(WireFormatError, match="longer than 255"):
        Message.from_wire(label_chain(2048, 128))


# -- loops, forward pointers, pointer to pointer ----------------------------


def _with_rdata(rdata: bytes, owners: list[int], rrtype: int = 5) -> bytes:
    """A response: a private-type record holding ``rdata`` at offset 31,
    then one CNAME record per owner pointer, its target the same pointer."""
    records = [b"\xc0\x0c" + struct.pack("!HHIH", 65280, 1, 0, len(rdata)) + rdata]
    for owner in owners:
        ptr = struct.pack("!H", 0xC000 | owner)
        records.append(ptr + struct.pack("!HHIH", rrtype, 1, 0, 2) + ptr)
    header = struct.pack("!HHHHHH", 1, 0x8180, 1, len(records), 0, 0)
    return header + b"\x01a\x00\x00\x01\x00\x01" + b"".join(records)


@pytest.mark.parametrize(
    ("rdata", "owner"),
    [
        (b"\xc0\x1f", 31),  # a pointer to itself
        (b"\xc0\x21\xc0\x1f", 33),  # two pointers to each other
        (b"\x01b\xc0\x1f", 31),  # a label, then back to its own start
        (b"\xc0\x21\x00", 31),  # a forward pointer
        (b"\x01b\xc0\x30", 31),  # a forward pointer past the rdata
        (b"\x01b\xc0\xff", 31),  # a pointer past the end
        (b"\x01b\x80\x00", 31),  # an unknown label type
    ],
)
def test_loops_and_forward_pointers_are_rejected(rdata: bytes, owner: int) -> None:
    reads, result = _reads(_with_rdata(rdata, [owner] * 50))
    assert isinstance(result, WireFormatError)
    assert reads < 200


def test_pointer_to_pointer_within_the_limit_parses() -> None:
    # 31: "b" root; 34: -> 31; 36: -> 34; 38: -> 36
    rdata = b"\x01b\x00\xc0\x1f\xc0\x22\xc0\x24"
    msg = Message.from_wire(_with_rdata(rdata, [38, 36, 34, 31]))
    targets = [_target(rd) for rs in msg.answer if rs.rrtype == 5 for rd in rs.rdatas]
    assert targets and all(t == Name.from_text("b.").labels for t in targets)


# -- the memo changes nothing but the work ------------------------------------

_pieces = st.one_of(
    st.binary(min_size=1, max_size=6).map(lambda b: bytes([len(b)]) + b),  # a label
    st.just(b"\x00"),
    st.integers(0, 0x3FFF).map(lambda t: struct.pack("!H", 0xC000 | t)),  # any pointer
    st.integers(0, 255).map(lambda t: struct.pack("!H", 0xC000 | t)),  # a near one
    st.binary(min_size=1, max_size=1),  # anything
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, min_size=1, max_size=120), st.randoms(use_true_random=False))
def test_memoised_decoding_equals_the_reference(pieces: list[bytes], rnd: random.Random) -> None:
    data = b"".join(pieces)
    offsets = list(range(len(data)))
    rnd.shuffle(offsets)
    names: NameMemo = {}
    for offset in offsets:
        want = _reference(data, offset)
        try:
            name, end = decode_name(data, offset, names)
        except WireFormatError:
            assert want is None, (data.hex(), offset)
            continue
        assert want is not None, (data.hex(), offset)
        assert (name.labels, end) == want
        # and without the memo
        assert decode_name(data, offset)[0].labels == want[0]
    for at, (name, length, hops) in names.items():
        assert hops < MAX_POINTERS
        assert name.wire_length() == length
        assert _reference(data, at) is not None
        assert name.labels == _reference(data, at)[0]  # type: ignore[index]


def test_memo_keeps_the_length_and_pointer_limits() -> None:
    # A 253-octet name at 0; "a" + pointer to it is 255 octets, "bb" + one is too long.
    long_name = (b"\x3f" + b"x" * 63) * 3 + b"\x3b" + b"y" * 59 + b"\x00"
    assert len(long_name) == 253
    data = long_name + b"\x01a\xc0\x00" + b"\x02bb\xc0\x00"
    names: NameMemo = {}
    decode_name(data, 0, names)
    assert decode_name(data, 253, names)[0].wire_length() == 255
    with pytest.raises(WireFormatError, match="longer than 255"):
        decode_name(data, 257, names)
    # A chain of MAX_POINTERS - 1 pointers at the end of a label chain.
    chain = bytearray(b"\x00")
    for i in range(MAX_POINTERS - 1):
        chain += struct.pack("!H", 0xC000 | (0 if i == 0 else 1 + 2 * (i - 1)))
    top = len(chain) - 2
    chain += b"\x01a" + struct.pack("!H", 0xC000 | top)  # MAX_POINTERS pointers
    chain += b"\x01b" + struct.pack("!H", 0xC000 | (top + 2))  # one more
    names = {}
    assert decode_name(bytes(chain), top, names)[0].labels == ()
    assert decode_name(bytes(chain), top + 2, names)[0].labels == (b"a",)
    with pytest.raises(WireFormatError, match="compression pointers"):
        decode_name(bytes(chain), top + 6, names)
    with pytest.raises(WireFormatError, match="compression pointers"):
        decode_name(bytes(chain), top + 6)
