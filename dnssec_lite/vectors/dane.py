"""DANE check vectors: a whole ``daneverify`` run, DNS and SMTP side.

A DANE vector (``"kind": "dane"``) holds what a resolution vector holds --
resolver set-up, time, anchors, every DNS exchange -- plus every STARTTLS
session the check opened (address, port, SNI name, the transcript lines,
TLS protocol and cipher, the presented chain as base64 DER, the failure),
the random seed that ordered the addresses, and the verdict with the
per-host results and the transcript.  Replay runs the same check
(:func:`dnssec_lite.dane.check.check_smtp`) with a replaying fetcher and a
replaying probe at the recorded time, and compares.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import __version__
from ..dane.check import check_smtp
from ..dane.lookups import ProbeRequest
from ..dane.ops import OpsOptions
from ..dane.report import DaneReport, display
from ..dane.smtp import ProbeResult
from ..dane.smtpdialogue import FailureKind
from ..dnssec.trust import TrustAnchors
from ..errors import DnssecLiteError, ReplayError
from ..resolve.fetcher import Fetcher
from ..resolve.resolver import Resolver
from ..wire.message import Question
from ..wire.name import Name
from ..wire.types import RRType
from .format import SCHEMA, Expected, Fields, Vector, iso_time, parse_exchange, server_field
from .record import Recorder, anchor_lines
from .replay import Replayer, vector_anchors

__all__ = [
    "DaneExpected",
    "DaneResult",
    "DaneVector",
    "SmtpSession",
    "parse_dane_vector",
    "record_dane",
    "replay_dane",
]


@dataclass(frozen=True, slots=True)
class SmtpSession:
    """One recorded STARTTLS probe: the request and what it saw."""

    address: str
    port: int
    host: str
    sni: str
    key_type: str | None
    result: ProbeResult

    def to_json(self) -> dict[str, Any]:
        r = self.result
        return {
            "address": self.address,
            "port": self.port,
            "host": self.host,
            "sni": self.sni,
            "key_type": self.key_type,
            "local_address": r.local_address,
            "greeting": list(r.greeting),
            "ehlo_lines": list(r.ehlo_lines),
            "tls_protocol": r.tls_protocol,
            "tls_cipher": r.tls_cipher,
            "chain": [base64.b64encode(der).decode("ascii") for der in r.chain_der],
            "failure": r.failure,
            "failure_kind": None if r.failure_kind is None else r.failure_kind.value,
            "failed_step": r.failed_step,
            "transcript": list(r.transcript),
            "seconds": round(r.elapsed, 6),
        }


def _as_result(request: ProbeRequest, outcome: Any) -> ProbeResult:
    """Any probe outcome as a :class:`ProbeResult` (test doubles give less)."""
    if isinstance(outcome, ProbeResult):
        return outcome
    kind = getattr(outcome, "failure_kind", None)
    return ProbeResult(
        address=request.address,
        port=request.port,
        local_address=outcome.local_address,
        greeting=tuple(getattr(outcome, "greeting", ())),
        ehlo_lines=tuple(getattr(outcome, "ehlo_lines", ())),
        tls_protocol=outcome.tls_protocol,
        tls_cipher=outcome.tls_cipher,
        chain_der=tuple(outcome.chain_der),
        failure=outcome.failure,
        failure_kind=kind if isinstance(kind, FailureKind) or kind is None else None,
        failed_step=getattr(outcome, "failed_step", None),
        transcript=tuple(getattr(outcome, "transcript", ())),
        elapsed=float(getattr(outcome, "elapsed", 0.0)),
    )


@dataclass(frozen=True, slots=True)
class DaneExpected:
    """The conclusion a replay must reach again."""

    verdict: str
    delivery: str
    ede: int | None
    hosts: tuple[tuple[str, str, str | None], ...]  # (name, role, code)
    transcript: tuple[str, ...]
    text: str | None = None

    @classmethod
    def of(cls, report: DaneReport) -> DaneExpected:
        hosts = tuple(
            (display(h.name), h.role.value, None if h.code is None else h.code.value)
            for h in report.hosts
        )
        reason = report.reason
        return cls(
            verdict=report.verdict.value,
            delivery=(report.delivery or report.verdict).value,
            ede=None if reason is None else reason.ede,
            hosts=hosts,
            transcript=tuple(report.transcript),
            text=None if reason is None else reason.text,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "delivery": self.delivery,
            "reason": None if self.text is None else {"ede": self.ede, "text": self.text},
            "hosts": [{"name": n, "role": r, "code": c} for n, r, c in self.hosts],
            "transcript": list(self.transcript),
        }

    def compare(self, got: DaneExpected) -> list[str]:
        out: list[str] = []
        for name in ("verdict", "delivery", "ede"):
            want, have = getattr(self, name), getattr(got, name)
            if want != have:
                label = "reason.ede" if name == "ede" else name
                out.append(f"{label}: expected {want}, got {have}")
        if self.hosts != got.hosts:
            out.append(f"hosts: expected {list(self.hosts)}, got {list(got.hosts)}")
        if self.transcript != got.transcript:
            for i, (a, b) in enumerate(zip(self.transcript, got.transcript, strict=False)):
                if a != b:
                    out.append(f"transcript[{i}]: expected {a!r}, got {b!r}")
                    break
            else:
                out.append(
                    f"transcript: expected {len(self.transcript)} lines, got {len(got.transcript)}"
                )
        return out


@dataclass(frozen=True, slots=True)
class DaneVector:
    """A recorded DANE check (see the module docstring)."""

    domain: Name
    policy: str
    port: int
    dns: Vector  # the resolver set-up, time, anchors and DNS exchanges (no question)
    sessions: tuple[SmtpSession, ...]
    expected: DaneExpected
    seed: int
    options: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        base = self.dns.to_json()
        doc: dict[str, Any] = {
            "schema": SCHEMA,
            "kind": "dane",
            "description": self.dns.description,
            "domain": display(self.domain),
            "policy": self.policy,
            "port": self.port,
            "seed": self.seed,
            "mode": base["mode"],
        }
        for key in ("upstreams", "root_hints"):
            if key in base:
                doc[key] = base[key]
        doc["options"] = {**base["options"], **self.options}
        for key in ("time", "time_text", "anchors", "negative_anchors", "exchanges"):
            doc[key] = base[key]
        doc["smtp"] = [s.to_json() for s in self.sessions]
        doc["expected"] = self.expected.to_json()
        doc["provenance"] = base["provenance"]
        return doc

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"


class RecordingProbe:
    """Wraps a probe; keeps every request and its outcome."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sessions: list[SmtpSession] = []

    def __call__(self, request: ProbeRequest) -> ProbeResult:
        result = _as_result(request, self.inner(request))
        self.sessions.append(
            SmtpSession(
                request.address,
                request.port,
                display(request.host),
                display(request.sni),
                request.key_type,
                result,
            )
        )
        return result


class ReplayingProbe:
    """Answers probes from recorded sessions, matched by address, port, SNI
    name and key type (not by position); ``missing`` lists the others."""

    def __init__(self, sessions: Sequence[SmtpSession]) -> None:
        self._by_key: dict[tuple[str, int, str, str | None], list[SmtpSession]] = {}
        for s in sessions:
            self._by_key.setdefault((s.address, s.port, s.sni.lower(), s.key_type), []).append(s)
        self._next: dict[tuple[str, int, str, str | None], int] = {}
        self.missing: list[str] = []

    def __call__(self, request: ProbeRequest) -> ProbeResult:
        key = (request.address, request.port, display(request.sni).lower(), request.key_type)
        found = self._by_key.get(key)
        if not found:
            where = f"{request.address}:{request.port} (SNI {display(request.sni)})"
            self.missing.append(where)
            return ProbeResult(
                request.address, request.port, None, (), (), None, None, (),
                f"{where}: not recorded in the vector", FailureKind.CONNECT_FAILED, "connect",
                (f"* {where}: not recorded in the vector",), 0.0,
            )  # fmt: skip
        i = self._next.get(key, 0)
        self._next[key] = i + 1
        return found[min(i, len(found) - 1)].result


def _resolver_options(resolver: Resolver) -> dict[str, Any]:
    return {
        "timeout": resolver.timeout,
        "attempts": resolver.attempts,
        "qname_minimisation": resolver.qname_minimisation,
        "aggressive_nsec": resolver.aggressive is not None,
    }


def record_dane(
    domain: str,
    resolver: Resolver,
    inner: Fetcher,
    probe: Any,
    *,
    policy: str = "opportunistic",
    port: int = 25,
    families: Sequence[int] = (4, 6),
    randomize_addresses: bool = True,
    ops: OpsOptions | None = None,
    seed: int | None = None,
    now: int | None = None,
    command: Sequence[str] = (),
    description: str = "",
) -> tuple[DaneReport, DaneVector]:
    """Run a DANE check of ``domain`` through recorders around the resolver's
    fetcher (``inner``) and the STARTTLS ``probe``; the report and its vector."""
    when = resolver.now() if now is None else now
    seed = random.SystemRandom().randrange(1 << 32) if seed is None else seed
    recorder = Recorder(inner)
    resolver.fetcher = recorder
    resolver.clock = lambda: float(when)
    recording = RecordingProbe(probe)
    ops = ops or OpsOptions()
    report = check_smtp(
        domain,
        resolver,
        policy,
        port,
        probe=recording,
        now=when,
        rng=random.Random(seed),
        families=families,
        randomize_addresses=randomize_addresses,
        ops=ops,
    )
    name = Name.from_text(domain)
    provenance = {
        "recorded": iso_time(when),
        "by": f"dnssec-lite {__version__}",
        "command": " ".join(command),
    }
    dns = Vector(
        question=_placeholder_question(name),
        mode=resolver.mode,
        time=when,
        anchors=tuple(anchor_lines(resolver.anchors)),
        negative_anchors=tuple(sorted(n.to_text() for n in resolver.anchors.negative)),
        exchanges=tuple(recorder.exchanges),
        expected=_NO_EXPECTED,
        upstreams=tuple(resolver.upstreams.servers) if resolver.upstreams else (),
        root_hints=tuple(resolver.root_servers),
        options=_resolver_options(resolver),
        provenance=provenance,
        description=description or f"DANE check of {display(name)}",
    )
    options = {
        "families": list(families),
        "randomize_addresses": randomize_addresses,
        "survey": ops.survey,
        "days": ops.days,
        "strict_addresses": ops.strict_addresses,
    }
    vector = DaneVector(
        name, policy, port, dns, tuple(recording.sessions), DaneExpected.of(report), seed, options
    )
    return report, vector


def _placeholder_question(name: Name) -> Question:
    """The DNS part of a DANE vector has no one question: the domain's MX
    stands in (it is not read back)."""
    return Question(name, RRType.MX)


#: The DNS part's expected result is the DANE verdict's (not read back).
_NO_EXPECTED = Expected("indeterminate", "SERVFAIL")


def is_dane_vector(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("kind") == "dane"


def _session(f: Fields) -> SmtpSession:
    chain: list[bytes] = []
    for i, item in enumerate(f.get("chain", list, [])):
        try:
            chain.append(base64.b64decode(item, validate=True))
        except (ValueError, TypeError):
            raise f.bad(f"chain[{i}]", "not base64 DER") from None
    kind_text = f.get("failure_kind", str, None)
    try:
        kind = None if kind_text is None else FailureKind(kind_text)
    except ValueError:
        raise f.bad("failure_kind", f"unknown failure kind {kind_text!r}") from None
    address, port = f.get("address", str), f.get("port", int)
    result = ProbeResult(
        address=address,
        port=port,
        local_address=f.get("local_address", str, None),
        greeting=tuple(f.get("greeting", list, [])),
        ehlo_lines=tuple(f.get("ehlo_lines", list, [])),
        tls_protocol=f.get("tls_protocol", str, None),
        tls_cipher=f.get("tls_cipher", str, None),
        chain_der=tuple(chain),
        failure=f.get("failure", str, None),
        failure_kind=kind,
        failed_step=f.get("failed_step", str, None),
        transcript=tuple(f.get("transcript", list, [])),
        elapsed=float(f.get("seconds", (int, float), 0.0)),
    )
    host, sni = f.get("host", str), f.get("sni", str)
    return SmtpSession(address, port, host, sni, f.get("key_type", str, None), result)


def parse_dane_vector(data: bytes | str, source: str = "<vector>") -> DaneVector:
    """Parse a DANE vector's text; raises ReplayError naming the field."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReplayError(source, getattr(exc, "lineno", None), f"not JSON: {exc}") from None
    f = Fields(source, doc, "")
    if f.get("schema", str) != SCHEMA:
        raise f.bad("schema", f"expected {SCHEMA!r}")
    mode = f.get("mode", str)
    if mode not in ("stub", "iterative"):
        raise f.bad("mode", f"expected 'stub' or 'iterative', got {mode!r}")
    try:
        domain = Name.from_text(f.get("domain", str))
    except DnssecLiteError as exc:
        raise f.bad("domain", str(exc)) from None
    servers = {
        key: tuple(server_field(f, key, s) for s in f.get(key, list, []))
        for key in ("upstreams", "root_hints")
    }
    options = f.get("options", dict, {})
    dns = Vector(
        question=_placeholder_question(domain),
        mode=mode,
        time=f.get("time", int),
        anchors=tuple(f.get("anchors", list, [])),
        negative_anchors=tuple(f.get("negative_anchors", list, [])),
        exchanges=tuple(parse_exchange(e) for e in f.items("exchanges")),
        expected=_NO_EXPECTED,
        upstreams=servers["upstreams"],
        root_hints=servers["root_hints"],
        options=options,
        provenance=f.get("provenance", dict, {}),
        description=f.get("description", str, ""),
    )
    e = f.sub("expected")
    reason = e.get("reason", dict, None)
    hosts = tuple(
        (h.get("name", str), h.get("role", str), h.get("code", str, None)) for h in e.items("hosts")
    )
    expected = DaneExpected(
        verdict=e.get("verdict", str),
        delivery=e.get("delivery", str, e.get("verdict", str)),
        ede=None if reason is None else reason.get("ede"),
        hosts=hosts,
        transcript=tuple(e.get("transcript", list, [])),
        text=None if reason is None else reason.get("text"),
    )
    return DaneVector(
        domain=domain,
        policy=f.get("policy", str, "opportunistic"),
        port=f.get("port", int, 25),
        dns=dns,
        sessions=tuple(_session(s) for s in f.items("smtp")),
        expected=expected,
        seed=f.get("seed", int, 0),
        options={k: options[k] for k in ("families", "randomize_addresses") if k in options}
        | {k: options.get(k) for k in ("survey", "days", "strict_addresses")},
    )


@dataclass(frozen=True, slots=True)
class DaneResult:
    """The outcome of replaying a DANE vector."""

    report: DaneReport | None
    mismatches: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and not self.mismatches


def replay_dane(
    vector: DaneVector,
    path: str = "<vector>",
    *,
    at: int | None = None,
    anchors: TrustAnchors | None = None,
) -> DaneResult:
    """Run the recorded DANE check again from the vector, and compare."""
    from .replay import _resolver

    dns = vector.dns
    when = dns.time if at is None else at
    replayer = Replayer(dns.exchanges)
    probe = ReplayingProbe(vector.sessions)
    opts = vector.options
    ops = OpsOptions(bool(opts.get("survey")), opts.get("days"), bool(opts.get("strict_addresses")))
    try:
        trusted = anchors if anchors is not None else vector_anchors(dns, path)
        resolver = _resolver(dns, trusted, replayer, when, path)
        report = check_smtp(
            vector.domain,
            resolver,
            vector.policy,
            vector.port,
            probe=probe,
            now=when,
            rng=random.Random(vector.seed),
            families=tuple(opts.get("families", (4, 6))),
            randomize_addresses=bool(opts.get("randomize_addresses", True)),
            ops=ops,
        )
    except (DnssecLiteError, ValueError) as exc:
        return DaneResult(None, error=str(exc))
    missing = [f"{q} @{s}" for s, q in dict.fromkeys((s, str(q)) for s, q in replayer.missing)]
    missing += probe.missing
    got = DaneExpected.of(report)
    return DaneResult(report, tuple(vector.expected.compare(got)), tuple(missing))
