"""Offline validation of whole DNSSEC chains, from the wire bytes.

Each scenario is one DANE lookup against the signed hierarchy built by
:mod:`benchmarks.chainbuild`: root DNSKEY (from the root DS anchor), TLD DS
and DNSKEY, domain DS and DNSKEY, then the MX, A and TLSA answers (or, in the
``nx`` variant, an NXDOMAIN for the TLSA proved with NSEC3).  Three
implementations do the same work and run alternately in the same process:

* ``dnssec_lite`` -- ``Message.from_wire`` for every response and a
  :class:`ValidationJob` per question, the job's fetches fed from a dict;
* ``dnspython`` -- ``dns.message.from_wire`` for every response, then
  ``dns.dnssec.validate`` on each RRset, ``dns.dnssec.make_ds`` compared with
  the DS, and for the NSEC3 proof ``dns.dnssec.nsec3_hash`` on the same names
  plus the covering checks written out (dnspython has no proof logic);
* ``floor`` -- what no validator can avoid: load the DNSKEYs with
  ``cryptography``, compute the DS digests, call ``verify`` on precomputed
  signed data (ECDSA signatures already DER-encoded), and hash the NSEC3
  names.  No parsing, no objects.

*Cold* starts with empty caches (KeyCache and the loaded-key cache) and
parses every response; *warm* repeats the three questions in the same zones
with the keys cached, so it parses and checks the answers only (its floor:
the answer verifications, plus the NSEC3 hashes in the ``nx`` variant).

Timing: each sample runs one implementation ``--inner`` times with the
garbage collector off; implementations alternate within each round (order
reversed every other round); the table shows per-validation medians over
``--rounds`` rounds, and the ratios as medians of the per-round ratios
(``(best)``: the ratio of the best samples).  Run from the repository root::

    python -m benchmarks.bench_validate            # the full table
    python -m benchmarks.bench_validate --quick    # fewer rounds
    python -m benchmarks.bench_validate --profile rsa   # cProfile a cold RSA chain
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import gc
import hashlib
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cryptography
import dns
import dns._features

if not dns._features.have("dnssec"):
    # dnspython 2.9 asks for a newer cryptography than the one installed,
    # with which it works fine; its own escape hatch (meant for cases where
    # the version check misjudges) turns DNSSEC back on.  Before dns.dnssec.
    dns._features.force("dnssec", True)

import dns.dnssec
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.version
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.chainbuild import (
    ECDSAP256SHA256,
    ED25519,
    RSASHA256,
    T_NSEC3,
    Chain,
    build_chain,
)
from dnssec_lite.dnssec import algorithms as lite_algorithms
from dnssec_lite.dnssec.chain import KeyCache, Validator
from dnssec_lite.dnssec.status import Status
from dnssec_lite.dnssec.trust import TrustAnchor, TrustAnchors
from dnssec_lite.errors import TransportError
from dnssec_lite.resolve.exchange import Server
from dnssec_lite.resolve.fetcher import Batch, Reply, ask_upstream, drive, job_steps
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import ROOT, Name
from dnssec_lite.wire.rdata import dnssec as lite_rdata_dnssec
from dnssec_lite.wire.rdata.dnssec import DS

Run = Callable[[], object]

VARIANTS: dict[str, tuple[int, int, int]] = {
    "rsa": (RSASHA256, RSASHA256, RSASHA256),
    "p256": (ECDSAP256SHA256, ECDSAP256SHA256, ECDSAP256SHA256),
    "ed25519": (ED25519, ED25519, ED25519),
    "mixed": (RSASHA256, ECDSAP256SHA256, ED25519),
}
#: Cold-validation targets (time / floor); the mixed chain has none.
COLD_TARGET = {"rsa": 2.0, "p256": 1.3, "ed25519": 1.3}
WARM_TARGET = 1.2


def _clear_loaded_keys() -> None:
    """Empty dnssec_lite's process-wide caches, so that a cold run loads
    every key and decodes every signer name as on first sight."""
    cached = getattr(lite_algorithms, "_load_cached", None)
    if cached is not None and hasattr(cached, "cache_clear"):
        cached.cache_clear()
    lite_rdata_dnssec._SIGNERS.clear()


# -- dnssec_lite -----------------------------------------------------------------


class _DictFetcher:
    """A replaying fetcher: each query answered from recorded wire bytes."""

    def __init__(self, net: dict[tuple[Name, int], bytes]) -> None:
        self.net = net

    def exchange(self, batch: Batch) -> list[Reply]:
        out: list[Reply] = []
        for server, query in batch.items:
            q = query.question[0]
            data = self.net.get((q.name, q.rrtype))
            out.append(
                Message.from_wire(data) if data else TransportError(str(server), "not in the chain")
            )
        return out


_ROUND = ask_upstream(Server("192.0.2.53"))


class LiteRunner:
    def __init__(self, chain: Chain) -> None:
        ds = DS.from_wire(chain.anchor_ds, 0, len(chain.anchor_ds))
        self.anchors = TrustAnchors({ROOT: TrustAnchor(ROOT, (ds,))})
        self.now = chain.now
        self.net = {(Name.from_text(n), t): w for (n, t), w in chain.responses.items()}
        self.questions = [
            (Question(Name.from_text(n), t), chain.responses[(n, t)]) for n, t in chain.questions
        ]
        self.expect_nx = chain.nxdomain
        self.warm_validator = Validator(self.anchors, key_cache=KeyCache())
        self._validate(self.warm_validator)

    def _validate(self, validator: Validator) -> None:
        # The library's one driver, with a fetcher answering from the dict.
        fetcher = _DictFetcher(self.net)
        from_wire = Message.from_wire
        for question, wire in self.questions:
            job = validator.start(question, from_wire(wire), self.now)
            answer = job.answer
            if answer is None:
                answer = drive(job_steps(job, _ROUND), fetcher)
            if answer.status is not Status.SECURE:
                raise AssertionError(f"dnssec_lite: {answer.summary()}")

    def cold(self) -> None:
        _clear_loaded_keys()
        self._validate(Validator(self.anchors, key_cache=KeyCache()))

    def warm(self) -> None:
        self._validate(self.warm_validator)


# -- dnspython -------------------------------------------------------------------


def _dp_covers(owner_hash: bytes, next_hash: bytes, h: bytes) -> bool:
    if owner_hash < next_hash:
        return owner_hash < h < next_hash
    return h > owner_hash or h < next_hash


class DnspythonRunner:
    """The same chain with dnspython's primitives, step by step."""

    IN = dns.rdataclass.IN

    def __init__(self, chain: Chain) -> None:
        self.now = chain.now
        self.chain = chain
        self.anchor_ds = dns.rdata.from_wire(
            self.IN, dns.rdatatype.DS, chain.anchor_ds, 0, len(chain.anchor_ds)
        )
        self.zones = [dns.name.from_text(z) for z in (".", "net.", "example.net.")]
        self.questions = [
            (dns.name.from_text(n), t, chain.responses[(n, t)]) for n, t in chain.questions
        ]
        self.wires = chain.responses
        self.zone_texts = (".", "net.", "example.net.")
        self.domain_keys = self._chain()

    def _rrsets(self, msg: dns.message.Message, name: dns.name.Name, rdtype: int) -> tuple:
        rrset = msg.find_rrset(msg.answer, name, self.IN, rdtype)
        sig = msg.find_rrset(msg.answer, name, self.IN, dns.rdatatype.RRSIG, rdtype)
        return rrset, sig

    def _chain(self) -> dict:
        """Cold: validate from the anchor down; returns {domain: DNSKEY rrset}."""
        now = self.now
        trusted_ds = [self.anchor_ds]
        parent_keys: dict = {}
        for name, text in zip(self.zones, self.zone_texts, strict=True):
            if parent_keys:
                msg = dns.message.from_wire(self.wires[(text, dns.rdatatype.DS)])
                ds_rrset, ds_sig = self._rrsets(msg, name, dns.rdatatype.DS)
                dns.dnssec.validate(ds_rrset, ds_sig, parent_keys, now=now)
                trusted_ds = list(ds_rrset)
            msg = dns.message.from_wire(self.wires[(text, dns.rdatatype.DNSKEY)])
            keys, key_sig = self._rrsets(msg, name, dns.rdatatype.DNSKEY)
            matched = False
            for ds in trusted_ds:
                for key in keys:
                    if dns.dnssec.key_id(key) != ds.key_tag or key.algorithm != ds.algorithm:
                        continue
                    if dns.dnssec.make_ds(name, key, ds.digest_type) == ds:
                        matched = True
            if not matched:
                raise AssertionError(f"dnspython: no DNSKEY of {text} matches its DS")
            dns.dnssec.validate(keys, key_sig, {name: keys}, now=now)
            parent_keys = {name: keys}
        return parent_keys

    def _answers(self, domain_keys: dict) -> None:
        now = self.now
        for qname, qtype, wire in self.questions:
            msg = dns.message.from_wire(wire)
            if msg.answer:
                rrset, sig = self._rrsets(msg, qname, qtype)
                dns.dnssec.validate(rrset, sig, domain_keys, now=now)
                continue
            # NXDOMAIN: the signed SOA and NSEC3 records, then the closest
            # encloser proof (RFC 5155 8.4) with dns.dnssec.nsec3_hash.
            records = []
            for rrset in msg.authority:
                if rrset.rdtype == dns.rdatatype.RRSIG:
                    continue
                sig = msg.find_rrset(
                    msg.authority, rrset.name, self.IN, dns.rdatatype.RRSIG, rrset.rdtype
                )
                dns.dnssec.validate(rrset, sig, domain_keys, now=now)
                if rrset.rdtype == T_NSEC3:
                    label = rrset.name.labels[0].decode().upper()
                    for rd in rrset:
                        records.append((label, rd))
            self._nsec3_nxdomain(qname, records)

    def _nsec3_nxdomain(self, qname: dns.name.Name, records: list) -> None:
        def hashed(name: dns.name.Name) -> str:
            return dns.dnssec.nsec3_hash(name, b"", 0, 1)

        def match(h: str):
            return next((rd for label, rd in records if label == h), None)

        def covers(h: str) -> bool:
            raw = base64.b32decode(h.translate(_B32_FROM_HEX))
            return any(
                _dp_covers(base64.b32decode(label.translate(_B32_FROM_HEX)), rd.next, raw)
                for label, rd in records
            )

        zone_len = len(self.zones[2])
        name = qname
        closest = None
        next_closer = None
        while len(name) > zone_len:
            parent = name.parent()
            if match(hashed(parent)) is not None:
                closest, next_closer = parent, name
                break
            name = parent
        if closest is None or next_closer is None:
            raise AssertionError("dnspython: no closest encloser")
        if not covers(hashed(next_closer)):
            raise AssertionError("dnspython: next closer not covered")
        if not covers(hashed(dns.name.Name((b"*", *closest.labels)))):
            raise AssertionError("dnspython: wildcard not denied")

    def cold(self) -> None:
        self._answers(self._chain())

    def warm(self) -> None:
        self._answers(self.domain_keys)


_B32_FROM_HEX = str.maketrans(
    "0123456789ABCDEFGHIJKLMNOPQRSTUV", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
)


# -- the floor -------------------------------------------------------------------

_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_ECDSA = ec.ECDSA(hashes.SHA256())
_P256 = ec.SECP256R1()


def _load(algorithm: int, public: bytes) -> object:
    if algorithm == RSASHA256:
        elen = public[0]
        e = int.from_bytes(public[1 : 1 + elen], "big")
        n = int.from_bytes(public[1 + elen :], "big")
        return rsa.RSAPublicNumbers(e, n).public_key()
    if algorithm == ECDSAP256SHA256:
        return ec.EllipticCurvePublicKey.from_encoded_point(_P256, b"\x04" + public)
    return ed25519.Ed25519PublicKey.from_public_bytes(public)


class FloorRunner:
    def __init__(self, chain: Chain) -> None:
        self.keys = chain.keys
        self.ds_checks = chain.ds_checks
        self.nsec3_names = chain.nsec3_names

        def prepared(verifies: list) -> list[tuple[int, bytes, bytes, bytes]]:
            out = []
            for v in verifies:
                sig = v.signature
                if v.algorithm == ECDSAP256SHA256:
                    sig = encode_dss_signature(
                        int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
                    )
                out.append((v.algorithm, v.public, sig, v.data))
            return out

        self.cold_verifies = prepared(chain.verifies)
        self.warm_verifies = prepared(chain.answer_verifies())
        self.loaded = {pub: _load(alg, pub) for alg, pub in self.keys}

    @staticmethod
    def _verify(loaded: dict, verifies: list) -> None:
        for alg, pub, sig, data in verifies:
            key = loaded[pub]
            if alg == RSASHA256:
                key.verify(sig, data, _PKCS1, _SHA256)
            elif alg == ECDSAP256SHA256:
                key.verify(sig, data, _ECDSA)
            else:
                key.verify(sig, data)

    def _hashes(self) -> None:
        sha1 = hashlib.sha1
        for name in self.nsec3_names:
            sha1(name).digest()

    def cold(self) -> None:
        loaded = {pub: _load(alg, pub) for alg, pub in self.keys}
        sha256 = hashlib.sha256
        for owner, rdata, digest in self.ds_checks:
            if sha256(owner + rdata).digest() != digest:
                raise AssertionError("floor: DS digest mismatch")
        self._verify(loaded, self.cold_verifies)
        self._hashes()

    def warm(self) -> None:
        self._verify(self.loaded, self.warm_verifies)
        self._hashes()


# -- timing ------------------------------------------------------------------------


@dataclass
class Timing:
    best: float
    median: float
    samples: list[float]


def paired_ratio(num: Timing, den: Timing) -> float:
    """Median over rounds of the per-round ratio: both ran in the same round,
    close in time, so a slow spell of the machine cancels out."""
    return statistics.median(n / d for n, d in zip(num.samples, den.samples, strict=True))


def measure(runs: dict[str, Run], rounds: int, inner: int) -> dict[str, Timing]:
    """Alternate the implementations; seconds per run, best and median."""
    samples: dict[str, list[float]] = {name: [] for name in runs}
    order = list(runs.items())
    for fn in runs.values():  # warm-up
        fn()
    for rnd in range(rounds):
        for name, fn in order if rnd % 2 == 0 else reversed(order):
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                for _ in range(inner):
                    fn()
                elapsed = time.perf_counter() - start
            finally:
                gc.enable()
            samples[name].append(elapsed / inner)
    return {name: Timing(min(s), statistics.median(s), s) for name, s in samples.items()}


@dataclass
class Row:
    variant: str
    mode: str
    label: str
    floor: Timing
    lite: Timing
    dnspython: Timing
    target: float | None

    @property
    def ratio(self) -> float:
        return paired_ratio(self.lite, self.floor)

    @property
    def ratio_best(self) -> float:
        return self.lite.best / self.floor.best

    @property
    def speedup(self) -> float:
        return paired_ratio(self.dnspython, self.lite)


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f}"


def print_table(rows: list[Row]) -> None:
    head = (
        f"| {'chain':<22} | {'mode':<4} | {'floor µs':>9} | {'dnssec_lite µs':>14} | "
        f"{'dnspython µs':>12} | {'lite/floor':>10} | {'(best)':>6} | {'dnspython/lite':>14} | "
        f"{'target':>6} |"
    )
    print(head)
    print("|" + "|".join("-" * (len(cell)) for cell in head.split("|")[1:-1]) + "|")
    for row in rows:
        target = "-" if row.target is None else f"≤{row.target:g}"
        flag = "" if row.target is None or row.ratio <= row.target else " MISS"
        print(
            f"| {row.label:<22} | {row.mode:<4} | {_us(row.floor.median):>9} | "
            f"{_us(row.lite.median):>14} | {_us(row.dnspython.median):>12} | "
            f"{row.ratio:>10.2f} | {row.ratio_best:>6.2f} | {row.speedup:>14.1f} | "
            f"{target + flag:>6} |"
        )


def _chains(names: list[str]) -> list[tuple[str, Chain]]:
    out = []
    for name in names:
        for nx in (False, True):
            chain = build_chain(VARIANTS[name], nxdomain=nx)
            out.append((name, chain))
    return out


def _label(name: str, chain: Chain) -> str:
    base = {"rsa": "RSASHA256-2048", "p256": "ECDSAP256SHA256", "ed25519": "ED25519"}.get(
        name, "mixed RSA/P256/Ed25519"
    )
    return base + (" nx" if chain.nxdomain else "")


def run(names: list[str], rounds: int, inner: int) -> list[Row]:
    rows = []
    for name, chain in _chains(names):
        lite, dp, floor = LiteRunner(chain), DnspythonRunner(chain), FloorRunner(chain)
        cold = measure({"floor": floor.cold, "lite": lite.cold, "dp": dp.cold}, rounds, inner)
        warm = measure({"floor": floor.warm, "lite": lite.warm, "dp": dp.warm}, rounds, inner * 3)
        label = _label(name, chain)
        rows.append(
            Row(name, "cold", label, cold["floor"], cold["lite"], cold["dp"], COLD_TARGET.get(name))
        )
        rows.append(Row(name, "warm", label, warm["floor"], warm["lite"], warm["dp"], WARM_TARGET))
    return rows


def profile(name: str, nx: bool, warm: bool, repeat: int) -> None:
    chain = build_chain(VARIANTS[name], nxdomain=nx)
    lite = LiteRunner(chain)
    fn = lite.warm if warm else lite.cold
    fn()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(repeat):
        fn()
    prof.disable()
    stats = pstats.Stats(prof).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--inner", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="7 rounds of 3")
    parser.add_argument("--only", choices=sorted(VARIANTS), action="append")
    parser.add_argument("--profile", choices=sorted(VARIANTS))
    parser.add_argument("--nx", action="store_true", help="profile the NXDOMAIN variant")
    parser.add_argument("--warm", action="store_true", help="profile a warm validation")
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.profile, args.nx, args.warm, 300)
        return
    rounds, inner = (7, 3) if args.quick else (args.rounds, args.inner)
    print(
        f"Python {platform.python_version()} ({platform.machine()}), "
        f"cryptography {cryptography.__version__}, dnspython {dns.version.version}; "
        f"{rounds} rounds x {inner} runs (warm: x{inner * 3}), medians per validation"
    )
    rows = run(args.only or list(VARIANTS), rounds, inner)
    print_table(rows)


if __name__ == "__main__":
    main()
