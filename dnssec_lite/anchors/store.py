"""The trust-anchor store: the RFC 5011 state on disk, crash-safe and locked.

This is the file-I/O edge of the anchors layer; the state machine
(:mod:`.rfc5011`) and the file format (:mod:`.statefile`) stay pure.

* Writes are atomic: a temporary file in the same directory is written,
  flushed and fsynced, renamed over ``anchors.json``, and the directory is
  fsynced.  A crash at any point leaves the old state or the new one.
* Every read-modify-write runs under an exclusive ``fcntl.flock`` on
  ``anchors.json.lock`` (a separate file, since the state file itself is
  replaced), so two processes never interleave or lose an update.
* A missing, unreadable, corrupt, truncated or newer-schema state file is
  an :class:`~dnssec_lite.errors.AnchorError` naming the file.  Nothing falls
  back to the bundled anchors on its own: :meth:`AnchorStore.bootstrap` does
  that, and only when called.
* A failed or unauthenticated update never replaces the last known-good
  anchors: :func:`~dnssec_lite.anchors.rfc5011.update` changes keys only for
  an RRset signed by a key trusted now, and a failed write changes nothing.

Default location (:func:`default_state_dir`): as root on Linux and other
POSIX systems ``/var/lib/dnssec-lite``; otherwise ``$XDG_STATE_HOME/dnssec-lite``
(``~/.local/state/dnssec-lite`` when unset); on macOS ``/Library/Application
Support/dnssec-lite`` as root, ``~/Library/Application Support/dnssec-lite``
otherwise; on Windows ``%LOCALAPPDATA%\\dnssec-lite`` (reading works there;
writing needs ``fcntl`` and is refused with an AnchorError).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TypeVar

from ..dnssec.trust import TrustAnchors
from ..errors import AnchorError
from ..wire.name import Name
from ..wire.rrset import RRset
from . import statefile
from .formats import bundled_root_anchors
from .model import AnchorEvent, AnchorState
from .rfc5011 import initial_state, update

__all__ = ["LOCK_FILE", "STATE_FILE", "AnchorStore", "default_state_dir"]

log = logging.getLogger(__name__)

STATE_FILE = "anchors.json"
LOCK_FILE = "anchors.json.lock"
_TMP_PREFIX = ".anchors.json."
_TMP_SUFFIX = ".tmp"

T = TypeVar("T")


def default_state_dir(
    environ: Mapping[str, str] | None = None,
    *,
    platform: str | None = None,
    euid: int | None = None,
) -> Path:
    """Where the CLI keeps its store unless told otherwise (module text)."""
    env = os.environ if environ is None else environ
    plat = sys.platform if platform is None else platform
    if plat.startswith("win"):
        base = env.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "dnssec-lite"
    uid = (os.geteuid() if hasattr(os, "geteuid") else -1) if euid is None else euid
    home = Path(env.get("HOME") or Path.home())
    if plat == "darwin":
        base_dir = Path("/Library") if uid == 0 else home / "Library"
        return base_dir / "Application Support" / "dnssec-lite"
    if uid == 0:
        return Path("/var/lib/dnssec-lite")
    xdg = env.get("XDG_STATE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "dnssec-lite"
    return home / ".local" / "state" / "dnssec-lite"


class AnchorStore:
    """One directory holding ``anchors.json`` and its lock file.

    ``Resolver(anchor_store=store)`` loads it once, validates with
    :func:`~dnssec_lite.anchors.rfc5011.trusted_anchors` of it, and runs the
    probe of each due trust point through :meth:`transact` (see
    :mod:`dnssec_lite.resolve.anchoring`).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        published: TrustAnchors | None = None,
    ) -> None:
        self.directory = Path(directory) if directory is not None else default_state_dir()
        #: The anchors published for the trust points (default: the bundled
        #: IANA root anchors): what bootstrap and reset trust, and what tells
        #: an out-of-date state (a signer they know but the state does not).
        self._published = published
        self.path = self.directory / STATE_FILE
        self.lock_path = self.directory / LOCK_FILE

    def published(self, now: int) -> TrustAnchors:
        """The published anchors valid at ``now`` (see ``__init__``)."""
        return self._published if self._published is not None else bundled_root_anchors(now)

    def __repr__(self) -> str:
        return f"AnchorStore({str(self.directory)!r})"

    def exists(self) -> bool:
        return self.path.exists()

    # -- reading -------------------------------------------------------------------

    def load(self) -> AnchorState:
        """The stored state; an AnchorError naming the file if there is none
        or it cannot be used (never a silent fallback)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            raise AnchorError(
                str(self.path), "no trust-anchor state here: run `dnssec-lite anchors bootstrap`"
            ) from None
        except OSError as exc:
            raise AnchorError(str(self.path), exc.strerror or str(exc)) from None
        return statefile.loads(data, str(self.path))

    # -- writing -------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's exclusive advisory lock (blocking until free)."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            raise AnchorError(
                str(self.lock_path), "file locking (fcntl) is not available here"
            ) from None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise AnchorError(str(self.lock_path), exc.strerror or str(exc)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _write(self, state: AnchorState) -> None:
        """Atomically replace the state file (call with the lock held)."""
        data = statefile.dumps(state).encode("utf-8")
        self._clean_temporaries()
        where = str(self.path)
        try:
            fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=_TMP_SUFFIX, dir=self.directory)
        except OSError as exc:
            raise AnchorError(where, f"cannot write: {exc.strerror or exc}") from None
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise AnchorError(
                where, f"cannot write (the previous state is kept): {exc.strerror or exc}"
            ) from None
        try:
            dfd = os.open(self.directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError as exc:
            raise AnchorError(
                where, f"written, but the directory could not be synced: {exc.strerror or exc}"
            ) from None
        log.debug("wrote %s (%d octets)", where, len(data))

    def _clean_temporaries(self) -> None:
        """Temporary files left by a writer that crashed (only lock holders
        write, so any found under the lock are stale)."""
        with contextlib.suppress(OSError):
            for entry in self.directory.iterdir():
                if entry.name.startswith(_TMP_PREFIX) and entry.name.endswith(_TMP_SUFFIX):
                    with contextlib.suppress(OSError):
                        entry.unlink()

    def save(self, state: AnchorState) -> None:
        with self.locked():
            self._write(state)

    def transact(self, change: Callable[[AnchorState], tuple[AnchorState, T]]) -> T:
        """Load, ``change``, and write back if changed, all under the lock:
        concurrent updates are serialised, none is lost."""
        with self.locked():
            state = self.load()
            new, result = change(state)
            if new != state:
                self._write(new)
            return result

    def apply(
        self,
        dnskey_answer: RRset | None,
        now: int,
        *,
        zone: Name | None = None,
        rng: Callable[[], float] | None = None,
    ) -> tuple[AnchorState, list[AnchorEvent]]:
        """Run one RFC 5011 probe result through the stored state and keep
        the outcome (see :func:`~dnssec_lite.anchors.rfc5011.update`)."""

        def change(
            state: AnchorState,
        ) -> tuple[AnchorState, tuple[AnchorState, list[AnchorEvent]]]:
            new, events = update(state, dnskey_answer, now, zone=zone, rng=rng)
            return new, (new, events)

        return self.transact(change)

    def bootstrap(self, now: int, anchors: TrustAnchors | None = None) -> AnchorState:
        """Start over, explicitly: trust ``anchors`` (by default the bundled
        IANA root anchors valid at ``now``, or the store's ``published``
        ones), replacing any state, even a
        corrupt one.  What ``dnssec-lite anchors bootstrap``/``reset`` do."""
        chosen = anchors if anchors is not None else self.published(now)
        if not chosen:
            raise AnchorError(str(self.path), "bootstrap with no anchors would trust nothing")
        state = initial_state(chosen, now)
        with self.locked():
            self._write(state)
        log.info("bootstrapped %s with %d trust point(s)", self.path, len(state.points))
        return state

    reset = bootstrap
