"""Chunked pair scoring: repeated pairs scored once, cached pairs never recomputed."""

from __future__ import annotations

import numpy as np

from slowfast_microg.vlm_eval.cache import ScoreCache, score_pairs


class _CountingScorer:
    def __init__(self):
        self.pairs = 0

    def __call__(self, refs, hyps):
        self.pairs += len(refs)
        return np.array(
            [[len(r) - len(h), len(r) + len(h)] for r, h in zip(refs, hyps, strict=True)]
        )


def _run(refs, hyps, cache, scorer):
    return score_pairs(
        refs,
        hyps,
        scorer=scorer,
        fingerprint="test|v1",
        width=2,
        cache=cache,
        chunk_size=3,
        desc="test",
        progress=False,
    )


def test_duplicates_once_and_resume_from_file(tmp_path):
    refs = ["a", "bb", "a", "ccc", "dddd", "a", "ee"]
    hyps = ["x", "y", "x", "zz", "w", "x", "vv"]
    expected = np.array(
        [[len(r) - len(h), len(r) + len(h)] for r, h in zip(refs, hyps, strict=True)]
    )
    path = tmp_path / "cache.jsonl"
    first = _CountingScorer()
    np.testing.assert_array_equal(_run(refs[:4], hyps[:4], ScoreCache(path), first), expected[:4])
    assert first.pairs == 3
    second = _CountingScorer()
    np.testing.assert_array_equal(_run(refs, hyps, ScoreCache(path), second), expected)
    assert second.pairs == 2
    third = _CountingScorer()
    _run(refs, hyps, ScoreCache(path), third)
    assert third.pairs == 0


def test_other_fingerprint_does_not_reuse_values(tmp_path):
    path = tmp_path / "cache.jsonl"
    _run(["a"], ["b"], ScoreCache(path), _CountingScorer())
    scorer = _CountingScorer()
    score_pairs(
        ["a"],
        ["b"],
        scorer=scorer,
        fingerprint="other",
        width=2,
        cache=ScoreCache(path),
        chunk_size=3,
        desc="test",
        progress=False,
    )
    assert scorer.pairs == 1


def test_progress_bar_only_when_asked(capsys):
    def run(progress):
        return score_pairs(
            ["a", "bb", "ccc", "dddd"],
            ["w", "x", "y", "z"],
            scorer=_CountingScorer(),
            fingerprint="progress",
            width=2,
            cache=ScoreCache(None),
            chunk_size=2,
            desc="S-BERT",
            progress=progress,
        )

    run(False)
    assert capsys.readouterr().err == ""
    run(True)
    err = capsys.readouterr().err
    assert "S-BERT:" in err and "/4 " in err
