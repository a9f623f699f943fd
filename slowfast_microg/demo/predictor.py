"""Action scores of person boxes on a clip window, with the dataset's test preprocessing.

The window of a keyframe is the one the dataset samples (``datasets.sampling``): ``NUM_FRAMES``
frames ``SAMPLING_RATE`` apart, ``NUM_FRAMES * SAMPLING_RATE // 2`` frames before the keyframe
and clamped to the video's frames. Frames go through ``DetectionTransform`` ("test": short side
to ``DATA.TEST_CROP_SIZE``, whole frame, normalised) and ``pack_pathways``. Each frame is
resized once when it is read (``prepare_frame``), with the transform's own resize, so the buffer
holds small frames and the transform's resize is then the identity; boxes are mapped as the
transform maps them (``boxes_for_clip``), so the model sees what the dataset would give it.

Scores are probabilities: the sigmoid of the outputs for ``MODEL.HEAD_ACT none`` (logits),
the outputs themselves for ``sigmoid`` and ``softmax``.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
from fvcore.common.config import CfgNode
from torch import nn

from slowfast_microg.config.validate import num_pathways
from slowfast_microg.datasets import transforms as T
from slowfast_microg.datasets.detection_transform import DetectionTransform, pack_pathways
from slowfast_microg.datasets.sampling import window_indices
from slowfast_microg.demo.labels import ClassNames

logger = logging.getLogger(__name__)


class ActionPredictor:
    """Runs the action model on one keyframe's window and boxes.

    Args:
        model: a detection model (``model(inputs, boxes) -> (N, K)``).
        transform: the "test" ``DetectionTransform``.
        num_frames: ``DATA.NUM_FRAMES``.
        sampling_rate: ``DATA.SAMPLING_RATE``.
        pathways: 1, or 2 for SlowFast.
        alpha: ``SLOWFAST.ALPHA``.
        reverse_channels: ``DATA.REVERSE_INPUT_CHANNEL``.
        head_act: ``MODEL.HEAD_ACT``.
        device: where the model runs.
    """

    def __init__(
        self,
        *,
        model: nn.Module,
        transform: DetectionTransform,
        num_frames: int,
        sampling_rate: int,
        pathways: int,
        alpha: int,
        reverse_channels: bool,
        head_act: str,
        device: torch.device,
    ) -> None:
        if transform.split != "test":
            raise ValueError(f"the demo uses the test transform, got split {transform.split!r}")
        self.model = model.to(device).eval()
        self.transform = transform
        self.num_frames = num_frames
        self.sampling_rate = sampling_rate
        self.pathways = pathways
        self.alpha = alpha
        self.reverse_channels = reverse_channels
        self.head_act = head_act
        self.device = device

    @classmethod
    def from_cfg(cls, cfg: CfgNode, model: nn.Module, *, device: torch.device) -> ActionPredictor:
        """Build from the ``DATA``, ``AVA``, ``SLOWFAST`` and ``MODEL`` keys."""
        return cls(
            model=model,
            transform=DetectionTransform.from_cfg(cfg, "test"),
            num_frames=cfg.DATA.NUM_FRAMES,
            sampling_rate=cfg.DATA.SAMPLING_RATE,
            pathways=num_pathways(cfg),
            alpha=cfg.SLOWFAST.ALPHA,
            reverse_channels=cfg.DATA.REVERSE_INPUT_CHANNEL,
            head_act=cfg.MODEL.HEAD_ACT,
            device=device,
        )

    @property
    def frames_before(self) -> int:
        """How many frames before the keyframe the window reaches."""
        return self.num_frames * self.sampling_rate // 2

    @property
    def frames_after(self) -> int:
        """How many frames after the keyframe the window reaches (0 when none)."""
        return max(0, (self.num_frames - 1) * self.sampling_rate - self.frames_before)

    def prepare_frame(self, frame: np.ndarray) -> torch.Tensor:
        """(H, W, 3) uint8 RGB -> (3, h, w) uint8 with the short side at the test size."""
        tensor = torch.from_numpy(np.ascontiguousarray(frame)).permute(2, 0, 1)[None]
        resized, _ = T.scale_short_side(tensor, torch.zeros(0, 4), size=self.transform.test_size)
        return resized[0].contiguous()

    def window(self, *, keyframe: int, num_frames_read: int) -> torch.Tensor:
        """(NUM_FRAMES,) frame indices of ``keyframe``'s window, clamped to the frames read."""
        return window_indices(
            center=keyframe,
            num_frames=self.num_frames,
            sampling_rate=self.sampling_rate,
            clip_length=num_frames_read,
        )

    def boxes_for_clip(
        self, boxes: torch.Tensor, *, frame_height: int, frame_width: int, clip: torch.Tensor
    ) -> torch.Tensor:
        """Express boxes of the full frame in the prepared clip as the dataset would see them.

        The dataset's transform clips pixel boxes to the full frame, then scales them by the
        long side's resize factor (PySlowFast's rule; the frame itself is scaled per axis).
        Doing the same here and normalising by the prepared size makes the transform, whose
        resize is then the identity, produce the dataset's boxes.

        Args:
            boxes: (n, 4) float normalised to the full frame.
            frame_height, frame_width: size of the full frame.
            clip: (T, 3, h, w) prepared frames.

        Returns:
            (n, 4) float32 boxes normalised to the prepared frames.
        """
        height, width = clip.shape[-2:]
        full = torch.tensor([frame_width, frame_height] * 2, dtype=torch.float32)
        pixels = T.clip_boxes(boxes.float() * full, height=frame_height, width=frame_width)
        factor = height / frame_height if frame_width < frame_height else width / frame_width
        return pixels * factor / torch.tensor([width, height] * 2, dtype=torch.float32)

    @torch.inference_mode()
    def scores(
        self, clip: torch.Tensor, boxes: torch.Tensor, *, frame_height: int, frame_width: int
    ) -> torch.Tensor:
        """Action probabilities of each box.

        Args:
            clip: (T, 3, h, w) uint8 prepared frames of the window.
            boxes: (n, 4) float x1, y1, x2, y2 normalised to the full frame.
            frame_height, frame_width: size of the full frame.

        Returns:
            (n, K) float32 probabilities on the CPU.
        """
        if boxes.shape[0] == 0:
            return torch.zeros(0, 0)
        boxes = self.boxes_for_clip(
            boxes, frame_height=frame_height, frame_width=frame_width, clip=clip
        )
        frames, pixel_boxes = self.transform(clip, boxes)
        inputs = pack_pathways(
            frames,
            num_pathways=self.pathways,
            alpha=self.alpha,
            reverse_channels=self.reverse_channels,
        )
        inputs = [pathway[None].to(self.device) for pathway in inputs]
        rois = torch.cat([torch.zeros(len(pixel_boxes), 1), pixel_boxes], dim=1).to(self.device)
        outputs = self.model(inputs, rois).float()
        if self.head_act == "none":
            outputs = outputs.sigmoid()
        return outputs.cpu()


def top_actions(
    scores: torch.Tensor, *, class_names: ClassNames, top_k: int, threshold: float
) -> list[tuple[int, str, float]]:
    """The ``top_k`` best actions of one box with a score of at least ``threshold``.

    Args:
        scores: (K,) probabilities of one box.
        class_names: names of the K output columns.
        top_k: most actions returned.
        threshold: minimum score.

    Returns:
        (action id, name, score) by descending score (ties: lower column first).
    """
    if scores.shape[0] != len(class_names.ids):
        raise ValueError(
            f"the model gives {scores.shape[0]} scores per box but {class_names.source} names "
            f"{len(class_names.ids)} classes"
        )
    order = sorted(range(scores.shape[0]), key=lambda c: (-float(scores[c]), c))
    chosen = [c for c in order[:top_k] if float(scores[c]) >= threshold]
    return [(class_names.ids[c], class_names.column_name(c), float(scores[c])) for c in chosen]
