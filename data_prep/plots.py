"""Plots of the dataset statistics (matplotlib, written as PNG without a display)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

logger = logging.getLogger(__name__)


def _save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_stats(results: dict[str, dict[str, Any]], out_dir: Path) -> list[Path]:
    """Per-class counts, persons per clip and label types, for each subset.

    Args:
        results: ``{subset: subset_stats(...)}`` as computed by ``stats.subset_stats``.
        out_dir: folder for the PNG files.

    Returns:
        The written files.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    order = [a for a, _ in results["all"]["actions"]]
    names = results["all"]["names"]
    fig, ax = plt.subplots(figsize=(10, max(4, 0.22 * len(order))))
    for offset, subset in ((-0.2, "movie"), (0.2, "real")):
        counts = dict(results[subset]["actions"])
        ax.barh(
            [i + offset for i in range(len(order))],
            [counts.get(a, 0) for a in order],
            height=0.4,
            label=subset,
        )
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels([f"{a} {names.get(a, '')}" for a in order], fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("symlog")
    ax.set_xlabel("labels")
    ax.legend()
    ax.set_title("Labels per action class")
    written.append(out_dir / "action_counts.png")
    _save(fig, written[-1])

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    width = 0.27
    for i, subset in enumerate(("all", "movie", "real")):
        persons = dict(results[subset]["persons_per_clip"])
        keys = sorted(persons)
        axes[0].bar(
            [k + (i - 1) * width for k in keys], [persons[k] for k in keys], width, label=subset
        )
        types = dict(results[subset]["label_types"])
        tkeys = sorted(types)
        axes[1].bar(
            [j + (i - 1) * width for j in range(len(tkeys))],
            [types[t] for t in tkeys],
            width,
            label=subset,
        )
        axes[1].set_xticks(range(len(tkeys)))
        axes[1].set_xticklabels([t.replace("_", "\n") for t in tkeys], fontsize=8)
    axes[0].set_xlabel("persons per clip")
    axes[0].set_ylabel("clips")
    axes[0].set_yscale("log")
    axes[1].set_ylabel("labels")
    for ax in axes:
        ax.legend()
    written.append(out_dir / "persons_and_label_types.png")
    _save(fig, written[-1])
    return written
