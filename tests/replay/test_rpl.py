"""Tests for the .rpl scenario parser and the replay macro expander."""

from __future__ import annotations

import collections
import csv
import re
from functools import cache
from pathlib import Path

import pytest

from dnssec_lite.errors import ReplayError
from dnssec_lite.replay.macros import expand
from dnssec_lite.replay.rpl import (
    SECTIONS,
    RRLine,
    Scenario,
    expected_outcomes,
    is_rpl,
    iter_entries,
    parse_file,
    parse_text,
)

ROOT = Path(__file__).resolve().parents[2]
PEER = ROOT / "vectors" / "peer"


@cache
def _index() -> tuple[dict[str, str], ...]:
    with open(PEER / "index.tsv", encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(fh, delimiter="\t"))


@cache
def _scenario(folder: str, name: str) -> Scenario:
    return parse_file(PEER / folder / name)


def _ids() -> list[str]:
    return [f"{row['dir']}/{row['file']}" for row in _index()]


# ---------------------------------------------------------------------------
# the whole corpus


def test_index_lists_241_files() -> None:
    rows = _index()
    assert len(rows) == 241
    counts = collections.Counter(row["dir"] for row in rows)
    assert counts == {"unbound": 147, "deckard": 94}


@pytest.mark.parametrize("ident", _ids())
def test_every_listed_file_parses_and_matches_index(ident: str) -> None:
    folder, name = ident.split("/")
    row = next(r for r in _index() if r["dir"] == folder and r["file"] == name)
    scen = _scenario(folder, name)
    kinds = collections.Counter(step.kind for step in scen.steps)
    assert " ".join(f"{k}={v}" for k, v in sorted(kinds.items())) == row["steps"]
    assert " ".join(expected_outcomes(scen)) == row["outcomes"]
    assert scen.title == row["title"]
    assert scen.path.endswith(name)
    data = (PEER / folder / name).read_bytes()
    assert is_rpl(data)


def test_corpus_invariants() -> None:
    anchors = 0
    for row in _index():
        scen = _scenario(row["dir"], row["file"])
        anchors += len(scen.config.trust_anchors)
        for rng in scen.ranges:
            assert rng.first <= rng.last
            assert rng.entries
        for entry in iter_entries(scen):
            assert set(entry.sections) == set(SECTIONS)
            for lines in entry.sections.values():
                for rr in lines:
                    assert ";" not in rr.text or '"' in rr.text
                    assert rr.text == rr.text.strip() and rr.text
                    assert rr.line > entry.line
        for step in scen.steps:
            needs_entry = step.kind in ("QUERY", "CHECK_ANSWER")
            assert (step.entry is not None) == needs_entry
            assert (step.file_text is not None) == (step.kind == "CHECK_AUTOTRUST")
        numbers = [s.number for s in scen.steps]
        assert numbers == sorted(set(numbers))
    # 252 "trust-anchor:" lines over the corpus
    assert anchors == 252


def test_is_rpl_rejects_other_files() -> None:
    assert not is_rpl(b"")
    assert not is_rpl(b"ENTRY_BEGIN\nREPLY QR\nSECTION QUESTION\n. IN NS\nENTRY_END\n")
    assert not is_rpl(b"SCENARIO_BEGIN x\nCONFIG_END\n")  # wrong order
    assert not is_rpl((PEER / "unbound" / "LICENSE").read_bytes())
    assert is_rpl(b"server:\nCONFIG_END\n\nSCENARIO_BEGIN t\nSCENARIO_END\n")


# ---------------------------------------------------------------------------
# spot checks on real files


def test_unbound_config_and_dates() -> None:
    scen = _scenario("unbound", "val_fwdds.rpl")
    cfg = scen.config
    assert cfg.val_override_date == 1189950146  # 20070916134226 UTC
    assert not cfg.ignore_signature_times
    assert cfg.trust_anchors == (
        RRLine(
            "example.com.    3600    IN      DS      2854 3 1 "
            "46e4ffc6e9a4793b488954bd3f0cc6af0dfb201b",
            4,
        ),
    )
    assert cfg.stub_zones == ((".", ("193.0.14.129",)),)  # '# K.ROOT...' cut
    assert cfg.forward_zones == (("sub.example.com.", ("1.2.3.6",)),)
    assert cfg.options["target-fetch-policy"] == ["0 0 0 0 0"]
    assert cfg.fake_sha1 and not cfg.fake_dsa
    assert [(r.first, r.last, r.addresses) for r in scen.ranges] == [
        (0, 100, ("193.0.14.129",)),
        (0, 100, ("192.5.6.30",)),
        (0, 100, ("1.2.3.4",)),
        (0, 100, ("1.2.3.6",)),
    ]


def test_two_stub_zones_and_clause_options() -> None:
    cfg = _scenario("unbound", "val_stub_noroot.rpl").config
    assert cfg.stub_zones == ((".", ("81.187.81.187",)), ("lp0.eu.", ("81.2.80.65",)))
    assert cfg.options["stub-prime"] == ["no"]
    assert cfg.val_override_date == 1284376500  # 20100913111500


def test_deckard_flat_config() -> None:
    scen = _scenario("deckard", "val_ta_sentinel.rpl")
    cfg = scen.config
    assert [a.text for a in cfg.trust_anchors] == [
        ". IN DS 48409 8 2 3D63A0C25BCE86621DE63636F11B35B908EFE8E9381E0E3E9DEFD89EA952C27D",
        "example. IN DS 4759 8 2 3384CAE149834F17054DD9150E8C33D3979C4092F5C1B8D35E17A3C36A83810F",
    ]
    assert cfg.val_override_date == 1527811200  # 20180601000000
    assert cfg.stub_zones == ((".", ("2001:503:ba3e::2:30",)),)
    assert cfg.options["stub-name"] == ["rootns."]
    assert not cfg.qname_minimisation  # query-minimization: off
    first = scen.ranges[0]
    assert (first.first, first.last) == (1, 1000)
    assert first.addresses == ("2001:503:ba3e::2:30", "198.41.0.4")
    entry = first.entries[0]
    assert entry.match == frozenset({"opcode", "question"})
    assert entry.adjust == frozenset({"copy_id"})
    assert entry.reply == frozenset({"NOERROR", "QR", "AA", "DO"})
    assert entry.sections["QUESTION"][0].text == ". IN SOA"


def test_deckard_timestamp_title_and_domain_insecure() -> None:
    scen = _scenario("deckard", "world_mx_nic_www.rpl")
    assert scen.title == "www.nic.mx. CNAME kresd issue #144"
    assert scen.config.domain_insecure == ("mx-ns.mx.",)
    assert scen.config.stub_zones == ((".", ("2001:dc3::35",)),)
    assert scen.config.val_override_date == 1485280999  # 20170124180319
    # no stub at all: the original relied on built-in root hints
    assert _scenario("deckard", "world_cz_lidovky_www.rpl").config.stub_zones == ()


def test_override_date_variants() -> None:
    cfg = _scenario("unbound", "val_nsec3_cnametocnamewctoposwc.rpl").config
    assert cfg.ignore_signature_times and cfg.val_override_date is None
    # single-quoted value
    cfg = _scenario("unbound", "autotrust_revtp_read.rpl").config
    assert cfg.val_override_date == 1255864500  # 20091018111500
    # autotrust files use the simulated clock
    assert _scenario("unbound", "autotrust_init.rpl").config.val_override_date is None


def test_trust_anchor_with_parentheses() -> None:
    cfg = _scenario("unbound", "val_nsec3_b1_nameerror.rpl").config
    (anchor,) = cfg.trust_anchors
    assert anchor.text.startswith("example. DNSKEY  257 3 7 AwEAAcUlFV1vhmqx6NSOUOq2R/dsR7Xm3upJ (")
    assert anchor.text.endswith("AbsUdblMFin8CVF3n4s= )")
    assert cfg.val_override_date == 1334966399  # 20120420235959


def test_autotrust_file_and_steps() -> None:
    scen = _scenario("unbound", "autotrust_init.rpl")
    content = scen.config.autotrust_files["example.com"]
    lines = content.splitlines()
    assert len(lines) == 2 and content.endswith("\n")
    assert lines[0].startswith("example.com.\t10800\tIN\tDNSKEY\t257 3 5 AwEAAc3Z5DQ")
    assert lines[0].endswith(";{id = 55582 (ksk), size = 512b}")  # raw text kept
    steps = {s.number: s for s in scen.steps}
    assert steps[5].args == ("ELAPSE", "1251100000")
    assert steps[6].args == ("t0", "${time}")
    assert steps[7].args == ("probe", "${range 4800 ${timeout} 5400}")
    assert steps[40].args == ("EVAL", "${$probe}")
    check = steps[8]
    assert check.kind == "CHECK_AUTOTRUST" and check.args == ("example.com",)
    assert check.line == 112
    assert check.file_text is not None
    text_lines = check.file_text.splitlines()
    assert text_lines[0] == "; autotrust trust anchor file"
    assert text_lines[4] == ";;next_probe_time: ${$t0 + $probe} ;;${ctime $t0 + $probe}"
    assert scen.config.trust_anchors == ()


def test_stray_range_end_and_ede_match() -> None:
    scen = _scenario("unbound", "autotrust_probefail.rpl")  # has a doubled RANGE_END
    assert len(scen.ranges) == 3
    scen = _scenario("unbound", "autotrust_init_failsig.rpl")
    matches = {m for s in scen.steps if s.entry for m in s.entry.match}
    assert "ede=any" in matches


def test_quotes_and_comments_in_records() -> None:
    scen = _scenario("unbound", "val_any.rpl")
    texts = [rr.text for e in iter_entries(scen) for rr in e.sections["ANSWER"]]
    assert 'example.com.    86400   IN      TXT     "Stichting NLnet Labs"' in texts
    assert (
        'example.com.    600     IN      NAPTR   20 0 "s" "SIP+D2U" "" _sip._udp.example.com.'
        in texts
    )
    # the ";{id = 2854}" trailers are comments
    assert not any("{id" in t for t in texts)
    assert any(
        t.endswith("MC0CFE8qs66bzuOyKmTIacamrmqabMRzAhUAn0MujX1LB0UpTHuLMgdgMgJJlq4=")
        for t in texts
    )


def test_deckard_mandatory_entry() -> None:
    scen = _scenario("deckard", "val_cname_to_unsigned.rpl")
    marked = [e for e in iter_entries(scen) if e.mandatory]
    assert len(marked) == 1 and marked[0].line == 116


# ---------------------------------------------------------------------------
# synthetic inputs

_HEAD = 'server:\n\tval-override-date: "20070916134226"\nCONFIG_END\nSCENARIO_BEGIN test\n'


def test_multiline_record_and_quoted_semicolon() -> None:
    text = _HEAD + (
        "RANGE_BEGIN 0 10\n"  # line 5
        "ENTRY_BEGIN\n"
        "MATCH opcode qtype qname TCP\n"
        "ADJUST copy_id\n"
        "REPLY QR aa NOERROR\n"
        "SECTION QUESTION\n"  # line 10
        "example. IN SOA\n"
        "SECTION ANSWER\n"
        "example. 3600 IN SOA ns.example. host.example. ( ; serial follows\n"
        "    2007 ; serial\n"
        "\n"  # line 15
        "    3600 300 3600000 3600 )\n"
        'example. TXT "a;b" "c\\"d;e" ; real comment\n'
        "$ORIGIN example.\n"
        "www 300 A 192.0.2.1\n"
        "ENTRY_END\n"  # line 20
        "RANGE_END\n"
        "STEP 1 QUERY\n"
        "ENTRY_BEGIN\n"
        "REPLY RD DO\n"
        "SECTION QUESTION\n"
        "example. IN SOA\n"
        "ENTRY_END\n"
        "STEP 2 CHECK_ANSWER\n"
        "ENTRY_BEGIN\n"
        "MATCH all\n"
        "REPLY QR RD RA AD NOERROR\n"
        "ENTRY_END\n"
        "SCENARIO_END\n"
    )
    scen = parse_text(text, "mem.rpl")
    entry = scen.ranges[0].entries[0]
    assert entry.line == 6
    assert entry.match == frozenset({"opcode", "qtype", "qname", "tcp"})
    assert entry.reply == frozenset({"QR", "AA", "NOERROR"})
    answer = entry.sections["ANSWER"]
    assert answer[0] == RRLine(
        "example. 3600 IN SOA ns.example. host.example. ( 2007 3600 300 3600000 3600 )", 13
    )
    assert answer[1] == RRLine('example. TXT "a;b" "c\\"d;e"', 17)
    assert answer[2] == RRLine("www 300 A 192.0.2.1", 19)
    assert entry.origin == "example."
    # $ORIGIN carries over to later entries, as in Unbound
    assert scen.steps[0].entry is not None and scen.steps[0].entry.origin == "example."
    assert expected_outcomes(scen) == ["secure"]
    assert scen.config.val_override_date == 1189950146


def test_hex_answer_extra_packet_and_raw() -> None:
    text = _HEAD + (
        "RANGE_BEGIN 0 10\n"
        "  ADDRESS 192.0.2.1\n"
        "ENTRY_BEGIN\n"
        "REPLY QR\n"
        "SECTION QUESTION\n"
        "example. IN AXFR\n"
        "EXTRA_PACKET\n"
        "REPLY QR AA\n"
        "SECTION ANSWER\n"
        "example. SOA a. b. 1 2 3 4 5\n"
        "ENTRY_END\n"
        "ENTRY_BEGIN\n"
        "HEX_ANSWER_BEGIN\n"
        "  00 01 80 00 ; id and flags\n"
        "  0000 0000 0000 0000\n"
        "HEX_ANSWER_END\n"
        "HEX_EDNSDATA_BEGIN\n"
        "00 0f 00 02 00 06\n"
        "HEX_EDNSDATA_END\n"
        "ENTRY_END\n"
        "ENTRY_BEGIN\n"
        "ADJUST raw_id\n"
        "RAW\n"
        "abcd\n"
        "ENTRY_END\n"
        "RANGE_END\n"
        "SCENARIO_END\n"
    )
    scen = parse_text(text)
    first, second, third = scen.ranges[0].entries
    assert scen.ranges[0].addresses == ("192.0.2.1",)
    assert first.sections["QUESTION"][0].text == "example. IN AXFR"
    assert first.sections["ANSWER"] == ()
    (extra,) = first.extra_packets
    assert extra.reply == frozenset({"QR", "AA"})
    assert extra.sections["ANSWER"][0].text == "example. SOA a. b. 1 2 3 4 5"
    assert second.raw_hex == bytes.fromhex("000180000000000000000000")
    assert second.edns_data == bytes.fromhex("000f00020006")
    assert third.raw_hex == b"\xab\xcd"
    assert third.adjust == frozenset({"raw_id"})


def test_config_forms() -> None:
    text = (
        "; comment\n"
        "server:\n"
        '\ttrust-anchor: "example.  DS 1 8 2 AB ; id = 1"  # trailing comment\n'
        '\ttrust-anchor-file: "root.key"\n'
        "\tauto-trust-anchor-file: 'auto.key'\n"
        '\tdomain-insecure: "sub.example"\n'
        "\tqname-minimisation: yes\n"
        "\taccess-control: 127.0.0.0/8 allow_snoop\n"
        '\tdirectory: ""\n'
        "forward-zone:\n"
        '\tname: "example.net."\n'
        "\tforward-addr: 192.0.2.7\n"
        '\tforward-addr: "2001:db8::7"\n'
        "auth-zone:\n"
        '\tname: "example.org"\n'
        "AUTOTRUST_FILE example.\n"
        ";;id: example. 1\n"
        "example. 10800 IN DNSKEY 257 3 8 AAAA ;;state=2 [  VALID  ] ;;count=0\n"
        "AUTOTRUST_END\n"
        "CONFIG_END\n"
        "SCENARIO_BEGIN forms\n"
        "SCENARIO_END\n"
    )
    cfg = parse_text(text).config
    assert cfg.trust_anchors == (RRLine("example.  DS 1 8 2 AB", 3),)
    assert cfg.trust_anchor_files == ("root.key", "auto.key")
    assert cfg.domain_insecure == ("sub.example.",)
    assert cfg.qname_minimisation
    assert cfg.options["access-control"] == ["127.0.0.0/8 allow_snoop"]
    assert cfg.options["directory"] == [""]
    assert cfg.options["auth-zone.name"] == ["example.org"]
    assert cfg.forward_zones == (("example.net.", ("192.0.2.7", "2001:db8::7")),)
    assert cfg.stub_zones == ()
    assert cfg.val_override_date is None
    assert cfg.autotrust_files == {
        "example.": ";;id: example. 1\n"
        "example. 10800 IN DNSKEY 257 3 8 AAAA ;;state=2 [  VALID  ] ;;count=0\n"
    }


def test_deckard_override_timestamp_and_minus_one() -> None:
    base = "CONFIG_END\nSCENARIO_BEGIN t\nSCENARIO_END\n"
    cfg = parse_text("val-override-timestamp: 1437625000\nstub-addr: 1.2.3.4\n" + base).config
    assert cfg.val_override_date == 1437625000
    assert cfg.stub_zones == ((".", ("1.2.3.4",)),)
    cfg = parse_text('val-override-date: "-1"\n' + base).config
    assert cfg.ignore_signature_times and cfg.val_override_date is None


def test_step_variants() -> None:
    text = _HEAD + (
        "STEP 1 QUERY ADDRESS 10.0.0.1\n"
        "ENTRY_BEGIN\nREPLY RD CD\nSECTION QUESTION\nexample. IN A\nENTRY_END\n"
        "STEP 2 CHECK_ANSWER\n"
        "ENTRY_BEGIN\nREPLY QR RD RA CD SERVFAIL\nENTRY_END\n"
        "STEP 3 QUERY\n"
        "ENTRY_BEGIN\nREPLY RD\nSECTION QUESTION\nexample. IN A\nENTRY_END\n"
        "STEP 4 CHECK_ANSWER\n"
        "ENTRY_BEGIN\nREPLY QR RD RA SERVFAIL\nENTRY_END\n"
        "STEP 5 QUERY\n"
        "ENTRY_BEGIN\nREPLY RD\nSECTION QUESTION\nexample. IN A\nENTRY_END\n"
        "STEP 6 CHECK_ANSWER\n"
        "ENTRY_BEGIN\nREPLY QR RD RA NOERROR\nENTRY_END\n"
        "STEP 7 QUERY\n"
        "ENTRY_BEGIN\nREPLY RD AD\nSECTION QUESTION\nexample. IN A\nENTRY_END\n"
        "STEP 8 CHECK_ANSWER\n"
        "ENTRY_BEGIN\nREPLY QR RD RA NXDOMAIN\nENTRY_END\n"
        "STEP 9 TIME_PASSES ELAPSE 0.05 ; comment\n"
        "STEP 10 TRAFFIC ; the probes happen\n"
        "STEP 11 NOTHING\n"
        "STEP 12 CHECK_TEMPFILE x.tmp\n"
        "FILE_BEGIN\n"
        "  ; kept verbatim ${time}\n"
        "FILE_END\n"
        "SCENARIO_END\n"
    )
    scen = parse_text(text)
    assert scen.steps[0].args == ("ADDRESS", "10.0.0.1")
    assert expected_outcomes(scen) == ["cd", "bogus", "noDO", "insecure"]
    assert scen.steps[8].args == ("ELAPSE", "0.05")
    assert scen.steps[9].args == ()
    assert scen.steps[11].file_text == "  ; kept verbatim ${time}\n"


# ---------------------------------------------------------------------------
# malformed inputs

_BAD = [
    ("server:\nSCENARIO_BEGIN x\n", 2, "before CONFIG_END"),
    ("server:\n", None, "no CONFIG_END"),
    ("CONFIG_END\nRANGE_BEGIN 0 1\n", 2, "SCENARIO_BEGIN"),
    ("CONFIG_END\nSCENARIO_BEGIN x\n", None, "SCENARIO_END"),
    ("CONFIG_END\nSCENARIO_BEGIN x\nENTRY_BEGIN\nENTRY_END\nSCENARIO_END\n", 3, "unknown keyword"),
    ("CONFIG_END\nSCENARIO_BEGIN x\nFOO bar\nSCENARIO_END\n", 3, "unknown keyword 'FOO'"),
    (
        "CONFIG_END\nSCENARIO_BEGIN x\nRANGE_BEGIN 5\nRANGE_END\nSCENARIO_END\n",
        3,
        "bad range numbers",
    ),
    (
        "CONFIG_END\nSCENARIO_BEGIN x\nRANGE_BEGIN 9 2\nRANGE_END\nSCENARIO_END\n",
        3,
        "bad range numbers",
    ),
    (
        "CONFIG_END\nSCENARIO_BEGIN x\nRANGE_BEGIN a b\nRANGE_END\nSCENARIO_END\n",
        3,
        "bad range numbers",
    ),
    (
        "CONFIG_END\nSCENARIO_BEGIN x\nRANGE_BEGIN 0 9\nENTRY_BEGIN\nREPLY QR\n",
        4,
        "unterminated ENTRY",
    ),
    (
        "CONFIG_END\nSCENARIO_BEGIN x\nRANGE_BEGIN 0 9\nENTRY_BEGIN\nRANGE_END\nSCENARIO_END\n",
        4,
        "unterminated ENTRY",
    ),
    ("CONFIG_END\nSCENARIO_BEGIN x\nRANGE_BEGIN 0 9\n\n", 3, "unterminated RANGE"),
    (
        "CONFIG_END\nSCENARIO_BEGIN x\nRANGE_BEGIN 0 9\nREPLY QR\nRANGE_END\n",
        4,
        "expected ENTRY_BEGIN",
    ),
    ("CONFIG_END\nSCENARIO_BEGIN x\nSTEP 1 QUERY\nSTEP 2 CHECK_ANSWER\n", 4, "without entry"),
    ("CONFIG_END\nSCENARIO_BEGIN x\nSTEP 1 QUERY\n", 3, "without entry"),
    ("CONFIG_END\nSCENARIO_BEGIN x\nSTEP 1 FROB\nSCENARIO_END\n", 3, "unknown step type 'FROB'"),
    ("CONFIG_END\nSCENARIO_BEGIN x\nSTEP x QUERY\nSCENARIO_END\n", 3, "bad STEP line"),
    (
        "CONFIG_END\nSCENARIO_BEGIN x\nSTEP 2 NOTHING\nSTEP 1 NOTHING\nSCENARIO_END\n",
        4,
        "must increase",
    ),
    ("CONFIG_END\nSCENARIO_BEGIN x\nSTEP 1 ASSIGN x\nSCENARIO_END\n", 3, "bad ASSIGN"),
    ("CONFIG_END\nSCENARIO_BEGIN x\nSTEP 1 TIME_PASSES SOON\nSCENARIO_END\n", 3, "bad TIME_PASSES"),
    ("CONFIG_END\nSCENARIO_BEGIN x\nSTEP 1 CHECK_AUTOTRUST a.\nSCENARIO_END\n", 4, "FILE_BEGIN"),
    ("CONFIG_END\nSCENARIO_BEGIN x\nSTEP 1 CHECK_AUTOTRUST a.\nFILE_BEGIN\nxx\n", 4, "FILE_END"),
    ("CONFIG_END\nSCENARIO_BEGIN x\nSCENARIO_END\nSTEP 1 NOTHING\n", 4, "after SCENARIO_END"),
    ('server:\n\tval-override-date: "20071316134226"\nCONFIG_END\n', 2, "val-override-date"),
    ('server:\n\tval-override-date: "yesterday"\nCONFIG_END\n', 2, "val-override-date"),
    ("server:\n\tjust words\nCONFIG_END\n", 2, "bad config line"),
    ("stub-zone:\n\tstub-addr: 1.2.3.4\nCONFIG_END\n", 1, "without name"),
    ("AUTOTRUST_FILE x.\nx. DNSKEY 257 3 8 AA\nCONFIG_END\n", 1, "AUTOTRUST_END"),
    (
        "CONFIG_END\nSCENARIO_BEGIN x\nRANGE_BEGIN 0 9\nENTRY_BEGIN\nSECTION ANSWER\n"
        "a. SOA b. c. ( 1 2\nENTRY_END\nRANGE_END\nSCENARIO_END\n",
        6,
        "unbalanced '('",
    ),
    (
        "CONFIG_END\nSCENARIO_BEGIN x\nRANGE_BEGIN 0 9\nENTRY_BEGIN\nSECTION FOO\n",
        5,
        "bad SECTION",
    ),
    (
        "CONFIG_END\nSCENARIO_BEGIN x\nRANGE_BEGIN 0 9\nENTRY_BEGIN\nHEX_ANSWER_BEGIN\nzz\n"
        "HEX_ANSWER_END\nENTRY_END\nRANGE_END\nSCENARIO_END\n",
        5,
        "bad hex",
    ),
]


@pytest.mark.parametrize(("text", "line", "what"), _BAD)
def test_malformed_input_raises(text: str, line: int | None, what: str) -> None:
    with pytest.raises(ReplayError) as info:
        parse_text(text, "bad.rpl")
    err = info.value
    assert err.path == "bad.rpl"
    assert err.line == line, str(err)
    assert what in err.what, str(err)
    if line is not None:
        assert str(err).startswith(f"bad.rpl:{line}: ")


def test_parse_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ReplayError, match="cannot read"):
        parse_file(tmp_path / "missing.rpl")
    bad = tmp_path / "latin1.rpl"
    bad.write_bytes(b"CONFIG_END\nSCENARIO_BEGIN caf\xe9\nSCENARIO_END\n")
    with pytest.raises(ReplayError) as info:
        parse_file(bad)
    assert info.value.line == 2


def test_expected_outcomes_needs_query() -> None:
    text = (
        "CONFIG_END\nSCENARIO_BEGIN x\nSTEP 1 CHECK_ANSWER\nENTRY_BEGIN\nENTRY_END\nSCENARIO_END\n"
    )
    with pytest.raises(ReplayError, match="without a preceding QUERY"):
        expected_outcomes(parse_text(text))


# ---------------------------------------------------------------------------
# macros

_VARS: dict[str, int | str] = {"bla": "ww", "t1": "123456", "x": "1", "y": 2}


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("", ""),
        ("no macro $here", "no macro $here"),
        ("${}", ""),
        ("blabla ${} dinges", "blabla  dinges"),
        ("1${$bla}2${$bla}3", "1ww2ww3"),
        ("it is ${ctime 123456}", "it is Fri Jan  2 10:17:36 1970"),
        ("it is ${ctime ${$t1}}", "it is Fri Jan  2 10:17:36 1970"),
        ("it is ${ctime $t1}", "it is Fri Jan  2 10:17:36 1970"),
        ("${ctime 1251100000}", "Mon Aug 24 07:46:40 2009"),
        ("${$x + $x}", "2"),
        ("${$x - $x}", "0"),
        ("${$y * $y}", "4"),
        ("${32 / $y + $x + $y}", "19"),  # left to right, no precedence
        ("${2 + 3 * 4}", "20"),
        ("${32 / ${$y+$y} + ${${100*3}/3}}", "108"),  # nested = brackets
        ("${1 2 33 2 1}", "1 2 33 2 1"),
        ("${123 3 + 5}", "123 8"),
        ("${123 glug 3 + 5}", "123 glug 8"),
        ("${7 / 2}", "3.5"),
        ("${5 - 10 + 3}", "-2"),
        ("${30*24*3600}", "2592000"),
        ("now ${time}, next ${$t1 + ${timeout}}", "now 1000, next 128656"),
        ("${range 4800 ${timeout} 5400}", "5200"),
        (
            ";;next_probe_time: ${$t1 + $y} ;;${ctime $t1 + $y}",
            ";;next_probe_time: 123458 ;;Fri Jan  2 10:17:38 1970",
        ),
    ],
)
def test_macro_expansion(text: str, result: str) -> None:
    assert expand(text, _VARS, 1000, lambda: 5200) == result


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("${$nope}", "not defined"),
        ("${range 1 ${timeout} 3}", "not in [1, 3]"),
        ("${range 1 2}", "3 numbers"),
        ("${ctime abc}", "expected a number"),
        ("${1 / 0}", "division by zero"),
        ("text ${1 + 2", "unterminated"),
        ("${timeout}", "timer"),
    ],
)
def test_macro_errors(text: str, what: str) -> None:
    timeout = (lambda: 5200) if "range" in text else None
    with pytest.raises(ReplayError) as info:
        expand(text, _VARS, 1000, timeout, path="f.rpl", line=7)
    assert what in info.value.what
    assert (info.value.path, info.value.line) == ("f.rpl", 7)


def test_autotrust_files_expand_with_simulated_clock() -> None:
    """Walk each autotrust scenario's steps: every macro must expand."""
    checked = 0
    for row in _index():
        scen = _scenario(row["dir"], row["file"])
        if not any(s.kind == "CHECK_AUTOTRUST" for s in scen.steps):
            continue
        now = 0
        variables: dict[str, int | str] = {}
        for step in scen.steps:
            if step.kind == "TIME_PASSES":
                how, arg = step.args
                value = expand(arg, variables, now) if how == "EVAL" else arg
                now += int(float(value))
            elif step.kind == "ASSIGN":
                name, expr = step.args
                low = re.search(r"range\s+(\d+)", expr)
                probe = int(low.group(1)) if low else 3600

                def timer(value: int = probe) -> int:
                    return value

                variables[name] = expand(expr, variables, now, timer)
            elif step.file_text is not None:
                text = expand(step.file_text, variables, now, path=scen.path, line=step.line)
                assert "${" not in text
                checked += 1
        assert now >= 1251100000
    assert checked == 68
