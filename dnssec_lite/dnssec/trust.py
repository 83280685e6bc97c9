"""Trust anchors and negative trust anchors as plain values.

Reading anchor files (zone-file form, IANA XML, RFC 5011 state) belongs to
:mod:`dnssec_lite.anchors`; the validator only needs these values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..wire.name import Name
from ..wire.rdata.dnssec import DNSKEY, DS
from ..wire.rrset import RR
from ..wire.types import RRType


@dataclass(frozen=True, slots=True)
class TrustAnchor:
    """The DS and/or DNSKEY records trusted for one zone."""

    zone: Name
    ds: tuple[DS, ...] = ()
    dnskeys: tuple[DNSKEY, ...] = ()


@dataclass(frozen=True, slots=True)
class TrustAnchors:
    """Trust anchors by zone, plus negative trust anchors (zones treated as
    insecure on the operator's say-so, RFC 7646), plus trust points that
    trust nothing now (every key revoked, or out of date) with the reason
    to give answers no anchor covers, instead of a generic "no trust anchor"."""

    anchors: dict[Name, TrustAnchor] = field(default_factory=dict)
    negative: frozenset[Name] = frozenset()
    problems: dict[Name, str] = field(default_factory=dict)

    @classmethod
    def from_rrs(cls, rrs: Iterable[RR], negative: Iterable[Name] = ()) -> TrustAnchors:
        """Collect DS and DNSKEY records (other types are ignored)."""
        ds: dict[Name, list[DS]] = {}
        keys: dict[Name, list[DNSKEY]] = {}
        for rr in rrs:
            if rr.rrtype == RRType.DS and isinstance(rr.rdata, DS):
                ds.setdefault(rr.name, []).append(rr.rdata)
            elif rr.rrtype == RRType.DNSKEY and isinstance(rr.rdata, DNSKEY):
                keys.setdefault(rr.name, []).append(rr.rdata)
        zones = set(ds) | set(keys)
        anchors = {
            zone: TrustAnchor(zone, tuple(ds.get(zone, ())), tuple(keys.get(zone, ())))
            for zone in zones
        }
        return cls(anchors, frozenset(negative))

    def closest(self, name: Name) -> TrustAnchor | None:
        """The anchor of the deepest zone at or above ``name``."""
        anchors = self.anchors
        if len(anchors) <= len(name.labels):
            # Fewer anchors than suffixes (usually the root alone): test
            # each anchor zone rather than building every suffix of ``name``.
            # The same answer: the suffix of a given length is unique.
            best: Name | None = None
            for zone in anchors:
                if name.is_subdomain(zone) and (best is None or len(zone) > len(best)):
                    best = zone
            return None if best is None else anchors[best]
        for depth in range(len(name.labels), -1, -1):
            anchor = self.anchors.get(name.suffix(depth))
            if anchor is not None:
                return anchor
        return None

    def negative_for(self, name: Name) -> Name | None:
        """The negative trust anchor covering ``name``, if any."""
        for zone in self.negative:
            if name.is_subdomain(zone):
                return zone
        return None

    def with_negative(self, zones: Iterable[Name]) -> TrustAnchors:
        return TrustAnchors(self.anchors, self.negative | frozenset(zones), self.problems)

    def problem_for(self, name: Name) -> str | None:
        """Why nothing is trusted for ``name`` (the deepest trust point at
        or above it that trusts nothing), or None."""
        best: Name | None = None
        for zone in self.problems:
            if name.is_subdomain(zone) and (best is None or len(zone) > len(best)):
                best = zone
        return None if best is None else self.problems[best]

    def __bool__(self) -> bool:
        return bool(self.anchors)
