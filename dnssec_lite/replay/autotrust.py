"""Unbound's RFC 5011 scenarios (``autotrust_*.rpl``) played through
:mod:`dnssec_lite.anchors.rfc5011`.

The scenario's ``AUTOTRUST_FILE`` is read with
:func:`~dnssec_lite.anchors.unbound.loads_unbound`; the simulated clock
starts at 0 and moves with ``TIME_PASSES``.  Whenever the clock moves, and at
``TRAFFIC`` and ``QUERY`` steps, every trust point whose probe is due is
probed: its DNSKEY answer is the first entry of a range active at that step
whose answer holds the zone's DNSKEY RRset (ranges stand in for the servers
an iterative lookup would reach); no such entry is a failed probe.
``ASSIGN`` and ``${...}`` macros are expanded with our clock and
``${timeout}`` = seconds to our next probe.  ``CHECK_AUTOTRUST`` compares the
expected file with :func:`~dnssec_lite.anchors.unbound.dumps_unbound` of our
state.

What the comparison ignores, because the format leaves it to the
implementation: free comment lines (``;`` not followed by ``;``), the order
of the key lines (Unbound lists its newest key first), and the trailing
``;;<ctime>`` comment of each header and key line (Unbound writes local
time), and the value of ``query_failed`` beyond zero or not (Unbound counts
each restart of its validator, six for one failed probe; we count probes).
Everything else must match: timers, probe times (within the
``${range ...}`` the scenario allows, then exactly), failure counts, and
every key's data, state, pending count and last-change time.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..anchors.model import AnchorState, Notice
from ..anchors.rfc5011 import due, next_refresh, update
from ..anchors.unbound import dumps_unbound, loads_unbound
from ..dnssec.algorithms import LEGACY_TEST_POLICY
from ..errors import DnssecLiteError
from ..wire.message import Message
from ..wire.name import Name
from ..wire.rrset import RRset
from ..wire.types import Rcode, RRType
from .harness import build_message, entry_matches
from .macros import expand
from .rpl import Scenario, Step, parse_file

__all__ = ["AutotrustResult", "compare_autotrust", "run_autotrust", "run_autotrust_file"]


@dataclass
class AutotrustResult:
    """Outcome of one scenario: how many CHECK_AUTOTRUST steps, which failed."""

    path: str
    checks: int = 0
    failures: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def passed(self) -> bool:
        return self.error is None and self.checks > 0 and not self.failures

    @property
    def outcome(self) -> str:
        """PASS, FAIL, or NONE for a scenario without a CHECK_AUTOTRUST step
        (it checks answers only: the validator's replay harness plays it)."""
        if self.error is None and self.checks == 0:
            return "NONE"
        return "PASS" if self.passed else "FAIL"


def _normal(text: str) -> tuple[list[str], list[str]]:
    """(header lines, sorted key lines) with what the comparison ignores removed."""
    header: list[str] = []
    keys: list[str] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or (line.startswith(";") and not line.startswith(";;")):
            continue
        if line.startswith(";;"):
            # ";;last_queried: 1 ;;Mon Aug ..." -> ";;last_queried: 1"
            head, _, _ = line.partition(" ;;")
            if head.startswith(";;query_failed:"):
                # Unbound counts each of its validator's restarts (one
                # failed probe is 6); only whether probes fail is compared.
                head = ";;query_failed: " + ("0" if head.split()[-1] == "0" else "some")
            header.append(head)
            continue
        body, sep, rest = line.partition(" ;;lastchange=")
        if sep:
            stamp = rest.split()[0] if rest.split() else ""
            line = f"{body} ;;lastchange={stamp}"
        keys.append(" ".join(line.split()))
    return header, sorted(keys)


def compare_autotrust(expected: str, actual: str) -> list[str]:
    """Differences between an expected Unbound file and ours (empty: equal)."""
    exp_head, exp_keys = _normal(expected)
    act_head, act_keys = _normal(actual)
    problems = []
    if exp_head != act_head:
        problems.append(f"header: expected {exp_head}, got {act_head}")
    expected_count, actual_count = Counter(exp_keys), Counter(act_keys)
    problems += [f"missing key line: {k}" for k in (expected_count - actual_count).elements()]
    problems += [f"unexpected key line: {k}" for k in (actual_count - expected_count).elements()]
    return problems


def _label(name: str) -> str:
    return name.lower().rstrip(".")


class _Player:
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.now = 0
        self.step = 0
        self.variables: dict[str, int | str] = {}
        self.rng = random.Random(scenario.path)
        text = "".join(scenario.config.autotrust_files.values())
        self.state: AnchorState = loads_unbound(text, f"{scenario.path} AUTOTRUST_FILE")
        self._messages: dict[int, Message] = {}
        #: The file as Unbound would have it: the initial content until the
        #: first write (see :meth:`probe` for when Unbound writes).
        #: By AUTOTRUST_FILE name (what CHECK_AUTOTRUST names; the zone
        #: inside may differ), and which file each trust point is kept in.
        self.files: dict[str, str] = {}
        self.file_of: dict[Name, str] = {}
        for label, body in scenario.config.autotrust_files.items():
            self.files[_label(label)] = body
            for zone in loads_unbound(body, scenario.path).points:
                self.file_of[zone] = _label(label)

    def timeout(self) -> int:
        """Seconds to the next probe; 0 when nothing is left to probe (every
        trust point revoked), as Unbound has no timer then."""
        if all(p.all_revoked for p in self.state.points.values()):
            return 0
        return max(0, next_refresh(self.state, self.now) - self.now)

    def expand(self, text: str, line: int) -> str:
        return expand(
            text, self.variables, self.now, self.timeout, path=self.scenario.path, line=line
        )

    def answer(self, zone: Name) -> RRset | None:
        query = Message.make_query(zone, RRType.DNSKEY)
        for rng in self.scenario.ranges:
            if not rng.first <= self.step <= rng.last:
                continue
            for entry in rng.entries:
                msg = self._messages.get(id(entry))
                if msg is None:
                    msg = self._messages[id(entry)] = build_message(entry, self.scenario.path)
                if not entry_matches(entry, msg, query) or "do_not_answer" in entry.adjust:
                    continue
                if msg.rcode != Rcode.NOERROR:
                    return None  # SERVFAIL and the like: a failed probe
                for rrset in msg.answer:
                    if rrset.rrtype == RRType.DNSKEY and rrset.name == zone:
                        return rrset
        return None

    def probe(self) -> None:
        """Probe what is due and write the file when Unbound would: after a
        validated answer (or all keys revoked), and after an answer that does
        not validate once a probe has succeeded before; never after no answer
        at all."""
        for zone in due(self.state, self.now):
            answer = self.answer(zone)
            had_success = self.state.points[zone].last_success != 0
            self.state, events = update(
                self.state,
                answer,
                self.now,
                zone=zone,
                rng=self.rng.random,
                policy=LEGACY_TEST_POLICY,
            )
            notices = {e.notice for e in events}
            if (
                Notice.VALIDATED in notices
                or Notice.ALL_REVOKED in notices
                or (answer is not None and had_success)
            ):
                self.files[self.file_of[zone]] = dumps_unbound(self.state.points[zone])

    def run(self, step: Step, result: AutotrustResult) -> None:
        self.step = step.number
        kind = step.kind
        if kind == "TIME_PASSES":
            if step.args[:1] == ("EVAL",):
                self.now += int(float(self.expand(step.args[1], step.line)))
            elif step.args[:1] == ("ELAPSE",):
                self.now += int(float(step.args[1]))
            self.probe()
        elif kind in ("TRAFFIC", "QUERY"):
            self.probe()
        elif kind == "ASSIGN":
            name, expression = step.args
            value = self.expand(expression, step.line).strip()
            self.variables[name] = int(value) if value.lstrip("-").isdigit() else value
        elif kind == "CHECK_AUTOTRUST":
            result.checks += 1
            expected = self.expand(step.file_text or "", step.line)
            actual = self.files.get(_label(step.args[0]), "")
            for problem in compare_autotrust(expected, actual):
                result.failures.append(f"step {step.number}: {problem}")


def run_autotrust(scenario: Scenario) -> AutotrustResult:
    """Play one autotrust scenario; never raises for scenario content."""
    result = AutotrustResult(scenario.path)
    try:
        player = _Player(scenario)
        for step in scenario.steps:
            player.run(step, result)
    except DnssecLiteError as exc:
        result.error = str(exc)
    return result


def run_autotrust_file(path: str | Path) -> AutotrustResult:
    return run_autotrust(parse_file(path))
