"""IterativeEngine against a fake transport made of canned zones."""

from __future__ import annotations

from dnssec_lite.dnssec.chain import FetchFailed, KeyCache
from dnssec_lite.dnssec.status import Answer, Reason, Status
from dnssec_lite.errors import QueryTimeout
from dnssec_lite.resolve.iterative import IterativeEngine, Server, validate_with_restarts
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import ROOT, Name
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import FLAG_AA, FLAG_QR, FLAG_TC, Rcode, RRType
from dnssec_lite.wire.zonefile import parse_rrsets

ROOT_IP = "198.41.0.4"


def n(text: str) -> Name:
    return Name.from_text(text)


class Zone:
    """A tiny authoritative server for one or more zones (no wildcards)."""

    def __init__(self, origin: str, text: str) -> None:
        self.origin = n(origin)
        self.rrsets = parse_rrsets(text, origin)

    def answer(self, query: Message) -> Message:
        q = query.question[0]
        resp = Message(id=query.id, flags=FLAG_QR, question=query.question, edns=query.edns)
        # Delegations below the origin (DS is answered by the parent).
        cuts = [
            r
            for r in self.rrsets
            if r.rrtype == RRType.NS and r.name != self.origin and q.name.is_subdomain(r.name)
        ]
        if cuts and not (q.rrtype == RRType.DS and q.name == cuts[0].name):
            cut = cuts[0]
            glue = [
                r
                for r in self.rrsets
                if r.rrtype in (RRType.A, RRType.AAAA)
                and any(r.name == rd.target for rd in cut.rdatas)  # type: ignore[attr-defined]
            ]
            ds = [r for r in self.rrsets if r.rrtype == RRType.DS and r.name == cut.name]
            return resp.replace(authority=[cut, *ds], additional=glue)
        here = [r for r in self.rrsets if r.name == q.name]
        soa = [r for r in self.rrsets if r.rrtype == RRType.SOA]
        match = [r for r in here if r.rrtype == q.rrtype]
        if match:
            return resp.replace(flags=FLAG_QR | FLAG_AA, answer=match)
        cname = [r for r in here if r.rrtype == RRType.CNAME]
        if cname:
            return resp.replace(flags=FLAG_QR | FLAG_AA, answer=cname)
        exists = any(r.name.is_subdomain(q.name) for r in self.rrsets)
        return resp.replace(
            flags=FLAG_QR | FLAG_AA,
            rcode=Rcode.NOERROR if exists else Rcode.NXDOMAIN,
            authority=soa,
        )


class FakeTransport:
    def __init__(self, servers: dict[str, Zone]) -> None:
        self.servers = servers
        self.log: list[tuple[str, str, int, bool]] = []
        self.truncate: set[str] = set()
        self.lame: dict[str, Message | None] = {}

    def query(self, server: Server, message: Message, *, tcp: bool = False) -> Message:
        q = message.question[0]
        self.log.append((server[0], q.name.to_text(), q.rrtype, tcp))
        if server[0] in self.lame:
            canned = self.lame[server[0]]
            if canned is None:
                raise QueryTimeout(server[0], "no answer")
            return canned.replace(id=message.id, question=message.question)
        zone = self.servers.get(server[0])
        if zone is None:
            raise QueryTimeout(server[0], "no answer")
        resp = zone.answer(message)
        if server[0] in self.truncate and not tcp:
            return Message(id=message.id, flags=FLAG_QR | FLAG_TC, question=message.question)
        return resp


ROOT_ZONE = """
. 86400 IN SOA a.root. nstld. 1 2 3 4 5
. IN NS a.root.
a.root. IN A 198.41.0.4
com. IN NS a.gtld.com.
com. IN NS b.gtld.com.
a.gtld.com. IN A 192.0.2.1
b.gtld.com. IN A 192.0.2.2
net. IN NS ns.net.
ns.net. IN A 192.0.2.9
com. IN DS 12345 8 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
"""

COM_ZONE = """
com. IN SOA a.gtld.com. h. 1 2 3 4 5
com. IN NS a.gtld.com.
example.com. IN NS ns1.example.com.
ns1.example.com. IN A 192.0.2.10
glueless.com. IN NS ns.hoster.net.
example.com. IN DS 2854 8 2 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
"""

NET_ZONE = """
net. IN SOA ns.net. h. 1 2 3 4 5
net. IN NS ns.net.
hoster.net. IN NS ns.hoster.net.
ns.hoster.net. IN A 192.0.2.20
other.net. IN NS ns.other.net.
ns.other.net. IN A 192.0.2.30
"""

EXAMPLE_ZONE = """
example.com. IN SOA ns1.example.com. h. 1 2 3 4 5
example.com. IN NS ns1.example.com.
ns1.example.com. IN A 192.0.2.10
www.example.com. IN A 10.0.0.1
alias.example.com. IN CNAME www.other.net.
inzone.example.com. IN CNAME www.example.com.
"""

HOSTER_ZONE = """
hoster.net. IN SOA ns.hoster.net. h. 1 2 3 4 5
hoster.net. IN NS ns.hoster.net.
ns.hoster.net. IN A 192.0.2.20
"""

GLUELESS_ZONE = """
glueless.com. IN SOA ns.hoster.net. h. 1 2 3 4 5
glueless.com. IN NS ns.hoster.net.
www.glueless.com. IN A 10.0.0.2
"""

OTHER_ZONE = """
other.net. IN SOA ns.other.net. h. 1 2 3 4 5
other.net. IN NS ns.other.net.
www.other.net. IN A 10.0.0.3
"""


class MultiZone:
    def __init__(self, *zones: Zone) -> None:
        self.zones = zones

    def answer(self, query: Message) -> Message:
        q = query.question[0]
        best = max(
            (z for z in self.zones if q.name.is_subdomain(z.origin)),
            key=lambda z: len(z.origin),
        )
        return best.answer(query)


def make_world() -> FakeTransport:
    servers: dict[str, Zone] = {
        ROOT_IP: Zone(".", ROOT_ZONE),
        "192.0.2.1": Zone("com.", COM_ZONE),
        "192.0.2.2": Zone("com.", COM_ZONE),
        "192.0.2.9": Zone("net.", NET_ZONE),
        "192.0.2.10": Zone("example.com.", EXAMPLE_ZONE),
        "192.0.2.30": Zone("other.net.", OTHER_ZONE),
    }
    transport = FakeTransport(servers)
    transport.servers["192.0.2.20"] = MultiZone(  # type: ignore[assignment]
        Zone("hoster.net.", HOSTER_ZONE), Zone("glueless.com.", GLUELESS_ZONE)
    )
    return transport


def answer_of(result: Message | FetchFailed, rrtype: int) -> RRset:
    assert isinstance(result, Message), result
    found = [r for r in result.answer if r.rrtype == rrtype]
    assert found, result.to_text()
    return found[0]


def test_referrals_with_glue() -> None:
    transport = make_world()
    engine = IterativeEngine(transport, [ROOT_IP])
    result = engine.lookup(n("www.example.com."), RRType.A)
    rrset = answer_of(result, RRType.A)
    assert rrset.rdatas[0].to_text() == "10.0.0.1"
    assert isinstance(result, Message)
    assert result.cd and result.ra and result.dnssec_ok
    assert result.question[0].name == n("www.example.com.")
    assert n("example.com.") in engine.zone_cuts()
    assert engine.servers_for(n("example.com.")) == [("192.0.2.10", 53)]
    # The delegation cache sends the next query straight to the zone.
    transport.log.clear()
    engine.lookup(n("ns1.example.com."), RRType.A)
    assert [entry[0] for entry in transport.log] == ["192.0.2.10"]


def test_glueless_delegation() -> None:
    transport = make_world()
    engine = IterativeEngine(transport, [ROOT_IP])
    rrset = answer_of(engine.lookup(n("www.glueless.com."), RRType.A), RRType.A)
    assert rrset.rdatas[0].to_text() == "10.0.0.2"
    asked = {(entry[1], entry[2]) for entry in transport.log}
    assert ("ns.hoster.net.", RRType.A) in asked


def test_glueless_loop_fails_cleanly() -> None:
    transport = make_world()
    transport.servers["192.0.2.1"] = Zone("com.", COM_ZONE + "loop.com. IN NS ns.loop.com.\n")
    engine = IterativeEngine(transport, [ROOT_IP])
    result = engine.lookup(n("www.loop.com."), RRType.A)
    assert isinstance(result, FetchFailed)
    assert len(transport.log) < 40


def test_lame_and_unreachable_servers_are_skipped() -> None:
    transport = make_world()
    # a.gtld answers with an upward referral (lame); the root's first address is dead.
    transport.lame["192.0.2.1"] = Message(
        flags=FLAG_QR, authority=parse_rrsets(". IN NS a.root.\n")
    )
    engine = IterativeEngine(transport, ["203.0.113.99", ROOT_IP])
    rrset = answer_of(engine.lookup(n("www.example.com."), RRType.A), RRType.A)
    assert rrset.rdatas[0].to_text() == "10.0.0.1"
    servers = [entry[0] for entry in transport.log]
    assert "192.0.2.1" in servers and "192.0.2.2" in servers


def test_servfail_everywhere_is_a_fetch_failure() -> None:
    transport = make_world()
    transport.lame["192.0.2.10"] = Message(flags=FLAG_QR, rcode=Rcode.SERVFAIL)
    engine = IterativeEngine(transport, [ROOT_IP])
    result = engine.lookup(n("www.example.com."), RRType.A)
    assert isinstance(result, FetchFailed)
    assert "example.com" in result.reason


def test_tcp_fallback_on_truncation() -> None:
    transport = make_world()
    transport.truncate.add("192.0.2.10")
    engine = IterativeEngine(transport, [ROOT_IP])
    rrset = answer_of(engine.lookup(n("www.example.com."), RRType.A), RRType.A)
    assert rrset.rdatas[0].to_text() == "10.0.0.1"
    assert ("192.0.2.10", "www.example.com.", RRType.A, True) in transport.log


def test_cname_across_zones() -> None:
    transport = make_world()
    engine = IterativeEngine(transport, [ROOT_IP])
    result = engine.lookup(n("alias.example.com."), RRType.A)
    assert isinstance(result, Message)
    types = [(r.name.to_text(), r.rrtype) for r in result.answer]
    assert types == [("alias.example.com.", RRType.CNAME), ("www.other.net.", RRType.A)]
    assert result.question[0].name == n("alias.example.com.")
    assert result.rcode == Rcode.NOERROR


def test_cname_to_nxdomain_keeps_final_authority() -> None:
    transport = make_world()
    transport.servers["192.0.2.10"] = Zone(
        "example.com.", EXAMPLE_ZONE + "dangling.example.com. IN CNAME nope.other.net.\n"
    )
    engine = IterativeEngine(transport, [ROOT_IP])
    result = engine.lookup(n("dangling.example.com."), RRType.A)
    assert isinstance(result, Message)
    assert result.rcode == Rcode.NXDOMAIN
    assert [r.rrtype for r in result.answer] == [RRType.CNAME]
    assert [r.name for r in result.authority if r.rrtype == RRType.SOA] == [n("other.net.")]


def test_in_zone_cname_is_followed() -> None:
    transport = make_world()
    engine = IterativeEngine(transport, [ROOT_IP])
    result = engine.lookup(n("inzone.example.com."), RRType.A)
    assert isinstance(result, Message)
    assert [r.rrtype for r in result.answer] == [RRType.CNAME, RRType.A]


def test_cname_loop_stops() -> None:
    transport = make_world()
    transport.servers["192.0.2.10"] = Zone(
        "example.com.",
        EXAMPLE_ZONE + "l1.example.com. IN CNAME l2.example.com.\n"
        "l2.example.com. IN CNAME l1.example.com.\n",
    )
    engine = IterativeEngine(transport, [ROOT_IP])
    result = engine.lookup(n("l1.example.com."), RRType.A)
    assert isinstance(result, Message)
    assert [r.name.to_text() for r in result.answer] == ["l1.example.com.", "l2.example.com."]


def test_dname_is_followed() -> None:
    transport = make_world()
    transport.servers["192.0.2.10"] = Zone(
        "example.com.", EXAMPLE_ZONE + "d.example.com. IN DNAME other.net.\n"
    )
    original = transport.servers["192.0.2.10"].answer

    def answer(query: Message) -> Message:
        q = query.question[0]
        if q.name.is_strict_subdomain(n("d.example.com.")):
            dname = parse_rrsets("d.example.com. IN DNAME other.net.\n")
            return Message(
                id=query.id, flags=FLAG_QR | FLAG_AA, question=query.question, answer=dname
            )
        return original(query)

    transport.servers["192.0.2.10"].answer = answer  # type: ignore[method-assign]
    engine = IterativeEngine(transport, [ROOT_IP])
    result = engine.lookup(n("www.d.example.com."), RRType.A)
    assert isinstance(result, Message)
    assert [r.rrtype for r in result.answer] == [RRType.DNAME, RRType.CNAME, RRType.A]
    assert result.answer[2].name == n("www.other.net.")


def test_ds_is_asked_at_the_parent() -> None:
    transport = make_world()
    engine = IterativeEngine(transport, [ROOT_IP])
    # Not known yet: the query must go to com.'s servers, never example.com.'s.
    engine2 = IterativeEngine(transport, [ROOT_IP])
    result = engine2.lookup(n("example.com."), RRType.DS)
    ds = answer_of(result, RRType.DS)
    assert ds.name == n("example.com.")
    assert all(entry[0] != "192.0.2.10" for entry in transport.log if entry[2] == RRType.DS)
    # After a referral the DS comes from the referral cache.
    engine.lookup(n("www.example.com."), RRType.A)
    assert engine.referral_ds(n("example.com.")) is not None
    transport.log.clear()
    answer_of(engine.lookup(n("example.com."), RRType.DS), RRType.DS)
    assert transport.log == []


def test_unsigned_delegation_ds_denial_from_referral() -> None:
    transport = make_world()
    engine = IterativeEngine(transport, [ROOT_IP])
    engine.lookup(n("www.other.net."), RRType.A)
    result = engine.lookup(n("other.net."), RRType.DS)
    assert isinstance(result, Message)
    assert result.answer == ()
    assert result.rcode == Rcode.NOERROR


def test_query_limit() -> None:
    transport = make_world()
    engine = IterativeEngine(transport, [ROOT_IP], max_queries=2, prime=False)
    result = engine.lookup(n("www.glueless.com."), RRType.A)
    assert isinstance(result, FetchFailed)
    assert "limit" in result.reason


# -- server exclusion and validation restarts ----------------------------------

TWO_SERVER_COM = """
com. IN SOA a.gtld.com. h. 1 2 3 4 5
com. IN NS a.gtld.com.
example.com. IN NS ns1.example.com.
example.com. IN NS ns2.example.com.
ns1.example.com. IN A 192.0.2.10
ns2.example.com. IN A 192.0.2.11
"""

BAD_EXAMPLE_ZONE = EXAMPLE_ZONE.replace("10.0.0.1", "10.6.6.6")


def two_server_world() -> FakeTransport:
    transport = make_world()
    transport.servers["192.0.2.1"] = Zone("com.", TWO_SERVER_COM)
    transport.servers["192.0.2.2"] = Zone("com.", TWO_SERVER_COM)
    transport.servers["192.0.2.10"] = Zone("example.com.", BAD_EXAMPLE_ZONE)
    transport.servers["192.0.2.11"] = Zone("example.com.", EXAMPLE_ZONE)
    return transport


def test_sources_name_the_server_of_each_link() -> None:
    engine = IterativeEngine(make_world(), [ROOT_IP])
    engine.lookup(n("alias.example.com."), RRType.A)
    assert engine.take_sources() == [
        (n("example.com."), ("192.0.2.10", 53)),
        (n("other.net."), ("192.0.2.30", 53)),
    ]
    assert engine.take_sources() == []
    # A DS answered from the referral names the server that gave the referral.
    engine.lookup(n("example.com."), RRType.DS)
    assert engine.take_sources() == [(n("com."), ("192.0.2.1", 53))]


def test_excluded_server_is_not_asked_for_that_zone() -> None:
    transport = two_server_world()
    engine = IterativeEngine(transport, [ROOT_IP])
    assert answer_of(engine.lookup(n("www.example.com."), RRType.A), RRType.A).rdatas[
        0
    ].to_text() == ("10.6.6.6")
    engine.exclude(n("example.com."), ("192.0.2.10", 53))
    transport.log.clear()
    rrset = answer_of(engine.lookup(n("www.example.com."), RRType.A), RRType.A)
    assert rrset.rdatas[0].to_text() == "10.0.0.1"
    assert "192.0.2.10" not in [entry[0] for entry in transport.log]
    engine.clear_exclusions()
    assert engine.excluded == frozenset()


def test_all_servers_excluded_is_a_failure() -> None:
    engine = IterativeEngine(make_world(), [ROOT_IP])
    engine.lookup(n("www.example.com."), RRType.A)
    engine.exclude(n("example.com."), ("192.0.2.10", 53))
    assert isinstance(engine.lookup(n("www.example.com."), RRType.A), FetchFailed)


def test_referral_ds_from_an_excluded_server_is_not_reused() -> None:
    transport = make_world()
    engine = IterativeEngine(transport, [ROOT_IP])
    engine.lookup(n("www.example.com."), RRType.A)
    engine.exclude(n("com."), ("192.0.2.1", 53))
    transport.log.clear()
    result = engine.lookup(n("example.com."), RRType.DS)
    answer_of(result, RRType.DS)
    assert transport.log[0][:2] == ("192.0.2.2", "example.com.")
    assert "192.0.2.1" not in [entry[0] for entry in transport.log]


class _FakeJob:
    def __init__(self, answer: Answer) -> None:
        self.answer = answer


class _FakeValidator:
    """Calls an answer holding 10.6.6.6 bogus, anything else secure."""

    def __init__(self) -> None:
        self.key_cache = KeyCache()
        self.started: list[Question] = []  # shared with copies

    def start(self, question: Question, response: Message | FetchFailed, now: int) -> _FakeJob:
        self.started.append(question)
        if isinstance(response, FetchFailed):
            reason = Reason(23, response.reason)
            return _FakeJob(Answer(question, Rcode.SERVFAIL, Status.BOGUS, reason=reason))
        rrset = response.answer[0]
        if rrset.rdatas[0].to_text() == "10.6.6.6":
            reason = Reason(6, "bad", rrset.name, rrset.rrtype)
            return _FakeJob(Answer(question, Rcode.SERVFAIL, Status.BOGUS, reason=reason))
        return _FakeJob(Answer(question, Rcode.NOERROR, Status.SECURE, (rrset,)))


def test_bogus_answer_restarts_without_the_server() -> None:
    engine = IterativeEngine(two_server_world(), [ROOT_IP])
    validator = _FakeValidator()
    question = Question(n("www.example.com."), RRType.A)
    answer = validate_with_restarts(validator, question, 0, engine)  # type: ignore[arg-type]
    assert answer.status is Status.SECURE
    assert answer.rrsets[0].rdatas[0].to_text() == "10.0.0.1"
    assert engine.excluded == frozenset()  # exclusions last one question


def test_restarts_stop_when_no_other_server_is_left() -> None:
    transport = make_world()
    transport.servers["192.0.2.10"] = Zone("example.com.", BAD_EXAMPLE_ZONE)
    engine = IterativeEngine(transport, [ROOT_IP])
    validator = _FakeValidator()
    question = Question(n("www.example.com."), RRType.A)
    answer = validate_with_restarts(validator, question, 0, engine)  # type: ignore[arg-type]
    assert answer.status is Status.BOGUS
    assert answer.reason is not None and answer.reason.text == "bad"  # the first verdict
    assert len(validator.started) == 2  # one retry, then nobody is left to blame


def test_cached_delegation_is_the_zone_side_ns_rrset() -> None:
    engine = IterativeEngine(make_world(), [ROOT_IP])
    assert engine.cached_delegation(n("www.example.com.")) is None
    engine.lookup(n("example.com."), RRType.NS)
    found = engine.cached_delegation(n("bla.example.com."))
    assert found is not None and found.name == n("example.com.")
    assert engine.cached_delegation(n("www.other.net.")) is None


# -- DNSSEC-lame referrals (a server that strips DNSSEC) ------------------------

SIG = "20300101000000 20200101000000 12345 {signer} AAAA"

SIGNED_ROOT = (
    ROOT_ZONE
    + "com. IN RRSIG DS 8 1 86400 "
    + SIG.format(signer=".")
    + "\n"
    + "net. IN NSEC org. NS RRSIG NSEC\n"
    + "net. IN RRSIG NSEC 8 1 86400 "
    + SIG.format(signer=".")
    + "\n"
)

SIGNED_COM = COM_ZONE + "example.com. IN RRSIG DS 8 2 86400 " + SIG.format(signer="com.") + "\n"


class ReferralZone(Zone):
    """A :class:`Zone` whose referrals also carry the NSEC records of the cut
    (an unsigned delegation's proof); ``drop`` types are left out of every
    response (a server that strips DNSSEC)."""

    def __init__(self, origin: str, text: str, drop: tuple[int, ...] = ()) -> None:
        super().__init__(origin, text)
        self.drop = drop

    def answer(self, query: Message) -> Message:
        resp = super().answer(query)
        if resp.authority and any(r.rrtype == RRType.NS for r in resp.authority):
            cut = next(r for r in resp.authority if r.rrtype == RRType.NS).name
            nsec = [r for r in self.rrsets if r.rrtype == RRType.NSEC and r.name == cut]
            resp = resp.replace(authority=[*resp.authority, *nsec])

        def keep(rrsets: tuple[RRset, ...]) -> list[RRset]:
            out = [r for r in rrsets if r.rrtype not in self.drop]
            if RRType.RRSIG in self.drop:
                out = [r.without_sigs() for r in out]
            return out

        return resp.replace(answer=keep(resp.answer), authority=keep(resp.authority))


def stripping_world(*drop: int, signed_root: bool = True) -> FakeTransport:
    """Two servers for com.: a.gtld (192.0.2.1) strips ``drop``, b.gtld is
    fine.  ``signed_root``: the root's DS for com. has an RRSIG."""
    transport = make_world()
    transport.servers[ROOT_IP] = ReferralZone(".", SIGNED_ROOT if signed_root else ROOT_ZONE)
    transport.servers["192.0.2.1"] = ReferralZone("com.", SIGNED_COM, drop)
    transport.servers["192.0.2.2"] = ReferralZone("com.", SIGNED_COM)
    return transport


def asked(transport: FakeTransport, name: str) -> list[str]:
    return [entry[0] for entry in transport.log if entry[1] == name]


def test_referral_with_unsigned_ds_from_signed_zone_is_dnssec_lame() -> None:
    transport = stripping_world(RRType.RRSIG)
    engine = IterativeEngine(transport, [ROOT_IP], signed_zones=[ROOT], prime=False)
    rrset = answer_of(engine.lookup(n("www.example.com."), RRType.A), RRType.A)
    assert rrset.rdatas[0].to_text() == "10.0.0.1"
    # com. is known signed (its DS came signed from the trust-anchor root):
    # a.gtld's referral with an unsigned DS is passed over for b.gtld's.
    assert asked(transport, "www.example.com.") == [
        ROOT_IP,
        "192.0.2.1",
        "192.0.2.2",
        "192.0.2.10",
    ]
    ds = engine.referral_ds(n("example.com."))
    assert ds is not None and ds.sigs
    judged = {entry for entry in engine.dnssec_lame if entry[0] == n("com.")}
    assert judged == {(n("com."), ("192.0.2.1", 53))}
    # The DS is answered from the signed referral, naming b.gtld.
    engine.take_sources()
    assert answer_of(engine.lookup(n("example.com."), RRType.DS), RRType.DS).sigs
    assert engine.take_sources() == [(n("com."), ("192.0.2.2", 53))]


def test_referral_without_ds_or_denial_from_signed_zone_is_dnssec_lame() -> None:
    transport = stripping_world(RRType.RRSIG, RRType.DS, RRType.NSEC, RRType.NSEC3)
    engine = IterativeEngine(transport, [ROOT_IP], signed_zones=[ROOT], prime=False)
    answer_of(engine.lookup(n("www.example.com."), RRType.A), RRType.A)
    assert asked(transport, "www.example.com.") == [
        ROOT_IP,
        "192.0.2.1",
        "192.0.2.2",
        "192.0.2.10",
    ]
    ds = engine.referral_ds(n("example.com."))
    assert ds is not None and ds.sigs


def test_referral_with_signed_denial_is_not_dnssec_lame() -> None:
    """An unsigned delegation from a signed zone: no DS, a signed NSEC."""
    transport = stripping_world()
    engine = IterativeEngine(transport, [ROOT_IP], signed_zones=[ROOT], prime=False)
    answer_of(engine.lookup(n("www.other.net."), RRType.A), RRType.A)
    assert engine.dnssec_lame == frozenset()
    assert asked(transport, "www.other.net.") == [ROOT_IP, "192.0.2.9", "192.0.2.30"]


def test_unsigned_referral_from_a_zone_not_known_signed_is_used() -> None:
    # No trust anchor and an unsigned DS for com.: nothing says com. is signed.
    transport = stripping_world(RRType.RRSIG, signed_root=False)
    engine = IterativeEngine(transport, [ROOT_IP], prime=False)
    answer_of(engine.lookup(n("www.example.com."), RRType.A), RRType.A)
    assert asked(transport, "www.example.com.") == [ROOT_IP, "192.0.2.1", "192.0.2.10"]
    # (example.com.'s unsigned answer is DNSSEC-lame: it has a DS, as before.)
    assert n("com.") not in {zone for zone, _ in engine.dnssec_lame}


def test_every_server_dnssec_lame_uses_the_first_referral() -> None:
    transport = stripping_world(RRType.RRSIG)
    transport.servers["192.0.2.2"] = transport.servers["192.0.2.1"]
    engine = IterativeEngine(transport, [ROOT_IP], signed_zones=[ROOT], prime=False)
    rrset = answer_of(engine.lookup(n("www.example.com."), RRType.A), RRType.A)
    assert rrset.rdatas[0].to_text() == "10.0.0.1"
    ds = engine.referral_ds(n("example.com."))
    assert ds is not None and not ds.sigs  # what there is: the validator says why
    engine.take_sources()
    engine.lookup(n("example.com."), RRType.DS)
    assert engine.take_sources() == [(n("com."), ("192.0.2.1", 53))]


def test_dnssec_lame_referral_does_not_replace_a_signed_one() -> None:
    transport = stripping_world(RRType.RRSIG)
    engine = IterativeEngine(transport, [ROOT_IP], signed_zones=[ROOT], prime=False)
    answer_of(engine.lookup(n("www.example.com."), RRType.A), RRType.A)
    # b.gtld goes away; a later referral only comes from the stripping server.
    transport.servers.pop("192.0.2.2")
    engine._cuts.pop(n("example.com."))  # forget the cut: ask com. again
    answer_of(engine.lookup(n("ns1.example.com."), RRType.A), RRType.A)
    ds = engine.referral_ds(n("example.com."))
    assert ds is not None and ds.sigs


class _DsValidator(_FakeValidator):
    """Calls a DS answer without any DS bogus (the DS was stripped), the rest
    secure; asks for the DS of example.com. first."""

    def start(self, question: Question, response: Message | FetchFailed, now: int) -> _FakeJob:
        self.started.append(question)
        ds = n("example.com.")
        assert isinstance(response, Message)
        if question.rrtype == RRType.DS and not response.answer:
            reason = Reason(10, "no DS and no proof", ds, RRType.DS)
            return _FakeJob(Answer(question, Rcode.SERVFAIL, Status.BOGUS, reason=reason))
        return _FakeJob(Answer(question, Rcode.NOERROR, Status.SECURE, tuple(response.answer)))


def test_restart_excludes_the_server_of_a_referral_without_ds() -> None:
    """The missing DS names no record, only the question: the server whose
    referral the DS answer came from is left out and the DS asked again."""
    transport = stripping_world(
        RRType.RRSIG, RRType.DS, RRType.NSEC, RRType.NSEC3, signed_root=False
    )
    # Nothing known signed: the stripped referral is not caught as DNSSEC-lame.
    engine = IterativeEngine(transport, [ROOT_IP], prime=False)
    engine.lookup(n("www.example.com."), RRType.A)
    assert engine.referral_ds(n("example.com.")) is None
    validator = _DsValidator()
    question = Question(n("example.com."), RRType.DS)
    answer = validate_with_restarts(validator, question, 0, engine)  # type: ignore[arg-type]
    assert answer.status is Status.SECURE
    assert answer.rrsets and answer.rrsets[0].rrtype == RRType.DS
    assert len(validator.started) == 2
    assert asked(transport, "example.com.")[-1] == "192.0.2.2"


def test_cname_under_nxdomain_rcode_is_followed() -> None:
    # A server that sets NXDOMAIN from the end of a chain it cannot see the
    # end of (RFC 6604): the CNAME is still followed; the final link's
    # response gives the rcode, and its servers are learnt on the way.
    transport = make_world()
    example = transport.servers["192.0.2.10"]
    original = example.answer

    def answer(query: Message) -> Message:
        resp = original(query)
        if query.question[0].name == n("alias.example.com."):
            return resp.replace(rcode=Rcode.NXDOMAIN)
        return resp

    example.answer = answer  # type: ignore[method-assign]
    engine = IterativeEngine(transport, [ROOT_IP])
    result = engine.lookup(n("alias.example.com."), RRType.A)
    assert isinstance(result, Message)
    types = [(r.name.to_text(), r.rrtype) for r in result.answer]
    assert types == [("alias.example.com.", RRType.CNAME), ("www.other.net.", RRType.A)]
    assert result.rcode == Rcode.NOERROR
    assert n("other.net.") in engine.zone_cuts()


def test_out_of_bailiwick_chain_target_is_asked_of_its_own_zone() -> None:
    # example.com's server adds data for the CNAME target in other.net.: it
    # has no authority there, so the target is resolved from its own zone.
    transport = make_world()
    example = transport.servers["192.0.2.10"]
    original = example.answer
    poison = parse_rrsets("www.other.net. 3600 IN A 6.6.6.6\n")

    def answer(query: Message) -> Message:
        resp = original(query)
        if query.question[0].name == n("alias.example.com."):
            return resp.replace(answer=[*resp.answer, *poison])
        return resp

    example.answer = answer  # type: ignore[method-assign]
    engine = IterativeEngine(transport, [ROOT_IP])
    result = engine.lookup(n("alias.example.com."), RRType.A)
    rrset = answer_of(result, RRType.A)
    assert rrset.rdatas[0].to_text() == "10.0.0.3"
    assert ("192.0.2.30", "www.other.net.", RRType.A, False) in transport.log


def test_denial_records_of_an_earlier_link_are_kept() -> None:
    # The NSEC/NSEC3 records beside a CNAME (here: a proof that the target's
    # zone is an unsigned delegation) go into the final answer's authority
    # section with the final response's own, as Unbound prepends them.
    transport = make_world()
    example = transport.servers["192.0.2.10"]
    original = example.answer
    proof = parse_rrsets(
        "other.example.com. 3600 IN NSEC z.example.com. NS RRSIG NSEC\n"
        "other.example.com. 3600 IN RRSIG NSEC 13 3 3600 20300101000000 "
        "20200101000000 1 example.com. AAAA\n"
    )

    def answer(query: Message) -> Message:
        resp = original(query)
        if query.question[0].name == n("alias.example.com."):
            return resp.replace(authority=proof)
        return resp

    example.answer = answer  # type: ignore[method-assign]
    engine = IterativeEngine(transport, [ROOT_IP])
    result = engine.lookup(n("alias.example.com."), RRType.A)
    assert isinstance(result, Message)
    assert [r.rrtype for r in result.answer] == [RRType.CNAME, RRType.A]
    assert [(r.name.to_text(), r.rrtype) for r in result.authority] == [
        ("other.example.com.", RRType.NSEC)
    ]


# -- QNAME minimisation (RFC 9156) ---------------------------------------------


def asked_of(
    transport: FakeTransport, server: str, about: str | None = None
) -> list[tuple[str, int]]:
    """Questions sent to ``server`` (only names at or above ``about``)."""
    return [
        (name, rrtype)
        for ip, name, rrtype, _ in transport.log
        if ip == server and (about is None or n(about).is_subdomain(n(name)))
    ]


def test_qname_minimisation_is_off_by_default() -> None:
    transport = make_world()
    IterativeEngine(transport, [ROOT_IP], prime=False).lookup(n("www.example.com."), RRType.A)
    assert asked_of(transport, ROOT_IP) == [("www.example.com.", RRType.A)]


def test_qname_minimisation_asks_one_label_more_of_each_zone() -> None:
    transport = make_world()
    engine = IterativeEngine(transport, [ROOT_IP], prime=False, qname_minimisation=True)
    result = engine.lookup(n("www.example.com."), RRType.A)
    assert answer_of(result, RRType.A).name == n("www.example.com.")
    assert asked_of(transport, ROOT_IP) == [("com.", RRType.A)]
    assert asked_of(transport, "192.0.2.1") == [("example.com.", RRType.A)]
    assert asked_of(transport, "192.0.2.10", "www.example.com.") == [("www.example.com.", RRType.A)]


def test_qname_minimisation_walks_through_an_empty_non_terminal() -> None:
    transport = make_world()
    transport.servers["192.0.2.10"] = Zone(
        "example.com.", EXAMPLE_ZONE + "x.y.example.com. IN A 10.0.0.9\n"
    )
    engine = IterativeEngine(transport, [ROOT_IP], prime=False, qname_minimisation=True)
    result = engine.lookup(n("x.y.example.com."), RRType.A)
    assert answer_of(result, RRType.A).name == n("x.y.example.com.")
    assert asked_of(transport, "192.0.2.10", "x.y.example.com.") == [
        ("y.example.com.", RRType.A),
        ("x.y.example.com.", RRType.A),
    ]


def test_qname_minimisation_nxdomain_above_the_name_ends_the_lookup() -> None:
    transport = make_world()
    engine = IterativeEngine(transport, [ROOT_IP], prime=False, qname_minimisation=True)
    result = engine.lookup(n("a.nope.example.com."), RRType.A)
    assert isinstance(result, Message)
    assert result.rcode == Rcode.NXDOMAIN
    assert result.question[0] == Question(n("a.nope.example.com."), RRType.A)
    assert asked_of(transport, "192.0.2.10") == [("nope.example.com.", RRType.A)]


def test_qname_minimisation_relaxed_falls_back_to_the_full_name() -> None:
    transport = make_world()
    transport.servers["192.0.2.10"] = Zone(
        "example.com.", EXAMPLE_ZONE + "x.y.example.com. IN A 10.0.0.9\n"
    )
    plain = transport.query

    def query(server: Server, message: Message, *, tcp: bool = False) -> Message:
        if message.question[0].name == n("y.example.com."):
            transport.log.append((server[0], "y.example.com.", RRType.A, tcp))
            raise QueryTimeout(server[0], "drops minimised queries")
        return plain(server, message, tcp=tcp)

    transport.query = query  # type: ignore[method-assign]
    engine = IterativeEngine(transport, [ROOT_IP], prime=False, qname_minimisation=True)
    result = engine.lookup(n("x.y.example.com."), RRType.A)
    assert answer_of(result, RRType.A).name == n("x.y.example.com.")
    assert asked_of(transport, "192.0.2.10", "x.y.example.com.")[-1] == (
        "x.y.example.com.",
        RRType.A,
    )


def test_qname_minimisation_ds_is_not_minimised_past_the_parent() -> None:
    transport = make_world()
    engine = IterativeEngine(transport, [ROOT_IP], prime=False, qname_minimisation=True)
    engine.lookup(n("example.com."), RRType.DS)
    assert asked_of(transport, ROOT_IP) == [("com.", RRType.A)]
    assert asked_of(transport, "192.0.2.1", "example.com.") == [("example.com.", RRType.DS)]
    assert asked_of(transport, "192.0.2.10", "example.com.") == []


def test_qname_minimisation_hides_the_cname_qtype() -> None:
    transport = make_world()
    engine = IterativeEngine(transport, [ROOT_IP], prime=False, qname_minimisation=True)
    result = engine.lookup(n("alias.example.com."), RRType.CNAME)
    assert answer_of(result, RRType.CNAME).name == n("alias.example.com.")
    assert asked_of(transport, "192.0.2.10", "alias.example.com.") == [
        ("alias.example.com.", RRType.A)
    ]


def test_qname_minimisation_limits_the_number_of_steps() -> None:
    labels = ".".join(f"l{i}" for i in range(12))
    deep = f"{labels}.example.com."
    transport = make_world()
    transport.servers["192.0.2.10"] = Zone("example.com.", EXAMPLE_ZONE + f"{deep} IN A 10.0.0.7\n")
    engine = IterativeEngine(transport, [ROOT_IP], prime=False, qname_minimisation=True)
    result = engine.lookup(n(deep), RRType.A)
    assert answer_of(result, RRType.A).name == n(deep)
    minimised = [q for _, q, _, _ in transport.log if q != deep and n(deep).is_subdomain(n(q))]
    assert len(minimised) <= 10
    sizes = [len(n(q).labels) for q in minimised]
    assert sizes[:4] == [1, 2, 3, 4]  # one label at a time first
    assert sizes == sorted(sizes)


def test_cname_question_under_a_dname_keeps_the_dname() -> None:
    from dnssec_lite.resolve.iterative.common import walk_answer as _walk_answer

    rrsets = parse_rrsets(
        "d.example.com. 300 IN DNAME example.net.\nx.d.example.com. 300 IN CNAME x.example.net.\n",
        "example.com.",
    )
    resp = Message(id=0, flags=FLAG_QR, answer=rrsets)
    links, nxt = _walk_answer(resp, n("x.d.example.com."), RRType.CNAME, set())
    assert [r.rrtype for r in links] == [RRType.DNAME, RRType.CNAME]
    assert nxt is None


# -- addresses from a zone's own answers (RFC 2181 section 5.4.1) --------------


class AdditionalZone(Zone):
    """A zone whose authoritative answers carry extra additional records."""

    def __init__(self, origin: str, text: str, additional: str) -> None:
        super().__init__(origin, text)
        self.extra = parse_rrsets(additional, origin)

    def answer(self, query: Message) -> Message:
        resp = super().answer(query)
        if not resp.aa:
            return resp
        return resp.replace(additional=[*resp.additional, *self.extra])


HOSTED_ZONE = """
hosted.com. IN SOA ns2.example.com. h. 1 2 3 4 5
hosted.com. IN NS ns2.example.com.
www.hosted.com. IN A 10.0.0.7
"""


def additional_world(additional: str, example_extra: str = "") -> FakeTransport:
    transport = make_world()
    transport.servers["192.0.2.1"] = Zone("com.", COM_ZONE + "hosted.com. IN NS ns2.example.com.\n")
    transport.servers["192.0.2.10"] = AdditionalZone(
        "example.com.", EXAMPLE_ZONE + example_extra, additional
    )
    transport.servers["192.0.2.40"] = Zone("hosted.com.", HOSTED_ZONE)
    # Where a poisoned address would send the engine.
    transport.servers["192.0.2.66"] = MultiZone(
        Zone("hosted.com.", HOSTED_ZONE.replace("10.0.0.7", "6.6.6.6")),
        Zone("glueless.com.", GLUELESS_ZONE.replace("10.0.0.2", "6.6.6.6")),
    )  # type: ignore[assignment]
    return transport


def test_in_bailiwick_additional_address_is_used_for_a_name_server() -> None:
    # ns2.example.com has no A record of its own in the zone: only the
    # additional section of the zone's answers gives its address.
    transport = additional_world("ns2.example.com. IN A 192.0.2.40\n")
    engine = IterativeEngine(transport, [ROOT_IP], prime=False)
    answer_of(engine.lookup(n("www.example.com."), RRType.A), RRType.A)
    assert engine.known_addresses(n("ns2.example.com.")) == [("192.0.2.40", 53)]
    transport.log.clear()
    rrset = answer_of(engine.lookup(n("www.hosted.com."), RRType.A), RRType.A)
    assert rrset.rdatas[0].to_text() == "10.0.0.7"
    assert ("ns2.example.com.", RRType.A) not in {(e[1], e[2]) for e in transport.log}


def test_out_of_bailiwick_additional_address_is_not_used() -> None:
    # example.com's server claims addresses for a name of another zone
    # (hoster.net) and for a name below a zone cut it is not authoritative
    # for (ns.sub.example.com): both are ignored.
    transport = additional_world(
        "ns.hoster.net. IN A 192.0.2.66\nns.sub.example.com. IN A 192.0.2.66\n",
        "sub.example.com. IN NS ns.sub.example.com.\nns.sub.example.com. IN A 192.0.2.50\n",
    )
    engine = IterativeEngine(transport, [ROOT_IP], prime=False)
    engine.lookup(n("x.sub.example.com."), RRType.A)  # learns the cut sub.example.com
    answer_of(engine.lookup(n("www.example.com."), RRType.A), RRType.A)
    assert engine.known_addresses(n("ns.hoster.net.")) == []
    assert engine.known_addresses(n("ns.sub.example.com.")) == []
    rrset = answer_of(engine.lookup(n("www.glueless.com."), RRType.A), RRType.A)
    assert rrset.rdatas[0].to_text() == "10.0.0.2"
    assert "192.0.2.66" not in {entry[0] for entry in transport.log}


def test_answer_section_address_outranks_an_additional_one() -> None:
    transport = additional_world(
        "ns2.example.com. IN A 192.0.2.40\n", "ns2.example.com. IN A 192.0.2.41\n"
    )
    engine = IterativeEngine(transport, [ROOT_IP], prime=False)
    answer_of(engine.lookup(n("ns2.example.com."), RRType.A), RRType.A)
    assert engine.known_addresses(n("ns2.example.com.")) == [("192.0.2.41", 53)]
    answer_of(engine.lookup(n("www.example.com."), RRType.A), RRType.A)
    assert engine.known_addresses(n("ns2.example.com.")) == [("192.0.2.41", 53)]


def test_server_that_sent_bogus_data_is_demoted_then_asked_again() -> None:
    """After a restart, the server that gave bogus data is asked after the
    zone's other servers for DEMOTION_SECONDS (Unbound's 900 s), then as
    before: a fixed server is used again."""
    from dnssec_lite.resolve.iterative.memory import DEMOTION_SECONDS

    clock = [1000.0]
    transport = two_server_world()
    engine = IterativeEngine(transport, [ROOT_IP], clock=lambda: clock[0])
    question = Question(n("www.example.com."), RRType.A)
    answer = validate_with_restarts(_FakeValidator(), question, 0, engine)  # type: ignore[arg-type]
    assert answer.status is Status.SECURE
    assert engine.excluded == frozenset()

    def first_example_server() -> str:
        transport.log.clear()
        engine.lookup(n("other.example.com."), RRType.A)
        return next(e[0] for e in transport.log if e[0] in ("192.0.2.10", "192.0.2.11"))

    assert first_example_server() == "192.0.2.11"  # demoted: the other first
    clock[0] += DEMOTION_SECONDS + 1
    assert first_example_server() == "192.0.2.10"  # demotion over
    # A demoted server is still asked when it is the only one left.
    engine.exclude(n("example.com."), ("192.0.2.10", 53))
    engine.clear_exclusions(clock[0])
    assert engine.demoted(n("example.com."), Server("192.0.2.10", 53), clock[0])
    engine.exclude(n("example.com."), ("192.0.2.11", 53))
    transport.log.clear()
    engine.lookup(n("www.example.com."), RRType.A)
    assert "192.0.2.10" in [e[0] for e in transport.log]


def test_referral_data_from_an_excluded_server_is_dropped() -> None:
    """The DS of a referral from a server that sent bogus data is not kept:
    the next DS lookup asks the parent's servers again."""
    transport = make_world()
    engine = IterativeEngine(transport, [ROOT_IP])
    engine.lookup(n("www.example.com."), RRType.A)
    assert engine.referral_ds(n("example.com.")) is not None
    engine.exclude(n("com."), ("192.0.2.1", 53))
    engine.clear_exclusions()
    assert engine.referral_ds(n("example.com.")) is None
    transport.log.clear()
    answer_of(engine.lookup(n("example.com."), RRType.DS), RRType.DS)
    assert transport.log[0][1:3] == ("example.com.", RRType.DS)
