"""The wheel: every package is in it, and the installed package finds the
bundled trust anchors and root hints (kept once, in ``trust_anchors/``).

The wheel test builds from a copy of the sources (so no build directory of
the checkout leaks in), installs it with ``pip --target`` and imports it in
a fresh interpreter that cannot see the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
DATA_FILES = ("named.root", "root-anchors.xml", "root-anchors.zone")


def test_the_package_list_names_every_package_directory() -> None:
    """The packages are listed in pyproject.toml (discovery cannot map
    trust_anchors/ into the package): a new subpackage must be added there."""
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {
        ".".join(path.parent.relative_to(REPO).parts)
        for path in (REPO / "dnssec_lite").rglob("__init__.py")
    }
    assert found | {"dnssec_lite.trust_anchors"} == listed


def test_the_data_files_exist_once() -> None:
    mapping = PYPROJECT["tool"]["setuptools"]["package-dir"]
    assert mapping == {"dnssec_lite.trust_anchors": "trust_anchors"}
    for name in DATA_FILES:
        assert (REPO / "trust_anchors" / name).is_file()
    assert not (REPO / "dnssec_lite" / "data").exists()
    assert not (REPO / "dnssec_lite" / "trust_anchors").exists()


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package built as a wheel and installed into a fresh directory."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("dnssec_lite", "trust_anchors"):
        shutil.copytree(REPO / name, src / name, ignore=ignore)
    dist = base / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("dnssec_lite-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for name in DATA_FILES:
        assert f"dnssec_lite/trust_anchors/{name}" in names
    assert not any(n.startswith("dnssec_lite/data/") for n in names)
    assert any(n.startswith("dnssec_lite/vectors/data/") and n.endswith(".json") for n in names)
    target = base / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), wheel],
        check=True,
        capture_output=True,
        timeout=300,
    )
    shutil.rmtree(src)  # nothing may be read from the build copy
    return target


_PROBE = """
import json, dnssec_lite
from dnssec_lite.anchors.formats import data_dir, default_anchors, bundled_root_anchors
from dnssec_lite.resolve.resolver import Resolver
from dnssec_lite.wire.name import ROOT
anchors = default_anchors().anchors[ROOT]
xml = bundled_root_anchors(1_800_000_000).anchors[ROOT]
print(json.dumps({
    "package": dnssec_lite.__file__,
    "data": str(data_dir().joinpath("named.root")),
    "ds_tags": sorted(ds.key_tag for ds in anchors.ds),
    "key_tags": sorted(key.key_tag for key in anchors.dnskeys),
    "xml_tags": sorted(ds.key_tag for ds in xml.ds),
    "roots": len(Resolver(mode="iterative").root_servers),
}))
"""


@pytest.mark.packaging
def test_the_installed_package_finds_its_anchors_and_hints(installed: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(installed)
    out = subprocess.run(
        [sys.executable, "-c", _PROBE],
        check=False,
        capture_output=True,
        text=True,
        cwd=tmp_path,  # not the checkout: its dnssec_lite must not be imported
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    facts = json.loads(out.stdout)
    assert Path(facts["package"]).is_relative_to(installed)
    assert Path(facts["data"]).is_relative_to(installed / "dnssec_lite" / "trust_anchors")
    assert facts["ds_tags"] == [20326, 38696]
    assert facts["key_tags"] == [20326, 38696]
    assert facts["xml_tags"] == [20326, 38696]
    assert facts["roots"] == 26  # 13 servers, IPv4 and IPv6
