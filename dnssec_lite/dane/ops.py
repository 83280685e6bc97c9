"""The operator's DANE check: codes, rollover, expiry horizon and the survey.

:func:`ops_steps` wraps the MTA decision of :func:`~dnssec_lite.dane.policy.check_steps`
(passing its lookups and probes through untouched, so the plain verdict and
transcript stay exactly the MTA's) and then, still sans I/O:

* gives every failure a stable code (:mod:`dnssec_lite.dane.codes`);
* judges TLSA rollover readiness of each DANE host (:mod:`.records`);
* with ``days``, checks signatures and certificates at ``now + days`` (:mod:`.horizon`);
* with ``survey``, probes *every* address of *every* host, once plainly and
  once per server key type (TLS 1.2 restricted to ECDSA or RSA cipher suites),
  describes each presented chain, tables each TLSA record against it, and
  sets the verdict to the worst over the DANE hosts' addresses.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..dnssec.status import Answer
from ..wire.name import Name
from ..wire.types import RRType
from .certinfo import CertInfo, describe_chain
from .codes import Code, Finding, Severity, probe_code
from .horizon import certificate_findings, signature_findings
from .lookups import (
    ADDRESS_TYPES,
    Lookup,
    LookupKind,
    ProbeOutcome,
    ProbeRequest,
    Steps,
    Verify,
    address_key,
    choose_tlsa,
    classify,
    cname_target,
    order_hosts,
    tlsa_name,
)
from .policy import CheckOptions, check_steps
from .records import RecordRow, assess_rollover, match_table
from .report import (
    AddressResult,
    DaneReport,
    HostResult,
    HostRole,
    Policy,
    TlsaStatus,
    Verdict,
    display,
)

__all__ = ["KEY_TYPES", "OpsOptions", "SurveyProbe", "ops_steps", "special_purpose"]

#: Server key types a survey asks for apart (TLS 1.2 cipher suites by authentication).
KEY_TYPES = ("ecdsa", "rsa")


@dataclass(frozen=True)
class OpsOptions:
    """What the operator's check adds to the MTA decision."""

    survey: bool = False
    #: Expiry horizon in days (None: no expiry checks).
    days: int | None = None
    #: Special-purpose MX addresses are unusable (survey only).
    strict_addresses: bool = False
    key_types: tuple[str, ...] = KEY_TYPES

    def __post_init__(self) -> None:
        if self.days is not None and self.days < 0:
            raise ValueError(f"the expiry horizon must be 0 days or more, not {self.days}")
        if any(k not in KEY_TYPES for k in self.key_types):
            raise ValueError(f"key types must be among {KEY_TYPES}, not {self.key_types}")


@dataclass
class SurveyProbe:
    """One survey session with one address: plain (``key_type`` None) or per key type."""

    key_type: str | None
    connected: bool
    protocol: str | None
    cipher: str | None
    chain: list[CertInfo] = field(default_factory=list)
    table: list[RecordRow] = field(default_factory=list)
    authenticated: bool | None = None
    code: Code | None = None
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "key_type": self.key_type or "default",
            "connected": self.connected,
            "tls": None
            if self.protocol is None
            else {"protocol": self.protocol, "cipher": self.cipher},
            "chain": [c.to_json() for c in self.chain],
            "tlsa": [row.to_json() for row in self.table],
            "authenticated": self.authenticated,
            "code": None if self.code is None else self.code.value,
            "error": self.error,
        }


def special_purpose(address: str) -> str | None:
    """The IANA special-purpose kind of an address (RFC 6890), or None if global."""
    ip = ipaddress.ip_address(address)
    for kind in ("loopback", "unspecified", "link_local", "multicast", "private", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global:
        return "special-purpose"
    return None


def _tls_failed(probe: ProbeOutcome) -> bool:
    return probe.failure is not None or probe.tls_protocol is None


def _match_code(match: Any, chain_der: Sequence[bytes], now: int) -> Code:
    """certificate-expired / certificate-host-mismatch / certificate-not-trusted."""
    failures = getattr(match, "failures", ()) or ()
    checks = {str(getattr(f, "check", "")) for f in failures} - {"unusable", "superseded"}
    for cert in describe_chain(chain_der):
        if cert.error is None and not cert.not_before <= now <= cert.not_after:
            if "chain" in checks:
                return Code.CERTIFICATE_EXPIRED
    if checks == {"name"}:
        return Code.CERTIFICATE_HOST_MISMATCH
    return Code.CERTIFICATE_NOT_TRUSTED


def _reference_names(host: HostResult, domain: Name) -> list[Name]:
    names: list[Name] = []
    base = host.tlsa.base_domain if host.tlsa is not None else host.name
    for name in (base, host.name, domain):
        if name not in names:
            names.append(name)
    return names


class _Ops:
    """The bookkeeping of one operator's check."""

    def __init__(self, domain: Name, now: int, verify: Verify, ops: OpsOptions, port: int) -> None:
        self.domain, self.now, self.verify, self.ops, self.port = domain, now, verify, ops, port
        self.answers: list[Answer] = []
        self.seen: dict[tuple[str, str | None], ProbeOutcome] = {}
        self.findings: list[Finding] = []

    def add(
        self, code: Code, severity: Severity, text: str, host: str | None, address: str | None
    ) -> None:
        self.findings.append(Finding(code, severity, text, host, address))

    def answer_for(self, name: Name, rrtype: int) -> Answer | None:
        for answer in self.answers:
            if answer.question.name == name and answer.question.rrtype == rrtype:
                return answer
        return None

    # -- the hosts an MTA never reached ---------------------------------------------

    def complete_hosts(self, report: DaneReport, options: CheckOptions) -> None:
        """Add the MX hosts after the one that succeeded, classified by the
        same rules from the answers already fetched (every host's address and
        TLSA lookups are done before the first probe)."""
        mx = self.answer_for(self.domain, RRType.MX)
        if mx is None or classify(mx) is not LookupKind.RECORDS:
            return
        answers = {Lookup(a.question.name, a.question.rrtype): a for a in self.answers}
        visited = {h.name for h in report.hosts}
        for host, preference in order_hosts(mx, random.Random(0)):
            if host in visited or host.is_root():
                continue
            result = HostResult(host, preference, mx.status)
            report.hosts.append(result)
            found = [answers.get(Lookup(host, ADDRESS_TYPES[f])) for f in options.families]
            family_answers = [
                (f, a) for f, a in zip(options.families, found, strict=True) if a is not None
            ]
            if len(family_answers) < len(options.families) or any(
                classify(a) in (LookupKind.BOGUS, LookupKind.FAILED) for _, a in family_answers
            ):
                result.role = HostRole.UNUSABLE
                bad = [a for _, a in family_answers if a.reason is not None]
                result.reason = bad[0].reason if bad else None
                continue
            for family, a in family_answers:
                for rrset in a.records(ADDRESS_TYPES[family]):
                    for rdata in rrset.rdatas:
                        address = getattr(rdata, "address", None)
                        if isinstance(address, str):
                            result.addresses.append(
                                AddressResult(address, family, a.status, a.reason)
                            )
            result.addresses.sort(key=address_key)
            if not result.addresses:
                result.role = HostRole.UNUSABLE
                continue
            if not all(a.secure for _, a in family_answers):
                continue
            target = cname_target([a for _, a in family_answers], host)
            bases = [target, host] if target is not None else [host]
            if any(Lookup(tlsa_name(b, self.port), RRType.TLSA) not in answers for b in bases):
                continue
            result.tlsa, result.cname_target = choose_tlsa(bases, host, answers, self.port)
            status = result.tlsa.status
            if status in (TlsaStatus.BOGUS, TlsaStatus.FAILED):
                result.role, result.reason = HostRole.UNUSABLE, result.tlsa.reason
            elif status is TlsaStatus.SECURE:
                result.role = HostRole.DANE if result.tlsa.usable else HostRole.TLS_REQUIRED

    # -- codes of the MTA decision ------------------------------------------------

    def code_report(self, report: DaneReport) -> None:
        mx = self.answer_for(self.domain, RRType.MX)
        d = display(self.domain)
        text = report.reason.text if report.reason is not None else ""
        if mx is not None and not report.hosts:
            kind = classify(mx)
            if kind in (LookupKind.BOGUS, LookupKind.FAILED):
                code = Code.MX_BOGUS if kind is LookupKind.BOGUS else Code.MX_LOOKUP_FAILED
                if report.stripping:
                    code = Code.UPSTREAM_STRIPS_DNSSEC
                self.add(code, Severity.FAILURE, text or f"MX lookup of {d} failed", None, None)
            elif kind is LookupKind.NXDOMAIN:
                self.add(Code.NO_SUCH_DOMAIN, Severity.FAILURE, text, None, None)
            elif report.verdict is Verdict.FAILED:
                self.add(Code.NULL_MX, Severity.FAILURE, text, None, None)
        dane_hosts = [h for h in report.hosts if h.role in (HostRole.DANE, HostRole.TLS_REQUIRED)]
        for host in report.hosts:
            self.code_host(report, host, bool(dane_hosts))

    def code_host(self, report: DaneReport, host: HostResult, any_dane: bool) -> None:
        h = display(host.name)
        why = host.reason.text if host.reason is not None else ""
        if host.role is HostRole.UNUSABLE:
            if host.tlsa is not None and host.tlsa.status in (TlsaStatus.BOGUS, TlsaStatus.FAILED):
                host.code = (
                    Code.TLSA_BOGUS
                    if host.tlsa.status is TlsaStatus.BOGUS
                    else Code.TLSA_LOOKUP_FAILED
                )
            elif not host.addresses:
                host.code = Code.NO_ADDRESS
                for rrtype in (RRType.A, RRType.AAAA):
                    found = self.answer_for(host.name, rrtype)
                    if found is not None and classify(found) is LookupKind.BOGUS:
                        host.code = Code.ADDRESS_BOGUS
                        break
                    if found is not None and classify(found) is LookupKind.FAILED:
                        host.code = Code.ADDRESS_LOOKUP_FAILED
                if report.stripping and host.code is not Code.NO_ADDRESS:
                    host.code = Code.UPSTREAM_STRIPS_DNSSEC
            self.add(host.code or Code.VALIDATION_FAILURE, Severity.FAILURE, why, h, None)
        elif host.role is HostRole.TLS_REQUIRED:
            self.add(
                Code.TLSA_INVALID,
                Severity.WARNING,
                "no TLSA record is usable: TLS is required but cannot be authenticated",
                h,
                None,
            )
        elif host.role is HostRole.NON_DANE:
            if report.policy is Policy.MANDATORY:
                host.code = Code.DANE_REQUIRED
                self.add(Code.DANE_REQUIRED, Severity.FAILURE, f"{h} has no secure TLSA", h, None)
            elif any_dane:
                self.add(
                    Code.MX_WITHOUT_DANE,
                    Severity.WARNING,
                    f"{h} has no DANE while other MX hosts do: mail through it is not "
                    "authenticated",
                    h,
                    None,
                )
        for address in host.addresses:
            probe = self.seen.get((address.address, None))
            if probe is not None:
                address.local_address = probe.local_address
            if address.error is None:
                continue
            if address.match is not None and not address.match.ok and probe is not None:
                address.code = _match_code(address.match, probe.chain_der, self.now)
            else:
                address.code = probe_code(address.error_kind)
            self.add(address.code, Severity.FAILURE, address.error, h, address.address)

    # -- rollover and horizon -----------------------------------------------------

    def chains(self, host: HostResult) -> list[tuple[str, Sequence[bytes]]]:
        """Distinct presented chains of a host (by leaf), named for reasons."""
        found: dict[bytes, tuple[str, Sequence[bytes]]] = {}
        for address in host.addresses:
            for key_type in (None, *self.ops.key_types):
                probe = self.seen.get((address.address, key_type))
                if probe is None or _tls_failed(probe) or not probe.chain_der:
                    continue
                leaf = bytes(probe.chain_der[0])
                if leaf not in found:
                    info = describe_chain(probe.chain_der[:1])[0]
                    kind = info.key_type or "unparsed"
                    found[leaf] = (f"the {kind} certificate of {address.address}", probe.chain_der)
        return list(found.values())

    def assess(self, report: DaneReport) -> None:
        for host in report.hosts:
            if host.role is not HostRole.DANE or host.tlsa is None:
                continue
            names = _reference_names(host, self.domain)
            host.rollover = assess_rollover(
                host.tlsa.records,
                self.chains(host),
                names,
                self.now,
                self.verify,
                display(host.name),
            )
            self.findings.extend(host.rollover.findings)
            if host.rollover.ready is False:
                self.add(
                    Code.ROLLOVER_NOT_READY,
                    Severity.WARNING,
                    "; ".join(host.rollover.reasons),
                    display(host.name),
                    None,
                )
            if self.ops.days is None:
                continue
            for address in host.addresses:
                for key_type in (None, *self.ops.key_types):
                    probe = self.seen.get((address.address, key_type))
                    if probe is None or _tls_failed(probe):
                        continue
                    match = self.verify(list(probe.chain_der), host.tlsa.records, names, self.now)
                    for finding in certificate_findings(
                        probe.chain_der,
                        host.tlsa.records,
                        match,
                        names,
                        self.now,
                        self.ops.days,
                        self.verify,
                        host=display(host.name),
                        address=address.address,
                    ):
                        if finding not in self.findings:
                            self.findings.append(finding)
        if self.ops.days is not None:
            self.findings.extend(signature_findings(self.answers, self.now, self.ops.days))

    # -- the survey ---------------------------------------------------------------

    def survey_requests(self, report: DaneReport) -> list[ProbeRequest]:
        wanted: list[ProbeRequest] = []
        for host in report.hosts:
            sni = host.tlsa.base_domain if host.tlsa is not None else host.name
            for address in sorted(host.addresses, key=lambda a: (a.family, a.address)):
                address.special = special_purpose(address.address)
                if address.special and self.ops.strict_addresses:
                    continue
                for key_type in (None, *self.ops.key_types):
                    if (address.address, key_type) not in self.seen:
                        wanted.append(
                            ProbeRequest(address.address, self.port, host.name, sni, key_type)
                        )
        return list(dict.fromkeys(wanted))

    def survey_host(self, report: DaneReport, host: HostResult) -> bool:
        """Fill in the host's probes; False if a DANE host's address fails."""
        h = display(host.name)
        dane = host.role in (HostRole.DANE, HostRole.TLS_REQUIRED)
        records = host.tlsa.records if host.tlsa is not None and dane else ()
        names = _reference_names(host, self.domain)
        ok = True
        for address in host.addresses:
            a = address.address
            if address.special:
                severity = Severity.WARNING
                text = f"{a} is a {address.special} address, not reachable from the Internet"
                if self.ops.strict_addresses:
                    severity = Severity.FAILURE if dane else Severity.WARNING
                    text += " (unusable: strict addresses)"
                    ok = ok and not dane
                self.add(Code.SPECIAL_PURPOSE_ADDRESS, severity, text, h, a)
                if self.ops.strict_addresses:
                    continue
            address.probes = []
            restricted_tls = False
            for key_type in (None, *self.ops.key_types):
                probe = self.seen.get((a, key_type))
                if probe is None:
                    continue
                entry = self.survey_probe(address, key_type, probe, records, names, host)
                address.probes.append(entry)
                restricted_tls = restricted_tls or (
                    key_type is not None and entry.protocol is not None
                )
                if entry.authenticated is False or (key_type is None and entry.code is not None):
                    if dane:
                        ok = False
                        if address.code is None or key_type is not None:
                            what = "" if key_type is None else f" ({key_type.upper()} only)"
                            self.add(
                                entry.code or Code.VALIDATION_FAILURE,
                                Severity.FAILURE,
                                f"survey{what}: {entry.error}",
                                h,
                                a,
                            )
            if self.ops.key_types and not restricted_tls and address.probes:
                if address.probes[0].protocol is not None:
                    self.add(
                        Code.KEY_TYPE_NOT_PROBED,
                        Severity.NOTICE,
                        "no TLS 1.2 session with ECDSA- or RSA-only cipher suites: only the "
                        "certificate of the default handshake was checked",
                        h,
                        a,
                    )
        return ok

    def survey_probe(
        self,
        address: AddressResult,
        key_type: str | None,
        probe: ProbeOutcome,
        records: Sequence[Any],
        names: Sequence[Name],
        host: HostResult,
    ) -> SurveyProbe:
        entry = SurveyProbe(
            key_type,
            probe.local_address is not None,
            probe.tls_protocol,
            probe.tls_cipher,
        )
        if _tls_failed(probe):
            entry.error = probe.failure or "no TLS session"
            kind = getattr(probe, "failure_kind", None)
            if key_type is None:
                entry.code = probe_code(None if kind is None else str(getattr(kind, "value", kind)))
            else:
                entry.error = f"no {key_type.upper()} TLS 1.2 session: {entry.error}"
            return entry
        entry.chain = describe_chain(probe.chain_der)
        if host.role is HostRole.DANE and records:
            entry.table = match_table(probe.chain_der, records, names, self.now, self.verify)
            match = self.verify(list(probe.chain_der), list(records), names, self.now)
            entry.authenticated = bool(match.ok)
            if not match.ok:
                entry.code = _match_code(match, probe.chain_der, self.now)
                entry.error = match.reason
        return entry

    def survey_lines(self, report: DaneReport) -> list[str]:
        lines = [f"Survey of {display(self.domain)}: every address of every MX host"]
        for host in report.hosts:
            h = display(host.name)
            lines.append(f"MX({h}) {host.role.value}")
            for address in host.addresses:
                for p in address.probes:
                    kind = p.key_type.upper() if p.key_type else "default"
                    if p.protocol is None:
                        lines.append(f"  {address.address} [{kind}]: {p.error}")
                        continue
                    leaf = p.chain[0] if p.chain else None
                    what = f"{leaf.key_type} {leaf.subject}" if leaf and not leaf.error else "?"
                    auth = {True: "authenticated", False: "NOT authenticated", None: "-"}
                    lines.append(
                        f"  {address.address} [{kind}]: {p.protocol} {p.cipher}, {what}: "
                        f"{auth[p.authenticated]}"
                    )
                    for row in p.table:
                        at = "" if row.depth is None else f" at depth {row.depth}"
                        lines.append(f"    {row.record}: {row.outcome}{at}: {row.why}")
        return lines

    def finish(self, report: DaneReport) -> DaneReport:
        report.findings = self.findings
        report.horizon_days = self.ops.days
        lines = list(report.survey_lines)
        for host in report.hosts:
            if host.rollover is not None:
                reasons = "; ".join(host.rollover.reasons)
                lines.append(
                    f"Rollover MX({display(host.name)}): {host.rollover.status}: {reasons}"
                )
        lines.extend(str(f) for f in self.findings)
        report.survey_lines = lines
        return report


def ops_steps(
    domain: Name,
    *,
    now: int,
    verify: Verify,
    options: CheckOptions | None = None,
    ops: OpsOptions | None = None,
    rng: random.Random | None = None,
) -> Steps:
    """The MTA check of ``domain`` with the operator's additions; see the module docstring."""
    options = options if options is not None else CheckOptions()
    ops = ops if ops is not None else OpsOptions()
    state = _Ops(domain, now, verify, ops, options.port)
    inner = check_steps(domain, now=now, verify=verify, options=options, rng=rng)
    try:
        request = next(inner)
        while True:
            reply = yield request
            if request and isinstance(request[0], Lookup):
                state.answers.extend(reply)
            else:
                for item, outcome in zip(request, reply, strict=True):
                    if isinstance(item, ProbeRequest):
                        state.seen[(item.address, item.key_type)] = outcome
            request = inner.send(reply)
    except StopIteration as done:
        report: DaneReport = done.value
    if ops.survey:
        state.complete_hosts(report, options)
    state.code_report(report)
    if ops.survey:
        report.survey = True
        report.delivery = report.verdict
        wanted = state.survey_requests(report)
        if wanted:
            got = yield wanted
            for item, outcome in zip(wanted, got, strict=True):
                state.seen[(item.address, item.key_type)] = outcome
        all_ok = all([state.survey_host(report, host) for host in report.hosts])
        if report.verdict is not Verdict.FAILED and not all_ok:
            report.verdict = Verdict.FAILED
        report.survey_lines = state.survey_lines(report)
    state.assess(report)
    report = state.finish(report)
    if report.survey:
        word = report.verdict.value.upper()
        report.survey_lines.append(f"Survey verdict: {word} for {display(domain)}")
    return report
