"""BEATs and the window Q-Former: official parameter names and numerics against references."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from model_adapters.timeaudio.beats import (
    BEATs,
    BEATsSpec,
    beats_num_tokens,
    relative_position_bucket,
)
from model_adapters.timeaudio.config import tiny_config
from model_adapters.timeaudio.qformer import QFormerSpec, WindowQFormer

TINY_BEATS = BEATsSpec.from_dict({**tiny_config().beats, "encoder_layers": 2})


def official_beats_keys(layers: int) -> set[str]:
    """Parameter names of microsoft/unilm BEATs (BEATs.py, backbone.py) for the cpt2 configuration
    (conv_bias False, embed 512 != 768 -> post_extract_proj, weight-normed pos_conv, gated relative
    position bias, relative_attention_bias shared by every layer, fine-tuned predictor)."""
    keys = {"patch_embedding.weight", "layer_norm.weight", "layer_norm.bias", "post_extract_proj.weight",
            "post_extract_proj.bias", "encoder.pos_conv.0.bias", "encoder.pos_conv.0.weight_g",
            "encoder.pos_conv.0.weight_v", "encoder.layer_norm.weight", "encoder.layer_norm.bias",
            "predictor.weight", "predictor.bias"}
    for i in range(layers):
        p = f"encoder.layers.{i}."
        for lin in ("k_proj", "v_proj", "q_proj", "out_proj", "grep_linear"):
            keys |= {p + f"self_attn.{lin}.weight", p + f"self_attn.{lin}.bias"}
        keys |= {p + "self_attn.grep_a", p + "self_attn.relative_attention_bias.weight"}
        for mod in ("self_attn_layer_norm", "fc1", "fc2", "final_layer_norm"):
            keys |= {p + f"{mod}.weight", p + f"{mod}.bias"}
    return keys


def test_beats_keys_and_shapes():
    model = BEATs(TINY_BEATS)
    state = model.state_dict()
    assert set(state) == official_beats_keys(2)
    d = TINY_BEATS.encoder_embed_dim
    assert state["encoder.pos_conv.0.weight_g"].shape == (1, 1, 128)
    assert state["encoder.pos_conv.0.weight_v"].shape == (d, d // 16, 128)
    assert state["encoder.layers.0.self_attn.grep_a"].shape == (1, 2, 1, 1)
    # one table shared by every layer, as backbone.py does after construction
    assert (model.encoder.layers[1].self_attn.relative_attention_bias
            is model.encoder.layers[0].self_attn.relative_attention_bias)


def test_beats_token_count_and_time_major_layout():
    model = BEATs(TINY_BEATS).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 16000 * 3) * 0.1)
    # 3 s: 298 frames -> 18 patches of 16 frames x 8 mel patches = 144 tokens
    assert beats_num_tokens(48000) == 144 and beats_num_tokens(480_000) == 1496
    assert out.shape == (2, 144, TINY_BEATS.encoder_embed_dim)


def test_relative_position_buckets_by_hand():
    # 320 buckets -> 160 per direction, 80 exact, log-spaced up to distance 800
    rel = torch.tensor([0, -1, 1, -79, -80, -200, -800, 5000])
    got = relative_position_bucket(rel, num_buckets=320, max_distance=800).tolist()
    # -200: 80 + trunc(log(200/80) / log(10) * 80) = 80 + trunc(31.8) = 111; -800 -> 160 clamped to 159
    assert got == [0, 1, 161, 79, 80, 111, 159, 319]


@pytest.mark.filterwarnings("ignore:.*weight_norm.*:FutureWarning")
def test_weight_norm_matches_torch():
    model = BEATs(TINY_BEATS)
    conv = model.encoder.pos_conv[0]
    with torch.no_grad():
        conv.weight_g.uniform_(0.5, 2.0)
    ref = torch.nn.Conv1d(16, 16, 128, padding=64, groups=16)
    ref = torch.nn.utils.weight_norm(ref, name="weight", dim=2)
    with torch.no_grad():
        ref.weight_g.copy_(conv.weight_g)
        ref.weight_v.copy_(conv.weight_v)
        ref.bias.copy_(conv.bias)
        x = torch.randn(2, 16, 50)
        assert torch.allclose(conv(x), ref(x), atol=1e-5)


def _literal_beats_attention(attn, x, position_bias):
    """backbone.py MultiheadAttention.forward, step by step (alpha = 32 rescaling, gated bias)."""
    tgt, bsz, dim = x.shape
    h, hd = attn.num_heads, attn.head_dim
    scaling, alpha = hd ** -0.5, 32
    q = attn.q_proj(x) * scaling / alpha
    k, v = attn.k_proj(x), attn.v_proj(x)
    q = q.contiguous().view(tgt, bsz * h, hd).transpose(0, 1)
    k = k.contiguous().view(-1, bsz * h, hd).transpose(0, 1)
    v = v.contiguous().view(-1, bsz * h, hd).transpose(0, 1)
    w = torch.bmm(q, k.transpose(1, 2))
    w = (w - w.max(dim=-1, keepdim=True)[0]) * alpha
    bias = position_bias.unsqueeze(0).repeat(bsz, 1, 1, 1).view(bsz * h, tgt, tgt)
    query_layer = q.view(bsz, h, tgt, hd) * alpha / scaling
    gate_a, gate_b = torch.sigmoid(attn.grep_linear(query_layer).view(bsz, h, tgt, 2, 4).sum(-1)).chunk(2, dim=-1)
    gate = gate_a * (gate_b * attn.grep_a - 1.0) + 2.0
    w = w + (gate.view(bsz * h, tgt, 1) * bias).view(w.size())
    out = torch.bmm(torch.softmax(w, dim=-1), v).transpose(0, 1).contiguous().view(tgt, bsz, dim)
    return attn.out_proj(out)


def test_gated_relative_attention_matches_the_original_formula():
    torch.manual_seed(0)
    model = BEATs(TINY_BEATS).eval()
    attn = model.encoder.layers[1].self_attn
    x = torch.randn(3, 40, 16)
    with torch.no_grad():
        bias = model.encoder.layers[0].self_attn.position_bias(40, x.device)
        ours = attn(x, bias)
        ref = _literal_beats_attention(attn, x.transpose(0, 1), bias).transpose(0, 1)
    assert torch.allclose(ours, ref, atol=1e-5)


def official_qformer_keys(layers: int) -> set[str]:
    """models/Qformer.py BertLMHeadModel after TimeAudio.__init__ removes word/position embeddings,
    the text FFN (layer.output / layer.intermediate) and cls (position_ids is a buffer, ignored)."""
    keys = {"bert.embeddings.LayerNorm.weight", "bert.embeddings.LayerNorm.bias"}
    for i in range(layers):
        p = f"bert.encoder.layer.{i}."
        for att in ("attention", "crossattention"):
            for lin in ("self.query", "self.key", "self.value", "output.dense", "output.LayerNorm"):
                keys |= {p + f"{att}.{lin}.weight", p + f"{att}.{lin}.bias"}
        for lin in ("intermediate_query.dense", "output_query.dense", "output_query.LayerNorm"):
            keys |= {p + f"{lin}.weight", p + f"{lin}.bias"}
    return keys


def test_qformer_keys_and_cross_width():
    q = WindowQFormer(QFormerSpec(hidden_size=16, num_attention_heads=2, intermediate_size=32, encoder_width=40))
    state = q.state_dict()
    assert set(state) == official_qformer_keys(2)
    assert state["bert.encoder.layer.0.crossattention.self.key.weight"].shape == (16, 40)


def test_qformer_matches_transformers_bert_layers():
    from transformers import BertConfig
    from transformers.models.bert.modeling_bert import BertLayer

    torch.manual_seed(1)
    spec = QFormerSpec(hidden_size=16, num_attention_heads=2, intermediate_size=32, encoder_width=16)
    ours = WindowQFormer(spec).eval()
    cfg = BertConfig(hidden_size=16, num_attention_heads=2, intermediate_size=32, is_decoder=True,
                     add_cross_attention=True, layer_norm_eps=1e-12, hidden_dropout_prob=0.0,
                     attention_probs_dropout_prob=0.0)
    cfg._attn_implementation = "eager"
    ref_layers = torch.nn.ModuleList([BertLayer(cfg) for _ in range(2)]).eval()
    renamed = {k.replace("bert.encoder.layer.", "").replace("intermediate_query", "intermediate")
               .replace("output_query", "output"): v
               for k, v in ours.state_dict().items() if k.startswith("bert.encoder.")}
    ref_layers.load_state_dict(renamed, strict=True)
    query, frames = torch.randn(7, 1, 16), torch.randn(7, 17, 16)
    with torch.no_grad():
        got, probs = ours(query, frames, return_attention=True)
        h = ours.bert.embeddings.LayerNorm(query)
        for layer in ref_layers:
            h = layer(h, encoder_hidden_states=frames)
            h = h[0] if isinstance(h, tuple) else h
    assert torch.allclose(got, h, atol=1e-5)
    assert probs.shape == (7, 2, 1, 17) and torch.allclose(probs.sum(-1), torch.ones(7, 2, 1))
    assert math.isclose(probs.dtype.itemsize, 4)
