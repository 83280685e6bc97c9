"""Root hints given to ``Resolver(mode="iterative", root_hints=...)``: a file
that cannot be used raises :class:`ConfigError` naming it (and the line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnssec_lite.cli import EXIT_USAGE, main
from dnssec_lite.errors import ConfigError, DnssecLiteError
from dnssec_lite.resolve.exchange import Server
from dnssec_lite.resolve.resolver import Resolver, parse_root_hints

HINTS = ".  3600000  NS  a.root-servers.net.\na.root-servers.net. 3600000 A 198.41.0.4\n"


def test_good_hints_file(tmp_path: Path) -> None:
    path = tmp_path / "root.hints"
    path.write_text(HINTS)
    r = Resolver(mode="iterative", root_hints=str(path))
    assert r.root_servers == [Server("198.41.0.4")]


def test_missing_hints_file(tmp_path: Path) -> None:
    path = str(tmp_path / "nope.hints")
    with pytest.raises(ConfigError) as info:
        Resolver(mode="iterative", root_hints=path)
    assert info.value.path == path
    assert str(info.value) == f"{path}: cannot read root hints: No such file or directory"


def test_hints_file_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read root hints"):
        Resolver(mode="iterative", root_hints=str(tmp_path))


def test_hints_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "root.hints"
    path.write_bytes(HINTS.encode() + b"b.root-servers.net. 1 A \xff\n")
    with pytest.raises(ConfigError) as info:
        Resolver(mode="iterative", root_hints=str(path))
    assert info.value.line == 3
    assert str(info.value) == f"{path}:3: root hints file is not UTF-8 text"


def test_malformed_hints_line_names_file_and_line() -> None:
    with pytest.raises(ConfigError) as info:
        parse_root_hints(HINTS + "b.root-servers.net. 1 A 1.2.3\n", "my.hints")
    assert (info.value.path, info.value.line) == ("my.hints", 3)
    assert str(info.value).startswith("my.hints:3: bad root hints line: ")


def test_hints_without_addresses() -> None:
    with pytest.raises(ConfigError, match=r"^my\.hints: no A or AAAA records"):
        parse_root_hints(".  3600000  NS  a.root-servers.net.\n", "my.hints")


def test_config_error_is_a_value_error_and_a_library_error() -> None:
    assert issubclass(ConfigError, ValueError)
    assert issubclass(ConfigError, DnssecLiteError)


@pytest.mark.parametrize("content", [b"\xff\xfe\n", b"garbage line here\n", b". 1 NS a.\n"])
def test_cli_bad_root_hints_is_a_usage_error(
    tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "root.hints"
    path.write_bytes(content)
    code = main(["query", "example.", "A", "--recursive", "--root-hints", str(path)])
    assert code == EXIT_USAGE
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"error: {path}") and err.count("\n") == 1
