"""Resumable stage manifests: append-only JSON lines of done / rejected / failed items.

Each stage writes ``<out>/manifests/<stage>[.shard-K-of-N].jsonl``; one line per finished item,
flushed and fsynced before the next item starts, so a killed run loses at most the item in
progress. A rerun reads every shard's file and skips what is finished. The parameters that shape a
stage's output are stored next to it (``<stage>.params.json``); a rerun with different ones is
refused, because mixing outputs of two parameter sets in one folder would be silent corruption.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from data_prep.sharding import Shard

logger = logging.getLogger(__name__)

DONE = "done"
REJECTED = "rejected"
FAILED = "failed"
STATUSES = (DONE, REJECTED, FAILED)


@dataclass
class Record:
    """One finished item of a stage."""

    key: str
    status: str
    reason: str | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)
    seconds: float = 0.0
    utc: str = ""
    shard: str = ""


class ParamsMismatchError(RuntimeError):
    """The output folder was produced with other stage parameters."""


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``."""
    if not isinstance(data, dict):
        return {prefix: data}
    flat: dict[str, Any] = {}
    for key, value in data.items():
        flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def manifest_files(manifest_dir: Path, stage: str) -> list[Path]:
    """Manifest files of every shard of ``stage`` in ``manifest_dir``."""
    manifest_dir = Path(manifest_dir)
    return sorted(
        [*manifest_dir.glob(f"{stage}.jsonl"), *manifest_dir.glob(f"{stage}.shard-*.jsonl")]
    )


def read_records(manifest_dir: Path, stage: str) -> dict[str, Record]:
    """The latest record of every key of ``stage``, over all shards' files.

    Raises:
        ValueError: a line other than a file's last cannot be read (the file is corrupt).
    """
    rows: list[Record] = []
    for path in manifest_files(manifest_dir, stage):
        lines = path.read_text(encoding="utf-8").split("\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                rows.append(Record(**json.loads(line)))
            except (json.JSONDecodeError, TypeError) as err:
                if number >= len(lines) - 1:
                    logger.warning("%s:%d: ignoring a partly written last line", path, number)
                    continue
                raise ValueError(f"{path}:{number}: unreadable manifest line ({err})") from err
    rows.sort(key=lambda r: r.utc)
    return {r.key: r for r in rows}


class Manifest:
    """The manifest of one stage in one output folder.

    Args:
        out_dir: the stage's output folder; files go to ``out_dir/manifests/``.
        stage: stage name (``split``, ``filter``, ``track``, ``frames``).
        shard: this process's shard; it writes its own file, and reads all shards' files.
        params: the parameters that shape the stage's output (see ``PipelineConfig.stage_params``).
    """

    def __init__(self, *, out_dir: Path, stage: str, shard: Shard, params: dict[str, Any]) -> None:
        self.stage = stage
        self.shard = shard
        self.dir = Path(out_dir) / "manifests"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / f"{stage}{shard.tag}.jsonl"
        self._check_params(params)
        self._handle: TextIO | None = None

    def _check_params(self, params: dict[str, Any]) -> None:
        path = self.dir / f"{self.stage}.params.json"
        if path.exists():
            stored = json.loads(path.read_text(encoding="utf-8"))
            old, new = _flatten(stored), _flatten(json.loads(json.dumps(params)))
            diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            if diff:
                shown = ", ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in diff[:8])
                raise ParamsMismatchError(
                    f"{path} records other '{self.stage}' parameters ({shown}). Outputs of two "
                    "parameter sets cannot share a folder: use a new output folder, or restore "
                    "the recorded values."
                )
        else:
            _write_atomic(path, json.dumps(params, indent=2, sort_keys=True) + "\n")

    def records(self) -> dict[str, Record]:
        """The latest record of every key, over all shards' files."""
        return read_records(self.dir, self.stage)

    def finished(self, *, retry_failed: bool = False) -> set[str]:
        """Keys not to process again: done and rejected, and failed unless ``retry_failed``."""
        skip = {DONE, REJECTED} if retry_failed else set(STATUSES)
        return {key for key, rec in self.records().items() if rec.status in skip}

    def add(
        self,
        key: str,
        status: str,
        *,
        reason: str | None = None,
        figures: dict[str, Any] | None = None,
        outputs: list[str] | None = None,
        seconds: float = 0.0,
    ) -> Record:
        """Append one record and make it durable before returning."""
        if status not in STATUSES:
            raise ValueError(f"status {status!r}; expected one of {STATUSES}")
        record = Record(
            key=key,
            status=status,
            reason=reason,
            figures=figures or {},
            outputs=outputs or [],
            seconds=round(seconds, 3),
            utc=datetime.now(timezone.utc).isoformat(timespec="microseconds"),
            shard=self.shard.tag.lstrip("."),
        )
        handle = self._open()
        handle.write(json.dumps(asdict(record), sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
        return record

    def _open(self) -> TextIO:
        if self._handle is None:
            self._drop_torn_tail()
            self._handle = open(self.path, "a", encoding="utf-8")
        return self._handle

    def _drop_torn_tail(self) -> None:
        """Cut a last line left unfinished by a killed run (its item is simply redone)."""
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            logger.warning("%s: removing a partly written last line", self.path)
            with open(self.path, "r+b") as handle:
                handle.truncate(keep)

    def close(self) -> None:
        """Close the append handle."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def summary(self) -> dict[str, int]:
        """Count of records per status."""
        counts = {status: 0 for status in STATUSES}
        for rec in self.records().values():
            counts[rec.status] += 1
        return counts


class Timer:
    """Seconds since creation (for ``Manifest.add(seconds=...)``)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def seconds(self) -> float:
        """Elapsed seconds."""
        return time.perf_counter() - self.start
