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
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ..dnssec.status import Answer
from ..wire.name import Name
from .policy import (
    CheckOptions,
    Lookup,
    ProbeOutcome,
    ProbeRequest,
    Steps,
    Verify,
    check_steps,
    failed_answer,
)
from .report import DaneReport, Policy, display

log = logging.getLogger("dnssec_lite.dane")

__all__ = ["acheck_smtp", "check_smtp"]

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
) -> Steps:
    return check_steps(
        _name(domain),
        now=int(time.time()) if now is None else now,
        verify=verify if verify is not None else _default_verify(),
        options=options,
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
) -> DaneReport:
    """May mail for ``domain`` go out, and how?  See :mod:`dnssec_lite.dane.policy`.

    ``resolver`` is a :class:`~dnssec_lite.resolve.resolver.Resolver` (a stub
    resolver over ``/etc/resolv.conf`` by default).  ``probe`` opens the
    STARTTLS sessions (by default :func:`dnssec_lite.dane.smtp.probe` with
    ``ehlo`` and ``timeout``).
    """
    if resolver is None:
        from ..resolve.resolver import Resolver

        resolver = Resolver()
    if probe is None:
        probe = _smtp_probe(ehlo, timeout)
    options = _options(policy, port, families, speculative_tlsa, randomize_addresses)
    steps = _steps(domain, options, now, verify, rng)
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
) -> DaneReport:
    """:func:`check_smtp` on an :class:`~dnssec_lite.resolve.resolver.AsyncResolver`:
    the lookups of one round run concurrently."""
    if probe is None:
        probe = _async_smtp_probe(ehlo, timeout)
    options = _options(policy, port, families, speculative_tlsa, randomize_addresses)
    steps = _steps(domain, options, now, verify, rng)

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
                replies = [await probe(i) for i in request if isinstance(i, ProbeRequest)]
            request = steps.send(replies)
    except StopIteration as done:
        report: DaneReport = done.value
        return report


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
        )

    return run
