"""The action-detection demo (annotated video + per-box CSV) and the qualitative figure panels.

Command lines: ``tools/demo_net.py`` (``slowfast_microg.demo.demo_net.main``) and
``tools/visualize.py`` (``slowfast_microg.demo.visualize.main``); see ``docs/demo.md``.
Submodules are imported on use, so importing this package loads neither Ultralytics nor
matplotlib.
"""
