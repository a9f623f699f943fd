"""Benchmark: our models' throughput, peak memory and FLOP rate per architecture and mode.

``python benchmarks/run.py models [--configs ROW.yaml ...] [--device auto|cpu|cuda]
[--modes fp32,channels_last,bf16,...] [--batch 1] [--repeats 3] [--warmup 1] [--threads N]``

For each ``configs/MicroG`` row (default: the twelve of Table 1 and the two zero-shot rows of
Table 2) and each mode:

- ``fwd``: inference (eval mode, ``no_grad``) at the paper's test input (DATA.NUM_FRAMES
  frames of DATA.TEST_CROP_SIZE pixels), clips/s from the median wall and CPU time;
- ``fwd_bwd``: a training pass without the optimiser update (train mode, forward, BCE loss on
  fixed targets, backward) at DATA.TRAIN_CROP_SIZE;
- peak memory of one pass beyond the weights (per clip), achieved TFLOP/s from fvcore's
  FLOPs per clip (``complexity.model_flops``) and, on a listed GPU, the fraction of its peak;
- the speed-up of every mode over ``fp32`` (eager, contiguous) and, for training, whether the
  paper's clips per GPU (TRAIN.BATCH_SIZE / NUM_GPUS) fit in 80 GB.

Modes combine ``slowfast_microg.models.acceleration``'s switches: ``fp32``, ``channels_last``,
``bf16``, ``fp16``, ``bf16_channels_last``, ``fp16_channels_last``, ``compile``,
``bf16_channels_last_compile``. Without a GPU the CUDA figures are recorded as not run.

Each row and mode runs in a child process (``isolated.run_isolated``): a crash (such as a
vendor kernel's segmentation fault) or a run past ``--mode-timeout`` seconds becomes that
mode's ``error`` and the suite goes on; ``--in-process`` measures in the suite's own process.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

import model_measure as mm
import torch
from device_peaks import achieved_tflops, fraction_of_peak
from isolated import run_isolated
from model_inputs import (
    TABLE1_ROWS,
    TABLE2_ROWS,
    code_version,
    load_row,
    make_batch,
    per_gpu_batch,
)

from slowfast_microg.models import build_model
from slowfast_microg.models.acceleration import prepare_model, to_channels_last
from slowfast_microg.models.complexity import model_flops, params_count

GPU_MEMORY_BYTES = 80e9


@dataclass(frozen=True)
class Mode:
    """One combination of the acceleration switches."""

    channels_last: bool = False
    amp_dtype: torch.dtype | None = None
    compile: bool = False


MODES = {
    "fp32": Mode(),
    "channels_last": Mode(channels_last=True),
    "bf16": Mode(amp_dtype=torch.bfloat16),
    "fp16": Mode(amp_dtype=torch.float16),
    "bf16_channels_last": Mode(channels_last=True, amp_dtype=torch.bfloat16),
    "fp16_channels_last": Mode(channels_last=True, amp_dtype=torch.float16),
    "compile": Mode(compile=True),
    "bf16_channels_last_compile": Mode(channels_last=True, amp_dtype=torch.bfloat16, compile=True),
}
DEFAULT_MODES = {
    "cpu": "fp32,channels_last,bf16,bf16_channels_last",
    "cuda": "fp32,channels_last,bf16,fp16,bf16_channels_last,compile,bf16_channels_last_compile",
}
PASSES = ("fwd", "fwd_bwd")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Suite options."""
    parser.add_argument("--configs", nargs="+", default=[*TABLE1_ROWS, *TABLE2_ROWS])
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--modes", default=None, help="comma-separated; default per device")
    parser.add_argument("--passes", default=",".join(PASSES))
    parser.add_argument("--batch", type=int, default=1, help="clips per pass")
    parser.add_argument("--boxes-per-clip", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument(
        "--mode-timeout", type=float, default=1800.0, help="seconds per row and mode (child)"
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="measure in this process instead of one child per row and mode",
    )


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _pass_step(cfg, model, mode: Mode, *, pass_name: str, batch: int, device, args):
    """(step, inputs, boxes) for one pass of ``batch`` clips at the pass's crop size."""
    crop = cfg.DATA.TEST_CROP_SIZE if pass_name == "fwd" else cfg.DATA.TRAIN_CROP_SIZE
    inputs, boxes = make_batch(
        cfg, batch=batch, crop=crop, boxes_per_clip=args.boxes_per_clip, device=device
    )
    if mode.channels_last:
        inputs = to_channels_last(inputs)

    def call() -> torch.Tensor:
        return model(list(inputs), boxes)

    make = mm.forward_step if pass_name == "fwd" else mm.train_step
    return make(model, call, device=device, amp_dtype=mode.amp_dtype), inputs, boxes


def _measure_pass(
    cfg, model, mode: Mode, *, pass_name: str, device: torch.device, args, gflops: float
) -> dict[str, Any]:
    step, inputs, boxes = _pass_step(
        cfg, model, mode, pass_name=pass_name, batch=args.batch, device=device, args=args
    )
    timing = mm.time_step(
        step, device=device, repeats=args.repeats, warmup=args.warmup, clips=args.batch
    )
    rate = timing["clips_per_s_wall"]
    tflops = achieved_tflops(gflops_per_clip=gflops, clips_per_s=rate, pass_name=pass_name)
    memory = mm.peak_memory(step, device=device, clips=args.batch)
    if pass_name == "fwd_bwd" and "peak_extra_bytes" in memory:
        bigger, _, _ = _pass_step(
            cfg, model, mode, pass_name=pass_name, batch=args.batch + 1, device=device, args=args
        )
        if mode.compile:
            bigger()  # compile the new input shape outside the measured pass
        more = mm.peak_memory(bigger, device=device, clips=args.batch + 1)
        if "peak_extra_bytes" in more:
            memory["per_added_clip_bytes"] = more["peak_extra_bytes"] - memory["peak_extra_bytes"]
    return {
        "input": {"pathways": [list(x.shape) for x in inputs], "boxes": int(boxes.shape[0])},
        "timing": timing,
        "memory": memory,
        "achieved_tflops_wall": tflops,
        "peak": fraction_of_peak(tflops=tflops, device=device, amp_dtype=mode.amp_dtype),
    }


def _flops(cfg, model) -> dict[str, float]:
    """fvcore GFLOPs per clip at the test crop (fwd) and at the training crop (fwd_bwd)."""
    train_cfg = cfg.clone()
    train_cfg.defrost()
    train_cfg.DATA.TEST_CROP_SIZE = cfg.DATA.TRAIN_CROP_SIZE
    return {"fwd": model_flops(cfg, model=model), "fwd_bwd": model_flops(train_cfg, model=model)}


def _memory_fit(row: str, params: int, result: dict[str, Any], device: torch.device) -> dict:
    """Projected training memory for the paper's clips per GPU.

    Peak of one training pass at ``--batch`` clips (gradients and activations), plus the
    measured growth per added clip times the remaining clips, plus the weights and two
    optimiser states (AdamW; SGD with momentum needs one) in float32.
    """
    share = per_gpu_batch(row)
    memory = result["memory"]
    if "per_added_clip_bytes" not in memory:
        return {"clips_per_gpu": share, "not_measured": memory.get("not_measured", "no slope")}
    batch = result["input"]["pathways"][0][0]
    slope = max(0, memory["per_added_clip_bytes"])
    projected = params * 4 * 3 + memory["peak_extra_bytes"] + slope * max(0, share - batch)
    return {
        "clips_per_gpu": share,
        "projected_bytes": projected,
        "fits_80GB": projected <= GPU_MEMORY_BYTES,
        "basis": "measured on GPU"
        if device.type == "cuda"
        else "estimate from CPU peak RSS (no GPU in this run)",
    }


def measure_mode(
    row: str,
    name: str,
    *,
    passes: list[str],
    device: str,
    args: argparse.Namespace,
    flops: dict[str, float],
    params: int,
) -> dict[str, Any]:
    """Every pass of ``row`` in mode ``name``, on the weights of the row's seed-0 model.

    Module-level so that :func:`isolated.run_isolated` can run it in a child process.
    """
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_row(row)
    mode = MODES[name]
    target = torch.device(device)
    torch.manual_seed(0)
    model = prepare_model(
        build_model(cfg), channels_last=mode.channels_last, compile=mode.compile, device=target
    )
    entry: dict[str, Any] = {}
    for pass_name in passes:
        entry[pass_name] = _measure_pass(
            cfg,
            model,
            mode,
            pass_name=pass_name,
            device=target,
            args=args,
            gflops=flops[pass_name],
        )
    if "fwd_bwd" in entry:
        entry["fwd_bwd"]["memory_fit"] = _memory_fit(row, params, entry["fwd_bwd"], target)
    return entry


def _mode_entry(row: str, name: str, *, args: argparse.Namespace, **kwargs: Any) -> dict:
    """:func:`measure_mode` in a child process (or in this one with ``--in-process``); a
    failure, crash or time-out becomes the mode's ``error``."""
    if args.in_process:
        try:
            return measure_mode(row, name, args=args, **kwargs)
        except (RuntimeError, NotImplementedError) as err:
            return {"error": f"{type(err).__name__}: {err}"}
    outcome = run_isolated(
        measure_mode, args=(row, name), kwargs={"args": args, **kwargs}, timeout_s=args.mode_timeout
    )
    return outcome.value if outcome.error is None else {"error": outcome.error}


def _bench_row(row: str, *, modes: list[str], passes: list[str], device, args) -> dict:
    cfg = load_row(row)
    torch.manual_seed(0)
    reference = build_model(cfg)
    flops = _flops(cfg, reference)
    params = params_count(reference)
    del reference
    out: dict[str, Any] = {"params": params, "gflops_per_clip": flops, "modes": {}}
    for name in modes:
        _progress(f"[models] {row} {name}")
        out["modes"][name] = _mode_entry(
            row, name, args=args, passes=passes, device=str(device), flops=flops, params=params
        )
    out["speedup_vs_fp32"] = _speedups(out["modes"], passes)
    return out


def _speedups(modes: dict[str, dict], passes: list[str]) -> dict[str, dict[str, float]]:
    """Wall and CPU clips/s of every mode over fp32 eager, per pass."""
    base = modes.get("fp32", {})
    result: dict[str, dict[str, float]] = {}
    for name, entry in modes.items():
        for pass_name in passes:
            if pass_name in entry and pass_name in base:
                ours, ref = entry[pass_name]["timing"], base[pass_name]["timing"]
                result.setdefault(name, {})[f"{pass_name}_wall"] = (
                    ours["clips_per_s_wall"] / ref["clips_per_s_wall"]
                )
                result[name][f"{pass_name}_cpu"] = ours["clips_per_s_cpu"] / ref["clips_per_s_cpu"]
    return result


def resolve_device(name: str) -> tuple[torch.device, str]:
    """The device to run on and what became of the GPU figures ("not run: ..." or its name)."""
    if name == "cpu":
        return torch.device("cpu"), "not run: --device cpu"
    if not torch.cuda.is_available():
        return torch.device("cpu"), "not run: no GPU"
    device = torch.device("cuda")
    return device, torch.cuda.get_device_name(device)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the suite; returns the figures written to the result JSON."""
    code = code_version()  # before the run: the code that is measured
    if args.threads:
        torch.set_num_threads(args.threads)
    device, gpu_note = resolve_device(args.device)
    if args.device == "cuda" and device.type != "cuda":
        return {"gpu": gpu_note}
    modes = (args.modes or DEFAULT_MODES[device.type]).split(",")
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise SystemExit(f"unknown mode(s) {unknown}; choose from {sorted(MODES)}")
    passes = args.passes.split(",")
    rows = {
        row: _bench_row(row, modes=modes, passes=passes, device=device, args=args)
        for row in args.configs
    }
    return {
        "settings": {
            "code": code,
            "device": str(device),
            "gpu": gpu_note,
            "modes": modes,
            "passes": passes,
            "batch": args.batch,
            "boxes_per_clip": args.boxes_per_clip,
            "repeats": args.repeats,
            "warmup": args.warmup,
            "threads": torch.get_num_threads(),
            "flops_convention": "fvcore multiply-adds; achieved TFLOP/s = 2 x GFLOPs x "
            "(1 fwd, 3 fwd_bwd) x clips/s / 1000",
            "fwd_input": "DATA.TEST_CROP_SIZE",
            "fwd_bwd_input": "DATA.TRAIN_CROP_SIZE",
        },
        "rows": rows,
    }
