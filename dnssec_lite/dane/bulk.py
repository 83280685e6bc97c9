"""Many domains at once: :func:`check_many`, an async iterator of reports.

Bulk checks (from cron or monitoring) run on one
:class:`~dnssec_lite.resolve.resolver.AsyncResolver` (whose cache the domains
share: hosted domains share MX hosts and zones) with at most ``jobs`` domains
in flight, at most ``connections`` SMTP sessions open in all, and one session
at a time per address.  Reports come out as each domain finishes; memory
stays bounded by ``jobs``, not by the number of domains.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from ..wire.name import Name
from .check import Gate, acheck_smtp
from .ops import OpsOptions
from .report import DaneReport, display

log = logging.getLogger("dnssec_lite.dane")

__all__ = ["CheckError", "check_many"]


@dataclass(frozen=True)
class CheckError:
    """A domain whose check could not run at all (not a verdict: an error)."""

    domain: str
    error: str

    def to_json(self) -> dict[str, object]:
        return {"domain": self.domain, "verdict": "error", "error": self.error}


async def check_many(
    domains: Iterable[Name | str],
    resolver: Any,
    *,
    jobs: int = 8,
    connections: int | None = None,
    ops: OpsOptions | None = None,
    **kw: Any,
) -> AsyncIterator[DaneReport | CheckError]:
    """Check every domain; yield each report (or :class:`CheckError`) as it finishes.

    Other keyword arguments go to :func:`~dnssec_lite.dane.check.acheck_smtp`
    (``policy``, ``probe``, ``timeout``, ...).  ``connections`` defaults to
    twice ``jobs``.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be 1 or more, not {jobs}")
    gate = Gate(connections if connections is not None else 2 * jobs)
    results: asyncio.Queue[DaneReport | CheckError | None] = asyncio.Queue(maxsize=jobs)
    pending = iter(domains)

    async def worker() -> None:
        for domain in pending:  # shared: each domain goes to one worker
            try:
                report: DaneReport | CheckError = await acheck_smtp(
                    domain, resolver, ops=ops, gate=gate, **kw
                )
            except Exception as exc:  # one broken domain must not end the run
                name = domain if isinstance(domain, str) else display(domain)
                log.warning("DANE check of %s failed: %s", name, exc)
                report = CheckError(name, f"{type(exc).__name__}: {exc}")
            await results.put(report)
        await results.put(None)  # this worker is done (not sent when cancelled)

    workers = [asyncio.create_task(worker()) for _ in range(jobs)]
    running = len(workers)
    try:
        while running:
            item = await results.get()
            if item is None:
                running -= 1
                continue
            yield item
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
