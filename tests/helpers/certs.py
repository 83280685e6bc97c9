"""Test-only X.509 certificates for DANE matching, made at test time.

Builds what a mail server might present: self-signed end-entity certificates,
CA-issued chains with intermediates, expired and not-yet-valid certificates,
wrong names, wildcard names, a name only in the subject CN, RSA or ECDSA keys.
Every certificate is fresh, so no test depends on a fixed file.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

#: The reference time of the tests (POSIX seconds): 2026-06-01 00:00 UTC.
NOW = 1_780_272_000
DAY = 86_400


def _utc(posix: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(posix, datetime.UTC)


@functools.cache
def _rsa_key(index: int) -> rsa.RSAPrivateKey:
    """RSA keys are slow to make: a few are kept and reused by index."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def new_key(kind: str = "ec", index: int | None = None) -> PrivateKey:
    """A fresh P-256 key, or an RSA-2048 key (cached when ``index`` is given)."""
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "rsa":
        return _rsa_key(index) if index is not None else _rsa_key(0)
    raise ValueError(f"unknown key kind {kind!r}")


@dataclass(frozen=True)
class Issued:
    """A certificate and the private key of its subject."""

    cert: x509.Certificate
    key: PrivateKey

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def spki(self) -> bytes:
        return self.cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def association(self, selector: int, mtype: int) -> bytes:
        """The TLSA association data of this certificate for a selector and matching type."""
        data = self.der if selector == 0 else self.spki
        if mtype == 0:
            return data
        return (hashlib.sha256 if mtype == 1 else hashlib.sha512)(data).digest()


def issue(
    cn: str | None,
    *,
    issuer: Issued | None = None,
    key: PrivateKey | None = None,
    sans: Sequence[str] | None = None,
    ca: bool = False,
    path_length: int | None = None,
    key_usage: str | None = None,
    basic_constraints: bool = True,
    not_before: int = NOW - 30 * DAY,
    not_after: int = NOW + 365 * DAY,
    serial: int | None = None,
) -> Issued:
    """Issue one certificate; ``issuer=None`` makes it self-signed.

    ``sans`` lists DNS names for a subjectAltName (``None`` or empty: no SAN);
    ``key_usage`` is ``None`` (no extension), ``"ca"`` (keyCertSign) or
    ``"ee"`` (digitalSignature only, which a CA must not have alone).
    """
    key = key or new_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else [])
    signer_key = issuer.key if issuer else key
    issuer_name = issuer.cert.subject if issuer else subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(_utc(not_before))
        .not_valid_after(_utc(not_after))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), False
        )
    if basic_constraints:
        builder = builder.add_extension(x509.BasicConstraints(ca, path_length), True)
    if key_usage is not None:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=key_usage == "ca",
                crl_sign=key_usage == "ca",
                encipher_only=False,
                decipher_only=False,
            ),
            True,
        )
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]), False
        )
    return Issued(builder.sign(signer_key, hashes.SHA256()), key)


@dataclass(frozen=True)
class Chain:
    """A leaf, its intermediates (lowest first) and the root, as issued."""

    leaf: Issued
    intermediates: tuple[Issued, ...]
    root: Issued

    def presented(self, *, with_root: bool = True) -> list[bytes]:
        """The DER chain a server sends: leaf first, then up, the root optional."""
        certs = [self.leaf, *self.intermediates] + ([self.root] if with_root else [])
        return [c.der for c in certs]

    def at(self, depth: int) -> Issued:
        return [self.leaf, *self.intermediates, self.root][depth]


def ca_chain(
    names: Sequence[str] = ("mx.example.org",),
    *,
    intermediates: int = 1,
    kind: str = "ec",
    cn: str | None = None,
    leaf_sans: bool = True,
    leaf_not_before: int = NOW - 30 * DAY,
    leaf_not_after: int = NOW + 365 * DAY,
) -> Chain:
    """A root CA, ``intermediates`` CAs below it and a leaf for ``names``.

    The leaf's CN is ``cn`` (default: the first name); with ``leaf_sans=False``
    the names appear only in the CN.
    """
    keys = iter(range(1, 100))

    def key() -> PrivateKey:
        return new_key(kind, next(keys) if kind == "rsa" else None)

    root = issue("Test Root CA", key=key(), ca=True, key_usage="ca")
    parent = root
    middle: list[Issued] = []
    for n in range(intermediates):
        parent = issue(
            f"Test Issuing CA {n + 1}", issuer=parent, key=key(), ca=True, key_usage="ca"
        )
        middle.append(parent)
    leaf = issue(
        cn if cn is not None else (names[0] if names else None),
        issuer=parent,
        key=key(),
        sans=list(names) if leaf_sans else None,
        not_before=leaf_not_before,
        not_after=leaf_not_after,
    )
    return Chain(leaf, tuple(reversed(middle)), root)
