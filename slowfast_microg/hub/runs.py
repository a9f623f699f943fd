"""The authors' fine-tuned MicroG-4M runs: our config, their run folder, the tested checkpoint.

Run folders are named as in the authors' ``benchmark/evaluation_results/<RUN>/``. The model
repository is assumed to keep each run's PySlowFast folder layout,
``<RUN>/checkpoints/checkpoint_epoch_%05d.pyth``; that layout is not documented, so the
download tool lets users override the file patterns (see ``docs/data_access.md``).

The tested checkpoint is recorded only where the authors' published logs establish it; elsewhere it
is None and users pick the checkpoint their run's ``json_stats.log`` test line names.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)

CHECKPOINT_FOLDER = "{run}/checkpoints"


@dataclass(frozen=True)
class AuthorsRun:
    """One fine-tuned run of the paper's Table 1.

    Attributes:
        config: our config reproducing it, relative to ``configs/``.
        run: the authors' run folder name.
        checkpoint_file: file name of the checkpoint the paper's test used (inside the run's
            ``checkpoints/`` folder), or None when the available logs do not establish it.
        source: where ``checkpoint_file`` comes from (or why it is unknown).
    """

    config: str
    run: str
    checkpoint_file: str | None
    source: str

    @property
    def folder(self) -> str:
        """The run's checkpoint folder, relative to the model repository."""
        return CHECKPOINT_FOLDER.format(run=self.run)

    @property
    def checkpoint(self) -> str | None:
        """The tested checkpoint, relative to the model repository, or None if unknown."""
        return None if self.checkpoint_file is None else f"{self.folder}/{self.checkpoint_file}"


def _epoch(epoch: int) -> str:
    """PySlowFast's checkpoint file name of a 1-based epoch."""
    return f"checkpoint_epoch_{epoch:05d}.pyth"


_UNKNOWN = "not established by the published logs available here"
_OWN_TEST_PATH = (
    "TEST.CHECKPOINT_FILE_PATH of the run's own training config (no published test log confirms it)"
)

AUTHORS_RUNS: tuple[AuthorsRun, ...] = (
    AuthorsRun("MicroG/C2D_8x8.yaml", "C2D_8x8_R50", _epoch(30), _OWN_TEST_PATH),
    AuthorsRun("MicroG/C2D_NLN_8x8.yaml", "C2D_NLN_8x8_R50", None, _UNKNOWN),
    AuthorsRun(
        "MicroG/I3D_8x8.yaml",
        "I3D_8x8_R50",
        _epoch(30),
        "json_stats.log test line (`epoch 30`) and the checkpoint stdout.log loads",
    ),
    AuthorsRun(
        "MicroG/I3D_NLN_8x8.yaml",
        "I3D_NLN_8x8_R50",
        "checkpoint_epoch_00020_best.pyth",
        _OWN_TEST_PATH,
    ),
    AuthorsRun("MicroG/SLOW_8x8.yaml", "SLOWONLY_8x8_R50", None, _UNKNOWN),
    AuthorsRun("MicroG/SLOW_4x16.yaml", "SLOWONLY_4x16_R50", None, _UNKNOWN),
    AuthorsRun("MicroG/SLOWFAST_8x8.yaml", "SLOWFAST_8x8_R50", _epoch(30), _OWN_TEST_PATH),
    AuthorsRun("MicroG/SLOWFAST_4x16.yaml", "SLOWFAST_4x16_R50", None, _UNKNOWN),
    AuthorsRun(
        "MicroG/MVITv1_B_16x4.yaml",
        "MVIT_B_16x4",
        _epoch(50),
        "json_stats.log test line (`epoch 50`); the paper's validation row equals its epoch-50 "
        "validation line",
    ),
    AuthorsRun("MicroG/MVITv2_S_16x4.yaml", "MVITv2_S_16x4", _epoch(35), _OWN_TEST_PATH),
    AuthorsRun("MicroG/X3D_S_13x6.yaml", "X3D_S", _epoch(25), _OWN_TEST_PATH),
    AuthorsRun("MicroG/X3D_L_16x5.yaml", "X3D_L", None, _UNKNOWN),
)


def find_run(name: str) -> AuthorsRun:
    """Look a run up by our config name (``SLOW_8x8``, ``MicroG/SLOW_8x8.yaml``) or theirs.

    Matching ignores case and a ``.yaml`` suffix.

    Raises:
        KeyError: no run has that name; the message lists the valid names.
    """
    wanted = name.lower().removesuffix(".yaml")
    for run in AUTHORS_RUNS:
        config = run.config.lower().removesuffix(".yaml")
        if wanted in (run.run.lower(), config, config.rsplit("/", 1)[-1]):
            return run
    names = ", ".join(
        f"{r.config.rsplit('/', 1)[-1].removesuffix('.yaml')} ({r.run})" for r in AUTHORS_RUNS
    )
    raise KeyError(f"No fine-tuned model is named {name!r}. Known models: {names}.")
