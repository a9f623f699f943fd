"""CUDA's autocast dtypes on the CPU, for the ops of these models where the two lists differ.

Under ``torch.autocast("cpu")`` softmax and LayerNorm run in the low precision and 3D pooling in
float32; under ``torch.autocast("cuda")`` softmax, log-softmax, LayerNorm and GroupNorm run in
float32 and pooling keeps its input's dtype (torch's autocast op reference). Memory counted on
the CPU for a GPU must follow CUDA's choice: MViT keeps its attention maps (B, heads, N, N) in
float32 after the softmax on a GPU, and the ResNet stems pool in half precision.
"""

from __future__ import annotations

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_map_only

# Function names as ``__torch_function__`` sees them (``F.max_pool3d`` arrives as
# ``max_pool3d`` or ``max_pool3d_with_indices``; ``nn.LayerNorm`` as ``layer_norm``).
CUDA_FLOAT32 = frozenset({"softmax", "log_softmax", "layer_norm", "group_norm"})
CUDA_INPUT_DTYPE = frozenset(
    {
        "max_pool3d",
        "max_pool3d_with_indices",
        "avg_pool3d",
        "adaptive_avg_pool3d",
        "adaptive_max_pool3d",
    }
)


def _to_float32(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.float() if tensor.is_floating_point() else tensor


class CudaAutocastOnCpu(TorchFunctionMode):
    """Inside CPU autocast, run the ops above in the dtype CUDA's autocast would give them."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        """Cast to float32 or keep the input dtype for the listed ops; others pass through."""
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name not in CUDA_FLOAT32 and name not in CUDA_INPUT_DTYPE:
            return func(*args, **kwargs)
        if not torch.is_autocast_enabled("cpu"):
            return func(*args, **kwargs)
        if name in CUDA_FLOAT32:
            args, kwargs = tree_map_only(torch.Tensor, _to_float32, (args, kwargs))
        with torch.autocast("cpu", enabled=False):
            return func(*args, **kwargs)
