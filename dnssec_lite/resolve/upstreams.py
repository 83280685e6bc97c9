"""Which upstream servers to ask, in which order, and for how long.

Servers come from the caller (``ADDR``, ``ADDR:PORT``, ``[v6]:PORT``, or a
bare IPv6 address) or else from ``/etc/resolv.conf`` (``nameserver`` lines and
``options timeout:N attempts:N``).  Their order is their priority: every
lookup starts with the first server and fails over to the next one on a
timeout, SERVFAIL, REFUSED, FORMERR, NOTIMP, a malformed answer, or signs of
DNSSEC stripping (see :mod:`dnssec_lite.resolve.stub`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .exchange import Server

RESOLV_CONF = "/etc/resolv.conf"
DEFAULT_TIMEOUT = 2.0
DEFAULT_ATTEMPTS = 2
#: resolv.conf(5) caps: timeout 30 s, attempts 5.
MAX_TIMEOUT = 30.0
MAX_ATTEMPTS = 5

__all__ = [
    "DEFAULT_ATTEMPTS",
    "DEFAULT_TIMEOUT",
    "RESOLV_CONF",
    "ResolvConf",
    "Server",
    "Upstreams",
    "parse_resolv_conf",
    "parse_server",
    "read_resolv_conf",
]


def _ip(text: str, spec: str) -> str:
    host, _, zone = text.partition("%")
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"bad server {spec!r}: {host!r} is not an IP address") from None
    return str(addr) + (f"%{zone}" if zone else "")


def parse_server(spec: str, default_port: int = 53) -> Server:
    """``ADDR``, ``ADDR:PORT``, ``[V6ADDR]``, ``[V6ADDR]:PORT`` or a bare IPv6
    address; raises ValueError with a one-line explanation otherwise."""
    text = spec.strip()
    if not text:
        raise ValueError("empty server address")
    port_text: str | None = None
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError(f"bad server {spec!r}: missing ']'")
        host = text[1:end]
        rest = text[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"bad server {spec!r}: expected ':PORT' after ']'")
            port_text = rest[1:]
        if ":" not in host:
            raise ValueError(f"bad server {spec!r}: brackets are for IPv6 addresses")
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host = text  # IPv4, or a bare IPv6 address (no port possible)
    port = default_port
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"bad server {spec!r}: port {port_text!r} is not in 1-65535")
        port = int(port_text)
    return Server(_ip(host, spec), port)


@dataclass(frozen=True, slots=True)
class ResolvConf:
    """What the stub resolver uses from resolv.conf(5)."""

    servers: tuple[Server, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    attempts: int = DEFAULT_ATTEMPTS


def parse_resolv_conf(text: str) -> ResolvConf:
    """``nameserver`` lines (in order) and ``options timeout:N attempts:N``.

    Unparsable nameserver lines are skipped, as the C library does.
    """
    servers: list[Server] = []
    timeout = DEFAULT_TIMEOUT
    attempts = DEFAULT_ATTEMPTS
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].split(";", 1)[0].strip()
        words = line.split()
        if not words:
            continue
        if words[0] == "nameserver" and len(words) >= 2:
            try:
                servers.append(Server(_ip(words[1], words[1])))
            except ValueError:
                continue
        elif words[0] == "options":
            for opt in words[1:]:
                key, _, value = opt.partition(":")
                if key == "timeout" and value.isdigit():
                    timeout = float(min(max(int(value), 1), MAX_TIMEOUT))
                elif key == "attempts" and value.isdigit():
                    attempts = min(max(int(value), 1), MAX_ATTEMPTS)
    return ResolvConf(tuple(servers), timeout, attempts)


def read_resolv_conf(path: str = RESOLV_CONF) -> ResolvConf:
    """Read resolv.conf; a missing file gives no servers (the caller decides)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return parse_resolv_conf(f.read())
    except FileNotFoundError:
        return ResolvConf()


@dataclass(frozen=True, slots=True)
class Upstreams:
    """The servers in priority order, the per-try timeout and the attempts
    (rounds over all servers; the timeout doubles each round, up to 4x)."""

    servers: tuple[Server, ...]
    timeout: float = DEFAULT_TIMEOUT
    attempts: int = DEFAULT_ATTEMPTS
    source: str = field(default="arguments", compare=False)

    def __post_init__(self) -> None:
        if not self.servers:
            raise ValueError("no upstream servers")
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")

    @classmethod
    def from_specs(
        cls,
        specs: Iterable[str | Server] | None,
        *,
        timeout: float | None = None,
        attempts: int | None = None,
        resolv_conf: str = RESOLV_CONF,
    ) -> Upstreams:
        """Servers from ``specs``, else from resolv.conf (which also gives the
        defaults of ``timeout`` and ``attempts``)."""
        servers = [s if isinstance(s, Server) else parse_server(s) for s in specs or ()]
        if servers:
            return cls(
                tuple(servers),
                DEFAULT_TIMEOUT if timeout is None else timeout,
                DEFAULT_ATTEMPTS if attempts is None else attempts,
            )
        conf = read_resolv_conf(resolv_conf)
        if not conf.servers:
            raise ValueError(f"no servers given and no nameserver in {resolv_conf}")
        return cls(
            conf.servers,
            conf.timeout if timeout is None else timeout,
            conf.attempts if attempts is None else attempts,
            source=resolv_conf,
        )

    def names(self, servers: Sequence[Server] | None = None) -> str:
        return ", ".join(str(s) for s in (self.servers if servers is None else servers))
