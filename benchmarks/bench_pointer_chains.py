"""Parse time of hostile compression-pointer layouts, 1 KB to 64 KB.

Run from the repository root: ``python -m benchmarks.bench_pointer_chains``
(``--quick``: fewer sizes and rounds).  Each layout is a response whose
names are built to make a decoder walk as far as possible; the builders are
also used by the tests.  Each figure is the best of a few rounds; dnspython
parses the same octets in the same run (``rejects`` where it refuses them).

* ``chain``: the first record's data is a root octet followed by pointers,
  each to the one before it (as deep as the 14-bit pointer range allows),
  then CNAME records whose owner and target point into the upper half of it.
  A decoder without a bound on pointers walks thousands of hops per name.
* ``chain127``: the same with the chain cut to the deepest layout a name may
  have (:data:`~dnssec_lite.wire.name.MAX_POINTERS` pointers with the
  owner's own), so the message is valid and must be parsed.
* ``labels127``: an honest-looking chain, each link one label and a pointer
  to the previous link, 127 labels (255 octets) at its end; CNAME records
  point at every depth of it.
* ``suffixes``: a name of 127 one-octet labels, and CNAME records pointing at
  each of its labels: every suffix is a name of its own (one pointer each).
* ``chain16`` and ``labels16``: the same cut to 16 pointers per name, the
  most dnspython accepts (it rejects the deeper layouts).
"""

from __future__ import annotations

import argparse
import gc
import struct
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dnssec_lite.errors import WireFormatError  # noqa: E402
from dnssec_lite.wire.message import Message  # noqa: E402

_HEADER = struct.Struct("!HHHHHH")
_RR = struct.Struct("!HHIH")
_QUESTION = b"\x01a\x00\x00\x01\x00\x01"  # a. IN A, at offset 12
_PRIVATE_TYPE = 65280  # decoded as generic data: the chain is never read as rdata
_CNAME = 5
_IN = 1
_POINTER_RANGE = 0x3FFF
#: Octets of one CNAME record whose owner and target are both pointers.
CNAME_RECORD = 2 + 10 + 2


def _pointer(offset: int) -> bytes:
    return struct.pack("!H", 0xC000 | offset)


def _message(records: list[bytes], question: bytes, msg_id: int) -> bytes:
    header = _HEADER.pack(msg_id, 0x8180, 1, len(records), 0, 0)
    return header + question + b"".join(records)


def _cnames(targets: list[int], count: int) -> list[bytes]:
    """``count`` CNAME records, owner and target cycling through ``targets``."""
    out = []
    for i in range(count):
        owner = targets[(2 * i) % len(targets)]
        target = targets[(2 * i + 1) % len(targets)]
        out.append(_pointer(owner) + _RR.pack(_CNAME, _IN, 300, 2) + _pointer(target))
    return out


def pointer_chain(
    size: int, depth: int | None = None, *, question: bytes = _QUESTION, msg_id: int = 0x1234
) -> bytes:
    """The ``chain`` layout of about ``size`` octets (``chain127`` with
    ``depth=127``): a chain of ``depth`` pointers (by default half the
    message, within the pointer range), then CNAME records into its upper
    half.  ``question`` (its wire form) and ``msg_id`` make it a reply."""
    fixed = 12 + len(question) + 12  # header, question, chain record header
    if depth is None:
        depth = max(1, min((size - fixed) // 4, (_POINTER_RANGE - fixed) // 2))
    start = fixed  # the root octet of the chain
    rdata = b"\x00" + b"".join(
        _pointer(start if i == 0 else start + 1 + 2 * (i - 1)) for i in range(depth)
    )
    chain = _pointer(12) + _RR.pack(_PRIVATE_TYPE, _IN, 300, len(rdata)) + rdata
    links = [start + 1 + 2 * i for i in range(depth)]
    upper = links[len(links) // 2 :][::-1]  # deepest first
    count = max(0, (size - fixed - len(rdata)) // CNAME_RECORD)
    return _message([chain, *_cnames(upper, count)], question, msg_id)


def label_chain(size: int, labels: int = 127) -> bytes:
    """The ``labels127`` layout: links of one label and a pointer to the
    previous link, ``labels`` labels at the last, then CNAME records that
    point at every link, deepest first."""
    fixed = 12 + len(_QUESTION) + 12
    start = fixed
    rdata = bytearray(b"\x01a\x00")
    links = [start]
    for _ in range(labels - 1):
        links.append(start + len(rdata))
        rdata += b"\x01a" + _pointer(links[-2])
    chain = _pointer(12) + _RR.pack(_PRIVATE_TYPE, _IN, 300, len(rdata)) + bytes(rdata)
    count = max(0, (size - fixed - len(rdata)) // CNAME_RECORD)
    return _message([chain, *_cnames(links[::-1], count)], _QUESTION, 0x1234)


def label_suffixes(size: int, labels: int = 127) -> bytes:
    """The ``suffixes`` layout: one name of ``labels`` one-octet labels, then
    CNAME records pointing at the start of each of its labels (every suffix
    of the name), longest first."""
    fixed = 12 + len(_QUESTION) + 12
    rdata = b"\x01a" * labels + b"\x00"
    chain = _pointer(12) + _RR.pack(_PRIVATE_TYPE, _IN, 300, len(rdata)) + rdata
    starts = [fixed + 2 * i for i in range(labels)]
    count = max(0, (size - fixed - len(rdata)) // CNAME_RECORD)
    return _message([chain, *_cnames(starts, count)], _QUESTION, 0x1234)


LAYOUTS: dict[str, Callable[[int], bytes]] = {
    "chain": pointer_chain,
    "chain127": lambda size: pointer_chain(size, 127),
    "labels127": label_chain,
    "suffixes": label_suffixes,
    # Within dnspython's limit of 16 pointers per name, so that it parses them.
    "chain16": lambda size: pointer_chain(size, 15),
    "labels16": lambda size: label_chain(size, 16),
}


def _best(fn: Callable[[], object], rounds: int) -> tuple[float, str]:
    """Best seconds of ``rounds`` calls, and "ok" or the error it raised."""
    best = float("inf")
    outcome = "ok"
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        try:
            fn()
        except Exception as exc:  # reported, not handled
            outcome = f"{type(exc).__name__}: {exc}"
        best = min(best, time.perf_counter() - start)
    return best, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and rounds")
    parser.add_argument(
        "--no-dnspython", action="store_true", help="time dnssec_lite only (no dnspython)"
    )
    args = parser.parse_args()
    sizes = (
        [1024, 4096, 16384, 65535] if args.quick else [1024, 2048, 4096, 8192, 16384, 32768, 65535]
    )
    try:
        import dns.message

        theirs: Callable[[bytes], object] | None = dns.message.from_wire
    except ImportError:
        theirs = None
    if args.no_dnspython:
        theirs = None
    print(f"python {sys.version.split()[0]}; best of N rounds, milliseconds per message")
    print(
        f"{'layout':<10} {'octets':>6} {'records':>7}  {'dnssec_lite':>11} {'µs/KB':>7}  "
        f"{'dnspython':>9}  dnssec_lite outcome"
    )
    for name, build in LAYOUTS.items():
        for size in sizes:
            wire = build(size)
            records = _HEADER.unpack_from(wire, 0)[3]
            ours, outcome = _best(partial(Message.from_wire, wire), 1 if args.quick else 5)
            if outcome != "ok" and not outcome.startswith(WireFormatError.__name__):
                raise SystemExit(f"{name} {size}: unexpected {outcome}")
            them = "-"
            if theirs is not None:
                seconds, verdict = _best(partial(theirs, wire), 1)
                them = f"{seconds * 1e3:9.2f}" if verdict == "ok" else "  rejects"
            per_kb = ours * 1e6 / (len(wire) / 1024)
            print(
                f"{name:<10} {len(wire):>6} {records:>7}  {ours * 1e3:11.2f} {per_kb:7.1f}  "
                f"{them:>9}  {outcome[:70]}"
            )


if __name__ == "__main__":
    main()
