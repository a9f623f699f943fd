"""An earlier commit's data loader, importable next to the current one (before/after in one run).

``import_baseline(commit, folder)`` extracts ``slowfast_microg/`` of ``commit`` (``git archive``)
into ``folder`` as the package ``slowfast_microg_baseline`` (every import of the package
renamed) and imports it. The dataset suite then times the baseline's and the current loader on
the same clips, alternating passes in one process, so a slower or busier machine during the run
affects both alike.
"""

from __future__ import annotations

import importlib
import io
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "slowfast_microg"
BASELINE_PACKAGE = "slowfast_microg_baseline"


def import_baseline(commit: str, folder: Path) -> ModuleType:
    """Import ``slowfast_microg`` as of ``commit`` under the name ``slowfast_microg_baseline``.

    Args:
        commit: a commit of this repository.
        folder: an empty folder to extract it into (kept on ``sys.path``).

    Raises:
        RuntimeError: ``git archive`` failed (unknown commit, no git).
    """
    result = subprocess.run(
        ["git", "archive", "--format=tar", commit, PACKAGE], cwd=ROOT, capture_output=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"git archive {commit} failed: {result.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as archive:
        archive.extractall(folder, filter="data")
    package = folder / BASELINE_PACKAGE
    (folder / PACKAGE).rename(package)
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(PACKAGE, BASELINE_PACKAGE), encoding="utf-8")
    sys.path.insert(0, str(folder))
    return importlib.import_module(BASELINE_PACKAGE)


def baseline_api(module: ModuleType) -> dict:
    """The baseline's functions the suite needs: config, config merging, dataset, collate."""
    config = importlib.import_module(f"{module.__name__}.config")
    loader = importlib.import_module(f"{module.__name__}.config.loader")
    datasets = importlib.import_module(f"{module.__name__}.datasets")
    transforms = importlib.import_module(f"{module.__name__}.datasets.detection_transform")
    return {
        "get_cfg": config.get_cfg,
        "merge_all": loader.merge_all,
        "merge_from_list": loader.merge_from_list,
        "build_dataset": datasets.build_dataset,
        "collate_detection": datasets.collate_detection,
        "DetectionTransform": transforms.DetectionTransform,
    }
