"""RRSIG checks: serial arithmetic, skew, field checks, budgets."""

from __future__ import annotations

import dataclasses

from dnssec_lite.dnssec.algorithms import DEFAULT_POLICY
from dnssec_lite.dnssec.limits import Limits
from dnssec_lite.dnssec.rrsig import Budget, check_rrset, serial_lt, skew
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.dnssec import RRSIG
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import EDE
from dnssec_lite.wire.zonefile import parse_zone
from tests.helpers.zonesigner import NOW, cached_key, dnskey_of, sign_rrset

Z = Name.from_text("example.")


def rrset() -> RRset:
    rr = parse_zone("www.example. 300 IN A 192.0.2.1\n")[0]
    return RRset(rr.name, rr.rrtype, 1, 300, [rr.rdata])


def check(sig: RRSIG, now: int = NOW, limits: Limits | None = None) -> object:
    key = dnskey_of(cached_key(13, "zsk"), 256)
    return check_rrset(
        rrset().with_sigs([sig]), Z, (key,), now, limits or Limits(), DEFAULT_POLICY, Budget()
    )


def sig(**kw: object) -> RRSIG:
    return sign_rrset(rrset(), cached_key(13, "zsk"), Z, **kw)  # type: ignore[arg-type]


def test_serial_lt_wraps() -> None:
    assert serial_lt(1, 2) and not serial_lt(2, 1)
    assert serial_lt(0xFFFFFFF0, 5)
    assert not serial_lt(5, 5)


def test_skew_clamped() -> None:
    limits = Limits()
    assert skew(sig(inception=0, expiration=100), limits) == 3600
    assert skew(sig(inception=0, expiration=10 * 86400 * 10), limits) == 86400
    assert skew(sig(inception=0, expiration=100000), limits) == 10000


def test_good_signature() -> None:
    assert check(sig()).ok  # type: ignore[attr-defined]


def test_expired_and_not_yet_valid() -> None:
    s = sig(inception=NOW - 200000, expiration=NOW - 100000)
    assert check(s).reason.ede == EDE.SIGNATURE_EXPIRED  # type: ignore[attr-defined]
    s = sig(inception=NOW + 100000, expiration=NOW + 200000)
    assert check(s).reason.ede == EDE.SIGNATURE_NOT_YET_VALID  # type: ignore[attr-defined]
    s = sig(inception=NOW + 100, expiration=NOW - 100)
    assert check(s).reason.ede == EDE.SIGNATURE_EXPIRED_BEFORE_VALID  # type: ignore[attr-defined]


def test_labels_bounds() -> None:
    assert not check(sig(labels=3)).ok  # type: ignore[attr-defined]
    assert not check(sig(labels=0)).ok  # type: ignore[attr-defined]


def test_wrong_signer_and_type() -> None:
    other = sign_rrset(rrset(), cached_key(13, "zsk"), Name.from_text("www.example."))
    assert not check(other).ok  # type: ignore[attr-defined]
    assert not check(sig(type_covered=28)).ok  # type: ignore[attr-defined]


def test_per_rrset_budget() -> None:
    limits = dataclasses.replace(Limits(), max_verifications_per_rrset=2)
    key = dnskey_of(cached_key(13, "zsk"), 256)
    bad = [sig(original_ttl=n) for n in range(1, 5)]
    bad = [
        RRSIG(
            s.type_covered,
            s.algorithm,
            s.labels,
            300,
            s.expiration,
            s.inception,
            s.key_tag,
            s.signer,
            s.signature,
        )
        for s in bad
    ]
    result = check_rrset(rrset().with_sigs(bad), Z, (key,), NOW, limits, DEFAULT_POLICY, Budget())
    assert not result.ok and "limit" in result.reason.text  # type: ignore[union-attr]
