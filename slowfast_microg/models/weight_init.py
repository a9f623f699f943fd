"""PySlowFast's weight initialisation for the convolutional video models."""

from __future__ import annotations

import logging

from torch import nn

logger = logging.getLogger(__name__)

_BATCHNORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


def init_weights(
    model: nn.Module,
    *,
    fc_init_std: float = 0.01,
    zero_init_final_bn: bool = True,
    zero_init_final_conv: bool = False,
) -> None:
    """Initialise ``model`` in place as PySlowFast does for training from scratch.

    - Conv3d: Kaiming normal with ``fan_out`` and ReLU gain (Caffe2's MSRA fill), bias 0; a
      conv flagged ``final_conv`` is zeroed instead when ``zero_init_final_conv``.
    - Batch norm: weight 1, bias 0; a BN flagged ``transform_final_bn`` (last BN of each
      residual branch and of each non-local block) gets weight 0 when ``zero_init_final_bn``,
      so every residual block starts as an identity.
    - Linear: weight ~ N(0, ``fc_init_std``), bias 0.

    Args:
        model: the model to initialise.
        fc_init_std: ``MODEL.FC_INIT_STD``.
        zero_init_final_bn: ``RESNET.ZERO_INIT_FINAL_BN``.
        zero_init_final_conv: ``RESNET.ZERO_INIT_FINAL_CONV``.
    """
    for module in model.modules():
        if isinstance(module, nn.Conv3d):
            if zero_init_final_conv and getattr(module, "final_conv", False):
                nn.init.zeros_(module.weight)
            else:
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, _BATCHNORMS):
            final = zero_init_final_bn and getattr(module, "transform_final_bn", False)
            nn.init.constant_(module.weight, 0.0 if final else 1.0)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=fc_init_std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
