"""The Unbound-compatible hardening options of the validator.

``harden_algo_downgrade`` (default off, as in Unbound): off, any supported
DS digest and any supported algorithm that validate are enough; on, only the
strongest digest type counts (RFC 4509 section 3) and every algorithm the DS
set announces must sign the DNSKEY RRset and each RRset of the zone.

``harden_dnssec_stripped`` (default on): off, a zone with a DS whose DNSKEY
RRset cannot be had is INSECURE instead of BOGUS.
"""

from __future__ import annotations

from dnssec_lite.dnssec.chain import Validator
from dnssec_lite.dnssec.status import Answer, Status
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.dnssec import DS, RRSIG
from dnssec_lite.wire.types import RRType
from tests.helpers.zonesigner import Hierarchy, cached_key, make_ds

N = Name.from_text
WWW = "www.example.test."
APEX = N("example.test.")


def _hierarchy(extra: tuple[int, ...] = ()) -> Hierarchy:
    h = Hierarchy(13)
    assert h.domain is not None
    h.domain.add("www 300 IN A 192.0.2.1")
    for alg in extra:
        h.domain.add_key(cached_key(alg, "extra-ksk"), 257, signs_keys=True, signs_zone=True)
    return h


def _ask(h: Hierarchy, *, harden: bool = False, stripped: bool = True) -> Answer:
    validator = Validator(
        h.anchors(), harden_algo_downgrade=harden, harden_dnssec_stripped=stripped
    )
    return h.network().resolve(validator, WWW, "A")


def _ask_net(h: Hierarchy, net: object, **kwargs: bool) -> Answer:
    validator = Validator(h.anchors(), **kwargs)  # type: ignore[arg-type]
    return net.resolve(validator, WWW, "A")  # type: ignore[attr-defined, no-any-return]


def _wrong(ds: DS) -> DS:
    return DS(ds.key_tag, ds.algorithm, ds.digest_type, bytes(b ^ 0xFF for b in ds.digest))


def _ksk_ds(h: Hierarchy, digest_type: int) -> DS:
    assert h.domain is not None
    ksk = next(zk for zk in h.domain.keys if zk.in_ds)
    return make_ds(APEX, ksk.dnskey, digest_type)


def test_defaults_match_unbound() -> None:
    validator = Validator(_hierarchy().anchors())
    assert validator.harden_algo_downgrade is False
    assert validator.harden_dnssec_stripped is True


def test_any_matching_digest_is_enough_by_default() -> None:
    """DS {SHA-1 right, SHA-256 wrong}: the SHA-1 one validates the keys."""
    h = _hierarchy()
    h.set_ds(APEX, [_ksk_ds(h, 1), _wrong(_ksk_ds(h, 2))])
    h.sign()
    assert _ask(h).status is Status.SECURE


def test_hardened_only_the_strongest_digest_counts() -> None:
    h = _hierarchy()
    h.set_ds(APEX, [_ksk_ds(h, 1), _wrong(_ksk_ds(h, 2))])
    h.sign()
    answer = _ask(h, harden=True)
    assert answer.status is Status.BOGUS, answer.summary()
    assert answer.reason is not None and "example.test." in answer.reason.text


def test_hardened_strongest_digest_right_weaker_wrong_is_secure() -> None:
    h = _hierarchy()
    h.set_ds(APEX, [_wrong(_ksk_ds(h, 1)), _ksk_ds(h, 2), _ksk_ds(h, 4)])
    h.sign()
    assert _ask(h).status is Status.SECURE
    # SHA-384 is the strongest type present and matches.
    assert _ask(h, harden=True).status is Status.SECURE


def test_an_announced_algorithm_without_a_key_needs_hardening_to_fail() -> None:
    """The DS set names algorithm 15 (a key never published): one working
    algorithm is enough by default; hardened, algorithm 15 is missing."""
    h = _hierarchy()
    phantom = make_ds(APEX, _hierarchy(extra=(15,)).domain.keys[-1].dnskey, 2)  # type: ignore[union-attr]
    assert phantom.algorithm == 15
    h.set_ds(APEX, [_ksk_ds(h, 2), phantom])
    h.sign()
    assert _ask(h).status is Status.SECURE
    answer = _ask(h, harden=True)
    assert answer.status is Status.BOGUS, answer.summary()
    assert answer.reason is not None and "algorithm 15" in answer.reason.text


def test_hardened_every_rrset_needs_every_algorithm() -> None:
    """Zone signed with 13 and 15, both in the DS set; the attacker strips
    the algorithm-15 signature of the answer (or the 13 one)."""
    for dropped in (15, 13):
        h = _hierarchy(extra=(15,))
        h.sign()
        assert _ask(h, harden=True).status is Status.SECURE
        assert h.domain is not None
        rrset = h.domain.get(WWW, RRType.A)
        h.domain.put(rrset.with_sigs([s for s in rrset.sigs if s.algorithm != dropped]))
        assert _ask(h).status is Status.SECURE
        answer = _ask(h, harden=True)
        assert answer.status is Status.BOGUS, answer.summary()
        assert answer.reason is not None and f"algorithm {dropped}" in answer.reason.text


def test_stripped_dnskey_is_bogus_by_default_insecure_when_not_hardened() -> None:
    h = _hierarchy()
    h.sign()
    net = h.network()
    net.override("example.test.", "DNSKEY", lambda msg: msg.replace(answer=(), authority=()))
    assert _ask_net(h, net).status is Status.BOGUS
    soft = _ask_net(h, net, harden_dnssec_stripped=False)
    assert soft.status is Status.INSECURE, soft.summary()
    assert soft.reason is not None and "harden-dnssec-stripped" in soft.reason.text


def test_not_hardened_against_stripping_a_bad_signature_stays_bogus() -> None:
    """The option covers a missing DNSKEY RRset, not a broken one."""
    h = _hierarchy()
    h.sign()
    assert h.domain is not None
    keys = h.domain.get(APEX, RRType.DNSKEY)
    broken = [
        RRSIG(
            s.type_covered,
            s.algorithm,
            s.labels,
            s.original_ttl,
            s.expiration,
            s.inception,
            s.key_tag,
            s.signer,
            bytes(64),
        )
        for s in keys.sigs
    ]
    h.domain.put(keys.with_sigs(broken))
    assert _ask(h, stripped=False).status is Status.BOGUS
