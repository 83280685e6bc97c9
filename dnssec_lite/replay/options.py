"""A scenario's ``CONFIG`` section as library options.

Each Unbound option that changes validation or resolution maps to a
documented :class:`~dnssec_lite.dnssec.chain.Validator`,
:class:`~dnssec_lite.dnssec.limits.Limits` or
:class:`~dnssec_lite.resolve.iterative.IterativeEngine` option with the same
meaning (:data:`MAPPED`); the options that do not are listed with the reason
in :data:`IGNORED`.  The defaults are those of the engine each corpus was
written for: Unbound's ``testdata`` (a ``server:`` clause) gets Unbound's
signature-time allowance on both sides, Deckard's flat configurations (for
Knot Resolver) none at all.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from ..dnssec.limits import DEFAULT_LIMITS, Limits
from ..errors import ReplayError
from .rpl import Config

__all__ = ["IGNORED", "MAPPED", "REPLAY_LIMITS", "ScenarioOptions", "scenario_options"]

#: Limits for replay: as the defaults, but NSEC3 iterations up to 150 count
#: as a usable proof, as in the Unbound and Knot Resolver versions that
#: recorded the scenarios (RFC 9276 lets a validator choose its limit).
REPLAY_LIMITS = dataclasses.replace(DEFAULT_LIMITS, max_nsec3_iterations=150)

#: Unbound option -> the library option that the harness sets from it.
MAPPED: dict[str, str] = {
    "harden-algo-downgrade": "Validator(harden_algo_downgrade=)",
    "harden-dnssec-stripped": "Validator(harden_dnssec_stripped=)",
    "val-override-date": "Validator(override_date=), -1: Validator(ignore_time=True)",
    "val-override-timestamp": "Validator(override_date=), -1: Validator(ignore_time=True)",
    "val-sig-skew-min": "Limits.skew_min (and expiry_skew_min for Unbound's testdata)",
    "val-sig-skew-max": "Limits.skew_max (and expiry_skew_max for Unbound's testdata)",
    "val-bogus-ttl": "Limits.bogus_ttl",
    "val-nsec3-keysize-iterations": "Limits.max_nsec3_iterations (smallest key size's count)",
    "qname-minimisation": "IterativeEngine(qname_minimisation=)",
    "query-minimization": "IterativeEngine(qname_minimisation=)",
    "trust-anchor": "TrustAnchors",
    "domain-insecure": "TrustAnchors negative anchors",
}

#: Options read but without effect, and why.
IGNORED: dict[str, str] = {
    "aggressive-nsec": "the RFC 8198 cache is on for every scenario; none depends on it off",
    "fake-sha1": "test switch; every signature is really checked",
    "fake-dsa": "test switch; every signature is really checked",
    "val-max-restart": "the engine's restart limit is already Unbound's default (5)",
    "harden-below-nxdomain": "the validated-NXDOMAIN cut is the aggressive cache's job",
    "target-fetch-policy": "address fetching is driven by the engine, not prefetched",
    "prefetch": "no prefetching: every scenario step is resolved when asked",
    "prefetch-key": "no prefetching: every scenario step is resolved when asked",
    "trust-anchor-signaling": "RFC 8145 key-tag queries are not sent",
    "root-key-sentinel": "RFC 8509 sentinel answers are always given",
    "ede": "extended errors are always reported",
    "minimal-responses": "only ANSWER and the rcode are compared",
    "rrset-roundrobin": "answers are compared as sets",
    "iter-scrub-promiscuous": "the engine never keeps out-of-bailiwick records",
    "harden-glue": "the engine never keeps out-of-bailiwick glue",
    "harden-referral-path": "not emulated; referral NS RRsets are not validated",
    "harden-unknown-additional": "additional-section data is not returned",
    "max-global-quota": "the engine's own query limit applies",
    "stub-prime": "the engine primes when it has root hints, as Unbound's default",
    "stub-name": "the stub's addresses are given (stub-addr); its name is not resolved",
    "do-ip4": "the scenario's addresses decide which family is used",
    "do-ip6": "the scenario's addresses decide which family is used",
    "do-not-query-localhost": "scenario servers are never real hosts",
    "access-control": "the harness is the only client",
    "local-zone": "no local data is served",
    "directory": "no files are read",
    "log-time-ascii": "logging only",
    "log-servfail": "logging only",
}

_NUMBER = re.compile(r"-?\d+")


@dataclass(frozen=True)
class ScenarioOptions:
    """What the harness passes to the validator and the engine."""

    limits: Limits
    harden_algo_downgrade: bool = False
    harden_dnssec_stripped: bool = True
    qname_minimisation: bool = True


def _int(config: Config, key: str, default: int, path: str) -> int:
    values = config.options.get(key)
    if not values:
        return default
    text = values[-1].strip()
    if not _NUMBER.fullmatch(text):
        raise ReplayError(path, None, f"CONFIG {key}: want a number, got {text!r}")
    return int(text)


def _keysize_iterations(config: Config, default: int, path: str) -> int:
    """``val-nsec3-keysize-iterations``: pairs of key size and iterations
    (or one count).  The count for the smallest key size is used: the limit
    does not depend on key sizes here, and the smallest keys get the
    strictest limit in Unbound."""
    values = config.options.get("val-nsec3-keysize-iterations")
    if not values:
        return default
    words = values[-1].split()
    if not words or not all(_NUMBER.fullmatch(w) for w in words):
        raise ReplayError(
            path, None, f"CONFIG val-nsec3-keysize-iterations: bad value {values[-1]!r}"
        )
    numbers = [int(w) for w in words]
    if len(numbers) == 1:
        return numbers[0]
    pairs = sorted(zip(numbers[0::2], numbers[1::2], strict=False))
    return pairs[0][1]


def scenario_options(
    config: Config, base: Limits = REPLAY_LIMITS, *, path: str = "<config>"
) -> ScenarioOptions:
    """The library options for a scenario's configuration (``path`` names
    the scenario in errors)."""
    skew_min = _int(config, "val-sig-skew-min", 3600, path)
    skew_max = _int(config, "val-sig-skew-max", 86400, path)
    if config.flat:
        # Deckard's scenarios are written for Knot Resolver: no allowance.
        limits = dataclasses.replace(
            base,
            skew_min=_int(config, "val-sig-skew-min", 0, path),
            skew_max=_int(config, "val-sig-skew-max", 0, path),
            expiry_skew_min=_int(config, "val-sig-skew-min", 0, path),
            expiry_skew_max=_int(config, "val-sig-skew-max", 0, path),
        )
    else:
        # Unbound widens both ends of the validity period.
        limits = dataclasses.replace(
            base,
            skew_min=skew_min,
            skew_max=skew_max,
            expiry_skew_min=skew_min,
            expiry_skew_max=skew_max,
        )
    limits = dataclasses.replace(
        limits,
        bogus_ttl=_int(config, "val-bogus-ttl", limits.bogus_ttl, path),
        max_nsec3_iterations=_keysize_iterations(config, limits.max_nsec3_iterations, path),
    )
    return ScenarioOptions(
        limits=limits,
        harden_algo_downgrade=config.flag("harden-algo-downgrade"),
        harden_dnssec_stripped=config.flag("harden-dnssec-stripped", default=True),
        qname_minimisation=config.qname_minimisation,
    )
