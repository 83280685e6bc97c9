"""What a replayed scenario found: the result of each ``CHECK_ANSWER`` step
and of the whole scenario, and the comparison of a query's outcome with the
entry a step expects (verdict, then rcode and ANSWER records unless bogus;
see :mod:`dnssec_lite.replay.harness`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..dnssec.status import Status
from ..wire.message import Message
from ..wire.name import Name
from ..wire.rrset import RRset
from ..wire.types import Rcode, RRType
from .scenario import Entry


@dataclass(frozen=True)
class StepResult:
    """The outcome of one CHECK_ANSWER step."""

    step: int
    expected: str
    got: str
    rcode: str
    passed: bool
    reason: str = ""


@dataclass(frozen=True)
class ScenarioResult:
    """The outcome of one scenario: ``outcome`` is PASS, FAIL or SKIP."""

    path: str
    outcome: str
    reason: str = ""
    steps: tuple[StepResult, ...] = ()
    policy: str = "default"

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def passed(self) -> bool:
        return self.outcome == "PASS"

    @property
    def false_secures(self) -> list[StepResult]:
        """Steps expecting bogus or insecure that got SECURE."""
        return [s for s in self.steps if s.expected in ("bogus", "insecure") and s.got == "secure"]

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.path,
            "name": self.name,
            "outcome": self.outcome,
            "reason": self.reason,
            "policy": self.policy,
            "steps": [
                {
                    "step": s.step,
                    "expected": s.expected,
                    "got": s.got,
                    "rcode": s.rcode,
                    "passed": s.passed,
                    "reason": s.reason,
                }
                for s in self.steps
            ],
        }


@dataclass
class Outcome:
    status: Status | None  # None: not validated (CD)
    rcode: int
    answer: tuple[RRset, ...]
    do: bool
    reason: str = ""
    sentinel: bool = False


def _record_keys(rrsets: Sequence[RRset], with_sigs: bool) -> set[tuple[Name, int, int, bytes]]:
    out: set[tuple[Name, int, int, bytes]] = set()
    for rrset in rrsets:
        for rr in rrset.rrs():
            if rr.rrtype == RRType.RRSIG and not with_sigs:
                continue
            out.add((rr.name, rr.rrtype, rr.rrclass, rr.rdata.canonical()))
    return out


def _describe(keys: set[tuple[Name, int, int, bytes]]) -> str:
    items = sorted(f"{n.to_text()} {RRType.to_text(t)}" for n, t, _, _ in keys)
    return ", ".join(items[:4]) + (" ..." if len(items) > 4 else "")


def compare_step(
    step: int, expected: str, outcome: Outcome, entry: Entry, entry_msg: Message
) -> StepResult:
    got = "unvalidated" if outcome.status is None else outcome.status.value
    if outcome.sentinel:
        got = "sentinel-servfail"
        ok = expected in ("bogus", "cd")
        why = "" if ok else f"expected {expected}, got a key-sentinel SERVFAIL"
        return StepResult(step, expected, got, "SERVFAIL", ok, why)
    rcode_text = Rcode.to_text(outcome.rcode)
    problems: list[str] = []
    status = outcome.status
    if expected == "secure" and status is not Status.SECURE:
        problems.append(f"expected secure, got {got}")
    elif expected == "bogus" and status is not Status.BOGUS:
        problems.append(f"expected bogus, got {got}")
    elif expected == "insecure" and status not in (Status.INSECURE, Status.INDETERMINATE):
        problems.append(f"expected insecure, got {got}")
    elif expected == "noDO" and status is Status.BOGUS:
        problems.append("expected not bogus, got bogus")
    if outcome.reason and problems:
        problems[-1] += f" ({outcome.reason})"
    if expected != "bogus" and not problems:
        match = entry.match
        full = "all" in match
        if (full or "rcode" in match) and outcome.rcode != entry_msg.rcode:
            problems.append(
                f"rcode {rcode_text}, expected {Rcode.to_text(entry_msg.rcode)}"
                + (f" ({outcome.reason})" if outcome.reason else "")
            )
        if full or "answer" in match:
            want = _record_keys(entry_msg.answer, outcome.do)
            have = _record_keys(outcome.answer, outcome.do)
            if want != have:
                missing, extra = want - have, have - want
                text = "answer differs"
                if missing:
                    text += f"; missing {_describe(missing)}"
                if extra:
                    text += f"; unexpected {_describe(extra)}"
                problems.append(text)
    return StepResult(step, expected, got, rcode_text, not problems, "; ".join(problems))


__all__ = ["Outcome", "ScenarioResult", "StepResult", "compare_step"]
