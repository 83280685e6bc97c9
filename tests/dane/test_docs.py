"""The ```python examples of docs/dane.md "Certificate matching" run, in order."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "dane.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _section(title: str) -> tuple[int, str]:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text.count("\n", 0, start), text[start : end if end != -1 else None]


def test_certificate_matching_examples_run() -> None:
    offset, section = _section("Certificate matching")
    blocks = list(BLOCK.finditer(section))
    assert blocks
    namespace: dict[str, object] = {"__name__": "dane_doc"}
    out = io.StringIO()
    for block in blocks:
        line = offset + section.count("\n", 0, block.start()) + 2
        with contextlib.redirect_stdout(out):
            exec(compile(block.group(1), f"{DOC.name}:{line}", "exec"), namespace)
    printed = out.getvalue().splitlines()
    assert printed[0].endswith(": DANE-EE(3) matches the leaf")
    unusable = "unusable: malformed data, 31 octets for a 32-octet digest"
    assert printed[1] == f"3 1 1 00000000...: {unusable}"
    assert printed[2] == "3 1 1 00000000...: SPKI digest does not match the leaf"
