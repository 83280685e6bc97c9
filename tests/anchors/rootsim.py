"""A simulated root zone publishing DNSKEY RRsets over a rollover, with
generated keys standing in for KSK-2017 and KSK-2024 (test-only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dnssec_lite.anchors.model import AnchorState
from dnssec_lite.anchors.rfc5011 import initial_state
from dnssec_lite.dnssec.trust import TrustAnchors
from dnssec_lite.wire.name import ROOT, Name
from dnssec_lite.wire.rdata.dnssec import DNSKEY
from dnssec_lite.wire.rrset import RR, RRset
from dnssec_lite.wire.types import RRClass, RRType
from tests.helpers.keys import TestKey
from tests.helpers.zonesigner import cached_key, dnskey_of, sign_rrset

DAY = 86400
TTL = 172800
KSK = 257
REVOKED = 385
ZSK = 256


def ts(text: str) -> int:
    """A UTC date ("2025-01-11") or time as a POSIX timestamp."""
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp())


def key(slot: str, algorithm: int = 8) -> TestKey:
    return cached_key(algorithm, slot)


@dataclass(frozen=True)
class Pub:
    """One key as published: the key, its flags, and whether it signs the RRset."""

    key: TestKey
    flags: int = KSK
    signs: bool = True

    @property
    def dnskey(self) -> DNSKEY:
        return dnskey_of(self.key, self.flags)


def dnskey_rrset(
    pubs: Sequence[Pub],
    now: int,
    *,
    zone: Name = ROOT,
    ttl: int = TTL,
    validity: int = 21 * DAY,
    extra_signers: Iterable[Pub] = (),
) -> RRset:
    """The DNSKEY RRset of ``pubs`` signed by those marked ``signs`` (and by
    ``extra_signers``, not published), valid from a day before ``now``."""
    rrset = RRset(zone, RRType.DNSKEY, RRClass.IN, ttl, [p.dnskey for p in pubs])
    sigs = [
        sign_rrset(
            rrset,
            p.key,
            zone,
            flags=p.flags,
            inception=now - DAY,
            expiration=now + validity,
        )
        for p in [*pubs, *extra_signers]
        if p.signs
    ]
    return rrset.with_sigs(sigs)


def state_trusting(*keys: DNSKEY, now: int, zone: Name = ROOT) -> AnchorState:
    anchors = TrustAnchors.from_rrs(RR(zone, RRType.DNSKEY, RRClass.IN, TTL, k) for k in keys)
    return initial_state(anchors, now)
