"""Work limits: KeyTrap-style key/signature floods and NSEC3 floods end fast,
BOGUS, with a limit reason.  Wall times are printed (run with ``-s``)."""

from __future__ import annotations

import dataclasses
import time

from dnssec_lite.dnssec.limits import Limits
from dnssec_lite.dnssec.status import Answer, Status
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.dnssec import DNSKEY, NSEC3, RRSIG
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import EDE, RRType
from tests.helpers.fakenet import validate_in
from tests.helpers.zonesigner import FakeKey, Hierarchy, NSEC3Params, ZoneKey, sign_rrset

N = Name.from_text
#: Generous bound for a slow CI machine; the real figures are printed.
MAX_SECONDS = 2.0


def colliding_keys(real: DNSKEY, count: int) -> list[DNSKEY]:
    """``count`` distinct keys sharing ``real``'s tag (and algorithm)."""
    out: list[DNSKEY] = []
    wire = bytearray(real.key)
    positions = [i for i in range(8, len(wire) - 2) if (i + 4) % 2 == 0]
    for n in range(count):
        key = bytearray(wire)
        i, j = (
            positions[n % len(positions)],
            positions[(n + 1 + n // len(positions)) % len(positions)],
        )
        if key[i] == 255 or key[j] == 0:
            key[i], key[j] = (key[i] - 1) & 0xFF, (key[j] + 1) & 0xFF
            if key[i] == 254 or key[j] == 1:
                pass
        else:
            key[i] += 1
            key[j] -= 1
        candidate = DNSKEY(real.flags, real.protocol, real.algorithm, bytes(key))
        if candidate.key_tag == real.key_tag and candidate != real and candidate not in out:
            out.append(candidate)
    return out


def timed(fn: object) -> tuple[Answer, float]:
    start = time.perf_counter()
    answer = fn()  # type: ignore[operator]
    return answer, time.perf_counter() - start


def assert_limit(answer: Answer) -> None:
    assert answer.status is Status.BOGUS, answer.summary()
    assert answer.reason is not None
    assert answer.reason.ede == EDE.DNSSEC_BOGUS
    assert "limit" in answer.reason.text, answer.summary()


def test_keytrap_colliding_ksks_and_signatures() -> None:
    """Dozens of DNSKEYs with the DS's key tag, dozens of RRSIGs over the
    DNSKEY RRset by that tag: every (key, signature) pair would have to be tried."""
    h = Hierarchy(8)  # RSA: the expensive verifications
    zone = h.domain
    assert zone is not None
    zone.add("www 300 IN A 192.0.2.1")
    h.sign()
    ksk = zone.keys[0]
    decoys = colliding_keys(ksk.dnskey, 60)
    assert len(decoys) >= 40
    dnskeys = RRset(zone.apex, RRType.DNSKEY, 1, 3600, [*decoys, *zone.dnskey_rrset().rdatas])
    sigs = [
        sign_rrset(dnskeys, FakeKey(8, d.key, 256), zone.apex, key_tag=ksk.dnskey.key_tag)
        for d in decoys[:50]
    ]
    sigs.append(sign_rrset(dnskeys, ksk.key, zone.apex, flags=ksk.flags))
    zone.put(dnskeys.with_sigs(sigs))
    answer, seconds = timed(lambda: validate_in(h, "www.example.test.", "A"))
    print(f"\nKeyTrap ({len(decoys)} colliding keys, {len(sigs)} RRSIGs): {seconds * 1000:.1f} ms")
    assert_limit(answer)
    assert seconds < MAX_SECONDS


def test_keytrap_colliding_zsks_on_answer() -> None:
    """The DNSKEY RRset is fine (signed by the KSK) but holds dozens of keys
    colliding with the ZSK; the answer carries dozens of RRSIGs by that tag."""
    h = Hierarchy(8)
    zone = h.domain
    assert zone is not None
    zone.add("www 300 IN A 192.0.2.1")
    zsk = zone.keys[1]
    decoys = colliding_keys(zsk.dnskey, 60)
    for d in decoys:
        zone.keys.insert(1, ZoneKey(FakeKey(8, d.key, 256), d.flags, False, False, in_ds=False))
    h.sign()
    plain = zone.get("www", RRType.A).without_sigs()
    sigs = [
        sign_rrset(plain, FakeKey(8, d.key, 256), zone.apex, key_tag=zsk.dnskey.key_tag)
        for d in decoys[:40]
    ]
    zone.put(plain.with_sigs(sigs))
    answer, seconds = timed(lambda: validate_in(h, "www.example.test.", "A"))
    print(
        f"\nKeyTrap on the answer ({len(decoys)} keys, {len(sigs)} RRSIGs): {seconds * 1000:.1f} ms"
    )
    assert_limit(answer)
    assert seconds < MAX_SECONDS


def test_nsec3_flood_of_signed_records() -> None:
    """Hundreds of signed NSEC3 records in one negative answer."""
    h = Hierarchy(13, nsec3=NSEC3Params(iterations=50, salt=b"\xff" * 8))
    zone = h.domain
    assert zone is not None
    h.sign()
    net = h.network()
    honest = net.honest("nope.example.test.", "A")
    template = next(r for r in honest.authority if r.rrtype == RRType.NSEC3)
    rd = template.rdatas[0]
    assert isinstance(rd, NSEC3)
    flood = []
    zsk = zone.keys[1]
    for i in range(300):
        owner = zone.apex.child(f"{i:032x}"[:32].encode())
        rrset = RRset(
            owner, RRType.NSEC3, 1, 300, [NSEC3(1, 0, rd.iterations, rd.salt, bytes(20), rd.types)]
        )
        flood.append(rrset.with_sigs([sign_rrset(rrset, zsk.key, zone.apex, flags=zsk.flags)]))
    net.override(
        "nope.example.test.", "A", lambda msg: msg.replace(authority=tuple(flood) + msg.authority)
    )
    answer, seconds = timed(lambda: validate_in(h, "nope.example.test.", "A", net=net))
    print(f"\nNSEC3 flood (300 signed NSEC3, 50 iterations): {seconds * 1000:.1f} ms")
    assert_limit(answer)
    assert seconds < MAX_SECONDS


def test_nsec3_hash_heavy_proof() -> None:
    """A deep name (closest-encloser search hashes every ancestor) with the
    maximum allowed iterations: bounded by the hash budget."""
    h = Hierarchy(13, nsec3=NSEC3Params(iterations=50, salt=b"\xab" * 16))
    h.sign()
    deep = "a." * 100 + "example.test."
    limits = dataclasses.replace(Limits(), max_nsec3_hashes=40)
    answer, seconds = timed(lambda: validate_in(h, deep, "A", limits=limits))
    print(f"\nNSEC3 hash-heavy proof (100-label name, 40-hash budget): {seconds * 1000:.1f} ms")
    assert_limit(answer)
    assert "NSEC3 hash" in answer.reason.text  # type: ignore[union-attr]
    assert seconds < MAX_SECONDS
    # With the default budget the same proof is fine (and still quick).
    answer, seconds = timed(lambda: validate_in(h, deep, "A"))
    print(f"NSEC3 proof for the 100-label name, default limits: {seconds * 1000:.1f} ms")
    assert answer.status is Status.SECURE, answer.summary()
    assert seconds < MAX_SECONDS


def test_oversized_rrset_is_refused() -> None:
    h = Hierarchy(13)
    zone = h.domain
    assert zone is not None
    zone.add(*(f"big 300 IN A 10.0.{i // 256}.{i % 256}" for i in range(150)))
    h.sign()
    answer = validate_in(h, "big.example.test.", "A")
    assert_limit(answer)


def test_cname_chain_too_long() -> None:
    h = Hierarchy(13)
    zone = h.domain
    assert zone is not None
    zone.add(*(f"c{i} 300 IN CNAME c{i + 1}" for i in range(20)), "c20 300 IN A 192.0.2.1")
    h.sign()
    answer = validate_in(h, "c0.example.test.", "A")
    assert answer.status is Status.BOGUS, answer.summary()


def test_signature_verification_budget_per_resolution() -> None:
    h = Hierarchy(13)
    zone = h.domain
    assert zone is not None
    zone.add("www 300 IN A 192.0.2.1")
    h.sign()
    plain = zone.get("www", RRType.A)
    zsk = zone.keys[1]
    bad: list[RRSIG] = [
        sign_rrset(
            plain.without_sigs(),
            FakeKey(13, zsk.key.public_key_bytes),
            zone.apex,
            key_tag=zsk.dnskey.key_tag,
        )
        for _ in range(3)
    ]
    zone.put(plain.with_sigs([*bad, *plain.sigs]))
    tight = dataclasses.replace(Limits(), max_verifications=4)
    assert_limit(validate_in(h, "www.example.test.", "A", limits=tight))
    assert validate_in(h, "www.example.test.", "A").status is Status.SECURE
    _ = Message
