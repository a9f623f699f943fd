"""Read a training/test run folder (ours or PySlowFast's) into the numbers a results table needs.

A run folder holds some of: ``json_stats.log`` (PySlowFast ``json_stats: {...}`` lines, test and
val), ``stdout.log`` (the full log: ``Params: N``, config dumps, checkpoint loads, and the same
``json_stats`` lines), ``config.yaml`` (or one other ``*.yaml``), and per-class AP CSVs, at the top
or in ``detailed_csv/``.

Which val epoch matches the test checkpoint, first rule that applies:

1. ``"checkpoint_epoch": N`` in the test line (this project's engine writes it);
2. text ``epoch N`` after the test line's JSON (the authors' published ``json_stats.log``);
3. the ``checkpoint_epoch_000NN*.pyth`` loaded after the last ``Test with config:`` in
   ``stdout.log`` (the last such load in the file if there is no config dump).

Otherwise the val columns stay empty and a note says why.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from slowfast_microg.evaluation.csv_io import read_ap_per_class_csv
from slowfast_microg.evaluation.errors import EvaluationInputError
from slowfast_microg.evaluation.model_names import describe_model

logger = logging.getLogger(__name__)

METRIC_NAMES = ("map", "f1_macro", "recall_macro", "auroc_macro")
MATCHED_SUFFIX = "_matched"
AVA_NUM_CLASSES = 80
_LOG_PREFIX = re.compile(r"^\[\d\d/\d\d \d\d:\d\d:\d\d\]\[[A-Z]+\] [^:]*:\s*\d+: ")
_PARAMS = re.compile(r"Params:\s*([\d,]+)")
_CHECKPOINT = re.compile(r"Loading network weights from .*checkpoint_epoch_0*(\d+)[^/\s]*\.pyth")
_TRAILING_EPOCH = re.compile(r"\bepoch\s+(\d+)\b")
MICROG_TEST_SET = "MicroG-4M"
AP_FILES = ("ap_per_class_test.csv", "detailed_csv/ap_per_class_test.csv", "ap_per_class.csv")


@dataclass(frozen=True)
class RunSummary:
    """One run's row data for Table 1 or Table 2.

    Attributes:
        path: The run folder.
        arch, tc, backbone: The model's name parts (None if unknown).
        pretrain: Pre-training data for zero-shot rows (from a ``_K400``-style folder suffix).
        finetune: Fine-tuning data of zero-shot rows ("AVA v2.2" for 80-class AVA models).
        params: Parameter count, or None.
        test: The test line's metrics (all numeric fields), or None.
        val: The val line of the test checkpoint's epoch, or None.
        checkpoint_epoch: The test checkpoint's epoch, or None.
        zero_shot: True for Table 2 rows.
        test_set: The dataset the run was tested on, from its config's ``TEST.DATASET``
            ("MicroG-4M", "JHMDB-21 split N", another name, or None if unknown).
        ap_per_class_csv: The test per-class AP CSV found in the folder, or None.
        notes: Why any of the above is missing, for the user.
    """

    path: Path
    arch: str | None
    tc: str | None
    backbone: str | None
    pretrain: str | None
    finetune: str | None
    params: int | None
    test: dict[str, float] | None
    val: dict[str, float] | None
    checkpoint_epoch: int | None
    zero_shot: bool
    test_set: str | None
    ap_per_class_csv: Path | None
    notes: tuple[str, ...]


def json_stats_records(text: str) -> list[tuple[dict[str, Any], str]]:
    """Every ``json_stats: {...}`` object in a log, with the text that follows it on its line."""
    decoder = json.JSONDecoder()
    records = []
    for line in text.splitlines():
        start = line.find("json_stats:")
        if start < 0:
            continue
        brace = line.find("{", start)
        try:
            record, end = decoder.raw_decode(line, brace)
        except (json.JSONDecodeError, ValueError):
            continue
        if isinstance(record, dict):
            records.append((record, line[end:]))
    return records


def _metrics(record: dict[str, Any]) -> dict[str, float]:
    """The numeric fields of a json_stats record."""
    return {k: float(v) for k, v in record.items() if isinstance(v, int | float) and k != "_type"}


def _epoch(value: Any) -> int | None:
    """Parse ``"30"``, ``30`` or ``"30/40"`` into 30."""
    try:
        return int(str(value).split("/")[0])
    except ValueError:
        return None


def config_dump_from_stdout(text: str) -> dict[str, Any] | None:
    """The YAML config printed after the last ``Test with config:`` line of a PySlowFast log."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if "Test with config:" in line]
    if not starts:
        return None
    body = []
    for i, line in enumerate(lines[starts[-1] + 1 :]):
        prefix = _LOG_PREFIX.match(line)
        if prefix and i > 0:
            break
        body.append(line[prefix.end() :] if prefix else line)
    try:
        config = yaml.safe_load("\n".join(body))
    except yaml.YAMLError:
        return None
    return config if isinstance(config, dict) else None


def _read_optional(path: Path) -> str:
    """A file's text, or "" if it does not exist."""
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""


def _load_config(folder: Path, stdout: str, notes: list[str]) -> dict[str, Any] | None:
    """config.yaml, else the only *.yaml in the folder, else stdout.log's config dump."""
    candidates = [folder / "config.yaml"] if (folder / "config.yaml").is_file() else []
    if not candidates:
        candidates = sorted(folder.glob("*.yaml"))
        if len(candidates) > 1:
            notes.append("several *.yaml files and no config.yaml; config taken from stdout.log")
            candidates = []
    for path in candidates:
        try:
            config = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise EvaluationInputError(f"config is not valid YAML: {exc}", path=path) from None
        if isinstance(config, dict):
            return config
    return config_dump_from_stdout(stdout)


def _checkpoint_epoch(test: dict[str, Any], trailing: str, stdout: str) -> int | None:
    """The test checkpoint's epoch by the module's three rules, or None."""
    if "checkpoint_epoch" in test:
        return _epoch(test["checkpoint_epoch"])
    found = _TRAILING_EPOCH.search(trailing)
    if found:
        return int(found.group(1))
    lines = stdout.splitlines()
    starts = [i for i, line in enumerate(lines) if "Test with config:" in line]
    tail = lines[starts[-1] :] if starts else lines
    epochs = [int(m.group(1)) for line in tail if (m := _CHECKPOINT.search(line))]
    if not epochs:
        return None
    return epochs[0] if starts else epochs[-1]


def read_run_folder(path: str | Path, *, zero_shot: bool | None = None) -> RunSummary:
    """Summarise one run folder.

    Args:
        path: The run folder (``OUTPUT_DIR``).
        zero_shot: Force the run into Table 2 (True) or Table 1 (False); None decides: a
            model with 80 classes (config ``MODEL.NUM_CLASSES``, an AVA action-list label
            map, or an 80-row per-class AP CSV) is a zero-shot AVA model.

    Returns:
        The summary; missing pieces are None and explained in ``notes``.

    Raises:
        EvaluationInputError: The folder does not exist or has no test metrics line.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise EvaluationInputError("run folder does not exist", path=folder)
    notes: list[str] = []
    stats_text = _read_optional(folder / "json_stats.log")
    stdout = _read_optional(folder / "stdout.log")
    records: list[tuple[dict[str, Any], str]] = []
    tests: list[tuple[dict[str, Any], str]] = []
    for text in (stats_text, stdout):
        records = json_stats_records(text)
        tests = [(r, rest) for r, rest in records if _is_test_line(r)]
        if tests:
            break
    if not tests:
        children = sorted(
            child.name
            for child in folder.iterdir()
            if (child / "json_stats.log").is_file() or (child / "stdout.log").is_file()
        )
        hint = "Run the test first; json_stats.log or stdout.log must hold its metrics"
        if children:
            hint = f"It holds run folders ({', '.join(children)}); pass those instead"
        raise EvaluationInputError(
            'no json_stats line with "mode": "test" and "map"', path=folder, hint=hint
        )
    test_record, trailing = tests[-1]
    config = _load_config(folder, stdout, notes)
    ap_csv = next((folder / f for f in AP_FILES if (folder / f).is_file()), None)
    is_ava_model = _looks_like_ava_model(config, ap_csv)
    if zero_shot is None:
        zero_shot = is_ava_model
    vals = {
        _epoch(r.get("cur_epoch")): r for r, _ in records if r.get("mode") == "val" and "map" in r
    }
    epoch = _checkpoint_epoch(test_record, trailing, stdout)
    val = vals.get(epoch) if epoch is not None else None
    if not zero_shot and epoch is None:
        notes.append("test checkpoint epoch unknown; val columns left empty")
    elif not zero_shot and val is None:
        notes.append(f"no val line for epoch {epoch}; val columns left empty")
    params = [m.group(1) for m in _PARAMS.finditer(stats_text + "\n" + stdout)]
    if not params and not zero_shot:
        notes.append("no 'Params: N' line in json_stats.log or stdout.log")
    name = describe_model(config, folder.name)
    return RunSummary(
        path=folder,
        arch=name.arch,
        tc=name.tc,
        backbone=name.backbone,
        pretrain=name.pretrain,
        finetune="AVA v2.2" if zero_shot and is_ava_model else None,
        params=int(params[-1].replace(",", "")) if params else None,
        test=_metrics(test_record),
        val=_metrics(val) if val is not None else None,
        checkpoint_epoch=epoch,
        zero_shot=zero_shot,
        test_set=tested_on(config),
        ap_per_class_csv=ap_csv,
        notes=tuple(notes),
    )


def tested_on(config: dict[str, Any] | None) -> str | None:
    """The dataset a run was tested on, from its config (None if unknown).

    ``jhmdb`` gives "JHMDB-21 split N", ``microg``/``ava`` give "MicroG-4M"; other dataset
    names are returned as written.
    """
    dataset = str(((config or {}).get("TEST") or {}).get("DATASET", "")).lower()
    if dataset == "jhmdb":
        split = ((config or {}).get("JHMDB") or {}).get("SPLIT", 1)
        return f"JHMDB-21 split {split}"
    if dataset in ("microg", "ava"):
        return MICROG_TEST_SET
    return dataset or None


def _is_test_line(record: dict[str, Any]) -> bool:
    """A test-split metrics line (not a test_iter timing line, not another split)."""
    return (
        record.get("mode") == "test" and "map" in record and record.get("split", "test") == "test"
    )


def _looks_like_ava_model(config: dict[str, Any] | None, ap_csv: Path | None) -> bool:
    """True for an 80-class AVA model (by config, label map name or per-class AP rows)."""
    if config is not None:
        num_classes = (config.get("MODEL") or {}).get("NUM_CLASSES")
        label_map = str((config.get("AVA") or {}).get("LABEL_MAP_FILE", ""))
        if num_classes is not None:
            return int(num_classes) == AVA_NUM_CLASSES or "ava_action_list" in label_map
    if ap_csv is not None:
        return len(read_ap_per_class_csv(ap_csv)) == AVA_NUM_CLASSES
    return False
