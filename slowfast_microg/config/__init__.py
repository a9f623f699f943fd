"""Configuration: PySlowFast-compatible defaults, file/CLI merging and validation."""

from slowfast_microg.config.defaults import get_cfg
from slowfast_microg.config.loader import ConfigError, merge_from_file, merge_from_list
from slowfast_microg.config.validate import assert_and_infer_cfg

__all__ = ["ConfigError", "assert_and_infer_cfg", "get_cfg", "merge_from_file", "merge_from_list"]
