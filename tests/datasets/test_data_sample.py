"""The embedded sample: deterministic bytes, the train-ready layout, boxes on the rendered
persons, and class motions that differ as documented."""

from __future__ import annotations

import hashlib

import av
import numpy as np
import pytest

from slowfast_microg.datasets.ava_io import read_box_csv, read_label_map
from slowfast_microg.datasets.frame_lists import read_frame_list
from slowfast_microg.datasets.sample import generate_sample, main, plan_sample
from slowfast_microg.datasets.sample_scene import (
    BEND,
    CARRY,
    JUMP,
    MARTIAL_ART,
    MOTIONS,
    STAND,
    WALK,
    WAVE,
    Person,
    person_box,
    render_clip,
)

SPLITS = ("train", "val", "test")


def _digests(root):
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_same_seed_same_bytes(tmp_path):
    kwargs = {"num_clips": 3, "height": 48, "width": 64}
    generate_sample(tmp_path / "a", seed=5, **kwargs)
    generate_sample(tmp_path / "b", seed=5, **kwargs)
    generate_sample(tmp_path / "c", seed=6, **kwargs)
    generate_sample(tmp_path / "d", seed=5, layouts=("frames",), **kwargs)
    a, b, c, d = (_digests(tmp_path / name) for name in "abcd")
    assert len(a) == 3 * 90 + 3 + 3 + 3 * 2 + 2 + 1
    assert a == b
    assert a["annotations/ava_train.csv"] != c["annotations/ava_train.csv"]
    assert {k: v for k, v in a.items() if not k.startswith("videos/")} == d


def test_layout_and_formats(sample_dir, fixtures_dir):
    ann = sample_dir / "annotations"
    label_map = read_label_map(ann / "label_map.pbtxt")
    released = (fixtures_dir / "datasets" / "label_map.pbtxt").read_bytes()
    assert (ann / "label_map.pbtxt").read_bytes() == released
    for split in SPLITS:
        frames = read_frame_list(sample_dir / "frame_lists" / f"{split}.csv", config_key="K")
        assert list(frames) == sorted(frames)
        gt = read_box_csv(ann / f"ava_{split}.csv", kind="gt", label_map=label_map, config_key="K")
        predicted = read_box_csv(
            ann / f"ava_{split}_predicted_boxes.csv",
            kind="predicted",
            label_map=label_map,
            config_key="K",
        )
        assert [(r.clip_id, r.stamp, r.box_key) for r in gt] == [
            (r.clip_id, r.stamp, r.box_key) for r in predicted
        ]
        assert {(r.action_id, r.score) for r in predicted} == {(None, 1.0)}
        assert all(45 <= r.stamp <= 52 for r in gt)
        if split != "train":
            assert (ann / f"ava_{split}_gt.csv").read_bytes() == (
                ann / f"ava_{split}.csv"
            ).read_bytes()
        for clip_id, paths in frames.items():
            assert paths == [f"{clip_id}/{clip_id}_{k:06d}.jpg" for k in range(1, 91)]
            jpegs = sorted((sample_dir / "frames" / clip_id).iterdir())
            assert [p.name for p in jpegs] == [p.split("/")[1] for p in paths]
            with av.open(str(sample_dir / "videos" / f"{clip_id}.mp4")) as container:
                stream = container.streams.video[0]
                assert stream.average_rate == 30
                assert (stream.width, stream.height) == (96, 72)
                assert sum(1 for _ in container.decode(stream)) == 90


def test_default_plan_covers_every_class_in_every_split():
    plan = plan_sample(48, seed=0, height=120, width=160)
    assert [entry[1] for entry in plan].count("val") == 8
    assert [entry[1] for entry in plan].count("test") == 8
    for split in SPLITS:
        persons = [p for entry in plan if entry[1] == split for p in entry[3]]
        assert {p.motion for p in persons} == set(MOTIONS)
        assert any(CARRY in p.action_ids for p in persons)
    assert {len(entry[3]) for entry in plan} == {1, 2, 3}


def _person(motion, carries=False, **kw):
    values = dict(
        motion=motion,
        carries=carries,
        cx=80.0,
        bottom=110.0,
        width=32.0,
        height=70.0,
        color=(200.0, 180.0, 160.0),
        stripe_freq=0.7,
        stripe_angle=0.3,
        phase=3.0,
        direction=1.0,
        key_index=48,
    )
    values.update(kw)
    return Person(**values)


def _masks(person, num_frames=90):
    """(T, H, W) boolean masks of the person drawn on a black, noiseless backdrop."""
    frames = render_clip(
        [person],
        np.zeros((120, 160, 3), np.float32),
        np.zeros((1, 120, 160, 3), np.float32),
        num_frames=num_frames,
    )
    return frames.max(axis=3) > 0


@pytest.mark.parametrize("motion", MOTIONS)
@pytest.mark.parametrize("carries", [False, True])
def test_boxes_enclose_the_rendered_person(motion, carries):
    person = _person(motion, carries)
    masks = _masks(person)
    for frame in (20, 48, 70):
        rows, cols = np.nonzero(masks[frame])
        box = person_box(person, frame_index=frame, frame_height=120, frame_width=160)
        extent = (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1)
        np.testing.assert_allclose(box, extent, atol=2.5)


def _trajectory(motion):
    masks = _masks(_person(motion))[20:80]
    xs = np.array([np.nonzero(m)[1].mean() for m in masks])
    tops = np.array([np.nonzero(m)[0].min() for m in masks])
    bottoms = np.array([np.nonzero(m)[0].max() for m in masks])
    upper_x = np.array(
        [np.nonzero(m[: top + 12])[1].mean() for m, top in zip(masks, tops, strict=True)]
    )
    return xs, tops, bottoms, upper_x


def test_class_motions_are_distinct():
    xs, tops, bottoms, _ = _trajectory(STAND)
    assert np.ptp(xs) < 0.5 and np.ptp(bottoms) == 0 and np.ptp(tops) <= 3
    xs, tops, bottoms, _ = _trajectory(WALK)
    assert np.all(np.diff(xs) > 0) and np.ptp(xs) > 25 and np.ptp(bottoms) <= 1
    xs, tops, bottoms, _ = _trajectory(JUMP)
    assert np.ptp(bottoms) > 10 and np.ptp(xs) < 0.5
    xs, tops, bottoms, _ = _trajectory(BEND)
    assert np.ptp(tops) > 20 and np.ptp(bottoms) == 0
    xs, tops, bottoms, upper_x = _trajectory(WAVE)
    assert np.ptp(upper_x) > 15 and np.ptp(xs) < 4 and np.ptp(bottoms) == 0
    xs, tops, bottoms, _ = _trajectory(MARTIAL_ART)
    assert np.ptp(xs) > 12 and np.sum(np.diff(np.sign(np.diff(xs))) != 0) >= 6
    assert np.ptp(bottoms) <= 1


def test_command_line(tmp_path, capsys):
    out = tmp_path / "cli"
    assert (
        main(
            [
                "--out",
                str(out),
                "--num-clips",
                "3",
                "--height",
                "48",
                "--width",
                "64",
                "--layouts",
                "frames",
            ]
        )
        == 0
    )
    assert "train: 1 clips" in capsys.readouterr().out
    assert (out / "frames").is_dir() and not (out / "videos").exists()


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="num_clips must be >= 3"):
        generate_sample(tmp_path, num_clips=2)
    with pytest.raises(ValueError, match="even and >= 32"):
        generate_sample(tmp_path, height=47)
    with pytest.raises(ValueError, match="layouts must be"):
        generate_sample(tmp_path, layouts=("tar",))
