"""Merge YAML files and command-line overrides into a config, with helpful errors.

Files may carry keys outside this project's schema (the authors' configs are full PySlowFast
dumps with contrastive, masking or BLIP2 nodes): those are dropped with one warning listing
them (for the authors' AVA detection runs none of those nodes had an effect: PySlowFast's AVA
loader ignores AUG/MIXUP, for example). Command-line keys must exist: an unknown one is an
error that suggests the nearest valid key.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from fvcore.common.config import CfgNode

from slowfast_microg.config.foreign_keys import is_pyslowfast_only, locate_key

logger = logging.getLogger(__name__)

BASE_KEY = "_BASE_"


class ConfigError(ValueError):
    """A config file or override that cannot be applied; the message says where and why."""


def all_keys(cfg: CfgNode, prefix: str = "", nodes: bool = False) -> list[str]:
    """Return every leaf key of ``cfg`` as a dotted name, e.g. ``"SOLVER.BASE_LR"``.

    With ``nodes`` the names of the nodes themselves (``"SOLVER"``) are included too.
    """
    keys = []
    for name, value in cfg.items():
        full = f"{prefix}{name}"
        if isinstance(value, CfgNode):
            keys.extend([full] if nodes else [])
            keys.extend(all_keys(value, prefix=f"{full}.", nodes=nodes))
        else:
            keys.append(full)
    return keys


def suggest_key(key: str, *, cfg: CfgNode, nodes: bool = False) -> str:
    """Return a hint naming the valid keys closest to ``key`` (empty if none is close).

    With ``nodes``, node names (``"SOLVER"``) are candidates as well as leaf keys.
    """
    candidates = all_keys(cfg, nodes=nodes)
    close = difflib.get_close_matches(key.upper(), candidates, n=3, cutoff=0.6)
    if not close:
        leaf = key.rsplit(".", 1)[-1].upper()
        close = [c for c in candidates if c.rsplit(".", 1)[-1] == leaf][:3]
    return f" Did you mean {' or '.join(close)}?" if close else ""


def _coerce(value: Any, *, default: Any) -> Any:
    """Let an int stand for a float default (``SOLVER.BASE_LR 1``), as users expect."""
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _split_known(
    loaded: dict, *, schema: CfgNode, prefix: str, ignored: list[str], source: str
) -> dict:
    """Return the part of ``loaded`` the schema knows; record the rest in ``ignored``."""
    known = {}
    for name, value in loaded.items():
        full = f"{prefix}{name}"
        if name not in schema:
            ignored.append(full)
        elif isinstance(schema[name], CfgNode):
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: {full} must be a mapping of keys, got {value!r}.")
            known[name] = _split_known(
                value, schema=schema[name], prefix=f"{full}.", ignored=ignored, source=source
            )
        else:
            known[name] = _coerce(value, default=schema[name])
    return known


def merge_from_file(cfg: CfgNode, path: str | Path) -> list[str]:
    """Merge one YAML file (with ``_BASE_`` inheritance) into ``cfg`` in place.

    Args:
        cfg: the config to update.
        path: a YAML file; ``_BASE_`` entries are resolved relative to it.

    Returns:
        The dotted names of keys in the file that are outside the schema and were ignored.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Config file not found: {path}")
    if not path.read_text(encoding="utf-8").strip():
        logger.warning("%s is empty; nothing merged.", path)
        return []
    try:
        loaded = CfgNode.load_yaml_with_base(str(path), allow_unsafe=False)
    except Exception as err:  # yaml errors carry the line and column
        raise ConfigError(f"{path}: cannot parse YAML: {err}") from err
    loaded = loaded or {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys, got {loaded!r}.")
    ignored: list[str] = []
    known = _split_known(loaded, schema=cfg, prefix="", ignored=ignored, source=str(path))
    try:
        cfg.merge_from_other_cfg(CfgNode(known))
    except (ValueError, KeyError, AssertionError) as err:
        raise ConfigError(f"{path}: {err}") from err
    if ignored:
        _warn_ignored(ignored, cfg=cfg, path=path)
    return ignored


def _warn_ignored(ignored: list[str], *, cfg: CfgNode, path: Path) -> None:
    """Log one warning for the ignored keys; keys PySlowFast does not have either are located.

    A key of PySlowFast's that this project does not use is expected in a full PySlowFast
    dump. Any other key is most likely a typo: it is named with its file, line and the
    nearest valid key.
    """
    unknown = [key for key in ignored if not is_pyslowfast_only(key)]
    message = (
        f"{path}: {len(ignored)} key(s) outside the slowfast_microg schema were ignored: "
        f"{', '.join(ignored)}"
    )
    if unknown:
        located = [
            f"{locate_key(key, path=path, base_key=BASE_KEY)}: {key}."
            f"{suggest_key(key, cfg=cfg, nodes=True)}"
            for key in unknown
        ]
        message += (
            f". {len(unknown)} of them are not PySlowFast keys either; check for typos: "
            + " ".join(located)
        )
    logger.warning(message)


def merge_from_list(cfg: CfgNode, opts: Sequence[str]) -> None:
    """Merge ``KEY VALUE`` pairs (command-line overrides) into ``cfg`` in place.

    Raises:
        ConfigError: odd number of items, an unknown key (with the nearest valid keys), or a
            value of the wrong type.
    """
    if len(opts) % 2:
        raise ConfigError(
            f"Overrides must be KEY VALUE pairs; got an odd number of items: {list(opts)}"
        )
    valid = set(all_keys(cfg))
    for key, raw in zip(opts[0::2], opts[1::2], strict=True):
        if key not in valid:
            raise ConfigError(f"Unknown config key {key!r}.{suggest_key(key, cfg=cfg)}")
        node = cfg
        *parents, leaf = key.split(".")
        for name in parents:
            node = node[name]
        value = _coerce(CfgNode._decode_cfg_value(raw), default=node[leaf])
        try:
            cfg.merge_from_list([key, value])
        except (ValueError, KeyError, AssertionError) as err:
            raise ConfigError(f"Override {key}={raw!r}: {err}") from err


def merge_all(cfg: CfgNode, *, files: Iterable[str | Path], opts: Sequence[str]) -> CfgNode:
    """Merge ``files`` in order, then ``opts``; return ``cfg`` for chaining."""
    for path in files:
        merge_from_file(cfg, path)
    merge_from_list(cfg, opts)
    return cfg
