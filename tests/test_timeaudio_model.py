"""The tiny random-initialised TimeAudio: shapes per audio length, chunking, keys, time table."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from model_adapters.timeaudio.config import tiny_config
from model_adapters.timeaudio.encoder import (
    expected_num_windows,
    plan_chunks,
    prepare_audio,
)
from model_adapters.timeaudio.loading import expected_checkpoint_keys
from model_adapters.timeaudio.model import build_tiny_model

SR = 16000


@pytest.fixture(scope="module")
def model():
    return build_tiny_model(tiny_config(merge={"enabled": True}), seed=0)


@pytest.fixture(scope="module")
def extractor():
    from transformers import WhisperFeatureExtractor

    return WhisperFeatureExtractor(feature_size=80)


def _wave(seconds: float, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(round(seconds * SR)) * 0.1).astype(np.float32)


def _encode(model, extractor, waves):
    batch = prepare_audio(waves, config=model.audio_config, feature_extractor=extractor)
    with torch.no_grad():
        return model.encode_audio(batch), batch


# windows L and LLM tokens after merging (released settings: 22 + 4 per segment, base 88):
#   5 s:   Whisper 1 chunk = 1500 frames; BEATs 248 tokens -> L = 1500 // 17 = 88, not merged
#   30 s:  1500 / 1496 -> 88
#   31 s:  Whisper 1 chunk (the 1-s tail < 5 s is dropped); BEATs over the whole clip (default, as
#          released) 1544 tokens -> 90; merged: int(180 / 88) = 2 segments x 26 = 52
#          (beats_chunking=chunked: 1500 + 48 = 1548 -> 91)
#   60 s:  3000 / 2996 -> 176 -> 4 x 26 = 104
#   95 s:  Whisper 4 chunks (5-s tail kept) = 6000 -> 352 -> 8 x 26 = 208
#   180 s: 9000 -> 529 -> 12 x 26 = 312
@pytest.mark.parametrize("seconds,windows,merged", [(5, 88, 88), (30, 88, 88), (31, 90, 52), (60, 176, 104),
                                                    (95, 352, 208), (180, 529, 312)])
def test_shapes_per_audio_length(model, extractor, seconds, windows, merged):
    enc, _ = _encode(model, extractor, [_wave(seconds)])
    assert enc.windows == [windows] and enc.counts == [merged]
    assert enc.tokens.shape == (merged, model.llama_model.get_input_embeddings().weight.shape[1])
    assert expected_num_windows(seconds * SR, model.audio_config) == windows


def test_without_merging_one_token_per_window(extractor):
    m = build_tiny_model(tiny_config(), seed=0)
    enc, _ = _encode(m, extractor, [_wave(60)])
    assert enc.windows == [176] and enc.counts == [176]


def test_beats_runs_over_the_whole_clip_by_default():
    assert tiny_config().beats_chunking == "whole"            # as released
    assert plan_chunks(60 * SR, tiny_config()).beats == ((0, 60 * SR),)


def test_chunk_rules():
    cfg = tiny_config(beats_chunking="chunked")
    plan = plan_chunks(int(34.9 * SR), cfg)
    assert plan.whisper == ((0, 30 * SR),)                          # 4.9-s tail dropped for Whisper
    assert plan.beats == ((0, 30 * SR), (30 * SR, int(34.9 * SR)))  # ... but BEATs hears it
    assert len(plan_chunks(35 * SR, cfg).whisper) == 2               # a 5-s tail is kept
    assert plan_chunks(int(30.1 * SR), cfg).beats == ((0, 30 * SR),)  # 0.1 s: no BEATs patch -> dropped
    assert plan_chunks(20 * SR, cfg) == plan_chunks(20 * SR, cfg.with_(beats_chunking="whole"))
    assert plan_chunks(60 * SR, cfg.with_(beats_chunking="whole")).beats == ((0, 60 * SR),)
    # whole-clip BEATs at 31 s: 3098 frames -> 193 patches -> 1544 tokens -> 90 windows
    assert expected_num_windows(31 * SR, cfg.with_(beats_chunking="whole")) == 90


def test_whisper_encodes_every_chunk(model, extractor):
    a = _wave(60, seed=1)
    b = a.copy()
    b[45 * SR:] = 0.0                       # change only the second 30-s chunk
    batch = prepare_audio([a, b], config=model.audio_config, feature_extractor=extractor)
    with torch.no_grad():
        fa, fb = model._whisper_frames(batch)
    assert fa.shape == fb.shape == (3000, 16)
    assert torch.allclose(fa[:1500], fb[:1500]) and not torch.allclose(fa[1500:], fb[1500:])


def test_short_clip_padding_and_duration(model, extractor):
    _, batch = _encode(model, extractor, [_wave(0.4)])
    assert batch.durations == [1.0] and batch.plans[0].num_samples == SR      # padded to 1 s


def official_checkpoint_keys(llm_layers: int, beats_layers: int, qformer_layers: int = 2) -> set[str]:
    """What torch.load(timeaudio.pth)["model"] holds (runner.py::save_checkpoint, stage 2), buffers
    aside: time table, query tokens, LayerNorms, projection, the stripped Q-Former
    (models/Qformer.py), LoRA A/B of q_proj/v_proj (peft 'default' adapter), embed_tokens and
    lm_head, BEATs' shared relative_attention_bias under every layer."""
    keys = {"abs_time_position_embedding", "speech_query_tokens", "ln_speech.weight", "ln_speech.bias",
            "ln_audio.weight", "ln_audio.bias", "speech_llama_proj.weight", "speech_llama_proj.bias",
            "speech_Qformer.bert.embeddings.LayerNorm.weight", "speech_Qformer.bert.embeddings.LayerNorm.bias",
            "llama_model.base_model.model.model.embed_tokens.weight", "llama_model.base_model.model.lm_head.weight"}
    for i in range(qformer_layers):
        p = f"speech_Qformer.bert.encoder.layer.{i}."
        for name in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                     "attention.output.LayerNorm", "crossattention.self.query", "crossattention.self.key",
                     "crossattention.self.value", "crossattention.output.dense", "crossattention.output.LayerNorm",
                     "intermediate_query.dense", "output_query.dense", "output_query.LayerNorm"):
            keys |= {p + name + ".weight", p + name + ".bias"}
    for n in range(llm_layers):
        for proj in ("q_proj", "v_proj"):
            for ab in ("lora_A", "lora_B"):
                keys.add(f"llama_model.base_model.model.model.layers.{n}.self_attn.{proj}.{ab}.default.weight")
    for n in range(beats_layers):
        keys.add(f"beats.encoder.layers.{n}.self_attn.relative_attention_bias.weight")
    return keys


def test_checkpoint_key_names_match_the_official_layout(model):
    state = model.state_dict()
    assert set(expected_checkpoint_keys(state)) == official_checkpoint_keys(llm_layers=2, beats_layers=1)
    # the frozen parts come from their own files, under these prefixes
    assert "speech_encoder.layers.0.self_attn.q_proj.weight" in state
    assert "llama_model.base_model.model.model.layers.0.self_attn.q_proj.base_layer.weight" in state
    assert state["abs_time_position_embedding"].shape == (768, 32)    # (max_time_pos, whisper + beats width)


def test_time_table_is_added_before_the_qformer(extractor):
    m = build_tiny_model(tiny_config(), seed=0)
    enc0, _ = _encode(m, extractor, [_wave(5)])
    with torch.no_grad():
        m.abs_time_position_embedding[0] += 1.0      # row 0: padding windows 15.. of a 5-s clip
    enc1, _ = _encode(m, extractor, [_wave(5)])
    changed = (enc0.tokens - enc1.tokens).abs().amax(dim=1) > 1e-6
    assert not changed[:15].any() and changed[15:].all()


def test_batch_equals_one_at_a_time(model, extractor):
    waves = [_wave(5, 1), _wave(61, 2), _wave(31, 4)]
    batched, _ = _encode(model, extractor, waves)
    singles = [_encode(model, extractor, [w])[0].tokens for w in waves]
    for got, want in zip(batched.split(), singles):
        assert torch.allclose(got, want, atol=1e-5)


def test_reference_and_fast_merge_inside_the_model(model, extractor):
    waves = [_wave(95, 5), _wave(62, 6)]
    fast, _ = _encode(model, extractor, waves)
    model.merge_impl = "reference"
    try:
        ref, _ = _encode(model, extractor, waves)
    finally:
        model.merge_impl = "fast"
    assert fast.counts == ref.counts == [208, 104]    # 62 s: 3000 / 1500 + 1496 + 96 = 3092 -> 181 windows
    assert torch.allclose(fast.tokens, ref.tokens, atol=1e-5)


def test_prompt_template(model):
    before, after = model.prompt_pieces(" What are the start and end times of audio matching 'a dog'? ")
    assert before == "USER: <Speech>"
    assert after == "</Speech> What are the start and end times of audio matching 'a dog'?\nASSISTANT:"
