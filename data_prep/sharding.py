"""``--shard K/N``: split work by a stable hash of the source name, so N machines share a run."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Shard:
    """Part ``index`` (1-based) of ``count`` parts."""

    index: int = 1
    count: int = 1

    @property
    def tag(self) -> str:
        """File-name tag of this shard (empty when the run is not sharded)."""
        return "" if self.count == 1 else f".shard-{self.index}-of-{self.count}"

    def owns(self, source: str) -> bool:
        """Whether this shard processes ``source`` (every clip of a source lands in one shard)."""
        return self.count == 1 or shard_of(source, self.count) == self.index


NO_SHARD = Shard()


def shard_of(source: str, count: int) -> int:
    """1-based shard of ``source`` among ``count``: SHA-1 of the UTF-8 name, modulo ``count``."""
    digest = hashlib.sha1(source.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def parse_shard(text: str | None) -> Shard:
    """Parse ``K/N`` with 1 <= K <= N (e.g. ``--shard $((SLURM_ARRAY_TASK_ID + 1))/8``).

    Raises:
        ValueError: with the offending value and the expected form.
    """
    if text is None or text == "":
        return Shard()
    try:
        left, right = text.split("/")
        index, count = int(left), int(right)
    except ValueError:
        raise ValueError(f"--shard {text!r}: expected K/N, e.g. 1/4") from None
    if count < 1 or not 1 <= index <= count:
        raise ValueError(f"--shard {text!r}: need 1 <= K <= N (K is 1-based)")
    return Shard(index=index, count=count)
