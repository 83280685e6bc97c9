"""exchange.py: accept/ignore rules, TC -> TCP, failover and stripping signs."""

from __future__ import annotations

from dnssec_lite.resolve.exchange import (
    Disposition,
    Server,
    attempt_timeout,
    build_query,
    check_response,
    frame,
    unframe,
    upstream_problem,
)
from dnssec_lite.wire.edns import Edns
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.types import FLAG_TC, Rcode, RRType

SERVER = Server("192.0.2.1", 53)
SOURCE = ("192.0.2.1", 53)


def _reply(query: Message, **changes: object) -> bytes:
    return query.make_response().replace(**changes).to_wire()


def test_build_query_sets_rd_cd_do_and_payload() -> None:
    q = build_query("example.org", "MX")
    assert q.rd and q.cd and q.dnssec_ok
    assert q.edns is not None and q.edns.payload == 1232
    assert q.question[0].rrtype == RRType.MX


def test_query_ids_vary() -> None:
    assert len({build_query("a.example", "A").id for _ in range(50)}) > 40


def test_accepts_matching_response() -> None:
    q = build_query("example.org", "A")
    check = check_response(q, _reply(q), SERVER, SOURCE)
    assert check.disposition is Disposition.ACCEPT
    assert check.message is not None and check.message.id == q.id


def test_question_name_compared_case_insensitively() -> None:
    q = build_query("example.org", "A")
    shouted = Question(Name.from_text("EXAMPLE.org"), RRType.A)
    check = check_response(q, _reply(q, question=[shouted]), SERVER, SOURCE)
    assert check.disposition is Disposition.ACCEPT


def test_spoofed_id_ignored() -> None:
    q = build_query("example.org", "A")
    check = check_response(q, _reply(q, id=(q.id + 1) % 65536), SERVER, SOURCE)
    assert check.disposition is Disposition.IGNORE
    assert "ID" in check.why


def test_wrong_question_ignored() -> None:
    q = build_query("example.org", "A")
    other = Question(Name.from_text("evil.example"), RRType.A)
    assert check_response(q, _reply(q, question=[other]), SERVER, SOURCE).disposition is (
        Disposition.IGNORE
    )
    wrong_type = Question(Name.from_text("example.org"), RRType.AAAA)
    assert check_response(q, _reply(q, question=[wrong_type]), SERVER, SOURCE).disposition is (
        Disposition.IGNORE
    )


def test_wrong_source_address_or_port_ignored() -> None:
    q = build_query("example.org", "A")
    data = _reply(q)
    assert check_response(q, data, SERVER, ("192.0.2.2", 53)).disposition is Disposition.IGNORE
    assert check_response(q, data, SERVER, ("192.0.2.1", 5353)).disposition is Disposition.IGNORE


def test_ipv6_source_matches_in_any_spelling() -> None:
    server = Server("2001:db8::1", 53)
    q = build_query("example.org", "A")
    data = _reply(q)
    check = check_response(q, data, server, ("2001:0db8:0:0::1", 53, 0, 0))
    assert check.disposition is Disposition.ACCEPT


def test_query_echo_and_garbage_ignored() -> None:
    q = build_query("example.org", "A")
    assert check_response(q, q.to_wire(), SERVER, SOURCE).disposition is Disposition.IGNORE
    junk = q.id.to_bytes(2, "big") + b"\x80" + b"\xff" * 20
    check = check_response(q, junk, SERVER, SOURCE)
    assert check.disposition is Disposition.IGNORE and "malformed" in check.why
    assert check_response(q, b"\x00", SERVER, SOURCE).disposition is Disposition.IGNORE


def test_truncated_udp_goes_to_tcp() -> None:
    q = build_query("example.org", "TXT")
    resp = q.make_response()
    data = resp.replace(flags=resp.flags | FLAG_TC).to_wire()
    assert check_response(q, data, SERVER, SOURCE).disposition is Disposition.RETRY_TCP
    assert check_response(q, data, SERVER, None, tcp=True).disposition is Disposition.IGNORE


def test_failover_rcodes_and_stripping_signs() -> None:
    q = build_query("example.org", "A")
    resp = q.make_response()
    assert upstream_problem(q, resp) is None
    assert upstream_problem(q, resp.replace(rcode=Rcode.NXDOMAIN)) is None
    for rcode in (Rcode.SERVFAIL, Rcode.REFUSED, Rcode.FORMERR):
        problem = upstream_problem(q, resp.replace(rcode=rcode))
        assert problem is not None and Rcode.to_text(rcode) in problem
    no_opt = upstream_problem(q, resp.replace(edns=None))
    assert no_opt is not None and "OPT" in no_opt
    no_do = upstream_problem(q, resp.replace(edns=Edns(flags=0)))
    assert no_do is not None and "DO" in no_do


def test_tcp_framing_round_trip() -> None:
    data = b"\x12\x34hello"
    framed = frame(data)
    assert framed[:2] == b"\x00\x07"
    assert unframe(framed + b"\x00") == (data, 9)
    assert unframe(framed[:5]) == (None, 0)


def test_attempt_timeout_backs_off() -> None:
    assert [attempt_timeout(1.0, i) for i in range(4)] == [1.0, 2.0, 4.0, 4.0]
