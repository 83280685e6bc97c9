"""How much does our verify() wrapper cost over calling cryptography directly?

Times one signature verification per algorithm three ways: raw cryptography
with the signature already in the form it wants (the floor), our
``verify()`` with a loaded key, and ``load_public_key()`` + ``verify()``
(cache hit, as for a DNSKEY seen before).  Run: ``python -m benchmarks.bench_crypto_floor``
from the repository root.
"""

from __future__ import annotations

import sys
import timeit
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dnssec_lite.dnssec.algorithms import load_public_key, verify
from tests.helpers.keys import TestKey

DATA = b"\x00\x01\x08\x03\x00\x00\x0e\x10" + b"www.example.net RRset canonical form " * 4


def _best(fn: Callable[[], object], number: int) -> float:
    """Best-of-5 seconds per call."""
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def _raw(key: TestKey, signature: bytes) -> Callable[[], object]:
    priv = key.private_key
    if isinstance(priv, rsa.RSAPrivateKey):
        pub_rsa = priv.public_key()
        pad, sha = padding.PKCS1v15(), hashes.SHA256()
        return lambda: pub_rsa.verify(signature, DATA, pad, sha)
    if isinstance(priv, ec.EllipticCurvePrivateKey):
        pub_ec = priv.public_key()
        der = encode_dss_signature(int.from_bytes(signature[:32]), int.from_bytes(signature[32:]))
        alg = ec.ECDSA(hashes.SHA256())
        return lambda: pub_ec.verify(der, DATA, alg)
    assert isinstance(priv, ed25519.Ed25519PrivateKey)
    pub_ed = priv.public_key()
    return lambda: pub_ed.verify(signature, DATA)


def _row(name: str, algorithm: int, number: int) -> None:
    key = TestKey.generate(algorithm)
    field = key.public_key_bytes
    signature = key.sign(DATA)
    public = load_public_key(algorithm, field)
    assert public is not None and verify(algorithm, public, signature, DATA)
    raw = _best(_raw(key, signature), number)
    ours = _best(lambda: verify(algorithm, public, signature, DATA), number)

    def loaded() -> bool:
        pk = load_public_key(algorithm, field)
        return pk is not None and verify(algorithm, pk, signature, DATA)

    both = _best(loaded, number)
    print(f"{name:<18}{raw * 1e6:>10.2f}{ours * 1e6:>12.2f}{ours / raw:>8.3f}{both * 1e6:>17.2f}")


def main() -> None:
    print(f"{'algorithm':<18}{'raw µs':>10}{'verify µs':>12}{'ratio':>8}{'load+verify µs':>17}")
    _row("RSASHA256-2048", 8, 3000)
    _row("ECDSAP256SHA256", 13, 1000)
    _row("ED25519", 15, 1000)


if __name__ == "__main__":
    main()
