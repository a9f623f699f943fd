"""JHMDB-21 classes and the AVA ids they are scored as (the AVA-80 <-> JHMDB-21 overlap).

The mapping is a CSV ``jhmdb_class,ava_id,ava_name`` (header required). The packaged
``jhmdb_ava_classes.csv`` holds the overlap used for the paper's cross-domain table; the
reasoning behind each row is in ``docs/jhmdb.md``. ``JHMDB.CLASS_MAP_FILE`` names another file.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

from slowfast_microg.datasets.errors import DataError, at, require_file

logger = logging.getLogger(__name__)

JHMDB_CLASSES = (
    "brush_hair",
    "catch",
    "clap",
    "climb_stairs",
    "golf",
    "jump",
    "kick_ball",
    "pick",
    "pour",
    "pullup",
    "push",
    "run",
    "shoot_ball",
    "shoot_bow",
    "shoot_gun",
    "sit",
    "stand",
    "swing_baseball",
    "throw",
    "walk",
    "wave",
)
DEFAULT_CLASS_MAP = Path(__file__).with_name("jhmdb_ava_classes.csv")
HEADER = ["jhmdb_class", "ava_id", "ava_name"]
AVA_NUM_CLASSES = 80


@dataclass(frozen=True)
class ClassMap:
    """JHMDB classes scored, and their AVA classes.

    Attributes:
        ava_id: JHMDB class -> AVA action id (1..80).
        ava_names: AVA id -> AVA class name.
        path: the file read.
    """

    ava_id: dict[str, int]
    ava_names: dict[int, str]
    path: str

    @property
    def class_ids(self) -> list[int]:
        """Sorted AVA ids of the label map (model output i of the dataset is the i-th)."""
        return sorted(self.ava_names)


def read_class_map(path: str | Path | None = None) -> ClassMap:
    """Read a JHMDB -> AVA class map (the packaged overlap when ``path`` is empty or None).

    Raises:
        DataError: missing file, wrong header, an unknown JHMDB class, a class listed twice,
            an AVA id that is not an integer in 1..80, or one id with two different names.
    """
    path = DEFAULT_CLASS_MAP if not path else Path(path)
    path = require_file(path, config_key="JHMDB.CLASS_MAP_FILE")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows or [c.strip() for c in rows[0]] != HEADER:
        raise DataError(f"{at(path, 1)}: expected the header {','.join(HEADER)!r}.")
    ava_id: dict[str, int] = {}
    names: dict[int, str] = {}
    for lineno, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = at(path, lineno)
        if len(row) != len(HEADER):
            raise DataError(f"{where}: {len(row)} columns, expected {','.join(HEADER)}.")
        jhmdb, raw_id, name = (cell.strip() for cell in row)
        if jhmdb not in JHMDB_CLASSES:
            raise DataError(
                f"{where}: {jhmdb!r} is not a JHMDB-21 class; use one of "
                f"{', '.join(JHMDB_CLASSES)}."
            )
        if jhmdb in ava_id:
            raise DataError(f"{where}: class {jhmdb!r} is listed twice.")
        try:
            class_id = int(raw_id)
        except ValueError:
            raise DataError(f"{where}: ava_id {raw_id!r} is not an integer.") from None
        if not 1 <= class_id <= AVA_NUM_CLASSES:
            raise DataError(f"{where}: ava_id {class_id} is outside AVA's ids 1..80.")
        if names.get(class_id, name) != name:
            raise DataError(
                f"{where}: AVA id {class_id} is named {name!r} here and {names[class_id]!r} above."
            )
        ava_id[jhmdb] = class_id
        names[class_id] = name
    if not ava_id:
        raise DataError(f"{path}: the class map has no rows.")
    return ClassMap(ava_id=ava_id, ava_names=names, path=str(path))


def label_map_pbtxt(class_map: ClassMap) -> str:
    """The AVA-format label map of the scored classes, ids ascending."""
    return "".join(
        f'item {{\n  name: "{class_map.ava_names[cid]}"\n  id: {cid}\n}}\n'
        for cid in class_map.class_ids
    )
