"""A replay scenario as the ``.rpl`` parser (:mod:`.rpl`) produces it: plain
frozen dataclasses that keep every record line as text (:class:`RRLine`),
the reading of an entry's flags and of Unbound's boolean options, and the
queries on a parsed scenario (its entries, the verdict each CHECK_ANSWER
step expects)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from dnssec_lite.errors import ReplayError

#: Message sections, in wire order; keys of ``Entry.sections``.
SECTIONS: tuple[str, ...] = ("QUESTION", "ANSWER", "AUTHORITY", "ADDITIONAL")


_RCODES = frozenset(
    {
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMPL", "NOTIMP",
        "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
    }
)  # fmt: skip


_OPCODES = frozenset({"QUERY", "IQUERY", "STATUS", "NOTIFY", "UPDATE"})


_TRUE = frozenset({"yes", "on", "true", "1"})


_FALSE = frozenset({"no", "off", "false", "0"})


@dataclass(frozen=True)
class RRLine:
    """One resource record (or question) in presentation format, unparsed.

    ``text`` has ``;`` comments removed and parenthesised continuation lines
    joined with single spaces; ``line`` is the 1-based line where it starts.
    """

    text: str
    line: int


def _empty_sections() -> dict[str, tuple[RRLine, ...]]:
    return {name: () for name in SECTIONS}


@dataclass(frozen=True)
class Packet:
    """A further message of an entry, introduced by ``EXTRA_PACKET``."""

    line: int
    reply: frozenset[str] = frozenset()
    sections: dict[str, tuple[RRLine, ...]] = field(default_factory=_empty_sections)
    raw_hex: bytes | None = None


@dataclass(frozen=True)
class Entry:
    """One ``ENTRY_BEGIN`` ... ``ENTRY_END`` block: a message plus rules.

    ``match`` elements are lower case and keep their arguments (``"ede=6"``,
    ``"tcp"``); ``adjust`` elements are lower case too; ``reply`` words
    (opcode, rcode, header flags, ``DO``) are upper case.  ``sections`` always
    has the four keys of :data:`SECTIONS`.  ``raw_hex`` is the wire message of
    a ``HEX_ANSWER_BEGIN`` block or a Deckard ``RAW`` line, ``edns_data`` the
    bytes of a ``HEX_EDNSDATA_BEGIN`` block.  ``origin`` / ``default_ttl`` are
    the ``$ORIGIN`` / ``$TTL`` in force (they carry over between entries, as in
    Unbound).  ``mandatory`` is Deckard's ``MANDATORY`` marker.
    """

    line: int
    match: frozenset[str] = frozenset()
    adjust: frozenset[str] = frozenset()
    reply: frozenset[str] = frozenset()
    sections: dict[str, tuple[RRLine, ...]] = field(default_factory=_empty_sections)
    raw_hex: bytes | None = None
    edns_data: bytes | None = None
    extra_packets: tuple[Packet, ...] = ()
    origin: str | None = None
    default_ttl: int | None = None
    mandatory: bool = False

    @property
    def rcode(self) -> str:
        """The rcode word of ``REPLY`` (``NOERROR`` when none is given)."""
        for word in sorted(self.reply):
            if word in _RCODES:
                return word
        return "NOERROR"

    @property
    def opcode(self) -> str:
        """The opcode word of ``REPLY`` (``QUERY`` when none is given)."""
        for word in sorted(self.reply):
            if word in _OPCODES:
                return word
        return "QUERY"

    @property
    def question(self) -> RRLine | None:
        """The first ``SECTION QUESTION`` line, if any."""
        lines = self.sections["QUESTION"]
        return lines[0] if lines else None


@dataclass(frozen=True)
class Range:
    """``RANGE_BEGIN first last``: entries answering during steps first..last.

    An empty ``addresses`` tuple means the range answers for any address.
    """

    first: int
    last: int
    addresses: tuple[str, ...]
    entries: tuple[Entry, ...]
    line: int = 0


@dataclass(frozen=True)
class Step:
    """``STEP number KIND args``.

    ``args`` are the words after the kind, except: ``ASSIGN`` gives
    ``(variable, expression)`` and ``TIME_PASSES EVAL`` gives
    ``("EVAL", expression)``, the expression being the raw text (macros
    unexpanded).  ``entry`` is set for QUERY, CHECK_ANSWER, CHECK_OUT_QUERY and
    REPLY; ``file_text`` (raw lines, each ending in a newline, macros
    unexpanded) for CHECK_AUTOTRUST and CHECK_TEMPFILE.
    """

    number: int
    kind: str
    args: tuple[str, ...]
    entry: Entry | None
    file_text: str | None
    line: int


@dataclass(frozen=True)
class Config:
    """The configuration part of a scenario (before ``CONFIG_END``).

    Zone names of ``stub_zones``, ``forward_zones`` and ``domain_insecure``
    are made absolute (trailing dot); ``autotrust_files`` keys are the zone as
    written after ``AUTOTRUST_FILE``, values the raw file text.
    ``val_override_date`` is a Unix time (from ``val-override-date``
    ``YYYYMMDDhhmmss`` UTC or ``val-override-timestamp``); the value ``-1``
    sets ``ignore_signature_times`` instead.  ``options`` holds every other
    ``key: value`` (unquoted, in file order); keys from clauses other than
    server/stub-zone/forward-zone are prefixed ``"<clause>."``.
    """

    trust_anchors: tuple[RRLine, ...] = ()
    trust_anchor_files: tuple[str, ...] = ()
    autotrust_files: dict[str, str] = field(default_factory=dict)
    val_override_date: int | None = None
    ignore_signature_times: bool = False
    domain_insecure: tuple[str, ...] = ()
    stub_zones: tuple[tuple[str, tuple[str, ...]], ...] = ()
    forward_zones: tuple[tuple[str, tuple[str, ...]], ...] = ()
    options: dict[str, list[str]] = field(default_factory=dict)
    temp_files: dict[str, str] = field(default_factory=dict)
    #: No ``server:``/``stub-zone:`` clause: Deckard's flat option list
    #: (scenarios written for Knot Resolver), not Unbound's ``testdata``.
    flat: bool = False

    def flag(self, *keys: str, default: bool = False) -> bool:
        """The last yes/no (on/off, true/false) value of the first key present."""
        for key in keys:
            values = self.options.get(key)
            if values:
                word = values[-1].strip().lower()
                if word in _TRUE:
                    return True
                if word in _FALSE:
                    return False
        return default

    @property
    def fake_sha1(self) -> bool:
        """Unbound test switch: accept RSASHA1/DSA signatures and SHA-1 DS unchecked."""
        return self.flag("fake-sha1")

    @property
    def fake_dsa(self) -> bool:
        """Unbound test switch: accept DSA signatures unchecked."""
        return self.flag("fake-dsa")

    @property
    def qname_minimisation(self) -> bool:
        """Whether the recorded resolver minimised query names (default yes)."""
        return self.flag("qname-minimisation", "query-minimization", default=True)

    @property
    def aggressive_nsec(self) -> bool:
        """Unbound ``aggressive-nsec`` (RFC 8198), default no."""
        return self.flag("aggressive-nsec")

    @property
    def harden_algo_downgrade(self) -> bool:
        """Unbound ``harden-algo-downgrade``, default no."""
        return self.flag("harden-algo-downgrade")


@dataclass(frozen=True)
class Scenario:
    """A whole ``.rpl`` file."""

    path: str
    title: str
    config: Config
    ranges: tuple[Range, ...]
    steps: tuple[Step, ...]


def _verdict(query: Entry, answer: Entry) -> str:
    asked = query.reply
    if "CD" in asked:
        return "cd"
    if answer.rcode == "SERVFAIL":
        return "bogus"
    if "DO" not in asked and "AD" not in asked:
        return "noDO"
    if "AD" in answer.reply:
        return "secure"
    return "insecure"


def expected_outcomes(scenario: Scenario) -> list[str]:
    """The validator verdict expected by each CHECK_ANSWER step, in order.

    ``"cd"``: the query had CD (no validation); ``"bogus"``: the answer is
    SERVFAIL; ``"noDO"``: the query had neither DO nor AD, so the missing AD
    bit cannot tell secure from insecure; otherwise ``"secure"`` (AD set) or
    ``"insecure"``.
    """
    out: list[str] = []
    query: Entry | None = None
    for step in scenario.steps:
        if step.kind == "QUERY":
            query = step.entry
        elif step.kind == "CHECK_ANSWER":
            if query is None or step.entry is None:
                raise ReplayError(
                    scenario.path, step.line, "CHECK_ANSWER without a preceding QUERY"
                )
            out.append(_verdict(query, step.entry))
    return out


def iter_entries(scenario: Scenario) -> Iterator[Entry]:
    """Every entry of a scenario: range entries first, then step entries."""
    for rng in scenario.ranges:
        yield from rng.entries
    for step in scenario.steps:
        if step.entry is not None:
            yield step.entry


__all__ = [
    "SECTIONS",
    "Config",
    "Entry",
    "Packet",
    "RRLine",
    "Range",
    "Scenario",
    "Step",
    "expected_outcomes",
    "iter_entries",
]
