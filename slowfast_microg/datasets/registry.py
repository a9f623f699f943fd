"""The dataset registry and ``build_dataset``."""

from __future__ import annotations

from fvcore.common.config import CfgNode
from torch.utils.data import Dataset

from slowfast_microg.utils.registry import NamedRegistry

DATASET_REGISTRY = NamedRegistry("DATASET")
DATASET_REGISTRY.__doc__ = """Datasets, selected by ``TRAIN.DATASET`` / ``TEST.DATASET``.

Contract: ``DATASET_REGISTRY.get(name)(cfg, split)`` with ``split`` in {"train", "val",
"test"} returns a ``torch.utils.data.Dataset``. Lookup ignores case; a miss lists the
registered names.
"""


def build_dataset(dataset_name: str, cfg: CfgNode, split: str) -> Dataset:
    """Build the dataset registered as ``dataset_name`` for ``split``."""
    return DATASET_REGISTRY.get(dataset_name)(cfg, split)
