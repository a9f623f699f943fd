"""The ``--cfg FILE... [KEY VALUE ...]`` / ``--opts`` arguments shared by the demo tools."""

from __future__ import annotations

import argparse
import logging

from fvcore.common.config import CfgNode

from slowfast_microg.config import assert_and_infer_cfg
from slowfast_microg.utils.parser import load_config

logger = logging.getLogger(__name__)

YAML_SUFFIXES = (".yaml", ".yml")


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--cfg`` (YAML files, then optional ``KEY VALUE`` overrides) and ``--opts``."""
    parser.add_argument(
        "--cfg",
        dest="cfg_files",
        nargs="+",
        required=True,
        help="config YAMLs, optionally followed by KEY VALUE overrides",
    )
    parser.add_argument(
        "--opts", nargs=argparse.REMAINDER, default=[], help="KEY VALUE config overrides"
    )


def split_config_arguments(args: argparse.Namespace) -> argparse.Namespace:
    """Move the items after the ``--cfg`` YAML files into ``args.opts`` (in place)."""
    files = list(args.cfg_files)
    first = next((i for i, f in enumerate(files) if not f.endswith(YAML_SUFFIXES)), len(files))
    args.opts = files[first:] + list(args.opts or [])
    args.cfg_files = files[:first]
    return args


def config_from_arguments(args: argparse.Namespace, *, cpu: bool = True) -> CfgNode:
    """The validated config of parsed arguments (``NUM_GPUS 0`` when ``cpu``)."""
    cfg = load_config(args)
    if cpu:
        cfg.NUM_GPUS = 0
    return assert_and_infer_cfg(cfg)
