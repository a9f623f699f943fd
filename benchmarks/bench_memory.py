"""Benchmark: training memory per architecture at the paper's batch, counted on fake tensors.

``python benchmarks/run.py memory [--configs ROW.yaml ...] [--dtypes fp32,fp16,bf16]
[--batch N] [--device-gib 80] [--headroom-gib 2] [--check-real]``

For each ``configs/MicroG`` row (default: the twelve of Table 1) and autocast dtype it counts,
with ``memory_estimate.training_peaks``, the live tensor bytes of two training steps (forward
at DATA.TRAIN_CROP_SIZE, loss, backward, the config's optimiser step) at one clip and at the
paper's clips per GPU (TRAIN.BATCH_SIZE / NUM_GPUS, or ``--batch``), and derives the bytes per
added clip, whether the paper's batch fits one device of ``--device-gib`` with
``--headroom-gib`` left for the CUDA context and workspaces, and the most clips that would.

The counting runs on the CPU, with CUDA's autocast dtypes where the two devices' op lists
differ (``cuda_autocast``).
``--check-real`` also counts one real fp32 step at one clip on the CPU and records that the
fake count equals it. On a CUDA machine (``--device cuda``) every row also runs one real step
at the paper's batch and records ``torch.cuda.max_memory_allocated`` beside the count.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import torch
from memory_estimate import training_peaks
from model_inputs import TABLE1_ROWS, code_version, load_row, per_gpu_batch

from slowfast_microg.models.acceleration import resolve_amp_dtype

DTYPES = {"fp32": None, "fp16": "float16", "bf16": "bfloat16"}
GIB = 2**30


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Suite options."""
    parser.add_argument("--configs", nargs="+", default=list(TABLE1_ROWS))
    parser.add_argument("--dtypes", default="fp32,fp16,bf16")
    parser.add_argument("--batch", type=int, default=None, help="clips per device (paper's)")
    parser.add_argument("--device-gib", type=float, default=80.0)
    parser.add_argument("--headroom-gib", type=float, default=2.0)
    parser.add_argument("--check-real", action="store_true")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])


def _amp_dtype(name: str, device: str) -> torch.dtype | None:
    if name not in DTYPES:
        raise SystemExit(f"--dtypes: unknown dtype {name!r}; choose from {', '.join(DTYPES)}")
    return None if DTYPES[name] is None else resolve_amp_dtype(DTYPES[name], device)


def _cuda_peak(cfg, *, batch: int, amp_dtype: torch.dtype | None) -> dict[str, int]:
    """One real step's counted peak beside ``torch.cuda.max_memory_allocated``."""
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    counted = training_peaks(
        cfg, batch=batch, amp_dtype=amp_dtype, fake=False, device=torch.device("cuda")
    )
    return {
        "counted_peak_bytes": counted["peak_bytes"],
        "max_memory_allocated_bytes": torch.cuda.max_memory_allocated(),
        "max_memory_reserved_bytes": torch.cuda.max_memory_reserved(),
    }


def _row(row: str, *, dtypes: list[str], args: argparse.Namespace) -> dict[str, Any]:
    cfg = load_row(row)
    batch = args.batch or per_gpu_batch(row)
    budget = (args.device_gib - args.headroom_gib) * GIB
    entry: dict[str, Any] = {"clips_per_device": batch, "dtypes": {}}
    for name in dtypes:
        amp_dtype = _amp_dtype(name, args.device)
        print(f"[memory] {row} {name} 1 and {batch} clips", file=sys.stderr)
        one = training_peaks(cfg, batch=1, amp_dtype=amp_dtype)
        full = training_peaks(cfg, batch=batch, amp_dtype=amp_dtype)
        per_clip = (full["peak_bytes"] - one["peak_bytes"]) / max(1, batch - 1)
        result: dict[str, Any] = {
            "one_clip": one,
            "paper_batch": full,
            "per_added_clip_bytes": per_clip,
            "fits": full["peak_bytes"] <= budget,
            "max_clips": 1 + int((budget - one["peak_bytes"]) // per_clip)
            if per_clip > 0
            else None,
        }
        if args.device == "cuda":
            result["cuda"] = _cuda_peak(cfg, batch=batch, amp_dtype=amp_dtype)
        entry["dtypes"][name] = result
    if args.check_real:  # the fp32 one-clip count, if made above, is the one to check
        fp32 = entry["dtypes"].get("fp32")
        fake = fp32["one_clip"] if fp32 else training_peaks(cfg, batch=1, amp_dtype=None)
        real = training_peaks(cfg, batch=1, amp_dtype=None, fake=False)
        entry["real_check_fp32_1clip"] = {"real": real, "fake": fake, "equal": real == fake}
    return entry


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Count every row and dtype; return the figures for the JSON result."""
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device is visible to torch here.")
    dtypes = args.dtypes.split(",")
    return {
        "settings": {
            "device_gib": args.device_gib,
            "headroom_gib": args.headroom_gib,
            "dtypes": dtypes,
            "method": "live tensor storages counted op by op on fake tensors, "
            "autocast on the CPU with CUDA's op lists",
            "code": code_version(),
        },
        "rows": {row: _row(row, dtypes=dtypes, args=args) for row in args.configs},
    }
