"""METEOR 1.5 (the jar shipped in the pycocoevalcap wheel) through a robust subprocess wrapper.

Matches the authors' evaluator: ``-l en -norm`` with the default modules and paraphrase table;
``|||`` removed from the prediction (not from the reference), then every run of whitespace in the
line sent to the jar collapsed to one space, so newlines in a caption can neither split the
line nor desynchronize the protocol. The corpus score is the jar's own aggregate over the pooled
statistics (the last line of its ``EVAL`` reply), not the mean of the segment scores.

Every reply is awaited with a timeout; a dead or silent process raises an error quoting its
stderr instead of hanging. One process can score several sets (``with MeteorScorer() as m``).
"""

from __future__ import annotations

import logging
import queue
import re
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from slowfast_microg.vlm_eval.errors import MetricRuntimeError
from slowfast_microg.vlm_eval.java import (
    METEOR_JAR,
    PARAPHRASE_TABLE,
    find_java,
    pycocoevalcap_file,
)

logger = logging.getLogger(__name__)

_WHITESPACE = re.compile(r"\s+")


@dataclass
class MeteorResult:
    """METEOR scores.

    Attributes:
        corpus: the jar's corpus-level METEOR (raw, in [0, 1]; the paper's column times 100).
        per_item: (N,) segment scores (diagnostic only: the corpus score is not their mean).
    """

    corpus: float
    per_item: np.ndarray


def score_line(ref: str, hyp: str) -> str:
    """Build the jar's ``SCORE`` request for one item, as the authors' wrapper does.

    Args:
        ref: reference text.
        hyp: predicted text (``|||`` is removed from it).

    Returns:
        A single line without the trailing newline.
    """
    return _WHITESPACE.sub(" ", f"SCORE ||| {ref} ||| {hyp.replace('|||', '')}")


def encode_requests(refs: Sequence[str], hyps: Sequence[str]) -> list[bytes]:
    """UTF-8 ``SCORE`` requests of N items, checked before anything is sent to the jar.

    Args:
        refs: N reference texts.
        hyps: N predicted texts.

    Returns:
        N encoded lines without their newline.

    Raises:
        ValueError: a text holds a lone surrogate (not valid Unicode), named with its item.
    """
    out = []
    for index, (ref, hyp) in enumerate(zip(refs, hyps, strict=True)):
        line = score_line(ref, hyp)
        try:
            out.append(line.encode("utf-8"))
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"METEOR item {index}: the text holds {line[exc.start]!r} at character "
                f"{exc.start} of its request line, a lone surrogate that is not valid Unicode; "
                "fix the text (reference or prediction) before scoring"
            ) from None
    return out


class MeteorScorer:
    """A METEOR 1.5 process in ``-stdio`` mode, started on first use.

    Args:
        java: Java executable.
        memory: maximum heap, e.g. ``"2G"``.
        timeout_s: seconds to wait for any single reply before stopping the process.
        progress: show a progress bar while segments are scored.
    """

    def __init__(
        self,
        *,
        java: str = "java",
        memory: str = "2G",
        timeout_s: float = 300.0,
        progress: bool = False,
    ) -> None:
        self._java = java
        self._memory = memory
        self._timeout_s = float(timeout_s)
        self._progress = progress
        self._proc: subprocess.Popen | None = None
        self._lines: queue.Queue[list[bytes] | None] = queue.Queue()
        self._ready: deque[bytes] = deque()
        self._stderr = None
        self._lock = threading.Lock()

    def __enter__(self) -> MeteorScorer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _start(self) -> None:
        jar = pycocoevalcap_file(*METEOR_JAR)
        pycocoevalcap_file(*PARAPHRASE_TABLE)
        cmd = [
            find_java(self._java),
            f"-Xmx{self._memory}",
            "-jar",
            str(jar),
            "-",
            "-",
            "-stdio",
            "-l",
            "en",
            "-norm",
        ]
        logger.info("starting METEOR: %s", " ".join(cmd))
        self._stderr = tempfile.TemporaryFile()
        self._lines = queue.Queue()
        self._ready = deque()
        self._proc = subprocess.Popen(
            cmd,
            cwd=jar.parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        threading.Thread(
            target=self._pump, args=(self._proc.stdout, self._lines), daemon=True
        ).start()

    @staticmethod
    def _pump(stream, lines: queue.Queue) -> None:
        """Move stdout to the queue in blocks of complete lines (few queue operations)."""
        pending = b""
        try:
            while chunk := stream.read1(1 << 16):
                pending += chunk
                *complete, pending = pending.split(b"\n")
                if complete:
                    lines.put(complete)
        except (OSError, ValueError):
            pass
        if pending:
            lines.put([pending])
        lines.put(None)

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")[-1500:].strip()

    def _fail(self, message: str) -> MetricRuntimeError:
        tail = self._stderr_tail()
        self.close(kill=True)
        return MetricRuntimeError(message + (f"\nMETEOR stderr:\n{tail}" if tail else ""))

    def _readline(self, what: str) -> str:
        if not self._ready:
            try:
                block = self._lines.get(timeout=self._timeout_s)
            except queue.Empty:
                raise self._fail(
                    f"METEOR sent no reply within {self._timeout_s:.0f} s while {what}; the "
                    "process was stopped (raise VLM_EVAL.METEOR.TIMEOUT_S on a slow machine)"
                ) from None
            if block is None:
                raise self._fail(f"the METEOR process ended unexpectedly while {what}")
            self._ready.extend(block)
        return self._ready.popleft().decode("utf-8", "replace").strip()

    def _send(self, lines: list[bytes]) -> None:
        """Write encoded request lines from a thread, so that replies can be read while writing."""
        stdin = self._proc.stdin

        def write() -> None:
            try:
                for line in lines:
                    stdin.write(line + b"\n")
                stdin.flush()
            except (OSError, ValueError):
                # The process died or was stopped: the reader reports it with its stderr.
                return

        threading.Thread(target=write, daemon=True).start()

    def _read_float(self, what: str) -> float:
        reply = self._readline(what)
        try:
            return float(reply)
        except ValueError:
            raise self._fail(f"METEOR answered {reply[:200]!r} while {what}") from None

    def score(self, refs: Sequence[str], hyps: Sequence[str]) -> MeteorResult:
        """Score N prediction / reference pairs.

        Args:
            refs: N reference texts.
            hyps: N predicted texts.

        Returns:
            The corpus METEOR and the (N,) segment scores.
        """
        if len(refs) != len(hyps):
            raise ValueError(f"{len(refs)} references but {len(hyps)} predictions")
        if not refs:
            raise ValueError("METEOR needs at least one item")
        requests = encode_requests(refs, hyps)
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._start()
            stats = self._segment_stats(refs, hyps, requests)
            self._send([("EVAL ||| " + " ||| ".join(stats)).encode("utf-8")])
            per_item = np.array(
                [self._read_float("aggregating") for _ in range(len(stats))], dtype=np.float64
            )
            corpus = self._read_float("aggregating")
        return MeteorResult(corpus=corpus, per_item=per_item)

    def _segment_stats(
        self, refs: Sequence[str], hyps: Sequence[str], requests: list[bytes]
    ) -> list[str]:
        self._send(requests)
        bar = None
        if self._progress:
            from tqdm import tqdm

            bar = tqdm(total=len(refs), desc="METEOR", unit="item", leave=False)
        stats = []
        try:
            for index in range(len(refs)):
                reply = self._readline(f"scoring item {index}")
                fields = reply.split()
                try:
                    [float(f) for f in fields]
                except ValueError:
                    raise self._fail(
                        f"METEOR rejected item {index} (reference {refs[index][:80]!r}, "
                        f"prediction {hyps[index][:80]!r}): {reply[:200]}"
                    ) from None
                stats.append(" ".join(fields))
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        return stats

    def close(self, *, kill: bool = False) -> None:
        """Stop the process (a later :meth:`score` starts a new one).

        Args:
            kill: stop it at once instead of closing its input and waiting for it to exit.
        """
        proc, self._proc = self._proc, None
        if proc is not None:
            if kill:
                proc.kill()
            try:
                proc.stdin.close()
            except (OSError, ValueError):
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __del__(self) -> None:
        try:
            self.close(kill=True)
        except Exception:  # noqa: BLE001 - interpreter shutdown: nothing left to report to
            pass


def meteor(
    refs: Sequence[str],
    hyps: Sequence[str],
    *,
    scorer: MeteorScorer | None = None,
    **scorer_kwargs: object,
) -> MeteorResult:
    """Corpus METEOR of N pairs, with a given scorer or a temporary one.

    Args:
        refs: N reference texts.
        hyps: N predicted texts.
        scorer: a running :class:`MeteorScorer` to reuse; when ``None`` one is started and
            stopped around this call with ``scorer_kwargs``.
        **scorer_kwargs: arguments of :class:`MeteorScorer`.

    Returns:
        The corpus METEOR and the (N,) segment scores.
    """
    if scorer is not None:
        return scorer.score(refs, hyps)
    with MeteorScorer(**scorer_kwargs) as own:
        return own.score(refs, hyps)
