"""TEST.FLIP_ENSEMBLE: a clip and its mirror scored in one batched forward, scores averaged."""

import numpy as np
import pytest
import torch
from torch import nn
from torchvision.ops import roi_align

from slowfast_microg.engine.data import build_split_loader
from slowfast_microg.engine.predict import predict_split
from slowfast_microg.engine.views import add_flipped_view, average_views, mirror_boxes


class RoIMeanToy(nn.Module):
    """Per-box scores from RoIAlign features: flip-equivariant unless ``skew`` is set.

    The pooled 4x4 RoI features are averaged over their cells, which a left-right mirror of
    the clip and the box leaves unchanged; ``skew`` weights the cells by their column instead,
    so the mirrored view scores differently.
    """

    def __init__(self, *, aligned: bool, skew: bool = False) -> None:
        super().__init__()
        self.aligned = aligned
        self.skew = skew
        self.proj = nn.Linear(3, 5)
        self.calls: list[tuple[int, int]] = []

    def forward(self, inputs: list[torch.Tensor], bboxes: torch.Tensor) -> torch.Tensor:
        self.calls.append((inputs[0].shape[0], bboxes.shape[0]))
        frames = inputs[0].mean(dim=2)  # (B, C, H, W)
        pooled = roi_align(frames, bboxes, output_size=4, sampling_ratio=2, aligned=self.aligned)
        weights = torch.linspace(0.0, 1.0, 4) if self.skew else torch.full((4,), 0.25)
        features = (pooled.mean(dim=2) * weights).sum(dim=-1)  # (N, C)
        return torch.sigmoid(self.proj(features))


def _batch(seed: int = 0, clips: int = 3, width: int = 20):
    generator = torch.Generator().manual_seed(seed)
    inputs = [torch.randn(clips, 3, 4, 16, width, generator=generator)]
    corner = torch.rand(2 * clips, 2, generator=generator) * torch.tensor([width / 2, 8.0])
    size = 2.0 + torch.rand(2 * clips, 2, generator=generator) * torch.tensor([width / 2, 7.0])
    index = torch.arange(clips).repeat_interleave(2).float()
    return inputs, torch.cat([index[:, None], corner, corner + size], dim=1)


@pytest.mark.parametrize(("aligned", "edge"), [(True, 20.0), (False, 19.0)])
def test_mirror_boxes_maps_x_to_the_mirrored_edge(aligned, edge):
    boxes = torch.tensor([[1.0, 2.0, 3.0, 7.5, 9.0]])
    mirrored = mirror_boxes(boxes, width=20, aligned=aligned)
    assert mirrored.tolist() == [[1.0, edge - 7.5, 3.0, edge - 2.0, 9.0]]
    torch.testing.assert_close(mirror_boxes(mirrored, width=20, aligned=aligned), boxes)


def test_flipped_view_layout_and_average():
    inputs, boxes = _batch()
    stacked, both = add_flipped_view(inputs, boxes, aligned=True)
    assert stacked[0].shape == (6, 3, 4, 16, 20)
    torch.testing.assert_close(stacked[0][3:], inputs[0].flip(-1))
    assert both[6:, 0].tolist() == (boxes[:, 0] + 3).tolist()
    scores = torch.arange(24.0).reshape(12, 2)
    torch.testing.assert_close(average_views(scores, views=2), (scores[:6] + scores[6:]) / 2)
    with pytest.raises(ValueError, match="3 views"):
        average_views(scores[:10], views=3)


@pytest.mark.parametrize("aligned", [True, False])
def test_ensemble_of_a_flip_equivariant_model_equals_the_single_view(aligned):
    model = RoIMeanToy(aligned=aligned).eval()
    inputs, boxes = _batch()
    with torch.no_grad():
        single = model(inputs, boxes)
        stacked, both = add_flipped_view(inputs, boxes, aligned=aligned)
        ensemble = average_views(model(stacked, both), views=2)
    torch.testing.assert_close(ensemble, single, rtol=0, atol=1e-6)


def test_ensemble_averages_the_two_views_of_any_model():
    model = RoIMeanToy(aligned=True, skew=True).eval()
    inputs, boxes = _batch(seed=1)
    with torch.no_grad():
        single = model(inputs, boxes)
        mirrored = model([inputs[0].flip(-1)], mirror_boxes(boxes, width=20, aligned=True))
        stacked, both = add_flipped_view(inputs, boxes, aligned=True)
        ensemble = average_views(model(stacked, both), views=2)
    assert (single - mirrored).abs().max() > 1e-3  # the views differ for this model
    torch.testing.assert_close(ensemble, (single + mirrored) / 2, rtol=0, atol=1e-6)


@pytest.mark.parametrize("flip", [False, True])
def test_predict_split_scores_a_whole_batch_per_forward(toys, tmp_path, flip):
    cfg = toys.toy_cfg(tmp_path / "run", tmp_path / "data", {"TEST.BATCH_SIZE": 4})
    loader = build_split_loader(cfg, "test", rank=0, world_size=1)
    model = RoIMeanToy(aligned=True)
    proj = nn.Linear(3, cfg.MODEL.NUM_CLASSES)
    model.proj = proj
    predictions = predict_split(
        model=model,
        split_loader=loader,
        device=torch.device("cpu"),
        num_model_classes=cfg.MODEL.NUM_CLASSES,
        autocast_dtype=None,
        show_progress=False,
        desc="test",
        channels_last=True,
        flip_ensemble=flip,
        boxes_aligned=True,
    )
    views = 2 if flip else 1
    # 10 one-box items in batches of 4: three forwards of 4, 4 and 2 keyframes (x views).
    assert model.calls == [(4 * views, 4 * views), (4 * views, 4 * views), (2 * views, 2 * views)]
    batch = toys.toy_collate([loader.dataset[i] for i in range(10)])
    with torch.no_grad():
        expected = model(batch["inputs"], batch["boxes"]).numpy()
    np.testing.assert_allclose(predictions.scores, expected, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(predictions.item_indices, np.arange(10))
