"""The lookups and probes of a DANE check, and how their results are read.

The vocabulary :mod:`dnssec_lite.dane.policy` (the plain check) and
:mod:`dnssec_lite.dane.ops` (the operators' survey) share: the requests
they yield, a validated answer reduced to what RFC 7672 distinguishes, the
TLSA base domains and which TLSA RRset applies.  Pure: no I/O, no clock.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from ..dnssec.status import Answer, Reason, Status
from ..wire.message import Question
from ..wire.name import Name
from ..wire.rdata.dnssec import NSEC
from ..wire.rdata.names import MX
from ..wire.types import EDE, Rcode, RRType
from .report import (
    AddressResult,
    DaneReport,
    MatchOutcome,
    TlsaResult,
    TlsaStatus,
    display,
    indent,
)

__all__ = [
    "ADDRESS_TYPES",
    "Lookup",
    "LookupKind",
    "ProbeOutcome",
    "ProbeRequest",
    "Request",
    "Steps",
    "Verify",
    "address_key",
    "choose_tlsa",
    "classify",
    "cname_target",
    "failed_answer",
    "order_hosts",
    "probe_kind",
    "reason_lines",
    "reference_names",
    "status_word",
    "stripping_of",
    "tlsa_name",
    "usable_count",
]


@dataclass(frozen=True)
class Lookup:
    """A DNS lookup the check needs; answered with a validated Answer."""

    name: Name
    rrtype: int

    def __str__(self) -> str:
        return f"Q('{display(self.name)}', '{RRType.to_text(self.rrtype)}')"


@dataclass(frozen=True)
class ProbeRequest:
    """A STARTTLS session to open: address, port, host, and the SNI name.

    ``key_type`` ("ecdsa" or "rsa"), set by surveys only, asks for TLS 1.2
    with cipher suites of that server key type alone.
    """

    address: str
    port: int
    host: Name
    sni: Name
    key_type: str | None = None


class ProbeOutcome(Protocol):
    """What the policy reads of a STARTTLS probe's result."""

    @property
    def local_address(self) -> str | None: ...

    @property
    def tls_protocol(self) -> str | None: ...

    @property
    def tls_cipher(self) -> str | None: ...

    @property
    def chain_der(self) -> Sequence[bytes]: ...

    @property
    def failure(self) -> str | None: ...


#: The certificate matcher: (chain, TLSA records, reference names, now).
Verify = Callable[[Sequence[bytes], Sequence[Any], Sequence[Name], int], MatchOutcome]

Request = list[Lookup] | list[ProbeRequest]
Steps = Generator[Request, list[Any], DaneReport]


class LookupKind(Enum):
    """A validated answer reduced to what the DANE rules distinguish."""

    RECORDS = "records"
    NODATA = "nodata"
    NXDOMAIN = "nxdomain"
    #: BOGUS data: the lookup must be treated as failed, never as absent.
    BOGUS = "bogus"
    #: INDETERMINATE, SERVFAIL, timeout: failed.
    FAILED = "failed"


def classify(answer: Answer) -> LookupKind:
    """Reduce an answer: status first, then rcode, then what it holds.

    RFC 9824 compact denial (NOERROR, an NSEC whose bitmap has NXNAME) counts
    as NXDOMAIN.
    """
    if answer.status is Status.BOGUS:
        return LookupKind.BOGUS
    if answer.status is Status.INDETERMINATE:
        return LookupKind.FAILED
    if answer.rcode == Rcode.NXDOMAIN:
        return LookupKind.NXDOMAIN
    if answer.rcode != Rcode.NOERROR:
        return LookupKind.FAILED
    if answer.records():
        return LookupKind.RECORDS
    for rrset in answer.denial:
        if rrset.rrtype == RRType.NSEC and rrset.name == answer.question.name:
            if any(isinstance(r, NSEC) and RRType.NXNAME in r.types for r in rrset.rdatas):
                return LookupKind.NXDOMAIN
    return LookupKind.NODATA


def failed_answer(lookup: Lookup, error: Exception) -> Answer:
    """The answer a driver gives for a lookup that raised (unreachable upstream)."""
    return Answer(
        Question(lookup.name, lookup.rrtype),
        Rcode.SERVFAIL,
        Status.INDETERMINATE,
        reason=Reason(EDE.NETWORK_ERROR, f"lookup failed: {error}", lookup.name, lookup.rrtype),
    )


def tlsa_name(host: Name, port: int) -> Name:
    """``_<port>._tcp.<host>``, the TLSA owner for SMTP (RFC 7672 2.2.3)."""
    return host.child(b"_tcp").child(f"_{port}".encode())


def status_word(answer: Answer) -> str:
    """The status word of a transcript line (the reference knows three)."""
    if answer.status is Status.INDETERMINATE:
        return "BOGUS"
    word: str = answer.status.value
    return word.upper()


def stripping_of(answer: Answer) -> dict[str, str]:
    """The upstreams the resolver found stripping DNSSEC for this answer."""
    resolution = answer.resolution
    found = getattr(resolution, "stripping", None) if resolution is not None else None
    if not found:  # answers made without a resolver (tests, replays) may say it here
        found = answer.extra.get("stripping") if answer.extra else None
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, Mapping) else {}


def reason_lines(answer: Answer) -> list[str]:
    lines = [
        f"upstream {server} strips DNSSEC: {why}" for server, why in stripping_of(answer).items()
    ]
    if answer.reason is not None:
        lines.append(str(answer.reason))
    return indent(lines)


def order_hosts(mx: Answer, rng: random.Random) -> list[tuple[Name, int]]:
    """MX hosts by preference, shuffled within one preference (as MTAs do)."""
    groups: dict[int, list[Name]] = {}
    for rrset in mx.records(RRType.MX):
        for rdata in rrset.rdatas:
            if not isinstance(rdata, MX):
                continue
            hosts = groups.setdefault(rdata.preference, [])
            if rdata.exchange not in hosts:
                hosts.append(rdata.exchange)
    ordered: list[tuple[Name, int]] = []
    for preference in sorted(groups):
        hosts = groups[preference]
        rng.shuffle(hosts)
        ordered.extend((host, preference) for host in hosts)
    return ordered


ADDRESS_TYPES = {4: RRType.A, 6: RRType.AAAA}


def address_key(address: AddressResult) -> tuple[int, bytes]:
    return address.family, ipaddress.ip_address(address.address).packed


def probe_kind(probe: ProbeOutcome) -> str | None:
    kind = getattr(probe, "failure_kind", None)
    if kind is None:
        return None
    return str(getattr(kind, "value", kind))


def cname_target(family_answers: Sequence[Answer], host: Name) -> Name | None:
    """The end of a secure CNAME chain at ``host``, if the addresses used one."""
    for answer in family_answers:
        target = host
        for rrset in answer.rrsets:
            if rrset.rrtype == RRType.CNAME and rrset.name == target and rrset.rdatas:
                following = getattr(rrset.rdatas[0], "target", None)
                if isinstance(following, Name):
                    target = following
        if target != host:
            return target
    return None


def choose_tlsa(
    bases: Sequence[Name], host: Name, answers: dict[Lookup, Answer], port: int
) -> tuple[TlsaResult, Name | None]:
    """The TLSA RRset that applies: the first base domain that is not denied."""
    cname = bases[0] if len(bases) > 1 else None
    result: TlsaResult | None = None
    for base in bases:
        answer = answers[Lookup(tlsa_name(base, port), RRType.TLSA)]
        kind = classify(answer)
        if kind in (LookupKind.BOGUS, LookupKind.FAILED):
            status = TlsaStatus.BOGUS if kind is LookupKind.BOGUS else TlsaStatus.FAILED
            reason = answer.reason or Reason(
                EDE.OTHER,
                f"TLSA lookup at {display(tlsa_name(base, port))} failed "
                f"({Rcode.to_text(answer.rcode)})",
            )
            return TlsaResult(status, base, reason=reason), cname
        if answer.status is not Status.SECURE:
            result = TlsaResult(TlsaStatus.INSECURE, base, reason=answer.reason)
            continue
        if kind is LookupKind.RECORDS:
            records = tuple(r for rrset in answer.records(RRType.TLSA) for r in rrset.rdatas)
            return TlsaResult(TlsaStatus.SECURE, base, records, usable_count(records)), cname
        status = TlsaStatus.NXDOMAIN if kind is LookupKind.NXDOMAIN else TlsaStatus.NODATA
        result = TlsaResult(status, base)
    assert result is not None
    return result, cname


def usable_count(records: Sequence[Any]) -> int:
    """Records an SMTP client can use (RFC 7672 3.1): DANE-TA/EE, known
    selector and matching type, and a digest of the right length."""
    lengths = {1: 32, 2: 64}
    count = 0
    for record in records:
        if record.usage not in (2, 3) or record.selector not in (0, 1):
            continue
        if record.mtype == 0:
            count += bool(record.data)
        elif record.mtype in lengths and len(record.data) == lengths[record.mtype]:
            count += 1
    return count


def reference_names(base: Name, host: Name, domain: Name) -> list[Name]:
    """RFC 7672 3.2.3: the TLSA base domain, the MX host, the next-hop domain."""
    names: list[Name] = []
    for name in (base, host, domain):
        if name not in names:
            names.append(name)
    return names
