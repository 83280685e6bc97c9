"""TLSA certificate matching with certificates made at test time."""

from __future__ import annotations

import pytest
from cryptography.x509 import verification
from hypothesis import given, settings
from hypothesis import strategies as st

from dnssec_lite import RRClass, RRset, RRType
from dnssec_lite.dane import Check, DaneMatch, RecordFailure, verify_chain
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.dane import TLSA
from tests.helpers.certs import DAY, NOW, Chain, Issued, ca_chain, issue

MX = "mx.example.org"
REFS = [MX]


def tlsa(usage: int, selector: int, mtype: int, cert: Issued) -> TLSA:
    return TLSA(usage, selector, mtype, cert.association(selector, mtype))


def check(
    chain: list[bytes],
    records: list[TLSA],
    refs: list[str] | None = None,
    now: int = NOW,
    **kw: object,
) -> DaneMatch:
    return verify_chain(chain, records, REFS if refs is None else refs, now, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module", params=["ec", "rsa"])
def chain(request: pytest.FixtureRequest) -> Chain:
    """Root -> issuing CA -> leaf for mx.example.org, ECDSA or RSA."""
    return ca_chain([MX], intermediates=1, kind=request.param)


# -- every usage / selector / matching type ----------------------------------------------

COMBOS = [(s, m) for s in (0, 1) for m in (0, 1, 2)]


@pytest.mark.parametrize(("selector", "mtype"), COMBOS)
def test_dane_ee_matches_the_leaf(chain: Chain, selector: int, mtype: int) -> None:
    record = tlsa(3, selector, mtype, chain.leaf)
    match = check(chain.presented(), [record])
    assert match.ok and match.depth == 0 and match.record is record
    assert match.usable == 1 and not match.failures and not match.tls_required_unauthenticated
    assert match.reason.endswith("DANE-EE(3) matches the leaf")


@pytest.mark.parametrize(("selector", "mtype"), COMBOS)
@pytest.mark.parametrize("depth", [1, 2])
def test_dane_ta_matches_an_issuer(chain: Chain, selector: int, mtype: int, depth: int) -> None:
    record = tlsa(2, selector, mtype, chain.at(depth))
    match = check(chain.presented(), [record])
    assert match.ok and match.depth == depth, match.reason


@pytest.mark.parametrize(("selector", "mtype"), COMBOS)
@pytest.mark.parametrize(("usage", "depth"), [(0, 1), (0, 2), (1, 0)])
def test_pkix_usages_with_a_trust_store(
    chain: Chain, selector: int, mtype: int, usage: int, depth: int
) -> None:
    record = tlsa(usage, selector, mtype, chain.at(depth))
    store = verification.Store([chain.root.cert])
    # The server need not send the root: PKIX finds it in the store.
    match = check(chain.presented(with_root=False), [record], pkix_trust_store=store, smtp=False)
    assert match.ok and match.depth == depth, match.reason
    # Under the SMTP rules the same record is unusable (RFC 7672 3.1.3) ...
    smtp = check(chain.presented(), [record], pkix_trust_store=store)
    assert not smtp.ok and smtp.usable == 0 and smtp.tls_required_unauthenticated
    assert str(smtp.failures[0]).endswith("does not apply to SMTP (RFC 7672 3.1.3)")
    # ... and so it is without a store.
    bare = check(chain.presented(), [record], smtp=False)
    assert bare.failures[0].reason.endswith("needs a PKIX trust store")


def test_pkix_fails_without_a_trusted_root(chain: Chain) -> None:
    other = ca_chain([MX])
    store = verification.Store([other.root.cert])
    match = check(
        chain.presented(), [tlsa(1, 1, 1, chain.leaf)], pkix_trust_store=store, smtp=False
    )
    assert not match.ok
    (failure,) = match.failures
    assert failure.check is Check.CHAIN and failure.depth == 0
    assert "PKIX validation fails" in failure.reason


def test_pkix_checks_names_and_server_auth(chain: Chain) -> None:
    store = verification.Store([chain.root.cert])
    match = check(
        chain.presented(),
        [tlsa(0, 0, 1, chain.root)],
        ["mx.other.example"],
        pkix_trust_store=store,
        smtp=False,
    )
    assert [f.check for f in match.failures] == [Check.NAME]


# -- DANE-EE(3): no name or date checks ------------------------------------------------------


@pytest.mark.parametrize(
    "leaf",
    [
        pytest.param(lambda: issue("mx.other.example", sans=["mx.other.example"]), id="wrong-name"),
        pytest.param(lambda: issue(None), id="no-name-self-signed"),
        pytest.param(
            lambda: issue(MX, not_before=NOW - 9 * DAY, not_after=NOW - DAY), id="expired"
        ),
        pytest.param(
            lambda: issue(MX, not_before=NOW + DAY, not_after=NOW + 9 * DAY), id="not-yet"
        ),
    ],
)
def test_dane_ee_ignores_names_and_dates(leaf: object) -> None:
    cert = leaf()  # type: ignore[operator]
    match = check([cert.der], [tlsa(3, 1, 1, cert)])
    assert match.ok and match.depth == 0
    # OpenSSL's default (names checked) is available, and then names count.
    strict = check([cert.der], [tlsa(3, 1, 1, cert)], check_ee_names=True)
    assert strict.ok == (cert.cert.subject.rfc4514_string() == f"CN={MX}")


def test_dane_ee_mismatch_sentence(chain: Chain) -> None:
    record = tlsa(3, 1, 1, issue(MX))  # another key
    match = check(chain.presented(), [record])
    assert not match.ok and match.depth is None and match.record is None
    (failure,) = match.failures
    assert failure == RecordFailure(record, Check.NO_MATCH, "SPKI digest does not match the leaf")
    assert str(failure) == f"3 1 1 {record.data[:4].hex()}...: SPKI digest does not match the leaf"
    assert match.reason == f"no usable TLSA record matched (1 usable): {failure}"


def test_dane_ee_for_an_intermediate_does_not_count(chain: Chain) -> None:
    match = check(chain.presented(), [tlsa(3, 0, 1, chain.at(1))])
    assert not match.ok and match.failures[0].check is Check.NO_MATCH


# -- DANE-TA(2): the chain and the names -------------------------------------------------------


def test_dane_ta_name_mismatch_sentence() -> None:
    chain = ca_chain(["mx.other.example"], intermediates=1)
    record = tlsa(2, 0, 1, chain.root)
    match = check(chain.presented(), [record])
    assert not match.ok
    (failure,) = match.failures
    assert failure.check is Check.NAME and failure.depth == 2
    assert str(failure) == (
        f"2 0 1 {record.data[:4].hex()}...: matches depth 2 but the leaf names "
        "mx.other.example, not mx.example.org"
    )


def test_dane_ta_with_two_intermediates() -> None:
    chain = ca_chain([MX], intermediates=2)
    for depth in (1, 2, 3):
        match = check(chain.presented(), [tlsa(2, 1, 1, chain.at(depth))])
        assert match.ok and match.depth == depth
    # The intermediate between leaf and anchor left out: no path.
    gapped = [chain.leaf.der, chain.at(2).der, chain.root.der]
    match = check(gapped, [tlsa(2, 1, 1, chain.root)])
    assert not match.ok and match.failures[0].check is Check.CHAIN
    assert match.failures[0].depth == 2
    assert "a certificate is missing" in match.failures[0].reason


def test_dane_ta_anchor_must_be_presented_for_digests(chain: Chain) -> None:
    match = check(chain.presented(with_root=False), [tlsa(2, 0, 1, chain.root)])
    assert not match.ok
    assert (
        match.failures[0].reason == "certificate digest matches no issuer certificate in the chain"
    )


def test_dane_ta_full_certificate_from_the_record(chain: Chain) -> None:
    match = check(chain.presented(with_root=False), [tlsa(2, 0, 0, chain.root)])
    assert match.ok and match.depth == 2
    assert "certificate from the record is the trust anchor at depth 2" in match.reason


def test_dane_ta_bare_key() -> None:
    chain = ca_chain([MX], intermediates=2)
    # The root key, the root not sent: it signs the certificate at depth 2.
    match = check(chain.presented(with_root=False), [tlsa(2, 1, 0, chain.root)])
    assert match.ok and match.depth == 2
    assert "key from the record signs depth 2" in match.reason
    # The issuing CA's key with only the leaf sent: it signs the leaf.
    match = check([chain.leaf.der], [tlsa(2, 1, 0, chain.at(1))])
    assert match.ok and match.depth == 0
    # A key that signed nothing here.
    stranger = issue("Test Root CA", ca=True, key_usage="ca")
    match = check(chain.presented(with_root=False), [tlsa(2, 1, 0, stranger)])
    assert not match.ok
    (failure,) = match.failures
    assert failure.check is Check.CHAIN and failure.depth is None
    assert failure.reason.startswith("the key in the record does not anchor the chain: ")
    # The same for a whole certificate in the record.
    match = check(chain.presented(with_root=False), [tlsa(2, 0, 0, stranger)])
    assert match.failures[0].reason.startswith("the certificate in the record does not anchor")


def test_dane_ta_bare_key_still_checks_dates_and_names() -> None:
    chain = ca_chain(["mx.other.example"])
    match = check([chain.leaf.der], [tlsa(2, 1, 0, chain.at(1))])
    assert match.failures[0].check is Check.NAME and match.failures[0].depth == 0
    expired = ca_chain([MX], leaf_not_before=NOW - 9 * DAY, leaf_not_after=NOW - DAY)
    match = check([expired.leaf.der], [tlsa(2, 1, 0, expired.at(1))])
    assert match.failures[0].check is Check.CHAIN


@pytest.mark.parametrize(
    ("not_before", "not_after"),
    [(NOW - 9 * DAY, NOW - DAY), (NOW + DAY, NOW + 9 * DAY)],
    ids=["expired", "not-yet-valid"],
)
def test_dane_ta_checks_the_leaf_dates(not_before: int, not_after: int) -> None:
    chain = ca_chain([MX], leaf_not_before=not_before, leaf_not_after=not_after)
    match = check(chain.presented(), [tlsa(2, 1, 1, chain.root)])
    assert not match.ok
    (failure,) = match.failures
    assert failure.check is Check.CHAIN and failure.depth == 2
    assert "not valid at validation time" in failure.reason
    # The same chain is fine at a time inside the leaf's validity.
    assert check(chain.presented(), [tlsa(2, 1, 1, chain.root)], now=not_before + DAY).ok


def _chain_with(middle: Issued, root: Issued) -> list[bytes]:
    leaf = issue(MX, issuer=middle, sans=[MX])
    return [leaf.der, middle.der, root.der]


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        ("not a CA", lambda root: issue("Sub", issuer=root, ca=False)),
        ("no basicConstraints", lambda root: issue("Sub", issuer=root, basic_constraints=False)),
        ("no keyCertSign", lambda root: issue("Sub", issuer=root, ca=True, key_usage="ee")),
        ("expired CA", lambda root: issue("Sub", issuer=root, ca=True, not_after=NOW - DAY)),
    ],
)
def test_dane_ta_checks_the_issuers(kind: str, make: object) -> None:
    root = issue("Root", ca=True, key_usage="ca")
    middle = make(root)  # type: ignore[operator]
    match = check(_chain_with(middle, root), [tlsa(2, 0, 1, root)])
    assert not match.ok, kind
    assert match.failures[0].check is Check.CHAIN


def test_dane_ta_path_length() -> None:
    root = issue("Root", ca=True, key_usage="ca", path_length=0)
    sub = issue("Sub", issuer=root, ca=True, key_usage="ca")
    match = check(_chain_with(sub, root), [tlsa(2, 0, 1, root)])
    assert match.failures[0].check is Check.CHAIN
    assert "path length" in match.failures[0].reason
    # The same chain anchored at the sub CA is within its root's limit.
    assert check(_chain_with(sub, root), [tlsa(2, 0, 1, sub)]).ok


def test_dane_ta_anchor_need_not_be_self_signed(chain: Chain) -> None:
    match = check(chain.presented(with_root=False), [tlsa(2, 1, 2, chain.at(1))])
    assert match.ok and match.depth == 1


def test_dane_ta_on_the_leaf_is_not_a_trust_anchor() -> None:
    leaf = issue(MX, sans=[MX], ca=True)
    match = check([leaf.der], [tlsa(2, 0, 1, leaf)])
    assert not match.ok
    assert "must match an issuer" in match.failures[0].reason


def test_attacker_with_the_anchor_name_but_not_its_key(chain: Chain) -> None:
    """A forged CA of the same name signs a leaf; the real anchor is sent too."""
    fake = issue(chain.at(1).cert.subject.rfc4514_string()[3:], ca=True, key_usage="ca")
    leaf = issue(MX, issuer=fake, sans=[MX])
    presented = [leaf.der, chain.at(1).der, chain.root.der]
    for depth in (1, 2):
        match = check(presented, [tlsa(2, 1, 1, chain.at(depth))])
        assert not match.ok and match.failures[0].check is Check.CHAIN


def test_attacker_presents_the_anchor_as_its_leaf(chain: Chain) -> None:
    match = check([chain.root.der], [tlsa(2, 0, 1, chain.root)], ["Test Root CA"])
    assert not match.ok


# -- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sans", "cn", "refs", "ok"),
    [
        (["*.example.org"], "x", [MX], True),
        (["*.example.org"], "x", ["a.mx.example.org"], False),
        (["*.example.org"], "x", ["example.org"], False),
        (["*.org"], "x", ["example.org"], False),
        (["m*.example.org"], "x", [MX], False),
        (["mx.*.org"], "x", [MX], False),
        (None, MX, [MX], True),  # name only in the CN
        (None, "*.example.org", [MX], True),
        (["mail.example.org"], MX, [MX], False),  # the CN does not count next to a DNS-ID
        (["MX.Example.ORG."], "x", [MX], True),
        (["example.org"], "x", ["mx.example.org", "_25._tcp.mx.example.org", "example.org"], True),
        ([MX], "x", ["mx.example.org."], True),
        ([MX], "x", ["*.example.org"], False),
        ([MX], "x", [], False),
    ],
)
def test_reference_identifiers(sans: list[str] | None, cn: str, refs: list[str], ok: bool) -> None:
    root = issue("Root", ca=True, key_usage="ca")
    leaf = issue(cn, issuer=root, sans=sans)
    assert check([leaf.der, root.der], [tlsa(2, 1, 1, root)], refs).ok is ok


def test_reference_names_may_be_name_objects() -> None:
    chain = ca_chain(["example.org"])
    refs = [Name.from_text("mx.example.net."), Name.from_text("EXAMPLE.org.")]
    assert verify_chain(chain.presented(), [tlsa(2, 1, 1, chain.root)], refs, NOW).ok


def test_failure_lists_every_reference() -> None:
    chain = ca_chain(["mx.other.example", "smtp.other.example"])
    match = check(chain.presented(), [tlsa(2, 1, 1, chain.root)], [MX, "example.org"])
    assert match.failures[0].reason == (
        "matches depth 2 but the leaf names mx.other.example, smtp.other.example, "
        "not mx.example.org or example.org"
    )


# -- unusable and malformed records -------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "why"),
    [
        (TLSA(4, 1, 1, bytes(32)), "unknown certificate usage 4"),
        (TLSA(255, 1, 1, bytes(32)), "unknown certificate usage 255"),
        (TLSA(3, 2, 1, bytes(32)), "unknown selector 2"),
        (TLSA(3, 1, 3, bytes(32)), "unknown matching type 3"),
        (TLSA(3, 1, 1, bytes(31)), "31 octets for a 32-octet digest"),
        (TLSA(3, 1, 1, bytes(64)), "64 octets for a 32-octet digest"),
        (TLSA(2, 0, 2, bytes(32)), "32 octets for a 64-octet digest"),
        (TLSA(3, 1, 1, b""), "0 octets for a 32-octet digest"),
        (TLSA(3, 0, 0, b"\x30\x03\x02\x01\x00"), "not a DER certificate"),
        (TLSA(2, 1, 0, b"not a key"), "not a DER SubjectPublicKeyInfo"),
        (TLSA(3, 1, 0, b""), "not a DER SubjectPublicKeyInfo"),
    ],
)
def test_unusable_record(chain: Chain, record: TLSA, why: str) -> None:
    match = check(chain.presented(), [record])
    assert not match.ok and match.usable == 0 and match.tls_required_unauthenticated
    (failure,) = match.failures
    assert failure.check is Check.UNUSABLE and why in failure.reason
    assert failure.reason.startswith("unusable: ")
    assert "TLS is mandatory" in match.reason


def test_unusable_records_do_not_spoil_the_set(chain: Chain) -> None:
    bad = [
        TLSA(3, 1, 1, bytes(31)),
        TLSA(7, 0, 0, b"x"),
        TLSA(1, 1, 1, chain.leaf.association(1, 1)),
    ]
    good = tlsa(2, 1, 1, chain.root)
    match = check(chain.presented(), [*bad, good])
    assert match.ok and match.record is good and match.depth == 2
    assert match.usable == 1 and not match.tls_required_unauthenticated
    assert [f.record for f in match.failures] == bad
    # With the usable record not matching, the set fails -- but TLS stays
    # authenticated-or-nothing: it is not the "all unusable" outcome.
    wrong = TLSA(2, 1, 1, bytes(32))
    match = check(chain.presented(), [*bad, wrong])
    assert not match.ok and match.usable == 1 and not match.tls_required_unauthenticated
    assert [f.check for f in match.failures] == [Check.UNUSABLE] * 3 + [Check.NO_MATCH]


def test_empty_set_and_empty_chain(chain: Chain) -> None:
    empty = check(chain.presented(), [])
    assert not empty.ok and empty.usable == 0 and not empty.tls_required_unauthenticated
    nothing = check([], [tlsa(3, 1, 1, chain.leaf)])
    assert not nothing.ok and nothing.reason == "the server presented no certificate"
    garbage = check([b"\x30\x00"], [tlsa(3, 1, 1, chain.leaf)])
    assert not garbage.ok and "does not parse" in garbage.reason


def test_unparsable_certificates_above_the_leaf_are_skipped(chain: Chain) -> None:
    presented = [chain.leaf.der, b"junk", *chain.presented()[1:]]
    assert check(presented, [tlsa(2, 1, 1, chain.root)]).ok
    assert check(presented, [tlsa(3, 1, 1, chain.leaf)]).ok


# -- digest agility ------------------------------------------------------------------------------


def test_digest_agility_uses_only_the_strongest(chain: Chain) -> None:
    right256 = tlsa(3, 1, 1, chain.leaf)
    wrong512 = TLSA(3, 1, 2, bytes(64))
    match = check(chain.presented(), [right256, wrong512])
    assert not match.ok and match.usable == 1
    superseded, no_match = match.failures
    assert superseded.record is right256 and superseded.check is Check.SUPERSEDED
    assert "digest agility" in superseded.reason
    assert no_match.record is wrong512 and no_match.check is Check.NO_MATCH
    right512 = tlsa(3, 1, 2, chain.leaf)
    match = check(chain.presented(), [right256, right512])
    assert match.ok and match.record is right512


def test_digest_agility_is_per_usage_and_selector(chain: Chain) -> None:
    right = tlsa(3, 1, 1, chain.leaf)
    for other in (TLSA(3, 0, 2, bytes(64)), TLSA(2, 1, 2, bytes(64))):
        match = check(chain.presented(), [right, other])
        assert match.ok and match.record is right and match.usable == 2


def test_digest_agility_ignores_unusable_and_full_records(chain: Chain) -> None:
    right = tlsa(3, 1, 1, chain.leaf)
    malformed512 = TLSA(3, 1, 2, bytes(63))
    assert check(chain.presented(), [malformed512, right]).ok
    full = tlsa(3, 1, 0, chain.leaf)
    match = check(chain.presented(), [full, TLSA(3, 1, 2, bytes(64))])
    assert match.ok and match.record is full


# -- choosing among matches, input forms ---------------------------------------------------


def test_preference_among_matches(chain: Chain) -> None:
    ta2, ta1, ee = tlsa(2, 1, 1, chain.root), tlsa(2, 1, 1, chain.at(1)), tlsa(3, 0, 1, chain.leaf)
    assert check(chain.presented(), [ta2, ta1, ee]).record is ee
    assert check(chain.presented(), [ta2, ta1]).record is ta1


def test_rrset_input(chain: Chain) -> None:
    rrset = RRset(
        Name.from_text("_25._tcp.mx.example.org."),
        RRType.TLSA,
        RRClass.IN,
        300,
        [TLSA(3, 1, 1, bytes(32)), tlsa(2, 1, 1, chain.root)],
    )
    match = verify_chain(chain.presented(), rrset, ["mx.example.org"], NOW)
    assert match.ok and match.depth == 2 and match.usable == 2
    assert len(match.failures) == 1


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([(3, 1, 1), (3, 0, 2), (3, 1, 0), (2, 1, 1), (2, 0, 2)]), st.data())
def test_any_changed_byte_breaks_the_match(
    fields: tuple[int, int, int], data: st.DataObject
) -> None:
    usage, selector, mtype = fields
    cert = _STATIC.leaf if usage == 3 else _STATIC.root
    good = cert.association(selector, mtype)
    index = data.draw(st.integers(0, len(good) - 1))
    flip = data.draw(st.integers(1, 255))
    bad = bytearray(good)
    bad[index] ^= flip
    match = check(_STATIC.presented(), [TLSA(usage, selector, mtype, bytes(bad))])
    assert not match.ok


_STATIC = ca_chain([MX])


def test_re_exported_from_the_package() -> None:
    import dnssec_lite
    import dnssec_lite.dane

    assert dnssec_lite.verify_chain is dnssec_lite.dane.verify_chain is verify_chain
    assert dnssec_lite.DaneMatch is DaneMatch


def test_only_the_first_certificates_are_looked_at(chain: Chain) -> None:
    from dnssec_lite.dane.tlsa import MAX_PRESENTED

    padding = [chain.at(1).der] * (MAX_PRESENTED - 2)
    presented = [chain.leaf.der, *padding, chain.root.der]
    assert len(presented) == MAX_PRESENTED
    assert check(presented, [tlsa(2, 1, 1, chain.root)]).ok
    late = check([*presented[:-1], chain.at(1).der, chain.root.der], [tlsa(2, 1, 1, chain.root)])
    assert not late.ok and late.failures[0].check is Check.NO_MATCH


def test_matching_does_no_io_and_reads_no_clock(
    chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime
    import socket
    import time

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("verify_chain must not do this")

    monkeypatch.setattr(socket, "socket", forbidden)
    monkeypatch.setattr(time, "time", forbidden)
    monkeypatch.setattr("builtins.open", forbidden)

    class NoNow(datetime.datetime):
        @classmethod
        def now(cls, tz: datetime.tzinfo | None = None) -> NoNow:
            raise AssertionError("verify_chain must not read the clock")

    monkeypatch.setattr(datetime, "datetime", NoNow)
    records = [tlsa(2, 1, 0, chain.root), tlsa(2, 1, 1, chain.at(1)), tlsa(3, 1, 1, chain.leaf)]
    for record in records:
        assert check(chain.presented(with_root=False), [record]).ok
