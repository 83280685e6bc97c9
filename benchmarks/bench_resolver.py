"""Cold and warm validated lookups against a local upstream with added latency.

Run from the repository top: ``python -m benchmarks.bench_resolver [latency_ms]``.
The upstream is a loopback test server answering from a signed private
hierarchy (``.`` -> ``test.`` -> ``example.test.``) with every answer delayed
by the latency, like a network round trip.
"""

from __future__ import annotations

import sys
import time

from dnssec_lite.resolve import Resolver
from tests.helpers.zonesigner import NOW, Hierarchy
from tests.resolve.dnsserver import serving


def main(latency_ms: float = 20.0) -> None:
    h = Hierarchy()
    h["example.test."].add("mx 3600 IN MX 10 mail.example.test.", "mail 3600 IN A 192.0.2.25")
    h.sign()
    rtt = latency_ms / 1000
    with serving(h, delay=rtt) as srv:
        r = Resolver([str(srv.server)], anchors=h.anchors(), clock=lambda: NOW)
        for label, name, rrtype in (
            ("cold", "mx.example.test.", "MX"),
            ("warm", "mail.example.test.", "A"),
        ):
            start = time.monotonic()
            answer = r.resolve(name, rrtype)
            elapsed = time.monotonic() - start
            print(
                f"{label}: {name} {rrtype} {answer.status.value}, {answer.queries} queries, "
                f"{elapsed * 1000:.1f} ms = {elapsed / rtt:.2f} RTT ({latency_ms:g} ms each)"
            )


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 20.0)
