"""The model zoo's rows: every config under configs/, its model, weights, paper results and
the command that evaluates it.

Sections, in page order: Table 1 (``configs/MicroG/*.yaml``, fine-tuned on MicroG-4M), Table 2
(``MicroG/zero_shot/``, AVA models zero-shot), cross-domain (``JHMDB/``, paper v2 Table 3),
improved (``MicroG/improved/``, not in the paper) and quick start (``MicroG/sample/``).
``Base-*.yaml`` files are shared settings, not rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from fvcore.common.config import CfgNode

from slowfast_microg.config import assert_and_infer_cfg, get_cfg, merge_from_file
from slowfast_microg.evaluation.model_names import name_from_config
from slowfast_microg.hub.runs import AUTHORS_RUNS, AuthorsRun
from slowfast_microg.zoo.commands import evaluation_commands

logger = logging.getLogger(__name__)

# (section title, folder of its configs relative to configs/)
SECTIONS = (
    ("Table 1: fine-tuned on MicroG-4M", "MicroG"),
    ("Table 2: AVA models, zero-shot on MicroG-4M", "MicroG/zero_shot"),
    ("Cross-domain: AVA models, zero-shot on JHMDB-21 (paper v2 Table 3)", "JHMDB"),
    (
        "Improved: RoI scale matched to the feature stride, full SlowFast clips (not in the paper)",
        "MicroG/improved",
    ),
    ("Quick start: the embedded synthetic sample", "MicroG/sample"),
)
PRETRAINED_DIR = "checkpoints/pretrained"


@dataclass(frozen=True)
class ZooEntry:
    """One row of the model zoo.

    Attributes:
        section: the section title.
        config: the config path relative to ``configs/`` (POSIX).
        cfg: the loaded, validated config.
        arch, tc, backbone: the model's name as the paper's tables write it.
        pretrain: file name of TRAIN.CHECKPOINT_FILE_PATH (the Kinetics initialisation), or
            None when the run does not train (zero-shot) or starts from random weights.
        weights: the weights the evaluation command tests: the authors' checkpoint in the
            model repository, a PySlowFast AVA model, or None.
        authors_run: the authors' run for Table 1 rows.
        paper: the paper's results for the row (``paper_results.yaml``), or None.
        commands: shell commands that evaluate (or train and test) the row.
    """

    section: str
    config: str
    cfg: CfgNode
    arch: str | None
    tc: str | None
    backbone: str | None
    pretrain: str | None
    weights: str | None
    authors_run: AuthorsRun | None
    paper: dict[str, Any] | None
    commands: list[str]


def load_config(path: str | Path) -> CfgNode:
    """Merge a config file (with its ``_BASE_`` chain) into the defaults and validate it."""
    cfg = get_cfg()
    merge_from_file(cfg, path)
    return assert_and_infer_cfg(cfg)


def config_files(configs_dir: str | Path) -> list[tuple[str, str]]:
    """(section title, config path relative to ``configs_dir``) of every row, in page order.

    Raises:
        ValueError: a config lies in no section's folder, so the page would leave it out.
    """
    configs_dir = Path(configs_dir)
    rows = []
    for title, folder in SECTIONS:
        for path in sorted((configs_dir / folder).glob("*.yaml")):
            if not path.name.startswith("Base-"):
                rows.append((title, path.relative_to(configs_dir).as_posix()))
    listed = {config for _, config in rows}
    unlisted = sorted(
        path.relative_to(configs_dir).as_posix()
        for path in configs_dir.rglob("*.yaml")
        if not path.name.startswith("Base-")
        and path.relative_to(configs_dir).as_posix() not in listed
    )
    if unlisted:
        raise ValueError(
            f"{', '.join(unlisted)} (under {configs_dir}) lie in no model-zoo section "
            f"({', '.join(folder for _, folder in SECTIONS)}); move them into one or add "
            "their folder to SECTIONS in slowfast_microg/zoo/catalog.py."
        )
    return rows


def read_paper_results(path: str | Path) -> dict[str, dict[str, Any]]:
    """The paper's results per config path (``docs/model_zoo/paper_results.yaml``)."""
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _weights(cfg: CfgNode, run: AuthorsRun | None) -> str | None:
    """The weights a row's evaluation tests (see ``ZooEntry.weights``)."""
    if run is not None:
        return run.checkpoint or f"{run.folder}/"
    if not cfg.TRAIN.ENABLE and cfg.TEST.CHECKPOINT_FILE_PATH:
        path = PurePosixPath(cfg.TEST.CHECKPOINT_FILE_PATH)
        prefix = PurePosixPath(PRETRAINED_DIR)
        return str(path.relative_to(prefix)) if path.is_relative_to(prefix) else path.name
    return None


def build_entries(
    configs_dir: str | Path, paper_results: dict[str, dict[str, Any]]
) -> list[ZooEntry]:
    """Load every config and describe it (see :class:`ZooEntry`).

    Rows follow the section order, then the order of ``paper_results`` (the paper's row
    order), then the config path.
    """
    runs = {run.config: run for run in AUTHORS_RUNS}
    order = {config: index for index, config in enumerate(paper_results)}
    files = config_files(configs_dir)
    sections = [title for title, _ in SECTIONS]
    files.sort(key=lambda row: (sections.index(row[0]), order.get(row[1], len(order)), row[1]))
    entries = []
    for section, config in files:
        cfg = load_config(Path(configs_dir) / config)
        name = name_from_config(cfg)
        run = runs.get(config)
        weights = _weights(cfg, run)
        entries.append(
            ZooEntry(
                section=section,
                config=config,
                cfg=cfg,
                arch=name.arch,
                tc=name.tc,
                backbone=name.backbone,
                pretrain=(
                    PurePosixPath(cfg.TRAIN.CHECKPOINT_FILE_PATH).name
                    if cfg.TRAIN.ENABLE and cfg.TRAIN.CHECKPOINT_FILE_PATH
                    else None
                ),
                weights=weights,
                authors_run=run,
                paper=paper_results.get(config),
                commands=evaluation_commands(config, cfg, run=run),
            )
        )
    return entries
