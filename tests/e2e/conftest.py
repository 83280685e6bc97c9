"""Fixtures for the end-to-end tests: one private DNS hierarchy per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
def dnsenv() -> Iterator[DnsEnv]:
    """The running environment: nsd per zone level, validating and plain unbound."""
    missing = missing_tools()
    if missing:
        pytest.fail(
            f"end-to-end tests need {', '.join(missing)}: run scripts/install-test-deps.sh",
            pytrace=False,
        )
    env = DnsEnv()
    env.start()
    try:
        yield env
    finally:
        env.stop()
