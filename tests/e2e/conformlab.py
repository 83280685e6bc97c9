"""Extra zones for the conformance cross-checks against Unbound.

* ``algo.test.`` (signed by the environment, algorithm 13) delegates to
  ``two.algo.test.``, a zone signed here with two algorithms (13 and 8), both
  DS in the parent.  Every RRset carries both algorithms' signatures except
  ``mail.two.algo.test. A``, signed with algorithm 13 only: SECURE unless
  algorithm-downgrade hardening demands every announced algorithm.
* ``island.algo.test.``, signed here (algorithm 13) but delegated from
  ``algo.test.`` without DS: an insecure delegation, and an island of trust
  for a validator configured with its DS (:attr:`ConformLab.island_ds`).
* ``dname.test.`` (signed by the environment) holds ``old.dname.test. DNAME
  new.dname.test.`` and addresses below ``new``, for the DNAME cache.

The two-algorithm zone and the island are signed when the environment builds its zones
(fresh signatures) and handed over as an already signed body: the
environment adds the SOA, NS and name-server address lines it always writes,
so the body leaves exactly those records out (their signatures stay).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from .dnsenv import (
    SECURE,
    ZoneSpec,
    _Clock,
    _ds_from_key,
    _keygen,
    _signed_lines,
    run_tool,
)

PARENT = "algo.test"
TWO_ALGS = f"two.{PARENT}"
DNAME_ZONE = "dname.test"
#: The name signed by algorithm 13 only.
ONE_ALG_NAME = f"mail.{TWO_ALGS}."
#: A name signed by both algorithms.
BOTH_ALGS_NAME = f"www.{TWO_ALGS}."
ISLAND = f"island.{PARENT}"
#: The fourth octet of the hardened Unbound's address (``P.0.61``).
HARDENED_UNBOUND = 61


def _header(zone: str, ns_addr: str) -> str:
    """The lines the environment writes before every zone body."""
    return (
        f"$ORIGIN {zone}.\n$TTL 300\n"
        f"@ IN SOA ns.{zone}. hostmaster.{zone}. 1 3600 600 86400 300\n"
        f"@ IN NS ns.{zone}.\nns IN A {ns_addr}\n"
    )


class ConformLab:
    """Keys and zone bodies; call :meth:`zones` for ``DnsEnv(extra_zones=)``."""

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="dnssec-lite-conform-"))
        self.keys: list[Path] = []
        self.ds: list[str] = []
        self.island_keys: list[Path] = []
        #: The island's DS (zone-file line): a trust anchor for it.
        self.island_ds = ""

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    def zones(self, prefix: str) -> list[ZoneSpec]:
        """The extra zones (the prefix is not needed: no address is named)."""
        del prefix
        keydir = self.workdir / "keys"
        keydir.mkdir(exist_ok=True)
        self.keys = [
            _keygen(keydir, TWO_ALGS, algorithm, ksk=ksk)
            for algorithm in (13, 8)
            for ksk in (True, False)
        ]
        # The DS of both KSKs (one per algorithm) go into the parent.
        self.ds = [_ds_from_key(self.keys[0]), _ds_from_key(self.keys[2])]
        islanddir = self.workdir / "island-keys"
        islanddir.mkdir(exist_ok=True)
        self.island_keys = [_keygen(islanddir, ISLAND, 13, ksk=ksk) for ksk in (True, False)]
        self.island_ds = _ds_from_key(self.island_keys[0])  # not in the parent
        return [
            ZoneSpec(
                PARENT,
                SECURE,
                "parent of the two-algorithm zone, with both of its DS",
                body=lambda _zone, _ns: "".join(ds + "\n" for ds in self.ds),
                children=(TWO_ALGS, ISLAND),
            ),
            ZoneSpec(
                TWO_ALGS,
                SECURE,
                "signed with algorithms 13 and 8; mail A by 13 only",
                algorithm=None,  # signed here, served as given
                parent=PARENT,
                body=self._two_algorithm_body,
            ),
            ZoneSpec(
                ISLAND,
                SECURE,
                "signed (algorithm 13), delegated without DS: secure only under its own anchor",
                algorithm=None,  # signed here, served as given
                parent=PARENT,
                body=lambda zone, ns_addr: self._presigned(
                    zone, ns_addr, "mail IN A 192.0.2.75\n", self.island_keys
                ),
            ),
            ZoneSpec(
                DNAME_ZONE,
                SECURE,
                "old DNAME new, addresses below new",
                body=lambda _zone, _ns: (
                    f"old IN DNAME new.{DNAME_ZONE}.\n"
                    "mail.new IN A 192.0.2.80\n"
                    "www.new IN A 192.0.2.81\n"
                    "ftp.new IN A 192.0.2.82\n"
                ),
            ),
        ]

    def _two_algorithm_body(self, zone: str, ns_addr: str) -> str:
        records = "mail IN A 192.0.2.70\nwww IN A 192.0.2.71\n"
        return self._presigned(zone, ns_addr, records, self.keys, drop=(ONE_ALG_NAME, "A", "8"))

    def _presigned(
        self,
        zone: str,
        ns_addr: str,
        records: str,
        keys: list[Path],
        drop: tuple[str, str, str] | None = None,
    ) -> str:
        """``zone`` signed with ``keys`` (less the RRSIG ``drop`` names by
        owner, covered type and algorithm), without the lines the
        environment writes itself."""
        zdir = self.workdir / zone
        zdir.mkdir(exist_ok=True)
        unsigned = zdir / "zone.db"
        unsigned.write_text(
            _header(zone, ns_addr) + records + "".join(f"$INCLUDE {key}.key\n" for key in keys)
        )
        signed = zdir / "zone.signed"
        clock = _Clock()
        argv = ["dnssec-signzone", "-q", "-O", "full", "-o", f"{zone}.", "-f", str(signed)]
        argv += ["-d", str(zdir), "-s", clock.at(-1), "-e", clock.at(30)]
        argv += ["-K", str(keys[0].parent), str(unsigned)]
        run_tool([*argv, *(f"{key}.private" for key in keys)])
        apex, ns = f"{zone}.", f"ns.{zone}."
        rows: list[str] = []
        dropped = 0
        for row in _signed_lines(signed):
            owner, rtype = row[0], row[3].upper()
            if rtype == "RRSIG":
                if drop is not None and (owner, row[4], row[5]) == drop:
                    dropped += 1
                    continue
            elif (owner, rtype) in ((apex, "SOA"), (apex, "NS"), (ns, "A")):
                continue  # the environment writes these itself
            rows.append(" ".join(row))
        if drop is not None and dropped != 1:
            raise AssertionError(f"expected one RRSIG {drop} in {signed}")
        return "".join(row + "\n" for row in rows)
