"""Seeded mutation tests over real signed responses (see ``world.py``).

Each mutation rewrites one response the validation of a genuine question
fetches (the answer itself, or a DNSKEY or DS response of the chain), as an
on-path attacker or a hostile upstream would.  Whatever the attacker does:

(a) a SECURE result has the genuine records (owner case and TTLs aside),
    rcode and denial proof -- and its denial holds nothing but proof records;
(b) no zone below an authenticated DS of a supported algorithm comes out
    INSECURE (every zone here has one);
(c) no key-cache or answer-cache entry, and no returned record TTL, outlives
    the data it came from (TTLs and signature expirations fed).

``DNSSEC_LITE_MUTATIONS`` sets the count (default 5,000: a few seconds);
``DNSSEC_LITE_MUTATION_SEED`` the seed (default 0, so runs repeat).
``benchmarks/bench_adversarial.py`` runs the same with >= 50,000.
"""

from __future__ import annotations

import os
from functools import cache

from dnssec_lite.dnssec.status import Status
from tests.adversarial.world import Tally, check, count_env, run_sample, world
from tests.helpers.hostile import CLASSES

DEFAULT_COUNT = 5000


@cache
def tally() -> Tally:
    seed = int(os.environ.get("DNSSEC_LITE_MUTATION_SEED", "0"))
    result = run_sample(count_env(DEFAULT_COUNT), seed)
    print("\n" + result.table())
    return result


def _none(prop: str) -> None:
    found = tally().violations.get(prop, [])
    shown = "\n".join(found[:15])
    assert not found, f"{len(found)} of {tally().total} mutations break {prop}:\n{shown}"


def test_genuine_answers_are_secure_and_hold_the_properties() -> None:
    for genuine in world().genuine:
        assert genuine.answer.status is Status.SECURE, genuine.label
        assert check(genuine, genuine.answer) == [], genuine.label


def test_every_attack_class_is_exercised_and_mostly_caught() -> None:
    t = tally()
    assert t.total == count_env(DEFAULT_COUNT)
    for cls in CLASSES:
        assert t.by_class[cls] >= t.total // 200, f"class {cls} drawn {t.by_class[cls]} times"
    # Tampering with signed data must be noticed somewhere in every class
    # that can touch it (flags and TTLs are not signed; duplicates are harmless).
    for cls in ("drop", "move", "reown", "sigswap", "wildcard", "forged-dnskey", "ds-mix"):
        assert t.by_pair[(cls, "bogus")] > 0, cls


def test_a_secure_results_equal_the_genuine_ones() -> None:
    _none("(a)")


def test_a_secure_denial_holds_only_the_proof() -> None:
    _none("(a-denial)")


def test_b_never_insecure_below_an_authenticated_ds() -> None:
    _none("(b)")


def test_c_no_cache_entry_or_ttl_outlives_its_data() -> None:
    _none("(c)")
