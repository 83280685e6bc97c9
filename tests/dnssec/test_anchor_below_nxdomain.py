"""A trust anchor configured below a name that its ancestor proves absent.

The root anchor covers ``example.test.``; a second anchor names
``nx.example.test.``, which does not exist.  ``example.test.``'s signed
NXDOMAIN for a name at or below the anchor decides: SECURE NXDOMAIN, and no
DNSKEY set of the phantom zone is demanded.  Records of ``example.test.``
that do not cover the anchor's name prove nothing about a zone that exists
there: such an answer is never SECURE.
"""

from __future__ import annotations

import pytest

from dnssec_lite.dnssec.chain import Validator
from dnssec_lite.dnssec.status import Status
from dnssec_lite.dnssec.trust import TrustAnchors
from dnssec_lite.wire.message import Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rrset import RR
from dnssec_lite.wire.types import Rcode, RRClass, RRType
from tests.helpers.zonesigner import Hierarchy, NSEC3Params, cached_key, dnskey_of, make_ds

N = Name.from_text


def _anchors(h: Hierarchy, deep: str, form: str) -> TrustAnchors:
    owner = N(deep)
    key = dnskey_of(cached_key(13, "deep-anchor"), 257)
    rdata = make_ds(owner, key) if form == "ds" else key
    rrtype = RRType.DS if form == "ds" else RRType.DNSKEY
    return TrustAnchors.from_rrs([*h.root_ds(), RR(owner, rrtype, RRClass.IN, 3600, rdata)])


@pytest.mark.parametrize("form", ["ds", "dnskey"])
@pytest.mark.parametrize("nsec3", [False, True])
@pytest.mark.parametrize("qname", ["www.nx.example.test.", "nx.example.test."])
def test_ancestor_nxdomain_decides(form: str, nsec3: bool, qname: str) -> None:
    h = Hierarchy(13, nsec3=NSEC3Params() if nsec3 else None)
    assert h.domain is not None
    h.domain.add("www 300 IN A 192.0.2.1")
    h.sign()
    net = h.network()
    answer = net.resolve(Validator(_anchors(h, "nx.example.test.", form)), qname, "A")
    assert answer.status is Status.SECURE, answer.summary()
    assert answer.rcode == Rcode.NXDOMAIN
    assert (N("nx.example.test."), RRType.DNSKEY) not in net.log


def test_a_denial_that_does_not_cover_the_anchor_is_not_secure() -> None:
    """``sub.example.test.`` exists (a signed zone under its own anchor); an
    NXDOMAIN replayed from elsewhere in ``example.test.`` does not deny it."""
    h = Hierarchy(13)
    sub = h.add_zone("sub.example.test.")
    sub.add("www 300 IN A 192.0.2.9")
    h.sign()
    net = h.network()
    replay = net.query("nope.example.test.", "A")
    assert replay.rcode == Rcode.NXDOMAIN  # type: ignore[union-attr]
    forged = replay.replace(question=(Question(N("www.sub.example.test."), RRType.A),))  # type: ignore[union-attr]
    anchors = TrustAnchors.from_rrs(
        [*h.root_ds(), *(RR(sub.apex, RRType.DS, RRClass.IN, 3600, d) for d in sub.ds_rdatas())]
    )
    answer = net.resolve(Validator(anchors), "www.sub.example.test.", "A", response=forged)
    assert answer.status is not Status.SECURE, answer.summary()
