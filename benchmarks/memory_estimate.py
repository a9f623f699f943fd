"""Peak tensor memory of training steps, counted op by op (on fake tensors: no device, no compute).

A device's allocator holds at least every tensor storage that is alive at once. ``LiveBytes``
follows each storage the operators create until Python frees it and keeps the largest total:
what ``torch.cuda.max_memory_allocated`` reports on a GPU, less the allocator's rounding,
cuDNN workspaces and the CUDA context. Under ``FakeTensorMode`` the same count needs neither
the memory nor the time of the real step, so a paper-sized batch can be sized on any machine.
Autocast on the CPU follows CUDA's op lists (``cuda_autocast``) unless told otherwise.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterable
from typing import Any

import torch
from cuda_autocast import CudaAutocastOnCpu
from fvcore.common.config import CfgNode
from model_inputs import make_batch
from model_measure import scalar_loss
from torch import nn
from torch._subclasses.fake_tensor import FakeTensorMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from slowfast_microg.engine.optimizer import construct_optimizer
from slowfast_microg.models import build_model
from slowfast_microg.models.acceleration import autocast_context

CPU = torch.device("cpu")


class LiveBytes(TorchDispatchMode):
    """Counts the bytes of every live tensor storage and keeps their peak.

    Storages made by operators inside the mode are counted when created (views and in-place
    results add nothing new) and released by a weak-reference callback when freed; tensors
    made before the mode (weights, inputs) are added with :meth:`track`.
    """

    def __init__(self) -> None:
        """Start at zero bytes."""
        super().__init__()
        self.live_bytes = 0
        self.peak_bytes = 0
        self._storages: dict[int, weakref.ref] = {}

    def track(self, tensors: Iterable[Any]) -> None:
        """Count the storages of ``tensors`` (non-tensors are skipped) not counted yet."""
        for tensor in tensors:
            if isinstance(tensor, torch.Tensor):
                self._add(tensor.untyped_storage())

    def reset_peak(self) -> None:
        """Restart the peak from the bytes alive now."""
        self.peak_bytes = self.live_bytes

    def _add(self, storage: torch.UntypedStorage) -> None:
        key = storage._cdata
        if key in self._storages:
            return
        size = storage.nbytes()
        self._storages[key] = weakref.ref(storage, lambda _ref: self._release(key, size))
        self.live_bytes += size
        self.peak_bytes = max(self.peak_bytes, self.live_bytes)

    def _release(self, key: int, size: int) -> None:
        if self._storages.pop(key, None) is not None:
            self.live_bytes -= size

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        """Run the operator, then count its outputs' storages."""
        output = func(*args, **(kwargs or {}))
        self.track(tree_leaves(output))
        return output


def _fake_weights(model: nn.Module, *, mode: FakeTensorMode) -> None:
    """Replace every parameter and buffer of ``model`` by a fake tensor of the same layout."""
    replaced: dict[int, nn.Parameter] = {}
    for module in model.modules():
        for name, param in module._parameters.items():
            if param is not None:
                if id(param) not in replaced:
                    fake = mode.from_tensor(param).detach()
                    replaced[id(param)] = nn.Parameter(fake, requires_grad=param.requires_grad)
                module._parameters[name] = replaced[id(param)]
        for name, buffer in module._buffers.items():
            if buffer is not None:
                module._buffers[name] = mode.from_tensor(buffer)


def _policy(device: torch.device, cuda_autocast: bool) -> contextlib.AbstractContextManager:
    if device.type == "cpu" and cuda_autocast:
        return CudaAutocastOnCpu()
    return contextlib.nullcontext()


def training_peaks(
    cfg: CfgNode,
    *,
    batch: int,
    amp_dtype: torch.dtype | None,
    fake: bool = True,
    device: torch.device = CPU,
    cuda_autocast: bool = True,
    steps: int = 2,
    boxes_per_clip: int = 2,
) -> dict[str, int]:
    """Live tensor bytes over ``steps`` training steps of ``cfg``'s model.

    Each step: gradients set to None, forward under autocast (``amp_dtype``; None for fp32) on
    ``batch`` clips (B, 3, T_p, TRAIN_CROP_SIZE, TRAIN_CROP_SIZE) with ``boxes_per_clip`` boxes
    each, the benchmark's loss, backward, the config's optimiser step. From the second step
    on, the optimiser's state is alive during the backward pass, as in a long run.

    Args:
        cfg: a validated config (``model_inputs.load_row``).
        batch: clips per step.
        amp_dtype: autocast dtype (torch.float16 / torch.bfloat16) or None.
        fake: count on fake tensors (no memory, no compute); False runs the real step.
        device: where the real step runs; fake counting runs on the CPU only.
        cuda_autocast: on the CPU, give the ops whose autocast dtype differs between the two
            devices CUDA's dtype (``cuda_autocast.CudaAutocastOnCpu``); False keeps the CPU's.
        steps: training steps counted.
        boxes_per_clip: person boxes per clip.

    Raises:
        ValueError: fake counting asked for a device other than the CPU.

    Returns:
        ``{"static_bytes"}`` (weights, buffers and the input batch), ``{"peak_bytes"}``
        (largest live total over the steps, static included), ``{"after_step_bytes"}``
        (alive after the last step: static, gradients and optimiser state).
    """
    if fake and device.type != "cpu":
        raise ValueError(f"fake counting runs on the CPU (its autocast op lists), not {device}.")
    torch.manual_seed(0)
    model = build_model(cfg).to(device).train()
    mode = FakeTensorMode() if fake else None
    with mode or contextlib.nullcontext():
        if mode is not None:
            _fake_weights(model, mode=mode)
        inputs, boxes = make_batch(
            cfg,
            batch=batch,
            crop=cfg.DATA.TRAIN_CROP_SIZE,
            boxes_per_clip=boxes_per_clip,
            device=device,
        )
        optimizer = construct_optimizer(model, cfg)
        counter = LiveBytes()
        with counter:
            counter.track([*model.parameters(), *model.buffers(), *inputs, boxes])
            static = counter.live_bytes
            for _ in range(steps):
                optimizer.zero_grad(set_to_none=True)
                with autocast_context(device, amp_dtype), _policy(device, cuda_autocast):
                    output = model(list(inputs), boxes)
                scalar_loss(output).backward()
                optimizer.step()
                del output
    return {
        "static_bytes": static,
        "peak_bytes": counter.peak_bytes,
        "after_step_bytes": counter.live_bytes,
    }
