"""Datasets: registry, AVA-format annotation IO, the MicroG-4M loader, transforms, loaders."""

from slowfast_microg.datasets.errors import DataError
from slowfast_microg.datasets.jhmdb import Jhmdb
from slowfast_microg.datasets.loader import collate_detection, construct_loader, shuffle_dataset
from slowfast_microg.datasets.microg import MicroG
from slowfast_microg.datasets.registry import DATASET_REGISTRY, build_dataset
from slowfast_microg.datasets.sample import SampleInfo, generate_sample

__all__ = [
    "DATASET_REGISTRY",
    "DataError",
    "Jhmdb",
    "MicroG",
    "SampleInfo",
    "build_dataset",
    "collate_detection",
    "construct_loader",
    "generate_sample",
    "shuffle_dataset",
]
