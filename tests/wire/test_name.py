"""Domain names: escapes, comparison, canonical order, relations, limits."""

from __future__ import annotations

import itertools

import pytest

from dnssec_lite.errors import TextFormatError, WireFormatError
from dnssec_lite.wire.name import ROOT, Name, decode_name


def N(text: str) -> Name:
    return Name.from_text(text)


def test_escaped_dot_is_part_of_a_label() -> None:
    name = N("a\\.b.example.")
    assert name.labels == (b"a.b", b"example")
    assert name.to_text() == "a\\.b.example."
    assert len(name) == 2


def test_decimal_escapes() -> None:
    name = N("\\000\\255\\065.example")
    assert name.labels == (b"\x00\xffA", b"example")
    assert name.to_text() == "\\000\\255A.example."


@pytest.mark.parametrize("bad", ["\\256.x", "\\1.x", "\\12", "a\\"])
def test_bad_escapes_are_rejected(bad: str) -> None:
    with pytest.raises(TextFormatError):
        N(bad)


def test_special_characters_are_escaped_in_text() -> None:
    name = Name.from_labels([b'a"b;c(d)e@f$g\\h i'])
    text = name.to_text()
    assert text == 'a\\"b\\;c\\(d\\)e\\@f\\$g\\\\h\\ i.'
    assert N(text) == name and N(text).labels == name.labels


def test_equality_and_hash_ignore_case_but_case_is_preserved() -> None:
    upper, lower = N("WWW.Example.COM."), N("www.example.com.")
    assert upper == lower
    assert hash(upper) == hash(lower)
    assert upper.labels == (b"WWW", b"Example", b"COM")
    assert upper.to_text() == "WWW.Example.COM."
    assert upper.to_wire() == b"\x03WWW\x07Example\x03COM\x00"
    assert upper.canonical_wire() == lower.to_wire()
    assert len({upper, lower}) == 1
    assert upper != N("www.example.org.")
    assert N("a.b.") != N("a.b.c.")


def test_only_ascii_letters_are_case_folded() -> None:
    assert Name.from_labels([b"\xc4"]) != Name.from_labels([b"\xe4"])


def test_rfc4034_section_6_1_canonical_order() -> None:
    expected = [
        "example.",
        "a.example.",
        "yljkjljk.a.example.",
        "Z.a.example.",
        "zABC.a.EXAMPLE.",
        "z.example.",
        "\\001.z.example.",
        "*.z.example.",
        "\\200.z.example.",
    ]
    shuffled = [expected[i] for i in (5, 8, 0, 3, 7, 1, 6, 2, 4)]
    ordered = sorted(N(t) for t in shuffled)
    assert [n.to_text() for n in ordered] == expected
    for a, b in itertools.pairwise(ordered):
        assert a < b and a <= b and b > a and b >= a


def test_is_subdomain() -> None:
    zone = N("example.com.")
    assert N("a.b.Example.COM.").is_subdomain(zone)
    assert zone.is_subdomain(zone)
    assert not zone.is_strict_subdomain(zone)
    assert N("a.example.com.").is_strict_subdomain(zone)
    assert not N("badexample.com.").is_subdomain(zone)
    assert not N("com.").is_subdomain(zone)
    assert zone.is_subdomain(ROOT)


def test_parent_suffix_and_common_ancestor() -> None:
    name = N("a.b.example.")
    assert name.parent() == N("b.example.")
    assert name.parent().parent().parent() == ROOT
    with pytest.raises(ValueError):
        ROOT.parent()
    assert name.suffix(1) == N("example.")
    assert name.suffix(0) == ROOT
    assert name.suffix(9) is name
    assert name.common_ancestor(N("c.b.example.")) == N("b.example.")
    assert name.common_ancestor(N("org.")) == ROOT


def test_label_count_ignores_a_leading_wildcard() -> None:
    assert ROOT.label_count() == 0
    assert N("example.").label_count() == 1
    assert N("*.example.").label_count() == 1
    assert N("*.example.").is_wild()
    assert N("a.*.example.").label_count() == 3
    assert not N("a.*.example.").is_wild()
    assert N("example.").wildcard() == N("*.example.")


def test_relative_names_origin_and_at() -> None:
    origin = N("example.org.")
    assert Name.from_text("www", origin) == N("www.example.org.")
    assert Name.from_text("www.", origin) == N("www.")
    assert Name.from_text("@", origin) is origin
    assert N("www.example.org.").relativize(origin) == "www"
    assert origin.relativize(origin) == "@"
    assert N("other.").relativize(origin) == "other."


def test_root() -> None:
    assert N(".") is ROOT
    assert ROOT.to_text() == "." and ROOT.to_wire() == b"\x00"
    assert ROOT.is_root() and len(ROOT) == 0


def test_label_limit_63() -> None:
    assert len(N("a" * 63 + ".").labels[0]) == 63
    with pytest.raises(TextFormatError, match="63"):
        N("a" * 64 + ".")
    with pytest.raises(ValueError):
        Name.from_labels([b"a" * 64])


def test_name_limit_255() -> None:
    # 4 labels of 63 octets = 4 * 64 + 1 = 257 octets: too long.
    with pytest.raises(TextFormatError, match="255"):
        N(".".join(["a" * 63] * 4) + ".")
    # 3 * 64 + 62 + 1 = 255 octets exactly is allowed.
    name = N(".".join(["a" * 63] * 3 + ["a" * 61]) + ".")
    assert name.wire_length() == 255
    with pytest.raises(ValueError):
        name.child(b"x")


def test_empty_labels_are_rejected() -> None:
    for bad in ("a..b.", ".a.", ""):
        with pytest.raises(TextFormatError):
            N(bad)
    with pytest.raises(ValueError):
        Name.from_labels([b"a", b""])


def test_decode_name_follows_backward_pointers() -> None:
    data = b"\x07example\x03com\x00" + b"\x03www\xc0\x00"
    name, end = decode_name(data, 13)
    assert name == N("www.example.com.")
    assert end == len(data)


def test_decode_name_rejects_self_and_forward_pointers() -> None:
    with pytest.raises(WireFormatError, match="does not point backwards") as exc:
        decode_name(b"\x03www\xc0\x04", 0)
    assert exc.value.offset == 4
    with pytest.raises(WireFormatError, match="does not point backwards") as exc:
        decode_name(b"\xc0\x02\x00", 0)
    assert exc.value.offset == 0


def test_decode_name_rejects_pointer_loops() -> None:
    # start at 4: "b", pointer to 0; at 0: "a", pointer to 4 again -> a loop,
    # rejected at offset 2 because 4 is not before the previous jump target
    data = b"\x01a\xc0\x04\x01b\xc0\x00"
    with pytest.raises(WireFormatError, match="pointer to 4 does not point backwards") as exc:
        decode_name(data, 4)
    assert exc.value.offset == 2
    data = b"\xc0\x02\xc0\x00"
    with pytest.raises(WireFormatError) as exc:
        decode_name(data, 2)
    assert exc.value.offset == 0


def test_decode_name_rejects_over_long_names_and_truncation() -> None:
    label = b"\x3f" + b"a" * 63
    with pytest.raises(WireFormatError, match="longer than 255") as exc:
        decode_name(label * 4 + b"\x00", 0)
    assert exc.value.offset == 0
    with pytest.raises(WireFormatError, match="past the end") as exc:
        decode_name(b"\x05abc", 0)
    assert exc.value.offset == 0
    with pytest.raises(WireFormatError, match="past the end") as exc:
        decode_name(b"\x03abc", 0)
    assert exc.value.offset == 4
    with pytest.raises(WireFormatError, match="runs past the end") as exc:
        decode_name(b"\x00\xc0", 1)
    assert exc.value.offset == 1


@pytest.mark.parametrize("octet", [0x40, 0x80, 0x7F, 0xBF])
def test_decode_name_rejects_reserved_label_types(octet: int) -> None:
    with pytest.raises(WireFormatError, match="unknown label type") as exc:
        decode_name(b"\x01a" + bytes([octet]) + b"\x00", 0)
    assert exc.value.offset == 2
