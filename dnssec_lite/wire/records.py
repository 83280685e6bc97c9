"""Record sections of a DNS message, decoded and grouped into RRsets.

The inner loop of :meth:`Message.from_wire <dnssec_lite.wire.message.Message.from_wire>`:
owner names (sharing the object a compression pointer refers to), the
fixed fields, the rdata decoders, and the grouping of records and their
signatures into :class:`~dnssec_lite.wire.rrset.RRset` values.  The
header, question and EDNS handling stay in ``message``; this module knows
nothing of messages, so it is usable on any run of records.
"""

from __future__ import annotations

import struct
from typing import Any

from ..errors import WireFormatError
from .name import MAX_NAME, MAX_POINTERS, ROOT, Name, NameMemo, decode_name
from .rdata.base import DECODERS, GenericRdata, Rdata
from .rdata.dnssec import RRSIG
from .rrset import RRset
from .types import RRType

RR_FIXED = struct.Struct("!HHIH")
_PTR_RR_FIXED = struct.Struct("!HHHIH")  # an owner that is a pointer, then RR_FIXED

_TYPE_RRSIG = int(RRType.RRSIG)
_TYPE_OPT = int(RRType.OPT)

_new_name = object.__new__
_new_rrset = object.__new__

OptInfo = tuple[int, int, int, int]  # payload, ttl word, rdata start, rdata end

#: Names decoded in one message (see :data:`~dnssec_lite.wire.name.NameMemo`).
_Names = NameMemo


def owner_name(data: bytes, pos: int, names: _Names) -> tuple[Name, int]:
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
                name._key = labs[::-1] if data.startswith(cwire, pos) else key_of(labs)
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
                    key = labs[::-1] if data.startswith(data[pos:p].lower(), pos) else key_of(labs)
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


def key_of(labels: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """The comparison key of labels not all in lower case."""
    return tuple([label.lower() for label in reversed(labels)])


#: RRsets being grouped: (comparison key of the owner, type or type covered,
#: class) -> [owner, ttl, rdatas, sig ttl, sigs]; rdatas is None while only
#: signatures have arrived.
_Groups = dict[tuple[tuple[bytes, ...], int, int], list[Any]]

_ROOT_ENTRY: tuple[Name, int, int] = (ROOT, 1, 0)


def decode_section(
    data: bytes, pos: int, count: int, allow_opt: bool, names: _Names
) -> tuple[tuple[RRset, ...], int, OptInfo | None]:
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
    opt: OptInfo | None = None
    limit = len(data)
    unpack = RR_FIXED.unpack_from
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
                name, pos = owner_name(data, pos, names)
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
    """Add a run of records (see :func:`decode_section`) to the RRsets of
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
