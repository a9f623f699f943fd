"""Toy components for engine tests: a tiny model and in-memory dataset honouring the contracts.

They are registered in the real registries (``EngineToy``/``EngineToyBN`` models, the
``engine_toy`` dataset). The dataset reads an optional ``toy_spec.json`` from
DATA.PATH_TO_DATA_DIR so subprocesses see the same data. ``record_evaluate_split`` stands in
for the evaluation module at the engine's one integration point: it scores the toy's own
per-box labels with scikit-learn's average precision and saves the raw predictions.
"""

from __future__ import annotations

import json
import os
import signal
import socket
from pathlib import Path

import numpy as np
import torch
from fvcore.common.config import CfgNode
from torch import nn

from slowfast_microg.config import assert_and_infer_cfg, get_cfg, merge_from_list
from slowfast_microg.datasets.registry import DATASET_REGISTRY
from slowfast_microg.models.registry import MODEL_REGISTRY

CLASS_IDS = [1, 3, 5, 6]
SHAPE = (3, 2, 8, 8)
KILL_ENV = "ENGINE_TOY_KILL_AT_FORWARD"
DEFAULT_SPEC = {"num_items": {"train": 24, "val": 10, "test": 10}}
_train_forwards = 0


def item_labels(split: str, index: int) -> np.ndarray:
    """Multi-hot labels (K,) of toy item ``index`` (at least one positive)."""
    rng = np.random.default_rng([len(split), sum(map(ord, split)), index])
    labels = (rng.random(len(CLASS_IDS)) < 0.4).astype(np.float32)
    labels[rng.integers(len(CLASS_IDS))] = 1.0
    return labels


def _prototypes() -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(7).normal(size=(len(CLASS_IDS), *SHAPE))).float()


class EngineToyDataset(torch.utils.data.Dataset):
    """``engine_toy``: one keyframe per item, one person box, labels from ``item_labels``."""

    def __init__(self, cfg: CfgNode, split: str) -> None:
        spec_path = Path(cfg.DATA.PATH_TO_DATA_DIR) / "toy_spec.json"
        spec = json.loads(spec_path.read_text()) if spec_path.exists() else DEFAULT_SPEC
        self.split = split
        self.size = spec["num_items"][split]
        self.nan_clips = set(spec.get("nan_clips", []))
        self.failing = set(spec.get("failing_items", {}).get(split, []))
        self.train = split == "train"
        self.video_names = [f"{split}_{i:04d}" for i in range(self.size)]
        self.class_ids = list(CLASS_IDS)
        self.label_names = {cid: f"action {cid}" for cid in CLASS_IDS}
        self.num_classes = len(CLASS_IDS)
        self.prototypes = _prototypes()

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> dict:
        clip = self.video_names[index]
        if index in self.failing:
            raise OSError(f"cannot decode frames of {clip}")
        labels = torch.from_numpy(item_labels(self.split, index))
        fixed = torch.Generator().manual_seed(1000 + index)
        clip_tensor = (labels[:, None, None, None, None] * self.prototypes).sum(0)
        clip_tensor = clip_tensor + 2.0 * torch.randn(SHAPE, generator=fixed)
        if self.train:
            clip_tensor = clip_tensor + 0.3 * torch.randn(SHAPE)
        if clip in self.nan_clips:
            clip_tensor = torch.full(SHAPE, float("nan"))
        offset = float(index % 2)
        box = torch.tensor([[1.0 + offset, 1.0, 6.0 + offset, 7.0]])
        return {
            "inputs": [clip_tensor],
            "boxes": box,
            "ori_boxes": box / 8.0,
            "labels": labels[None, :],
            "metadata": torch.tensor([[index, 40 + index % 20]], dtype=torch.long),
            "clip_id": clip,
        }


class EngineToy(nn.Module):
    """Per-box scores from a flattened clip: (B, C, T, H, W) + (N, 5) boxes -> (N, K)."""

    def __init__(self, cfg: CfgNode, *, batchnorm: bool = False) -> None:
        super().__init__()
        features = int(np.prod(SHAPE))
        self.fc1 = nn.Linear(features, 16)
        self.bn = nn.BatchNorm1d(16) if batchnorm else nn.Identity()
        self.dropout = nn.Dropout(cfg.MODEL.DROPOUT_RATE)
        self.head = nn.Linear(16 + 4, cfg.MODEL.NUM_CLASSES)
        self.act = nn.Sigmoid() if cfg.MODEL.HEAD_ACT == "sigmoid" else nn.Identity()
        self.feature_strides = [1]

    def forward(self, inputs: list[torch.Tensor], bboxes: torch.Tensor) -> torch.Tensor:
        global _train_forwards
        if self.training and KILL_ENV in os.environ:
            _train_forwards += 1
            if _train_forwards == int(os.environ[KILL_ENV]):
                os.kill(os.getpid(), signal.SIGKILL)
        hidden = torch.relu(self.bn(self.fc1(inputs[0].flatten(1))))
        per_box = torch.cat([hidden[bboxes[:, 0].long()], bboxes[:, 1:] / 8.0], dim=1)
        return self.act(self.head(self.dropout(per_box)))


class EngineToyBN(EngineToy):
    """``EngineToy`` with a BatchNorm layer (FROZEN_BN and parameter-group tests)."""

    def __init__(self, cfg: CfgNode) -> None:
        super().__init__(cfg, batchnorm=True)


def toy_collate(items: list[dict]) -> dict:
    """Minimal ``collate_detection`` of the contract (used when the dataset package lacks it)."""
    counts = torch.tensor([len(item["boxes"]) for item in items])
    batch_index = torch.repeat_interleave(torch.arange(len(items)), counts).float()
    return {
        "inputs": [torch.stack([item["inputs"][0] for item in items])],
        "boxes": torch.cat([batch_index[:, None], torch.cat([i["boxes"] for i in items])], 1),
        "ori_boxes": torch.cat([item["ori_boxes"] for item in items]),
        "labels": torch.cat([item["labels"] for item in items]),
        "metadata": torch.cat([item["metadata"] for item in items]),
        "clip_ids": [item["clip_id"] for item in items],
    }


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """Non-interpolated AP: mean precision at the rank of each positive (no tied scores)."""
    order = np.argsort(-scores, kind="stable")
    hits = labels[order] > 0
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision[hits].mean())


def record_evaluate_split(*, cfg, split, predictions, epoch_info) -> dict:
    """Test double of ``engine.evaluate.evaluate_split``: per-box mAP on the toy labels.

    Saves the predictions as ``OUTPUT_DIR/predictions_<split>_<n>.npz`` (n counts calls).
    """
    split_name = predictions.video_ids[0].split("_")[0]
    labels = np.stack([item_labels(split_name, int(i)) for i in predictions.item_indices])
    aps = [
        average_precision(labels[:, k], predictions.scores[:, k])
        for k in range(labels.shape[1])
        if labels[:, k].any()
    ]
    out = Path(cfg.OUTPUT_DIR)
    calls = len(list(out.glob(f"predictions_{split}_*.npz")))
    np.savez(
        out / f"predictions_{split}_{calls}.npz",
        scores=predictions.scores,
        item_indices=predictions.item_indices,
        ori_boxes=predictions.ori_boxes,
        stamps=predictions.stamps,
    )
    return {"map": float(np.mean(aps)), "num_scored": float(len(predictions.video_ids))}


def register() -> None:
    """Register the toy model and dataset once per process."""
    if "enginetoy" not in [n.lower() for n in MODEL_REGISTRY.names()]:
        MODEL_REGISTRY.register_as("EngineToy")(EngineToy)
        MODEL_REGISTRY.register_as("EngineToyBN")(EngineToyBN)
    if "engine_toy" not in [n.lower() for n in DATASET_REGISTRY.names()]:
        DATASET_REGISTRY.register_as("engine_toy")(EngineToyDataset)


def install() -> None:
    """Register toys and route the engine's integration points to the test doubles.

    The dataset package's ``collate_detection`` is used when it exists, else ``toy_collate``.
    For processes started by the engine (spawned workers, subprocesses).
    """
    import slowfast_microg.engine.data as engine_data
    import slowfast_microg.engine.evaluate as engine_evaluate

    register()
    try:
        engine_data.detection_collate()
    except ImportError:
        engine_data.detection_collate = lambda: toy_collate
    engine_evaluate.evaluate_split = record_evaluate_split


def run_installed(cfg: CfgNode) -> None:
    """Spawn target: install the toys in this process, then train and test."""
    from slowfast_microg.engine.launch import run_tasks

    install()
    run_tasks(cfg)


def toy_opts(output_dir: Path, data_dir: Path, overrides: dict | None = None) -> list[str]:
    """Command-line style overrides of a fast CPU toy run."""
    values = {
        "NUM_GPUS": 0,
        "OUTPUT_DIR": str(output_dir),
        "DATA.PATH_TO_DATA_DIR": str(data_dir),
        "TRAIN.DATASET": "engine_toy",
        "TEST.DATASET": "engine_toy",
        "MODEL.MODEL_NAME": "EngineToy",
        "MODEL.ARCH": "c2d",
        "DATA.INPUT_CHANNEL_NUM": "[3]",
        "MODEL.NUM_CLASSES": 4,
        "DATA.NUM_FRAMES": 2,
        "DATA.TEST_CROP_SIZE": 8,
        "DATA.TRAIN_CROP_SIZE": 8,
        "MODEL.DROPOUT_RATE": 0.2,
        "TRAIN.BATCH_SIZE": 4,
        "TEST.BATCH_SIZE": 4,
        "TRAIN.EVAL_PERIOD": 1,
        "TRAIN.CHECKPOINT_PERIOD": 1,
        "SOLVER.MAX_EPOCH": 2,
        "SOLVER.BASE_LR": 0.05,
        "SOLVER.LR_POLICY": "cosine",
        "SOLVER.WARMUP_EPOCHS": 0.5,
        "SOLVER.WARMUP_START_LR": 0.005,
        "SOLVER.WEIGHT_DECAY": 1e-4,
        "DATA_LOADER.NUM_WORKERS": 0,
        "DATA_LOADER.PIN_MEMORY": False,
        "LOG_PERIOD": 2,
        "LOG_MODEL_INFO": False,
        "PROGRESS_BAR": False,
    }
    values.update(overrides or {})
    return [item for key, value in values.items() for item in (key, str(value))]


def toy_cfg(output_dir: Path, data_dir: Path, overrides: dict | None = None) -> CfgNode:
    """A validated toy config (see ``toy_opts``)."""
    cfg = get_cfg()
    merge_from_list(cfg, toy_opts(output_dir, data_dir, overrides))
    return assert_and_infer_cfg(cfg)


def write_spec(data_dir: Path, **spec) -> Path:
    """Write ``toy_spec.json`` (defaults: 24 train, 10 val, 10 test items)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "toy_spec.json"
    path.write_text(json.dumps({**DEFAULT_SPEC, **spec}))
    return path


def free_port() -> int:
    """A TCP port free on localhost right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
