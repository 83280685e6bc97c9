"""What a presented certificate chain shows an operator, depth by depth.

Pure: DER in, plain values out (subject, issuer, SAN names, validity dates,
SPKI SHA-256, key type).  A certificate that does not parse is described as
such rather than dropped, so depths stay the server's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

__all__ = ["MAX_DESCRIBED", "CertInfo", "describe_chain", "iso", "key_type"]

#: Certificates described per chain, as many as the matcher looks at: a
#: hostile server may send hundreds.
MAX_DESCRIBED = 16


@dataclass(frozen=True)
class CertInfo:
    """One presented certificate; ``error`` is set (and the rest empty) when it
    does not parse."""

    depth: int
    subject: str = ""
    issuer: str = ""
    san: tuple[str, ...] = ()
    not_before: int = 0
    not_after: int = 0
    spki_sha256: str = ""
    key_type: str = ""
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        if self.error is not None:
            return {"depth": self.depth, "error": self.error}
        return {
            "depth": self.depth,
            "subject": self.subject,
            "issuer": self.issuer,
            "san": list(self.san),
            "not_before": iso(self.not_before),
            "not_after": iso(self.not_after),
            "spki_sha256": self.spki_sha256,
            "key_type": self.key_type,
        }


def iso(when: int) -> str:
    """``2027-01-03T00:00Z``: POSIX seconds as operators read them (UTC, minutes)."""
    return dt.datetime.fromtimestamp(when, dt.UTC).strftime("%Y-%m-%dT%H:%MZ")


def key_type(cert: x509.Certificate) -> str:
    """``ECDSA P-256``, ``RSA 2048``, ``Ed25519``...; ``unknown`` for the rest."""
    try:
        key = cert.public_key()
    except (UnsupportedAlgorithm, ValueError):
        return "unknown"
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        curves = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
        return f"ECDSA {curves.get(key.curve.name, key.curve.name)}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA {key.key_size}"
    return "unknown"


def _san(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ()
    except ValueError:
        return ("(undecodable SAN)",)
    return tuple(str(n) for n in ext.value.get_values_for_type(x509.DNSName))


def _spki_sha256(cert: x509.Certificate) -> str:
    try:
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    except (UnsupportedAlgorithm, ValueError):
        return ""
    return hashlib.sha256(spki).hexdigest()


def _describe(depth: int, der: bytes) -> CertInfo:
    try:
        cert = x509.load_der_x509_certificate(bytes(der))
        return CertInfo(
            depth,
            cert.subject.rfc4514_string(),
            cert.issuer.rfc4514_string(),
            _san(cert),
            int(cert.not_valid_before_utc.timestamp()),
            int(cert.not_valid_after_utc.timestamp()),
            _spki_sha256(cert),
            key_type(cert),
        )
    except ValueError as exc:
        return CertInfo(depth, error=f"does not parse: {exc}")


def describe_chain(chain_der: Sequence[bytes]) -> list[CertInfo]:
    """The presented certificates, leaf (depth 0) first, up to :data:`MAX_DESCRIBED`."""
    return [_describe(depth, der) for depth, der in enumerate(chain_der[:MAX_DESCRIBED])]
