"""A deterministic workload of DNSSEC-laden responses, as wire messages.

Shared by the benchmarks.  Nothing is signed: signatures and keys are random
octets of the right sizes (RSA-2048 and ECDSA P-256), which is all a codec
benchmark needs.  The messages are built with dnssec_lite's own codec from
zone text; ``python -m benchmarks.workload`` prints their sizes.

Kinds (all responses with EDNS, DO set, compressed):

* ``dnskey``   DNSKEY RRset (KSK + 2 ZSKs, RSA) with two RRSIGs
* ``mx``       MX answer + RRSIG, NS authority + RRSIG, A/AAAA glue + RRSIGs
* ``a``        A answer behind a CNAME, both signed (ECDSA)
* ``tlsa``     TLSA answer for _25._tcp + RRSIG, with a DNSKEY-less authority
* ``nxdomain`` NSEC3 NXDOMAIN proof: SOA + 3 NSEC3 with RRSIGs (RSA)
* ``big``      a ~4 KB answer: A, AAAA and TXT RRsets, each RSA-signed
"""

from __future__ import annotations

import base64
import random
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dnssec_lite.wire.edns import Edns
from dnssec_lite.wire.message import Message, Question
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.base import b32hex_encode
from dnssec_lite.wire.types import FLAG_AD, FLAG_QR, FLAG_RA, FLAG_RD, Rcode, RRType
from dnssec_lite.wire.zonefile import parse_rrsets

SEED = 4034
INCEPTION, EXPIRATION = "20240101000000", "20340101000000"


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def b64(self, size: int) -> str:
        return base64.b64encode(self.rng.randbytes(size)).decode()

    def sig(self, covered: str, labels: int, ttl: int, signer: str, alg: int = 8) -> str:
        size = 256 if alg == 8 else 64
        tag = self.rng.randrange(65536)
        return (
            f"RRSIG {covered} {alg} {labels} {ttl} {EXPIRATION} {INCEPTION} {tag} "
            f"{signer} {self.b64(size)}"
        )

    def rsa_key(self, flags: int) -> str:
        key = b"\x03\x01\x00\x01" + self.rng.randbytes(256)  # exponent 65537, 2048 bits
        return f"DNSKEY {flags} 3 8 {base64.b64encode(key).decode()}"

    def ip4(self) -> str:
        return ".".join(str(self.rng.randrange(1, 255)) for _ in range(4))

    def ip6(self) -> str:
        return "2001:db8:" + ":".join(f"{self.rng.randrange(65536):x}" for _ in range(6))


def _response(
    qname: str, qtype: str, zone_text: str, sections: tuple[int, int], **kw: object
) -> bytes:
    rrsets = parse_rrsets(zone_text)
    an, ns = sections
    msg = Message(
        id=random.Random(qname).randrange(65536),
        flags=FLAG_QR | FLAG_RD | FLAG_RA | FLAG_AD,
        rcode=int(kw.get("rcode", Rcode.NOERROR)),  # type: ignore[call-overload]
        question=[Question(Name.from_text(qname), RRType.from_text(qtype))],
        answer=rrsets[:an],
        authority=rrsets[an : an + ns],
        additional=rrsets[an + ns :],
        edns=Edns(payload=1232),
    )
    return msg.to_wire()


def build(seed: int = SEED) -> dict[str, bytes]:
    """The workload: kind -> wire message."""
    g = _Gen(seed)
    out: dict[str, bytes] = {}

    out["dnskey"] = _response(
        "example.com.",
        "DNSKEY",
        f"""
example.com. 3600 IN {g.rsa_key(257)}
example.com. 3600 IN {g.rsa_key(256)}
example.com. 3600 IN {g.rsa_key(256)}
example.com. 3600 IN {g.sig("DNSKEY", 2, 3600, "example.com.")}
example.com. 3600 IN {g.sig("DNSKEY", 2, 3600, "example.com.")}
""",
        (1, 0),
    )

    out["mx"] = _response(
        "example.com.",
        "MX",
        f"""
example.com. 3600 IN MX 10 mail.example.com.
example.com. 3600 IN MX 20 mail2.example.com.
example.com. 3600 IN {g.sig("MX", 2, 3600, "example.com.")}
example.com. 3600 IN NS ns1.example.com.
example.com. 3600 IN NS ns2.example.com.
example.com. 3600 IN {g.sig("NS", 2, 3600, "example.com.")}
mail.example.com. 3600 IN A {g.ip4()}
mail.example.com. 3600 IN {g.sig("A", 3, 3600, "example.com.")}
mail.example.com. 3600 IN AAAA {g.ip6()}
mail.example.com. 3600 IN {g.sig("AAAA", 3, 3600, "example.com.")}
mail2.example.com. 3600 IN A {g.ip4()}
mail2.example.com. 3600 IN {g.sig("A", 3, 3600, "example.com.")}
""",
        (1, 1),
    )

    out["a"] = _response(
        "www.example.org.",
        "A",
        f"""
www.example.org. 300 IN CNAME web.example.org.
www.example.org. 300 IN {g.sig("CNAME", 3, 300, "example.org.", 13)}
web.example.org. 300 IN A {g.ip4()}
web.example.org. 300 IN A {g.ip4()}
web.example.org. 300 IN {g.sig("A", 3, 300, "example.org.", 13)}
""",
        (2, 0),
    )

    out["tlsa"] = _response(
        "_25._tcp.mail.example.net.",
        "TLSA",
        f"""
_25._tcp.mail.example.net. 3600 IN TLSA 3 1 1 {g.rng.randbytes(32).hex()}
_25._tcp.mail.example.net. 3600 IN TLSA 2 0 1 {g.rng.randbytes(32).hex()}
_25._tcp.mail.example.net. 3600 IN {g.sig("TLSA", 5, 3600, "example.net.")}
example.net. 3600 IN NS ns1.example.net.
example.net. 3600 IN NS ns2.example.net.
example.net. 3600 IN {g.sig("NS", 2, 3600, "example.net.")}
""",
        (1, 1),
    )

    hashes = sorted(b32hex_encode(g.rng.randbytes(20)) for _ in range(3))
    nsec3 = "\n".join(
        f"{h}.example.com. 3600 IN NSEC3 1 0 0 - "
        f"{b32hex_encode(g.rng.randbytes(20))} A NS SOA MX TXT AAAA RRSIG DNSKEY NSEC3PARAM\n"
        f"{h}.example.com. 3600 IN {g.sig('NSEC3', 3, 3600, 'example.com.')}"
        for h in hashes
    )
    out["nxdomain"] = _response(
        "nope.example.com.",
        "A",
        f"""
example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 3600
example.com. 3600 IN {g.sig("SOA", 2, 3600, "example.com.")}
{nsec3}
""",
        (0, 4),
        rcode=Rcode.NXDOMAIN,
    )

    big = [f"big.example.com. 600 IN A {g.ip4()}" for _ in range(20)]
    big.append(f"big.example.com. 600 IN {g.sig('A', 3, 600, 'example.com.')}")
    big += [f"big.example.com. 600 IN AAAA {g.ip6()}" for _ in range(20)]
    big.append(f"big.example.com. 600 IN {g.sig('AAAA', 3, 600, 'example.com.')}")
    big += [f'big.example.com. 600 IN TXT "{g.b64(150)}" "{g.b64(60)}"' for _ in range(6)]
    big.append(f"big.example.com. 600 IN {g.sig('TXT', 3, 600, 'example.com.')}")
    big.append(f"big.example.com. 600 IN {g.sig('TXT', 3, 600, 'example.com.')}")
    out["big"] = _response("big.example.com.", "ANY", "\n".join(big), (3, 0))
    return out


if __name__ == "__main__":
    for kind, wire in build().items():
        print(f"{kind:9} {len(wire):5d} octets")
