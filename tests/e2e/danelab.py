"""Mail domains for the end-to-end DANE tests: zones, certificates, servers.

:class:`DaneLab` makes the certificates first (a private CA with an
intermediate, leaves per MX host), then the zone data that pins them
(:meth:`DaneLab.zones`, handed to :class:`~tests.e2e.dnsenv.DnsEnv` as extra
zones so that they are signed and served with the rest of the hierarchy),
and finally starts one STARTTLS SMTP server per MX address on port 25 of
``P.25.N`` (``P`` the environment's loopback prefix).

Domains (all in the signed zone ``dane.test`` unless said otherwise), and the
verdict an opportunistic DANE check must reach:

=====================  ==========================================  ==========
domain                 what it has                                 verdict
=====================  ==========================================  ==========
ok                     MX -> mx.ok, TLSA 3 1 1 of its key           success
ta                     TLSA 2 0 1 of the intermediate CA           success
tabadname              TLSA 2 0 1, leaf names mx.other.example      failed
nomatch                TLSA 3 1 1 of another key                   failed
notlsa                 secure, no TLSA                             fallback
twoaddr                first address refuses, second is good       success
equal                  two MX hosts of one preference              success
nullmx                 MX 0 .                                      failed
nomx                   no MX: the domain is the host               success
bogustlsa              TLSA changed after signing                  failed
unusable               only PKIX-EE / malformed TLSA (TLS only)    fallback
nostarttls             server offers no STARTTLS                   failed
badhs                  server breaks the TLS handshake             failed
two                    MX mx1, mx2: each A, AAAA (::1) and TLSA     success
failover               mx1 (pref 10) fails DANE, mx2 (20) is good   success
insecure-mail.test     unsigned, three MX hosts                    fallback
hosted.insecure-mail   insecure MX -> mx.ok.dane.test (DANE)       success
=====================  ==========================================  ==========

For the operator's checks (survey, horizon, rollover, bulk), addresses 40+:

=====================  ==========================================  ==========
domain                 what it has                                 survey
=====================  ==========================================  ==========
split                  two addresses, the second presents another   failed
                       key (plain check: success)
dualkey                one server with ECDSA and RSA certificates,  failed
                       TLSA for the ECDSA key only
certsoon               TLSA 2 0 1, leaf expires in 5 days           success
roll-next              3 1 1 current key + 3 1 1 next key: ready   success
roll-eeta              3 1 1 + 2 0 1 of the issuer: ready           success
roll-sel0              3 0 1 of the leaf only: not ready            success
roll-dup               3 1 1 + 3 0 1 of one leaf: duplicate pins    success
roll-stale             2 0 1 + 3 1 1 of a key nobody uses: stale    success
bulk0..bulkN-1         MX round-robin over ok, nomatch, notlsa, ta,
                       badhs (``bulk`` of them)                     mixed
=====================  ==========================================  ==========
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from .dnsenv import INSECURE, SECURE, ZoneSpec

ZONE = "dane.test"
INSECURE_ZONE = "insecure-mail.test"

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass
class Identity:
    """A certificate chain (leaf first, as a server sends it) and its key."""

    chain: list[x509.Certificate]
    key: PrivateKey

    @property
    def chain_der(self) -> list[bytes]:
        return [c.public_bytes(serialization.Encoding.DER) for c in self.chain]

    def chain_pem(self) -> bytes:
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _cert(
    subject: str,
    key: PrivateKey,
    issuer: tuple[x509.Name, PrivateKey] | None,
    *,
    ca: bool,
    names: tuple[str, ...] = (),
    now: dt.datetime,
    days: float = 90,
) -> x509.Certificate:
    issuer_name, issuer_key = issuer if issuer is not None else (_name(subject), key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem_files(identity: Identity) -> tuple[str, str]:
    """The identity as PEM files (chain, key) for ``load_cert_chain``; kept for
    the life of the test process, in a private temporary directory."""
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="danelab-"))
    chain, key = folder / "chain.pem", folder / "key.pem"
    chain.write_bytes(identity.chain_pem())
    key.write_bytes(identity.key_pem())
    return str(chain), str(key)


def spki_sha256(cert: x509.Certificate) -> str:
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


def cert_sha256(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


@dataclass
class MailHost:
    """An SMTP server the lab runs: where, with which chain, how it behaves."""

    name: str
    address: str
    identity: Identity | None
    #: "good", "no-starttls", "bad-handshake", or "absent" (nothing listens).
    mode: str = "good"
    #: A second chain the same server also presents (e.g. RSA next to ECDSA).
    extra: Identity | None = None


@dataclass
class DaneLab:
    """Certificates, zone data and SMTP servers of the DANE test domains."""

    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    prefix: str = ""
    hosts: list[MailHost] = field(default_factory=list)
    #: How many ``bulkN`` domains to publish (for the bulk checks).
    bulk: int = 60

    def __post_init__(self) -> None:
        root_key = ec.generate_private_key(ec.SECP256R1())
        self.root = _cert("dnssec_lite test root CA", root_key, None, ca=True, now=self.now)
        inter_key = ec.generate_private_key(ec.SECP256R1())
        self.intermediate = _cert(
            "dnssec_lite test intermediate CA",
            inter_key,
            (self.root.subject, root_key),
            ca=True,
            now=self.now,
        )
        self._issuer = (self.intermediate.subject, inter_key)
        self._leaves: dict[str, Identity] = {}
        self.stray = ec.generate_private_key(ec.SECP256R1())  # pinned by nomatch

    def leaf(
        self, host: str, *, names: tuple[str, ...] | None = None, rsa_key: bool = False
    ) -> Identity:
        """A CA-issued leaf for ``host`` (chain: leaf, intermediate)."""
        if host not in self._leaves:
            key: PrivateKey = (
                rsa.generate_private_key(public_exponent=65537, key_size=2048)
                if rsa_key
                else ec.generate_private_key(ec.SECP256R1())
            )
            cert = _cert(host, key, self._issuer, ca=False, names=names or (host,), now=self.now)
            self._leaves[host] = Identity([cert, self.intermediate], key)
        return self._leaves[host]

    # -- servers ---------------------------------------------------------

    def start_servers(self) -> None:
        """One STARTTLS server per MX address (port 25), as each host's mode says."""
        from tests.helpers.smtpserver import ServerCerts, SmtpServer

        self.servers: list[SmtpServer] = []
        try:
            for host in self.hosts:
                if host.mode == "absent" or host.identity is None:
                    continue
                chain = host.identity.chain
                certs = ServerCerts(chain[0], host.identity.key, tuple(chain[1:]), None)
                self.servers.append(
                    SmtpServer(
                        certs,
                        host.address,
                        25,
                        greeting=(f"220 {host.name} ESMTP dnssec_lite test server",),
                        offer_starttls=host.mode != "no-starttls",
                        handshake="garbage" if host.mode == "bad-handshake" else "tls",
                    )
                )
                if host.extra is not None:
                    self.servers[-1].context.load_cert_chain(*_pem_files(host.extra))
        except OSError as exc:
            self.stop_servers()
            raise RuntimeError(
                f"cannot start the DANE test SMTP servers on port 25 ({exc}); "
                "the end-to-end DANE tests need root or CAP_NET_BIND_SERVICE"
            ) from exc

    def identity(
        self, host: str, *, rsa_key: bool = False, days: float = 90, issuer: bool = True
    ) -> Identity:
        """A fresh CA-issued leaf for ``host`` (not the cached one of :meth:`leaf`)."""
        key: PrivateKey = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if rsa_key
            else ec.generate_private_key(ec.SECP256R1())
        )
        cert = _cert(host, key, self._issuer, ca=False, names=(host,), now=self.now, days=days)
        return Identity([cert, self.intermediate], key)

    def stop_servers(self) -> None:
        for server in getattr(self, "servers", []):
            server.close()
        self.servers = []

    def address(self, number: int) -> str:
        return f"{self.prefix}.25.{number}"

    # -- zones -----------------------------------------------------------

    def zones(self, prefix: str) -> list[ZoneSpec]:
        """The extra zones for the DNS environment (called with its prefix)."""
        self.prefix = prefix
        return [
            ZoneSpec(
                ZONE,
                SECURE,
                "mail domains for the DANE tests",
                body=lambda _zone, _ns: self._signed_body(),
                fault="tampered",
                fault_target=(f"_25._tcp.mx.bogustlsa.{ZONE}.", "TLSA"),
            ),
            ZoneSpec(
                INSECURE_ZONE,
                INSECURE,
                "unsigned mail domain with three MX hosts",
                algorithm=None,
                body=lambda _zone, _ns: self._insecure_body(),
            ),
        ]

    def _host(self, name: str, number: int, mode: str = "good", **leaf: object) -> str:
        fqdn = f"{name}.{ZONE}"
        identity = self.leaf(fqdn, **leaf) if mode != "absent" else None  # type: ignore[arg-type]
        self.hosts.append(MailHost(fqdn, self.address(number), identity, mode))
        return f"{name} IN A {self.address(number)}\n"

    def _signed_body(self) -> str:
        self.hosts = [h for h in self.hosts if not h.name.endswith(ZONE)]
        rows: list[str] = []

        def domain(label: str, host: str, number: int, tlsa: str | None, **kw: object) -> None:
            rows.append(f"{label} IN MX 10 {host}.{ZONE}.\n")
            rows.append(self._host(host, number, **kw))  # type: ignore[arg-type]
            if tlsa is not None:
                rows.append(f"_25._tcp.{host} IN TLSA {tlsa}\n")

        def ee(host: str) -> str:
            return f"3 1 1 {spki_sha256(self.leaf(f'{host}.{ZONE}').chain[0])}"

        ta = f"2 0 1 {cert_sha256(self.intermediate)}"
        self.leaf(f"mx.ok.{ZONE}")
        domain("ok", "mx.ok", 1, ee("mx.ok"))
        domain("ta", "mx.ta", 2, ta)
        self.leaf(f"mx.tabadname.{ZONE}", names=("mx.other.example",))
        domain("tabadname", "mx.tabadname", 3, ta)
        stray = self.stray.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        domain("nomatch", "mx.nomatch", 4, f"3 1 1 {hashlib.sha256(stray).hexdigest()}")
        domain("notlsa", "mx.notlsa", 5, None)
        # Two addresses: the first has no server, the second is good.
        rows.append(f"twoaddr IN MX 10 mx.twoaddr.{ZONE}.\n")
        self.hosts.append(MailHost(f"mx.twoaddr.{ZONE}", self.address(6), None, "absent"))
        rows.append(f"mx.twoaddr IN A {self.address(6)}\n")
        rows.append(self._host("mx.twoaddr", 7))
        rows.append(f"_25._tcp.mx.twoaddr IN TLSA {ee('mx.twoaddr')}\n")
        # Equal preference.
        for n, label in ((8, "mx1.equal"), (9, "mx2.equal")):
            rows.append(f"equal IN MX 10 {label}.{ZONE}.\n")
            rows.append(self._host(label, n))
            rows.append(f"_25._tcp.{label} IN TLSA {ee(label)}\n")
        rows.append("nullmx IN MX 0 .\n")
        rows.append(self._host("nomx", 10))
        rows.append(f"_25._tcp.nomx IN TLSA {ee('nomx')}\n")
        domain("bogustlsa", "mx.bogustlsa", 11, ee("mx.bogustlsa"))
        domain(
            "unusable",
            "mx.unusable",
            12,
            f"1 1 1 {spki_sha256(self.leaf(f'mx.unusable.{ZONE}').chain[0])}",
        )
        rows.append(f"_25._tcp.mx.unusable IN TLSA 3 1 1 {'ab' * 20}\n")
        domain("nostarttls", "mx.nostarttls", 13, ee("mx.nostarttls"), mode="no-starttls")
        domain("badhs", "mx.badhs", 14, ee("mx.badhs"), mode="bad-handshake")
        rows.extend(self._operator_rows(ta))
        # Two MX hosts with A, AAAA and TLSA each (the DANE benchmark's domain).
        # The AAAA is ::1, where nothing of the lab listens: refused at once.
        for n, label in ((15, "mx1.two"), (16, "mx2.two")):
            rows.append(f"two IN MX {10 * (n - 14)} {label}.{ZONE}.\n")
            rows.append(self._host(label, n))
            rows.append(f"{label} IN AAAA ::1\n")
            rows.append(f"_25._tcp.{label} IN TLSA {ee(label)}\n")
        # The preferred host fails DANE (another key pinned); the second is good.
        rows.append(f"failover IN MX 10 mx1.failover.{ZONE}.\n")
        rows.append(self._host("mx1.failover", 17))
        rows.append(f"_25._tcp.mx1.failover IN TLSA 3 1 1 {hashlib.sha256(stray).hexdigest()}\n")
        rows.append(f"failover IN MX 20 mx2.failover.{ZONE}.\n")
        rows.append(self._host("mx2.failover", 18))
        rows.append(f"_25._tcp.mx2.failover IN TLSA {ee('mx2.failover')}\n")
        return "".join(rows)

    def _operator_rows(self, ta: str) -> list[str]:
        """The survey, horizon, rollover and bulk domains (addresses 40+)."""
        rows: list[str] = []

        def pin(identity: Identity, selector: int = 1) -> str:
            cert = identity.chain[0]
            return f"3 {selector} 1 {spki_sha256(cert) if selector else cert_sha256(cert)}"

        def serve(label: str, number: int, identity: Identity, **kw: object) -> None:
            fqdn = f"{label}.{ZONE}"
            self.hosts.append(MailHost(fqdn, self.address(number), identity, **kw))  # type: ignore[arg-type]
            rows.append(f"{label} IN A {self.address(number)}\n")

        def tlsa(label: str, *records: str) -> None:
            rows.extend(f"_25._tcp.{label} IN TLSA {r}\n" for r in records)

        def mail(domain: str, label: str) -> None:
            rows.append(f"{domain} IN MX 10 {label}.{ZONE}.\n")

        good = self.identity(f"mx.split.{ZONE}")
        mail("split", "mx.split")
        serve("mx.split", 40, good)
        serve("mx.split", 41, self.identity(f"mx.split.{ZONE}"))  # another key
        tlsa("mx.split", pin(good))

        ecdsa = self.identity(f"mx.dualkey.{ZONE}")
        mail("dualkey", "mx.dualkey")
        serve("mx.dualkey", 42, ecdsa, extra=self.identity(f"mx.dualkey.{ZONE}", rsa_key=True))
        tlsa("mx.dualkey", pin(ecdsa))

        mail("certsoon", "mx.certsoon")
        serve("mx.certsoon", 43, self.identity(f"mx.certsoon.{ZONE}", days=5))
        tlsa("mx.certsoon", ta)

        stray = self.stray.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        next_key = f"3 1 1 {hashlib.sha256(stray).hexdigest()}"
        shapes = {
            "roll-next": (44, lambda i: [pin(i), next_key]),
            "roll-eeta": (45, lambda i: [pin(i), ta]),
            "roll-sel0": (46, lambda i: [pin(i, 0)]),
            "roll-dup": (47, lambda i: [pin(i), pin(i, 0)]),
            "roll-stale": (48, lambda i: [ta, next_key]),
        }
        for label, (number, records) in shapes.items():
            identity = self.identity(f"mx.{label}.{ZONE}")
            mail(label, f"mx.{label}")
            serve(f"mx.{label}", number, identity)
            tlsa(f"mx.{label}", *records(identity))

        targets = ("mx.ok", "mx.nomatch", "mx.notlsa", "mx.ta", "mx.badhs")
        for n in range(self.bulk):
            mail(f"bulk{n}", targets[n % len(targets)])
        return rows

    def _insecure_body(self) -> str:
        self.hosts = [h for h in self.hosts if not h.name.endswith(INSECURE_ZONE)]
        rows = []
        for n, label in ((20, "mx1"), (21, "mx2"), (22, "mx3")):
            rows.append(f"@ IN MX {10 * (n - 19)} {label}.{INSECURE_ZONE}.\n")
            rows.append(f"{label} IN A {self.address(n)}\n")
        rows.append(f"hosted IN MX 10 mx.ok.{ZONE}.\n")
        return "".join(rows)
