"""The deterministic generator of the ``mini`` benchmark's manifest.

``build_manifest()`` returns the text of every manifest file; ``write_manifest(folder)`` writes
them.  The checked-in copy lives in ``manifest/`` and a test rebuilds it and compares byte for
byte, so any change to this module or to ``data.py`` must come with a regenerated manifest::

    python -m timebench.datasets.mini.generate        # rewrite manifest/

Design (all times are integer centiseconds inside the generator, so the written seconds are
exact two-decimal numbers; all randomness comes from :class:`~.rng.StableRng`):

* 30 **event scenes** (``scene-000``...; 10-50 s): 2-4 classes, 1-4 non-overlapping events
  each (at least 0.5 s apart) over a stationary background.  They serve ``sed`` (all 30),
  ``dac`` (the first 20, events captioned), ``tag`` (40 queries: one class per scene, a second
  one for 10 scenes; every window of the queried class is a target) and ``tqa`` (40 questions:
  14 counting, 13 ordering, 13 duration).
* 12 **needle clips** (``needle-000``...; 60-120 s): 3-5 short events of distinct classes; the
  ``spotsound`` task asks for 28 present classes (every class's total length is under 10 % of
  the clip) and 12 absent ones (30 %, ``present: false``).
* 8 **speech timelines** (``speech-000``...; 30-120 s): 3-10 topic segments, each 2-3
  utterances of one topic with short pauses; ``tss`` events are the segments labelled with the
  topic summary.

Levels: the background has an RMS of ``BACKGROUND_DBFS``; an event with ``snr_db`` is scaled so
that ``10*log10(mean(event**2) / mean(background**2)) == snr_db``, the mean of the event taken
over its own window and the background's over the whole clip.
"""

from __future__ import annotations

import hashlib
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from .data import CLASS_BY_LABEL, CLASSES, COUNTABLE, LABELS, SAMPLE_RATE, TASKS, TOPICS
from .rng import StableRng

__all__ = ["build_manifest", "write_manifest", "manifest_dir", "speech_index", "TASKS",
           "SEED", "BACKGROUND_DBFS", "MANIFEST_VERSION"]

SEED = 20240611
MANIFEST_VERSION = 1
BACKGROUND_DBFS = -45.0

N_SCENES, N_DAC, N_TAG_EXTRA = 30, 20, 10
N_NEEDLE, N_NEEDLE_POS = 12, 28
N_SPEECH = 8
TQA_QUOTA = {"count": 14, "order": 13, "duration": 13}
MIN_GAP_CS, MARGIN_CS = 50, 50


def manifest_dir() -> Path:
    """The folder holding the checked-in manifest."""
    return Path(str(resources.files(__package__).joinpath("manifest")))


def speech_index() -> dict[str, Any]:
    """``assets/speech/index.json`` (names, texts and exact lengths of the spoken clips)."""
    text = resources.files(__package__).joinpath("assets/speech/index.json").read_text("utf-8")
    return json.loads(text)


def _sec(cs: int) -> float:
    return cs / 100


def _snr(rng: StableRng, low_half_db: int, high_half_db: int) -> float:
    return rng.integer(low_half_db, high_half_db) / 2


# -- event drawing -------------------------------------------------------------------------------

def _draw_event(rng: StableRng, label: str, utterances: list[dict], *, max_cs: int | None = None
                ) -> dict[str, Any]:
    """One event of ``label``: its length (cs) and synthesis parameters."""
    cls = CLASS_BY_LABEL[label]
    params: dict[str, Any] = {}
    if label == "speech":
        utt = rng.choice(utterances)
        params["utterance"] = utt["name"]
        length = utt["samples"] * 100 // SAMPLE_RATE
    elif label == "knock":
        count = rng.integer(2, 4)
        spacing = rng.integer(25, 40)
        params.update(count=count, spacing_cs=spacing, freq_hz=rng.integer(12, 22) * 10)
        length = (count - 1) * spacing + 20
    else:
        hi = cls.max_cs if max_cs is None else max(cls.min_cs, min(cls.max_cs, max_cs))
        length = rng.integer(cls.min_cs, hi)
        if label == "beep":
            params["freq_hz"] = rng.choice((660, 880, 1000, 1200, 1500))
        elif label == "chirp":
            params.update(start_hz=rng.integer(30, 60) * 10, end_hz=rng.integer(200, 350) * 10)
        elif label == "noise burst":
            params.update(low_hz=rng.integer(3, 15) * 100, high_hz=rng.integer(40, 70) * 100)
        elif label == "click train":
            params["rate_hz"] = rng.integer(8, 16)
        elif label == "alarm":
            params.update(high_hz=rng.integer(85, 100) * 10, low_hz=rng.integer(55, 70) * 10,
                          switch_cs=rng.choice((20, 25, 30)))
        elif label == "hum":
            params["freq_hz"] = rng.choice((50, 60, 100, 120))
    return {"label": label, "length": length, "params": params,
            "caption": rng.choice(cls.captions), "seed": rng.integer(0, 2**31 - 1)}


def _place(rng: StableRng, lengths: list[int], clip_cs: int, *, min_gap: int = MIN_GAP_CS,
           margin: int = MARGIN_CS) -> list[int] | None:
    """Onsets for consecutive non-overlapping events of ``lengths`` (in the given order)."""
    n = len(lengths)
    slack = clip_cs - sum(lengths) - min_gap * (n - 1) - 2 * margin
    if slack < 0:
        return None
    weights = [rng.integer(1, 1000) for _ in range(n + 1)]
    total = sum(weights)
    gaps = [slack * w // total for w in weights]
    onsets, t = [], margin + gaps[0]
    for i, length in enumerate(lengths):
        onsets.append(t)
        t += length + min_gap + gaps[i + 1]
    return onsets


def _finish_events(rng: StableRng, drawn: list[dict], clip_cs: int, snr_range: tuple[int, int]
                   ) -> list[dict] | None:
    rng.shuffle(drawn)
    onsets = _place(rng, [d["length"] for d in drawn], clip_cs)
    if onsets is None:
        return None
    events = []
    for d, onset in zip(drawn, onsets):
        events.append({"label": d["label"], "onset": _sec(onset),
                       "offset": _sec(onset + d["length"]),
                       "snr_db": _snr(rng, *snr_range), "caption": d["caption"],
                       "params": d["params"], "seed": d["seed"]})
    return events


def _background(rng: StableRng) -> dict[str, Any]:
    return {"kind": rng.choice(("pink", "brown")), "seed": rng.integer(0, 2**31 - 1)}


# -- clip families -------------------------------------------------------------------------------

def _event_scene(rng: StableRng, index: int, utterances: list[dict]) -> dict[str, Any]:
    clip_cs = rng.choice((1000, 1200, 1500, 2000, 2500, 3000, 4000, 5000))
    while True:
        n_classes = 2 if clip_cs <= 1200 else rng.integer(2, 4)
        labels = rng.sample(LABELS, n_classes)
        drawn = []
        for label in labels:
            if label in COUNTABLE:
                reps = rng.integer(1, 4 if clip_cs >= 2000 else 2)
            elif label == "speech":
                reps = rng.integer(1, 2 if clip_cs >= 2500 else 1)
            else:
                reps = 1
            drawn.extend(_draw_event(rng, label, utterances) for _ in range(reps))
        events = _finish_events(rng, drawn, clip_cs, (12, 40))
        if events is not None:
            break
    return {"id": f"scene-{index:03d}", "family": "events", "duration": _sec(clip_cs),
            "background": _background(rng), "events": events}


def _needle_clip(rng: StableRng, index: int, utterances: list[dict]) -> dict[str, Any]:
    clip_cs = rng.choice((6000, 7000, 8000, 9000, 10000, 11000, 12000))
    cap = clip_cs // 10 - 1
    while True:
        labels = rng.sample(LABELS, rng.integer(3, 5))
        drawn = [_draw_event(rng, label, utterances, max_cs=min(400, cap)) for label in labels]
        if any(d["length"] > cap for d in drawn):
            continue
        events = _finish_events(rng, drawn, clip_cs, (12, 36))
        if events is not None:
            break
    return {"id": f"needle-{index:03d}", "family": "needle", "duration": _sec(clip_cs),
            "background": _background(rng), "events": events}


def _speech_clip(rng: StableRng, index: int, by_topic: dict[str, list[dict]]) -> dict[str, Any]:
    target = rng.integer(30, 120) * 100
    n_seg = rng.integer(3, 6)
    for _attempt in range(100):
        topics = rng.sample(TOPICS, n_seg)
        segments = []
        for topic in topics:
            utts = by_topic[topic.key]
            n_utt = rng.integer(2, 3)
            first = rng.integer(0, len(utts) - n_utt)
            chosen = utts[first:first + n_utt]
            pauses = [rng.integer(30, 80) for _ in range(n_utt - 1)]
            lengths = [u["samples"] * 100 // SAMPLE_RATE for u in chosen]
            segments.append({"topic": topic, "utts": chosen, "lengths": lengths,
                             "pauses": pauses, "length": sum(lengths) + sum(pauses)})
        content = sum(s["length"] for s in segments)
        min_total = content + 150 * (n_seg - 1) + 200
        max_total = content + 600 * (n_seg - 1) + 800
        if min_total > target and n_seg > 3:
            n_seg -= 1
        elif max_total < target and n_seg < len(TOPICS):
            n_seg += 1
        else:
            break
    clip_cs = max(min_total, min(max_total, target))
    if not 3000 <= clip_cs <= 12000:
        raise RuntimeError(f"speech clip {index} would last {clip_cs / 100} s")
    slack = clip_cs - min_total
    weights = [rng.integer(1, 1000) for _ in range(n_seg + 1)]
    shares = [slack * w // sum(weights) for w in weights]
    lead = 100 + shares[0]
    t = lead
    events, segs = [], []
    for k, seg in enumerate(segments):
        start = t
        for j, (utt, length) in enumerate(zip(seg["utts"], seg["lengths"])):
            events.append({"label": "speech", "onset": _sec(t), "offset": _sec(t + length),
                           "snr_db": _snr(rng, 30, 40), "caption": "a person talks briefly",
                           "params": {"utterance": utt["name"]}, "seed": 0, "segment": k})
            t += length
            if j < len(seg["pauses"]):
                t += seg["pauses"][j]
        segs.append({"onset": _sec(start), "offset": _sec(t), "topic": seg["topic"].key,
                     "summary": seg["topic"].summary})
        if k < n_seg - 1:
            t += 150 + shares[k + 1]
    return {"id": f"speech-{index:03d}", "family": "speech", "duration": _sec(clip_cs),
            "background": _background(rng), "events": events, "segments": segs}


# -- tasks ---------------------------------------------------------------------------------------

def _ref(task: str, n: int, clip: dict, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": f"mini-{task}-{n:04d}", "audio": f"{clip['id']}.wav",
                           "duration": clip["duration"]}
    out.update(fields)
    return out


def _windows(clip: dict, label: str) -> list[dict]:
    return [{"onset": e["onset"], "offset": e["offset"]}
            for e in clip["events"] if e["label"] == label]


def _present(clip: dict) -> list[str]:
    return sorted({e["label"] for e in clip["events"]})


def _tasks(rng: StableRng, scenes: list[dict], needles: list[dict], speech: list[dict]
           ) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {t: [] for t in TASKS}
    for i, clip in enumerate(scenes):
        out["sed"].append(_ref("sed", i, clip, events=[
            {"onset": e["onset"], "offset": e["offset"], "label": e["label"]}
            for e in clip["events"]]))
    for i, clip in enumerate(scenes[:N_DAC]):
        out["dac"].append(_ref("dac", i, clip, events=[
            {"onset": e["onset"], "offset": e["offset"], "label": e["caption"]}
            for e in clip["events"]]))
    n = 0
    for i, clip in enumerate(scenes):
        k = 2 if i < N_TAG_EXTRA else 1
        for label in rng.sample(_present(clip), k):
            out["tag"].append(_ref("tag", n, clip, query=rng.choice(CLASS_BY_LABEL[label].queries),
                                   events=_windows(clip, label), extra={"label": label}))
            n += 1
    n = 0
    for i, clip in enumerate(needles):
        present = _present(clip)
        absent = [c for c in LABELS if c not in present]
        n_pos = 3 if i < N_NEEDLE_POS - 2 * N_NEEDLE else 2
        rows = [(label, True) for label in rng.sample(present, n_pos)]
        rows.append((rng.choice(absent), False))
        rng.shuffle(rows)
        for label, is_present in rows:
            query = rng.choice(CLASS_BY_LABEL[label].queries)
            out["spotsound"].append(_ref(
                "spotsound", n, clip, query=query,
                events=_windows(clip, label) if is_present else [], present=is_present,
                extra={"label": label}))
            n += 1
    for i, clip in enumerate(speech):
        out["tss"].append(_ref("tss", i, clip, events=[
            {"onset": s["onset"], "offset": s["offset"], "label": s["summary"]}
            for s in clip["segments"]]))
    out["tqa"] = _questions(rng, scenes)
    return out


def _questions(rng: StableRng, scenes: list[dict]) -> list[dict]:
    candidates: dict[str, list[tuple[int, dict]]] = {t: [] for t in TQA_QUOTA}
    for i, clip in enumerate(scenes):
        by_label: dict[str, list[dict]] = {}
        for e in clip["events"]:
            by_label.setdefault(e["label"], []).append(e)
        for label, evs in sorted(by_label.items()):
            name = CLASS_BY_LABEL[label].name
            if label in COUNTABLE:
                candidates["count"].append((i, {
                    "question": f"How many times does the {name} occur?", "answer": len(evs),
                    "extra": {"qtype": "count", "label": label}}))
            if len(evs) == 1:
                length = round(evs[0]["offset"] - evs[0]["onset"], 2)
                candidates["duration"].append((i, {
                    "question": f"How long does the {name} last, in seconds?", "answer": length,
                    "extra": {"qtype": "duration", "label": label}}))
        labels = sorted(by_label)
        for a in range(len(labels)):
            for b in range(a + 1, len(labels)):
                la, lb = labels[a], labels[b]
                first_a, first_b = by_label[la][0]["onset"], by_label[lb][0]["onset"]
                first = la if first_a < first_b else lb
                candidates["order"].append((i, {"pair": (la, lb), "first": first}))
    chosen: list[tuple[int, str, dict]] = []
    for qtype, quota in TQA_QUOTA.items():
        pool = list(candidates[qtype])
        rng.shuffle(pool)
        used_clips: set[int] = set()
        picked = []
        for item in pool:
            if item[0] not in used_clips and len(picked) < quota:
                picked.append(item)
                used_clips.add(item[0])
        for item in pool:
            if len(picked) >= quota:
                break
            if item not in picked:
                picked.append(item)
        if len(picked) < quota:
            raise RuntimeError(f"only {len(picked)} {qtype} questions possible, need {quota}")
        chosen.extend((i, qtype, q) for i, q in picked)
    chosen.sort(key=lambda x: (x[0], list(TQA_QUOTA).index(x[1])))
    out = []
    for n, (i, qtype, q) in enumerate(chosen):
        clip = scenes[i]
        if qtype == "order":
            pair = list(q["pair"])
            rng.shuffle(pair)
            names = [CLASS_BY_LABEL[p].name for p in pair]
            question = f"Which happens first, the {names[0]} or the {names[1]}?"
            answer = CLASS_BY_LABEL[q["first"]].name
            out.append(_ref("tqa", n, clip, question=question, answer=answer,
                            extra={"qtype": "order", "options": names, "labels": pair}))
        else:
            out.append(_ref("tqa", n, clip, question=q["question"], answer=q["answer"],
                            extra=q["extra"]))
    return out


# -- writing -------------------------------------------------------------------------------------

def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False)


def build_manifest() -> dict[str, str]:
    """Every manifest file name -> its exact text."""
    index = speech_index()
    utterances = index["utterances"]
    by_topic: dict[str, list[dict]] = {}
    for u in utterances:
        by_topic.setdefault(u["topic"], []).append(u)
    for utts in by_topic.values():
        utts.sort(key=lambda u: u["index"])
    rng = StableRng(SEED)
    scenes = [_event_scene(rng, i, utterances) for i in range(N_SCENES)]
    needles = [_needle_clip(rng, i, utterances) for i in range(N_NEEDLE)]
    speech = [_speech_clip(rng, i, by_topic) for i in range(N_SPEECH)]
    tasks = _tasks(rng, scenes, needles, speech)
    clips = scenes + needles + speech
    for clip in clips:
        clip["audio"] = f"{clip['id']}.wav"
    files = {f"{task}.jsonl": "".join(_dump(r) + "\n" for r in rows)
             for task, rows in tasks.items()}
    speech_digest = hashlib.sha256(
        json.dumps(index, sort_keys=True).encode("utf-8")).hexdigest()
    scene_doc = {
        "version": MANIFEST_VERSION, "seed": SEED, "sample_rate": SAMPLE_RATE,
        "background_dbfs": BACKGROUND_DBFS,
        "snr_definition": "10*log10(mean(event^2) over the event window / mean(background^2) "
                          "over the clip)",
        "labels": list(LABELS),
        "classes": {c.label: {"name": c.name, "queries": list(c.queries),
                              "captions": list(c.captions)} for c in CLASSES},
        "speech_index_sha256": speech_digest,
        "clips": clips,
    }
    lines = ["{"]
    keys = list(scene_doc)
    for key in keys[:-1]:
        lines.append(f"{_dump(key)}: {_dump(scene_doc[key])},")
    lines.append('"clips": [')
    lines.append(",\n".join(_dump(c) for c in clips))
    lines.append("]}")
    files["scenes.json"] = "\n".join(lines) + "\n"
    return files


def write_manifest(folder: str | Path | None = None) -> Path:
    """Write the manifest files to ``folder`` (default: the package's ``manifest/``)."""
    target = Path(folder) if folder is not None else manifest_dir()
    target.mkdir(parents=True, exist_ok=True)
    for name, text in build_manifest().items():
        (target / name).write_text(text, encoding="utf-8", newline="\n")
    return target


if __name__ == "__main__":
    where = write_manifest(sys.argv[1] if len(sys.argv) > 1 else None)
    print(f"wrote the mini manifest to {where}")
