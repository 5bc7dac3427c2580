"""transformers adapters on tiny random-initialised models: Qwen2-Audio, Qwen2.5-Omni (thinker),
Audio Flamingo 3 and SpotSound.  What each test checks against is independent of the adapter:
transformers' own processors and forward passes, the official chat templates, hand counts."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
sys.path.insert(0, str(Path(__file__).parent / "helpers"))
import tiny_lalm  # noqa: E402

from model_adapters import create_adapter, get_adapter_class  # noqa: E402
from model_adapters.audio_flamingo import AudioFlamingo3Adapter, SpotSoundAdapter  # noqa: E402
from model_adapters.base import Request  # noqa: E402
from model_adapters.hf_base import CheckpointNotFoundError, Item  # noqa: E402
from model_adapters.qwen_audio import Qwen2AudioAdapter, qwen2_audio_inputs_embeds  # noqa: E402
from model_adapters.qwen_omni import QwenOmniAdapter  # noqa: E402
from timebench.errors import InputError  # noqa: E402
from timebench.parsing import parse  # noqa: E402

SR = 16000
PROMPT = "What are the start and end times of audio matching 'a dog barks'?"


def _wave(seconds: float, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(round(seconds * SR))) * 0.1).astype(np.float32)


def _req(seconds: float, seed: int = 0, prompt: str = PROMPT, rid: str | None = None) -> Request:
    return Request(id=rid or f"clip{seed}", prompt=prompt, task="tag", kind="grounding",
                   waveform=_wave(seconds, seed), sample_rate=SR, duration=seconds)


def _items(requests):
    return [Item(i, r, r.waveform) for i, r in enumerate(requests)]


# ------------------------------------------------------------------------------------------------
# settings, registry, missing checkpoints
# ------------------------------------------------------------------------------------------------
def test_registered_names_resolve_without_torch_side_effects():
    for name, cls in [("qwen2-audio", Qwen2AudioAdapter), ("qwen2.5-omni", QwenOmniAdapter),
                      ("audio-flamingo-3", AudioFlamingo3Adapter), ("af3", AudioFlamingo3Adapter),
                      ("spotsound", SpotSoundAdapter)]:
        assert get_adapter_class(name) is cls


def test_settings_are_validated_and_fingerprinted():
    model, processor = tiny_lalm.tiny_qwen2_audio()
    with pytest.raises(InputError, match="did you mean 'max_new_tokens'"):
        Qwen2AudioAdapter.from_components(model, processor, max_new_token=5)
    with pytest.raises(InputError, match="expected true/false"):
        Qwen2AudioAdapter.from_components(model, processor, do_sample="maybe")
    a = Qwen2AudioAdapter.from_components(model, processor, max_new_tokens="7", do_sample="false", batch_size="3")
    assert a.settings["max_new_tokens"] == 7 and a.settings["do_sample"] is False
    assert a.config()["dtype"] == "float32"                       # "auto" on CPU, recorded resolved
    b = Qwen2AudioAdapter.from_components(model, processor, max_new_tokens=7, batch_size=1, device="cpu")
    c = Qwen2AudioAdapter.from_components(model, processor, max_new_tokens=8)
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()   # batch_size/device are runtime-only


@pytest.mark.parametrize("name,hub_id", [("qwen2-audio", "Qwen/Qwen2-Audio-7B-Instruct"),
                                         ("qwen2.5-omni", "Qwen/Qwen2.5-Omni-7B"),
                                         ("audio-flamingo-3", "nvidia/audio-flamingo-3-hf"),
                                         ("spotsound", "nvidia/audio-flamingo-3-hf")])
def test_missing_checkpoint_names_the_id_and_the_download(monkeypatch, name, hub_id):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(CheckpointNotFoundError) as err:
        create_adapter(name)
    msg = str(err.value)
    assert hub_id in msg and f"huggingface-cli download {hub_id}" in msg and "model=" in msg


def test_missing_local_folder(tmp_path):
    with pytest.raises(CheckpointNotFoundError, match="does not exist"):
        create_adapter("qwen2-audio", model=str(tmp_path / "nowhere"))
    with pytest.raises(CheckpointNotFoundError, match="cannot load the checkpoint"):
        create_adapter("audio-flamingo-3", model=str(tmp_path))   # a folder without a model


# ------------------------------------------------------------------------------------------------
# Qwen2-Audio
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def qwen2():
    model, processor = tiny_lalm.tiny_qwen2_audio()
    return model, processor, Qwen2AudioAdapter.from_components(model, processor, max_new_tokens=6)


def test_qwen2_audio_inputs_equal_the_processors(qwen2):
    """Chat template, placeholder expansion, features and left padding == Qwen2AudioProcessor."""
    _, processor, adapter = qwen2
    reqs = [_req(2.0, 1), _req(3.3, 2)]
    conv = [{"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": [{"type": "audio", "audio_url": "clip.wav"}, {"type": "text", "text": PROMPT}]}]
    text = processor.apply_chat_template(conv, add_generation_prompt=True, tokenize=False)
    ref = processor(text=[text, text], audio=[r.waveform for r in reqs], return_tensors="pt",
                    padding=True, padding_side="left", sampling_rate=SR)
    enc, feats, mask, counts = adapter._encode(_items(reqs))
    assert torch.equal(enc["input_ids"], ref["input_ids"])
    assert torch.equal(enc["attention_mask"], ref["attention_mask"])
    assert torch.equal(feats, ref["input_features"]) and torch.equal(mask, ref["feature_attention_mask"])
    # 2.0 s = 200 mel frames -> conv stride 2: 100 -> pool 2: 50;  3.3 s = 330 -> 165 -> 82
    assert counts == [50, 82]


def test_qwen2_audio_placeholders_match_the_encoder_output(qwen2):
    model, _, adapter = qwen2
    feats, mask, counts = adapter.features([_wave(2.0), _wave(7.77)])
    _, out_len = model.model.audio_tower._get_feat_extract_output_lengths(mask.sum(-1))
    assert counts == out_len.tolist() == [50, 194]
    with torch.no_grad():
        hidden = model.model.audio_tower(feats).last_hidden_state
    assert hidden.shape[1] == 750                        # 30-s window: 750 positions, the valid prefix used


def test_qwen2_audio_batch_equals_one_at_a_time(qwen2):
    _, _, adapter = qwen2
    reqs = [_req(2.0, 1), _req(5.5, 2)]
    batch = adapter.generate(reqs)
    single = [adapter.generate([r])[0] for r in reqs]
    assert [g.text for g in batch] == [g.text for g in single]
    assert all(g.error is None and g.meta["generated_tokens"] == 6 for g in batch)
    assert [g.meta["audio_tokens"] for g in batch] == [50, 137]


def test_qwen2_audio_ignores_the_checkpoints_sampling_defaults(qwen2):
    model, processor, adapter = qwen2
    req = _req(2.0, 4)
    reference = adapter.generate([req])[0].text
    saved = model.generation_config
    try:
        model.generation_config = type(saved)(do_sample=True, temperature=5.0, top_k=3, repetition_penalty=3.0)
        assert adapter.generate([req])[0].text == reference     # still greedy, penalty 1.0
    finally:
        model.generation_config = saved


def test_sampling_is_seeded_per_request(qwen2):
    model, processor, _ = qwen2
    sampler = Qwen2AudioAdapter.from_components(model, processor, max_new_tokens=8, do_sample=True, temperature=2.0)
    a = Request(id="a", prompt=PROMPT, task="tag", waveform=_wave(2.0, 1), sample_rate=SR, seed=11)
    b = Request(id="b", prompt=PROMPT, task="tag", waveform=_wave(2.0, 1), sample_rate=SR, seed=12)
    first = [g.text for g in sampler.generate([a, b])]
    assert [g.text for g in sampler.generate([b, a])] == first[::-1]     # same seed, same sample
    assert first[0] != first[1]                                          # seeds 11 / 12 differ (hot sampling)


def test_qwen2_audio_long_and_broken_audio_fail_alone(qwen2):
    _, _, adapter = qwen2
    bad = Request(id="bad", prompt=PROMPT, task="tag", audio="/nonexistent.wav")
    out = adapter.generate([_req(31.0, 1), bad, _req(2.0, 2)])
    assert "longer than the 30 s" in out[0].error
    assert out[1].error and out[1].text is None
    assert out[2].error is None and out[2].text is not None


def test_qwen2_audio_output_is_parsed():
    model, processor = tiny_lalm.tiny_qwen2_audio(seed=1)
    tiny_lalm.make_parrot(model, processor.tokenizer, "from 1.00s to 2.00s", stop_token="<|im_end|>")
    adapter = Qwen2AudioAdapter.from_components(model, processor, max_new_tokens=5)
    out = adapter.generate([_req(2.0, 1), _req(4.0, 2)])
    assert [g.text for g in out] == ["from 1.00s to 2.00s"] * 2          # prompt stripped, stopped at EOS
    assert [g.meta["generated_tokens"] for g in out] == [1, 1]
    for pipeline in ("spotsound", "lenient"):
        parsed = parse(out[0].text, pipeline=pipeline, duration=4.0)
        assert not parsed.failed and [(e.onset, e.offset) for e in parsed.events] == [(1.0, 2.0)]


def test_qwen2_audio_base_template(qwen2):
    model, processor, _ = qwen2
    base = Qwen2AudioAdapter.from_components(model, processor, template="base")
    assert base.render_inputs([_req(1.0)]) == ["<|audio_bos|>{<|AUDIO|> x25}<|audio_eos|>" + PROMPT]


def test_qwen2_audio_embeds_path_equals_the_models_forward(qwen2):
    """The time-prompt path builds inputs_embeds itself; without time tokens it must equal the model."""
    model, _, adapter = qwen2
    enc, feats, mask, _ = adapter._encode(_items([_req(2.0, 1), _req(4.4, 2)]))
    with torch.no_grad():
        native = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                       input_features=feats, feature_attention_mask=mask).logits
        embeds = qwen2_audio_inputs_embeds(model, enc["input_ids"], feats, mask)
        mine = model(inputs_embeds=embeds, attention_mask=enc["attention_mask"]).logits
    assert torch.allclose(native, mine, atol=1e-5)


def test_qwen2_audio_time_prompts_in_the_input_and_never_in_the_output(monkeypatch):
    model, processor = tiny_lalm.tiny_qwen2_audio(seed=2)
    adapter = Qwen2AudioAdapter.from_components(model, processor, max_new_tokens=4, time_prompt=True)
    ids = adapter.time_token_ids
    enc, _, _, counts = adapter._encode(_items([_req(1.0, 1)]))
    row = enc["input_ids"][0].tolist()
    audio_at = [i for i, t in enumerate(row) if t == adapter.audio_token_id]
    assert len(audio_at) == counts[0] == 25
    # timestamp-before-frame: <0.04> <A> <0.08> <A> ... <1.00> <A>
    assert [row[i - 1] for i in audio_at] == [ids[f"<{0.04 * (k + 1):.2f}>"] for k in range(25)]
    out = adapter.generate([_req(1.0, 1), _req(2.2, 2)])
    assert all(g.error is None and g.meta["time_tokens"] == g.meta["audio_tokens"] for g in out)
    # a model that wants to say "<0.04>" cannot: timestamp tokens are suppressed
    parrot, proc = tiny_lalm.tiny_qwen2_audio(seed=2)
    talker = Qwen2AudioAdapter.from_components(parrot, proc, max_new_tokens=3, time_prompt=True)
    tiny_lalm.make_parrot(parrot, proc.tokenizer, "<0.04>", stop_token="<|im_end|>")
    decoded = []
    original = proc.tokenizer.decode
    monkeypatch.setattr(proc.tokenizer, "decode", lambda ids, **kw: decoded.append(list(ids)) or original(ids, **kw))
    talker.generate([_req(1.0, 1)])
    assert not set(decoded[-1]) & set(talker.time_token_ids.values())
    unsuppressed = Qwen2AudioAdapter.from_components(parrot, proc, max_new_tokens=3)
    unsuppressed.generate([_req(1.0, 1)])
    assert decoded[-1] == [talker.time_token_ids["<0.04>"]]      # the same model does emit it otherwise


def test_qwen2_audio_loads_a_local_folder(tmp_path):
    model, processor = tiny_lalm.tiny_qwen2_audio(seed=5)
    model.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    adapter = create_adapter("qwen2-audio", model=str(tmp_path), max_new_tokens=4)
    reference = Qwen2AudioAdapter.from_components(model, processor, max_new_tokens=4)
    req = _req(2.0, 3)
    assert adapter.generate([req])[0].text == reference.generate([req])[0].text
    assert adapter.config()["model"] == str(tmp_path)


# ------------------------------------------------------------------------------------------------
# Qwen2.5-Omni (thinker)
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def omni():
    model, processor = tiny_lalm.tiny_qwen_omni(chunk_length=30)
    return model, processor, QwenOmniAdapter.from_components(model, processor, max_new_tokens=5)


def test_omni_prompt_is_the_official_chat_template(omni):
    _, processor, adapter = omni
    conv = [{"role": "system", "content": [{"type": "text", "text": adapter.settings["system_prompt"]}]},
            {"role": "user", "content": [{"type": "audio", "audio": "clip.wav"}, {"type": "text", "text": PROMPT}]}]
    official = processor.tokenizer.apply_chat_template(conv, chat_template=tiny_lalm.OMNI_CHAT_TEMPLATE,
                                                       tokenize=False, add_generation_prompt=True)
    expanded = official.replace("<|AUDIO|>", "<|AUDIO|>" * 62)     # the processor's expansion, 2.5 s
    assert adapter.build_text(PROMPT, 62) == expanded
    assert adapter.render_inputs([_req(2.5)])[0] == official.replace("<|AUDIO|>", "{<|AUDIO|> x62}")
    assert adapter.max_audio_seconds == 30.0                        # the extractor's window (300 s released)


def test_omni_batch_equals_one_at_a_time(omni):
    _, _, adapter = omni
    reqs = [_req(2.5, 1), _req(6.1, 2)]
    batch = adapter.generate(reqs)
    assert [g.text for g in batch] == [adapter.generate([r])[0].text for r in reqs]
    assert [g.meta["audio_tokens"] for g in batch] == [62, 152]


def test_omni_time_prompts_and_parsing():
    model, processor = tiny_lalm.tiny_qwen_omni(seed=1, chunk_length=30)
    adapter = QwenOmniAdapter.from_components(model, processor, max_new_tokens=3, time_prompt=True, time_step=0.2)
    text = adapter.render_inputs([_req(1.0)])[0]
    # 1.0 s = 25 frames in groups of 5: <0.20> A*5 <0.40> A*5 ... <1.00> A*5
    assert "<|audio_bos|>" + "".join(f"<{t:.2f}>{{<|AUDIO|> x5}}" for t in (0.2, 0.4, 0.6, 0.8, 1.0)) + "<|audio_eos|>" in text
    assert all(g.error is None for g in adapter.generate([_req(1.0, 1), _req(3.0, 2)]))
    tiny_lalm.make_parrot(model, processor.tokenizer, "3.2 - 10.5", stop_token="<|im_end|>")
    out = adapter.generate([_req(12.0, 1)])[0]
    assert out.text == "3.2 - 10.5"
    assert [(e.onset, e.offset) for e in parse(out.text, pipeline="lenient", duration=12.0).events] == [(3.2, 10.5)]


def test_omni_loads_the_thinker_of_a_full_checkpoint(tmp_path):
    from transformers import Qwen2_5OmniConfig, Qwen2_5OmniForConditionalGeneration

    thinker, processor = tiny_lalm.tiny_qwen_omni(seed=4, chunk_length=30)
    full = Qwen2_5OmniForConditionalGeneration(Qwen2_5OmniConfig(thinker_config=thinker.config.to_dict(),
                                                                 enable_audio_output=False))
    full.thinker.load_state_dict(thinker.state_dict())
    full.save_pretrained(tmp_path)                               # keys "thinker.*", config with thinker_config
    processor.tokenizer.save_pretrained(tmp_path)
    processor.feature_extractor.save_pretrained(tmp_path)
    adapter = create_adapter("qwen2.5-omni", model=str(tmp_path), max_new_tokens=4)
    for (name, p), (_, q) in zip(adapter.model.state_dict().items(), thinker.state_dict().items()):
        assert torch.equal(p, q), name
    req = _req(2.0, 2)
    assert adapter.generate([req])[0].text == QwenOmniAdapter.from_components(
        thinker, processor, max_new_tokens=4).generate([req])[0].text


# ------------------------------------------------------------------------------------------------
# Audio Flamingo 3 / SpotSound
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def af3():
    model, processor = tiny_lalm.tiny_audio_flamingo3()
    return model, processor, AudioFlamingo3Adapter.from_components(model, processor, max_new_tokens=5)


def test_af3_inputs_equal_the_processors_and_the_models_forward(af3):
    model, processor, adapter = af3
    reqs = [_req(2.5, 1), _req(33.3, 2)]                        # 33.3 s: two 30-s windows
    conv = [[{"role": "user", "content": [{"type": "text", "text": PROMPT}, {"type": "audio", "audio": r.waveform}]}]
            for r in reqs]
    texts = processor.apply_chat_template(conv, add_generation_prompt=True, tokenize=False)
    ref = processor(text=texts, audio=[r.waveform for r in reqs])
    feats, fmask, windows, counts, n_feats = adapter.features([r.waveform for r in reqs])
    assert windows == [1, 2] and torch.equal(feats, ref["input_features"]) and torch.equal(fmask, ref["input_features_mask"])
    # 2.5 s: 250 -> 125 -> 62;  33.3 s: 3330 mel frames -> 1665 -> 832 (750 + 82 from the second window)
    assert counts == n_feats == [62, 832]
    enc = adapter.tokenizer([adapter.build_text(PROMPT, n) for n in counts], padding="longest",
                            padding_side="left", return_tensors="pt")
    assert torch.equal(enc["input_ids"], ref["input_ids"])
    with torch.no_grad():
        native = model(**ref).logits
        embeds = adapter.inputs_embeds(ref["input_ids"], feats, fmask, n_feats, counts)
        mine = model(inputs_embeds=embeds, attention_mask=ref["attention_mask"]).logits
    assert torch.allclose(native, mine, atol=1e-5)


def test_af3_batch_equals_one_at_a_time(af3):
    _, _, adapter = af3
    reqs = [_req(2.5, 1), _req(7.0, 2)]
    batch = adapter.generate(reqs)
    assert [g.text for g in batch] == [adapter.generate([r])[0].text for r in reqs]
    model, processor, _ = af3
    fail = AudioFlamingo3Adapter.from_components(model, processor, max_new_tokens=5, over_limit="fail",
                                                 max_audio_len=30.0)
    assert fail.generate([_req(33.0, 3)])[0].error.startswith("audio is 33.00 s")
    cut = AudioFlamingo3Adapter.from_components(model, processor, max_new_tokens=5, max_audio_len=30.0)
    long, short = cut.generate([_req(33.0, 3), Request(id="s", prompt=PROMPT, task="tag",
                                                       waveform=_req(33.0, 3).waveform[: 30 * SR], sample_rate=SR)])
    assert long.meta["truncated_from_s"] == 33.0 and long.text == short.text   # as the processor: cut at the cap


def test_spotsound_decodes_with_the_checkpoints_generation_config(af3):
    """SpotSound's inference.py passes only max_new_tokens: the checkpoint's sampling settings apply."""
    model, processor, _ = af3
    saved = model.generation_config
    try:
        model.generation_config = type(saved)(do_sample=True, temperature=0.7, top_k=20, top_p=0.8,
                                              repetition_penalty=1.05, eos_token_id=saved.eos_token_id)
        spot = SpotSoundAdapter.from_components(model, processor, lora="none")
        g = spot.generation_config()
        assert (g.do_sample, g.temperature, g.top_k, g.top_p, g.repetition_penalty, g.max_new_tokens) == \
            (True, 0.7, 20, 0.8, 1.05, 500)
        assert spot.samples() and spot.config()["decoding"] == "checkpoint"
        recorded = dict(spot.config()["generation"])
        assert recorded.pop("num_beams") in (None, 1)      # transformers leaves it unset (= 1)
        assert recorded == {"do_sample": True, "temperature": 0.7, "top_k": 20, "top_p": 0.8,
                            "repetition_penalty": 1.05, "max_new_tokens": 500}
        a, b = _req(2.0, 1), _req(2.0, 1)
        b = Request(id="b", prompt=a.prompt, task="tag", waveform=a.waveform, sample_rate=SR, seed=a.seed)
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            first = spot.generate([a])[0]
        assert first.error is None
        # the prompt ids go with the embeddings: the repetition penalty covers the prompt, as released
        assert not any("only to newly generated tokens" in str(w.message) for w in caught)
        assert first.text == spot.generate([b])[0].text                        # seeded per request
        greedy = SpotSoundAdapter.from_components(model, processor, lora="none", decoding="greedy")
        g = greedy.generation_config()
        assert not g.do_sample and g.repetition_penalty == 1.0 and not greedy.samples()
        assert "generation" not in greedy.config() and greedy.fingerprint() != spot.fingerprint()
        plain = AudioFlamingo3Adapter.from_components(model, processor)
        assert plain.config()["decoding"] == "greedy" and not plain.generation_config().do_sample
    finally:
        model.generation_config = saved


def test_spotsound_interleaves_timestamps_and_drops_the_partial_second(af3):
    model, processor, _ = af3
    spot = SpotSoundAdapter.from_components(model, processor, lora="none", max_new_tokens=4)
    assert spot.settings["timestamps"] is True and spot.settings["max_new_tokens"] == 4
    text = spot.render_inputs([_req(2.5, 1, prompt="The query is: glass breaking Answer: ")])[0]
    # 62 features -> 62 // 25 = 2 whole seconds -> 50 placeholders; the last 12 features are dropped
    assert ("<|im_start|>user\ntimestamp: 0 seconds; feature: {<sound> x25}timestamp: 1 seconds; feature: "
            "{<sound> x25}The query is: glass breaking Answer: <|im_end|>") in text
    reqs = [_req(2.5, 1), _req(4.9, 2)]
    batch = spot.generate(reqs)
    assert [(g.meta["audio_tokens"], g.meta["audio_features"]) for g in batch] == [(50, 62), (100, 122)]
    # each clip's dropped tail stays in that clip: batching changes nothing
    assert [g.text for g in batch] == [spot.generate([r])[0].text for r in reqs]


def test_spotsound_answer_is_parsed():
    model, processor = tiny_lalm.tiny_audio_flamingo3(seed=1)
    tiny_lalm.make_parrot(model, processor.tokenizer, "from 3.20s to 5.10s", stop_token="<|im_end|>")
    spot = SpotSoundAdapter.from_components(model, processor, lora="none")
    out = spot.generate([_req(8.0, 1)])[0]
    assert out.text == "from 3.20s to 5.10s"
    parsed = parse(out.text, pipeline="spotsound", duration=8.0)
    assert [(e.onset, e.offset) for e in parsed.events] == [(3.2, 5.1)]


def test_spotsound_lora_is_applied(tmp_path):
    from peft import LoraConfig, get_peft_model

    base, processor = tiny_lalm.tiny_audio_flamingo3(seed=6)
    trained, _ = tiny_lalm.tiny_audio_flamingo3(seed=6)
    lora = get_peft_model(trained, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                              init_lora_weights=False))      # random B: the adapter matters
    lora.save_pretrained(tmp_path)
    req = _req(3.0, 1)
    spot = SpotSoundAdapter.from_components(base, processor, lora=str(tmp_path), max_new_tokens=5)
    plain, _ = tiny_lalm.tiny_audio_flamingo3(seed=6)
    without = SpotSoundAdapter.from_components(plain, processor, lora="none", max_new_tokens=5)
    feats, fmask, _, counts, n_feats = spot.features([req.waveform])
    placed = [25 * (counts[0] // 25)]
    enc = spot.tokenizer([spot.build_text(PROMPT, counts[0])], return_tensors="pt")
    with torch.no_grad():                                    # reference: peft's own model, same inputs
        ref_embeds = spot.inputs_embeds(enc["input_ids"], feats, fmask, n_feats, placed)
        expected = lora(inputs_embeds=ref_embeds, attention_mask=enc["attention_mask"]).logits
        got = spot.model(inputs_embeds=ref_embeds, attention_mask=enc["attention_mask"]).logits
        other = without.model(inputs_embeds=ref_embeds, attention_mask=enc["attention_mask"]).logits
    assert torch.allclose(expected, got, atol=1e-5) and not torch.allclose(expected, other, atol=1e-3)
    assert spot.generate([req])[0].error is None


def test_spotsound_missing_lora(af3, tmp_path, monkeypatch):
    model, processor, _ = af3
    with pytest.raises(CheckpointNotFoundError, match="LoRA adapter folder .* does not exist"):
        SpotSoundAdapter.from_components(model, processor, lora=str(tmp_path / "nope"))
    with pytest.raises(CheckpointNotFoundError, match="no adapter_config.json"):
        SpotSoundAdapter.from_components(model, processor, lora=str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(CheckpointNotFoundError, match="huggingface-cli download Loie/SpotSound .* lora="):
        SpotSoundAdapter.from_components(model, processor)


# ------------------------------------------------------------------------------------------------
# end to end through the runner
# ------------------------------------------------------------------------------------------------
def test_runner_end_to_end_with_a_tiny_spotsound(tmp_path, monkeypatch):
    """``timebench run`` -> adapter -> cache -> parser -> metrics, on the bundled mini SpotSound set."""
    import json

    from timebench.cli import main

    monkeypatch.syspath_prepend(str(Path(__file__).parent / "helpers"))
    out = tmp_path / "run"
    assert main(["run", "--tasks", "spotsound", "--models", "tiny_lalm:TinySpotSound", "--limit", "3",
                 "--out", str(out), "--no-progress", "--quiet"]) == 0
    results = json.loads((out / "results.json").read_text())
    res = results["results"]["tiny_lalm:TinySpotSound"]["spotsound"]
    assert res["n"] == 3 and res["n_generation_errors"] == 0 and res["parse_failure_rate"] == 0.0
    assert results["models"]["tiny_lalm:TinySpotSound"]["config"]["timestamps"] is True
    rows = [json.loads(line) for p in (out / "cache").rglob("*.jsonl") for line in p.read_text().splitlines()]
    assert len(rows) == 3
    for row in rows:   # mini clips are whole seconds: 25 placeholders per second, all placed
        gen = row["generation"]
        assert gen["text"] == "from 1.00s to 2.00s"
        assert gen["meta"]["audio_tokens"] == gen["meta"]["audio_features"] == 25 * gen["meta"]["audio_seconds"]
