"""Command line and process launch: one process, a spawned process per GPU, or torchrun.

World size: a GPU job runs NUM_GPUS processes on each of NUM_SHARDS machines; a CPU job
(NUM_GPUS 0) runs NUM_CPU_PROCESSES gloo processes per machine. Under torchrun the
RANK/WORLD_SIZE/LOCAL_RANK variables decide instead and ``--init_method`` is ``env://``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.multiprocessing as mp
from fvcore.common.config import CfgNode

from slowfast_microg.config import ConfigError, assert_and_infer_cfg
from slowfast_microg.engine.data import ensure_sample_data
from slowfast_microg.engine.run_folder import ensure_writable, prepare_output_dir
from slowfast_microg.utils import distributed as du
from slowfast_microg.utils.logging import setup_logging
from slowfast_microg.utils.parser import load_config, parse_args

logger = logging.getLogger(__name__)

DESCRIPTION = "Train and/or test a MicroG-4M action detector (TRAIN.ENABLE / TEST.ENABLE)."


def processes_per_shard(cfg: CfgNode) -> int:
    """Processes started on each machine: NUM_GPUS, or NUM_CPU_PROCESSES for CPU runs."""
    return cfg.NUM_GPUS if cfg.NUM_GPUS > 0 else cfg.NUM_CPU_PROCESSES


def _backend(cfg: CfgNode) -> str:
    return cfg.DIST_BACKEND if cfg.NUM_GPUS > 0 else "gloo"


def _check_world(cfg: CfgNode, world_size: int) -> None:
    for node in ("TRAIN", "TEST"):
        batch = cfg[node].BATCH_SIZE
        if batch % world_size:
            raise ConfigError(
                f"{node}.BATCH_SIZE ({batch}) must be a multiple of the number of processes "
                f"({world_size})."
            )


def _run_distributed(
    cfg: CfgNode,
    func: Callable[[CfgNode], Any],
    *,
    init_method: str,
    placement: du.ProcessPlacement,
) -> Any:
    du.init_process_group(
        backend=_backend(cfg),
        init_method=init_method,
        placement=placement,
        use_cuda=cfg.NUM_GPUS > 0,
    )
    try:
        return func(cfg)
    finally:
        du.destroy_process_group()


def _spawned_worker(
    local_rank: int,
    per_shard: int,
    func: Callable[[CfgNode], Any],
    init_method: str,
    cfg: CfgNode,
) -> None:
    placement = du.ProcessPlacement(
        rank=cfg.SHARD_ID * per_shard + local_rank,
        world_size=per_shard * cfg.NUM_SHARDS,
        local_rank=local_rank,
    )
    _run_distributed(cfg, func, init_method=init_method, placement=placement)


def launch_job(
    cfg: CfgNode, init_method: str, func: Callable[[CfgNode], Any], daemon: bool = False
) -> Any:
    """Run ``func(cfg)`` on every process of the job described by ``cfg``.

    - under torchrun (RANK, WORLD_SIZE, LOCAL_RANK set): in this process, ``env://``;
    - a world of one process: in this process, without a process group;
    - otherwise: spawn ``processes_per_shard(cfg)`` processes on this machine (shard
      SHARD_ID), joined through ``init_method`` (``tcp://host:port``); NCCL on GPUs, gloo on
      CPU.

    Args:
        cfg: validated config.
        init_method: torch.distributed init method for spawned processes.
        func: the task, e.g. ``train`` or ``test``; must be picklable when spawned.
        daemon: spawn daemonic processes.

    Returns:
        ``func``'s result when it ran in this process, else None.
    """
    placement = du.torchrun_placement()
    if placement is not None:
        _check_world(cfg, placement.world_size)
        return _run_distributed(cfg, func, init_method="env://", placement=placement)
    per_shard = processes_per_shard(cfg)
    world = per_shard * cfg.NUM_SHARDS
    _check_world(cfg, world)
    if world == 1:
        return func(cfg)
    logger.info(
        "Starting %d process(es) on shard %d of %d", per_shard, cfg.SHARD_ID, cfg.NUM_SHARDS
    )
    mp.spawn(
        _spawned_worker,
        nprocs=per_shard,
        args=(per_shard, func, init_method, cfg),
        daemon=daemon,
    )
    return None


def check_devices(cfg: CfgNode) -> None:
    """Refuse a NUM_GPUS this machine cannot provide, before any process is started.

    Raises:
        ConfigError: NUM_GPUS exceeds the number of visible CUDA devices.
    """
    available = torch.cuda.device_count()
    if cfg.NUM_GPUS > available:
        raise ConfigError(
            f"NUM_GPUS is {cfg.NUM_GPUS} but this machine has {available} CUDA device(s). "
            f"Set NUM_GPUS {available} on the command line"
            + (" to run on the CPU" if not available else "")
            + " and, if needed, a TRAIN.BATCH_SIZE / TEST.BATCH_SIZE that divides by it."
        )


def run_tasks(cfg: CfgNode) -> None:
    """Train when TRAIN.ENABLE, then test when TEST.ENABLE, in the same processes."""
    from slowfast_microg.engine.tester import test
    from slowfast_microg.engine.trainer import train

    if cfg.TRAIN.ENABLE:
        train(cfg)
        du.barrier()
    if cfg.TEST.ENABLE:
        test(cfg)


def main(argv: Sequence[str] | None = None) -> int:
    """``run_net``: parse ``--cfg``/``--opts``/trailing overrides, then train and/or test.

    Args:
        argv: command-line arguments without the program name (``sys.argv[1:]`` if None).

    Returns:
        0 on success; 2 when the config files or overrides are invalid or ask for more GPUs
        than the machine has (the message, naming the file or key at fault, goes to stderr).
        Errors during the run raise.
    """
    args = parse_args(sys.argv[1:] if argv is None else argv, description=DESCRIPTION)
    try:
        cfg = assert_and_infer_cfg(load_config(args))
        check_devices(cfg)
    except ConfigError as err:
        print(f"run_net: error: {err}", file=sys.stderr)
        return 2
    placement = du.torchrun_placement()
    is_first = placement.rank == 0 if placement is not None else cfg.SHARD_ID == 0
    if is_first:
        ensure_writable(cfg.OUTPUT_DIR)
    setup_logging(cfg.OUTPUT_DIR if is_first else None, rank=0 if is_first else 1)
    if is_first:
        prepare_output_dir(cfg, force=args.force)
        ensure_sample_data(cfg)
    launch_job(cfg, init_method=args.init_method, func=run_tasks)
    return 0
