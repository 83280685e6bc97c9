"""Broken records in a scenario file model a server sending broken data:
the scenario runs, the validator sees what the record amounts to, and the
verdict is tested (dnssec_lite.replay.broken)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dnssec_lite.errors import TextFormatError
from dnssec_lite.replay.broken import repair_rdata
from dnssec_lite.replay.harness import run_scenario
from dnssec_lite.replay.rpl import parse_text
from dnssec_lite.wire.name import ROOT
from dnssec_lite.wire.rdata.base import GenericRdata
from dnssec_lite.wire.rdata.dnssec import DNSKEY, RRSIG
from dnssec_lite.wire.types import RRType

POSITIVE = Path(__file__).resolve().parents[2] / "vectors" / "peer" / "unbound" / "val_positive.rpl"
SIG = "MCwCFG1yhRNtTEa3Eno2zhVVuy2EJX3wAhQeLyUp6+UXcpC5qGNu9tkrTEgPUg=="
ERR = TextFormatError("bad base64 data")


def test_truncated_base64_reads_as_the_octets_it_decodes_to() -> None:
    fields = "DNSKEY 3 2 3600 20070926134802 20070829134802 2854 example.com.".split()
    whole = repair_rdata(RRType.RRSIG, [*fields, SIG[:-2]], ROOT, ERR)
    assert isinstance(whole, RRSIG) and whole.key_tag == 2854
    cut = repair_rdata(RRType.RRSIG, [*fields, SIG[:-5]], ROOT, ERR)
    assert isinstance(cut, RRSIG) and 0 < len(cut.signature) < len(whole.signature)


def test_missing_key_is_an_empty_key_and_other_dnssec_breakage_an_empty_record() -> None:
    key = repair_rdata(RRType.DNSKEY, ["256", "3", "8"], ROOT, ERR)
    assert isinstance(key, DNSKEY) and key.key == b""
    nsec = repair_rdata(RRType.NSEC, [], ROOT, ERR)
    assert isinstance(nsec, GenericRdata) and nsec.rrtype == RRType.NSEC and nsec.data == b""
    # Not a DNSSEC record: a mistake in the file, reported as such.
    assert repair_rdata(RRType.SOA, ["ns.example."], ROOT, ERR) is None
    assert repair_rdata(RRType.A, ["10.0.1"], ROOT, ERR) is None


def _run(text: str) -> tuple[str, list[str]]:
    result = run_scenario(parse_text(text, "broken.rpl"))
    return result.reason, [s.got for s in result.steps]


def test_scenario_passes_untouched() -> None:
    reason, got = _run(POSITIVE.read_text())
    assert got == ["secure"], reason


def _without_key(text: str) -> str:
    """The DNSKEY line of the priming answer with its key field left out."""
    lines = text.splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if "DNSKEY  256 3 3 ALXLUsWq" in line)
    lines[index] = "example.com.    3600    IN      DNSKEY  256 3 3\n"
    return "".join(lines)


@pytest.mark.parametrize(
    "breaking",
    [
        lambda text: text.replace(SIG, SIG[:-7], 1),  # the DNSKEY RRSIG cut short
        _without_key,
    ],
    ids=["truncated-signature", "missing-key"],
)
def test_broken_record_runs_and_the_verdict_is_bogus(breaking: Callable[[str], str]) -> None:
    text = POSITIVE.read_text()
    broken = breaking(text)
    assert broken != text
    reason, got = _run(broken)
    assert "error" not in reason and "cannot parse" not in reason, reason
    assert got == ["bogus"], reason
