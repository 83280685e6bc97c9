"""Reason factories: every non-secure outcome's wording comes from here, so
that the texts stay consistent and always name the record and the check."""

from __future__ import annotations

import time

from ..wire.name import Name
from ..wire.rdata.dnssec import RRSIG
from ..wire.types import EDE, RRType
from .status import Reason


def when(stamp: int) -> str:
    """An RRSIG time (or ``now``) as ISO 8601 UTC."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


def rrset_label(name: Name, rrtype: int) -> str:
    return f"{name.to_text()}/{RRType.to_text(rrtype)}"


def sig_label(name: Name, sig: RRSIG) -> str:
    return (
        f"RRSIG({RRType.to_text(sig.type_covered)}) for {name.to_text()} by "
        f"{sig.signer.to_text()} key {sig.key_tag}"
    )


def bogus(ede: int, text: str, name: Name | None = None, rrtype: int | None = None) -> Reason:
    return Reason(ede, text, name, rrtype)


def rrsigs_missing(name: Name, rrtype: int, zone: Name) -> Reason:
    return Reason(
        EDE.RRSIGS_MISSING,
        f"{rrset_label(name, rrtype)} has no RRSIG although {zone.to_text()} is signed",
        name,
        rrtype,
    )


def insecure_delegation(zone: Name, proof: str) -> Reason:
    return Reason(None, f"{zone.to_text()} is an unsigned delegation ({proof})", zone, RRType.DS)


def no_anchor(name: Name, why: str | None = None) -> Reason:
    """INDETERMINATE: nothing trusted covers ``name``; ``why`` is the trust
    point's own account (every key revoked, anchors out of date)."""
    text = f"no trust anchor covers {name.to_text()}" if why is None else why
    return Reason(EDE.DNSSEC_INDETERMINATE, text, name, None)


def anchor_out_of_date(zone: Name, text: str) -> Reason:
    """INDETERMINATE: the trust point's DNSKEY RRset is signed by a key the
    published anchors know but the configured ones do not (``text`` says
    which and what to do)."""
    return Reason(EDE.DNSSEC_INDETERMINATE, text, zone, RRType.DNSKEY)


def negative_anchor(name: Name, zone: Name) -> Reason:
    return Reason(
        None,
        f"{name.to_text()} is under the negative trust anchor {zone.to_text()}",
        name,
        None,
    )


def unsupported_algorithms(zone: Name, algorithms: set[int]) -> Reason:
    algs = ", ".join(str(a) for a in sorted(algorithms))
    return Reason(
        EDE.UNSUPPORTED_DNSKEY_ALGORITHM,
        f"{zone.to_text()} is signed only with unsupported algorithms ({algs})",
        zone,
        RRType.DNSKEY,
    )


def unsupported_digests(zone: Name, digests: set[int]) -> Reason:
    kinds = ", ".join(str(d) for d in sorted(digests))
    return Reason(
        EDE.UNSUPPORTED_DS_DIGEST_TYPE,
        f"the DS records of {zone.to_text()} use only unsupported digest types ({kinds})",
        zone,
        RRType.DS,
    )


def nsec3_iterations(zone: Name, iterations: int, limit: int) -> Reason:
    return Reason(
        EDE.UNSUPPORTED_NSEC3_ITERATIONS_VALUE,
        f"NSEC3 of {zone.to_text()} uses {iterations} iterations, above the limit of {limit}",
        zone,
        RRType.NSEC3,
    )


def limit_hit(what: str, limit: int, name: Name | None, rrtype: int | None) -> Reason:
    return Reason(EDE.DNSSEC_BOGUS, f"validation stopped: {what} (limit {limit})", name, rrtype)
