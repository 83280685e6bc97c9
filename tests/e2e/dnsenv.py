"""A private DNSSEC hierarchy on loopback, built from real DNS software.

At test time this module

* generates keys (``dnssec-keygen``) and signs zones (``dnssec-signzone``,
  ``ldns-signzone``) into a temporary directory, so signatures are fresh;
* serves every zone level with its own ``nsd`` process on its own loopback
  address (port 53): the root ``.``, the TLD ``test.`` and one child zone per
  test case, with glue and DS records in the parents;
* runs a validating ``unbound`` (and a non-validating one, for ``delv``) that
  iterates from the private root with a private trust anchor.

Everything uses the standard library only.  Processes are started in their own
session and stopped by their own process id.  Nothing is skipped silently: a
failing signer or server raises :class:`ToolError` naming the tool and quoting
its error output.

Layout, with ``P`` the network prefix (``127.53`` unless taken)::

    P.0.1   root ".",           nsd, NS a.root-servers.test.
    P.0.2   "test.",            nsd, NS ns.test.
    P.0.53  validating unbound  (module-config "validator iterator")
    P.0.54  plain unbound       (module-config "iterator"), for delv
    P.1.N   one child zone per case, nsd, NS ns.<zone>.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Final, Self

__all__ = [
    "CASE_ZONES",
    "EXPECTED",
    "REQUIRED_TOOLS",
    "Answer",
    "Case",
    "DelvResult",
    "DnsEnv",
    "DnsEnvError",
    "FaultProxy",
    "LatencyProxy",
    "StrippingProxy",
    "ToolError",
    "ZoneSpec",
    "build_query",
    "missing_tools",
    "parse_dig_output",
    "run_tool",
    "strip_records",
    "udp_exchange",
]

SECURE: Final = "secure"
INSECURE: Final = "insecure"
BOGUS: Final = "bogus"

#: Programs the environment runs.  ``scripts/install-test-deps.sh`` installs them.
REQUIRED_TOOLS: Final[tuple[str, ...]] = (
    "nsd",
    "unbound",
    "dnssec-keygen",
    "dnssec-signzone",
    "dnssec-dsfromkey",
    "ldns-signzone",
    "dig",
    "delv",
)

DNS_PORT: Final = 53
DAY: Final = 86400

_ALGORITHMS: Final[dict[int, tuple[str, int | None, int | None]]] = {
    # number: (dnssec-keygen name, KSK bits, ZSK bits)
    8: ("RSASHA256", 2048, 1024),
    13: ("ECDSAP256SHA256", None, None),
    14: ("ECDSAP384SHA384", None, None),
    15: ("ED25519", None, None),
    16: ("ED448", None, None),
}

# fmt: off
_TYPE_CODES: Final[dict[str, int]] = {
    "A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16,
    "AAAA": 28, "SRV": 33, "DS": 43, "RRSIG": 46, "NSEC": 47, "DNSKEY": 48,
    "NSEC3": 50, "NSEC3PARAM": 51, "TLSA": 52, "ANY": 255,
}
# fmt: on


class DnsEnvError(RuntimeError):
    """The environment could not be built, started or queried."""


class ToolError(DnsEnvError):
    """An external program failed; the message names it and quotes its stderr."""

    def __init__(self, tool: str, argv: Sequence[str], returncode: int | None, stderr: str) -> None:
        self.tool = tool
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr = stderr
        status = "did not finish" if returncode is None else f"exited with status {returncode}"
        super().__init__(
            f"{tool} {status}\n  command: {' '.join(self.argv)}\n  stderr/log:\n"
            + "\n".join("    " + line for line in stderr.strip().splitlines()[-40:])
        )


def missing_tools(tools: Iterable[str] = REQUIRED_TOOLS) -> list[str]:
    """Return the names of the required programs that are not on ``PATH``."""
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin" + os.pathsep + "/sbin"
    return [t for t in tools if shutil.which(t, path=path) is None]


def _which(tool: str) -> str:
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin" + os.pathsep + "/sbin"
    found = shutil.which(tool, path=path)
    if found is None:
        raise DnsEnvError(f"{tool} not found; run scripts/install-test-deps.sh")
    return found


def run_tool(argv: Sequence[str], *, cwd: Path | None = None, timeout: float = 60.0) -> str:
    """Run a tool, return its stdout, raise :class:`ToolError` on failure."""
    tool = os.path.basename(argv[0])
    try:
        proc = subprocess.run(
            [_which(argv[0]), *argv[1:]],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise ToolError(tool, argv, None, err) from exc
    if proc.returncode != 0:
        raise ToolError(tool, argv, proc.returncode, proc.stderr + proc.stdout)
    return proc.stdout


# --------------------------------------------------------------------------
# Cases


@dataclass(frozen=True)
class Case:
    """One child zone of ``test.`` with the verdict a validator must reach.

    ``probe``/``probe_type`` is the question whose verdict is ``expected``.
    """

    zone: str
    expected: str
    description: str
    probe: str
    probe_type: str = "A"
    address: str = ""


@dataclass(frozen=True)
class _ZoneSpec:
    name: str
    expected: str
    description: str
    algorithm: int | None = 13  # None: unsigned
    denial: str = "nsec"  # "nsec", "nsec3" (dnssec-signzone), "nsec3-ldns"
    nsec3_salt: str = "-"
    nsec3_iterations: int = 0
    optout: bool = False
    fault: str = ""  # see _apply_fault / _parent_ds
    parent: str = "test"
    probe_label: str = "mail"
    children: tuple[str, ...] = ()
    #: The zone's records instead of the standard case body: called with the
    #: zone name and its nameserver's address, returns zone-file text (the
    #: SOA, NS and nameserver address are added).
    body: Callable[[str, str], str] | None = None
    #: With fault "tampered": the owner and type of the record to change.
    fault_target: tuple[str, str] = ("", "")


#: Public name of the zone description, for extra zones of other test suites.
ZoneSpec = _ZoneSpec


# fmt: off
_SPECS: Final[tuple[_ZoneSpec, ...]] = (
    _ZoneSpec("rsa.test", SECURE, "RSASHA256 (8), NSEC", algorithm=8),
    _ZoneSpec("ecdsa.test", SECURE, "ECDSAP256SHA256 (13), NSEC3 no salt, 0 iterations",
              denial="nsec3"),
    _ZoneSpec("ed.test", SECURE, "ED25519 (15), NSEC", algorithm=15),
    _ZoneSpec("p384.test", SECURE, "ECDSAP384SHA384 (14), NSEC", algorithm=14),
    _ZoneSpec("ed448.test", SECURE, "ED448 (16), NSEC3 no salt, 0 iterations", algorithm=16,
              denial="nsec3"),
    _ZoneSpec("nsec3.test", SECURE,
              "ECDSAP256SHA256 (13), NSEC3 opt-out, salt aabbccdd, 10 iterations; "
              "has the unsigned delegation insecure.nsec3.test",
              denial="nsec3", nsec3_salt="aabbccdd", nsec3_iterations=10, optout=True,
              children=("insecure.nsec3.test",)),
    _ZoneSpec("insecure.nsec3.test", INSECURE,
              "unsigned zone below an NSEC3 opt-out span of nsec3.test (no DS)",
              algorithm=None, parent="nsec3.test"),
    _ZoneSpec("iter.test", INSECURE,
              "ECDSAP256SHA256 (13), NSEC3 with 200 iterations (ldns-signzone); positive "
              "answers are secure, but the NXDOMAIN proof of the probe exceeds the "
              "iteration limit (RFC 9276) and is insecure",
              denial="nsec3-ldns", nsec3_salt="aabbccdd", nsec3_iterations=200,
              probe_label="nonexistent"),
    _ZoneSpec("unsigned.test", INSECURE, "unsigned zone, no DS in test.", algorithm=None),
    _ZoneSpec("unknownalg.test", INSECURE,
              "zone signed with alg 13 but its only DS in test. names unassigned algorithm 100 "
              "(RFC 4035 5.2: no supported algorithm, so insecure)",
              fault="ds-unknown-alg"),
    _ZoneSpec("unknowndigest.test", INSECURE,
              "zone signed with alg 13 but its only DS in test. has unassigned digest type 100",
              fault="ds-unknown-digest"),
    _ZoneSpec("expired.test", BOGUS, "all signatures expired (valid from -30 to -16 days)",
              fault="expired"),
    _ZoneSpec("future.test", BOGUS, "all signatures not yet valid (from +16 to +40 days)",
              fault="future"),
    _ZoneSpec("tampered.test", BOGUS, "rdata of mail A changed after signing",
              fault="tampered"),
    _ZoneSpec("dsmismatch.test", BOGUS, "DS in test. matches no key of the zone",
              fault="dsmismatch"),
    _ZoneSpec("nodnskey.test", BOGUS, "signed, then the DNSKEY RRset removed (DS present)",
              fault="nodnskey"),
    _ZoneSpec("stripped.test", BOGUS, "signed, then the RRSIGs of mail A removed",
              fault="stripped"),
)
# fmt: on


#: Names of the case zones, in address order (usable for test parametrisation).
CASE_ZONES: Final[tuple[str, ...]] = tuple(spec.name for spec in _SPECS)

#: Expected verdict of each case zone's probe, known before the env starts.
EXPECTED: Final[dict[str, str]] = {spec.name: spec.expected for spec in _SPECS}


def _zone_body(name: str, address: str, index: int) -> str:
    """Records every case zone carries (secure or not)."""
    tlsa = hashlib.sha256(name.encode()).hexdigest()
    return (
        f"$ORIGIN {name}.\n"
        "$TTL 300\n"
        f"@ IN SOA ns.{name}. hostmaster.{name}. 1 3600 600 86400 300\n"
        f"@ IN NS ns.{name}.\n"
        "@ IN MX 10 mail\n"
        f"ns IN A {address}\n"
        f"mail IN A 192.0.2.{index}\n"
        f"mail IN AAAA 2001:db8::{index:x}\n"
        f"_25._tcp.mail IN TLSA 3 1 1 {tlsa}\n"
        f"*.wild IN A 198.51.100.{index}\n"
        "www IN CNAME mail\n"
        "cname-out IN CNAME www.unsigned.test.\n"
        "cname-bogus IN CNAME www.expired.test.\n"
        'a.b.c IN TXT "a.b.c exists, b.c is an empty non-terminal"\n'
    )


# --------------------------------------------------------------------------
# Keys and signing


@dataclass
class _Keys:
    ksk: Path  # base path without extension
    zsk: Path

    def public(self, which: Path) -> str:
        return "\n".join(
            line
            for line in which.with_suffix(which.suffix + ".key").read_text().splitlines()
            if line and not line.startswith(";")
        )


def _keygen(directory: Path, zone: str, algorithm: int, *, ksk: bool) -> Path:
    name, ksk_bits, zsk_bits = _ALGORITHMS[algorithm]
    argv = [
        "dnssec-keygen",
        "-q",
        "-K",
        str(directory),
        "-a",
        name,
        "-n",
        "ZONE",
        "-L",
        "300",
    ]
    bits = ksk_bits if ksk else zsk_bits
    if bits is not None:
        argv += ["-b", str(bits)]
    if ksk:
        argv += ["-f", "KSK"]
    base = run_tool([*argv, zone]).strip().splitlines()[-1]
    return directory / base


def _ds_from_key(key_base: Path) -> str:
    out = run_tool(["dnssec-dsfromkey", "-a", "SHA-256", str(key_base) + ".key"])
    return out.strip()


def _stamp(when: dt.datetime) -> str:
    return when.strftime("%Y%m%d%H%M%S")


def _signed_lines(path: Path) -> list[list[str]]:
    """Split a signed zone (one record per line) into tokens."""
    rows = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith(";") or line.startswith("$"):
            continue
        rows.append(line.split())
    return rows


def _write_rows(path: Path, rows: Iterable[Sequence[str]]) -> None:
    path.write_text("".join(" ".join(r) + "\n" for r in rows))


def _rtype(row: Sequence[str]) -> str:
    # owner ttl class type rdata...
    return row[3].upper()


class _Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def at(self, days: float) -> str:
        return _stamp(self.now + dt.timedelta(days=days))


# --------------------------------------------------------------------------
# Minimal DNS wire format (stdlib only)

_COMPRESSIBLE: Final = frozenset({2, 3, 4, 5, 6, 7, 8, 9, 12, 14, 15})  # RFC 1035 types


def build_query(
    qname: str,
    qtype: int | str,
    *,
    rd: bool = True,
    dnssec_ok: bool = True,
    cd: bool = False,
    qid: int | None = None,
    payload: int = 1232,
) -> bytes:
    """Build a query message with an EDNS0 OPT record."""
    code = qtype if isinstance(qtype, int) else _TYPE_CODES[qtype.upper()]
    flags = (0x0100 if rd else 0) | (0x0010 if cd else 0)
    header = struct.pack(
        "!HHHHHH", random.randrange(65536) if qid is None else qid, flags, 1, 0, 0, 1
    )
    question = _encode_name(_labels_of(qname)) + struct.pack("!HH", code, 1)
    opt = b"\x00" + struct.pack("!HHIH", 41, payload, 0x8000 if dnssec_ok else 0, 0)
    return header + question + opt


def _labels_of(name: str) -> list[bytes]:
    return [label.encode() for label in name.rstrip(".").split(".") if label]


def _encode_name(labels: Sequence[bytes]) -> bytes:
    return b"".join(bytes([len(label)]) + label for label in labels) + b"\x00"


def _read_name(msg: bytes, off: int) -> tuple[list[bytes], int]:
    """Read a possibly compressed name; return labels and the offset after it."""
    labels: list[bytes] = []
    end = -1
    hops = 0
    while True:
        if off >= len(msg):
            raise ValueError("name runs past the end of the message")
        length = msg[off]
        if length & 0xC0 == 0xC0:
            if off + 1 >= len(msg):
                raise ValueError("truncated pointer")
            if end < 0:
                end = off + 2
            off = ((length & 0x3F) << 8) | msg[off + 1]
            hops += 1
            if hops > 128:
                raise ValueError("compression loop")
            continue
        if length & 0xC0:
            raise ValueError("unknown label type")
        off += 1
        if length == 0:
            return labels, (end if end >= 0 else off)
        labels.append(msg[off : off + length])
        off += length


def _expand_rdata(msg: bytes, rtype: int, start: int, rdlen: int) -> bytes:
    """Rdata with compression pointers removed (RFC 1035 types only)."""
    rdata = msg[start : start + rdlen]
    if rtype not in _COMPRESSIBLE:
        return rdata
    off = start
    out = b""
    if rtype == 15:  # MX: preference, exchange
        out += msg[off : off + 2]
        off += 2
    names = 2 if rtype in (6, 14) else 1  # SOA and MINFO have two names
    for _ in range(names):
        labels, off = _read_name(msg, off)
        out += _encode_name(labels)
    out += msg[off : start + rdlen]
    return out


def strip_records(msg: bytes, types: Iterable[int] = (46,)) -> bytes:
    """Remove all records of ``types`` (default: RRSIG) from a DNS message.

    The message is re-serialised without name compression so that removing a
    record cannot leave a dangling compression pointer.  A message that cannot
    be parsed is returned unchanged.
    """
    drop = frozenset(types)
    try:
        qid, flags, qd, an, ns, ar = struct.unpack_from("!HHHHHH", msg, 0)
        off = 12
        body = b""
        for _ in range(qd):
            labels, off = _read_name(msg, off)
            body += _encode_name(labels) + msg[off : off + 4]
            off += 4
        counts = []
        for count in (an, ns, ar):
            kept = 0
            for _ in range(count):
                labels, off = _read_name(msg, off)
                rtype, rclass, ttl, rdlen = struct.unpack_from("!HHIH", msg, off)
                off += 10
                if off + rdlen > len(msg):
                    raise ValueError("rdata runs past the end of the message")
                if rtype not in drop:
                    rdata = _expand_rdata(msg, rtype, off, rdlen)
                    body += (
                        _encode_name(labels)
                        + struct.pack("!HHIH", rtype, rclass, ttl, len(rdata))
                        + rdata
                    )
                    kept += 1
                off += rdlen
            counts.append(kept)
    except (ValueError, struct.error):
        return msg
    return struct.pack("!HHHHHH", qid, flags, qd, *counts) + body


def _rcode_of(msg: bytes) -> int:
    return int(struct.unpack_from("!H", msg, 2)[0]) & 0x000F


def udp_exchange(query: bytes, server: tuple[str, int], timeout: float) -> bytes:
    """Send one query over UDP and return the response with the same id."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(query, server)
        while True:
            data, _ = sock.recvfrom(65535)
            if data[:2] == query[:2]:
                return data


def _recv_exact(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("connection closed")
        data += chunk
    return data


def _tcp_exchange(query: bytes, server: tuple[str, int], timeout: float) -> bytes:
    with socket.create_connection(server, timeout=timeout) as sock:
        sock.sendall(struct.pack("!H", len(query)) + query)
        (length,) = struct.unpack("!H", _recv_exact(sock, 2))
        return _recv_exact(sock, length)


# --------------------------------------------------------------------------
# dig / delv output


@dataclass(frozen=True)
class Answer:
    """A response as printed by ``dig``."""

    rcode: str
    flags: frozenset[str]
    ede: tuple[str, ...]
    answer: tuple[str, ...]
    authority: tuple[str, ...]
    additional: tuple[str, ...]
    text: str

    @property
    def status(self) -> str:
        """Unbound's verdict: AD -> secure, SERVFAIL -> bogus, else insecure."""
        if self.rcode == "SERVFAIL":
            return BOGUS
        if "ad" in self.flags:
            return SECURE
        return INSECURE

    def types(self, section: str = "answer") -> list[str]:
        """Record types in a section, in order."""
        rows: tuple[str, ...] = getattr(self, section)
        return [row.split()[3] for row in rows]


_HEADER_RE: Final = re.compile(r"status: ([A-Z0-9]+)")
_FLAGS_RE: Final = re.compile(r";; flags:([^;]*);")


def parse_dig_output(text: str) -> Answer:
    """Parse the default output of ``dig`` (one query)."""
    status = _HEADER_RE.search(text)
    flags = _FLAGS_RE.search(text)
    if status is None or flags is None:
        raise DnsEnvError(f"no answer in dig output:\n{text}")
    sections: dict[str, list[str]] = {"ANSWER": [], "AUTHORITY": [], "ADDITIONAL": []}
    current: list[str] | None = None
    ede: list[str] = []
    for line in text.splitlines():
        if line.startswith("; EDE:"):
            ede.append(line[len("; EDE:") :].strip())
            continue
        match = re.match(r";; (\w+) SECTION:", line)
        if match:
            current = sections.get(match.group(1))
            continue
        if not line.strip() or line.startswith(";"):
            if not line.strip():
                current = None
            continue
        if current is not None:
            current.append(" ".join(line.split()))
    return Answer(
        rcode=status.group(1),
        flags=frozenset(flags.group(1).split()),
        ede=tuple(ede),
        answer=tuple(sections["ANSWER"]),
        authority=tuple(sections["AUTHORITY"]),
        additional=tuple(sections["ADDITIONAL"]),
        text=text,
    )


@dataclass(frozen=True)
class DelvResult:
    """What ``delv`` concluded: "secure", "insecure" or "bogus", and its output."""

    status: str
    text: str


def _classify_delv(text: str) -> str:
    if "; fully validated" in text:
        return SECURE
    if "; unsigned answer" in text or "; negative response, unsigned answer" in text:
        return INSECURE
    if "resolution failed" in text or "verify failed" in text or "insecurity proof failed" in text:
        return BOGUS
    raise DnsEnvError(f"cannot classify delv output:\n{text}")


# --------------------------------------------------------------------------
# Processes


@dataclass
class _Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    argv: list[str]
    #: The address a server started by ``DnsEnv.start_unbound`` listens on.
    addr: tuple[str, int] = ("", 0)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        text = ""
        for path in (self.log, self.log.with_suffix(".stderr")):
            if path.exists():
                text += path.read_text(errors="replace")
        return text

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the process and its process group (its own session)."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.popen.wait(timeout)
        # Children of the group (nsd's server and xfrd processes) may outlive it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)


def _spawn(name: str, argv: list[str], log: Path) -> _Proc:
    stderr_path = log.with_suffix(".stderr")
    with open(stderr_path, "wb") as err:
        popen = subprocess.Popen(
            [_which(argv[0]), *argv[1:]],
            stdin=subprocess.DEVNULL,
            stdout=err,
            stderr=err,
            start_new_session=True,
        )
    return _Proc(name, popen, log, argv)


# --------------------------------------------------------------------------
# Network prefix selection


class _NetLock:
    """Claims a 127.X.0.0/16 prefix for this process (advisory lock + probe)."""

    def __init__(self, prefix: str | None) -> None:
        self.prefix = ""
        self._file: IO[bytes] | None = None
        forced = prefix or os.environ.get("DNSSEC_LITE_E2E_NET")
        candidates = [forced] if forced else [f"127.{n}" for n in range(53, 100)]
        errors = []
        for cand in candidates:
            lock = Path(tempfile.gettempdir()) / f"dnssec-lite-e2e-{cand}.lock"
            handle = open(lock, "wb")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                errors.append(f"{cand}: locked by another test session")
                continue
            busy = _busy_addresses([f"{cand}.0.1", f"{cand}.0.2", f"{cand}.0.53", f"{cand}.0.54"])
            if busy:
                handle.close()
                errors.append(f"{cand}: port 53 in use on {', '.join(busy)}")
                continue
            self.prefix = cand
            self._file = handle
            return
        raise DnsEnvError("no free loopback prefix for the DNS environment: " + "; ".join(errors))

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _busy_addresses(addresses: Iterable[str]) -> list[str]:
    busy = []
    for addr in addresses:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind((addr, DNS_PORT))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise DnsEnvError(f"cannot bind {addr}:{DNS_PORT}: {exc}") from exc
                busy.append(addr)
    return busy


# --------------------------------------------------------------------------
# The environment


class DnsEnv:
    """A private signed DNS hierarchy with authoritative servers and Unbound.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        workdir: str | os.PathLike[str] | None = None,
        *,
        prefix: str | None = None,
        keep: bool | None = None,
        extra_zones: Callable[[str], Sequence[_ZoneSpec]] | None = None,
    ) -> None:
        # Zones of other suites (the DANE tests), made once the network
        # prefix is known: they may name addresses in it.
        self._extra_zones = extra_zones
        self._specs: tuple[_ZoneSpec, ...] = _SPECS
        self._workdir_arg = Path(workdir) if workdir is not None else None
        self._prefix_arg = prefix
        self.keep = (
            keep
            if keep is not None
            else os.environ.get("DNSSEC_LITE_E2E_KEEP", "") not in ("", "0")
        )
        self.workdir = Path()
        self.prefix = ""
        self.root_hints_path = Path()
        self.anchor_path = Path()  # DS of the root KSK, zone-file form
        self.anchor_dnskey_path = Path()  # DNSKEY of the root KSK, zone-file form
        self.anchor_bind_path = Path()  # trust-anchors { ... }; for delv -a
        self.unbound_addr: tuple[str, int] = ("", DNS_PORT)
        self.resolver_addr: tuple[str, int] = ("", DNS_PORT)  # non-validating unbound
        self.auth_servers: dict[str, str] = {}
        self.cases: dict[str, Case] = {}
        self.root_ds = ""
        self.root_dnskey = ""
        self.startup_seconds = 0.0
        self._procs: list[_Proc] = []
        self._lock: _NetLock | None = None
        self._made_workdir = False
        self._started = False

    # -- lifecycle -------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Build keys and zones, start nsd and unbound, wait until all answer."""
        if self._started:
            return
        missing = missing_tools()
        if missing:
            raise DnsEnvError(
                f"missing programs: {', '.join(missing)}; run scripts/install-test-deps.sh"
            )
        t0 = time.monotonic()
        self._lock = _NetLock(self._prefix_arg)
        self.prefix = self._lock.prefix
        if self._workdir_arg is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="dnssec-lite-e2e-"))
            self._made_workdir = True
        else:
            self.workdir = self._workdir_arg
            self.workdir.mkdir(parents=True, exist_ok=True)
        self._started = True
        try:
            self._build()
            self._start_servers()
        except BaseException as exc:
            self.stop(force_keep=True)
            exc.add_note(f"DNS test environment work directory kept: {self.workdir}")
            raise
        self.startup_seconds = time.monotonic() - t0

    def stop(self, *, force_keep: bool = False) -> None:
        """Stop exactly the processes this object started; remove the workdir."""
        for proc in reversed(self._procs):
            proc.stop()
        self._procs.clear()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        if self._made_workdir and not (self.keep or force_keep) and self.workdir.exists():
            shutil.rmtree(self.workdir, ignore_errors=True)
        self._started = False

    @property
    def pids(self) -> list[int]:
        """Process ids of the servers this environment runs."""
        return [p.pid for p in self._procs]

    # -- addresses -------------------------------------------------------

    def _addr(self, third: int, fourth: int) -> str:
        return f"{self.prefix}.{third}.{fourth}"

    # -- build -----------------------------------------------------------

    def _build(self) -> None:
        clock = _Clock()
        zones_dir = self.workdir / "zones"
        zones_dir.mkdir(exist_ok=True)
        root_addr, tld_addr = self._addr(0, 1), self._addr(0, 2)
        self.unbound_addr = (self._addr(0, 53), DNS_PORT)
        self.resolver_addr = (self._addr(0, 54), DNS_PORT)
        self.auth_servers = {".": root_addr, "test.": tld_addr}
        if self._extra_zones is not None:
            self._specs = (*_SPECS, *self._extra_zones(self.prefix))
        index = {spec.name: i + 1 for i, spec in enumerate(self._specs)}
        for spec in self._specs:
            addr = self._addr(1, index[spec.name])
            self.auth_servers[spec.name + "."] = addr
            if spec not in _SPECS:
                continue  # an extra zone: not one of the validator cases
            self.cases[spec.name] = Case(
                zone=spec.name,
                expected=spec.expected,
                description=spec.description,
                probe=f"{spec.probe_label}.{spec.name}",
                address=addr,
            )

        # Keys for every signed zone, generated in parallel.
        signed = [s for s in self._specs if s.algorithm is not None]
        jobs: list[tuple[str, int, bool]] = [(".", 8, True), (".", 8, False)]
        jobs += [("test", 13, True), ("test", 13, False)]
        for s in signed:
            assert s.algorithm is not None
            jobs += [(s.name, s.algorithm, True), (s.name, s.algorithm, False)]

        def keydir(zone: str) -> Path:
            return zones_dir / ("root" if zone == "." else zone) / "keys"

        for zone, _alg, _ksk in jobs:
            keydir(zone).mkdir(parents=True, exist_ok=True)
        spare_dir = zones_dir / "dsmismatch.test" / "spare"
        spare_dir.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
            spare_future = pool.submit(_keygen, spare_dir, "dsmismatch.test", 13, ksk=True)
            bases = list(pool.map(lambda j: _keygen(keydir(j[0]), j[0], j[1], ksk=j[2]), jobs))
            spare = spare_future.result()
        keys: dict[str, _Keys] = {}
        for (zone, _alg, ksk), base in zip(jobs, bases, strict=True):
            entry = keys.setdefault(zone, _Keys(base, base))
            if ksk:
                entry.ksk = base
            else:
                entry.zsk = base

        # Children bottom-up: deeper zones first so parents can carry their DS.
        ds_records: dict[str, list[str]] = {}
        delegations: dict[str, list[str]] = {"test": []}
        for spec in sorted(self._specs, key=lambda s: -s.name.count(".")):
            zdir = zones_dir / spec.name
            zdir.mkdir(parents=True, exist_ok=True)
            addr = self.auth_servers[spec.name + "."]
            if spec.body is not None:
                body = (
                    f"$ORIGIN {spec.name}.\n$TTL 300\n"
                    f"@ IN SOA ns.{spec.name}. hostmaster.{spec.name}. 1 3600 600 86400 300\n"
                    f"@ IN NS ns.{spec.name}.\nns IN A {addr}\n" + spec.body(spec.name, addr)
                )
            else:
                body = _zone_body(spec.name, addr, index[spec.name])
            for child in spec.children:
                rel = child[: -len(spec.name) - 1]
                body += f"{rel} IN NS ns.{child}.\nns.{rel} IN A {self.auth_servers[child + '.']}\n"
                body += "".join(r + "\n" for r in ds_records.get(child, []))
            unsigned = zdir / "zone.db"
            unsigned.write_text(body)
            out = zdir / "zone.signed"
            if spec.algorithm is None:
                shutil.copyfile(unsigned, out)
            else:
                self._sign(spec, unsigned, out, keys[spec.name], clock)
                _apply_fault(spec, out)
                ds_records[spec.name] = _parent_ds(spec, keys[spec.name], spare)
            if spec.parent == "test":
                delegations["test"].append(
                    f"{spec.name}. IN NS ns.{spec.name}.\n"
                    f"ns.{spec.name}. IN A {addr}\n"
                    + "".join(r + "\n" for r in ds_records.get(spec.name, []))
                )

        # test.
        tdir = zones_dir / "test"
        tld = (
            "$ORIGIN test.\n$TTL 300\n"
            "@ IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300\n"
            "@ IN NS ns.test.\n"
            f"ns IN A {tld_addr}\n"
            f"a.root-servers IN A {root_addr}\n" + "".join(delegations["test"])
        )
        (tdir / "zone.db").write_text(tld)
        self._sign(
            _ZoneSpec("test", SECURE, "TLD", denial="nsec"),
            tdir / "zone.db",
            tdir / "zone.signed",
            keys["test"],
            clock,
        )
        test_ds = _ds_from_key(keys["test"].ksk)

        # Root.
        rdir = zones_dir / "root"
        root = (
            "$ORIGIN .\n$TTL 3600\n"
            ". IN SOA a.root-servers.test. hostmaster.test. 1 1800 900 604800 3600\n"
            ". IN NS a.root-servers.test.\n"
            "test. IN NS ns.test.\n"
            f"ns.test. IN A {tld_addr}\n"
            f"a.root-servers.test. IN A {root_addr}\n"
            f"{test_ds}\n"
        )
        (rdir / "zone.db").write_text(root)
        self._sign(
            _ZoneSpec(".", SECURE, "root", algorithm=8, denial="nsec"),
            rdir / "zone.db",
            rdir / "zone.signed",
            keys["."],
            clock,
        )

        # Trust anchors and hints.
        self.root_ds = _ds_from_key(keys["."].ksk)
        self.root_dnskey = keys["."].public(keys["."].ksk)
        self.anchor_path = self.workdir / "root-anchor.ds"
        self.anchor_path.write_text(self.root_ds + "\n")
        self.anchor_dnskey_path = self.workdir / "root-anchor.dnskey"
        self.anchor_dnskey_path.write_text(self.root_dnskey + "\n")
        fields = self.root_dnskey.split()
        flags_i = next(i for i, f in enumerate(fields) if f == "DNSKEY") + 1
        key_b64 = "".join(fields[flags_i + 3 :])
        self.anchor_bind_path = self.workdir / "root-anchor.bind"
        self.anchor_bind_path.write_text(
            "trust-anchors {\n"
            f'  "." static-key {fields[flags_i]} {fields[flags_i + 1]} {fields[flags_i + 2]}'
            f' "{key_b64}";\n'
            "};\n"
        )
        self.root_hints_path = self.workdir / "root.hints"
        self.root_hints_path.write_text(
            ";; hints for the private root of the dnssec_lite test environment\n"
            ".                        3600000      NS    A.ROOT-SERVERS.TEST.\n"
            f"A.ROOT-SERVERS.TEST.     3600000      A     {root_addr}\n"
        )

    def _sign(self, spec: _ZoneSpec, unsigned: Path, out: Path, keys: _Keys, clock: _Clock) -> None:
        origin = spec.name if spec.name == "." else spec.name + "."
        if spec.fault == "expired":
            start, end = clock.at(-30), clock.at(-16)
        elif spec.fault == "future":
            start, end = clock.at(16), clock.at(40)
        else:
            start, end = clock.at(-1), clock.at(30)
        if spec.denial == "nsec3-ldns":
            run_tool(
                [
                    "ldns-signzone",
                    "-n",
                    "-t",
                    str(spec.nsec3_iterations),
                    "-s",
                    spec.nsec3_salt,
                    *(["-p"] if spec.optout else []),
                    "-i",
                    start,
                    "-e",
                    end,
                    "-o",
                    origin,
                    "-f",
                    str(out),
                    str(unsigned),
                    str(keys.zsk),
                    str(keys.ksk),
                ]
            )
            return
        with_keys = unsigned.with_suffix(".keys.db")
        with_keys.write_text(
            unsigned.read_text() + "".join(f"$INCLUDE {k}.key\n" for k in (keys.ksk, keys.zsk))
        )
        argv = ["dnssec-signzone", "-q", "-O", "full", "-o", origin, "-f", str(out)]
        argv += ["-d", str(out.parent)]  # dsset- files go there, not to the cwd
        argv += ["-s", start, "-e", end, "-K", str(keys.ksk.parent)]
        if spec.denial == "nsec3":
            argv += ["-3", spec.nsec3_salt, "-H", str(spec.nsec3_iterations)]
            if spec.optout:
                argv.append("-A")
        if spec.fault in ("expired", "future"):
            argv.append("-P")  # the post-sign check would reject these signatures
        argv += [str(with_keys), str(keys.ksk) + ".private", str(keys.zsk) + ".private"]
        run_tool(argv)

    # -- servers ---------------------------------------------------------

    def _start_servers(self) -> None:
        zones_dir = self.workdir / "zones"
        nsd_jobs: list[tuple[str, str, Path]] = [
            (".", self.auth_servers["."], zones_dir / "root" / "zone.signed"),
            ("test.", self.auth_servers["test."], zones_dir / "test" / "zone.signed"),
        ]
        for spec in self._specs:
            nsd_jobs.append(
                (
                    spec.name + ".",
                    self.auth_servers[spec.name + "."],
                    zones_dir / spec.name / "zone.signed",
                )
            )
        started: list[tuple[_Proc, str, str]] = []
        for zone, addr, zonefile in nsd_jobs:
            proc = self._start_nsd(zone, addr, zonefile)
            started.append((proc, zone, addr))
        for proc, zone, addr in started:
            self._wait_ready(proc, (addr, DNS_PORT), zone, "SOA", rd=False)

        unbounds = [
            (
                self._start_unbound("validator", self.unbound_addr, validating=True),
                self.unbound_addr,
            ),
            (
                self._start_unbound("resolver", self.resolver_addr, validating=False),
                self.resolver_addr,
            ),
        ]
        for ub_proc, ub_addr in unbounds:
            self._wait_ready(ub_proc, ub_addr, ".", "SOA", rd=True)

    def _start_nsd(self, zone: str, addr: str, zonefile: Path) -> _Proc:
        ndir = self.workdir / "nsd" / addr
        ndir.mkdir(parents=True, exist_ok=True)
        conf = ndir / "nsd.conf"
        conf.write_text(
            "server:\n"
            f"  ip-address: {addr}\n"
            f"  port: {DNS_PORT}\n"
            "  server-count: 1\n"
            '  username: ""\n'
            '  chroot: ""\n'
            f'  zonesdir: "{ndir}"\n'
            f'  zonelistfile: "{ndir}/zone.list"\n'
            '  database: ""\n'
            f'  logfile: "{ndir}/nsd.log"\n'
            f'  pidfile: "{ndir}/nsd.pid"\n'
            f'  xfrdfile: "{ndir}/xfrd.state"\n'
            f'  xfrdir: "{ndir}"\n'
            "  verbosity: 1\n"
            "  do-ip6: no\n"
            "  hide-version: yes\n"
            "  refuse-any: no\n"
            "remote-control:\n"
            "  control-enable: no\n"
            "zone:\n"
            f'  name: "{zone}"\n'
            f'  zonefile: "{zonefile}"\n'
        )
        proc = _spawn(f"nsd {zone} on {addr}", ["nsd", "-d", "-c", str(conf)], ndir / "nsd.log")
        self._procs.append(proc)
        return proc

    def start_unbound(self, name: str, fourth: int, options: Sequence[str] = ()) -> _Proc:
        """Another validating unbound on ``P.0.<fourth>`` with extra
        ``server:`` options (e.g. ``"harden-algo-downgrade: yes"``), ready
        to answer; it is stopped with the environment or by
        :meth:`stop_unbound`.  Its address is ``proc.addr``."""
        addr = (self._addr(0, fourth), DNS_PORT)
        busy = _busy_addresses([addr[0]])
        if busy:
            raise DnsEnvError(f"cannot start unbound ({name}): {addr[0]}:53 is in use")
        proc = self._start_unbound(name, addr, validating=True, options=options)
        self._wait_ready(proc, addr, ".", "SOA", rd=True)
        proc.addr = addr
        return proc

    def stop_unbound(self, proc: _Proc) -> None:
        """Stop a server from :meth:`start_unbound` (by its process id)."""
        proc.stop()
        if proc in self._procs:
            self._procs.remove(proc)

    def _start_unbound(
        self,
        name: str,
        addr: tuple[str, int],
        *,
        validating: bool,
        options: Sequence[str] = (),
    ) -> _Proc:
        udir = self.workdir / f"unbound-{name}"
        udir.mkdir(parents=True, exist_ok=True)
        conf = udir / "unbound.conf"
        lines = [
            "server:",
            f"  interface: {addr[0]}@{addr[1]}",
            "  do-ip6: no",
            "  do-ip4: yes",
            "  do-udp: yes",
            "  do-tcp: yes",
            "  num-threads: 1",
            "  outgoing-range: 256",
            '  username: ""',
            '  chroot: ""',
            f'  directory: "{udir}"',
            f'  logfile: "{udir}/unbound.log"',
            "  use-syslog: no",
            '  pidfile: ""',
            "  verbosity: 1",
            "  log-servfail: yes",
            "  access-control: 127.0.0.0/8 allow",
            "  do-not-query-localhost: no",
            f'  root-hints: "{self.root_hints_path}"',
            '  local-zone: "test." nodefault',
            "  qname-minimisation: yes",
            "  harden-referral-path: no",
            "  prefetch: no",
            "  ede: yes",
            "  trust-anchor-signaling: no",
            "  root-key-sentinel: no",
        ]
        if validating:
            lines += [
                '  module-config: "validator iterator"',
                f'  trust-anchor-file: "{self.anchor_path}"',
                "  val-log-level: 2",
            ]
        else:
            lines += ['  module-config: "iterator"']
        lines += [f"  {option}" for option in options]
        lines += ["remote-control:", "  control-enable: no", ""]
        conf.write_text("\n".join(lines))
        proc = _spawn(
            f"unbound ({name}) on {addr[0]}",
            ["unbound", "-d", "-c", str(conf)],
            udir / "unbound.log",
        )
        self._procs.append(proc)
        return proc

    def _wait_ready(
        self,
        proc: _Proc,
        addr: tuple[str, int],
        qname: str,
        qtype: str,
        *,
        rd: bool,
        timeout: float = 15.0,
    ) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                raise ToolError(proc.name, proc.argv, proc.popen.returncode, proc.output())
            try:
                reply = udp_exchange(build_query(qname, qtype, rd=rd), addr, 0.5)
            except OSError as exc:
                last = str(exc)
                time.sleep(0.02)
                continue
            rcode = _rcode_of(reply)
            if rcode == 0:
                return
            last = f"rcode {rcode}"
            time.sleep(0.05)
        raise ToolError(
            proc.name,
            proc.argv,
            None,
            f"not ready after {timeout}s ({last})\n" + proc.output(),
        )

    # -- queries ---------------------------------------------------------

    def dig(self, *args: str, server: tuple[str, int] | None = None, timeout: float = 10) -> str:
        """Run dig against ``server`` (default: the validating unbound)."""
        host, port = server or self.unbound_addr
        return run_tool(
            ["dig", f"@{host}", "-p", str(port), "+time=3", "+tries=2", *args],
            timeout=timeout,
        )

    def unbound_answer(
        self,
        name: str,
        rrtype: str = "A",
        *,
        cd: bool = False,
        server: tuple[str, int] | None = None,
    ) -> Answer:
        """Ask the validating unbound (DO set) and parse dig's output."""
        args = ["+dnssec", "+nomultiline", name, rrtype]
        if cd:
            args.insert(0, "+cd")
        return parse_dig_output(self.dig(*args, server=server))

    def unbound_verdict(self, name: str, rrtype: str = "A") -> str:
        """Unbound's verdict: "secure" (AD), "bogus" (SERVFAIL) or "insecure"."""
        return self.unbound_answer(name, rrtype).status

    def delv(self, name: str, rrtype: str = "A") -> DelvResult:
        """delv's own validation, through the non-validating unbound."""
        host, port = self.resolver_addr
        argv = [
            "delv",
            f"@{host}",
            "-p",
            str(port),
            "-a",
            str(self.anchor_bind_path),
            "+root=.",
            name,
            rrtype,
        ]
        proc = subprocess.run(
            [_which("delv"), *argv[1:]],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        text = proc.stdout + proc.stderr
        return DelvResult(_classify_delv(text), text)

    def logs(self) -> dict[str, str]:
        """Log output of every running server, by name."""
        return {p.name: p.output() for p in self._procs}


# --------------------------------------------------------------------------
# Faults applied after signing


def _apply_fault(spec: _ZoneSpec, signed: Path) -> None:
    if spec.fault not in ("tampered", "nodnskey", "stripped"):
        return
    target, target_type = spec.fault_target
    target = target or f"mail.{spec.name}."
    target_type = target_type or "A"
    rows = _signed_lines(signed)
    out: list[list[str]] = []
    changed = False
    for row in rows:
        rtype = _rtype(row)
        if spec.fault == "tampered" and row[0] == target and rtype == target_type:
            row = [*row[:4], *_tampered(target_type, row[4:])]
            changed = True
        elif _fault_drops(spec.fault, target, row):
            changed = True
            continue
        out.append(row)
    if not changed:
        raise DnsEnvError(f"fault {spec.fault!r} found nothing to change in {signed}")
    _write_rows(signed, out)


def _tampered(rtype: str, rdata: Sequence[str]) -> list[str]:
    """Changed rdata of the same type, so that its signature no longer fits."""
    if rtype == "A":
        return ["203.0.113.66"]
    if rtype == "TLSA":
        data = "".join(rdata[3:])
        return [*rdata[:3], ("f" if data[0] != "f" else "e") + data[1:]]
    raise DnsEnvError(f"no tampering defined for type {rtype}")


def _fault_drops(fault: str, target: str, row: Sequence[str]) -> bool:
    rtype = _rtype(row)
    covered = row[4].upper() if rtype == "RRSIG" else ""
    if fault == "nodnskey":
        return rtype == "DNSKEY" or covered == "DNSKEY"
    if fault == "stripped":
        return row[0] == target and covered == "A"
    return False


def _parent_ds(spec: _ZoneSpec, keys: _Keys, spare: Path) -> list[str]:
    if spec.fault == "dsmismatch":
        return [_ds_from_key(spare)]
    ds = _ds_from_key(keys.ksk)
    owner, cls, rtype, tag, alg, digest_type, digest = ds.split()
    if spec.fault == "ds-unknown-alg":
        return [f"{owner} {cls} {rtype} {tag} 100 {digest_type} {digest}"]
    if spec.fault == "ds-unknown-digest":
        return [f"{owner} {cls} {rtype} {tag} {alg} 100 {digest}"]
    return [ds]


# --------------------------------------------------------------------------
# Proxies


class _Proxy:
    """UDP and TCP DNS forwarder on ``listen`` (port 0: pick a free one)."""

    def __init__(
        self,
        listen: tuple[str, int],
        upstream: tuple[str, int],
        *,
        delay_ms: float = 0.0,
        timeout: float = 10.0,
    ) -> None:
        self.upstream = upstream
        self.delay = delay_ms / 1000.0
        self.timeout = timeout
        self.queries = 0
        self._listen = listen
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._count_lock = threading.Lock()
        self.addr: tuple[str, int] = listen

    def transform(self, response: bytes) -> bytes:
        """Rewrite an upstream response before it is returned."""
        return response

    def intercept(self, query: bytes) -> bytes | None:
        """The proxy's own reply to ``query`` (``b""``: none at all, the query
        is dropped), or None to forward it upstream."""
        return None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        host, port = self._listen
        for _attempt in range(20):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind((host, port))
            bound = udp.getsockname()[1]
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind((host, bound))
            except OSError:
                udp.close()
                tcp.close()
                if port:
                    raise
                continue
            tcp.listen(64)
            break
        else:
            raise DnsEnvError(f"cannot bind a proxy on {host}")
        udp.settimeout(0.2)
        tcp.settimeout(0.2)
        self._udp, self._tcp = udp, tcp
        self.addr = (host, bound)
        for target in (self._serve_udp, self._serve_tcp):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(2)
        for sock in (self._udp, self._tcp):
            if sock is not None:
                sock.close()

    def _count(self) -> None:
        with self._count_lock:
            self.queries += 1

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        threading.Thread(target=target, args=args, daemon=True).start()

    def _serve_udp(self) -> None:
        assert self._udp is not None
        while not self._stop.is_set():
            try:
                data, client = self._udp.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            self._spawn(self._handle_udp, data, client)

    def _handle_udp(self, data: bytes, client: tuple[str, int]) -> None:
        self._count()
        if self.delay:
            time.sleep(self.delay)
        own = self.intercept(data)
        if own == b"":
            return
        try:
            reply = (
                own
                if own is not None
                else self.transform(udp_exchange(data, self.upstream, self.timeout))
            )
        except OSError:
            return
        with contextlib.suppress(OSError):
            assert self._udp is not None
            self._udp.sendto(reply, client)

    def _serve_tcp(self) -> None:
        assert self._tcp is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._tcp.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._spawn(self._handle_tcp, conn)

    def _handle_tcp(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(self.timeout)
            while not self._stop.is_set():
                try:
                    (length,) = struct.unpack("!H", _recv_exact(conn, 2))
                    query = _recv_exact(conn, length)
                except (OSError, ConnectionError, struct.error):
                    return
                self._count()
                if self.delay:
                    time.sleep(self.delay)
                own = self.intercept(query)
                if own == b"":
                    return
                try:
                    reply = (
                        own
                        if own is not None
                        else self.transform(_tcp_exchange(query, self.upstream, self.timeout))
                    )
                    conn.sendall(struct.pack("!H", len(reply)) + reply)
                except OSError:
                    return


class LatencyProxy(_Proxy):
    """Forwards DNS over UDP and TCP to ``upstream``, ``delay_ms`` later per query."""

    def __init__(
        self,
        listen: tuple[str, int],
        upstream: tuple[str, int],
        delay_ms: float,
        *,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(listen, upstream, delay_ms=delay_ms, timeout=timeout)


class StrippingProxy(_Proxy):
    """Forwards DNS to ``upstream`` and removes records of ``strip_types``
    (default: RRSIG) from every response, like a DNSSEC-unaware middlebox."""

    def __init__(
        self,
        listen: tuple[str, int],
        upstream: tuple[str, int],
        *,
        strip_types: Iterable[int] = (46,),
        delay_ms: float = 0.0,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(listen, upstream, delay_ms=delay_ms, timeout=timeout)
        self.strip_types = frozenset(strip_types)

    def transform(self, response: bytes) -> bytes:
        return strip_records(response, self.strip_types)


class FaultProxy(_Proxy):
    """Forwards DNS to ``upstream`` except for the questions in ``faults``:
    ``{(name, type): "servfail" | "drop"}`` -- answered SERVFAIL by the proxy
    itself, or never answered (over TCP: the connection is closed), as a
    broken or overloaded upstream would.  ``seen`` counts those questions."""

    def __init__(
        self,
        listen: tuple[str, int],
        upstream: tuple[str, int],
        faults: dict[tuple[str, str], str],
        *,
        delay_ms: float = 0.0,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(listen, upstream, delay_ms=delay_ms, timeout=timeout)
        self.faults: dict[tuple[str, int], str] = {}
        for (name, rrtype), fault in faults.items():
            if fault not in ("servfail", "drop"):
                raise ValueError(f"unknown proxy fault {fault!r} for {name} {rrtype}")
            key = (name.rstrip(".").lower(), _TYPE_CODES[rrtype.upper()])
            self.faults[key] = fault
        self.seen: dict[tuple[str, int], int] = dict.fromkeys(self.faults, 0)
        self._seen_lock = threading.Lock()

    def intercept(self, query: bytes) -> bytes | None:
        try:
            labels, off = _read_name(query, 12)
            (qtype,) = struct.unpack("!H", query[off : off + 2])
        except (ValueError, struct.error):
            return None
        key = (b".".join(labels).decode("ascii", "replace").lower(), qtype)
        fault = self.faults.get(key)
        if fault is None:
            return None
        with self._seen_lock:
            self.seen[key] += 1
        if fault == "drop":
            return b""
        # Same id, QR and RA set, RD and CD copied, RCODE 2; the question,
        # and an OPT record (DO copied) when the query had one, as Unbound.
        qid, flags, _qd, _an, _ns, arcount = struct.unpack("!HHHHHH", query[:12])
        opt = b""
        if arcount and query[off + 4 : off + 7] == b"\x00\x00\x29":
            (ttl_flags,) = struct.unpack("!I", query[off + 9 : off + 13])
            opt = b"\x00" + struct.pack("!HHIH", 41, 1232, ttl_flags & 0x8000, 0)
        reply_flags = 0x8000 | (flags & 0x0110) | 0x0080 | 2
        header = struct.pack("!HHHHHH", qid, reply_flags, 1, 0, 0, 1 if opt else 0)
        return header + query[12 : off + 4] + opt


def iter_cases(env: DnsEnv, expected: str | None = None) -> Iterator[Case]:
    """The env's cases, optionally only those with one expected verdict."""
    for case in env.cases.values():
        if expected is None or case.expected == expected:
            yield case
