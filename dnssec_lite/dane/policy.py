"""The SMTP DANE decision of RFC 7672 section 2, as a sans-I/O generator.

:func:`check_steps` yields what it needs -- a batch of DNS lookups (answered
with validated :class:`~dnssec_lite.dnssec.status.Answer` values, in the same
order) or one STARTTLS probe (answered with the probe's outcome) -- and
returns the :class:`~dnssec_lite.dane.report.DaneReport`.  It never opens a
socket or reads the clock: drivers in :mod:`dnssec_lite.dane.check` do, for
the sync and the asyncio resolver alike, and a recorded check replays through
the same generator.

The rules, in the order they apply (``docs/dane.md`` has the table):

1. MX of the domain.  BOGUS, INDETERMINATE or a failed lookup: FAILED.
   NXDOMAIN: FAILED (no such domain).  Null MX (RFC 7505): FAILED, the
   domain accepts no mail.  No MX: the domain itself is the host (RFC 5321
   implicit MX).  An INSECURE MX RRset still lets its hosts use DANE
   (RFC 7672 2.2.1).
2. The A and AAAA of every host in one round.  TLSA at ``_25._tcp.<host>``
   goes out *in the same round* when the MX RRset is SECURE (speculatively:
   a signed domain's hosts are usually signed, and it saves the round of a
   cold lookup), and is otherwise asked in a later round only for hosts
   whose addresses came back SECURE; the answer of a speculative TLSA
   lookup for a host whose addresses are not SECURE is discarded unread
   (RFC 7672 2.2.2).  A secure CNAME for the host makes the expanded name
   the first TLSA base domain, then the original (2.2.3).
3. Per host, in preference order (random within one preference): a BOGUS
   or failed address lookup makes the host unusable; insecure addresses or
   a denied/insecure TLSA make it a non-DANE host; a BOGUS or failed TLSA
   lookup makes it unusable (never a fallback); secure TLSA records make it
   a DANE host, or a TLS-required one when none is usable.
4. DANE hosts are probed address by address: the first authenticated
   session ends the check with SUCCESS.  Otherwise the verdict is FAILED if
   any DANE host failed to authenticate (under either policy) or nothing is
   usable; FALLBACK_TLS (opportunistic only) when DANE does not apply; and
   FAILED under the mandatory policy.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

from ..dnssec.status import Answer, Reason, Status
from ..wire.name import Name
from ..wire.types import EDE, RRType
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
    failed_answer,
    order_hosts,
    probe_kind,
    reason_lines,
    reference_names,
    status_word,
    stripping_of,
    tlsa_name,
)
from .report import (
    AddressResult,
    DaneReport,
    HostResult,
    HostRole,
    Policy,
    TlsaStatus,
    Verdict,
    display,
    indent,
)

log = logging.getLogger("dnssec_lite.dane")

__all__ = [
    "CheckOptions",
    "Lookup",
    "LookupKind",
    "ProbeOutcome",
    "ProbeRequest",
    "Steps",
    "Verify",
    "check_steps",
    "classify",
    "failed_answer",
    "tlsa_name",
]


class _Transcript:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, *lines: str) -> None:
        for line in lines:
            log.debug("transcript: %s", line)
            self.lines.append(line)


@dataclass(frozen=True)
class CheckOptions:
    """How a check runs; checked once when made."""

    policy: Policy = Policy.OPPORTUNISTIC
    port: int = 25
    #: Address families to use, in order (4 = A, 6 = AAAA).
    families: tuple[int, ...] = (4, 6)
    #: Ask TLSA with the address lookups when the MX RRset is SECURE.
    speculative_tlsa: bool = True
    #: Try a host's addresses in random order (as Postfix does by default);
    #: without it, in ascending order, IPv4 first.
    randomize_addresses: bool = True

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError(f"port must be 1-65535, not {self.port}")
        if not self.families or any(f not in (4, 6) for f in self.families):
            raise ValueError(f"address families must be 4 and/or 6, not {self.families}")


def check_steps(
    domain: Name,
    *,
    now: int,
    verify: Verify,
    options: CheckOptions | None = None,
    rng: random.Random | None = None,
) -> Steps:
    """The DANE check of ``domain`` as a generator; see the module docstring."""
    options = options if options is not None else CheckOptions()
    policy, port, families = options.policy, options.port, options.families
    rng = rng if rng is not None else random.Random()
    out = _Transcript()
    d = display(domain)
    hosts: list[HostResult] = []
    stripping: dict[str, str] = {}

    def finish(
        verdict: Verdict, reason: Reason | None, tls_required: bool = False, explain: bool = True
    ) -> DaneReport:
        if verdict is Verdict.SUCCESS:
            out.add(f"DANE SUCCESS for {d}")
        else:
            out.add(f"DANE FAILED for {d}")
            if verdict is Verdict.FALLBACK_TLS:
                how = "TLS required, unauthenticated" if tls_required else "ordinary TLS"
                out.add(f"Policy {policy.value}: DANE does not apply to {d}; deliver with {how}.")
            elif reason is not None and explain:
                out.add(*indent([reason.text]))
        out.add("DANE verification completed.")
        return DaneReport(
            domain, policy, verdict, tls_required, hosts, reason, out.lines, stripping
        )

    (mx,) = yield [Lookup(domain, RRType.MX)]
    stripping.update(stripping_of(mx))
    kind = classify(mx)
    if kind in (LookupKind.BOGUS, LookupKind.FAILED):
        out.add(f"{status_word(mx)} MX record found for {d}", *reason_lines(mx))
        why = mx.reason or Reason(EDE.OTHER, f"MX lookup of {d} failed")
        if stripping:
            servers = ", ".join(stripping)
            why = Reason(why.ede, f"upstream {servers} strips DNSSEC; {why.text}", domain)
        return finish(Verdict.FAILED, why, explain=False)
    if kind is LookupKind.NXDOMAIN:
        out.add(f"{status_word(mx)} NXDOMAIN for {d}: no such domain")
        return finish(Verdict.FAILED, Reason(EDE.OTHER, f"{d} does not exist (NXDOMAIN)", domain))
    if kind is LookupKind.NODATA:
        out.add(
            f"{status_word(mx)} no MX record found for {d}; "
            f"the domain itself is the mail host (implicit MX, RFC 5321 5.1)"
        )
        order: list[tuple[Name, int | None]] = [(domain, None)]
    else:
        ranked = order_hosts(mx, rng)
        if any(host.is_root() for host, _ in ranked):
            if len(ranked) == 1:
                out.add(
                    f"{status_word(mx)} null MX record found for {d}: the domain accepts no mail"
                )
                return finish(
                    Verdict.FAILED,
                    Reason(EDE.OTHER, f"{d} publishes a null MX: it accepts no mail (RFC 7505)"),
                )
            ranked = [(host, pref) for host, pref in ranked if not host.is_root()]
        order = list(ranked)

    # Round 2: every host's addresses (and, speculatively, TLSA) at once.
    wanted: list[Lookup] = []
    for host, _ in order:
        wanted.extend(Lookup(host, ADDRESS_TYPES[f]) for f in families)
        if options.speculative_tlsa and mx.status is Status.SECURE:
            wanted.append(Lookup(tlsa_name(host, port), RRType.TLSA))
    got = yield wanted
    answers: dict[Lookup, Answer] = dict(zip(wanted, got, strict=True))

    # Round 3: the TLSA lookups still needed by hosts with secure addresses.
    plans: dict[Name, list[Name]] = {}
    for host, _ in order:
        host_answers = [answers[Lookup(host, ADDRESS_TYPES[f])] for f in families]
        if not all(a.status is Status.SECURE for a in host_answers):
            continue
        if any(classify(a) in (LookupKind.BOGUS, LookupKind.FAILED) for a in host_answers):
            continue
        bases = []
        target = cname_target(host_answers, host)
        if target is not None:
            bases.append(target)
        bases.append(host)
        plans[host] = bases
    more = [
        Lookup(tlsa_name(base, port), RRType.TLSA)
        for bases in plans.values()
        for base in bases
        if Lookup(tlsa_name(base, port), RRType.TLSA) not in answers
    ]
    more = list(dict.fromkeys(more))
    if more:
        got = yield more
        answers.update(zip(more, got, strict=True))

    # Per host, in order: the transcript lines, then the probes.
    insecure_mx = kind is LookupKind.RECORDS and mx.status is not Status.SECURE
    dane_failed = False
    tls_only_ok = False
    for index, (host, preference) in enumerate(order):
        h = display(host)
        result = HostResult(host, preference, mx.status)
        hosts.append(result)
        if kind is LookupKind.RECORDS:
            out.add(f"{status_word(mx)} MX record({h}) found for {d}")
            if insecure_mx:
                out.add(f"INSECURE MX record({h}) found. The command will still proceed.")
        last = index == len(order) - 1
        next_mx = [] if last else [f"Trying next MX record in {d}"]

        family_answers = [(f, answers[Lookup(host, ADDRESS_TYPES[f])]) for f in families]
        broken = [
            (f, a)
            for f, a in family_answers
            if classify(a) in (LookupKind.BOGUS, LookupKind.FAILED)
        ]
        if broken:
            family, bad = broken[0]
            out.add(
                f"{status_word(bad)} {RRType.to_text(ADDRESS_TYPES[family])} record found "
                f"for MX({h}) in {d}",
                *reason_lines(bad),
            )
            stripping.update(stripping_of(bad))
            result.role = HostRole.UNUSABLE
            result.reason = bad.reason
            out.add(*next_mx)
            continue
        for family, found in family_answers:
            for rrset in found.records(ADDRESS_TYPES[family]):
                for rdata in rrset.rdatas:
                    address = getattr(rdata, "address", None)
                    if isinstance(address, str):
                        result.addresses.append(
                            AddressResult(address, family, found.status, found.reason)
                        )
        result.addresses.sort(key=address_key)
        if options.randomize_addresses:
            rng.shuffle(result.addresses)
        if not result.addresses:
            out.add(f"No address record found for MX({h}) in {d}")
            result.role = HostRole.UNUSABLE
            result.reason = Reason(EDE.OTHER, f"{h} has no A or AAAA records", host)
            out.add(*next_mx)
            continue
        first = result.addresses[0]
        first_answer = next(a for f, a in family_answers if f == first.family)
        out.add(
            f"{status_word(first_answer)} {RRType.to_text(ADDRESS_TYPES[first.family])} record "
            f"({first.address}) found for MX({h}) in {d}"
        )
        secure = host in plans
        if not secure:
            result.role = HostRole.NON_DANE
            out.add(*next_mx)
            continue
        result.tlsa, result.cname_target = choose_tlsa(plans[host], host, answers, port)
        tlsa = result.tlsa
        if tlsa.status in (TlsaStatus.BOGUS, TlsaStatus.FAILED):
            out.add(f"BOGUS TLSA record found for MX({h}) in {d}")
            if tlsa.reason is not None:
                out.add(*indent([str(tlsa.reason)]))
            result.role = HostRole.UNUSABLE
            result.reason = tlsa.reason
            out.add(*next_mx)
            continue
        if tlsa.status is not TlsaStatus.SECURE:
            word = "INSECURE" if tlsa.status is TlsaStatus.INSECURE else "SECURE"
            out.add(
                f"{word} {tlsa.status.value.upper()} TLSA record for MX({h}) in {d}: "
                f"no DANE for this host"
            )
            result.role = HostRole.NON_DANE
            out.add(*next_mx)
            continue

        # A DANE host: probe its addresses until one authenticates.
        probe_tlsa = [r for r in tlsa.records]
        result.role = HostRole.DANE
        names = reference_names(tlsa.base_domain, host, domain)
        for number, address in enumerate(result.addresses):
            a_type = RRType.to_text(ADDRESS_TYPES[address.family])
            if number:
                out.add(f"Trying next {a_type} record ({address.address}) for MX({h}) in {d}")
            out.add(f"Connecting to {address.address} on port {port}.")
            (probe,) = yield [ProbeRequest(address.address, port, host, tlsa.base_domain)]
            address.tried = True
            if probe.local_address is None:
                address.error = probe.failure or "connection failed"
                address.error_kind = probe_kind(probe)
                out.add(f"Connection to {address.address} on port {port} failed: {address.error}.")
                continue
            out.add(f"Connected to {address.address} from interface {probe.local_address}.")
            out.add(f"SECURE TLSA record found for MX({h}) in {d}")
            out.add("Checking TLS connection.")
            if probe.failure is not None or probe.tls_protocol is None:
                address.error = probe.failure or "no TLS session"
                address.error_kind = probe_kind(probe)
                out.add(f"TLS connection failed: {address.error}.")
                continue
            address.tls_protocol = probe.tls_protocol
            address.tls_cipher = probe.tls_cipher
            out.add(
                f"TLS connection established: protocol {probe.tls_protocol}, "
                f"cipher {probe.tls_cipher}."
            )
            if tlsa.usable == 0:
                result.role = HostRole.TLS_REQUIRED
                out.add(
                    "No usable TLSA record: TLS is required, the certificate is not authenticated"
                )
                tls_only_ok = True
                break
            match = verify(list(probe.chain_der), probe_tlsa, names, now)
            address.match = match
            if match.ok:
                out.add("Certificate verification successful")
                out.add(f"TLS connection succeeded {d}.")
                log.info(
                    "TLS success protocol %s cipher %s for %s",
                    probe.tls_protocol,
                    probe.tls_cipher,
                    d,
                )
                return finish(Verdict.SUCCESS, None)
            address.error = match.reason
            address.error_kind = "certificate-not-trusted"
            out.add("Certificate verification failed", *indent(match.reason.splitlines()))
        if result.role is HostRole.DANE:
            dane_failed = True
        out.add(*next_mx)

    if dane_failed:
        return finish(
            Verdict.FAILED,
            Reason(EDE.OTHER, f"no MX host of {d} with secure TLSA records could be authenticated"),
        )
    usable = [h for h in hosts if h.role is not HostRole.UNUSABLE]
    if not usable:
        return finish(Verdict.FAILED, Reason(EDE.OTHER, f"no usable MX host for {d}"))
    if tls_only_ok or any(h.role is HostRole.TLS_REQUIRED for h in hosts):
        if policy is Policy.MANDATORY:
            return finish(
                Verdict.FAILED,
                Reason(EDE.OTHER, f"policy mandatory: {d} has no usable TLSA record"),
            )
        return finish(
            Verdict.FALLBACK_TLS,
            Reason(EDE.OTHER, f"{d} has secure TLSA records but none is usable"),
            tls_required=True,
        )
    if policy is Policy.MANDATORY:
        return finish(
            Verdict.FAILED,
            Reason(EDE.OTHER, f"policy mandatory requires DANE; {d} has no DANE host"),
        )
    return finish(Verdict.FALLBACK_TLS, Reason(EDE.OTHER, f"DANE does not apply to {d}"))
