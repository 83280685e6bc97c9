"""The forger reaches every key tag: an adversarial test must never fail
because the test could not build its attack (it once did, for the one tag
per key equal to the carry of its key-tag sum)."""

from __future__ import annotations

import random

import pytest

from tests.helpers.forge import RSA_ALGORITHMS, SUPPORTED_ALGORITHMS, forged_dnskey


@pytest.mark.parametrize("algorithm", [*SUPPORTED_ALGORITHMS, 253])
def test_every_small_tag_and_the_anchor_tags_are_reached(algorithm: int) -> None:
    rng = random.Random(algorithm)
    # Small tags are where the carry of the sum lives; the rest are the
    # root's key tags (KSK-2017, KSK-2024, their revoked forms) and extremes.
    for tag in [*range(0, 300), 20326, 20454, 38696, 38824, 65534, 65535]:
        key = forged_dnskey(tag, algorithm, rng, bits=512 if algorithm in RSA_ALGORITHMS else None)
        assert key.key_tag == tag
        if algorithm in RSA_ALGORITHMS:
            assert key.key[-1] & 1, "an RSA modulus stays odd"
