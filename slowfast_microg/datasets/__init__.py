"""Datasets: registry, AVA-format annotation IO, the MicroG-4M loader, transforms, loaders."""

from slowfast_microg.datasets.registry import DATASET_REGISTRY, build_dataset

__all__ = ["DATASET_REGISTRY", "build_dataset"]
