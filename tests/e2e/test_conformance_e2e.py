"""Conformance options cross-checked against Unbound configured the same way.

* ``harden_algo_downgrade`` on a zone signed with algorithms 13 and 8 (both
  DS in the parent) where one RRset carries only the algorithm-13 signature:
  SECURE by default, as Unbound's default; BOGUS when hardened, as an Unbound
  started with ``harden-algo-downgrade: yes``.
* The DNAME cache: after one name below ``old.dname.test. DNAME
  new.dname.test.`` was answered, another name below it is answered by
  synthesis without a query for it, and validated, in stub and iterative mode.
* A trust anchor below an insecure delegation: ``island.algo.test.`` is
  signed but its parent proves it has no DS; with the root anchor alone it is
  INSECURE, with its DS as a second anchor SECURE, with a wrong DS as that
  anchor BOGUS -- the closest anchor decides, in Unbound and here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dnssec_lite.anchors.formats import load_anchors
from dnssec_lite.dnssec.status import Status
from dnssec_lite.dnssec.trust import TrustAnchors
from dnssec_lite.errors import TransportError
from dnssec_lite.resolve.fetcher import Batch
from dnssec_lite.resolve.resolver import Resolver
from dnssec_lite.resolve.transport import Transport
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.types import RRType

from .conformlab import (
    BOTH_ALGS_NAME,
    DNAME_ZONE,
    HARDENED_UNBOUND,
    ISLAND,
    ONE_ALG_NAME,
    TWO_ALGS,
    ConformLab,
)
from .dnsenv import DnsEnv

N = Name.from_text


class RecordingTransport(Transport):
    """The library's UDP/TCP transport, recording every question it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[Name, int]] = []

    def exchange(self, batch: Batch) -> list[Message | TransportError]:
        for _server, query in batch.items:
            self.asked.extend((q.name, q.rrtype) for q in query.question)
        return super().exchange(batch)


def _resolver(
    env: DnsEnv, mode: str, anchors: TrustAnchors | None = None, **options: object
) -> Resolver:
    if anchors is None:
        anchors = load_anchors(str(env.anchor_path))
    if mode == "stub":
        return Resolver(
            servers=[f"{env.unbound_addr[0]}:{env.unbound_addr[1]}"],
            anchors=anchors,
            timeout=3.0,
            **options,  # type: ignore[arg-type]
        )
    return Resolver(
        mode="iterative",
        anchors=anchors,
        root_hints=str(env.root_hints_path),
        timeout=3.0,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def hardened_unbound(dnsenv: DnsEnv) -> Iterator[tuple[str, int]]:
    """A second validating Unbound with ``harden-algo-downgrade: yes``."""
    proc = dnsenv.start_unbound(
        "harden-algo-downgrade", HARDENED_UNBOUND, ["harden-algo-downgrade: yes"]
    )
    try:
        yield proc.addr
    finally:
        dnsenv.stop_unbound(proc)


def test_the_zone_is_served_with_two_algorithms(dnsenv: DnsEnv) -> None:
    """The setup itself: both DS in the parent, both algorithms in the
    DNSKEY set, one RRSIG (algorithm 13) on the one-algorithm name."""
    ds = dnsenv.unbound_answer(f"{TWO_ALGS}.", "DS")
    assert {row.split()[5] for row in ds.answer if row.split()[3] == "DS"} == {"13", "8"}
    keys = dnsenv.unbound_answer(f"{TWO_ALGS}.", "DNSKEY")
    assert {row.split()[6] for row in keys.answer if row.split()[3] == "DNSKEY"} == {"13", "8"}
    one = dnsenv.unbound_answer(ONE_ALG_NAME, "A", cd=True)
    assert [row.split()[5] for row in one.answer if row.split()[3] == "RRSIG"] == ["13"]
    both = dnsenv.unbound_answer(BOTH_ALGS_NAME, "A", cd=True)
    assert sorted(row.split()[5] for row in both.answer if row.split()[3] == "RRSIG") == [
        "13",
        "8",
    ]


@pytest.mark.parametrize("mode", ["stub", "iterative"])
def test_harden_algo_downgrade_matches_unbound(
    dnsenv: DnsEnv, hardened_unbound: tuple[str, int], mode: str
) -> None:
    # Default: any supported algorithm that validates is enough.
    assert dnsenv.unbound_verdict(ONE_ALG_NAME) == "secure"
    answer = _resolver(dnsenv, mode).resolve(ONE_ALG_NAME, "A")
    assert answer.status is Status.SECURE, answer.summary()
    # Hardened: every algorithm of the DS set must sign every RRset.
    unbound = dnsenv.unbound_answer(ONE_ALG_NAME, "A", server=hardened_unbound)
    assert unbound.status == "bogus", unbound.text
    hardened = _resolver(dnsenv, mode, harden_algo_downgrade=True)
    answer = hardened.resolve(ONE_ALG_NAME, "A")
    assert answer.status is Status.BOGUS, answer.summary()
    assert answer.reason is not None and "8" in answer.reason.text, answer.summary()
    # A name signed by both algorithms is SECURE either way, in both.
    assert dnsenv.unbound_answer(BOTH_ALGS_NAME, "A", server=hardened_unbound).status == "secure"
    answer = hardened.resolve(BOTH_ALGS_NAME, "A")
    assert answer.status is Status.SECURE, answer.summary()


@pytest.mark.parametrize("mode", ["stub", "iterative"])
def test_names_below_a_cached_dname_are_synthesised(dnsenv: DnsEnv, mode: str) -> None:
    first_name, second_name = f"mail.old.{DNAME_ZONE}.", f"www.old.{DNAME_ZONE}."
    assert dnsenv.unbound_verdict(first_name) == "secure"
    assert dnsenv.unbound_verdict(second_name) == "secure"
    transport = RecordingTransport()
    resolver = _resolver(dnsenv, mode, fetcher=transport)
    first = resolver.resolve(first_name, "A")
    assert first.status is Status.SECURE, first.summary()
    assert (N(first_name), RRType.A) in transport.asked
    assert len(resolver.dnames) == 1
    transport.asked.clear()
    second = resolver.resolve(second_name, "A")
    assert second.status is Status.SECURE, second.summary()
    assert [rr.rrtype for rr in second.rrsets] == [RRType.DNAME, RRType.CNAME, RRType.A]
    assert second.resolution is not None and second.resolution.cache == "dname"
    # The name below the DNAME was never asked; its target was.
    assert all(name != N(second_name) for name, _type in transport.asked), transport.asked
    assert (N(f"www.new.{DNAME_ZONE}."), RRType.A) in transport.asked
    a = next(rr for rr in second.rrsets if rr.rrtype == RRType.A)
    assert [rd.to_text() for rd in a.rdatas] == ["192.0.2.81"]
    transport.close()


def test_recording_transport_sees_a_plain_lookup(dnsenv: DnsEnv) -> None:
    """The recorder really sees the questions (so the absence above means
    something)."""
    transport = RecordingTransport()
    answer = _resolver(dnsenv, "stub", fetcher=transport).resolve(f"ftp.new.{DNAME_ZONE}.", "A")
    assert answer.status is Status.SECURE, answer.summary()
    assert (N(f"ftp.new.{DNAME_ZONE}."), RRType.A) in transport.asked
    transport.close()


ISLAND_NAME = f"mail.{ISLAND}."


def _wrong(ds: str) -> str:
    """The DS line with its digest's last hex digit changed."""
    return ds[:-1] + ("0" if ds[-1] != "0" else "1")


@pytest.fixture(scope="module")
def island_unbounds(
    dnsenv: DnsEnv, _conform_zones: ConformLab
) -> Iterator[tuple[tuple[str, int], tuple[str, int]]]:
    """Two more validating Unbounds: one with the island's DS as a second
    trust anchor, one with a wrong DS for it."""
    ds = _conform_zones.island_ds
    good = dnsenv.start_unbound("island-anchor", 62, [f'trust-anchor: "{ds}"'])
    try:
        wrong = dnsenv.start_unbound("wrong-island-anchor", 63, [f'trust-anchor: "{_wrong(ds)}"'])
        try:
            yield good.addr, wrong.addr
        finally:
            dnsenv.stop_unbound(wrong)
    finally:
        dnsenv.stop_unbound(good)


def _with_island(env: DnsEnv, ds: str, tmp_path: Path) -> TrustAnchors:
    path = tmp_path / "anchors.ds"
    path.write_text(env.anchor_path.read_text() + ds + "\n")
    return load_anchors(str(path))


@pytest.mark.parametrize("mode", ["stub", "iterative"])
def test_a_deeper_anchor_decides_below_an_insecure_delegation(
    dnsenv: DnsEnv,
    _conform_zones: ConformLab,
    island_unbounds: tuple[tuple[str, int], tuple[str, int]],
    tmp_path: Path,
    mode: str,
) -> None:
    good, wrong = island_unbounds
    ds = _conform_zones.island_ds
    # The root anchor alone: the parent's signed no-DS proof makes it INSECURE.
    assert dnsenv.unbound_verdict(ISLAND_NAME) == "insecure"
    plain = _resolver(dnsenv, mode)
    assert plain.resolve(ISLAND_NAME, "A").status is Status.INSECURE
    no_ds = plain.resolve(f"{ISLAND}.", "DS")
    assert no_ds.status is Status.SECURE and not no_ds.rrsets, no_ds.summary()
    # Its own anchor as well: SECURE, the proof above does not decide.
    assert dnsenv.unbound_answer(ISLAND_NAME, "A", server=good).status == "secure"
    island = _resolver(dnsenv, mode, anchors=_with_island(dnsenv, ds, tmp_path))
    answer = island.resolve(ISLAND_NAME, "A")
    assert answer.status is Status.SECURE, answer.summary()
    # A wrong anchor for it: BOGUS, not INSECURE.
    assert dnsenv.unbound_answer(ISLAND_NAME, "A", server=wrong).status == "bogus"
    stale = _resolver(dnsenv, mode, anchors=_with_island(dnsenv, _wrong(ds), tmp_path))
    answer = stale.resolve(ISLAND_NAME, "A")
    assert answer.status is Status.BOGUS, answer.summary()
