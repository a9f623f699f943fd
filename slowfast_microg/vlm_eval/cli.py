"""Command line of the caption / VQA evaluator (``tools/eval_captions.py``).

Defaults come from the ``VLM_EVAL`` config node (:mod:`slowfast_microg.vlm_eval.config`); a YAML
file (``--cfg``) and ``--opts KEY VALUE`` pairs can override them, and explicit flags override
both.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import yaml
from fvcore.common.config import CfgNode

from slowfast_microg.vlm_eval.align import align_captions, align_vqa
from slowfast_microg.vlm_eval.config import (
    DUPLICATE_QUESTION_CHOICES,
    FORMAT_CHOICES,
    METRIC_CHOICES,
    MISSING_CHOICES,
    TASK_CHOICES,
    TOKENIZE_CHOICES,
    get_vlm_eval_cfg,
    validate_vlm_eval_cfg,
)
from slowfast_microg.vlm_eval.errors import VlmEvalError
from slowfast_microg.vlm_eval.evaluate import EvalOptions, Evaluation, evaluate_items
from slowfast_microg.vlm_eval.inputs import (
    load_caption_predictions,
    load_ground_truth,
    load_vqa_predictions,
)
from slowfast_microg.vlm_eval.report import (
    metrics_json,
    table_row,
    write_json,
    write_per_item_csv,
)

logger = logging.getLogger(__name__)

# flag -> (config key, type); the default shown in --help is read from the config node.
_FLAG_KEYS = {
    "task": ("TASK", str),
    "missing": ("MISSING", str),
    "duplicate_questions": ("DUPLICATE_QUESTIONS", str),
    "tokenize": ("TOKENIZE", str),
    "format": ("TABLE_FORMAT", str),
    "device": ("DEVICE", str),
    "cache": ("CACHE", str),
    "java": ("METEOR.JAVA", str),
    "meteor_timeout": ("METEOR.TIMEOUT_S", float),
    "sbert_model": ("SBERT.MODEL", str),
    "sbert_batch_size": ("SBERT.BATCH_SIZE", int),
    "bertscore_model": ("BERTSCORE.MODEL", str),
    "bertscore_layer": ("BERTSCORE.LAYER", int),
    "bertscore_batch_size": ("BERTSCORE.BATCH_SIZE", int),
}


def _get(node: CfgNode, dotted: str):
    for part in dotted.split("."):
        node = node[part]
    return node


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; every default shown comes from the config node."""
    defaults = get_vlm_eval_cfg().VLM_EVAL
    p = argparse.ArgumentParser(
        prog="eval_captions.py",
        description="Score captions or VQA answers for MicroG-4M with the paper's metrics "
        "(CIDEr, BLEU-4, ROUGE-L, METEOR, S-BERT/S-VQA, BERTScore; all x100).",
    )
    add = p.add_argument
    add("--gt", required=True, help="ground-truth JSON list of {video_id, caption, qa_pairs}")
    add("--pred", required=True, help="predictions: .json, .jsonl or .csv")
    choices = {
        "task": TASK_CHOICES,
        "missing": MISSING_CHOICES,
        "duplicate_questions": DUPLICATE_QUESTION_CHOICES,
        "tokenize": TOKENIZE_CHOICES,
        "format": FORMAT_CHOICES,
    }
    helps = {
        "task": "caption: one caption per clip; vqa: all QA pairs pooled",
        "missing": "ground-truth items without prediction: stop, score 0, or leave out",
        "duplicate_questions": "a question repeated within a clip: keep the last (authors) or stop",
        "tokenize": "none: raw text as the authors; ptb: COCO PTB tokenization (not comparable)",
        "format": "table row format",
        "device": "device for S-BERT / BERTScore: auto, cpu, cuda, cuda:1 ...",
        "cache": "JSONL cache of per-item S-BERT / BERTScore values (resume an interrupted run)",
        "java": "Java executable for METEOR and the PTB tokenizer",
        "meteor_timeout": "seconds to wait for any METEOR reply",
        "sbert_model": "S-BERT model: hub id or local folder",
        "sbert_batch_size": "S-BERT sentences per batch",
        "bertscore_model": "BERTScore backbone: hub id or local folder (e.g. of roberta-large)",
        "bertscore_layer": "BERTScore layer (17 for roberta-large as in the paper)",
        "bertscore_batch_size": "BERTScore sentences per batch",
    }
    for dest, (key, kind) in _FLAG_KEYS.items():
        add(
            "--" + dest.replace("_", "-"),
            dest=dest,
            type=kind,
            default=None,
            choices=choices.get(dest),
            help=f"{helps[dest]} (default: {_get(defaults, key)!r})",
        )
    add(
        "--metrics",
        nargs="+",
        default=None,
        metavar="METRIC",
        help=f"subset of {', '.join(METRIC_CHOICES)} (space or comma separated; default: all)",
    )
    add("--out", default=None, help="write metrics.json here")
    add("--per-item", default=None, help="write per-item scores to this CSV")
    add("--name", default=None, help="model name in the table row (default: prediction file stem)")
    add("--frames", default="-", help="value of the table's #f column (input frames)")
    add("--no-progress", action="store_true", help="no progress bars")
    add("--cfg", default=None, help="YAML file with a VLM_EVAL node")
    add(
        "--opts",
        nargs="+",
        default=[],
        metavar="KEY VALUE",
        help="config overrides, e.g. --opts VLM_EVAL.METEOR.MEMORY 4G",
    )
    add("-q", "--quiet", action="store_true", help="log warnings and errors only")
    return p


def config_from_args(args: argparse.Namespace) -> CfgNode:
    """Config defaults, then ``--cfg``, then ``--opts``, then explicit flags; validated."""
    cfg = get_vlm_eval_cfg()
    if args.cfg:
        with open(args.cfg, encoding="utf-8") as handle:
            loaded = yaml.safe_load(handle) or {}
        if "VLM_EVAL" not in loaded:
            raise VlmEvalError(f"{args.cfg}: no VLM_EVAL node")
        cfg.merge_from_other_cfg(CfgNode({"VLM_EVAL": loaded["VLM_EVAL"]}))
    if args.opts:
        cfg.merge_from_list(args.opts)
    node = cfg.VLM_EVAL
    for dest, (key, _) in _FLAG_KEYS.items():
        value = getattr(args, dest)
        if value is not None:
            parent, _, leaf = key.rpartition(".")
            (_get(node, parent) if parent else node)[leaf] = value
    if args.metrics:
        node.METRICS = [
            m.strip().lower() for arg in args.metrics for m in arg.split(",") if m.strip()
        ]
    if args.no_progress:
        node.PROGRESS = False
    try:
        validate_vlm_eval_cfg(cfg)
    except ValueError as exc:
        raise VlmEvalError(str(exc)) from exc
    return cfg


def run(args: argparse.Namespace, cfg: CfgNode) -> tuple[Evaluation, dict]:
    """Load, align, score and write the requested files.

    Args:
        args: parsed command line.
        cfg: the validated config (see :func:`config_from_args`).

    Returns:
        The evaluation and the metrics.json payload.
    """
    node = cfg.VLM_EVAL
    gt = load_ground_truth(args.gt, task=node.TASK)
    if node.TASK == "caption":
        items = align_captions(
            gt, load_caption_predictions(args.pred), missing=node.MISSING, list_ids=node.LIST_IDS
        )
    else:
        preds = load_vqa_predictions(args.pred, duplicate_questions=node.DUPLICATE_QUESTIONS)
        items = align_vqa(
            gt,
            preds,
            missing=node.MISSING,
            duplicate_questions=node.DUPLICATE_QUESTIONS,
            list_ids=node.LIST_IDS,
        )
    counts = items.counts
    logger.info(
        "%s: %d scored (%d matched, %d missing, %d extra, %d empty predictions)",
        counts["unit"],
        counts["scored"],
        counts["matched"],
        counts["missing"],
        counts["extra"],
        counts["empty"],
    )
    evaluation = evaluate_items(items, EvalOptions.from_cfg(cfg))
    payload = metrics_json(
        evaluation,
        gt_path=str(args.gt),
        pred_path=str(args.pred),
        name=args.name or Path(args.pred).stem,
        frames=args.frames,
    )
    if args.out:
        logger.info("wrote %s", write_json(payload, args.out))
    if args.per_item:
        logger.info("wrote %s", write_per_item_csv(evaluation, args.per_item))
    return evaluation, payload


def main(argv: list[str] | None = None) -> int:
    """Entry point: prints the table row and notes; returns the exit status (2: bad input or a
    missing dependency, with the message on stderr)."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        cfg = config_from_args(args)
        evaluation, payload = run(args, cfg)
    except VlmEvalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    fmt = cfg.VLM_EVAL.TABLE_FORMAT
    print(table_row(evaluation, fmt=fmt, name=payload["name"], frames=args.frames))
    for note in payload["notes"]:
        print(f"† {note}" if "not comparable" in note else f"note: {note}")
    return 0
