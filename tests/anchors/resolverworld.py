"""A signed hierarchy whose root rolls its KSK, on a simulated clock, for
resolvers that keep their anchors in a store (test-only).

Generated ECDSA keys stand in for KSK-2017 and KSK-2024; the root's DNSKEY
RRset has the real root's TTL (2 days), so RFC 5011 probes it daily.
"""

from __future__ import annotations

from pathlib import Path

from dnssec_lite.anchors.model import AnchorState
from dnssec_lite.anchors.store import AnchorStore
from dnssec_lite.dnssec.trust import TrustAnchors
from dnssec_lite.wire.name import ROOT
from dnssec_lite.wire.rdata.dnssec import DNSKEY
from dnssec_lite.wire.rrset import RR
from dnssec_lite.wire.types import RRClass, RRType
from tests.helpers.fakenet import UPSTREAM, FakeNetwork
from tests.helpers.keys import TestKey
from tests.helpers.zonesigner import Hierarchy, ZoneKey, dnskey_of

from .rootsim import ts

DAY = 86400
ROOT_TTL = 172800
START = ts("2026-08-01")


def anchors_of(*keys: DNSKEY) -> TrustAnchors:
    return TrustAnchors.from_rrs(RR(ROOT, RRType.DNSKEY, RRClass.IN, ROOT_TTL, k) for k in keys)


class World:
    """The hierarchy, its fake recursive upstream and the simulated clock.

    Phases of the root's keys (:meth:`phase`): ``"old"`` KSK-2017 alone;
    ``"published"`` KSK-2024 published, KSK-2017 signs; ``"switched"``
    KSK-2024 signs, KSK-2017 still published; ``"revoked"`` KSK-2017
    published revoked and self-signed; ``"removed"`` KSK-2024 alone.
    """

    def __init__(self, now: int = START) -> None:
        self.now = now
        self.ksk2017 = TestKey.generate(13)
        self.ksk2024 = TestKey.generate(13)
        self.zsk = TestKey.generate(13)
        self.h = Hierarchy(13)
        self.h["example.test."].add("www 3600 IN A 192.0.2.80")
        self.h.root.ttl = ROOT_TTL
        self.net: FakeNetwork = self.h.network()
        self.signed_at = 0
        self.phase("old")

    @property
    def old(self) -> DNSKEY:
        return dnskey_of(self.ksk2017, 257)

    @property
    def new(self) -> DNSKEY:
        return dnskey_of(self.ksk2024, 257)

    def published(self) -> TrustAnchors:
        """What the bundled IANA file would say: both KSKs."""
        return anchors_of(self.old, self.new)

    def phase(self, name: str) -> None:
        zsk = ZoneKey(self.zsk, 256, False, True, in_ds=False)
        old = ZoneKey(self.ksk2017, 257, True, False)
        new = ZoneKey(self.ksk2024, 257, True, False)
        if name == "old":
            keys = [old, zsk]
        elif name == "published":
            new.signs_keys = False
            keys = [old, new, zsk]
        elif name == "switched":
            old.signs_keys = False
            keys = [old, new, zsk]
        elif name == "revoked":
            keys = [ZoneKey(self.ksk2017, 385, True, False), new, zsk]
        elif name == "removed":
            keys = [new, zsk]
        else:
            raise ValueError(name)
        self.h.root.keys = keys
        self.resign()

    def resign(self) -> None:
        for zone in self.h.zones.values():
            zone.inception = self.now - DAY
            zone.expiration = self.now + 30 * DAY
        self.h.sign()
        self.signed_at = self.now

    def advance(self, seconds: int) -> None:
        """Move the clock; the zones are signed again every ten days."""
        self.now += seconds
        if self.now - self.signed_at >= 10 * DAY:
            self.resign()

    def store(self, directory: Path, *trusting: DNSKEY) -> AnchorStore:
        """A store in ``directory`` trusting ``trusting`` (default KSK-2017),
        whose published anchors are both KSKs."""
        store = AnchorStore(directory, published=self.published())
        store.bootstrap(self.now, anchors_of(*(trusting or (self.old,))))
        return store

    def servers(self) -> list[str]:
        return [str(UPSTREAM)]


def key_states(state: AnchorState) -> dict[int, str]:
    """Tag -> state name of the root's tracked keys."""
    return {k.tag: k.state.name for k in state.points[ROOT].keys}
