"""Monitoring: progress bars with ETA on a terminal, meter figures, memory fields."""

import io
import re

import pytest

from slowfast_microg.engine.monitor import TrainMeter, progress_bar
from slowfast_microg.engine.stats import gpu_mem_usage, ram_usage


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_shows_eta_on_a_terminal_only(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert list(progress_bar(range(5), total=5, desc="epoch 1/3", enabled=True)) == [0, 1, 2, 3, 4]
    text = terminal.getvalue()
    assert "epoch 1/3" in text and "/5 [" in text
    assert re.search(r"\[\d\d:\d\d<(\?|\d\d:\d\d)", text)  # [elapsed<remaining (ETA)

    for enabled, stream in ((False, _Terminal()), (True, io.StringIO())):
        monkeypatch.setattr("sys.stderr", stream)
        assert list(progress_bar(range(3), total=3, desc="val", enabled=enabled)) == [0, 1, 2]
        assert stream.getvalue() == ""


def test_meter_reports_throughput_eta_and_memory():
    meter = TrainMeter(max_epoch=2, iters_per_epoch=5, global_batch_size=8)
    for _ in range(4):
        meter.update(loss=0.5, lr=0.1, dt_data=0.5, dt_net=1.5)
    stats = meter.iter_stats(epoch=0, iteration=3)
    assert stats["throughput"] == pytest.approx(4.0)  # 8 clips every 2 s
    assert stats["eta"] == "0:00:12"  # 6 iterations left at 2 s each
    assert (stats["cur_epoch"], stats["cur_iter"]) == ("1/2", "4")
    assert re.fullmatch(r"\d+\.\d\dG", stats["gpu_mem"])
    epoch = meter.epoch_stats(epoch=0)
    assert epoch["loss"] == pytest.approx(0.5) and epoch["epoch"] == "1/2"
    assert re.fullmatch(r"\d+\.\d\d/\d+\.\d\dG", epoch["RAM"])
    assert gpu_mem_usage().endswith("G") and ram_usage().endswith("G")
