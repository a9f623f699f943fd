"""Per-process setup of a run: device, seeds, determinism, precision and model wrapping."""

from __future__ import annotations

import logging
import os
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from fvcore.common.config import CfgNode
from torch import nn

from slowfast_microg.engine.run_folder import ensure_writable
from slowfast_microg.models.acceleration import AccelerationSettings, accelerate_in_place
from slowfast_microg.utils import distributed as du
from slowfast_microg.utils.logging import setup_logging

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    """What a process needs to know about where and how it runs.

    Attributes:
        device: ``cuda:<local rank>`` on GPU runs, else ``cpu``.
        rank: global rank.
        world_size: number of processes.
        output_dir: the run folder (OUTPUT_DIR).
        autocast_dtype: TRAIN.AMP_DTYPE under TRAIN.MIXED_PRECISION on GPU, else None.
        show_progress: draw progress bars (main process, PROGRESS_BAR).
        channels_last: feed clips in ``torch.channels_last_3d`` (TRAIN.CHANNELS_LAST).
        compile_backend: TRAIN.COMPILE_BACKEND when TRAIN.COMPILE, else None.
    """

    device: torch.device
    rank: int
    world_size: int
    output_dir: Path
    autocast_dtype: torch.dtype | None
    show_progress: bool
    channels_last: bool = False
    compile_backend: str | None = None

    @property
    def is_master(self) -> bool:
        """True on the process that writes files."""
        return self.rank == 0

    @property
    def use_cuda(self) -> bool:
        """True on GPU runs."""
        return self.device.type == "cuda"


def acceleration_settings(cfg: CfgNode, device: torch.device) -> AccelerationSettings:
    """The run's speed-ups (TRAIN.MIXED_PRECISION/AMP_DTYPE/CHANNELS_LAST/COMPILE), logged."""
    if cfg.TRAIN.MIXED_PRECISION and device.type != "cuda":
        logger.info("TRAIN.MIXED_PRECISION applies to GPU runs only; this CPU run uses fp32.")
    settings = AccelerationSettings.from_cfg(cfg, device=device)
    if settings.amp_dtype is not None:
        logger.info("Mixed precision: autocast to %s", settings.amp_dtype)
    return settings


def accelerate_model(model: nn.Module, runtime: Runtime) -> nn.Module:
    """TRAIN.CHANNELS_LAST and TRAIN.COMPILE applied to ``model`` in place (before DDP).

    The model keeps its identity and ``state_dict`` keys, so optimisers, checkpoints and DDP
    see it as without acceleration.
    """
    if runtime.channels_last:
        logger.info("TRAIN.CHANNELS_LAST: weights and clips in channels_last_3d")
    return accelerate_in_place(
        model,
        channels_last=runtime.channels_last,
        compile=runtime.compile_backend is not None,
        compile_backend=runtime.compile_backend or "inductor",
    )


def _set_determinism(enabled: bool) -> None:
    if not enabled:
        return
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True


def setup_runtime(cfg: CfgNode) -> Runtime:
    """Configure logging, device, seeds and determinism for this process.

    Every process seeds Python, numpy and torch with ``RNG_SEED + rank`` (rank 0 therefore
    initialises the model as a single-process run does; DDP copies rank 0's weights).
    """
    rank, world = du.get_rank(), du.get_world_size()
    if rank == 0:
        ensure_writable(cfg.OUTPUT_DIR)
    setup_logging(cfg.OUTPUT_DIR, rank=rank)
    use_cuda = cfg.NUM_GPUS > 0
    if use_cuda and not torch.cuda.is_available():
        raise RuntimeError(
            f"NUM_GPUS is {cfg.NUM_GPUS} but no CUDA device is available; set NUM_GPUS 0 to "
            "run on the CPU."
        )
    device = torch.device("cuda", torch.cuda.current_device()) if use_cuda else torch.device("cpu")
    backend = f", backend {torch.distributed.get_backend()}" if du.is_initialized() else ""
    logger.info("Process %d of %d, device %s%s", rank, world, device, backend)
    seed = cfg.RNG_SEED + rank
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    _set_determinism(cfg.DETERMINISTIC)
    settings = acceleration_settings(cfg, device)
    return Runtime(
        device=device,
        rank=rank,
        world_size=world,
        output_dir=Path(cfg.OUTPUT_DIR),
        autocast_dtype=settings.amp_dtype,
        show_progress=cfg.PROGRESS_BAR and rank == 0,
        channels_last=settings.channels_last,
        compile_backend=settings.compile_backend if settings.compile else None,
    )


def batchnorm_modules(model: nn.Module) -> list[nn.Module]:
    """Every BatchNorm layer of ``model``."""
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def freeze_batchnorm(model: nn.Module) -> int:
    """Stop gradients to BatchNorm affine parameters (MODEL.FROZEN_BN); return layer count.

    Running statistics are frozen by ``set_train_mode``.
    """
    layers = batchnorm_modules(model)
    for layer in layers:
        for param in layer.parameters(recurse=False):
            param.requires_grad_(False)
    logger.info("MODEL.FROZEN_BN: %d BatchNorm layer(s) frozen", len(layers))
    return len(layers)


def set_train_mode(model: nn.Module, *, frozen_bn: bool) -> None:
    """``model.train()``, keeping BatchNorm layers in eval mode when ``frozen_bn``."""
    model.train()
    if frozen_bn:
        for layer in batchnorm_modules(model):
            layer.eval()


def revert_sync_batchnorm(model: nn.Module) -> nn.Module:
    """Replace every ``SyncBatchNorm`` of ``model`` by a per-process ``BatchNorm3d``, in place.

    The new layers share the old ones' parameter and buffer tensors, so an optimiser built
    before keeps updating them. Returns ``model`` (or the new layer when ``model`` is one).
    """
    if isinstance(model, nn.SyncBatchNorm):
        plain = nn.BatchNorm3d(
            model.num_features,
            eps=model.eps,
            momentum=model.momentum,
            affine=model.affine,
            track_running_stats=model.track_running_stats,
        )
        if model.affine:
            plain.weight, plain.bias = model.weight, model.bias
        plain.running_mean = model.running_mean
        plain.running_var = model.running_var
        plain.num_batches_tracked = model.num_batches_tracked
        plain.train(model.training)
        return plain
    for name, child in model.named_children():
        replaced = revert_sync_batchnorm(child)
        if replaced is not child:
            setattr(model, name, replaced)
    return model


def _prepare_sync_batchnorm(model: nn.Module, cfg: CfgNode, runtime: Runtime) -> nn.Module:
    """SyncBN over all processes (BN.GLOBAL_SYNC) or groups of BN.NUM_SYNC_DEVICES.

    The model builders create ``SyncBatchNorm`` layers for ``BN.NORM_TYPE sync_batchnorm``;
    where nothing is to be synchronised (CPU runs, which torch's SyncBatchNorm does not
    support, or groups of one process) they become per-process BatchNorm again.
    """
    if not runtime.use_cuda:
        logger.warning(
            "BN.NORM_TYPE sync_batchnorm needs GPUs; this CPU run normalises each process's "
            "batch on its own (plain BatchNorm)."
        )
        return revert_sync_batchnorm(model)
    group = None
    if not cfg.BN.GLOBAL_SYNC:
        if cfg.BN.NUM_SYNC_DEVICES <= 1:
            logger.warning(
                "BN.NORM_TYPE sync_batchnorm with BN.NUM_SYNC_DEVICES %d and GLOBAL_SYNC false "
                "synchronises nothing; each process normalises its own batch.",
                cfg.BN.NUM_SYNC_DEVICES,
            )
            return revert_sync_batchnorm(model)
        group, _ = torch.distributed.new_subgroups(group_size=cfg.BN.NUM_SYNC_DEVICES)
    logger.info(
        "BatchNorm layers synchronised over %s",
        "all processes" if group is None else f"groups of {cfg.BN.NUM_SYNC_DEVICES} processes",
    )
    return nn.SyncBatchNorm.convert_sync_batchnorm(model, process_group=group)


def wrap_distributed(model: nn.Module, cfg: CfgNode, runtime: Runtime) -> nn.Module:
    """DistributedDataParallel (with SyncBN / fp16 all-reduce when asked) for >1 process."""
    if runtime.world_size == 1:
        return model
    if cfg.BN.NORM_TYPE == "sync_batchnorm":
        model = _prepare_sync_batchnorm(model, cfg, runtime)
    device_ids = [runtime.device.index] if runtime.use_cuda else None
    wrapped = nn.parallel.DistributedDataParallel(
        model,
        device_ids=device_ids,
        output_device=device_ids[0] if device_ids else None,
        find_unused_parameters=cfg.MODEL.DETACH_FINAL_FC,
    )
    if cfg.MODEL.FP16_ALLREDUCE:
        from torch.distributed.algorithms.ddp_comm_hooks import default_hooks

        wrapped.register_comm_hook(state=None, hook=default_hooks.fp16_compress_hook)
    return wrapped
