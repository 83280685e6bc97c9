"""Drivers of the DANE check: the sync and the asyncio one.

Both run :func:`dnssec_lite.dane.policy.check_steps` and do its I/O: DNS
lookups through a :class:`~dnssec_lite.resolve.resolver.Resolver` (or
:class:`~dnssec_lite.resolve.resolver.AsyncResolver`, whose lookups of one
round go out together) and STARTTLS probes through a probe callable (by
default the one of :mod:`dnssec_lite.dane.smtp`).  Everything they need from
outside -- the resolver, the probe, the clock, the random source -- can be
passed in, which is how tests and recorded vectors drive them.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ..dnssec.status import Answer
from ..wire.name import Name
from .ops import KEY_TYPES, OpsOptions, ops_steps
from .policy import (
    CheckOptions,
    Lookup,
    ProbeOutcome,
    ProbeRequest,
    Steps,
    Verify,
    failed_answer,
)
from .report import DaneReport, Policy, display

log = logging.getLogger("dnssec_lite.dane")

__all__ = ["Gate", "acheck_smtp", "asurvey", "check_smtp", "survey"]

SyncProbe = Callable[[ProbeRequest], ProbeOutcome]
AsyncProbe = Callable[[ProbeRequest], Awaitable[ProbeOutcome]]


def _name(domain: Name | str) -> Name:
    return domain if isinstance(domain, Name) else Name.from_text(domain)


def _default_verify() -> Verify:
    from .tlsa import verify_chain

    matcher: Verify = verify_chain
    return matcher


def _steps(
    domain: Name | str,
    options: CheckOptions,
    now: int | None,
    verify: Verify | None,
    rng: random.Random | None,
    ops: OpsOptions | None = None,
) -> Steps:
    return ops_steps(
        _name(domain),
        now=int(time.time()) if now is None else now,
        verify=verify if verify is not None else _default_verify(),
        options=options,
        ops=ops,
        rng=rng,
    )


def _options(
    policy: str | Policy,
    port: int,
    families: Sequence[int],
    speculative_tlsa: bool,
    randomize_addresses: bool,
) -> CheckOptions:
    return CheckOptions(
        Policy.parse(policy), port, tuple(families), speculative_tlsa, randomize_addresses
    )


def _lookup(resolver: Any, lookup: Lookup) -> Answer:
    log.debug("DNS query: %s", lookup)
    try:
        answer: Answer = resolver.resolve(lookup.name, lookup.rrtype)
    except Exception as error:  # a broken upstream must not end the check
        log.warning("DNS lookup %s failed: %s", lookup, error)
        return failed_answer(lookup, error)
    log.debug("DNSSEC response: %s", answer.summary())
    return answer


def _lookups(resolver: Any, request: Sequence[Any]) -> list[Answer]:
    """One round's lookups: side by side through ``resolve_many`` when the
    resolver has it (one round trip for all of them), else one by one."""
    many = getattr(resolver, "resolve_many", None)
    lookups = [item for item in request if isinstance(item, Lookup)]
    if many is None or len(lookups) < 2:
        return [_lookup(resolver, item) for item in lookups]
    for item in lookups:
        log.debug("DNS query: %s", item)
    try:
        answers: list[Answer] = many([(item.name, item.rrtype) for item in lookups])
    except Exception as error:  # a broken upstream must not end the check
        log.warning("DNS lookups failed: %s", error)
        return [failed_answer(item, error) for item in lookups]
    for answer in answers:
        log.debug("DNSSEC response: %s", answer.summary())
    return answers


def check_smtp(
    domain: Name | str,
    resolver: Any = None,
    policy: str | Policy = Policy.OPPORTUNISTIC,
    port: int = 25,
    *,
    probe: SyncProbe | None = None,
    ehlo: str | None = None,
    timeout: float = 10.0,
    now: int | None = None,
    verify: Verify | None = None,
    rng: random.Random | None = None,
    families: Sequence[int] = (4, 6),
    speculative_tlsa: bool = True,
    randomize_addresses: bool = True,
    days: int | None = None,
    ops: OpsOptions | None = None,
) -> DaneReport:
    """May mail for ``domain`` go out, and how?  See :mod:`dnssec_lite.dane.policy`.

    ``resolver`` is a :class:`~dnssec_lite.resolve.resolver.Resolver` (a stub
    resolver over ``/etc/resolv.conf`` by default).  ``probe`` opens the
    STARTTLS sessions (by default :func:`dnssec_lite.dane.smtp.probe` with
    ``ehlo`` and ``timeout``).  The report also carries result codes and
    rollover readiness; ``days`` adds the expiry checks at now + ``days``.
    """
    if resolver is None:
        from ..resolve.resolver import Resolver

        resolver = Resolver()
    if probe is None:
        probe = _smtp_probe(ehlo, timeout)
    options = _options(policy, port, families, speculative_tlsa, randomize_addresses)
    steps = _steps(domain, options, now, verify, rng, ops or OpsOptions(days=days))
    try:
        request = next(steps)
        while True:
            if request and isinstance(request[0], Lookup):
                replies: list[Any] = _lookups(resolver, request)
            else:
                replies = [probe(item) for item in request if isinstance(item, ProbeRequest)]
            request = steps.send(replies)
    except StopIteration as done:
        report: DaneReport = done.value
        return report


async def acheck_smtp(
    domain: Name | str,
    resolver: Any,
    policy: str | Policy = Policy.OPPORTUNISTIC,
    port: int = 25,
    *,
    probe: AsyncProbe | None = None,
    ehlo: str | None = None,
    timeout: float = 10.0,
    now: int | None = None,
    verify: Verify | None = None,
    rng: random.Random | None = None,
    families: Sequence[int] = (4, 6),
    speculative_tlsa: bool = True,
    randomize_addresses: bool = True,
    days: int | None = None,
    ops: OpsOptions | None = None,
    gate: Gate | None = None,
) -> DaneReport:
    """:func:`check_smtp` on an :class:`~dnssec_lite.resolve.resolver.AsyncResolver`:
    the lookups of one round run concurrently, and so do a survey's probes of
    different addresses (one at a time per address, within ``gate``'s bounds)."""
    if probe is None:
        probe = _async_smtp_probe(ehlo, timeout)
    options = _options(policy, port, families, speculative_tlsa, randomize_addresses)
    steps = _steps(domain, options, now, verify, rng, ops or OpsOptions(days=days))
    gate = gate if gate is not None else Gate()

    async def lookup(item: Lookup) -> Answer:
        log.debug("DNS query: %s", item)
        try:
            answer: Answer = await resolver.resolve(item.name, item.rrtype)
        except Exception as error:
            log.warning("DNS lookup %s failed: %s", item, error)
            return failed_answer(item, error)
        log.debug("DNSSEC response: %s", answer.summary())
        return answer

    try:
        request = next(steps)
        while True:
            if request and isinstance(request[0], Lookup):
                replies: list[Any] = list(await asyncio.gather(*(lookup(i) for i in request)))
            else:
                probes = [i for i in request if isinstance(i, ProbeRequest)]
                replies = await gate.run_probes(probes, probe)
            request = steps.send(replies)
    except StopIteration as done:
        report: DaneReport = done.value
        return report


class Gate:
    """Bounds on SMTP connections: at most ``connections`` in flight in all,
    and one at a time per address (politeness to the servers probed).

    One gate is shared by all the checks of a bulk run.
    """

    def __init__(self, connections: int | None = None) -> None:
        self._total = asyncio.Semaphore(connections) if connections else None
        self._per_address: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}
        self.in_flight = 0
        self.peak = 0

    async def probe(self, request: ProbeRequest, probe: AsyncProbe) -> ProbeOutcome:
        address = request.address
        lock = self._per_address.setdefault(address, asyncio.Lock())
        self._users[address] = self._users.get(address, 0) + 1
        try:
            async with lock:
                if self._total is not None:
                    await self._total.acquire()
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
                try:
                    return await probe(request)
                finally:
                    self.in_flight -= 1
                    if self._total is not None:
                        self._total.release()
        finally:
            self._users[address] -= 1
            if not self._users[address]:  # forget idle addresses: bounded memory
                del self._users[address]
                self._per_address.pop(address, None)

    async def run_probes(
        self, requests: Sequence[ProbeRequest], probe: AsyncProbe
    ) -> list[ProbeOutcome]:
        """The probes of one step: per address in order, addresses concurrently."""
        by_address: dict[str, list[int]] = {}
        for index, request in enumerate(requests):
            by_address.setdefault(request.address, []).append(index)
        out: list[ProbeOutcome | None] = [None] * len(requests)

        async def one_address(indexes: list[int]) -> None:
            for index in indexes:
                out[index] = await self.probe(requests[index], probe)

        await asyncio.gather(*(one_address(ix) for ix in by_address.values()))
        return [o for o in out if o is not None]


def survey(
    domain: Name | str,
    resolver: Any = None,
    policy: str | Policy = Policy.OPPORTUNISTIC,
    port: int = 25,
    *,
    days: int | None = None,
    strict_addresses: bool = False,
    key_types: Sequence[str] = KEY_TYPES,
    **kw: Any,
) -> DaneReport:
    """Every address of every MX host, per server key type; see :mod:`dnssec_lite.dane.ops`.

    The verdict is the worst over the DANE hosts' addresses (``report.delivery``
    keeps the MTA's); other arguments as :func:`check_smtp`.
    """
    ops = OpsOptions(True, days, strict_addresses, tuple(key_types))
    return check_smtp(domain, resolver, policy, port, ops=ops, **kw)


async def asurvey(
    domain: Name | str,
    resolver: Any,
    policy: str | Policy = Policy.OPPORTUNISTIC,
    port: int = 25,
    *,
    days: int | None = None,
    strict_addresses: bool = False,
    key_types: Sequence[str] = KEY_TYPES,
    **kw: Any,
) -> DaneReport:
    """:func:`survey` on an :class:`~dnssec_lite.resolve.resolver.AsyncResolver`."""
    ops = OpsOptions(True, days, strict_addresses, tuple(key_types))
    return await acheck_smtp(domain, resolver, policy, port, ops=ops, **kw)


def probe_context(key_type: str | None) -> ssl.SSLContext | None:
    """The client context of a probe: None (the probe's default) or, for a
    key type, TLS 1.2 with cipher suites of that authentication only.

    TLS 1.3 suites do not name the server's key type and Python's ``ssl``
    cannot restrict TLS 1.3 signature algorithms, so per-key-type probes are
    TLS 1.2 ones; a server without TLS 1.2 is checked with its default
    certificate only (the survey says so).
    """
    if key_type is None:
        return None
    from .smtp import probe_context as plain

    context = plain()
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers({"ecdsa": "aECDSA", "rsa": "aRSA"}[key_type])
    return context


def _ehlo_name() -> str:
    """This host's name for EHLO when it is a domain name, else ``localhost``."""
    name = socket.getfqdn()
    return name if "." in name and not name.endswith(".") else "localhost"


def _smtp_probe(ehlo: str | None, timeout: float) -> SyncProbe:
    from . import smtp

    def run(request: ProbeRequest) -> ProbeOutcome:
        return smtp.probe(
            request.address,
            server_hostname=display(request.sni),
            port=request.port,
            ehlo_name=ehlo or _ehlo_name(),
            timeout=timeout,
            context=probe_context(request.key_type),
        )

    return run


def _async_smtp_probe(ehlo: str | None, timeout: float) -> AsyncProbe:
    from . import smtp

    async def run(request: ProbeRequest) -> ProbeOutcome:
        return await smtp.aprobe(
            request.address,
            server_hostname=display(request.sni),
            port=request.port,
            ehlo_name=ehlo or _ehlo_name(),
            timeout=timeout,
            context=probe_context(request.key_type),
        )

    return run
