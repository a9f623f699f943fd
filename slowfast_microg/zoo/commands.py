"""The shell commands the model zoo page gives for each config.

Evaluation runs write to ``output/zoo/<config path without .yaml>``; ``make_model_zoo.py
--results output/zoo`` reads them back. The authors' checkpoints were trained on frames read
one stamp late (``MICROG.AUTHORS_FRAME_OFFSET``), so their evaluation commands set that switch;
the paper's zero-shot MicroG-4M runs used the same loader.
"""

from __future__ import annotations

import logging
from pathlib import PurePosixPath

from fvcore.common.config import CfgNode

from slowfast_microg.hub.presets import MODELS
from slowfast_microg.hub.runs import AuthorsRun

logger = logging.getLogger(__name__)

DEST = "data"
RESULTS_ROOT = "output/zoo"
CHECKPOINT_VARIABLE = "$CHECKPOINT"


def results_dir(config: str) -> str:
    """Where the zoo's command for ``config`` writes its run folder."""
    return f"{RESULTS_ROOT}/{PurePosixPath(config).with_suffix('')}"


def _run_net(config: str, *overrides: str) -> str:
    return " ".join(
        ["python tools/run_net.py --cfg", f"configs/{config}", *overrides]
        + ["OUTPUT_DIR", results_dir(config)]
    )


def evaluation_commands(config: str, cfg: CfgNode, *, run: AuthorsRun | None) -> list[str]:
    """Commands (and ``#`` comment lines) that evaluate ``config``'s model.

    Args:
        config: config path relative to ``configs/``.
        cfg: the loaded config.
        run: the authors' fine-tuned run for Table 1 configs, else None.
    """
    if run is not None:
        model = PurePosixPath(config).stem
        lines = [f"python tools/download.py --what checkpoints --model {model} --dest {DEST}"]
        if run.checkpoint is None:
            lines.append(
                f"# the tested epoch is not recorded: set CHECKPOINT to a file of "
                f"{DEST}/{MODELS.folder}/{run.folder}/"
            )
            checkpoint = CHECKPOINT_VARIABLE
        else:
            checkpoint = f"{DEST}/{MODELS.folder}/{run.checkpoint}"
        lines.append(
            _run_net(
                config,
                "TRAIN.ENABLE False",
                "MICROG.AUTHORS_FRAME_OFFSET True",
                f"TEST.CHECKPOINT_FILE_PATH {checkpoint}",
            )
        )
        return lines
    if cfg.TEST.DATASET == "jhmdb":
        return [
            f"# PySlowFast model-zoo file {cfg.TEST.CHECKPOINT_FILE_PATH}; the JHMDB-21 release "
            f"in {cfg.DATA.PATH_TO_DATA_DIR}",
            _run_net(config),
        ]
    if not cfg.TRAIN.ENABLE:
        return [
            f"# PySlowFast model-zoo file {cfg.TEST.CHECKPOINT_FILE_PATH}",
            _run_net(config, "MICROG.AUTHORS_FRAME_OFFSET True"),
        ]
    if cfg.MICROG.GENERATE_SAMPLE:
        return [f"python tools/run_net.py --cfg configs/{config}"]
    return [
        "# trains, then tests the last checkpoint",
        _run_net(config),
    ]


def cross_domain_command(configs: list[str]) -> str:
    """The command building Table 3 from the zoo's zero-shot run folders of ``configs``."""
    folders = " ".join(results_dir(config) for config in configs)
    return f"python tools/make_cross_domain_table.py {folders}"
