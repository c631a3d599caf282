"""alpr-desktop plate reader network (loaded by EasyOCR as a custom recognition network).

PaddleOCR's PP-OCRv4 text recogniser (PP-LCNetV3 backbone, SVTR neck, CTC head), written
out in plain PyTorch, with a CTC head over 37 classes (blank + 0-9 A-Z) and fine-tuned on
US plates by alpr-desktop (see ``MODEL_CARD.md``). The architecture is a hand-written
equivalent of the inference graph of ``ch_PP-OCRv4_rec_infer`` as shipped in the
``rapidocr_onnxruntime`` wheel; ``tools/training/ppocr_base.py`` imports those
pretrained weights and checks that this module reproduces the ONNX model's output. The
backbone is the *re-parameterised* (deploy-time) form of PP-LCNetV3: every
``LearnableRepLayer`` has already been folded into a single convolution with a
bias, so each layer is::

    conv -> learnable affine -> hardswish -> learnable affine

where a "learnable affine" is ``scale * x + bias`` with two scalar parameters.
Only the stem and the neck convolutions still carry explicit BatchNorm layers.

Input:  ``(batch, 3, 48, W)`` float in ``[-1, 1]``; ``W`` should be a multiple of 8.
Output: ``(batch, W // 8, num_classes)`` CTC log-probabilities (blank = index 0).

``Model`` is what EasyOCR builds (``Model(num_class=..., **network_params)``, called as
``model(image, text)``): it takes the grey ``(batch, 1, 48, W)`` crop that alpr-desktop's
reader prepares, repeats it to three channels, and holds ``members`` networks (an
ensemble; one in the shipped file). :meth:`Model.member_log_probs` gives each member's own
output, which alpr-desktop decodes and scores (``alpr_desktop.recognition.decoding``).

Licence: AGPL-3.0-or-later (part of alpr-desktop); the pretrained PP-OCRv4 weights it
was fine-tuned from are Apache-2.0 (``PPOCR_PROVENANCE.md``, ``LICENSE-PP-OCR``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["Model", "PlateRecNet"]

IntPair = int | tuple[int, int]


class BlockSpec(NamedTuple):
    """One depthwise-separable PP-LCNetV3 block."""

    kernel: int
    in_ch: int
    out_ch: int
    stride: IntPair
    use_se: bool


# Recognition configuration of PP-LCNetV3 as found in the PP-OCRv4 rec model
# (channel widths read from the ONNX graph).  Strides of (2, 1) halve only the
# height, so the sequence keeps its horizontal resolution.
REC_BLOCKS: tuple[BlockSpec, ...] = (
    BlockSpec(3, 16, 32, 1, False),
    BlockSpec(3, 32, 64, 1, False),
    BlockSpec(3, 64, 64, 1, False),
    BlockSpec(3, 64, 128, (2, 1), False),
    BlockSpec(3, 128, 128, 1, False),
    BlockSpec(3, 128, 240, (1, 2), False),
    BlockSpec(5, 240, 240, 1, False),
    BlockSpec(5, 240, 240, 1, False),
    BlockSpec(5, 240, 240, 1, False),
    BlockSpec(5, 240, 240, 1, False),
    BlockSpec(5, 240, 480, (2, 1), True),
    BlockSpec(5, 480, 480, 1, True),
    BlockSpec(5, 480, 480, (2, 1), False),
    BlockSpec(5, 480, 480, 1, False),
)

STEM_CHANNELS = 16
BACKBONE_CHANNELS = 480
NECK_DIMS = 120
NECK_HEADS = 8
NECK_DEPTH = 2
NECK_MLP_RATIO = 2.0
HARDSIGMOID_SLOPE = 0.1666667  # Paddle's hardsigmoid slope (alpha of the ONNX HardSigmoid)


# --------------------------------------------------------------------------
# Backbone: PP-LCNetV3 (re-parameterised)
# --------------------------------------------------------------------------


class LearnableAffine(nn.Module):
    """``scale * x + bias`` with learnable scalars (PaddleOCR ``LearnableAffineBlock``)."""

    def __init__(self, scale: float = 1.0, bias: float = 0.0) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor([scale]))
        self.bias = nn.Parameter(torch.tensor([bias]))

    def forward(self, x: Tensor) -> Tensor:
        return self.scale * x + self.bias


class RepConvAct(nn.Module):
    """Deploy-time ``LearnableRepLayer``: conv (BN folded in) -> affine -> hardswish -> affine."""

    def __init__(
        self, in_ch: int, out_ch: int, kernel: int, stride: IntPair = 1, groups: int = 1
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(
            in_ch, out_ch, kernel, stride=stride, padding=kernel // 2, groups=groups, bias=True
        )
        self.lab = LearnableAffine()
        self.act_lab = LearnableAffine()

    def forward(self, x: Tensor) -> Tensor:
        return self.act_lab(F.hardswish(self.lab(self.conv(x))))


class SqueezeExcite(nn.Module):
    """Channel attention: global average pool -> 1x1 conv -> ReLU -> 1x1 conv -> hard sigmoid.

    The gate is Paddle's hard sigmoid ``clip(0.1666667 * x + 0.5, 0, 1)`` (the
    ONNX ``HardSigmoid`` alpha/beta).  ``F.hardsigmoid`` uses exactly 1/6; the
    2e-7 relative slope difference shifts the final log-probs by ~1.5e-5, so the
    Paddle slope is kept for fidelity.
    """

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(channels, channels // reduction, 1)
        self.expand = nn.Conv2d(channels // reduction, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        s = x.mean(dim=(2, 3), keepdim=True)
        s = self.expand(F.relu(self.reduce(s)))
        return x * (s * HARDSIGMOID_SLOPE + 0.5).clamp(0.0, 1.0)


class LCNetV3Block(nn.Module):
    """Depthwise conv -> optional squeeze-excite -> pointwise conv."""

    def __init__(self, spec: BlockSpec) -> None:
        super().__init__()
        self.dw = RepConvAct(spec.in_ch, spec.in_ch, spec.kernel, spec.stride, groups=spec.in_ch)
        self.se: nn.Module = SqueezeExcite(spec.in_ch) if spec.use_se else nn.Identity()
        self.pw = RepConvAct(spec.in_ch, spec.out_ch, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.pw(self.se(self.dw(x)))


class PPLCNetV3(nn.Module):
    """PP-LCNetV3 recognition backbone: ``(B, 3, 48, W) -> (B, 480, 1, W // 8)``."""

    def __init__(self, blocks: Sequence[BlockSpec] = REC_BLOCKS) -> None:
        super().__init__()
        # Stem: plain conv + BN, no activation.
        self.stem = nn.Sequential(
            nn.Conv2d(3, STEM_CHANNELS, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(STEM_CHANNELS),
        )
        self.blocks = nn.Sequential(*(LCNetV3Block(spec) for spec in blocks))
        self.out_channels = blocks[-1].out_ch

    def forward(self, x: Tensor) -> Tensor:
        x = self.blocks(self.stem(x))
        # Height 3 -> 1 and width halved: one feature column per 8 input pixels.
        return F.avg_pool2d(x, kernel_size=(3, 2), stride=(3, 2))


# --------------------------------------------------------------------------
# Neck: SVTR encoder (EncoderWithSVTR)
# --------------------------------------------------------------------------


class ConvBNSwish(nn.Module):
    """Conv (no bias) -> BatchNorm -> swish."""

    def __init__(self, in_ch: int, out_ch: int, kernel: tuple[int, int] = (1, 1)) -> None:
        super().__init__()
        padding = (kernel[0] // 2, kernel[1] // 2)
        self.conv = nn.Conv2d(in_ch, out_ch, kernel, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(out_ch)

    def forward(self, x: Tensor) -> Tensor:
        return F.silu(self.bn(self.conv(x)))


class Attention(nn.Module):
    """Multi-head self-attention with a fused qkv projection."""

    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        b, n, c = x.shape
        # (B, N, 3C) -> (3, B, heads, N, head_dim)
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        out = F.scaled_dot_product_attention(q, k, v, scale=self.head_dim**-0.5)
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    """Linear -> swish -> linear."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(F.silu(self.fc1(x)))


class TransformerBlock(nn.Module):
    """Pre-norm transformer block (LayerNorm eps 1e-5, as in the ONNX graph)."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-5)
        self.attn = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-5)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class SVTRNeck(nn.Module):
    """SVTR global-mixing neck with a concat shortcut from the backbone features."""

    def __init__(
        self,
        in_ch: int = BACKBONE_CHANNELS,
        dims: int = NECK_DIMS,
        depth: int = NECK_DEPTH,
        num_heads: int = NECK_HEADS,
        mlp_ratio: float = NECK_MLP_RATIO,
    ) -> None:
        super().__init__()
        # Modules are registered in execution order; ppocr_base.load_from_fx relies on it.
        self.conv1 = ConvBNSwish(in_ch, in_ch // 8, (1, 3))
        self.conv2 = ConvBNSwish(in_ch // 8, dims)
        self.blocks = nn.ModuleList(
            TransformerBlock(dims, num_heads, mlp_ratio) for _ in range(depth)
        )
        self.norm = nn.LayerNorm(dims, eps=1e-6)
        self.conv3 = ConvBNSwish(dims, in_ch)
        self.conv4 = ConvBNSwish(2 * in_ch, in_ch // 8, (1, 3))
        self.conv1x1 = ConvBNSwish(in_ch // 8, dims)
        self.out_channels = dims

    def forward(self, x: Tensor) -> Tensor:
        shortcut = x
        z = self.conv2(self.conv1(x))
        b, c, h, w = z.shape
        z = z.flatten(2).transpose(1, 2)  # (B, H*W, C) token sequence
        for block in self.blocks:
            z = block(z)
        z = self.norm(z)
        z = z.reshape(b, h, w, c).permute(0, 3, 1, 2)
        z = self.conv3(z)
        z = torch.cat((shortcut, z), dim=1)
        return self.conv1x1(self.conv4(z))


# --------------------------------------------------------------------------
# Full network
# --------------------------------------------------------------------------


class PlateRecNet(nn.Module):
    """PP-OCRv4 recogniser with a CTC head of ``num_classes`` outputs (blank = 0).

    ``forward`` maps ``(B, 3, 48, W)`` images in ``[-1, 1]`` to
    ``(B, W // 8, num_classes)`` log-probabilities.
    """

    def __init__(self, num_classes: int = 37) -> None:
        super().__init__()
        self.backbone = PPLCNetV3()
        self.neck = SVTRNeck(in_ch=self.backbone.out_channels)
        self.head = nn.Linear(self.neck.out_channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        feats = self.neck(self.backbone(x))
        if feats.shape[2] != 1:
            raise ValueError(
                f"expected input height 48 (feature height 1), got input shape {tuple(x.shape)}"
            )
        seq = feats.squeeze(2).transpose(1, 2)  # (B, W // 8, C)
        return F.log_softmax(self.head(seq), dim=-1)


class Model(nn.Module):
    """EasyOCR's entry point: ``members`` plate networks reading a grey crop.

    Args:
        input_channel: channels of the crop given (1: grey, repeated to the three the
            network was pre-trained on; 3: used as is).
        num_class: CTC classes (blank + characters); EasyOCR passes it.
        members: independently fine-tuned networks held (an ensemble).
    """

    def __init__(self, input_channel: int = 1, num_class: int = 37, members: int = 1) -> None:
        super().__init__()
        if input_channel not in (1, 3):
            raise ValueError(f"input_channel must be 1 or 3, not {input_channel}")
        self.input_channel = input_channel
        self.members = nn.ModuleList(PlateRecNet(num_class) for _ in range(members))

    def _rgb(self, x: Tensor) -> Tensor:
        return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x

    def member_log_probs(self, input: Tensor) -> Tensor:
        """Each member's log-probabilities, shape (members, batch, columns, num_class)."""
        x = self._rgb(input)
        return torch.stack([m(x) for m in self.members])

    def forward(self, input: Tensor, text: Tensor | None = None) -> Tensor:
        """Log-probabilities, shape (batch, columns, num_class); ``text`` is ignored (CTC).

        With several members, the log of their mean per-column probabilities: a rough
        reading for EasyOCR's own code paths, which alpr-desktop does not use.
        """
        lp = self.member_log_probs(input)
        if lp.shape[0] == 1:
            return lp[0]
        return lp.exp().mean(0).clamp_min(1e-8).log()
