"""The replay harness on small hand-written scenarios."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from dnssec_lite.errors import QueryTimeout
from dnssec_lite.replay import command
from dnssec_lite.replay.harness import (
    AUTOTRUST_SKIP,
    ScenarioTransport,
    build_message,
    run_file,
    run_scenario,
    trust_anchors,
)
from dnssec_lite.replay.rpl import parse_text
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.types import Rcode, RRType

UNSIGNED = """server:
	val-override-date: "20200101000000"
	domain-insecure: "example.net"
	trust-anchor: "example.org. IN DS 1 8 2 00112233445566778899aabbccddeeff0011223344556677"
stub-zone:
	name: "."
	stub-addr: 192.0.2.1
CONFIG_END
SCENARIO_BEGIN hand-written: unsigned answers through a referral
RANGE_BEGIN 0 100
	ADDRESS 192.0.2.1
ENTRY_BEGIN
MATCH opcode qtype qname
ADJUST copy_id
REPLY QR NOERROR
SECTION QUESTION
. IN NS
SECTION ANSWER
. IN NS a.root.
SECTION ADDITIONAL
a.root. IN A 192.0.2.1
ENTRY_END
ENTRY_BEGIN
MATCH opcode subdomain
ADJUST copy_id copy_query
REPLY QR NOERROR
SECTION QUESTION
example.net. IN A
SECTION AUTHORITY
example.net. IN NS ns.example.net.
SECTION ADDITIONAL
ns.example.net. IN A 192.0.2.2
ENTRY_END
RANGE_END
RANGE_BEGIN 0 100
	ADDRESS 192.0.2.2
ENTRY_BEGIN
MATCH opcode qtype qname
ADJUST copy_id
REPLY QR AA NOERROR
SECTION QUESTION
www.example.net. IN A
SECTION ANSWER
www.example.net. IN A 10.0.0.1
ENTRY_END
ENTRY_BEGIN
MATCH opcode qname
ADJUST copy_id
REPLY QR AA NXDOMAIN
SECTION QUESTION
nope.example.net. IN A
SECTION AUTHORITY
example.net. IN SOA ns.example.net. h. 1 2 3 4 5
ENTRY_END
RANGE_END
STEP 1 QUERY
ENTRY_BEGIN
REPLY RD DO
SECTION QUESTION
www.example.net. IN A
ENTRY_END
STEP 2 CHECK_ANSWER
ENTRY_BEGIN
MATCH all
REPLY QR RD RA DO NOERROR
SECTION QUESTION
www.example.net. IN A
SECTION ANSWER
www.example.net. IN A 10.0.0.1
ENTRY_END
STEP 3 QUERY
ENTRY_BEGIN
REPLY RD DO
SECTION QUESTION
nope.example.net. IN A
ENTRY_END
STEP 4 CHECK_ANSWER
ENTRY_BEGIN
MATCH all
REPLY QR RD RA DO NXDOMAIN
SECTION QUESTION
nope.example.net. IN A
ENTRY_END
SCENARIO_END
"""


def test_unsigned_scenario_passes() -> None:
    result = run_scenario(parse_text(UNSIGNED, "hand.rpl"))
    assert result.outcome == "PASS", result.reason
    assert [s.expected for s in result.steps] == ["insecure", "insecure"]
    assert [s.rcode for s in result.steps] == ["NOERROR", "NXDOMAIN"]
    assert result.policy == "default"


def test_wrong_expected_answer_fails() -> None:
    text = UNSIGNED.replace(
        "SECTION ANSWER\nwww.example.net. IN A 10.0.0.1\nENTRY_END\nSTEP 3",
        "SECTION ANSWER\nwww.example.net. IN A 10.0.0.9\nENTRY_END\nSTEP 3",
    )
    result = run_scenario(parse_text(text, "hand.rpl"))
    assert result.outcome == "FAIL"
    assert "answer differs" in result.reason
    assert not result.false_secures


def test_expected_secure_without_anchor_fails() -> None:
    text = UNSIGNED.replace("REPLY QR RD RA DO NOERROR", "REPLY QR RD RA AD DO NOERROR")
    result = run_scenario(parse_text(text, "hand.rpl"))
    assert result.outcome == "FAIL"
    assert "expected secure" in result.reason


def test_transport_matching_and_adjust() -> None:
    scenario = parse_text(UNSIGNED, "hand.rpl")
    transport = ScenarioTransport(scenario)
    query = Message.make_query("WWW.Example.NET.", "A", id=4242, rd=False)
    # The root range refers (subdomain match, copy_query keeps the query's case).
    resp = transport.query(("192.0.2.1", 53), query)
    assert resp.id == 4242
    assert resp.question[0].name.to_text() == "WWW.Example.NET."
    assert resp.authority[0].rrtype == RRType.NS
    resp = transport.query(("192.0.2.2", 53), query)
    assert resp.answer[0].rdatas[0].to_text() == "10.0.0.1"
    with pytest.raises(QueryTimeout):
        transport.query(("192.0.2.3", 53), query)
    transport.step = 101  # outside every range
    with pytest.raises(QueryTimeout):
        transport.query(("192.0.2.2", 53), query)


def test_transport_query_waits_for_a_later_nothing_step() -> None:
    # Unbound's test bed keeps a query that no range answers pending; a range
    # that opens at a later NOTHING step answers it, and the clock stays there.
    text = UNSIGNED.replace(
        "RANGE_BEGIN 0 100\n\tADDRESS 192.0.2.2", "RANGE_BEGIN 30 100\n\tADDRESS 192.0.2.2"
    )
    transport = ScenarioTransport(parse_text(text, "hand.rpl"))
    query = Message.make_query("www.example.net.", "A", rd=False)
    transport.step = 1
    with pytest.raises(QueryTimeout):
        transport.query(("192.0.2.2", 53), query)
    transport.later = (10, 40)
    resp = transport.query(("192.0.2.2", 53), query)
    assert resp.answer[0].rdatas[0].to_text() == "10.0.0.1"
    assert transport.step == 40
    with pytest.raises(QueryTimeout):  # no step left that answers it
        transport.query(("192.0.2.3", 53), query)
    assert transport.step == 40


def test_scenario_answer_after_nothing_steps() -> None:
    text = UNSIGNED.replace(
        "RANGE_BEGIN 0 100\n\tADDRESS 192.0.2.2", "RANGE_BEGIN 30 100\n\tADDRESS 192.0.2.2"
    ).replace("STEP 2 CHECK_ANSWER", "STEP 2 NOTHING\nSTEP 40 NOTHING\nSTEP 41 CHECK_ANSWER")
    text = text.replace("STEP 3 QUERY", "STEP 43 QUERY").replace(
        "STEP 4 CHECK_ANSWER", "STEP 44 CHECK_ANSWER"
    )
    result = run_scenario(parse_text(text, "hand.rpl"))
    assert result.outcome == "PASS", result.reason


def test_build_message_attaches_signatures_from_other_sections() -> None:
    text = UNSIGNED.replace(
        "SECTION ANSWER\nwww.example.net. IN A 10.0.0.1\nENTRY_END\nENTRY_BEGIN",
        "SECTION ANSWER\nwww.example.net. IN A 10.0.0.1\nSECTION ADDITIONAL\n"
        "www.example.net. 3600 IN RRSIG A 8 3 3600 20300101000000 20000101000000 1 "
        "example.net. AAAA\nENTRY_END\nENTRY_BEGIN",
    )
    scenario = parse_text(text, "hand.rpl")
    entry = scenario.ranges[1].entries[0]
    msg = build_message(entry)
    assert msg.answer[0].sigs and msg.additional == ()
    assert msg.rcode == Rcode.NOERROR and msg.aa


def test_trust_anchors_and_negative_anchors() -> None:
    anchors = trust_anchors(parse_text(UNSIGNED, "hand.rpl"))
    assert Name.from_text("example.org.") in anchors.anchors
    assert anchors.negative_for(Name.from_text("www.example.net.")) == Name.from_text(
        "example.net."
    )


def test_autotrust_scenarios_go_through_the_state_machine() -> None:
    # Without its AUTOTRUST_FILE an RFC 5011 scenario cannot be played.
    result = run_scenario(parse_text(UNSIGNED, "dir/autotrust_x.rpl"))
    assert result.outcome == "FAIL" and "AUTOTRUST_FILE" in result.reason
    unbound = Path(__file__).resolve().parents[2] / "vectors" / "peer" / "unbound"
    rollover = run_file(unbound / "autotrust_rollover.rpl")
    assert rollover.outcome == "PASS" and rollover.reason == "7 CHECK_AUTOTRUST steps match"
    # One that checks answers only has nothing to compare with the state.
    read_only = run_file(unbound / "autotrust_revtp_read.rpl")
    assert read_only.outcome == "SKIP" and read_only.reason == AUTOTRUST_SKIP


def test_command_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.rpl"
    good.write_text(UNSIGNED)
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\n")
    status = command.run(argparse.Namespace(files=[str(good), str(junk)], json=False))
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("PASS good.rpl: ")
    assert out[1].startswith("FAIL junk.txt: unknown vector format")
    assert out[-1] == "1 passed, 1 failed"
    assert status == 1
    status = command.run(argparse.Namespace(files=[str(good)], json=True))
    assert '"outcome": "PASS"' in capsys.readouterr().out
    assert status == 0


VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "peer"


def test_bogus_answer_is_retried_at_another_server() -> None:
    # 1.2.3.4 serves broken signatures, 1.2.3.5 (glueless ns.blabla.com) good
    # ones: the validation is re-run without the server that gave bogus data.
    result = run_file(VECTORS / "deckard" / "black_data.rpl")
    assert result.passed, result.reason
    result = run_file(VECTORS / "unbound" / "black_dnskey.rpl")
    assert result.passed, result.reason


def test_query_without_rd_gets_the_cached_referral() -> None:
    # Step 5 asks bla.example.com without RD: the resolver answers from its
    # cache with the (signed, validated) example.com NS referral and AD.
    for name in ("val_referd.rpl", "val_referglue.rpl", "val_refer_unsignadd.rpl"):
        result = run_file(VECTORS / "unbound" / name)
        assert result.passed, (name, result.reason)


def test_no_stub_address_starts_from_the_built_in_root_hints() -> None:
    result = run_file(VECTORS / "deckard" / "world_cz_lidovky_www.rpl")
    assert result.passed, result.reason


def test_ds_for_a_forward_zone_apex_is_asked_on_the_parent_side() -> None:
    # The forwarder of sub.example.com answers SERVFAIL to sub.example.com DS;
    # the DS comes from the parent (example.com), reached through the stub.
    result = run_file(VECTORS / "unbound" / "val_fwdds.rpl")
    assert result.passed, result.reason


def test_forwarder_partial_cname_chain_is_followed() -> None:
    """A forwarder that answers with the alias only: the harness asks for the
    target, as the recorded resolver does, and joins the answers."""
    from dnssec_lite.replay.recorded import _chase
    from dnssec_lite.wire.message import Message
    from dnssec_lite.wire.name import Name
    from dnssec_lite.wire.types import RRType
    from dnssec_lite.wire.zonefile import parse_rrsets

    def reply(qname: str, text: str) -> Message:
        query = Message.make_query(qname, "A", id=1)
        return query.make_response().replace(answer=tuple(parse_rrsets(text)))

    first = reply("a.example.", "a.example. 60 IN CNAME b.example.\n")
    asked: list[str] = []

    def resolve(name: Name, rrtype: int) -> Message:
        asked.append(name.to_text())
        assert rrtype == RRType.A
        return reply(name.to_text(), "b.example. 60 IN A 192.0.2.7\n")

    joined = _chase(first, Name.from_text("a.example."), RRType.A, resolve)
    assert isinstance(joined, Message)
    assert asked == ["b.example."]
    assert [r.rrtype for r in joined.answer] == [RRType.CNAME, RRType.A]
    # A complete answer is left alone.
    complete = reply("b.example.", "b.example. 60 IN A 192.0.2.7\n")
    assert _chase(complete, Name.from_text("b.example."), RRType.A, resolve) is complete
    assert asked == ["b.example."]


def test_forwarder_alias_with_denial_records_is_still_followed() -> None:
    """NSEC/NSEC3 records beside the alias (a proof about the target's zone)
    do not make the reply a negative answer: the target is asked for, and the
    earlier records join the final authority section (an SOA of the target's
    zone does end the chain)."""
    from dnssec_lite.replay.recorded import _chase
    from dnssec_lite.wire.message import Message
    from dnssec_lite.wire.name import Name
    from dnssec_lite.wire.types import RRType
    from dnssec_lite.wire.zonefile import parse_rrsets

    def reply(qname: str, answer: str, authority: str) -> Message:
        query = Message.make_query(qname, "A", id=1)
        return query.make_response().replace(
            answer=tuple(parse_rrsets(answer)), authority=tuple(parse_rrsets(authority))
        )

    first = reply(
        "a.example.",
        "a.example. 60 IN CNAME b.sub.example.\n",
        "sub.example. 60 IN NSEC z.example. NS RRSIG NSEC\n",
    )
    asked: list[str] = []

    def resolve(name: Name, rrtype: int) -> Message:
        asked.append(name.to_text())
        return reply(name.to_text(), "", "sub.example. 60 IN SOA ns. h. 1 2 3 4 5\n")

    joined = _chase(first, Name.from_text("a.example."), RRType.A, resolve)
    assert isinstance(joined, Message)
    assert asked == ["b.sub.example."]
    assert [r.rrtype for r in joined.answer] == [RRType.CNAME]
    assert sorted(r.rrtype for r in joined.authority) == sorted([RRType.SOA, RRType.NSEC])
    # An alias whose reply carries the SOA of the target's zone is complete.
    done = reply(
        "c.example.",
        "c.example. 60 IN CNAME d.example.\n",
        "example. 60 IN SOA ns. h. 1 2 3 4 5\n",
    )
    assert _chase(done, Name.from_text("c.example."), RRType.A, resolve) is not None
    assert asked == ["b.sub.example."]


@pytest.mark.parametrize(
    ("old", "new", "what"),
    [
        ("www.example.net. IN A 10.0.0.1", "www.example.net. IN A 10.0.1", "A rdata"),
        (
            "www.example.net. IN A\nSECTION ANSWER",
            "www.example.net. IN FOO\nSECTION ANSWER",
            "bad question field 'FOO'",
        ),
    ],
)
def test_bad_record_text_names_its_line_of_the_file(old: str, new: str, what: str) -> None:
    assert old in UNSIGNED
    text = UNSIGNED.replace(old, new, 1)
    line = text[: text.index(new)].count("\n") + 1 + new[: new.index("IN")].count("\n")
    result = run_scenario(parse_text(text, "hand.rpl"))
    assert result.outcome == "FAIL"
    assert result.reason.startswith(f"error: hand.rpl:{line}: ") and what in result.reason
