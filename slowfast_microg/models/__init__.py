"""Video models for action detection; ``build_model(cfg)`` selects one by MODEL.MODEL_NAME."""

from slowfast_microg.models import (
    mvit,  # noqa: F401  (registers MViT)
    video_resnet,  # noqa: F401  (registers ResNet, SlowFast)
    x3d,  # noqa: F401  (registers X3D)
)
from slowfast_microg.models.registry import MODEL_REGISTRY, build_model

__all__ = ["MODEL_REGISTRY", "build_model"]
