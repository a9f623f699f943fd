"""The RoI detection head: per-box action scores from one or more pathway feature maps."""

from __future__ import annotations

import logging

import torch
from torch import nn
from torchvision.ops import roi_align

logger = logging.getLogger(__name__)


def warn_if_scale_differs(*, model_name: str, scale_factor: float, strides: list[int]) -> None:
    """Warn when ``DETECTION.SPATIAL_SCALE_FACTOR`` is not the head input's true stride.

    RoIAlign divides box coordinates (input pixels) by the scale factor; with the wrong factor
    boxes land at ``stride / scale_factor`` times their position on the feature map. The
    paper's MViT and X3D runs used 16 on stride-32 maps; ``configs/MicroG/improved/`` fixes it.
    """
    for stride in sorted(set(strides)):
        if float(scale_factor) != float(stride):
            logger.warning(
                "DETECTION.SPATIAL_SCALE_FACTOR is %s but the %s head features have stride %d: "
                "RoIAlign reads boxes at %.3gx their true position on the map. This reproduces "
                "the paper's runs; set DETECTION.SPATIAL_SCALE_FACTOR %d "
                "(configs/MicroG/improved/) for correct box placement.",
                scale_factor,
                model_name,
                stride,
                stride / float(scale_factor),
                stride,
            )


def build_activation(name: str) -> nn.Module:
    """Map ``MODEL.HEAD_ACT`` ("none", "sigmoid", "softmax") to a module."""
    if name == "none":
        return nn.Identity()
    if name == "sigmoid":
        return nn.Sigmoid()
    if name == "softmax":
        return nn.Softmax(dim=1)
    raise ValueError(f"MODEL.HEAD_ACT must be none, sigmoid or softmax, got {name!r}.")


class ResNetRoIHead(nn.Module):
    """PySlowFast's detection head: temporal mean, RoIAlign, spatial max, dropout, linear.

    Per pathway the feature map is averaged over time, RoIAlign samples a
    ``resolution`` grid inside each box (boxes in input pixels are divided by
    ``scale_factor``), and a max-pool over that grid gives one vector per box. The
    pathways' vectors are concatenated (slow first) and projected to class scores. The only
    parameters are ``projection.weight`` and ``projection.bias``, as in PySlowFast.
    """

    def __init__(
        self,
        *,
        dim_in: list[int],
        num_classes: int,
        resolution: list[int],
        scale_factor: float,
        dropout_rate: float = 0.0,
        act_func: str = "sigmoid",
        aligned: bool = True,
        detach_final_fc: bool = False,
    ) -> None:
        """Create the head.

        Args:
            dim_in: channels of each pathway's feature map.
            num_classes: output scores per box.
            resolution: RoIAlign output size [h, w]; the max-pool has the same size.
            scale_factor: feature stride assumed for the boxes (``DETECTION.SPATIAL_SCALE_FACTOR``).
            dropout_rate: dropout before the projection (0 disables it).
            act_func: ``MODEL.HEAD_ACT``.
            aligned: aligned RoIAlign (pixel centres at +0.5).
            detach_final_fc: stop gradients before the projection.
        """
        super().__init__()
        self.num_pathways = len(dim_in)
        self.resolution = tuple(int(r) for r in resolution)
        self.spatial_scale = 1.0 / float(scale_factor)
        self.aligned = aligned
        self.detach_final_fc = detach_final_fc
        for pathway in range(self.num_pathways):
            self.add_module(f"s{pathway}_spool", nn.MaxPool2d(self.resolution, stride=1))
        if dropout_rate > 0.0:
            self.dropout = nn.Dropout(dropout_rate)
        self.projection = nn.Linear(sum(dim_in), num_classes, bias=True)
        self.act = build_activation(act_func)

    def pool_boxes(self, inputs: list[torch.Tensor], bboxes: torch.Tensor) -> torch.Tensor:
        """Return the (N, sum(dim_in)) per-box features before dropout and projection.

        Args:
            inputs: one (B, C_i, T_i, H, W) feature map per pathway.
            bboxes: (N, 5) rows of (batch_index, x1, y1, x2, y2) in input pixels.
        """
        if len(inputs) != self.num_pathways:
            raise ValueError(f"expected {self.num_pathways} pathway(s), got {len(inputs)}")
        pooled = []
        for pathway, features in enumerate(inputs):
            frame = features.mean(dim=2)
            boxes = bboxes.to(dtype=frame.dtype)
            sampled = roi_align(
                frame,
                boxes,
                output_size=self.resolution,
                spatial_scale=self.spatial_scale,
                sampling_ratio=0,
                aligned=self.aligned,
            )
            pooled.append(getattr(self, f"s{pathway}_spool")(sampled))
        return torch.cat(pooled, dim=1).flatten(start_dim=1)

    def forward(self, inputs: list[torch.Tensor], bboxes: torch.Tensor) -> torch.Tensor:
        """Return (N, num_classes) per-box scores after the activation."""
        x = self.pool_boxes(inputs, bboxes)
        if hasattr(self, "dropout"):
            x = self.dropout(x)
        if self.detach_final_fc:
            x = x.detach()
        return self.act(self.projection(x))
