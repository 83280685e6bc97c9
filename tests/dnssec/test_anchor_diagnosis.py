"""The validator's out-of-date hook and the reasons of trust points that
trust nothing: only a failed trust-anchor DNSKEY RRset asks the hook, its
text makes the answer INDETERMINATE, and without one it stays BOGUS."""

from __future__ import annotations

from dnssec_lite.dnssec.chain import Validator
from dnssec_lite.dnssec.status import Status
from dnssec_lite.dnssec.trust import TrustAnchors
from dnssec_lite.wire.name import ROOT, Name
from dnssec_lite.wire.rrset import RR, RRset
from dnssec_lite.wire.types import EDE, RRClass, RRType
from tests.helpers.keys import TestKey
from tests.helpers.zonesigner import Hierarchy, dnskey_of

H = Hierarchy().sign()
NET = H.network()


def _stale_anchors() -> TrustAnchors:
    """A root anchor for a key that does not sign (an old KSK)."""
    old = dnskey_of(TestKey.generate(13), 257)
    return TrustAnchors.from_rrs([RR(ROOT, RRType.DNSKEY, RRClass.IN, 3600, old)])


def test_the_hook_turns_a_failed_anchor_into_indeterminate() -> None:
    calls: list[tuple[RRset, int]] = []

    def diagnose(rrset: RRset, now: int) -> str | None:
        calls.append((rrset, now))
        return "signed by a key the published anchors know: run bootstrap"

    validator = Validator(_stale_anchors(), anchor_diagnosis=diagnose)
    answer = NET.resolve(validator, "example.test.", "SOA")
    assert answer.status is Status.INDETERMINATE
    assert answer.reason is not None and answer.reason.ede == EDE.DNSSEC_INDETERMINATE
    assert answer.reason.text == "signed by a key the published anchors know: run bootstrap"
    assert calls and calls[0][0].name == ROOT and calls[0][0].rrtype == RRType.DNSKEY


def test_without_a_diagnosis_it_stays_bogus() -> None:
    validator = Validator(_stale_anchors(), anchor_diagnosis=lambda rrset, now: None)
    assert NET.resolve(validator, "example.test.", "SOA").status is Status.BOGUS
    plain = Validator(_stale_anchors())
    assert NET.resolve(plain, "example.test.", "SOA").status is Status.BOGUS


def test_the_hook_is_not_asked_when_the_anchor_validates() -> None:
    def never(rrset: RRset, now: int) -> str | None:
        raise AssertionError("asked")

    validator = Validator(H.anchors(), anchor_diagnosis=never)
    assert NET.resolve(validator, "example.test.", "SOA").status is Status.SECURE


def test_a_bogus_zone_below_a_good_anchor_is_not_blamed_on_the_anchors() -> None:
    h = Hierarchy().sign()
    h["example.test."].resign("example.test.", RRType.DNSKEY, key=TestKey.generate(13), flags=257)
    validator = Validator(h.anchors(), anchor_diagnosis=lambda rrset, now: "stale")
    answer = h.network().resolve(validator, "example.test.", "SOA")
    assert answer.status is Status.BOGUS
    assert answer.reason is not None and answer.reason.text != "stale"


def test_a_trust_point_that_trusts_nothing_gives_its_reason() -> None:
    deep = Name.from_text("test.")
    anchors = TrustAnchors(problems={ROOT: "every trusted key of . is revoked: 20326"})
    validator = Validator(anchors)
    answer = NET.resolve(validator, "example.test.", "SOA")
    assert answer.status is Status.INDETERMINATE
    assert answer.reason is not None and answer.reason.text.startswith("every trusted key of .")
    both = TrustAnchors(problems={ROOT: "root", deep: "tld"})
    assert both.problem_for(Name.from_text("a.example.test.")) == "tld"
    assert both.problem_for(Name.from_text("org.")) == "root"
    assert TrustAnchors().problem_for(ROOT) is None
    assert both.with_negative([deep]).problems == both.problems
    # No reason given: the generic one.
    plain = NET.resolve(Validator(TrustAnchors()), "example.test.", "SOA")
    assert plain.reason is not None and plain.reason.text.startswith("no trust anchor covers")
