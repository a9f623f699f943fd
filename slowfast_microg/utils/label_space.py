"""The label space: model output columns <-> AVA action ids.

A model's output column i scores the i-th smallest id of its label map. MicroG-4M's 50 ids
are original AVA ids, so a model trained on the full AVA list (output i = AVA id i + 1) is
scored on MicroG-4M, or on any subset of AVA ids, by keeping the columns of those ids.
"""

from __future__ import annotations

from collections.abc import Sequence


def select_class_columns(source_ids: Sequence[int], target_ids: Sequence[int]) -> list[int]:
    """Output columns of a ``source_ids`` model that give the ``target_ids`` classes.

    Args:
        source_ids: label ids of the model's classes (e.g. the 80 AVA ids 1..80); column i
            is the i-th smallest.
        target_ids: label ids to score (e.g. the 50 MicroG-4M ids); output column j is the j-th
            smallest.

    Returns:
        Column indices into the model output, one per target id in ascending id order.

    Raises:
        ValueError: duplicate ids, or target ids the source model does not have.
    """
    source = sorted(int(i) for i in source_ids)
    target = sorted(int(i) for i in target_ids)
    for name, ids in (("source_ids", source), ("target_ids", target)):
        if len(set(ids)) != len(ids):
            raise ValueError(f"{name} contains duplicate ids.")
    column = {label: index for index, label in enumerate(source)}
    absent = [label for label in target if label not in column]
    if absent:
        raise ValueError(
            f"{len(absent)} target id(s) are not classes of the source model: {absent[:10]}."
        )
    return [column[label] for label in target]


def label_map_columns(*, num_model_classes: int, class_ids: Sequence[int]) -> list[int] | None:
    """Columns of a ``num_model_classes`` model that score the label map's ``class_ids``.

    Returns None when the model has one output per label-map class (nothing to select);
    otherwise the model is taken as an AVA-list model (output i = id i + 1) and the columns
    ``id - 1`` are returned (zero-shot scoring).

    Raises:
        ValueError: some label-map id has no output in the model; the message says what to set.
    """
    if num_model_classes == len(class_ids):
        return None
    outside = [cid for cid in class_ids if not 1 <= cid <= num_model_classes]
    if outside:
        raise ValueError(
            f"MODEL.NUM_CLASSES is {num_model_classes} but the label map has {len(class_ids)} "
            f"classes, and ids {outside[:10]} have no output i = id - 1 in the model. Set "
            "MODEL.NUM_CLASSES to the label map's size, or test an AVA-trained model whose "
            "output i is AVA id i + 1."
        )
    return select_class_columns(range(1, num_model_classes + 1), class_ids)


def check_output_space(
    *, num_model_classes: int, class_ids: Sequence[int], split: str, source: str
) -> None:
    """Check a dataset split can be used with a model of ``num_model_classes`` outputs.

    Training needs one output per label-map class; val/test also accept an AVA-list model
    scored zero-shot (see ``label_map_columns``).

    Raises:
        ConfigError: naming MODEL.NUM_CLASSES, the label map ``source`` and what to change.
    """
    from slowfast_microg.config.loader import ConfigError

    if split == "train" and num_model_classes != len(class_ids):
        raise ConfigError(
            f"MODEL.NUM_CLASSES is {num_model_classes} but the label map {source} has "
            f"{len(class_ids)} classes; training needs them equal."
        )
    try:
        label_map_columns(num_model_classes=num_model_classes, class_ids=class_ids)
    except ValueError as error:
        raise ConfigError(f"{source}: {error}") from None
