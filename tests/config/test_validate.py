"""assert_and_infer_cfg: each rule rejects a bad value with a message naming the key."""

import pytest

from slowfast_microg.config import ConfigError, assert_and_infer_cfg, get_cfg


def _cfg(**overrides):
    cfg = get_cfg()
    cfg.NUM_GPUS = 0
    for key, value in overrides.items():
        node = cfg
        *parents, leaf = key.split("__")
        for name in parents:
            node = node[name]
        node[leaf] = value
    return cfg


def test_defaults_validate():
    cfg = assert_and_infer_cfg(_cfg())
    assert cfg.is_frozen()


@pytest.mark.parametrize(
    ("overrides", "pattern"),
    [
        ({"MODEL__HEAD_ACT": "sigmoid", "MODEL__LOSS_FUNC": "bce_logit"}, "twice"),
        ({"MODEL__HEAD_ACT": "none", "MODEL__LOSS_FUNC": "bce"}, "bce_logit"),
        ({"MODEL__HEAD_ACT": "relu"}, "MODEL.HEAD_ACT"),
        ({"MODEL__ARCH": "resnext"}, "MODEL.ARCH"),
        ({"MODEL__ARCH": "i3d"}, "INPUT_CHANNEL_NUM"),
        ({"DATA__NUM_FRAMES": 6}, "SLOWFAST.ALPHA"),
        ({"MICROG__LAYOUT": "tar"}, "MICROG.LAYOUT"),
        (
            {
                "SOLVER__LR_POLICY": "steps_with_relative_lrs",
                "SOLVER__STEPS": [0, 10],
                "SOLVER__LRS": [1],
            },
            "equally long",
        ),
        (
            {
                "SOLVER__LR_POLICY": "steps_with_relative_lrs",
                "SOLVER__STEPS": [5, 10],
                "SOLVER__LRS": [1, 0.1],
            },
            "start at 0",
        ),
        ({"TRAIN__BATCH_SIZE": 6, "NUM_GPUS": 4}, "TRAIN.BATCH_SIZE"),
        ({"SHARD_ID": 2, "NUM_SHARDS": 2}, "SHARD_ID"),
        ({"NUM_CPU_PROCESSES": 3, "TRAIN__BATCH_SIZE": 8}, "NUM_CPU_PROCESSES x NUM_SHARDS = 3"),
        ({"NUM_CPU_PROCESSES": 0}, "NUM_CPU_PROCESSES must be"),
        ({"DETECTION__ENABLE": False}, "DETECTION.ENABLE"),
        ({"TRAIN__ENABLE": False, "TEST__ENABLE": False}, "nothing to run"),
        ({"DATA__TRAIN_JITTER_SCALES": [320, 256]}, "TRAIN_JITTER_SCALES"),
        ({"DATA_LOADER__NUM_WORKERS": -1}, "DATA_LOADER.NUM_WORKERS"),
        ({"DATA_LOADER__PREFETCH_FACTOR": 0}, "DATA_LOADER.PREFETCH_FACTOR"),
    ],
)
def test_rejects(overrides, pattern):
    with pytest.raises(ConfigError, match=pattern):
        assert_and_infer_cfg(_cfg(**overrides))


def test_lr_scaled_by_shards_once():
    cfg = _cfg(SOLVER__BASE_LR_SCALE_NUM_SHARDS=True, NUM_SHARDS=2, SOLVER__BASE_LR=0.1)
    cfg.TRAIN.BATCH_SIZE = 8
    cfg = assert_and_infer_cfg(cfg)
    assert cfg.SOLVER.BASE_LR == pytest.approx(0.2)
    cfg.defrost()
    assert assert_and_infer_cfg(cfg).SOLVER.BASE_LR == pytest.approx(0.2)


def test_dataset_names_lowercased():
    cfg = assert_and_infer_cfg(_cfg(TRAIN__DATASET="MicroG", TEST__DATASET="AVA"))
    assert (cfg.TRAIN.DATASET, cfg.TEST.DATASET) == ("microg", "ava")
