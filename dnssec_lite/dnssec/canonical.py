"""Canonical RRset form and the data an RRSIG signs (RFC 4034 sections 3.1.8.1
and 6), including the wildcard owner rebuilt from the RRSIG labels field."""

from __future__ import annotations

import struct

from ..wire.name import Name
from ..wire.rdata.dnssec import RRSIG
from ..wire.rrset import RRset

_HHI = struct.Struct("!HHI")
_H = struct.Struct("!H")


def signed_owner(owner: Name, labels: int) -> Name:
    """The owner as signed: RFC 4035 5.3.2 -- if the RRSIG labels field is
    less than the owner's label count, the RRset came from the wildcard
    ``*.<rightmost labels labels>``."""
    if labels < owner.label_count():
        return owner.suffix(labels).wildcard()
    return owner


def rrsig_header(sig: RRSIG) -> bytes:
    """The RRSIG RDATA without the signature, signer name lower-cased
    (RFC 4034 3.1.8.1 and 6.2).

    Cut from the record's uncompressed wire form, which is its fixed 18
    octets, the signer name and the signature.  Lower-casing the wire name
    as a whole is safe: its length octets are at most 63, never a letter.
    """
    wire = sig.to_wire()
    end = len(wire) - len(sig.signature)
    return wire[:18] + wire[18:end].lower()


def signed_data(rrset: RRset, sig: RRSIG) -> bytes:
    """RRSIG RDATA (minus signature) followed by the canonical RRset.

    RFC 4034 6.3: records sorted by canonical RDATA, duplicates removed;
    6.2: owner lower-cased and uncompressed, TTL replaced by the original TTL.
    """
    # signed_owner and rrsig_header inline: this runs for every RRSIG verified.
    name = rrset.name
    labels = sig.labels
    if labels < name.label_count():
        name = name.suffix(labels).wildcard()
    head = name.canonical_wire() + _HHI.pack(rrset.rrtype, rrset.rrclass, sig.original_ttl)
    wire = sig.to_wire()
    end = len(wire) - len(sig.signature)
    rdatas = rrset.rdatas
    if len(rdatas) == 1:  # the common case: nothing to sort or deduplicate
        rdata = rdatas[0].canonical()
        return b"".join((wire[:18], wire[18:end].lower(), head, _H.pack(len(rdata)), rdata))
    # Each record is ``head + rdlength + rdata``: one join with ``head`` as
    # the separator builds them all.
    pack = _H.pack
    body = head.join(
        [pack(len(rdata)) + rdata for rdata in sorted({rd.canonical() for rd in rdatas})]
    )
    return b"".join((wire[:18], wire[18:end].lower(), head, body))
