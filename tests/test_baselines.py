"""Weight-free baselines: oracle, random, noop, energy, vad and replay (model_adapters/*).

Synthetic signals are built here with known event times; the ``mini`` benchmark is used for the
oracle ceiling (references only, no audio) and for "energy beats random" (rendered once into a
temporary cache for this module).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from model_adapters import ADAPTERS, create_adapter
from model_adapters.base import Generation, Request
from model_adapters.baselines import (GENERIC_CAPTIONS, GENERIC_SUMMARIES, NoopAdapter,
                                      OracleAdapter, RandomAdapter, infer_qtype, render_text)
from timebench.errors import InputError
from timebench.metrics.detection import detection_scores, event_based_counts
from timebench.scoring import score
from timebench.tasks import get_task
from timebench.types import Event, Prediction, Reference

SR = 16000
MINI_TASKS = ("tag", "spotsound", "sed", "dac", "tss", "tqa")


def to_prediction(request: Request, gen: Generation) -> Prediction | None:
    """What a runner hands to scoring: the generation's fields (errors become missing)."""
    if gen.error is not None:
        return None
    return Prediction(id=request.id, text=gen.text, events=gen.events, present=gen.present,
                      answer=gen.answer)


def mini_requests(task_name: str, refs, *, root: Path | None = None, labels=(), with_ref=False,
                  seed_base: int = 0) -> list[Request]:
    task = get_task(task_name)
    out = []
    for i, ref in enumerate(refs):
        wav = None
        if root is not None:
            import soundfile as sf

            wav, sr = sf.read(str(root / ref.audio), dtype="float32")
            assert sr == SR
        options = tuple(str(o) for o in ref.extra.get("options", ())) if ref.extra else ()
        out.append(Request(id=ref.id, prompt="", task=task_name, kind=task.kind,
                           audio=str(root / ref.audio) if root else None, duration=ref.duration,
                           waveform=wav, sample_rate=SR if wav is not None else None,
                           labels=tuple(labels or ()), query=ref.query, question=ref.question,
                           options=options, seed=seed_base + i,
                           reference=ref if with_ref else None,
                           meta={"qtype": ref.extra.get("qtype")} if ref.extra else {}))
    return out


def score_generations(task_name: str, refs, requests, gens, labels=None):
    task = get_task(task_name)
    preds = [p for p in (to_prediction(q, g) for q, g in zip(requests, gens)) if p is not None]
    frames = {q.id: g.frame_scores for q, g in zip(requests, gens) if g.frame_scores is not None}
    return score(task, refs, preds, frame_scores=frames or None).metrics


# -- settings and registry ------------------------------------------------------------------------

def test_every_baseline_is_registered_lazily():
    for name in ("oracle", "random", "noop", "energy", "vad", "replay"):
        assert name in ADAPTERS
    assert ADAPTERS.resolve_name("silero_vad") == "vad"


def test_unknown_and_mistyped_settings_are_input_errors():
    with pytest.raises(InputError) as err:
        create_adapter("random", sede=3)
    assert err.value.field == "sede" and "known" in str(err.value)
    with pytest.raises(InputError) as err:
        create_adapter("random", p_present=1.5)
    assert err.value.field == "p_present"
    with pytest.raises(InputError) as err:
        create_adapter("noop", latency="slow")
    assert err.value.field == "latency"
    with pytest.raises(InputError):
        create_adapter("random", min_length=2.0, max_length=1.0)
    with pytest.raises(InputError):
        create_adapter("energy", high_db=2.0, low_db=4.0)
    # runtime settings are accepted and kept out of the fingerprint
    a, b = RandomAdapter(batch_size=4), RandomAdapter(batch_size=64)
    assert a.fingerprint() == b.fingerprint()
    assert RandomAdapter(seed=1).fingerprint() != RandomAdapter(seed=2).fingerprint()


def test_baseline_modules_do_not_import_torch():
    code = ("import sys, timebench, model_adapters.baselines, model_adapters.energy, "
            "model_adapters.replay, model_adapters.vad; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_render_text_shapes():
    ev = (Event(1.0, 2.5, "beep"),)
    assert render_text("grounding", events=(Event(1, 2),)) == "1.00 - 2.00"
    assert render_text("presence", present=False) == "No."
    assert render_text("presence", events=(Event(1, 2),), present=True) == "Yes. 1.00 - 2.00"
    assert render_text("detection", events=ev) == "1.00 - 2.50, beep"
    assert render_text("qa", answer=True) == "Yes" and render_text("qa", answer=3) == "3"


def test_qtype_from_meta_or_question():
    base = dict(id="x", prompt="", task="tqa", kind="qa")
    assert infer_qtype(Request(**base, question="How many times does it beep?")) == "count"
    assert infer_qtype(Request(**base, question="How long does the hum last?")) == "duration"
    assert infer_qtype(Request(**base, question="Which is first?", options=("a", "b"))) == "choice"
    assert infer_qtype(Request(**base, question="Does a dog bark?")) == "yesno"
    assert infer_qtype(Request(**base, question="Describe it.", meta={"qtype": "count"})) == "count"


# -- oracle ---------------------------------------------------------------------------------------

# The ceiling of each metric under identical prediction and reference.  CIDEr is CIDEr-D as in
# pycocoevalcap, which multiplies the mean n-gram cosine (1 for identical sentences, no length
# penalty) by 10.  METEOR of an identical sentence is 1 minus the fragmentation penalty
# 0.5 * (1/n)^3 <= 0.0625 for n >= 2 words, hence the looser bound.
CEILING = {"mIoU": 1.0, "R1@0.3": 1.0, "R1@0.5": 1.0, "R1@0.7": 1.0, "R1@0.9": 1.0,
           "presence_acc_pos": 1.0, "presence_acc_neg": 1.0, "joint_f1": 1.0,
           "event_f1": 1.0, "event_f1_macro": 1.0, "segment_f1": 1.0, "accuracy": 1.0,
           "count_mae": 0.0, "duration_mae": 0.0, "SODA_c": 1.0, "BLEU4": 1.0, "ROUGE_L": 1.0,
           "ROUGE_1": 1.0, "segment_mIoU": 1.0, "CIDEr": 10.0, "parse_failure_rate": 0.0}


@pytest.mark.parametrize("task_name", MINI_TASKS)
def test_oracle_scores_the_ceiling_on_every_mini_task(task_name):
    from timebench.datasets.mini import load_mini

    ds = load_mini(task_name, render=False)
    refs = list(ds.references)
    reqs = mini_requests(task_name, refs, labels=ds.labels, with_ref=True)
    gens = OracleAdapter().generate(reqs)
    metrics = score_generations(task_name, refs, reqs, gens)
    checked = 0
    for name, value in metrics.items():
        if name in CEILING:
            assert value == pytest.approx(CEILING[name], abs=1e-6), (task_name, name, value)
            checked += 1
        elif name == "METEOR":
            assert value > 0.93
    assert checked >= 2
    assert get_task(task_name).primary_metric in metrics


def test_oracle_without_reference_is_an_error():
    out = OracleAdapter().generate([Request(id="a", prompt="", task="tag", kind="grounding")])
    assert out[0].error and "reference" in out[0].error


# -- random ---------------------------------------------------------------------------------------

def _random_requests(n=40, kind="grounding", **kw):
    return [Request(id=f"s{i}", prompt="", task="t", kind=kind, duration=20.0 + i, seed=1000 + i,
                    **kw) for i in range(n)]


@pytest.mark.parametrize("kind,extra", [
    ("grounding", {}), ("presence", {}), ("detection", {"labels": ("dog", "cat", "car")}),
    ("captioning", {}), ("summary", {}),
    ("qa", {"question": "Which happens first?", "options": ("the dog", "the cat")}),
])
def test_random_is_deterministic_and_independent_of_batching_and_order(kind, extra):
    reqs = _random_requests(kind=kind, **extra)
    adapter = RandomAdapter()
    whole = adapter.generate(reqs)
    # other batch splits and a shuffled order, on a fresh instance
    again = RandomAdapter()
    order = np.random.default_rng(0).permutation(len(reqs))
    shuffled = {}
    for chunk in np.array_split(order, 7):
        batch = [reqs[i] for i in chunk]
        for r, g in zip(batch, again.generate(batch)):
            shuffled[r.id] = g
    for r, g in zip(reqs, whole):
        assert shuffled[r.id] == g
    # the answer depends on the request seed and the adapter seed
    moved = [Request(**{**r.__dict__, "seed": r.seed + 1}) for r in reqs]
    assert adapter.generate(moved) != whole
    assert RandomAdapter(seed=5).generate(reqs) != whole


def test_random_outputs_have_the_documented_shapes():
    labels = ("dog", "cat", "car")
    ground = RandomAdapter().generate(_random_requests(kind="grounding"))
    for r, g in zip(_random_requests(kind="grounding"), ground):
        (e,) = g.events
        assert 0 <= e.onset <= e.offset <= r.duration and g.text
    pres = RandomAdapter().generate(_random_requests(n=400, kind="presence"))
    share = np.mean([g.present for g in pres])
    assert 0.4 < share < 0.6      # p_present = 0.5 over 400 seeds
    assert all(bool(g.events) == g.present for g in pres)
    det = RandomAdapter(max_events=4).generate(_random_requests(kind="detection", labels=labels))
    assert all(len(g.events) <= 4 and all(e.label in labels for e in g.events) for g in det)
    cap = RandomAdapter().generate(_random_requests(kind="captioning"))
    assert all(g.events and all(e.label in GENERIC_CAPTIONS for e in g.events) for g in cap)
    summ = RandomAdapter().generate(_random_requests(kind="summary"))
    assert all(all(e.label in GENERIC_SUMMARIES for e in g.events) for g in summ)
    counts = RandomAdapter(max_count=3).generate(
        _random_requests(kind="qa", question="How many times does it beep?"))
    assert {g.answer for g in counts} <= {0, 1, 2, 3} and len({g.answer for g in counts}) > 1
    durs = RandomAdapter().generate(_random_requests(kind="qa", question="How long is it?"))
    assert all(isinstance(g.answer, float) and 0.3 <= g.answer <= 5.0 for g in durs)
    yesno = RandomAdapter().generate(_random_requests(kind="qa", question="Is there a dog?"))
    assert {g.answer for g in yesno} == {True, False}
    none = RandomAdapter().generate([Request(id="x", prompt="", task="t", kind="grounding")])
    assert none[0].events[0].offset <= 30.0      # default_duration without a duration


# -- noop -----------------------------------------------------------------------------------------

def test_noop_sleeps_per_batch_and_answers_empty():
    reqs = _random_requests(n=5)
    start = time.perf_counter()
    out = NoopAdapter(latency=0.05).generate(reqs)
    elapsed = time.perf_counter() - start
    assert [g.text for g in out] == [""] * 5 and elapsed >= 0.05
    assert NoopAdapter().sample_rate == 16000
    assert NoopAdapter(load_audio=False).sample_rate is None


# -- energy: synthetic signals --------------------------------------------------------------------

def _beep(n, freq=1000.0):
    t = np.arange(n) / SR
    return np.sin(2 * np.pi * freq * t)


def _burst(n, rng):
    from scipy.signal import butter, sosfilt

    sos = butter(4, [2000, 6000], btype="bandpass", fs=SR, output="sos")
    x = sosfilt(sos, rng.standard_normal(n))
    return x / np.sqrt(np.mean(x ** 2))


def _scene(events, duration=12.0, seed=0, snr_db=12.0):
    """Faint white noise plus unit-RMS events scaled to ``snr_db`` over the noise RMS."""
    rng = np.random.default_rng(seed)
    noise_rms = 0.003
    x = rng.standard_normal(int(duration * SR)) * noise_rms
    for kind, onset, offset in events:
        a, b = int(onset * SR), int(offset * SR)
        sig = _beep(b - a) if kind == "beep" else _burst(b - a, rng)
        x[a:b] += sig / np.sqrt(np.mean(sig ** 2)) * noise_rms * 10 ** (snr_db / 20)
    return x.astype(np.float32)


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory):
    """Example clips: ``beep/`` (tones at 900-1100 Hz) and ``noise_burst/`` (2-6 kHz noise)."""
    import soundfile as sf

    root = tmp_path_factory.mktemp("templates")
    rng = np.random.default_rng(42)
    for label in ("beep", "noise_burst"):
        (root / label).mkdir()
        for i in range(3):
            pad = np.zeros(SR // 2)
            if label == "beep":
                core = _beep(SR, 900 + 100 * i)
            else:
                core = _burst(SR, rng)
            clip = np.concatenate([pad, 0.3 * core / np.max(np.abs(core)), pad])
            clip += rng.standard_normal(clip.size) * 1e-4
            sf.write(str(root / label / f"ex{i}.wav"), clip.astype(np.float32), SR)
    (root / "beep" / "phrases.txt").write_text("an electronic beep\na beeping tone\n")
    return root


SCENE_EVENTS = [("beep", 1.0, 2.0), ("noise_burst", 3.5, 4.3), ("beep", 6.0, 6.6),
                ("noise_burst", 8.2, 10.0)]


def test_energy_finds_and_classifies_synthetic_events(template_dir):
    x = _scene(SCENE_EVENTS)
    adapter = create_adapter("energy", templates=str(template_dir))
    req = Request(id="s", prompt="", task="sed", kind="detection", duration=12.0, waveform=x,
                  sample_rate=SR, labels=("beep", "noise_burst", "dog"))
    (gen,) = adapter.generate([req])
    assert len(gen.events) == len(SCENE_EVENTS)
    for (label, on, off), e in zip(SCENE_EVENTS, gen.events):
        assert e.label == label
        assert abs(e.onset - on) < 0.05 and abs(e.offset - off) < 0.05
    fs = gen.frame_scores
    assert fs.labels == ("beep", "noise_burst", "dog")
    assert fs.scores.shape == (fs.times.size - 1, 3)
    assert np.all(np.diff(fs.times) > 0) and fs.times[-1] == pytest.approx(12.0)
    assert np.all((fs.scores >= 0) & (fs.scores <= 1))
    mid = np.searchsorted(fs.times, 1.5) - 1
    assert fs.scores[mid, 0] > 0.5 > fs.scores[mid, 1]       # the region's class leads
    assert np.all(fs.scores[:, 2] == 0)                       # no template for 'dog'
    quiet = np.searchsorted(fs.times, 5.0) - 1
    assert fs.scores[quiet].max() < 0.5


def test_energy_grounding_presence_captioning_and_qa(template_dir):
    x = _scene(SCENE_EVENTS)
    adapter = create_adapter("energy", templates=str(template_dir))

    def ask(kind, **kw):
        req = Request(id="q", prompt="", task="t", kind=kind, duration=12.0, waveform=x,
                      sample_rate=SR, **kw)
        return adapter.generate([req])[0]

    g = ask("grounding", query="a beeping tone")
    assert [(round(e.onset, 1), round(e.offset, 1)) for e in g.events] == [(1.0, 2.0), (6.0, 6.6)]
    p = ask("presence", query="a noise burst")
    assert p.present is True and len(p.events) == 2
    assert ask("presence", query="a dog barking").present is False
    c = ask("captioning")
    assert [e.label for e in c.events] == ["an electronic beep", "noise burst",
                                           "an electronic beep", "noise burst"]
    assert ask("qa", question="How many times does the beep occur?").answer == 2
    first = ask("qa", question="Which happens first?", options=("noise burst", "beep"))
    assert first.answer == "beep"
    dur = ask("qa", question="How long does the noise burst last?", meta={"qtype": "duration"})
    assert dur.answer == pytest.approx(1.8, abs=0.06)     # the longest burst, 8.2-10.0 s
    assert ask("qa", question="Is there a beep?").answer is True


def test_energy_templates_json_round_trip(template_dir, tmp_path):
    from model_adapters.energy import load_templates, load_templates_json, save_templates_json

    folder = load_templates(str(template_dir))
    save_templates_json(folder, tmp_path / "t.json")
    again = load_templates_json(tmp_path / "t.json")
    assert again.labels == folder.labels
    for a, b in zip(again.vectors, folder.vectors):
        np.testing.assert_allclose(a, b, atol=1e-7)
    x = _scene(SCENE_EVENTS)
    req = Request(id="s", prompt="", task="sed", kind="detection", duration=12.0, waveform=x,
                  sample_rate=SR, labels=("beep", "noise_burst"))
    from_json = create_adapter("energy", templates=str(tmp_path / "t.json")).generate([req])[0]
    from_dir = create_adapter("energy", templates=str(template_dir)).generate([req])[0]
    assert [e.label for e in from_json.events] == [e.label for e in from_dir.events]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "timebench-energy-templates", "version": 1,
                               "feature": {}, "classes": {"x": {"vectors": [[1.0, 2.0]]}}}))
    with pytest.raises(InputError) as err:
        load_templates_json(bad)
    assert err.value.field == "classes.x.vectors"


def test_energy_fingerprint_follows_template_content(template_dir, tmp_path):
    import shutil

    copy = tmp_path / "tpl"
    shutil.copytree(template_dir, copy)
    a = create_adapter("energy", templates=str(copy)).fingerprint()
    assert create_adapter("energy", templates=str(copy)).fingerprint() == a
    (copy / "beep" / "phrases.txt").write_text("a tone\n")
    assert create_adapter("energy", templates=str(copy)).fingerprint() != a


def test_mini_prototypes_use_no_evaluation_seed():
    from model_adapters.energy import PROTOTYPE_SEED, mini_prototype_draws
    from model_adapters.energy_templates import _manifest_seeds
    from timebench.datasets.mini.generate import SEED
    from timebench.datasets.mini.render import load_scenes

    used = _manifest_seeds(load_scenes())
    draws = mini_prototype_draws(4)
    assert len(draws) == 4 * 8
    assert not {int(d["seed"]) for _, d in draws} & used
    assert not SEED - 8 < PROTOTYPE_SEED <= SEED


# -- energy vs random on the mini benchmark -------------------------------------------------------

@pytest.fixture(scope="module")
def mini_audio(tmp_path_factory):
    from timebench.datasets.mini import render_mini

    return render_mini(tmp_path_factory.mktemp("mini-cache"), progress=False)


@pytest.mark.parametrize("task_name,metric,floor,margin", [
    # metric, the least energy must reach, and its lead over random (both well below what
    # the detector gets on the full benchmark: see docs/BASELINES.md)
    ("sed", "event_f1", 0.7, 0.5),
    ("tag", "mIoU", 0.7, 0.4),
    ("spotsound", "joint_f1", 0.7, 0.5),
    ("tqa", "accuracy", 0.7, 0.3),
    ("tss", "segment_mIoU", 0.7, 0.4),
])
def test_energy_beats_random_on_mini(mini_audio, task_name, metric, floor, margin):
    from timebench.datasets.mini import load_mini

    ds = load_mini(task_name, render=False)
    refs = list(ds.references)[:16]
    reqs = mini_requests(task_name, refs, root=mini_audio, labels=ds.labels)
    energy = score_generations(task_name, refs, reqs, create_adapter("energy").generate(reqs))
    rand = score_generations(task_name, refs, reqs, RandomAdapter().generate(reqs))
    assert energy[metric] >= floor, energy
    assert energy[metric] - rand[metric] >= margin, (energy[metric], rand[metric])
    if task_name == "sed":
        assert "psds1" in energy and energy["psds1"] > 0.5


# -- vad ------------------------------------------------------------------------------------------

def _speech_scene(seed=3):
    """Three espeak-ng utterances from the mini assets at known times over faint noise."""
    import soundfile as sf
    from importlib import resources

    rng = np.random.default_rng(seed)
    x = rng.standard_normal(14 * SR) * 0.002
    truth = []
    for name, onset in (("weather_0", 1.0), ("cooking_1", 5.5), ("garden_2", 10.0)):
        ref = resources.files("timebench.datasets.mini").joinpath(f"assets/speech/{name}.flac")
        with resources.as_file(ref) as path:
            utt, sr = sf.read(str(path), dtype="float64")
        assert sr == SR
        a = int(onset * SR)
        x[a:a + utt.size] += 0.5 * utt
        truth.append(Event(onset, onset + utt.size / SR, "speech"))
    return x.astype(np.float32), truth


def test_vad_finds_speech_and_keeps_torch_threads():
    pytest.importorskip("silero_vad")
    import torch

    threads = torch.get_num_threads()
    x, truth = _speech_scene()
    adapter = create_adapter("vad")
    req = Request(id="v", prompt="", task="sed", kind="detection", duration=14.0, waveform=x,
                  sample_rate=SR, labels=("beep", "speech"))
    (gen,) = adapter.generate([req])
    assert torch.get_num_threads() == threads
    counts = event_based_counts({"v": truth}, {"v": list(gen.events)}, t_collar=0.2,
                                percentage_of_length=0.2, labels=["speech"])
    assert detection_scores(counts)["f_measure"] >= 0.9
    fs = gen.frame_scores
    assert fs.labels == ("beep", "speech") and np.all(fs.scores[:, 0] == 0)
    assert fs.scores[:, 1].max() > 0.9
    # summary: one segment per utterance here (pauses of 1.5 s and more > merge_gap 1.2 s);
    # with a wide merge gap the three join into one
    summ = adapter.generate([Request(**{**req.__dict__, "kind": "summary", "labels": ()})])[0]
    assert len(summ.events) == 3 and {e.label for e in summ.events} == {"the speaker talks"}
    wide = create_adapter("vad", merge_gap=5.0).generate(
        [Request(**{**req.__dict__, "kind": "summary"})])[0]
    assert len(wide.events) == 1
    assert wide.events[0].onset == pytest.approx(1.0, abs=0.2)


def test_vad_declines_other_kinds_and_non_speech_labels():
    adapter = create_adapter("vad")
    assert adapter.supports_task("summary") and not adapter.supports_task("grounding")
    out = adapter.generate([Request(id="g", prompt="", task="tag", kind="grounding")])
    assert out[0].text == "" and out[0].error is None and "note" in out[0].meta
    pytest.importorskip("silero_vad")
    x, _ = _speech_scene()
    req = Request(id="v", prompt="", task="sed", kind="detection", duration=14.0, waveform=x,
                  sample_rate=SR, labels=("dog", "cat"))
    gen = adapter.generate([req])[0]
    assert gen.events == () and "note" in gen.meta


# -- replay ---------------------------------------------------------------------------------------

def _write_jsonl(path: Path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_replay_round_trips_and_reports_missing_ids(tmp_path):
    rows = [{"id": "a", "text": "from 1 to 2 s"},
            {"id": "b", "events": [{"onset": 1.0, "offset": 2.5, "label": "dog"}]},
            {"id": "c", "present": False, "events": []},
            {"id": "d", "answer": 3}]
    path = tmp_path / "preds.jsonl"
    _write_jsonl(path, rows)
    adapter = create_adapter("replay", path=str(path))
    reqs = [Request(id=i, prompt="", task="t") for i in ("a", "b", "c", "d", "e")]
    a, b, c, d, e = adapter.generate(reqs)
    assert a.text == "from 1 to 2 s" and a.events is None
    assert b.events == (Event(1.0, 2.5, "dog"),)
    assert c.present is False and c.events == ()
    assert d.answer == 3
    assert e.error == f"no prediction in {path}"
    # scored as a failure, not skipped
    refs = [Reference(id="b", duration=10.0, query="dog", events=(Event(1.0, 2.5),)),
            Reference(id="e", duration=10.0, query="dog", events=(Event(4.0, 5.0),))]
    sub = [r for r in reqs if r.id in ("b", "e")]
    metrics = score_generations("tag", refs, sub, adapter.generate(sub))
    assert metrics["mIoU"] == pytest.approx(0.5) and metrics["parse_failure_rate"] == 0.5


def test_replay_fingerprint_has_the_file_hash(tmp_path):
    import hashlib

    path = tmp_path / "p.jsonl"
    _write_jsonl(path, [{"id": "a", "text": "1 - 2"}])
    first = create_adapter("replay", path=str(path))
    assert first.config()["sha256"] == {"p.jsonl": hashlib.sha256(path.read_bytes()).hexdigest()}
    _write_jsonl(path, [{"id": "a", "text": "1 - 3"}])
    assert create_adapter("replay", path=str(path)).fingerprint() != first.fingerprint()


def test_replay_folder_per_task_and_validation(tmp_path):
    folder = tmp_path / "preds"
    folder.mkdir()
    _write_jsonl(folder / "tag.jsonl", [{"id": "x", "text": "1 - 2"}])
    _write_jsonl(folder / "sed.jsonl", [{"id": "x", "events": [[0, 1, "beep"]]}])
    adapter = create_adapter("replay", path=str(folder))
    out = adapter.generate([Request(id="x", prompt="", task="tag"),
                            Request(id="x", prompt="", task="sed"),
                            Request(id="x", prompt="", task="tss")])
    assert out[0].text == "1 - 2" and out[1].events == (Event(0.0, 1.0, "beep"),)
    assert out[2].error and "tss.jsonl" in out[2].error
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "ok"}\n'
                   '{"id": "b", "events": [{"onset": 3, "offset": 1}]}\n')
    with pytest.raises(InputError) as err:
        create_adapter("replay", path=str(bad))
    assert err.value.line == 2 and err.value.field == "events[0]"
    dup = tmp_path / "dup.jsonl"
    _write_jsonl(dup, [{"id": "a", "text": "1"}, {"id": "a", "text": "2"}])
    with pytest.raises(InputError):
        create_adapter("replay", path=str(dup))
    with pytest.raises(InputError) as err:
        create_adapter("replay", path=str(tmp_path / "nope.jsonl"))
    assert err.value.field == "path"
    with pytest.raises(InputError):
        create_adapter("replay")
