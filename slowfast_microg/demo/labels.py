"""Names of a model's output columns: from a label map, or the built-in AVA / MicroG-4M lists.

Output column ``i`` is the ``i``-th smallest id of the label map (the project's convention).
Which list names the columns:

1. the label map (``--label-map``, else ``AVA.LABEL_MAP_FILE`` in ``AVA.ANNOTATION_DIR``)
   when it has exactly ``MODEL.NUM_CLASSES`` ids;
2. an 80-output model with a label map whose ids all lie in 1..80 (the 50-class MicroG-4M
   map with a zero-shot AVA model): the 80 AVA v2.2 classes, output ``i`` = AVA id ``i + 1``;
3. the config's label map file does not exist (no dataset on this machine): the built-in list
   with ``MODEL.NUM_CLASSES`` entries (80: AVA v2.2, 50: MicroG-4M), with a warning.

Anything else is an error that says what to pass.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from fvcore.common.config import CfgNode

from slowfast_microg.datasets.ava_io import read_label_map
from slowfast_microg.datasets.errors import DataError
from slowfast_microg.datasets.microg_classes import MICROG_CLASSES
from slowfast_microg.datasets.paths import data_path
from slowfast_microg.demo.ava_classes import AVA_CLASSES
from slowfast_microg.demo.errors import DemoError

logger = logging.getLogger(__name__)

BUILT_IN = {
    len(AVA_CLASSES): (AVA_CLASSES, "the built-in AVA v2.2 list"),
    len(MICROG_CLASSES): (MICROG_CLASSES, "the built-in MicroG-4M list"),
}


@dataclass(frozen=True)
class ClassNames:
    """Names of the model outputs.

    Attributes:
        ids: action id of each output column (ascending).
        names: action id -> name.
        source: where the names came from (a file, or a built-in list).
    """

    ids: list[int]
    names: dict[int, str]
    source: str

    def column_name(self, column: int) -> str:
        """Name of output column ``column``."""
        return self.names[self.ids[column]]


def _built_in(num_classes: int) -> ClassNames:
    classes, source = BUILT_IN[num_classes]
    return ClassNames(ids=[cid for cid, _ in classes], names=dict(classes), source=source)


def label_map_path(cfg: CfgNode) -> Path:
    """``AVA.LABEL_MAP_FILE`` inside ``AVA.ANNOTATION_DIR`` (relative to the data folder)."""
    return data_path(cfg, cfg.AVA.ANNOTATION_DIR) / cfg.AVA.LABEL_MAP_FILE


def resolve_class_names(
    *, num_classes: int, label_map: str | Path, explicit: bool = False
) -> ClassNames:
    """Decide the names of ``num_classes`` outputs (rules in the module docstring).

    Args:
        num_classes: ``MODEL.NUM_CLASSES``.
        label_map: the label-map file to try.
        explicit: the user named the file (``--label-map``); then it must exist.

    Returns:
        One id and name per output column.

    Raises:
        DemoError: the named file is missing or malformed, or no list fits the model.
    """
    path = Path(label_map)
    if not path.is_file():
        if explicit or num_classes not in BUILT_IN:
            raise DemoError(
                f"label map {path} does not exist and the model's {num_classes} outputs match "
                f"no built-in list (80 AVA, 50 MicroG-4M classes); pass --label-map with a "
                f"{num_classes}-class map."
            )
        names = _built_in(num_classes)
        logger.warning("No label map at %s: naming the outputs from %s.", path, names.source)
        return names
    try:
        found = read_label_map(path, config_key="--label-map / AVA.LABEL_MAP_FILE")
    except DataError as error:
        raise DemoError(str(error)) from error
    if len(found.ids) == num_classes:
        return ClassNames(ids=list(found.ids), names=dict(found.names), source=str(path))
    if num_classes == len(AVA_CLASSES) and all(1 <= cid <= num_classes for cid in found.ids):
        logger.info(
            "%s has %d classes but the model has 80 outputs (an AVA model): output i is AVA "
            "id i + 1, named from the AVA v2.2 list.",
            path,
            len(found.ids),
        )
        return _built_in(num_classes)
    raise DemoError(
        f"label map {path} has {len(found.ids)} classes but MODEL.NUM_CLASSES is {num_classes}; "
        f"pass --label-map with the map the model was trained with."
    )
