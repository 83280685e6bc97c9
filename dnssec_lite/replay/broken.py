"""Records of a scenario file whose data does not parse.

Some recorded scenarios carry deliberately (or carelessly) broken records:
a base64 signature cut short, a DNSKEY without its key.  They model a server
that sends broken data, so the scenario must still run and its verdict be
tested.  :func:`repair_rdata` (a :class:`~dnssec_lite.wire.zonefile.ZoneParser`
``repair`` hook) gives the validator what such a record amounts to:

* base64 whose length is not a multiple of four: the octets its complete
  characters decode to (the way the recorded resolvers' parsers read it);
* missing trailing binary field: that field empty;
* any other broken DNSSEC record (RRSIG, DNSKEY, DS, NSEC, NSEC3 and their
  kin): a record of the same type holding no data
  (:class:`~dnssec_lite.wire.rdata.base.GenericRdata`), which is never an
  RRSIG, DNSKEY or NSEC to the validator and so never verifies or proves.

Broken text of other types (an address with three octets) stays an error
naming its line: that is a mistake in the file, not data a test models.

Each repair is logged (WARNING) with the file and what was wrong.
"""

from __future__ import annotations

import logging

from ..errors import TextFormatError
from ..wire.name import Name
from ..wire.rdata.base import GenericRdata, Rdata, rdata_from_text
from ..wire.types import RRType

__all__ = ["repair_rdata"]

log = logging.getLogger("dnssec_lite.replay")


#: Types whose last field is binary (base64 or hex) text, which is what
#: can be cut short or left out without changing the other fields.
_BINARY_LAST = frozenset({RRType.RRSIG, RRType.DNSKEY, RRType.CDNSKEY, RRType.DS, RRType.CDS})
#: The types whose broken records are kept (as records without data).
_DNSSEC = _BINARY_LAST | {RRType.NSEC, RRType.NSEC3, RRType.NSEC3PARAM}


def _candidates(rrtype: int, tokens: list[str]) -> list[list[str]]:
    """Readings of ``tokens`` to try, closest first."""
    out: list[list[str]] = []
    if rrtype not in _BINARY_LAST:
        return out
    if tokens:
        head, last = tokens[:-1], tokens[-1]
        # Pad the last base64 group, or drop its incomplete characters.
        for pad in ("=", "=="):
            out.append([*head, last + pad])
        for cut in (1, 2, 3):
            if len(last) > cut:
                out.append([*head, last[:-cut]])
    out.append([*tokens, "-"])  # a missing binary field: empty
    return out


def repair_rdata(
    rrtype: int, tokens: list[str], origin: Name, error: TextFormatError, source: str = ""
) -> Rdata | None:
    """What a record whose rdata text failed with ``error`` amounts to
    (None: not a DNSSEC record, let the error stand)."""
    if rrtype not in _DNSSEC:
        return None
    label = RRType.to_text(rrtype)
    for attempt in _candidates(rrtype, tokens):
        try:
            rdata = rdata_from_text(rrtype, attempt, origin, strict=False)
        except TextFormatError:
            continue
        log.warning(
            "%s: broken %s rdata (%s) read as %s", source, label, error.what, rdata.to_text()
        )
        return rdata
    log.warning("%s: broken %s rdata (%s) kept as a record without data", source, label, error.what)
    return GenericRdata(rrtype, b"")
