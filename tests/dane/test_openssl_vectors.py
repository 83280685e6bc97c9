"""OpenSSL's DANE matching vectors: every block gives OpenSSL's result and depth.

Each block of ``danetest.in`` (host ``example.com``, PKIX trust store
``danetest.pem``) and ``dane-cross.in`` (host ``server.example``, trust store
``certs/cross-root.pem``) lists TLSA records, a presented chain, OpenSSL's
X509 verify result (0 OK, 20 unable to get local issuer, 62 hostname
mismatch, 65 DANE no match) and the match depth (-1: none).

All blocks run as OpenSSL runs them: PKIX usages enabled with the file's trust
store (``smtp=False``), and names checked for DANE-EE(3) unless the block says
``nonamechecks``.  None is left out.  The SMTP rules (RFC 7672) are checked on
the same data too: PKIX usages become unusable and DANE-EE(3) never checks
names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import verification

from dnssec_lite.dane import Check, DaneMatch, verify_chain
from dnssec_lite.wire.rdata.dane import TLSA

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "dane-openssl"
#: A time inside every vector certificate's validity (2026-06-01), except the
#: "never valid" leaves of blocks 1-10, which DANE-EE(3) must accept anyway.
NOW = 1_780_272_000

OK, NO_ISSUER, HOST_MISMATCH, NO_MATCH = 0, 20, 62, 65
FILES = {
    "danetest.in": ("example.com", "danetest.pem"),
    "dane-cross.in": ("server.example", "certs/cross-root.pem"),
}


@dataclass(frozen=True)
class Block:
    file: str
    number: int
    line: int
    no_name_checks: bool
    result: int
    depth: int
    records: tuple[TLSA, ...]
    chain: tuple[bytes, ...]

    @property
    def host(self) -> str:
        return FILES[self.file][0]

    @property
    def store(self) -> verification.Store:
        pem = (VECTORS / FILES[self.file][1]).read_bytes()
        return verification.Store(x509.load_pem_x509_certificates(pem))


def parse(name: str) -> list[Block]:
    """The blocks of one vector file, in the file's format (see its header)."""
    lines = (VECTORS / name).read_text(encoding="ascii").splitlines()
    blocks: list[Block] = []
    i = 0

    def content() -> tuple[int, str]:
        nonlocal i
        while True:
            text = lines[i].strip()
            i += 1
            if text and not text.startswith("#"):
                return i, text

    while any(ln.strip() and not ln.lstrip().startswith("#") for ln in lines[i:]):
        line, header = content()
        count, certs, no_names, result, depth = (int(t) for t in header.split())
        records = []
        for _ in range(count):
            usage, selector, mtype, data = content()[1].split()
            records.append(TLSA(int(usage), int(selector), int(mtype), bytes.fromhex(data)))
        chain: list[bytes] = []
        while len(chain) < certs:
            _, text = content()
            if text != "-----BEGIN CERTIFICATE-----":
                continue  # "subject=", "notBefore=" ... describe the certificate
            pem = [text]
            while not pem[-1].startswith("-----END"):
                pem.append(content()[1])
            cert = x509.load_pem_x509_certificate("\n".join(pem).encode())
            chain.append(cert.public_bytes(serialization.Encoding.DER))
        blocks.append(
            Block(
                name,
                len(blocks) + 1,
                line,
                bool(no_names),
                result,
                depth,
                tuple(records),
                tuple(chain),
            )
        )
    return blocks


BLOCKS = [block for name in FILES for block in parse(name)]


def openssl_outcome(match: DaneMatch) -> tuple[int, int]:
    """Our result in OpenSSL's terms: (verify result, match depth)."""
    if match.ok:
        assert match.depth is not None
        return OK, match.depth
    for check, code in ((Check.NAME, HOST_MISMATCH), (Check.CHAIN, NO_ISSUER)):
        failed = [f for f in match.failures if f.check is check]
        if failed:
            depth = failed[0].depth
            return code, -1 if depth is None else depth
    return NO_MATCH, -1


def test_all_blocks_are_read() -> None:
    # The peer collection counts 54 blocks in danetest.in and 1 in dane-cross.in.
    assert [sum(b.file == f for b in BLOCKS) for f in FILES] == [54, 1]
    for block in BLOCKS:
        assert len(block.records) >= 1 and len(block.chain) >= 1


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: f"{b.file}#{b.number}")
def test_block_gives_openssls_result(block: Block) -> None:
    match = verify_chain(
        block.chain,
        block.records,
        [block.host],
        NOW,
        pkix_trust_store=block.store,
        smtp=False,
        check_ee_names=not block.no_name_checks,
    )
    assert openssl_outcome(match) == (block.result, block.depth), match.reason


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: f"{b.file}#{b.number}")
def test_block_under_smtp_rules(block: Block) -> None:
    """RFC 7672: PKIX records are unusable, DANE-EE(3) never checks names."""
    match = verify_chain(block.chain, block.records, [block.host], NOW)
    dane = [r for r in block.records if r.usage in (2, 3)]
    assert match.usable == len(dane)
    if not dane:
        assert not match.ok and match.tls_required_unauthenticated
        assert all(f.check is Check.UNUSABLE for f in match.failures)
        assert "does not apply to SMTP" in match.failures[0].reason
        return
    assert not match.tls_required_unauthenticated
    expected = (block.result, block.depth)
    if block.number == 54 and block.file == "danetest.in":
        expected = (OK, 0)  # OpenSSL checks the DANE-EE name here; SMTP does not
    assert openssl_outcome(match) == expected, match.reason


def test_the_cross_certified_root_comes_from_the_record() -> None:
    (block,) = [b for b in BLOCKS if b.file == "dane-cross.in"]
    match = verify_chain(block.chain, block.records, ["server.example"], NOW)
    assert match.ok and match.depth == 2
    assert "certificate from the record is the trust anchor" in match.reason
    # After the chain's certificates expire (2116) the anchor no longer helps.
    late = verify_chain(block.chain, block.records, ["server.example"], NOW + 100 * 365 * 86400)
    assert not late.ok
    assert [f.check for f in late.failures] == [Check.CHAIN]
    assert "not valid at validation time" in late.failures[0].reason
