"""Backbone behaviour: strides and frame counts, initialisation, grouping, checkpointing, errors."""

import math

import pytest
import torch
from tiny_models import clip_inputs, tiny_config, tiny_model

from slowfast_microg.models.nonlocal_block import NonLocal
from slowfast_microg.models.norm import batchnorm3d
from slowfast_microg.models.res_stage import PathwayStageSpec, ResStage


def head_input_shapes(model, cfg):
    shapes = []
    hook = model.head.register_forward_pre_hook(
        lambda _m, args: shapes.extend(tuple(x.shape) for x in args[0])
    )
    with torch.no_grad():
        model.eval()(clip_inputs(cfg), torch.tensor([[0.0, 0.0, 0.0, 32.0, 32.0]]))
    hook.remove()
    return shapes


@pytest.mark.parametrize(
    "row, opts, frames, stride",
    [
        ("C2D_8x8.yaml", [], [4], 16),  # the pool after res2 halves time
        ("I3D_8x8.yaml", [], [4], 16),
        ("SLOW_8x8.yaml", [], [8], 16),
        ("SLOWFAST_8x8.yaml", [], [2, 8], 16),
        (
            "SLOW_8x8.yaml",
            [
                "RESNET.SPATIAL_STRIDES",
                "[[1], [2], [2], [2]]",
                "RESNET.SPATIAL_DILATIONS",
                "[[1], [1], [1], [1]]",
            ],
            [8],
            32,
        ),
    ],
)
def test_feature_strides_and_frames_reach_the_head(row, opts, frames, stride):
    cfg = tiny_config(row, opts)
    model = tiny_model(row, opts)
    assert model.feature_strides == [stride] * len(frames)
    side = cfg.DATA.TEST_CROP_SIZE // stride
    shapes = head_input_shapes(model, cfg)
    assert [(s[2], s[3], s[4]) for s in shapes] == [(t, side, side) for t in frames]


def test_initialisation_follows_pyslowfast():
    model = tiny_model("C2D_NLN_8x8.yaml", ["MODEL.FC_INIT_STD", "0.05"])
    block = model.s4.pathway0_res1.branch2
    assert torch.all(block.c_bn.weight == 0) and torch.all(block.c_bn.bias == 0)
    assert torch.all(block.b_bn.weight == 1)
    assert torch.all(model.s3.pathway0_nonlocal1.bn.weight == 0)
    assert torch.all(model.s3.pathway0_nonlocal1.conv_theta.bias == 0)
    conv = model.s5.pathway0_res0.branch2.b  # 64 -> 64, [1, 3, 3]: fan_out 576
    assert conv.weight.std().item() == pytest.approx(math.sqrt(2 / 576), rel=0.05)
    assert conv.weight.mean().abs().item() < 0.005
    projection = model.head.projection
    assert projection.weight.std().item() == pytest.approx(0.05, rel=0.05)
    assert torch.all(projection.bias == 0)
    plain = tiny_model("C2D_8x8.yaml", ["RESNET.ZERO_INIT_FINAL_BN", "False"])
    assert torch.all(plain.s4.pathway0_res1.branch2.c_bn.weight == 1)


def test_nonlocal_group_attends_within_each_time_chunk():
    torch.manual_seed(0)
    spec = PathwayStageSpec(
        dim_in=8,
        dim_out=8,
        dim_inner=4,
        temporal_kernels=(1,),
        stride=1,
        dilation=1,
        nonlocal_after=(0,),
        nonlocal_pool=(1, 1, 1),
        nonlocal_group=2,
    )
    stage = ResStage(pathways=[spec], num_groups=1, norm=batchnorm3d).eval()
    with torch.no_grad():
        stage.pathway0_nonlocal0.bn.weight.fill_(1.0)
        x = torch.randn(2, 8, 4, 3, 3)
        block_out = stage.pathway0_res0(x)
        expected = torch.cat(
            [stage.pathway0_nonlocal0(chunk) for chunk in block_out.split(2, dim=2)], dim=2
        )
        torch.testing.assert_close(stage([x])[0], expected)
        assert (stage.pathway0_nonlocal0(block_out) - expected).abs().max() > 1e-3


@pytest.mark.parametrize("instantiation", ["softmax", "dot_product"])
def test_nonlocal_matches_an_explicit_loop(instantiation):
    torch.manual_seed(0)
    block = NonLocal(
        dim=6, dim_inner=3, pool_size=[1, 2, 2], instantiation=instantiation, norm=batchnorm3d
    ).eval()
    with torch.no_grad():
        block.bn.weight.fill_(1.0)
        x = torch.randn(1, 6, 2, 4, 4)
        theta = block.conv_theta(x)[0].flatten(1)
        pooled = block.pool(x)
        phi, g = block.conv_phi(pooled)[0].flatten(1), block.conv_g(pooled)[0].flatten(1)
        rows = []
        for q in range(theta.shape[1]):
            logits = torch.stack([theta[:, q] @ phi[:, k] for k in range(phi.shape[1])])
            if instantiation == "softmax":
                weights = torch.softmax(logits / math.sqrt(3), dim=0)
            else:
                weights = logits / phi.shape[1]
            rows.append((g * weights).sum(dim=1))
        attended = torch.stack(rows, dim=1).reshape(1, 3, 2, 4, 4)
        expected = x + block.bn(block.conv_out(attended))
        torch.testing.assert_close(block(x), expected)


def test_activation_checkpointing_gives_the_same_step():
    row = "SLOWFAST_4x16.yaml"
    small = ["DATA.TEST_CROP_SIZE", "32", "MODEL.DROPOUT_RATE", "0.0"]
    small += ["RESNET.SPATIAL_DILATIONS", "[[1, 1], [1, 1], [1, 1], [1, 1]]"]
    inputs = clip_inputs(tiny_config(row, small), batch=2)
    boxes = torch.tensor([[0.0, 2.0, 3.0, 25.0, 30.0], [1.0, 10.0, 5.0, 15.0, 20.0]])
    results = []
    for flag in ("False", "True"):
        model = tiny_model(row, small + ["MODEL.ACT_CHECKPOINT", flag])
        model.train()(inputs, boxes).square().sum().backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters()}
        buffers = {n: b.clone() for n, b in model.named_buffers()}
        results.append((grads, buffers))
    (grads, buffers), (grads_ckpt, buffers_ckpt) = results
    assert grads.keys() == grads_ckpt.keys()
    for name in grads:
        torch.testing.assert_close(grads_ckpt[name], grads[name], rtol=1e-4, atol=1e-6)
    for name in buffers:  # BN statistics are updated once, not again by the recomputation
        torch.testing.assert_close(buffers_ckpt[name], buffers[name])


def test_sync_batchnorm_keeps_the_state_dict():
    plain = tiny_model("SLOW_4x16.yaml")
    synced = tiny_model("SLOW_4x16.yaml", ["BN.NORM_TYPE", "sync_batchnorm"])
    assert isinstance(synced.s2.pathway0_res0.branch2.a_bn, torch.nn.SyncBatchNorm)
    assert {k: v.shape for k, v in plain.state_dict().items()} == {
        k: v.shape for k, v in synced.state_dict().items()
    }


def test_wrong_inputs_are_explained():
    cfg = tiny_config("SLOWFAST_8x8.yaml")
    model = tiny_model("SLOWFAST_8x8.yaml").eval()
    slow, fast = clip_inputs(cfg)
    boxes = torch.tensor([[0.0, 4.0, 6.0, 50.0, 60.0]])
    with pytest.raises(ValueError, match="list of 2"):
        model([fast], boxes)
    with pytest.raises(ValueError, match="list of 2"):
        model(fast, boxes)
    with pytest.raises(ValueError, match=r"\(N, 5\)"):
        model([slow, fast], boxes[:, 1:])
    with pytest.raises(ValueError, match=r"NUM_FRAMES // SLOWFAST.ALPHA"):
        model([fast, fast], boxes)


@pytest.mark.parametrize(
    "opts, message",
    [
        (["NONLOCAL.LOCATION", "[[[]], [[4]], [[]], [[]]]"], "NONLOCAL.LOCATION"),
        (["RESNET.SPATIAL_STRIDES", "[[1], [2], [2]]"], "RESNET.SPATIAL_STRIDES"),
        (["RESNET.NUM_BLOCK_TEMP_KERNEL", "[[3], [5], [6], [3]]"], "NUM_BLOCK_TEMP_KERNEL"),
        (["RESNET.DEPTH", "34"], "RESNET.DEPTH"),
        (["RESNET.TRANS_FUNC", "basic_transform"], "RESNET.TRANS_FUNC"),
        (
            [
                "NONLOCAL.INSTANTIATION",
                "gaussian",
                "NONLOCAL.LOCATION",
                "[[[]], [[1]], [[]], [[]]]",
            ],
            "INSTANTIATION",
        ),
    ],
)
def test_bad_structure_settings_are_explained(opts, message):
    with pytest.raises(ValueError, match=message):
        tiny_model("SLOW_8x8.yaml", opts)
