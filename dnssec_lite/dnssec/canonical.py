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


def signed_data(rrset: RRset, sig: RRSIG) -> bytes:
    """RRSIG RDATA (minus signature) followed by the canonical RRset.

    RFC 4034 6.3: records sorted by canonical RDATA, duplicates removed;
    6.2: owner lower-cased and uncompressed, TTL replaced by the original TTL.
    """
    owner = signed_owner(rrset.name, sig.labels).canonical_wire()
    head = owner + _HHI.pack(rrset.rrtype, rrset.rrclass, sig.original_ttl)
    parts = [sig.header_wire()]
    for rdata in sorted({rd.canonical() for rd in rrset.rdatas}):
        parts.append(head)
        parts.append(_H.pack(len(rdata)))
        parts.append(rdata)
    return b"".join(parts)
