"""Downgrade attacks on the chain of trust: a forged, unsigned DNSKEY set
whose keys match a DS record (or the trust anchor) only by key tag and
algorithm must make the zone BOGUS, never INSECURE, and no verdict may stay
in the key cache longer than the data it came from.

The attacker answers the DNSKEY query of a zone with keys of its choosing
(an RSA key with e = 65537 and an odd modulus of 512 or 16384 bits, keys of
every supported algorithm, ...), each with the DS's key tag, and the
question itself with an unsigned ``A 6.6.6.6``.
"""

from __future__ import annotations

import dataclasses
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dnssec_lite.anchors.formats import default_anchors
from dnssec_lite.dnssec.algorithms import AlgorithmPolicy
from dnssec_lite.dnssec.chain import Validator
from dnssec_lite.dnssec.keycache import KeyCache
from dnssec_lite.dnssec.limits import DEFAULT_LIMITS, Limits
from dnssec_lite.dnssec.status import Answer, Status
from dnssec_lite.dnssec.trust import TrustAnchor, TrustAnchors
from dnssec_lite.resolve import Resolver
from dnssec_lite.wire.edns import EDNS_DO, Edns
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.address import A
from dnssec_lite.wire.rdata.dnssec import DNSKEY, DS
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import EDE, FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD, RRClass, RRType
from tests.helpers.fakenet import FakeNetwork
from tests.helpers.keys import TestKey, rsa_public_key_field
from tests.helpers.zonesigner import DAY, NOW, FakeKey, Hierarchy, Zone, cached_key
from tests.resolve.dnsserver import TestServer

N = Name.from_text
WWW = "www.example.test."
#: Public-key field lengths of the fixed-size algorithms.
KEY_LENGTHS = {13: 64, 14: 96, 15: 32, 16: 57}
SUPPORTED = (5, 7, 8, 10, 13, 14, 15, 16)


# -- forging keys ---------------------------------------------------------------------


def _sum(rdata: bytes) -> int:
    """The unfolded sum of RFC 4034 appendix B."""
    return sum(rdata[0::2]) * 256 + sum(rdata[1::2])


def _fold(ac: int) -> int:
    return (ac + ((ac >> 16) & 0xFFFF)) & 0xFFFF


def forge(
    algorithm: int, tag: int, rng: random.Random, *, bits: int = 512, flags: int = 257
) -> DNSKEY:
    """A random DNSKEY of ``algorithm`` whose key tag is ``tag``.

    RSA keys get e = 65537 and a random odd modulus of exactly ``bits`` bits
    (the last two octets chosen to hit the tag); other algorithms random
    octets of their key length (``bits`` ignored).  The octet pair that is
    adjusted sits at an even offset of the RDATA, where it is one 16-bit
    word of the tag's sum.
    """
    rsa = algorithm in (5, 7, 8, 10)
    for _ in range(100):
        if rsa:
            n = rng.getrandbits(bits) | (1 << (bits - 1)) | 1
            key = bytearray(rsa_public_key_field(65537, n))
        else:
            key = bytearray(rng.randbytes(KEY_LENGTHS.get(algorithm, 64)))
        rdata = bytearray(flags.to_bytes(2) + bytes([3, algorithm])) + key
        pos = len(rdata) - 2 if len(rdata) % 2 == 0 else len(rdata) - 3
        rdata[pos : pos + 2] = b"\0\0"
        base = _sum(bytes(rdata))
        start = rng.randrange(65536)
        for step in range(65536):
            word = (start + step) & 0xFFFF
            if rsa and pos == len(rdata) - 2 and not word & 1:
                continue  # keep the modulus odd
            if _fold(base + word) == tag:
                rdata[pos : pos + 2] = word.to_bytes(2)
                out = DNSKEY(flags, 3, algorithm, bytes(rdata[4:]))
                # (RSAMD5 keys have a tag of their own, RFC 4034 B.1.)
                assert out.key_tag == tag or algorithm == 1
                return out
    raise AssertionError("no key with that tag")


def ds_of(zone: Zone) -> list[DS]:
    return zone.ds_rdatas()


def hostile(net: FakeNetwork, apex: str, keys: list[DNSKEY], qname: str = WWW) -> None:
    """Answer ``apex DNSKEY`` with ``keys`` (unsigned) and ``qname A`` with
    an unsigned 6.6.6.6."""
    owner = N(apex)
    forged = RRset(owner, RRType.DNSKEY, RRClass.IN, 3600, keys)
    net.override(apex, "DNSKEY", lambda msg: msg.replace(answer=(forged,), authority=()))
    spoof = RRset(N(qname), RRType.A, RRClass.IN, 3600, [A.from_address("6.6.6.6")])
    net.override(qname, "A", lambda msg: msg.replace(answer=(spoof,), authority=()))


def assert_bogus(answer: Answer) -> None:
    """BOGUS with a reason naming where the chain broke -- and not one of
    the "unsupported" codes that go with INSECURE."""
    assert answer.status is Status.BOGUS, answer.summary()
    assert answer.reason is not None and answer.reason.name is not None
    assert answer.reason.ede not in (
        EDE.UNSUPPORTED_DNSKEY_ALGORITHM,
        EDE.UNSUPPORTED_DS_DIGEST_TYPE,
    ), answer.summary()
    assert not answer.rrsets or answer.status is Status.BOGUS


def build(alg: int = 8, *, extra: tuple[int, ...] = ()) -> Hierarchy:
    """., test. and example.test. signed with ``alg``; ``extra`` adds to
    example.test. one KSK per algorithm (so its DS set mixes them), and
    other.test. is a second, honest zone for the recovery tests."""
    h = Hierarchy(alg)
    h.add_zone("other.test.", algorithm=alg).add("www 300 IN A 192.0.2.2")
    assert h.domain is not None
    h.domain.add("www 300 IN A 192.0.2.1")
    for more in extra:
        h.domain.add_key(cached_key(more, "extra-ksk"), 257, signs_keys=True, signs_zone=True)
    return h.sign()


_BUILT: dict[tuple[int, tuple[int, ...]], Hierarchy] = {}


def built(alg: int = 8, extra: tuple[int, ...] = ()) -> Hierarchy:
    """``build`` once per process (RSA signing is slow); callers must not change it."""
    key = (alg, extra)
    if key not in _BUILT:
        _BUILT[key] = build(alg, extra=extra)
    return _BUILT[key]


def ask(
    h: Hierarchy,
    net: FakeNetwork,
    qname: str = WWW,
    *,
    anchors: TrustAnchors | None = None,
    validator: Validator | None = None,
    now: int = NOW,
) -> Answer:
    v = validator if validator is not None else Validator(anchors or h.anchors())
    return net.resolve(v, qname, "A", now)


# -- the recipe: at the root, with the test anchor and the bundled IANA anchors -------


@pytest.mark.parametrize("bits", [512, 16384])
def test_forged_root_key_with_anchor_tag_is_bogus(bits: int) -> None:
    h = built(8)
    (anchor_ds,) = ds_of(h.root)
    net = h.network()
    hostile(net, ".", [forge(8, anchor_ds.key_tag, random.Random(bits), bits=bits)])
    answer = ask(h, net)
    assert_bogus(answer)
    assert "digest" in answer.reason.text  # type: ignore[union-attr]


def test_forged_root_key_against_a_dnskey_anchor_is_bogus() -> None:
    h = built(8)
    anchors = h.anchor_for(".", form="dnskey")
    (anchor_key,) = [k for a in anchors.anchors.values() for k in a.dnskeys]
    net = h.network()
    hostile(net, ".", [forge(8, anchor_key.key_tag, random.Random(1), bits=512)])
    assert_bogus(ask(h, net, anchors=anchors))


@pytest.mark.parametrize("bits", [512, 16384])
def test_forged_root_key_with_bundled_iana_anchors_is_bogus(bits: int) -> None:
    anchors = default_anchors()
    tags = sorted({ds.key_tag for a in anchors.anchors.values() for ds in a.ds})
    assert 20326 in tags
    h = built(8)
    net = h.network()
    rng = random.Random(bits + 1)
    hostile(net, ".", [forge(8, tag, rng, bits=bits) for tag in tags])
    assert_bogus(ask(h, net, anchors=anchors))


# -- below a DS in the parent -----------------------------------------------------------


@pytest.mark.parametrize("bits", [512, 1024, 2048, 16384])
def test_forged_child_key_with_ds_tag_is_bogus(bits: int) -> None:
    h = built(8)
    assert h.domain is not None
    (ds,) = ds_of(h.domain)
    net = h.network()
    hostile(net, "example.test.", [forge(8, ds.key_tag, random.Random(bits), bits=bits)])
    assert_bogus(ask(h, net))


def test_forged_key_beside_the_genuine_unsigned_keys_is_bogus() -> None:
    h = built(8)
    assert h.domain is not None
    (ds,) = ds_of(h.domain)
    genuine = [zk.dnskey for zk in h.domain.keys]
    net = h.network()
    forged = forge(8, ds.key_tag, random.Random(7), bits=16384)
    hostile(net, "example.test.", [forged, *genuine])
    assert_bogus(ask(h, net))


@pytest.mark.parametrize("forged_algs", [(8,), (13,), (8, 13)])
def test_mixed_ds_set_8_and_13_is_bogus(forged_algs: tuple[int, ...]) -> None:
    h = built(13, extra=(8,))
    assert h.domain is not None
    ds_set = ds_of(h.domain)
    assert {d.algorithm for d in ds_set} == {8, 13}
    rng = random.Random(sum(forged_algs))
    keys = [
        forge(d.algorithm, d.key_tag, rng, bits=16384 if d.algorithm == 8 else 512)
        for d in ds_set
        if d.algorithm in forged_algs
    ]
    net = h.network()
    hostile(net, "example.test.", keys)
    assert_bogus(ask(h, net))


def test_unsupported_ds_beside_a_supported_one_does_not_decide() -> None:
    """DS {253, 13} and DS digests {99, 2}: the supported ones decide, so
    forged keys for either make the zone BOGUS, not INSECURE."""
    h = Hierarchy(13, domain=None)
    zone = h.add_zone("example.test.", digest_types=(99, 2))
    zone.add("www 300 IN A 192.0.2.1")
    zone.add_key(FakeKey(253), 257, signs_keys=True, signs_zone=True)
    h.sign()
    served = h.tld.get(zone.apex, RRType.DS)
    ds_set = [rd for rd in served.rdatas if isinstance(rd, DS)]
    pairs = {(d.algorithm, d.digest_type) for d in ds_set}
    assert pairs == {(13, 2), (253, 2), (13, 99), (253, 99)}
    assert ask(h, h.network()).status is Status.SECURE
    rng = random.Random(11)
    keys = [forge(d.algorithm, d.key_tag, rng, bits=512) for d in ds_set]
    net = h.network()
    hostile(net, "example.test.", keys)
    assert_bogus(ask(h, net))


def test_mixed_ds_set_still_validates_honestly() -> None:
    h = built(13, extra=(8,))
    assert ask(h, h.network()).status is Status.SECURE


@pytest.mark.parametrize("ds_alg", [13, 15])
@pytest.mark.parametrize("forged_alg", SUPPORTED)
def test_forged_keys_of_every_algorithm_under_an_ec_ds_are_bogus(
    ds_alg: int, forged_alg: int
) -> None:
    h = built(ds_alg)
    assert h.domain is not None
    (ds,) = ds_of(h.domain)
    rng = random.Random(ds_alg * 100 + forged_alg)
    keys = [forge(forged_alg, ds.key_tag, rng, bits=b) for b in (512, 16384)]
    net = h.network()
    hostile(net, "example.test.", keys)
    assert_bogus(ask(h, net))


# -- a DS naming (by digest) a key the policy refuses -----------------------------------

STRICT = AlgorithmPolicy(min_rsa_bits=2048)


def small_rsa_hierarchy(extra_ec_ksk: bool = False) -> Hierarchy:
    """example.test. signed with a single 1024-bit RSA key (and perhaps an
    extra P-256 KSK whose DS the parent also publishes)."""
    h = Hierarchy(13, domain=None)
    zone = h.add_zone(
        "example.test.", algorithm=8, ksk=TestKey.generate(8, rsa_bits=1024), single_key=True
    )
    zone.add("www 300 IN A 192.0.2.1")
    if extra_ec_ksk:
        zone.add_key(cached_key(13, "extra-ksk"), 257, signs_keys=True, signs_zone=True)
    return h.sign()


def test_ds_naming_only_refused_keys_is_insecure() -> None:
    """The parent's signed DS says: this zone uses only a 1024-bit RSA key,
    which the policy refuses.  That is the RFC 4035 5.2 "unsupported" case,
    decided by the DS, not by the attacker: INSECURE with EDE 1."""
    h = small_rsa_hierarchy()
    answer = ask(h, h.network(), validator=Validator(h.anchors(), policy=STRICT))
    assert answer.status is Status.INSECURE, answer.summary()
    assert answer.reason is not None and answer.reason.ede == EDE.UNSUPPORTED_DNSKEY_ALGORITHM
    assert "key policy" in answer.reason.text
    # Under the default policy (1024 bits accepted) the same zone is SECURE.
    assert ask(h, h.network()).status is Status.SECURE


def test_forged_small_key_with_the_refused_keys_tag_is_bogus() -> None:
    h = small_rsa_hierarchy()
    (ds,) = ds_of(h.zones[N("example.test.")])
    net = h.network()
    hostile(net, "example.test.", [forge(8, ds.key_tag, random.Random(3), bits=1024)])
    assert_bogus(ask(h, net, validator=Validator(h.anchors(), policy=STRICT)))


def test_dropping_the_usable_key_beside_a_refused_one_is_bogus() -> None:
    """DS {RSA-1024, P-256}: the attacker serves only the genuine RSA key
    (which matches its DS but is refused).  The P-256 DS is unaccounted for,
    so the zone must validate through it: BOGUS, not INSECURE."""
    h = small_rsa_hierarchy(extra_ec_ksk=True)
    zone = h.zones[N("example.test.")]
    rsa_key = next(zk.dnskey for zk in zone.keys if zk.dnskey.algorithm == 8)
    validator = Validator(h.anchors(), policy=STRICT)
    assert ask(h, h.network(), validator=validator).status is Status.SECURE
    net = h.network()
    hostile(net, "example.test.", [rsa_key])
    answer = ask(h, net, validator=Validator(h.anchors(), policy=STRICT))
    assert answer.status is Status.BOGUS, answer.summary()
    assert "policy refuses" in answer.reason.text  # type: ignore[union-attr]


# -- recovery: a bad verdict is not kept longer than bogus_ttl ---------------------------


def test_bogus_root_is_forgotten_after_bogus_ttl() -> None:
    h = built(8)
    (anchor_ds,) = ds_of(h.root)
    cache = KeyCache()
    validator = Validator(h.anchors(), key_cache=cache)
    net = h.network()
    hostile(net, ".", [forge(8, anchor_ds.key_tag, random.Random(5), bits=512)])
    assert_bogus(ask(h, net, validator=validator))
    status, expires = cache.expiries()[N(".")]
    assert status is Status.BOGUS
    assert expires <= NOW + DEFAULT_LIMITS.bogus_ttl
    honest = h.network()
    # Still within bogus_ttl: the cached verdict stands (without a fetch).
    early = ask(h, honest, "www.other.test.", validator=validator, now=NOW + 30)
    assert early.status is Status.BOGUS
    late = ask(h, honest, "www.other.test.", validator=validator, now=NOW + 60)
    assert late.status is Status.SECURE, late.summary()
    assert cache.expiries()[N(".")][0] is Status.SECURE


def test_bogus_ttl_is_a_limit() -> None:
    h = built(8)
    (anchor_ds,) = ds_of(h.root)
    cache = KeyCache()
    limits = dataclasses.replace(DEFAULT_LIMITS, bogus_ttl=5)
    validator = Validator(h.anchors(), key_cache=cache, limits=limits)
    net = h.network()
    hostile(net, ".", [forge(8, anchor_ds.key_tag, random.Random(6), bits=16384)])
    assert_bogus(ask(h, net, validator=validator))
    assert cache.expiries()[N(".")] == (Status.BOGUS, NOW + 5)
    later = ask(h, h.network(), "www.other.test.", validator=validator, now=NOW + 5)
    assert later.status is Status.SECURE, later.summary()


# -- property (b): below a supported DS, never INSECURE -----------------------------------

forged_key = st.tuples(
    st.sampled_from((*SUPPORTED, 1, 3, 6, 12, 17, 253)),  # supported and not
    st.sampled_from((0, 256, 257, 385)),  # flags (385: revoked KSK)
    st.sampled_from((8, 256, 512, 1016, 1024, 2048, 4096, 4104, 8192, 16384)),  # RSA bits
    st.booleans(),  # the DS's tag, or a random one
    st.integers(0, 2**32),
)


#: Examples of the property per run; a benchmark-sized run sets
#: DNSSEC_LITE_DOWNGRADE_EXAMPLES (e.g. 5000).
EXAMPLES = int(os.environ.get("DNSSEC_LITE_DOWNGRADE_EXAMPLES", "60"))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    ds_case=st.sampled_from([(8, ()), (13, ()), (15, ()), (13, (8,))]),
    keys=st.lists(forged_key, min_size=1, max_size=5),
    with_genuine=st.booleans(),
    with_sigs=st.booleans(),
    where=st.sampled_from([".", "test.", "example.test."]),
    strict=st.booleans(),  # min_rsa_bits 2048: the genuine 2048-bit keys pass, forged 1024s not
)
def test_forged_dnskey_sets_never_downgrade(
    ds_case: tuple[int, tuple[int, ...]],
    keys: list[tuple[int, int, int, bool, int]],
    with_genuine: bool,
    with_sigs: bool,
    where: str,
    strict: bool,
) -> None:
    h = built(*ds_case)
    zone = h.zones[N(where)]
    ds_tags = [d.key_tag for d in ds_of(zone)]
    forged: list[DNSKEY] = []
    for alg, flags, bits, same_tag, seed in keys:
        rng = random.Random(seed)
        tag = rng.choice(ds_tags) if same_tag else rng.randrange(65536)
        forged.append(forge(alg, tag, rng, bits=bits, flags=flags))
    if with_genuine:
        forged += [zk.dnskey for zk in zone.keys]
    net = h.network()
    hostile(net, where, forged)
    if with_sigs:
        # The genuine RRSIGs over the genuine set, stapled to the forged one.
        sigs = zone.get(zone.apex, RRType.DNSKEY).sigs
        stapled = RRset(zone.apex, RRType.DNSKEY, RRClass.IN, 3600, forged, sigs)
        net.override(where, "DNSKEY", lambda msg: msg.replace(answer=(stapled,), authority=()))
    policy = STRICT if strict else AlgorithmPolicy()
    answer = ask(h, net, validator=Validator(h.anchors(), policy=policy))
    assert answer.status is not Status.INSECURE, answer.summary()
    assert answer.status is Status.BOGUS, answer.summary()


# -- property (c): no key-cache entry outlives its data ------------------------------------


def short_lived() -> Hierarchy:
    """TTLs and signature lifetimes that differ per zone, all under a day
    except the root's DNSKEY TTL, which is ten days."""
    h = Hierarchy(13)
    h.root.ttl = 10 * DAY
    h.tld.ttl = 7200
    h.tld.expiration = NOW + 1800  # the DS of example.test. expires first
    assert h.domain is not None
    h.domain.ttl = 5000
    h.domain.add("www 300 IN A 192.0.2.1")
    h.add_zone("unsigned.test.", signed=False).add("www 300 IN A 192.0.2.7")
    h.tld.ttl = 7200
    return h.sign()


def test_key_cache_entries_never_outlive_their_data() -> None:
    h = short_lived()
    cache = KeyCache()
    validator = Validator(h.anchors(), key_cache=cache)
    for qname in (WWW, "www.unsigned.test."):
        answer = ask(h, h.network(), qname, validator=validator)
        assert answer.status in (Status.SECURE, Status.INSECURE), answer.summary()
    got = cache.expiries()
    assert got[N(".")] == (Status.SECURE, NOW + DEFAULT_LIMITS.max_key_ttl)
    # test.: DNSKEY TTL 7200, but its signatures expire in 1800 s.
    assert got[N("test.")] == (Status.SECURE, NOW + 1800)
    # example.test.: its DS (signed by test.) expires in 1800 s.
    assert got[N("example.test.")] == (Status.SECURE, NOW + 1800)
    # unsigned.test.: the NSEC proving it has no DS has the TTL of the SOA
    # minimum, 300 s (shorter than its signature's 1800 s).
    assert got[N("unsigned.test.")] == (Status.INSECURE, NOW + 300)
    for zone, (_, expires) in got.items():
        assert expires <= NOW + DEFAULT_LIMITS.max_key_ttl, zone
    # One second before and at the expiry.
    assert cache.get(N("test."), NOW + 1799) is not None
    assert cache.get(N("test."), NOW + 1800) is None


@pytest.mark.parametrize("max_ttl", [1, 600, 86400])
def test_max_key_ttl_caps_every_entry(max_ttl: int) -> None:
    h = built(13)
    cache = KeyCache()
    limits = Limits(max_key_ttl=max_ttl)
    validator = Validator(h.anchors(), key_cache=cache, limits=limits)
    assert ask(h, h.network(), validator=validator).status is Status.SECURE
    got = cache.expiries()
    assert got, "nothing cached"
    for zone, (_, expires) in got.items():
        assert NOW < expires <= NOW + max_ttl, zone


def test_insecure_anchor_entry_is_capped() -> None:
    """An anchor of only unsupported algorithms: INSECURE, kept at most
    max_key_ttl (not the 2**31 s of old)."""
    h = built(13)
    ds = DS(12345, 253, 2, bytes(32))
    anchors = TrustAnchors({N("."): TrustAnchor(N("."), (ds,))})
    cache = KeyCache()
    limits = Limits(max_key_ttl=900)
    validator = Validator(anchors, key_cache=cache, limits=limits)
    answer = ask(h, h.network(), validator=validator)
    assert answer.status is Status.INSECURE, answer.summary()
    assert cache.expiries()[N(".")] == (Status.INSECURE, NOW + 900)


def test_message_helper_sanity() -> None:
    """The hostile answers really are what the tests claim (unsigned)."""
    h = built(8)
    net = h.network()
    (ds,) = ds_of(h.root)
    key = forge(8, ds.key_tag, random.Random(9), bits=512)
    hostile(net, ".", [key])
    msg = net.query(".", "DNSKEY")
    assert isinstance(msg, Message)
    (rrset,) = msg.answer
    assert list(rrset.rdatas) == [key] and not rrset.sigs
    assert key.key_tag == ds.key_tag and key.algorithm == ds.algorithm


# -- the recipe end to end: a hostile upstream in front of the stub resolver -------------


def upstream(net: FakeNetwork) -> TestServer:
    """A loopback server (free port) answering every query from ``net``."""

    def handle(query: Message, tcp: bool) -> bytes | None:
        q = query.question[0]
        result = net.query(q.name, q.rrtype)
        if not isinstance(result, Message):
            return None
        flags = FLAG_QR | FLAG_RA | (query.flags & (FLAG_RD | FLAG_CD))
        reply = result.replace(id=query.id, flags=flags, edns=Edns(flags=EDNS_DO))
        return reply.to_wire(max_size=None if tcp else 1232)

    return TestServer(handle)


def test_hostile_upstream_then_honest_through_the_resolver() -> None:
    """The recipe through ``Resolver``: not INSECURE with 6.6.6.6; once the
    upstream is honest and bogus_ttl has passed, another
    zone validates SECURE -- the root was not kept as a bad verdict."""
    h = built(8)
    (anchor_ds,) = ds_of(h.root)
    net = h.network()
    hostile(net, ".", [forge(8, anchor_ds.key_tag, random.Random(8), bits=512)])
    clock = [float(NOW)]
    with upstream(net) as srv:
        resolver = Resolver(
            [str(srv.server)], anchors=h.anchors(), clock=lambda: clock[0], attempts=1
        )
        answer = resolver.resolve(WWW, "A")
        # The stub resolver reports the unsigned DNSKEY set as an upstream
        # that strips DNSSEC (INDETERMINATE); either way not INSECURE.
        assert answer.status in (Status.BOGUS, Status.INDETERMINATE), answer.summary()
        assert answer.reason is not None and "digest" in answer.reason.text
        net.overrides.clear()  # the upstream turns honest
        clock[0] += DEFAULT_LIMITS.bogus_ttl
        later = resolver.resolve("www.other.test.", "A")
    assert later.status is Status.SECURE, later.summary()
    assert [str(rd) for rs in later.records() for rd in rs.rdatas] != ["6.6.6.6"]
