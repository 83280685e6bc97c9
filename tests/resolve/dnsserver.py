"""Small DNS servers for the resolver tests: UDP and TCP on 127.0.0.1 with
free ports, each in a thread, started and stopped by the tests.

:class:`TestServer` answers with a handler ``(query, tcp) -> bytes | None``
(None: no answer).  :func:`hierarchy_handler` answers like a recursive
resolver from a signed :class:`~tests.helpers.zonesigner.Hierarchy`, with
optional faults: strip RRSIGs, drop the OPT record, answer an rcode, add
latency, truncate UDP answers.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from dnssec_lite.resolve.exchange import Server
from dnssec_lite.wire.edns import Edns
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import FLAG_RA, Rcode, RRType
from tests.helpers.zonesigner import Hierarchy, Zone

Handler = Callable[[Message, bool], bytes | None]


class TestServer:
    """A UDP + TCP server on 127.0.0.1 (same port), serving ``handler``.

    ``delay`` seconds pass before each answer (answers to different queries
    are delayed concurrently, like network latency).  ``udp_queries`` and
    ``tcp_queries`` count what arrived; ``tcp_connections`` counts accepts.
    """

    __test__ = False

    def __init__(self, handler: Handler, *, delay: float = 0.0, host: str = "127.0.0.1") -> None:
        self.handler = handler
        self.delay = delay
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.udp, self.tcp, port = udp_tcp_pair(family, host)
        self.tcp.listen(16)
        self.server = Server(host, port)
        self.udp_queries: list[Message] = []
        self.udp_sources: list[tuple[str, int]] = []
        self.tcp_queries: list[Message] = []
        self.tcp_connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._timers: list[threading.Timer] = []
        self._lock = threading.Lock()

    def __enter__(self) -> TestServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        for timer in self._timers:
            timer.cancel()
        self.udp.close()
        self.tcp.close()

    @property
    def queries(self) -> int:
        return len(self.udp_queries) + len(self.tcp_queries)

    def _later(self, fn: Callable[[], None]) -> None:
        if self.delay <= 0:
            fn()
            return
        timer = threading.Timer(self.delay, fn)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _run(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self.udp, selectors.EVENT_READ, "udp")
        sel.register(self.tcp, selectors.EVENT_READ, "listen")
        buffers: dict[socket.socket, bytearray] = {}
        while not self._stop.is_set():
            for key, _ in sel.select(0.05):
                if key.data == "udp":
                    data, addr = self.udp.recvfrom(65535)
                    self._udp(data, addr)
                elif key.data == "listen":
                    conn, _ = self.tcp.accept()
                    self.tcp_connections += 1
                    buffers[conn] = bytearray()
                    sel.register(conn, selectors.EVENT_READ, "conn")
                else:
                    conn = key.fileobj
                    assert isinstance(conn, socket.socket)
                    try:
                        chunk = conn.recv(65535)
                    except OSError:
                        chunk = b""
                    if not chunk:
                        sel.unregister(conn)
                        conn.close()
                        buffers.pop(conn, None)
                        continue
                    buf = buffers[conn]
                    buf += chunk
                    while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                        n = struct.unpack("!H", buf[:2])[0]
                        data = bytes(buf[2 : 2 + n])
                        del buf[: 2 + n]
                        self._tcp(conn, data)
        for conn in buffers:
            conn.close()
        sel.close()

    def _udp(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            query = Message.from_wire(data)
        except Exception:
            return
        with self._lock:
            self.udp_queries.append(query)
            self.udp_sources.append(addr)
        reply = self.handler(query, False)
        if reply is not None:
            self._later(lambda: self._send_udp(reply, addr))

    def _send_udp(self, reply: bytes, addr: tuple[str, int]) -> None:
        with contextlib.suppress(OSError):
            self.udp.sendto(reply, addr)

    def _tcp(self, conn: socket.socket, data: bytes) -> None:
        query = Message.from_wire(data)
        with self._lock:
            self.tcp_queries.append(query)
        reply = self.handler(query, True)
        if reply is not None:
            framed = struct.pack("!H", len(reply)) + reply
            self._later(lambda: _sendall(conn, framed))


def _sendall(conn: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):
        conn.sendall(data)


def udp_tcp_pair(family: int, host: str) -> tuple[socket.socket, socket.socket, int]:
    """A UDP and a TCP socket bound to the same free port.  The kernel picks
    the UDP port; that port may be taken for TCP, so try again a few times."""
    for _attempt in range(50):
        udp = socket.socket(family, socket.SOCK_DGRAM)
        udp.bind((host, 0))
        port = int(udp.getsockname()[1])
        tcp = socket.socket(family, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind((host, port))
        except OSError:
            udp.close()
            tcp.close()
            continue
        return udp, tcp, port
    raise OSError(f"no port free for both UDP and TCP on {host}")


def dead_server() -> Server:
    """A loopback address and port where nothing listens (the port is freed)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return Server("127.0.0.1", port)


@dataclass
class Faults:
    """What a :func:`hierarchy_handler` server does wrong."""

    strip_sigs: bool = False
    no_opt: bool = False
    rcode: int | None = None
    udp_limit: int | None = None
    names: set[str] = field(default_factory=set)


def _zone_for(h: Hierarchy, qname: Name, qtype: int) -> Zone:
    best: Zone | None = None
    for apex, zone in h.zones.items():
        if qtype == RRType.DS and apex == qname and apex.labels:
            continue  # the DS of a zone lives in its parent
        if qname.is_subdomain(apex) and (best is None or len(apex) > len(best.apex)):
            best = zone
    assert best is not None
    return best


def recursive_answer(h: Hierarchy, query: Message) -> Message:
    """What a recursive resolver answers to a DO=1 CD=1 query, from ``h``."""
    q = query.question[0]
    resp = query.make_response().replace(flags=query.make_response().flags | FLAG_RA)
    zone = _zone_for(h, q.name, q.rrtype)
    rrset = zone.signed.get((q.name, q.rrtype))
    if rrset is not None:
        return resp.replace(answer=[rrset])
    soa = zone.signed[(zone.apex, RRType.SOA)]
    authority: list[RRset] = [soa]
    exists = zone.exists(q.name)
    nsec = zone.nsec_for(q.name) if exists else zone.nsec_covering(q.name)
    if nsec is not None:
        authority.append(nsec)
    if not exists:
        wild = zone.nsec_covering(zone.apex.wildcard())
        if wild is not None and wild is not nsec:
            authority.append(wild)
    return resp.replace(rcode=Rcode.NOERROR if exists else Rcode.NXDOMAIN, authority=authority)


def hierarchy_handler(h: Hierarchy, faults: Faults | None = None) -> Handler:
    f = faults or Faults()

    def handle(query: Message, tcp: bool) -> bytes | None:
        resp = recursive_answer(h, query)
        if f.rcode is not None:
            resp = query.make_response().replace(rcode=f.rcode)
        if f.strip_sigs:
            resp = resp.replace(
                answer=[r.without_sigs() for r in resp.answer if r.rrtype != RRType.RRSIG],
                authority=[r.without_sigs() for r in resp.authority],
            )
        if f.no_opt:
            resp = resp.replace(edns=None)
        elif resp.edns is None and query.edns is not None:
            resp = resp.replace(edns=Edns(flags=query.edns.flags))
        limit = None if tcp else f.udp_limit
        return resp.to_wire(max_size=limit)

    return handle


@contextlib.contextmanager
def serving(h: Hierarchy, faults: Faults | None = None, delay: float = 0.0) -> Iterator[TestServer]:
    with TestServer(hierarchy_handler(h, faults), delay=delay) as srv:
        yield srv


def wait_until(pred: Callable[[], bool], timeout: float = 2.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return pred()
