"""Multiscale Vision Transformers (MViT v1 and v2) with the RoI detection head.

References: Fan et al., "Multiscale Vision Transformers" (ICCV 2021) and Li et al., "MViTv2:
Improved Multiscale Vision Transformers for Classification and Detection" (CVPR 2022).
Parameter names and shapes equal PySlowFast's ``MViT`` in detection mode, so its checkpoints
load with strict key matching. The token map of the last block (class token dropped, tokens
ordered t, h, w) is reshaped to (B, C, T, H, W) and fed to the shared ``ResNetRoIHead``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict
from functools import partial

import torch
from fvcore.common.config import CfgNode
from torch import nn
from torch.utils.checkpoint import checkpoint

from slowfast_microg.config import ConfigError
from slowfast_microg.models.head import ResNetRoIHead, warn_if_scale_differs
from slowfast_microg.models.mvit_blocks import BlockOptions, MultiScaleBlock, PatchEmbed
from slowfast_microg.models.mvit_positions import resize_grid_embedding, sincos_3d
from slowfast_microg.models.mvit_schedule import BlockSpec, block_specs, spatial_stride
from slowfast_microg.models.registry import MODEL_REGISTRY

logger = logging.getLogger(__name__)

_TOP_LEVEL_TABLES = (
    "cls_token",
    "pos_embed",
    "pos_embed_spatial",
    "pos_embed_temporal",
    "pos_embed_class",
)
_REL_POS_TABLES = ("rel_pos_h", "rel_pos_w", "rel_pos_t")


class MViT(nn.Module):
    """MViT backbone + RoI head: ``model([clip], boxes) -> (N, num_classes)`` per-box scores.

    Positional tables are sized for ``table_grid`` (the token grid of the build-time input,
    ``DATA.NUM_FRAMES x DATA.TRAIN_CROP_SIZE^2``) and resampled at forward time to the grid of
    the actual input (see ``mvit_positions``), so clips of any size, square or not, work.
    """

    def __init__(
        self,
        *,
        in_channels: int,
        table_grid: Sequence[int],
        patch_kernel: Sequence[int],
        patch_stride: Sequence[int],
        patch_padding: Sequence[int],
        embed_dim: int,
        blocks: Sequence[BlockSpec],
        block_options: BlockOptions,
        use_abs_pos: bool,
        sep_pos_embed: bool,
        use_fixed_sincos_pos: bool,
        norm_stem: bool,
        num_classes: int,
        roi_resolution: int,
        spatial_scale_factor: float,
        head_dropout_rate: float,
        head_act: str,
        aligned: bool,
        detach_final_fc: bool = False,
        head_init_scale: float = 1.0,
        act_checkpoint: bool = False,
    ) -> None:
        """Create the model.

        Args:
            in_channels: input channels (3 for RGB).
            table_grid: (T, H, W) token grid after the patch embedding at the build-time size.
            patch_kernel: patch-embedding Conv3d kernel (T, H, W).
            patch_stride: patch-embedding stride (T, H, W).
            patch_padding: patch-embedding padding (T, H, W).
            embed_dim: width after the patch embedding.
            blocks: per-block layout (``mvit_schedule.block_specs``).
            block_options: switches shared by all blocks.
            use_abs_pos: learnable absolute positional embedding (v1).
            sep_pos_embed: separable absolute embedding (spatial + temporal + class).
            use_fixed_sincos_pos: fixed sine-cosine absolute embedding (needs ``use_abs_pos``
                and not ``sep_pos_embed``); as in PySlowFast it is added twice.
            norm_stem: LayerNorm after the patch embedding.
            num_classes: scores per box.
            roi_resolution: RoIAlign output size per side.
            spatial_scale_factor: boxes (input pixels) are divided by this for RoIAlign.
            head_dropout_rate: dropout before the classifier.
            head_act: "none", "sigmoid" or "softmax".
            aligned: aligned RoIAlign.
            detach_final_fc: stop gradients before the classifier.
            head_init_scale: multiplies the classifier's initial weights and bias.
            act_checkpoint: recompute block activations in the backward pass (training).
        """
        super().__init__()
        if use_fixed_sincos_pos and (sep_pos_embed or not use_abs_pos):
            raise ValueError(
                "MVIT.USE_FIXED_SINCOS_POS needs MVIT.USE_ABS_POS true and "
                "MVIT.SEP_POS_EMBED false."
            )
        self.table_grid = tuple(int(g) for g in table_grid)
        self.cls_embed_on = block_options.has_cls_embed
        self.use_abs_pos = use_abs_pos
        self.sep_pos_embed = sep_pos_embed
        self.use_fixed_sincos_pos = use_fixed_sincos_pos
        self.act_checkpoint = act_checkpoint
        self.patch_embed = PatchEmbed(
            dim_in=in_channels,
            dim_out=embed_dim,
            kernel=patch_kernel,
            stride=patch_stride,
            padding=patch_padding,
        )
        self._init_embeddings(embed_dim)
        drop_rate = block_options.drop_rate
        self.pos_drop = nn.Dropout(drop_rate) if drop_rate > 0.0 else nn.Identity()
        norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.norm_stem = norm_layer(embed_dim) if norm_stem else None
        self.blocks = nn.ModuleList(
            MultiScaleBlock(
                dim=spec.dim,
                dim_out=spec.dim_out,
                num_heads=spec.num_heads,
                input_size=spec.input_size,
                drop_path=spec.drop_path,
                norm_layer=norm_layer,
                kernel_q=spec.kernel_q,
                kernel_kv=spec.kernel_kv,
                stride_q=spec.stride_q,
                stride_kv=spec.stride_kv,
                **asdict(block_options),
            )
            for spec in blocks
        )
        out_dim = blocks[-1].dim_out if blocks else embed_dim
        self.norm = norm_layer(out_dim)
        self.head = ResNetRoIHead(
            dim_in=[out_dim],
            num_classes=num_classes,
            resolution=[roi_resolution, roi_resolution],
            scale_factor=spatial_scale_factor,
            dropout_rate=head_dropout_rate,
            act_func=head_act,
            aligned=aligned,
            detach_final_fc=detach_final_fc,
        )
        stride_h, stride_w = spatial_stride(patch_stride=patch_stride, specs=blocks)
        if stride_h != stride_w:
            raise ValueError(f"MViT token map strides differ: height {stride_h}, width {stride_w}.")
        self.feature_strides = [stride_h]
        self._init_weights(head_init_scale)

    def _init_embeddings(self, embed_dim: int) -> None:
        """Create ``cls_token`` and the absolute tables (PySlowFast names and shapes)."""
        t, h, w = self.table_grid
        if self.cls_embed_on:
            self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        if not self.use_abs_pos:
            return
        if self.sep_pos_embed:
            self.pos_embed_spatial = nn.Parameter(torch.zeros(1, h * w, embed_dim))
            self.pos_embed_temporal = nn.Parameter(torch.zeros(1, t, embed_dim))
            if self.cls_embed_on:
                self.pos_embed_class = nn.Parameter(torch.zeros(1, 1, embed_dim))
        else:
            rows = t * h * w + (1 if self.cls_embed_on else 0)
            self.pos_embed = nn.Parameter(
                torch.zeros(1, rows, embed_dim), requires_grad=not self.use_fixed_sincos_pos
            )

    def _init_weights(self, head_init_scale: float) -> None:
        """PySlowFast's initialisation (truncated normal, std 0.02; LayerNorm bias 0.02)."""
        for name, param in self.named_parameters(recurse=False):
            nn.init.trunc_normal_(param, std=0.02)
            if name == "pos_embed" and self.use_fixed_sincos_pos:
                with torch.no_grad():
                    param.copy_(
                        sincos_3d(
                            param.shape[-1], grid=self.table_grid, cls_token=self.cls_embed_on
                        )
                    )
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d, nn.Conv3d)):
                nn.init.trunc_normal_(module.weight, std=0.02)
                if isinstance(module, nn.Linear) and module.bias is not None:
                    nn.init.constant_(module.bias, 0.02)
            elif isinstance(module, nn.LayerNorm):
                nn.init.constant_(module.weight, 1.0)
                nn.init.constant_(module.bias, 0.02)
        with torch.no_grad():
            self.head.projection.weight.mul_(head_init_scale)
            self.head.projection.bias.mul_(head_init_scale)

    def position_embedding(self, thw: Sequence[int]) -> torch.Tensor:
        """Absolute embedding for a (T, H, W) token grid, class row first when present.

        Returns:
            (1, [1 +] T*H*W, C), resampled from ``table_grid`` when the grids differ.
        """
        t, h, w = self.table_grid
        if self.sep_pos_embed:
            grid = self.pos_embed_spatial.repeat(1, t, 1) + torch.repeat_interleave(
                self.pos_embed_temporal, h * w, dim=1
            )
            cls_row = self.pos_embed_class if self.cls_embed_on else None
        else:
            start = 1 if self.cls_embed_on else 0
            grid = self.pos_embed[:, start:]
            cls_row = self.pos_embed[:, :start] if self.cls_embed_on else None
        grid = resize_grid_embedding(grid, src=self.table_grid, dst=tuple(thw))
        return grid if cls_row is None else torch.cat([cls_row, grid], dim=1)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Backbone: (B, C_in, T, H, W) clip -> (B, C, T', H', W') normalised token map."""
        x, thw = self.patch_embed(x)
        if self.cls_embed_on:
            x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        if self.use_abs_pos:
            pos = self.position_embedding(thw)
            x = x + pos + pos if self.use_fixed_sincos_pos else x + pos
        x = self.pos_drop(x)
        if self.norm_stem is not None:
            x = self.norm_stem(x)
        for block in self.blocks:
            if self.act_checkpoint and self.training:
                x, thw = checkpoint(block, x, thw, use_reentrant=False)
            else:
                x, thw = block(x, thw)
        x = self.norm(x)
        if self.cls_embed_on:
            x = x[:, 1:]
        batch, _, channels = x.shape
        return x.transpose(1, 2).reshape(batch, channels, *thw)

    def forward(self, inputs: list[torch.Tensor], bboxes: torch.Tensor) -> torch.Tensor:
        """Score each box.

        Args:
            inputs: one (B, C, T, H, W) clip tensor (a single pathway).
            bboxes: (N, 5) rows (batch_index, x1, y1, x2, y2) in input pixels.

        Returns:
            (N, num_classes) scores after the head activation.
        """
        if len(inputs) != 1:
            raise ValueError(f"MViT takes a single pathway, got {len(inputs)} input tensors.")
        return self.head([self.forward_features(inputs[0])], bboxes)

    def no_weight_decay(self) -> list[str]:
        """Full names of the positional tables and class token (for MVIT.ZERO_DECAY_POS_CLS)."""
        return [
            name
            for name, _ in self.named_parameters()
            if name in _TOP_LEVEL_TABLES or name.rsplit(".", 1)[-1] in _REL_POS_TABLES
        ]

    @classmethod
    def from_cfg(cls, cfg: CfgNode) -> MViT:
        """Build from MODEL.*, DATA.*, DETECTION.* and MVIT.* keys.

        Logs a warning when DETECTION.SPATIAL_SCALE_FACTOR differs from the token map's true
        stride (the paper's runs used 16 on a stride-32 map).

        Raises:
            ConfigError: an MVIT setting this model cannot build.
        """
        m = cfg.MVIT
        if m.NORM != "layernorm":
            raise ConfigError(f"MVIT.NORM must be 'layernorm', got {m.NORM!r}.")
        if m.PATCH_2D:
            raise ConfigError("MVIT.PATCH_2D is for image models; MicroG-4M models take clips.")
        if len(cfg.DATA.INPUT_CHANNEL_NUM) != 1:
            raise ConfigError(
                f"MViT has one pathway but DATA.INPUT_CHANNEL_NUM is {cfg.DATA.INPUT_CHANNEL_NUM}."
            )
        patch_stride = [int(s) for s in m.PATCH_STRIDE]
        crop = int(cfg.DATA.TRAIN_CROP_SIZE)
        table_grid = (
            int(cfg.DATA.NUM_FRAMES) // patch_stride[0],
            crop // patch_stride[1],
            crop // patch_stride[2],
        )
        try:
            specs = block_specs(
                depth=m.DEPTH,
                embed_dim=m.EMBED_DIM,
                num_heads=m.NUM_HEADS,
                dim_mul=m.DIM_MUL,
                head_mul=m.HEAD_MUL,
                pool_q_stride=m.POOL_Q_STRIDE,
                pool_kv_stride=m.POOL_KV_STRIDE,
                pool_kv_stride_adaptive=m.POOL_KV_STRIDE_ADAPTIVE,
                pool_kvq_kernel=m.POOL_KVQ_KERNEL,
                dim_mul_in_att=m.DIM_MUL_IN_ATT,
                drop_path_rate=m.DROPPATH_RATE,
                patch_grid=table_grid,
            )
            model = cls(
                in_channels=cfg.DATA.INPUT_CHANNEL_NUM[0],
                table_grid=table_grid,
                patch_kernel=m.PATCH_KERNEL,
                patch_stride=patch_stride,
                patch_padding=m.PATCH_PADDING,
                embed_dim=m.EMBED_DIM,
                blocks=specs,
                block_options=BlockOptions(
                    mlp_ratio=m.MLP_RATIO,
                    qkv_bias=m.QKV_BIAS,
                    drop_rate=m.DROPOUT_RATE,
                    layer_scale_init_value=m.LAYER_SCALE_INIT_VALUE,
                    mode=m.MODE,
                    has_cls_embed=m.CLS_EMBED_ON,
                    pool_first=m.POOL_FIRST,
                    rel_pos_spatial=m.REL_POS_SPATIAL,
                    rel_pos_temporal=m.REL_POS_TEMPORAL,
                    rel_pos_zero_init=m.REL_POS_ZERO_INIT,
                    residual_pooling=m.RESIDUAL_POOLING,
                    dim_mul_in_att=m.DIM_MUL_IN_ATT,
                    separate_qkv=m.SEPARATE_QKV,
                ),
                use_abs_pos=m.USE_ABS_POS,
                sep_pos_embed=m.SEP_POS_EMBED,
                use_fixed_sincos_pos=m.USE_FIXED_SINCOS_POS,
                norm_stem=m.NORM_STEM,
                num_classes=cfg.MODEL.NUM_CLASSES,
                roi_resolution=cfg.DETECTION.ROI_XFORM_RESOLUTION,
                spatial_scale_factor=cfg.DETECTION.SPATIAL_SCALE_FACTOR,
                head_dropout_rate=cfg.MODEL.DROPOUT_RATE,
                head_act=cfg.MODEL.HEAD_ACT,
                aligned=cfg.DETECTION.ALIGNED,
                detach_final_fc=cfg.MODEL.DETACH_FINAL_FC,
                head_init_scale=m.HEAD_INIT_SCALE,
                act_checkpoint=cfg.MODEL.ACT_CHECKPOINT,
            )
        except ValueError as err:
            raise ConfigError(str(err)) from err
        warn_if_scale_differs(
            model_name="MViT",
            scale_factor=cfg.DETECTION.SPATIAL_SCALE_FACTOR,
            strides=model.feature_strides,
        )
        return model


@MODEL_REGISTRY.register_as("MViT")
def build_mvit(cfg: CfgNode) -> MViT:
    """Registry entry for MODEL.MODEL_NAME "MViT"."""
    return MViT.from_cfg(cfg)
