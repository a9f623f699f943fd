"""Only the needed work is done: mp4 decoding seeks, skips non-reference frames and groups of
pictures without a wanted frame, stops early; JPEG folders read only the sampled files. The
frames returned stay exactly the written ones."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from dataset_fakes import tiny_frames, write_lossless_mp4, write_tiny_dataset, write_x264_mp4

from slowfast_microg.datasets import video_decode
from slowfast_microg.datasets.frame_lists import read_frame_list
from slowfast_microg.datasets.frame_sources import JpegFrameSource, VideoFrameSource
from slowfast_microg.datasets.h264_packets import h264_packets
from slowfast_microg.datasets.video_decode import VideoClip, decode_frames, slice_threads

NUM_FRAMES = 40


def _packets(path: Path) -> tuple[list[int], list[bool], list[bool]]:
    """Presentation positions of the packets in decode order, whether each is disposable and
    whether each is an IDR picture."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        kinds = h264_packets(stream.codec_context)
        packets = [p for p in container.demux(stream) if p.size]
        period = 1 / stream.average_rate
        positions = [round(p.pts * stream.time_base / period) for p in packets]
        disposable = [kinds.disposable(bytes(p)) for p in packets]
        return positions, disposable, [kinds.independent(bytes(p)) for p in packets]


def _needed(path: Path, wanted: list[int]) -> set[int]:
    """Positions of the frames a wanted frame needs decoded: every packet from the last IDR
    picture before it (in decode order) up to it, except disposable ones, and itself."""
    positions, disposable, independent = _packets(path)
    needed = set()
    for position in set(wanted):
        end = positions.index(position)
        start = max(k for k in range(end + 1) if independent[k])
        needed |= {positions[k] for k in range(start, end) if not disposable[k]} | {position}
    return needed


def _ticks(path: Path):
    """Frames per timestamp unit of a video."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return stream.time_base * stream.average_rate


def _moving_frames(num_frames: int) -> np.ndarray:
    """(T, 48, 64, 3) smooth frames drifting 1 px per frame, a bright bar at column 2 * t."""
    yy, xx = np.mgrid[0:48, 0:64]
    frames = np.empty((num_frames, 48, 64, 3), dtype=np.uint8)
    for t in range(num_frames):
        for channel in range(3):
            wave = np.sin((xx + t) / 6.0 + 2 * channel) * np.cos(yy / 7.0)
            frames[t, :, :, channel] = (120 + 80 * wave).astype(np.uint8)
        frames[t, :, (2 * t) % 64] = 255
    return frames


def _full_decode(path: Path) -> list[np.ndarray]:
    """Every frame of a video in presentation order, by PyAV's plain decode loop."""
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


@pytest.fixture(scope="module")
def bframe_clip(tmp_path_factory):
    """An mp4 of x264 at its defaults: B-frame pyramid, one keyframe (as MicroG-4M's clips)."""
    path = tmp_path_factory.mktemp("bframes") / "clip.mp4"
    write_x264_mp4(path, _moving_frames(NUM_FRAMES))
    return path, _full_decode(path)


def _record_decoded(monkeypatch) -> list[int]:
    decoded: list[int] = []
    original = video_decode.decode_packet

    def recording(packet):
        if packet.size:
            decoded.append(packet.pts)
        return original(packet)

    monkeypatch.setattr(video_decode, "decode_packet", recording)
    return decoded


def test_the_clip_has_non_reference_frames(bframe_clip):
    path, _ = bframe_clip
    positions, disposable, independent = _packets(path)
    assert sorted(positions) == list(range(NUM_FRAMES))
    assert independent == [True] + [False] * (NUM_FRAMES - 1)
    assert sum(disposable) >= NUM_FRAMES // 4, "x264 codes non-reference B-frames"
    assert not disposable[0]


@pytest.mark.parametrize("wanted", [[3, 11, 19, 27], [0, 5, 10], [6, 6, 7, 39], [20]])
def test_non_reference_frames_are_skipped_and_frames_are_exact(bframe_clip, wanted, monkeypatch):
    path, frames = bframe_clip
    decoded = _record_decoded(monkeypatch)
    with VideoClip(path) as clip:
        got = clip.frames(wanted)
    tb = _ticks(path)
    assert sorted(got) == sorted(set(wanted))
    for position, frame in got.items():
        np.testing.assert_array_equal(frame, frames[position])
    positions, disposable, _ = _packets(path)
    skipped = {p for p, d in zip(positions, disposable, strict=True) if d and p not in wanted}
    decoded_positions = [round(pts * tb) for pts in decoded]
    assert set(decoded_positions).isdisjoint(skipped)
    assert sorted(decoded_positions) == sorted(_needed(path, wanted)), "each packet once"


def test_skipping_decodes_fewer_packets_for_the_same_frames(bframe_clip, monkeypatch):
    path, _ = bframe_clip
    wanted = list(range(2, NUM_FRAMES, 5))
    decoded = _record_decoded(monkeypatch)
    skipping = decode_frames(path, wanted)
    skipping_count = len(decoded)
    decoded.clear()
    monkeypatch.setattr(video_decode, "h264_packets", lambda codec_context: None)
    full = decode_frames(path, wanted)
    assert len(decoded) > skipping_count
    assert sorted(full) == sorted(skipping) == wanted
    for position in wanted:
        np.testing.assert_array_equal(skipping[position], full[position])


def test_decoding_starts_at_the_keyframe_before_the_first_wanted_frame(tmp_path, monkeypatch):
    frames = tiny_frames(24, seed=4)
    path = tmp_path / "gop4.mp4"
    write_lossless_mp4(path, frames, gop=4)  # keyframes at 0, 4, 8, ...; no B-frames
    decoded = _record_decoded(monkeypatch)
    got = decode_frames(path, [13, 17, 15, 22])
    assert [round(pts * _ticks(path)) for pts in decoded] == [12, 13, 14, 15, 16, 17, 20, 21, 22]
    for position in (13, 15, 17, 22):
        np.testing.assert_array_equal(got[position], frames[position])


@pytest.mark.parametrize("seeks", [True, False], ids=["seeking", "reading-through"])
@pytest.mark.parametrize("options", ["keyint=8:min-keyint=8", "keyint=1", "keyint=6:bframes=0"])
def test_groups_of_pictures_without_a_wanted_frame_are_skipped(
    tmp_path, options, seeks, monkeypatch
):
    """Short-GOP encodings (IDR pictures every few frames, B-frames or not, all-intra): only
    the packets from a wanted frame's IDR picture up to it are decoded, never one twice, and
    every frame equals a full decode's, over many random frame sets; both when the decoder
    seeks over groups through the keyframe index and when it reads through them (no index)."""
    if not seeks:
        monkeypatch.setattr(video_decode._Keyframes, "jump", lambda self, dts, *, before_pts: None)
    path = tmp_path / "short_gop.mp4"
    write_x264_mp4(path, _moving_frames(NUM_FRAMES), x264_params=options)
    frames = _full_decode(path)
    _, _, independent = _packets(path)
    assert sum(independent) >= NUM_FRAMES // 8
    tb = _ticks(path)
    rng = np.random.default_rng(0)
    decoded = _record_decoded(monkeypatch)
    for size in (1, 2, 4, 8, 8, 13, 16):
        wanted = sorted(rng.choice(NUM_FRAMES, size=size, replace=False).tolist())
        decoded.clear()
        got = decode_frames(path, wanted)
        assert sorted(round(pts * tb) for pts in decoded) == sorted(_needed(path, wanted))
        assert sorted(got) == wanted
        for position in wanted:
            np.testing.assert_array_equal(got[position], frames[position])
    if options == "keyint=1":
        assert sorted(round(pts * tb) for pts in decoded) == wanted, "all-intra: only wanted"


def test_jpeg_folders_read_only_the_sampled_frames(tmp_path, monkeypatch):
    root = write_tiny_dataset(tmp_path, {"clip": tiny_frames(20, seed=1)}, rows={})
    paths = read_frame_list(root / "frame_lists" / "train.csv", config_key="AVA.TRAIN_LISTS")
    source = JpegFrameSource(frame_dir=root / "frames", frame_paths=paths)
    read: list[str] = []
    original = Path.read_bytes

    def recording(self):
        read.append(self.name)
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", recording)
    indices = torch.tensor([0, 0, 4, 9, 9, 19])
    with source.open("clip", indices) as reader:
        assert (reader.height, reader.width) == (48, 64)
        assert read == ["clip_000001.png"], "only the first frame's header before reading"
        clip = reader.read()
    assert sorted(read) == [f"clip_{k:06d}.png" for k in (1, 5, 10, 20)]
    assert clip.shape == (6, 3, 48, 64)
    assert torch.equal(clip[0], clip[1]) and torch.equal(clip[3], clip[4])


def test_video_reader_knows_the_size_before_decoding(bframe_clip, monkeypatch):
    path, frames = bframe_clip
    source = VideoFrameSource(video_dir=path.parent)
    decoded = _record_decoded(monkeypatch)
    with source.open("clip", torch.tensor([1, 2])) as reader:
        assert (reader.height, reader.width) == frames[0].shape[:2]
        assert decoded == []
        clip = reader.read()
    assert torch.equal(clip, torch.from_numpy(np.stack(frames[1:3])).permute(0, 3, 1, 2))


def test_a_container_without_rate_in_its_header_is_probed_fully(tmp_path):
    """Files are opened without probe decoding; an MPEG-TS file (named .mp4), whose frame rate
    only probing finds, is reopened with FFmpeg's full probing and gives the right frames."""
    frames = tiny_frames(12, seed=6)
    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w", format="mpegts") as container:
        stream = container.add_stream("libx264rgb", rate=30)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "rgb24"
        stream.options = {"qp": "0", "preset": "ultrafast"}
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    got = decode_frames(path, [0, 5, 11])
    for position in (0, 5, 11):
        np.testing.assert_array_equal(got[position], frames[position])


def _decode_in_child(path: str, wanted: list[int], results) -> None:
    results.put({k: v.tobytes() for k, v in decode_frames(path, wanted).items()})


def test_decoding_works_in_a_process_forked_after_decoding(bframe_clip):
    """DataLoader workers are forked from a process that has usually decoded clips already
    (validation in the main process, an earlier loader): nothing FFmpeg set up in the parent
    (swscale's thread pool, for one) may be reused by the child, where its threads do not exist.
    """
    path, _ = bframe_clip
    wanted = [2, 9, 17]
    expected = decode_frames(path, wanted)
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_decode_in_child, args=(str(path), wanted, results))
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
        child.join()
        pytest.fail("decoding in the forked process hung")
    assert child.exitcode == 0
    got = results.get(timeout=5)
    assert got == {k: v.tobytes() for k, v in expected.items()}


class _CountingContainer:
    """Wraps a VideoClip's container to count the packets it reads."""

    def __init__(self, container) -> None:
        self._container = container
        self.read = 0

    def demux(self, stream):
        for packet in self._container.demux(stream):
            self.read += 1
            yield packet

    def __getattr__(self, name):
        return getattr(self._container, name)


def test_groups_without_a_wanted_frame_are_not_even_read(tmp_path):
    """All-intra: the decoder seeks from one wanted frame to the next through the container's
    keyframe index instead of reading the packets between."""
    path = tmp_path / "intra.mp4"
    write_x264_mp4(path, _moving_frames(NUM_FRAMES), x264_params="keyint=1")
    frames = _full_decode(path)
    with VideoClip(path) as clip:
        clip._container = counting = _CountingContainer(clip._container)
        got = clip.frames([3, 20, 37])
    assert counting.read == 3
    for position in (3, 20, 37):
        np.testing.assert_array_equal(got[position], frames[position])


def test_a_jump_that_misses_its_idr_picture_falls_back_to_reading_in_order(tmp_path, monkeypatch):
    """If the index leads a jump anywhere but the expected IDR picture (here: an index that
    names non-keyframes), the frames are decoded again from the start, in order, and exact."""
    path = tmp_path / "gop8.mp4"
    write_x264_mp4(path, _moving_frames(NUM_FRAMES), x264_params="keyint=8:min-keyint=8")
    frames = _full_decode(path)
    original = video_decode._Keyframes.jump

    def off_by_one(self, dts, *, before_pts):
        jump = original(self, dts, before_pts=before_pts)
        return None if jump is None else jump + 512

    monkeypatch.setattr(video_decode._Keyframes, "jump", off_by_one)
    decoded = _record_decoded(monkeypatch)
    wanted = [2, 13, 30]
    got = decode_frames(path, wanted)
    for position in wanted:
        np.testing.assert_array_equal(got[position], frames[position])
    assert len(decoded) > len(set(decoded)), "the first group was decoded again, from the start"


class _ThreadsSeen(torch.utils.data.Dataset):
    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> int:
        return slice_threads()


@pytest.mark.parametrize("workers", [1, 2])
def test_loader_workers_share_the_cpus_among_their_decoders(workers):
    """Each worker's decoders get the process's CPUs divided by the number of workers (at
    least one thread), so workers do not oversubscribe the machine; the main process leaves
    the choice to FFmpeg (0)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert slice_threads() == 0
    loader = torch.utils.data.DataLoader(_ThreadsSeen(), batch_size=None, num_workers=workers)
    assert set(loader) == {max(1, cpus // workers)}
