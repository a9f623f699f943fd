"""Normalisation layer factory for the convolutional backbones (``BN.NORM_TYPE``)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from torch import nn

logger = logging.getLogger(__name__)

NormFactory = Callable[[int], nn.Module]

BN_EPS = 1e-5
BN_MOMENTUM = 0.1


def batchnorm3d(num_features: int) -> nn.Module:
    """PySlowFast's BatchNorm3d (eps 1e-5, momentum 0.1)."""
    return nn.BatchNorm3d(num_features, eps=BN_EPS, momentum=BN_MOMENTUM)


def sync_batchnorm(num_features: int) -> nn.Module:
    """Batch norm whose training statistics are synchronised across all processes."""
    return nn.SyncBatchNorm(num_features, eps=BN_EPS, momentum=BN_MOMENTUM)


def norm_factory(norm_type: str) -> NormFactory:
    """Return the constructor selected by ``BN.NORM_TYPE``.

    Args:
        norm_type: "batchnorm" or "sync_batchnorm". Both give the same state-dict keys and
            shapes; "sync_batchnorm" shares batch statistics across every process of the
            distributed job while training (``torch.nn.SyncBatchNorm``).

    Returns:
        A callable mapping a channel count to a normalisation module.
    """
    if norm_type == "batchnorm":
        return batchnorm3d
    if norm_type == "sync_batchnorm":
        return sync_batchnorm
    raise ValueError(f"BN.NORM_TYPE must be batchnorm or sync_batchnorm, got {norm_type!r}.")
