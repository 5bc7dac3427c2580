"""TimeAudioAdapter: settings, errors, batching, and generate -> parse -> score end to end."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from model_adapters.base import Request
from model_adapters.timeaudio.adapter import TimeAudioAdapter
from model_adapters.timeaudio.encoder import prepare_audio
from model_adapters.timeaudio.markers import format_answer_v3
from timebench.errors import InputError

SR = 16000
QUESTION = "What are the start and end times of audio matching 'dogs barking'?"


def _wave(seconds: float, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * SR)) * 0.1).astype(np.float32)


def _request(i, seconds, **kw):
    return Request(id=f"r{i}", prompt=QUESTION, task="grounding", waveform=_wave(seconds, i), sample_rate=SR, **kw)


@pytest.fixture(scope="module")
def adapter():
    return TimeAudioAdapter.from_tiny_config(seed=0, max_new_tokens=8, num_beams=2, batch_size=2, token_merge=True)


def test_settings_are_coerced_and_recorded():
    a = TimeAudioAdapter.from_tiny_config(token_merge="true", num_beams="3", max_len="60", batch_size="5")
    assert a.settings["token_merge"] is True and a.settings["num_beams"] == 3 and a.max_audio_seconds == 60.0
    assert a.model.audio_config.merge.enabled and a.model.audio_config.generation.num_beams == 3
    assert a.name == "timeaudio" and a.outputs == frozenset({"text"}) and a.sample_rate == 16000
    cfg = a.config()
    assert cfg["token_merge"] is True and "batch_size" not in cfg and "device" not in cfg
    b = TimeAudioAdapter.from_tiny_config(token_merge=False, num_beams=3, max_len=60, batch_size=1)
    assert a.fingerprint() != b.fingerprint()


@pytest.mark.parametrize("settings,field", [({"token_merge": "maybe"}, "token_merge"),
                                            ({"num_beams": "four"}, "num_beams"),
                                            ({"merge_impl": "triton"}, "merge_impl"),
                                            ({"merge_ties": "last"}, "merge_ties"),
                                            ({"over_limit": "skip"}, "over_limit"),
                                            ({"beats_chunking": "pieces"}, "beats_chunking"),
                                            ({"num_beam": 4}, "num_beam")])
def test_bad_settings_raise_input_error(settings, field):
    with pytest.raises(InputError) as err:
        TimeAudioAdapter.from_tiny_config(**settings)
    assert err.value.field == field


def test_errors_are_per_sample_and_order_is_kept(adapter):
    fail = TimeAudioAdapter.from_tiny_config(seed=0, max_new_tokens=8, num_beams=2, batch_size=2, token_merge=True,
                                             over_limit="fail")
    assert fail.config()["over_limit"] == "fail" and adapter.config()["over_limit"] == "truncate"
    reqs = [_request(0, 3), Request(id="rate", prompt=QUESTION, task="grounding", waveform=_wave(2), sample_rate=8000),
            _request(2, 40), _request(3, 200), _request(4, 1.5)]
    out = fail.generate(reqs)
    assert len(out) == 5
    assert "16000 Hz" in out[1].error and "longer than max_len 180" in out[3].error
    for i in (0, 2, 4):
        assert out[i].error is None and isinstance(out[i].text, str)
    assert out[2].meta["audio_tokens"] == 104 and out[2].meta["windows"] == 176   # 40 s: 2 chunks, merged
    assert out[0].meta["audio_tokens"] == 88 and out[0].meta["duration"] == 3.0


def test_batched_equals_single(adapter):
    reqs = [_request(i, s) for i, s in enumerate([2, 31, 5, 35])]
    together = adapter.generate(reqs)
    alone = [adapter.generate([r])[0] for r in reqs]
    assert [g.meta["raw_text"] for g in together] == [g.meta["raw_text"] for g in alone]


def test_reads_audio_files(tmp_path, adapter):
    import soundfile as sf

    path = tmp_path / "clip.wav"
    sf.write(path, _wave(2.5), SR)
    out = adapter.generate([Request(id="f", prompt=QUESTION, task="grounding", audio=str(path))])[0]
    assert out.error is None and out.meta["duration"] == 2.5


def _teach(adapter, waveform, answer: str, steps: int = 200) -> None:
    """Overfit the tiny LLM so that it answers ``answer`` (in marker tokens) for this clip."""
    model = adapter.model
    tok = model.tokenizer
    batch = prepare_audio([waveform], config=model.audio_config, feature_extractor=adapter._extractor)
    with torch.no_grad():
        audio = model.encode_audio(batch).split()
    target = tok(format_answer_v3(answer), add_special_tokens=False).input_ids + [tok.eos_token_id]
    params = [p for p in model.llama_model.parameters()]
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam(params, lr=1e-2)
    labels = torch.tensor(target)
    with torch.enable_grad():
        for _ in range(steps):
            prefix, _ = model.build_inputs(audio, [QUESTION])
            full = torch.cat([prefix[0], model._embed_ids(target[:-1])])[None]
            logits = model.llama_model(inputs_embeds=full).logits[0, prefix.shape[1] - 1:]
            loss = torch.nn.functional.cross_entropy(logits, labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if loss.item() < 1e-2:      # ~60 steps: every target token has probability > 0.99
                break
    for p in params:
        p.requires_grad_(False)


def test_generate_parse_score_end_to_end():
    from timebench.metrics.grounding import set_iou
    from timebench.parsing import parse
    from timebench.types import Event

    adapter = TimeAudioAdapter.from_tiny_config(seed=0, max_new_tokens=12, num_beams=4, batch_size=1)
    wave = _wave(12.0, seed=7)
    _teach(adapter, wave, "3.2 - 10.5")
    gen = adapter.generate([Request(id="q", prompt=QUESTION, task="grounding", waveform=wave, sample_rate=SR)])[0]
    assert gen.error is None
    assert gen.meta["raw_text"].replace(" ", "") == "<a_3><f_2>-<a_1><a_0><f_5>"
    assert gen.text == "3.2 - 10.5"
    parsed = parse(gen.text, pipeline="lenient", duration=12.0)
    assert not parsed.failed
    assert [(e.onset, e.offset) for e in parsed.events] == [(3.2, 10.5)]
    # IoU with the reference 3.0 - 10.0: overlap 3.2..10.0 = 6.8, union 3.0..10.5 = 7.5
    iou = set_iou(parsed.events, [Event(3.0, 10.0)])
    assert iou == pytest.approx(6.8 / 7.5)
    # the raw text through TimeAudio's own pipeline gives the same interval
    raw = parse(gen.meta["raw_text"], pipeline="timeaudio", duration=12.0)
    assert [(e.onset, e.offset) for e in raw.events] == [(3.2, 10.5)]


def test_release_defaults_are_recorded():
    a = TimeAudioAdapter.from_tiny_config()
    cfg = a.config()
    assert cfg["beats_chunking"] == "whole" and cfg["merge_ties"] == "release" and cfg["over_limit"] == "truncate"
    assert a.model.audio_config.beats_chunking == "whole" and a.model.audio_config.merge.tie_break == "release"
    b = TimeAudioAdapter.from_tiny_config(beats_chunking="chunked", merge_ties="stable")
    assert b.model.audio_config.merge.tie_break == "stable" and a.fingerprint() != b.fingerprint()


def test_audio_over_max_len_is_truncated_like_the_release_and_marked():
    a = TimeAudioAdapter.from_tiny_config(seed=0, max_new_tokens=2, num_beams=1, max_len=31)
    long, short = _request(0, 45), Request(id="cut", prompt=QUESTION, task="grounding",
                                             waveform=_wave(45, 0)[: 31 * SR], sample_rate=SR)
    out_long, out_short = a.generate([long, short])
    assert out_long.error is None and out_long.meta["truncated_from_s"] == 45.0
    assert out_long.meta["truncated_to_s"] == 31.0 and "truncated_from_s" not in out_short.meta
    assert out_long.meta["windows"] == out_short.meta["windows"] and out_long.text == out_short.text
