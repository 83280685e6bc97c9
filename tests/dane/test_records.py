"""TLSA records against presented chains: the match table and rollover readiness.

Real certificates and the real matcher: each rollover shape an operator
meets (current + next key, EE + TA, a single 3 1 1, stale, selector-0 and
duplicate pins, unusable and full-data records) gives its verdict and its
coded warnings.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from dnssec_lite.dane.codes import Code, Severity
from dnssec_lite.dane.records import assess_rollover, label, match_table, usable
from dnssec_lite.dane.tlsa import verify_chain
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.dane import TLSA
from tests.helpers.certs import NOW, Chain, Issued, ca_chain, issue, new_key

NAMES = [Name.from_text("mx.example.org")]


def tlsa(usage: int, selector: int, mtype: int, cert: Issued) -> TLSA:
    return TLSA(usage, selector, mtype, cert.association(selector, mtype))


@pytest.fixture(scope="module")
def chain() -> Chain:
    return ca_chain(["mx.example.org"])


@pytest.fixture(scope="module")
def other() -> Issued:
    return issue("next.example.org", key=new_key("ec"))


def assess(records: Sequence[TLSA], chain: Chain, chains: int = 1) -> object:
    presented = [("the ECDSA certificate", chain.presented(with_root=False))] * chains
    return assess_rollover(records, presented, NAMES, NOW, verify_chain, "mx.example.org")


def codes(rollover: object, severity: Severity = Severity.WARNING) -> set[Code]:
    return {f.code for f in rollover.findings if f.severity is severity}  # type: ignore[attr-defined]


def test_single_ee_record_is_not_ready(chain: Chain) -> None:
    r = assess([tlsa(3, 1, 1, chain.leaf)], chain)
    assert r.ready is False and r.status == "not-ready"  # type: ignore[attr-defined]
    assert codes(r) == {Code.SINGLE_EE_RECORD}
    assert "publish a 3 1 1 record for the next key" in r.reasons[0]  # type: ignore[attr-defined]


def test_current_and_next_key_is_ready(chain: Chain, other: Issued) -> None:
    r = assess([tlsa(3, 1, 1, chain.leaf), tlsa(3, 1, 1, other)], chain)
    assert r.ready is True  # type: ignore[attr-defined]
    assert codes(r) == set()
    assert codes(r, Severity.NOTICE) == {Code.STALE_PIN}  # the next key, noted only
    assert "a different (next) key" in r.reasons[0]  # type: ignore[attr-defined]


def test_ee_plus_ta_is_ready(chain: Chain) -> None:
    r = assess([tlsa(3, 1, 1, chain.leaf), tlsa(2, 0, 1, chain.at(1))], chain)
    assert r.ready is True and codes(r) == set()  # type: ignore[attr-defined]
    assert "authenticates the chain through its issuer" in r.reasons[0]  # type: ignore[attr-defined]


def test_ta_alone_is_ready(chain: Chain) -> None:
    r = assess([tlsa(2, 1, 1, chain.at(1))], chain)
    assert r.ready is True and codes(r) == set()  # type: ignore[attr-defined]


def test_ta_for_the_wrong_name_is_not_ready(chain: Chain) -> None:
    wrong = ca_chain(["mx.other.example"])
    r = assess_rollover(
        [tlsa(2, 0, 1, wrong.at(1))],
        [("the certificate", wrong.presented(with_root=False))],
        NAMES,
        NOW,
        verify_chain,
    )
    assert r.ready is False
    assert any("mx.other.example" in reason for reason in r.reasons)


def test_stale_pin_next_to_a_ta(chain: Chain, other: Issued) -> None:
    r = assess([tlsa(2, 0, 1, chain.at(1)), tlsa(3, 1, 1, other)], chain)
    assert r.ready is True  # type: ignore[attr-defined]
    assert codes(r) == {Code.STALE_PIN}
    (stale,) = [f for f in r.findings if f.code is Code.STALE_PIN]  # type: ignore[attr-defined]
    assert label(tlsa(3, 1, 1, other)) in stale.text and stale.host == "mx.example.org"


def test_selector_0_pin_breaks_at_every_renewal(chain: Chain) -> None:
    r = assess([tlsa(3, 0, 1, chain.leaf)], chain)
    assert r.ready is False  # type: ignore[attr-defined]
    assert codes(r) == {Code.SELECTOR_0_PIN, Code.SINGLE_EE_RECORD}
    assert "only the current certificate is pinned" in r.reasons[0]  # type: ignore[attr-defined]


def test_two_pins_of_one_certificate_are_duplicates(chain: Chain) -> None:
    r = assess([tlsa(3, 1, 1, chain.leaf), tlsa(3, 0, 1, chain.leaf)], chain)
    assert r.ready is False  # type: ignore[attr-defined]
    assert Code.DUPLICATE_RECORD in codes(r) and Code.SELECTOR_0_PIN in codes(r)


def test_the_same_record_twice_is_a_duplicate(chain: Chain, other: Issued) -> None:
    record = tlsa(3, 1, 1, chain.leaf)
    r = assess([record, TLSA(3, 1, 1, record.data), tlsa(3, 1, 1, other)], chain)
    assert [f.code for f in r.findings].count(Code.DUPLICATE_RECORD) == 1  # type: ignore[attr-defined]


def test_unusable_and_full_data_records(chain: Chain) -> None:
    records = [
        tlsa(3, 1, 1, chain.leaf),
        TLSA(1, 1, 1, bytes(32)),
        TLSA(3, 1, 1, bytes(20)),
        tlsa(2, 1, 0, chain.at(1)),
    ]
    r = assess(records, chain)
    warned = [f for f in r.findings if f.code is Code.UNUSABLE_RECORD]  # type: ignore[attr-defined]
    assert len(warned) == 2
    assert Code.FULL_DATA_RECORD in codes(r)
    assert r.ready is True  # type: ignore[attr-defined]  # the 2 1 0 anchors the chain
    assert not usable(records[1]) and not usable(records[2]) and usable(records[3])


def test_without_a_presented_chain_readiness_is_unknown(chain: Chain) -> None:
    r = assess_rollover([tlsa(3, 1, 1, chain.leaf)], [], NAMES, NOW, verify_chain)
    assert r.ready is None and r.status == "unknown"
    assert r.to_json()["status"] == "unknown"
    assert {f.code for f in r.findings} == {Code.SINGLE_EE_RECORD}


def test_each_chain_must_be_ready(chain: Chain) -> None:
    rsa = ca_chain(["mx.example.org"], kind="rsa")
    records = [tlsa(3, 1, 1, chain.leaf), tlsa(3, 1, 1, rsa.leaf)]
    # Each key pins the other's chain only as "next": both chains are seen,
    # so neither record is a pre-published key -- not ready.
    both = [
        ("the ECDSA certificate", chain.presented(with_root=False)),
        ("the RSA certificate", rsa.presented(with_root=False)),
    ]
    r = assess_rollover(records, both, NAMES, NOW, verify_chain)
    assert r.ready is False and len(r.reasons) == 2
    assert r.reasons[0].startswith("the ECDSA certificate: only the current key")


def test_match_table_rows(chain: Chain, other: Issued) -> None:
    records = [
        tlsa(3, 1, 1, chain.leaf),
        tlsa(2, 0, 1, chain.at(1)),
        tlsa(3, 0, 1, other),
        TLSA(0, 1, 1, bytes(32)),
        tlsa(3, 1, 2, chain.leaf),
    ]
    rows = match_table(chain.presented(with_root=False), records, NAMES, NOW, verify_chain)
    assert [(r.outcome, r.depth) for r in rows] == [
        ("superseded", None),  # 3 1 2 of the same usage and selector is stronger
        ("matched", 1),
        ("no-match", None),
        ("unusable", None),
        ("matched", 0),
    ]
    assert "does not match the leaf" in rows[2].why
    assert rows[1].to_json() == {
        "record": label(records[1]),
        "outcome": "matched",
        "depth": 1,
        "why": "authenticates the chain at depth 1",
    }


def test_partial_match_names_the_depth() -> None:
    wrong = ca_chain(["mx.other.example"])
    rows = match_table(
        wrong.presented(with_root=False), [tlsa(2, 0, 1, wrong.at(1))], NAMES, NOW, verify_chain
    )
    assert rows[0].outcome == "partial" and rows[0].depth == 1
