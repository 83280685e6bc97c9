"""Reference identifiers against a certificate's names (RFC 7672 3.2.3, RFC 6125).

Only DANE-TA(2) (and the PKIX usages) check names: a trust anchor vouches for
many certificates, so the leaf must also be for the host we meant to reach.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cryptography import x509
from cryptography.x509.oid import NameOID

from ..wire.name import Name


def reference_text(name: Name | str) -> str:
    """A reference identifier as lower-case ASCII without the final dot."""
    text = name.to_text() if isinstance(name, Name) else name
    text = text.strip().rstrip(".")
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError:
            return text.lower()
    return text.lower()


def leaf_names(cert: x509.Certificate) -> tuple[str, ...]:
    """The names a certificate is for: its SAN dNSNames, else its subject CNs.

    RFC 7672 3.2.3: when the SAN holds at least one DNS-ID, only those count;
    the CN is looked at only in certificates without any.
    """
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        dns = [n.lower().rstrip(".") for n in san.value.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        dns = []
    except ValueError:  # an undecodable extension names nothing usable
        dns = []
    if dns:
        return tuple(dns)
    try:
        cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:
        return ()
    return tuple(str(a.value).lower().rstrip(".") for a in cns if str(a.value))


def name_matches(presented: str, reference: str) -> bool:
    """Whether one presented name covers one reference identifier.

    A wildcard is allowed only as the whole left-most label and stands for
    exactly one non-empty label; it needs at least two labels after it, so
    ``*.org`` covers nothing.
    """
    if not presented or not reference or reference.startswith("*"):
        return False
    if "*" not in presented:
        return presented == reference
    head, _, rest = presented.partition(".")
    if head != "*" or "*" in rest or rest.count(".") < 1:
        return False
    ref_head, _, ref_rest = reference.partition(".")
    return bool(ref_head) and ref_rest == rest


def matching_reference(names: Iterable[str], references: Sequence[str]) -> str | None:
    """The first reference identifier some presented name covers, or None."""
    presented = tuple(names)
    for reference in references:
        if any(name_matches(name, reference) for name in presented):
            return reference
    return None
