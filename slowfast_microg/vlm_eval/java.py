"""Locating the Java runtime and the jars shipped inside the pycocoevalcap wheel."""

from __future__ import annotations

import importlib.util
import logging
import shutil
from pathlib import Path

from slowfast_microg.vlm_eval.deps import INSTALL_HINT
from slowfast_microg.vlm_eval.errors import DependencyError

logger = logging.getLogger(__name__)

METEOR_JAR = ("meteor", "meteor-1.5.jar")
PARAPHRASE_TABLE = ("meteor", "data", "paraphrase-en.gz")
PTB_JAR = ("tokenizer", "stanford-corenlp-3.4.1.jar")


def find_java(java: str = "java") -> str:
    """Return the full path of the Java executable.

    Args:
        java: executable name or path (``VLM_EVAL.METEOR.JAVA``).

    Returns:
        The resolved path.

    Raises:
        DependencyError: no such executable; the message says how to install Java.
    """
    found = shutil.which(java)
    if found is None:
        raise DependencyError(
            f"Java executable {java!r} not found on PATH. METEOR 1.5 and the PTB tokenizer run "
            "on Java (JRE 8 or newer): install one (e.g. `apt-get install default-jre-headless`, "
            "or `conda install openjdk`), or leave meteor out of --metrics."
        )
    return found


def pycocoevalcap_file(*parts: str) -> Path:
    """Return a data file of the installed pycocoevalcap package, checked to be real.

    Args:
        parts: path components inside the package, e.g. ``("meteor", "meteor-1.5.jar")``.

    Returns:
        The file's path.

    Raises:
        DependencyError: pycocoevalcap is absent, or the file is missing or a Git LFS pointer.
    """
    spec = importlib.util.find_spec("pycocoevalcap")
    if spec is None or not spec.submodule_search_locations:
        raise DependencyError(
            "METEOR and the PTB tokenizer use the jars shipped in the 'pycocoevalcap' wheel, "
            f"which is not installed. Install the caption/VQA extra: {INSTALL_HINT}"
        )
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*parts)
    if not path.is_file():
        raise DependencyError(
            f"{path} is missing from the installed pycocoevalcap; reinstall it from the wheel "
            "(`pip install --force-reinstall pycocoevalcap`)"
        )
    with open(path, "rb") as handle:
        head = handle.read(64)
    if head.startswith(b"version https://git-lfs"):
        raise DependencyError(
            f"{path} is a Git LFS pointer, not the real file; install pycocoevalcap from the "
            "package index wheel, which ships the real jar and data"
        )
    return path
