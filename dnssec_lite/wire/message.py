"""DNS messages (RFC 1035 section 4) with EDNS0, decoded strictly.

``Message.from_wire`` either returns a message or raises
:class:`~dnssec_lite.errors.WireFormatError` naming the offset and the
problem; it never raises anything else, never loops and allocates no more
than the input justifies (counts are checked against the remaining octets
before any record is read).  Its time is linear in the size, whatever the
compression pointers: each offset a name starts at or a pointer lands on is
decoded once per message (the ``names`` memo, shared with the rdata
decoders) and a name follows at most 128 pointers, so the work is one walk
of at most 127 labels per distinct offset (docs/performance.md measures it).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Sequence
from typing import Any

from ..errors import WireFormatError
from .edns import DEFAULT_PAYLOAD, EDNS_DO, Edns, ExtendedError
from .name import MAX_NAME, ROOT, Name, NameMemo
from .rdata.base import Compress, Rdata, write_name
from .rdata.opt import decode_options, encode_options
from .records import RR_FIXED, OptInfo, decode_section, key_of, owner_name
from .rrset import RR, RRset
from .types import (
    FLAG_AA,
    FLAG_AD,
    FLAG_CD,
    FLAG_NAMES,
    FLAG_QR,
    FLAG_RA,
    FLAG_RD,
    FLAG_TC,
    Opcode,
    Rcode,
    RRClass,
    RRType,
)

_HEADER = struct.Struct("!HHHHHH")
_QFIXED = struct.Struct("!HH")

_TYPE_RRSIG = int(RRType.RRSIG)
_TYPE_OPT = int(RRType.OPT)


class Question:
    """The question: name, type and class."""

    __slots__ = ("name", "rrclass", "rrtype")

    def __init__(self, name: Name, rrtype: int, rrclass: int = RRClass.IN) -> None:
        self.name = name
        self.rrtype = rrtype
        self.rrclass = rrclass

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Question):
            return NotImplemented
        return (
            self.name == other.name
            and self.rrtype == other.rrtype
            and self.rrclass == other.rrclass
        )

    def __hash__(self) -> int:
        return hash((self.name, self.rrtype, self.rrclass))

    def to_text(self) -> str:
        return (
            f"{self.name.to_text()} {RRClass.to_text(self.rrclass)} {RRType.to_text(self.rrtype)}"
        )

    def __repr__(self) -> str:
        return f"Question({self.to_text()!r})"


class Message:
    """A DNS message.  Treat instances as immutable once built or parsed.

    ``flags`` holds the header flag bits (QR AA TC RD RA AD CD); ``rcode`` is
    the full 12-bit response code (EDNS extended bits included); the OPT
    record is not in ``additional`` but in ``edns``.
    """

    __slots__ = (
        "additional",
        "answer",
        "authority",
        "edns",
        "flags",
        "id",
        "opcode",
        "question",
        "rcode",
    )

    def __init__(
        self,
        id: int = 0,
        flags: int = 0,
        opcode: int = Opcode.QUERY,
        rcode: int = Rcode.NOERROR,
        question: Sequence[Question] = (),
        answer: Sequence[RRset] = (),
        authority: Sequence[RRset] = (),
        additional: Sequence[RRset] = (),
        edns: Edns | None = None,
    ) -> None:
        self.id = id
        self.flags = flags
        self.opcode = opcode
        self.rcode = rcode
        self.question = tuple(question)
        self.answer = tuple(answer)
        self.authority = tuple(authority)
        self.additional = tuple(additional)
        self.edns = edns

    # -- building ---------------------------------------------------------
    @classmethod
    def make_query(
        cls,
        name: Name | str,
        rrtype: int | str,
        rrclass: int = RRClass.IN,
        *,
        do: bool = True,
        cd: bool = False,
        rd: bool = True,
        ad: bool = False,
        id: int | None = None,
        payload: int = DEFAULT_PAYLOAD,
        use_edns: bool = True,
        options: Sequence[tuple[int, bytes]] = (),
    ) -> Message:
        """A query for ``name``/``rrtype`` with EDNS0 (DO set unless ``do=False``)."""
        if isinstance(name, str):
            name = Name.from_text(name)
        if isinstance(rrtype, str):
            rrtype = RRType.from_text(rrtype)
        flags = (FLAG_RD if rd else 0) | (FLAG_CD if cd else 0) | (FLAG_AD if ad else 0)
        edns = None
        if use_edns or do:
            edns = Edns(payload=payload, flags=EDNS_DO if do else 0, options=tuple(options))
        return cls(
            id=int.from_bytes(os.urandom(2), "big") if id is None else id,
            flags=flags,
            question=(Question(name, int(rrtype), int(rrclass)),),
            edns=edns,
        )

    def make_response(self) -> Message:
        """An empty response to this query (same id, question, RD and CD)."""
        return Message(
            id=self.id,
            flags=FLAG_QR | (self.flags & (FLAG_RD | FLAG_CD)),
            opcode=self.opcode,
            question=self.question,
            edns=Edns(flags=self.edns.flags & EDNS_DO) if self.edns else None,
        )

    def replace(self, **changes: object) -> Message:
        """A copy with some fields changed."""
        fields: dict[str, Any] = {slot: getattr(self, slot) for slot in self.__slots__}
        fields.update(changes)
        return Message(**fields)

    # -- flags ------------------------------------------------------------
    @property
    def qr(self) -> bool:
        return bool(self.flags & FLAG_QR)

    @property
    def aa(self) -> bool:
        return bool(self.flags & FLAG_AA)

    @property
    def tc(self) -> bool:
        return bool(self.flags & FLAG_TC)

    @property
    def rd(self) -> bool:
        return bool(self.flags & FLAG_RD)

    @property
    def ra(self) -> bool:
        return bool(self.flags & FLAG_RA)

    @property
    def ad(self) -> bool:
        return bool(self.flags & FLAG_AD)

    @property
    def cd(self) -> bool:
        return bool(self.flags & FLAG_CD)

    @property
    def dnssec_ok(self) -> bool:
        return self.edns is not None and self.edns.dnssec_ok

    @property
    def extended_errors(self) -> tuple[ExtendedError, ...]:
        return self.edns.extended_errors if self.edns else ()

    def flags_text(self) -> str:
        return " ".join(name for name, bit in FLAG_NAMES if self.flags & bit)

    # -- lookups ----------------------------------------------------------
    def find(self, section: Sequence[RRset], name: Name, rrtype: int) -> RRset | None:
        for rrset in section:
            if rrset.rrtype == rrtype and rrset.name == name:
                return rrset
        return None

    def get_answer(self, name: Name, rrtype: int) -> RRset | None:
        return self.find(self.answer, name, rrtype)

    # -- wire -------------------------------------------------------------
    @classmethod
    def from_wire(cls, data: bytes) -> Message:
        """Decode ``data``; raises WireFormatError on anything malformed."""
        try:
            # bytes(data) would return an exact bytes object itself, but
            # the call costs more than the test.
            return _decode(data if type(data) is bytes else bytes(data))
        except WireFormatError:
            raise
        except (IndexError, struct.error, ValueError, OverflowError) as exc:  # safety net
            raise WireFormatError(-1, f"undecodable message ({exc})") from None

    def to_wire(self, *, compress: bool = True, max_size: int | None = None) -> bytes:
        """Encode; with ``max_size``, a message too large is cut to its
        question with TC set (what a server does for UDP)."""
        out = _encode(self, compress)
        if max_size is not None and len(out) > max_size:
            cut = Message(
                self.id,
                self.flags | FLAG_TC,
                self.opcode,
                self.rcode,
                self.question,
                edns=self.edns,
            )
            out = _encode(cut, compress)
        return out

    # -- text -------------------------------------------------------------
    def to_text(self) -> str:
        """dig-like text of the whole message."""
        lines = [
            f";; opcode: {Opcode.to_text(self.opcode)}, status: {Rcode.to_text(self.rcode)}, "
            f"id: {self.id}",
            f";; flags: {self.flags_text()}",
        ]
        if self.edns is not None:
            lines.append(
                f";; EDNS: version {self.edns.version}, udp {self.edns.payload}"
                + (", do" if self.edns.dnssec_ok else "")
            )
            lines += [f";; {ede}" for ede in self.edns.extended_errors]
        lines.append(";; QUESTION SECTION:")
        lines += [";" + q.to_text() for q in self.question]
        for title, section in (
            ("ANSWER", self.answer),
            ("AUTHORITY", self.authority),
            ("ADDITIONAL", self.additional),
        ):
            if section:
                lines.append(f";; {title} SECTION:")
                lines += [rrset.to_text() for rrset in section]
        return "\n".join(lines)

    def __repr__(self) -> str:
        q = self.question[0].to_text() if self.question else "-"
        return f"<Message id={self.id} {Rcode.to_text(self.rcode)} {q} [{self.flags_text()}]>"


def rrsets_from_rrs(rrs: Iterable[RR]) -> list[RRset]:
    from .rrset import group_rrs

    return group_rrs(rrs)


#: Edns values without options, shared: they are immutable and a handful of
#: (payload, TTL word) pairs cover nearly every response.
_EDNS_CACHE: dict[tuple[int, int], Edns] = {}


def _decode(data: bytes) -> Message:
    limit = len(data)
    if limit < 12:
        raise WireFormatError(limit, "message shorter than the 12-octet header")
    msg_id, word, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(data, 0)
    if qdcount * 5 + (ancount + nscount + arcount) * 11 > limit - 12:
        raise WireFormatError(4, "record counts exceed what the message can hold")
    names: NameMemo = {}
    if qdcount == 1:
        # The usual single question, its name the first of the message: the
        # walk of owner_name written out here (a pointer cannot come first,
        # it must point back), the call and a list saved on every message.
        # Anything else (a label running past the end: IndexError; a
        # pointer; a name too long) goes to owner_name, which reports it.
        labels: list[bytes] = []
        p = 12
        try:
            length = data[12]
            while 0 < length < 64:
                stop = p + 1 + length
                labels.append(data[p + 1 : stop])
                p = stop
                length = data[p]
        except IndexError:
            length = -1
        if length == 0 and p <= MAX_NAME + 11:
            cwire = data[12 : p + 1].lower()
            labs = tuple(labels)
            name = _new_name(Name)
            name.labels = labs
            name._key = labs[::-1] if data.startswith(cwire, 12) else key_of(labs)
            name._hash = None
            name._cwire = cwire
            names[12] = (name, p - 11, 0)
            pos = p + 1
        else:
            name, pos = owner_name(data, 12, names)
        if pos + 4 > limit:
            raise WireFormatError(pos, "question type and class truncated")
        question = _new_question(Question)  # filled in directly, like the message
        question.name = name
        question.rrtype, question.rrclass = _QFIXED.unpack_from(data, pos)
        pos += 4
        questions: tuple[Question, ...] = (question,)
    else:
        pos = 12
        qlist = []
        for _ in range(qdcount):
            name, pos = owner_name(data, pos, names)
            if pos + 4 > limit:
                raise WireFormatError(pos, "question type and class truncated")
            qtype, qclass = _QFIXED.unpack_from(data, pos)
            pos += 4
            question = _new_question(Question)
            question.name = name
            question.rrtype = qtype
            question.rrclass = qclass
            qlist.append(question)
        questions = tuple(qlist)
    # Empty sections are common (no authority, only OPT in additional):
    # they skip the call.
    answer: tuple[RRset, ...] = ()
    authority: tuple[RRset, ...] = ()
    additional: tuple[RRset, ...] = ()
    opt: OptInfo | None = None
    if ancount:
        answer, pos, _ = decode_section(data, pos, ancount, False, names)
    if nscount:
        authority, pos, _ = decode_section(data, pos, nscount, False, names)
    rcode = word & 0x000F
    edns = None
    if (
        arcount == 1
        and limit - pos == 11
        and data.startswith(b"\x00\x00\x29", pos)  # root owner, type OPT
        and data.endswith(b"\x00\x00")  # rdata length 0: the record ends the message
    ):
        # The usual additional section: an OPT record without options (root
        # owner, rdata length 0) ending the message.
        _, payload, ttl, _ = RR_FIXED.unpack_from(data, pos + 1)
        pos = limit
        rcode |= (ttl >> 24) << 4
        edns = _EDNS_CACHE.get((payload, ttl))
        if edns is None:
            edns = Edns(payload=payload, version=(ttl >> 16) & 0xFF, flags=ttl & 0xFFFF)
            if len(_EDNS_CACHE) < 64:
                _EDNS_CACHE[(payload, ttl)] = edns
    elif arcount:
        additional, pos, opt = decode_section(data, pos, arcount, True, names)
    if pos != limit:
        raise WireFormatError(pos, f"{limit - pos} octets of trailing data after the last record")
    if opt is not None:
        payload, ttl, rdata_start, rdata_end = opt
        rcode |= (ttl >> 24) << 4
        if rdata_start == rdata_end:
            edns = _EDNS_CACHE.get((payload, ttl))
            if edns is None:
                edns = Edns(payload=payload, version=(ttl >> 16) & 0xFF, flags=ttl & 0xFFFF)
                if len(_EDNS_CACHE) < 64:
                    _EDNS_CACHE[(payload, ttl)] = edns
        else:
            edns = Edns(
                payload=payload,
                version=(ttl >> 16) & 0xFF,
                flags=ttl & 0xFFFF,
                options=decode_options(data, rdata_start, rdata_end),
            )
    # Filled in directly rather than through __init__: its keyword defaults
    # and tuple() conversions are for callers building messages.
    msg = _new_message(Message)
    msg.id = msg_id
    msg.flags = word & 0x87F0
    msg.opcode = (word >> 11) & 0x0F
    msg.rcode = rcode
    msg.question = questions
    msg.answer = answer
    msg.authority = authority
    msg.additional = additional
    msg.edns = edns
    return msg


_new_message = object.__new__
_new_name = object.__new__
_new_question = object.__new__


def _encode_rrset(out: bytearray, rrset: RRset, compress: Compress | None) -> int:
    count = 0
    pack = RR_FIXED.pack
    for rdatas, rrtype, ttl in (
        (rrset.rdatas, rrset.rrtype, rrset.ttl),
        (rrset.sigs, _TYPE_RRSIG, rrset.sig_ttl),
    ):
        rd: Rdata
        for rd in rdatas:
            write_name(out, rrset.name, compress)
            header_at = len(out)
            out += pack(rrtype, rrset.rrclass, ttl, 0)
            start = len(out)
            if rd.COMPRESSIBLE and compress is not None:
                rd.encode(out, compress)
            else:
                out += rd.to_wire()
            length = len(out) - start
            if length > 0xFFFF:
                raise ValueError("rdata longer than 65535 octets")
            out[header_at + 8 : header_at + 10] = length.to_bytes(2, "big")
            count += 1
    return count


def _encode(msg: Message, compress_names: bool) -> bytes:
    out = bytearray(12)
    compress: Compress | None = {} if compress_names else None
    for q in msg.question:
        write_name(out, q.name, compress)
        out += _QFIXED.pack(q.rrtype, q.rrclass)
    counts = []
    for section in (msg.answer, msg.authority, msg.additional):
        n = 0
        for rrset in section:
            n += _encode_rrset(out, rrset, compress)
        counts.append(n)
    rcode = msg.rcode
    if msg.edns is not None:
        edns = msg.edns
        out.append(0)  # root owner
        ttl = ((rcode >> 4) << 24) | (edns.version << 16) | edns.flags
        opts = bytearray()
        encode_options(opts, edns.options)
        out += RR_FIXED.pack(_TYPE_OPT, edns.payload, ttl, len(opts))
        out += opts
        counts[2] += 1
    word = (msg.flags & 0x87F0) | ((msg.opcode & 0x0F) << 11) | (rcode & 0x0F)
    _HEADER.pack_into(out, 0, msg.id, word, len(msg.question), *counts)
    return bytes(out)


__all__ = ["Message", "Question", "ROOT"]
