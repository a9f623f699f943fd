"""Import Ultralytics with its run-time package installer switched off.

Ultralytics installs missing packages with pip when it needs them (``lap`` for BoT-SORT's
assignment, a module a checkpoint refers to, ...). A data-preparation run must never change the
environment it runs in, so every ``data_prep`` import of Ultralytics goes through
``import_ultralytics``: it sets ``YOLO_AUTOINSTALL=false`` before the first import, turns the
installer off in an Ultralytics that was already imported, and checks up front that ``lap`` is
installed, naming the extra that provides it.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from types import ModuleType

logger = logging.getLogger(__name__)

INSTALL_HINT = 'pip install "slowfast_microg[data_prep]"'


class MissingDependencyError(ImportError):
    """A package of the ``data_prep`` extra is not installed."""


def require(module: str, purpose: str) -> None:
    """Raise MissingDependencyError when ``module`` cannot be imported.

    Args:
        module: importable name, e.g. ``lap``.
        purpose: what needs it, for the message.
    """
    if importlib.util.find_spec(module) is None:
        raise MissingDependencyError(
            f"{module} is not installed but {purpose} needs it; install the data_prep extra: "
            f"{INSTALL_HINT}"
        )


def import_ultralytics() -> ModuleType:
    """The ``ultralytics`` module, with automatic pip installs disabled and ``lap`` present.

    Raises:
        MissingDependencyError: ultralytics or lap is not installed.
    """
    os.environ["YOLO_AUTOINSTALL"] = "false"
    require("ultralytics", "YOLO detection and BoT-SORT tracking")
    require("lap", "BoT-SORT's track assignment (ultralytics would pip-install it)")
    import ultralytics
    import ultralytics.utils
    import ultralytics.utils.checks

    ultralytics.utils.AUTOINSTALL = False
    ultralytics.utils.checks.AUTOINSTALL = False
    return ultralytics
