"""Numeric code points of DNS as enums that keep unknown values.

Records and messages store plain ``int`` codes (fast to parse and compare);
these enums give them names for text output and parsing.  Unknown values get
RFC 3597 names (``TYPE65534``, ``CLASS4711``) instead of raising, so any code
survives a round trip.
"""

from __future__ import annotations

from enum import IntEnum


class _OpenEnum(IntEnum):
    """An IntEnum whose unknown values become pseudo-members named PREFIXnnn."""

    @classmethod
    def _prefix(cls) -> str:
        return cls.__name__.upper()

    @classmethod
    def _missing_(cls, value: object) -> _OpenEnum | None:
        if isinstance(value, int) and 0 <= value <= 0xFFFF:
            member = int.__new__(cls, value)
            member._name_ = f"{cls._prefix()}{value}"
            member._value_ = value
            return member
        return None

    @classmethod
    def to_text(cls, value: int) -> str:
        """Mnemonic of ``value`` (or the generic ``PREFIXnnn`` form)."""
        return cls(value).name

    @classmethod
    def from_text(cls, text: str) -> int:
        """Code for a mnemonic or ``PREFIXnnn``; raises ValueError otherwise."""
        upper = text.upper()
        member = cls.__members__.get(upper)
        if member is not None:
            return int(member)
        prefix = cls._prefix()
        if upper.startswith(prefix) and upper[len(prefix) :].isdigit():
            value = int(upper[len(prefix) :])
            if value <= 0xFFFF:
                return value
        raise ValueError(f"unknown {cls.__name__} {text!r}")


class RRType(_OpenEnum):
    """Resource record types (IANA DNS parameters registry)."""

    A = 1
    NS = 2
    MD = 3
    MF = 4
    CNAME = 5
    SOA = 6
    MB = 7
    MG = 8
    MR = 9
    NULL = 10
    WKS = 11
    PTR = 12
    HINFO = 13
    MINFO = 14
    MX = 15
    TXT = 16
    RP = 17
    AFSDB = 18
    X25 = 19
    ISDN = 20
    RT = 21
    NSAP = 22
    NSAP_PTR = 23
    SIG = 24
    KEY = 25
    PX = 26
    GPOS = 27
    AAAA = 28
    LOC = 29
    NXT = 30
    EID = 31
    NIMLOC = 32
    SRV = 33
    ATMA = 34
    NAPTR = 35
    KX = 36
    CERT = 37
    A6 = 38
    DNAME = 39
    SINK = 40
    OPT = 41
    APL = 42
    DS = 43
    SSHFP = 44
    IPSECKEY = 45
    RRSIG = 46
    NSEC = 47
    DNSKEY = 48
    DHCID = 49
    NSEC3 = 50
    NSEC3PARAM = 51
    TLSA = 52
    SMIMEA = 53
    HIP = 55
    NINFO = 56
    RKEY = 57
    TALINK = 58
    CDS = 59
    CDNSKEY = 60
    OPENPGPKEY = 61
    CSYNC = 62
    ZONEMD = 63
    SVCB = 64
    HTTPS = 65
    DSYNC = 66
    HHIT = 67
    BRID = 68
    SPF = 99
    UINFO = 100
    UID = 101
    GID = 102
    UNSPEC = 103
    NID = 104
    L32 = 105
    L64 = 106
    LP = 107
    EUI48 = 108
    EUI64 = 109
    NXNAME = 128
    TKEY = 249
    TSIG = 250
    IXFR = 251
    AXFR = 252
    MAILB = 253
    MAILA = 254
    ANY = 255
    URI = 256
    CAA = 257
    AVC = 258
    DOA = 259
    AMTRELAY = 260
    RESINFO = 261
    WALLET = 262
    TA = 32768
    DLV = 32769

    @classmethod
    def _prefix(cls) -> str:
        return "TYPE"

    # The registry spells type 23 "NSAP-PTR", which is no Python identifier.
    @classmethod
    def to_text(cls, value: int) -> str:
        return cls(value).name.replace("_", "-")

    @classmethod
    def from_text(cls, text: str) -> int:
        return super().from_text(text.replace("-", "_"))


class RRClass(_OpenEnum):
    """Record classes; only IN matters for DNSSEC, the rest round-trip."""

    IN = 1
    CH = 3
    HS = 4
    NONE = 254
    ANY = 255

    @classmethod
    def _prefix(cls) -> str:
        return "CLASS"


class Opcode(_OpenEnum):
    """Message opcodes (4 bits)."""

    QUERY = 0
    IQUERY = 1
    STATUS = 2
    NOTIFY = 4
    UPDATE = 5
    DSO = 6

    @classmethod
    def _prefix(cls) -> str:
        return "OPCODE"


class Rcode(_OpenEnum):
    """Response codes, including the EDNS extended range (12 bits)."""

    NOERROR = 0
    FORMERR = 1
    SERVFAIL = 2
    NXDOMAIN = 3
    NOTIMP = 4
    REFUSED = 5
    YXDOMAIN = 6
    YXRRSET = 7
    NXRRSET = 8
    NOTAUTH = 9
    NOTZONE = 10
    BADVERS = 16
    BADCOOKIE = 23

    @classmethod
    def _prefix(cls) -> str:
        return "RCODE"


class Algorithm(_OpenEnum):
    """DNSSEC algorithm numbers (RFC 8624 / RFC 9904 registry)."""

    RSAMD5 = 1
    DH = 2
    DSA = 3
    RSASHA1 = 5
    DSANSEC3SHA1 = 6
    RSASHA1NSEC3SHA1 = 7
    RSASHA256 = 8
    RSASHA512 = 10
    ECCGOST = 12
    ECDSAP256SHA256 = 13
    ECDSAP384SHA384 = 14
    ED25519 = 15
    ED448 = 16
    INDIRECT = 252
    PRIVATEDNS = 253
    PRIVATEOID = 254

    @classmethod
    def _prefix(cls) -> str:
        return "ALG"


class DigestType(_OpenEnum):
    """DS digest types."""

    SHA1 = 1
    SHA256 = 2
    GOST = 3
    SHA384 = 4

    @classmethod
    def _prefix(cls) -> str:
        return "DIGEST"


class EDE(_OpenEnum):
    """RFC 8914 Extended DNS Error codes (IANA registry)."""

    OTHER = 0
    UNSUPPORTED_DNSKEY_ALGORITHM = 1
    UNSUPPORTED_DS_DIGEST_TYPE = 2
    STALE_ANSWER = 3
    FORGED_ANSWER = 4
    DNSSEC_INDETERMINATE = 5
    DNSSEC_BOGUS = 6
    SIGNATURE_EXPIRED = 7
    SIGNATURE_NOT_YET_VALID = 8
    DNSKEY_MISSING = 9
    RRSIGS_MISSING = 10
    NO_ZONE_KEY_BIT_SET = 11
    NSEC_MISSING = 12
    CACHED_ERROR = 13
    NOT_READY = 14
    BLOCKED = 15
    CENSORED = 16
    FILTERED = 17
    PROHIBITED = 18
    STALE_NXDOMAIN_ANSWER = 19
    NOT_AUTHORITATIVE = 20
    NOT_SUPPORTED = 21
    NO_REACHABLE_AUTHORITY = 22
    NETWORK_ERROR = 23
    INVALID_DATA = 24
    SIGNATURE_EXPIRED_BEFORE_VALID = 25
    TOO_EARLY = 26
    UNSUPPORTED_NSEC3_ITERATIONS_VALUE = 27
    UNABLE_TO_CONFORM_TO_POLICY = 28
    SYNTHESIZED = 29
    INVALID_QUERY_TYPE = 30

    @classmethod
    def _prefix(cls) -> str:
        return "EDE"


class EdnsOptionCode(_OpenEnum):
    """EDNS0 option codes that the library decodes or names."""

    NSID = 3
    CLIENT_SUBNET = 8
    EXPIRE = 9
    COOKIE = 10
    TCP_KEEPALIVE = 11
    PADDING = 12
    CHAIN = 13
    KEY_TAG = 14
    EXTENDED_ERROR = 15

    @classmethod
    def _prefix(cls) -> str:
        return "OPTION"


# Header flag bits (the 16-bit flags word without opcode and rcode).
FLAG_QR = 0x8000
FLAG_AA = 0x0400
FLAG_TC = 0x0200
FLAG_RD = 0x0100
FLAG_RA = 0x0080
FLAG_AD = 0x0020
FLAG_CD = 0x0010

FLAG_NAMES: tuple[tuple[str, int], ...] = (
    ("QR", FLAG_QR),
    ("AA", FLAG_AA),
    ("TC", FLAG_TC),
    ("RD", FLAG_RD),
    ("RA", FLAG_RA),
    ("AD", FLAG_AD),
    ("CD", FLAG_CD),
)

# DNSKEY flag bits (RFC 4034 section 2.1.1, RFC 5011 section 3).
DNSKEY_ZONE = 0x0100
DNSKEY_REVOKE = 0x0080
DNSKEY_SEP = 0x0001
