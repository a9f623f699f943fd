"""Caffe2 blob names -> PySlowFast state-dict keys.

The conversion is an ordered list of regular-expression rewrites. Every rule is applied, in
order, to the name produced by the previous ones, so a name is typically rewritten twice: a
structural rule (which stage, block, pathway) and then a suffix rule (``_w`` -> ``.weight``,
``bn_riv`` -> ``bn.running_var``, ...). ``S`` = stage, ``B`` = block, ``N`` = branch number,
``L`` = branch letter. The fast pathway of SlowFast carries a ``t_`` prefix.
"""

from __future__ import annotations

import logging
import re

logger = logging.getLogger(__name__)

# Blob names containing any of these are optimiser state, not weights.
OPTIMIZER_BLOB_MARKERS = ("momentum", "lr", "model_iter")

_RULES: list[tuple[str, str]] = [
    # Non-local block after block B of stage S (always pathway 0) and its parts.
    (r"^nonlocal_conv(\d+)_(\d+)_(.*)", r"s\1.pathway0_nonlocal\2_\3"),
    (r"^(.*)_nonlocal(\d+)_(theta)(.*)", r"\1_nonlocal\2.conv_\3\4"),
    (r"^(.*)_nonlocal(\d+)_(g)(.*)", r"\1_nonlocal\2.conv_\3\4"),
    (r"^(.*)_nonlocal(\d+)_(phi)(.*)", r"\1_nonlocal\2.conv_\3\4"),
    (r"^(.*)_nonlocal(\d+)_(out)(.*)", r"\1_nonlocal\2.conv_\3\4"),
    (r"^(.*)_nonlocal(\d+)_(bn)_(.*)", r"\1_nonlocal\2.\3.\4"),
    # SlowFast fast->slow laterals: after the stem, then after stage S (block index dropped).
    (r"^t_pool1_subsample_bn_(.*)", r"s1_fuse.bn.\1"),
    (r"^t_pool1_subsample_(.*)", r"s1_fuse.conv_f2s.\1"),
    (r"^t_res(\d+)_(\d+)_branch2c_bn_subsample_bn_(.*)", r"s\1_fuse.bn.\3"),
    (r"^t_res(\d+)_(\d+)_branch2c_bn_subsample_(.*)", r"s\1_fuse.conv_f2s.\3"),
    # Slow (or only) pathway: bottleneck convs, stem, shortcut.
    (r"^res(\d+)_(\d+)_branch(\d+)([a-z])_(.*)", r"s\1.pathway0_res\2.branch\3.\4_\5"),
    (r"^res_conv1_bn_(.*)", r"s1.pathway0_stem.bn.\1"),
    (r"^conv1_xy(.*)", r"s1.pathway0_stem.conv_xy\1"),
    (r"^conv1_(.*)", r"s1.pathway0_stem.conv.\1"),
    (r"^res(\d+)_(\d+)_branch(\d+)_(.*)", r"s\1.pathway0_res\2.branch\3_\4"),
    (r"^res_conv1_(.*)", r"s1.pathway0_stem.conv.\1"),
    # Fast pathway (t_ prefix): the same five patterns on pathway 1.
    (r"^t_res(\d+)_(\d+)_branch(\d+)([a-z])_(.*)", r"s\1.pathway1_res\2.branch\3.\4_\5"),
    (r"^t_res_conv1_bn_(.*)", r"s1.pathway1_stem.bn.\1"),
    (r"^t_conv1_(.*)", r"s1.pathway1_stem.conv.\1"),
    (r"^t_res(\d+)_(\d+)_branch(\d+)_(.*)", r"s\1.pathway1_res\2.branch\3_\4"),
    (r"^t_res_conv1_(.*)", r"s1.pathway1_stem.conv.\1"),
    # Classifier, X3D squeeze-excitation and X3D classification head.
    (r"pred_(.*)", r"head.projection.\1"),
    (r"(.*)b_bn_fc(.*)", r"\1se.fc\2"),
    (r"conv_5(.*)", r"head.conv_5\1"),
    (r"lin_5(.*)", r"head.lin_5\1"),
    # Suffixes: BN shift, scale, running mean, running variance; conv/FC bias and weight.
    (r"(.*)bn.b\Z", r"\1bn.bias"),
    (r"(.*)bn.s\Z", r"\1bn.weight"),
    (r"(.*)bn.rm\Z", r"\1bn.running_mean"),
    (r"(.*)bn.riv\Z", r"\1bn.running_var"),
    (r"(.*)[._]b\Z", r"\1.bias"),
    (r"(.*)[._]w\Z", r"\1.weight"),
]

CAFFE2_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(pattern), replacement) for pattern, replacement in _RULES
]


def convert_caffe2_name(blob: str) -> str:
    """Return the PySlowFast key for a Caffe2 blob name.

    Example: ``res4_4_branch2b_w`` -> ``s4.pathway0_res4.branch2.b.weight``.

    Args:
        blob: the Caffe2 blob name.

    Returns:
        The converted key (unchanged when no rule applies).
    """
    name = blob
    for pattern, replacement in CAFFE2_RULES:
        name = pattern.sub(replacement, name)
    return name


def is_optimizer_blob(blob: str) -> bool:
    """True for optimiser leftovers (names containing momentum, lr or model_iter)."""
    return any(marker in blob for marker in OPTIMIZER_BLOB_MARKERS)
