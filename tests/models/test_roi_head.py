"""Detection-head behaviour inside the full models: box routing, empty boxes, activations."""

import pytest
import torch
from tiny_models import clip_inputs, tiny_config, tiny_model

from slowfast_microg.models.video_resnet import ResNet

ROWS = ["C2D_8x8.yaml", "SLOWFAST_8x8.yaml"]


@pytest.mark.parametrize("row", ROWS)
def test_box_outside_the_feature_map_scores_the_projection_bias(row):
    model = tiny_model(row).eval()
    inputs = clip_inputs(tiny_config(row))
    boxes = torch.tensor([[0.0, 200.0, 200.0, 260.0, 250.0], [0.0, 8.0, 8.0, 40.0, 56.0]])
    with torch.no_grad():
        scores = model(inputs, boxes)
    bias = model.head.projection.bias
    # Every RoIAlign sample of the first box lies beyond the 4x4 map: zero features.
    torch.testing.assert_close(scores[0], bias, rtol=0, atol=1e-6)
    assert (scores[1] - bias).abs().max() > 1e-3


@pytest.mark.parametrize("row", ROWS)
def test_boxes_are_routed_by_batch_index(row):
    cfg = tiny_config(row)
    model = tiny_model(row).eval()
    first, second = clip_inputs(cfg, seed=1), clip_inputs(cfg, seed=2)
    batch = [torch.cat([a, b]) for a, b in zip(first, second, strict=True)]
    box = [4.0, 6.0, 50.0, 60.0]
    with torch.no_grad():
        together = model(batch, torch.tensor([[1.0, *box], [0.0, *box]]))
        alone_second = model(second, torch.tensor([[0.0, *box]]))
        alone_first = model(first, torch.tensor([[0.0, *box]]))
    torch.testing.assert_close(together[0], alone_second[0], rtol=0, atol=1e-5)
    torch.testing.assert_close(together[1], alone_first[0], rtol=0, atol=1e-5)
    assert (alone_first - alone_second).abs().max() > 1e-3


def test_head_activation_variants():
    row = "SLOW_4x16.yaml"
    logits_model = tiny_model(row).eval()
    sigmoid_model = tiny_model(row, ["MODEL.HEAD_ACT", "sigmoid", "MODEL.LOSS_FUNC", "bce"])
    softmax_model = tiny_model(row, ["MODEL.HEAD_ACT", "softmax"])
    state = logits_model.state_dict()
    sigmoid_model.load_state_dict(state)
    softmax_model.load_state_dict(state)
    inputs = clip_inputs(tiny_config(row))
    boxes = torch.tensor([[0.0, 4.0, 6.0, 50.0, 60.0], [0.0, 20.0, 10.0, 30.0, 40.0]])
    with torch.no_grad():
        logits = logits_model(inputs, boxes)
        probabilities = sigmoid_model.eval()(inputs, boxes)
        distribution = softmax_model.eval()(inputs, boxes)
    assert logits.shape == (2, 50)
    assert logits.min() < 0 < logits.max()
    torch.testing.assert_close(probabilities, torch.sigmoid(logits))
    torch.testing.assert_close(distribution, torch.softmax(logits, dim=1))
    torch.testing.assert_close(distribution.sum(dim=1), torch.ones(2))


def test_unknown_head_activation_is_rejected():
    cfg = tiny_config("SLOW_4x16.yaml").clone()
    cfg.defrost()
    cfg.MODEL.HEAD_ACT = "relu"
    with pytest.raises(ValueError, match="HEAD_ACT"):
        ResNet(cfg)


def test_dropout_acts_only_in_training():
    row = "SLOW_4x16.yaml"
    plain = tiny_model(row, ["MODEL.DROPOUT_RATE", "0.0"]).eval()
    dropped = tiny_model(row, ["MODEL.DROPOUT_RATE", "0.5"])
    assert list(plain.state_dict()) == list(dropped.state_dict())
    dropped.load_state_dict(plain.state_dict())
    inputs = clip_inputs(tiny_config(row))
    boxes = torch.tensor([[0.0, 4.0, 6.0, 50.0, 60.0]])
    with torch.no_grad():
        torch.testing.assert_close(dropped.eval()(inputs, boxes), plain(inputs, boxes))
        dropped.train()
        features = dropped.head.pool_boxes([torch.ones(1, 256, 2, 4, 4)], boxes)
        assert (dropped.head.dropout(features) == 0).any()


def test_detach_final_fc_stops_backbone_gradients():
    model = tiny_model("SLOW_4x16.yaml", ["MODEL.DETACH_FINAL_FC", "True"]).train()
    inputs = clip_inputs(tiny_config("SLOW_4x16.yaml"), batch=2)
    boxes = torch.tensor([[0.0, 4.0, 6.0, 50.0, 60.0], [1.0, 20.0, 10.0, 30.0, 40.0]])
    model(inputs, boxes).sum().backward()
    assert model.head.projection.weight.grad.abs().sum() > 0
    assert all(p.grad is None for name, p in model.named_parameters() if name.startswith("s"))
