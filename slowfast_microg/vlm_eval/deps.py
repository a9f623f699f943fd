"""Import guards for the optional dependencies of the ``vlm`` extra."""

from __future__ import annotations

import importlib
import logging
from types import ModuleType

from slowfast_microg.vlm_eval.errors import DependencyError

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install -e '.[vlm]'"


def require(module: str, *, purpose: str) -> ModuleType:
    """Import ``module`` or raise a :class:`DependencyError` that says how to install it.

    Args:
        module: importable module name, e.g. ``"sentence_transformers"``.
        purpose: what the module is needed for, used in the message (e.g. ``"S-BERT"``).

    Returns:
        The imported module.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DependencyError(
            f"{purpose} needs the Python package '{module}', which cannot be imported ({exc}). "
            f"Install the caption/VQA extra: {INSTALL_HINT}"
        ) from exc
