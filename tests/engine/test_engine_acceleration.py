"""TRAIN.CHANNELS_LAST / TRAIN.COMPILE / TRAIN.AMP_DTYPE reach the engine's train and test."""

import logging

import numpy as np
import pytest
import torch

import slowfast_microg.engine.runtime as runtime_module
from slowfast_microg.engine.launch import run_tasks
from slowfast_microg.engine.runtime import setup_runtime


def _run(toys, tmp_path, name, overrides, monkeypatch):
    """Train 2 epochs and test; returns (models seen by accelerate_in_place, scores, weights)."""
    seen = []
    real = runtime_module.accelerate_in_place

    def spy(model, **kwargs):
        seen.append((model, kwargs))
        return real(model, **kwargs)

    monkeypatch.setattr(runtime_module, "accelerate_in_place", spy)
    cfg = toys.toy_cfg(tmp_path / name, tmp_path / "data", {"MODEL.DROPOUT_RATE": 0.0, **overrides})
    run_tasks(cfg)
    out = tmp_path / name
    scores = np.load(out / "predictions_test_0.npz")["scores"]
    state = torch.load(out / "checkpoints" / "checkpoint_epoch_00002.pyth", weights_only=True)
    return seen, scores, state["model_state"]


def _assert_same_run(run, reference):
    _, scores, weights = run
    _, ref_scores, ref_weights = reference
    np.testing.assert_allclose(scores, ref_scores, rtol=0, atol=1e-5)
    assert weights.keys() == ref_weights.keys()  # no "_orig_mod." prefix in checkpoints
    for key, value in ref_weights.items():
        torch.testing.assert_close(weights[key], value, rtol=0, atol=1e-5)


def test_channels_last_clips_reach_the_model_in_train_and_test(toys, tmp_path, monkeypatch):
    reference = _run(toys, tmp_path, "plain", {}, monkeypatch)
    formats = []
    forward = toys.EngineToy.forward

    def recording(self, inputs, bboxes):
        is_cl = inputs[0].is_contiguous(memory_format=torch.channels_last_3d)
        formats.append((self.training, is_cl))
        return forward(self, inputs, bboxes)

    monkeypatch.setattr(toys.EngineToy, "forward", recording)
    accelerated = _run(toys, tmp_path, "cl", {"TRAIN.CHANNELS_LAST": True}, monkeypatch)
    # Train (12 steps), val twice and test: every forward got channels_last_3d clips.
    assert {training for training, _ in formats} == {True, False}
    assert all(is_cl for _, is_cl in formats)
    assert [kwargs["channels_last"] for _, kwargs in accelerated[0]] == [True, True]  # train, test
    _assert_same_run(accelerated, reference)


def test_compile_runs_the_compiled_model_in_train_and_test(toys, tmp_path, monkeypatch):
    reference = _run(toys, tmp_path, "plain", {}, monkeypatch)
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    overrides = {"TRAIN.COMPILE": True, "TRAIN.COMPILE_BACKEND": "aot_eager"}
    compiled = _run(toys, tmp_path, "compiled", overrides, monkeypatch)
    seen = compiled[0]
    assert len(seen) == 2  # the training model and the test model
    for model, kwargs in seen:
        assert kwargs["compile"] and kwargs["compile_backend"] == "aot_eager"
        assert model._compiled_call_impl is not None  # nn.Module.compile: the module itself
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] >= 2  # train and eval graphs
    _assert_same_run(compiled, reference)
    torch._dynamo.reset()


def test_mixed_precision_is_gpu_only_and_reads_amp_dtype(toys, tmp_path, caplog):
    cfg = toys.toy_cfg(
        tmp_path / "run",
        tmp_path / "data",
        {"TRAIN.MIXED_PRECISION": True, "TRAIN.AMP_DTYPE": "float16", "TRAIN.CHANNELS_LAST": True},
    )
    with caplog.at_level(logging.INFO):
        runtime = setup_runtime(cfg)
    assert runtime.autocast_dtype is None and runtime.channels_last
    assert "GPU runs only" in caplog.text


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_mixed_precision_on_gpu_uses_amp_dtype(toys, tmp_path):
    cfg = toys.toy_cfg(
        tmp_path / "run",
        tmp_path / "data",
        {"NUM_GPUS": 1, "TRAIN.MIXED_PRECISION": True, "TRAIN.AMP_DTYPE": "float16"},
    )
    assert setup_runtime(cfg).autocast_dtype is torch.float16
