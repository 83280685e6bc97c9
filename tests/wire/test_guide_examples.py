"""The ```python examples of docs/guide.md run, in order, in one namespace."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _blocks() -> list[tuple[int, str]]:
    text = GUIDE.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in BLOCK.finditer(text)]


def test_the_guide_has_examples() -> None:
    assert len(_blocks()) >= 6


def test_guide_examples_run() -> None:
    namespace: dict[str, object] = {"__name__": "guide"}
    for line, code in _blocks():
        compiled = compile(code, f"{GUIDE.name}:{line}", "exec")
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                exec(compiled, namespace)
            except Exception as exc:  # name the block that failed
                pytest.fail(f"example at docs/guide.md line {line} failed: {exc!r}")
