"""Test helpers: modules with a given state-dict layout, and tensors that cost no memory."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import nn

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def shape_module(
    layout: Iterable[tuple[str, tuple[int, ...]]], *, device: str = "meta"
) -> nn.Module:
    """A module whose state dict has exactly ``layout``'s keys and shapes (meta tensors)."""
    root = nn.Module()
    for key, shape in layout:
        *path, leaf = key.split(".")
        node = root
        for name in path:
            child = node._modules.get(name)
            if child is None:
                child = nn.Module()
                node.add_module(name, child)
            node = child
        node.register_parameter(leaf, nn.Parameter(torch.empty(shape, device=device)))
    return root


def free_tensor(shape: tuple[int, ...]) -> torch.Tensor:
    """A zero tensor of ``shape`` backed by one element (an expanded view)."""
    return torch.zeros(1).expand(*shape) if shape else torch.zeros(())


def mvit_layout(model: str) -> list[tuple[str, tuple[int, ...]]]:
    """(key, shape) list of a full-size MViT from ``fixtures/checkpoint/<model>.keys.json``."""
    content = json.loads((FIXTURES / "checkpoint" / f"{model}.keys.json").read_text())
    return [(key, tuple(shape)) for key, shape in content["state_dict"]]
