"""Fixtures for the end-to-end tests: one private DNS hierarchy per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .conformlab import ConformLab
from .danelab import DaneLab
from .dnsenv import DnsEnv, missing_tools

_HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "e2e: end-to-end test against real DNS software (nsd, unbound) on loopback",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def _dane_zones() -> DaneLab:
    """The DANE lab's certificates, made before the zones that pin them."""
    return DaneLab()


@pytest.fixture(scope="session")
def _conform_zones() -> Iterator[ConformLab]:
    """The conformance cross-check zones (two algorithms, a DNAME)."""
    lab = ConformLab()
    try:
        yield lab
    finally:
        lab.close()


@pytest.fixture(scope="session")
def dnsenv(_dane_zones: DaneLab, _conform_zones: ConformLab) -> Iterator[DnsEnv]:
    """The running environment: nsd per zone level, validating and plain unbound,
    with the DANE test domains among its zones."""
    missing = missing_tools()
    if missing:
        pytest.fail(
            f"end-to-end tests need {', '.join(missing)}: run scripts/install-test-deps.sh",
            pytrace=False,
        )
    env = DnsEnv(
        extra_zones=lambda prefix: [*_dane_zones.zones(prefix), *_conform_zones.zones(prefix)]
    )
    env.start()
    try:
        yield env
    finally:
        env.stop()


@pytest.fixture(scope="session")
def dane_lab(dnsenv: DnsEnv, _dane_zones: DaneLab) -> Iterator[DaneLab]:
    """The DANE domains with their STARTTLS servers running on port 25."""
    _dane_zones.start_servers()
    try:
        yield _dane_zones
    finally:
        _dane_zones.stop_servers()
