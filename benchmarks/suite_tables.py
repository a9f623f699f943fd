"""Markdown tables of the inference, eval, data_prep, captions, dataset and memory JSONs.

Used by ``python benchmarks/model_tables.py <result.json> ...``, which dispatches on the
result's suite.
"""

from __future__ import annotations

from typing import Any

from common import fmt
from loader_tables import dataset_tables


def inference_table(figures: dict[str, Any]) -> list[str]:
    """One line per TEST.BATCH_SIZE and flip setting: keyframes/s and ratios."""
    settings = figures["settings"]
    ratios = figures["ratios"]
    lines = [
        f"<!-- {settings['config']} at {settings['test_crop']} px, {settings['keyframes']} "
        f"keyframes / {settings['boxes']} boxes, {settings['threads']} thread(s) -->",
        "| TEST.BATCH_SIZE | TEST.FLIP_ENSEMBLE | forwards | keyframes/s | x per-keyframe "
        "| time x single view | max score diff vs batch 1 |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for name, run in figures["runs"].items():
        flip = "_flip" if run["flip_ensemble"] else ""
        over = ratios.get(f"{name}_over_batch1{flip}", 1.0 if name == f"batch1{flip}" else None)
        views = ratios.get(f"{name}_time_over_single_view")
        lines.append(
            f"| {run['test_batch_size']} | {'on' if flip else 'off'} | {run['forwards']} "
            f"| {fmt(run['keyframes_per_s'], 3)} | {fmt(over)} | {fmt(views)} "
            f"| {run['max_abs_score_difference_vs_batch1']:.1e} |"
        )
    return lines


def eval_table(figures: dict[str, Any]) -> list[str]:
    """Evaluation end to end: ours against the per-image reference loop."""
    lines = [
        "| split | boxes | detection rows | ours s (median) | reference loop s | speed-up "
        "| max mAP diff |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ("fixture_i3d_test", "synthetic_x10"):
        part = figures.get(name)
        if part is None:
            continue
        lines.append(
            f"| {name} | {part['boxes']} | {part['detection_rows']} "
            f"| {fmt(part['ours']['median_s'], 3)} | {fmt(part['baseline']['median_s'])} "
            f"| {fmt(part['speedup_median'], 1)}x "
            f"| {part['abs_diff_ours_vs_baseline']['map']:.1e} |"
        )
    return lines


def data_prep_table(figures: dict[str, Any]) -> list[str]:
    """Clips per minute of each data_prep stage."""
    lines = [
        f"<!-- {figures['sources']} synthetic sources of {figures['source_seconds']} s at "
        f"{figures['source_size']}, detector {figures['detector']}, device "
        f"{figures['device']} -->",
        "| stage | clips | seconds | clips/min | note |",
        "|---|---:|---:|---:|---|",
    ]
    for stage in ("split", "filter", "track", "track_without_cache", "to_ava", "reencode"):
        part = figures.get(stage)
        if part is None:
            continue
        lines.append(
            f"| {stage} | {part['clips']} | {fmt(part['seconds'])} "
            f"| {fmt(part['clips_per_minute'])} | {part.get('note', '')} |"
        )
    return lines


def captions_table(figures: dict[str, Any]) -> list[str]:
    """Seconds per metric for the caption and VQA sets, ours and pycocoevalcap's."""
    lines = [
        f"<!-- {figures['items']['caption']} caption pairs, {figures['items']['vqa']} QA pairs -->",
        "| task | metric | ours s | pycocoevalcap s |",
        "|---|---|---:|---:|",
    ]
    for task in ("caption", "vqa"):
        part = figures.get(task, {})
        ours, theirs = part.get("ours", {}), part.get("pycocoevalcap", {})
        for metric in ("bleu4", "cider", "rouge_l", "meteor_cold", "meteor_warm"):
            key = f"{metric}_s"
            if key in ours:
                lines.append(
                    f"| {task} | {metric} | {fmt(ours[key], 3)} | {fmt(theirs.get(key), 3)} |"
                )
        sbert = part.get("sbert")
        if sbert:
            lines.append(f"| {task} | S-BERT (score) | {fmt(sbert['score_s'])} | – |")
        bert = figures.get("bertscore", {}).get(task)
        if bert:
            lines.append(
                f"| {task} | BERTScore (extrapolated to all pairs) "
                f"| {fmt(bert['extrapolated_full_s'], 0)} | – |"
            )
    return lines


def memory_table(figures: dict[str, Any]) -> list[str]:
    """One line per row and dtype: counted training peaks, bytes per clip, fit and headroom."""
    settings = figures["settings"]
    budget = f"{settings['device_gib']:g} GiB less {settings['headroom_gib']:g}"
    lines = [
        f"<!-- {settings['method']}; fit: peak <= {budget} GiB -->",
        "| config | dtype | clips per GPU | weights + inputs GiB | peak GiB, 1 clip "
        "| peak GiB, paper batch | MiB per added clip | fits | most clips |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for row, entry in figures["rows"].items():
        for dtype, result in entry["dtypes"].items():
            one, full = result["one_clip"], result["paper_batch"]
            cells = [
                str(entry["clips_per_device"]),
                fmt(full["static_bytes"] / 2**30),
                fmt(one["peak_bytes"] / 2**30),
                fmt(full["peak_bytes"] / 2**30),
                fmt(result["per_added_clip_bytes"] / 2**20, 0),
                "yes" if result["fits"] else "no",
                str(result["max_clips"]),
            ]
            lines.append(f"| {row} | {dtype} | {' | '.join(cells)} |")
    return lines


TABLES = {
    "inference": inference_table,
    "eval": eval_table,
    "data_prep": data_prep_table,
    "captions": captions_table,
    "dataset": dataset_tables,
    "memory": memory_table,
}
