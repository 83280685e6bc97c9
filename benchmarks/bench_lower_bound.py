"""How close to the crypto floor can *any* pure-Python validator get?

``bench_validate`` compares dnssec_lite with the floor (the ``cryptography``
calls a chain needs, nothing else).  This benchmark adds a third runner, the
*skeleton*: the least Python a validator has to run around those calls, with
every check left out.  Per response it walks the header and the records,
decodes the owner names (following compression pointers), unpacks the RRSIG
fields, computes DNSKEY key tags, looks keys up by tag, converts ECDSA
signatures to DER, and assembles the RFC 4034 signed data; it checks nothing
(no signer, labels, time, flags or type checks, no denial logic), builds no
result and gives no reason.  It is a lower bound: a real validator does all of
this and more, so its time over the floor cannot be smaller than the
skeleton's.

When the skeleton's ratio to the floor is already above a target, that
target cannot be met in pure Python on this interpreter, whatever the design.
Run from the repository root::

    python -m benchmarks.bench_lower_bound             # 15 rounds
    python -m benchmarks.bench_lower_bound --rounds 5  # quicker
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import platform
import statistics
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_validate import (
    COLD_TARGET,
    VARIANTS,
    WARM_TARGET,
    FloorRunner,
    LiteRunner,
    _load,
)
from benchmarks.chainbuild import ECDSAP256SHA256, RSASHA256, Chain, build_chain

_HEADER = struct.Struct("!HHHHHH")
_RR = struct.Struct("!HHIH")
_RRSIG = struct.Struct("!HBBIIIH")
_HHI = struct.Struct("!HHI")
_H = struct.Struct("!H")
_DS = struct.Struct("!HBB")
_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_ECDSA = ec.ECDSA(hashes.SHA256())
T_DS, T_RRSIG, T_DNSKEY = 43, 46, 48

#: (owner canonical wire, type, class, ttl, rdata)
Record = tuple[bytes, int, int, int, bytes]


def _name(wire: bytes, pos: int) -> tuple[bytes, int]:
    """Lower-cased uncompressed name at ``pos`` and the offset after it."""
    parts = []
    end = -1
    while True:
        length = wire[pos]
        if length >= 0xC0:
            if end < 0:
                end = pos + 2
            pos = ((length & 0x3F) << 8) | wire[pos + 1]
            continue
        if length == 0:
            parts.append(b"\x00")
            return b"".join(parts).lower(), (pos + 1 if end < 0 else end)
        parts.append(wire[pos : pos + 1 + length])
        pos += 1 + length


def _records(wire: bytes) -> list[Record]:
    """Every record of the answer and authority sections (no checks)."""
    _id, _flags, qdcount, ancount, nscount, _ar = _HEADER.unpack_from(wire, 0)
    pos = 12
    for _ in range(qdcount):
        pos = _name(wire, pos)[1] + 4
    out = []
    unpack = _RR.unpack_from
    for _ in range(ancount + nscount):
        owner, pos = _name(wire, pos)
        rrtype, rrclass, ttl, rdlen = unpack(wire, pos)
        pos += 10
        out.append((owner, rrtype, rrclass, ttl, wire[pos : pos + rdlen]))
        pos += rdlen
    return out


def _key_tag(rdata: bytes) -> int:
    """RFC 4034 appendix B, the fastest way we know in Python."""
    total = (sum(rdata[0::2]) << 8) + sum(rdata[1::2])
    return (total + (total >> 16)) & 0xFFFF


def _verify_rrset(records: list[Record], rrtype: int, keys: dict[int, Any]) -> None:
    """Assemble the signed data of the ``rrtype`` RRset and verify its RRSIG."""
    rdatas = [r for r in records if r[1] == rrtype]
    sig = next(r[4] for r in records if r[1] == T_RRSIG)
    _covered, algorithm, _labels, original_ttl, _exp, _inc, tag = _RRSIG.unpack_from(sig, 0)
    signer_end = _name(sig, 18)[1]
    signature = sig[signer_end:]
    owner, _t, rrclass = rdatas[0][0], rdatas[0][1], rdatas[0][2]
    head = owner + _HHI.pack(rrtype, rrclass, original_ttl)
    parts = [sig[:18], sig[18:signer_end].lower()]
    for rdata in sorted({r[4] for r in rdatas}):
        parts += (head, _H.pack(len(rdata)), rdata)
    data = b"".join(parts)
    key = keys[tag]
    if algorithm == RSASHA256:
        key.verify(signature, data, _PKCS1, _SHA256)
    elif algorithm == ECDSAP256SHA256:
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        key.verify(der, data, _ECDSA)
    else:
        key.verify(signature, data)


class SkeletonRunner:
    """The least Python around the floor's calls; see the module docstring."""

    def __init__(self, chain: Chain) -> None:
        if chain.nxdomain:
            raise ValueError("the skeleton covers the positive chains only")
        self.chain = chain
        self.zones = [z.origin for z in chain.zones]
        self.answers = [chain.responses[q] for q in chain.questions]
        self.domain_keys: dict[int, Any] = {}
        self.cold()

    def _zone_keys(self, zone: str, ds_rdatas: list[bytes]) -> dict[int, Any]:
        records = _records(self.chain.responses[(zone, T_DNSKEY)])
        owner = records[0][0]
        tagged = {_key_tag(r[4]): r[4] for r in records if r[1] == T_DNSKEY}
        keys: dict[int, Any] = {}
        for ds in ds_rdatas:
            tag, algorithm, _digest_type = _DS.unpack_from(ds, 0)
            rdata = tagged[tag]
            if hashlib.sha256(owner + rdata).digest() != ds[4:]:
                raise AssertionError("skeleton: DS digest mismatch")
            keys[tag] = _load(algorithm, rdata[4:])
        _verify_rrset(records, T_DNSKEY, keys)
        for tag, rdata in tagged.items():  # the other keys (the ZSK)
            if tag not in keys:
                keys[tag] = _load(rdata[3], rdata[4:])
        return keys

    def cold(self) -> None:
        keys = self._zone_keys(self.zones[0], [self.chain.anchor_ds])
        for zone in self.zones[1:]:
            records = _records(self.chain.responses[(zone, T_DS)])
            _verify_rrset(records, T_DS, keys)
            keys = self._zone_keys(zone, [r[4] for r in records if r[1] == T_DS])
        for wire in self.answers:
            records = _records(wire)
            _verify_rrset(records, records[0][1], keys)
        self.domain_keys = keys

    def warm(self) -> None:
        keys = self.domain_keys
        for wire in self.answers:
            records = _records(wire)
            _verify_rrset(records, records[0][1], keys)


def _paired(runs: dict[str, Callable[[], object]], rounds: int, inner: int) -> dict[str, float]:
    """Median per-call time of each runner, the runners alternating."""
    samples: dict[str, list[float]] = {name: [] for name in runs}
    order = list(runs)
    gc.disable()
    try:
        for i in range(rounds):
            for name in order if i % 2 == 0 else reversed(order):
                fn = runs[name]
                start = time.perf_counter()
                for _ in range(inner):
                    fn()
                samples[name].append((time.perf_counter() - start) / inner)
    finally:
        gc.enable()
    return {name: statistics.median(values) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--inner", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"Python {platform.python_version()} ({platform.machine()}); medians per validation")
    print(
        "| chain | mode | floor µs | skeleton µs | dnssec_lite µs | skeleton/floor | "
        "lite/floor | target | reachable in pure Python |"
    )
    print("|---|---|--:|--:|--:|--:|--:|---|---|")
    for name in ("rsa", "p256", "ed25519"):
        chain = build_chain(VARIANTS[name])
        floor, skeleton, lite = FloorRunner(chain), SkeletonRunner(chain), LiteRunner(chain)
        for mode, target, inner in (
            ("cold", COLD_TARGET[name], args.inner),
            ("warm", WARM_TARGET, args.inner * 3),
        ):
            runs = {
                "floor": getattr(floor, mode),
                "skeleton": getattr(skeleton, mode),
                "lite": getattr(lite, mode),
            }
            t = _paired(runs, args.rounds, inner)
            bound = t["skeleton"] / t["floor"]
            verdict = "no: the skeleton alone misses it" if bound > target else "not excluded"
            print(
                f"| {chain.label} | {mode} | {t['floor'] * 1e6:,.0f} | "
                f"{t['skeleton'] * 1e6:,.0f} | {t['lite'] * 1e6:,.0f} | {bound:.2f} | "
                f"{t['lite'] / t['floor']:.2f} | ≤{target} | {verdict} |"
            )


if __name__ == "__main__":
    main()
