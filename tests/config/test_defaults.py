"""The default config: PySlowFast names, every key documented, dump/load round trip."""

import ast
import re
from pathlib import Path

import yaml

import slowfast_microg.config.defaults as defaults_module
import slowfast_microg.config.model_defaults as model_defaults_module
from slowfast_microg.config import get_cfg, merge_from_file
from slowfast_microg.config.loader import all_keys

ASSIGN = re.compile(r"^\s*(?:_C|cfg)\.([A-Z0-9_x.]+)\s*=")


def _documented_assignments(path: Path) -> tuple[list[str], list[str]]:
    """Return (keys assigned, keys whose assignment has no comment line right above)."""
    lines = path.read_text().splitlines()
    assigned, undocumented = [], []
    for index, line in enumerate(lines):
        match = ASSIGN.match(line)
        if not match or "CfgNode()" in line:
            continue
        assigned.append(match.group(1))
        if not lines[index - 1].strip().startswith("#"):
            undocumented.append(match.group(1))
    return assigned, undocumented


def test_every_key_has_a_comment():
    keys = []
    for module in (defaults_module, model_defaults_module):
        assigned, undocumented = _documented_assignments(Path(module.__file__))
        assert undocumented == [], f"keys without a comment in {module.__name__}: {undocumented}"
        keys.extend(assigned)
    # Every leaf of get_cfg() is one of the documented assignments.
    assert len(all_keys(get_cfg())) == len(keys)


def test_pyslowfast_names_present():
    cfg = get_cfg()
    for key in (
        "TRAIN.CHECKPOINT_FILE_PATH",
        "TEST.CHECKPOINT_FILE_PATH",
        "DATA.NUM_FRAMES",
        "DATA.SAMPLING_RATE",
        "AVA.TEST_PREDICT_BOX_LISTS",
        "DETECTION.SPATIAL_SCALE_FACTOR",
        "DETECTION.ROI_XFORM_RESOLUTION",
        "RESNET.NUM_BLOCK_TEMP_KERNEL",
        "NONLOCAL.LOCATION",
        "SLOWFAST.FUSION_KERNEL_SZ",
        "X3D.CHANNELWISE_3x3x3",
        "MVIT.REL_POS_SPATIAL",
        "SOLVER.LR_POLICY",
        "MICROG.AUTHORS_FRAME_OFFSET",
    ):
        assert key in all_keys(cfg)


def test_dump_and_reload_round_trip(tmp_path):
    cfg = get_cfg()
    cfg.SOLVER.BASE_LR = 0.0125
    cfg.MVIT.POOL_Q_STRIDE = [[1, 1, 2, 2], [3, 1, 2, 2]]
    cfg.SOLVER.CLIP_GRAD_L2NORM = 1.0
    path = tmp_path / "dump.yaml"
    path.write_text(cfg.dump())
    reloaded = get_cfg()
    assert merge_from_file(reloaded, path) == []
    assert yaml.safe_load(reloaded.dump()) == yaml.safe_load(cfg.dump())


def test_defaults_module_has_no_machine_paths():
    for module in (defaults_module, model_defaults_module):
        tree = ast.parse(Path(module.__file__).read_text())
        strings = [
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        ]
        assert not [s for s in strings if s.startswith("/")]
