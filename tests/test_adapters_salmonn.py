"""SALMONN-7B on a tiny random-initialised model built from TimeAudio's shared encoder stack."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")
sys.path.insert(0, str(Path(__file__).parent / "helpers"))
import tiny_lalm  # noqa: E402

from model_adapters import create_adapter, get_adapter_class  # noqa: E402
from model_adapters.base import Request  # noqa: E402
from model_adapters.salmonn import (  # noqa: E402
    SalmonnAdapter,
    apply_salmonn_checkpoint,
    salmonn_model_class,
    salmonn_required_keys,
)
from model_adapters.timeaudio.encoder import AudioEncoderStack  # noqa: E402
from model_adapters.timeaudio.loading import CheckpointMismatchError, ModelFilesError  # noqa: E402
from model_adapters.timeaudio.model import TimeAudioModel  # noqa: E402
from timebench.errors import InputError  # noqa: E402
from timebench.parsing import parse  # noqa: E402

SR = 16000
PROMPT = "What are the start and end times of audio matching 'a dog barks'?"


def _req(seconds: float, seed: int = 0) -> Request:
    wav = (np.random.default_rng(seed).standard_normal(int(round(seconds * SR))) * 0.1).astype(np.float32)
    return Request(id=f"c{seed}", prompt=PROMPT, task="tag", waveform=wav, sample_rate=SR, duration=seconds)


@pytest.fixture(scope="module")
def salmonn():
    model, extractor = tiny_lalm.tiny_salmonn()
    return model, extractor, SalmonnAdapter.from_components(model, feature_extractor=extractor, max_new_tokens=5,
                                                            num_beams=2)


def test_reuses_timeaudio_without_time_table_merging_or_markers(salmonn):
    model, _, adapter = salmonn
    cls = salmonn_model_class()
    assert issubclass(cls, AudioEncoderStack) and not issubclass(cls, TimeAudioModel)
    assert cls.generate is TimeAudioModel.generate and cls.build_inputs is TimeAudioModel.build_inputs
    keys = list(model.state_dict())
    assert not any("abs_time_position_embedding" in k for k in keys)
    assert model.audio_config.merge.enabled is False
    assert not any(t.startswith(("<a_", "<f_")) for t in model.tokenizer.get_vocab())
    assert get_adapter_class("salmonn") is SalmonnAdapter and get_adapter_class("salmonn-7b") is SalmonnAdapter


def test_prompt_is_salmonns_template(salmonn):
    _, _, adapter = salmonn
    # decode_config.yaml prompt_template "USER: {}\nASSISTANT:" around "<Speech><SpeechHere></Speech> " + prompt
    full = "USER: {}\nASSISTANT:".format("<Speech><SpeechHere></Speech> " + PROMPT)
    before, after = full.split("<SpeechHere>")
    # up to 30 s: one Whisper window = 1500 frames -> 1500 // 17 = 88 windows, one query each
    assert adapter.render_inputs([_req(2.5)]) == [f"<s>{before}{{<audio embedding> x88}}{after}"]


def test_batch_equals_one_at_a_time_and_long_audio_fails(salmonn):
    _, _, adapter = salmonn
    reqs = [_req(2.5, 1), _req(12.0, 2), _req(31.0, 3)]
    out = adapter.generate(reqs)
    assert [g.text for g in out[:2]] == [adapter.generate([r])[0].text for r in reqs[:2]]
    assert [g.meta["audio_tokens"] for g in out[:2]] == [88, 88]
    assert out[2].error is None and out[2].meta["truncated_from_s"] == 31.0   # cut at 30 s, as released
    assert out[2].meta["audio_tokens"] == 88 and adapter.config()["over_limit"] == "truncate"
    assert adapter.config()["beats_chunking"] == "whole" and adapter.model.audio_config.beats_chunking == "whole"
    model, extractor, _ = salmonn
    fail = SalmonnAdapter.from_components(model, feature_extractor=extractor, max_new_tokens=5, num_beams=2,
                                          over_limit="fail")
    assert "longer than the 30 s" in fail.generate([reqs[2]])[0].error   # the named deviation


def test_longer_audio_with_timeaudio_chunking():
    model, extractor = tiny_lalm.tiny_salmonn(seed=1)
    adapter = SalmonnAdapter.from_components(model, feature_extractor=extractor, max_len=60, max_new_tokens=2,
                                             num_beams=1)
    # 45 s: Whisper chunks 30 s + 15 s (>= 5 s kept) = 3000 frames -> 3000 // 17 = 176 windows
    assert adapter.generate([_req(45.0)])[0].meta["audio_tokens"] == 176
    with pytest.raises(InputError, match="180"):
        SalmonnAdapter.from_components(model, feature_extractor=extractor, max_len=200)


def test_output_is_parsed():
    model, extractor = tiny_lalm.tiny_salmonn(seed=2)
    tiny_lalm.make_parrot(model.llama_model, model.tokenizer, "from 1.00s to 2.00s", stop_token="</s>")
    adapter = SalmonnAdapter.from_components(model, feature_extractor=extractor, max_new_tokens=4)
    out = adapter.generate([_req(3.0, 1), _req(6.0, 2)])
    assert [g.text for g in out] == ["from 1.00s to 2.00s"] * 2
    parsed = parse(out[0].text, pipeline="lenient", duration=3.0)
    assert [(e.onset, e.offset) for e in parsed.events] == [(1.0, 2.0)]


def test_checkpoint_keys_are_checked(salmonn, tmp_path):
    model, _, _ = salmonn
    keys = list(model.state_dict())
    required = salmonn_required_keys(keys)
    assert any(k.startswith("speech_Qformer.") for k in required) and "speech_query_tokens" in required
    assert any("lora_A" in k for k in required) and any(k.startswith("speech_llama_proj") for k in required)
    assert not any(k.startswith(("speech_encoder.", "beats.")) for k in required)
    assert not any("embed_tokens" in k or "lm_head" in k for k in required)     # frozen, not saved
    state = {k: torch.full_like(v, 0.5) for k, v in model.state_dict().items() if k in required}
    fresh, _ = tiny_lalm.tiny_salmonn(seed=9)
    report = apply_salmonn_checkpoint(fresh, state)
    assert report.ok and sorted(report.loaded) == sorted(required)
    assert bool((fresh.speech_query_tokens == 0.5).all())
    partial = dict(state)
    partial.pop("speech_query_tokens")
    with pytest.raises(CheckpointMismatchError, match="missing 1: speech_query_tokens"):
        apply_salmonn_checkpoint(fresh, partial)
    with pytest.raises(CheckpointMismatchError, match="unexpected 1"):
        apply_salmonn_checkpoint(fresh, {**state, "abs_time_position_embedding": torch.zeros(3)})


def test_missing_files_name_the_checkpoint_and_its_source(tmp_path):
    with pytest.raises(ModelFilesError) as err:
        create_adapter("salmonn", model=str(tmp_path))
    msg = str(err.value)
    assert "SALMONN-7B model files are missing" in msg
    assert "salmonn_7b_v0.pth" in msg and "huggingface-cli download tsinghua-ee/SALMONN-7B salmonn_7b_v0.pth" in msg
    assert "vicuna-7b-v1.5" in msg and "whisper-large-v2" in msg and "BEATs" in msg
