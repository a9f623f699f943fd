"""Opt-in model speed-ups: channels_last_3d memory format, autocast (AMP) and torch.compile.

The engine applies them in three steps (``engine.runtime.accelerate_model``)::

    settings = AccelerationSettings.from_cfg(cfg, device=device)
    accelerate_in_place(model, channels_last=settings.channels_last, compile=settings.compile)
    with autocast_context(device, settings.amp_dtype):
        scores = model(to_channels_last(inputs) if settings.channels_last else inputs, boxes)

None of them changes parameter names or shapes: checkpoints are saved exactly as without
acceleration (``unwrap_compiled`` for the wrapper :func:`prepare_model` returns). Agreement with
the float32 contiguous model on the PySlowFast goldens, checked by
``tests/models/test_acceleration.py`` as max|y - y_ref| / max(1, max|y_ref|): channels_last_3d
<= 1e-5, bfloat16 autocast on CPU <= 5e-2 (mean <= 1.5e-2), float16 autocast <= 1e-2,
torch.compile <= 1e-5. ``docs/performance.md`` lists the measured errors and speed-ups.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

import torch
from fvcore.common.config import CfgNode
from torch import nn

from slowfast_microg.config import ConfigError

logger = logging.getLogger(__name__)

AMP_DTYPES: dict[str, torch.dtype | None] = {
    "float32": None,
    "bfloat16": torch.bfloat16,
    "float16": torch.float16,
}
AMP_DTYPE_NAMES = (*AMP_DTYPES, "auto")


def bf16_supported(device: torch.device | str) -> bool:
    """Whether autocast to bfloat16 runs natively on ``device`` (any CPU; CUDA from Ampere on)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return device.type == "cpu"


def resolve_amp_dtype(name: str, device: torch.device | str) -> torch.dtype | None:
    """Map an AMP dtype name to the autocast dtype for ``device``.

    Args:
        name: "float32" (no autocast), "bfloat16", "float16", or "auto": bfloat16 where
            supported, else float16 on CUDA.
        device: the device the model runs on.

    Returns:
        ``torch.bfloat16``, ``torch.float16``, or None for plain float32.

    Raises:
        ValueError: an unknown name, or float16 autocast asked for on a device other than
            CUDA and CPU.
    """
    if name not in AMP_DTYPE_NAMES:
        raise ValueError(f"AMP dtype must be one of {list(AMP_DTYPE_NAMES)}, got {name!r}.")
    device = torch.device(device)
    if name == "auto":
        return torch.bfloat16 if bf16_supported(device) else torch.float16
    dtype = AMP_DTYPES[name]
    if dtype is not None and device.type not in ("cuda", "cpu"):
        raise ValueError(f"autocast to {name} is supported here on cuda and cpu, not {device}.")
    return dtype


def autocast_context(
    device: torch.device | str, dtype: torch.dtype | None
) -> contextlib.AbstractContextManager:
    """Autocast region for ``device`` in ``dtype``; a no-op context for None or float32.

    Inside the region convolutions and matrix products run in ``dtype`` while reductions,
    normalisation statistics and RoIAlign stay in float32 (torch's autocast op lists). Compute
    the loss on ``scores.float()``.
    """
    if dtype is None or dtype == torch.float32:
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=dtype)


def grad_scaler(device: torch.device | str, dtype: torch.dtype | None) -> torch.amp.GradScaler:
    """A loss scaler that is active only for float16 autocast (bfloat16 needs none).

    A disabled scaler's ``scale``, ``step`` and ``update`` pass through unchanged, so a training
    step can use it unconditionally.
    """
    device = torch.device(device)
    return torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)


def to_channels_last(inputs: list[torch.Tensor]) -> list[torch.Tensor]:
    """Return the (B, C, T, H, W) pathway clips in ``torch.channels_last_3d`` memory format."""
    return [
        x.contiguous(memory_format=torch.channels_last_3d) if x.dim() == 5 else x for x in inputs
    ]


def prepare_model(
    model: nn.Module,
    *,
    channels_last: bool = False,
    compile: bool = False,
    compile_mode: str | None = None,
    compile_backend: str = "inductor",
    compile_fullgraph: bool = False,
    device: torch.device | str | None = None,
) -> nn.Module:
    """Move ``model`` to ``device``, change its memory format and compile it, all optional.

    Args:
        model: a model of the registry (or any module).
        channels_last: store every 5-D parameter and buffer (Conv3d weights) in
            ``torch.channels_last_3d``; feed inputs through :func:`to_channels_last` too.
        compile: wrap the model with ``torch.compile``. The first call of each input shape
            compiles (tens of seconds to minutes); later calls reuse the compiled graph.
        compile_mode: ``torch.compile`` mode (None, "default", "reduce-overhead",
            "max-autotune").
        compile_backend: ``torch.compile`` backend ("inductor" generates kernels;
            "aot_eager" traces forward and backward without code generation).
        compile_fullgraph: fail on any graph break instead of falling back to Python.
        device: where to move the model first; None leaves it where it is.

    Returns:
        The model (changed in place) or its compiled wrapper, which shares its parameters;
        :func:`unwrap_compiled` gives back the module whose ``state_dict`` has the usual keys.
    """
    if device is not None:
        model = model.to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last_3d)
    if compile:
        logger.info("Compiling the model (backend %s, mode %s).", compile_backend, compile_mode)
        model = torch.compile(
            model, mode=compile_mode, backend=compile_backend, fullgraph=compile_fullgraph
        )
    return model


def accelerate_in_place(
    model: nn.Module,
    *,
    channels_last: bool = False,
    compile: bool = False,
    compile_backend: str = "inductor",
    compile_mode: str | None = None,
) -> nn.Module:
    """Apply the memory format and ``torch.compile`` to ``model`` itself (the engine's way).

    Unlike :func:`prepare_model`, compiling uses ``nn.Module.compile``: the module compiles its
    own forward, so it stays the object the optimiser, DDP and the checkpointer hold, and its
    ``state_dict`` keys have no ``_orig_mod.`` prefix.

    Args:
        model: a model of the registry (already on its device).
        channels_last: store every 5-D parameter and buffer in ``torch.channels_last_3d``
            (parameters keep their identity, so an optimiser built before still updates them).
        compile: compile the forward (and its backward) on the first call of each input shape.
        compile_backend: ``torch.compile`` backend ("inductor", "aot_eager", ...).
        compile_mode: ``torch.compile`` mode (None = "default").

    Returns:
        ``model``.
    """
    if channels_last:
        model.to(memory_format=torch.channels_last_3d)
    if compile:
        logger.info("Compiling the model (backend %s, mode %s).", compile_backend, compile_mode)
        model.compile(backend=compile_backend, mode=compile_mode)
    return model


def unwrap_compiled(model: nn.Module) -> nn.Module:
    """The original module of a ``torch.compile`` wrapper (``model`` itself otherwise)."""
    return getattr(model, "_orig_mod", model)


@dataclass(frozen=True)
class AccelerationSettings:
    """The speed-up switches of a run.

    Attributes:
        channels_last: use ``torch.channels_last_3d`` for weights and inputs.
        compile: compile the model with ``torch.compile``.
        amp_dtype: autocast dtype, or None for float32.
        compile_backend: the ``torch.compile`` back end.
    """

    channels_last: bool = False
    compile: bool = False
    amp_dtype: torch.dtype | None = None
    compile_backend: str = "inductor"

    @classmethod
    def from_cfg(cls, cfg: CfgNode, *, device: torch.device | str) -> AccelerationSettings:
        """Read TRAIN.CHANNELS_LAST, COMPILE, COMPILE_BACKEND, MIXED_PRECISION and AMP_DTYPE.

        Training, validation and testing of a run use the same settings.

        Autocast is on only on CUDA devices with TRAIN.MIXED_PRECISION true (PySlowFast's
        switch, ignored on CPU as documented for it) and then uses TRAIN.AMP_DTYPE ("auto" =
        bfloat16 where supported, else float16). CPU autocast stays available through
        :func:`autocast_context` directly.

        Raises:
            ConfigError: TRAIN.AMP_DTYPE is not a known name.
        """
        dtype = None
        if cfg.TRAIN.MIXED_PRECISION and torch.device(device).type == "cuda":
            try:
                dtype = resolve_amp_dtype(cfg.TRAIN.AMP_DTYPE, device)
            except ValueError as err:
                raise ConfigError(f"TRAIN.AMP_DTYPE: {err}") from err
        return cls(
            channels_last=bool(cfg.TRAIN.CHANNELS_LAST),
            compile=bool(cfg.TRAIN.COMPILE),
            amp_dtype=dtype,
            compile_backend=str(cfg.TRAIN.COMPILE_BACKEND),
        )
