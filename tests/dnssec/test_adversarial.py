"""Attacks modelled on real validator bugs: each must come out BOGUS (or at
least never SECURE)."""

from __future__ import annotations

import struct

import pytest

from dnssec_lite.dnssec.status import Status
from dnssec_lite.errors import WireFormatError
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.dnssec import NSEC
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import EDE, Rcode, RRType
from tests.helpers.fakenet import validate_in
from tests.helpers.zonesigner import Hierarchy, NSEC3Params

N = Name.from_text


def example(nsec3: NSEC3Params | None = None) -> Hierarchy:
    h = Hierarchy(13, nsec3=nsec3)
    assert h.domain is not None
    h.domain.add(
        "www 300 IN A 192.0.2.1", "*.wild 300 IN A 192.0.2.9", "old 300 IN DNAME example.test."
    )
    return h.sign()


def bogus(answer: object) -> None:
    assert answer.status is Status.BOGUS, answer.summary()  # type: ignore[attr-defined]


@pytest.mark.parametrize("labels", [1, 0])
def test_rrsig_labels_below_signer_label_count(labels: int) -> None:
    """A 'wildcard' at or above the apex: *.test. cannot be in example.test."""
    h = example()
    assert h.domain is not None
    h.domain.resign("www", RRType.A, labels=labels)
    bogus(validate_in(h, "www.example.test.", "A"))


def test_rrsig_labels_above_owner_label_count() -> None:
    h = example()
    assert h.domain is not None
    h.domain.resign("www", RRType.A, labels=5)
    bogus(validate_in(h, "www.example.test.", "A"))


def test_child_nsec3_as_parent_closest_encloser_proof() -> None:
    """The child apex NSEC3 (no DS bit) replayed as the parent's DS denial."""
    h = example(NSEC3Params())
    net = h.network()
    child_nodata = net.honest("example.test.", "TXT")  # signed by example.test.
    net.override("example.test.", "DS", lambda msg: child_nodata.replace(question=msg.question))
    answer = validate_in(h, "www.example.test.", "A", net=net)
    bogus(answer)


def test_child_nsec3_for_parent_nxdomain() -> None:
    h = example(NSEC3Params())
    net = h.network()
    child_nx = net.honest("nope.example.test.", "A")
    parent_nx = net.honest("nope.test.", "A")
    soa = [r for r in parent_nx.authority if r.rrtype == RRType.SOA]
    child_proof = [r for r in child_nx.authority if r.rrtype == RRType.NSEC3]
    net.override("nope.test.", "A", lambda msg: msg.replace(authority=tuple(soa + child_proof)))
    bogus(validate_in(h, "nope.test.", "A", net=net))


def test_nsec_next_name_outside_zone() -> None:
    """An apex NSEC whose next name is outside the zone 'covers' everything."""
    h = example()
    zone = h.domain
    assert zone is not None
    apex_nsec = zone.get("example.test.", RRType.NSEC)
    rd = apex_nsec.rdatas[0]
    assert isinstance(rd, NSEC)
    zone.put(
        RRset(
            apex_nsec.name,
            RRType.NSEC,
            apex_nsec.rrclass,
            apex_nsec.ttl,
            [NSEC(N("zzz.elsewhere."), rd.types)],
        )
    )
    zone.resign("example.test.", RRType.NSEC)
    net = h.network()
    forged = net.honest("nope.example.test.", "A").replace(
        authority=(zone.get("example.test.", RRType.SOA), zone.get("example.test.", RRType.NSEC)),
    )
    net.override("www.example.test.", "A", lambda msg: forged.replace(question=msg.question))
    answer = validate_in(h, "www.example.test.", "A", net=net)
    bogus(answer)


@pytest.mark.parametrize("nsec3", [None, NSEC3Params()], ids=["nsec", "nsec3"])
def test_parent_side_denial_at_delegation_cannot_deny_child_data(
    nsec3: NSEC3Params | None,
) -> None:
    h = example(nsec3)
    net = h.network()
    # The parent's NSEC/NSEC3 at the cut (NS, DS, no SOA) as NODATA for child data.
    parent_view = net.honest("example.test.", "DS").replace(rcode=Rcode.NOERROR)
    for qname in ("example.test.",):
        ds = net.honest(qname, "DS")
        assert ds.answer  # a secure delegation
    deny = net.honest("nope.test.", "A")
    # NODATA for example.test./A answered from the parent side.
    cut_proof = [r for r in deny.authority if r.rrtype == RRType.SOA]
    if nsec3 is None:
        cut_proof.append(h.tld.get("example.test.", RRType.NSEC))
    else:
        matching = h.tld.nsec3_matching(N("example.test."))
        assert matching is not None
        cut_proof.append(matching)
    net.override(
        "example.test.",
        "A",
        lambda msg: msg.replace(answer=(), authority=tuple(cut_proof), rcode=Rcode.NOERROR),
    )
    _ = parent_view
    bogus(validate_in(h, "example.test.", "A", net=net))
    # ... and as an NXDOMAIN proof for a name below the cut.
    net.override(
        "www.example.test.",
        "A",
        lambda msg: msg.replace(
            answer=(), authority=tuple(deny.authority + tuple(cut_proof)), rcode=Rcode.NXDOMAIN
        ),
    )
    bogus(validate_in(h, "www.example.test.", "A", net=net))


@pytest.mark.parametrize(
    "qname,qtype", [("nope.example.test.", "A"), ("x.wild.example.test.", "A")]
)
def test_optout_nsec3_never_secure(qname: str, qtype: str) -> None:
    """Opt-out spans only prove unsigned delegations may exist: an NXDOMAIN or
    wildcard answer resting on one is at best INSECURE."""
    h = example(NSEC3Params(opt_out=True))
    answer = validate_in(h, qname, qtype)
    assert answer.status is not Status.SECURE, answer.summary()


def test_optout_insecure_delegation_is_insecure() -> None:
    h = example(NSEC3Params(opt_out=True))
    assert h.domain is not None
    unsigned = h.add_zone("unsigned.example.test.", signed=False)
    unsigned.add("www 300 IN A 192.0.2.5")
    h.sign()
    answer = validate_in(h, "www.unsigned.example.test.", "A")
    assert answer.status is Status.INSECURE, answer.summary()


def test_revoked_key_signing_is_bogus() -> None:
    h = example()
    assert h.domain is not None
    h.domain.keys[0].flags |= 0x0080  # REVOKE; the DS follows the revoked key
    h.sign()
    answer = validate_in(h, "www.example.test.", "A")
    bogus(answer)


def test_dnskey_rrset_signed_only_by_key_without_ds() -> None:
    h = example()
    zone = h.domain
    assert zone is not None
    zone.keys[0].signs_keys = False  # the KSK (in DS) no longer signs
    zone.keys[1].signs_keys = True  # the ZSK (no DS) does
    h.sign()
    answer = validate_in(h, "www.example.test.", "A")
    bogus(answer)
    assert answer.reason is not None and answer.reason.ede in (EDE.DNSKEY_MISSING, EDE.DNSSEC_BOGUS)


def test_dname_unsigned_with_unsigned_cname_is_bogus() -> None:
    h = example()
    assert h.domain is not None
    h.domain.strip_sigs("old", RRType.DNAME)
    bogus(validate_in(h, "www.old.example.test.", "A"))


def test_dname_signed_with_forged_unsigned_cname_is_bogus() -> None:
    h = example()
    net = h.network()

    def forge(msg: Message) -> Message:
        out = []
        for r in msg.answer:
            if r.rrtype == RRType.CNAME:
                from dnssec_lite.wire.rdata.names import CNAME

                r = RRset(r.name, r.rrtype, r.rrclass, r.ttl, [CNAME(N("evil.example.test."))])
            out.append(r)
        return msg.replace(answer=tuple(out))

    net.override("www.old.example.test.", "A", forge)
    bogus(validate_in(h, "www.old.example.test.", "A", net=net))


def test_rdata_name_past_rdlength_is_a_wire_error() -> None:
    msg = Message(id=1, flags=0x8180, question=())
    header = bytearray(msg.to_wire())
    header[7] = 1  # ANCOUNT = 1
    target = Name.from_text("a-long-target.example.").to_wire()
    rr = b"\x00" + struct.pack("!HHIH", RRType.CNAME, 1, 300, 4) + target
    with pytest.raises(WireFormatError):
        Message.from_wire(bytes(header) + rr)
    # The same record with its true length parses.
    rr_ok = b"\x00" + struct.pack("!HHIH", RRType.CNAME, 1, 300, len(target)) + target
    assert Message.from_wire(bytes(header) + rr_ok).answer
