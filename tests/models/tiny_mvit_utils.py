"""Tiny MViT configs and weights for fast structural tests (no reference data involved)."""

from __future__ import annotations

import pytest
import torch

from slowfast_microg.config import assert_and_infer_cfg, get_cfg

NUM_CLASSES = 5


@pytest.fixture(scope="module", autouse=True)
def single_torch_thread():
    """Run a module's tests on one intra-op thread, then restore the previous count.

    These models are small: a second thread gains little, and on a shared 2-core machine
    the threads' synchronisation made the tests several times slower.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


V1 = {
    "MVIT.SEP_POS_EMBED": True,
    "MVIT.USE_ABS_POS": True,
    "MVIT.POOL_Q_STRIDE": [[1, 1, 2, 2]],
}
V2 = {
    "MVIT.SEP_POS_EMBED": False,
    "MVIT.USE_ABS_POS": True,
    "MVIT.REL_POS_SPATIAL": True,
    "MVIT.REL_POS_TEMPORAL": True,
    "MVIT.RESIDUAL_POOLING": True,
    "MVIT.DIM_MUL_IN_ATT": True,
    "MVIT.POOL_Q_STRIDE": [[0, 1, 1, 1], [1, 1, 2, 2], [2, 1, 1, 1]],
}


def tiny_cfg(*, crop: int = 32, frames: int = 4, opts: dict | None = None):
    """A validated 3-block MViT config (widths 8 -> 16, stride 8) with ``opts`` applied."""
    cfg = get_cfg()
    settings = {
        "NUM_GPUS": 0,
        "MODEL.ARCH": "mvit",
        "MODEL.MODEL_NAME": "MViT",
        "MODEL.NUM_CLASSES": NUM_CLASSES,
        "MODEL.DROPOUT_RATE": 0.0,
        "DATA.INPUT_CHANNEL_NUM": [3],
        "DATA.NUM_FRAMES": frames,
        "DATA.TRAIN_CROP_SIZE": crop,
        "DATA.TEST_CROP_SIZE": crop,
        "DETECTION.SPATIAL_SCALE_FACTOR": 8,
        "MVIT.EMBED_DIM": 8,
        "MVIT.NUM_HEADS": 1,
        "MVIT.DEPTH": 3,
        "MVIT.DIM_MUL": [[1, 2.0]],
        "MVIT.HEAD_MUL": [[1, 2.0]],
        "MVIT.POOL_KV_STRIDE_ADAPTIVE": [1, 4, 4],
        "MVIT.POOL_KVQ_KERNEL": [3, 3, 3],
        "MVIT.PATCH_KERNEL": [3, 7, 7],
        "MVIT.PATCH_STRIDE": [2, 4, 4],
        "MVIT.PATCH_PADDING": [1, 3, 3],
        "MVIT.DROPPATH_RATE": 0.0,
    }
    settings.update(opts or {})
    for key, value in settings.items():
        node = cfg
        *parents, leaf = key.split(".")
        for part in parents:
            node = node[part]
        node[leaf] = value
    return assert_and_infer_cfg(cfg)


def randomize_(model: torch.nn.Module, *, seed: int = 0) -> torch.nn.Module:
    """Give every parameter a non-trivial value: weights ~ N(0, 1/fan_in), tables ~ N(0, 0.2^2).

    PySlowFast's std-0.02 initialisation leaves attention nearly uniform and the positional
    tables nearly invisible; these draws make both matter for the output.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            if param.ndim >= 2 and not leaf.startswith(("pos_embed", "rel_pos", "cls_token")):
                fan_in = param[0].numel()
                param.copy_(torch.randn(param.shape, generator=gen) / fan_in**0.5)
            elif leaf == "weight":
                param.copy_(1.0 + 0.2 * torch.randn(param.shape, generator=gen))
            else:
                param.copy_(0.2 * torch.randn(param.shape, generator=gen))
    return model


def clip_and_boxes(*, frames: int, height: int, width: int, batch: int = 2, seed: int = 1):
    """A random (batch, 3, frames, height, width) clip and three boxes in input pixels."""
    gen = torch.Generator().manual_seed(seed)
    clip = torch.randn(batch, 3, frames, height, width, generator=gen)
    boxes = torch.tensor(
        [
            [0, 0.1 * width, 0.2 * height, 0.6 * width, 0.9 * height],
            [batch - 1, 0.4 * width, 0.1 * height, 0.95 * width, 0.7 * height],
            [0, 0.0, 0.0, float(width), float(height)],
        ]
    )
    return clip, boxes
