"""The vector format and its replay: round trips, malformed files named by
field, matching by server and question, time and anchor overrides, and a
vector tampered with the way an attacker would."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path

import pytest

from dnssec_lite.dnssec.trust import TrustAnchors
from dnssec_lite.errors import ReplayError
from dnssec_lite.vectors.format import SCHEMA, Vector, is_vector, load_vector, parse_vector
from dnssec_lite.vectors.replay import Replayer, replay_vector
from dnssec_lite.wire.message import Message
from tests.helpers.zonesigner import NOW, Hierarchy
from tests.vectors.adversarial import UPSTREAM, _record

ROOT = Path(__file__).resolve().parents[2]
SECURE = ROOT / "vectors" / "recorded" / "case-rsa.test.json"
ITERATIVE = ROOT / "vectors" / "recorded" / "iterative-secure.json"


def _secure_vector() -> Vector:
    h = Hierarchy(13)
    assert h.domain is not None
    h.domain.add("www 300 IN A 192.0.2.1")
    h.sign()
    return _record(h, "www.example.test.", "A", "a secure answer")


def test_recorded_vector_round_trips_through_its_text() -> None:
    vector = _secure_vector()
    text = vector.dumps()
    assert is_vector(text.encode())
    again = parse_vector(text, "v.json")
    assert again.dumps() == text
    assert again.exchanges[0].response == vector.exchanges[0].response
    assert again.question == vector.question and again.expected == vector.expected
    doc = json.loads(text)
    assert doc["schema"] == SCHEMA
    assert doc["time"] == NOW and doc["time_text"] == "2023-11-14T22:13:20Z"
    first = doc["exchanges"][0]
    assert first["question"] == "www.example.test. IN A"
    assert any("ANSWER SECTION" in line for line in first["response_text"])
    assert doc["expected"]["status"] == "secure"
    assert doc["provenance"]["by"].startswith("dnssec-lite ")


def test_replay_of_a_fresh_recording_passes() -> None:
    result = replay_vector(_secure_vector())
    assert result.passed, result.mismatches
    assert result.answer is not None and result.answer.status.value == "secure"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("schema"), "field schema: missing"),
        (lambda d: d.update(schema="dnssec-lite-vector/9"), "field schema: version"),
        (lambda d: d.update(mode="dns-over-pigeon"), "field mode"),
        (lambda d: d.update(time="yesterday"), "field time: expected an integer"),
        (lambda d: d["exchanges"][2].update(response="***"), "field exchanges[2].response"),
        (lambda d: d["exchanges"][1].update(server="not an address:x"), "exchanges[1].server"),
        (lambda d: d["exchanges"][0].update(question="www"), "field exchanges[0].question"),
        (lambda d: d["exchanges"][3].pop("response"), "field exchanges[3].response: missing"),
        (lambda d: d["expected"].update(status="great"), "field expected.status"),
        (lambda d: d.update(anchors="DS"), "field anchors: expected a list"),
    ],
)
def test_malformed_vector_names_the_field(change: object, field: str) -> None:
    doc = json.loads(SECURE.read_text())
    change(doc)  # type: ignore[operator]
    with pytest.raises(ReplayError) as info:
        parse_vector(json.dumps(doc), "bad.json")
    assert "bad.json" in str(info.value)
    assert field in str(info.value)


def test_not_json_is_a_replay_error_with_its_line() -> None:
    with pytest.raises(ReplayError, match=r"bad.json:3: not JSON"):
        parse_vector('{\n"schema":\n ,}', "bad.json")
    with pytest.raises(ReplayError, match="cannot read"):
        load_vector(str(ROOT / "no-such-vector.json"))


def test_exchanges_are_matched_by_server_and_question_not_position() -> None:
    vector = load_vector(str(ITERATIVE))
    shuffled = dataclasses.replace(vector, exchanges=tuple(reversed(vector.exchanges)))
    result = replay_vector(shuffled)
    assert result.passed, result.mismatches


def test_a_question_the_vector_cannot_answer_is_reported_by_name() -> None:
    vector = load_vector(str(SECURE))
    kept = tuple(e for e in vector.exchanges if e.question.name.to_text() != "rsa.test.")
    result = replay_vector(dataclasses.replace(vector, exchanges=kept))
    assert not result.passed
    assert any(m.startswith("status: expected secure, got") for m in result.mismatches)
    assert any(m.startswith("rsa.test. IN ") and "@127.53.0.53:53" in m for m in result.missing)


def test_replay_at_a_later_time_sees_the_signatures_expire() -> None:
    vector = load_vector(str(SECURE))
    later = replay_vector(vector, at=vector.time + 90 * 86400)
    assert not later.passed
    assert "status: expected secure, got bogus" in later.mismatches
    assert "reason.ede: expected None, got 7" in later.mismatches
    assert replay_vector(vector, at=vector.time).passed


def test_other_anchors_override_the_recorded_ones() -> None:
    vector = load_vector(str(SECURE))
    none = replay_vector(vector, anchors=TrustAnchors())
    assert none.answer is not None and none.answer.status.value == "indeterminate"
    h = Hierarchy(13)  # a root key that did not sign anything in the vector
    other = replay_vector(vector, anchors=h.anchors())
    assert other.answer is not None and other.answer.status.value == "bogus"


def test_forged_rdata_in_a_recorded_response_is_caught() -> None:
    """An attacker who edits the vector's answer (203.0.113.66 for 192.0.2.1)
    cannot make it replay as secure: the signature no longer verifies."""
    vector = load_vector(str(SECURE))
    exchanges = []
    for ex in vector.exchanges:
        if ex.question == vector.question and ex.response is not None:
            forged = ex.response.replace(bytes([192, 0, 2, 1]), bytes([203, 0, 113, 66]))
            assert forged != ex.response
            ex = dataclasses.replace(ex, response=forged)
        exchanges.append(ex)
    result = replay_vector(dataclasses.replace(vector, exchanges=tuple(exchanges)))
    assert result.answer is not None and result.answer.status.value == "bogus"
    assert "status: expected secure, got bogus" in result.mismatches


def test_replayer_keeps_the_reply_id_relative_to_its_query() -> None:
    vector = _secure_vector()
    replayer = Replayer(vector.exchanges)
    from dnssec_lite.resolve.exchange import build_query
    from dnssec_lite.resolve.fetcher import Batch

    query = build_query("www.example.test.", "A")
    (reply,) = replayer.exchange(Batch([(UPSTREAM, query)], 1.0))
    assert isinstance(reply, Message) and reply.id == query.id
    assert replayer.last_meta == [(False, replayer.last_meta[0][1], 1)]
    spoofed = [
        dataclasses.replace(e, response=bytes([e.query[0] ^ 1]) + e.response[1:])
        if e.response is not None
        else e
        for e in vector.exchanges
    ]
    (reply,) = Replayer(spoofed).exchange(Batch([(UPSTREAM, query)], 1.0))
    assert not isinstance(reply, Message)
    assert "does not match the query's" in str(reply)


def test_response_text_shows_undecodable_octets() -> None:
    vector = _secure_vector()
    ex = vector.exchanges[0]
    bad = dataclasses.replace(ex, response=b"\x00\x01garbage")
    doc = bad.to_json()
    assert doc["response"] == base64.b64encode(b"\x00\x01garbage").decode()
    assert doc["response_text"][0].startswith(";; undecodable message (9 octets)")
