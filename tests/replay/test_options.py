"""CONFIG options of a scenario -> library options (dnssec_lite.replay.options)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dnssec_lite.errors import ReplayError
from dnssec_lite.replay.options import IGNORED, MAPPED, REPLAY_LIMITS, scenario_options
from dnssec_lite.replay.rpl import Config, parse_text

PEER = Path(__file__).resolve().parents[2] / "vectors" / "peer"

_SCENARIO = """SCENARIO_BEGIN options
STEP 1 QUERY
ENTRY_BEGIN
REPLY RD DO
SECTION QUESTION
www.example.com. IN A
ENTRY_END
SCENARIO_END
"""


def config(text: str) -> Config:
    return parse_text(text + "CONFIG_END\n" + _SCENARIO, "opts.rpl").config


UNBOUND = 'server:\n\ttrust-anchor: ". IN DS 1 8 2 00"\n'
DECKARD = "stub-addr: 193.0.14.129\n"


def test_unbound_testdata_gets_unbounds_skew_on_both_sides() -> None:
    got = scenario_options(config(UNBOUND)).limits
    assert (got.skew_min, got.skew_max) == (3600, 86400)
    assert (got.expiry_skew_min, got.expiry_skew_max) == (3600, 86400)


def test_unbound_skew_options_apply_to_both_sides() -> None:
    text = UNBOUND + "\tval-sig-skew-min: 60\n\tval-sig-skew-max: 120\n"
    got = scenario_options(config(text)).limits
    assert (got.skew_min, got.skew_max, got.expiry_skew_min, got.expiry_skew_max) == (
        60,
        120,
        60,
        120,
    )


def test_deckard_gets_no_allowance() -> None:
    cfg = config(DECKARD)
    assert cfg.flat
    got = scenario_options(cfg).limits
    assert (got.skew_min, got.skew_max, got.expiry_skew_min, got.expiry_skew_max) == (0,) * 4


def test_hardening_flags() -> None:
    plain = scenario_options(config(UNBOUND))
    assert not plain.harden_algo_downgrade and plain.harden_dnssec_stripped
    text = UNBOUND + "\tharden-algo-downgrade: yes\n\tharden-dnssec-stripped: no\n"
    hard = scenario_options(config(text))
    assert hard.harden_algo_downgrade and not hard.harden_dnssec_stripped


def test_numbers() -> None:
    text = UNBOUND + '\tval-bogus-ttl: 5\n\tval-nsec3-keysize-iterations: "2048 200 1024 100"\n'
    got = scenario_options(config(text)).limits
    assert got.bogus_ttl == 5
    assert got.max_nsec3_iterations == 100  # the smallest key size's count
    one = scenario_options(config(UNBOUND + "\tval-nsec3-keysize-iterations: 150\n"))
    assert one.limits.max_nsec3_iterations == 150
    assert scenario_options(config(UNBOUND)).limits.max_nsec3_iterations == (
        REPLAY_LIMITS.max_nsec3_iterations
    )


def test_qname_minimisation() -> None:
    assert scenario_options(config(UNBOUND)).qname_minimisation
    off = config(UNBOUND + '\tqname-minimisation: "no"\n')
    assert not scenario_options(off).qname_minimisation


@pytest.mark.parametrize("bad", ["val-bogus-ttl: soon", 'val-nsec3-keysize-iterations: "1024 x"'])
def test_bad_numbers_name_the_scenario(bad: str) -> None:
    with pytest.raises(ReplayError, match=r"scen\.rpl"):
        scenario_options(config(UNBOUND + "\t" + bad + "\n"), path="scen.rpl")


_STRUCTURE = {"server", "stub-zone", "forward-zone", "name", "stub-addr", "forward-addr"}
_KEY = re.compile(r"^\s*([a-z0-9-]+):", re.MULTILINE)


def test_every_option_the_scenarios_set_is_mapped_or_ignored_with_a_reason() -> None:
    files = sorted(PEER.glob("*/*.rpl")) + sorted(PEER.glob("*/*.crpl"))
    assert files
    unknown: set[str] = set()
    for path in files:
        head = path.read_text(errors="replace").split("CONFIG_END", 1)[0]
        for key in _KEY.findall(head):
            if key not in MAPPED and key not in IGNORED and key not in _STRUCTURE:
                unknown.add(f"{key} ({path.name})")
    assert not unknown, sorted(unknown)
    assert all(reason for reason in IGNORED.values())
