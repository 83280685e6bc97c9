"""The chain drawing (right keys, right link marked) and the record/replay
command line (formats, exit codes, --json, -v)."""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path

import pytest

from dnssec_lite.cli import main
from dnssec_lite.dnssec.status import Answer
from dnssec_lite.vectors import graph
from dnssec_lite.vectors.format import load_vector
from dnssec_lite.vectors.replay import replay_vector

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "vectors" / "recorded"
DNSVIZ = RECORDED / "dnsviz"


def _answer(stem: str) -> Answer:
    result = replay_vector(load_vector(str(RECORDED / f"{stem}.json")))
    assert result.answer is not None
    return result.answer


def _edges(dot: str) -> list[tuple[str, str, str]]:
    """(from, to, attributes) of every edge."""
    return re.findall(r'^\s*("[^"]+") -> ("[^"]+") \[(.*)\];$', dot, re.M)


def _label(ident: str, dot: str) -> str:
    found = re.search(re.escape(ident) + r' \[label="([^"]*)"', dot)
    assert found, ident
    return found.group(1)


def test_secure_chain_names_every_key_and_links_ds_to_its_key() -> None:
    answer = _answer("case-rsa.test")
    dot = graph.to_dot(answer)
    assert dot.startswith("digraph dnssec {")
    for link in answer.chain:
        zone = link.zone.to_text()
        assert f'label="{zone} (secure)"' in dot
        for key in link.dnskeys:
            role = "KSK" if key.detail & 1 else "ZSK"
            assert f'"DNSKEY {key.tag}/{key.algorithm}\\n{role}"' in dot
        for ds in link.ds:  # DS -> the DNSKEY with its tag, in the secure colour
            edge = [e for e in _edges(dot) if e[0] == f'"ds_{zone}_{ds.tag}_{ds.algorithm}_2"']
            assert edge and edge[0][1] == f'"dnskey_{zone}_{ds.tag}_{ds.algorithm}"'
            assert graph.COLOURS[answer.status] in edge[0][2]
    rsa = answer.chain[-1]
    zsk = next(k for k in rsa.dnskeys if not k.detail & 1)
    signs = [e for e in _edges(dot) if e[1] == '"rrset_mail.rsa.test._A"']
    assert signs and signs[0][0] == f'"dnskey_rsa.test._{zsk.tag}_8"'
    assert "#d00000" not in dot  # nothing bogus


def test_insecure_delegation_is_a_dashed_link_with_its_proof() -> None:
    answer = _answer("case-unsigned.test")
    dot = graph.to_dot(answer)
    (edge,) = [e for e in _edges(dot) if e[1] == '"zone_unsigned.test."']
    assert edge[0] == '"zone_test."'
    assert 'style="dashed"' in edge[2]
    label = edge[2].replace("\\n", " ")
    assert "insecure delegation: " in label and "NS without DS" in label
    assert 'label="unsigned.test. (insecure)"' in dot


def test_bogus_chain_marks_the_failing_link_with_the_reason() -> None:
    answer = _answer("case-dsmismatch.test")
    dot = graph.to_dot(answer)
    bogus = [e for e in _edges(dot) if graph.COLOURS[answer.status] in e[2]]
    ds_links = [e for e in bogus if e[0].startswith('"ds_dsmismatch.test.')]
    assert ds_links, dot
    assert "no DNSKEY of dsmismatch.test. matches its DS" in ds_links[0][2].replace("\\n", " ")
    assert _label(ds_links[0][1], dot).startswith("no validated DNSKEY")
    # the links above it stay secure
    assert 'label="test. (secure)"' in dot


def test_nxdomain_proof_draws_the_nsec3_records_proving_it() -> None:
    answer = _answer("nsec3-nxdomain")
    dot = graph.to_dot(answer)
    proves = [e for e in _edges(dot) if e[1] == '"negative_NXDOMAIN"']
    nsec3 = [r for r in answer.denial if r.rrtype == 50]
    assert len(proves) == len(nsec3) >= 2
    assert all('label="proves"' in e[2] for e in proves)
    assert "NXDOMAIN\\nnothere.ecdsa.test./A" in dot


def test_bogus_answer_signature_is_the_marked_link() -> None:
    answer = _answer("case-tampered.test")
    dot = graph.to_dot(answer)
    (edge,) = [e for e in _edges(dot) if e[1] == '"rrset_mail.tampered.test._A"']
    assert "signature does not verify" in edge[2].replace("\\n", " ")
    assert graph.COLOURS[answer.status] in edge[2]


def test_rendering_needs_dot_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = _answer("case-rsa.test")
    target = tmp_path / "chain.svg"
    monkeypatch.setattr(graph.shutil, "which", lambda _name: None)
    with pytest.raises(Exception, match="needs Graphviz's 'dot' program, which is not installed"):
        graph.write_graph(answer, str(target))
    assert not target.exists()
    graph.write_graph(answer, str(tmp_path / "chain.dot"))
    assert (tmp_path / "chain.dot").read_text().startswith("digraph")


def test_svg_is_rendered_by_dot(tmp_path: Path) -> None:
    # Graphviz is optional for users, not for the suite: the install script brings it.
    assert shutil.which("dot"), "Graphviz's dot is missing: run scripts/install-test-deps.sh"
    target = tmp_path / "chain.svg"
    graph.write_graph(_answer("case-rsa.test"), str(target))
    svg = target.read_text()
    assert svg.lstrip().startswith("<?xml") and "DNSKEY" in svg


# -- the command line ----------------------------------------------------------------


def test_replay_passes_the_corpus_and_prints_one_line_each(
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = [str(p) for p in sorted(RECORDED.glob("case-*.json"))]
    assert main(["replay", *files]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(files) + 1
    assert out[0].startswith("PASS case-dsmismatch.test.json: bogus NOERROR mail.dsmismatch")
    assert out[-1] == f"{len(files)} passed, 0 failed"


def test_replay_failure_names_vector_and_field(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(RECORDED / "case-rsa.test.json")
    assert main(["replay", path, "--at", "2030-01-01T00:00:00Z"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("FAIL case-rsa.test.json: status: expected secure, got bogus")
    assert out[-1] == "0 passed, 1 failed"


def test_replay_missing_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    good = str(RECORDED / "case-rsa.test.json")
    assert main(["replay", good, "/nonexistent/vector.json"]) == 64
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "cannot read /nonexistent/vector.json" in captured.err
    assert main(["replay", good, "--at", "someday"]) == 64
    assert "--at: bad time 'someday'" in capsys.readouterr().err


def test_replay_json_gives_format_and_results(capsys: pytest.CaptureFixture[str]) -> None:
    probe = str(DNSVIZ / "recursive.json")
    vector = str(RECORDED / "nsec-nxdomain.json")
    anchors = str(DNSVIZ / "root-anchor.ds")
    assert main(["replay", "--json", "--anchors", anchors, probe]) == 0
    doc = json.loads(capsys.readouterr().out)
    (entry,) = doc["files"]
    assert entry["format"] == "dnsviz"
    keys = {"name", "type", "status", "rcode", "reason"}
    assert entry["results"] and all(set(r) == keys for r in entry["results"])
    assert {"name": "mail.rsa.test.", "type": "A", "status": "secure", "rcode": "NOERROR",
            "reason": None} in entry["results"]  # fmt: skip
    assert main(["replay", "--json", vector]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["files"][0]["format"] == "dnssec-lite"
    assert doc["files"][0]["results"][0]["outcome"] == "PASS"


def test_dnsviz_file_with_the_bundled_anchors_is_bogus(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --anchors a DNSViz file is judged with the bundled root keys,
    which did not sign the private test root: every query is bogus (decided)."""
    assert main(["replay", str(DNSVIZ / "recursive.json")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:-1] and all(" bogus " in line for line in out[:-1])
    assert all("no DNSKEY of . matches its DS records (20326/8, 38696/8)" in x for x in out[:-1])


def test_replay_verbose_shows_steps_without_debug_logging(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    before = root.level
    assert main(["replay", "-v", str(RECORDED / "iterative-secure.json")]) == 0
    out = capsys.readouterr().out
    assert "    mail.rsa.test. A @127.53.0.1:53: NOERROR" in out
    assert "    chain rsa.test. secure" in out
    assert root.level == before and not logging.getLogger("dnssec_lite").isEnabledFor(10)


def test_replay_graph_writes_the_drawing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "g.dot"
    assert main(["replay", str(RECORDED / "case-expired.test.json"), "--graph", str(target)]) == 0
    assert "Signature Expired" in target.read_text().replace("\\n", " ")
    two = [str(RECORDED / "case-rsa.test.json"), str(RECORDED / "case-ed.test.json")]
    assert main(["replay", *two, "--graph", str(target)]) == 64
    assert "--graph draws one vector" in capsys.readouterr().err


def test_record_needs_a_writable_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["record", "example.com", "-o", str(tmp_path / "no" / "dir" / "v.json")])
    assert code == 64
    assert "does not exist" in capsys.readouterr().err
    assert main(["record", "example.com"]) == 64  # -o is required


def test_no_answering_server_error_points_to_the_alternatives(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    code = main(["query", "example.com", "--server", f"127.0.0.1:{port}", "--timeout", "0.2"])
    assert code == 2
    err = capsys.readouterr().err
    assert f"no validation possible: no server answered (127.0.0.1:{port})" in err
    for hint in ("--server ADDR", "--recursive", "dnssec-lite replay FILE"):
        assert hint in err


def test_no_hint_when_a_server_answered_with_dnssec() -> None:
    from dnssec_lite.cli import live_failure_hint

    answer = _answer("case-expired.test")
    assert live_failure_hint(answer) is None
    vector = load_vector(str(RECORDED / "case-rsa.test.json"))
    from dnssec_lite.dnssec.trust import TrustAnchors

    undecided = replay_vector(vector, anchors=TrustAnchors()).answer
    assert undecided is not None and undecided.status.value == "indeterminate"
    assert live_failure_hint(undecided) is None  # no anchor: not the network's fault
