"""Hand-made adversarial vectors: what an attacker's upstream would send.

Each builder resolves a question against signed test zones served by the
fake network (through the recorder, so the vector holds real exchanges),
then changes the recorded wire octets the way an attacker would: key-tag
collisions (KeyTrap), NSEC3 with excessive iterations, a compression loop,
truncated answers, replies with a spoofed ID, and a DNAME chain.

:data:`INTENT` is the verdict each must get -- written here by hand, not
taken from the validator -- and ``scripts/record-vectors.py --adversarial``
refuses to write a vector whose recorded result disagrees with it.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable

from dnssec_lite.resolve.exchange import Server
from dnssec_lite.resolve.resolver import Resolver
from dnssec_lite.vectors.format import Exchange, Vector
from dnssec_lite.vectors.record import record_resolution
from dnssec_lite.vectors.replay import replay_vector
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import FLAG_TC, RRType
from tests.helpers.fakenet import FakeNetwork
from tests.helpers.zonesigner import NOW, FakeKey, Hierarchy, NSEC3Params, sign_rrset

__all__ = ["BUILDERS", "INTENT", "build_all"]

UPSTREAM = Server("192.0.2.53")
SECOND = Server("192.0.2.54")

#: Vector name -> (status, rcode) it must replay to.
INTENT: dict[str, tuple[str, str]] = {
    "keytrap-colliding-ksks": ("bogus", "NOERROR"),
    "keytrap-colliding-zsks": ("bogus", "NOERROR"),
    "nsec3-excessive-iterations": ("insecure", "NXDOMAIN"),
    "compression-loop": ("indeterminate", "SERVFAIL"),
    "truncated-then-tcp": ("secure", "NOERROR"),
    "truncated-no-tcp": ("indeterminate", "SERVFAIL"),
    "spoofed-id-only": ("indeterminate", "SERVFAIL"),
    "spoofed-id-then-genuine": ("secure", "NOERROR"),
    "dname-secure": ("secure", "NOERROR"),
}


def _record(
    h: Hierarchy, name: str, rrtype: str, description: str, servers: list[Server] | None = None
) -> Vector:
    net = FakeNetwork(list(h.zones.values()))
    resolver = Resolver(
        servers=servers or [UPSTREAM], anchors=h.anchors(), clock=lambda: float(NOW)
    )
    command = ["python", "scripts/record-vectors.py", "--adversarial"]
    _answer, vector = record_resolution(
        resolver, name, rrtype, net, command=command, description=description, now=NOW
    )
    return dataclasses.replace(vector, provenance={**vector.provenance, "made": "by hand"})


def _edit(vector: Vector, match: Callable[[Exchange], bool], *new: Exchange) -> Vector:
    """The vector with the first exchange that ``match`` es replaced by ``new``."""
    out: list[Exchange] = []
    done = False
    for ex in vector.exchanges:
        if not done and match(ex):
            out += new
            done = True
        else:
            out.append(ex)
    assert done, "no exchange matched"
    return dataclasses.replace(vector, exchanges=tuple(out))


def _is_question(vector: Vector) -> Callable[[Exchange], bool]:
    return lambda ex: ex.question == vector.question


def _with_expected(vector: Vector) -> Vector:
    """The vector with its expected result taken from a replay of its (edited)
    exchanges, which :func:`build_all` then checks against :data:`INTENT`."""
    from dnssec_lite.vectors.record import expected_of

    result = replay_vector(vector)
    assert result.answer is not None, result.error
    return dataclasses.replace(vector, expected=expected_of(result.answer))


def _colliding_keys(real_key: bytes, flags: int, algorithm: int, tag: int, count: int) -> list:  # type: ignore[type-arg]
    from dnssec_lite.wire.rdata.dnssec import DNSKEY

    out: list[DNSKEY] = []
    wire = bytearray(real_key)
    positions = [i for i in range(8, len(wire) - 2) if i % 2 == 0]
    for n in range(len(positions) * 4):
        if len(out) >= count:
            break
        key = bytearray(wire)
        i = positions[n % len(positions)]
        j = positions[(n + 1 + n // len(positions)) % len(positions)]
        if i == j or key[i] == 255 or key[j] == 0:
            continue
        key[i] += 1
        key[j] -= 1
        candidate = DNSKEY(flags, 3, algorithm, bytes(key))
        if candidate.key_tag == tag and candidate not in out:
            out.append(candidate)
    return out


def keytrap_colliding_ksks() -> Vector:
    h = Hierarchy(8)
    zone = h.domain
    assert zone is not None
    zone.add("www 300 IN A 192.0.2.1")
    h.sign()
    ksk = zone.keys[0]
    real = ksk.dnskey
    decoys = _colliding_keys(real.key, real.flags, 8, real.key_tag, 40)
    dnskeys = RRset(zone.apex, RRType.DNSKEY, 1, 3600, [*decoys, *zone.dnskey_rrset().rdatas])
    sigs = [
        sign_rrset(dnskeys, FakeKey(8, d.key, 256), zone.apex, key_tag=real.key_tag)
        for d in decoys[:40]
    ]
    sigs.append(sign_rrset(dnskeys, ksk.key, zone.apex, flags=ksk.flags))
    zone.put(dnskeys.with_sigs(sigs))
    return _record(
        h,
        "www.example.test.",
        "A",
        f"KeyTrap: {len(decoys)} DNSKEYs share the KSK's key tag and {len(sigs) - 1} RRSIGs "
        "over the DNSKEY RRset claim it; the validator must stop at its work limit (bogus), "
        "not try every pair",
    )


def keytrap_colliding_zsks() -> Vector:
    from tests.helpers.zonesigner import ZoneKey

    h = Hierarchy(8)
    zone = h.domain
    assert zone is not None
    zone.add("www 300 IN A 192.0.2.1")
    zsk = zone.keys[1]
    real = zsk.dnskey
    decoys = _colliding_keys(real.key, real.flags, 8, real.key_tag, 40)
    for d in decoys:
        zone.keys.insert(1, ZoneKey(FakeKey(8, d.key, 256), d.flags, False, False, in_ds=False))
    h.sign()
    plain = zone.get("www", RRType.A).without_sigs()
    sigs = [
        sign_rrset(plain, FakeKey(8, d.key, 256), zone.apex, key_tag=real.key_tag)
        for d in decoys[:30]
    ]
    zone.put(plain.with_sigs(sigs))
    return _record(
        h,
        "www.example.test.",
        "A",
        f"KeyTrap on the answer: {len(decoys)} DNSKEYs collide with the ZSK's tag and the "
        f"answer carries {len(sigs)} RRSIGs by that tag, none valid: bogus at the work limit",
    )


def nsec3_excessive_iterations() -> Vector:
    h = Hierarchy(13, domain=None)
    h.add_zone("example.test.", nsec3=NSEC3Params(iterations=2500, salt=b"\xab\xcd"))
    h["example.test."].add("www 300 IN A 192.0.2.1")
    h.sign()
    return _record(
        h,
        "nothere.example.test.",
        "A",
        "NXDOMAIN proved with NSEC3 of 2500 iterations: above the RFC 9276 limit, so the "
        "proof is not computed and the answer is insecure (not secure, and no hashing flood)",
    )


def _compression_loop(reply: bytes) -> bytes:
    """The reply with its first answer record's owner a pointer to itself."""
    msg = Message.from_wire(reply)
    assert msg.answer, "the reply has an answer to corrupt"
    # header (12) + question: name + type + class; the answer starts after it
    pos = 12
    while reply[pos] != 0:
        pos += 1 + reply[pos]
    pos += 5
    return reply[:pos] + struct.pack("!H", 0xC000 | pos) + reply[pos + 2 :]


def compression_loop() -> Vector:
    h = Hierarchy(13)
    assert h.domain is not None
    h.domain.add("www 300 IN A 192.0.2.1")
    h.sign()
    v = _record(
        h,
        "www.example.test.",
        "A",
        "the answer's owner name is a compression pointer to itself: the message is "
        "malformed, ignored as a transport would, and the lookup fails (no loop, no crash)",
    )
    ex = next(e for e in v.exchanges if e.question == v.question)
    assert ex.response is not None
    bad = dataclasses.replace(ex, response=_compression_loop(ex.response))
    return _with_expected(_edit(v, _is_question(v), bad))


def _truncated(reply: bytes) -> bytes:
    msg = Message.from_wire(reply)
    cut = Message(msg.id, msg.flags | FLAG_TC, msg.opcode, msg.rcode, msg.question, edns=msg.edns)
    return cut.to_wire()


def truncated(then_tcp: bool) -> Vector:
    h = Hierarchy(13)
    assert h.domain is not None
    h.domain.add("www 300 IN A 192.0.2.1")
    h.sign()
    what = (
        "the UDP answer is truncated (TC=1) and the full one comes over TCP: secure, via TCP"
        if then_tcp
        else "the UDP answer is truncated (TC=1) and no TCP answer exists: the lookup fails, "
        "the empty truncated answer is never taken for a NODATA"
    )
    v = _record(h, "www.example.test.", "A", what)
    ex = next(e for e in v.exchanges if e.question == v.question)
    assert ex.response is not None
    udp = dataclasses.replace(ex, response=_truncated(ex.response), tcp=False)
    new = [udp, dataclasses.replace(ex, tcp=True)] if then_tcp else [udp]
    return _with_expected(_edit(v, _is_question(v), *new))


def _spoofed(reply: bytes) -> bytes:
    return struct.pack("!H", (struct.unpack_from("!H", reply)[0] + 1) & 0xFFFF) + reply[2:]


def spoofed(then_genuine: bool) -> Vector:
    h = Hierarchy(13)
    assert h.domain is not None
    h.domain.add("www 300 IN A 192.0.2.1")
    h.sign()
    h.domain.tamper("www", RRType.A, "203.0.113.66")
    what = (
        "the first upstream's reply to the question carries another ID than the query "
        "(an off-path spoof with forged data): ignored; the second upstream's genuine reply "
        "validates"
        if then_genuine
        else "the only reply to the question carries another ID than the query (an "
        "off-path spoof): ignored, so the lookup times out instead of accepting it"
    )
    servers = [UPSTREAM, SECOND] if then_genuine else [UPSTREAM]
    v = _record(h, "www.example.test.", "A", what, servers)
    ex = next(e for e in v.exchanges if e.question == v.question)
    assert ex.response is not None
    forged = dataclasses.replace(ex, response=_spoofed(ex.response))
    v = _edit(v, _is_question(v), forged)
    if then_genuine:
        honest = Hierarchy(13)
        assert honest.domain is not None
        honest.domain.add("www 300 IN A 192.0.2.1")
        honest.sign()
        good = _record(honest, "www.example.test.", "A", what)
        genuine = [dataclasses.replace(e, server=SECOND) for e in good.exchanges]
        v = dataclasses.replace(v, exchanges=(*v.exchanges, *genuine), upstreams=(UPSTREAM, SECOND))
    return _with_expected(v)


def dname_secure() -> Vector:
    h = Hierarchy(13)
    assert h.domain is not None
    h.domain.add("old 300 IN DNAME new.example.test.", "www.new 300 IN A 192.0.2.7")
    h.sign()
    return _record(
        h,
        "www.old.example.test.",
        "A",
        "a signed DNAME (old -> new) and its synthesized CNAME: secure, the chain followed",
    )


BUILDERS: dict[str, Callable[[], Vector]] = {
    "keytrap-colliding-ksks": keytrap_colliding_ksks,
    "keytrap-colliding-zsks": keytrap_colliding_zsks,
    "nsec3-excessive-iterations": nsec3_excessive_iterations,
    "compression-loop": compression_loop,
    "truncated-then-tcp": lambda: truncated(True),
    "truncated-no-tcp": lambda: truncated(False),
    "spoofed-id-only": lambda: spoofed(False),
    "spoofed-id-then-genuine": lambda: spoofed(True),
    "dname-secure": dname_secure,
}


def build_all() -> dict[str, Vector]:
    """Every adversarial vector, each checked against its :data:`INTENT`."""
    out: dict[str, Vector] = {}
    for name, build in BUILDERS.items():
        vector = build()
        want = INTENT[name]
        got = (vector.expected.status, vector.expected.rcode)
        if got != want:
            raise AssertionError(f"{name}: recorded {got}, intended {want}")
        out[name] = vector
    return out
