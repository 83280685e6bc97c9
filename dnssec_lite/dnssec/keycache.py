"""The key cache: validated key entries kept across validation jobs.

A :class:`KeyEntry` says what is known about one zone (SECURE with its
keys, INSECURE, or BOGUS with the reason); :class:`KeyCache` keeps such
entries, like Unbound's key cache, so that a second lookup in a validated
zone needs no fetch at all.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from ..wire.name import Name
from ..wire.rdata.dnssec import DNSKEY
from .status import ChainLink, Reason, Status, slot_setter


@dataclass(frozen=True, slots=True, init=False)
class KeyEntry:
    """What is known about one zone: its validated keys, or why it has none."""

    zone: Name
    status: Status
    keys: tuple[DNSKEY, ...] = ()
    reason: Reason | None = None
    link: ChainLink | None = None
    ttl: int = 0
    #: With ``harden_algo_downgrade``: the algorithms every RRset of the zone
    #: must be validly signed with (empty: any one key is enough).
    algorithms: frozenset[int] = frozenset()

    def __init__(
        self,
        zone: Name,
        status: Status,
        keys: tuple[DNSKEY, ...] = (),
        reason: Reason | None = None,
        link: ChainLink | None = None,
        ttl: int = 0,
        algorithms: frozenset[int] = frozenset(),
    ) -> None:
        # Slot setters: see status.slot_setter.
        _ke_zone(self, zone)
        _ke_status(self, status)
        _ke_keys(self, keys)
        _ke_reason(self, reason)
        _ke_link(self, link)
        _ke_ttl(self, ttl)
        _ke_algorithms(self, algorithms)


_ke_zone = slot_setter(KeyEntry, "zone")
_ke_status = slot_setter(KeyEntry, "status")
_ke_keys = slot_setter(KeyEntry, "keys")
_ke_reason = slot_setter(KeyEntry, "reason")
_ke_link = slot_setter(KeyEntry, "link")
_ke_ttl = slot_setter(KeyEntry, "ttl")
_ke_algorithms = slot_setter(KeyEntry, "algorithms")


class KeyCache:
    """Validated key entries across jobs, bounded in size and by TTL.

    Entries expire at ``now + ttl`` given when stored.  The walk that
    stores them bounds ``ttl`` by the TTLs and signature validity it saw and
    by ``Limits.max_key_ttl``; BOGUS entries live only ``Limits.bogus_ttl``.
    """

    def __init__(self, max_entries: int = 1024) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Name, tuple[KeyEntry, int]] = OrderedDict()

    def get(self, zone: Name, now: int) -> KeyEntry | None:
        item = self._entries.get(zone)
        if item is None:
            return None
        entry, expires = item
        if now >= expires:
            del self._entries[zone]
            return None
        self._entries.move_to_end(zone)
        return entry

    def put(self, entry: KeyEntry, now: int, ttl: int) -> None:
        if ttl <= 0:
            return
        self._entries[entry.zone] = (entry, now + ttl)
        self._entries.move_to_end(entry.zone)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def expiries(self) -> dict[Name, tuple[Status, int]]:
        """Each zone's status and the time its entry expires (for audits and
        tests: nothing may be kept past what its data allowed)."""
        return {zone: (entry.status, expires) for zone, (entry, expires) in self._entries.items()}

    def clear(self) -> None:
        self._entries.clear()

    def forget(self, zone: Name) -> int:
        """Drop the entries of ``zone`` and of every zone below it (their
        trust came from it: after its anchors change); returns how many."""
        gone = [z for z in self._entries if z.is_subdomain(zone)]
        for z in gone:
            del self._entries[z]
        return len(gone)

    def __len__(self) -> int:
        return len(self._entries)


__all__ = ["KeyCache", "KeyEntry"]
