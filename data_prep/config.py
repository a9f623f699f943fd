"""Every data-preparation parameter in one versioned place, loadable from and dumpable to YAML.

The defaults reproduce the paper's pipeline (see ``docs/data_prep.md``). Options that fix a
weakness of the authors' scripts but would change the produced data default to the paper's
behaviour; each is named ``*_mode`` or documented here. Change values with a YAML file
(``--config``) or ``--set section.key=value`` on the command line.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

logger = logging.getLogger(__name__)

# Bump when a default changes the produced data, so manifests of older runs are not mixed in.
CONFIG_VERSION = 2  # 2: track post-processing made exact (update frames only, int areas)

VIDEO_EXTENSIONS = [
    ".mp4", ".mov", ".mkv", ".avi", ".webm", ".flv", ".wmv", ".m4v",
    ".mpg", ".mpeg", ".ts", ".m2ts", ".mts", ".3gp", ".ogv", ".mxf",
]  # fmt: skip


@dataclass
class SplitParams:
    """Cutting raw videos into clips (stage ``split``)."""

    # Clip length in seconds; clips shorter than this (the tail of every source) are dropped.
    clip_seconds: float = 3.0
    # Output frame rate; frames are duplicated or dropped by nearest presentation time.
    fps: int = 30
    # Output height in pixels (even), width follows the display aspect, rounded to even.
    # 0 keeps the source height (the authors' scripts never scaled; the paper says 480p).
    height: int = 480
    # Encoder and its settings; crf 23 / preset medium are the x264 defaults the authors used.
    codec: str = "libx264"
    crf: int = 23
    preset: str = "medium"
    pix_fmt: str = "yuv420p"
    # swscale interpolation for resizing (ffmpeg's scale filter defaults to bicubic).
    interpolation: str = "BICUBIC"
    # Files with these extensions are sources; ``--all-files`` probes every file instead.
    video_extensions: list[str] = field(default_factory=lambda: list(VIDEO_EXTENSIONS))

    @property
    def clip_frames(self) -> int:
        """Frames in one clip (90 for 3 s at 30 fps)."""
        return int(round(self.clip_seconds * self.fps))


@dataclass
class DetectorParams:
    """YOLO person detector. The values are Ultralytics' track-mode defaults the authors ran."""

    # Weights file (.pt) or model yaml (random weights). ``yolo11n.pt`` is YOLO11 nano.
    weights: str = "yolo11n.pt"
    imgsz: int = 640
    # Pre-tracker confidence floor (track mode's default 0.1).
    conf: float = 0.1
    iou: float = 0.7
    # None keeps all 80 COCO classes, as the authors did (non-person tracks use up person ids).
    # [0] detects persons only (ids without gaps; changes the data, so it is an option).
    classes: list[int] | None = None
    max_det: int = 300
    # None picks CUDA when available, else CPU; or "cpu", "0", "cuda:1", ...
    device: str | None = None
    half: bool = False
    # Frames per detector call.
    batch: int = 16


@dataclass
class BotSortParams:
    """BoT-SORT values of the authors' ``botsort.yaml``, pinned because Ultralytics' changed."""

    tracker_type: str = "botsort"
    track_high_thresh: float = 0.5
    track_low_thresh: float = 0.1
    new_track_thresh: float = 0.6
    track_buffer: int = 30
    match_thresh: float = 0.8
    fuse_score: bool = True
    gmc_method: str = "sparseOptFlow"
    proximity_thresh: float = 0.5
    appearance_thresh: float = 0.25
    with_reid: bool = False
    model: str = "auto"


@dataclass
class FilterParams:
    """Keep a clip with a persistent person and no scene cut (stage ``filter``)."""

    person_class: int = 0
    # A frame is a person frame when a class-0 box has confidence strictly above this.
    person_conf: float = 0.6
    # Keep the clip when person frames are at least this percentage of all frames.
    min_person_percent: float = 60.0
    # "tracker": judge the boxes BoT-SORT returns (the authors ran YOLO in track mode);
    # "detector": judge the raw detections.
    presence_from: str = "tracker"
    # PySceneDetect ContentDetector threshold and minimum scene length (library default 15).
    content_threshold: float = 40.0
    min_scene_len: int = 15
    # Reject the clip when it has more scene changes than this.
    max_scene_changes: int = 0
    # PySceneDetect video backend ("opencv" as the authors, or "pyav").
    scene_backend: str = "opencv"
    # "move": rejected clips go to <out>/rejected/<source>/; "list": they stay, listed only.
    on_reject: str = "move"


@dataclass
class MotionParams:
    """Sparse optical-flow motion level (Shi-Tomasi corners + pyramidal Lucas-Kanade)."""

    # Frames per sampled group, and the share of a clip's frames the groups aim to cover.
    group_frames: int = 30
    sample_fraction: float = 0.1
    max_corners: int = 100
    quality_level: float = 0.3
    min_distance: int = 7
    block_size: int = 7
    lk_window: int = 15
    lk_max_level: int = 2
    lk_max_iterations: int = 10
    lk_epsilon: float = 0.03
    # Mean over steps of the per-step SUM of point displacements (pixels); above -> "high".
    high_threshold: float = 95.0


@dataclass
class MotionRule:
    """Post-processing values for one motion level."""

    min_detections: int
    min_box_area_ratio: float
    # Update interval in frames per fps class (low / mid / high / extra).
    frame_interval: dict[str, int]


@dataclass
class AdaptiveParams:
    """Motion- and fps-adaptive post-processing of the tracker output (stage ``track``)."""

    # fps class upper bounds: (0, 25] low, (25, 50] mid, (50, 100] high, above: extra.
    fps_bands: list[float] = field(default_factory=lambda: [25.0, 50.0, 100.0])
    low_motion: MotionRule = field(
        default_factory=lambda: MotionRule(
            min_detections=3,
            min_box_area_ratio=0.10,
            frame_interval={"low": 4, "mid": 5, "high": 10, "extra": 20},
        )
    )
    high_motion: MotionRule = field(
        default_factory=lambda: MotionRule(
            min_detections=2,
            min_box_area_ratio=0.20,
            frame_interval={"low": 2, "mid": 3, "high": 6, "extra": 10},
        )
    )
    person_class: int = 0
    # A person is drawn/recorded only with confidence strictly above this.
    person_conf: float = 0.55
    # A person covering more than this share of the frame hides everyone else.
    dominant_area_ratio: float = 0.5


@dataclass
class TrackParams:
    """How recorded boxes are produced (stage ``track``)."""

    # "hold": the paper's sample-and-hold (boxes of the last update frame are recorded again on
    # the frames in between); "fresh": the same persons, with their own box on every frame.
    boxes_mode: str = "hold"
    # "truncate": int() of the float pixel coordinates (paper); "round": nearest integer.
    coords_mode: str = "truncate"
    # Write annotated preview videos to <out>/previews/.
    preview: bool = False


@dataclass
class ConvertParams:
    """Conversion to the AVA-style layout (stage ``to_ava``)."""

    # Decimals of the normalised box coordinates.
    decimals: int = 3
    # Clip normalised coordinates to [0, 1] (the authors did not; tracker boxes are in-frame).
    clip_boxes: bool = False
    # Drop repeated (clip, person, action) rows (the released data keeps them).
    dedupe_actions: bool = False
    # Extract JPEG frames frames/<clip>/<clip>_%06d.jpg (layout a).
    extract_frames: bool = True
    jpeg_quality: int = 95
    # Also place the clips as videos/<clip>.mp4 (layout b).
    link_videos: bool = False


@dataclass
class DatasetSplitParams:
    """Train/val/test split (stage ``split_dataset``)."""

    train_ratio: float = 0.7
    val_ratio: float = 0.1
    seed: int = 42
    # "clip": the paper's split (clips of one source spread over splits);
    # "source": every source video stays inside one split.
    group_by: str = "clip"


@dataclass
class ReencodeParams:
    """Re-encoding a dataset's mp4 clips for fast random access (stage ``reencode``).

    The defaults give every frame its own IDR picture (``keyint`` 1, all-intra) with x264's
    ``fastdecode`` tuning (no CABAC, no deblocking) at CRF 15, which loaded faster than JPEG
    frames in the benchmark while deviating a little more from the source than JPEGs at quality
    95 do; CRF 12 matched the JPEGs' deviation, loading slower (see ``docs/data_prep.md``).
    """

    # Frames per group of pictures: a frame costs decoding the frames before it in its group.
    keyint: int = 1
    crf: int = 15
    preset: str = "medium"
    # x264 tuning; "" for none.
    tune: str = "fastdecode"


@dataclass
class PipelineConfig:
    """All parameters of the pipeline."""

    version: int = CONFIG_VERSION
    split: SplitParams = field(default_factory=SplitParams)
    detector: DetectorParams = field(default_factory=DetectorParams)
    botsort: BotSortParams = field(default_factory=BotSortParams)
    filter: FilterParams = field(default_factory=FilterParams)
    motion: MotionParams = field(default_factory=MotionParams)
    adaptive: AdaptiveParams = field(default_factory=AdaptiveParams)
    track: TrackParams = field(default_factory=TrackParams)
    convert: ConvertParams = field(default_factory=ConvertParams)
    dataset: DatasetSplitParams = field(default_factory=DatasetSplitParams)
    reencode: ReencodeParams = field(default_factory=ReencodeParams)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict of every value."""
        return dataclasses.asdict(self)

    def stage_params(self, stage: str) -> dict[str, Any]:
        """The values that determine a stage's output, recorded with its manifest.

        Args:
            stage: one of ``split``, ``filter``, ``track``, ``frames``, ``reencode``.

        Returns:
            A nested dict; reruns with different values are refused.
        """
        full = self.to_dict()
        sections = {
            "split": ["split"],
            "filter": ["detector", "botsort", "filter"],
            "track": ["detector", "botsort", "motion", "adaptive", "track"],
            "frames": ["convert"],
            "reencode": ["reencode"],
        }[stage]
        params = {name: full[name] for name in sections}
        params["version"] = self.version
        if stage == "track":
            params["track"] = {k: v for k, v in params["track"].items() if k != "preview"}
        if stage == "filter":
            params["filter"] = {k: v for k, v in params["filter"].items() if k != "on_reject"}
        if stage == "split":
            params["split"] = {k: v for k, v in params["split"].items() if k != "video_extensions"}
        return params


def params_digest(params: dict[str, Any]) -> str:
    """Short stable digest of a parameter dict."""
    text = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def _checked(current: Any, value: Any, where: str) -> Any:
    """Return ``value`` if its type fits the default ``current``; raise naming the key if not."""
    if current is None or (value is None and where.endswith((".classes", ".device"))):
        return value
    expected: tuple[type, ...]
    if isinstance(current, bool):
        expected = (bool,)
    elif isinstance(current, int):
        expected = (int,)
    elif isinstance(current, float):
        expected = (int, float)
    else:
        expected = (type(current),)
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        raise ValueError(f"{where} = {value!r}: expected {expected[-1].__name__}")
    return float(value) if isinstance(current, float) else value


def _merge(obj: Any, data: Any, where: str) -> Any:
    """Merge the nested mapping ``data`` into dataclass ``obj``, refusing unknown keys."""
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a mapping, got {data!r}")
    names = {f.name for f in dataclasses.fields(obj)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; known keys are {sorted(names)}")
    for name, value in data.items():
        current = getattr(obj, name)
        if dataclasses.is_dataclass(current):
            _merge(current, value, f"{where}.{name}")
        elif isinstance(current, dict) and isinstance(value, dict):
            setattr(obj, name, {**current, **value})
        else:
            setattr(obj, name, _checked(current, value, f"{where}.{name}"))
    return obj


_CHOICES = {
    ("filter", "presence_from"): {"tracker", "detector"},
    ("filter", "on_reject"): {"move", "list"},
    ("filter", "scene_backend"): {"opencv", "pyav"},
    ("track", "boxes_mode"): {"hold", "fresh"},
    ("track", "coords_mode"): {"truncate", "round"},
    ("dataset", "group_by"): {"clip", "source"},
}


def validate(cfg: PipelineConfig) -> PipelineConfig:
    """Check choices and ranges; raise ValueError naming the key and the allowed values."""
    for (section, key), allowed in _CHOICES.items():
        value = getattr(getattr(cfg, section), key)
        if value not in allowed:
            raise ValueError(f"{section}.{key} = {value!r}; allowed: {sorted(allowed)}")
    if cfg.split.height < 0 or cfg.split.height % 2:
        raise ValueError(f"split.height = {cfg.split.height}; use an even number, or 0 to keep")
    if cfg.split.fps <= 0 or cfg.split.clip_frames <= 0:
        raise ValueError("split.fps and split.clip_seconds must be positive")
    if cfg.reencode.keyint < 1 or not 0 <= cfg.reencode.crf <= 51:
        raise ValueError(
            f"reencode.keyint = {cfg.reencode.keyint}, reencode.crf = {cfg.reencode.crf}: "
            "need keyint >= 1 and 0 <= crf <= 51"
        )
    ratios = (cfg.dataset.train_ratio, cfg.dataset.val_ratio)
    if min(ratios) < 0 or sum(ratios) > 1:
        raise ValueError(f"dataset ratios {ratios}: need train, val >= 0 and train + val <= 1")
    if cfg.version != CONFIG_VERSION:
        raise ValueError(
            f"config version {cfg.version} but this data_prep writes version {CONFIG_VERSION}; "
            "update the file's values and its version key"
        )
    return cfg


def config_from_dict(data: dict[str, Any], where: str = "config") -> PipelineConfig:
    """Build a validated config from a nested dict (missing keys keep their defaults)."""
    return validate(_merge(PipelineConfig(), data or {}, where))


def apply_overrides(cfg: PipelineConfig, overrides: list[str]) -> PipelineConfig:
    """Apply ``section.key=value`` overrides; values are parsed as YAML.

    Args:
        cfg: the config to change in place.
        overrides: strings such as ``detector.imgsz=320`` or ``track.boxes_mode=fresh``.

    Returns:
        The validated config.
    """
    for item in overrides:
        if "=" not in item:
            raise ValueError(f"--set {item!r}: expected section.key=value")
        path, raw = item.split("=", 1)
        parts = path.strip().split(".")
        target: Any = cfg
        for part in parts[:-1]:
            target = getattr(target, part, None)
            if not dataclasses.is_dataclass(target):
                raise ValueError(f"--set {item!r}: no section {part!r}")
        _merge(target, {parts[-1]: yaml.safe_load(raw)}, ".".join(["set"] + parts[:-1]))
    return validate(cfg)


def load_config(
    path: str | Path | None = None, overrides: list[str] | None = None
) -> PipelineConfig:
    """Defaults, then the YAML file at ``path`` (if any), then ``overrides``."""
    data: dict[str, Any] = {}
    if path is not None:
        text = Path(path).read_text(encoding="utf-8")
        data = yaml.safe_load(text) or {}
    cfg = config_from_dict(data, where=str(path or "config"))
    return apply_overrides(cfg, overrides or [])


def dump_config(cfg: PipelineConfig, path: str | Path) -> None:
    """Write the effective config as YAML (atomically)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False), encoding="utf-8")
    tmp.replace(path)
