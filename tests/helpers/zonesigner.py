"""Build signed zones on purpose, correct or broken, for validator tests.

A :class:`Zone` holds unsigned records (added as zone-file text or RRsets),
a set of signing keys and NSEC or NSEC3 parameters.  :meth:`Zone.sign`
produces the signed zone: DNSKEY RRset, NSEC/NSEC3 chain, an RRSIG on every
authoritative RRset.  After signing, hooks break things on purpose
(re-sign one RRset with other times, key or labels; tamper with rdata;
strip signatures; remove records).

A :class:`Hierarchy` strings zones together (root -> tld -> domain), puts DS
records in the parents and gives the root trust anchor.

Everything here is test-only: the library itself never signs.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from dnssec_lite.dnssec.canonical import signed_data
from dnssec_lite.dnssec.digest import ds_digest, nsec3_hash
from dnssec_lite.dnssec.trust import TrustAnchors
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rdata.base import Rdata, b32hex_encode
from dnssec_lite.wire.rdata.dnssec import DNSKEY, DS, NSEC, NSEC3, NSEC3PARAM, RRSIG
from dnssec_lite.wire.rdata.names import SOA
from dnssec_lite.wire.rrset import RR, RRset
from dnssec_lite.wire.types import RRClass, RRType
from dnssec_lite.wire.zonefile import parse_zone

from .keys import TestKey

if TYPE_CHECKING:
    from .fakenet import FakeNetwork

#: The "current time" of generated zones unless told otherwise (2023-11-14).
NOW = 1_700_000_000
DAY = 86400
#: Default validity: from a day before NOW to thirty days after it.
INCEPTION = NOW - DAY
EXPIRATION = NOW + 30 * DAY

ROOT = Name.from_text(".")


class Signer(Protocol):
    """What a zone needs of a key: TestKey or FakeKey."""

    algorithm: int

    @property
    def public_key_bytes(self) -> bytes: ...

    def sign(self, data: bytes) -> bytes: ...


class FakeKey:
    """A key of an algorithm nobody implements (or a garbage key of a known
    one): fixed public-key bytes, random "signatures"."""

    __test__ = False

    def __init__(self, algorithm: int, key: bytes | None = None, sig_len: int = 64) -> None:
        self.algorithm = algorithm
        self._key = key if key is not None else os.urandom(64)
        self.sig_len = sig_len

    @property
    def public_key_bytes(self) -> bytes:
        return self._key

    def sign(self, data: bytes) -> bytes:
        return hashlib.shake_256(self._key + data).digest(self.sig_len)


_KEY_CACHE: dict[tuple[int, str], TestKey] = {}


def cached_key(algorithm: int, slot: str = "") -> TestKey:
    """One key per (algorithm, slot) per process: RSA generation is slow."""
    key = _KEY_CACHE.get((algorithm, slot))
    if key is None:
        fresh = algorithm in (5, 7, 8, 10) and slot != ""
        key = TestKey.generate(algorithm, fresh=fresh)
        _KEY_CACHE[(algorithm, slot)] = key
    return key


def name(text: str | Name) -> Name:
    return text if isinstance(text, Name) else Name.from_text(text)


def dnskey_of(key: Signer, flags: int) -> DNSKEY:
    return DNSKEY(flags, 3, key.algorithm, key.public_key_bytes)


def make_ds(owner: Name, dnskey: DNSKEY, digest_type: int = 2) -> DS:
    """The DS of ``dnskey``; unknown digest types get a made-up digest."""
    digest = ds_digest(digest_type, owner.canonical_wire(), dnskey.to_wire())
    if digest is None:
        digest = hashlib.sha256(b"unknown digest" + dnskey.to_wire()).digest()
    return DS(dnskey.key_tag, dnskey.algorithm, digest_type, digest)


def colliding_dnskey(dnskey: DNSKEY) -> DNSKEY:
    """A different DNSKEY with the same key tag and algorithm.

    The key tag sums even-offset octets as high bytes: adding one to one even
    offset and subtracting one from another keeps the sum.  For RSA keys the
    result is another well-formed (useless) modulus.
    """
    rdata = bytearray(dnskey.to_wire())
    # offsets inside the public key, far from the RSA exponent header
    positions = [i for i in range(len(rdata) // 2, len(rdata) - 2) if i % 2 == 0]
    for i in positions:
        for j in positions:
            if i != j and rdata[i] < 255 and rdata[j] > 0:
                rdata[i] += 1
                rdata[j] -= 1
                out = DNSKEY(dnskey.flags, dnskey.protocol, dnskey.algorithm, bytes(rdata[4:]))
                assert out.key_tag == dnskey.key_tag and out != dnskey
                return out
    raise ValueError("cannot make a colliding key")


def sign_rrset(
    rrset: RRset,
    key: Signer,
    signer: Name,
    *,
    flags: int = 256,
    inception: int = INCEPTION,
    expiration: int = EXPIRATION,
    labels: int | None = None,
    original_ttl: int | None = None,
    key_tag: int | None = None,
    algorithm: int | None = None,
    type_covered: int | None = None,
) -> RRSIG:
    """One RRSIG over ``rrset`` by ``key`` (fields overridable to break it)."""
    if labels is None:
        labels = rrset.name.label_count()
    tag = key_tag if key_tag is not None else dnskey_of(key, flags).key_tag
    sig = RRSIG(
        rrset.rrtype if type_covered is None else type_covered,
        key.algorithm if algorithm is None else algorithm,
        labels,
        rrset.ttl if original_ttl is None else original_ttl,
        expiration & 0xFFFFFFFF,
        inception & 0xFFFFFFFF,
        tag,
        signer,
        b"",
    )
    signature = key.sign(signed_data(rrset, sig))
    return RRSIG(
        sig.type_covered,
        sig.algorithm,
        sig.labels,
        sig.original_ttl,
        sig.expiration,
        sig.inception,
        sig.key_tag,
        signer,
        signature,
    )


@dataclass
class ZoneKey:
    """A key of a zone: what it signs and whether it is published / in DS."""

    key: Signer
    flags: int
    signs_keys: bool
    signs_zone: bool
    publish: bool = True
    in_ds: bool = True

    @property
    def dnskey(self) -> DNSKEY:
        return dnskey_of(self.key, self.flags)


@dataclass(frozen=True)
class NSEC3Params:
    iterations: int = 0
    salt: bytes = b""
    opt_out: bool = False
    algorithm: int = 1


class Zone:
    """A zone to sign.  ``nsec3`` None means an NSEC chain.

    ``data`` maps (owner, type) to unsigned RRsets; after :meth:`sign`,
    ``signed`` maps them to signed RRsets and ``nsec3_rrsets`` holds the
    NSEC3 chain by owner; ``child_ds`` is set by the Hierarchy.
    """

    keys: list[ZoneKey]
    data: dict[tuple[Name, int], RRset]
    signed: dict[tuple[Name, int], RRset]
    nsec3_rrsets: dict[Name, RRset]
    child_ds: dict[Name, list[DS]]

    def __init__(
        self,
        apex: str | Name,
        algorithm: int = 13,
        *,
        nsec3: NSEC3Params | None = None,
        ttl: int = 3600,
        inception: int = INCEPTION,
        expiration: int = EXPIRATION,
        signed: bool = True,
        ksk: Signer | None = None,
        zsk: Signer | None = None,
        single_key: bool = False,
        soa_minimum: int = 300,
    ) -> None:
        self.apex = name(apex)
        self.algorithm = algorithm
        self.nsec3 = nsec3
        self.ttl = ttl
        self.inception = inception
        self.expiration = expiration
        self.signed_zone = signed
        self.keys = []
        self.data = {}
        self.signed = {}
        self.nsec3_rrsets = {}
        self.child_ds = {}
        if signed:
            ksk = ksk if ksk is not None else cached_key(algorithm, "ksk")
            if single_key:
                self.keys.append(ZoneKey(ksk, 257, True, True))
            else:
                zsk = zsk if zsk is not None else cached_key(algorithm, "zsk")
                self.keys.append(ZoneKey(ksk, 257, True, False))
                self.keys.append(ZoneKey(zsk, 256, False, True, in_ds=False))
        apex_text = self.apex.to_text()
        ns = self.apex.child(b"ns1").to_text()
        mail = self.apex.child(b"hostmaster").to_text()
        self.add(
            f"{apex_text} {ttl} IN SOA {ns} {mail} 2023111401 7200 3600 1209600 {soa_minimum}",
            f"{apex_text} {ttl} IN NS {ns}",
        )

    # -- building ------------------------------------------------------------
    def add(self, *lines: str) -> Zone:
        """Add records in zone-file text (names relative to the apex)."""
        rrs = parse_zone("\n".join(lines) + "\n", self.apex, self.ttl)
        for rr in rrs:
            self.add_rr(rr)
        return self

    def add_rr(self, rr: RR) -> None:
        key = (rr.name, rr.rrtype)
        old = self.data.get(key)
        rdatas = list(old.rdatas) if old is not None else []
        if rr.rdata not in rdatas:
            rdatas.append(rr.rdata)
        ttl = min(old.ttl, rr.ttl) if old is not None else rr.ttl
        self.data[key] = RRset(rr.name, rr.rrtype, RRClass.IN, ttl, rdatas)

    def add_rrset(self, rrset: RRset) -> None:
        self.data[(rrset.name, rrset.rrtype)] = rrset.without_sigs()

    def remove_data(self, owner: str | Name, rrtype: int) -> None:
        self.data.pop((self._abs(owner), rrtype), None)

    def add_key(
        self,
        key: Signer,
        flags: int = 256,
        *,
        signs_keys: bool = False,
        signs_zone: bool = True,
        publish: bool = True,
        in_ds: bool | None = None,
    ) -> ZoneKey:
        zk = ZoneKey(
            key,
            flags,
            signs_keys,
            signs_zone,
            publish,
            bool(flags & 1) if in_ds is None else in_ds,
        )
        self.keys.append(zk)
        return zk

    def _abs(self, owner: str | Name) -> Name:
        if isinstance(owner, Name):
            return owner
        return Name.from_text(owner, self.apex)

    # -- queries on the unsigned data -------------------------------------------
    def cuts(self) -> set[Name]:
        """Delegation points: NS owners other than the apex."""
        return {n for (n, t) in self.data if t == RRType.NS and n != self.apex}

    def below_cut(self, owner: Name) -> Name | None:
        """The delegation at or above ``owner`` (not the apex), if any."""
        for cut in self.cuts():
            if owner.is_subdomain(cut):
                return cut
        return None

    def is_glue(self, owner: Name, rrtype: int) -> bool:
        cut = self.below_cut(owner)
        if cut is None:
            return False
        return not (owner == cut and rrtype in (RRType.NS, RRType.DS, RRType.NSEC))

    def owners(self) -> list[Name]:
        """Authoritative owners and delegation points, canonical order."""
        out = set()
        for owner, _rrtype in self.data:
            cut = self.below_cut(owner)
            if cut is not None and owner != cut:
                continue
            out.add(owner)
        return sorted(out)

    def types_at(self, owner: Name) -> set[int]:
        return {t for (n, t) in self.data if n == owner}

    def ds_rdatas(self, digest_types: Sequence[int] = (2,)) -> list[DS]:
        """The DS records the parent should publish for this zone."""
        return [
            make_ds(self.apex, zk.dnskey, dt) for zk in self.keys if zk.in_ds for dt in digest_types
        ]

    def dnskey_rrset(self) -> RRset:
        return RRset(
            self.apex,
            RRType.DNSKEY,
            RRClass.IN,
            self.ttl,
            [zk.dnskey for zk in self.keys if zk.publish],
        )

    # -- signing ---------------------------------------------------------------
    def sign(self) -> Zone:
        """(Re)build DNSKEY, DS of children, the denial chain and all RRSIGs."""
        for child, ds_list in self.child_ds.items():
            self.data.pop((child, RRType.DS), None)
            if ds_list:
                self.data[(child, RRType.DS)] = RRset(
                    child, RRType.DS, RRClass.IN, self.ttl, ds_list
                )
        self.signed = {}
        self.nsec3_rrsets = {}
        if not self.signed_zone:
            for key, rrset in self.data.items():
                self.signed[key] = rrset
            return self
        self.data[(self.apex, RRType.DNSKEY)] = self.dnskey_rrset()
        for key in [k for k in self.data if k[1] in (RRType.NSEC, RRType.NSEC3PARAM)]:
            del self.data[key]
        if self.nsec3 is not None:
            p = self.nsec3
            self.data[(self.apex, RRType.NSEC3PARAM)] = RRset(
                self.apex,
                RRType.NSEC3PARAM,
                RRClass.IN,
                0,
                [NSEC3PARAM(p.algorithm, 0, p.iterations, p.salt)],
            )
        else:
            self._build_nsec()
        for key, rrset in self.data.items():
            owner, rrtype = key
            if self.is_glue(owner, rrtype) or (owner in self.cuts() and rrtype == RRType.NS):
                self.signed[key] = rrset
                continue
            self.signed[key] = rrset.with_sigs(self._sigs_for(rrset))
        if self.nsec3 is not None:
            self._build_nsec3()
        return self

    def _sigs_for(self, rrset: RRset, **overrides: object) -> list[RRSIG]:
        signers = [
            zk
            for zk in self.keys
            if (zk.signs_keys if rrset.rrtype == RRType.DNSKEY else zk.signs_zone)
        ]
        kwargs: dict[str, object] = {"inception": self.inception, "expiration": self.expiration}
        kwargs.update(overrides)
        return [
            sign_rrset(rrset, zk.key, self.apex, flags=zk.flags, **kwargs)  # type: ignore[arg-type]
            for zk in signers
        ]

    def _build_nsec(self) -> None:
        owners = self.owners()
        for i, owner in enumerate(owners):
            nxt = owners[(i + 1) % len(owners)]
            types = self.types_at(owner) | {RRType.NSEC, RRType.RRSIG}
            if owner in self.cuts():
                types = {t for t in types if t in (RRType.NS, RRType.DS, RRType.NSEC, RRType.RRSIG)}
            self.data[(owner, RRType.NSEC)] = RRset(
                owner, RRType.NSEC, RRClass.IN, self.soa_minimum(), [NSEC(nxt, frozenset(types))]
            )

    def soa_minimum(self) -> int:
        soa = self.data[(self.apex, RRType.SOA)].rdatas[0]
        assert isinstance(soa, SOA)
        return min(soa.minimum, self.ttl)

    def nsec3_owner(self, owner: Name) -> Name:
        assert self.nsec3 is not None
        digest = nsec3_hash(owner.canonical_wire(), self.nsec3.salt, self.nsec3.iterations)
        return self.apex.child(b32hex_encode(digest).lower().encode())

    def _build_nsec3(self) -> None:
        assert self.nsec3 is not None
        p = self.nsec3
        names: dict[Name, set[int]] = {}
        for owner in self.owners():
            types = self.types_at(owner)
            if owner in self.cuts():
                if RRType.DS not in types and p.opt_out:
                    continue
                types = {t for t in types if t in (RRType.NS, RRType.DS)}
            if types - {RRType.NS} or owner == self.apex:
                types = types | {RRType.RRSIG}
            names.setdefault(owner, set()).update(types)
            # empty non-terminals between the owner and the apex
            walk = owner
            while walk != self.apex and len(walk) > len(self.apex):
                walk = walk.parent()
                names.setdefault(walk, set())
        hashed = sorted((nsec3_hash(n.canonical_wire(), p.salt, p.iterations), n) for n in names)
        for i, (digest, owner) in enumerate(hashed):
            nxt = hashed[(i + 1) % len(hashed)][0]
            rd = NSEC3(
                p.algorithm,
                1 if p.opt_out else 0,
                p.iterations,
                p.salt,
                nxt,
                frozenset(names[owner]),
            )
            hname = self.apex.child(b32hex_encode(digest).lower().encode())
            rrset = RRset(hname, RRType.NSEC3, RRClass.IN, self.soa_minimum(), [rd])
            self.nsec3_rrsets[hname] = rrset.with_sigs(self._sigs_for(rrset))

    # -- breaking things after signing -------------------------------------------
    def get(self, owner: str | Name, rrtype: int) -> RRset:
        owner = self._abs(owner)
        if rrtype == RRType.NSEC3:
            return self.nsec3_rrsets[owner]
        return self.signed[(owner, rrtype)]

    def put(self, rrset: RRset) -> None:
        if rrset.rrtype == RRType.NSEC3:
            self.nsec3_rrsets[rrset.name] = rrset
        else:
            self.signed[(rrset.name, rrset.rrtype)] = rrset

    def resign(
        self,
        owner: str | Name,
        rrtype: int,
        *,
        key: Signer | None = None,
        flags: int = 256,
        keep: bool = False,
        **overrides: object,
    ) -> RRset:
        """Replace the RRSIGs of one RRset: by the zone's signing keys with
        other fields (inception, expiration, labels, original_ttl, key_tag,
        algorithm, signer...), or by ``key`` alone.  ``keep`` adds the new
        signature to the old ones."""
        rrset = self.get(owner, rrtype)
        plain = rrset.without_sigs()
        if key is not None:
            signer = overrides.pop("signer", self.apex)
            assert isinstance(signer, Name)
            sigs = [sign_rrset(plain, key, signer, flags=flags, **overrides)]  # type: ignore[arg-type]
        else:
            sigs = self._sigs_for(plain, **overrides)
        if keep:
            sigs = list(rrset.sigs) + sigs
        out = plain.with_sigs(sigs)
        self.put(out)
        return out

    def tamper(self, owner: str | Name, rrtype: int, *rdata_text: str) -> RRset:
        """Replace the data of a signed RRset, keeping its old signatures."""
        rrset = self.get(owner, rrtype)
        owner_name = self._abs(owner)
        rrs = parse_zone(
            "\n".join(
                f"{owner_name.to_text()} {rrset.ttl} IN {RRType.to_text(rrtype)} {t}"
                for t in rdata_text
            )
            + "\n",
            self.apex,
        )
        out = RRset(rrset.name, rrtype, RRClass.IN, rrset.ttl, [rr.rdata for rr in rrs], rrset.sigs)
        self.put(out)
        return out

    def replace_rdatas(self, owner: str | Name, rrtype: int, rdatas: Sequence[Rdata]) -> RRset:
        rrset = self.get(owner, rrtype)
        out = RRset(rrset.name, rrtype, RRClass.IN, rrset.ttl, rdatas, rrset.sigs)
        self.put(out)
        return out

    def strip_sigs(self, owner: str | Name, rrtype: int) -> RRset:
        out = self.get(owner, rrtype).without_sigs()
        self.put(out)
        return out

    def strip_all_sigs(self) -> None:
        for key, rrset in list(self.signed.items()):
            self.signed[key] = rrset.without_sigs()
        for key, rrset in list(self.nsec3_rrsets.items()):
            self.nsec3_rrsets[key] = rrset.without_sigs()

    def remove(self, owner: str | Name, rrtype: int) -> None:
        """Drop a signed RRset (e.g. the DNSKEY RRset) from what is served."""
        owner = self._abs(owner)
        if rrtype == RRType.NSEC3:
            self.nsec3_rrsets.pop(owner, None)
        else:
            self.signed.pop((owner, rrtype), None)

    def map_sigs(self, fn: Callable[[RRset], list[RRSIG]]) -> None:
        """Replace the signatures of every signed RRset by ``fn(rrset)``."""
        for key, rrset in list(self.signed.items()):
            if rrset.sigs:
                self.signed[key] = rrset.with_sigs(fn(rrset))
        for key, rrset in list(self.nsec3_rrsets.items()):
            self.nsec3_rrsets[key] = rrset.with_sigs(fn(rrset))

    def resign_all(self, **overrides: object) -> None:
        """Re-sign every signed RRset with other fields (e.g. times)."""
        for key, rrset in list(self.signed.items()):
            if rrset.sigs:
                sigs = self._sigs_for(rrset.without_sigs(), **overrides)
                self.signed[key] = rrset.with_sigs(sigs)
        for key, rrset in list(self.nsec3_rrsets.items()):
            self.nsec3_rrsets[key] = rrset.with_sigs(
                self._sigs_for(rrset.without_sigs(), **overrides)
            )

    # -- lookups used by the fake network ------------------------------------------
    def exists(self, owner: Name) -> bool:
        """The name has records or is an empty non-terminal."""
        for n, _t in self.signed:
            if n.is_subdomain(owner):
                return True
        return False

    def nsec_for(self, owner: Name) -> RRset | None:
        return self.signed.get((owner, RRType.NSEC))

    def nsec_covering(self, qname: Name) -> RRset | None:
        """The NSEC with the greatest owner before ``qname`` (canonical order)."""
        best: RRset | None = None
        for (n, t), rrset in self.signed.items():
            if t == RRType.NSEC and n < qname and (best is None or n > best.name):
                best = rrset
        return best

    def nsec3_matching(self, owner: Name) -> RRset | None:
        if self.nsec3 is None:
            return None
        return self.nsec3_rrsets.get(self.nsec3_owner(owner))

    def nsec3_covering(self, owner: Name) -> RRset | None:
        """The NSEC3 whose hash precedes the hash of ``owner`` (wrapping)."""
        if self.nsec3 is None or not self.nsec3_rrsets:
            return None
        target = self.nsec3_owner(owner).labels[0].lower()
        ordered = sorted(self.nsec3_rrsets.items(), key=lambda kv: kv[0].labels[0].lower())
        best = ordered[-1][1]
        for hname, rrset in ordered:
            if hname.labels[0].lower() < target:
                best = rrset
        return best


class Hierarchy:
    """root -> tld -> domain, each signed, DS records in the parents.

    ``Hierarchy()`` makes ``.``, ``test.`` and ``example.test.``; more zones
    with :meth:`add_zone`.  Call :meth:`sign` after changing anything.
    """

    zones: dict[Name, Zone]
    ds_override: dict[Name, list[DS]]
    digest_types: dict[Name, tuple[int, ...]]
    insecure: set[Name]

    def __init__(
        self,
        algorithm: int = 13,
        *,
        nsec3: NSEC3Params | None = None,
        tld: str = "test.",
        domain: str | None = "example.test.",
    ) -> None:
        self.zones = {}
        self.ds_override = {}
        self.digest_types = {}
        self.insecure = set()
        self.root = self.add_zone(".", algorithm=algorithm, nsec3=nsec3)
        self.tld = self.add_zone(tld, algorithm=algorithm, nsec3=nsec3)
        self.domain: Zone | None = None
        if domain is not None:
            self.domain = self.add_zone(domain, algorithm=algorithm, nsec3=nsec3)

    def add_zone(
        self,
        apex: str | Name,
        *,
        algorithm: int = 13,
        nsec3: NSEC3Params | None = None,
        signed: bool = True,
        secure_delegation: bool = True,
        digest_types: tuple[int, ...] = (2,),
        **kwargs: object,
    ) -> Zone:
        """A new zone below its closest existing ancestor zone (NS + glue,
        and DS unless ``secure_delegation`` is False or it is unsigned)."""
        zone = Zone(apex, algorithm, nsec3=nsec3, signed=signed, **kwargs)  # type: ignore[arg-type]
        self.zones[zone.apex] = zone
        self.digest_types[zone.apex] = digest_types
        if not (signed and secure_delegation):
            self.insecure.add(zone.apex)
        parent = self.parent_of(zone.apex)
        ns = zone.apex.child(b"ns1").to_text()
        if parent is not None:
            parent.add(
                f"{zone.apex.to_text()} {parent.ttl} IN NS {ns}",
                f"{ns} {parent.ttl} IN A 192.0.2.53",
            )
        zone.add(f"{ns} {zone.ttl} IN A 192.0.2.53")
        return zone

    def parent_of(self, apex: Name) -> Zone | None:
        best: Zone | None = None
        for zapex, zone in self.zones.items():
            if apex.is_strict_subdomain(zapex) and (best is None or len(zapex) > len(best.apex)):
                best = zone
        return best

    def __getitem__(self, apex: str) -> Zone:
        return self.zones[name(apex)]

    def set_ds(self, child: str | Name, ds: list[DS]) -> None:
        """Publish exactly these DS records for ``child`` (e.g. a mismatch)."""
        self.ds_override[name(child)] = ds

    def sign(self) -> Hierarchy:
        for apex, zone in self.zones.items():
            parent = self.parent_of(apex)
            if parent is None:
                continue
            if apex in self.ds_override:
                ds = self.ds_override[apex]
            elif apex in self.insecure:
                ds = []
            else:
                ds = zone.ds_rdatas(self.digest_types.get(apex, (2,)))
            parent.child_ds[apex] = ds
        for zone in self.zones.values():
            zone.sign()
        return self

    def root_ds(self, digest_type: int = 2) -> list[RR]:
        return [
            RR(ROOT, RRType.DS, RRClass.IN, 3600, ds) for ds in self.root.ds_rdatas((digest_type,))
        ]

    def anchors(self, negative: Iterable[Name] = ()) -> TrustAnchors:
        """The root trust anchor (DS form)."""
        return TrustAnchors.from_rrs(self.root_ds(), negative)

    def anchor_for(self, apex: str | Name, *, form: str = "ds") -> TrustAnchors:
        """A trust anchor for one zone (an island of trust), DS or DNSKEY form."""
        zone = self.zones[name(apex)]
        if form == "ds":
            rrs = [RR(zone.apex, RRType.DS, RRClass.IN, 3600, d) for d in zone.ds_rdatas()]
        else:
            rrs = [
                RR(zone.apex, RRType.DNSKEY, RRClass.IN, 3600, zk.dnskey)
                for zk in zone.keys
                if zk.in_ds
            ]
        return TrustAnchors.from_rrs(rrs)

    def network(self, **kwargs: object) -> FakeNetwork:
        from .fakenet import FakeNetwork

        return FakeNetwork(list(self.zones.values()), **kwargs)  # type: ignore[arg-type]


__all__ = [
    "DAY",
    "EXPIRATION",
    "INCEPTION",
    "NOW",
    "FakeKey",
    "Hierarchy",
    "NSEC3Params",
    "Zone",
    "ZoneKey",
    "cached_key",
    "colliding_dnskey",
    "make_ds",
    "sign_rrset",
]
