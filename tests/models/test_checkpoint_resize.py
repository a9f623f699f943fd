"""Inflation, position-table resizing, image initialisation and PyTorchVideo MViT names.

MViT layouts (key names and shapes) come from the full-size MViTv1-B / MViTv2-S manifests;
tensors of that size live on the meta device, so only shapes and names are exercised there.
Numerical checks use small real tensors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from slowfast_microg.models.checkpoint import load_checkpoint, load_state
from slowfast_microg.models.checkpoint.resize import (
    resize_pos_embed_spatial,
    resize_pos_embed_temporal,
    resize_rel_pos,
)
from tests.models.checkpoint_fakes import mvit_layout, shape_module

META_COPY = "ignore:for .*copying from a non-meta parameter"


def _linear_positions(length_in: int, length_out: int) -> np.ndarray:
    """Where output sample i reads the input under half-pixel (align_corners False) rules."""
    positions = (np.arange(length_out) + 0.5) * length_in / length_out - 0.5
    return np.clip(positions, 0, length_in - 1)


def _cubic_resample(values: np.ndarray, length_out: int, a: float = -0.75) -> np.ndarray:
    """1-D cubic convolution (Keys kernel, torch's a = -0.75), half-pixel, edge-clamped."""

    def kernel(d: np.ndarray) -> np.ndarray:
        d = np.abs(d)
        near = ((a + 2) * d - (a + 3)) * d * d + 1
        far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
        return np.where(d <= 1, near, np.where(d < 2, far, 0.0))

    length_in = len(values)
    x = (np.arange(length_out) + 0.5) * length_in / length_out - 0.5
    base = np.floor(x).astype(int)
    out = np.zeros(length_out)
    for offset in (-1, 0, 1, 2):
        index = np.clip(base + offset, 0, length_in - 1)
        out += values[index] * kernel(x - (base + offset))
    return out


class Conv2dNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 5, kernel_size=3, padding=1)


class Conv3dNet(nn.Module):
    def __init__(self, frames: int) -> None:
        super().__init__()
        self.conv = nn.Conv3d(3, 5, kernel_size=(frames, 3, 3), padding=(0, 1, 1))


def test_inflation_keeps_the_response_to_a_static_clip(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net2d = Conv2dNet()
    path = tmp_path / "image.pyth"
    torch.save({"model_state": net2d.state_dict()}, path)
    net3d = Conv3dNet(frames=3)
    report = load_checkpoint(path, net3d, inflate=True)
    assert report.inflated == ["conv.weight"]
    frame = torch.randn(2, 3, 9, 9)
    clip = frame.unsqueeze(2).repeat(1, 1, 3, 1, 1)
    with torch.no_grad():
        expected = net2d.conv(frame)
        got = net3d.conv(clip)[:, :, 0]
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_without_inflate_a_2d_kernel_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "image.pyth"
    torch.save({"model_state": Conv2dNet().state_dict()}, path)
    report = load_checkpoint(path, Conv3dNet(frames=3))
    assert report.skipped == [("conv.weight", (5, 3, 3, 3), (5, 3, 3, 3, 3))]
    assert report.loaded == ["conv.bias"]


def test_rel_pos_interpolation_follows_linear_half_pixel_sampling() -> None:
    table = torch.arange(55, dtype=torch.float64).unsqueeze(1).repeat(1, 4)
    table[:, 1] *= -2.0
    resized = resize_rel_pos(table, length=111)
    expected = _linear_positions(55, 111)
    np.testing.assert_allclose(resized[:, 0].numpy(), expected, atol=1e-9)
    np.testing.assert_allclose(resized[:, 1].numpy(), -2.0 * expected, atol=1e-9)
    assert torch.equal(resize_rel_pos(table, length=55), table)


def test_temporal_embedding_interpolation() -> None:
    embed = torch.arange(4, dtype=torch.float64).reshape(1, 4, 1).repeat(1, 1, 3)
    resized = resize_pos_embed_temporal(embed, frames=8)
    assert resized.shape == (1, 8, 3)
    np.testing.assert_allclose(resized[0, :, 2].numpy(), _linear_positions(4, 8), atol=1e-9)


def test_spatial_embedding_keeps_row_major_grid_order() -> None:
    side, channels = 14, 2
    column = torch.arange(side, dtype=torch.float64)
    grid = column.repeat(side, 1)  # value = column index w, for every row h
    embed = torch.stack([grid, torch.full_like(grid, 3.0)], dim=-1).reshape(1, side * side, 2)
    resized = resize_pos_embed_spatial(embed, tokens=56 * 56)
    assert resized.shape == (1, 3136, channels)
    out = resized.reshape(56, 56, channels)
    torch.testing.assert_close(out[..., 1], torch.full((56, 56), 3.0, dtype=torch.float64))
    assert torch.allclose(out[..., 0], out[0:1, :, 0].expand(56, 56))
    expected = _cubic_resample(column.numpy(), 56)
    np.testing.assert_allclose(out[0, :, 0].numpy(), expected, atol=1e-9)
    assert resize_pos_embed_spatial(torch.zeros(1, 12, 2), tokens=16) is None


@pytest.mark.filterwarnings(META_COPY)
def test_mvitv2_tables_from_another_input_size_are_resized() -> None:
    layout = mvit_layout("MVITv2_S_16x4")
    model = shape_module(layout)
    shapes = dict(layout)
    rel = [key for key in shapes if ".attn.rel_pos_" in key]
    assert len(rel) == 48
    state = {key: torch.empty(shape, device="meta") for key, shape in layout}
    for key in rel:
        if key.endswith(("rel_pos_h", "rel_pos_w")):
            length = (shapes[key][0] + 1) // 2 + 1
            state[key] = torch.empty(length, shapes[key][1], device="meta")
    report = load_state(state, model)
    spatial = [key for key in rel if not key.endswith("rel_pos_t")]
    assert sorted(report.resized) == sorted(spatial)
    assert report.skipped == report.missing == report.unexpected == []


@pytest.mark.filterwarnings(META_COPY)
def test_mvitv1_separate_embeddings_are_resized() -> None:
    layout = mvit_layout("MVIT_B_16x4")
    shapes = dict(layout)
    assert shapes["pos_embed_spatial"] == (1, 3136, 96)
    assert shapes["pos_embed_temporal"] == (1, 8, 96)
    state = {key: torch.empty(shape, device="meta") for key, shape in layout}
    state["pos_embed_spatial"] = torch.empty(1, 28 * 28, 96, device="meta")
    state["pos_embed_temporal"] = torch.empty(1, 4, 96, device="meta")
    report = load_state(state, shape_module(layout))
    assert sorted(report.resized) == ["pos_embed_spatial", "pos_embed_temporal"]
    assert report.skipped == report.missing == []


def _pytorchvideo_state(layout: list[tuple[str, tuple[int, ...]]]) -> dict[str, torch.Tensor]:
    """A PyTorchVideo-named MViT-B checkpoint with a 400-class head (as in the model zoo)."""
    state = {}
    for key, shape in layout:
        if key.startswith("patch_embed.proj."):
            state["patch_embed.patch_model." + key.split(".")[-1]] = shape
        elif key == "cls_token" or key.startswith("pos_embed"):
            state["cls_positional_encoding." + key] = shape
        elif ".attn.qkv." in key:
            single = (shape[0] // 3,) + shape[1:]
            for part in "qkv":
                state[key.replace(".qkv.", f".{part}.")] = single
        elif key.startswith("norm."):
            state["norm_embed." + key[len("norm.") :]] = shape
        elif key.startswith("head.projection."):
            state["head.proj." + key.split(".")[-1]] = (400,) + shape[1:]
        else:
            state[key] = shape
    return {key: torch.empty(shape, device="meta") for key, shape in state.items()}


@pytest.mark.filterwarnings(META_COPY)
def test_pytorchvideo_mvit_checkpoint_loads_completely() -> None:
    layout = mvit_layout("MVIT_B_16x4")
    model = shape_module(layout)
    state = _pytorchvideo_state(layout)
    assert len(state) - len(layout) == 2 * 16 * 2  # q/k/v instead of qkv in 16 blocks
    report = load_state(state, model)
    assert report.missing == report.unexpected == []
    assert sorted(key for key, _, _ in report.skipped) == [
        "head.projection.bias",
        "head.projection.weight",
    ]
    assert len(report.loaded) == len(layout) - 2
    assert report.source_keys == len(state)


def test_fused_qkv_keeps_q_k_v_order() -> None:
    dim = 12
    model = shape_module(
        [("blocks.0.attn.qkv.weight", (3 * dim, dim)), ("blocks.0.attn.qkv.bias", (3 * dim,))],
        device="cpu",
    )
    parts = {p: torch.randn(dim, dim) for p in "qkv"}
    biases = {p: torch.randn(dim) for p in "qkv"}
    state = {f"blocks.0.attn.{p}.weight": parts[p] for p in "qkv"}
    state.update({f"blocks.0.attn.{p}.bias": biases[p] for p in "qkv"})
    report = load_state(state, model)
    weight = model.state_dict()["blocks.0.attn.qkv.weight"]
    bias = model.state_dict()["blocks.0.attn.qkv.bias"]
    for index, part in enumerate("qkv"):
        assert torch.equal(weight[index * dim : (index + 1) * dim], parts[part])
        assert torch.equal(bias[index * dim : (index + 1) * dim], biases[part])
    assert report.missing == report.unexpected == []


def test_image_init_adapts_patch_embedding_pos_embed_and_pool_kernels() -> None:
    model = shape_module(
        [
            ("patch_embed.proj.weight", (8, 3, 3, 7, 7)),
            ("pos_embed_xy", (1, 16, 8)),
            ("pos_embed_class", (1, 1, 8)),
            ("blocks.0.attn.pool_q.weight", (8, 1, 3, 3, 3)),
        ],
        device="cpu",
    )
    patch = torch.randn(8, 3, 7, 7)
    pos = torch.randn(1, 17, 8)
    pool = torch.randn(8, 1, 1, 3, 3)
    state = {
        "patch_embed.proj.weight": patch,
        "pos_embed": pos,
        "blocks.0.attn.pool_q.weight": pool,
    }
    report = load_state(state, model, image_init=True)
    loaded = model.state_dict()
    for t in range(3):
        assert torch.equal(loaded["patch_embed.proj.weight"][:, :, t], patch)  # not divided
        assert torch.equal(loaded["blocks.0.attn.pool_q.weight"][:, :, t], pool[:, :, 0])
    assert torch.equal(loaded["pos_embed_class"], pos[:, :1])
    assert torch.equal(loaded["pos_embed_xy"], pos[:, 1:])
    assert sorted(report.inflated) == ["blocks.0.attn.pool_q.weight", "patch_embed.proj.weight"]
    assert report.missing == [] and report.unexpected == ["pos_embed"]


def test_image_init_deflates_a_video_patch_embedding() -> None:
    model = shape_module(
        [("patch_embed.proj.weight", (8, 3, 7, 7)), ("pos_embed", (1, 17, 8))], device="cpu"
    )
    video = torch.randn(8, 3, 2, 7, 7)
    spatial = torch.randn(1, 16, 8)
    cls = torch.randn(1, 1, 8)
    state = {
        "patch_embed.proj.weight": video,
        "pos_embed_spatial": spatial,
        "pos_embed_class": cls,
    }
    report = load_state(state, model, image_init=True)
    loaded = model.state_dict()
    torch.testing.assert_close(loaded["patch_embed.proj.weight"], video[:, :, 0] + video[:, :, 1])
    assert torch.equal(loaded["pos_embed"], torch.cat([cls, spatial], dim=1))
    assert report.missing == [] and report.unexpected == []
