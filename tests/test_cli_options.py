"""The resolver options shared by ``query``, ``daneverify`` and ``anchors
update``: the same names, the same checks and the same messages, and the
resolver built from them configured as asked."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from dnssec_lite.cli import EXIT_USAGE, main
from dnssec_lite.cli_options import add_resolver_options, build_resolver, resolver_settings
from dnssec_lite.resolve.resolver import Resolver

COMMANDS = [
    ["query", "example.com.", "A"],
    ["daneverify", "example.com."],
    ["anchors", "update", "--state", "unused-dir"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=["query", "daneverify", "anchors-update"])
@pytest.mark.parametrize(
    "options,message",
    [
        (["--root-hints", "hints"], "--root-hints needs --recursive"),
        (["--timeout", "0"], "must be positive"),
        (["--timeout=-1", "--recursive"], "must be positive"),
    ],
)
def test_bad_shared_options_are_usage_errors_in_every_command(
    command: list[str], options: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, *options]) == EXIT_USAGE
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("command", COMMANDS[:2], ids=["query", "daneverify"])
def test_unreadable_anchors_file_names_the_option(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "anchors.txt"
    bad.write_text("this is not a trust anchor\n")
    assert main([*command, "--anchors", str(bad)]) == EXIT_USAGE
    assert "--anchors:" in capsys.readouterr().err


def test_settings_build_the_resolver_asked_for(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_resolver_options(parser)
    args = parser.parse_args(["-s", "192.0.2.1", "-s", "192.0.2.2:5353", "--timeout", "0.5"])
    settings = resolver_settings(args)
    assert settings == {
        "servers": ["192.0.2.1", "192.0.2.2:5353"],
        "mode": "stub",
        "timeout": 0.5,
        "root_hints": None,
    }
    resolver = build_resolver(Resolver, settings)
    assert resolver.mode == "stub" and resolver.timeout == 0.5
    assert resolver.upstreams is not None
    assert [(s.host, s.port) for s in resolver.upstreams.servers] == [
        ("192.0.2.1", 53),
        ("192.0.2.2", 5353),
    ]


def test_a_refused_configuration_is_a_usage_error() -> None:
    from dnssec_lite.cli import UsageError

    with pytest.raises(UsageError):
        build_resolver(Resolver, {"servers": ["not an address"], "mode": "stub"})
