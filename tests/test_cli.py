"""dnssec-lite query: output forms and exit codes."""

from __future__ import annotations

import json

import pytest

from dnssec_lite import cli
from dnssec_lite.anchors.formats import parse_anchor_text
from tests.helpers.zonesigner import NOW, Hierarchy
from tests.resolve.dnsserver import Faults, serving


def _hierarchy() -> Hierarchy:
    h = Hierarchy()
    h["example.test."].add("mx 3600 IN MX 10 mail.example.test.")
    return h.sign()


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dnssec_lite.resolve.resolver.time.time", lambda: float(NOW))


def _anchor_file(tmp_path: object, h: Hierarchy) -> str:
    from pathlib import Path

    path = Path(str(tmp_path)) / "anchors.zone"
    path.write_text("\n".join(rr.to_text() for rr in h.root_ds()) + "\n")
    parse_anchor_text(path.read_text())
    return str(path)


def test_query_secure_text_and_json(
    tmp_path: object, fixed_clock: None, capsys: pytest.CaptureFixture[str]
) -> None:
    h = _hierarchy()
    anchors = _anchor_file(tmp_path, h)
    with serving(h) as srv:
        code = cli.main(
            [
                "query",
                "mx.example.test",
                "MX",
                "--server",
                str(srv.server),
                "--anchors",
                anchors,
                "--trace",
            ]
        )
        out = capsys.readouterr().out
        assert code == 0
        assert "; fully validated" in out and "MX\t10 mail.example.test." in out
        assert ";; chain example.test. secure" in out and ";; query " in out
        # One trace line per exchange of the answer's Resolution, then the count.
        queries = [line for line in out.splitlines() if line.startswith(";; query ")]
        assert queries[0] == (
            f";; query mx.example.test. MX @{srv.server}: NOERROR, 1 records, 1 RRSIGs, 0 authority"
        )
        assert len(queries) == 6 and ";; 6 queries, ttl" in out
        code = cli.main(
            [
                "query",
                "mx.example.test",
                "MX",
                "--server",
                str(srv.server),
                "--anchors",
                anchors,
                "--json",
            ]
        )
        data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["status"] == "secure" and data["rcode"] == "NOERROR" and data["reason"] is None
    assert data["type"] == "MX" and data["queries"] == 6 and len(data["chain"]) == 3


def test_query_bogus_exit_1(
    tmp_path: object, fixed_clock: None, capsys: pytest.CaptureFixture[str]
) -> None:
    h = _hierarchy()
    h["example.test."].strip_sigs("mx.example.test.", 15)
    with serving(h) as srv:
        code = cli.main(
            [
                "query",
                "mx.example.test",
                "MX",
                "-s",
                str(srv.server),
                "--anchors",
                _anchor_file(tmp_path, h),
            ]
        )
    assert code == 1
    assert "; validation failed:" in capsys.readouterr().out


def test_every_upstream_strips_exit_2(
    tmp_path: object, fixed_clock: None, capsys: pytest.CaptureFixture[str]
) -> None:
    h = _hierarchy()
    with serving(h, Faults(strip_sigs=True)) as srv:
        code = cli.main(
            [
                "query",
                "mx.example.test",
                "MX",
                "-s",
                str(srv.server),
                "--anchors",
                _anchor_file(tmp_path, h),
                "--json",
            ]
        )
    data = json.loads(capsys.readouterr().out)
    assert code == 2
    assert data["status"] == "indeterminate"
    assert data["reason"]["text"].startswith(f"every upstream ({srv.server}) strips DNSSEC")
    assert data["reason"]["ede"] == 10


@pytest.mark.parametrize(
    "argv",
    [
        ["query"],
        ["query", "a..b"],
        ["query", "example.org", "NOSUCHTYPE"],
        ["query", "example.org", "--server", "not-an-ip"],
        ["query", "example.org", "--timeout", "0"],
        ["query", "example.org", "--anchors", "/nonexistent/anchors"],
        ["query", "example.org", "--root-hints", "x"],
        ["query", "example.org", "--qname-min"],
        ["frobnicate"],
        [],
    ],
)
def test_usage_errors_exit_64_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 64
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("error")]) <= 1


def test_version_prints_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    from dnssec_lite import __version__
    from dnssec_lite.cli import main

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"dnssec-lite {__version__}"


def test_usage_error_with_json_prints_a_json_error(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from dnssec_lite.cli import EXIT_USAGE, main

    assert main(["query", "a..b", "--json"]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.err.strip() == "error: bad name: empty label in name 'a..b'"
    assert json.loads(captured.out) == {
        "error": {"kind": "usage", "text": "bad name: empty label in name 'a..b'"}
    }
    # Without --json nothing goes to stdout, and the name is said once, no placeholder.
    assert main(["query", "a..b"]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert not captured.out and "<text>" not in captured.err
    assert captured.err.count("a..b") == 1


def test_help_states_the_timeout_rule(capsys: pytest.CaptureFixture[str]) -> None:
    from dnssec_lite.cli import main

    with pytest.raises(SystemExit):
        main(["query", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "default 2; doubles each round over the servers" in text
