"""Replay ``.rpl`` scenarios against the validator.

:func:`run_scenario` plays every ``QUERY`` step of a scenario: a fake
transport (:class:`ScenarioTransport`) answers from the scenario's RANGE
entries; the question is resolved iteratively from the stub-zone address(es)
by :class:`~dnssec_lite.resolve.iterative.IterativeEngine` (or, for a
``forward-zone`` scenario, sent to the forwarder, which plays a recursive
resolver); the :class:`~dnssec_lite.dnssec.chain.Validator` then validates
the answer, every fetch it asks for being answered the same way.  Each
``CHECK_ANSWER`` step is compared with the outcome:

* the verdict (see :func:`dnssec_lite.replay.rpl.expected_outcomes`):
  ``secure`` needs SECURE, ``bogus`` needs BOGUS, ``insecure`` needs INSECURE
  or INDETERMINATE, ``noDO`` needs anything but BOGUS; ``cd`` queries are not
  validated (the raw answer is returned);
* unless bogus: the rcode, and the ANSWER section as a set of records, TTLs
  ignored (RRSIGs included only when the query had DO).

AUTHORITY/ADDITIONAL contents are resolver-specific and not compared.

The pieces live beside this module: :mod:`.entries` (entries as messages,
the scenario transport), :mod:`.recorded` (how the recorded resolver
fetched, its caches) and :mod:`.results` (step and scenario results, the
comparison); their public names are re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..dnssec.aggressive import AggressiveCache
from ..dnssec.algorithms import (
    DEFAULT_POLICY,
    LEGACY_TEST_POLICY,
    AlgorithmPolicy,
    is_supported_key,
)
from ..dnssec.chain import FetchFailed, Validator
from ..dnssec.dnamecache import DnameCache
from ..dnssec.status import Answer, Status
from ..dnssec.trust import TrustAnchors
from ..errors import DnssecLiteError
from ..resolve.cache import AnswerCache
from ..resolve.iterative import IterativeEngine, validate_with_restarts
from ..wire.edns import EDNS_DO, Edns
from ..wire.message import Message, Question
from ..wire.name import Name
from ..wire.rdata.dnssec import DNSKEY, DS
from ..wire.rrset import RR, RRset
from ..wire.types import FLAG_CD, FLAG_QR, FLAG_RA, Rcode, RRClass, RRType
from ..wire.zonefile import ZoneParser
from . import macros
from .entries import ScenarioTransport, build_message, entry_matches
from .options import REPLAY_LIMITS, scenario_options
from .recorded import Caches, Fetcher, make_fetcher
from .results import Outcome, ScenarioResult, StepResult, compare_step
from .rpl import Entry, Scenario, expected_outcomes, iter_entries, parse_file

__all__ = [
    "AUTOTRUST_SKIP",
    "ScenarioResult",
    "ScenarioTransport",
    "StepResult",
    "build_message",
    "entry_matches",
    "needs_legacy_policy",
    "run_file",
    "run_scenario",
    "trust_anchors",
]

AUTOTRUST_SKIP = "RFC 5011 scenario without a CHECK_AUTOTRUST step: nothing to compare"


_DSA_ALGS = frozenset({3, 6})
_RSA_ALGS = frozenset({5, 7, 8, 10})
_STATE_RE = re.compile(r";;\s*state=(\d+)")
_USABLE_STATES = frozenset({2, 3})  # VALID, MISSING


# ---------------------------------------------------------------------------
# configuration


def trust_anchors(scenario: Scenario) -> TrustAnchors:
    """Trust anchors (``trust-anchor:`` lines and AUTOTRUST_FILE keys in state
    VALID or MISSING, or without state) and ``domain-insecure`` zones."""
    config = scenario.config
    rrs: list[RR] = list(_anchor_rrs(scenario))
    for text in config.autotrust_files.values():
        for raw in text.splitlines():
            stripped = raw.strip()
            if not stripped or stripped.startswith(";"):
                continue
            state = _STATE_RE.search(raw)
            if state is not None and int(state.group(1)) not in _USABLE_STATES:
                continue
            rrs.extend(ZoneParser(None, None, scenario.path, strict=False).records(raw))
    negative = [Name.from_text(zone) for zone in config.domain_insecure]
    return TrustAnchors.from_rrs(rrs, negative=negative)


def _scripted_rrsets(scenario: Scenario, transport: ScenarioTransport) -> Iterator[RRset]:
    """Every RRset of every scripted answer (raw-hex entries left out)."""
    for entry in iter_entries(scenario):
        if entry.raw_hex is not None:
            continue
        msg = transport.message(entry)
        for section in (msg.answer, msg.authority, msg.additional):
            yield from section


def _anchor_rrs(scenario: Scenario) -> Iterator[RR]:
    """The records of the scenario's ``trust-anchor:`` lines."""
    for line in scenario.config.trust_anchors:
        yield from ZoneParser(None, None, scenario.path, strict=False).records(line.text)


def needs_legacy_policy(scenario: Scenario, transport: ScenarioTransport) -> bool:
    """True if a DNSKEY of the scenario (or an anchor) is DSA or an RSA key
    below the default minimum size: old Unbound test data."""
    keys: list[DNSKEY] = []
    for rrset in _scripted_rrsets(scenario, transport):
        keys += [rd for rd in rrset.rdatas if isinstance(rd, DNSKEY)]
    for rr in _anchor_rrs(scenario):
        if isinstance(rr.rdata, DNSKEY):
            keys.append(rr.rdata)
    for rrset in _scripted_rrsets(scenario, transport):
        if any(sig.algorithm in _DSA_ALGS for sig in rrset.sigs):
            return True
        if any(isinstance(rd, DS) and rd.algorithm in _DSA_ALGS for rd in rrset.rdatas):
            return True
    for rr in _anchor_rrs(scenario):
        if isinstance(rr.rdata, DS) and rr.rdata.algorithm in _DSA_ALGS:
            return True
    for key in keys:
        if key.algorithm in _DSA_ALGS:
            return True
        if key.algorithm in _RSA_ALGS and not is_supported_key(
            key.algorithm, key.key, DEFAULT_POLICY
        ):
            return True
    return False


# ---------------------------------------------------------------------------
# running


@dataclass
class _State:
    clock: int = 0
    variables: dict[str, int | str] = field(default_factory=dict)


def _run_query(
    entry: Entry,
    msg: Message,
    fetch: Fetcher,
    engine: IterativeEngine,
    validator: Validator,
    now: int,
    sentinel_tags: frozenset[int] | None = None,
    answered: Mapping[tuple[Name, int], Message] | None = None,
    caches: Caches | None = None,
) -> Outcome:
    if not msg.question:
        raise DnssecLiteError("QUERY step without a question")
    question = msg.question[0]
    asked = entry.reply
    do = "DO" in asked
    if "CD" in asked:
        response = fetch(question.name, question.rrtype)
        if isinstance(response, FetchFailed):
            return Outcome(None, Rcode.SERVFAIL, (), do, response.reason)
        return Outcome(None, response.rcode, response.answer, do)
    if "RD" not in asked and answered is not None:
        key = (question.name, question.rrtype)
        referral = None if key in answered else engine.cached_delegation(question.name)
        if referral is not None:
            return _cached_referral(referral, fetch, engine, validator, now, do)
    hit = None
    if caches is not None and caches.answers is not None:
        hit = caches.answers.get(question.name, question.rrtype, now=caches.now)
    if hit is not None:
        answer: Answer = hit
    else:
        answer = validate_with_restarts(
            validator, Question(question.name, question.rrtype, RRClass.IN), now, engine, fetch
        )
        if caches is not None and caches.answers is not None:
            caches.answers.put(answer, caches.now)
    if caches is not None and caches.aggressive is not None:
        caches.aggressive.add(answer, caches.now)
    if caches is not None and caches.dnames is not None:
        replied = answered.get((question.name, question.rrtype)) if answered else None
        _keep_dnames(caches.dnames, answer, replied, validator, engine, fetch, now, caches.now)
    reason = str(answer.reason) if answer.reason else ""
    if answer.status is Status.BOGUS:
        return Outcome(answer.status, Rcode.SERVFAIL, (), do, reason)
    if sentinel_tags is not None and answer.status is Status.SECURE:
        refusal = _sentinel(question, sentinel_tags)
        if refusal:
            return Outcome(None, Rcode.SERVFAIL, (), do, refusal, sentinel=True)
    return Outcome(answer.status, answer.rcode, answer.rrsets, do, reason)


def _keep_dnames(
    dnames: DnameCache,
    answer: Answer,
    response: Message | None,
    validator: Validator,
    engine: IterativeEngine,
    fetch: Fetcher,
    now: int,
    cache_now: int,
) -> None:
    """Cache each DNAME of the step's answer that validates on its own --
    also from an answer that was BOGUS for another reason (a spoofed CNAME
    beside a good DNAME), as the recorded resolvers keep validated RRsets."""
    candidates = [r for r in answer.rrsets if r.rrtype == RRType.DNAME]
    if response is not None:
        candidates += [r for r in response.answer if r.rrtype == RRType.DNAME]
    seen: list[RRset] = []
    for dname in candidates:
        if not dname.sigs or any(dname.same_data(s) for s in seen):
            continue
        seen.append(dname)
        if answer.status is Status.SECURE and dname in answer.rrsets:
            dnames.add(dname, cache_now, answer.ttl)
            continue
        alone = Message(
            id=0,
            flags=FLAG_QR | FLAG_RA | FLAG_CD,
            question=(Question(dname.name, RRType.DNAME, RRClass.IN),),
            answer=(dname,),
            edns=Edns(flags=EDNS_DO),
        )

        def lookup(
            name: Name, rrtype: int, own: RRset = dname, msg: Message = alone
        ) -> Message | FetchFailed:
            if name == own.name and rrtype == RRType.DNAME:
                return msg
            return fetch(name, rrtype)

        check = validate_with_restarts(
            validator, Question(dname.name, RRType.DNAME, RRClass.IN), now, engine, lookup
        )
        if check.status is Status.SECURE:
            dnames.add(dname, cache_now, check.ttl)


def _cached_referral(
    ns_rrset: RRset,
    fetch: Fetcher,
    engine: IterativeEngine,
    validator: Validator,
    now: int,
    do: bool,
) -> Outcome:
    """A query without RD whose answer is not cached: the resolver answers
    from its cache with a referral to the closest zone it knows (Unbound);
    the referral's NS RRset is validated (AD when it is secure)."""
    zone = ns_rrset.name
    message = Message(
        id=0,
        flags=FLAG_QR | FLAG_RA | FLAG_CD,
        question=(Question(zone, RRType.NS),),
        answer=(ns_rrset,),
        edns=Edns(flags=EDNS_DO),
    )

    def lookup(name: Name, rrtype: int) -> Message | FetchFailed:
        if name == zone and rrtype == RRType.NS:
            return message
        return fetch(name, rrtype)

    answer = validate_with_restarts(
        validator, Question(zone, RRType.NS, RRClass.IN), now, engine, lookup
    )
    reason = str(answer.reason) if answer.reason else ""
    if answer.status is Status.BOGUS:
        return Outcome(answer.status, Rcode.SERVFAIL, (), do, reason)
    return Outcome(answer.status, Rcode.NOERROR, (), do, reason)


_SENTINEL_RE = re.compile(rb"root-key-sentinel-(is|not)-ta-(\d{5})", re.IGNORECASE)


def _root_anchor_tags(anchors: TrustAnchors) -> frozenset[int]:
    anchor = anchors.anchors.get(Name.from_text("."))
    if anchor is None:
        return frozenset()
    tags = {ds.key_tag for ds in anchor.ds} | {key.key_tag for key in anchor.dnskeys}
    return frozenset(tags)


def _sentinel(question: Question, root_tags: frozenset[int]) -> str:
    """RFC 8509 key-sentinel: the SERVFAIL reason, or "" to answer normally."""
    if question.rrtype not in (RRType.A, RRType.AAAA) or not question.name.labels:
        return ""
    found = _SENTINEL_RE.fullmatch(question.name.labels[0])
    if found is None:
        return ""
    tag = int(found.group(2))
    is_ta = found.group(1).lower() == b"is"
    if is_ta != (tag in root_tags):
        return f"RFC 8509 key sentinel: key tag {tag} {'not ' if is_ta else ''}in the root anchors"
    return ""


def _aggressive_cache(scenario: Scenario, anchors: TrustAnchors) -> AggressiveCache | None:
    """The recorded resolver's cache of validated denials, wildcards and
    CNAMEs, NSEC3 iterations limited as in :data:`REPLAY_LIMITS`."""
    return AggressiveCache(limits=REPLAY_LIMITS, negative_anchors=anchors.negative)


def run_scenario(scenario: Scenario) -> ScenarioResult:
    """Replay one scenario; never raises for problems inside the scenario."""
    name = Path(scenario.path).name
    if name.startswith("autotrust_"):
        return _autotrust(scenario)
    try:
        return _run(scenario)
    except (DnssecLiteError, ValueError) as exc:
        return ScenarioResult(scenario.path, "FAIL", f"error: {exc}")


def _autotrust(scenario: Scenario) -> ScenarioResult:
    """An RFC 5011 scenario, played through the trust-anchor state machine
    (:mod:`.autotrust`, imported here: it builds on this module)."""
    from .autotrust import run_autotrust

    result = run_autotrust(scenario)
    if result.outcome == "NONE":
        return ScenarioResult(scenario.path, "SKIP", AUTOTRUST_SKIP, policy="rfc5011")
    if result.error is not None:
        return ScenarioResult(scenario.path, "FAIL", f"error: {result.error}", policy="rfc5011")
    reason = "; ".join(result.failures) or f"{result.checks} CHECK_AUTOTRUST steps match"
    return ScenarioResult(scenario.path, result.outcome, reason, policy="rfc5011")


def _run(scenario: Scenario) -> ScenarioResult:
    config = scenario.config
    transport = ScenarioTransport(scenario)
    legacy = needs_legacy_policy(scenario, transport)
    policy: AlgorithmPolicy = LEGACY_TEST_POLICY if legacy else DEFAULT_POLICY
    anchors = trust_anchors(scenario)
    options = scenario_options(config, path=scenario.path)
    validator = Validator(
        anchors,
        policy=policy,
        limits=options.limits,
        ignore_time=config.ignore_signature_times,
        override_date=config.val_override_date,
        harden_algo_downgrade=options.harden_algo_downgrade,
        harden_dnssec_stripped=options.harden_dnssec_stripped,
    )
    caches = Caches(
        aggressive=_aggressive_cache(scenario, anchors), dnames=DnameCache(), answers=AnswerCache()
    )
    fetch, engine, answered = make_fetcher(scenario, transport, list(anchors.anchors), caches)
    sentinel_tags = (
        _root_anchor_tags(anchors)
        if config.flag("root-key-sentinel")
        or any(
            "root-key-sentinel" in (e.question.text if e.question else "")
            for e in (s.entry for s in scenario.steps if s.kind == "QUERY")
            if e is not None
        )
        else None
    )
    expected = expected_outcomes(scenario)
    if not expected:
        return ScenarioResult(scenario.path, "SKIP", "no CHECK_ANSWER step")
    state = _State()
    results: list[StepResult] = []
    outcome: Outcome | None = None
    checks = 0
    for index, step in enumerate(scenario.steps):
        if step.kind == "QUERY" and step.entry is not None:
            transport.step = step.number
            transport.later = _waiting_steps(scenario, index)
            # The simulated clock ages the caches; a val-override-date only
            # fixes the time at which signatures are checked (as in Unbound).
            now = state.clock
            msg = transport.message(step.entry)
            # Cache lifetimes run on the scenario's clock even when the
            # validation time is pinned (val-override-date), as in Unbound.
            caches.now = (config.val_override_date or 0) + state.clock
            outcome = _run_query(
                step.entry,
                msg,
                fetch,
                engine,
                validator,
                now,
                sentinel_tags,
                answered,
                caches,
            )
        elif step.kind == "CHECK_ANSWER" and step.entry is not None:
            verdict = expected[checks]
            checks += 1
            if outcome is None:
                results.append(StepResult(step.number, verdict, "-", "-", False, "no answer"))
                continue
            entry_msg = transport.message(step.entry)
            results.append(compare_step(step.number, verdict, outcome, step.entry, entry_msg))
        elif step.kind == "TIME_PASSES":
            how, arg = step.args
            value = arg
            if how == "EVAL":
                value = macros.expand(arg, state.variables, state.clock, path=scenario.path)
            state.clock += int(float(value))
        elif step.kind == "ASSIGN":
            var, expr = step.args
            state.variables[var] = macros.expand(
                expr, state.variables, state.clock, path=scenario.path
            )
    failed = [r for r in results if not r.passed]
    policy_name = "legacy-test" if legacy else "default"
    if failed:
        first = failed[0]
        reason = f"step {first.step}: {first.reason}"
        if len(failed) > 1:
            reason += f" (+{len(failed) - 1} more failing step(s))"
        return ScenarioResult(scenario.path, "FAIL", reason, tuple(results), policy_name)
    return ScenarioResult(
        scenario.path, "PASS", f"{len(results)} check(s)", tuple(results), policy_name
    )


def _waiting_steps(scenario: Scenario, index: int) -> tuple[int, ...]:
    """The ``NOTHING`` steps right after step ``index``: the moments at which
    Unbound's test bed may still answer the queries of that step."""
    out: list[int] = []
    for step in scenario.steps[index + 1 :]:
        if step.kind != "NOTHING":
            break
        out.append(step.number)
    return tuple(out)


def run_file(path: str | Path) -> ScenarioResult:
    """Parse and replay one file (parse errors become a FAIL result)."""
    try:
        scenario = parse_file(path)
    except DnssecLiteError as exc:
        return ScenarioResult(str(path), "FAIL", f"cannot parse: {exc}")
    return run_scenario(scenario)
