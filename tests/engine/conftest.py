"""Fixtures of the engine tests: toy components installed at the integration points."""

import engine_toys
import pytest

import slowfast_microg.engine.data as engine_data
import slowfast_microg.engine.evaluate as engine_evaluate


@pytest.fixture
def toys(monkeypatch, tmp_path):
    """Register the toys, route collate/evaluation to them, and write a default toy spec."""
    engine_toys.register()
    try:
        engine_data.detection_collate()
    except ImportError:
        monkeypatch.setattr(engine_data, "detection_collate", lambda: engine_toys.toy_collate)
    monkeypatch.setattr(engine_evaluate, "evaluate_split", engine_toys.record_evaluate_split)
    engine_toys.write_spec(tmp_path / "data")
    return engine_toys
