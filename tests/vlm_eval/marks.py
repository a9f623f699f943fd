"""Skip marks for optional dependencies, checked without importing them (fast collection)."""

from __future__ import annotations

import importlib.util

import pytest

VLM_EXTRA = "pip install -e '.[vlm]'"


def requires(*modules: str, hint: str = VLM_EXTRA) -> pytest.MarkDecorator:
    """Skip when any of ``modules`` cannot be found; the reason says how to install it."""
    absent = [name for name in modules if importlib.util.find_spec(name) is None]
    return pytest.mark.skipif(bool(absent), reason=f"{', '.join(absent)} missing: {hint}")
