"""The error raised for bad demo or visualisation input, naming the file, line and value."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


class DemoError(ValueError):
    """A demo input (video, box CSV, label map, run list) that cannot be used.

    The message names the file (and line and value where there is one) and says what to do.
    """
