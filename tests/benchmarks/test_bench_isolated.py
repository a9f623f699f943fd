"""Measurements in a child process: results come back; exceptions, crashes and hangs become a
one-line error instead of ending the suite; the models suite records them per mode."""

from __future__ import annotations

import operator
import os
import sys
import time

from suite_run import BENCHMARKS, run_suite

sys.path.insert(0, str(BENCHMARKS))

from isolated import run_isolated  # noqa: E402
from model_inputs import load_row, pathway_frames  # noqa: E402


def test_the_childs_result_comes_back():
    outcome = run_isolated(operator.add, args=(2, 3), timeout_s=120)
    assert outcome.value == 5 and outcome.error is None


def test_an_exception_is_named():
    outcome = run_isolated(int, args=("not a number",), timeout_s=120)
    assert outcome.value is None
    assert outcome.error.startswith("ValueError: invalid literal for int()")


def test_a_crash_names_the_signal():
    outcome = run_isolated(os.abort, timeout_s=120)
    assert outcome.error == "crashed: SIGABRT"


def test_an_exit_without_result_names_the_code():
    outcome = run_isolated(sys.exit, args=(3,), timeout_s=120)
    assert outcome.error == "exited with code 3 before returning a result"


def test_a_hang_is_stopped_at_the_time_limit():
    start = time.monotonic()
    outcome = run_isolated(time.sleep, args=(300,), timeout_s=3)
    assert outcome.error == "timed out after 3 s"
    assert time.monotonic() - start < 120


def test_the_models_suite_measures_each_mode_in_a_child(tmp_path):
    options = ["--configs", "SLOWFAST_4x16.yaml", "--modes", "fp32", "--passes", "fwd"]
    options += ["--repeats", "1", "--warmup", "0", "--threads", "1"]
    result = run_suite("models", out=tmp_path, options=options)
    row = result["figures"]["rows"]["SLOWFAST_4x16.yaml"]
    fwd = row["modes"]["fp32"]["fwd"]
    cfg = load_row("SLOWFAST_4x16.yaml")
    size = cfg.DATA.TEST_CROP_SIZE
    assert fwd["input"]["pathways"] == [[1, 3, t, size, size] for t in pathway_frames(cfg)]
    assert fwd["timing"]["clips_per_s_wall"] > 0
    assert row["gflops_per_clip"]["fwd"] > 0
