"""Reason factories: every non-secure outcome's wording comes from here, so
that the texts stay consistent and always name the record and the check."""

from __future__ import annotations

import time

from ..wire.name import Name
from ..wire.rdata.dnssec import RRSIG
from ..wire.rrset import RRset
from ..wire.types import EDE, Rcode, RRType
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


# -- the chain of trust: DS steps (trustwalk) and DNSKEY sets (zonekeys) -----


def ds_lookup_failed(name: Name, ede: int, why: str) -> Reason:
    return Reason(ede, f"DS lookup for {name.to_text()} failed: {why}", name, RRType.DS)


def ds_lookup_rcode(name: Name, rcode: int) -> Reason:
    return Reason(
        EDE.NO_REACHABLE_AUTHORITY,
        f"DS lookup for {name.to_text()} answered {Rcode.to_text(rcode)}",
        name,
        RRType.DS,
    )


def ds_denial_from_child(name: Name) -> Reason:
    return Reason(
        EDE.DNSSEC_BOGUS,
        f"DS denial for {name.to_text()} came from the child zone",
        name,
        RRType.DS,
    )


def ds_denial_outside(name: Name, signer: Name, parent: Name) -> Reason:
    return Reason(
        EDE.DNSSEC_BOGUS,
        f"DS denial for {name.to_text()} is signed by "
        f"{signer.to_text()}, outside {parent.to_text()}",
        name,
        RRType.DS,
    )


def nsec3_unknown_hash(zone: Name, name: Name, rrtype: int = RRType.DS) -> Reason:
    """INSECURE: the zone's NSEC3 chain uses a hash this validator lacks (for
    a DS step the zone is the parent)."""
    return Reason(
        EDE.OTHER,
        f"NSEC3 of {zone.to_text()} uses an unknown hash algorithm",
        name,
        rrtype,
    )


def ds_absence_unproven_nsec3(name: Name) -> Reason:
    return Reason(EDE.NSEC_MISSING, f"no usable NSEC3 proves DS absence at {name}", name, RRType.DS)


def ds_absence_unproven(name: Name, parent: Name, unsigned: bool) -> Reason:
    return Reason(
        EDE.RRSIGS_MISSING if unsigned else EDE.NSEC_MISSING,
        f"no DS for {name.to_text()} and no signed NSEC/NSEC3 proving its absence "
        f"in {parent.to_text()}",
        name,
        RRType.DS,
    )


def ds_denial_failed(name: Name, proof: str) -> Reason:
    return Reason(EDE.NSEC_MISSING, proof, name, RRType.DS)


def refused_keys(zone: Name, tags: str) -> Reason:
    """INSECURE: the DS records of ``zone`` name only keys the policy refuses
    (``tags``: their "tag/algorithm" list)."""
    return Reason(
        EDE.UNSUPPORTED_DNSKEY_ALGORITHM,
        f"{zone.to_text()} is signed only with keys its DS records name and the "
        f"key policy refuses ({tags}: key size)",
        zone,
        RRType.DNSKEY,
    )


def clock_suspect(reason: Reason, sig_time: int) -> Reason:
    """``reason`` (an anchor zone's signatures all out of date) with the
    likelier explanation added: the clock."""
    return Reason(
        reason.ede,
        f"{reason.text}; every signature of the trust anchor "
        f"zone looks out of date, the system clock ({when(sig_time)})"
        " looks wrong",
        reason.name,
        reason.rrtype,
    )


def dnskey_lookup_failed(zone: Name, why: str) -> Reason:
    return Reason(
        EDE.DNSKEY_MISSING,
        f"DNSKEY lookup for {zone.to_text()} failed: {why}",
        zone,
        RRType.DNSKEY,
    )


def dnskey_missing(zone: Name) -> Reason:
    return Reason(
        EDE.DNSKEY_MISSING,
        f"{zone.to_text()} has DS records but no DNSKEY RRset was returned",
        zone,
        RRType.DNSKEY,
    )


def dnskey_unmatched(
    zone: Name, from_ds: bool, refs: str, mismatches: int, refused: int, unmatched: int
) -> Reason:
    """No key of ``zone`` matches its DS records (``from_ds``) or anchor;
    ``refs`` lists them; the counts say what went wrong with the near misses."""
    what = "DS record" if from_ds else "trust anchor"
    detail = ""
    if mismatches:
        detail = f"; {mismatches} with its tag and algorithm failed the digest"
    elif refused:
        detail = (
            f"; {refused} matched but the key policy refuses "
            f"{'it' if refused == 1 else 'them'}, and {unmatched} "
            f"DS record{'' if unmatched == 1 else 's'} matched no key"
        )
    return Reason(
        EDE.DNSKEY_MISSING,
        f"no DNSKEY of {zone.to_text()} matches its {what}s ({refs or 'keys'}){detail}",
        zone,
        RRType.DNSKEY,
    )


def algorithm_unsigned(algorithm: int, rrset: RRset, reason: Reason) -> Reason:
    """harden-algo-downgrade: no valid signature by ``algorithm`` (which the DS
    set or anchor announces); ``reason`` says why the signatures failed."""
    return Reason(
        reason.ede,
        f"missing a valid algorithm {algorithm} signature of "
        f"{rrset_label(rrset.name, rrset.rrtype)} "
        f"(harden-algo-downgrade): {reason.text}",
        rrset.name,
        rrset.rrtype,
    )


def stripped_taken_insecure(reason: Reason) -> Reason:
    """INSECURE, harden-dnssec-stripped off: the DNSKEY set is missing, and
    the zone is taken as unsigned instead of BOGUS (``reason`` says what)."""
    return Reason(
        reason.ede,
        f"{reason.text}; taken as insecure (harden-dnssec-stripped off)",
        reason.name,
        reason.rrtype,
    )


def no_zone_key(zone: Name) -> Reason:
    return Reason(
        EDE.NO_ZONE_KEY_BIT_SET,
        f"the DNSKEYs of {zone.to_text()} matching its DS lack the zone flag",
        zone,
        RRType.DNSKEY,
    )


# -- one RRSIG checked (rrsig.check_rrset) -----------------------------------


def sig_expires_before_inception(name: Name, sig: RRSIG) -> Reason:
    return Reason(
        EDE.SIGNATURE_EXPIRED_BEFORE_VALID,
        f"{sig_label(name, sig)} expires ({when(sig.expiration)}) "
        f"before its inception ({when(sig.inception)})",
        name,
        sig.type_covered,
    )


def sig_expired(name: Name, sig: RRSIG) -> Reason:
    return Reason(
        EDE.SIGNATURE_EXPIRED,
        f"{sig_label(name, sig)} expired at {when(sig.expiration)}",
        name,
        sig.type_covered,
    )


def sig_not_yet_valid(name: Name, sig: RRSIG) -> Reason:
    return Reason(
        EDE.SIGNATURE_NOT_YET_VALID,
        f"{sig_label(name, sig)} is not valid before {when(sig.inception)}",
        name,
        sig.type_covered,
    )


def sig_other_type(name: Name, sig: RRSIG) -> Reason:
    return Reason(EDE.DNSSEC_BOGUS, f"{sig_label(name, sig)} covers another type")


def sig_signer_not_zone(name: Name, sig: RRSIG, zone: Name, rrtype: int) -> Reason:
    return Reason(
        EDE.DNSSEC_BOGUS,
        f"{sig_label(name, sig)}: signer is not the zone {zone.to_text()} containing the data",
        name,
        rrtype,
    )


def sig_labels_impossible(
    name: Name, sig: RRSIG, owner_labels: int, zone: Name, rrtype: int
) -> Reason:
    return Reason(
        EDE.DNSSEC_BOGUS,
        f"{sig_label(name, sig)} has labels field {sig.labels}, impossible for an owner of "
        f"{owner_labels} labels in zone {zone.to_text()}",
        name,
        rrtype,
    )


def key_not_zone_key(name: Name, sig: RRSIG, key_tag: int, rrtype: int) -> Reason:
    return Reason(
        EDE.NO_ZONE_KEY_BIT_SET,
        f"{sig_label(name, sig)}: DNSKEY {key_tag} lacks the zone flag or protocol 3",
        name,
        rrtype,
    )


def key_revoked(name: Name, sig: RRSIG, key_tag: int, rrtype: int) -> Reason:
    return Reason(
        EDE.DNSSEC_BOGUS,
        f"{sig_label(name, sig)}: DNSKEY {key_tag} is revoked (RFC 5011)",
        name,
        rrtype,
    )


def key_unusable(name: Name, sig: RRSIG, key_tag: int, rrtype: int) -> Reason:
    return Reason(
        EDE.DNSSEC_BOGUS,
        f"{sig_label(name, sig)}: DNSKEY {key_tag} is unusable (malformed or refused key)",
        name,
        rrtype,
    )


def sig_does_not_verify(name: Name, sig: RRSIG, key_tag: int, rrtype: int) -> Reason:
    return Reason(
        EDE.DNSSEC_BOGUS,
        f"{sig_label(name, sig)}: signature does not verify with DNSKEY {key_tag}",
        name,
        rrtype,
    )


def sig_key_missing(name: Name, sig: RRSIG, zone: Name, rrtype: int) -> Reason:
    return Reason(
        EDE.DNSKEY_MISSING,
        f"{sig_label(name, sig)}: no DNSKEY of {zone.to_text()} with tag {sig.key_tag} "
        f"and algorithm {sig.algorithm}",
        name,
        rrtype,
    )


def no_usable_rrsig(name: Name, rrtype: int) -> Reason:
    return Reason(
        EDE.DNSSEC_BOGUS, f"no usable RRSIG for {rrset_label(name, rrtype)}", name, rrtype
    )


# -- denials of the answer itself (denial.DenialCheck) ------------------------


def denial_unsigned(name: Name, qtype: int, zone: Name, nxdomain: bool, sigs: bool) -> Reason:
    """A negative answer from a signed zone without signed NSEC/NSEC3
    records (``sigs``: some authority record is signed, just not those)."""
    return Reason(
        EDE.NSEC_MISSING if sigs else EDE.RRSIGS_MISSING,
        f"{'NXDOMAIN' if nxdomain else 'NODATA'} for "
        f"{rrset_label(name, qtype)} comes without signed NSEC/NSEC3 "
        f"records although {zone.to_text()} is signed",
        name,
        qtype,
    )


def denial_signer_unsigned(name: Name, qtype: int, signer: Name) -> Reason:
    return Reason(
        EDE.DNSKEY_MISSING,
        f"denial for {name.to_text()} is signed by {signer.to_text()}, which is not a signed zone",
        name,
        qtype,
    )


def ds_denial_from_child_itself(name: Name, qtype: int) -> Reason:
    return Reason(
        EDE.DNSSEC_BOGUS,
        f"denial of DS for {name.to_text()} comes from the child zone itself",
        name,
        qtype,
    )


def no_usable_nsec3(zone: Name, name: Name, qtype: int) -> Reason:
    return Reason(EDE.NSEC_MISSING, f"no usable NSEC3 of {zone.to_text()}", name, qtype)


def denial_unproven(name: Name, qtype: int, nxdomain: bool) -> Reason:
    return Reason(
        EDE.NSEC_MISSING,
        f"{'NXDOMAIN' if nxdomain else 'NODATA'} for "
        f"{rrset_label(name, qtype)} has no NSEC or NSEC3 proof",
        name,
        qtype,
    )


def denial_failed(name: Name, qtype: int, proof: str) -> Reason:
    """BOGUS: the NSEC/NSEC3 records do not prove the denial (``proof`` says why)."""
    return Reason(EDE.NSEC_MISSING, proof, name, qtype)


def denial_insecure(name: Name, qtype: int, proof: str) -> Reason:
    """INSECURE: the denial rests on an opt-out span or another proof that
    proves nothing either way (``proof`` says which)."""
    return Reason(EDE.OTHER, proof, name, qtype)


# -- the answer and its CNAME/DNAME chain (answer.py) ------------------------------


def upstream_rcode(name: Name, qtype: int, rcode: int) -> Reason:
    return Reason(
        EDE.NO_REACHABLE_AUTHORITY, f"the upstream answered {Rcode.to_text(rcode)}", name, qtype
    )


def rrsig_query(name: Name, qtype: int) -> Reason:
    return Reason(
        None, "RRSIG records are not signed themselves; returned unvalidated", name, qtype
    )


def chain_loop(name: Name, qtype: int) -> Reason:
    return Reason(EDE.DNSSEC_BOGUS, f"CNAME/DNAME loop at {name.to_text()}", name, qtype)


def dname_from_wildcard(owner: Name) -> Reason:
    return Reason(
        EDE.DNSSEC_BOGUS,
        f"DNAME {owner.to_text()} is signed as a wildcard expansion",
        owner,
        RRType.DNAME,
    )


def dname_too_long(name: Name, qtype: int) -> Reason:
    return Reason(
        EDE.DNSSEC_BOGUS, f"DNAME substitution for {name.to_text()} is too long", name, qtype
    )


def signer_above_anchor(name: Name, rrtype: int, above: list[Name]) -> Reason:
    where = (
        "at or below its closest trust anchor (signed by "
        f"{', '.join(s.to_text() for s in above)}, above that anchor)"
        if above
        else "above it"
    )
    return Reason(
        EDE.DNSSEC_BOGUS,
        f"no RRSIG of {rrset_label(name, rrtype)} is by a zone {where}",
        name,
        rrtype,
    )


def signer_not_below(name: Name, rrtype: int, signer: Name, zone: Name) -> Reason:
    return Reason(
        EDE.DNSKEY_MISSING,
        f"{rrset_label(name, rrtype)} is signed by {signer.to_text()}, which is not a signed "
        f"zone below {zone.to_text()} (no DS for it)",
        name,
        rrtype,
    )


def yxdomain_contradicted(name: Name, qtype: int, dname: Name) -> Reason:
    return Reason(
        EDE.DNSSEC_BOGUS,
        f"YXDOMAIN for {name.to_text()}, but the signed DNAME {dname.to_text()} rewrites it "
        "into a valid name",
        name,
        qtype,
    )


def yxdomain_overflow(name: Name, qtype: int, dname: Name) -> Reason:
    return Reason(
        None,
        f"YXDOMAIN: substituting the DNAME {dname.to_text()} into {name.to_text()} gives a "
        "name longer than 255 octets; the rcode itself is not signed",
        name,
        qtype,
    )


def nxdomain_with_data(name: Name, qtype: int) -> Reason:
    return Reason(
        EDE.DNSSEC_BOGUS,
        f"the response says NXDOMAIN but carries signed data for {rrset_label(name, qtype)}",
        name,
        qtype,
    )
