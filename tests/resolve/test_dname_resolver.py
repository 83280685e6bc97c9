"""Both resolvers answer names below a cached, validated DNAME by synthesis
(RFC 6672 section 3.4): the name itself is not asked, the CNAME's target is
resolved as usual, and the chain is validated again."""

from __future__ import annotations

import asyncio

from dnssec_lite.dnssec.status import Status
from dnssec_lite.errors import QueryTimeout
from dnssec_lite.resolve import AsyncResolver, Batch, Resolution, Resolver, Server
from dnssec_lite.resolve.fetcher import Reply
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.names import CNAME
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import RRClass, RRType
from tests.helpers.fakenet import FakeNetwork
from tests.helpers.zonesigner import NOW, Hierarchy

N = Name.from_text
UP = Server("192.0.2.1")


def _hierarchy() -> Hierarchy:
    h = Hierarchy(13)
    assert h.domain is not None
    h.domain.add("alias 300 IN DNAME other.test.")
    h.add_zone("other.test.").add("www 300 IN A 192.0.2.7", "mail 300 IN A 192.0.2.8")
    return h.sign()


class NetFetcher:
    """A recursive upstream made of the signed hierarchy (DNAME chains
    included), recording the questions asked."""

    def __init__(self, net: FakeNetwork) -> None:
        self.net = net
        self.asked: list[tuple[Name, int]] = []

    def exchange(self, batch: Batch) -> list[Reply]:
        out: list[Reply] = []
        for _server, query in batch.items:
            q = query.question[0]
            self.asked.append((q.name, q.rrtype))
            reply = self.net.query(q.name, q.rrtype)
            if not isinstance(reply, Message):
                out.append(QueryTimeout(str(UP), "no answer"))
                continue
            out.append(reply.replace(id=query.id, question=query.question))
        return out


def _spoof_below_alias(net: FakeNetwork, qname: str) -> None:
    """The upstream would answer ``qname`` with a spoofed CNAME."""
    spoofed = RRset(N(qname), RRType.CNAME, RRClass.IN, 300, [CNAME(N("evil.test."))])
    net.override(qname, "A", lambda msg: msg.replace(answer=(*msg.answer[:1], spoofed)))


def test_names_below_a_cached_dname_are_synthesised_not_asked() -> None:
    h = _hierarchy()
    net = h.network()
    fetcher = NetFetcher(net)
    clock = [float(NOW)]
    r = Resolver([str(UP)], anchors=h.anchors(), clock=lambda: clock[0], fetcher=fetcher)
    first = r.resolve("www.alias.example.test.", "A")
    assert first.status is Status.SECURE, first.summary()
    assert len(r.dnames) == 1
    _spoof_below_alias(net, "mail.alias.example.test.")
    fetcher.asked.clear()
    second = r.resolve("mail.alias.example.test.", "A")
    assert second.status is Status.SECURE, second.summary()
    assert (N("mail.alias.example.test."), RRType.A) not in fetcher.asked
    assert (N("mail.other.test."), RRType.A) in fetcher.asked
    assert [rr.rrtype for rr in second.rrsets] == [RRType.DNAME, RRType.CNAME, RRType.A]
    assert isinstance(second.resolution, Resolution) and second.resolution.cache == "dname"
    # Once the DNAME has expired, the upstream is asked again (and its
    # spoofed CNAME is caught by validation).
    clock[0] += 301
    late = r.resolve("mail.alias.example.test.", "A")
    assert (N("mail.alias.example.test."), RRType.A) in fetcher.asked
    assert late.status is Status.BOGUS


def test_the_cname_itself_and_the_async_resolver() -> None:
    h = _hierarchy()

    async def go() -> None:
        fetcher = NetFetcher(h.network())

        class Async:
            async def exchange(self, batch: Batch) -> list[Reply]:
                return fetcher.exchange(batch)

        r = AsyncResolver([str(UP)], anchors=h.anchors(), clock=lambda: NOW, fetcher=Async())
        assert (await r.resolve("www.alias.example.test.", "A")).status is Status.SECURE
        fetcher.asked.clear()
        answer = await r.resolve("x.alias.example.test.", "CNAME")
        assert answer.status is Status.SECURE, answer.summary()
        assert fetcher.asked == []
        cname = answer.rrsets[-1]
        assert isinstance(cname.rdatas[0], CNAME) and cname.rdatas[0].target == N("x.other.test.")

    asyncio.run(go())


def test_harden_options_reach_the_validator() -> None:
    r = Resolver(
        [str(UP)],
        anchors=_hierarchy().anchors(),
        harden_algo_downgrade=True,
        harden_dnssec_stripped=False,
    )
    assert r.validator.harden_algo_downgrade and not r.validator.harden_dnssec_stripped
