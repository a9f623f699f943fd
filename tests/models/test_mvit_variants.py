"""MViT switches beyond the two paper models: pooling modes, q/k/v layouts, layer scale, errors."""

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

from slowfast_microg.config import ConfigError
from slowfast_microg.models import build_model
from slowfast_microg.models.mvit_positions import sincos_3d


def outputs(model, *, frames=4, size=32):
    clip, boxes = clip_and_boxes(frames=frames, height=size, width=size)
    with torch.no_grad():
        return model.eval()([clip], boxes)


def fused_to_separate(state: dict) -> dict:
    """Split every ``attn.qkv`` tensor into ``attn.q``/``attn.k``/``attn.v``."""
    out = {}
    for key, value in state.items():
        if ".attn.qkv." in key:
            for name, part in zip("qkv", value.chunk(3, dim=0), strict=True):
                out[key.replace(".attn.qkv.", f".attn.{name}.")] = part
        else:
            out[key] = value
    return out


@pytest.mark.parametrize("variant", [V1, V2], ids=["v1", "v2"])
def test_separate_qkv_equals_fused_qkv(variant):
    fused = randomize_(build_model(tiny_cfg(opts=variant)))
    separate = build_model(tiny_cfg(opts={**variant, "MVIT.SEPARATE_QKV": True}))
    assert not any(".attn.qkv." in k for k in separate.state_dict())
    separate.load_state_dict(fused_to_separate(fused.state_dict()), strict=True)
    torch.testing.assert_close(outputs(separate), outputs(fused), rtol=1e-5, atol=1e-5)


def test_pool_first_without_pooling_equals_project_first():
    """With identity pooling, pooling before or after the q/k/v projection is the same."""
    no_pool = {"MVIT.POOL_Q_STRIDE": [], "MVIT.POOL_KV_STRIDE_ADAPTIVE": None}
    project_first = randomize_(build_model(tiny_cfg(opts={**no_pool, "MVIT.SEPARATE_QKV": True})))
    pool_first = build_model(tiny_cfg(opts={**no_pool, "MVIT.POOL_FIRST": True}))
    pool_first.load_state_dict(project_first.state_dict(), strict=True)
    torch.testing.assert_close(outputs(pool_first), outputs(project_first), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("opts", "pool_q_channels"),
    [
        ({"MVIT.MODE": "avg"}, None),
        ({"MVIT.MODE": "max"}, None),
        # Block 1 of the tiny v1 model: 16 wide, 2 heads.
        ({"MVIT.MODE": "conv_unshared", "MVIT.POOL_FIRST": True}, 16),
        ({"MVIT.POOL_FIRST": True}, 8),
        ({}, 8),
    ],
    ids=["avg", "max", "conv_unshared", "conv_pool_first", "conv"],
)
def test_pooling_modes(opts, pool_q_channels):
    model = randomize_(build_model(tiny_cfg(frames=8, opts={**V1, **opts})))
    state = model.state_dict()
    if pool_q_channels is None:
        assert [k for k in state if ".pool_" in k or ".norm_" in k] == []
    else:
        assert state["blocks.1.attn.pool_q.weight"].shape == (pool_q_channels, 1, 3, 3, 3)
        assert state["blocks.1.attn.norm_q.weight"].shape == (pool_q_channels,)
    y = outputs(model, frames=8)  # PyTorch's avg/max pooling needs T >= kernel (3)
    assert y.shape == (3, NUM_CLASSES) and torch.isfinite(y).all()


def test_layer_scale_and_norm_stem():
    model = build_model(
        tiny_cfg(
            opts={**V2, "MVIT.LAYER_SCALE_INIT_VALUE": 0.1, "MVIT.NORM_STEM": True},
        )
    )
    state = model.state_dict()
    assert torch.equal(state["blocks.1.gamma_1"], torch.full((16,), 0.1))
    assert state["blocks.1.gamma_2"].shape == (16,) and state["blocks.0.gamma_1"].shape == (8,)
    assert state["norm_stem.weight"].shape == (8,)
    y = outputs(randomize_(model))
    assert y.shape == (3, NUM_CLASSES) and torch.isfinite(y).all()


def test_activation_checkpointing_gives_the_same_gradients():
    cfg_plain = tiny_cfg(opts=V2)
    cfg_ckpt = tiny_cfg(opts={**V2, "MODEL.ACT_CHECKPOINT": True})
    plain = randomize_(build_model(cfg_plain)).train()
    ckpt = build_model(cfg_ckpt).train()
    ckpt.load_state_dict(plain.state_dict(), strict=True)
    clip, boxes = clip_and_boxes(frames=4, height=32, width=32)
    for model in (plain, ckpt):
        model([clip], boxes).square().sum().backward()
    for (name, p), (_, q) in zip(plain.named_parameters(), ckpt.named_parameters(), strict=True):
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-5, atol=1e-6, msg=name)
    assert plain.blocks[0].attn.rel_pos_h.grad.abs().sum() > 0


def test_drop_path_is_random_in_training_only():
    model = randomize_(build_model(tiny_cfg(opts={**V1, "MVIT.DROPPATH_RATE": 0.5})))
    clip, boxes = clip_and_boxes(frames=4, height=32, width=32)
    with torch.no_grad():
        model.train()
        torch.manual_seed(0)
        a = model([clip], boxes)
        b = model([clip], boxes)
        model.eval()
        c, d = model([clip], boxes), model([clip], boxes)
    assert not torch.equal(a, b)
    assert torch.equal(c, d)


def test_fixed_sincos_table():
    model = build_model(tiny_cfg(opts={"MVIT.USE_FIXED_SINCOS_POS": True, "MVIT.EMBED_DIM": 16}))
    assert not model.pos_embed.requires_grad
    table = model.pos_embed[0]
    assert torch.equal(table[0], torch.zeros(16))  # class row
    # Token (t=1, h=2, w=3) on the 2x8x8 grid: time code, then column code, then row code.
    token = table[1 + 1 * 64 + 2 * 8 + 3]
    omega_t = 1.0 / 10000 ** (torch.arange(2, dtype=torch.float64) / 2)
    omega_s = 1.0 / 10000 ** (torch.arange(3, dtype=torch.float64) / 3)
    expected = torch.cat(
        [
            (1 * omega_t).sin(),
            (1 * omega_t).cos(),
            (3 * omega_s).sin(),
            (3 * omega_s).cos(),
            (2 * omega_s).sin(),
            (2 * omega_s).cos(),
        ]
    ).float()
    torch.testing.assert_close(token, expected)
    assert sincos_3d(16, grid=(2, 8, 8), cls_token=False).shape == (1, 128, 16)


def test_no_weight_decay_names():
    names = build_model(tiny_cfg(opts=V2)).no_weight_decay()
    assert names[:2] == ["cls_token", "pos_embed"]
    assert "blocks.2.attn.rel_pos_t" in names and len(names) == 2 + 3 * 3
    v1_names = build_model(tiny_cfg(opts=V1)).no_weight_decay()
    assert set(v1_names) == {
        "cls_token",
        "pos_embed_spatial",
        "pos_embed_temporal",
        "pos_embed_class",
    }


def test_no_class_token():
    model = randomize_(build_model(tiny_cfg(opts={**V2, "MVIT.CLS_EMBED_ON": False})))
    assert "cls_token" not in model.state_dict()
    assert model.state_dict()["pos_embed"].shape == (1, 2 * 8 * 8, 8)
    y = outputs(model)
    assert y.shape == (3, NUM_CLASSES) and torch.isfinite(y).all()


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        ({"MVIT.MODE": "mean"}, "MVIT.MODE"),
        ({"MVIT.MODE": "conv_unshared"}, "MVIT.POOL_FIRST"),
        ({"MVIT.DIM_MUL": [[7, 2.0]]}, "MVIT.DIM_MUL"),
        ({"MVIT.POOL_Q_STRIDE": [[1, 2, 2]]}, "MVIT.POOL_Q_STRIDE"),
        ({"MVIT.POOL_KV_STRIDE_ADAPTIVE": [4, 4]}, "MVIT.POOL_KV_STRIDE_ADAPTIVE"),
        ({"MVIT.NORM": "batchnorm"}, "MVIT.NORM"),
        ({"MVIT.PATCH_2D": True}, "MVIT.PATCH_2D"),
        ({"MVIT.USE_FIXED_SINCOS_POS": True, "MVIT.SEP_POS_EMBED": True}, "USE_FIXED_SINCOS"),
    ],
)
def test_bad_settings_name_the_key(opts, message):
    with pytest.raises(ConfigError, match=message):
        build_model(tiny_cfg(opts=opts))


def test_two_pathways_are_rejected():
    model = build_model(tiny_cfg())
    clip, boxes = clip_and_boxes(frames=4, height=32, width=32)
    with pytest.raises(ValueError, match="single pathway"):
        model([clip, clip], boxes)
