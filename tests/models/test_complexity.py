"""FLOP counting: input sizes, agreement with a hand count, sensible ordering."""

import pytest
import torch
from tiny_models import tiny_config, tiny_model

from slowfast_microg.models.complexity import analysis_inputs, model_flops

SMALL = ["DATA.TEST_CROP_SIZE", "32"]


def hand_count(model: torch.nn.Module, cfg) -> int:
    """Multiply-adds of convs and linears plus 2 per BN output element (fvcore's BN rule)."""
    total = 0

    def count(module, _inputs, output):
        nonlocal total
        if isinstance(module, torch.nn.Conv3d):
            kernel = module.kernel_size[0] * module.kernel_size[1] * module.kernel_size[2]
            total += output.numel() * module.in_channels // module.groups * kernel
        elif isinstance(module, torch.nn.Linear):
            total += output.numel() * module.in_features
        elif isinstance(module, torch.nn.BatchNorm3d):
            total += 2 * output.numel()

    layers = (torch.nn.Conv3d, torch.nn.Linear, torch.nn.BatchNorm3d)
    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, layers)]
    inputs, boxes = analysis_inputs(cfg)
    with torch.no_grad():
        model.eval()(inputs, boxes)
    for hook in hooks:
        hook.remove()
    return total


def test_analysis_inputs_follow_the_config():
    inputs, boxes = analysis_inputs(tiny_config("SLOWFAST_8x8.yaml"))
    assert [tuple(x.shape) for x in inputs] == [(1, 3, 2, 64, 64), (1, 3, 8, 64, 64)]
    assert boxes.tolist() == [[0.0, 0.0, 0.0, 64.0, 64.0]]
    inputs, _ = analysis_inputs(tiny_config("SLOW_4x16.yaml"))
    assert [tuple(x.shape) for x in inputs] == [(1, 3, 4, 64, 64)]


def test_flops_equal_a_hand_count():
    cfg = tiny_config("SLOWFAST_8x8.yaml", SMALL)
    model = tiny_model("SLOWFAST_8x8.yaml", SMALL).train()
    flops = model_flops(cfg, model=model)
    assert model.training
    assert flops * 1e9 == pytest.approx(hand_count(model, cfg), rel=1e-9)


def test_flops_are_positive_and_ordered():
    eight = model_flops(tiny_config("SLOW_8x8.yaml", SMALL))
    four = model_flops(tiny_config("SLOW_4x16.yaml", SMALL))
    assert four > 0
    # Half the frames, half the compute (the per-box classifier is negligible).
    assert eight / four == pytest.approx(2.0, rel=0.01)
