"""Run one measurement in a child process, so that a crash or a hang costs one row, not the run.

A kernel that crashes the process (a segmentation fault inside a vendor library) or never
returns would otherwise lose every figure a long suite has gathered. The child is started with
``spawn`` (a fresh interpreter: no OpenMP or CUDA state inherited across ``fork``); what it
returns, or the exception it raised, comes back through a pipe.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

JOIN_GRACE_S = 10.0


@dataclass(frozen=True)
class Outcome:
    """What the child gave back: ``value`` on success, else ``error`` (a one-line reason)."""

    value: Any = None
    error: str | None = None


def _child(connection, func: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    try:
        outcome = Outcome(value=func(*args, **kwargs))
    except Exception as err:  # noqa: BLE001 - any failure of the measurement is its result
        outcome = Outcome(error=f"{type(err).__name__}: {err}")
    connection.send(outcome)
    connection.close()


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"crashed: {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"crashed: signal {-exitcode}"
    return f"exited with code {exitcode} before returning a result"


def run_isolated(
    func: Callable[..., Any],
    *,
    args: tuple = (),
    kwargs: dict[str, Any] | None = None,
    timeout_s: float,
) -> Outcome:
    """Call ``func(*args, **kwargs)`` in a spawned child and wait at most ``timeout_s``.

    ``func``, its arguments and its result must be picklable (a module-level function).

    Returns:
        ``Outcome(value=...)``, or ``Outcome(error=...)`` naming the exception, the signal that
        killed the child ("crashed: SIGSEGV") or the time limit ("timed out after 60 s").
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, func, args, kwargs or {}))
    process.start()
    sender.close()
    outcome = None
    if receiver.poll(timeout_s):
        try:
            outcome = receiver.recv()
        except EOFError:  # the child died without sending
            outcome = None
    else:
        process.kill()
        process.join()
        return Outcome(error=f"timed out after {timeout_s:g} s")
    process.join(JOIN_GRACE_S)
    if process.is_alive():
        process.kill()
        process.join()
    return outcome if outcome is not None else Outcome(error=_death(process.exitcode))
