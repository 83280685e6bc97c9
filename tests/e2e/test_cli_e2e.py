"""``python -m dnssec_lite query`` against the loopback hierarchy: delv-like
text, ``--json``, ``--trace``, ``--recursive --root-hints`` and the exit codes
(0 secure or insecure, 1 bogus, 2 failure, 64 usage)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .dnsenv import DnsEnv

_TOP = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_TOP), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "dnssec_lite", "query", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=_TOP,
    )


def stub(env: DnsEnv, *args: str) -> subprocess.CompletedProcess[str]:
    server = f"{env.unbound_addr[0]}:{env.unbound_addr[1]}"
    return run(*args, "--server", server, "--anchors", str(env.anchor_path))


@pytest.fixture
def refusing() -> Iterator[str]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield f"127.0.0.1:{port}"


def test_secure_answer_like_delv(dnsenv: DnsEnv) -> None:
    done = stub(dnsenv, "mail.rsa.test", "A")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "; fully validated"
    assert lines[1].split() == ["mail.rsa.test.", "300", "IN", "A", "192.0.2.1"]
    assert lines[2].split()[:5] == ["mail.rsa.test.", "300", "IN", "RRSIG", "A"]
    assert dnsenv.delv("mail.rsa.test", "A").status == "secure"
    assert done.stderr == ""


def test_json_output(dnsenv: DnsEnv) -> None:
    done = stub(dnsenv, "mail.rsa.test", "A", "--json")
    assert done.returncode == 0, done.stderr
    obj = json.loads(done.stdout)
    assert set(obj) == {"name", "type", "status", "rcode", "records", "reason", "chain", "queries"}
    assert (obj["name"], obj["type"], obj["status"], obj["rcode"]) == (
        "mail.rsa.test.",
        "A",
        "secure",
        "NOERROR",
    )
    assert obj["records"][0].split()[-1] == "192.0.2.1"
    assert obj["reason"] is None
    assert [link["zone"] for link in obj["chain"]] == [".", "test.", "rsa.test."]
    assert all(link["status"] == "secure" for link in obj["chain"])
    assert obj["queries"] == 6  # the question, then . DNSKEY, test. DS+DNSKEY, rsa.test. DS+DNSKEY


def test_json_bogus_has_reason_with_ede(dnsenv: DnsEnv) -> None:
    done = stub(dnsenv, "mail.expired.test", "A", "--json")
    assert done.returncode == 1
    obj = json.loads(done.stdout)
    assert obj["status"] == "bogus" == dnsenv.unbound_verdict("mail.expired.test", "A")
    assert obj["reason"]["ede"] == 7 and "expired at" in obj["reason"]["text"]


@pytest.mark.parametrize(
    ("name", "rrtype", "code", "first_line"),
    [
        ("mail.ecdsa.test", "A", 0, "; fully validated"),
        ("mail.unsigned.test", "A", 0, "; unsigned answer (unsigned.test. is an unsigned"),
        ("nonexistent.rsa.test", "A", 0, "; negative response, fully validated"),
        ("mail.rsa.test", "TXT", 0, "; negative response, fully validated"),
        ("mail.tampered.test", "A", 1, "; validation failed: "),
        ("mail.nodnskey.test", "A", 1, "; validation failed: "),
    ],
)
def test_exit_codes_by_verdict(
    dnsenv: DnsEnv, name: str, rrtype: str, code: int, first_line: str
) -> None:
    done = stub(dnsenv, name, rrtype)
    assert done.returncode == code, done.stdout + done.stderr
    assert done.stdout.splitlines()[0].startswith(first_line)
    verdict = dnsenv.unbound_verdict(name, rrtype)
    assert verdict == ("bogus" if code == 1 else verdict)
    assert (code == 1) == (verdict == "bogus")


def test_exit_code_2_when_nothing_answers(dnsenv: DnsEnv, refusing: str) -> None:
    done = run(
        "mail.rsa.test", "--server", refusing, "--anchors", str(dnsenv.anchor_path), "--timeout",
        "0.3",
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout.startswith("; resolution failed: ")
    assert refusing in done.stdout and "refused" in done.stdout


def test_exit_code_2_when_every_upstream_strips(dnsenv: DnsEnv) -> None:
    from .dnsenv import StrippingProxy

    with StrippingProxy(("127.0.0.1", 0), dnsenv.unbound_addr) as proxy:
        done = run(
            "_25._tcp.mail.ed.test", "TLSA", "--server", f"{proxy.addr[0]}:{proxy.addr[1]}",
            "--anchors", str(dnsenv.anchor_path), "--json",
        )  # fmt: skip
    assert done.returncode == 2
    obj = json.loads(done.stdout)
    assert obj["status"] == "indeterminate"
    assert obj["reason"]["text"].startswith("every upstream (")
    assert "strips DNSSEC" in obj["reason"]["text"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mail.rsa.test", "NOSUCHTYPE"], "unknown record type"),
        (["mail.rsa.test", "--root-hints", "x"], "--root-hints needs --recursive"),
        (["mail.rsa.test", "--timeout", "0"], "--timeout must be positive"),
        (["mail.rsa.test", "--server", "not-an-address"], "not an IP address"),
        (["mail.rsa.test", "--anchors", "/nonexistent/anchors"], "--anchors"),
        (["mail.rsa.test", "--bogus-option"], "unrecognized arguments"),
    ],
)
def test_usage_errors_exit_64(args: list[str], message: str) -> None:
    done = run(*args)
    assert done.returncode == 64
    assert done.stdout == ""
    assert message in done.stderr and len(done.stderr.splitlines()) == 1


def test_trace_shows_queries_and_chain(dnsenv: DnsEnv) -> None:
    done = stub(dnsenv, "mail.ed.test", "A", "--trace")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    server = f"@{dnsenv.unbound_addr[0]}:{dnsenv.unbound_addr[1]}"
    assert lines[0] == ";; question: mail.ed.test. IN A"
    queries = [line for line in lines if line.startswith(";; query ")]
    assert (
        queries[0]
        == f";; query mail.ed.test. A {server}: NOERROR, 1 records, 1 RRSIGs, 0 authority"
    )
    asked = {" ".join(line.split()[2:4]) for line in queries}
    assert asked == {
        "mail.ed.test. A", ". DNSKEY", "test. DS", "test. DNSKEY", "ed.test. DS", "ed.test. DNSKEY"
    }  # fmt: skip
    chain = [line for line in lines if line.startswith(";; chain ")]
    assert [line.split()[2] for line in chain] == [".", "test.", "ed.test."]
    assert "/15" in chain[2]  # ED25519 key tags
    assert any(re.fullmatch(r";; 6 queries, ttl (29\d|300)", line) for line in lines)
    assert "; fully validated" in lines


def test_recursive_with_root_hints(dnsenv: DnsEnv) -> None:
    done = run(
        "_25._tcp.mail.ed.test", "TLSA", "--recursive", "--root-hints",
        str(dnsenv.root_hints_path), "--anchors", str(dnsenv.anchor_path), "--trace",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    queries = [line for line in lines if line.startswith(";; query ")]
    root = dnsenv.auth_servers["."]
    assert queries[0].startswith(f";; query . NS @{root}:53: NOERROR")  # priming
    servers = {line.split()[4].rstrip(":") for line in queries}
    assert {f"@{root}:53", f"@{dnsenv.auth_servers['test.']}:53"} <= servers
    assert f"@{dnsenv.auth_servers['ed.test.']}:53" in servers
    assert f"@{dnsenv.unbound_addr[0]}:{dnsenv.unbound_addr[1]}" not in servers
    assert "; fully validated" in lines
    assert any(line.split()[3:5] == ["TLSA", "3"] for line in lines if not line.startswith(";"))


def test_recursive_bogus_exit_1(dnsenv: DnsEnv) -> None:
    done = run(
        "mail.dsmismatch.test", "--recursive", "--root-hints", str(dnsenv.root_hints_path),
        "--anchors", str(dnsenv.anchor_path), "--json",
    )  # fmt: skip
    assert done.returncode == 1
    obj = json.loads(done.stdout)
    assert obj["status"] == "bogus" == dnsenv.unbound_verdict("mail.dsmismatch.test", "A")


def test_verbose_logs_every_query_on_stderr(dnsenv: DnsEnv) -> None:
    done = stub(dnsenv, "mail.rsa.test", "A", "-v")
    assert done.returncode == 0
    sent = [line for line in done.stderr.splitlines() if "DNS query: Q(" in line and " to " in line]
    got = [line for line in done.stderr.splitlines() if "DNS response: " in line]
    assert len(sent) == len(got) == 6
    assert "DNSSEC Response mail.rsa.test. IN A NOERROR, secure, 6 queries" in done.stderr
