"""A small, self-contained builder of signed DNS chains for the benchmarks.

It produces exactly what a validating stub receives from a recursive server
(DO=1, CD=1): the wire bytes of each response, for a three-level hierarchy
``.`` -> ``net.`` -> ``example.net.``, each zone with a KSK (flags 257) that
signs the DNSKEY RRset and a ZSK (flags 256) that signs everything else:

* ``./DNSKEY``, ``net./DS``, ``net./DNSKEY``, ``example.net./DS``,
  ``example.net./DNSKEY`` -- the chain of trust;
* ``example.net./MX``, ``mail.example.net./A`` and
  ``_25._tcp.mail.example.net./TLSA`` -- the answers a DANE SMTP check needs;
  with ``nxdomain=True`` the TLSA name does not exist and the response is an
  NXDOMAIN with a signed SOA and the NSEC3 closest-encloser proof
  (RFC 5155 section 7.2.2; SHA-1, no salt, 0 iterations as RFC 9276 asks).

Nothing here imports dnssec_lite: the bytes are built with ``struct``,
``hashlib`` and ``cryptography`` only, so that the library under test cannot
hide its own encoding bugs, and the benchmark does not depend on test-only
helpers.  Alongside the responses, :class:`Chain` records the raw material
of the cryptographic floor: the public-key fields to load, the DS digests
to compute, every (key, signature, signed data) to verify and the names to
hash for the NSEC3 proof.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

RSASHA256 = 8
ECDSAP256SHA256 = 13
ED25519 = 15

ALG_NAMES = {RSASHA256: "RSASHA256-2048", ECDSAP256SHA256: "ECDSAP256", ED25519: "ED25519"}

T_A, T_NS, T_SOA, T_MX, T_DS, T_RRSIG, T_DNSKEY, T_NSEC3 = 1, 2, 6, 15, 43, 46, 48, 50
T_NSEC3PARAM, T_TLSA, T_OPT = 51, 52, 41
CLASS_IN = 1

#: The clock every chain is built for (2025-06-15); signatures are valid
#: from a day before to two weeks after.
NOW = 1_750_000_000
INCEPTION = NOW - 86_400
EXPIRATION = NOW + 14 * 86_400

_HHIH = struct.Struct("!HHIH")
_RRSIG_FIXED = struct.Struct("!HBBIIIH")


def name_wire(text: str) -> bytes:
    """Uncompressed, lower-cased wire form of an absolute name (no escapes)."""
    labels = [lb for lb in text.lower().rstrip(".").split(".") if lb]
    return b"".join(bytes([len(lb)]) + lb.encode("ascii") for lb in labels) + b"\x00"


def label_count(text: str) -> int:
    labels = [lb for lb in text.rstrip(".").split(".") if lb]
    return len(labels) - (1 if labels and labels[0] == "*" else 0)


def key_tag(rdata: bytes) -> int:
    """RFC 4034 appendix B."""
    acc = 0
    for i, octet in enumerate(rdata):
        acc += octet if i & 1 else octet << 8
    acc += (acc >> 16) & 0xFFFF
    return acc & 0xFFFF


def type_bitmap(types: list[int]) -> bytes:
    """RFC 4034 section 4.1.2 window blocks."""
    windows: dict[int, bytearray] = {}
    for rrtype in sorted(types):
        window, low = divmod(rrtype, 256)
        bits = windows.setdefault(window, bytearray())
        while len(bits) <= low // 8:
            bits.append(0)
        bits[low // 8] |= 0x80 >> (low % 8)
    return b"".join(bytes([w, len(b)]) + bytes(b) for w, b in sorted(windows.items()))


def nsec3_hash(name: bytes, salt: bytes = b"", iterations: int = 0) -> bytes:
    digest = hashlib.sha1(name + salt).digest()
    for _ in range(iterations):
        digest = hashlib.sha1(digest + salt).digest()
    return digest


def b32hex(data: bytes) -> str:
    return base64.b32hexencode(data).decode("ascii").rstrip("=").lower()


class SigningKey:
    """A DNSSEC private key with its DNSKEY RDATA and key tag."""

    def __init__(self, algorithm: int, flags: int) -> None:
        self.algorithm = algorithm
        self.flags = flags
        if algorithm == RSASHA256:
            self._rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            nums = self._rsa.public_key().public_numbers()
            e = nums.e.to_bytes((nums.e.bit_length() + 7) // 8, "big")
            n = nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")
            self.public = bytes([len(e)]) + e + n  # RFC 3110 section 2
        elif algorithm == ECDSAP256SHA256:
            self._ec = ec.generate_private_key(ec.SECP256R1())
            point = self._ec.public_key().public_numbers()
            self.public = point.x.to_bytes(32, "big") + point.y.to_bytes(32, "big")
        elif algorithm == ED25519:
            self._ed = ed25519.Ed25519PrivateKey.generate()
            self.public = self._ed.public_key().public_bytes_raw()
        else:
            raise ValueError(f"unsupported algorithm {algorithm}")
        self.rdata = struct.pack("!HBB", flags, 3, algorithm) + self.public
        self.tag = key_tag(self.rdata)

    def sign(self, data: bytes) -> bytes:
        """The RRSIG signature field (RFC 3110, RFC 6605 r|s, RFC 8080)."""
        if self.algorithm == RSASHA256:
            return self._rsa.sign(data, padding.PKCS1v15(), hashes.SHA256())
        if self.algorithm == ECDSAP256SHA256:
            r, s = decode_dss_signature(self._ec.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return self._ed.sign(data)


@dataclass
class Zone:
    origin: str
    ksk: SigningKey
    zsk: SigningKey

    @property
    def wire(self) -> bytes:
        return name_wire(self.origin)


@dataclass
class Verify:
    """One signature check the chain needs: the floor's unit of work."""

    algorithm: int
    public: bytes  # DNSKEY public-key field
    signature: bytes  # RRSIG signature field
    data: bytes  # RFC 4034 3.1.8.1 signed data
    what: str
    answer: bool  # part of an answer (what a warm validation still checks)


@dataclass
class RRsetSpec:
    owner: str
    rrtype: int
    ttl: int
    rdatas: list[bytes]
    sigs: list[bytes] = field(default_factory=list)


@dataclass
class Chain:
    """Responses by (name, type) plus the raw material of the floor."""

    label: str
    algorithms: tuple[int, int, int]
    nxdomain: bool
    now: int
    #: DS RDATA of the root KSK: the trust anchor.
    anchor_ds: bytes
    #: (qname, qtype) -> response wire bytes, names lower-case and absolute.
    responses: dict[tuple[str, int], bytes]
    #: The three questions validated, in order (MX, A, TLSA).
    questions: list[tuple[str, int]]
    #: DNSKEYs a cold validation loads: (algorithm, public-key field).
    keys: list[tuple[int, bytes]]
    #: DS digests to compute: (owner wire, DNSKEY RDATA, expected SHA-256 digest).
    ds_checks: list[tuple[bytes, bytes, bytes]]
    verifies: list[Verify]
    #: Names hashed by the NSEC3 proof (wire form; SHA-1, no salt, 0 iterations).
    nsec3_names: list[bytes]
    zones: list[Zone] = field(default_factory=list)

    def answer_verifies(self) -> list[Verify]:
        return [v for v in self.verifies if v.answer]


class _Signer:
    def __init__(self, chain_verifies: list[Verify]) -> None:
        self.verifies = chain_verifies

    def sign(
        self, spec: RRsetSpec, zone: Zone, key: SigningKey, *, answer: bool, ttl: int | None = None
    ) -> RRsetSpec:
        """Add an RRSIG by ``key`` of ``zone`` to ``spec`` (RFC 4034 3.1.8.1)."""
        original_ttl = spec.ttl if ttl is None else ttl
        header = (
            _RRSIG_FIXED.pack(
                spec.rrtype,
                key.algorithm,
                label_count(spec.owner),
                original_ttl,
                EXPIRATION,
                INCEPTION,
                key.tag,
            )
            + zone.wire
        )
        owner = name_wire(spec.owner)
        fixed = owner + struct.pack("!HHI", spec.rrtype, CLASS_IN, original_ttl)
        body = b"".join(fixed + struct.pack("!H", len(rd)) + rd for rd in sorted(set(spec.rdatas)))
        data = header + body
        signature = key.sign(data)
        spec.sigs.append(header + signature)
        self.verifies.append(
            Verify(
                key.algorithm, key.public, signature, data, f"{spec.owner}/{spec.rrtype}", answer
            )
        )
        return spec


def _write_name(out: bytearray, text: str, qname: str) -> None:
    if text.lower() == qname:
        out += b"\xc0\x0c"  # compress to the question name
    else:
        out += name_wire(text)


def message(
    qname: str,
    qtype: int,
    answer: list[RRsetSpec],
    authority: list[RRsetSpec] = (),  # type: ignore[assignment]
    rcode: int = 0,
) -> bytes:
    """A response (QR RD RA CD, EDNS0 DO) with owners compressed to the qname."""
    out = bytearray(12)
    out += name_wire(qname) + struct.pack("!HH", qtype, CLASS_IN)
    counts = []
    for section in (answer, authority):
        n = 0
        for spec in section:
            for rrtype, rdatas in ((spec.rrtype, spec.rdatas), (T_RRSIG, spec.sigs)):
                for rd in rdatas:
                    _write_name(out, spec.owner, qname)
                    out += _HHIH.pack(rrtype, CLASS_IN, spec.ttl, len(rd)) + rd
                    n += 1
        counts.append(n)
    out += b"\x00" + _HHIH.pack(T_OPT, 1232, 0x8000, 0)  # OPT, DO set
    flags = 0x8000 | 0x0100 | 0x0080 | 0x0010 | rcode  # QR RD RA CD
    struct.pack_into("!HHHHHH", out, 0, 0x1234, flags, 1, counts[0], counts[1], 1)
    return bytes(out)


def build_chain(
    algorithms: tuple[int, int, int], *, nxdomain: bool = False, label: str | None = None
) -> Chain:
    """Sign ``.``, ``net.`` and ``example.net.`` with the algorithms given
    (root, TLD, domain) and build every response of one DANE lookup."""
    zones = [
        Zone(origin, SigningKey(alg, 257), SigningKey(alg, 256))
        for origin, alg in zip((".", "net.", "example.net."), algorithms, strict=True)
    ]
    verifies: list[Verify] = []
    signer = _Signer(verifies)
    responses: dict[tuple[str, int], bytes] = {}
    ds_checks: list[tuple[bytes, bytes, bytes]] = []
    keys: list[tuple[int, bytes]] = []

    def ds_rdata(zone: Zone) -> bytes:
        digest = hashlib.sha256(zone.wire + zone.ksk.rdata).digest()
        ds_checks.append((zone.wire, zone.ksk.rdata, digest))
        return struct.pack("!HBB", zone.ksk.tag, zone.ksk.algorithm, 2) + digest

    anchor_ds = ds_rdata(zones[0])
    for i, zone in enumerate(zones):
        if i:  # the DS of this zone, signed by the parent's ZSK
            parent = zones[i - 1]
            ds = RRsetSpec(zone.origin, T_DS, 86400, [ds_rdata(zone)])
            signer.sign(ds, parent, parent.zsk, answer=False)
            responses[(zone.origin, T_DS)] = message(zone.origin, T_DS, [ds])
        dnskey = RRsetSpec(zone.origin, T_DNSKEY, 3600, [zone.ksk.rdata, zone.zsk.rdata])
        signer.sign(dnskey, zone, zone.ksk, answer=False)
        keys.append((zone.ksk.algorithm, zone.ksk.public))
        keys.append((zone.zsk.algorithm, zone.zsk.public))
        responses[(zone.origin, T_DNSKEY)] = message(zone.origin, T_DNSKEY, [dnskey])

    dom = zones[2]
    mx = RRsetSpec(
        "example.net.", T_MX, 3600, [struct.pack("!H", 10) + name_wire("mail.example.net.")]
    )
    signer.sign(mx, dom, dom.zsk, answer=True)
    responses[("example.net.", T_MX)] = message("example.net.", T_MX, [mx])
    a = RRsetSpec("mail.example.net.", T_A, 3600, [bytes([192, 0, 2, 25])])
    signer.sign(a, dom, dom.zsk, answer=True)
    responses[("mail.example.net.", T_A)] = message("mail.example.net.", T_A, [a])

    tlsa_name = "_25._tcp.mail.example.net."
    nsec3_names: list[bytes] = []
    if not nxdomain:
        tlsa_data = bytes([3, 1, 1]) + hashlib.sha256(b"mail.example.net. SPKI").digest()
        tlsa = RRsetSpec(tlsa_name, T_TLSA, 3600, [tlsa_data])
        signer.sign(tlsa, dom, dom.zsk, answer=True)
        responses[(tlsa_name, T_TLSA)] = message(tlsa_name, T_TLSA, [tlsa])
    else:
        soa_rdata = (
            name_wire("ns1.example.net.")
            + name_wire("hostmaster.example.net.")
            + struct.pack("!IIIII", 2025061501, 7200, 3600, 1209600, 3600)
        )
        soa = RRsetSpec("example.net.", T_SOA, 3600, [soa_rdata])
        signer.sign(soa, dom, dom.zsk, answer=True)
        # The zone's names and their types; the NSEC3 chain over their hashes.
        existing = {
            "example.net.": [T_SOA, T_NS, T_MX, T_RRSIG, T_DNSKEY, T_NSEC3PARAM],
            "mail.example.net.": [T_A, T_RRSIG],
            "www.example.net.": [T_A, T_RRSIG],
            "ns1.example.net.": [T_A, T_RRSIG],
            "ns2.example.net.": [T_A, T_RRSIG],
            "_dmarc.example.net.": [16, T_RRSIG],
        }
        hashed = sorted((nsec3_hash(name_wire(n)), types) for n, types in existing.items())
        ring = []
        for idx, (owner_hash, types) in enumerate(hashed):
            nxt = hashed[(idx + 1) % len(hashed)][0]
            rdata = struct.pack("!BBHB", 1, 0, 0, 0) + bytes([len(nxt)]) + nxt + type_bitmap(types)
            ring.append((owner_hash, nxt, rdata))

        def matching(h: bytes) -> int:
            return next(i for i, (o, _, _) in enumerate(ring) if o == h)

        def covering(h: bytes) -> int:
            for i, (o, n, _) in enumerate(ring):
                if (o < h < n) if o < n else (h > o or h < n):
                    return i
            raise AssertionError("the ring covers every hash")

        ce, next_closer, wildcard = (
            "mail.example.net.",
            "_tcp.mail.example.net.",
            "*.mail.example.net.",
        )
        # The names a validator hashes: the candidates from the qname up to
        # the closest encloser, then the wildcard at it.
        nsec3_names = [name_wire(n) for n in (tlsa_name, next_closer, ce, wildcard)]
        picked = [
            matching(nsec3_hash(name_wire(ce))),
            covering(nsec3_hash(name_wire(next_closer))),
            covering(nsec3_hash(name_wire(wildcard))),
        ]
        authority = [soa]
        for i in dict.fromkeys(picked):
            owner = f"{b32hex(ring[i][0])}.example.net."
            spec = RRsetSpec(owner, T_NSEC3, 3600, [ring[i][2]])
            signer.sign(spec, dom, dom.zsk, answer=True)
            authority.append(spec)
        responses[(tlsa_name, T_TLSA)] = message(tlsa_name, T_TLSA, [], authority, rcode=3)

    algs = {ALG_NAMES[a] for a in algorithms}
    if label is None:
        label = (
            algs.pop() if len(algs) == 1 else "mixed " + "/".join(ALG_NAMES[a] for a in algorithms)
        )
    return Chain(
        label=label,
        algorithms=algorithms,
        nxdomain=nxdomain,
        now=NOW,
        anchor_ds=anchor_ds,
        responses=responses,
        questions=[("example.net.", T_MX), ("mail.example.net.", T_A), (tlsa_name, T_TLSA)],
        keys=keys,
        ds_checks=ds_checks,
        verifies=verifies,
        nsec3_names=nsec3_names,
        zones=zones,
    )


__all__ = ["NOW", "Chain", "SigningKey", "Verify", "build_chain", "message", "name_wire"]
