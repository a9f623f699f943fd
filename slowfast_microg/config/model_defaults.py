"""Model configuration nodes (MODEL, DETECTION, RESNET, NONLOCAL, SLOWFAST, X3D, MVIT)."""

from fvcore.common.config import CfgNode


def add_model_config(cfg: CfgNode) -> None:
    """Add the model nodes, with PySlowFast's names and defaults, to ``cfg`` in place."""
    # -----------------------------------------------------------------------------------------
    # Model
    # -----------------------------------------------------------------------------------------
    cfg.MODEL = CfgNode()
    # Backbone variant: "c2d", "i3d", "slow", "slowfast", "x3d" or "mvit".
    cfg.MODEL.ARCH = "slowfast"
    # Model registry name: "ResNet", "SlowFast", "X3D" or "MViT".
    cfg.MODEL.MODEL_NAME = "SlowFast"
    # Number of action classes (50 for MicroG-4M, 80 for AVA).
    cfg.MODEL.NUM_CLASSES = 50
    # "bce_logit" (on raw scores), "bce" (on sigmoid outputs) or "cross_entropy".
    cfg.MODEL.LOSS_FUNC = "bce_logit"
    # Architectures with a single pathway.
    cfg.MODEL.SINGLE_PATHWAY_ARCH = ["2d", "c2d", "i3d", "slow", "x3d", "mvit"]
    # Architectures with several pathways.
    cfg.MODEL.MULTI_PATHWAY_ARCH = ["slowfast"]
    # Dropout before the classifier.
    cfg.MODEL.DROPOUT_RATE = 0.5
    # Drop-connect rate of X3D blocks.
    cfg.MODEL.DROPCONNECT_RATE = 0.0
    # Standard deviation of the classifier's initial weights.
    cfg.MODEL.FC_INIT_STD = 0.01
    # Activation of the per-box scores: "none" (logits), "sigmoid" or "softmax".
    cfg.MODEL.HEAD_ACT = "none"
    # Stop gradients at the classifier input (linear probing).
    cfg.MODEL.DETACH_FINAL_FC = False
    # Keep BatchNorm statistics and affine parameters frozen while training.
    cfg.MODEL.FROZEN_BN = False
    # Recompute activations in the backward pass to save memory.
    cfg.MODEL.ACT_CHECKPOINT = False
    # Compress DDP gradient all-reduce to fp16.
    cfg.MODEL.FP16_ALLREDUCE = False

    # -----------------------------------------------------------------------------------------
    # Detection (RoI head)
    # -----------------------------------------------------------------------------------------
    cfg.DETECTION = CfgNode()
    # Detection mode: per-box scores from an RoI head (always on for MicroG-4M).
    cfg.DETECTION.ENABLE = True
    # Use aligned RoIAlign (pixel centres at +0.5).
    cfg.DETECTION.ALIGNED = True
    # Boxes (input pixels) are divided by this factor to reach feature-map coordinates.
    cfg.DETECTION.SPATIAL_SCALE_FACTOR = 16
    # RoIAlign output resolution (bins per side), followed by a max-pool of the same size.
    cfg.DETECTION.ROI_XFORM_RESOLUTION = 7

    # -----------------------------------------------------------------------------------------
    # ResNet backbones (C2D, I3D, Slow, SlowFast)
    # -----------------------------------------------------------------------------------------
    cfg.RESNET = CfgNode()
    # Residual block transformation: "bottleneck_transform", "basic_transform", "x3d_transform".
    cfg.RESNET.TRANS_FUNC = "bottleneck_transform"
    # Groups of the 3x3 convolution (1 = ResNet, >1 = ResNeXt).
    cfg.RESNET.NUM_GROUPS = 1
    # Width of each group.
    cfg.RESNET.WIDTH_PER_GROUP = 64
    # Put the spatial stride on the 1x1 convolution instead of the 3x3.
    cfg.RESNET.STRIDE_1X1 = False
    # Use in-place ReLU.
    cfg.RESNET.INPLACE_RELU = True
    # Initialise the last BN of each block to zero.
    cfg.RESNET.ZERO_INIT_FINAL_BN = False
    # Initialise the last convolution of each block to zero.
    cfg.RESNET.ZERO_INIT_FINAL_CONV = False
    # Depth: 50 or 101 (18/34 with basic_transform).
    cfg.RESNET.DEPTH = 50
    # Per stage and pathway, how many blocks use a temporal kernel of 3 (others use 1).
    cfg.RESNET.NUM_BLOCK_TEMP_KERNEL = [[3], [4], [6], [3]]
    # Per stage and pathway spatial stride.
    cfg.RESNET.SPATIAL_STRIDES = [[1], [2], [2], [2]]
    # Per stage and pathway spatial dilation.
    cfg.RESNET.SPATIAL_DILATIONS = [[1], [1], [1], [1]]

    # -----------------------------------------------------------------------------------------
    # Non-local blocks
    # -----------------------------------------------------------------------------------------
    cfg.NONLOCAL = CfgNode()
    # Per stage and pathway, indices of the blocks followed by a non-local block.
    cfg.NONLOCAL.LOCATION = [[[]], [[]], [[]], [[]]]
    # Per stage and pathway, number of temporal groups the non-local block attends within.
    cfg.NONLOCAL.GROUP = [[1], [1], [1], [1]]
    # Affinity normalisation: "dot_product" or "softmax".
    cfg.NONLOCAL.INSTANTIATION = "dot_product"
    # Per stage and pathway, max-pool size applied to phi and g.
    cfg.NONLOCAL.POOL = [
        [[1, 2, 2], [1, 2, 2]],
        [[1, 2, 2], [1, 2, 2]],
        [[1, 2, 2], [1, 2, 2]],
        [[1, 2, 2], [1, 2, 2]],
    ]

    # -----------------------------------------------------------------------------------------
    # SlowFast
    # -----------------------------------------------------------------------------------------
    cfg.SLOWFAST = CfgNode()
    # Channel ratio slow/fast (the fast pathway has 1/BETA_INV of the slow width).
    cfg.SLOWFAST.BETA_INV = 8
    # Frame-rate ratio fast/slow.
    cfg.SLOWFAST.ALPHA = 8
    # Lateral connection channels relative to the fast pathway width.
    cfg.SLOWFAST.FUSION_CONV_CHANNEL_RATIO = 2
    # Temporal kernel of the lateral connection.
    cfg.SLOWFAST.FUSION_KERNEL_SZ = 5

    # -----------------------------------------------------------------------------------------
    # X3D
    # -----------------------------------------------------------------------------------------
    cfg.X3D = CfgNode()
    # Width expansion factor.
    cfg.X3D.WIDTH_FACTOR = 1.0
    # Depth expansion factor.
    cfg.X3D.DEPTH_FACTOR = 1.0
    # Bottleneck expansion factor of the 3x3x3 convolution.
    cfg.X3D.BOTTLENECK_FACTOR = 1.0
    # Width of the classification head's conv5 output (classification mode only).
    cfg.X3D.DIM_C5 = 2048
    # Width of the stem.
    cfg.X3D.DIM_C1 = 12
    # Scale the width of res2 as well.
    cfg.X3D.SCALE_RES2 = False
    # BN after the head's lin5 (classification mode only).
    cfg.X3D.BN_LIN5 = False
    # Depth-wise (channel-wise) 3x3x3 convolution in each block.
    cfg.X3D.CHANNELWISE_3x3x3 = True

    # -----------------------------------------------------------------------------------------
    # MViT (v1 and v2)
    # -----------------------------------------------------------------------------------------
    cfg.MVIT = CfgNode()
    # Attention pooling mode: "conv", "conv_unshared", "avg", "max".
    cfg.MVIT.MODE = "conv"
    # Prepend a class token.
    cfg.MVIT.CLS_EMBED_ON = True
    # Patch embedding kernel (T, H, W).
    cfg.MVIT.PATCH_KERNEL = [3, 7, 7]
    # Patch embedding stride (T, H, W).
    cfg.MVIT.PATCH_STRIDE = [2, 4, 4]
    # Patch embedding padding (T, H, W).
    cfg.MVIT.PATCH_PADDING = [2, 4, 4]
    # Use a 2D patch embedding (image models).
    cfg.MVIT.PATCH_2D = False
    # Embedding width of the first stage.
    cfg.MVIT.EMBED_DIM = 96
    # Attention heads of the first stage.
    cfg.MVIT.NUM_HEADS = 1
    # MLP hidden width relative to the embedding width.
    cfg.MVIT.MLP_RATIO = 4.0
    # Bias in the qkv projection.
    cfg.MVIT.QKV_BIAS = True
    # Stochastic depth rate (linearly increasing over blocks).
    cfg.MVIT.DROPPATH_RATE = 0.1
    # Layer-scale initial value (0 disables layer scale).
    cfg.MVIT.LAYER_SCALE_INIT_VALUE = 0.0
    # Number of transformer blocks.
    cfg.MVIT.DEPTH = 16
    # Normalisation layer: "layernorm".
    cfg.MVIT.NORM = "layernorm"
    # [block index, multiplier] pairs where the width is multiplied.
    cfg.MVIT.DIM_MUL = []
    # [block index, multiplier] pairs where the number of heads is multiplied.
    cfg.MVIT.HEAD_MUL = []
    # Per-block [index, stride_t, stride_h, stride_w] of key/value pooling.
    cfg.MVIT.POOL_KV_STRIDE = []
    # Initial key/value pooling stride, adapted whenever the query is pooled.
    cfg.MVIT.POOL_KV_STRIDE_ADAPTIVE = None
    # Per-block [index, stride_t, stride_h, stride_w] of query pooling.
    cfg.MVIT.POOL_Q_STRIDE = []
    # Kernel of the q/k/v pooling (None derives it from the stride).
    cfg.MVIT.POOL_KVQ_KERNEL = None
    # No weight decay on positional embeddings and the class token.
    cfg.MVIT.ZERO_DECAY_POS_CLS = True
    # LayerNorm after the patch embedding.
    cfg.MVIT.NORM_STEM = False
    # Separate spatial and temporal absolute positional embeddings.
    cfg.MVIT.SEP_POS_EMBED = False
    # Dropout before the head.
    cfg.MVIT.DROPOUT_RATE = 0.0
    # Absolute positional embedding (MViT v1).
    cfg.MVIT.USE_ABS_POS = True
    # Decomposed relative positional bias over height and width (MViT v2).
    cfg.MVIT.REL_POS_SPATIAL = False
    # Relative positional bias over time (MViT v2).
    cfg.MVIT.REL_POS_TEMPORAL = False
    # Initialise relative position tables to zero.
    cfg.MVIT.REL_POS_ZERO_INIT = False
    # Add the pooled query to the attention output (MViT v2 residual pooling).
    cfg.MVIT.RESIDUAL_POOLING = False
    # Change the width inside attention instead of in the MLP (MViT v2).
    cfg.MVIT.DIM_MUL_IN_ATT = False
    # Separate q, k and v projections instead of one qkv projection.
    cfg.MVIT.SEPARATE_QKV = False
    # Scale of the classifier's initial weights.
    cfg.MVIT.HEAD_INIT_SCALE = 1.0
    # Mean-pool tokens instead of using the class token (classification mode only).
    cfg.MVIT.USE_MEAN_POOLING = False
    # Fixed sine-cosine absolute positional embedding.
    cfg.MVIT.USE_FIXED_SINCOS_POS = False
    # Pool before projecting q, k and v.
    cfg.MVIT.POOL_FIRST = False
