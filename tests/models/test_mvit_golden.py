"""MViT v1/v2 against PySlowFast goldens (reduced width, 64 px): outputs, batching, head."""

import numpy as np
import pytest
import torch
from golden_utils_mvit import MVIT_GOLDENS, golden_io, load_golden_model, rel_err, run
from tiny_mvit_utils import single_torch_thread  # noqa: F401  (autouse fixture)

TOL = 1e-4


@pytest.fixture(scope="module", params=MVIT_GOLDENS)
def golden(request):
    """(name, model, io arrays, single-clip output, batch-of-2 output) of one golden."""
    name = request.param
    model, io = load_golden_model(name), golden_io(name)
    y = run(model, io["input_0"], io["boxes"])
    y2 = run(model, io["batch2_input_0"], io["batch2_boxes"])
    return name, model, io, y, y2


def test_single_clip_matches_pyslowfast(golden):
    _, _, io, y, _ = golden
    assert y.shape == io["output"].shape == (3, 50)
    assert rel_err(y, io["output"]) <= TOL
    assert rel_err(y, io["output_f64"]) <= TOL


def test_batch_of_two_matches_pyslowfast(golden):
    _, _, io, _, y2 = golden
    assert y2.shape == (5, 50)
    assert rel_err(y2, io["batch2_output"]) <= TOL
    assert rel_err(y2, io["batch2_output_f64"]) <= TOL
    # Rows 1, 2, 4 are the single-clip boxes on the single clip: batch independence.
    assert rel_err(y2[[1, 2, 4]], io["output"]) <= TOL


def test_corner_box_outside_map_gives_projection_bias(golden):
    """At scale 1/16 on a stride-32 2x2 map the corner box samples only zeros."""
    _, model, _, _, y2 = golden
    bias = model.head.projection.bias.detach().numpy()
    np.testing.assert_array_equal(y2[0], bias)
    assert rel_err(y2[3], bias) > 1e-2  # the central box of clip 1 does see the map


def test_float64_matches_float64_reference(golden):
    _, model, io, _, _ = golden
    model64 = load_golden_model(golden[0]).double()
    with torch.no_grad():
        clip = torch.from_numpy(io["input_0"]).double()
        y = model64([clip], torch.from_numpy(io["boxes"]).double()).numpy()
    assert rel_err(y, io["output_f64"]) <= 1e-9


@pytest.mark.parametrize("act", ["sigmoid", "softmax"])
def test_head_activation(act):
    name = MVIT_GOLDENS[0]
    io = golden_io(name)
    model = load_golden_model(name, opts={"MODEL.HEAD_ACT": act, "MODEL.LOSS_FUNC": "bce"})
    y = run(model, io["input_0"], io["boxes"])
    logits = torch.from_numpy(io["output_f64"])
    ref = logits.sigmoid() if act == "sigmoid" else logits.softmax(dim=1)
    assert rel_err(y, ref.numpy()) <= TOL
    if act == "softmax":
        np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)
