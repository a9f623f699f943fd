"""Fixtures of the hub tests: a correct synthetic train-ready layout in a tmp folder."""

import hub_layout
import pytest


@pytest.fixture
def layout(tmp_path):
    return hub_layout.write_layout(tmp_path / "MicroG-HAR-train-ready")
