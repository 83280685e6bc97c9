"""Every record line of the peer replay scenarios (vectors/peer) parses with
the zone parser.  ``val_scrub_rr_length.rpl`` carries an A record of 5 octets
in RFC 3597 form on purpose: the lenient parser (strict=False) keeps it."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from dnssec_lite.errors import TextFormatError
from dnssec_lite.replay.macros import expand
from dnssec_lite.replay.rpl import SECTIONS, iter_entries, parse_file
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.types import RRType
from dnssec_lite.wire.zonefile import ZoneParser, parse_question

PEER = Path(__file__).resolve().parents[2] / "vectors" / "peer"
#: a fixed clock for ``${time}``-style macros in autotrust scenarios
NOW = 1_500_000_000


@cache
def _files() -> tuple[Path, ...]:
    return tuple(sorted(PEER.glob("*/*.*rpl"))) if PEER.is_dir() else ()


def _lines(path: Path) -> list[tuple[int, str, str, str | None, int | None]]:
    out = []
    for entry in iter_entries(parse_file(path)):
        for packet in (entry, *entry.extra_packets):
            for section in SECTIONS:
                for rr in packet.sections[section]:
                    text = rr.text
                    if "${" in text:
                        text = expand(text, {}, NOW, lambda: 0, path=str(path), line=rr.line)
                    out.append((rr.line, section, text, entry.origin, entry.default_ttl))
    return out


@pytest.mark.parametrize("folder", ["unbound", "deckard"])
def test_every_scenario_record_line_parses(folder: str) -> None:
    assert _files(), "vectors/peer is missing from the checkout"
    total = 0
    lenient = []
    for path in _files():
        if path.parent.name != folder:
            continue
        for line, section, text, origin, ttl in _lines(path):
            total += 1
            where = f"{path.name}:{line}: {text}"
            if section == "QUESTION":
                parse_question(text, origin)
                continue
            parser = ZoneParser(Name.from_text(origin) if origin else None, ttl, path.name)
            try:
                records = list(parser.records(text))
            except TextFormatError:
                loose = ZoneParser(
                    Name.from_text(origin) if origin else None, ttl, path.name, strict=False
                )
                records = list(loose.records(text))
                lenient.append((path.name, records[0].rrtype, len(records[0].rdata.to_wire())))
            assert len(records) == 1, where
    assert total > 1000
    if folder == "unbound":
        assert ("val_scrub_rr_length.rpl", RRType.A, 5) in lenient
    assert {name for name, _, _ in lenient} <= {"val_scrub_rr_length.rpl"}
