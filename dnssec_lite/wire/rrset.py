"""Resource records and RRsets (with the RRSIGs that cover them).

An :class:`RRset` is the unit DNSSEC signs: all records of one owner, class
and type.  Its covering signatures travel with it in ``sigs``, so the
validator never has to search a section for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .name import Name
from .rdata.base import Rdata
from .rdata.dnssec import RRSIG
from .types import RRClass, RRType


class RR:
    """One resource record: the form zone files and single lines use."""

    __slots__ = ("name", "rdata", "rrclass", "rrtype", "ttl")

    def __init__(self, name: Name, rrtype: int, rrclass: int, ttl: int, rdata: Rdata) -> None:
        self.name = name
        self.rrtype = rrtype
        self.rrclass = rrclass
        self.ttl = ttl
        self.rdata = rdata

    def to_text(self) -> str:
        """Zone-file line: owner, TTL, class, type, rdata."""
        return (
            f"{self.name.to_text()}\t{self.ttl}\t{RRClass.to_text(self.rrclass)}\t"
            f"{RRType.to_text(self.rrtype)}\t{self.rdata.to_text()}"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RR):
            return NotImplemented
        return (
            self.name == other.name
            and self.rrtype == other.rrtype
            and self.rrclass == other.rrclass
            and self.ttl == other.ttl
            and self.rdata == other.rdata
        )

    def __hash__(self) -> int:
        return hash((self.name, self.rrtype, self.rrclass, self.rdata))

    def __repr__(self) -> str:
        return f"RR({self.to_text()!r})"


class RRset:
    """Records sharing owner, class and type, plus the RRSIGs covering them.

    ``rrtype`` is RRSIG only for signatures that arrived without the data
    they cover (an answer to a query for type RRSIG).
    """

    __slots__ = ("name", "rdatas", "rrclass", "rrtype", "sig_ttl", "sigs", "ttl")

    def __init__(
        self,
        name: Name,
        rrtype: int,
        rrclass: int,
        ttl: int,
        rdatas: Sequence[Rdata],
        sigs: Sequence[RRSIG] = (),
        sig_ttl: int | None = None,
    ) -> None:
        self.name = name
        self.rrtype = rrtype
        self.rrclass = rrclass
        self.ttl = ttl
        self.rdatas = tuple(rdatas)
        self.sigs = tuple(sigs)
        self.sig_ttl = ttl if sig_ttl is None else sig_ttl

    def with_sigs(self, sigs: Sequence[RRSIG], sig_ttl: int | None = None) -> RRset:
        return RRset(
            self.name,
            self.rrtype,
            self.rrclass,
            self.ttl,
            self.rdatas,
            sigs,
            self.sig_ttl if sig_ttl is None else sig_ttl,
        )

    def without_sigs(self) -> RRset:
        return RRset(self.name, self.rrtype, self.rrclass, self.ttl, self.rdatas)

    def with_ttl(self, ttl: int) -> RRset:
        return RRset(
            self.name,
            self.rrtype,
            self.rrclass,
            ttl,
            self.rdatas,
            self.sigs,
            min(self.sig_ttl, ttl),
        )

    def __len__(self) -> int:
        return len(self.rdatas)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.rdatas)

    def rrs(self) -> list[RR]:
        """The records (signatures included) as individual RRs."""
        out = [RR(self.name, self.rrtype, self.rrclass, self.ttl, rd) for rd in self.rdatas]
        out += [RR(self.name, RRType.RRSIG, self.rrclass, self.sig_ttl, sig) for sig in self.sigs]
        return out

    def to_text(self) -> str:
        return "\n".join(rr.to_text() for rr in self.rrs())

    def same_data(self, other: RRset) -> bool:
        """Same owner, class, type and set of rdata (TTL and sigs ignored)."""
        return (
            self.name == other.name
            and self.rrtype == other.rrtype
            and self.rrclass == other.rrclass
            and set(self.rdatas) == set(other.rdatas)
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RRset):
            return NotImplemented
        return self.same_data(other) and self.ttl == other.ttl and set(self.sigs) == set(other.sigs)

    def __hash__(self) -> int:
        return hash((self.name, self.rrtype, self.rrclass, frozenset(self.rdatas)))

    def __repr__(self) -> str:
        return (
            f"<RRset {self.name.to_text()} {RRType.to_text(self.rrtype)} "
            f"{len(self.rdatas)} rr, {len(self.sigs)} sig>"
        )


def group_rrs(rrs: Iterable[RR]) -> list[RRset]:
    """Group records into RRsets in order of first appearance.

    RRSIGs join the RRset of the type they cover (same owner and class);
    signatures whose data is absent form an RRSIG RRset of their own.  The
    TTL of an RRset is the smallest TTL of its records (RFC 2181 5.2).
    """
    data: dict[tuple[Name, int, int], list[RR]] = {}
    sigs: dict[tuple[Name, int, int], list[RR]] = {}
    order: list[tuple[str, tuple[Name, int, int]]] = []
    for rr in rrs:
        if rr.rrtype == RRType.RRSIG and isinstance(rr.rdata, RRSIG):
            key = (rr.name, rr.rdata.type_covered, rr.rrclass)
            bucket = sigs.get(key)
            if bucket is None:
                sigs[key] = bucket = []
                order.append(("s", key))
            bucket.append(rr)
        else:
            key = (rr.name, rr.rrtype, rr.rrclass)
            bucket = data.get(key)
            if bucket is None:
                data[key] = bucket = []
                order.append(("d", key))
            bucket.append(rr)
    out: list[RRset] = []
    for kind, key in order:
        if kind == "d":
            members = data[key]
            sig_rrs = sigs.get(key, [])
            out.append(
                RRset(
                    members[0].name,
                    key[1],
                    key[2],
                    min(rr.ttl for rr in members),
                    [rr.rdata for rr in members],
                    [rr.rdata for rr in sig_rrs if isinstance(rr.rdata, RRSIG)],
                    min((rr.ttl for rr in sig_rrs), default=None),
                )
            )
        elif key not in data:
            sig_rrs = sigs[key]
            out.append(
                RRset(
                    sig_rrs[0].name,
                    RRType.RRSIG,
                    key[2],
                    min(rr.ttl for rr in sig_rrs),
                    [rr.rdata for rr in sig_rrs],
                )
            )
    return out
