"""A compact BEATs audio encoder whose parameter names load the official BEATs checkpoints.

BEATs (Chen et al., "BEATs: Audio Pre-Training with Acoustic Tokenizers", ICML 2023;
``microsoft/unilm/beats``, copied unchanged into SALMONN and TimeAudio as ``models/beats/``).
What it computes, as ``BEATs.extract_features(wav, feature_only=True)`` does:

1. 128-bin Kaldi fbank of ``wav * 2**15`` (25 ms / 10 ms), normalised (:mod:`.fbank`);
2. ``patch_embedding``: Conv2d 1 -> ``embed_dim`` with 16x16 kernel and stride over (time, mel),
   flattened time-major (token ``i`` = time patch ``i // 8``, mel patch ``i % 8``), then
   ``layer_norm`` and ``post_extract_proj`` to ``encoder_embed_dim``;
3. encoder: ``x + GELU(conv_pos(x))`` with a weight-normalised grouped Conv1d of 128 taps (the last
   output step dropped, "SamePad"), ``layer_norm`` (post-norm models), then the layers;
4. each layer: multi-head self-attention with a T5-style bucketed relative position bias
   (buckets from layer 0's ``relative_attention_bias``, shared by every layer), gated per query by
   ``grep_linear``/``grep_a`` (WavLM's gated relative position bias), residual scaled by
   ``deep_norm_alpha = (2 * layers) ** 0.25`` when ``deep_norm``; GELU feed-forward.

Differences from the original code, none of which change the numbers of a full-length batch:
``F.scaled_dot_product_attention`` with the bias as a float mask instead of the fp16 "alpha=32"
rescaling trick (mathematically identical softmax), no dropout / layer-drop / padding-mask support
(the caller batches only pieces of equal length, so nothing is padded), no quantiser.
Parameter names (``encoder.pos_conv.0.weight_g`` ...) match ``torch.load(BEATs*.pt)["model"]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .fbank import beats_fbank

__all__ = ["BEATs", "BEATsSpec", "beats_num_tokens", "relative_position_bucket"]


@dataclass(frozen=True)
class BEATsSpec:
    """The fields of ``BEATsConfig`` that shape inference (others in ``ckpt["cfg"]`` are ignored)."""

    input_patch_size: int = 16
    embed_dim: int = 512
    conv_bias: bool = False
    encoder_layers: int = 12
    encoder_embed_dim: int = 768
    encoder_ffn_embed_dim: int = 3072
    encoder_attention_heads: int = 12
    activation_fn: str = "gelu"
    layer_norm_first: bool = False
    deep_norm: bool = False
    conv_pos: int = 128
    conv_pos_groups: int = 16
    relative_position_embedding: bool = False
    num_buckets: int = 320
    max_distance: int = 1280
    gru_rel_pos: bool = False
    finetuned_model: bool = False
    predictor_class: int = 527

    @classmethod
    def from_dict(cls, cfg: Mapping[str, Any]) -> BEATsSpec:
        """Build from ``ckpt["cfg"]`` (unknown keys such as dropout rates are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in dict(cfg).items() if k in names})


def beats_num_tokens(num_samples: int, *, patch: int = 16, mel_patches: int = 8) -> int:
    """Tokens BEATs outputs for ``num_samples`` at 16 kHz: ``floor(frames / 16) * 8``."""
    frames = 0 if num_samples < 400 else 1 + (num_samples - 400) // 160
    return (frames // patch) * mel_patches


def relative_position_bucket(relative_position: torch.Tensor, *, num_buckets: int, max_distance: int) -> torch.Tensor:
    """Bidirectional T5-style bucket of ``key - query`` (BEATs ``_relative_positions_bucket``).

    Half the buckets per direction (positive offsets in the upper half); offsets below a quarter of
    ``num_buckets`` get their own bucket, larger ones share log-spaced buckets up to ``max_distance``.
    """
    half = num_buckets // 2
    buckets = (relative_position > 0).to(torch.long) * half
    distance = relative_position.abs()
    max_exact = half // 2
    is_small = distance < max_exact
    large = max_exact + (
        torch.log(distance.float() / max_exact) / math.log(max_distance / max_exact) * (half - max_exact)
    ).to(torch.long)
    large = torch.clamp(large, max=half - 1)
    return buckets + torch.where(is_small, distance, large)


class _WeightNormConv1d(nn.Module):
    """Conv1d with ``weight = weight_g * weight_v / ||weight_v||`` (norm over dims 0, 1, as
    ``torch.nn.utils.weight_norm(conv, dim=2)``); keeps the checkpoint's ``weight_g``/``weight_v``."""

    def __init__(self, channels: int, kernel: int, groups: int) -> None:
        super().__init__()
        self.padding = kernel // 2
        self.groups = groups
        self.weight_g = nn.Parameter(torch.ones(1, 1, kernel))
        self.weight_v = nn.Parameter(torch.randn(channels, channels // groups, kernel) * 0.02)
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        norm = self.weight_v.norm(dim=(0, 1), keepdim=True)
        weight = self.weight_v * (self.weight_g / norm)
        return F.conv1d(x, weight, self.bias, padding=self.padding, groups=self.groups)


class _SelfAttention(nn.Module):
    def __init__(self, spec: BEATsSpec, has_bias_table: bool) -> None:
        super().__init__()
        d, h = spec.encoder_embed_dim, spec.encoder_attention_heads
        self.num_heads = h
        self.head_dim = d // h
        self.num_buckets = spec.num_buckets
        self.max_distance = spec.max_distance
        self.q_proj = nn.Linear(d, d)
        self.k_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)
        self.gru_rel_pos = spec.gru_rel_pos
        if spec.gru_rel_pos:
            self.grep_linear = nn.Linear(self.head_dim, 8)
            self.grep_a = nn.Parameter(torch.ones(1, h, 1, 1))
        if has_bias_table:
            self.relative_attention_bias = nn.Embedding(spec.num_buckets, h)
        self._bucket_cache: dict[tuple[int, str], torch.Tensor] = {}

    def position_bias(self, length: int, device) -> torch.Tensor:
        """``(heads, length, length)`` bias from the bucket table (bucket indices cached per length)."""
        key = (length, str(device))
        buckets = self._bucket_cache.get(key)
        if buckets is None:
            pos = torch.arange(length, device=device)
            buckets = relative_position_bucket(pos[None, :] - pos[:, None], num_buckets=self.num_buckets,
                                               max_distance=self.max_distance)
            if len(self._bucket_cache) > 8:
                self._bucket_cache.clear()
            self._bucket_cache[key] = buckets
        return self.relative_attention_bias(buckets).permute(2, 0, 1)

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        b, t, d = x.shape
        q = self.q_proj(x).view(b, t, self.num_heads, self.head_dim).transpose(1, 2)   # (B,H,T,d)
        k = self.k_proj(x).view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        mask = None
        if bias is not None:
            mask = bias.unsqueeze(0)                                                    # (1,H,T,T)
            if self.gru_rel_pos:
                gates = torch.sigmoid(self.grep_linear(q).view(b, self.num_heads, t, 2, 4).sum(-1))
                gate_a, gate_b = gates.chunk(2, dim=-1)                                 # (B,H,T,1)
                mask = (gate_a * (gate_b * self.grep_a - 1.0) + 2.0) * mask
            mask = mask.to(q.dtype)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.out_proj(out.transpose(1, 2).reshape(b, t, d))


class _Layer(nn.Module):
    def __init__(self, spec: BEATsSpec, has_bias_table: bool) -> None:
        super().__init__()
        d = spec.encoder_embed_dim
        if spec.activation_fn != "gelu":
            raise NotImplementedError(f"BEATs activation {spec.activation_fn!r} (only 'gelu' is used by released models)")
        self.self_attn = _SelfAttention(spec, has_bias_table)
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, spec.encoder_ffn_embed_dim)
        self.fc2 = nn.Linear(spec.encoder_ffn_embed_dim, d)
        self.final_layer_norm = nn.LayerNorm(d)
        self.layer_norm_first = spec.layer_norm_first
        self.alpha = math.pow(2 * spec.encoder_layers, 0.25) if spec.deep_norm else 1.0

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        if self.layer_norm_first:
            x = x + self.self_attn(self.self_attn_layer_norm(x), bias)
            return x + self.fc2(F.gelu(self.fc1(self.final_layer_norm(x))))
        x = self.self_attn_layer_norm(x * self.alpha + self.self_attn(x, bias))
        return self.final_layer_norm(x * self.alpha + self.fc2(F.gelu(self.fc1(x))))


class _Encoder(nn.Module):
    def __init__(self, spec: BEATsSpec) -> None:
        super().__init__()
        d = spec.encoder_embed_dim
        self.pos_conv = nn.ModuleList([_WeightNormConv1d(d, spec.conv_pos, spec.conv_pos_groups)])
        self.same_pad_trim = 1 if spec.conv_pos % 2 == 0 else 0
        rel = spec.relative_position_embedding
        self.layers = nn.ModuleList([_Layer(spec, has_bias_table=rel and i == 0) for i in range(spec.encoder_layers)])
        if rel:  # one bias table shared by every layer (its key appears under every layer)
            for layer in list(self.layers)[1:]:
                layer.self_attn.relative_attention_bias = self.layers[0].self_attn.relative_attention_bias
        self.relative = rel
        self.layer_norm = nn.LayerNorm(d)
        self.layer_norm_first = spec.layer_norm_first

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        conv = self.pos_conv[0](x.transpose(1, 2))
        if self.same_pad_trim:
            conv = conv[:, :, :-self.same_pad_trim]
        x = x + F.gelu(conv).transpose(1, 2)
        if not self.layer_norm_first:
            x = self.layer_norm(x)
        bias = self.layers[0].self_attn.position_bias(x.shape[1], x.device) if self.relative else None
        for layer in self.layers:
            x = layer(x, bias)
        if self.layer_norm_first:
            x = self.layer_norm(x)
        return x


class BEATs(nn.Module):
    """BEATs feature extractor; ``forward(wav)`` returns ``(batch, tokens, encoder_embed_dim)``."""

    def __init__(self, spec: BEATsSpec) -> None:
        super().__init__()
        self.spec = spec
        self.patch_embedding = nn.Conv2d(1, spec.embed_dim, kernel_size=spec.input_patch_size,
                                         stride=spec.input_patch_size, bias=spec.conv_bias)
        self.layer_norm = nn.LayerNorm(spec.embed_dim)
        self.post_extract_proj = (nn.Linear(spec.embed_dim, spec.encoder_embed_dim)
                                  if spec.embed_dim != spec.encoder_embed_dim else None)
        self.encoder = _Encoder(spec)
        # kept only so the fine-tuned checkpoint loads strictly; feature extraction never uses it
        self.predictor = nn.Linear(spec.encoder_embed_dim, spec.predictor_class) if spec.finetuned_model else None

    @property
    def out_dim(self) -> int:
        return self.spec.encoder_embed_dim

    def forward(self, wav: torch.Tensor) -> torch.Tensor:
        """Features of equal-length 16 kHz waveforms ``(batch, samples)`` (no padding mask)."""
        fbank = beats_fbank(wav).unsqueeze(1)                          # (B, 1, frames, 128), float32
        weight_dtype = self.patch_embedding.weight.dtype
        x = self.patch_embedding(fbank.to(weight_dtype))               # (B, E, T/16, 8)
        x = x.reshape(x.shape[0], x.shape[1], -1).transpose(1, 2)      # time-major tokens
        x = self.layer_norm(x)
        if self.post_extract_proj is not None:
            x = self.post_extract_proj(x)
        return self.encoder(x)
