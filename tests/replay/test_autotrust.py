"""Unbound's RFC 5011 scenarios played through our state machine: every
CHECK_AUTOTRUST compared with our state exported in Unbound's format."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnssec_lite.replay.autotrust import compare_autotrust, run_autotrust, run_autotrust_file
from dnssec_lite.replay.rpl import parse_text

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "peer" / "unbound"
SCENARIOS = sorted(p.name for p in VECTORS.glob("autotrust_*.rpl"))
#: Scenarios with no CHECK_AUTOTRUST step: they check answers only.
NOTHING_TO_COMPARE = {"autotrust_revtp_read.rpl"}


def test_all_twenty_scenarios_are_there() -> None:
    assert len(SCENARIOS) == 20


@pytest.mark.parametrize("name", SCENARIOS)
def test_unbound_autotrust_scenario(name: str) -> None:
    result = run_autotrust_file(VECTORS / name)
    assert result.error is None, result.error
    if name in NOTHING_TO_COMPARE:
        assert result.outcome == "NONE"
        return
    assert result.checks > 0
    assert result.outcome == "PASS", "\n".join(result.failures)


def test_pass_count() -> None:
    outcomes = [run_autotrust_file(VECTORS / n).outcome for n in SCENARIOS]
    assert outcomes.count("PASS") >= 18
    assert outcomes.count("FAIL") == 0


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # the new key Valid only after its hold-down: claim it sooner
        (";;state=1 [ ADDPEND ] ;;count=3", ";;state=2 [  VALID  ] ;;count=0"),
        # probe times: a wrong query interval
        (";;query_interval: 5400", ";;query_interval: 5401"),
        # a key's last change
        (";;lastchange=${$t0}", ";;lastchange=${$t0 + 1}"),
    ],
)
def test_a_wrong_expectation_fails(old: str, new: str) -> None:
    text = (VECTORS / "autotrust_rollover.rpl").read_text()
    assert old in text
    result = run_autotrust(parse_text(text.replace(old, new, 1), "tampered.rpl"))
    assert result.outcome == "FAIL"


def test_comparison_ignores_only_implementation_defined_parts() -> None:
    ours = (
        "; autotrust trust anchor file\n;;id: . 1\n;;last_queried: 5 ;;Thu Jan  1 00:00:05 1970\n"
        ";;query_failed: 1\n"
        ". 10 IN DNSKEY 257 3 8 AQ== ;{id = 1 (ksk), size = 8b} ;;state=2 [  VALID  ] ;;count=0 "
        ";;lastchange=5 ;;Thu Jan  1 00:00:05 1970\n"
        ". 10 IN DNSKEY 257 3 8 Ag== ;{id = 2 (ksk), size = 8b} ;;state=1 [ ADDPEND ] ;;count=1 "
        ";;lastchange=5 ;;Thu Jan  1 00:00:05 1970\n"
    )
    lines = ours.splitlines(keepends=True)
    # Other free comments, local-time ctime comments, key order, a failure count of 6.
    theirs = (
        "; written elsewhere\n"
        + lines[1]
        + lines[2].replace("00:00:05 1970", "01:00:05 1970 CET")
        + ";;query_failed: 6\n"
        + lines[5]
        + lines[4]
    )
    assert compare_autotrust(theirs, ours) == []
    assert compare_autotrust(theirs.replace(";;query_failed: 6", ";;query_failed: 0"), ours)
    assert compare_autotrust(theirs.replace("count=1", "count=2"), ours)
    assert compare_autotrust(theirs.replace("last_queried: 5", "last_queried: 6"), ours)
    assert compare_autotrust(theirs + lines[4], ours)  # a key too many
