"""The expiry horizon: signatures and certificates that stop validating within N days."""

from __future__ import annotations

import calendar

import pytest

from dnssec_lite.dane.codes import Code, Severity
from dnssec_lite.dane.horizon import (
    DAY,
    certificate_findings,
    signature_expiries,
    signature_findings,
)
from dnssec_lite.dane.tlsa import verify_chain
from dnssec_lite.dnssec.status import Answer, ChainLink, Reason, Status
from dnssec_lite.wire.message import Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.dane import TLSA
from dnssec_lite.wire.rdata.dnssec import RRSIG
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import RRClass, RRType
from tests.helpers.certs import NOW, Chain, Issued, ca_chain, issue, new_key

N = Name.from_text
NAMES = [N("mx.example.org")]
#: 2027-01-03T00:00Z
JAN3 = calendar.timegm((2027, 1, 3, 0, 0, 0))


def sig(rrtype: int, expiration: int) -> RRSIG:
    return RRSIG(rrtype, 13, 3, 300, expiration, expiration - 30 * DAY, 1, N("example.org"), b"s")


def signed(owner: str, rrtype: int, *expirations: int) -> RRset:
    rdata = TLSA(3, 1, 1, bytes(32)) if rrtype == RRType.TLSA else None
    rrset = RRset(N(owner), rrtype, RRClass.IN, 300, [rdata] if rdata else [])
    return rrset.with_sigs([sig(rrtype, e) for e in expirations])


def answer(owner: str, rrtype: int, *rrsets: RRset, chain=(), status=Status.SECURE) -> Answer:
    reason = None if status is Status.SECURE else Reason(None, "insecure")
    return Answer(
        Question(N(owner), rrtype), 0, status, rrsets=rrsets, chain=tuple(chain), reason=reason
    )


def test_the_first_signature_to_lapse_is_named() -> None:
    tlsa = answer(
        "_25._tcp.mx.example.org",
        RRType.TLSA,
        signed("_25._tcp.mx.example.org", RRType.TLSA, JAN3),
        chain=[
            ChainLink(N("."), Status.SECURE, sig_expires=JAN3 + 20 * DAY),
            ChainLink(N("org"), Status.SECURE, sig_expires=JAN3 + 2 * DAY),
        ],
    )
    mx = answer("example.org", RRType.MX, signed("example.org", RRType.MX, JAN3 + 5 * DAY))
    now = JAN3 - 3 * DAY
    (finding,) = signature_findings([mx, tlsa], now, 7)
    assert finding.code is Code.SIGNATURE_EXPIRES_SOON and finding.severity is Severity.WARNING
    assert finding.text == (
        "RRSIG(TLSA) for _25._tcp.mx.example.org. expires 2027-01-03T00:00Z, within 7 days"
        " (1 more lapse within the horizon)"
    )
    assert [e.what for e in signature_expiries([mx, tlsa])] == [
        "RRSIG(TLSA) for _25._tcp.mx.example.org.",
        "RRSIG(DS/DNSKEY) for org.",
        "RRSIG(MX) for example.org.",
        "RRSIG(DS/DNSKEY) for .",
    ]
    assert signature_findings([mx, tlsa], now, 2) == []


def test_an_rrset_lasts_as_long_as_its_latest_signature() -> None:
    both = answer("example.org", RRType.MX, signed("example.org", RRType.MX, JAN3, JAN3 + 9 * DAY))
    assert signature_findings([both], JAN3 - DAY, 7) == []


def test_insecure_answers_are_not_counted() -> None:
    insecure = answer(
        "example.org", RRType.MX, signed("example.org", RRType.MX, JAN3), status=Status.INSECURE
    )
    assert signature_findings([insecure], JAN3 - DAY, 7) == []


def tlsa(usage: int, selector: int, mtype: int, cert: Issued) -> TLSA:
    return TLSA(usage, selector, mtype, cert.association(selector, mtype))


@pytest.fixture(scope="module")
def soon() -> Chain:
    return ca_chain(["mx.example.org"], leaf_not_after=NOW + 5 * DAY)


def findings(chain: Chain, records: list[TLSA], days: int) -> list[object]:
    presented = chain.presented(with_root=False)
    match = verify_chain(presented, records, NAMES, NOW)
    assert match.ok
    return certificate_findings(presented, records, match, NAMES, NOW, days, verify_chain)  # type: ignore[return-value]


def test_a_ta_chain_must_verify_at_the_horizon(soon: Chain) -> None:
    records = [tlsa(2, 0, 1, soon.at(1))]
    (finding,) = findings(soon, records, 10)
    assert finding.code is Code.CERTIFICATE_EXPIRES_SOON  # type: ignore[attr-defined]
    assert "CN=mx.example.org (depth 0) expires" in finding.text  # type: ignore[attr-defined]
    assert "within 10 days" in finding.text  # type: ignore[attr-defined]
    assert findings(soon, records, 3) == []


def test_a_lone_ee_match_warns_when_its_leaf_lapses(soon: Chain) -> None:
    (finding,) = findings(soon, [tlsa(3, 1, 1, soon.leaf)], 10)
    assert finding.severity is Severity.WARNING  # type: ignore[attr-defined]
    assert "no other usable TLSA record would match its successor" in finding.text  # type: ignore[attr-defined]
    assert findings(soon, [tlsa(3, 1, 1, soon.leaf)], 3) == []


def test_an_ee_match_with_the_next_key_published_is_a_notice(soon: Chain) -> None:
    nxt = issue("mx.example.org", key=new_key("ec"))
    (finding,) = findings(soon, [tlsa(3, 1, 1, soon.leaf), tlsa(3, 1, 1, nxt)], 10)
    assert finding.severity is Severity.NOTICE  # type: ignore[attr-defined]


def test_an_ee_match_next_to_a_ta_warns(soon: Chain) -> None:
    records = [tlsa(3, 1, 1, soon.leaf), tlsa(2, 0, 1, soon.at(1))]
    (finding,) = findings(soon, records, 10)
    assert finding.severity is Severity.WARNING  # type: ignore[attr-defined]
    assert "will check the dates of its successor" in finding.text  # type: ignore[attr-defined]


def test_a_failed_match_has_no_expiry_finding(soon: Chain) -> None:
    presented = soon.presented(with_root=False)
    records = [TLSA(3, 1, 1, bytes(32))]
    match = verify_chain(presented, records, NAMES, NOW)
    assert certificate_findings(presented, records, match, NAMES, NOW, 10, verify_chain) == []
