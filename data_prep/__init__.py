"""data_prep: turn raw space footage into MicroG-4M-format training data, resumably.

Stages (each a module, each resumable through a manifest):

* ``split``: raw videos -> 3 s, 30 fps, 480p clips named ``<source>_<seq>``.
* ``filter``: keep clips with a persistent person and no scene cut; move or list the rest.
* ``track``: YOLO11 + BoT-SORT person boxes with motion-adaptive post-processing,
  written to ``bounding_boxes.csv``.
* ``to_ava``: boxes + action labels -> the train-ready AVA-style layout.
* ``split_dataset``: the paper's train/val/test split (or a split grouped by source).
* ``stats``: the dataset statistics the paper reports.

Run ``python -m data_prep --help``. This package never imports the training engine; its output is
exactly the input format the engine reads.
"""

__version__ = "0.1.0"
