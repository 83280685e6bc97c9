"""DANE check vectors: each recorded check replays to its verdict, the
replay really matches the recorded chains against the TLSA records, and a
session the vector lacks is named."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from dnssec_lite.cli import main
from dnssec_lite.vectors.dane import DaneVector, parse_dane_vector, replay_dane

DANE = Path(__file__).resolve().parents[2] / "vectors" / "recorded" / "dane"

#: What the mail lab's domains are built for (tests/e2e/danelab.py), by hand.
VERDICTS = {
    "ok.dane.test": "success",
    "ta.dane.test": "success",
    "twoaddr.dane.test": "success",
    "equal.dane.test": "success",
    "nomx.dane.test": "success",
    "hosted.insecure-mail.test": "success",
    "tabadname.dane.test": "failed",
    "nomatch.dane.test": "failed",
    "nullmx.dane.test": "failed",
    "bogustlsa.dane.test": "failed",
    "nostarttls.dane.test": "failed",
    "badhs.dane.test": "failed",
    "notlsa.dane.test": "fallback",
    "unusable.dane.test": "fallback",
    "insecure-mail.test": "fallback",
}


def _load(domain: str) -> DaneVector:
    path = DANE / f"{domain}.json"
    return parse_dane_vector(path.read_bytes(), path.name)


@pytest.mark.parametrize("domain", sorted(VERDICTS))
def test_dane_vector_replays_to_the_verdict_its_domain_is_built_for(domain: str) -> None:
    vector = _load(domain)
    assert vector.expected.verdict == VERDICTS[domain]
    result = replay_dane(vector, domain)
    assert result.passed, result.mismatches or result.error
    assert result.report is not None and result.report.verdict.value == VERDICTS[domain]


def test_success_vector_holds_the_sessions_transcript_and_chain() -> None:
    vector = _load("ok.dane.test")
    (session,) = vector.sessions
    assert session.result.tls_protocol and session.result.tls_cipher
    assert session.result.chain_der and session.result.chain_der[0][:1] == b"\x30"  # DER
    assert any("STARTTLS" in line for line in session.result.transcript)
    assert vector.expected.transcript[-2:] == (
        "DANE SUCCESS for ok.dane.test",
        "DANE verification completed.",
    )


def test_a_chain_the_tlsa_records_do_not_pin_fails_on_replay() -> None:
    """Swap ok's presented chain for nomatch's server chain: the replayed check
    must reject it -- replay runs the real certificate matching."""
    ok, other = _load("ok.dane.test"), _load("nomatch.dane.test")
    foreign = other.sessions[0].result.chain_der
    assert foreign and foreign != ok.sessions[0].result.chain_der
    forged = dataclasses.replace(
        ok.sessions[0], result=dataclasses.replace(ok.sessions[0].result, chain_der=foreign)
    )
    result = replay_dane(dataclasses.replace(ok, sessions=(forged,)))
    assert result.report is not None and result.report.verdict.value == "failed"
    assert "verdict: expected success, got failed" in result.mismatches


def test_a_missing_session_is_named() -> None:
    vector = _load("ok.dane.test")
    result = replay_dane(dataclasses.replace(vector, sessions=()))
    assert not result.passed
    assert "127.53.25.1:25 (SNI mx.ok.dane.test)" in result.missing
    assert result.report is not None and result.report.verdict.value == "failed"


def test_replay_prints_the_dane_transcript_with_v(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "-v", str(DANE / "ok.dane.test.json")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("PASS ok.dane.test.json: DANE SUCCESS ok.dane.test: mx.ok.dane.test dane")
    assert "    TLS connection established: protocol TLSv1.3" in out
    assert "    DANE SUCCESS for ok.dane.test" in out


def test_bundled_vectors_include_a_dane_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "--bundled", "-v"]) == 0
    out = capsys.readouterr().out
    assert "DANE SUCCESS for ok.dane.test" in out and "fully" not in out
    assert out.splitlines()[-1] == "3 passed, 0 failed"


def test_record_with_from_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = tmp_path / "domains.txt"
    listing.write_text("example.com\n")
    code = main(["daneverify", "--from-file", str(listing), "--record", str(tmp_path / "v")])
    assert code == 64
    assert "--record writes one domain's check" in capsys.readouterr().err


def _dane_edges(domain: str) -> dict[str, str]:
    from dnssec_lite.vectors.graph import dane_to_dot

    result = replay_dane(_load(domain))
    assert result.report is not None
    dot = dane_to_dot(result.report)
    return dict(re.findall(r'^\s*"[^"]+" -> "addr_[^"]*?_([0-9.]+)" \[(.*)\];$', dot, re.M))


def test_dane_drawing_marks_the_matched_and_the_failed_address() -> None:
    from dnssec_lite.dnssec.status import Status
    from dnssec_lite.vectors.graph import COLOURS

    edges = _dane_edges("twoaddr.dane.test")
    assert "connection refused" in edges["127.53.25.6"]
    assert COLOURS[Status.BOGUS] in edges["127.53.25.6"]
    assert 'label="chain matched"' in edges["127.53.25.7"]
    assert COLOURS[Status.SECURE] in edges["127.53.25.7"]
    (nomatch,) = _dane_edges("nomatch.dane.test").values()
    assert "SPKI digest does not match the leaf" in nomatch.replace("\\n", " ")
    assert COLOURS[Status.BOGUS] in nomatch


def test_replay_graph_of_a_dane_vector(tmp_path: Path) -> None:
    target = tmp_path / "dane.dot"
    assert main(["replay", str(DANE / "ok.dane.test.json"), "--graph", str(target)]) == 0
    text = target.read_text()
    assert text.startswith("digraph dane {") and "TLSA secure" in text and "chain matched" in text
