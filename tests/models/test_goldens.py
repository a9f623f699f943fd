"""Numerical agreement with PySlowFast on its own reduced-width checkpoints and inputs."""

import numpy as np
import pytest
import torch
from golden_utils import (
    RESNET_FAMILY,
    golden_inputs,
    golden_io,
    golden_model,
    relative_error,
)

from slowfast_microg.models.complexity import params_count

TOLERANCE = 1e-4

# Parameter counts of the reduced-width PySlowFast models (goldens README table).
GOLDEN_PARAMS = {
    "C2D_8x8_R50": 387_002,
    "C2D_NLN_8x8_R50": 503_994,
    "I3D_8x8_R50": 449_178,
    "I3D_NLN_8x8_R50": 566_170,
    "SLOWONLY_8x8_R50": 513_978,
    "SLOWONLY_4x16_R50": 513_978,
    "SLOWFAST_8x8_R50": 548_455,
    "SLOWFAST_4x16_R50": 548_455,
    "SLOW_8x8_R50_K400": 521_688,
    "SLOWFAST_32x2_R101_K600": 963_713,
}


@pytest.mark.parametrize("name", RESNET_FAMILY)
def test_matches_pyslowfast_outputs(name):
    model = golden_model(name)
    io = golden_io(name)
    assert params_count(model) == GOLDEN_PARAMS[name]
    with torch.no_grad():
        single = model(golden_inputs(io), torch.from_numpy(io["boxes"])).numpy()
        batch2 = model(golden_inputs(io, "batch2_"), torch.from_numpy(io["batch2_boxes"])).numpy()
    assert single.shape == io["output"].shape
    assert batch2.shape == io["batch2_output"].shape
    assert relative_error(single, io["output"]) <= TOLERANCE
    assert relative_error(batch2, io["batch2_output"]) <= TOLERANCE
    assert relative_error(single, io["output_f64"]) <= TOLERANCE
    assert relative_error(batch2, io["batch2_output_f64"]) <= TOLERANCE
    # Rows 1, 2, 4 of the batch of two are the single clip's three boxes.
    assert relative_error(batch2[[1, 2, 4]], single) <= 1e-5


def test_goldens_detect_a_wrong_weight():
    """The tolerance is tight enough to catch one slightly wrong BN statistic."""
    name = "SLOWFAST_8x8_R50"
    model = golden_model(name)
    io = golden_io(name)
    bn = model.s5.pathway1_res2.branch2.c_bn
    with torch.no_grad():
        bn.running_mean += 0.1 * bn.running_var.sqrt()
        output = model(golden_inputs(io), torch.from_numpy(io["boxes"])).numpy()
    assert relative_error(output, io["output"]) > 10 * TOLERANCE
    assert np.isfinite(output).all()
