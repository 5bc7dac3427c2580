"""Loading the TimeAudio files: clear errors, sha256, checkpoint coverage on fake checkpoints."""

from __future__ import annotations

import hashlib

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from model_adapters.timeaudio.config import tiny_config
from model_adapters.timeaudio.loading import (
    TIMEAUDIO_SHA256,
    CheckpointMismatchError,
    ModelFilesError,
    apply_checkpoint,
    expected_checkpoint_keys,
    load_beats,
    load_state,
    resolve_files,
    verify_file,
)
from model_adapters.timeaudio.model import build_tiny_model
from timebench.errors import TimebenchError


@pytest.fixture(scope="module")
def donor():
    return build_tiny_model(tiny_config(), seed=1)


def _released_style_state(model) -> dict:
    """What runner.py::save_checkpoint (stage 2) keeps, plus the buffers SALMONN's code also saves."""
    state = model.state_dict()
    out = {k: state[k].clone() for k in expected_checkpoint_keys(state)}
    out["speech_Qformer.bert.embeddings.position_ids"] = torch.arange(512).expand(1, -1)
    for n in range(2):
        out[f"llama_model.base_model.model.model.layers.{n}.self_attn.rotary_emb.inv_freq"] = torch.ones(4)
    return out


def _save(path, state):
    torch.save({"model": state, "optimizer": {"state": {}}, "config": {"model": {"arch": "timeaudio"}},
                "scaler": None, "epoch": 5}, path)
    return path


def test_fake_checkpoint_loads_with_full_coverage(tmp_path, donor):
    path = _save(tmp_path / "timeaudio.pth", _released_style_state(donor))
    target = build_tiny_model(tiny_config(), seed=2)
    report = apply_checkpoint(target, load_state(path))
    assert report.ok and not report.missing and not report.unexpected
    assert len(report.loaded) == len(report.expected) and len(report.ignored) == 3
    for key in ("abs_time_position_embedding", "speech_llama_proj.weight",
                "llama_model.base_model.model.model.layers.1.self_attn.v_proj.lora_B.default.weight"):
        assert torch.equal(target.state_dict()[key], donor.state_dict()[key])
    # frozen parts (not in the checkpoint) keep their own weights
    key = "speech_encoder.layers.0.fc1.weight"
    assert not torch.equal(target.state_dict()[key], donor.state_dict()[key])


def test_missing_unexpected_and_mismatched_keys_are_reported(tmp_path, donor):
    state = _released_style_state(donor)
    del state["speech_Qformer.bert.encoder.layer.1.crossattention.self.key.weight"]
    del state["llama_model.base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight"]
    state["speech_Qformer.cls.predictions.bias"] = torch.zeros(3)
    state["abs_time_position_embedding"] = torch.zeros(100, 32)
    target = build_tiny_model(tiny_config(), seed=2)
    before = target.state_dict()["speech_llama_proj.weight"].clone()
    with pytest.raises(CheckpointMismatchError) as err:
        apply_checkpoint(target, state, source="fake.pth")
    report = err.value.report
    assert sorted(report.missing) == [
        "llama_model.base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight",
        "speech_Qformer.bert.encoder.layer.1.crossattention.self.key.weight"]
    assert report.unexpected == ["speech_Qformer.cls.predictions.bias"]
    assert report.mismatched == [("abs_time_position_embedding", (100, 32), (768, 32))]
    assert "missing 2" in str(err.value) and "fake.pth" in str(err.value)
    assert torch.equal(target.state_dict()["speech_llama_proj.weight"], before)   # nothing loaded
    # non-strict: loads what fits and returns the same report
    report = apply_checkpoint(target, state, strict=False)
    assert not report.ok and len(report.missing) == 2
    assert torch.equal(target.state_dict()["speech_llama_proj.weight"], donor.state_dict()["speech_llama_proj.weight"])


class _Opaque:
    """An arbitrary pickled object: torch.load(weights_only=True) must refuse it."""


def test_load_state_uses_weights_only(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"model": _Opaque()}, path)
    with pytest.raises(ModelFilesError, match="weights_only=True"):
        load_state(path)
    torch.save({"weights": {}}, tmp_path / "nomodel.pth")
    with pytest.raises(ModelFilesError, match="'model' entry"):
        load_state(tmp_path / "nomodel.pth")


def test_sha256_and_size_check(tmp_path):
    path = tmp_path / "timeaudio.pth"
    path.write_bytes(b"not really a checkpoint")
    digest = hashlib.sha256(b"not really a checkpoint").hexdigest()
    verify_file(path, sha256=digest, size=23)
    with pytest.raises(ModelFilesError, match="size 23 bytes, expected 906,020,058"):
        verify_file(path, sha256=TIMEAUDIO_SHA256, size=906_020_058)
    with pytest.raises(ModelFilesError, match="does not match the published"):
        verify_file(path, sha256=TIMEAUDIO_SHA256, size=None)


def test_missing_files_error_names_every_file_and_source(tmp_path):
    (tmp_path / "vicuna-7b-v1.5").mkdir()
    (tmp_path / "vicuna-7b-v1.5" / "config.json").write_text("{}")
    with pytest.raises(ModelFilesError) as err:
        resolve_files(model_dir=tmp_path)
    msg = str(err.value)
    assert isinstance(err.value, TimebenchError)
    assert str(tmp_path / "whisper-large-v2") in msg and "openai/whisper-large-v2" in msg
    assert "BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt2.pt" in msg and "microsoft/unilm" in msg
    assert str(tmp_path / "timeaudio.pth") in msg and "lysanderism/TimeAudio" in msg
    assert "vicuna" not in msg                        # present, so not reported


def test_adapter_without_files_raises_clear_error(tmp_path):
    from model_adapters.timeaudio.adapter import TimeAudioAdapter

    with pytest.raises(ModelFilesError, match="lmsys/vicuna-7b-v1.5"):
        TimeAudioAdapter(model_dir=str(tmp_path / "nowhere"))


def test_official_style_beats_checkpoint_loads(tmp_path):
    from model_adapters.timeaudio.beats import BEATs, BEATsSpec

    cfg = dict(tiny_config().beats, dropout=0.1, layer_wise_gradient_decay_ratio=1.0)   # extra keys as in ckpt['cfg']
    donor = BEATs(BEATsSpec.from_dict(cfg))
    torch.save({"cfg": cfg, "model": donor.state_dict()}, tmp_path / "beats.pt")
    loaded = load_beats(tmp_path / "beats.pt")
    for k, v in donor.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v)
    bad = donor.state_dict()
    bad.pop("encoder.layer_norm.bias")
    torch.save({"cfg": cfg, "model": bad}, tmp_path / "bad.pt")
    with pytest.raises(ModelFilesError, match="encoder.layer_norm.bias"):
        load_beats(tmp_path / "bad.pt")


def _write_release_like_files(root, donor):
    """A miniature pretrained_model/ folder holding ``donor``'s weights in the official formats."""
    import json

    from transformers import (
        LlamaConfig,
        LlamaForCausalLM,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperModel,
    )

    from model_adapters.timeaudio.tokenizer import build_tiny_base_tokenizer

    cfg = tiny_config()
    # Whisper: a whole WhisperModel folder whose encoder is the donor's
    whisper = WhisperModel(WhisperConfig(**cfg.whisper))
    whisper.encoder.load_state_dict(donor.speech_encoder.state_dict())
    whisper.save_pretrained(root / "whisper-large-v2")
    WhisperFeatureExtractor(feature_size=80).save_pretrained(root / "whisper-large-v2")
    # BEATs: {"cfg", "model"} as microsoft/unilm ships it
    torch.save({"cfg": dict(cfg.beats), "model": donor.beats.state_dict()},
               root / "BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt2.pt")
    # the base LLM and tokenizer before TimeAudio's [PAD] + markers (like vicuna's 32000)
    tok = build_tiny_base_tokenizer()
    llm = LlamaForCausalLM(LlamaConfig(vocab_size=len(tok), bos_token_id=1, eos_token_id=2, **cfg.llm))
    donor_base = donor.llama_model.get_base_model().state_dict()
    state = {}
    for key in llm.state_dict():
        src = key.replace("q_proj.weight", "q_proj.base_layer.weight").replace("v_proj.weight", "v_proj.base_layer.weight")
        state[key] = donor_base[src][: len(tok)] if ("embed_tokens" in key or "lm_head" in key) else donor_base[src]
    llm.load_state_dict(state)
    llm.save_pretrained(root / "vicuna-7b-v1.5")
    tok.save_pretrained(root / "vicuna-7b-v1.5")
    (root / "bert-base-uncased").mkdir()
    (root / "bert-base-uncased" / "config.json").write_text(json.dumps(dict(cfg.qformer)))
    _save(root / "timeaudio.pth", _released_style_state(donor))


def test_load_timeaudio_from_release_like_files(tmp_path, donor):
    import numpy as np
    from transformers import WhisperFeatureExtractor

    from model_adapters.timeaudio.encoder import prepare_audio
    from model_adapters.timeaudio.loading import load_timeaudio

    _write_release_like_files(tmp_path, donor)
    files = resolve_files(model_dir=tmp_path)
    assert files.bert == tmp_path / "bert-base-uncased"
    config = tiny_config().with_(vocab_size=321, qformer={})     # Q-Former widths must come from the file
    model, report, extractor = load_timeaudio(files, config, verify_sha256=False)
    assert report.ok and len(report.loaded) == len(report.expected)
    assert model.tokenizer.convert_tokens_to_ids("<a_0>") == 301 and len(model.tokenizer) == 321
    for key, value in donor.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
    # same weights -> same audio tokens and the same answer
    wave = (np.random.default_rng(0).standard_normal(16000 * 4) * 0.1).astype(np.float32)
    batch = prepare_audio([wave], config=model.audio_config, feature_extractor=extractor)
    ref_batch = prepare_audio([wave], config=donor.audio_config, feature_extractor=WhisperFeatureExtractor(feature_size=80))
    with torch.no_grad():
        assert torch.allclose(model.encode_audio(batch).tokens, donor.encode_audio(ref_batch).tokens, atol=1e-6)
    prompt = "What are the start and end times of audio matching 'dogs barking'?"
    small = config.generation.__class__(num_beams=2, max_new_tokens=5)
    assert model.generate(batch, [prompt], small)[0] == donor.generate(ref_batch, [prompt], small)[0]
    # the sha256 check runs first and names the file
    with pytest.raises(ModelFilesError, match="incomplete download"):
        load_timeaudio(files, config, verify_sha256=True)
