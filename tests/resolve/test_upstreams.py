"""Server specifications and resolv.conf."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnssec_lite.resolve.exchange import Server
from dnssec_lite.resolve.upstreams import Upstreams, parse_resolv_conf, parse_server


def test_server_specs() -> None:
    assert parse_server("192.0.2.1") == Server("192.0.2.1", 53)
    assert parse_server("192.0.2.1:5353") == Server("192.0.2.1", 5353)
    assert parse_server("[2001:db8::1]:5353") == Server("2001:db8::1", 5353)
    assert parse_server("[2001:db8::1]") == Server("2001:db8::1", 53)
    assert parse_server("2001:db8::1") == Server("2001:db8::1", 53)
    assert str(parse_server("[::1]:53")) == "[::1]:53"
    assert str(parse_server("127.0.0.1")) == "127.0.0.1:53"


@pytest.mark.parametrize(
    ("spec", "word"),
    [
        ("", "empty"),
        ("example.com", "not an IP"),
        ("192.0.2.1:0", "port"),
        ("192.0.2.1:99999", "port"),
        ("192.0.2.1:x", "port"),
        ("[2001:db8::1", "]"),
        ("[192.0.2.1]:53", "IPv6"),
        ("[::1]53", "PORT"),
    ],
)
def test_bad_server_specs(spec: str, word: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_server(spec)
    assert word in str(info.value)


def test_resolv_conf() -> None:
    conf = parse_resolv_conf(
        "# comment\n"
        "search example.org\n"
        "nameserver 192.0.2.1\n"
        "nameserver 2001:db8::53 # trailing\n"
        "nameserver not-an-address\n"
        "options rotate timeout:3 attempts:4 ndots:2\n"
    )
    assert conf.servers == (Server("192.0.2.1"), Server("2001:db8::53"))
    assert conf.timeout == 3.0
    assert conf.attempts == 4


def test_resolv_conf_caps_and_defaults() -> None:
    conf = parse_resolv_conf("options timeout:99 attempts:0\n")
    assert conf.servers == ()
    assert conf.timeout == 30.0
    assert conf.attempts == 1


def test_upstreams_from_args_or_file(tmp_path: Path) -> None:
    path = tmp_path / "resolv.conf"
    path.write_text("nameserver 192.0.2.7\noptions timeout:5 attempts:3\n")
    from_file = Upstreams.from_specs(None, resolv_conf=str(path))
    assert from_file.servers == (Server("192.0.2.7"),)
    assert (from_file.timeout, from_file.attempts) == (5.0, 3)
    from_args = Upstreams.from_specs(["127.0.0.1:5300", "[::1]"], resolv_conf=str(path))
    assert from_args.servers == (Server("127.0.0.1", 5300), Server("::1"))
    empty = tmp_path / "empty.conf"
    empty.write_text("")
    with pytest.raises(ValueError, match="no nameserver"):
        Upstreams.from_specs(None, resolv_conf=str(empty))
