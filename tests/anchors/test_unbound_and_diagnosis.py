"""Unbound's auto-trust-anchor file (import, export, round trip), the new
loader checks, and the out-of-date diagnosis for an appliance that slept
through the rollover."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnssec_lite.anchors import statefile
from dnssec_lite.anchors.diagnose import out_of_date_reason
from dnssec_lite.anchors.formats import (
    bundled_root_anchors,
    default_anchors,
    parse_anchor_text,
    parse_root_anchors_xml,
)
from dnssec_lite.anchors.model import KeyState, Notice, revoked_key
from dnssec_lite.anchors.rfc5011 import problems, trusted_anchors, update
from dnssec_lite.anchors.unbound import dumps_unbound, loads_unbound
from dnssec_lite.dnssec.trust import TrustAnchors
from dnssec_lite.errors import AnchorError
from dnssec_lite.wire.name import ROOT, Name
from dnssec_lite.wire.rrset import RR
from dnssec_lite.wire.types import RRClass, RRType
from tests.helpers.zonesigner import make_ds

from .rootsim import DAY, REVOKED, TTL, Pub, dnskey_rrset, key, state_trusting, ts

HERE = Path(__file__).parent
REPO = HERE.parents[1]
K17 = key("ksk2017")
K24 = key("ksk2024")
T0 = ts("2025-03-01")

# Unbound's file as found in the wild (March 2024): KSK-2017 Valid plus a
# DS line for KSK-2024.
ROOT_KEY = """\
; autotrust trust anchor file
;;id: . 1
;;last_queried: 1710504759 ;;Fri Mar 15 12:12:39 2024
;;last_success: 1710504759 ;;Fri Mar 15 12:12:39 2024
;;next_probe_time: 1710546743 ;;Fri Mar 15 23:52:23 2024
;;query_failed: 0
;;query_interval: 43200
;;retry_time: 8640
.	172800	IN	DNSKEY	257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU= ;{id = 20326 (ksk), size = 2048b} ;;state=2 [  VALID  ] ;;count=0 ;;lastchange=1683463064 ;;Sun May  7 12:37:44 2023
.	172800	IN	DS	38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16
"""  # noqa: E501


def test_unbound_root_key_imports_and_exports_byte_for_byte() -> None:
    state = loads_unbound(ROOT_KEY, "root.key")
    point = state.points[ROOT]
    (k,) = point.keys
    assert (k.tag, k.state, k.since, k.sightings) == (20326, KeyState.VALID, 1683463064, 0)
    assert [d.key_tag for d in point.ds] == [38696]
    assert (point.last_queried, point.next_probe, point.query_interval, point.retry_time) == (
        1710504759,
        1710546743,
        43200,
        8640,
    )
    assert dumps_unbound(point) == ROOT_KEY
    # Through our own state file and back: nothing lost.
    assert dumps_unbound(statefile.loads(statefile.dumps(state)).points[ROOT]) == ROOT_KEY
    anchors = trusted_anchors(state).anchors[ROOT]
    assert [d.key_tag for d in anchors.ds] == [38696] and anchors.dnskeys[0].key_tag == 20326


def test_export_of_every_state_round_trips() -> None:
    state = state_trusting(Pub(K17).dnskey, Pub(K24).dnskey, now=T0)
    pend = key("pending")
    state, _ = update(
        state, dnskey_rrset([Pub(K17, REVOKED), Pub(K24), Pub(pend, signs=False)], T0), T0
    )
    state, _ = update(state, dnskey_rrset([Pub(K24), Pub(pend, signs=False)], T0 + DAY), T0 + DAY)
    point = state.points[ROOT]
    text = dumps_unbound(point)
    assert (
        f"{revoked_key(Pub(K17).dnskey).to_text()} ;{{id = {Pub(K17, REVOKED).dnskey.key_tag}"
        in text
    )
    assert ";;state=4 [ REVOKED ]" in text and ";;state=1 [ ADDPEND ] ;;count=2" in text
    back = loads_unbound(text).points[ROOT]
    assert {(k.tag, k.state, k.since, k.sightings) for k in back.keys} == {
        (k.tag, k.state, k.since, k.sightings) for k in point.keys
    }
    assert dumps_unbound(back) == text


def test_all_revoked_trust_point_is_marked_and_read_back() -> None:
    state = state_trusting(Pub(K17).dnskey, now=T0)
    state, _ = update(state, dnskey_rrset([Pub(K17, REVOKED), Pub(K24)], T0), T0)
    text = dumps_unbound(state.points[ROOT])
    assert text.startswith("; autotrust trust anchor file\n;;REVOKED\n;;id: . 1\n")
    back = loads_unbound(text)
    assert back.points[ROOT].all_revoked and ROOT in problems(back)
    # A file Unbound marked REVOKED never trusts its keys, whatever their states.
    forced = text.replace(";;state=4 [ REVOKED ]", ";;state=2 [  VALID  ]")
    forced = forced.replace(revoked_key(Pub(K17).dnskey).to_text(), Pub(K17).dnskey.to_text())
    assert ROOT not in trusted_anchors(loads_unbound(forced)).anchors


@pytest.mark.parametrize(
    ("change", "problem", "line"),
    [
        ((";;state=2", ";;state=7"), "unknown key state 7", 9),
        (("257 3 8", "385 3 8"), "REVOKE bit but state 2", 9),
        (("257 3 8 AwEAAaz/", "257 3 8 !!AwEAAaz/"), "base64", 9),
        (("IN\tDS\t38696 8 2 683D", "IN\tDS\t38696 8 2 683"), "hexadecimal", 10),
    ],
)
def test_bad_unbound_files_name_the_line(change: tuple[str, str], problem: str, line: int) -> None:
    with pytest.raises(AnchorError) as info:
        loads_unbound(ROOT_KEY.replace(*change), "root.key")
    assert info.value.path == "root.key" and info.value.line == line
    assert problem in info.value.what


# -- loader checks ---------------------------------------------------------------


def _ds_line(pub: Pub, digest_of: Pub | None = None) -> str:
    ds = make_ds(ROOT, (digest_of or pub).dnskey)
    return f". 3600 IN DS {pub.dnskey.key_tag} {ds.algorithm} 2 {ds.digest.hex()}\n"


def test_a_ds_must_match_the_dnskey_given_with_it() -> None:
    good = f". 3600 IN DNSKEY {Pub(K17).dnskey.to_text()}\n" + _ds_line(Pub(K17))
    assert parse_anchor_text(good, "a.zone").anchors[ROOT].ds
    bad = f". 3600 IN DNSKEY {Pub(K17).dnskey.to_text()}\n" + _ds_line(Pub(K17), Pub(K24))
    with pytest.raises(AnchorError) as info:
        parse_anchor_text(bad, "a.zone")
    assert info.value.line == 2 and "does not match the DNSKEY" in info.value.what
    assert str(info.value).startswith("a.zone:2: ")
    # A DS alone (no DNSKEY with its tag) is a plain DS anchor.
    assert parse_anchor_text(_ds_line(Pub(K17), Pub(K24)), "b.zone")


def test_unsupported_algorithms_and_digest_types_are_refused() -> None:
    text = f". 3600 IN DNSKEY 257 3 200 {Pub(K17).dnskey.to_text().split()[3]}\n"
    with pytest.raises(AnchorError) as info:
        parse_anchor_text("; header\n" + text, "alg.zone")
    assert info.value.line == 2 and "unsupported algorithm 200" in info.value.what
    with pytest.raises(AnchorError, match="unsupported digest type 3"):
        parse_anchor_text(". 3600 IN DS 20326 8 3 " + "AB" * 32 + "\n", "gost.zone")


def test_many_zones_in_one_file() -> None:
    zones = ["example.", "example.org.", "."]
    text = ""
    for z in zones[:2]:
        text += f"{z} 3600 IN DNSKEY {Pub(K17).dnskey.to_text()}\n"
        text += _ds_line(Pub(K24)).replace(". ", z + " ", 1)
    text += f". 3600 IN DNSKEY {Pub(K24).dnskey.to_text()}\n"
    anchors = parse_anchor_text(text, "many.zone")
    assert set(anchors.anchors) == {Name.from_text(z) for z in zones}


_XML = (REPO / "trust_anchors" / "root-anchors.xml").read_text()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("<Digest>E06D44B8", "<Digest>E06D44B9"), "does not match the <PublicKey>"),
        (("<Flags>257</Flags>", "<Flags>256</Flags>"), "key tag"),
        (("AwEAAaz/tAm8", "AwEAAaz/tAm9"), "key tag"),
        (("AwEAAaz/tAm8", "!!!"), "not base64"),
        (("<Flags>257</Flags>", "<Flags>x</Flags>"), "<Flags>"),
        (
            (
                "<KeyTag>20326</KeyTag>\n        <Algorithm>8<",
                "<KeyTag>20326</KeyTag><Algorithm>99<",
            ),
            "unsupported algorithm 99",
        ),
    ],
)
def test_bad_rfc9718_xml(change: tuple[str, str], problem: str) -> None:
    with pytest.raises(AnchorError) as info:
        parse_root_anchors_xml(_XML.replace(*change, 1), T0, "root-anchors.xml")
    assert problem in info.value.what, info.value.what


def test_bundled_xml_matches_package_data() -> None:
    from dnssec_lite.anchors.formats import read_package_file

    assert read_package_file("root-anchors.xml") == _XML
    assert "<PublicKey>" in _XML and _XML.count("<Flags>257</Flags>") == 2


def test_xml_validity_windows_at_a_given_time() -> None:
    before_2024 = parse_root_anchors_xml(_XML, ts("2024-07-17"), "x").anchors[ROOT]
    assert {d.key_tag for d in before_2024.ds} == {20326}
    assert {k.key_tag for k in before_2024.dnskeys} == {20326}
    in_2018 = parse_root_anchors_xml(_XML, ts("2018-01-01"), "x").anchors[ROOT]
    assert {d.key_tag for d in in_2018.ds} == {19036, 20326}
    assert {k.key_tag for k in in_2018.dnskeys} == {20326}  # 2010 has no PublicKey
    assert bundled_root_anchors(T0).anchors == default_anchors().anchors


# -- an appliance offline through the rollover -------------------------------------------

KNOWN = TrustAnchors.from_rrs(
    RR(ROOT, RRType.DNSKEY, RRClass.IN, TTL, p.dnskey) for p in (Pub(K17), Pub(K24))
)


def _appliance_state_file() -> str:
    """What an appliance shipped in 2024 trusting KSK-2017 only wrote."""
    return statefile.dumps(state_trusting(Pub(K17).dnskey, now=ts("2024-05-01")))


def test_old_appliance_after_the_revocation() -> None:
    state = statefile.loads(_appliance_state_file(), "old-appliance.json")
    now = ts("2027-02-01")
    rrset = dnskey_rrset([Pub(K17, REVOKED), Pub(K24)], now)
    state, events = update(state, rrset, now)
    assert Notice.ALL_REVOKED in [e.notice for e in events]
    reason = out_of_date_reason(state, rrset, KNOWN, now)
    assert reason == (
        f"the root DNSKEY RRset is signed by key {Pub(K24).dnskey.key_tag}, which this "
        f"trust-anchor store does not trust (it trusts {Pub(K17).dnskey.key_tag}, revoked "
        "since 2027-02-01): run `dnssec-lite anchors bootstrap`"
    )
    assert ROOT not in trusted_anchors(state).anchors  # INDETERMINATE, never INSECURE


def test_old_appliance_after_the_switch_and_after_removal() -> None:
    state = statefile.loads(_appliance_state_file(), "old-appliance.json")
    # Offline through the switch, back before the revocation: KSK-2017 is
    # still published but no longer signs, and KSK-2024 was never learnt.
    now = ts("2026-12-01")
    rrset = dnskey_rrset([Pub(K17, signs=False), Pub(K24)], now)
    reason = out_of_date_reason(state, rrset, KNOWN, now)
    assert reason is not None and "published but not signing" in reason
    new, events = update(state, rrset, now)
    assert events[-1].notice is Notice.NOT_VALIDATED
    assert trusted_anchors(new) == trusted_anchors(state)  # known-good kept
    # After 2017 is gone altogether.
    now = ts("2027-06-01")
    rrset = dnskey_rrset([Pub(K24)], now)
    reason = out_of_date_reason(state, rrset, KNOWN, now)
    assert reason is not None and f"{Pub(K17).dnskey.key_tag}, no longer published" in reason
    assert reason.endswith("run `dnssec-lite anchors bootstrap`")


def test_no_diagnosis_when_the_store_is_fine_or_the_signer_is_unknown() -> None:
    state = state_trusting(Pub(K17).dnskey, now=T0)
    assert out_of_date_reason(state, dnskey_rrset([Pub(K17), Pub(K24)], T0), KNOWN, T0) is None
    stranger = dnskey_rrset([Pub(key("attacker"))], T0)
    assert out_of_date_reason(state, stranger, KNOWN, T0) is None
    other = dnskey_rrset([Pub(K24)], T0, zone=Name.from_text("example."))
    assert out_of_date_reason(state, other, KNOWN, T0) is None
    # DS-form knowledge works too (digest-only XML).
    known_ds = TrustAnchors.from_rrs(
        [RR(ROOT, RRType.DS, RRClass.IN, TTL, make_ds(ROOT, Pub(K24).dnskey))]
    )
    reason = out_of_date_reason(state, dnskey_rrset([Pub(K24)], T0), known_ds, T0)
    assert reason is not None and str(Pub(K24).dnskey.key_tag) in reason
