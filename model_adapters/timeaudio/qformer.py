"""The window-level Q-Former of SALMONN / TimeAudio, with the checkpoint's parameter names.

SALMONN (Tang et al., ICLR 2024) and TimeAudio use BLIP-2's Q-Former (``models/Qformer.py``, from
salesforce/LAVIS) built from the ``bert-base-uncased`` config with ``num_hidden_layers=2``,
``cross_attention_freq=1`` and ``encoder_width`` = the concatenated encoder width, then strip it:
word/position embeddings, the text feed-forward (``intermediate``/``output``) and the LM head
are set to ``None``.  What is left, per layer, acts on the query tokens only:

    h = LN(q + Wo · SelfAttn(q))                      # attention.self / attention.output
    h = LN(h + Wo · CrossAttn(h, frames))             # crossattention.self / crossattention.output
    h = LN(h + W2 · GELU(W1 · h))                     # intermediate_query / output_query

after ``h0 = LN(query_tokens)`` (``bert.embeddings.LayerNorm``).  Each window of 17 encoder
frames is an independent batch element (no attention mask: every frame is attended).
Cross-attention probabilities (softmax in float32, as under autocast) of the last layer can be
returned: token merging scores windows with them.

Keys: ``bert.embeddings.LayerNorm.*``, ``bert.encoder.layer.N.attention.self.{query,key,value}.*``,
``...attention.output.{dense,LayerNorm}.*``, ``...crossattention.self.{query,key,value}.*``,
``...crossattention.output.{dense,LayerNorm}.*``, ``...intermediate_query.dense.*``,
``...output_query.{dense,LayerNorm}.*``.  The checkpoint's ``bert.embeddings.position_ids`` buffer
is not needed (no text positions) and is ignored by the loader.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["QFormerSpec", "WindowQFormer"]


@dataclass(frozen=True)
class QFormerSpec:
    hidden_size: int = 768
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    num_hidden_layers: int = 2
    encoder_width: int = 2048
    layer_norm_eps: float = 1e-12
    cross_attention_freq: int = 1
    hidden_act: str = "gelu"

    @classmethod
    def from_bert_config(cls, bert: Mapping[str, Any], *, num_hidden_layers: int, encoder_width: int) -> QFormerSpec:
        """From a ``bert-base-uncased``-style config dict plus the two fields TimeAudio overrides."""
        act = bert.get("hidden_act", "gelu")
        if act != "gelu":
            raise ValueError(f"Q-Former hidden_act {act!r} is not supported (bert-base-uncased uses 'gelu')")
        return cls(hidden_size=int(bert["hidden_size"]), num_attention_heads=int(bert["num_attention_heads"]),
                   intermediate_size=int(bert["intermediate_size"]), num_hidden_layers=num_hidden_layers,
                   encoder_width=encoder_width, layer_norm_eps=float(bert.get("layer_norm_eps", 1e-12)))


class _Heads(nn.Module):
    """``query``/``key``/``value`` projections (names as in BertSelfAttention)."""

    def __init__(self, spec: QFormerSpec, kv_width: int) -> None:
        super().__init__()
        self.num_heads = spec.num_attention_heads
        self.head_dim = spec.hidden_size // spec.num_attention_heads
        self.query = nn.Linear(spec.hidden_size, spec.hidden_size)
        self.key = nn.Linear(kv_width, spec.hidden_size)
        self.value = nn.Linear(kv_width, spec.hidden_size)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(x.shape[0], x.shape[1], self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, hidden: torch.Tensor, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        q, k, v = self._split(self.query(hidden)), self._split(self.key(context)), self._split(self.value(context))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        probs = scores.float().softmax(dim=-1)                      # (N, H, Q, S), float32
        out = torch.matmul(probs.to(v.dtype), v).transpose(1, 2).reshape(hidden.shape[0], hidden.shape[1], -1)
        return out, probs


class _DenseNorm(nn.Module):
    """``dense`` then ``LayerNorm(dense(x) + residual)`` (BertSelfOutput / BertOutput)."""

    def __init__(self, d_in: int, d_out: int, eps: float) -> None:
        super().__init__()
        self.dense = nn.Linear(d_in, d_out)
        self.LayerNorm = nn.LayerNorm(d_out, eps=eps)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(x) + residual)


class _Attention(nn.Module):
    def __init__(self, spec: QFormerSpec, kv_width: int) -> None:
        super().__init__()
        self.self = _Heads(spec, kv_width)
        self.output = _DenseNorm(spec.hidden_size, spec.hidden_size, spec.layer_norm_eps)

    def forward(self, hidden: torch.Tensor, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out, probs = self.self(hidden, context)
        return self.output(out, hidden), probs


class _Intermediate(nn.Module):
    def __init__(self, spec: QFormerSpec) -> None:
        super().__init__()
        self.dense = nn.Linear(spec.hidden_size, spec.intermediate_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.dense(x))


class _Layer(nn.Module):
    def __init__(self, spec: QFormerSpec, index: int) -> None:
        super().__init__()
        self.attention = _Attention(spec, spec.hidden_size)
        self.has_cross_attention = index % spec.cross_attention_freq == 0
        if self.has_cross_attention:
            self.crossattention = _Attention(spec, spec.encoder_width)
        self.intermediate_query = _Intermediate(spec)
        self.output_query = _DenseNorm(spec.intermediate_size, spec.hidden_size, spec.layer_norm_eps)

    def forward(self, hidden: torch.Tensor, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        hidden, _ = self.attention(hidden, hidden)
        probs = None
        if self.has_cross_attention:
            hidden, probs = self.crossattention(hidden, frames)
        return self.output_query(self.intermediate_query(hidden), hidden), probs


class _Embeddings(nn.Module):
    def __init__(self, spec: QFormerSpec) -> None:
        super().__init__()
        self.LayerNorm = nn.LayerNorm(spec.hidden_size, eps=spec.layer_norm_eps)


class _LayerList(nn.Module):
    def __init__(self, spec: QFormerSpec) -> None:
        super().__init__()
        self.layer = nn.ModuleList([_Layer(spec, i) for i in range(spec.num_hidden_layers)])


class _Bert(nn.Module):
    def __init__(self, spec: QFormerSpec) -> None:
        super().__init__()
        self.embeddings = _Embeddings(spec)
        self.encoder = _LayerList(spec)


class WindowQFormer(nn.Module):
    """Query tokens cross-attend to the frames of each window.

    ``forward(query (N, Q, H), frames (N, K, W))`` returns ``(hidden (N, Q, H), probs)`` where
    ``probs`` is the last cross-attention layer's ``(N, heads, Q, K)`` float32 probabilities when
    ``return_attention`` is set, else ``None``.
    """

    def __init__(self, spec: QFormerSpec) -> None:
        super().__init__()
        self.spec = spec
        self.bert = _Bert(spec)

    def forward(self, query: torch.Tensor, frames: torch.Tensor, *,
                return_attention: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        hidden = self.bert.embeddings.LayerNorm(query)
        last_probs = None
        for layer in self.bert.encoder.layer:
            hidden, probs = layer(hidden, frames)
            if probs is not None:
                last_probs = probs
        return hidden, (last_probs if return_attention else None)
