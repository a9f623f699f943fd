"""slowfast_microg: a PySlowFast-compatible toolkit for the MicroG-4M microgravity benchmark."""

__version__ = "0.1.0"
