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
from .name import MAX_NAME, MAX_POINTERS, ROOT, Name, NameMemo, decode_name
from .rdata.base import DECODERS, Compress, GenericRdata, Rdata, write_name
from .rdata.dnssec import RRSIG
from .rdata.opt import decode_options, encode_options
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
_RR_FIXED = struct.Struct("!HHIH")
_QFIXED = struct.Struct("!HH")
_PTR_RR_FIXED = struct.Struct("!HHHIH")  # an owner that is a pointer, then _RR_FIXED

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


_OptInfo = tuple[int, int, int, int]  # payload, ttl word, rdata start, rdata end

#: Names decoded in one message (see :data:`~dnssec_lite.wire.name.NameMemo`).
_Names = NameMemo


def _owner_name(data: bytes, pos: int, names: _Names) -> tuple[Name, int]:
    """Decode a question or owner name, reusing the :class:`Name` already
    decoded at the offset a compression pointer refers to.  Owners are mostly
    pointers to the same few names; sharing the object saves decoding and
    makes comparing and hashing them (when records are grouped, and later by
    the validator) an identity check with a cached hash.

    The lower-cased octets of an uncompressed name are its canonical form;
    when the name is in lower case already (nearly always), its comparison
    key is just the labels reversed.  Lower-casing the names alone is
    cheaper than lower-casing the whole message.  Anything unusual (a bad
    pointer, a name too long, truncation) is left to :func:`decode_name`,
    which reports it.
    """
    labels: list[bytes] = []
    p = pos
    try:
        # A label or a pointer running past the end raises IndexError when
        # the next octet is read: one exception handler instead of a bounds
        # test per label.
        length = data[p]
        while 0 < length < 64:
            stop = p + 1 + length
            labels.append(data[p + 1 : stop])
            p = stop
            length = data[p]
        if length == 0:
            if p + 1 - pos <= MAX_NAME:
                cwire = data[pos : p + 1].lower()  # uncompressed: the canonical form
                labs = tuple(labels)
                # Filled in directly (all four slots), without the __init__ call.
                name = _new_name(Name)
                name.labels = labs
                name._key = labs[::-1] if data.startswith(cwire, pos) else _key_of(labs)
                name._hash = None
                name._cwire = cwire
                names[pos] = (name, p + 1 - pos, 0)
                return name, p + 1
        elif length >= 0xC0:
            target = ((length & 0x3F) << 8) | data[p + 1]
            cached = names.get(target)  # cached names all start before ``pos``
            if p == pos:
                if cached is not None:
                    return cached[0], pos + 2
                return decode_name(data, pos, names)
            if cached is not None and target < pos:
                tail, tail_len, tail_hops = cached
                total = p - pos + tail_len
                if total <= MAX_NAME:
                    labs = tuple(labels)
                    key = labs[::-1] if data.startswith(data[pos:p].lower(), pos) else _key_of(labs)
                    # Filled in as Name.__init__ would, without the call.
                    name = _new_name(Name)
                    name.labels = labs + tail.labels
                    name._key = tail.key + key
                    name._hash = None
                    name._cwire = None
                    if tail_hops + 1 < MAX_POINTERS:
                        names[pos] = (name, total, tail_hops + 1)
                    return name, p + 2
    except IndexError:
        pass
    return decode_name(data, pos, names)  # the general case, and the errors


def _key_of(labels: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """The comparison key of labels not all in lower case."""
    return tuple([label.lower() for label in reversed(labels)])


#: RRsets being grouped: (comparison key of the owner, type or type covered,
#: class) -> [owner, ttl, rdatas, sig ttl, sigs]; rdatas is None while only
#: signatures have arrived.
_Groups = dict[tuple[tuple[bytes, ...], int, int], list[Any]]

_ROOT_ENTRY: tuple[Name, int, int] = (ROOT, 1, 0)


def _decode_section(
    data: bytes, pos: int, count: int, allow_opt: bool, names: _Names
) -> tuple[tuple[RRset, ...], int, _OptInfo | None]:
    """Read ``count`` records; group them into RRsets (sigs attached).

    RRsets come out in the order of their first data record; signatures
    whose data is absent form one RRSIG RRset per owner, placed where the
    first of them appeared.
    """
    # Records are gathered in runs: consecutive records of one owner object,
    # class and type (type covered for signatures), which is how an RRset and
    # its signatures arrive.  A section of one run (most responses) needs
    # no dict at all; otherwise each run is merged into ``groups`` when the
    # next one starts (``_merge_run``).
    groups: _Groups | None = None
    run_name: Name | None = None
    run_type = run_class = run_ttl = run_sig_ttl = -1
    run_rdatas: list[Rdata] | None = None
    run_sigs: list[RRSIG] | None = None
    opt: _OptInfo | None = None
    limit = len(data)
    unpack = _RR_FIXED.unpack_from
    unpack_ptr = _PTR_RR_FIXED.unpack_from
    decoders = DECODERS
    get_name = names.get
    spelled = b""  # the octets of the last owner not starting with a pointer
    spelled_entry = _ROOT_ENTRY
    for _ in range(count):
        start = pos
        # Inline fast path: the owner is a pointer to a name decoded already;
        # the pointer and the fixed fields are read in one unpack.
        cached = None
        if pos + 12 <= limit and data[pos] >= 0xC0:
            pointer, rrtype, rrclass, ttl, rdlen = unpack_ptr(data, pos)
            cached = get_name(pointer & 0x3FFF)
        if cached is not None:
            name = cached[0]
            pos += 12
        else:
            if spelled and data.startswith(spelled, pos):
                # The previous spelled-out owner, spelled out again (a server
                # that compresses no NSEC3 owner repeats it for the RRSIG):
                # the same octets are the same name, so share the object.
                names[pos] = spelled_entry
                pos += len(spelled)
                name = spelled_entry[0]
            else:
                name, pos = _owner_name(data, pos, names)
                if data[start] < 0xC0 and start in names:
                    spelled = data[start:pos]
                    spelled_entry = names[start]
            if pos + 10 > limit:
                raise WireFormatError(pos, "record header truncated")
            rrtype, rrclass, ttl, rdlen = unpack(data, pos)
            pos += 10
        end = pos + rdlen
        if end > limit:
            raise WireFormatError(pos - 2, f"rdata length {rdlen} runs past the end of the message")
        if rrtype == _TYPE_OPT:
            if not allow_opt:
                raise WireFormatError(start, "OPT record outside the additional section")
            if opt is not None:
                raise WireFormatError(start, "more than one OPT record")
            if name.labels:
                raise WireFormatError(start, "OPT record owner is not the root")
            opt = (rrclass, ttl, pos, end)
            pos = end
            continue
        decode = decoders.get(rrtype)
        rdata = (
            GenericRdata(rrtype, data[pos:end]) if decode is None else decode(data, pos, end, names)
        )
        pos = end
        sig: RRSIG | None = None
        run_key_type = rrtype
        if rrtype == _TYPE_RRSIG and isinstance(rdata, RRSIG):
            sig = rdata  # grouped with the RRset of the type it covers
            run_key_type = rdata.type_covered
        if name is not run_name or run_key_type != run_type or rrclass != run_class:
            if run_name is not None:
                if groups is None:
                    groups = {}
                _merge_run(
                    groups,
                    run_name,
                    run_type,
                    run_class,
                    run_ttl,
                    run_rdatas,
                    run_sig_ttl,
                    run_sigs,
                )
            run_name, run_type, run_class = name, run_key_type, rrclass
            run_rdatas = run_sigs = None
        if sig is not None:
            if run_sigs is None:
                run_sigs = [sig]
                run_sig_ttl = ttl
            else:
                run_sigs.append(sig)
                if ttl < run_sig_ttl:
                    run_sig_ttl = ttl
        elif run_rdatas is None:
            run_rdatas = [rdata]
            run_ttl = ttl
        else:
            run_rdatas.append(rdata)
            if ttl < run_ttl:
                run_ttl = ttl
    if run_name is None:  # only the OPT record
        return (), pos, opt
    if groups is None:
        # One run: one RRset, or signatures alone.  The owner's comparison
        # key is computed as grouping by key would: the validator compares
        # owners, and a name decoded without its key would compute it then.
        if run_name._key is None:
            run_name._key = run_name.key
        if run_rdatas is None:
            return (RRset(run_name, _TYPE_RRSIG, run_class, run_sig_ttl, run_sigs or ()),), pos, opt
        return (
            (_rrset(run_name, run_type, run_class, run_ttl, run_rdatas, run_sig_ttl, run_sigs),),
            pos,
            opt,
        )
    _merge_run(groups, run_name, run_type, run_class, run_ttl, run_rdatas, run_sig_ttl, run_sigs)
    out: list[RRset] = []
    unmatched: dict[tuple[tuple[bytes, ...], int], int] | None = None
    for key, (owner, ttl, data_rdatas, sig_ttl, sigs) in groups.items():
        if data_rdatas is not None:
            out.append(_rrset(owner, key[1], key[2], ttl, data_rdatas, sig_ttl, sigs))
            continue
        # Signatures without their data: one RRSIG RRset per owner.
        if unmatched is None:
            unmatched = {}
        okey = (key[0], key[2])
        index = unmatched.get(okey)
        if index is None:
            unmatched[okey] = len(out)
            out.append(RRset(owner, _TYPE_RRSIG, key[2], sig_ttl, sigs))
        else:
            prev = out[index]
            out[index] = RRset(
                prev.name,
                _TYPE_RRSIG,
                key[2],
                min(prev.ttl, sig_ttl),
                prev.rdatas + tuple(sigs),
            )
    return tuple(out), pos, opt


def _merge_run(
    groups: _Groups,
    name: Name,
    rrtype: int,
    rrclass: int,
    ttl: int,
    rdatas: list[Rdata] | None,
    sig_ttl: int,
    sigs: list[RRSIG] | None,
) -> None:
    """Add a run of records (see :func:`_decode_section`) to the RRsets of
    the section.  Groups are kept in the order of their first record; a
    group its signatures opened moves to the end when its first data
    arrives, so that the dict's order is the order of the RRsets."""
    nkey = name._key
    key = (name.key if nkey is None else nkey, rrtype, rrclass)
    group = groups.get(key)
    if group is None:
        groups[key] = [name, ttl, rdatas, sig_ttl, sigs]
        return
    if rdatas is not None:
        if group[2] is None:
            del groups[key]
            groups[key] = group
            group[0] = name
            group[1] = ttl
            group[2] = rdatas
        else:
            if ttl < group[1]:
                group[1] = ttl
            group[2] += rdatas
    if sigs is not None:
        if group[4] is None:
            group[3] = sig_ttl
            group[4] = sigs
        else:
            if sig_ttl < group[3]:
                group[3] = sig_ttl
            group[4] += sigs


def _rrset(
    name: Name,
    rrtype: int,
    rrclass: int,
    ttl: int,
    rdatas: list[Rdata],
    sig_ttl: int,
    sigs: list[RRSIG] | None,
) -> RRset:
    """An RRset filled in directly: RRset.__init__'s defaults and conversions
    cost more than the seven stores."""
    rrset = _new_rrset(RRset)
    rrset.name = name
    rrset.rrtype = rrtype
    rrset.rrclass = rrclass
    rrset.ttl = ttl
    rrset.rdatas = tuple(rdatas)
    if sigs is None:
        rrset.sigs = ()
        rrset.sig_ttl = ttl
    else:
        rrset.sigs = tuple(sigs)
        rrset.sig_ttl = sig_ttl
    return rrset


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
    names: _Names = {}
    if qdcount == 1:
        # The usual single question, its name the first of the message: the
        # walk of _owner_name written out here (a pointer cannot come first,
        # it must point back), the call and a list saved on every message.
        # Anything else (a label running past the end: IndexError; a
        # pointer; a name too long) goes to _owner_name, which reports it.
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
            name._key = labs[::-1] if data.startswith(cwire, 12) else _key_of(labs)
            name._hash = None
            name._cwire = cwire
            names[12] = (name, p - 11, 0)
            pos = p + 1
        else:
            name, pos = _owner_name(data, 12, names)
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
            name, pos = _owner_name(data, pos, names)
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
    opt: _OptInfo | None = None
    if ancount:
        answer, pos, _ = _decode_section(data, pos, ancount, False, names)
    if nscount:
        authority, pos, _ = _decode_section(data, pos, nscount, False, names)
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
        _, payload, ttl, _ = _RR_FIXED.unpack_from(data, pos + 1)
        pos = limit
        rcode |= (ttl >> 24) << 4
        edns = _EDNS_CACHE.get((payload, ttl))
        if edns is None:
            edns = Edns(payload=payload, version=(ttl >> 16) & 0xFF, flags=ttl & 0xFFFF)
            if len(_EDNS_CACHE) < 64:
                _EDNS_CACHE[(payload, ttl)] = edns
    elif arcount:
        additional, pos, opt = _decode_section(data, pos, arcount, True, names)
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
_new_rrset = object.__new__


def _encode_rrset(out: bytearray, rrset: RRset, compress: Compress | None) -> int:
    count = 0
    pack = _RR_FIXED.pack
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
        out += _RR_FIXED.pack(_TYPE_OPT, edns.payload, ttl, len(opts))
        out += opts
        counts[2] += 1
    word = (msg.flags & 0x87F0) | ((msg.opcode & 0x0F) << 11) | (rcode & 0x0F)
    _HEADER.pack_into(out, 0, msg.id, word, len(msg.question), *counts)
    return bytes(out)


__all__ = ["Message", "Question", "ROOT"]
