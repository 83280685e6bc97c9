"""The values of RFC 5011 trust-anchor state: keys, trust points, events.

Plain frozen values, shared by the state machine (:mod:`.rfc5011`), the
JSON state file (:mod:`.statefile`) and the Unbound format (:mod:`.unbound`).
Keys are identified by their data with the REVOKE bit masked
(:func:`key_id`), never by key tag: revoking a key changes its tag.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

from ..wire.name import Name
from ..wire.rdata.dnssec import DNSKEY, DS
from ..wire.types import DNSKEY_REVOKE

__all__ = [
    "AnchorEvent",
    "AnchorState",
    "Event",
    "KeyState",
    "Notice",
    "TrackedKey",
    "TrustPoint",
    "key_id",
    "plain_key",
    "revoked_key",
]


class KeyState(enum.IntEnum):
    """RFC 5011 section 4 key states (numbered as in Unbound's state file)."""

    START = 0
    ADDPEND = 1
    VALID = 2
    MISSING = 3
    REVOKED = 4
    REMOVED = 5


#: States whose keys are trust anchors.
TRUSTED = frozenset({KeyState.VALID, KeyState.MISSING})


class Event(enum.Enum):
    """RFC 5011 section 4 events."""

    NEW_KEY = "NewKey"
    ADD_TIME = "AddTime"
    KEY_REM = "KeyRem"
    KEY_PRES = "KeyPres"
    REV_BIT = "RevBit"
    REM_TIME = "RemTime"


class Notice(enum.Enum):
    """What an update reports besides key transitions."""

    #: A key changed state (``event``, ``old`` and ``new`` are set).
    TRANSITION = "transition"
    #: The DNSKEY RRset was validated by a trusted key and applied.
    VALIDATED = "validated"
    #: No answer, or an RRset no trusted key signs: nothing changed but timers.
    NOT_VALIDATED = "not-validated"
    #: ``now`` is before the state's last change: hold-downs are delayed.
    CLOCK_BACKWARDS = "clock-backwards"
    #: A Missing key was forgotten after the keep-missing period.
    MISSING_DROPPED = "missing-dropped"
    #: A revoked (or removed) key was published again without the bit; ignored.
    REVOKED_KEY_REPUBLISHED = "revoked-key-republished"
    #: Every trusted key of the trust point is revoked: nothing is trusted.
    ALL_REVOKED = "all-revoked"
    #: A zone-signing key configured as an anchor, retired once a SEP key is Valid.
    ZSK_ANCHOR_RETIRED = "zsk-anchor-retired"


def plain_key(key: DNSKEY) -> DNSKEY:
    """``key`` with the REVOKE bit clear (the form a DS or an anchor names)."""
    if not key.flags & DNSKEY_REVOKE:
        return key
    return DNSKEY(key.flags & ~DNSKEY_REVOKE, key.protocol, key.algorithm, key.key)


def revoked_key(key: DNSKEY) -> DNSKEY:
    """``key`` with the REVOKE bit set (its tag changes: 20326 -> 20454)."""
    if key.flags & DNSKEY_REVOKE:
        return key
    return DNSKEY(key.flags | DNSKEY_REVOKE, key.protocol, key.algorithm, key.key)


def key_id(key: DNSKEY) -> tuple[int, int, int, bytes]:
    """Identity of a key whatever its REVOKE bit: flags (bit masked),
    protocol, algorithm and public key."""
    return (key.flags & ~DNSKEY_REVOKE, key.protocol, key.algorithm, key.key)


@dataclass(frozen=True, slots=True)
class TrackedKey:
    """One SEP key of a trust point and where it is in its lifecycle.

    ``dnskey`` is always stored with the REVOKE bit clear; ``since`` is the
    time of the last state change, from which hold-downs are measured.
    """

    dnskey: DNSKEY
    state: KeyState
    since: int
    first_seen: int
    #: Validated sightings while AddPend (two are needed before Valid).
    sightings: int = 0
    #: Add hold-down of this key: max(30 days, original TTL of the first RRset).
    add_holddown: int = 0

    @property
    def tag(self) -> int:
        return self.dnskey.key_tag

    @property
    def revoked_tag(self) -> int:
        return revoked_key(self.dnskey).key_tag

    @property
    def trusted(self) -> bool:
        return self.state in TRUSTED

    def moved(self, state: KeyState, now: int) -> TrackedKey:
        """In ``state`` from ``now``; the sighting count only means
        something while AddPend (Unbound writes 0 otherwise)."""
        sightings = self.sightings if state is KeyState.ADDPEND else 0
        return replace(self, state=state, since=now, sightings=sightings)


@dataclass(frozen=True, slots=True)
class TrustPoint:
    """A zone whose DNSKEY RRset is followed by RFC 5011, with its timers."""

    zone: Name
    keys: tuple[TrackedKey, ...] = ()
    #: DS anchors not yet matched to a key (bootstrap from DS or digest-only
    #: XML); the first validated RRset turns a matching key into a Valid key.
    ds: tuple[DS, ...] = ()
    #: Latest time this trust point was updated at (clock-sanity reference).
    last_change: int = 0
    last_queried: int = 0
    last_success: int = 0
    next_probe: int = 0
    query_failed: int = 0
    query_interval: int = 0
    retry_time: int = 0
    #: Original TTL of the last validated DNSKEY RRset.
    ttl: int = 0

    @property
    def trusted_keys(self) -> tuple[DNSKEY, ...]:
        return tuple(k.dnskey for k in self.keys if k.trusted)

    @property
    def all_revoked(self) -> bool:
        """No trusted key or DS left, and at least one key was revoked."""
        return (
            not self.ds
            and not any(k.trusted for k in self.keys)
            and any(k.state in (KeyState.REVOKED, KeyState.REMOVED) for k in self.keys)
        )

    def find(self, key: DNSKEY) -> TrackedKey | None:
        ident = key_id(key)
        for tracked in self.keys:
            if key_id(tracked.dnskey) == ident:
                return tracked
        return None


@dataclass(frozen=True, slots=True)
class AnchorState:
    """Every trust point of a trust-anchor store, by zone."""

    points: dict[Name, TrustPoint] = field(default_factory=dict)

    def with_point(self, point: TrustPoint) -> AnchorState:
        points = dict(self.points)
        points[point.zone] = point
        return AnchorState(points)


@dataclass(frozen=True, slots=True)
class AnchorEvent:
    """One thing an update did or noticed, for logs and ``anchors update``."""

    zone: Name
    notice: Notice
    #: The key concerned (its tag as published: revoked keys by revoked tag).
    key_tag: int | None = None
    event: Event | None = None
    old: KeyState | None = None
    new: KeyState | None = None
    detail: str = ""

    def __str__(self) -> str:
        where = self.zone.to_text()
        if self.notice is Notice.TRANSITION and self.event is not None:
            old = self.old.name if self.old is not None else "?"
            new = self.new.name if self.new is not None else "?"
            text = f"{where} key {self.key_tag}: {self.event.value} {old} -> {new}"
        else:
            key = f" key {self.key_tag}" if self.key_tag is not None else ""
            text = f"{where}{key}: {self.notice.value}"
        return f"{text} ({self.detail})" if self.detail else text
