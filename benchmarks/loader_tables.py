"""Markdown tables of a ``dataset`` result JSON (the data-loading suite, ``bench_dataset.py``).

Used by ``python benchmarks/model_tables.py <dataset_*.json>``.
"""

from __future__ import annotations

from typing import Any

from common import fmt


def _clips_comment(figures: dict[str, Any]) -> str:
    clips = figures["clips"]
    settings = figures["settings"]
    deviation = (
        f", mean absolute difference from the authors' encoding: mp4 "
        f"{clips['mp4_mean_abs_diff']:.2f}, JPEG {clips['jpeg_mean_abs_diff']:.2f}"
        if "mp4_mean_abs_diff" in clips
        else ""
    )
    keyframes = clips["keyframes_of_first_mp4"]
    shown = ", ".join(str(k) for k in keyframes[:4]) + (", ..." if len(keyframes) > 4 else "")
    return (
        f"<!-- {clips['clips']} clips at {clips['frame_size']}, encoding {clips['encoding']}"
        + (f" (CRF {clips['intra_crf']})" if "intra_crf" in clips else "")
        + f" ({len(keyframes)} keyframe(s) in the first mp4, at {shown}), mean mp4 "
        f"{clips['mp4_bytes_mean'] / 1024:.0f} KiB, mean JPEG {clips['jpeg_bytes_mean'] / 1024:.0f}"
        f" KiB{deviation}; {settings['items']} clips per pass, batch {settings['batch_size']}, "
        f"median of {settings['repeats']} passes, {settings['torch_threads']} torch thread per "
        "process -->"
    )


def rows_table(figures: dict[str, Any]) -> list[str]:
    """Per pattern, transform and workers: JPEG and mp4 ms/clip and the ratio of clips/s."""
    by_key = {
        (row["pattern"], row["transform"], row["workers"], row["layout"]): row
        for row in figures["rows"]
    }
    lines = [
        "| pattern | transform | workers | JPEG ms/clip | mp4 ms/clip | JPEG clips/s "
        "| mp4 clips/s | mp4 / JPEG (clips/s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for ratio in figures["mp4_over_jpeg"]:
        key = (ratio["pattern"], ratio["transform"], ratio["workers"])
        jpeg, mp4 = by_key[(*key, "jpeg")], by_key[(*key, "mp4")]
        lines.append(
            f"| {key[0]} | {key[1]} | {key[2]} | {fmt(jpeg['ms_per_clip'], 1)} "
            f"| {fmt(mp4['ms_per_clip'], 1)} | {fmt(jpeg['clips_per_s'], 1)} "
            f"| {fmt(mp4['clips_per_s'], 1)} | {ratio['mp4_over_jpeg']:.2f} |"
        )
    return lines


def _paired_table(rows: list[dict[str, Any]], *, first: str, second: str, title: str) -> list[str]:
    lines = [
        f"| layout | pattern | transform | {first} ms/clip | {second} ms/clip | {title} |",
        "|---|---|---|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['layout']} | {row['pattern']} | {row['transform']} "
            f"| {fmt(row[f'{first}_ms_per_clip'], 1)} | {fmt(row[f'{second}_ms_per_clip'], 1)} "
            f"| {row[f'speedup_{second}_over_{first}']:.2f}x |"
        )
    return lines


def options_lines(figures: dict[str, Any]) -> list[str]:
    """Persistent workers, prefetch depth, pinned memory and collate, as a list."""
    lines = []
    options = figures.get("loader_options")
    if options:
        persistent = options["persistent_workers"]
        prefetch = options["prefetch_factor"]
        pin = options["pin_memory"]
        lines += [
            f"- persistent workers ({options['workers']} workers, {persistent['epochs']} epochs "
            f"of {options['items_per_epoch']} clips): {fmt(persistent['persistent_s'], 2)} s "
            f"against {fmt(persistent['restart_each_epoch_s'], 2)} s restarting them each "
            f"epoch, {persistent['speedup']:.2f}x;",
            f"- prefetch factor 4 against 2: {fmt(prefetch['4_ms_per_clip'], 1)} against "
            f"{fmt(prefetch['2_ms_per_clip'], 1)} ms/clip, {prefetch['speedup_4_over_2']:.2f}x;",
            "- pinned memory: "
            + (
                f"{pin['reason']}, not measured;"
                if not pin.get("measured")
                else f"{pin['speedup']:.2f}x;"
            ),
        ]
    collate = figures.get("collate")
    if collate:
        lines.append(
            f"- collate of a batch of {collate['batch_size']} items: "
            f"{fmt(collate['2_boxes_per_item_us_per_batch'], 0)} us with 2 boxes per item, "
            f"{fmt(collate['64_boxes_per_item_us_per_batch'], 0)} us with 64 "
            f"({collate['per_box_growth']:.2f}x for 32x the boxes: no per-box Python loop)."
        )
    return lines


def dataset_tables(figures: dict[str, Any]) -> list[str]:
    """Every table of a dataset result: rows, baseline, compare, threads, options."""
    lines = [_clips_comment(figures)]
    if "rows" in figures:
        lines += ["", "Loader rows, JPEG against mp4:", "", *rows_table(figures)]
    baseline = figures.get("baseline")
    if baseline:
        lines += [
            "",
            f"Before (commit {baseline['commit']}) and after the speed-ups, workers 0, "
            "alternating passes in one process:",
            "",
            *_paired_table(baseline["rows"], first="baseline", second="current", title="speed-up"),
        ]
    compare = figures.get("compare")
    if compare:
        lines += [
            "",
            f"With `{' '.join(compare['overrides'])}` against the defaults, workers 0:",
            "",
            *_paired_table(compare["rows"], first="default", second="compare", title="speed-up"),
        ]
    threads = figures.get("threaded_decode")
    if threads:
        lines += [
            "",
            "FFmpeg's threaded decoding (`DATA_LOADER.ENABLE_MULTI_THREAD_DECODE`) against one "
            "thread, workers 0:",
            "",
            *_paired_table(threads, first="single", second="threaded", title="speed-up"),
        ]
    options = options_lines(figures)
    if options:
        lines += ["", *options]
    return lines
