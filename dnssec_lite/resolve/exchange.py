"""Every decision of a DNS exchange, with no I/O: the sync and async
transports are thin loops around these functions.

* :func:`build_query` makes the query the stub resolver sends (RD=1, CD=1,
  EDNS0 with DO=1 and a 1232-octet payload, a random 16-bit ID).
* :func:`check_response` accepts or ignores a datagram: it must come from the
  queried address and port, carry the query's ID, be a response (QR=1) and
  repeat the question (the name compared case-insensitively).  Anything else
  is ignored (the caller logs it and keeps waiting until its timeout), which is
  what makes off-path spoofing expensive.  A truncated (TC=1) answer means
  "ask again over TCP".
* :func:`upstream_problem` says whether an accepted response is unusable
  (SERVFAIL, REFUSED, FORMERR, NOTIMP) or shows an upstream that strips DNSSEC
  (no OPT record, or DO not echoed), so the caller fails over to the next
  upstream.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from ..errors import WireFormatError
from ..wire.edns import EDNS_DO, Edns
from ..wire.message import Message, Question
from ..wire.name import Name
from ..wire.types import FLAG_CD, FLAG_RD, Rcode, RRClass, RRType

#: EDNS0 UDP payload size of every query (DNS flag day 2020).
PAYLOAD = 1232
#: Largest message read over TCP (the 2-octet length field allows no more).
MAX_TCP_MESSAGE = 65535

_LEN = struct.Struct("!H")


class Server(NamedTuple):
    """A DNS server: an IP address (v4 or v6) and a port.

    A named tuple, so that it is also the plain ``(address, port)`` pair
    that sockets take (and that the iterative engine's callers pass)."""

    host: str
    port: int = 53

    @property
    def family(self) -> int:
        return socket.AF_INET6 if ":" in self.host else socket.AF_INET

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def matches(self, source: tuple[object, ...]) -> bool:
        """Whether a datagram's source address is this server's address and port."""
        if len(source) < 2 or source[1] != self.port:
            return False
        try:
            return ipaddress.ip_address(str(source[0]).split("%")[0]) == ipaddress.ip_address(
                self.host.split("%")[0]
            )
        except ValueError:
            return False

    def __str__(self) -> str:
        if self.family == socket.AF_INET6:
            return f"[{self.host}]:{self.port}"
        return f"{self.host}:{self.port}"


def build_query(
    name: Name | str,
    rrtype: int | str,
    rrclass: int = RRClass.IN,
    *,
    cd: bool = True,
    do: bool = True,
    rd: bool = True,
) -> Message:
    """The stub resolver's query: RD=1, CD=1, EDNS0 (payload 1232) with DO=1.

    CD=1 makes the upstream hand over data it considers bogus, so that the
    local validator judges it; the ID comes from the OS's CSPRNG
    (:func:`os.urandom`, drawn 256 IDs at a time).
    """
    if isinstance(name, str):
        name = Name.from_text(name)
    if isinstance(rrtype, str):
        rrtype = RRType.from_text(rrtype)
    flags = (FLAG_RD if rd else 0) | (FLAG_CD if cd else 0)
    return Message(
        id=_query_id(),
        flags=flags,
        question=(Question(name, int(rrtype), int(rrclass)),),
        edns=_EDNS_DO if do else _EDNS,
    )


_EDNS_DO = Edns(payload=PAYLOAD, flags=EDNS_DO)
_EDNS = Edns(payload=PAYLOAD, flags=0)
_ids: list[int] = []
# A forked child must not reuse the IDs its parent is going to use.
os.register_at_fork(after_in_child=_ids.clear)


def _query_id() -> int:
    """A random 16-bit query ID (RFC 5452: IDs an off-path attacker cannot guess)."""
    if not _ids:
        pool = os.urandom(512)
        _ids.extend(_LEN.unpack_from(pool, i)[0] for i in range(0, 512, 2))
    return _ids.pop()


class Disposition(Enum):
    """What to do with a received datagram or TCP message."""

    #: The response to the query: use it.
    ACCEPT = "accept"
    #: The response, truncated: ask again over TCP.
    RETRY_TCP = "retry over TCP"
    #: Not the response (spoofed, stray, malformed): ignore it, keep waiting.
    IGNORE = "ignore"


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of :func:`check_response`; ``why`` explains an IGNORE."""

    disposition: Disposition
    message: Message | None = None
    why: str = ""


def check_response(
    query: Message,
    data: bytes,
    server: Server,
    source: tuple[object, ...] | None = None,
    *,
    tcp: bool = False,
) -> Check:
    """Accept, ignore, or send to TCP one received message.

    ``source`` is the datagram's sender (``None`` over TCP, where the
    connection already fixes the peer).
    """
    if source is not None and not server.matches(source):
        return Check(Disposition.IGNORE, None, f"datagram from unexpected source {source[:2]}")
    if len(data) < 12:
        return Check(Disposition.IGNORE, None, f"{len(data)}-octet datagram is not a DNS message")
    msg_id = _LEN.unpack_from(data, 0)[0]
    if msg_id != query.id:
        return Check(Disposition.IGNORE, None, f"ID {msg_id} does not match the query's {query.id}")
    try:
        msg = Message.from_wire(data)
    except WireFormatError as exc:
        return Check(Disposition.IGNORE, None, f"malformed response: {exc}")
    if not msg.qr:
        return Check(Disposition.IGNORE, msg, "not a response (QR=0)")
    if msg.opcode != query.opcode:
        return Check(Disposition.IGNORE, msg, "opcode differs from the query's")
    if len(msg.question) != 1 or msg.question[0] != query.question[0]:
        if msg.tc and not msg.question and not tcp:
            # Some servers drop the question from truncated answers.
            return Check(Disposition.RETRY_TCP, msg, "truncated")
        got = msg.question[0].to_text() if msg.question else "no question"
        return Check(Disposition.IGNORE, msg, f"question {got!r} does not match the query's")
    if msg.tc:
        if tcp:
            return Check(Disposition.IGNORE, msg, "truncated response over TCP")
        return Check(Disposition.RETRY_TCP, msg, "truncated")
    return Check(Disposition.ACCEPT, msg)


#: Response codes that make the caller try the next upstream.
FAILOVER_RCODES = frozenset({Rcode.SERVFAIL, Rcode.REFUSED, Rcode.FORMERR, Rcode.NOTIMP})


def upstream_problem(query: Message, response: Message) -> str | None:
    """Why an accepted response cannot be used, or None if it can."""
    if response.rcode in FAILOVER_RCODES:
        return f"answered {Rcode.to_text(response.rcode)}"
    return stripping_problem(query, response)


def stripping_problem(query: Message, response: Message) -> str | None:
    """Signs of an upstream that strips DNSSEC from a DO=1 query's reply.

    An error reply (SERVFAIL, REFUSED, ...) is no such sign even without an
    OPT record: many servers build those without EDNS, and the same
    upstream may sign every other answer."""
    if query.dnssec_ok and response.rcode not in FAILOVER_RCODES:
        if response.edns is None:
            return "no OPT record in the reply to a DO query"
        if not response.edns.dnssec_ok:
            return "DO bit not echoed in the reply to a DO query"
    return None


def frame(data: bytes) -> bytes:
    """TCP framing (RFC 1035 section 4.2.2): a 2-octet length, then the message."""
    if len(data) > MAX_TCP_MESSAGE:
        raise ValueError("message longer than 65535 octets")
    return _LEN.pack(len(data)) + data


def unframe(buffer: bytes | bytearray) -> tuple[bytes | None, int]:
    """The first complete framed message in ``buffer`` and the octets it used."""
    if len(buffer) < 2:
        return None, 0
    length = _LEN.unpack_from(buffer, 0)[0]
    if len(buffer) < 2 + length:
        return None, 0
    return bytes(buffer[2 : 2 + length]), 2 + length


def attempt_timeout(timeout: float, attempt: int) -> float:
    """The wait for attempt ``attempt`` (0-based): doubles each round, at most 4x."""
    return float(timeout * min(2**attempt, 4))
