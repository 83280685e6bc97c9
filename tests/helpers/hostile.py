"""A hostile upstream: genuine signed responses rewritten as an attacker would.

Two halves share one vocabulary of attacks:

* **Offline mutations** -- pure functions ``Message -> Message``.  Each
  attack class (:data:`CLASSES`) draws one concrete rewrite of a response
  from a seeded :class:`random.Random` and a :class:`Pool` of material an
  attacker can collect (every signed RRset, NSEC/NSEC3 record and wildcard
  RRset of the test zones, every zone's genuine DS/anchor key tags).
* **Servers** -- :class:`HostileServer` answers UDP and TCP on loopback from
  a :class:`~tests.helpers.fakenet.FakeNetwork` (what an honest recursive
  server would say) and passes each response through a ``rewrite``
  function; :class:`AuthServer` is an authoritative server for one zone of a
  :class:`~tests.helpers.zonesigner.Hierarchy`, for the iterative mode;
  :class:`HostileProxy` rewrites what a real resolver answers (the
  end-to-end environment's zones, signed by real signers).

Forged keys and compression-pointer chains come from :mod:`tests.helpers.forge`
and are re-exported here.
"""

from __future__ import annotations

import random
import socket
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from dnssec_lite.resolve.exchange import Server
from dnssec_lite.wire.edns import Edns
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.dnssec import DS, RRSIG
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import (
    FLAG_AA,
    FLAG_AD,
    FLAG_CD,
    FLAG_QR,
    FLAG_TC,
    Rcode,
    RRClass,
    RRType,
)
from tests.resolve.dnsserver import TestServer

from .fakenet import FakeNetwork, zone_answer
from .forge import (
    KEY_LENGTHS,
    RSA_ALGORITHMS,
    RSA_BITS,
    SUPPORTED_ALGORITHMS,
    SUPPORTED_DIGESTS,
    UNSUPPORTED_ALGORITHMS,
    UNSUPPORTED_DIGESTS,
    forged_dnskey,
    forged_dnskey_rrset,
    pointer_chain,
    with_key_tag,
)
from .zonesigner import Hierarchy, Zone

# -- what an attacker can collect ----------------------------------------------------


@dataclass
class Pool:
    """Signed material from every zone, for re-use in other places."""

    rrsets: list[RRset] = field(default_factory=list)
    proofs: list[RRset] = field(default_factory=list)
    wildcards: list[RRset] = field(default_factory=list)
    names: list[Name] = field(default_factory=list)
    #: Each zone's genuine DS (the anchor's for the root).
    ds: dict[Name, list[DS]] = field(default_factory=dict)

    @classmethod
    def from_hierarchy(cls, h: Hierarchy) -> Pool:
        pool = cls()
        names: set[Name] = set()
        for zone in h.zones.values():
            for (owner, _t), rrset in sorted(zone.signed.items(), key=lambda kv: kv[0]):
                names.add(owner)
                if not rrset.sigs:
                    continue
                pool.rrsets.append(rrset)
                if rrset.rrtype == RRType.NSEC:
                    pool.proofs.append(rrset)
                if owner.is_wild():
                    pool.wildcards.append(rrset)
            for _owner, rrset in sorted(zone.nsec3_rrsets.items()):
                pool.proofs.append(rrset)
                pool.rrsets.append(rrset)
            pool.ds[zone.apex] = zone.ds_rdatas()
        pool.names = sorted(names)
        return pool


# -- offline mutations ------------------------------------------------------------------

SECTIONS = ("answer", "authority", "additional")


@dataclass(frozen=True)
class Mutation:
    """One concrete rewrite of a response: its class, a detail, the function."""

    cls: str
    detail: str
    apply: Callable[[Message], Message]


def _sections(msg: Message) -> dict[str, list[RRset]]:
    return {s: list(getattr(msg, s)) for s in SECTIONS}


def _with(msg: Message, sections: dict[str, list[RRset]], **changes: object) -> Message:
    return msg.replace(**{s: tuple(v) for s, v in sections.items()}, **changes)


def _pick(msg: Message, rng: random.Random) -> tuple[str, int] | None:
    """A random (section, index) of an RRset in the message."""
    spots = [(s, i) for s in SECTIONS for i in range(len(getattr(msg, s)))]
    return rng.choice(spots) if spots else None


def _renamed(rrset: RRset, owner: Name) -> RRset:
    return RRset(
        owner, rrset.rrtype, rrset.rrclass, rrset.ttl, rrset.rdatas, rrset.sigs, rrset.sig_ttl
    )


def _case_flipped(name: Name, rng: random.Random) -> Name:
    return Name.from_labels(
        bytes(c ^ 0x20 if 0x61 <= (c | 0x20) <= 0x7A and rng.random() < 0.5 else c for c in lb)
        for lb in name.labels
    )


Drawer = Callable[[Message, Pool, random.Random], Mutation | None]


def m_rcode(msg: Message, pool: Pool, rng: random.Random) -> Mutation | None:
    rcode = rng.choice([r for r in (0, 2, 3, 5) if r != msg.rcode])
    return Mutation("rcode", f"{msg.rcode}->{rcode}", lambda m: m.replace(rcode=rcode))


_FLAGS = {"AA": FLAG_AA, "AD": FLAG_AD, "TC": FLAG_TC, "CD": FLAG_CD, "QR": FLAG_QR}


def m_flags(msg: Message, pool: Pool, rng: random.Random) -> Mutation | None:
    what = rng.choice((*_FLAGS, "DO", "no-EDNS"))
    if what == "DO":
        return Mutation("flags", "DO dropped", lambda m: m.replace(edns=Edns(flags=0)))
    if what == "no-EDNS":
        return Mutation("flags", "no EDNS", lambda m: m.replace(edns=None))
    bit = _FLAGS[what]
    return Mutation("flags", f"{what} flipped", lambda m: m.replace(flags=m.flags ^ bit))


def m_move(msg: Message, pool: Pool, rng: random.Random) -> Mutation | None:
    spot = _pick(msg, rng)
    if spot is None:
        return None
    src, i = spot
    dst = rng.choice([s for s in SECTIONS if s != src])

    def apply(m: Message) -> Message:
        secs = _sections(m)
        rrset = secs[src].pop(i)
        secs[dst].insert(rng.randrange(len(secs[dst]) + 1), rrset)
        return _with(m, secs)

    return Mutation("move", f"{src}->{dst}", apply)


def m_drop(msg: Message, pool: Pool, rng: random.Random) -> Mutation | None:
    spot = _pick(msg, rng)
    if spot is None:
        return None
    sec, i = spot
    rrset: RRset = getattr(msg, sec)[i]
    how = rng.choice(("rrset", "sigs", "one-sig", "one-rr"))
    if how == "one-rr" and len(rrset.rdatas) > 1:
        j = rng.randrange(len(rrset.rdatas))
        new = RRset(
            rrset.name,
            rrset.rrtype,
            rrset.rrclass,
            rrset.ttl,
            rrset.rdatas[:j] + rrset.rdatas[j + 1 :],
            rrset.sigs,
            rrset.sig_ttl,
        )
    elif how == "one-sig" and len(rrset.sigs) > 1:
        j = rng.randrange(len(rrset.sigs))
        new = rrset.with_sigs(rrset.sigs[:j] + rrset.sigs[j + 1 :])
    elif how == "sigs" and rrset.sigs:
        new = rrset.without_sigs()
    else:
        how, new = "rrset", None

    def apply(m: Message) -> Message:
        secs = _sections(m)
        if new is None:
            del secs[sec][i]
        else:
            secs[sec][i] = new
        return _with(m, secs)

    return Mutation("drop", f"{how} {RRType.to_text(rrset.rrtype)} in {sec}", apply)


def m_duplicate(msg: Message, pool: Pool, rng: random.Random) -> Mutation | None:
    spot = _pick(msg, rng)
    if spot is None:
        return None
    sec, i = spot
    dst = rng.choice(SECTIONS)
    rrset: RRset = getattr(msg, sec)[i]
    copy = rrset.with_ttl(rng.choice((rrset.ttl, 0, 1 << 20))) if rng.random() < 0.5 else rrset

    def apply(m: Message) -> Message:
        secs = _sections(m)
        secs[dst].append(copy)
        return _with(m, secs)

    return Mutation("duplicate", f"{sec}->{dst}", apply)


def m_reown(msg: Message, pool: Pool, rng: random.Random) -> Mutation | None:
    spot = _pick(msg, rng)
    if spot is None:
        return None
    sec, i = spot
    rrset: RRset = getattr(msg, sec)[i]
    qname = msg.question[0].name if msg.question else rrset.name
    how = rng.choice(("pool", "qname", "child", "parent", "case"))
    if how == "pool":
        owner = rng.choice(pool.names)
    elif how == "qname":
        owner = qname
    elif how == "child":
        owner = rrset.name.child(rng.choice((b"x", b"www", b"*")))
    elif how == "parent" and len(rrset.name):
        owner = rrset.name.parent()
    else:
        how, owner = "case", _case_flipped(rrset.name, rng)

    def apply(m: Message) -> Message:
        secs = _sections(m)
        secs[sec][i] = _renamed(secs[sec][i], owner)
        return _with(m, secs)

    return Mutation("reown", f"{how} {RRType.to_text(rrset.rrtype)} in {sec}", apply)


def m_sigswap(msg: Message, pool: Pool, rng: random.Random) -> Mutation | None:
    spot = _pick(msg, rng)
    if spot is None:
        return None
    sec, i = spot
    here = [r for s in SECTIONS for r in getattr(msg, s) if r.sigs]
    donor = rng.choice(here) if here and rng.random() < 0.5 else rng.choice(pool.rrsets)
    sigs: tuple[RRSIG, ...] = donor.sigs
    if rng.random() < 0.5:
        sigs = (*getattr(msg, sec)[i].sigs, *sigs)  # added to the genuine ones

    def apply(m: Message) -> Message:
        secs = _sections(m)
        secs[sec][i] = secs[sec][i].with_sigs(sigs)
        return _with(m, secs)

    return Mutation("sigswap", f"from {donor.name.to_text()}/{RRType.to_text(donor.rrtype)}", apply)


def _proof_from(pool: Pool, signer: Name | None, rng: random.Random) -> RRset:
    same = [p for p in pool.proofs if signer is not None and p.sigs[0].signer == signer]
    return rng.choice(same if same and rng.random() < 0.8 else pool.proofs)


def m_wildcard(msg: Message, pool: Pool, rng: random.Random) -> Mutation | None:
    """A wildcard RRset (and its RRSIG) expanded onto another name, with a
    proof of the attacker's choice from the wildcard's zone."""
    if not pool.wildcards or not msg.question:
        return None
    q = msg.question[0]
    # An attacker picks a wildcard of the zone the name is in, mostly.
    near = [w for w in pool.wildcards if w.sigs and q.name.is_subdomain(w.sigs[0].signer)]
    source = rng.choice(near if near and rng.random() < 0.8 else pool.wildcards)
    owner = q.name if rng.random() < 0.7 else rng.choice(pool.names)
    signer = source.sigs[0].signer if source.sigs else None
    proofs = [_proof_from(pool, signer, rng) for _ in range(rng.choice((0, 1, 2)))]
    rcode = rng.choice((Rcode.NOERROR, Rcode.NOERROR, Rcode.NXDOMAIN))
    keep = rng.random() < 0.5  # keep the genuine authority section too

    def apply(m: Message) -> Message:
        auth = [*m.authority] if keep else []
        return m.replace(
            rcode=rcode, answer=(_renamed(source, owner),), authority=tuple(auth + proofs)
        )

    return Mutation("wildcard", f"{source.name.to_text()} at {owner.to_text()} rc{rcode}", apply)


def m_proof(msg: Message, pool: Pool, rng: random.Random) -> Mutation | None:
    """NSEC/NSEC3 records from another zone or another name in place of (or
    beside) the genuine ones."""
    how = rng.choice(("replace", "add", "strip"))
    donors = [rng.choice(pool.proofs) for _ in range(rng.choice((1, 2, 3)))]
    denial = (RRType.NSEC, RRType.NSEC3)

    def apply(m: Message) -> Message:
        auth = list(m.authority)
        if how != "add":
            auth = [r for r in auth if r.rrtype not in denial]
        if how != "strip":
            auth += donors
        return m.replace(authority=tuple(auth))

    return Mutation("proof", how, apply)


def m_ttl(msg: Message, pool: Pool, rng: random.Random) -> Mutation | None:
    """TTL stretching: a record (and its RRSIG record) with a larger TTL."""
    spot = _pick(msg, rng)
    if spot is None:
        return None
    sec, i = spot
    ttl = rng.choice((86400, 295215, 1 << 24, 0x7FFFFFFF))

    def apply(m: Message) -> Message:
        secs = _sections(m)
        old = secs[sec][i]
        secs[sec][i] = RRset(old.name, old.rrtype, old.rrclass, ttl, old.rdatas, old.sigs, ttl)
        return _with(m, secs)

    return Mutation("ttl", f"{ttl}", apply)


def _question_is(msg: Message, rrtype: int) -> bool:
    return bool(msg.question) and msg.question[0].rrtype == rrtype


def m_forged_dnskey(msg: Message, pool: Pool, rng: random.Random) -> Mutation | None:
    """Unsigned DNSKEY sets with the tags of the zone's DS (or anchor)."""
    if not _question_is(msg, RRType.DNSKEY):
        return None
    zone = msg.question[0].name
    targets = pool.ds.get(zone) or [DS(rng.getrandbits(16), 8, 2, bytes(32))]
    detail, forged = forged_dnskey_rrset(zone, targets, rng)
    how = rng.choice(("replace", "replace-keep-sigs", "add-to-genuine"))

    def apply(m: Message) -> Message:
        genuine = m.find(m.answer, zone, RRType.DNSKEY)
        if how == "replace" or genuine is None:
            new = forged
        elif how == "replace-keep-sigs":
            new = forged.with_sigs(genuine.sigs)
        else:
            new = RRset(zone, RRType.DNSKEY, RRClass.IN, genuine.ttl, [*genuine.rdatas, *forged])
            new = new.with_sigs(genuine.sigs)
        others = [r for r in m.answer if r is not genuine]
        return m.replace(answer=(new, *others))

    return Mutation("forged-dnskey", f"{how} {detail}", apply)


def m_ds_mix(msg: Message, pool: Pool, rng: random.Random) -> Mutation | None:
    """DS sets with unsupported algorithms or digest types, signed or not."""
    if not _question_is(msg, RRType.DS):
        return None
    zone = msg.question[0].name

    def fake_ds() -> DS:
        alg = rng.choice((*UNSUPPORTED_ALGORITHMS, *SUPPORTED_ALGORITHMS))
        digest_type = rng.choice((*UNSUPPORTED_DIGESTS, *SUPPORTED_DIGESTS))
        size = {1: 20, 2: 32, 4: 48}.get(digest_type, 32)
        return DS(
            rng.getrandbits(16), alg, digest_type, bytes(rng.getrandbits(8) for _ in range(size))
        )

    extra = [fake_ds() for _ in range(rng.choice((1, 2, 3)))]
    how = rng.choice(("add-keep-sigs", "add-unsigned", "replace-unsigned", "only-unsupported"))
    if how == "only-unsupported":
        extra = [
            DS(d.key_tag, rng.choice(UNSUPPORTED_ALGORITHMS), d.digest_type, d.digest)
            for d in extra
        ]

    def apply(m: Message) -> Message:
        genuine = m.find(m.answer, zone, RRType.DS)
        old = list(genuine.rdatas) if genuine is not None else []
        sigs = genuine.sigs if genuine is not None else ()
        ttl = genuine.ttl if genuine is not None else 3600
        if how in ("replace-unsigned", "only-unsupported"):
            new = RRset(zone, RRType.DS, RRClass.IN, ttl, extra)
        else:
            new = RRset(zone, RRType.DS, RRClass.IN, ttl, [*old, *extra])
            if how == "add-keep-sigs":
                new = new.with_sigs(sigs)
        others = [r for r in m.answer if r is not genuine]
        return m.replace(answer=(new, *others))

    return Mutation("ds-mix", how, apply)


#: Attack classes by name.  Each draws one mutation (or None: not applicable).
CLASSES: dict[str, Drawer] = {
    "rcode": m_rcode,
    "flags": m_flags,
    "move": m_move,
    "drop": m_drop,
    "duplicate": m_duplicate,
    "reown": m_reown,
    "sigswap": m_sigswap,
    "wildcard": m_wildcard,
    "proof": m_proof,
    "ttl": m_ttl,
    "forged-dnskey": m_forged_dnskey,
    "ds-mix": m_ds_mix,
}


def draw(
    msg: Message, pool: Pool, rng: random.Random, classes: Iterable[str] = CLASSES
) -> Mutation | None:
    """One mutation of ``msg`` from a class chosen at random among those that apply."""
    names = list(classes)
    rng.shuffle(names)
    for cls in names:
        mutation = CLASSES[cls](msg, pool, rng)
        if mutation is not None:
            return mutation
    return None


# -- servers ---------------------------------------------------------------------------

Rewrite = Callable[[Message, Message], Message | bytes | None]


def honest_rewrite(query: Message, response: Message) -> Message | bytes | None:
    return response


def for_question(
    rules: dict[tuple[str, str], Callable[[Message], Message | bytes | None]],
) -> Rewrite:
    """A rewrite applying ``rules[(name, type)]`` to the responses to those
    questions (names in presentation format, case-insensitive)."""
    table = {(Name.from_text(n), RRType.from_text(t)): fn for (n, t), fn in rules.items()}

    def rewrite(query: Message, response: Message) -> Message | bytes | None:
        q = query.question[0]
        fn = table.get((q.name, q.rrtype))
        return response if fn is None else fn(response)

    return rewrite


def _encode(query: Message, reply: Message | bytes | None, tcp: bool) -> bytes | None:
    if reply is None or isinstance(reply, bytes):
        return reply
    reply = reply.replace(id=query.id)
    payload = query.edns.payload if query.edns is not None else 512
    return reply.to_wire(max_size=None if tcp else payload)


class HostileServer(TestServer):
    """A recursive-looking upstream on 127.0.0.1 (random port, UDP and TCP):
    genuine answers from ``net`` passed through ``rewrite``.  ``rewrite`` can
    be changed while the server runs (to go honest, say)."""

    __test__ = False

    def __init__(self, net: FakeNetwork, rewrite: Rewrite = honest_rewrite, **kw: object) -> None:
        self.net = net
        self.rewrite = rewrite
        super().__init__(self._answer, **kw)  # type: ignore[arg-type]

    def __enter__(self) -> HostileServer:
        super().__enter__()
        return self

    def _answer(self, query: Message, tcp: bool) -> bytes | None:
        q = query.question[0]
        genuine = self.net.honest(q.name, q.rrtype).replace(id=query.id, question=query.question)
        return _encode(query, self.rewrite(query, genuine), tcp)


def _tcp_exchange(query: bytes, upstream: tuple[str, int], timeout: float) -> bytes:
    with socket.create_connection(upstream, timeout=timeout) as conn:
        conn.sendall(struct.pack("!H", len(query)) + query)
        data = b""
        while len(data) < 2 or len(data) < 2 + struct.unpack("!H", data[:2])[0]:
            chunk = conn.recv(65535)
            if not chunk:
                raise OSError(f"{upstream[0]}:{upstream[1]} closed the connection")
            data += chunk
    return data[2 : 2 + struct.unpack("!H", data[:2])[0]]


class HostileProxy(TestServer):
    """A man in the middle on 127.0.0.1 (random port): each query goes to
    ``upstream`` (over TCP, so nothing is truncated on the way), its genuine
    response through ``rewrite``.  For real signer output: put it in front of
    a non-validating resolver of the end-to-end environment."""

    __test__ = False

    def __init__(
        self, upstream: tuple[str, int], rewrite: Rewrite = honest_rewrite, timeout: float = 3.0
    ) -> None:
        self.upstream = upstream
        self.rewrite = rewrite
        self.timeout = timeout
        super().__init__(self._answer)

    def __enter__(self) -> HostileProxy:
        super().__enter__()
        return self

    def _answer(self, query: Message, tcp: bool) -> bytes | None:
        try:
            wire = _tcp_exchange(query.to_wire(), self.upstream, self.timeout)
        except OSError:
            return None
        return _encode(query, self.rewrite(query, Message.from_wire(wire)), tcp)


def auth_answer(zone: Zone, h: Hierarchy, query: Message) -> Message:
    """An authoritative answer from ``zone`` (referrals carry their glue)."""
    q = query.question[0]
    rcode, answer, authority, _chase = zone_answer(zone, q.name, q.rrtype)
    resp = query.make_response()
    additional: list[RRset] = []
    referral = not answer and any(r.rrtype == RRType.NS and r.name != zone.apex for r in authority)
    if referral:
        for ns in (r for r in authority if r.rrtype == RRType.NS):
            for rd in ns.rdatas:
                target = getattr(rd, "target", None)
                glue = zone.data.get((target, RRType.A)) if target is not None else None
                if glue is not None:
                    additional.append(glue)
    flags = resp.flags if referral else resp.flags | FLAG_AA
    return resp.replace(
        flags=flags, rcode=rcode, answer=answer, authority=authority, additional=additional
    )


class AuthServer(TestServer):
    """An authoritative server for one zone on ``host`` port ``port`` (53 by
    default: glue records carry no port), answers through ``rewrite``."""

    __test__ = False

    def __init__(
        self,
        h: Hierarchy,
        zone: Zone,
        host: str,
        port: int = 53,
        rewrite: Rewrite = honest_rewrite,
    ) -> None:
        self.h = h
        self.zone = zone
        self.rewrite = rewrite
        super().__init__(self._answer, host=host)
        self.udp.close()
        self.tcp.close()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((host, port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((host, port))
        self.tcp.listen(16)
        self.server = Server(host, port)

    def __enter__(self) -> AuthServer:
        super().__enter__()
        return self

    def _answer(self, query: Message, tcp: bool) -> bytes | None:
        return _encode(query, self.rewrite(query, auth_answer(self.zone, self.h, query)), tcp)


def readdress(h: Hierarchy, addresses: dict[str, str]) -> None:
    """Point the name servers' glue (``ns1.<zone>``) at loopback addresses
    (before signing): ``{"ns1.example.test.": "127.71.0.3"}``."""
    for ns_text, ip in addresses.items():
        ns = Name.from_text(ns_text)
        for zone in h.zones.values():
            if (ns, RRType.A) in zone.data:
                zone.remove_data(ns, RRType.A)
                zone.add(f"{ns_text} {zone.ttl} IN A {ip}")


__all__ = [
    "CLASSES",
    "KEY_LENGTHS",
    "RSA_ALGORITHMS",
    "RSA_BITS",
    "SUPPORTED_ALGORITHMS",
    "SUPPORTED_DIGESTS",
    "UNSUPPORTED_ALGORITHMS",
    "UNSUPPORTED_DIGESTS",
    "AuthServer",
    "HostileProxy",
    "HostileServer",
    "Mutation",
    "Pool",
    "auth_answer",
    "draw",
    "for_question",
    "forged_dnskey",
    "forged_dnskey_rrset",
    "pointer_chain",
    "readdress",
    "with_key_tag",
]
