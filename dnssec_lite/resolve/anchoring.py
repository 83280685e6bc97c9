"""A resolver's trust anchors kept in step with an :class:`AnchorStore`.

:class:`AnchorKeeper` holds the store's state in memory (so a lookup only
compares ``now`` with :attr:`AnchorKeeper.refresh_at`: the store file is
not touched on the hot path), gives the validator its anchors and the
out-of-date diagnosis, and runs the RFC 5011 probe of a trust point that
is due:

1. :meth:`AnchorKeeper.probe_steps` fetches the trust point's DNSKEY RRset
   (with its RRSIGs) as a step generator, through the resolver's own fetch
   path (the same fetcher and driver as every lookup; stub failover or the
   iterative engine).  It is not validated by the resolver's key cache:
2. :meth:`AnchorKeeper.apply` hands it to
   :func:`~dnssec_lite.anchors.rfc5011.update` inside the store's locked
   transaction, which trusts it only if a key trusted *now* signs it.

A probe that failed or was not authenticated changes nothing on disk: its
retry timer is kept in memory only (a restart probes again at once, which
is harmless).  The store file is read again before every refresh and at
least every :data:`RELOAD_EVERY` seconds (on the lookup that finds that
time passed), so another process's ``anchors bootstrap`` or ``update`` is
picked up without a restart.  What an authenticated probe (a validated RRset, a
self-signed revocation, a hold-down completed) did is written atomically.
A store that cannot be read or written is logged and the anchors in use
stay as they are; nothing new is trusted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

from ..anchors.diagnose import out_of_date_reason
from ..anchors.model import AnchorEvent, AnchorState, Notice
from ..anchors.rfc5011 import HOUR, due, trusted_anchors, update
from ..anchors.store import AnchorStore
from ..dnssec.algorithms import DEFAULT_POLICY, AlgorithmPolicy
from ..dnssec.fetch import FetchFailed, FetchResult
from ..dnssec.limits import DEFAULT_LIMITS, Limits
from ..dnssec.trust import TrustAnchors
from ..errors import AnchorError
from ..wire.name import Name
from ..wire.rrset import RRset
from ..wire.types import Rcode, RRType
from .fetcher import Batch, Reply

__all__ = ["RELOAD_EVERY", "AnchorKeeper", "FetchOne", "Refresh"]

log = logging.getLogger("dnssec_lite.anchors")

#: (name, type) -> a step generator of the fetch result (the resolver's path).
FetchOne = Callable[[Name, int], Generator[Batch, list[Reply], FetchResult]]

#: The store file is read again at least this often (seconds).
RELOAD_EVERY = HOUR

#: Notices that mean the probe was authenticated (worth writing down).
_AUTHENTICATED = frozenset(
    {Notice.TRANSITION, Notice.VALIDATED, Notice.ALL_REVOKED, Notice.MISSING_DROPPED,
     Notice.ZSK_ANCHOR_RETIRED}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Refresh:
    """What one probe of a trust point did."""

    zone: Name
    events: list[AnchorEvent] = field(default_factory=list)
    #: The state was written to the store (an authenticated probe).
    written: bool = False
    #: The trusted anchors (or the reason nothing is trusted) changed.
    changed: bool = False
    #: Why the probe fetched nothing, or its outcome could not be kept.
    error: str | None = None
    #: The out-of-date diagnosis after this probe, if any.
    diagnosis: str | None = None


class AnchorKeeper:
    """The trusted anchors of one resolver, from an :class:`AnchorStore`.

    Loading the store is the only step that may raise (an
    :class:`~dnssec_lite.errors.AnchorError` naming the file): a resolver
    given a store it cannot read must not fall back to anything.
    """

    def __init__(
        self,
        store: AnchorStore,
        now: int,
        *,
        policy: AlgorithmPolicy = DEFAULT_POLICY,
        limits: Limits = DEFAULT_LIMITS,
        negative: frozenset[Name] = frozenset(),
        rng: Callable[[], float] | None = None,
    ) -> None:
        self.store = store
        self.policy = policy
        self.limits = limits
        self.negative = negative
        self.rng = rng
        self.state: AnchorState = store.load()
        self.published = store.published(now)
        #: Out-of-date reasons found by probes, by trust point.
        self.diagnosed: dict[Name, str] = {}
        #: Why the last probe of a trust point fetched nothing usable.
        self._probe_failed: dict[Name, str] = {}
        #: Retry times of probes whose outcome was not written, by trust point.
        self._retry: dict[Name, int] = {}
        #: When to look again (a trust point due, or the file to re-read);
        #: compared with ``now`` on every lookup.
        self.refresh_at = 0
        self._anchors = self._build()
        self._schedule(now)

    # -- what the validator uses ------------------------------------------------------
    @property
    def anchors(self) -> TrustAnchors:
        return self._anchors

    def _build(self) -> TrustAnchors:
        base = trusted_anchors(self.state)
        problems = dict(base.problems)
        for zone, text in self.diagnosed.items():
            if zone in problems:  # nothing trusted there: say why plainly
                problems[zone] = text
        return TrustAnchors(base.anchors, self.negative, problems)

    def diagnosis(self, rrset: RRset, now: int) -> str | None:
        """The validator's hook: why ``rrset`` (a trust point's DNSKEY RRset
        no trusted key validated) points at out-of-date anchors, or None."""
        return out_of_date_reason(
            self.state, rrset, self.published, now, policy=self.policy, limits=self.limits
        )

    # -- refreshing ---------------------------------------------------------------------
    def due(self, now: int) -> list[Name]:
        return [z for z in due(self.state, now) if self._retry.get(z, 0) <= now]

    def _schedule(self, now: int) -> None:
        times = [
            max(point.next_probe or now, self._retry.get(zone, 0))
            for zone, point in self.state.points.items()
            if not point.all_revoked
        ]
        self.refresh_at = min([now + RELOAD_EVERY, *times])

    def reload(self, now: int) -> list[Name]:
        """Read the store file again (another process may have changed it);
        the trust points whose anchors changed.  An unreadable file is
        logged and changes nothing (nothing new is trusted)."""
        try:
            state = self.store.load()
        except AnchorError as exc:
            log.error("trust-anchor store not re-read: %s", exc)
            self._schedule(now)
            return []
        changed: list[Name] = []
        if state != self.state:
            before = self._anchors
            zones = set(state.points) | set(self.state.points)
            moved = [z for z in zones if state.points.get(z) != self.state.points.get(z)]
            for zone in moved:
                self.diagnosed.pop(zone, None)
                self._retry.pop(zone, None)
            self.state = state
            self._anchors = self._build()
            if self._anchors != before:
                changed = moved
                log.info("trust-anchor store changed on disk: %s", self.store.path)
        self._schedule(now)
        return changed

    def probeable(self) -> list[Name]:
        """Every trust point a probe can still help (not all revoked)."""
        return [p.zone for p in self.state.points.values() if not p.all_revoked]

    def probe_steps(
        self, zone: Name, fetch_one: FetchOne
    ) -> Generator[Batch, list[Reply], RRset | None]:
        """Fetch ``zone``'s DNSKEY RRset through ``fetch_one``; None if the
        fetch failed or the response holds no such RRset."""
        self._probe_failed.pop(zone, None)
        result = yield from fetch_one(zone, RRType.DNSKEY)
        why = None
        rrset = None
        if isinstance(result, FetchFailed):
            why = f"the DNSKEY query failed: {result.reason}"
        elif result.rcode != Rcode.NOERROR:
            why = f"the DNSKEY query was answered {Rcode.to_text(result.rcode)}"
        else:
            rrset = result.get_answer(zone, RRType.DNSKEY)
            if rrset is None:
                why = "the answer holds no DNSKEY RRset"
        if why is not None:
            self._probe_failed[zone] = why
            log.info("trust point %s: probe: %s", zone.to_text(), why)
        return rrset

    def apply(self, zone: Name, rrset: RRset | None, now: int) -> Refresh:
        """Run a probe result through the stored state, under the store's
        lock; write it only if it was authenticated (module text)."""
        before = self._anchors

        def change(
            disk: AnchorState,
        ) -> tuple[AnchorState, tuple[AnchorState, AnchorState, list[AnchorEvent], bool]]:
            if zone not in disk.points:
                return disk, (disk, disk, [], False)  # the store was reset meanwhile
            new, events = update(
                disk, rrset, now, zone=zone, rng=self.rng, policy=self.policy, limits=self.limits
            )
            old_point, new_point = disk.points[zone], new.points[zone]
            keep = any(e.notice in _AUTHENTICATED for e in events) or (
                old_point.keys != new_point.keys or old_point.ds != new_point.ds
            )
            return (new if keep else disk), (disk, new, events, keep)

        try:
            disk, new, events, written = self.store.transact(change)
        except AnchorError as exc:
            log.error("trust point %s: not refreshed: %s", zone.to_text(), exc)
            point = self.state.points.get(zone)
            self._retry[zone] = now + max(HOUR, point.retry_time if point else 0)
            self._schedule(now)
            return Refresh(zone, error=str(exc))
        if written:
            self.state = new
            self._retry.pop(zone, None)
        else:
            self.state = disk
            if zone in new.points:  # the retry time update() chose, in memory only
                self._retry[zone] = new.points[zone].next_probe
        diagnosis = None
        if rrset is not None and not any(e.notice is Notice.VALIDATED for e in events):
            diagnosis = self.diagnosis(rrset, now)
        if diagnosis is not None:
            self.diagnosed[zone] = diagnosis
            log.warning("trust point %s: %s", zone.to_text(), diagnosis)
        else:
            self.diagnosed.pop(zone, None)
        self._anchors = self._build()
        self._schedule(now)
        changed = self._anchors != before
        why = self._probe_failed.pop(zone, None) if rrset is None else None
        return Refresh(zone, events, written, changed, why, diagnosis)

    def refresh_steps(
        self, now: int, fetch_one: FetchOne, *, force: bool = False
    ) -> Generator[Batch, list[Reply], list[tuple[Name, RRset | None]]]:
        """Probe every due trust point (``force``: every one not all revoked)
        as one step generator; returns what each probe fetched, for
        :meth:`apply` (which does file I/O: kept out of the I/O loop)."""
        fetched: list[tuple[Name, RRset | None]] = []
        for zone in self.probeable() if force else self.due(now):
            rrset = yield from self.probe_steps(zone, fetch_one)
            fetched.append((zone, rrset))
        self._schedule(now)  # (apply() schedules again after each probe)
        return fetched
