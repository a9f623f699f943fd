"""The model zoo page (MODEL_ZOO.md) and the cross-domain table, generated from the configs.

``build_entries`` describes every config, ``render_model_zoo`` renders the page from cached
parameter/FLOP counts (``ComplexityCache``), ``format_cross_domain_table`` builds paper v2's
Table 3 from run folders. Command lines: ``tools/make_model_zoo.py``,
``tools/make_cross_domain_table.py``.
"""

from slowfast_microg.zoo.catalog import ZooEntry, build_entries, read_paper_results
from slowfast_microg.zoo.complexity import Complexity, ComplexityCache, complexity_key, measure
from slowfast_microg.zoo.cross_domain import format_cross_domain_table
from slowfast_microg.zoo.render import render_model_zoo

__all__ = [
    "Complexity",
    "ComplexityCache",
    "ZooEntry",
    "build_entries",
    "complexity_key",
    "format_cross_domain_table",
    "measure",
    "read_paper_results",
    "render_model_zoo",
]
