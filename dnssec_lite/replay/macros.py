"""Expansion of Unbound's ``${...}`` replay macros (autotrust scenarios).

Scenario files keep macros as raw text (see :mod:`dnssec_lite.replay.rpl`);
a replay harness expands them when the step runs, because they depend on the
simulated clock.  Inside ``${...}``:

* ``$name`` is a variable set by an earlier ``STEP n ASSIGN name = ...``;
* numbers joined by ``+ - * /`` are evaluated strictly left to right, without
  precedence (``${2 + 3 * 4}`` is 20); nested ``${...}`` act as brackets;
  numbers not joined by an operator are left as they are (``${1 2}`` is
  ``1 2``);
* ``${time}`` is the current simulated time, ``${timeout}`` the seconds until
  the next timer fires (asked from the caller), ``${ctime <expr>}`` the C
  ``ctime()`` text of a time (UTC, e.g. ``Fri Jan  2 10:17:36 1970``), and
  ``${range lo x hi}`` is ``x`` after checking ``lo <= x <= hi``.

Text outside ``${...}`` is copied unchanged.  Errors raise
:class:`~dnssec_lite.errors.ReplayError`.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dnssec_lite.errors import ReplayError

__all__ = ["expand"]

_MAX_DEPTH = 32
_VAR_RE = re.compile(r"\$([A-Za-z0-9_]+)")
_TOKEN_RE = re.compile(
    r"(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<num>\d+(?:\.\d*)?|\.\d+)"
    r"|(?P<ws>\s+)"
    r"|(?P<op>[-+*/])"
    r"|(?P<other>.)",
    re.DOTALL,
)
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class _Context:
    variables: Mapping[str, int | str]
    now: int
    timeout: Callable[[], int] | None
    path: str
    line: int | None

    def error(self, what: str) -> ReplayError:
        return ReplayError(self.path, self.line, what)


def expand(
    text: str,
    variables: Mapping[str, int | str],
    now: int,
    timeout: Callable[[], int] | None = None,
    *,
    path: str = "<macro>",
    line: int | None = None,
) -> str:
    """Replace every ``${...}`` in ``text`` by its value.

    ``variables`` maps ASSIGN names to values, ``now`` is the simulated time
    (Unix seconds) for ``${time}``, ``timeout`` is called for ``${timeout}``;
    ``path`` and ``line`` only label errors.
    """
    return _expand(text, _Context(variables, now, timeout, path, line), 0)


def _expand(text: str, ctx: _Context, depth: int) -> str:
    if depth > _MAX_DEPTH:
        raise ctx.error("macros nested too deeply")
    out: list[str] = []
    pos = 0
    while True:
        start = text.find("${", pos)
        if start < 0:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos:start])
        end = _closing_brace(text, start + 2, ctx)
        out.append(_macro(text[start + 2 : end], ctx, depth + 1))
        pos = end + 1


def _closing_brace(text: str, pos: int, ctx: _Context) -> int:
    """Index of the ``}`` closing a macro whose body starts at ``pos``."""
    level = 0
    while pos < len(text):
        if text.startswith("${", pos):
            level += 1
            pos += 2
            continue
        if text[pos] == "}":
            if level == 0:
                return pos
            level -= 1
        pos += 1
    raise ctx.error(f"unterminated macro: no closing '}}' in {text!r}")


def _macro(body: str, ctx: _Context, depth: int) -> str:
    if body == "time":
        return str(ctx.now)
    if body == "timeout":
        if ctx.timeout is None:
            raise ctx.error("${timeout} used but no timer information is available")
        return str(ctx.timeout())
    func = ""
    if body[:6] in ("ctime ", "ctime\t", "range ", "range\t"):
        func, body = body[:5], body[6:]
    value = _arithmetic(_substitute(body, ctx, depth), ctx)
    if func == "ctime":
        return _ctime(value, ctx)
    if func == "range":
        return _range(value, ctx)
    return value


def _substitute(body: str, ctx: _Context, depth: int) -> str:
    """Expand nested macros and ``$variables`` (values are scanned again)."""

    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in ctx.variables:
            raise ctx.error(f"macro variable ${name} is not defined")
        return str(ctx.variables[name])

    text = _expand(body, ctx, depth)
    for _ in range(_MAX_DEPTH):
        if "$" not in text:
            return text
        new = _VAR_RE.sub(value, text)
        new = _expand(new, ctx, depth + 1)
        if new == text:
            if "$" in text:
                raise ctx.error(f"'$' without a variable name in macro {body!r}")
            return text
        text = new
    raise ctx.error("macro variables nested too deeply")


def _format(number: float) -> str:
    if math.isfinite(number) and number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return f"{number:.12g}"


def _arithmetic(text: str, ctx: _Context) -> str:
    """Evaluate ``number op number`` sequences left to right, in place."""
    tokens: list[tuple[str, str]] = [
        (m.lastgroup or "other", m.group()) for m in _TOKEN_RE.finditer(text)
    ]

    def next_solid(i: int) -> int:
        while i < len(tokens) and tokens[i][0] == "ws":
            i += 1
        return i

    i = 0
    while i < len(tokens):
        if tokens[i][0] != "num":
            i += 1
            continue
        op_at = next_solid(i + 1)
        rhs_at = next_solid(op_at + 1)
        if (
            op_at < len(tokens)
            and tokens[op_at][0] == "op"
            and rhs_at < len(tokens)
            and tokens[rhs_at][0] == "num"
        ):
            x, y = float(tokens[i][1]), float(tokens[rhs_at][1])
            op = tokens[op_at][1]
            if op == "+":
                result = x + y
            elif op == "-":
                result = x - y
            elif op == "*":
                result = x * y
            else:
                if y == 0:
                    raise ctx.error(f"division by zero in macro {text!r}")
                result = x / y
            tokens[i : rhs_at + 1] = [("num", _format(result))]
            continue  # the result may be the left operand of the next operator
        i += 1
    return "".join(tok for _, tok in tokens)


def _ctime(value: str, ctx: _Context) -> str:
    m = re.match(r"\s*([-+]?\d+)", value)
    if not m:
        raise ctx.error(f"ctime macro: expected a number, not {value!r}")
    try:
        when = datetime.datetime.fromtimestamp(int(m.group(1)), datetime.UTC)
    except (OverflowError, OSError, ValueError):
        raise ctx.error(f"ctime macro: time out of range: {value!r}") from None
    return (
        f"{_DAYS[when.weekday()]} {_MONTHS[when.month - 1]} {when.day:2d} "
        f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} {when.year}"
    )


def _range(value: str, ctx: _Context) -> str:
    parts = value.split()
    if len(parts) != 3:
        raise ctx.error(f"range macro needs 3 numbers: {value!r}")
    try:
        lo, x, hi = (float(p) for p in parts)
    except ValueError:
        raise ctx.error(f"range macro needs 3 numbers: {value!r}") from None
    if not lo <= x <= hi:
        raise ctx.error(f"range macro: value {_format(x)} not in [{_format(lo)}, {_format(hi)}]")
    return _format(x)
