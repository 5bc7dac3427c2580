"""``energy``: a signal-processing sound event detector with per-class spectral templates.

A real, weight-free baseline for every task kind of the ``mini`` benchmark (and for any data
with a folder of labelled example clips).  It knows nothing about language beyond matching the
words of a query or question to the class phrases of its templates.

Pipeline (one clip; frame ``t`` covers ``[t*hop, (t+1)*hop)``)
    1. **Mel power**: 25 ms Hann windows every 10 ms, 1024-point FFT, 64 triangular mel bands
       (HTK mel scale, 30 Hz - Nyquist): ``P[t, m]``.
    2. **Smoothing**: a 50 ms moving average over time: ``S[t, m]``.
    3. **Adaptive background** (a running low percentile): the median of ``log S`` in each 1 s
       block, then per block the ``bg_quantile`` (0.25) of those medians over a ``bg_window``
       (20 s) centred window: ``B[t, m]``.  It follows slow changes of the background and
       ignores events as long as they fill less than 75 % of the window.
    4. **Activity**: with ``R = S / B`` (band-wise signal-to-background power ratio),
       ``A[t] = max(10 log10(mean_m R[t, m]), 10 log10(mean of the 4 largest R[t, m]) - 5)`` dB:
       the mean catches broadband events, the top-4 term narrow-band ones such as a low hum
       under pink noise (see :func:`frame_activity`).
    5. **Regions**: hysteresis (frames above ``low_db`` connected to a frame above ``high_db``),
       gaps shorter than ``gap`` merged, regions shorter than ``min_duration`` dropped.
    6. **Classification**: the region's mean background-subtracted spectrum
       ``e[m] = mean_t max(P - B, 0)``, turned into a unit vector ``sqrt(e / sum(e))``; its
       cosine similarity to every prototype vector of every class (a class scores the maximum
       over its prototypes, i.e. nearest-prototype matching); the best class wins.  Neighbouring
       regions with the same class closer than ``class_gap`` are merged (knocks, clicks, words).
    7. **Frame scores** (for PSDS), in two tiers.  Inside a region its class scores
       ``0.5 + 0.5 * similarity * mean(a)``, so every threshold above 0.5 gives back the hard
       decisions with their exact boundaries.  Every other (frame, class) scores
       ``0.5 * p[t, k] * a[t]`` (below 0.5), where ``a[t] = clip(A[t] / (2 high_db), 0, 1)``
       and ``p[t, k]`` is a softmax (temperature ``temperature``) of the class similarities of a
       0.25 s local spectrum (of the region's spectrum inside a region).

Templates
    * default ``templates="mini"``: prototypes rendered by the ``mini`` generator's own class
      synthesisers (:func:`timebench.datasets.mini.synth.synthesize`, parameters drawn by its
      event sampler) from a seed stream (:data:`PROTOTYPE_SEED`) that no evaluation clip uses
      (:func:`mini_prototype_draws` checks every drawn synthesis seed against the manifest and
      skips collisions); 24 prototypes per class by default.  Speech prototypes are the
      bundled espeak-ng utterances (the class has no other source): only their long-term
      average spectra are used, never their timing.
      Class phrases (for query matching) and captions come from the benchmark's class table.
    * ``templates=<folder>``: ``<folder>/<label>/*.wav|flac|ogg`` example clips (one prototype
      each: the mean background-subtracted spectrum of its active frames), with an optional
      ``<folder>/<label>/phrases.txt`` (one phrase a line; the first is the caption).
    * ``templates=<file>.json``: vectors saved by :func:`save_templates_json`.

Task kinds
    detection -> events with class labels and ``frame_scores``; grounding -> the regions of the
    class the query names (unknown query: the most active class; no region of that class: the
    region most similar to it); presence -> those regions, absent when there are none (or the
    query names no known class); captioning -> regions captioned with their class's caption;
    summary -> speech regions merged across pauses shorter than ``summary_gap``; qa -> counts,
    first occurrences, durations and presence of the class(es) the question names.

Only numpy is used (no scipy, no torch).  The mel projection and the moving average do their
float operations in the same order as the ``scipy.sparse`` product and
``scipy.ndimage.uniform_filter1d`` they replaced, so the outputs are bit-identical
(``tests/test_energy_noscipy.py``).
"""

from __future__ import annotations

import hashlib
import math
from typing import Any, Sequence

import numpy as np

from timebench.errors import InputError
from timebench.types import Event

from .base import FrameScores, Generation, Request
from .baselines import BaselineAdapter, Setting, infer_qtype, render_text, request_duration
from .energy_detect import Detection, Region, detect
from .energy_features import (DetectorParams, FeatureParams, estimate_background, frame_activity,
                              hysteresis_regions, mel_filterbank, mel_power, smooth_frames,
                              spectrum_vector)
from .energy_templates import (PROTOTYPE_SEED, Templates, _norm_label, example_vector,
                               load_templates, load_templates_json, match_class,
                               mini_prototype_draws, mini_templates, save_templates_json,
                               templates_from_folder)

__all__ = [
    "FeatureParams", "DetectorParams", "Templates", "Region", "Detection",
    "mel_filterbank", "mel_power", "smooth_frames", "estimate_background", "frame_activity",
    "hysteresis_regions", "spectrum_vector", "detect",
    "mini_prototype_draws", "mini_templates", "templates_from_folder", "load_templates_json",
    "save_templates_json", "load_templates", "example_vector", "match_class", "EnergyAdapter",
    "PROTOTYPE_SEED",
]

# -- the adapter ----------------------------------------------------------------------------------

def _positive(v: float) -> bool:
    return v > 0 and math.isfinite(v)


class EnergyAdapter(BaselineAdapter):
    """Energy/onset detector + per-class spectral templates (see the module docstring)."""

    name = "energy"
    outputs = frozenset({"text", "events", "presence", "frame_scores"})
    sample_rate = 16000
    version = "1"
    settings_spec = {
        "templates": Setting("mini", str, "'mini', a folder <label>/*.wav, or a templates .json"),
        "per_class": Setting(24, int, "prototypes per class for templates=mini",
                             lambda v: 1 <= v <= 64, "must be in 1..64"),
        "high_db": Setting(6.0, float, "hysteresis: a region must reach this many dB above "
                                       "the background", _positive, "must be > 0"),
        "low_db": Setting(3.0, float, "hysteresis: a region extends while above this",
                          lambda v: v >= 0, "must be >= 0"),
        "min_duration": Setting(0.1, float, "shortest region kept (s)", lambda v: v >= 0,
                                "must be >= 0"),
        "gap": Setting(0.15, float, "gaps shorter than this are bridged before classifying (s)",
                       lambda v: v >= 0, "must be >= 0"),
        "class_gap": Setting(0.4, float, "same-class regions closer than this are merged (s)",
                             lambda v: v >= 0, "must be >= 0"),
        "bg_window": Setting(20.0, float, "background window (s)", _positive, "must be > 0"),
        "bg_quantile": Setting(0.25, float, "background quantile of block medians",
                               lambda v: 0 < v < 1, "must be in (0, 1)"),
        "temperature": Setting(0.05, float, "softmax temperature of the frame class scores",
                               _positive, "must be > 0"),
        "summary_gap": Setting(1.2, float, "summary: speech regions closer than this form one "
                                           "segment (s)", lambda v: v >= 0, "must be >= 0"),
        "summary_label": Setting("the speaker talks", str,
                                 "summary text of every speech segment"),
        "speech_label": Setting("speech", str, "the template class that is speech"),
    }

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        if self.opt("low_db") > self.opt("high_db"):
            raise InputError("adapter 'energy': low_db must not exceed high_db", field="low_db")
        self.params = DetectorParams(
            bg_window=self.opt("bg_window"), bg_quantile=self.opt("bg_quantile"),
            high_db=self.opt("high_db"), low_db=self.opt("low_db"),
            min_duration=self.opt("min_duration"), gap=self.opt("gap"),
            class_gap=self.opt("class_gap"), temperature=self.opt("temperature"))
        self._templates: Templates | None = None
        # Several requests often share one clip (grounding queries, QA questions): the last
        # few detections are kept, keyed by the waveform's content hash.
        self._recent: dict[tuple[str, float | None], Detection] = {}

    @property
    def templates(self) -> Templates:
        if self._templates is None:
            self._templates = load_templates(self.opt("templates"), per_class=self.opt("per_class"),
                                             dp=self.params)
        return self._templates

    def config(self) -> dict[str, Any]:
        out = super().config()
        out["templates_digest"] = self.templates.digest
        return out

    # -- audio ------------------------------------------------------------------------------------
    def _waveform(self, r: Request) -> np.ndarray:
        sr = self.templates.feature.sample_rate
        if r.waveform is not None:
            if r.sample_rate not in (None, sr):
                from timebench.datasets.audio import resample

                return resample(np.asarray(r.waveform, dtype=np.float32).reshape(-1),
                                int(r.sample_rate), sr)
            return np.asarray(r.waveform, dtype=np.float32).reshape(-1)
        if r.audio:
            from timebench.datasets.audio import read_audio

            return read_audio(r.audio, target_sr=sr)[0]
        raise InputError("the energy baseline needs audio (no waveform and no audio path)",
                         field="audio")

    # -- answers ----------------------------------------------------------------------------------
    def generate(self, requests: Sequence[Request]) -> list[Generation]:
        out = []
        for r in requests:
            try:
                x = self._waveform(r)
            except InputError as exc:
                out.append(Generation(error=str(exc)))
                continue
            out.append(self.answer(r, self._detect(x, request_duration(r))))
        return out

    def _detect(self, x: np.ndarray, duration: float | None) -> Detection:
        key = (hashlib.sha1(np.ascontiguousarray(x).tobytes()).hexdigest(), duration)
        det = self._recent.pop(key, None)
        if det is None:
            det = detect(x, self.templates, self.params, duration=duration)
        self._recent[key] = det
        while len(self._recent) > 8:
            self._recent.pop(next(iter(self._recent)))
        return det

    def answer(self, r: Request, det: Detection) -> Generation:
        """Turn one clip's detection into the answer for the request's task kind."""
        kind = r.kind
        meta: dict[str, Any] = {"regions": len(det.regions)}
        if kind == "detection":
            return self._detection(r, det, meta)
        if kind in ("grounding", "presence"):
            label = match_class(r.query or r.prompt, self.templates)
            meta["class"] = label
            if kind == "presence":
                events = self._windows(det.of(label)) if label else ()
                present = bool(events)
                return Generation(text=render_text(kind, events=events, present=present),
                                  events=events, present=present, meta=meta)
            if label is None:
                label = self._most_active(det)
                meta["class"] = label
                meta["note"] = "query names no known class: the most active class is used"
            regions = det.of(label) if label else []
            if not regions and det.regions and label:
                k = det.labels.index(label)
                regions = [max(det.regions, key=lambda reg: reg.similarities[k])]
                meta["note"] = "no region of the class: the most similar region is used"
            events = self._windows(regions)
            return Generation(text=render_text(kind, events=events), events=events, meta=meta)
        if kind == "captioning":
            events = tuple(Event(g.onset, g.offset, self.templates.caption(g.label))
                           for g in det.regions)
            return Generation(text=render_text(kind, events=events), events=events, meta=meta)
        if kind == "summary":
            events = self._summary(det)
            return Generation(text=render_text(kind, events=events), events=events, meta=meta)
        if kind == "qa":
            return self._qa(r, det, meta)
        return Generation(error=f"energy: unknown task kind {kind!r}")

    @staticmethod
    def _windows(regions: Sequence[Region]) -> tuple[Event, ...]:
        return tuple(Event(g.onset, g.offset) for g in regions)

    @staticmethod
    def _most_active(det: Detection) -> str | None:
        totals: dict[str, float] = {}
        for g in det.regions:
            totals[g.label] = totals.get(g.label, 0.0) + (g.offset - g.onset)
        return max(totals, key=totals.get) if totals else None

    def _detection(self, r: Request, det: Detection, meta: dict) -> Generation:
        wanted = tuple(r.labels) or det.labels
        by_norm = {_norm_label(lab): lab for lab in wanted}
        to_request = {lab: by_norm.get(_norm_label(lab)) for lab in det.labels}
        events = tuple(Event(g.onset, g.offset, to_request[g.label], round(g.similarity, 4))
                       for g in det.regions if to_request[g.label] is not None)
        dropped = sum(1 for g in det.regions if to_request[g.label] is None)
        if dropped:
            meta["note"] = f"{dropped} region(s) of classes outside the task's labels dropped"
        columns = np.zeros((det.scores.shape[0], len(wanted)))
        for k, lab in enumerate(det.labels):
            target = to_request[lab]
            if target is not None:
                columns[:, wanted.index(target)] = det.scores[:, k]
        missing = [w for w in wanted if w not in to_request.values()]
        if missing:
            meta["no_template"] = missing
        frames = FrameScores(times=det.times.copy(), scores=columns, labels=tuple(wanted))
        return Generation(text=render_text("detection", events=events), events=events,
                          frame_scores=frames, meta=meta)

    def _speech_regions(self, det: Detection) -> list[Region]:
        speech = self.opt("speech_label")
        if speech in det.labels:
            return det.of(speech)
        return list(det.regions)

    def _summary(self, det: Detection) -> tuple[Event, ...]:
        segments: list[list[float]] = []
        for g in self._speech_regions(det):
            if segments and g.onset - segments[-1][1] < self.opt("summary_gap"):
                segments[-1][1] = max(segments[-1][1], g.offset)
            else:
                segments.append([g.onset, g.offset])
        label = self.opt("summary_label")
        return tuple(Event(s, e, label) for s, e in segments)

    def _qa(self, r: Request, det: Detection, meta: dict) -> Generation:
        qtype = infer_qtype(r)
        meta["qtype"] = qtype
        question = r.question or r.prompt
        if r.options and qtype in ("choice", "order", "other"):
            firsts = []
            for i, option in enumerate(r.options):
                label = match_class(str(option), self.templates)
                regions = det.of(label) if label else []
                onset = min((g.onset for g in regions), default=math.inf)
                firsts.append((onset, i))
            answer = r.options[min(firsts)[1]]
            meta["first_onsets"] = [f[0] if math.isfinite(f[0]) else None for f in firsts]
            return Generation(text=render_text("qa", answer=answer), answer=answer, meta=meta)
        label = match_class(question, self.templates)
        meta["class"] = label
        regions = det.of(label) if label else []
        if qtype == "count":
            answer: Any = len(regions)
        elif qtype == "duration":
            if not regions and det.regions and label:
                k = det.labels.index(label)
                regions = [max(det.regions, key=lambda g: g.similarities[k])]
            answer = round(max((g.offset - g.onset for g in regions), default=0.0), 2)
        elif qtype == "yesno":
            answer = bool(regions)
        else:
            return Generation(text="", meta={**meta, "note": "energy cannot answer this question "
                                                             "type"})
        return Generation(text=render_text("qa", answer=answer), answer=answer, meta=meta)
