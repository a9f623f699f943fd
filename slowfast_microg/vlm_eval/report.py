"""Results as the paper prints them: metrics.json, a table row and a per-item CSV.

The row follows Table 3 / Table 4 of the paper, in Markdown or LaTeX.
"""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from slowfast_microg.vlm_eval.config import METRIC_CHOICES
from slowfast_microg.vlm_eval.evaluate import AGGREGATION, Evaluation

logger = logging.getLogger(__name__)

NOT_COMPARABLE = "not comparable to paper"
_PACKAGES = (
    "slowfast_microg",
    "pycocoevalcap",
    "sentence-transformers",
    "bert-score",
    "transformers",
    "torch",
    "numpy",
)


def column_names(task: str) -> dict[str, str]:
    """Paper column title of each metric (S-BERT for captions, S-VQA for answers)."""
    return {
        "cider": "CIDEr",
        "bleu4": "BLEU-4",
        "rouge_l": "ROUGE-L",
        "meteor": "METEOR",
        "sbert": "S-BERT" if task == "caption" else "S-VQA",
        "bertscore": "BERTScore",
    }


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def notes(evaluation: Evaluation) -> list[str]:
    """Remarks that qualify the numbers (models, tokenization, missing items)."""
    out = [note for model in evaluation.models.values() for note in model.notes]
    if evaluation.options.tokenize != "none":
        out.append(
            f"{NOT_COMPARABLE}: --tokenize {evaluation.options.tokenize} "
            "(the authors scored raw text)"
        )
    counts = evaluation.items.counts
    if counts.get("missing"):
        out.append(
            f"{counts['missing']} ground-truth {counts['unit']} without prediction "
            f"(--missing {counts['missing_policy']})"
        )
    return out


def _latex_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "&%$#_{}" else ch for ch in text)


def table_row(
    evaluation: Evaluation, *, fmt: str, name: str, frames: str = "-", header: bool = True
) -> str:
    """The paper's table row for this result.

    Args:
        evaluation: the scores.
        fmt: ``"md"`` or ``"latex"``.
        name: model name in the first column.
        frames: value of the ``#f`` column (input frames), ``"-"`` when unknown.
        header: prepend the column titles (Markdown: titles and separator lines).

    Returns:
        One or more lines; a dagger marks results not comparable to the paper.
    """
    titles = column_names(evaluation.items.task)
    values = [
        f"{evaluation.scores[m].scaled:.2f}" if m in evaluation.scores else "-"
        for m in METRIC_CHOICES
    ]
    dagger = "" if evaluation.comparable_to_paper else ("†" if fmt == "md" else "$^\\dagger$")
    heads = ["Model", "#f", *[titles[m] for m in METRIC_CHOICES]]
    if fmt == "latex":
        row = " & ".join([_latex_escape(name) + dagger, _latex_escape(str(frames)), *values])
        head = " & ".join(_latex_escape(h) for h in heads) + " \\\\"
        return f"{head}\n{row} \\\\" if header else f"{row} \\\\"
    row = "| " + " | ".join([name + dagger, str(frames), *values]) + " |"
    if not header:
        return row
    return "| " + " | ".join(heads) + " |\n|" + "---|" * len(heads) + "\n" + row


def metrics_json(
    evaluation: Evaluation,
    *,
    gt_path: str,
    pred_path: str,
    name: str,
    frames: str = "-",
) -> dict[str, Any]:
    """The content of ``metrics.json``: raw and 0-100 values, counts, models, flags."""
    titles = column_names(evaluation.items.task)
    metrics = {}
    for metric, score in evaluation.scores.items():
        metrics[metric] = {
            "column": titles[metric],
            "raw": score.raw,
            "scaled": score.scaled,
            "aggregation": AGGREGATION[metric],
            "seconds": round(score.seconds, 3),
            **{key: value for key, value in score.extra.items()},
        }
    return {
        "task": evaluation.items.task,
        "name": name,
        "ground_truth": gt_path,
        "predictions": pred_path,
        "counts": evaluation.items.counts,
        "column_order": [titles[m] for m in METRIC_CHOICES],
        "metrics": metrics,
        "models": {key: model.as_dict() for key, model in evaluation.models.items()},
        "comparable_to_paper": evaluation.comparable_to_paper,
        "notes": notes(evaluation),
        "options": asdict(evaluation.options),
        "table_row": {
            "md": table_row(evaluation, fmt="md", name=name, frames=frames, header=False),
            "latex": table_row(evaluation, fmt="latex", name=name, frames=frames, header=False),
        },
        "versions": _versions(),
    }


def write_json(payload: dict[str, Any], path: str | Path) -> Path:
    """Write ``payload`` as indented JSON (parent folders created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def write_per_item_csv(evaluation: Evaluation, path: str | Path) -> Path:
    """Write one row per scored item: ids, texts and every item-level value.

    BLEU-4 and METEOR columns hold sentence-level values; their corpus scores are not means of
    these columns.
    """
    items = evaluation.items
    columns = {
        "cider": "cider",
        "bleu4": "bleu4_sentence",
        "rouge_l": "rouge_l",
        "meteor": "meteor_segment",
        "sbert": "sbert_cosine",
        "bertscore": "bertscore_f1",
    }
    metric_cols = [(m, columns[m]) for m in METRIC_CHOICES if m in evaluation.scores]
    header = ["video_id"] + (["question"] if items.task == "vqa" else [])
    header += ["missing", "reference", "prediction"] + [col for _, col in metric_cols]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for i in range(len(items)):
            row = [items.video_ids[i]] + ([items.questions[i]] if items.task == "vqa" else [])
            row += [int(items.missing[i]), items.references[i], items.predictions[i]]
            row += [repr(float(evaluation.scores[m].per_item[i])) for m, _ in metric_cols]
            writer.writerow(row)
    return path
