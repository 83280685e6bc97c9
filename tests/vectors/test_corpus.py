"""The whole corpus replays: every vector in vectors/recorded, vectors/adversarial
and the package's bundled ones gives its recorded result again, offline, at
its recorded time; the DNSViz probe file gives dnsviz grok's verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dnssec_lite.anchors.formats import load_anchors
from dnssec_lite.vectors.dane import parse_dane_vector, replay_dane
from dnssec_lite.vectors.dnsviz import parse_dnsviz, validate_probe
from dnssec_lite.vectors.format import load_vector
from dnssec_lite.vectors.replay import replay_vector
from dnssec_lite.wire.types import RRType
from tests.vectors.adversarial import INTENT

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "vectors" / "recorded"
ADVERSARIAL = ROOT / "vectors" / "adversarial"
BUNDLED = ROOT / "dnssec_lite" / "vectors" / "data"
DNSVIZ = RECORDED / "dnsviz"

DANE = RECORDED / "dane"
CORPUS = sorted([*RECORDED.glob("*.json"), *ADVERSARIAL.glob("*.json")])
CORPUS += sorted([*DANE.glob("*.json"), *BUNDLED.glob("*.json")])


def test_the_corpus_covers_every_kind_of_case() -> None:
    names = {p.stem for p in CORPUS}
    for zone in ("rsa", "ecdsa", "ed", "p384", "ed448", "nsec3", "unsigned", "iter"):
        assert f"case-{zone}.test" in names
    for bogus in ("expired", "future", "tampered", "dsmismatch", "nodnskey", "stripped"):
        assert f"case-{bogus}.test" in names
    for extra in ("nsec-nxdomain", "nsec3-nodata", "nsec-wildcard", "cname-secure"):
        assert extra in names
    assert set(INTENT) <= names
    assert {"ok.dane.test", "nomatch.dane.test", "notlsa.dane.test", "badhs.dane.test"} <= names
    assert len(CORPUS) >= 55


def _replay(path: Path) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """(error, mismatches, missing) of replaying one vector of either kind."""
    data = path.read_bytes()
    if json.loads(data).get("kind") == "dane":
        dane = replay_dane(parse_dane_vector(data, path.name), path.name)
        return dane.error, dane.mismatches, dane.missing
    result = replay_vector(load_vector(str(path)), path.name)
    return result.error, result.mismatches, result.missing


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_vector_replays_to_its_recorded_result(path: Path) -> None:
    error, mismatches, missing = _replay(path)
    assert error is None, f"{path.name}: {error}"
    assert not mismatches, f"{path.name}: " + "; ".join(mismatches)
    assert not missing, f"{path.name}: not in the vector: {missing}"


@pytest.mark.parametrize("name", sorted(INTENT))
def test_adversarial_vector_has_its_intended_verdict(name: str) -> None:
    vector = load_vector(str(ADVERSARIAL / f"{name}.json"))
    result = replay_vector(vector, name)
    assert result.answer is not None
    got = (result.answer.status.value, result.answer.rcode_text)
    assert got == INTENT[name], result.answer.summary()


def test_recorded_bogus_vectors_name_their_failure() -> None:
    reasons = {
        "case-expired.test": 7,  # Signature Expired
        "case-future.test": 8,  # Signature Not Yet Valid
        "case-stripped.test": 10,  # RRSIGs Missing
        "case-dsmismatch.test": 9,  # DNSKEY Missing
    }
    for stem, ede in reasons.items():
        vector = load_vector(str(RECORDED / f"{stem}.json"))
        assert vector.expected.status == "bogus"
        assert vector.expected.ede == ede, stem


def _grok_statuses(doc: dict[str, object]) -> dict[tuple[str, str], str]:
    """(name, type) -> the weakest status dnsviz grok gives the query's RRsets."""
    rank = {"secure": 0, "insecure": 1, "indeterminate": 2, "bogus": 3}
    out: dict[tuple[str, str], str] = {}
    for entry in doc.values():
        if not isinstance(entry, dict):
            continue
        for key, query in entry.get("queries", {}).items():
            name, _cls, rrtype = key.split("/")
            statuses = [
                item["status"].lower()
                for items in query.values()
                if isinstance(items, list)
                for item in items
                if isinstance(item, dict) and "status" in item
            ]
            if statuses:
                out[(name.lower(), rrtype)] = max(statuses, key=lambda s: rank.get(s, 2))
    return out


def test_dnsviz_probe_file_gets_grok_verdicts_offline() -> None:
    probe = parse_dnsviz((DNSVIZ / "recursive.json").read_bytes(), "recursive.json")
    verdicts = validate_probe(probe, load_anchors(str(DNSVIZ / "root-anchor.ds")))
    ours = {
        (v.question.name.to_text().lower(), RRType.to_text(v.question.rrtype)): v.answer
        for v in verdicts
    }
    grok = _grok_statuses(json.loads((DNSVIZ / "recursive.grok.json").read_text()))
    compared = [key for key in grok if key in ours]
    assert len(compared) >= 8
    assert {grok[k] for k in compared} >= {"secure", "bogus"}
    for key in compared:
        assert ours[key].status.value == grok[key], (key, ours[key].summary())
    assert all(v.decided for v in verdicts)
