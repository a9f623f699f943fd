"""The VLM_EVAL config node: documented keys, validation, and the CLI reading its defaults."""

from __future__ import annotations

import inspect
import re

import pytest
from fvcore.common.config import CfgNode

from slowfast_microg.vlm_eval import config as config_mod
from slowfast_microg.vlm_eval.cli import build_parser, config_from_args
from slowfast_microg.vlm_eval.config import add_vlm_eval_config, validate_vlm_eval_cfg
from slowfast_microg.vlm_eval.errors import VlmEvalError
from slowfast_microg.vlm_eval.evaluate import EvalOptions


def test_node_is_added_to_an_existing_config_and_every_key_is_commented():
    cfg = CfgNode({"TRAIN": CfgNode({"ENABLE": True})})
    add_vlm_eval_config(cfg)
    assert cfg.TRAIN.ENABLE is True
    assert cfg.VLM_EVAL.SBERT.MODEL == "sentence-transformers/all-MiniLM-L6-v2"
    assert (cfg.VLM_EVAL.BERTSCORE.MODEL, cfg.VLM_EVAL.BERTSCORE.LAYER) == ("roberta-large", 17)
    assert cfg.VLM_EVAL.MISSING == "error" and cfg.VLM_EVAL.TOKENIZE == "none"
    lines = inspect.getsource(add_vlm_eval_config).splitlines()
    for i, line in enumerate(lines):
        if re.match(r"\s+_C\.VLM_EVAL\.[A-Z_.]+ = ", line) and "CfgNode()" not in line:
            assert lines[i - 1].strip().startswith("#"), f"key without comment: {line.strip()}"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("MISSING", "ignore", r"VLM_EVAL.MISSING = 'ignore'"),
        ("METRICS", ["cider", "spice"], r"unknown \['spice'\]"),
        ("TOKENIZE", "nltk", r"VLM_EVAL.TOKENIZE"),
    ],
)
def test_validation_names_the_key(key, value, message):
    cfg = config_mod.get_vlm_eval_cfg()
    cfg.VLM_EVAL[key] = value
    with pytest.raises(ValueError, match=message):
        validate_vlm_eval_cfg(cfg)


def test_cli_defaults_come_from_the_node_and_flags_override(tmp_path):
    parser = build_parser()
    args = parser.parse_args(["--gt", "g.json", "--pred", "p.json"])
    cfg = config_from_args(args)
    assert EvalOptions.from_cfg(cfg) == EvalOptions()
    helps = {action.dest: action.help for action in parser._actions}
    assert helps["sbert_model"].endswith("(default: 'sentence-transformers/all-MiniLM-L6-v2')")
    assert helps["bertscore_layer"].endswith("(default: 17)")
    yaml_file = tmp_path / "eval.yaml"
    yaml_file.write_text("VLM_EVAL:\n  MISSING: skip\n  SBERT:\n    BATCH_SIZE: 8\n")
    args = parser.parse_args(
        [
            "--gt",
            "g",
            "--pred",
            "p",
            "--cfg",
            str(yaml_file),
            "--sbert-batch-size",
            "4",
            "--opts",
            "VLM_EVAL.METEOR.MEMORY",
            "4G",
        ]
    )
    node = config_from_args(args).VLM_EVAL
    assert (node.MISSING, node.SBERT.BATCH_SIZE, node.METEOR.MEMORY) == ("skip", 4, "4G")


def test_cfg_file_without_node_is_reported(tmp_path):
    yaml_file = tmp_path / "other.yaml"
    yaml_file.write_text("TRAIN:\n  ENABLE: true\n")
    args = build_parser().parse_args(["--gt", "g", "--pred", "p", "--cfg", str(yaml_file)])
    with pytest.raises(VlmEvalError, match="no VLM_EVAL node"):
        config_from_args(args)
