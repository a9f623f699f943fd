"""Text preparation before the n-gram metrics: raw text (the authors') or COCO's PTB tokenization.

``"none"`` leaves every text as written: BLEU-4 and CIDEr then split on whitespace, ROUGE-L on
single spaces, and METEOR tokenizes and normalizes inside the jar (``-norm``), exactly as the
authors' evaluator did. ``"ptb"`` is the common COCO caption practice: the Stanford PTB tokenizer
of the pycocoevalcap wheel with ``-preserveLines -lowerCase``, then punctuation tokens removed.
"""

from __future__ import annotations

import logging
import re
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from slowfast_microg.vlm_eval.errors import MetricRuntimeError
from slowfast_microg.vlm_eval.java import PTB_JAR, find_java, pycocoevalcap_file

logger = logging.getLogger(__name__)

# Tokens the COCO caption evaluation drops after PTB tokenization.
PTB_PUNCTUATION = frozenset(
    [
        "''",
        "'",
        "``",
        "`",
        "-LRB-",
        "-RRB-",
        "-LCB-",
        "-RCB-",
        ".",
        "?",
        "!",
        ",",
        ":",
        "-",
        "--",
        "...",
        ";",
    ]
)
_WHITESPACE = re.compile(r"\s+")


def ptb_tokenize(
    texts: Sequence[str], *, java: str = "java", timeout_s: float = 300.0
) -> list[str]:
    """PTB-tokenize texts the COCO way (lower-cased, punctuation tokens removed).

    Every run of whitespace (newlines included) becomes one space first, so that each text is
    exactly one line for the tokenizer.

    Args:
        texts: N texts.
        java: Java executable.
        timeout_s: seconds before the tokenizer process is stopped.

    Returns:
        N tokenized texts, tokens joined by single spaces.
    """
    if not texts:
        return []
    jar = pycocoevalcap_file(*PTB_JAR)
    cmd = [
        find_java(java),
        "-cp",
        str(jar),
        "edu.stanford.nlp.process.PTBTokenizer",
        "-preserveLines",
        "-lowerCase",
    ]
    body = "\n".join(_WHITESPACE.sub(" ", text) for text in texts)
    with tempfile.TemporaryDirectory(prefix="ptb_") as tmp:
        src = Path(tmp) / "sentences.txt"
        src.write_text(body, encoding="utf-8")
        try:
            done = subprocess.run(
                [*cmd, str(src)], capture_output=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise MetricRuntimeError(
                f"the PTB tokenizer did not finish within {timeout_s:.0f} s for {len(texts)} texts"
            ) from exc
    if done.returncode != 0:
        raise MetricRuntimeError(
            f"the PTB tokenizer failed (exit {done.returncode}): "
            f"{done.stderr.decode('utf-8', 'replace')[-800:]}"
        )
    lines = done.stdout.decode("utf-8").split("\n")
    if len(lines) == len(texts) + 1 and lines[-1] == "":
        lines.pop()
    if len(lines) != len(texts):
        raise MetricRuntimeError(
            f"the PTB tokenizer returned {len(lines)} lines for {len(texts)} texts"
        )
    return [
        " ".join(tok for tok in line.rstrip().split(" ") if tok not in PTB_PUNCTUATION)
        for line in lines
    ]


def prepare_texts(
    refs: Sequence[str], hyps: Sequence[str], *, mode: str, java: str = "java"
) -> tuple[list[str], list[str]]:
    """Apply the ``VLM_EVAL.TOKENIZE`` mode to references and predictions in one pass.

    Args:
        refs: N reference texts.
        hyps: N predicted texts.
        mode: ``"none"`` or ``"ptb"``.
        java: Java executable (``"ptb"`` only).

    Returns:
        The prepared references and predictions.
    """
    if mode == "none":
        return list(refs), list(hyps)
    if mode != "ptb":
        raise ValueError(f"unknown tokenization {mode!r}; choose 'none' or 'ptb'")
    logger.info("PTB-tokenizing %d texts", 2 * len(refs))
    out = ptb_tokenize([*refs, *hyps], java=java)
    return out[: len(refs)], out[len(refs) :]
