"""Fixtures for the caption / VQA evaluator tests: offline hub, Java, shared METEOR processes."""

from __future__ import annotations

import shutil

import pytest

JAVA_HINT = (
    "Java runtime not found on PATH; install one (e.g. apt-get install default-jre-headless)"
)


@pytest.fixture(scope="session", autouse=True)
def _offline_hub():
    """Never contact the model hub: a model that is not local must fail at once."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        yield


@pytest.fixture(scope="session")
def java() -> str:
    """Path of the Java executable (tests needing it are skipped, with the fix, without it)."""
    found = shutil.which("java")
    if found is None:
        pytest.skip(JAVA_HINT)
    return found


@pytest.fixture(scope="session")
def meteor_scorer(java):
    """One METEOR process of ours for the whole session."""
    from slowfast_microg.vlm_eval.meteor import MeteorScorer

    with MeteorScorer(java=java, timeout_s=300) as scorer:
        yield scorer


@pytest.fixture(scope="session")
def coco_meteor(java):
    """The oracle: pycocoevalcap's own METEOR wrapper (one process for the session)."""
    meteor_mod = pytest.importorskip(
        "pycocoevalcap.meteor.meteor", reason="pycocoevalcap missing: pip install -e '.[vlm]'"
    )
    return meteor_mod.Meteor()


class _SharedMeteor:
    """Stands in for ``MeteorScorer`` in the evaluation driver and hands out one running process."""

    def __init__(self, scorer):
        self.scorer = scorer

    def __call__(self, **kwargs):
        return self

    def __enter__(self):
        return self.scorer

    def __exit__(self, *exc):
        return False


@pytest.fixture
def shared_meteor(monkeypatch, meteor_scorer):
    """Make the command line reuse the session's METEOR process instead of starting a JVM."""
    from slowfast_microg.vlm_eval import evaluate as evaluate_mod

    monkeypatch.setattr(evaluate_mod, "MeteorScorer", _SharedMeteor(meteor_scorer))
