"""Accelerated model paths (channels_last_3d, autocast, torch.compile) against float32 goldens.

Tolerances (relative error max|y - y_ref| / max(1, max|y_ref|), reference = the float32
contiguous eager model, itself within 1e-4 of PySlowFast's output):
- channels_last_3d: 1e-5 (same arithmetic, other memory order);
- bfloat16 autocast on CPU: 5e-2 max and 1.5e-2 mean (8-bit mantissa over ~50 layers of the
  goldens, whose re-drawn BN statistics make every tensor matter);
- float16 autocast: 1e-2;
- torch.compile: 1e-5.
The inductor back end needs about a minute per model to generate code on 2 CPU cores, so its
test runs only with ``SLOWFAST_MICROG_TEST_INDUCTOR=1``; the default run compiles with the
``aot_eager`` back end, which traces the same graph (forward and backward) without code
generation, with ``fullgraph=True`` so any graph break fails the test.
"""

import copy
import os

import numpy as np
import pytest
import torch
from golden_utils import golden_config, golden_inputs, golden_io, golden_model, relative_error
from tiny_mvit_utils import single_torch_thread  # noqa: F401  (autouse fixture)

from slowfast_microg.config import ConfigError
from slowfast_microg.models.acceleration import (
    AccelerationSettings,
    autocast_context,
    grad_scaler,
    prepare_model,
    resolve_amp_dtype,
    to_channels_last,
    unwrap_compiled,
)

EXACT = 1e-5
BF16_MAX, BF16_MEAN, FP16_MAX = 5e-2, 1.5e-2, 1e-2


def _run(model, inputs, boxes):
    with torch.no_grad():
        return model(inputs, boxes).float().numpy()


@pytest.fixture(scope="module", params=["SLOWFAST_8x8_R50", "X3D_S", "MVIT_B_16x4"])
def golden(request):
    """(name, model, inputs, boxes, float32 eager output) of one golden, built once."""
    name = request.param
    io = golden_io(name)
    model, inputs, boxes = golden_model(name), golden_inputs(io), torch.from_numpy(io["boxes"])
    reference = _run(model, inputs, boxes)
    assert relative_error(reference, io["output"]) <= 1e-4
    return name, model, inputs, boxes, reference


def test_channels_last_matches_contiguous(golden):
    _, model, inputs, boxes, reference = golden
    model = prepare_model(copy.deepcopy(model), channels_last=True)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv3d)]
    spatial = [m for m in convs if m.weight[0, 0].numel() > 1]
    assert all(m.weight.is_contiguous(memory_format=torch.channels_last_3d) for m in spatial)
    assert any(not m.weight.is_contiguous() for m in spatial)
    formats = []
    hooks = [
        m.register_forward_hook(
            lambda _m, _i, out: formats.append(
                out.is_contiguous(memory_format=torch.channels_last_3d) and not out.is_contiguous()
            )
        )
        for m in convs
    ]
    output = _run(model, to_channels_last(inputs), boxes)
    for hook in hooks:
        hook.remove()
    assert any(formats)  # channels_last activations reached the kernels (the stem at least)
    assert relative_error(output, reference) <= EXACT


def test_bfloat16_autocast_within_tolerance(golden):
    name, model, inputs, boxes, reference = golden
    with autocast_context("cpu", torch.bfloat16):
        with torch.no_grad():
            raw = model(inputs, boxes)
    assert raw.dtype == torch.bfloat16  # the projection ran in bfloat16
    output = raw.float().numpy()
    error = relative_error(output, reference)
    mean_error = float(np.abs(output - reference).mean() / max(1.0, np.abs(reference).max()))
    assert 1e-4 < error <= BF16_MAX, name
    assert mean_error <= BF16_MEAN, name


def test_float16_and_float32_autocast(golden):
    name, model, inputs, boxes, reference = golden
    with autocast_context("cpu", torch.float16):
        assert 1e-5 < relative_error(_run(model, inputs, boxes), reference) <= FP16_MAX, name
    with autocast_context("cpu", None):
        assert not torch.is_autocast_enabled("cpu")
        np.testing.assert_array_equal(_run(model, inputs, boxes), reference)


def _train_step(model, inputs, boxes):
    """Scores, loss and gradients of one BCE step on fixed targets (BN in training mode)."""
    model.zero_grad(set_to_none=True)
    scores = model([x.clone() for x in inputs], boxes)
    targets = torch.zeros_like(scores)
    targets[:, ::7] = 1.0
    loss = torch.nn.functional.binary_cross_entropy_with_logits(scores.float(), targets)
    loss.backward()
    grads = {n: p.grad.clone() for n, p in unwrap_compiled(model).named_parameters()}
    return scores.detach().numpy(), loss.item(), grads


def _compiled_matches_eager(name, backend):
    """Compile a golden in training mode; scores, loss and every gradient match eager."""
    io = golden_io(name)
    model, inputs, boxes = golden_model(name), golden_inputs(io), torch.from_numpy(io["boxes"])
    model.head.dropout.p = 0.0
    model.train()
    state = copy.deepcopy(model.state_dict())
    scores, loss, grads = _train_step(model, inputs, boxes)
    model.load_state_dict(state)
    compiled = prepare_model(model, compile=True, compile_backend=backend, compile_fullgraph=True)
    assert compiled is not model and unwrap_compiled(compiled) is model
    c_scores, c_loss, c_grads = _train_step(compiled, inputs, boxes)
    assert relative_error(c_scores, scores) <= EXACT
    assert abs(c_loss - loss) <= EXACT * max(1.0, abs(loss))
    assert c_grads.keys() == grads.keys()
    for key, grad in grads.items():
        scale = max(1.0, grad.abs().max().item())
        assert (c_grads[key] - grad).abs().max().item() <= 1e-4 * scale, key


def test_compile_aot_eager_matches_eager():
    torch._dynamo.reset()
    _compiled_matches_eager("C2D_8x8_R50", "aot_eager")


@pytest.mark.skipif(
    os.environ.get("SLOWFAST_MICROG_TEST_INDUCTOR") != "1",
    reason="inductor code generation takes ~1 min on 2 CPU cores; "
    "set SLOWFAST_MICROG_TEST_INDUCTOR=1",
)
def test_compile_inductor_matches_eager():
    torch._dynamo.reset()
    _compiled_matches_eager("C2D_8x8_R50", "inductor")


def test_resolve_amp_dtype():
    assert resolve_amp_dtype("float32", "cpu") is None
    assert resolve_amp_dtype("bfloat16", "cpu") is torch.bfloat16
    assert resolve_amp_dtype("float16", "cpu") is torch.float16
    assert resolve_amp_dtype("auto", "cpu") is torch.bfloat16
    with pytest.raises(ValueError, match="half"):
        resolve_amp_dtype("half", "cpu")


def test_grad_scaler_only_for_float16():
    assert not grad_scaler("cpu", torch.bfloat16).is_enabled()
    assert not grad_scaler("cpu", None).is_enabled()
    assert grad_scaler("cpu", torch.float16).is_enabled()


def test_settings_from_cfg():
    cfg = golden_config("SLOWFAST_8x8_R50")
    cfg.defrost()
    assert AccelerationSettings.from_cfg(cfg, device="cpu") == AccelerationSettings()
    cfg.TRAIN.CHANNELS_LAST, cfg.TRAIN.COMPILE = True, True
    cfg.TRAIN.MIXED_PRECISION, cfg.TRAIN.AMP_DTYPE = True, "bfloat16"
    on_cpu = AccelerationSettings.from_cfg(cfg, device="cpu")
    assert on_cpu == AccelerationSettings(channels_last=True, compile=True, amp_dtype=None)
    on_gpu = AccelerationSettings.from_cfg(cfg, device="cuda")
    assert on_gpu.amp_dtype is torch.bfloat16
    cfg.TRAIN.AMP_DTYPE = "fp8"
    with pytest.raises(ConfigError, match="TRAIN.AMP_DTYPE"):
        AccelerationSettings.from_cfg(cfg, device="cuda")


def test_fused_attention_flops_equal_the_unfused_count():
    """The fvcore handle for scaled_dot_product_attention counts its two matrix products."""
    from fvcore.nn import FlopCountAnalysis

    from slowfast_microg.models.complexity import attention_flops

    class Fused(torch.nn.Module):
        def forward(self, q, k, v):
            return torch.nn.functional.scaled_dot_product_attention(q, k, v)

    class Unfused(torch.nn.Module):
        def forward(self, q, k, v):
            return (q @ k.transpose(-2, -1)).softmax(dim=-1) @ v

    q, k, v = torch.randn(2, 3, 40, 8), torch.randn(2, 3, 10, 8), torch.randn(2, 3, 10, 6)
    fused = FlopCountAnalysis(Fused(), (q, k, v))
    fused.set_op_handle("aten::scaled_dot_product_attention", attention_flops)
    unfused = FlopCountAnalysis(Unfused(), (q, k, v)).total()
    assert fused.total() == unfused == 2 * 3 * 40 * 10 * (8 + 6)


@pytest.mark.parametrize(("row", "pool_runs"), [("SLOW_8x8.yaml", False), ("C2D_8x8.yaml", True)])
def test_identity_pool_after_res2_is_skipped(row, pool_runs):
    from tiny_models import clip_inputs, tiny_config, tiny_model

    model = tiny_model(row).eval()
    calls = []
    model.pathway0_pool.register_forward_hook(lambda *_: calls.append(1))
    inputs = clip_inputs(tiny_config(row))
    with torch.no_grad():
        model(inputs, torch.tensor([[0.0, 0.0, 0.0, 64.0, 64.0]]))
    assert bool(calls) == pool_runs
    assert "pathway0_pool" in dict(model.named_children())  # kept, as in PySlowFast


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_attend_matches_the_attention_formula(dtype):
    from slowfast_microg.models.mvit_attention import attend

    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, n, 8, generator=generator) for n in (50, 13, 13))
    expected = ((q * 0.3) @ k.transpose(-2, -1)).softmax(dim=-1) @ v
    out = attend(q.to(dtype), k.to(dtype), v.to(dtype), scale=0.3)
    assert out.dtype == dtype
    tolerance = 1e-5 if dtype == torch.float32 else 2e-2
    assert (out.float() - expected).abs().max().item() <= tolerance
