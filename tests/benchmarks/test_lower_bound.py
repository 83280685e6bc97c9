"""The lower-bound skeleton must really do the floor's work, or its ratio
would prove nothing: it verifies every signature and fails on tampered data."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidSignature

from benchmarks.bench_lower_bound import SkeletonRunner, _key_tag, _name, _records
from benchmarks.bench_validate import VARIANTS
from benchmarks.chainbuild import Chain, build_chain, key_tag


@pytest.fixture(scope="module")
def chain() -> Chain:
    return build_chain(VARIANTS["ed25519"])


def test_skeleton_validates_the_chain(chain: Chain) -> None:
    runner = SkeletonRunner(chain)
    runner.warm()
    assert len(runner.domain_keys) == 2  # KSK and ZSK of the domain


def test_skeleton_fails_on_a_tampered_answer(chain: Chain) -> None:
    runner = SkeletonRunner(chain)
    wire = bytearray(runner.answers[1])
    wire[-20] ^= 0x01  # inside the last record before OPT: the RRSIG signature
    runner.answers[1] = bytes(wire)
    with pytest.raises(InvalidSignature):
        runner.warm()


def test_skeleton_fails_on_a_bad_ds(chain: Chain) -> None:
    runner = SkeletonRunner(chain)
    ds = bytearray(chain.anchor_ds)
    ds[-1] ^= 0x01
    runner.chain.anchor_ds = bytes(ds)
    try:
        with pytest.raises(AssertionError, match="DS digest mismatch"):
            runner.cold()
    finally:
        ds[-1] ^= 0x01
        runner.chain.anchor_ds = bytes(ds)


def test_skeleton_parsing_matches_the_builder(chain: Chain) -> None:
    records = _records(chain.responses[(".", 48)])
    keys = [r[4] for r in records if r[1] == 48]
    assert keys and all(_key_tag(k) == key_tag(k) for k in keys)
    assert records[0][0] == b"\x00"
    assert _name(b"\x03ExA\x00\xc0\x00", 5) == (b"\x03exa\x00", 7)
