"""Positional tables on token grids other than the build-time one (test crop != train crop).

Oracle: a model built for the target size whose tables are the build-time tables resampled
here, independently, with numpy (linear interpolation, half-pixel centres, as PyTorch's
``align_corners=False``). Forward-time resampling must give the same outputs.
"""

import numpy as np
import pytest
import torch
from tiny_mvit_utils import (
    NUM_CLASSES,
    V1,
    V2,
    clip_and_boxes,
    randomize_,
    single_torch_thread,  # noqa: F401  (autouse fixture)
    tiny_cfg,
)

from slowfast_microg.models import build_model, mvit_positions


def resize_axis(a: np.ndarray, *, axis: int, size: int) -> np.ndarray:
    """Linear resampling of one axis with half-pixel centres (source index clamped at 0)."""
    n = a.shape[axis]
    src = np.maximum((np.arange(size) + 0.5) * (n / size) - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(int), n - 1)
    hi = np.minimum(lo + 1, n - 1)
    w = (src - lo).reshape([-1 if d == axis else 1 for d in range(a.ndim)])
    return np.take(a, lo, axis=axis) * (1 - w) + np.take(a, hi, axis=axis) * w


def nearest_axis(a: np.ndarray, *, axis: int, size: int) -> np.ndarray:
    """Nearest-neighbour resampling of one axis (a wrong method, for the negative control)."""
    return np.take(a, np.arange(size) * a.shape[axis] // size, axis=axis)


def resampled_state(small: dict, big: dict, *, small_grid, big_grid, resize=resize_axis) -> dict:
    """``small``'s tensors, with every positional table resampled to ``big``'s shapes."""
    (t0, h0, w0), (t1, h1, w1) = small_grid, big_grid
    out = {}
    for key, value in small.items():
        a = value.double().numpy()
        leaf = key.rsplit(".", 1)[-1]
        if leaf == "pos_embed_spatial":
            grid = a.reshape(h0, w0, -1)
            grid = resize(resize(grid, axis=0, size=h1), axis=1, size=w1)
            a = grid.reshape(1, h1 * w1, -1)
        elif leaf == "pos_embed_temporal":
            a = resize(a, axis=1, size=t1)
        elif leaf == "pos_embed":
            grid = a[0, 1:].reshape(t0, h0, w0, -1)
            for axis, size in enumerate((t1, h1, w1)):
                grid = resize(grid, axis=axis, size=size)
            a = np.concatenate([a[:, :1], grid.reshape(1, t1 * h1 * w1, -1)], axis=1)
        elif leaf.startswith("rel_pos_"):
            a = resize(a, axis=0, size=big[key].shape[0])
        assert a.shape == tuple(big[key].shape), key
        out[key] = torch.from_numpy(a).float()
    return out


@pytest.mark.parametrize("variant", [V1, V2], ids=["v1_sep_abs_pos", "v2_rel_pos_abs_pos"])
def test_forward_resampling_equals_model_built_at_target_size(variant):
    small = randomize_(build_model(tiny_cfg(crop=32, frames=4, opts=variant))).eval()
    big = build_model(tiny_cfg(crop=48, frames=8, opts=variant)).eval()
    state = resampled_state(
        small.state_dict(), big.state_dict(), small_grid=(2, 8, 8), big_grid=(4, 12, 12)
    )
    changed = [k for k in state if state[k].shape != small.state_dict()[k].shape]
    assert changed  # the test does exercise resampling
    big.load_state_dict(state, strict=True)
    clip, boxes = clip_and_boxes(frames=8, height=48, width=48)
    with torch.no_grad():
        y_small, y_big = small([clip], boxes), big([clip], boxes)
    assert y_small.shape == (3, NUM_CLASSES)
    scale = max(1.0, y_big.abs().max().item())
    assert (y_small - y_big).abs().max().item() / scale < 1e-5

    # Negative control: nearest-neighbour tables instead of linear ones change the output.
    wrong = resampled_state(
        small.state_dict(),
        big.state_dict(),
        small_grid=(2, 8, 8),
        big_grid=(4, 12, 12),
        resize=nearest_axis,
    )
    big.load_state_dict(wrong, strict=True)
    with torch.no_grad():
        assert (y_small - big([clip], boxes)).abs().max().item() / scale > 1e-3


@pytest.mark.parametrize("variant", [V1, V2], ids=["v1", "v2"])
def test_native_size_does_not_resample(variant, monkeypatch):
    model = randomize_(build_model(tiny_cfg(crop=32, frames=4, opts=variant))).eval()
    clip, boxes = clip_and_boxes(frames=4, height=32, width=32)
    with torch.no_grad():
        reference = model([clip], boxes)

    def no_resampling(*args, **kwargs):
        raise AssertionError("a table was resampled at the native size")

    monkeypatch.setattr(mvit_positions.F, "interpolate", no_resampling)
    with torch.no_grad():
        again = model([clip], boxes)
    torch.testing.assert_close(again, reference, rtol=0, atol=0)
    table = torch.randn(1, 2 * 8 * 8, 4)
    assert mvit_positions.resize_grid_embedding(table, src=(2, 8, 8), dst=(2, 8, 8)) is table
    rel = torch.randn(15, 4)
    assert mvit_positions.resize_rel_table(rel, 15) is rel


@pytest.mark.parametrize("variant", [V1, V2], ids=["v1", "v2"])
def test_non_square_and_longer_clip(variant):
    """Detection tests feed the whole resized frame: H != W, and here more frames too."""
    model = randomize_(build_model(tiny_cfg(crop=32, frames=4, opts=variant))).eval()
    clip, boxes = clip_and_boxes(frames=6, height=40, width=72)
    with torch.no_grad():
        features = model.forward_features(clip)
        scores = model([clip], boxes)
    assert features.shape == (2, 16, 3, 5, 9)  # T 6/2, H 40/8, W 72/8 (ceil for odd sizes)
    assert scores.shape == (3, NUM_CLASSES) and torch.isfinite(scores).all()
