"""torch.distributed helpers that also work, as no-ops, in a single process."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

logger = logging.getLogger(__name__)

TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK")


@dataclass(frozen=True)
class ProcessPlacement:
    """Where this process sits in a distributed job.

    Attributes:
        rank: global rank.
        world_size: number of processes in the job.
        local_rank: index of this process on its machine (its GPU index on GPU runs).
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0


def is_initialized() -> bool:
    """True when a default process group exists."""
    return dist.is_available() and dist.is_initialized()


def get_world_size() -> int:
    """Number of processes of the job (1 without a process group)."""
    return dist.get_world_size() if is_initialized() else 1


def get_rank() -> int:
    """Global rank of this process (0 without a process group)."""
    return dist.get_rank() if is_initialized() else 0


def is_master_proc() -> bool:
    """True on the process that writes files and logs (global rank 0)."""
    return get_rank() == 0


def torchrun_placement() -> ProcessPlacement | None:
    """Placement given by torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK), if any."""
    if not all(name in os.environ for name in TORCHRUN_VARIABLES):
        return None
    return ProcessPlacement(
        rank=int(os.environ["RANK"]),
        world_size=int(os.environ["WORLD_SIZE"]),
        local_rank=int(os.environ["LOCAL_RANK"]),
    )


def init_process_group(
    *, backend: str, init_method: str, placement: ProcessPlacement, use_cuda: bool
) -> None:
    """Join the job's default process group and select this process's GPU.

    Args:
        backend: "nccl" (GPU) or "gloo" (CPU).
        init_method: "tcp://host:port" or "env://".
        placement: rank, world size and local rank of this process.
        use_cuda: select ``cuda:local_rank`` as the current device before joining.
    """
    if use_cuda:
        torch.cuda.set_device(placement.local_rank)
    dist.init_process_group(
        backend=backend,
        init_method=init_method,
        world_size=placement.world_size,
        rank=placement.rank,
    )
    logger.info(
        "Joined process group: rank %d of %d (local rank %d, backend %s, %s)",
        placement.rank,
        placement.world_size,
        placement.local_rank,
        backend,
        init_method,
    )


def destroy_process_group() -> None:
    """Leave the default process group if one exists."""
    if is_initialized():
        dist.destroy_process_group()


def barrier() -> None:
    """Wait for every process (no-op in a single process)."""
    if get_world_size() > 1:
        dist.barrier()


def all_gather_objects(obj: Any) -> list[Any]:
    """Return ``[obj of rank 0, obj of rank 1, ...]``; ``[obj]`` in a single process."""
    world = get_world_size()
    if world == 1:
        return [obj]
    gathered: list[Any] = [None] * world
    dist.all_gather_object(gathered, obj)
    return gathered


def broadcast_object(obj: Any, *, src: int = 0) -> Any:
    """Return rank ``src``'s ``obj`` on every process."""
    if get_world_size() == 1:
        return obj
    holder = [obj]
    dist.broadcast_object_list(holder, src=src)
    return holder[0]


def all_reduce_mean(tensor: torch.Tensor) -> torch.Tensor:
    """Mean of ``tensor`` over processes (a new tensor; the input is left unchanged)."""
    reduced = tensor.detach().clone()
    world = get_world_size()
    if world > 1:
        dist.all_reduce(reduced, op=dist.ReduceOp.SUM)
        reduced /= world
    return reduced
