"""Shared pytest fixtures. Tests never read ../shared: fixtures live in tests/fixtures/."""

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """Path to the copied reference fixtures (see tests/fixtures/README.md)."""
    return FIXTURES
