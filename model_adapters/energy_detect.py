"""Detection of the ``energy`` baseline (:mod:`model_adapters.energy`): regions, their classes
and frame scores for one clip (steps 5-7 of its pipeline)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .energy_features import (DetectorParams, estimate_background, frame_activity, hysteresis_regions,
                              mel_power, smooth_frames, spectrum_vector)
from .energy_templates import Templates


@dataclass(frozen=True)
class Region:
    """One detected region: seconds, best class, its similarity, all class similarities."""

    onset: float
    offset: float
    label: str
    similarity: float
    similarities: tuple[float, ...]
    peak_db: float


@dataclass
class Detection:
    """Everything :func:`detect` found in one clip."""

    regions: list[Region]
    labels: tuple[str, ...]
    times: np.ndarray               # n_frames + 1 boundaries (seconds)
    activity: np.ndarray            # dB above background, per frame
    scores: np.ndarray              # (n_frames, n_classes) frame scores in [0, 1]
    duration: float
    notes: list[str] = field(default_factory=list)

    def of(self, label: str) -> list[Region]:
        return [r for r in self.regions if r.label == label]


def _softmax(x: np.ndarray, temperature: float) -> np.ndarray:
    z = (x - x.max(axis=-1, keepdims=True)) / max(temperature, 1e-6)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def detect(x: np.ndarray, templates: Templates, dp: DetectorParams = DetectorParams(), *,
           duration: float | None = None) -> Detection:
    """Run the whole pipeline (module docstring, steps 1-7) on one mono waveform."""
    fp = templates.feature
    hop = fp.hop
    n = int(np.asarray(x).size)
    clip_len = duration if duration is not None else n / fp.sample_rate
    P = mel_power(x, fp)
    S = smooth_frames(P, int(round(dp.smooth / hop)))
    B = estimate_background(S, hop=hop, block=dp.bg_block, window=dp.bg_window,
                            quantile=dp.bg_quantile)
    act = frame_activity(S, B, top_bands=dp.top_bands, peak_offset=dp.peak_offset)
    n_frames = P.shape[0]
    times = np.arange(n_frames + 1) * hop
    times[-1] = max(n / fp.sample_rate, times[-2] + 1e-6)  # the last frame ends with the audio
    excess = np.maximum(P - B, 0.0)

    raw = hysteresis_regions(act, high=dp.high_db, low=dp.low_db, hop=hop,
                             min_duration=dp.min_duration, gap=dp.gap)
    spans: list[tuple[int, int, np.ndarray]] = []
    for s, e in raw:
        vec = spectrum_vector(excess[s:e].mean(axis=0))
        if vec is None:
            continue
        spans.append((s, e, templates.similarities(vec)))
    # merge neighbours of the same class (frame-weighted mean of their similarities)
    merged: list[tuple[int, int, np.ndarray]] = []
    class_gap = int(round(dp.class_gap / hop))
    for s, e, sims in spans:
        if merged:
            ps, pe, psims = merged[-1]
            if int(np.argmax(psims)) == int(np.argmax(sims)) and s - pe <= class_gap:
                w1, w2 = pe - ps, e - s
                merged[-1] = (ps, e, (psims * w1 + sims * w2) / (w1 + w2))
                continue
        merged.append((s, e, sims))

    # Frame scores in two tiers.  Inside a region, its class scores 0.5 + 0.5 * confidence
    # (similarity x mean activity strength), so every threshold above 0.5 reproduces the hard
    # decisions with their exact boundaries; everything else (other classes inside a region,
    # every class outside regions) scores 0.5 * softmax(local similarities) * strength, below 0.5.
    local = np.maximum(smooth_frames(excess, int(round(dp.local_window / hop))), 0.0)
    totals = local.sum(axis=1, keepdims=True)
    unit = np.sqrt(local / np.where(totals > 0, totals, 1.0))
    sims_frames = templates.similarity_matrix(unit)
    strength = np.clip(act / (2.0 * dp.high_db), 0.0, 1.0)
    regions = []
    tops: list[tuple[int, int, int, float]] = []
    for s, e, sims in merged:
        sims_frames[s:e] = sims
        k = int(np.argmax(sims))
        confidence = float(np.clip(sims[k], 0.0, 1.0) * strength[s:e].mean())
        tops.append((s, e, k, confidence))
        regions.append(Region(onset=round(float(times[s]), 3),
                              offset=round(float(min(times[e], clip_len)), 3),
                              label=templates.labels[k], similarity=float(sims[k]),
                              similarities=tuple(float(v) for v in sims),
                              peak_db=float(act[s:e].max())))
    scores = 0.5 * _softmax(sims_frames, dp.temperature) * strength[:, None]
    for s, e, k, confidence in tops:
        scores[s:e, k] = 0.5 + 0.5 * confidence
    return Detection(regions=[r for r in regions if r.offset > r.onset],
                     labels=templates.labels, times=times, activity=act, scores=scores,
                     duration=clip_len)
