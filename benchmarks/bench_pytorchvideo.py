"""Benchmark: our models against PyTorchVideo's builders, same input, dtype, threads and weights.

``python benchmarks/run.py pytorchvideo [--configs ROW.yaml ...] [--device auto|cpu|cuda]
[--dtypes fp32,bf16] [--batch 1] [--repeats 3] [--warmup 1] [--threads N]``

Needs ``pytorchvideo==0.1.5`` (the ``bench`` extra). For each shared row (SlowFast 8x8/4x16,
Slow 8x8/4x16, X3D-S/L, MViTv1-B; ``ptv_builders``) and each comparison (``detection``: whole
detectors, ``backbone``: everything before RoIAlign) it

- copies our weights into PyTorchVideo's network and records the largest output difference
  (eval mode, float32), so the two compute the same function;
- times ``fwd`` (inference at DATA.TEST_CROP_SIZE) and ``fwd_bwd`` (training pass without the
  optimiser update at DATA.TRAIN_CROP_SIZE) of both, alternating ours and theirs repeat by
  repeat, under the same autocast dtype;
- reports ``ours_over_theirs``: our clips/s divided by theirs (above 1: ours is faster), from
  the median wall time and from the median CPU time.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import model_measure as mm
import torch
from bench_models import resolve_device
from model_inputs import code_version, load_row, make_batch
from ptv_builders import PTV_ROWS, Pair, as_ours, build_pairs, call_theirs

from slowfast_microg.models import build_model
from slowfast_microg.models.acceleration import resolve_amp_dtype

DTYPE_NAMES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}
DEFAULT_DTYPES = {"cpu": "fp32", "cuda": "fp32,bf16,fp16"}
INSTALL_HINT = (
    "the pytorchvideo suite needs PyTorchVideo's model builders: "
    "pip install pytorchvideo==0.1.5 (or pip install -e .[bench])"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Suite options."""
    parser.add_argument("--configs", nargs="+", default=list(PTV_ROWS))
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--dtypes", default=None, help="comma-separated fp32,bf16,fp16")
    parser.add_argument("--passes", default="fwd,fwd_bwd")
    parser.add_argument("--comparisons", default="detection,backbone")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--boxes-per-clip", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None)


def _relative_difference(ours: Any, theirs: list[torch.Tensor]) -> float:
    ours = ours if isinstance(ours, (list, tuple)) else [ours]
    worst = 0.0
    for a, b in zip(ours, theirs, strict=True):
        scale = max(1.0, a.abs().max().item())
        worst = max(worst, (a.float() - b.float()).abs().max().item() / scale)
    return worst


def _check_outputs(pair: Pair, cfg, device: torch.device, args) -> float:
    inputs, boxes = make_batch(
        cfg, batch=args.batch, crop=cfg.DATA.TEST_CROP_SIZE, boxes_per_clip=2, device=device
    )
    pair.ours.eval()
    pair.theirs.eval()
    with torch.no_grad():
        ours = pair.ours(list(inputs), boxes)
        theirs = as_ours(pair, call_theirs(pair, inputs, boxes), ours)
    return _relative_difference(ours, theirs)


def _compare_pass(pair: Pair, cfg, *, pass_name: str, amp_dtype, device, args) -> dict:
    crop = cfg.DATA.TEST_CROP_SIZE if pass_name == "fwd" else cfg.DATA.TRAIN_CROP_SIZE
    inputs, boxes = make_batch(
        cfg, batch=args.batch, crop=crop, boxes_per_clip=args.boxes_per_clip, device=device
    )
    make = mm.forward_step if pass_name == "fwd" else mm.train_step
    steps = {
        "ours": make(
            pair.ours, lambda: pair.ours(list(inputs), boxes), device=device, amp_dtype=amp_dtype
        ),
        "theirs": make(
            pair.theirs,
            lambda: call_theirs(pair, inputs, boxes),
            device=device,
            amp_dtype=amp_dtype,
        ),
    }
    timing = mm.time_interleaved(
        steps, device=device, repeats=args.repeats, warmup=args.warmup, clips=args.batch
    )
    ours, theirs = timing["ours"], timing["theirs"]
    return {
        "input": [list(x.shape) for x in inputs],
        "ours": ours,
        "theirs": theirs,
        "ours_over_theirs_wall": ours["clips_per_s_wall"] / theirs["clips_per_s_wall"],
        "ours_over_theirs_cpu": ours["clips_per_s_cpu"] / theirs["clips_per_s_cpu"],
    }


def _bench_row(row: str, *, dtypes: list[str], device: torch.device, args) -> dict[str, Any]:
    cfg = load_row(row)
    torch.manual_seed(0)
    pairs = build_pairs(cfg, build_model(cfg))
    result: dict[str, Any] = {}
    for comparison in args.comparisons.split(","):
        if comparison not in pairs:
            continue
        pair = pairs[comparison]
        pair.ours.to(device)
        pair.theirs.to(device)
        entry: dict[str, Any] = {
            "notes": pair.notes,
            "params_ours": sum(p.numel() for p in pair.ours.parameters()),
            "params_theirs": sum(p.numel() for p in pair.theirs.parameters()),
            "max_relative_output_difference_fp32": _check_outputs(pair, cfg, device, args),
        }
        for dtype in dtypes:
            amp_dtype = resolve_amp_dtype(DTYPE_NAMES[dtype], device)
            for pass_name in args.passes.split(","):
                print(f"[pytorchvideo] {row} {comparison} {dtype} {pass_name}", file=sys.stderr)
                entry[f"{dtype}_{pass_name}"] = _compare_pass(
                    pair, cfg, pass_name=pass_name, amp_dtype=amp_dtype, device=device, args=args
                )
        result[comparison] = entry
        pair.ours.cpu()
        pair.theirs.cpu()
    return result


def _ratio_table(rows: dict[str, dict]) -> dict[str, dict[str, float]]:
    """{row/comparison: {dtype_pass: ours_over_theirs_wall}} for a quick read."""
    table: dict[str, dict[str, float]] = {}
    for row, comparisons in rows.items():
        for comparison, entry in comparisons.items():
            table[f"{row}/{comparison}"] = {
                key: value["ours_over_theirs_wall"]
                for key, value in entry.items()
                if isinstance(value, dict) and "ours_over_theirs_wall" in value
            }
    return table


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the suite; returns the figures written to the result JSON."""
    try:
        import pytorchvideo.models  # noqa: F401
    except ImportError as err:
        raise SystemExit(f"{INSTALL_HINT} ({err})") from err
    code = code_version()  # before the run: the code that is measured
    if args.threads:
        torch.set_num_threads(args.threads)
    device, gpu_note = resolve_device(args.device)
    if args.device == "cuda" and device.type != "cuda":
        return {"gpu": gpu_note}
    dtypes = (args.dtypes or DEFAULT_DTYPES[device.type]).split(",")
    rows = {row: _bench_row(row, dtypes=dtypes, device=device, args=args) for row in args.configs}
    import pytorchvideo

    return {
        "settings": {
            "code": code,
            "device": str(device),
            "gpu": gpu_note,
            "pytorchvideo": pytorchvideo.__version__,
            "dtypes": dtypes,
            "batch": args.batch,
            "boxes_per_clip": args.boxes_per_clip,
            "repeats": args.repeats,
            "warmup": args.warmup,
            "threads": torch.get_num_threads(),
            "fair_comparison": "backbone (all rows: every layer before RoIAlign) and detection "
            "(SlowFast and Slow rows: whole detector with RoI head); weights shared, outputs "
            "checked equal; ours and theirs alternate repeat by repeat",
            "ratio": "ours clips/s / theirs clips/s (> 1: ours faster)",
        },
        "ours_over_theirs_wall": _ratio_table(rows),
        "rows": rows,
    }
