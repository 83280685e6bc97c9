"""The package's layers, checked on the source with ``ast``.

Order, lowest first: wire -> dnssec -> anchors -> resolve -> dane -> replay/vectors/cli.
A module may import its own layer or lower ones; ``errors`` and
``wire.types`` may be imported from anywhere.  The pure layers (wire, dnssec)
must not touch sockets, event loops, TLS, files or clocks.  Packages that do
not exist yet are simply absent; a module outside the known layers counts as
top layer (it may import anything, nothing below may import it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dnssec_lite"

LAYERS = {
    "wire": 0,
    "dnssec": 1,
    "anchors": 2,
    "resolve": 3,
    "dane": 4,
    "replay": 5,
    "vectors": 5,
    "cli": 5,
}
TOP = max(LAYERS.values())
ANYWHERE = {"dnssec_lite.errors", "dnssec_lite.wire.types"}
PURE = {"wire", "dnssec"}
#: Pure modules inside layers that also do I/O (DANE certificate matching).
PURE_MODULES = {
    "dnssec_lite.dane.tlsa",
    "dnssec_lite.dane.names",
    "dnssec_lite.dane.pkix",
    "dnssec_lite.dane.policy",
    "dnssec_lite.dane.lookups",
    "dnssec_lite.dane.report",
    "dnssec_lite.dane.smtpdialogue",
    "dnssec_lite.dane.codes",
    "dnssec_lite.dane.certinfo",
    "dnssec_lite.dane.records",
    "dnssec_lite.dane.horizon",
    "dnssec_lite.dane.ops",
}
FORBIDDEN_MODULES = {"socket", "asyncio", "selectors", "ssl"}
FORBIDDEN_CALLS = {
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "monotonic"),
    ("time", "monotonic_ns"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("date", "today"),
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) < 2:
        return TOP  # the package's own __init__: the public facade
    return LAYERS.get(parts[1], TOP)


def _imports(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module) of every import of a dnssec_lite module."""
    package = module if is_package else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                if node.level > 1:
                    base = base[: -(node.level - 1)]
                prefix = ".".join(base)
                target = f"{prefix}.{node.module}" if node.module else prefix
            else:
                target = node.module or ""
            out.append((node.lineno, target))
            # "from pkg import submodule" imports the submodule too
            out += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return out


def _own_modules() -> set[str]:
    return {_module_name(p) for p in PACKAGE.rglob("*.py")}


def layering_violations(source: str, module: str, is_package: bool, known: set[str]) -> list[str]:
    tree = ast.parse(source)
    layer = _layer(module)
    problems = []
    for line, target in _imports(tree, module, is_package):
        if not target.startswith("dnssec_lite"):
            continue
        # "from pkg import name" yields pkg.name; only check real modules
        if target not in known and target.rpartition(".")[0] in known:
            target = target.rpartition(".")[0]
        if target in ANYWHERE or target == "dnssec_lite":
            continue
        if _layer(target) > layer:
            problems.append(f"{module}:{line} imports {target} from a higher layer")
    return problems


def purity_violations(source: str, module: str) -> list[str]:
    tree = ast.parse(source)
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FORBIDDEN_MODULES:
                    problems.append(f"{module}:{node.lineno} imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and not node.level:
            root = (node.module or "").split(".")[0]
            if root in FORBIDDEN_MODULES:
                problems.append(f"{module}:{node.lineno} imports from {node.module}")
            for alias in node.names:
                if (root, alias.name) in FORBIDDEN_CALLS:
                    problems.append(f"{module}:{node.lineno} imports {root}.{alias.name}")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "open":
                problems.append(f"{module}:{node.lineno} calls open()")
            elif isinstance(func, ast.Attribute):
                owner = func.value
                owner_name = (
                    owner.id
                    if isinstance(owner, ast.Name)
                    else owner.attr
                    if isinstance(owner, ast.Attribute)
                    else None
                )
                if (owner_name, func.attr) in FORBIDDEN_CALLS:
                    problems.append(f"{module}:{node.lineno} calls {owner_name}.{func.attr}()")
                if func.attr == "open" and owner_name in {"io", "os", "codecs", "builtins"}:
                    problems.append(f"{module}:{node.lineno} calls {owner_name}.open()")
    return problems


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_package_is_found() -> None:
    modules = _own_modules()
    assert "dnssec_lite.errors" in modules
    assert "dnssec_lite.wire.name" in modules


@pytest.mark.parametrize("path", _sources(), ids=lambda p: _module_name(p))
def test_imports_respect_the_layers(path: Path) -> None:
    module = _module_name(path)
    problems = layering_violations(
        path.read_text(encoding="utf-8"), module, path.name == "__init__.py", _own_modules()
    )
    assert not problems


@pytest.mark.parametrize(
    "path",
    [p for p in _sources() if _module_name(p).split(".")[1:2] and
     _module_name(p).split(".")[1] in PURE],
    ids=lambda p: _module_name(p),
)  # fmt: skip
def test_pure_layers_have_no_io_and_no_clock(path: Path) -> None:
    assert not purity_violations(path.read_text(encoding="utf-8"), _module_name(path))


#: The resolution step generators: they yield batches, the driver does the
#: I/O (no sockets, threads, event loops or clocks in them).
STEP_MODULES = ("dnssec_lite.resolve.stub", "dnssec_lite.resolve.stripping",
                "dnssec_lite.resolve.iterative")  # fmt: skip


@pytest.mark.parametrize(
    "path",
    [p for p in _sources() if _module_name(p).startswith(STEP_MODULES)],
    ids=lambda p: _module_name(p),
)
def test_resolution_steps_have_no_io_no_threads_and_no_clock(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    problems = purity_violations(source, _module_name(path))
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        problems += [n for n in names if n.split(".")[0] in {"threading", "concurrent", "time"}]
    assert not problems


@pytest.mark.parametrize("module", sorted(PURE_MODULES))
def test_pure_modules_have_no_io_and_no_clock(module: str) -> None:
    path = PACKAGE.parent.joinpath(*module.split(".")).with_suffix(".py")
    assert not purity_violations(path.read_text(encoding="utf-8"), module)


def test_errors_module_imports_nothing_of_the_package() -> None:
    tree = ast.parse((PACKAGE / "errors.py").read_text(encoding="utf-8"))
    targets = _imports(tree, "dnssec_lite.errors", False)
    assert not [t for _, t in targets if t.startswith("dnssec_lite")]


# -- the checker itself catches what it should --------------------------------------

KNOWN = {
    "dnssec_lite",
    "dnssec_lite.errors",
    "dnssec_lite.wire",
    "dnssec_lite.wire.types",
    "dnssec_lite.wire.name",
    "dnssec_lite.dnssec",
    "dnssec_lite.dnssec.trust",
    "dnssec_lite.resolve",
    "dnssec_lite.resolve.stub",
    "dnssec_lite.cli",
}


@pytest.mark.parametrize(
    ("source", "module", "bad"),
    [
        ("from ..resolve import stub", "dnssec_lite.wire.message", True),
        ("from ..dnssec.trust import x", "dnssec_lite.wire.message", True),
        ("import dnssec_lite.cli", "dnssec_lite.dnssec.trust", True),
        ("from dnssec_lite import resolve", "dnssec_lite.dnssec.trust", True),
        ("from .rdata import base", "dnssec_lite.wire", False),
        ("from ..wire.name import Name", "dnssec_lite.dnssec.trust", False),
        ("from ..errors import WireFormatError", "dnssec_lite.wire.name", False),
        ("from dnssec_lite.wire.types import RRType", "dnssec_lite.wire.name", False),
        ("from ..dnssec import trust", "dnssec_lite.resolve.stub", False),
        ("from .. import errors", "dnssec_lite.wire.name", False),
    ],
)
def test_layer_checker(source: str, module: str, bad: bool) -> None:
    is_package = module == "dnssec_lite.wire"
    assert bool(layering_violations(source, module, is_package, KNOWN)) == bad


@pytest.mark.parametrize(
    ("source", "bad"),
    [
        ("import socket", True),
        ("import asyncio.tasks", True),
        ("from ssl import SSLContext", True),
        ("import selectors", True),
        ("import time\nx = time.time()", True),
        ("import time\nx = time.monotonic()", True),
        ("from time import monotonic", True),
        ("import datetime\nx = datetime.datetime.now()", True),
        ("from datetime import datetime\nx = datetime.now()", True),
        ("x = open('f')", True),
        ("import io\nx = io.open('f')", True),
        ("import time\nx = time.gmtime(0)", False),
        ("import calendar\nx = calendar.timegm((2020, 1, 1, 0, 0, 0))", False),
        ("import struct", False),
    ],
)
def test_purity_checker(source: str, bad: bool) -> None:
    assert bool(purity_violations(source, "dnssec_lite.wire.x")) == bad


def _import_graph() -> dict[str, set[str]]:
    known = _own_modules()
    graph: dict[str, set[str]] = {}
    for path in _sources():
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets = set()
        for _, target in _imports(tree, module, path.name == "__init__.py"):
            if target not in known and target.rpartition(".")[0] in known:
                target = target.rpartition(".")[0]
            if target in known and target != module:
                targets.add(target)
        graph[module] = targets
    return graph


def test_the_dnssec_layer_has_no_import_cycles() -> None:
    """Its modules (the validation job split by job among them) import one way."""
    graph = {m: t for m, t in _import_graph().items() if m.startswith("dnssec_lite.dnssec.")}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module in done:
            return
        for target in graph.get(module, ()):
            visit(target, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())


#: Modules of the anchors layer that must stay sans-I/O like wire and dnssec
#: (the RFC 5011 state machine and the text formats); ``anchors.store`` and
#: the file readers of ``anchors.formats`` are that layer's I/O edge.
SANS_IO_ANCHORS = ("model", "rfc5011", "statefile", "diagnose", "unbound")


@pytest.mark.parametrize("name", SANS_IO_ANCHORS)
def test_rfc5011_core_has_no_io_and_no_clock(name: str) -> None:
    path = PACKAGE / "anchors" / f"{name}.py"
    assert path.exists(), path
    assert not purity_violations(path.read_text(encoding="utf-8"), f"dnssec_lite.anchors.{name}")
