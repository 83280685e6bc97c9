"""SECURE records carry TTLs capped by their RRSIGs (RFC 4035 5.3.3).

The TTL field is not signed: an upstream can stretch it to make a caller
keep data far beyond the zone's intent.  What an Answer hands back (its
rrsets, its denial, its own ttl) lives at most min(TTL, original TTL,
signature expiration - now).
"""

from __future__ import annotations

import json

import pytest

from dnssec_lite import cli
from dnssec_lite.dnssec.chain import Validator
from dnssec_lite.dnssec.status import Answer, Status
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import RRType
from tests.helpers.fakenet import FakeNetwork, validate_in
from tests.helpers.zonesigner import NOW, Hierarchy, NSEC3Params
from tests.resolve.dnsserver import serving

LONG = 295215


def world(nsec3: NSEC3Params | None = None) -> Hierarchy:
    h = Hierarchy(13, nsec3=nsec3)
    assert h.domain is not None
    h.domain.add(
        "www 300 IN A 192.0.2.1",
        "mx 170 IN MX 10 www",
        "alias 600 IN CNAME www",
        "*.wild 300 IN A 192.0.2.9",
        "old 300 IN DNAME example.test.",
    )
    return h.sign()


def stretch(rrset: RRset, ttl: int = LONG) -> RRset:
    return RRset(rrset.name, rrset.rrtype, rrset.rrclass, ttl, rrset.rdatas, rrset.sigs, ttl)


def stretching(h: Hierarchy) -> FakeNetwork:
    """A network whose every record (answer and authority) claims LONG."""
    net = h.network()
    net.mutators.append(
        lambda _n, _t, msg: msg.replace(
            answer=tuple(stretch(r) for r in msg.answer),
            authority=tuple(stretch(r) for r in msg.authority),
        )
    )
    return net


def ttls(rrsets: tuple[RRset, ...]) -> dict[tuple[str, int], tuple[int, int]]:
    return {(r.name.to_text(), r.rrtype): (r.ttl, r.sig_ttl) for r in rrsets}


def secure(answer: Answer) -> Answer:
    assert answer.status is Status.SECURE, answer.summary()
    return answer


@pytest.mark.parametrize("nsec3", [None, NSEC3Params()], ids=["nsec", "nsec3"])
def test_stretched_ttls_are_capped_by_the_original_ttl(nsec3: NSEC3Params | None) -> None:
    h = world(nsec3)
    net = stretching(h)
    a = secure(validate_in(h, "www.example.test.", "A", net=net))
    assert ttls(a.rrsets) == {("www.example.test.", RRType.A): (300, 300)}
    assert a.ttl <= 300
    mx = secure(validate_in(h, "mx.example.test.", "MX", net=net))
    assert ttls(mx.rrsets) == {("mx.example.test.", RRType.MX): (170, 170)}
    chain = secure(validate_in(h, "alias.example.test.", "A", net=net))
    assert ttls(chain.rrsets) == {
        ("alias.example.test.", RRType.CNAME): (600, 600),
        ("www.example.test.", RRType.A): (300, 300),
    }
    wild = secure(validate_in(h, "x.wild.example.test.", "A", net=net))
    assert wild.rrsets[0].ttl == 300 and wild.denial
    assert all(r.ttl <= 300 for r in wild.denial)
    dname = secure(validate_in(h, "www.old.example.test.", "A", net=net))
    assert {t for _k, (t, _s) in ttls(dname.rrsets).items()} == {300}
    # Denials: SOA (TTL 3600 in the zone) and NSEC/NSEC3 (300) capped.
    for qname, qtype in (("nope.example.test.", "A"), ("www.example.test.", "TXT")):
        neg = secure(validate_in(h, qname, qtype, net=net))
        assert neg.denial and neg.ttl <= 300
        for rrset in neg.denial:
            assert rrset.ttl <= (3600 if rrset.rrtype == RRType.SOA else 300), rrset


def test_signature_expiration_caps_the_ttl() -> None:
    h = world()
    assert h.domain is not None
    h.domain.resign("www", RRType.A, expiration=NOW + 100)
    a = secure(validate_in(h, "www.example.test.", "A"))
    assert a.rrsets[0].ttl == 100 and a.rrsets[0].sig_ttl == 100 and a.ttl == 100
    # Ten seconds later, ninety are left.
    later = secure(validate_in(h, "www.example.test.", "A", now=NOW + 10))
    assert later.rrsets[0].ttl == 90


def test_the_warm_path_caps_too_and_copies_only_when_needed() -> None:
    h = world()
    net = h.network(roundtrip=False)
    validator = Validator(h.anchors())
    secure(net.resolve(validator, "www.example.test.", "A"))  # keys now cached
    honest: Message = net.honest("www.example.test.", "A")
    warm = secure(net.resolve(validator, "www.example.test.", "A", response=honest))
    assert warm.rrsets[0] is honest.answer[0], "no copy when nothing is capped"
    stretched = honest.replace(answer=tuple(stretch(r) for r in honest.answer))
    capped = secure(net.resolve(validator, "www.example.test.", "A", response=stretched))
    assert capped.rrsets[0].ttl == 300 and capped.rrsets[0].rdatas == honest.answer[0].rdatas
    assert capped.rrsets[0].sigs == honest.answer[0].sigs


def test_cli_json_prints_the_capped_ttl(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    monkeypatch.setattr("dnssec_lite.resolve.resolver.time.time", lambda: float(NOW))
    h = world()
    assert h.domain is not None
    h.domain.put(stretch(h.domain.get("mx", RRType.MX)))
    anchors = Path(str(tmp_path)) / "anchors.zone"
    anchors.write_text("\n".join(rr.to_text() for rr in h.root_ds()) + "\n")
    with serving(h) as srv:
        argv = ["query", "mx.example.test", "MX", "-s", str(srv.server), "--anchors", str(anchors)]
        assert cli.main([*argv, "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert cli.main(argv) == 0
        text = capsys.readouterr().out
    assert data["status"] == "secure"
    records = [r.split() for r in data["records"]]
    assert records and all(r[1] == "170" for r in records), records
    assert str(LONG) not in json.dumps(data) and str(LONG) not in text
