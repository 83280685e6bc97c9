#!/usr/bin/env python3
"""Regenerate the vector corpus in ``vectors/``.

``--live`` (needs the end-to-end environment's programs and root, like
``tests/e2e``): start the private signed DNS hierarchy on loopback, record
every case zone's probe and the extra questions below through the
validating Unbound (stub mode) and from the private root (iterative mode)
into ``vectors/recorded/``, and a DNSViz probe of a few names (with the
``dnsviz grok`` verdicts of that file and the root anchor it needs) into
``vectors/recorded/dnsviz/``.  Every recorded verdict is checked against
the environment's table first: a vector is written only if the validator
reached the verdict the case is built for.

Then the DANE checks of the mail lab (``tests/e2e/danelab.py``: success, each
failure kind, fallback) into ``vectors/recorded/dane/``, with its STARTTLS
servers on port 25 of loopback addresses.

``--adversarial``: rebuild the hand-made vectors of
``tests/vectors/adversarial.py`` into ``vectors/adversarial/``.

``--bundled``: copy the vectors shipped in the package
(``dnssec_lite/vectors/data/``) from the freshly recorded ones.

Run from the repository root; with no option, all three.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RECORDED = ROOT / "vectors" / "recorded"
ADVERSARIAL = ROOT / "vectors" / "adversarial"
BUNDLED = ROOT / "dnssec_lite" / "vectors" / "data"

#: (file stem, name, type, expected status, recursive?) beyond each case's probe.
EXTRA: tuple[tuple[str, str, str, str, bool], ...] = (
    ("nsec-nxdomain", "nothere.rsa.test", "A", "secure", False),
    ("nsec-nodata", "mail.rsa.test", "TXT", "secure", False),
    ("nsec-ent-nodata", "b.c.rsa.test", "TXT", "secure", False),
    ("nsec-wildcard", "anything.wild.rsa.test", "A", "secure", False),
    ("nsec3-nxdomain", "nothere.ecdsa.test", "A", "secure", False),
    ("nsec3-nodata", "mail.ecdsa.test", "TXT", "secure", False),
    ("nsec3-wildcard", "anything.wild.ecdsa.test", "A", "secure", False),
    ("cname-secure", "www.ed.test", "A", "secure", False),
    ("cname-into-insecure", "cname-out.rsa.test", "A", "insecure", False),
    ("cname-into-bogus", "cname-bogus.rsa.test", "A", "bogus", False),
    ("tlsa-secure", "_25._tcp.mail.rsa.test", "TLSA", "secure", False),
    ("iterative-secure", "mail.rsa.test", "A", "secure", True),
    ("iterative-nxdomain-nsec3", "nothere.ecdsa.test", "A", "secure", True),
    ("iterative-bogus-expired", "mail.expired.test", "A", "bogus", True),
    ("iterative-insecure", "mail.unsigned.test", "A", "insecure", True),
)
#: Names probed with DNSViz (recursive, through the validating Unbound); not an
#: unsigned zone: dnsviz 0.11.2 grok fails on those (KeyError on the SOA RRset).
DNSVIZ_NAMES = ("mail.rsa.test", "nothere.ecdsa.test", "mail.expired.test", "x.wild.ed.test")
#: DANE checks recorded from the test environment's mail lab (tests/e2e/danelab.py):
#: (domain label, verdict it must reach).
DANE_CASES: tuple[tuple[str, str], ...] = (
    ("ok.dane.test", "success"),
    ("ta.dane.test", "success"),
    ("twoaddr.dane.test", "success"),
    ("equal.dane.test", "success"),
    ("nomx.dane.test", "success"),
    ("hosted.insecure-mail.test", "success"),
    ("tabadname.dane.test", "failed"),
    ("nomatch.dane.test", "failed"),
    ("nullmx.dane.test", "failed"),
    ("bogustlsa.dane.test", "failed"),
    ("nostarttls.dane.test", "failed"),
    ("badhs.dane.test", "failed"),
    ("notlsa.dane.test", "fallback"),
    ("unusable.dane.test", "fallback"),
    ("insecure-mail.test", "fallback"),
)
#: Recorded vectors copied into the package (replayed by ``replay --bundled``).
BUNDLE = ("dane/ok.dane.test", "iterative-secure", "iterative-bogus-expired")


def record_live() -> None:
    from dnssec_lite.anchors.formats import load_anchors
    from dnssec_lite.resolve.resolver import Resolver
    from dnssec_lite.resolve.transport import Transport
    from dnssec_lite.vectors.record import record_resolution
    from tests.e2e.danelab import DaneLab
    from tests.e2e.dnsenv import DnsEnv

    RECORDED.mkdir(parents=True, exist_ok=True)
    lab = DaneLab()
    with DnsEnv(extra_zones=lab.zones) as env:
        anchors = load_anchors(str(env.anchor_path))
        unbound = f"{env.unbound_addr[0]}:{env.unbound_addr[1]}"
        hints = str(env.root_hints_path)
        jobs = [
            (f"case-{case.zone}", case.probe, case.probe_type, case.expected, False, case)
            for case in env.cases.values()
        ]
        jobs += [(stem, n, t, want, rec, None) for stem, n, t, want, rec in EXTRA]
        for stem, name, rrtype, want, recursive, case in jobs:
            if recursive:
                resolver = Resolver(anchors=anchors, mode="iterative", root_hints=hints)
                how = ["--recursive", "--root-hints", "root.hints"]
            else:
                resolver = Resolver([unbound], anchors=anchors)
                how = ["--server", unbound]
            command = ["dnssec-lite", "record", name, rrtype, *how, "--anchors", "root.ds"]
            what = case.description if case is not None else f"{name} {rrtype}"
            with Transport() as transport:
                answer, vector = record_resolution(
                    resolver,
                    name,
                    rrtype,
                    transport,
                    command=[*command, "-o", f"{stem}.json"],
                    description=f"{what} (expected {want}; recorded from the test environment)",
                )
            if answer.status.value != want:
                raise SystemExit(f"{stem}: {answer.summary()}, but the case expects {want}")
            (RECORDED / f"{stem}.json").write_text(vector.dumps(), encoding="utf-8")
            print(f"recorded {stem}: {answer.summary()}")
        _probe_dnsviz(env)
        lab.start_servers()
        try:
            _record_dane(env, anchors)
        finally:
            lab.stop_servers()


def _record_dane(env: object, anchors: object) -> None:
    """Every DANE case of the mail lab, through the validating Unbound."""
    from dnssec_lite.dane.check import _smtp_probe
    from dnssec_lite.resolve.resolver import Resolver
    from dnssec_lite.resolve.transport import Transport
    from dnssec_lite.vectors.dane import record_dane

    out = RECORDED / "dane"
    out.mkdir(exist_ok=True)
    addr = env.unbound_addr  # type: ignore[attr-defined]
    unbound = f"{addr[0]}:{addr[1]}"
    for domain, want in DANE_CASES:
        resolver = Resolver([unbound], anchors=anchors)  # type: ignore[arg-type]
        argv = ["dnssec-lite", "daneverify", domain, "--server", unbound, "--anchors",
                "root.ds", "--fixed-order", "--ehlo", "client.test",
                "--record", f"{domain}.json"]  # fmt: skip
        with Transport() as transport:
            report, vector = record_dane(
                domain,
                resolver,
                transport,
                _smtp_probe("client.test", 5.0),
                randomize_addresses=False,
                seed=7,
                command=argv,
                description=f"DANE check of {domain} (expected {want}; recorded from the "
                "test environment's mail lab)",
            )
        if report.verdict.value != want:
            raise SystemExit(f"{domain}: DANE {report.verdict.value}, but the case expects {want}")
        (out / f"{domain}.json").write_text(vector.dumps(), encoding="utf-8")
        print(f"recorded DANE {domain}: {report.verdict.value}")


def _probe_dnsviz(env: object) -> None:
    """A DNSViz probe of a few names, its grok verdicts and the anchor both need."""
    out = RECORDED / "dnsviz"
    out.mkdir(exist_ok=True)
    unbound = env.unbound_addr[0]  # type: ignore[attr-defined]
    probe = out / "recursive.json"
    subprocess.run(
        ["dnsviz", "probe", "-s", unbound, "-o", str(probe), *DNSVIZ_NAMES],
        check=True,
        capture_output=True,
    )
    shutil.copy(env.anchor_path, out / "root-anchor.ds")  # type: ignore[attr-defined]
    shutil.copy(env.anchor_dnskey_path, out / "root-anchor.dnskey")  # type: ignore[attr-defined]
    grok = subprocess.run(
        ["dnsviz", "grok", "-t", str(out / "root-anchor.dnskey"), "-r", str(probe)],
        check=True,
        capture_output=True,
        text=True,
    )
    doc = json.loads(grok.stdout)
    (out / "recursive.grok.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(f"probed {', '.join(DNSVIZ_NAMES)} with DNSViz")


def record_adversarial() -> None:
    from tests.vectors.adversarial import build_all

    ADVERSARIAL.mkdir(parents=True, exist_ok=True)
    for name, vector in build_all().items():
        (ADVERSARIAL / f"{name}.json").write_text(vector.dumps(), encoding="utf-8")
        print(f"built {name}: {vector.expected.status} {vector.expected.rcode}")


def bundle() -> None:
    BUNDLED.mkdir(parents=True, exist_ok=True)
    for stem in BUNDLE:
        target = BUNDLED / f"{stem.replace('/', '-')}.json"
        shutil.copy(RECORDED / f"{stem}.json", target)
        print(f"bundled {stem}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--live", action="store_true", help="record from the test environment")
    parser.add_argument("--adversarial", action="store_true", help="rebuild the hand-made ones")
    parser.add_argument("--bundled", action="store_true", help="refresh the package's vectors")
    args = parser.parse_args()
    everything = not (args.live or args.adversarial or args.bundled)
    if args.live or everything:
        record_live()
    if args.adversarial or everything:
        record_adversarial()
    if args.bundled or everything:
        bundle()


if __name__ == "__main__":
    main()
