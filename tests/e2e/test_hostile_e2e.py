"""The attacks on responses made by real DNS software: a hostile proxy in
front of the environment's non-validating Unbound (zones signed by
dnssec-signzone and ldns-signzone, served by NSD) rewrites genuine signed
responses; the stub resolver behind it must keep the properties of
``tests/adversarial`` -- a SECURE result is the genuine one, nothing below
an authenticated DS becomes INSECURE, no returned TTL outlives its RRSIG."""

from __future__ import annotations

import random
import time
from collections import Counter

from dnssec_lite.anchors.formats import load_anchors
from dnssec_lite.dnssec.status import Answer, Status
from dnssec_lite.resolve.resolver import Resolver
from dnssec_lite.wire.message import Message
from dnssec_lite.wire.name import Name
from dnssec_lite.wire.rrset import RRset
from dnssec_lite.wire.types import Rcode, RRClass, RRType
from tests.adversarial.world import record_caps, unsigned_answer, view
from tests.helpers.hostile import (
    RSA_ALGORITHMS,
    HostileProxy,
    Pool,
    Rewrite,
    draw,
    for_question,
    forged_dnskey,
    honest_rewrite,
)

from .dnsenv import DnsEnv

#: Signed questions of the environment (all below an authenticated DS).
QUESTIONS = [
    ("mail.rsa.test.", "A"),
    ("nonexistent.rsa.test.", "A"),
    ("mail.rsa.test.", "TXT"),
    ("x.wild.rsa.test.", "A"),
    ("www.rsa.test.", "A"),
    ("nonexistent.ecdsa.test.", "A"),
    ("x.wild.ecdsa.test.", "A"),
    ("y.wild.ed.test.", "MX"),
    ("_25._tcp.mail.ed.test.", "TLSA"),
    ("mail.p384.test.", "A"),
    ("mail.ed448.test.", "A"),
]
MUTATIONS = 150


def resolver(env: DnsEnv, proxy: HostileProxy, timeout: float = 3.0) -> Resolver:
    return Resolver(
        [proxy.server], anchors=load_anchors(str(env.anchor_path)), timeout=timeout, attempts=1
    )


class Recorder:
    """A rewrite that keeps every genuine response, by question."""

    def __init__(self) -> None:
        self.seen: dict[tuple[Name, int], Message] = {}

    def __call__(self, query: Message, response: Message) -> Message:
        q = query.question[0]
        self.seen.setdefault((q.name, q.rrtype), response)
        return response


def genuine(env: DnsEnv) -> tuple[dict[tuple[str, str], Answer], Recorder]:
    rec = Recorder()
    with HostileProxy(env.resolver_addr, rec) as proxy:
        answers = {q: resolver(env, proxy).resolve(*q) for q in QUESTIONS}
    for q, answer in answers.items():
        assert answer.status is Status.SECURE, (q, answer.summary())
    return answers, rec


def pool_of(rec: Recorder) -> Pool:
    pool = Pool()
    names: set[Name] = set()
    for msg in rec.seen.values():
        for r in (*msg.answer, *msg.authority):
            names.add(r.name)
            if not r.sigs:
                continue
            pool.rrsets.append(r)
            if r.rrtype in (RRType.NSEC, RRType.NSEC3):
                pool.proofs.append(r)
            if r.name.is_wild() or any(s.labels < len(r.name) for s in r.sigs):
                # a wildcard expansion: its RRSIG re-owned at the wildcard works too
                pool.wildcards.append(r)
    pool.names = sorted(names)
    return pool


def test_genuine_responses_of_real_signers_validate(dnsenv: DnsEnv) -> None:
    answers, rec = genuine(dnsenv)
    assert len(answers) == len(QUESTIONS)
    assert any(k[1] == RRType.DNSKEY for k in rec.seen)


def test_seeded_mutations_of_real_signed_responses(dnsenv: DnsEnv) -> None:
    answers, rec = genuine(dnsenv)
    pool = pool_of(rec)
    rng = random.Random(11)
    problems: list[str] = []
    verdicts: Counter[str] = Counter()
    current: dict[str, Rewrite] = {"rw": honest_rewrite}
    with HostileProxy(dnsenv.resolver_addr, lambda q, r: current["rw"](q, r)) as proxy:
        for i in range(MUTATIONS):
            q = QUESTIONS[i % len(QUESTIONS)]
            key = (Name.from_text(q[0]), RRType.from_text(q[1]))
            target = key if rng.random() < 0.6 else rng.choice(sorted(rec.seen))
            mutation = draw(rec.seen[target], pool, rng)
            if mutation is None:
                continue
            rule = (target[0].to_text(), RRType.to_text(target[1]))
            current["rw"] = for_question({rule: mutation.apply})
            now = int(time.time())
            answer = resolver(dnsenv, proxy, timeout=0.5).resolve(*q)
            verdicts[answer.status.value] += 1
            where = f"{q[0]} {q[1]}: {mutation.cls} [{mutation.detail}] on {rule}"
            if answer.status is Status.INSECURE:
                problems.append(f"{where}: INSECURE: {answer.summary()}")
            if answer.status is Status.SECURE:
                if view(answer) != view(answers[q]):
                    problems.append(f"{where}: SECURE, not the genuine answer: {answer.summary()}")
                caps = record_caps(answers[q], now)
                for r in answer.rrsets:
                    cap = caps.get((r.name.canonical_wire(), r.rrtype))
                    if cap is not None and r.ttl > cap:
                        problems.append(f"{where}: {r.name.to_text()} TTL {r.ttl} > {cap}")
    print(dict(verdicts))
    assert not problems, "\n".join(problems[:20])
    assert verdicts["bogus"] > MUTATIONS // 5 and verdicts["secure"] > MUTATIONS // 10, verdicts


def test_forged_root_key_in_front_of_real_software(dnsenv: DnsEnv) -> None:
    anchors = load_anchors(str(dnsenv.anchor_path))
    root = anchors.anchors[Name.from_text(".")]
    ds = root.ds[0]
    kw: dict[str, object] = {"bits": 512} if ds.algorithm in RSA_ALGORITHMS else {"length": 63}
    key = forged_dnskey(ds.key_tag, ds.algorithm, random.Random(1), **kw)  # type: ignore[arg-type]
    forged = RRset(Name.from_text("."), RRType.DNSKEY, RRClass.IN, 3600, [key])
    rewrite = for_question(
        {
            (".", "DNSKEY"): lambda m: m.replace(answer=(forged,)),
            ("mail.rsa.test.", "A"): unsigned_answer,
        }
    )
    with HostileProxy(dnsenv.resolver_addr, rewrite) as proxy:
        answer = resolver(dnsenv, proxy).resolve("mail.rsa.test.", "A")
    assert answer.status in (Status.BOGUS, Status.INDETERMINATE), answer.summary()


def test_rcode_flip_on_real_tlsa(dnsenv: DnsEnv) -> None:
    rewrite = for_question(
        {("_25._tcp.mail.ed.test.", "TLSA"): lambda m: m.replace(rcode=Rcode.NXDOMAIN)}
    )
    with HostileProxy(dnsenv.resolver_addr, rewrite) as proxy:
        answer = resolver(dnsenv, proxy).resolve("_25._tcp.mail.ed.test.", "TLSA")
    assert not (answer.status is Status.SECURE and answer.rcode == Rcode.NXDOMAIN), answer.summary()
