"""PySlowFast's command line: ``--cfg`` files, ``--opts`` and trailing ``KEY VALUE`` overrides."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from fvcore.common.config import CfgNode

from slowfast_microg.config.defaults import get_cfg
from slowfast_microg.config.loader import merge_all

YAML_SUFFIXES = (".yaml", ".yml")
FORCE_FLAG = "--force"


def build_parser(
    description: str = "Train and test a MicroG-4M action detector.",
) -> argparse.ArgumentParser:
    """Return the argument parser shared by ``tools/run_net.py`` and other engine tools."""
    parser = argparse.ArgumentParser(
        description=description,
        epilog="Trailing KEY VALUE pairs override config keys, e.g. SOLVER.BASE_LR 0.05.",
    )
    parser.add_argument(
        "--cfg",
        dest="cfg_files",
        nargs="+",
        default=[],
        help="one or more YAML config files, merged in order",
    )
    parser.add_argument(
        "--opts",
        nargs=argparse.REMAINDER,
        default=[],
        help="KEY VALUE pairs overriding config keys (PySlowFast style)",
    )
    parser.add_argument(
        "--init_method",
        default="tcp://localhost:9999",
        help="torch.distributed init method, e.g. tcp://host:port (env:// under torchrun)",
    )
    parser.add_argument("--num_shards", type=int, default=None, help="number of machines")
    parser.add_argument("--shard_id", type=int, default=None, help="index of this machine")
    parser.add_argument(
        "--force",
        action="store_true",
        help="run even if OUTPUT_DIR holds a run made with a different config",
    )
    parser.add_argument(
        "overrides", nargs=argparse.REMAINDER, help="trailing KEY VALUE config overrides"
    )
    return parser


def parse_args(argv: Sequence[str] | None = None, **parser_kwargs) -> argparse.Namespace:
    """Parse ``argv``; overrides given after ``--cfg`` files are separated from the files.

    ``--cfg a.yaml SOLVER.BASE_LR 0.1`` is read as the file ``a.yaml`` followed by one override:
    the first ``--cfg`` item that is not a ``.yaml``/``.yml`` file starts the overrides.
    """
    args = build_parser(**parser_kwargs).parse_args(argv)
    files = list(args.cfg_files)
    split = next(
        (i for i, item in enumerate(files) if not item.endswith(YAML_SUFFIXES)), len(files)
    )
    args.cfg_files = files[:split]
    opts = files[split:] + list(args.overrides or []) + list(args.opts or [])
    # Flags written after the overrides end up among them; take --force back out.
    args.force = args.force or FORCE_FLAG in opts
    args.opts = [item for item in opts if item != FORCE_FLAG]
    return args


def load_config(args: argparse.Namespace) -> CfgNode:
    """Build the config from defaults, ``args.cfg_files`` and ``args.opts`` (not yet validated).

    ``--num_shards``/``--shard_id`` given on the command line win over the files.
    """
    cfg = merge_all(get_cfg(), files=args.cfg_files, opts=args.opts)
    if getattr(args, "num_shards", None) is not None:
        cfg.NUM_SHARDS = args.num_shards
    if getattr(args, "shard_id", None) is not None:
        cfg.SHARD_ID = args.shard_id
    return cfg
