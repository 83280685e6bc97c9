"""Bounds on the work one resolution may cause (KeyTrap CVE-2023-50387,
NSEC3 CVE-2023-50868, CNAME loops, oversized RRsets).

Every limit is counted per resolution, so that retries cannot reset it, and
hitting one produces a :class:`~dnssec_lite.dnssec.status.Reason`.  Defaults
sit in the range the mature validators chose (Unbound, BIND, Knot, PowerDNS).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Named, documented, overridable limits (``dataclasses.replace`` them)."""

    #: Key x signature verification attempts for one RRset (Unbound: 8).
    max_verifications_per_rrset: int = 8
    #: Signature verifications in one whole resolution (Knot: 32 per packet)
    #: for a response of up to ``free_rrsets`` signed RRsets ...
    max_verifications: int = 32
    #: ... each signed RRset beyond those (an ANY answer, a big referral)
    #: adds ``verifications_per_extra_rrset`` ...
    free_rrsets: int = 8
    verifications_per_extra_rrset: int = 2
    #: ... up to this hard maximum, whatever the response holds (KeyTrap:
    #: with ``max_verifications_per_rrset`` it bounds the work).
    max_verifications_hard: int = 256
    #: DS records whose digest did not match a DNSKEY, per zone (BIND: 1 failure).
    max_ds_mismatches: int = 4
    #: NSEC3 records considered for one denial proof.
    max_nsec3_per_proof: int = 10
    #: NSEC3 hash computations in one resolution (Unbound: 150 per query).
    max_nsec3_hashes: int = 150
    #: NSEC3 iterations above this make the proof INSECURE with EDE 27
    #: (RFC 9276 section 3.2; BIND, Knot and PowerDNS use 50).
    max_nsec3_iterations: int = 50
    #: CNAME/DNAME links followed in one answer (BIND and Unbound: 11).
    max_chain_links: int = 11
    #: Records in one RRset (BIND max-records-per-type: 100).
    max_rrset_size: int = 100
    #: Zone cuts walked from a trust anchor to a name.
    max_delegation_depth: int = 30
    #: Fetches one validation may ask for (upstream queries).
    max_fetches: int = 64
    #: Clock-skew allowance BEFORE a signature's inception: 10 % of its
    #: validity period, clamped to [min, max] seconds (Unbound's rule,
    #: val-sig-skew-min/max).  It costs nothing (the signer made the
    #: signature) and helps devices whose clock runs behind.
    skew_min: int = 3600
    skew_max: int = 86400
    #: The same allowance AFTER expiration, off by default (0, 0) as in BIND
    #: and Knot Resolver and RFC 4035 section 5.3.1: accepting expired
    #: signatures lengthens the window for replaying old data.  Unbound's
    #: behaviour is ``expiry_skew_min=3600, expiry_skew_max=86400``.
    expiry_skew_min: int = 0
    expiry_skew_max: int = 0
    #: How long a BOGUS key entry is remembered (Unbound val-bogus-ttl).
    bogus_ttl: int = 60
    #: The longest any key-cache entry lives, in seconds (Unbound
    #: cache-max-ttl: one day).  Entries are otherwise bounded by the TTLs and
    #: signature validity seen on the way; a trust anchor has no TTL, so the
    #: entries derived from it get this one.
    max_key_ttl: int = 86400


DEFAULT_LIMITS = Limits()


def verification_cap(limits: Limits, signed_rrsets: int) -> int:
    """The signature verifications one resolution may spend on a response
    holding ``signed_rrsets`` signed RRsets (see the fields above)."""
    extra = signed_rrsets - limits.free_rrsets
    if extra <= 0:
        return limits.max_verifications
    cap = limits.max_verifications + extra * limits.verifications_per_extra_rrset
    return max(limits.max_verifications, min(cap, limits.max_verifications_hard))
