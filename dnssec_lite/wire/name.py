"""Domain names: immutable, case-preserving, compared case-insensitively.

A :class:`Name` is always absolute; it holds its labels (without the empty
root label) as ``bytes``.  Equality, hashing and ordering use the lower-cased
labels in reverse order, which is exactly the RFC 4034 section 6.1 canonical
order, so ``sorted(names)`` gives canonical order with no extra work.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import TextFormatError, WireFormatError

MAX_LABEL = 63
MAX_NAME = 255

# Octets that must be escaped in presentation form.
_SPECIAL = frozenset(b'."\\();@$ ')


def _escape_label(label: bytes) -> str:
    out = []
    for octet in label:
        if octet in _SPECIAL:
            out.append("\\" + chr(octet))
        elif 0x21 <= octet <= 0x7E:
            out.append(chr(octet))
        else:
            out.append(f"\\{octet:03d}")
    return "".join(out)


class Name:
    """An absolute domain name.

    Build one with :meth:`from_text`, :meth:`from_labels` or by decoding wire
    data; the constructor is not meant for callers.
    """

    __slots__ = ("_cwire", "_hash", "_key", "labels")

    labels: tuple[bytes, ...]
    _key: tuple[bytes, ...] | None
    _hash: int | None
    _cwire: bytes | None

    def __init__(self, labels: tuple[bytes, ...], key: tuple[bytes, ...] | None = None) -> None:
        # ``key``, when given, must be what :attr:`key` computes (decoders
        # that have the lower-cased labels at hand pass it).
        self.labels = labels
        self._key = key
        self._hash = None
        self._cwire = None

    # -- construction -----------------------------------------------------
    @classmethod
    def from_labels(cls, labels: Iterable[bytes]) -> Name:
        """Build a name from its labels (leftmost first), checking the limits."""
        labs = tuple(labels)
        total = 1
        for label in labs:
            if not label:
                raise ValueError("empty label inside a name")
            if len(label) > MAX_LABEL:
                raise ValueError(f"label of {len(label)} octets exceeds 63")
            total += len(label) + 1
        if total > MAX_NAME:
            raise ValueError(f"name of {total} octets exceeds 255")
        return cls(labs)

    @classmethod
    def from_text(cls, text: str, origin: Name | None = None) -> Name:
        """Parse presentation form (``\\.`` and ``\\DDD`` escapes).

        A name without a trailing dot is relative to ``origin`` (the root when
        no origin is given); ``@`` stands for the origin itself.
        """
        if origin is None:
            origin = ROOT
        if text == "@":
            return origin
        if text == ".":
            return ROOT
        if not text:
            raise TextFormatError("empty domain name")
        labels: list[bytes] = []
        current = bytearray()
        absolute = False
        i = 0
        n = len(text)
        while i < n:
            ch = text[i]
            if ch == "\\":
                if i + 1 >= n:
                    raise TextFormatError(f"name {text!r} ends in a backslash")
                nxt = text[i + 1]
                if nxt.isdigit():
                    digits = text[i + 1 : i + 4]
                    if len(digits) != 3 or not digits.isdigit() or int(digits) > 255:
                        raise TextFormatError(f"bad \\DDD escape in name {text!r}")
                    current.append(int(digits))
                    i += 4
                    continue
                current.extend(nxt.encode("latin-1", "strict") if ord(nxt) < 256 else nxt.encode())
                i += 2
                continue
            if ch == ".":
                if not current:
                    raise TextFormatError(f"empty label in name {text!r}")
                labels.append(bytes(current))
                current = bytearray()
                if i == n - 1:
                    absolute = True
                i += 1
                continue
            if ord(ch) < 128:
                current.append(ord(ch))
            else:
                current.extend(ch.encode("utf-8"))
            i += 1
        if current:
            labels.append(bytes(current))
        try:
            if absolute:
                return cls.from_labels(labels)
            return cls.from_labels(labels + list(origin.labels))
        except ValueError as exc:
            raise TextFormatError(f"name {text!r}: {exc}") from None

    @classmethod
    def from_wire(cls, data: bytes, offset: int = 0) -> tuple[Name, int]:
        """Decode a (possibly compressed) name; returns it and the next offset."""
        return decode_name(data, offset)

    # -- comparison (canonical, case-insensitive) ---------------------------
    @property
    def key(self) -> tuple[bytes, ...]:
        """Reversed lower-cased labels: the RFC 4034 section 6.1 sort key."""
        key = self._key
        if key is None:
            key = tuple([label.lower() for label in reversed(self.labels)])
            self._key = key
        return key

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            key = self._key
            h = hash(self.key if key is None else key)
            self._hash = h
        return h

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Name):
            return NotImplemented
        a = self._key
        b = other._key
        if a is None or b is None:
            if len(self.labels) != len(other.labels):
                return False
            return self.key == other.key
        return a == b

    def __ne__(self, other: object) -> bool:
        if self is other:
            return False
        if not isinstance(other, Name):
            return NotImplemented
        a = self._key
        b = other._key
        if a is None or b is None:
            if len(self.labels) != len(other.labels):
                return True
            return self.key != other.key
        return a != b

    def __lt__(self, other: Name) -> bool:
        return self.key < other.key

    def __le__(self, other: Name) -> bool:
        return self.key <= other.key

    def __gt__(self, other: Name) -> bool:
        return self.key > other.key

    def __ge__(self, other: Name) -> bool:
        return self.key >= other.key

    # -- forms ------------------------------------------------------------
    def to_text(self) -> str:
        """Presentation form, always absolute (trailing dot)."""
        if not self.labels:
            return "."
        return ".".join(_escape_label(label) for label in self.labels) + "."

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"Name({self.to_text()!r})"

    def to_wire(self) -> bytes:
        """Uncompressed wire form, case preserved."""
        out = bytearray()
        for label in self.labels:
            out.append(len(label))
            out += label
        out.append(0)
        return bytes(out)

    def canonical_wire(self) -> bytes:
        """Uncompressed wire form with ASCII letters lower-cased (RFC 4034 6.2)."""
        wire = self._cwire
        if wire is None:
            # Lower-casing the wire form as a whole is safe: length octets
            # are at most 63, never an ASCII letter.
            wire = self._cwire = self.to_wire().lower()
        return wire

    def wire_length(self) -> int:
        return sum(len(label) for label in self.labels) + len(self.labels) + 1

    # -- relations --------------------------------------------------------
    def __len__(self) -> int:
        return len(self.labels)

    def is_root(self) -> bool:
        return not self.labels

    def is_wild(self) -> bool:
        """True for ``*.rest``: the leftmost label is the asterisk."""
        return bool(self.labels) and self.labels[0] == b"*"

    def label_count(self) -> int:
        """Labels as an RRSIG counts them: no root label, no leading ``*``."""
        n = len(self.labels)
        if n and self.labels[0] == b"*":
            return n - 1
        return n

    def is_subdomain(self, other: Name) -> bool:
        """True when ``self`` equals ``other`` or lies below it."""
        n = len(other.labels)
        if n > len(self.labels):
            return False
        if n == 0:
            return True
        mine = self._key
        if mine is None:
            mine = self.key
        theirs = other._key
        if theirs is None:
            theirs = other.key
        return (mine if n == len(mine) else mine[:n]) == theirs

    def is_strict_subdomain(self, other: Name) -> bool:
        return len(self.labels) > len(other.labels) and self.is_subdomain(other)

    def parent(self) -> Name:
        """The name with the leftmost label removed; the root has no parent."""
        if not self.labels:
            raise ValueError("the root name has no parent")
        key = self._key
        return Name(self.labels[1:], None if key is None else key[:-1])

    def suffix(self, count: int) -> Name:
        """The ancestor made of the rightmost ``count`` labels."""
        if count >= len(self.labels):
            return self
        if count <= 0:
            return ROOT
        key = self._key  # the suffix's key is a prefix of this one
        return Name(self.labels[len(self.labels) - count :], None if key is None else key[:count])

    def child(self, label: bytes) -> Name:
        """``label.self``, checking the limits."""
        return Name.from_labels((label, *self.labels))

    def wildcard(self) -> Name:
        """``*.self``: the wildcard name directly below this one."""
        return self.child(b"*")

    def common_ancestor(self, other: Name) -> Name:
        """The longest name both lie at or below."""
        a, b = self.key, other.key
        n = 0
        for x, y in zip(a, b, strict=False):
            if x != y:
                break
            n += 1
        return self.suffix(n)

    def relativize(self, origin: Name) -> str:
        """Text relative to ``origin`` (``@`` for the origin itself)."""
        if not self.is_subdomain(origin):
            return self.to_text()
        n = len(self.labels) - len(origin.labels)
        if n == 0:
            return "@"
        return ".".join(_escape_label(label) for label in self.labels[:n])


ROOT = Name(())


#: Most compression pointers one name may follow.  A name's 255 octets hold
#: at most 127 labels; a pointer may start the name and one may follow each
#: label, so an honest name needs at most 128.  More (pointers to pointers)
#: is rejected: it bounds the work of one name however the message is laid out.
MAX_POINTERS = 128

#: Names decoded in one message, by the offset where each starts (or where a
#: pointer lands): ``(name, wire length, pointers followed)``.  Entries are
#: kept only for names that can still be pointed to (fewer than
#: :data:`MAX_POINTERS` pointers), so a hit extended by one pointer is always
#: within the limit.  Sharing it across the names of one message makes
#: decoding linear in the message size: no offset is walked twice.
NameMemo = dict[int, tuple["Name", int, int]]


def decode_name(data: bytes, offset: int, names: NameMemo | None = None) -> tuple[Name, int]:
    """Decode a name at ``offset``, following compression pointers.

    Each pointer must point strictly before the place where the previous
    jump landed (or where the name began), which rules out loops; labels,
    the total length and the pointers followed are checked against the
    limits.  With ``names`` (the memo of one message), a pointer to an offset
    decoded already reuses that name, and a compressed name is added under
    ``offset`` and under every offset a pointer landed on (an uncompressed
    one only once a pointer lands on it: most are never pointed to, and
    storing them cost more than it saved).  Returns the name and the offset
    just after it.
    """
    labels: list[bytes] = []
    total = 1
    pos = offset
    floor = offset
    end: int | None = None
    hops = 0
    tail: tuple[bytes, ...] = ()
    # Where pointers landed (memoised at the end): offset, labels before it,
    # octets before it, pointers before it.
    landed: list[tuple[int, int, int, int]] | None = None
    limit = len(data)
    while True:
        if pos >= limit:
            raise WireFormatError(pos, "name runs past the end of the data")
        length = data[pos]
        if length == 0:
            pos += 1
            break
        if length < 64:
            stop = pos + 1 + length
            if stop > limit:
                raise WireFormatError(pos, "label runs past the end of the data")
            total += length + 1
            if total > MAX_NAME:
                raise WireFormatError(offset, "name longer than 255 octets")
            labels.append(data[pos + 1 : stop])
            pos = stop
            continue
        if length >= 0xC0:
            if pos + 1 >= limit:
                raise WireFormatError(pos, "compression pointer runs past the end")
            target = ((length & 0x3F) << 8) | data[pos + 1]
            if end is None:
                end = pos + 2
            if target >= floor:
                raise WireFormatError(
                    pos, f"compression pointer to {target} does not point backwards"
                )
            hops += 1
            if hops > MAX_POINTERS:
                raise WireFormatError(
                    offset, f"name follows more than {MAX_POINTERS} compression pointers"
                )
            if names is not None:
                hit = names.get(target)
                if hit is not None:
                    # Entries have fewer than MAX_POINTERS pointers, so only a
                    # name with labels before this pointer can go over.
                    tail_name, tail_len, tail_hops = hit
                    total += tail_len - 1
                    if total > MAX_NAME:
                        raise WireFormatError(offset, "name longer than 255 octets")
                    hops += tail_hops
                    if hops > MAX_POINTERS:
                        raise WireFormatError(
                            offset, f"name follows more than {MAX_POINTERS} compression pointers"
                        )
                    if not labels and landed is None:
                        return tail_name, end  # a pointer alone: the same name
                    tail = tail_name.labels
                    break
                if landed is None:
                    landed = []
                landed.append((target, len(labels), total, hops))
            pos = floor = target
            continue
        raise WireFormatError(pos, f"unknown label type 0x{length & 0xC0:02x}")
    # Filled in directly (all four slots): without the __init__ call, a
    # decoded name costs a quarter less.
    name = _new_name(Name)
    name.labels = tuple(labels) + tail if tail else tuple(labels)
    name._key = None
    name._hash = None
    name._cwire = None
    if end is None:
        return name, pos  # no pointer: later pointers to it are memoised where they land
    if names is not None:
        if hops < MAX_POINTERS:
            names[offset] = (name, total, hops)
        if landed is None:
            return name, end
        whole = name.labels
        for at, index, before, hops_before in landed:
            rest = hops - hops_before
            if rest < MAX_POINTERS:
                part = name if index == 0 else _make_name(whole[index:])
                names[at] = (part, total - before + 1, rest)
    return name, end


def _make_name(labels: tuple[bytes, ...]) -> Name:
    name = _new_name(Name)
    name.labels = labels
    name._key = None
    name._hash = None
    name._cwire = None
    return name


_new_name = object.__new__
