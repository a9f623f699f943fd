"""Fixtures of the JHMDB tests: one synthetic release per module, a small test config."""

import jhmdb_synth
import pytest

from slowfast_microg.config import get_cfg


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return jhmdb_synth.write_release(tmp_path_factory.mktemp("jhmdb") / "JHMDB")


@pytest.fixture
def make_cfg(release, tmp_path):
    """A Slow-pathway config reading ``release``; annotations go to this test's tmp folder."""

    def build(**overrides):
        cfg = get_cfg()
        cfg.DATA.PATH_TO_DATA_DIR = str(release)
        cfg.AVA.ANNOTATION_DIR = str(tmp_path / "ava_format")
        cfg.MODEL.ARCH = "slow"
        cfg.MODEL.NUM_CLASSES = 80
        cfg.DATA.NUM_FRAMES = 4
        cfg.DATA.SAMPLING_RATE = 2
        cfg.DATA.INPUT_CHANNEL_NUM = [3]
        cfg.DATA.TEST_CROP_SIZE = jhmdb_synth.HEIGHT
        cfg.DATA.MEAN = [0.0, 0.0, 0.0]
        cfg.DATA.STD = [1.0, 1.0, 1.0]
        for key, value in overrides.items():
            node, name = key.split("__")
            cfg[node][name] = value
        return cfg

    return build
