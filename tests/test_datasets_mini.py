"""The bundled ``mini`` benchmark: determinism, sizes, reference consistency, rendered audio.

Reference checks recompute every answer from the scene file (manifest/scenes.json), which holds
the true events; audio checks measure the rendered WAV files directly.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
import numpy as np
import pytest
import soundfile as sf

from timebench.datasets import load_dataset
from timebench.datasets.mini import LABELS, TASKS, load_mini, manifest_dir, render_mini
from timebench.datasets.mini.data import CLASS_BY_LABEL, COUNTABLE, TOPICS
from timebench.datasets.mini.generate import BACKGROUND_DBFS, build_manifest
from timebench.datasets.mini.rng import StableRng
from timebench.errors import UnknownNameError
from timebench.io import read_references

MANIFEST = manifest_dir()
SR = 16000


@pytest.fixture(scope="module")
def scenes():
    doc = json.loads((MANIFEST / "scenes.json").read_text(encoding="utf-8"))
    return doc


@pytest.fixture(scope="module")
def clips(scenes):
    return {c["id"]: c for c in scenes["clips"]}


@pytest.fixture(scope="module")
def refs():
    return {task: read_references(MANIFEST / f"{task}.jsonl") for task in TASKS}


def _clip(clips, ref):
    return clips[ref.audio.removesuffix(".wav")]


# -- determinism and sizes -----------------------------------------------------------------------

def test_regenerated_manifest_is_identical():
    built = build_manifest()
    on_disk = {p.name for p in MANIFEST.iterdir() if p.suffix in (".json", ".jsonl")}
    assert set(built) == on_disk
    for name, text in built.items():
        assert (MANIFEST / name).read_bytes() == text.encode("utf-8"), name


def test_stable_rng_draws():
    a, b = StableRng(7), StableRng(7)
    assert [a.integer(0, 9) for _ in range(50)] == [b.integer(0, 9) for _ in range(50)]
    rng = StableRng(1)
    draws = [rng.integer(3, 5) for _ in range(3000)]
    assert set(draws) == {3, 4, 5} and min(Counter(draws).values()) > 900
    floats = [rng.random() for _ in range(2000)]
    assert 0 <= min(floats) and max(floats) < 1 and abs(np.mean(floats) - 0.5) < 0.03
    assert sorted(rng.sample(range(10), 10)) == list(range(10))


def test_sizes(scenes, refs):
    n_clips = len(scenes["clips"])
    minutes = sum(c["duration"] for c in scenes["clips"]) / 60
    assert 40 <= n_clips <= 60 and 20 <= minutes <= 40
    assert {t: len(r) for t, r in refs.items()} == {
        "tag": 40, "spotsound": 40, "sed": 30, "dac": 20, "tss": 8, "tqa": 40}
    durations = [c["duration"] for c in scenes["clips"]]
    assert min(durations) >= 10 and max(durations) <= 120
    for task, rows in refs.items():
        assert [r.id for r in rows] == [f"mini-{task}-{i:04d}" for i in range(len(rows))]


def test_every_task_loads_through_the_dispatcher(tmp_path):
    for task in TASKS:
        ds = load_dataset("mini", task=task, cache_dir=tmp_path, render=False)
        assert ds.task_kind == task and ds.source == f"mini:{task}"
        assert ds.root == tmp_path.absolute() / "mini" / ds.root.parent.name / "audio"
        assert (ds.labels == LABELS) == (task == "sed")
    with pytest.raises(UnknownNameError, match="tss"):
        load_mini("tts", render=False)


# -- references agree with the scenes ------------------------------------------------------------

def _windows(clip, label):
    return [(e["onset"], e["offset"]) for e in clip["events"] if e["label"] == label]


def test_sed_and_dac_match_scene_events(refs, clips):
    for ref in refs["sed"]:
        clip = _clip(clips, ref)
        assert ref.duration == clip["duration"]
        assert [(e.onset, e.offset, e.label) for e in ref.events] == [
            (e["onset"], e["offset"], e["label"]) for e in clip["events"]]
        assert all(e.label in LABELS for e in ref.events)
    for ref in refs["dac"]:
        clip = _clip(clips, ref)
        assert [e.label for e in ref.events] == [e["caption"] for e in clip["events"]]
        for e, s in zip(ref.events, clip["events"]):
            assert e.label in CLASS_BY_LABEL[s["label"]].captions


def test_events_do_not_overlap_and_fit(clips):
    for clip in clips.values():
        evs = sorted(clip["events"], key=lambda e: e["onset"])
        for a, b in zip(evs, evs[1:]):
            assert a["offset"] < b["onset"], clip["id"]
        assert evs[0]["onset"] >= 0 and evs[-1]["offset"] <= clip["duration"]


def test_tag_targets_every_window_of_the_class(refs, clips):
    for ref in refs["tag"]:
        clip = _clip(clips, ref)
        label = ref.extra["label"]
        assert ref.query in CLASS_BY_LABEL[label].queries
        assert [(e.onset, e.offset) for e in ref.events] == _windows(clip, label)


def test_spotsound_needles_and_negatives(refs, clips):
    rows = refs["spotsound"]
    negatives = [r for r in rows if r.present is False]
    assert len(negatives) / len(rows) == pytest.approx(0.3)
    for ref in rows:
        clip = _clip(clips, ref)
        assert 60 <= clip["duration"] <= 120
        label = ref.extra["label"]
        assert ref.query in CLASS_BY_LABEL[label].queries
        present = {e["label"] for e in clip["events"]}
        if ref.present:
            assert label in present and ref.events
            assert [(e.onset, e.offset) for e in ref.events] == _windows(clip, label)
            assert sum(e.offset - e.onset for e in ref.events) < 0.1 * ref.duration
        else:
            assert label not in present and ref.events == ()


def test_tss_segments_cover_their_utterances(refs, clips):
    summaries = {t.summary for t in TOPICS}
    for ref in refs["tss"]:
        clip = _clip(clips, ref)
        assert 30 <= clip["duration"] <= 120
        assert all(e.label in summaries for e in ref.events)
        for k, seg in enumerate(ref.events):
            inside = [e for e in clip["events"] if e["segment"] == k]
            assert 2 <= len(inside) <= 3
            assert seg.onset == inside[0]["onset"] and seg.offset == inside[-1]["offset"]
            topic = next(t for t in TOPICS if t.summary == seg.label)
            assert all(e["params"]["utterance"].startswith(topic.key + "_") for e in inside)


def test_tqa_answers_follow_from_the_scene(refs, clips):
    assert Counter(r.extra["qtype"] for r in refs["tqa"]) == {"count": 14, "order": 13,
                                                               "duration": 13}
    names = {c.name: c.label for c in CLASS_BY_LABEL.values()}
    for ref in refs["tqa"]:
        clip = _clip(clips, ref)
        qtype = ref.extra["qtype"]
        if qtype == "count":
            label = ref.extra["label"]
            assert label in COUNTABLE and CLASS_BY_LABEL[label].name in ref.question
            assert ref.answer == len(_windows(clip, label))
        elif qtype == "duration":
            (on, off), = _windows(clip, ref.extra["label"])
            assert ref.answer == pytest.approx(off - on, abs=1e-9)
        else:
            a, b = ref.extra["options"]
            assert ref.question == f"Which happens first, the {a} or the {b}?"
            first = min((_windows(clip, names[n])[0][0], n) for n in (a, b))[1]
            assert ref.answer == first and ref.answer in ref.extra["options"]


def test_speech_assets_are_small_and_exact():
    folder = MANIFEST.parent / "assets" / "speech"
    index = json.loads((folder / "index.json").read_text())
    total = sum(p.stat().st_size for p in folder.iterdir())
    assert total < 2_000_000
    assert len(index["utterances"]) == 3 * len(TOPICS)
    for u in index["utterances"]:
        info = sf.info(str(folder / f"{u['name']}.flac"))
        assert info.samplerate == SR and info.channels == 1 and info.frames == u["samples"]
        assert u["samples"] % 160 == 0


# -- rendered audio ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    cache = tmp_path_factory.mktemp("tbcache")
    root = render_mini(cache, progress=False)
    return cache, root


def test_rendered_files_have_the_stated_length(rendered, clips):
    _, root = rendered
    for clip in clips.values():
        info = sf.info(str(root / clip["audio"]))
        assert info.samplerate == SR and info.channels == 1
        assert info.frames == round(clip["duration"] * SR)


def test_events_are_audible_at_their_snr(rendered, clips, scenes):
    _, root = rendered
    assert scenes["background_dbfs"] == BACKGROUND_DBFS
    for clip in clips.values():
        x, _ = sf.read(str(root / clip["audio"]), dtype="float64")
        covered = np.zeros(x.size, dtype=bool)
        spans = [(round(e["onset"] * SR), round(e["offset"] * SR)) for e in clip["events"]]
        for a, b in spans:
            covered[a:b] = True
        p_bg = np.mean(x[~covered] ** 2)
        # the background is rendered at BACKGROUND_DBFS RMS
        assert 10 * np.log10(p_bg) == pytest.approx(BACKGROUND_DBFS, abs=1.0), clip["id"]
        for (a, b), e in zip(spans, clip["events"]):
            measured = 10 * np.log10(np.mean(x[a:b] ** 2) / p_bg)
            # event and background are independent: window power = bg * (1 + 10**(snr/10))
            expected = 10 * np.log10(1 + 10 ** (e["snr_db"] / 10))
            assert measured == pytest.approx(expected, abs=1.0), (clip["id"], e["label"])
        # between events (gaps of at least 1 s) there is only background
        edges = [0] + [v for ab in sorted(spans) for v in ab] + [x.size]
        for a, b in zip(edges[::2], edges[1::2]):
            if b - a >= SR:
                gap = 10 * np.log10(np.mean(x[a:b] ** 2) / p_bg)
                assert abs(gap) < 3.0, (clip["id"], a / SR, b / SR)
        assert np.max(np.abs(x)) < 0.99


def test_render_cache_is_reused_and_repaired(rendered, clips):
    cache, root = rendered
    files = sorted(root.glob("*.wav"))
    assert len(files) == len(clips)
    before = {f.name: f.stat().st_mtime_ns for f in files}
    assert render_mini(cache, progress=False) == root
    assert {f.name: f.stat().st_mtime_ns for f in files} == before
    victim = root / "scene-003.wav"
    good = victim.read_bytes()
    victim.write_bytes(good[: len(good) // 2])
    render_mini(cache, progress=False)
    assert victim.read_bytes() == good
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp")]
    record = json.loads((root.parent / "render.json").read_text())
    assert set(record["files"]) == set(before)
    assert re.fullmatch(r"[0-9a-f]{16}", root.parent.name)


def test_load_mini_resolves_audio(rendered, monkeypatch):
    cache, root = rendered
    monkeypatch.setenv("TIMEBENCH_CACHE", str(cache))
    ds = load_mini("spotsound")
    assert ds.root == root
    assert all(ds.audio_path(r).is_file() for r in ds)
    assert os.path.commonpath([ds.audio_path(ds.references[0]), root]) == str(root)
