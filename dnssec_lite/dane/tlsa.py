"""TLSA certificate matching: does a presented chain satisfy a TLSA RRset?

A pure function of its inputs (no sockets, no clock: ``now`` is given), so
any TLS client can call it after its handshake.  The rules are RFC 6698,
RFC 7671 and, by default, RFC 7672 for SMTP:

* DANE-EE(3): the leaf's certificate or key matches; no name or date checks.
* DANE-TA(2): an issuer in the chain (or a certificate or bare key published
  in the record itself) matches, the chain from the leaf up to it verifies at
  ``now``, and the leaf is for one of the reference identifiers.
* PKIX-TA(0) / PKIX-EE(1): unusable for SMTP; otherwise usable with a trust
  store the caller supplies.
* A record with values this code does not know, or data of the wrong size,
  is unusable on its own; the rest of the set still counts.  With digest
  agility (RFC 7671 section 9) only the strongest digest of each
  usage+selector pair is used.
"""

from __future__ import annotations

import enum
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509 import verification

from ..wire.name import Name
from ..wire.rrset import RRset
from .names import leaf_names, matching_reference, reference_text
from .pkix import PathError, key_anchor, verify_path

log = logging.getLogger(__name__)

PKIX_TA, PKIX_EE, DANE_TA, DANE_EE = 0, 1, 2, 3
CERT, SPKI = 0, 1
FULL, SHA256, SHA512 = 0, 1, 2

USAGE_NAMES = {
    PKIX_TA: "PKIX-TA(0)",
    PKIX_EE: "PKIX-EE(1)",
    DANE_TA: "DANE-TA(2)",
    DANE_EE: "DANE-EE(3)",
}
_DIGESTS: dict[int, tuple[Callable[[bytes], bytes], int]] = {
    SHA256: (lambda data: hashlib.sha256(data).digest(), 32),
    SHA512: (lambda data: hashlib.sha512(data).digest(), 64),
}
_ISSUER_KEYS = (
    rsa.RSAPublicKey,
    ec.EllipticCurvePublicKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
    dsa.DSAPublicKey,
)
#: Presented certificates beyond this many are not looked at: real chains are
#: short, and each one may cost a signature check per record.
MAX_PRESENTED = 16
#: Digest agility: the higher rank wins within one usage+selector pair.
#: Full(0) is no digest and never gives way.
_DIGEST_RANK = {SHA256: 1, SHA512: 2}


class Association(Protocol):
    """What matching needs of a TLSA record (the rdata type has these)."""

    usage: int
    selector: int
    mtype: int
    data: bytes

    def to_text(self) -> str: ...


class Check(enum.StrEnum):
    """Which step a record failed at."""

    UNUSABLE = "unusable"  # unknown parameters, malformed data, PKIX under SMTP
    SUPERSEDED = "superseded"  # digest agility: a stronger digest of the same kind exists
    NO_MATCH = "no-match"  # the data matches no certificate where it must
    CHAIN = "chain"  # matched, but the path to it does not verify
    NAME = "name"  # matched and verified, but the leaf is for another name


@dataclass(frozen=True)
class RecordFailure:
    """Why one TLSA record did not authenticate the server."""

    record: Association
    check: Check
    reason: str
    #: Where the record matched (0 = leaf) when it did, else None.
    depth: int | None = None

    def __str__(self) -> str:
        return f"{record_label(self.record)}: {self.reason}"


@dataclass(frozen=True)
class DaneMatch:
    """The outcome of :func:`verify_chain`.

    ``ok`` means the chain is authenticated by ``record`` at ``depth`` (0 =
    the leaf; for a trust anchor taken from the record itself, the place it
    takes above the chain).  ``usable`` counts the records that took part in
    matching.  ``tls_required_unauthenticated`` is the RFC 7672 outcome of a
    non-empty set with no usable record: TLS is still mandatory, but nothing
    can be authenticated.  ``failures`` has one entry per record that did not
    authenticate, in RRset order.
    """

    ok: bool
    record: Association | None
    depth: int | None
    usable: int
    tls_required_unauthenticated: bool
    failures: tuple[RecordFailure, ...]
    reason: str


def record_label(record: Association) -> str:
    """``3 1 1 e3b0c442...``: the record's fields with its data shortened."""
    data = record.data.hex()
    short = data if len(data) <= 8 else data[:8] + "..."
    return f"{record.usage} {record.selector} {record.mtype} {short or '-'}"


def _describe(record: Association) -> str:
    what = "SPKI" if record.selector == SPKI else "certificate"
    if record.mtype == FULL:
        return "full SPKI" if record.selector == SPKI else "full certificate"
    return f"{what} digest"


def _association(cert: x509.Certificate, selector: int, mtype: int) -> bytes | None:
    """The certificate's data for a selector and matching type; None for a key
    of a type ``cryptography`` does not know (it can then match nothing)."""
    if selector == CERT:
        data = cert.public_bytes(serialization.Encoding.DER)
    else:
        try:
            key = cert.public_key()
        except (UnsupportedAlgorithm, ValueError):
            return None
        data = key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    return data if mtype == FULL else _DIGESTS[mtype][0](data)


def _unusable_reason(record: Association, smtp: bool, pkix: bool) -> str | None:
    """Why a record cannot take part in matching at all, or None."""
    usage, selector, mtype, data = record.usage, record.selector, record.mtype, record.data
    if usage not in USAGE_NAMES:
        return f"unusable: unknown certificate usage {usage}"
    if selector not in (CERT, SPKI):
        return f"unusable: unknown selector {selector}"
    if mtype != FULL and mtype not in _DIGESTS:
        return f"unusable: unknown matching type {mtype}"
    if usage in (PKIX_TA, PKIX_EE):
        if smtp:
            return f"unusable: {USAGE_NAMES[usage]} does not apply to SMTP (RFC 7672 3.1.3)"
        if not pkix:
            return f"unusable: {USAGE_NAMES[usage]} needs a PKIX trust store"
    if mtype in _DIGESTS:
        size = _DIGESTS[mtype][1]
        if len(data) != size:
            return f"unusable: malformed data, {len(data)} octets for a {size}-octet digest"
        return None
    try:
        if selector == CERT:
            x509.load_der_x509_certificate(data)
        else:
            serialization.load_der_public_key(data)
    except UnsupportedAlgorithm as exc:
        return f"unusable: a key of an unsupported algorithm ({exc})"
    except (ValueError, TypeError) as exc:
        kind = "certificate" if selector == CERT else "SubjectPublicKeyInfo"
        return f"unusable: malformed data, not a DER {kind} ({exc})"
    return None


def _load(chain_der: Sequence[bytes]) -> list[x509.Certificate | None]:
    certs: list[x509.Certificate | None] = []
    for depth, der in enumerate(chain_der):
        try:
            certs.append(x509.load_der_x509_certificate(bytes(der)))
        except ValueError as exc:
            log.debug("presented certificate at depth %d does not parse: %s", depth, exc)
            certs.append(None)
    return certs


class _Matcher:
    """The inputs of one :func:`verify_chain` call and the work they share."""

    def __init__(
        self,
        certs: list[x509.Certificate | None],
        references: tuple[str, ...],
        now: int,
        pkix_store: verification.Store | None,
        check_ee_names: bool,
    ) -> None:
        self.certs = certs
        leaf = certs[0]
        assert leaf is not None
        self.leaf = leaf
        self.others = [c for c in certs[1:] if c is not None]
        self.references = references
        self.now = now
        self.pkix_store = pkix_store
        self.check_ee_names = check_ee_names
        self.pkix_extra: list[x509.Certificate] = []
        self._pkix_path: list[x509.Certificate] | PathError | None = None
        #: DANE-TA records whose anchor is the record's own certificate or key.
        self.from_record: set[int] = set()

    # -- shared pieces -------------------------------------------------------------

    def depths_matching(self, record: Association) -> list[int]:
        return [
            depth
            for depth, cert in enumerate(self.certs)
            if cert is not None and _association(cert, record.selector, record.mtype) == record.data
        ]

    def name_failure(self, record: Association, depth: int) -> RecordFailure | None:
        names = leaf_names(self.leaf)
        if matching_reference(names, self.references) is not None:
            return None
        shown = ", ".join(names) if names else "no name"
        wanted = " or ".join(self.references) if self.references else "(no reference name given)"
        where = "the leaf" if depth == 0 else f"depth {depth}"
        return RecordFailure(
            record, Check.NAME, f"matches {where} but the leaf names {shown}, not {wanted}", depth
        )

    def pkix_path(self) -> list[x509.Certificate] | PathError:
        if self._pkix_path is None:
            assert self.pkix_store is not None
            try:
                self._pkix_path = verify_path(
                    self.leaf,
                    [*self.others, *self.pkix_extra],
                    self.pkix_store,
                    self.now,
                    pkix=True,
                )
            except PathError as exc:
                self._pkix_path = exc
        return self._pkix_path

    # -- one record per usage --------------------------------------------------------

    def dane_ee(self, record: Association) -> int | RecordFailure:
        if _association(self.leaf, record.selector, record.mtype) != record.data:
            return RecordFailure(
                record, Check.NO_MATCH, f"{_describe(record)} does not match the leaf"
            )
        if self.check_ee_names:
            failure = self.name_failure(record, 0)
            if failure is not None:
                return failure
        return 0

    def dane_ta(self, record: Association) -> int | RecordFailure:
        depths = [d for d in self.depths_matching(record) if d > 0]
        attempts: list[tuple[int, x509.Certificate, list[x509.Certificate]]] = []
        for depth in depths:
            anchor = self.certs[depth]
            assert anchor is not None
            attempts.append((depth, anchor, [c for c in self.others if c is not anchor]))
        if not attempts and record.mtype == FULL:
            attempts = self._anchors_from_record(record)
        if not attempts:
            if self.depths_matching(record) == [0]:
                reason = (
                    f"{_describe(record)} matches the leaf, but a DANE-TA(2) record must "
                    "match an issuer"
                )
            elif record.mtype == FULL:
                reason = f"{_describe(record)} matches no certificate and signs none in the chain"
            else:
                reason = f"{_describe(record)} matches no issuer certificate in the chain"
            return RecordFailure(record, Check.NO_MATCH, reason)
        first: RecordFailure | None = None
        for depth, anchor, intermediates in attempts:
            try:
                path = verify_path(self.leaf, intermediates, [anchor], self.now)
            except PathError as exc:
                if depth >= 0:
                    text = f"matches depth {depth} but the chain does not verify: {exc}"
                else:
                    carried = "certificate" if record.selector == CERT else "key"
                    text = f"the {carried} in the record does not anchor the chain: {exc}"
                first = first or RecordFailure(
                    record, Check.CHAIN, text, depth if depth >= 0 else None
                )
                continue
            if depth < 0:  # anchor from the record: its place above the verified path
                depth = len(path) - 1 if record.selector == CERT else len(path) - 2
                self.from_record.add(id(record))
            failure = self.name_failure(record, depth)
            return failure if failure is not None else depth
        assert first is not None
        return first

    def _anchors_from_record(
        self, record: Association
    ) -> list[tuple[int, x509.Certificate, list[x509.Certificate]]]:
        """Trust anchors carried whole in a Full(0) record, not in the chain.

        A certificate is used as it is; a bare key gets a stand-in anchor for
        each issuer name in the chain (lowest first), since only the
        signature can tell which certificate it signed.  Depth -1 stands for
        "computed from the verified path".
        """
        if record.selector == CERT:
            return [(-1, x509.load_der_x509_certificate(record.data), self.others)]
        key = serialization.load_der_public_key(record.data)
        if not isinstance(key, _ISSUER_KEYS):
            return []
        issuers: list[x509.Name] = []
        for cert in [self.leaf, *self.others]:
            try:
                issuer = cert.issuer
            except ValueError:  # an undecodable name signs nothing we can find
                continue
            if issuer not in issuers:
                issuers.append(issuer)
        return [(-1, key_anchor(key, name, self.now), self.others) for name in issuers]

    def pkix(self, record: Association) -> int | RecordFailure:
        path = self.pkix_path()
        if isinstance(path, PathError):
            presented = self.depths_matching(record)
            if record.usage == PKIX_EE:
                presented = [d for d in presented if d == 0]
            depth = presented[0] if presented else None
            where = "the leaf" if depth == 0 else f"depth {depth}"
            lead = f"matches {where} but " if depth is not None else ""
            return RecordFailure(record, Check.CHAIN, f"{lead}PKIX validation fails: {path}", depth)
        if record.usage == PKIX_EE:
            candidates = [0]
        else:
            candidates = list(range(1, len(path)))
        for depth in candidates:
            if _association(path[depth], record.selector, record.mtype) == record.data:
                failure = self.name_failure(record, depth)
                return failure if failure is not None else depth
        target = "the leaf" if record.usage == PKIX_EE else "any issuer in the PKIX path"
        return RecordFailure(record, Check.NO_MATCH, f"{_describe(record)} does not match {target}")


def _records(tlsa: RRset | Sequence[Association]) -> tuple[Association, ...]:
    rdatas = tlsa.rdatas if isinstance(tlsa, RRset) else tlsa
    return tuple(rdatas)  # type: ignore[arg-type]


def _digest_agility(usable: list[Association]) -> tuple[list[Association], list[RecordFailure]]:
    best: dict[tuple[int, int], int] = {}
    for record in usable:
        rank = _DIGEST_RANK.get(record.mtype, 0)
        key = (record.usage, record.selector)
        best[key] = max(best.get(key, 0), rank)
    kept: list[Association] = []
    dropped: list[RecordFailure] = []
    for record in usable:
        rank = _DIGEST_RANK.get(record.mtype, 0)
        if rank and rank < best[(record.usage, record.selector)]:
            dropped.append(
                RecordFailure(
                    record,
                    Check.SUPERSEDED,
                    "ignored: a stronger digest with the same usage and selector is published "
                    "(digest agility, RFC 7671 section 9)",
                )
            )
        else:
            kept.append(record)
    return kept, dropped


#: Which success wins when several records authenticate: DANE before PKIX,
#: end-entity before trust anchor, then the lowest depth.
_PREFERENCE = {DANE_EE: 0, DANE_TA: 1, PKIX_EE: 2, PKIX_TA: 3}


def verify_chain(
    chain_der: Sequence[bytes],
    tlsa: RRset | Sequence[Association],
    reference_names: Sequence[Name | str],
    now: int,
    *,
    pkix_trust_store: verification.Store | None = None,
    smtp: bool = True,
    check_ee_names: bool = False,
) -> DaneMatch:
    """Match a presented certificate chain (DER, leaf first) against TLSA records.

    ``reference_names`` are the names the leaf may be for under DANE-TA(2)
    (for SMTP: the TLSA base domain, the MX host name before CNAME expansion,
    the recipient domain).  ``now`` is POSIX seconds.  With ``smtp=False``
    and a ``pkix_trust_store``, PKIX-TA(0) and PKIX-EE(1) records are usable.
    ``check_ee_names`` also checks names for DANE-EE(3), which RFC 7672 3.1.1
    and RFC 7671 section 5.1 advise against (OpenSSL does it unless told not to).
    """
    records = _records(tlsa)
    references = tuple(r for r in (reference_text(n) for n in reference_names) if r)
    pkix = pkix_trust_store is not None and not smtp
    failures: dict[int, RecordFailure] = {}
    usable: list[Association] = []
    for index, record in enumerate(records):
        why = _unusable_reason(record, smtp, pkix)
        if why is None:
            usable.append(record)
        else:
            failures[index] = RecordFailure(record, Check.UNUSABLE, why)
    usable, superseded = _digest_agility(usable)
    for failure in superseded:
        failures[next(i for i, r in enumerate(records) if r is failure.record)] = failure

    def result(ok: bool, record: Association | None, depth: int | None, reason: str) -> DaneMatch:
        return DaneMatch(
            ok,
            record,
            depth,
            len(usable),
            bool(records) and not usable,
            tuple(failures[i] for i in sorted(failures)),
            reason,
        )

    if not records:
        return result(False, None, None, "no TLSA records")
    if not usable:
        return result(
            False,
            None,
            None,
            f"all {len(records)} TLSA records are unusable: TLS is mandatory, "
            "but the server cannot be authenticated",
        )
    if len(chain_der) > MAX_PRESENTED:
        log.debug("only the first %d of %d certificates are used", MAX_PRESENTED, len(chain_der))
    certs = _load(chain_der[:MAX_PRESENTED])
    if not certs or certs[0] is None:
        reason = (
            "the server presented no certificate"
            if not certs
            else ("the server's leaf certificate does not parse")
        )
        for index, record in enumerate(records):
            if index not in failures:
                failures[index] = RecordFailure(record, Check.NO_MATCH, reason)
        return result(False, None, None, reason)

    matcher = _Matcher(certs, references, now, pkix_trust_store if pkix else None, check_ee_names)
    if pkix:  # full certificates published by PKIX records may complete the path
        matcher.pkix_extra = [
            x509.load_der_x509_certificate(r.data)
            for r in usable
            if r.usage in (PKIX_TA, PKIX_EE) and r.selector == CERT and r.mtype == FULL
        ]
    best: tuple[tuple[int, int], Association, int] | None = None
    for index, record in enumerate(records):
        if index in failures:
            continue
        if record.usage == DANE_EE:
            outcome = matcher.dane_ee(record)
        elif record.usage == DANE_TA:
            outcome = matcher.dane_ta(record)
        else:
            outcome = matcher.pkix(record)
        if isinstance(outcome, RecordFailure):
            failures[index] = outcome
            log.debug("%s", outcome)
            continue
        rank = (_PREFERENCE[record.usage], outcome)
        if best is None or rank < best[0]:
            best = (rank, record, outcome)
    if best is not None:
        _, record, depth = best
        where = "the leaf" if depth == 0 else f"depth {depth}"
        usage = USAGE_NAMES[record.usage]
        if id(record) not in matcher.from_record:
            text = f"{usage} matches {where}"
        elif record.selector == CERT:
            text = f"{usage} certificate from the record is the trust anchor at depth {depth}"
        else:
            text = f"{usage} key from the record signs {where}"
        return result(True, record, depth, f"{record_label(record)}: {text}")
    listed = [failures[i] for i in sorted(failures) if failures[i].check is not Check.UNUSABLE]
    return result(
        False,
        None,
        None,
        f"no usable TLSA record matched ({len(usable)} usable): {listed[0]}"
        if listed
        else f"no usable TLSA record matched ({len(usable)} usable)",
    )
