"""The environment itself works: checked with real tools only (dig, delv, Unbound)."""

from __future__ import annotations

import os
import re
import subprocess
import time

import pytest

from .dnsenv import (
    CASE_ZONES,
    EXPECTED,
    Answer,
    DnsEnv,
    LatencyProxy,
    StrippingProxy,
    ToolError,
    build_query,
    parse_dig_output,
    run_tool,
    strip_records,
    udp_exchange,
)

pytestmark = pytest.mark.e2e

SECURE_ZONES = ("rsa.test", "ecdsa.test", "ed.test")
SECTIONS = ("answer", "authority", "additional")


def ask(env: DnsEnv, name: str, rrtype: str = "A", *, cd: bool = False) -> Answer:
    """Ask the validating Unbound (DO set; CD if asked)."""
    return env.unbound_answer(name, rrtype, cd=cd)


def auth(env: DnsEnv, zone: str, name: str, rrtype: str) -> Answer:
    """Ask the authoritative server of ``zone`` directly, without recursion."""
    server = (env.auth_servers[zone], 53)
    return parse_dig_output(env.dig("+norec", "+dnssec", name, rrtype, server=server))


# ---------------------------------------------------------------- verdicts


@pytest.mark.parametrize("zone", CASE_ZONES)
def test_unbound_verdict_matches_case(dnsenv: DnsEnv, zone: str) -> None:
    case = dnsenv.cases[zone]
    answer = ask(dnsenv, case.probe, case.probe_type)
    assert answer.status == case.expected, (case, answer.text)


@pytest.mark.parametrize("zone", CASE_ZONES)
def test_delv_agrees_through_plain_resolver(dnsenv: DnsEnv, zone: str) -> None:
    case = dnsenv.cases[zone]
    result = dnsenv.delv(case.probe, case.probe_type)
    assert result.status == case.expected, (case, result.text)


def test_case_table_covers_all_verdicts(dnsenv: DnsEnv) -> None:
    verdicts = {case.expected for case in dnsenv.cases.values()}
    assert verdicts == {"secure", "insecure", "bogus"}
    assert set(dnsenv.cases) == set(CASE_ZONES)
    assert {zone: case.expected for zone, case in dnsenv.cases.items()} == EXPECTED


@pytest.mark.parametrize("zone", [z for z, verdict in EXPECTED.items() if verdict == "bogus"])
def test_bogus_cases_carry_ede_and_cd_bypasses(dnsenv: DnsEnv, zone: str) -> None:
    case = dnsenv.cases[zone]
    answer = ask(dnsenv, case.probe, case.probe_type)
    assert answer.rcode == "SERVFAIL"
    assert answer.ede, answer.text  # Unbound explains itself (ede: yes)
    raw = ask(dnsenv, case.probe, case.probe_type, cd=True)
    assert raw.rcode == "NOERROR", raw.text
    assert "A" in raw.types(), raw.text
    assert "ad" not in raw.flags


def test_tampered_data_is_served_with_cd(dnsenv: DnsEnv) -> None:
    raw = ask(dnsenv, "mail.tampered.test", cd=True)
    assert any(row.endswith(" 203.0.113.66") for row in raw.answer), raw.text
    assert "RRSIG" in raw.types()
    stripped = ask(dnsenv, "mail.stripped.test", cd=True)
    assert "RRSIG" not in stripped.types(), stripped.text


# ------------------------------------------------------ answers of all shapes


@pytest.mark.parametrize("zone", SECURE_ZONES)
def test_secure_zone_answers(dnsenv: DnsEnv, zone: str) -> None:
    positive = ask(dnsenv, f"mail.{zone}", "AAAA")
    assert positive.status == "secure" and "AAAA" in positive.types()

    nxdomain = ask(dnsenv, f"no-such-name.{zone}")
    assert nxdomain.rcode == "NXDOMAIN" and "ad" in nxdomain.flags, nxdomain.text

    nodata = ask(dnsenv, f"mail.{zone}", "TXT")
    assert nodata.rcode == "NOERROR" and not nodata.answer and "ad" in nodata.flags

    ent = ask(dnsenv, f"b.c.{zone}", "TXT")  # empty non-terminal
    assert ent.rcode == "NOERROR" and not ent.answer and "ad" in ent.flags, ent.text
    below = ask(dnsenv, f"a.b.c.{zone}", "TXT")
    assert below.status == "secure" and "TXT" in below.types()

    wild = ask(dnsenv, f"anything.wild.{zone}")
    assert wild.status == "secure", wild.text
    rrsig = next(row for row in wild.answer if row.split()[3] == "RRSIG")
    # RRSIG labels field counts *.wild.<zone> without the "*": fewer than the owner's.
    assert int(rrsig.split()[6]) == len(f"wild.{zone}".split("."))

    chain = ask(dnsenv, f"www.{zone}")
    assert chain.status == "secure" and chain.types().count("CNAME") == 1
    assert "A" in chain.types()

    tlsa = ask(dnsenv, f"_25._tcp.mail.{zone}", "TLSA")
    assert tlsa.status == "secure" and "TLSA" in tlsa.types()

    mx = ask(dnsenv, zone, "MX")
    assert mx.status == "secure" and any(r.endswith(f" 10 mail.{zone}.") for r in mx.answer)


@pytest.mark.parametrize("zone", SECURE_ZONES)
def test_cname_chains_leaving_the_zone(dnsenv: DnsEnv, zone: str) -> None:
    out = ask(dnsenv, f"cname-out.{zone}")
    assert out.rcode == "NOERROR" and "ad" not in out.flags, out.text
    assert out.types().count("CNAME") == 2 and "A" in out.types()
    bogus = ask(dnsenv, f"cname-bogus.{zone}")
    assert bogus.rcode == "SERVFAIL", bogus.text


def test_nsec3_opt_out_shapes(dnsenv: DnsEnv) -> None:
    # Every NSEC3 of nsec3.test has the opt-out flag: an NXDOMAIN proof there
    # cannot exclude an unsigned delegation, so Unbound calls it insecure.
    nx = ask(dnsenv, "no-such-name.nsec3.test")
    assert nx.rcode == "NXDOMAIN" and "ad" not in nx.flags, nx.text
    assert "NSEC3" in nx.types("authority")
    assert ask(dnsenv, "mail.nsec3.test").status == "secure"
    under = ask(dnsenv, "mail.insecure.nsec3.test")
    assert under.rcode == "NOERROR" and under.status == "insecure"
    referral = auth(dnsenv, "nsec3.test.", "mail.insecure.nsec3.test", "A")
    assert "aa" not in referral.flags
    assert "NS" in referral.types("authority") and "DS" not in referral.types("authority")
    nsec3 = [r for r in referral.authority if r.split()[3] == "NSEC3"]
    assert nsec3 and nsec3[0].split()[5] == "1", referral.text  # opt-out flag


def test_high_iteration_nsec3_zone(dnsenv: DnsEnv) -> None:
    assert ask(dnsenv, "mail.iter.test").status == "secure"
    nx = ask(dnsenv, "nonexistent.iter.test")
    assert nx.rcode == "NXDOMAIN" and "ad" not in nx.flags
    param = auth(dnsenv, "iter.test.", "iter.test", "NSEC3PARAM")
    assert param.answer and param.answer[0].split()[6] == "200", param.text


# ----------------------------------------------------- authoritative servers


def test_every_zone_has_its_own_authoritative_server(dnsenv: DnsEnv) -> None:
    addresses = list(dnsenv.auth_servers.values())
    assert len(set(addresses)) == len(addresses)
    for zone in dnsenv.auth_servers:
        soa = auth(dnsenv, zone, zone, "SOA")
        assert soa.rcode == "NOERROR" and "aa" in soa.flags, soa.text
        # One RRSIG per signing algorithm (a zone signed with two has two).
        assert soa.types()[:1] == ["SOA"] and set(soa.types()[1:]) <= {"RRSIG"}, soa.text


def test_root_refers_to_test_with_ds(dnsenv: DnsEnv) -> None:
    ref = auth(dnsenv, ".", "mail.rsa.test", "A")
    assert ref.rcode == "NOERROR" and "aa" not in ref.flags and not ref.answer
    assert {"NS", "DS", "RRSIG"} <= set(ref.types("authority")), ref.text
    assert any(r.startswith("ns.test. ") for r in ref.additional)  # glue


@pytest.mark.parametrize("zone", CASE_ZONES)
def test_parent_refers_to_each_case(dnsenv: DnsEnv, zone: str) -> None:
    case = dnsenv.cases[zone]
    parent = zone.split(".", 1)[1] + "."
    ref = auth(dnsenv, parent, f"mail.{zone}", "A")
    assert "aa" not in ref.flags and not ref.answer, ref.text
    assert f"{zone}." in [r.split()[0] for r in ref.authority if r.split()[3] == "NS"]
    glue = [r for r in ref.additional if r.split()[3] == "A"]
    assert glue and glue[0].split()[4] == case.address, ref.text
    has_ds = "DS" in ref.types("authority")
    signed_child = zone not in ("unsigned.test", "insecure.nsec3.test")
    assert has_ds == signed_child, ref.text


def test_trust_anchor_matches_served_root_key(dnsenv: DnsEnv) -> None:
    keys = dnsenv.dig("+norec", "DNSKEY", ".", server=(dnsenv.auth_servers["."], 53))
    proc = subprocess.run(
        ["dnssec-dsfromkey", "-a", "SHA-256", "-f", "-", "."],
        input=keys,
        capture_output=True,
        text=True,
        check=True,
    )
    anchor = dnsenv.anchor_path.read_text().split()
    assert anchor[2:4] == ["DS", anchor[3]] and anchor[0] == "."
    assert " ".join(anchor[-4:]) in proc.stdout.upper(), (anchor, proc.stdout)
    dnskey = dnsenv.anchor_dnskey_path.read_text().split()
    assert "DNSKEY" in dnskey and "257" in dnskey
    assert "static-key" in dnsenv.anchor_bind_path.read_text()


def test_root_hints_file(dnsenv: DnsEnv) -> None:
    rows = [
        line.split()
        for line in dnsenv.root_hints_path.read_text().splitlines()
        if line and not line.startswith(";")
    ]
    assert rows[0][0] == "." and rows[0][2] == "NS"
    assert rows[1][2] == "A" and rows[1][3] == dnsenv.auth_servers["."]


def test_servers_run_under_our_pids(dnsenv: DnsEnv) -> None:
    assert len(dnsenv.pids) == len(dnsenv.auth_servers) + 2
    for pid in dnsenv.pids:
        os.kill(pid, 0)  # raises if gone


# ------------------------------------------------------------------ proxies


def has_rrsig(dig_text: str) -> bool:
    answer = parse_dig_output(dig_text)
    return any("RRSIG" in answer.types(section) for section in SECTIONS)


def test_stripping_proxy_removes_rrsigs(dnsenv: DnsEnv) -> None:
    direct = ask(dnsenv, "rsa.test", "MX")
    assert has_rrsig(direct.text)
    with StrippingProxy(("127.0.0.1", 0), dnsenv.unbound_addr) as proxy:
        for transport in ("+notcp", "+tcp"):
            text = dnsenv.dig(transport, "+dnssec", "rsa.test", "MX", server=proxy.addr)
            flat = " ".join(text.split())
            assert not has_rrsig(text), text
            assert re.search(r"rsa\.test\. \d+ IN MX 10 mail\.rsa\.test\.", flat), text
        # A negative answer: compressed SOA rdata must survive the rewrite.
        text = dnsenv.dig("+dnssec", "no-such-name.ed.test", "A", server=proxy.addr)
        flat = " ".join(text.split())
        assert "status: NXDOMAIN" in flat and not has_rrsig(text), text
        assert re.search(r"IN SOA ns\.ed\.test\. hostmaster\.ed\.test\. 1 ", flat), text
        assert "IN NSEC " in flat, text
        assert proxy.queries == 3


def test_latency_proxy_adds_delay(dnsenv: DnsEnv) -> None:
    def timed(server: tuple[str, int]) -> float:
        t0 = time.monotonic()
        text = dnsenv.dig("+dnssec", "mail.rsa.test", "A", server=server)
        assert "status: NOERROR" in text
        return time.monotonic() - t0

    timed(dnsenv.unbound_addr)  # warm the cache
    direct = min(timed(dnsenv.unbound_addr) for _ in range(3))
    with LatencyProxy(("127.0.0.1", 0), dnsenv.unbound_addr, 200) as proxy:
        delayed = [timed(proxy.addr) for _ in range(3)]
        assert proxy.queries == 3
    assert min(delayed) >= 0.2, delayed
    assert min(delayed) - direct >= 0.18, (direct, delayed)
    assert max(delayed) < direct + 1.0, (direct, delayed)


def test_stripped_message_matches_original_without_rrsigs(dnsenv: DnsEnv) -> None:
    """strip_records keeps every other record intact (checked with dnspython)."""
    import dns.message
    import dns.rdatatype

    for name, rrtype in (("rsa.test", "MX"), ("no-such-name.rsa.test", "A"), ("ecdsa.test", "SOA")):
        raw = udp_exchange(build_query(name, rrtype), dnsenv.unbound_addr, 5.0)
        original = dns.message.from_wire(raw)
        stripped = dns.message.from_wire(strip_records(raw))
        assert stripped.id == original.id and stripped.flags == original.flags
        for section in ("answer", "authority", "additional"):
            want = [r for r in getattr(original, section) if r.rdtype != dns.rdatatype.RRSIG]
            got = list(getattr(stripped, section))
            assert got == want, (name, section)
        assert any(r.rdtype == dns.rdatatype.RRSIG for r in original.answer + original.authority), (
            name
        )


def test_failing_tool_names_itself() -> None:
    with pytest.raises(ToolError) as info:
        run_tool(["dnssec-signzone", "-o", "example.", "/nonexistent/zone.db"])
    assert info.value.tool == "dnssec-signzone"
    assert "dnssec-signzone" in str(info.value) and info.value.stderr
