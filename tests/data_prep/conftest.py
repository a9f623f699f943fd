"""data_prep test setup: Ultralytics kept offline, shared synthetic models and configs."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Before anything imports Ultralytics: no network checks, settings in a throwaway folder.
os.environ["YOLO_OFFLINE"] = "1"
os.environ.setdefault("YOLO_CONFIG_DIR", tempfile.mkdtemp(prefix="yolo_cfg_"))

from dp_synthetic import person_model  # noqa: E402

from data_prep.config import PipelineConfig, load_config  # noqa: E402
from data_prep.logs import setup_logging  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "data_prep"


@pytest.fixture(autouse=True)
def _quiet_logging() -> None:
    """Console logging without progress bars, no log file unless a test sets one."""
    setup_logging(None, progress=False)


@pytest.fixture(autouse=True)
def _no_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that would make Ultralytics fetch weights, fonts or other assets."""
    try:
        import ultralytics.utils.downloads as downloads
    except ImportError:
        return

    def refuse(*args, **kwargs):
        raise AssertionError(f"download attempted: {args} {kwargs}")

    original = downloads.attempt_download_asset

    def local_only(file, *args, **kwargs):
        if not Path(str(file)).exists():
            raise AssertionError(f"download attempted for {file}")
        return original(file, *args, **kwargs)

    monkeypatch.setattr(downloads, "safe_download", refuse)
    monkeypatch.setattr(downloads, "attempt_download_asset", local_only)


@pytest.fixture(scope="session")
def person_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """YOLO11n from its yaml, rigged to detect one 'person' per 32-px cell (see dp_synthetic.py)."""
    return person_model(tmp_path_factory.mktemp("weights") / "person11n.pt")


@pytest.fixture
def fast_cfg() -> PipelineConfig:
    """Paper defaults with small, fast settings for tiny synthetic clips."""
    return load_config(
        None,
        ["split.preset=ultrafast", "split.height=96", "detector.imgsz=128", "detector.batch=32"],
    )


@pytest.fixture
def fixtures_data_prep() -> Path:
    """Folder of the copied reference fixtures."""
    return FIXTURES
