"""Caption and VQA evaluation for MicroG-4M with the paper's seven metrics (``vlm`` extra).

Typical use::

    from slowfast_microg.vlm_eval import (
        EvalOptions, align_captions, evaluate_items, load_caption_predictions, load_ground_truth)

    gt = load_ground_truth("caption_vqa_gt.json", task="caption")
    items = align_captions(gt, load_caption_predictions("preds.json"), missing="error")
    result = evaluate_items(items, EvalOptions(metrics=("cider", "bleu4", "rouge_l", "meteor")))
    result.scores["cider"].scaled

Heavy dependencies (Java, torch models) are only touched by the metrics that need them.
"""

from slowfast_microg.vlm_eval.align import EvalItems, align_captions, align_vqa
from slowfast_microg.vlm_eval.config import add_vlm_eval_config, get_vlm_eval_cfg
from slowfast_microg.vlm_eval.errors import (
    AlignmentError,
    DependencyError,
    InputFormatError,
    MetricRuntimeError,
    VlmEvalError,
)
from slowfast_microg.vlm_eval.evaluate import EvalOptions, Evaluation, evaluate_items
from slowfast_microg.vlm_eval.evaluator import CaptionVqaEvaluator
from slowfast_microg.vlm_eval.inputs import (
    load_caption_predictions,
    load_ground_truth,
    load_vqa_predictions,
)

__all__ = [
    "AlignmentError",
    "CaptionVqaEvaluator",
    "DependencyError",
    "EvalItems",
    "EvalOptions",
    "Evaluation",
    "InputFormatError",
    "MetricRuntimeError",
    "VlmEvalError",
    "add_vlm_eval_config",
    "align_captions",
    "align_vqa",
    "evaluate_items",
    "get_vlm_eval_cfg",
    "load_caption_predictions",
    "load_ground_truth",
    "load_vqa_predictions",
]
