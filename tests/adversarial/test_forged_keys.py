"""Downgrade by forged keys: unsigned DNSKEY sets whose keys carry the key
tag (and algorithm) of the trust anchor or the DS, with key contents the
validator's policy rejects (RSA moduli too small or too large, odd sizes,
wrong lengths).  A key that matches a DS only by tag is unauthenticated: it
must never make a zone INSECURE, at any level, whatever its algorithm, and
nothing learnt from it may stay in the key cache beyond the documented
maximum (one day).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import cache

import pytest

from dnssec_lite.anchors.formats import default_anchors
from dnssec_lite.dnssec.chain import KeyCache, Validator
from dnssec_lite.dnssec.status import Answer, Status
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.dnssec import DS
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import RRClass, RRType
from tests.adversarial.world import forged_set, rsa_world, unsigned_answer
from tests.helpers.fakenet import FakeNetwork
from tests.helpers.hostile import (
    KEY_LENGTHS,
    RSA_ALGORITHMS,
    SUPPORTED_ALGORITHMS,
    UNSUPPORTED_ALGORITHMS,
    forged_dnskey,
)
from tests.helpers.zonesigner import NOW, FakeKey, Hierarchy, cached_key

N = Name.from_text
QNAME = "www.example.test."
#: The longest any key-cache entry may live (documented maximum: one day).
MAX_KEY_ENTRY = 86400


@cache
def mixed_world() -> Hierarchy:
    """example.test. with two KSKs, algorithms 13 and 8: its DS set is {13, 8}."""
    h = Hierarchy(13)
    assert h.domain is not None
    h.domain.add_key(cached_key(8, "ksk"), 257, signs_keys=True, signs_zone=False)
    h.domain.add("www 300 IN A 192.0.2.1")
    return h.sign()


def attack(
    h: Hierarchy,
    zone: str,
    forged: RRset,
    *,
    cache_: KeyCache | None = None,
    anchors: object = None,
) -> tuple[Answer, Validator]:
    net = h.network()
    net.override(zone, "DNSKEY", lambda m: m.replace(answer=(forged,)))
    net.override(QNAME, "A", unsigned_answer)
    validator = Validator(
        anchors if anchors is not None else h.anchors(),  # type: ignore[arg-type]
        key_cache=cache_ if cache_ is not None else KeyCache(),
    )
    return net.resolve(validator, QNAME, "A", NOW), validator


def answering(rrset: RRset) -> Callable[[Message], Message]:
    """A rewrite putting ``rrset`` in the answer section."""
    return lambda m: m.replace(answer=(rrset,))


def not_downgraded(answer: Answer) -> None:
    assert answer.status is not Status.INSECURE, answer.summary()
    assert answer.status is not Status.SECURE, answer.summary()
    assert answer.status is Status.BOGUS, answer.summary()


def ds_of(h: Hierarchy, zone: str) -> list[DS]:
    return h.zones[N(zone)].ds_rdatas()


@pytest.mark.parametrize("bits", [512, 1023, 1025, 16384])
def test_forged_root_key_with_the_anchor_tag_is_bogus(bits: int) -> None:
    h = rsa_world()
    tag = ds_of(h, ".")[0].key_tag
    answer, _ = attack(h, ".", forged_set(".", tag, 8, bits=bits))
    not_downgraded(answer)


@pytest.mark.parametrize("zone", [".", "test.", "example.test."])
def test_forged_key_with_the_ds_tag_is_bogus_at_every_level(zone: str) -> None:
    h = rsa_world()
    tag = ds_of(h, zone)[0].key_tag
    answer, _ = attack(h, zone, forged_set(zone, tag, 8, bits=512))
    not_downgraded(answer)


@pytest.mark.parametrize("alg", SUPPORTED_ALGORITHMS + UNSUPPORTED_ALGORITHMS)
def test_forged_key_of_any_algorithm_is_bogus(alg: int) -> None:
    h = rsa_world()
    tag = ds_of(h, "example.test.")[0].key_tag
    kw: dict[str, object] = {"bits": 512} if alg in RSA_ALGORITHMS else {}
    answer, _ = attack(h, "example.test.", forged_set("example.test.", tag, alg, **kw))
    not_downgraded(answer)


@pytest.mark.parametrize("delta", [-1, 1, 40])
def test_forged_ec_key_of_odd_length_with_the_anchor_tag_is_bogus(delta: int) -> None:
    h = Hierarchy(13)
    assert h.domain is not None
    h.domain.add("www 300 IN A 192.0.2.1")
    h.sign()
    tag = ds_of(h, ".")[0].key_tag
    forged = forged_set(".", tag, 13, length=KEY_LENGTHS[13] + delta)
    answer, _ = attack(h, ".", forged)
    not_downgraded(answer)


@pytest.mark.parametrize("bits", [512, 16384])
def test_forged_key_against_a_mixed_ds_set_is_bogus(bits: int) -> None:
    """DS {13, 8}: a forged alg-8 key with the alg-8 DS's tag must not make
    the zone 'signed only with unsupported algorithms'."""
    h = mixed_world()
    rsa_ds = [d for d in ds_of(h, "example.test.") if d.algorithm == 8]
    assert rsa_ds and any(d.algorithm == 13 for d in ds_of(h, "example.test."))
    answer, _ = attack(
        h, "example.test.", forged_set("example.test.", rsa_ds[0].key_tag, 8, bits=bits)
    )
    not_downgraded(answer)


def test_mixed_ds_set_still_validates_when_honest() -> None:
    h = mixed_world()
    validator = Validator(h.anchors())
    assert h.network().resolve(validator, QNAME, "A", NOW).status is Status.SECURE


def test_forged_key_with_the_bundled_iana_anchor_tag_is_bogus() -> None:
    """The recipe against the real root anchor (tag 20326, algorithm 8): an
    unsigned 512-bit key with that tag, and an unsigned answer."""
    anchors = default_anchors()
    root = next(a for a in anchors.anchors.values() if a.zone == N("."))
    tags = {d.key_tag for d in root.ds if d.algorithm == 8} or {k.key_tag for k in root.dnskeys}
    h = rsa_world()
    for tag in sorted(tags):
        answer, _ = attack(h, ".", forged_set(".", tag, 8, bits=512), anchors=anchors)
        not_downgraded(answer)


def test_forged_root_key_does_not_stick_in_the_key_cache() -> None:
    """After the attack the upstream goes honest: later lookups in other zones
    validate, and no entry from the attack outlives the documented maximum."""
    h = rsa_world()
    shared = KeyCache()
    tag = ds_of(h, ".")[0].key_tag
    attack(h, ".", forged_set(".", tag, 8, bits=512), cache_=shared)
    for zone, (entry, expires) in shared._entries.items():
        assert expires - NOW <= MAX_KEY_ENTRY, (zone.to_text(), entry.status, expires - NOW)
    later = NOW + MAX_KEY_ENTRY + 1
    validator = Validator(h.anchors(), key_cache=shared)
    honest = FakeNetwork(list(h.zones.values()))
    answer = honest.resolve(validator, "www.other.test.", "A", later)
    assert answer.status is Status.SECURE, answer.summary()


def test_forged_key_beside_the_genuine_keys_is_bogus() -> None:
    """The genuine signed DNSKEY set plus an unsigned key with the KSK's tag."""
    h = rsa_world()
    zone = h.zones[N("example.test.")]
    genuine = zone.get("example.test.", RRType.DNSKEY)
    tag = ds_of(h, "example.test.")[0].key_tag
    extra = forged_dnskey(tag, 8, random.Random(5), bits=512)
    both = RRset(genuine.name, RRType.DNSKEY, RRClass.IN, genuine.ttl, [*genuine.rdatas, extra])
    answer, _ = attack(h, "example.test.", both.with_sigs(genuine.sigs))
    not_downgraded(answer)


# -- DS sets mixing supported and unsupported algorithms and digests ------------------------


@cache
def ds_mix_world() -> Hierarchy:
    """Genuine, signed DS sets the zone owners chose:

    * ``example.test.``: KSKs of algorithms 13 and 253 (unknown): DS {13, 253};
    * ``digests.test.``: one KSK, DS digests 2, 3 (GOST, unsupported) and 200;
    * ``unsup.test.``: signed only with algorithm 253 -- INSECURE by RFC 4035 5.2.
    """
    h = Hierarchy(13)
    assert h.domain is not None
    h.domain.add_key(FakeKey(253), 257, signs_keys=True, signs_zone=False)
    h.domain.add("www 300 IN A 192.0.2.1")
    digests = h.add_zone("digests.test.", digest_types=(3, 200, 2))
    digests.add("www 300 IN A 192.0.2.2")
    unsup = h.add_zone("unsup.test.", algorithm=253, ksk=FakeKey(253), zsk=FakeKey(253))
    unsup.add("www 300 IN A 192.0.2.3")
    return h.sign()


@pytest.mark.parametrize(
    ("qname", "status"),
    [
        ("www.example.test.", Status.SECURE),
        ("www.digests.test.", Status.SECURE),
        ("www.unsup.test.", Status.INSECURE),
    ],
)
def test_genuine_mixed_ds_sets(qname: str, status: Status) -> None:
    h = ds_mix_world()
    answer = h.network().resolve(Validator(h.anchors()), qname, "A", NOW)
    assert answer.status is status, answer.summary()


@pytest.mark.parametrize(
    ("zone", "alg", "kw"),
    [
        ("example.test.", 253, {}),
        ("example.test.", 13, {"length": 63}),
        ("example.test.", 8, {"bits": 512}),
        ("digests.test.", 13, {"length": 65}),
        ("digests.test.", 8, {"bits": 16384}),
    ],
)
def test_forged_key_against_a_genuine_mixed_ds_set(
    zone: str, alg: int, kw: dict[str, object]
) -> None:
    """A supported DS (13, SHA-256) sits beside unsupported ones: forged keys
    with the tags of any of them, of supported or unsupported algorithms,
    make the zone BOGUS, never INSECURE."""
    h = ds_mix_world()
    qname = f"www.{zone}"
    for ds in h.zones[N(zone)].ds_rdatas((2, 3, 200)):
        forged = forged_set(zone, ds.key_tag, alg, **kw)
        net = h.network()
        net.override(zone, "DNSKEY", answering(forged))
        net.override(qname, "A", unsigned_answer)
        not_downgraded(net.resolve(Validator(h.anchors()), qname, "A", NOW))
