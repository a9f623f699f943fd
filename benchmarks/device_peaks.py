"""Dense peak throughput of common GPUs, to turn measured FLOP/s into a fraction of the peak.

Figures are the vendors' datasheet numbers in TFLOP/s without structured sparsity (tensor-core
TF32/BF16/FP16 for the ``tf32``/``bf16``/``fp16`` columns; ``None`` where the part has no such
tensor-core path). One fvcore "FLOP" is a multiply-add, i.e. two floating-point operations;
:func:`achieved_tflops` applies that factor, and counts a backward pass as twice the forward.
"""

from __future__ import annotations

from typing import Any

import torch

# (name fragment as in torch.cuda.get_device_name, {precision: dense TFLOP/s}); more specific
# fragments first ("H100 PCIe" before "H100", "A100" before "A10", "L40S" before "L4").
PEAK_TFLOPS: tuple[tuple[str, dict[str, float | None]], ...] = (
    ("H100 PCIe", {"fp32": 51.2, "tf32": 378.0, "bf16": 756.0, "fp16": 756.0}),
    ("H100 NVL", {"fp32": 60.0, "tf32": 417.5, "bf16": 835.5, "fp16": 835.5}),
    ("H100", {"fp32": 66.9, "tf32": 494.7, "bf16": 989.4, "fp16": 989.4}),
    ("H200", {"fp32": 66.9, "tf32": 494.7, "bf16": 989.4, "fp16": 989.4}),
    ("A100", {"fp32": 19.5, "tf32": 156.0, "bf16": 312.0, "fp16": 312.0}),
    ("L40S", {"fp32": 91.6, "tf32": 183.0, "bf16": 362.0, "fp16": 362.0}),
    ("L4", {"fp32": 30.3, "tf32": 60.0, "bf16": 121.0, "fp16": 121.0}),
    ("A10", {"fp32": 31.2, "tf32": 62.5, "bf16": 125.0, "fp16": 125.0}),
    ("RTX 4090", {"fp32": 82.6, "tf32": 82.6, "bf16": 165.2, "fp16": 165.2}),
    ("V100", {"fp32": 15.7, "tf32": None, "bf16": None, "fp16": 125.0}),
    ("T4", {"fp32": 8.1, "tf32": None, "bf16": None, "fp16": 65.0}),
)

# Forward + backward costs about three forward passes (two matrix products per weight in the
# backward pass: input gradient and weight gradient).
PASS_FACTOR = {"fwd": 1.0, "fwd_bwd": 3.0}


def device_peaks(name: str) -> dict[str, float | None] | None:
    """The peak table row of a CUDA device name, or None for an unlisted device."""
    for fragment, peaks in PEAK_TFLOPS:
        if fragment in name:
            return peaks
    return None


def precision_key(amp_dtype: torch.dtype | None) -> str:
    """Column of the peak table that bounds a run in ``amp_dtype`` on the current CUDA setup.

    Float32 convolutions run on TF32 tensor cores when ``torch.backends.cudnn.allow_tf32`` is
    set (PyTorch's default), so their bound is the TF32 peak.
    """
    if amp_dtype == torch.bfloat16:
        return "bf16"
    if amp_dtype == torch.float16:
        return "fp16"
    return "tf32" if torch.backends.cudnn.allow_tf32 else "fp32"


def achieved_tflops(*, gflops_per_clip: float, clips_per_s: float, pass_name: str) -> float:
    """Achieved TFLOP/s from fvcore GFLOPs (multiply-adds) per clip and a throughput."""
    return 2.0 * gflops_per_clip * PASS_FACTOR[pass_name] * clips_per_s / 1e3


def fraction_of_peak(
    *, tflops: float, device: torch.device, amp_dtype: torch.dtype | None
) -> dict[str, Any]:
    """Achieved over peak for a CUDA device, or the reason no fraction is given."""
    if device.type != "cuda":
        return {"fraction": None, "reason": "no peak table for CPUs"}
    name = torch.cuda.get_device_name(device)
    peaks = device_peaks(name)
    key = precision_key(amp_dtype)
    if peaks is None or peaks.get(key) is None:
        return {"fraction": None, "reason": f"no {key} peak listed for {name}"}
    return {"fraction": tflops / peaks[key], "peak_tflops": peaks[key], "precision": key}
