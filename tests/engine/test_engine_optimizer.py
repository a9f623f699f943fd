"""Optimiser parameter groups and the three losses against their closed forms."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from slowfast_microg.config import get_cfg
from slowfast_microg.engine.losses import build_loss
from slowfast_microg.engine.optimizer import build_param_groups, construct_optimizer


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(3, 4, 1)
        self.bn = nn.BatchNorm3d(4)
        self.fc = nn.Linear(4, 2)
        self.frozen = nn.Linear(2, 2)
        self.frozen.requires_grad_(False)


class _TinyMViT(nn.Module):
    def __init__(self):
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, 4))
        self.pos_embed = nn.Parameter(torch.zeros(1, 5, 4))
        self.patch_embed = nn.Linear(4, 4)
        self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])
        self.head = nn.Linear(4, 3)


def _ids(group):
    return {id(p) for p in group["params"]}


def test_bn_gets_its_own_decay_and_frozen_params_are_left_out():
    net = _Net()
    groups = build_param_groups(net, weight_decay=1e-4, bn_weight_decay=0.0, zero_wd_1d=False)
    assert [g["weight_decay"] for g in groups] == [0.0, 1e-4]
    assert _ids(groups[0]) == {id(net.bn.weight), id(net.bn.bias)}
    assert _ids(groups[1]) == {id(p) for p in (*net.conv.parameters(), *net.fc.parameters())}


def test_zero_wd_1d_moves_biases_to_the_no_decay_group():
    net = _Net()
    groups = build_param_groups(net, weight_decay=1e-4, bn_weight_decay=1e-5, zero_wd_1d=True)
    assert [g["weight_decay"] for g in groups] == [1e-5, 1e-4, 0.0]
    assert _ids(groups[1]) == {id(net.conv.weight), id(net.fc.weight)}
    assert _ids(groups[2]) == {id(net.conv.bias), id(net.fc.bias)}


def test_mvit_layer_decay_and_no_decay_names():
    net = _TinyMViT()
    cfg = get_cfg()
    cfg.MODEL.ARCH = "mvit"
    cfg.MVIT.DEPTH = 2
    cfg.SOLVER.LAYER_DECAY = 0.5
    cfg.SOLVER.WEIGHT_DECAY = 0.05
    optimizer = construct_optimizer(net, cfg)
    by_param = {}
    for group in optimizer.param_groups:
        for p in group["params"]:
            by_param[id(p)] = (group["weight_decay"], group["layer_decay"])
    # num_layers = DEPTH + 1 = 3; scale = 0.5 ** (3 - layer id)
    assert by_param[id(net.cls_token)] == (0.0, 0.125)
    assert by_param[id(net.pos_embed)] == (0.0, 0.125)
    assert by_param[id(net.patch_embed.weight)] == (0.05, 0.125)
    assert by_param[id(net.blocks[0].weight)] == (0.05, 0.25)
    assert by_param[id(net.blocks[1].weight)] == (0.05, 0.5)
    assert by_param[id(net.head.weight)] == (0.05, 1.0)


def test_model_no_weight_decay_wins():
    net = _TinyMViT()
    net.no_weight_decay = lambda: ["head"]
    cfg = get_cfg()
    groups = construct_optimizer(net, cfg).param_groups
    zero = [g for g in groups if g["weight_decay"] == 0.0]
    assert _ids(zero[0]) == {id(net.head.weight), id(net.head.bias)}


def test_sgd_and_adamw_settings():
    cfg = get_cfg()
    cfg.SOLVER.BASE_LR = 0.3
    cfg.SOLVER.MOMENTUM = 0.8
    cfg.SOLVER.DAMPENING = 0.0
    cfg.SOLVER.NESTEROV = True
    sgd = construct_optimizer(_Net(), cfg)
    assert isinstance(sgd, torch.optim.SGD)
    assert sgd.defaults["momentum"] == 0.8 and sgd.defaults["nesterov"] is True
    assert sgd.defaults["lr"] == 0.3
    cfg.SOLVER.OPTIMIZING_METHOD = "adamw"
    cfg.SOLVER.BETAS = [0.8, 0.95]
    adamw = construct_optimizer(_Net(), cfg)
    assert isinstance(adamw, torch.optim.AdamW)
    assert adamw.defaults["betas"] == (0.8, 0.95)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_losses_match_closed_forms():
    scores = np.array([[2.0, -1.0, 0.5], [-0.3, 0.7, -2.0]])
    labels = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    p = _sigmoid(scores)
    bce = -(labels * np.log(p) + (1 - labels) * np.log(1 - p)).mean()
    s, y = torch.tensor(scores), torch.tensor(labels)
    assert build_loss("bce_logit")(s, y).item() == pytest.approx(bce)
    assert build_loss("bce")(torch.sigmoid(s), y).item() == pytest.approx(bce)
    # cross_entropy: target = first positive class of each row (0 and 1).
    logsumexp = np.log(np.exp(scores).sum(axis=1))
    expected = np.mean([logsumexp[0] - scores[0, 0], logsumexp[1] - scores[1, 1]])
    assert build_loss("cross_entropy")(s, y).item() == pytest.approx(expected)
    assert math.isfinite(expected)


def test_cross_entropy_rejects_unlabelled_boxes_and_unknown_names():
    with pytest.raises(ValueError, match="at least one positive"):
        build_loss("cross_entropy")(torch.zeros(1, 3), torch.zeros(1, 3))
    with pytest.raises(ValueError, match="LOSS_FUNC"):
        build_loss("focal")
