"""The checked chain as a Graphviz drawing, in the manner of DNSViz.

One box per zone from the trust anchor down; in it the zone's DNSKEYs (key
tag, algorithm, KSK or ZSK) and, in the parent's box, the DS records for
it.  Arrows: DS -> the DNSKEY it vouches for, a KSK -> the keys it signs,
a key -> the answer RRsets and denial records it signs, a denial record ->
the negative answer it proves.  Colour and a short label say each part's
status; the part that failed carries the reason.  The DOT text is written
here (no dependency); ``.svg``/``.png``/``.pdf`` files are rendered with
Graphviz's ``dot`` program when it is installed.
"""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

from ..dnssec.status import Answer, ChainLink, KeyRef, Status
from ..errors import ConfigError
from ..wire.rdata.dnssec import RRSIG
from ..wire.rrset import RRset
from ..wire.types import Rcode, RRType

__all__ = ["COLOURS", "RENDERED", "dane_to_dot", "to_dot", "write_graph"]

#: Colour of each status (DNSViz's: blue secure, black insecure, red bogus).
COLOURS = {
    Status.SECURE: "#0a66c2",
    Status.INSECURE: "#000000",
    Status.BOGUS: "#d00000",
    Status.INDETERMINATE: "#d08000",
}
#: File suffixes rendered with ``dot`` (any other suffix gets the DOT text).
RENDERED = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
_WIDTH = 48


def _q(text: str) -> str:
    """A DOT quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _id(*parts: object) -> str:
    raw = "_".join(str(p) for p in parts)
    return _q("".join(c if c.isalnum() or c in "._-" else "_" for c in raw))


def _short(text: str) -> str:
    """A label: wrapped to short lines, at most four of them."""
    return "\n".join(textwrap.wrap(text, _WIDTH, max_lines=4, placeholder=" ..."))


def _role(key: KeyRef) -> str:
    return "KSK" if key.detail & 1 else "ZSK"


class _Dot:
    """Nodes by zone box (``None``: outside every box) and edges, emitted at the end."""

    def __init__(self) -> None:
        self.boxes: dict[str | None, list[str]] = {None: []}
        self.box_attrs: dict[str, str] = {}
        self.edges: list[str] = []

    def box(self, zone: str, label: str, colour: str, style: str) -> None:
        self.boxes.setdefault(zone, [])
        self.box_attrs[zone] = f"label={_q(label)}; color={_q(colour)}; style={style};"

    def node(self, ident: str, label: str, colour: str, shape: str, box: str | None) -> None:
        attrs = {"label": _q(label), "color": _q(colour), "fontcolor": _q(colour), "shape": shape}
        line = f"{ident} [{', '.join(f'{k}={v}' for k, v in attrs.items())}];"
        self.boxes.setdefault(box if box in self.box_attrs else None, []).append(line)

    def edge(self, a: str, b: str, colour: str, label: str = "", style: str = "solid") -> None:
        attrs = f'color={_q(colour)}, style="{style}"'
        if label:
            attrs += f", label={_q(label)}, fontcolor={_q(colour)}"
        self.edges.append(f"    {a} -> {b} [{attrs}];")

    def lines(self) -> list[str]:
        out = [f"    {line}" for line in self.boxes[None]]
        for zone, attrs in self.box_attrs.items():
            out.append(f"    subgraph {_id('cluster', zone)} {{")
            out.append(f"        {attrs}")
            out += [f"        {line}" for line in self.boxes[zone]]
            out.append("    }")
        return out + self.edges


def _signer_key(rrset: RRset) -> tuple[str, int, int] | None:
    for sig in rrset.sigs:
        if isinstance(sig, RRSIG):
            return sig.signer.to_text(), sig.key_tag, sig.algorithm
    return None


def to_dot(answer: Answer) -> str:
    """The DOT text of the chain checked for ``answer``."""
    dot = _Dot()
    q = answer.question
    title = f"{q.to_text()}: {answer.status.value} {answer.rcode_text}"
    if answer.reason is not None:
        title += f"\n{_short(str(answer.reason))}"
    failed = _failed_link(answer)
    keys: dict[tuple[str, int, int], str] = {}
    for link in answer.chain:
        dot.box(
            link.zone.to_text(),
            f"{link.zone.to_text()} ({link.status.value})",
            COLOURS[link.status],
            "dashed" if link.status is Status.INSECURE else "solid",
        )
    parent: ChainLink | None = None
    for link in answer.chain:
        _zone_box(dot, link, parent, failed is link, answer, keys)
        parent = link
    _answer_nodes(dot, answer, keys, failed is None)
    head = [
        "digraph dnssec {",
        "    rankdir=TB; compound=true; fontname=Helvetica;",
        "    node [fontname=Helvetica, fontsize=10]; edge [fontname=Helvetica, fontsize=9];",
        f"    label={_q(title)}; labelloc=t;",
    ]
    return "\n".join([*head, *dot.lines(), "}"]) + "\n"


def _failed_link(answer: Answer) -> ChainLink | None:
    """The first BOGUS link of the chain (None: the failure, if any, is the answer's)."""
    return next((link for link in answer.chain if link.status is Status.BOGUS), None)


def _zone_box(
    dot: _Dot,
    link: ChainLink,
    parent: ChainLink | None,
    failed: bool,
    answer: Answer,
    keys: dict[tuple[str, int, int], str],
) -> None:
    zone = link.zone.to_text()
    colour = COLOURS[link.status]
    zone_node = _id("zone", zone)
    dot.node(zone_node, zone, colour, "plaintext", zone)
    for key in link.dnskeys:
        ident = _id("dnskey", zone, key.tag, key.algorithm)
        keys[(zone, key.tag, key.algorithm)] = ident
        dot.node(ident, f"DNSKEY {key.tag}/{key.algorithm}\n{_role(key)}", colour, "ellipse", zone)
    # KSKs sign the zone's other keys.
    ksks = [k for k in link.dnskeys if k.detail & 1]
    for ksk in ksks:
        for key in link.dnskeys:
            if key is not ksk:
                a = keys[(zone, ksk.tag, ksk.algorithm)]
                b = keys[(zone, key.tag, key.algorithm)]
                dot.edge(a, b, colour, "signs")
    where = None if parent is None else parent.zone.to_text()
    reason = link.proof or (str(answer.reason) if failed and answer.reason else "")
    if link.ds:
        for ds in link.ds:
            ds_node = _id("ds", zone, ds.tag, ds.algorithm, ds.detail)
            kind = "trust anchor DS" if parent is None else "DS"
            label = f"{kind} {ds.tag}/{ds.algorithm}\ndigest {ds.detail}"
            dot.node(ds_node, label, colour, "box", where)
            target = keys.get((zone, ds.tag, ds.algorithm))
            if target is None:
                missing = _id("nokey", zone, ds.tag)
                label = f"no validated DNSKEY {ds.tag}/{ds.algorithm}"
                dot.node(missing, label, colour, "octagon", zone)
                dot.edge(ds_node, missing, colour, _short(reason) if failed else "")
            else:
                dot.edge(ds_node, target, colour, _short(reason) if failed else "")
    elif where is not None:
        label = "insecure delegation" if link.status is Status.INSECURE else "no DS"
        if reason:
            label += f": {_short(reason)}"
        dot.edge(_id("zone", where), zone_node, colour, label, style="dashed")


def _answer_nodes(
    dot: _Dot, answer: Answer, keys: dict[tuple[str, int, int], str], own_failure: bool
) -> None:
    colour = COLOURS[answer.status]
    failed_here = own_failure and answer.status is Status.BOGUS
    reason = _short(str(answer.reason)) if failed_here and answer.reason else ""
    last_zone = answer.chain[-1].zone.to_text() if answer.chain else None
    for rrset in answer.rrsets:
        ident = _id("rrset", rrset.name.to_text(), RRType.to_text(rrset.rrtype))
        label = f"{rrset.name.to_text()}/{RRType.to_text(rrset.rrtype)}"
        dot.node(ident, label, colour, "box", _box_of(rrset, last_zone))
        _signed_by(dot, rrset, ident, keys, colour, reason, last_zone)
    negative = answer.rcode == Rcode.NXDOMAIN or (
        answer.rcode == Rcode.NOERROR and not answer.rrsets and bool(answer.denial)
    )
    if negative:
        kind = "NXDOMAIN" if answer.rcode == Rcode.NXDOMAIN else "NODATA"
        target = _id("negative", kind)
        q = answer.question
        label = f"{kind}\n{q.name.to_text()}/{RRType.to_text(q.rrtype)}"
        dot.node(target, label, colour, "diamond", last_zone)
    for rrset in answer.denial:
        ident = _id("denial", rrset.name.to_text(), RRType.to_text(rrset.rrtype))
        label = f"{RRType.to_text(rrset.rrtype)} {rrset.name.to_text()}"
        dot.node(ident, label, colour, "box", _box_of(rrset, last_zone))
        _signed_by(dot, rrset, ident, keys, colour, reason, last_zone)
        if negative and rrset.rrtype in (RRType.NSEC, RRType.NSEC3):
            dot.edge(ident, target, colour, "proves")


def _signed_by(
    dot: _Dot,
    rrset: RRset,
    ident: str,
    keys: dict[tuple[str, int, int], str],
    colour: str,
    reason: str,
    last_zone: str | None,
) -> None:
    signer = _signer_key(rrset)
    if signer is not None and signer in keys:
        dot.edge(keys[signer], ident, colour, reason or "signs")
    elif signer is not None:
        missing = _id("nokey", *signer)
        label = f"DNSKEY {signer[1]}/{signer[2]}\nnot validated"
        dot.node(missing, label, colour, "octagon", signer[0])
        dot.edge(missing, ident, colour, reason or "signs", style="dashed")
    elif last_zone is not None:
        dot.edge(_id("zone", last_zone), ident, colour, reason or "unsigned", style="dashed")


def _box_of(rrset: RRset, last_zone: str | None) -> str | None:
    """The zone box an RRset is drawn in: its signer's, else the last zone's."""
    signer = _signer_key(rrset)
    return signer[0] if signer is not None else last_zone


def dane_to_dot(report: Any) -> str:
    """The DOT text of a DANE check (a :class:`~dnssec_lite.dane.report.DaneReport`):
    one box per MX host (its role), its TLSA records, each address tried and
    whether the presented chain matched them -- the failing link carries why."""
    dot = _Dot()
    verdict = report.verdict.value
    domain = report.domain.to_text()
    title = f"DANE {verdict.upper()} for {domain}"
    if report.reason is not None:
        title += f"\n{_short(report.reason.text)}"
    top = _id("domain", domain)
    ok = verdict == "success"
    dot.node(
        top, f"{domain}\n{verdict}", COLOURS[Status.SECURE if ok else Status.BOGUS], "box", None
    )
    for host in report.hosts:
        name = host.name.to_text()
        role = host.role.value
        colour = _ROLE_COLOURS.get(role, COLOURS[Status.INDETERMINATE])
        dot.box(name, f"MX {name} ({role})", colour, "solid")
        host_node = _id("host", name)
        dot.node(host_node, f"{name}\nMX {host.preference}", colour, "plaintext", name)
        dot.edge(top, host_node, colour, _short(host.reason.text) if host.reason else "")
        tlsa = host.tlsa
        source = host_node
        if tlsa is not None:
            source = _id("tlsa", name)
            lines = [f"TLSA {tlsa.status.value}"]
            lines += [_short(r.to_text()) for r in tlsa.records[:4]]
            dot.node(source, "\n".join(lines), colour, "box", name)
        for addr in host.addresses:
            match = addr.match
            matched = match is not None and match.ok
            a_colour = COLOURS[Status.SECURE] if matched else colour
            if addr.error or (match is not None and not match.ok):
                a_colour = COLOURS[Status.BOGUS]
            label = addr.address
            if addr.tls_protocol:
                label += f"\n{addr.tls_protocol} {addr.tls_cipher or ''}".rstrip()
            ident = _id("addr", name, addr.address)
            dot.node(ident, label, a_colour, "ellipse", name)
            if matched:
                why = "chain matched"
            elif match is not None:
                why = _short(match.reason or "no TLSA record matched")
            else:
                why = _short(addr.error) if addr.error else ("not tried" if not addr.tried else "")
            dot.edge(source, ident, a_colour, why)
    head = [
        "digraph dane {",
        "    rankdir=TB; compound=true; fontname=Helvetica;",
        "    node [fontname=Helvetica, fontsize=10]; edge [fontname=Helvetica, fontsize=9];",
        f"    label={_q(title)}; labelloc=t;",
    ]
    return "\n".join([*head, *dot.lines(), "}"]) + "\n"


_ROLE_COLOURS = {
    "dane": COLOURS[Status.SECURE],
    "non-dane": COLOURS[Status.INSECURE],
    "unusable": COLOURS[Status.BOGUS],
    "tls-required": COLOURS[Status.INDETERMINATE],
}


def write_graph(answer: Any, path: str) -> None:
    """Write the drawing of an :class:`Answer` (or a DANE report) to
    ``path``: DOT text, or rendered by ``dot`` for the suffixes of
    :data:`RENDERED`; raises ConfigError if ``dot`` is missing or fails, or
    the file cannot be written."""
    text = to_dot(answer) if isinstance(answer, Answer) else dane_to_dot(answer)
    fmt = RENDERED.get(Path(path).suffix.lower())
    if fmt is None:
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(path, f"cannot write the graph: {exc.strerror or exc}") from None
        return
    program = shutil.which("dot")
    if program is None:
        raise ConfigError(
            path,
            f"rendering .{fmt} needs Graphviz's 'dot' program, which is not installed "
            "(install graphviz, or write a .dot file and render it elsewhere)",
        )
    proc = subprocess.run(
        [program, f"-T{fmt}", "-o", path], input=text.encode(), capture_output=True, check=False
    )
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip()
        raise ConfigError(path, f"dot -T{fmt} failed: {err}")
