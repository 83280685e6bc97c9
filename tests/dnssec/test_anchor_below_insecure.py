"""A trust anchor configured at or below a zone its ancestor proves to be an
insecure delegation (authenticated absence of DS).

The closest trust anchor decides (RFC 4035 section 4.3: with a configured
anchor there is a trusted starting point, so the data is SECURE or BOGUS,
never INSECURE; RFC 4033: an anchor says its zone is expected to be signed;
Unbound primes the closest anchor even when a key entry above it, from a
higher anchor, is insecure).  An island of trust under an unsigned
delegation is what a deeper anchor is for; letting the parent's no-DS proof
decide would let anyone who strips the island's signatures downgrade it to
INSECURE.  Names between the insecure cut and the deeper anchor stay
INSECURE.  (An ancestor's NXDOMAIN for the anchor's name is different: see
test_anchor_below_nxdomain.py.)
"""

from __future__ import annotations

import pytest

from dnssec_lite.dnssec.chain import Validator
from dnssec_lite.dnssec.status import Status
from dnssec_lite.dnssec.trust import TrustAnchors
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rrset import RR
from dnssec_lite.wire.types import Rcode, RRClass, RRType
from tests.helpers.fakenet import FakeNetwork
from tests.helpers.zonesigner import Hierarchy, NSEC3Params, Zone

N = Name.from_text


def _world(nsec3: bool, *, deep: bool = False, opt_out: bool = False) -> tuple[Hierarchy, Zone]:
    """``example.test.`` (signed, under the root anchor) delegates without
    DS to a signed island: ``island.example.test.`` itself, or (``deep``)
    ``deep.plain.example.test.`` below an unsigned ``plain.example.test.``."""
    params = NSEC3Params(opt_out=opt_out) if nsec3 else None
    h = Hierarchy(13, nsec3=params)
    if deep:
        plain = h.add_zone("plain.example.test.", signed=False)
        plain.add("www 300 IN A 192.0.2.7")
        island = h.add_zone("deep.plain.example.test.", nsec3=params)
    else:
        island = h.add_zone("island.example.test.", nsec3=params, secure_delegation=False)
    island.add("www 300 IN A 192.0.2.9")
    h.sign()
    return h, island


def _anchors(h: Hierarchy, island: Zone, form: str = "ds") -> TrustAnchors:
    deeper = h.anchor_for(island.apex, form=form)
    rrs = [*h.root_ds()]
    for anchor in deeper.anchors.values():
        rrs += [RR(anchor.zone, RRType.DS, RRClass.IN, 3600, d) for d in anchor.ds]
        rrs += [RR(anchor.zone, RRType.DNSKEY, RRClass.IN, 3600, k) for k in anchor.dnskeys]
    return TrustAnchors.from_rrs(rrs)


def _ds_denied(net: FakeNetwork, validator: Validator, island: Zone) -> None:
    """The parent's authenticated no-DS proof for the island (learnt first,
    so that the key cache holds what the root anchor's walk found)."""
    answer = net.resolve(validator, island.apex, "DS")
    assert answer.status is Status.SECURE, answer.summary()
    assert answer.rcode == Rcode.NOERROR and not answer.rrsets


@pytest.mark.parametrize("form", ["ds", "dnskey"])
@pytest.mark.parametrize("nsec3", [False, True])
@pytest.mark.parametrize("deep", [False, True])
def test_the_deeper_anchor_decides_under_an_insecure_delegation(
    form: str, nsec3: bool, deep: bool
) -> None:
    h, island = _world(nsec3, deep=deep)
    net = h.network()
    validator = Validator(_anchors(h, island, form))
    if not deep:
        _ds_denied(net, validator, island)
    www = island.apex.child(b"www")
    answer = net.resolve(validator, www, "A")
    assert answer.status is Status.SECURE, answer.summary()
    # A denial inside the island is the island's own, and SECURE too.
    answer = net.resolve(validator, island.apex.child(b"nope"), "A")
    assert answer.status is Status.SECURE, answer.summary()
    assert answer.rcode == Rcode.NXDOMAIN
    if deep:
        # Between the insecure cut and the deeper anchor: INSECURE.
        answer = net.resolve(validator, "www.plain.example.test.", "A")
        assert answer.status is Status.INSECURE, answer.summary()
        # And the island again, after that walk cached the unsigned zone.
        answer = net.resolve(validator, www, "A")
        assert answer.status is Status.SECURE, answer.summary()


@pytest.mark.parametrize("deep", [False, True])
def test_stripped_island_is_bogus_not_insecure(deep: bool) -> None:
    """An attacker strips the island's signatures: the parent's no-DS proof
    does not excuse that under a configured anchor."""
    h, island = _world(False, deep=deep)
    validator = Validator(_anchors(h, island))
    honest = h.network()
    if not deep:
        _ds_denied(honest, validator, island)
    island.strip_all_sigs()
    net = h.network()
    answer = net.resolve(validator, island.apex.child(b"www"), "A")
    assert answer.status is Status.BOGUS, answer.summary()


@pytest.mark.parametrize(("nsec3", "opt_out"), [(False, False), (True, False), (True, True)])
def test_parent_no_ds_proof_replayed_as_the_answer_is_not_insecure(
    nsec3: bool, opt_out: bool
) -> None:
    """The parent's signed NODATA for ``island. DS`` (the very records that
    prove the insecure delegation, an opt-out span among them) offered as the
    answer for a name in the island: signed above the closer anchor, it
    proves nothing there."""
    h, island = _world(nsec3, opt_out=opt_out)
    net = h.network()
    validator = Validator(_anchors(h, island))
    nodata = net.query(island.apex, "DS")
    assert isinstance(nodata, Message)
    www = island.apex.child(b"www")
    forged = nodata.replace(question=(Question(www, RRType.A),))
    answer = net.resolve(validator, www, "A", response=forged)
    assert answer.status is Status.BOGUS, answer.summary()


def test_an_anchor_for_a_zone_that_is_now_unsigned_is_bogus() -> None:
    """The island dropped DNSSEC (its parent proves no DS) but the anchor is
    still configured: its DNSKEY set is demanded and missing -- BOGUS, as
    Unbound fails to prime the anchor; the operator must remove it."""
    h, island = _world(False)
    anchors = _anchors(h, island)
    h.zones[island.apex] = unsigned = Zone(island.apex, 13, signed=False)
    unsigned.add("www 300 IN A 192.0.2.9", f"ns1.{island.apex.to_text()} 300 IN A 192.0.2.53")
    h.sign()
    net = h.network()
    validator = Validator(anchors)
    _ds_denied(net, validator, island)
    answer = net.resolve(validator, island.apex.child(b"www"), "A")
    assert answer.status is Status.BOGUS, answer.summary()
    assert (island.apex, RRType.DNSKEY) in net.log


@pytest.mark.parametrize("warm", [False, True])
def test_island_data_signed_by_the_parent_is_bogus(warm: bool) -> None:
    """Data of the island signed with the parent's keys (the parent's
    operator, or whoever holds its keys, forging below the cut): the
    closer anchor's zone must sign it -- also when the parent's keys are
    already cached (the warm path)."""
    h, island = _world(False)
    assert h.domain is not None
    net = h.network()
    validator = Validator(_anchors(h, island))
    if warm:
        _ds_denied(net, validator, island)
    www = island.apex.child(b"www")
    honest = net.query(www, "A")
    assert isinstance(honest, Message)
    rrset = honest.get_answer(www, RRType.A)
    assert rrset is not None
    forged_rrset = rrset.with_sigs(h.domain._sigs_for(rrset.with_sigs([])))
    forged = honest.replace(answer=(forged_rrset,))
    answer = net.resolve(validator, www, "A", response=forged)
    assert answer.status is Status.BOGUS, answer.summary()
    assert "above that anchor" in str(answer.reason)
    # The island's own signature beside the forged one still validates.
    both = honest.replace(answer=(rrset.with_sigs([*rrset.sigs, *forged_rrset.sigs]),))
    answer = net.resolve(validator, www, "A", response=both)
    assert answer.status is Status.SECURE, answer.summary()


@pytest.mark.parametrize("kind", ["positive", "nodata", "nxdomain"])
def test_only_the_island_anchor_a_signer_above_it(kind: str) -> None:
    """With the island's anchor alone, data or a NODATA for a name in the
    island claiming a signer above it (which no anchor covers) is BOGUS,
    not INDETERMINATE: the island's anchor decides every name below it.  An
    NXDOMAIN from such a signer is INDETERMINATE (never SECURE or
    INSECURE), as Unbound's "unsigned parent zone denies trust anchor"."""
    h, island = _world(False)
    assert h.domain is not None
    net = h.network()
    validator = Validator(h.anchor_for(island.apex))
    www = island.apex.child(b"www")
    if kind == "positive":
        honest = net.query(www, "A")
        assert isinstance(honest, Message)
        rrset = honest.get_answer(www, RRType.A)
        assert rrset is not None
        forged = honest.replace(answer=(rrset.with_sigs(h.domain._sigs_for(rrset.with_sigs([]))),))
        qname = www
    elif kind == "nodata":
        qname = www
        replay = net.query(N("ns1.example.test."), "TXT")
        assert isinstance(replay, Message) and replay.rcode == Rcode.NOERROR
        forged = replay.replace(question=(Question(qname, RRType.A),))
    else:
        qname = island.apex.child(b"nope")
        replay = net.query(N("nope.example.test."), "A")
        assert isinstance(replay, Message) and replay.rcode == Rcode.NXDOMAIN
        forged = replay.replace(question=(Question(qname, RRType.A),))
    answer = net.resolve(validator, qname, "A", response=forged)
    expected = Status.INDETERMINATE if kind == "nxdomain" else Status.BOGUS
    assert answer.status is expected, answer.summary()
    # The honest answer is SECURE with that anchor alone.
    assert net.resolve(validator, www, "A").status is Status.SECURE
