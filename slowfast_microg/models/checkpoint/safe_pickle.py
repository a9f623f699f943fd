"""An unpickler that only builds numpy arrays, dicts, strings and numbers.

Caffe2 ``.pkl`` checkpoints are Python pickles, and a pickle can call any importable function
while it is read. This unpickler resolves only the handful of globals needed to rebuild numpy
arrays and scalars (and ``OrderedDict``); any other global is refused before anything runs.
"""

from __future__ import annotations

import codecs
import collections
import logging
import pickle
from collections.abc import Callable
from typing import IO, Any

import numpy as np

logger = logging.getLogger(__name__)


def _multiarray() -> Any:
    """numpy's ``multiarray`` module (``numpy._core`` in numpy 2, ``numpy.core`` before)."""
    core = getattr(np, "_core", None)
    if core is not None and hasattr(core, "multiarray"):
        return core.multiarray
    return np.core.multiarray


# (module, name) as written in the pickle -> the object it may resolve to.
ALLOWED_GLOBALS: dict[tuple[str, str], Callable[[], Any]] = {
    ("numpy.core.multiarray", "_reconstruct"): lambda: _multiarray()._reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): lambda: _multiarray()._reconstruct,
    ("numpy.core.multiarray", "scalar"): lambda: _multiarray().scalar,
    ("numpy._core.multiarray", "scalar"): lambda: _multiarray().scalar,
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
    # Python 3 writes bytes as _codecs.encode(text, "latin1") in protocols 0-2.
    ("_codecs", "encode"): lambda: codecs.encode,
    ("collections", "OrderedDict"): lambda: collections.OrderedDict,
}


class ForbiddenGlobalError(pickle.UnpicklingError):
    """The pickle asked for a global outside ``ALLOWED_GLOBALS``; nothing of it was run."""


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` whose ``find_class`` consults ``ALLOWED_GLOBALS`` only."""

    def find_class(self, module: str, name: str) -> Any:
        """Return an allowed global or raise ``ForbiddenGlobalError`` naming the refused one."""
        resolver = ALLOWED_GLOBALS.get((module, name))
        if resolver is None:
            raise ForbiddenGlobalError(
                f"refused to load global {module}.{name}: only numpy arrays, dicts, strings "
                "and numbers are allowed in a Caffe2 checkpoint"
            )
        return resolver()


def restricted_load(handle: IO[bytes], *, encoding: str = "latin1") -> Any:
    """Unpickle ``handle`` with ``RestrictedUnpickler``.

    Args:
        handle: a binary file object.
        encoding: how Python 2 byte strings are decoded (Caffe2 files need latin-1).

    Returns:
        The unpickled object.

    Raises:
        ForbiddenGlobalError: the pickle names a global outside the allow-list.
        pickle.UnpicklingError: the pickle is damaged.
    """
    return RestrictedUnpickler(handle, encoding=encoding).load()
