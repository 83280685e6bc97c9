"""Certificate path validation for DANE-TA(2) and the PKIX usages.

The checks themselves (signatures, validity at ``now``, basicConstraints cA,
path length) are ``cryptography``'s X.509 verifier.  What it cannot do on its
own is written here: relaxed extension policies (mail servers' certificates
are not Web PKI certificates; the names are checked by :mod:`.names`), the
keyCertSign rule where a CA has a keyUsage extension, and a trust anchor that
is a bare public key (a ``2 1 0`` record), which becomes a stand-in anchor
certificate carrying that key.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Sequence

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPublicKeyTypes
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID


class PathError(Exception):
    """The chain does not verify up to the anchor; the text says why."""


def _key_cert_sign(
    policy: verification.Policy, cert: x509.Certificate, usage: x509.KeyUsage | None
) -> None:
    if usage is not None and not usage.key_cert_sign:
        raise ValueError("a CA certificate's keyUsage lacks keyCertSign")


def _server_auth(
    policy: verification.Policy, cert: x509.Certificate, eku: x509.ExtendedKeyUsage | None
) -> None:
    if eku is not None and not {
        ExtendedKeyUsageOID.SERVER_AUTH,
        ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    } & set(eku):
        raise ValueError("the leaf's extendedKeyUsage does not allow serverAuth")


@functools.cache
def _policies(pkix: bool) -> tuple[verification.ExtensionPolicy, verification.ExtensionPolicy]:
    agnostic = verification.Criticality.AGNOSTIC
    ca = (
        verification.ExtensionPolicy.permit_all()
        .require_present(x509.BasicConstraints, agnostic, None)
        .may_be_present(x509.KeyUsage, agnostic, _key_cert_sign)
    )
    ee = verification.ExtensionPolicy.permit_all()
    if pkix:
        ee = ee.may_be_present(x509.ExtendedKeyUsage, agnostic, _server_auth)
    return ca, ee


def _when(now: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(now, datetime.UTC)


def verify_path(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    anchors: verification.Store | Sequence[x509.Certificate],
    now: int,
    *,
    pkix: bool = False,
) -> list[x509.Certificate]:
    """The verified path, leaf first and the anchor last; PathError if none.

    ``pkix`` adds the serverAuth rule for the leaf's extendedKeyUsage.
    """
    store = (
        anchors if isinstance(anchors, verification.Store) else verification.Store(list(anchors))
    )
    ca_policy, ee_policy = _policies(pkix)
    verifier = (
        verification.PolicyBuilder()
        .store(store)
        .time(_when(now))
        .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
        .build_client_verifier()
    )
    try:
        return list(verifier.verify(leaf, list(intermediates)).chain)
    except verification.VerificationError as exc:
        raise PathError(_tidy(str(exc))) from None
    except (ValueError, UnsupportedAlgorithm) as exc:  # a certificate it cannot read
        raise PathError(f"a certificate cannot be used: {exc}") from None


def _tidy(message: str) -> str:
    """cryptography's message without its generic prefixes."""
    for prefix in ("validation failed: ", "candidates exhausted: "):
        message = message.removeprefix(prefix)
    if message.startswith("all candidates exhausted"):
        return "no issuer leads to the trust anchor (a certificate is missing)"
    return message


@functools.cache
def _stand_in_signer() -> ec.EllipticCurvePrivateKey:
    # Signs stand-in anchors only; an anchor's own signature is never checked.
    return ec.generate_private_key(ec.SECP256R1())


def key_anchor(
    key: CertificateIssuerPublicKeyTypes, subject: x509.Name, now: int
) -> x509.Certificate:
    """A stand-in CA certificate for a bare trust-anchor key.

    It carries ``key`` under the issuer name of the certificate it should
    sign, is valid around ``now`` only, and exists so that the verifier checks
    that certificate's signature against ``key``.
    """
    when = _when(now)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key)
        .serial_number(1)
        .not_valid_before(when - datetime.timedelta(seconds=1))
        .not_valid_after(when + datetime.timedelta(seconds=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(_stand_in_signer(), hashes.SHA256())
    )
