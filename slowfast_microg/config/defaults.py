"""Default configuration: every key PySlowFast's MicroG-4M runs use, with PySlowFast's names.

Conventions:
- Node and key names are PySlowFast's, so the authors' YAML dumps and user scripts port
  unchanged. Keys a PySlowFast YAML carries that this schema does not (contrastive learning,
  masking, multigrid, detectron2 demo settings, ...) are reported in one warning and ignored
  when a file is merged; on the command line they are errors (see ``config/loader.py``).
- Dataset conventions that PySlowFast hard-codes for AVA (fps, 1-based frame stamps, the
  frame-index offset, JPEG vs mp4 layout) are keys of the ``MICROG`` node.
- Relative data paths in ``AVA.*_DIR`` are resolved against ``DATA.PATH_TO_DATA_DIR``.
- Validation and derived values live in ``assert_and_infer_cfg`` (``config/validate.py``).
"""

from fvcore.common.config import CfgNode

from slowfast_microg.config.model_defaults import add_model_config

_C = CfgNode()

# ---------------------------------------------------------------------------------------------
# Top level
# ---------------------------------------------------------------------------------------------
# Number of GPUs per machine; 0 runs on CPU.
_C.NUM_GPUS = 1
# Number of machines (shards) taking part in distributed training.
_C.NUM_SHARDS = 1
# Index of this machine among NUM_SHARDS.
_C.SHARD_ID = 0
# Folder for checkpoints, logs, detections and metrics of a run.
_C.OUTPUT_DIR = "./output"
# Seed of Python, numpy and torch random generators.
_C.RNG_SEED = 1
# Log training statistics every LOG_PERIOD iterations.
_C.LOG_PERIOD = 10
# Log the model summary (parameter count, FLOPs when fvcore can count them) at start.
_C.LOG_MODEL_INFO = True
# torch.distributed backend for GPU runs ("nccl"); CPU runs always use "gloo".
_C.DIST_BACKEND = "nccl"
# Processes per machine when NUM_GPUS is 0: each is one gloo rank (the world size of a CPU run
# is NUM_CPU_PROCESSES x NUM_SHARDS; batch sizes must divide by it).
_C.NUM_CPU_PROCESSES = 1
# Deterministic algorithms (torch.use_deterministic_algorithms, no cuDNN autotuning) so a
# resumed run reproduces an uninterrupted one; slower on GPU.
_C.DETERMINISTIC = False
# Show progress bars with ETA on the main process (only when stderr is a terminal).
_C.PROGRESS_BAR = True

# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------
_C.TRAIN = CfgNode()
# Run training.
_C.TRAIN.ENABLE = True
# Dataset registry name for training ("microg"; "ava" selects the same frame-stamp loader).
_C.TRAIN.DATASET = "microg"
# Global mini-batch size (split across all processes).
_C.TRAIN.BATCH_SIZE = 64
# Evaluate on the validation split every EVAL_PERIOD epochs.
_C.TRAIN.EVAL_PERIOD = 5
# Save a checkpoint every CHECKPOINT_PERIOD epochs.
_C.TRAIN.CHECKPOINT_PERIOD = 5
# Also save a mid-epoch checkpoint every this many iterations (0 disables); AUTO_RESUME
# continues from the newest one at the exact iteration.
_C.TRAIN.CHECKPOINT_ITER_PERIOD = 0
# Resume from the last checkpoint in OUTPUT_DIR when one exists.
_C.TRAIN.AUTO_RESUME = True
# Checkpoint to initialise from (Kinetics/AVA pretraining or a previous run).
_C.TRAIN.CHECKPOINT_FILE_PATH = ""
# Format of TRAIN.CHECKPOINT_FILE_PATH: "pytorch" (.pyth) or "caffe2" (.pkl).
_C.TRAIN.CHECKPOINT_TYPE = "pytorch"
# Inflate 2D convolution weights of the checkpoint into 3D kernels (I3D style).
_C.TRAIN.CHECKPOINT_INFLATE = False
# Start from epoch 0 even if the checkpoint records a later epoch.
_C.TRAIN.CHECKPOINT_EPOCH_RESET = False
# Substrings removed (first occurrence) from checkpoint keys before loading, e.g. ["module."].
_C.TRAIN.CHECKPOINT_CLEAR_NAME_PATTERN = []
# The checkpoint is an image (2D) model: reshape patch embedding and positional tables.
_C.TRAIN.CHECKPOINT_IN_INIT = False
# Use automatic mixed precision on GPU (ignored on CPU).
_C.TRAIN.MIXED_PRECISION = False
# Autocast dtype when MIXED_PRECISION is on: "auto" (bfloat16 where supported, else float16),
# "bfloat16", "float16" or "float32" (slowfast_microg.models.acceleration).
_C.TRAIN.AMP_DTYPE = "auto"
# Keep Conv3d weights and input clips in torch.channels_last_3d memory format. These
# acceleration keys apply to training, validation and testing alike.
_C.TRAIN.CHANNELS_LAST = False
# Compile the model with torch.compile (opt-in; the first step of each input shape compiles).
_C.TRAIN.COMPILE = False
# torch.compile back end of TRAIN.COMPILE ("inductor"; "aot_eager" traces without codegen).
_C.TRAIN.COMPILE_BACKEND = "inductor"
# Stop when the loss exceeds this factor times its running mean (0 disables the check).
_C.TRAIN.KILL_LOSS_EXPLOSION_FACTOR = 0.0
# Training clips that may fail to decode (each is logged and skipped) before the run stops
# with the list of failures; validation and test clips must always decode.
_C.TRAIN.MAX_DECODE_FAILURES = 10

# ---------------------------------------------------------------------------------------------
# Testing
# ---------------------------------------------------------------------------------------------
_C.TEST = CfgNode()
# Run testing after training (or alone when TRAIN.ENABLE is False).
_C.TEST.ENABLE = True
# Dataset registry name for testing.
_C.TEST.DATASET = "microg"
# Global mini-batch size for testing.
_C.TEST.BATCH_SIZE = 8
# Checkpoint to test; when empty the last checkpoint of OUTPUT_DIR is used.
_C.TEST.CHECKPOINT_FILE_PATH = ""
# Format of TEST.CHECKPOINT_FILE_PATH: "pytorch" or "caffe2".
_C.TEST.CHECKPOINT_TYPE = "pytorch"
# Folder for test outputs; empty writes them into OUTPUT_DIR.
_C.TEST.SAVE_RESULTS_PATH = ""
# Test-time augmentation for val and test: score each clip and its horizontal mirror (boxes
# mirrored) in one batched forward and average the two views' scores.
_C.TEST.FLIP_ENSEMBLE = False

# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------
_C.DATA = CfgNode()
# Root of the train-ready dataset; relative AVA.*_DIR paths are resolved against it.
_C.DATA.PATH_TO_DATA_DIR = ""
# Frames per clip fed to the (fast) pathway.
_C.DATA.NUM_FRAMES = 8
# Stride between sampled frames.
_C.DATA.SAMPLING_RATE = 8
# Shorter-side range of the training scale jitter [min, max] in pixels.
_C.DATA.TRAIN_JITTER_SCALES = [256, 320]
# Side of the square training crop.
_C.DATA.TRAIN_CROP_SIZE = 224
# Shorter side of test frames (detection tests on the full resized frame, no crop).
_C.DATA.TEST_CROP_SIZE = 256
# Input channels per pathway (one entry per pathway).
_C.DATA.INPUT_CHANNEL_NUM = [3, 3]
# Per-channel mean subtracted from [0, 1] pixels.
_C.DATA.MEAN = [0.45, 0.45, 0.45]
# Per-channel standard deviation dividing [0, 1] pixels.
_C.DATA.STD = [0.225, 0.225, 0.225]
# Random horizontal flip during training.
_C.DATA.RANDOM_FLIP = True
# Feed BGR instead of RGB to the model.
_C.DATA.REVERSE_INPUT_CHANNEL = False
# PCA colour-jitter eigenvalues (AVA lighting noise).
_C.DATA.TRAIN_PCA_EIGVAL = [0.225, 0.224, 0.229]
# PCA colour-jitter eigenvectors (rows).
_C.DATA.TRAIN_PCA_EIGVEC = [
    [-0.5675, 0.7192, 0.4009],
    [-0.5808, -0.0045, -0.814],
    [-0.5836, -0.6948, 0.4203],
]

# ---------------------------------------------------------------------------------------------
# Data loader
# ---------------------------------------------------------------------------------------------
_C.DATA_LOADER = CfgNode()
# Worker processes per data loader.
_C.DATA_LOADER.NUM_WORKERS = 4
# Pin host memory for faster host-to-GPU copies.
_C.DATA_LOADER.PIN_MEMORY = True
# Let PyAV decode mp4 clips with several threads.
_C.DATA_LOADER.ENABLE_MULTI_THREAD_DECODE = False
# Batches each worker loads ahead (torch DataLoader prefetch_factor; used when NUM_WORKERS > 0).
_C.DATA_LOADER.PREFETCH_FACTOR = 2
# Decode frames at the size the transform resizes them to (mp4: swscale scales while converting
# to RGB; JPEG: DCT scaling where that leaves at least the size). Faster where the target is at
# most half the frame (JPEG); pixels then differ slightly from decoding at full size and
# resizing bilinearly, as PySlowFast does (docs/dataset.md, "Loading speed").
_C.DATA_LOADER.RESIZE_IN_DECODER = False

# ---------------------------------------------------------------------------------------------
# AVA-format annotations (PySlowFast's node; MicroG-4M uses AVA's file formats)
# ---------------------------------------------------------------------------------------------
_C.AVA = CfgNode()
# Folder of per-clip JPEG frames: FRAME_DIR/<clip>/<clip>_%06d.jpg.
_C.AVA.FRAME_DIR = "frames"
# Folder of frame lists ({train,val,test}.csv).
_C.AVA.FRAME_LIST_DIR = "frame_lists"
# Folder of annotation CSVs and the label map.
_C.AVA.ANNOTATION_DIR = "annotations"
# Frame lists used for training.
_C.AVA.TRAIN_LISTS = ["train.csv"]
# Frame lists used for validation/testing.
_C.AVA.TEST_LISTS = ["test.csv"]
# Ground-truth box files used for training.
_C.AVA.TRAIN_GT_BOX_LISTS = ["ava_train.csv"]
# Extra predicted-box files used for training (empty in the paper).
_C.AVA.TRAIN_PREDICT_BOX_LISTS = []
# Predicted-box files used for testing (the paper uses the ground-truth boxes).
_C.AVA.TEST_PREDICT_BOX_LISTS = ["ava_test_predicted_boxes.csv"]
# Predicted boxes scoring below this are dropped.
_C.AVA.DETECTION_SCORE_THRESH = 0.0
# Decode frames as BGR (PySlowFast's cv2 convention) instead of RGB.
_C.AVA.BGR = False
# Apply colour augmentation during training.
_C.AVA.TRAIN_USE_COLOR_AUGMENTATION = False
# Restrict colour augmentation to PCA lighting noise.
_C.AVA.TRAIN_PCA_JITTER_ONLY = True
# Also test on the horizontally flipped clip.
_C.AVA.TEST_FORCE_FLIP = False
# Evaluate every keyframe of the validation split (PySlowFast subsamples otherwise).
_C.AVA.FULL_TEST_ON_VAL = True
# Label map file (AVA pbtxt or CSV "id,name") inside ANNOTATION_DIR.
_C.AVA.LABEL_MAP_FILE = "label_map.pbtxt"
# Optional file of excluded (video, stamp) keys inside ANNOTATION_DIR; missing means none.
_C.AVA.EXCLUSION_FILE = ""
# Ground-truth file for evaluation inside ANNOTATION_DIR.
_C.AVA.GROUNDTRUTH_FILE = "ava_test_gt.csv"

# ---------------------------------------------------------------------------------------------
# MicroG-4M dataset conventions
# ---------------------------------------------------------------------------------------------
_C.MICROG = CfgNode()
# Frame rate of the 3-second clips.
_C.MICROG.FPS = 30
# Number of the first frame of a clip used by the stamps in the annotation CSVs.
_C.MICROG.STAMP_BASE = 1
# Reproduce the authors' loader, which reads frame stamp+1 (their 0-based index of a 1-based
# stamp). False samples the clip centred on the annotated frame itself.
_C.MICROG.AUTHORS_FRAME_OFFSET = False
# Where clips come from: "frames" (JPEG folders) or "videos" (mp4 decoded on the fly).
_C.MICROG.LAYOUT = "frames"
# Folder of <clip>.mp4 files for LAYOUT "videos" (relative to DATA.PATH_TO_DATA_DIR).
_C.MICROG.VIDEO_DIR = "videos"
# Frame lists of the validation split, evaluated every TRAIN.EVAL_PERIOD epochs
# (PySlowFast evaluates AVA.TEST_LISTS during training; MicroG-4M has a separate val split).
_C.MICROG.VAL_LISTS = ["val.csv"]
# Box files of the validation split (the paper uses the ground-truth boxes).
_C.MICROG.VAL_PREDICT_BOX_LISTS = ["ava_val_predicted_boxes.csv"]
# Ground-truth file of the validation split inside AVA.ANNOTATION_DIR.
_C.MICROG.VAL_GROUNDTRUTH_FILE = "ava_val_gt.csv"
# Score threshold for the paper's macro F1 / recall (applied to the raw model outputs).
_C.MICROG.EVAL_THRESHOLD = 0.5
# Control run: permute the label rows of the training boxes (seeded by RNG_SEED) so nothing
# can be learnt; its test mAP is the chance level a real run must beat.
_C.MICROG.SHUFFLE_TRAIN_LABELS = False
# Generate the embedded synthetic sample into DATA.PATH_TO_DATA_DIR before running.
_C.MICROG.GENERATE_SAMPLE = False

# ---------------------------------------------------------------------------------------------
# JHMDB-21 (TEST.DATASET jhmdb: the cross-domain zero-shot test, docs/jhmdb.md)
# ---------------------------------------------------------------------------------------------
_C.JHMDB = CfgNode()
# Frames of the release, FRAME_DIR/<action>/<video>/%05d.png (relative to DATA.PATH_TO_DATA_DIR).
_C.JHMDB.FRAME_DIR = "Rename_Images"
# Split files <action>_test_split<N>.txt, lines "<video>.avi 1" (train) or "... 2" (test).
_C.JHMDB.SPLIT_DIR = "splits"
# Puppet masks MASK_DIR/<action>/<video>/puppet_mask.mat (part_mask, H x W x frames).
_C.JHMDB.MASK_DIR = "puppet_mask"
# Joint positions JOINT_DIR/<action>/<video>/joint_positions.mat (pos_img, 2 x 15 x frames).
_C.JHMDB.JOINT_DIR = "joint_positions"
# Official split number (1, 2 or 3); the paper tests on split 1.
_C.JHMDB.SPLIT = 1
# Person boxes from "mask" (bounding box of the puppet mask) or "joints" (joints plus margin).
_C.JHMDB.BOX_SOURCE = "mask"
# With BOX_SOURCE joints: margin on each side, as a fraction of the joints' box width/height.
_C.JHMDB.JOINT_MARGIN = 0.1
# Score every FRAME_STRIDE-th frame of a video, from its first frame (1: every frame).
_C.JHMDB.FRAME_STRIDE = 1
# CSV "jhmdb_class,ava_id,ava_name" of the scored classes; empty: the packaged AVA overlap.
_C.JHMDB.CLASS_MAP_FILE = ""

# ---------------------------------------------------------------------------------------------
# Batch normalisation
# ---------------------------------------------------------------------------------------------
_C.BN = CfgNode()
# "batchnorm" or "sync_batchnorm" (synchronised across processes).
_C.BN.NORM_TYPE = "batchnorm"
# Weight decay for BN parameters.
_C.BN.WEIGHT_DECAY = 0.0
# Recompute BN statistics precisely before each evaluation.
_C.BN.USE_PRECISE_STATS = False
# Iterations used to compute precise BN statistics.
_C.BN.NUM_BATCHES_PRECISE = 200
# Devices per synchronisation group of sync BN.
_C.BN.NUM_SYNC_DEVICES = 1
# Synchronise sync BN across all processes instead of NUM_SYNC_DEVICES groups.
_C.BN.GLOBAL_SYNC = False

# ---------------------------------------------------------------------------------------------
# Optimiser and learning-rate schedule
# ---------------------------------------------------------------------------------------------
_C.SOLVER = CfgNode()
# Base learning rate.
_C.SOLVER.BASE_LR = 0.1
# Scale BASE_LR by NUM_SHARDS.
_C.SOLVER.BASE_LR_SCALE_NUM_SHARDS = False
# "steps_with_relative_lrs", "cosine" or "constant".
_C.SOLVER.LR_POLICY = "cosine"
# Final learning rate of the cosine policy.
_C.SOLVER.COSINE_END_LR = 0.0
# Start the cosine after the warm-up instead of at epoch 0.
_C.SOLVER.COSINE_AFTER_WARMUP = False
# Epochs at which the step policy changes the learning rate (first entry 0).
_C.SOLVER.STEPS = []
# Relative learning rates, one per entry of STEPS.
_C.SOLVER.LRS = []
# Number of training epochs.
_C.SOLVER.MAX_EPOCH = 300
# SGD momentum.
_C.SOLVER.MOMENTUM = 0.9
# SGD dampening.
_C.SOLVER.DAMPENING = 0.0
# Nesterov momentum for SGD.
_C.SOLVER.NESTEROV = True
# L2 weight decay.
_C.SOLVER.WEIGHT_DECAY = 1e-4
# Learning rate at the start of the linear warm-up.
_C.SOLVER.WARMUP_START_LR = 0.01
# Warm-up length in epochs.
_C.SOLVER.WARMUP_EPOCHS = 0.0
# "sgd" or "adamw".
_C.SOLVER.OPTIMIZING_METHOD = "sgd"
# AdamW betas.
_C.SOLVER.BETAS = [0.9, 0.999]
# Clip gradients by value (None disables).
_C.SOLVER.CLIP_GRAD_VAL = None
# Clip gradients by global L2 norm (None disables).
_C.SOLVER.CLIP_GRAD_L2NORM = None
# No weight decay on 1-D parameters (biases, norms).
_C.SOLVER.ZERO_WD_1D_PARAM = False
# Layer-wise learning-rate decay for MViT (1.0 disables).
_C.SOLVER.LAYER_DECAY = 1.0

# ---------------------------------------------------------------------------------------------
# TensorBoard
# ---------------------------------------------------------------------------------------------
_C.TENSORBOARD = CfgNode()
# Write TensorBoard scalars (loss, learning rate, mAP, throughput).
_C.TENSORBOARD.ENABLE = False
# Event folder; empty writes to OUTPUT_DIR/runs-<dataset>.
_C.TENSORBOARD.LOG_DIR = ""

add_model_config(_C)


def get_cfg() -> CfgNode:
    """Return a fresh copy of the default configuration."""
    return _C.clone()
