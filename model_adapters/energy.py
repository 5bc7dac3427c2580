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
import json
import math
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from timebench.errors import InputError
from timebench.types import Event

from .base import FrameScores, Generation, Request
from .baselines import BaselineAdapter, Setting, infer_qtype, render_text, request_duration

__all__ = [
    "FeatureParams", "DetectorParams", "Templates", "Region", "Detection",
    "mel_filterbank", "mel_power", "smooth_frames", "estimate_background", "frame_activity",
    "hysteresis_regions", "spectrum_vector", "detect",
    "mini_prototype_draws", "mini_templates", "templates_from_folder", "load_templates_json",
    "save_templates_json", "load_templates", "example_vector", "match_class", "EnergyAdapter",
    "PROTOTYPE_SEED",
]

EPS = 1e-12
#: Seed of the prototype stream for the ``mini`` templates (no evaluation clip uses it).
PROTOTYPE_SEED = 7_000_000_007
TEMPLATE_FORMAT = "timebench-energy-templates"
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")


# -- features -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FeatureParams:
    """Front-end settings; templates are only comparable with spectra made the same way."""

    sample_rate: int = 16000
    win: float = 0.025
    hop: float = 0.010
    n_fft: int = 1024
    n_mels: int = 64
    fmin: float = 30.0
    fmax: float | None = None      # None: Nyquist

    @property
    def win_samples(self) -> int:
        return int(round(self.win * self.sample_rate))

    @property
    def hop_samples(self) -> int:
        return int(round(self.hop * self.sample_rate))


@dataclass(frozen=True)
class DetectorParams:
    """Region finding and classification settings (see the module docstring)."""

    smooth: float = 0.05
    bg_block: float = 1.0
    bg_window: float = 20.0
    bg_quantile: float = 0.25
    high_db: float = 6.0
    low_db: float = 3.0
    min_duration: float = 0.1
    gap: float = 0.15
    class_gap: float = 0.4
    temperature: float = 0.05
    local_window: float = 0.25
    top_bands: int = 4
    peak_offset: float = 5.0


def _hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def _mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


@lru_cache(maxsize=8)
def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float
                   ) -> np.ndarray:
    """Triangular filters on the HTK mel scale, ``(n_mels, n_fft // 2 + 1)``, peak 1.

    A filter narrower than one FFT bin becomes the nearest bin, so no band is empty.
    """
    freqs = np.arange(n_fft // 2 + 1) * sample_rate / n_fft
    pts = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    fb = np.zeros((n_mels, freqs.size))
    for m in range(n_mels):
        lo, c, hi = pts[m], pts[m + 1], pts[m + 2]
        up = (freqs - lo) / max(c - lo, 1e-9)
        down = (hi - freqs) / max(hi - c, 1e-9)
        fb[m] = np.maximum(0.0, np.minimum(up, down))
        if not fb[m].any():
            fb[m, int(np.argmin(np.abs(freqs - c)))] = 1.0
    fb.setflags(write=False)
    return fb


@lru_cache(maxsize=8)
def _sparse_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float):
    """The filterbank's nonzeros per band, padded: ``(columns, weights, counts)``."""
    fb = mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax)
    counts = np.count_nonzero(fb, axis=1)
    width = int(counts.max(initial=0))
    cols = np.zeros((n_mels, width), dtype=np.int64)
    weights = np.zeros((n_mels, width))
    for m in range(n_mels):
        nz = np.flatnonzero(fb[m])
        cols[m, :nz.size] = nz
        weights[m, :nz.size] = fb[m, nz]
    for a in (cols, weights, counts):
        a.setflags(write=False)
    return cols, weights, counts


def _project(power: np.ndarray, fb) -> np.ndarray:
    """``power (frames, bins) @ fb.T`` as a CSR product: per band, ``y += w_k * power[:, k]``
    over the band's nonzero bins in increasing order, starting from 0 (scipy's ``csr_matvecs``)."""
    cols, weights, counts = fb
    out = np.zeros((cols.shape[0], power.shape[0]))
    term = np.empty(power.shape[0])
    for m in range(cols.shape[0]):
        band = out[m]
        for k in range(int(counts[m])):
            np.multiply(power[:, cols[m, k]], weights[m, k], out=term)
            band += term
    return out.T


def mel_power(x: np.ndarray, fp: FeatureParams = FeatureParams()) -> np.ndarray:
    """Mel-band power ``(n_frames, n_mels)``; frame ``t`` is centred on ``(t + 0.5) * hop``.

    ``n_frames = ceil(len(x) / hop)``; the signal is zero-padded at both ends.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    win, hop = fp.win_samples, fp.hop_samples
    n_frames = max(1, -(-x.size // hop))
    pad_left = max(0, (win - hop) // 2)
    total = (n_frames - 1) * hop + win
    padded = np.zeros(total)
    take = min(x.size, total - pad_left)
    padded[pad_left:pad_left + take] = x[:take]
    fb = _sparse_filterbank(fp.sample_rate, fp.n_fft, fp.n_mels, float(fp.fmin),
                            float(fp.fmax or fp.sample_rate / 2))
    frames = np.lib.stride_tricks.sliding_window_view(padded, win)[::hop]
    window = np.hanning(win)
    out = np.empty((n_frames, fp.n_mels))
    step = 4096  # frames per chunk, to bound memory on long clips
    for start in range(0, n_frames, step):
        stop = min(n_frames, start + step)
        spec = np.fft.rfft(frames[start:stop] * window, n=fp.n_fft, axis=1)
        power = spec.real ** 2 + spec.imag ** 2
        out[start:stop] = _project(power, fb)
    return out


def smooth_frames(P: np.ndarray, frames: int) -> np.ndarray:
    """Moving average over ``frames`` frames along time (edges repeat the end values)."""
    if frames <= 1:
        return P
    return _uniform_nearest(np.asarray(P, dtype=np.float64), int(frames))


def _uniform_nearest(P: np.ndarray, size: int) -> np.ndarray:
    """``scipy.ndimage.uniform_filter1d(P, size, axis=0, mode="nearest")`` (origin 0), same bits.

    The window of output ``t`` is inputs ``t - size // 2`` to ``t - size // 2 + size - 1``, edge
    values repeated.  As scipy (1.17): a running sum -- the first window summed in order, then
    ``+ (entering - leaving)`` per step -- divided by ``size`` at each output.
    """
    n = P.shape[0]
    if n == 0:
        return P.copy()
    before = size // 2
    ext = np.concatenate([np.repeat(P[:1], before, axis=0), P,
                          np.repeat(P[-1:], size - before - 1, axis=0)], axis=0)
    steps = np.empty_like(P)
    steps[0] = np.cumsum(ext[:size], axis=0)[-1]
    steps[1:] = ext[size:size + n - 1] - ext[:n - 1]
    return np.cumsum(steps, axis=0) / float(size)


def estimate_background(S: np.ndarray, *, hop: float, block: float, window: float,
                        quantile: float) -> np.ndarray:
    """Running low-percentile background per band (see step 3 of the module docstring)."""
    n_frames, n_mels = S.shape
    bf = max(1, int(round(block / hop)))
    n_blocks = -(-n_frames // bf)
    logs = np.log(S + EPS)
    medians = np.empty((n_blocks, n_mels))
    for b in range(n_blocks):
        medians[b] = np.median(logs[b * bf:(b + 1) * bf], axis=0)
    half = max(1, int(round(window / block / 2)))
    bg_blocks = np.empty_like(medians)
    for b in range(n_blocks):
        lo, hi = max(0, b - half), min(n_blocks, b + half + 1)
        bg_blocks[b] = np.quantile(medians[lo:hi], quantile, axis=0)
    return np.exp(np.repeat(bg_blocks, bf, axis=0)[:n_frames])


def frame_activity(S: np.ndarray, B: np.ndarray, *, top_bands: int = 4,
                   peak_offset: float = 5.0) -> np.ndarray:
    """Activity in dB above the background, per frame.

    ``max(10 log10(mean_m R), 10 log10(mean of the top_bands largest R) - peak_offset)`` with
    ``R = S / B``: the first term catches broadband events, the second narrow-band ones (a low
    hum under pink noise raises only a few bands).  ``peak_offset`` keeps the second term of
    background-only frames below the first (on the ``mini`` backgrounds the top-4 mean of
    background frames stays under 6.1 dB).
    """
    R = S / (B + EPS)
    broad = 10.0 * np.log10(np.mean(R, axis=1) + EPS)
    if top_bands <= 0 or top_bands >= R.shape[1]:
        return broad
    top = np.partition(R, R.shape[1] - top_bands, axis=1)[:, -top_bands:]
    narrow = 10.0 * np.log10(np.mean(top, axis=1) + EPS) - peak_offset
    return np.maximum(broad, narrow)


def hysteresis_regions(activity: np.ndarray, *, high: float, low: float, hop: float,
                       min_duration: float, gap: float) -> list[tuple[int, int]]:
    """Frame ranges ``[start, stop)`` above ``low`` that reach ``high``; gaps < ``gap`` merged."""
    above = activity > low
    if not above.any():
        return []
    edges = np.diff(np.concatenate([[0], above.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    runs = [(int(s), int(e)) for s, e in zip(starts, stops) if activity[s:e].max() > high]
    merged: list[tuple[int, int]] = []
    max_gap = int(round(gap / hop))
    for s, e in runs:
        if merged and s - merged[-1][1] <= max_gap:
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    min_frames = int(round(min_duration / hop))
    return [(s, e) for s, e in merged if e - s >= max(1, min_frames)]


def spectrum_vector(excess: np.ndarray) -> np.ndarray | None:
    """``sqrt(e / sum(e))`` for a non-negative mean spectrum (unit L2 norm); None if empty."""
    e = np.maximum(np.asarray(excess, dtype=np.float64), 0.0)
    total = float(e.sum())
    if not math.isfinite(total) or total <= 0:
        return None
    return np.sqrt(e / total)


# -- templates ------------------------------------------------------------------------------------

_STOP = frozenset("a an the of on in at to and or with by for from is are be some any this that "
                  "it its into over out up down one sound sounds there".split())
_WORD = re.compile(r"[a-z0-9]+")


def _stem(word: str) -> str:
    for suffix in ("ing", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word


def _words(text: str) -> tuple[str, ...]:
    return tuple(_stem(w) for w in _WORD.findall(text.lower().replace("_", " "))
                 if w not in _STOP)


def _norm_label(label: str) -> str:
    return " ".join(_WORD.findall(label.lower().replace("_", " ").replace("-", " ")))


@dataclass(frozen=True)
class Templates:
    """Per-class prototype vectors plus the words used to map queries to classes.

    ``vectors[k]`` is an ``(n_prototypes, n_mels)`` array of unit vectors for ``labels[k]``;
    ``phrases[label]`` are the phrases a query is matched against (label, name, queries,
    captions); ``captions[label]`` is the caption used for dense captioning.
    """

    labels: tuple[str, ...]
    vectors: tuple[np.ndarray, ...]
    phrases: Mapping[str, tuple[str, ...]]
    captions: Mapping[str, str]
    feature: FeatureParams
    source: str
    recipe: str = ""        # what the vectors were made from (file hashes, seeds), for digest

    def __post_init__(self) -> None:
        if not self.labels:
            raise InputError("templates hold no class", path=self.source)
        for label, vecs in zip(self.labels, self.vectors):
            if vecs.ndim != 2 or vecs.shape[1] != self.feature.n_mels or not len(vecs):
                raise InputError(f"class '{label}': expected prototype vectors of length "
                                 f"{self.feature.n_mels}", path=self.source, field=label)

    @property
    def digest(self) -> str:
        """A stable hash of what the templates were made from, for fingerprints.

        With a ``recipe`` (file hashes, or the ``mini`` seeds and manifest hash) it hashes the
        recipe and the front end, so it does not depend on the last bits of floating-point
        arithmetic on this machine; without one it hashes the vectors rounded to 6 decimals.
        """
        h = hashlib.sha256(json.dumps(asdict(self.feature), sort_keys=True).encode())
        h.update(json.dumps([list(self.labels), {k: list(v) for k, v in self.phrases.items()},
                             dict(self.captions)], sort_keys=True).encode())
        if self.recipe:
            h.update(self.recipe.encode())
        else:
            for vecs in self.vectors:
                h.update(np.round(vecs, 6).astype("<f8").tobytes())
        return h.hexdigest()[:16]

    def similarities(self, vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of one unit vector to each class (max over its prototypes)."""
        return np.array([float(np.max(v @ vector)) for v in self.vectors])

    def similarity_matrix(self, unit_rows: np.ndarray) -> np.ndarray:
        """``(n_rows, n_classes)`` similarities of many unit vectors at once."""
        return np.stack([np.max(unit_rows @ v.T, axis=1) for v in self.vectors], axis=1)

    def caption(self, label: str) -> str:
        return self.captions.get(label) or label.replace("_", " ")


def _vectors(rows: Sequence[np.ndarray], *, where: str, label: str) -> np.ndarray:
    vecs = [v for v in rows if v is not None]
    if not vecs:
        raise InputError(f"class '{label}' has no usable example (all silent?)", path=where,
                         field=label)
    return np.stack(vecs)


def _phrases_for_label(label: str, extra: Sequence[str] = ()) -> tuple[str, ...]:
    return tuple(dict.fromkeys([label.replace("_", " "), *extra]))


def mini_prototype_draws(per_class: int = 24) -> list[tuple[str, dict[str, Any]]]:
    """The events the ``mini`` prototypes are made of: ``(label, drawn event)`` pairs.

    For the ``k``-th class, ``per_class`` events are drawn by the generator's event sampler
    (``generate._draw_event``: length, synthesis parameters and synthesis seed) from a
    :class:`~timebench.datasets.mini.rng.StableRng` seeded with ``PROTOTYPE_SEED + k``; a draw
    whose synthesis seed also appears in the manifest (any clip's event or background) is
    skipped, so no prototype shares noise with an evaluation clip.
    """
    from timebench.datasets.mini import data as mini_data
    from timebench.datasets.mini import generate as mini_generate
    from timebench.datasets.mini.render import load_scenes
    from timebench.datasets.mini.rng import StableRng

    used = _manifest_seeds(load_scenes())
    utterances = mini_generate.speech_index()["utterances"]
    out = []
    for k, cls in enumerate(mini_data.CLASSES):
        rng = StableRng(PROTOTYPE_SEED + k)
        taken = attempts = 0
        while taken < per_class and attempts < 20 * per_class:
            attempts += 1
            drawn = mini_generate._draw_event(rng, cls.label, utterances)
            if int(drawn["seed"]) in used:
                continue
            out.append((cls.label, drawn))
            taken += 1
    return out


@lru_cache(maxsize=4)
def mini_templates(per_class: int = 24, fp: FeatureParams = FeatureParams()) -> Templates:
    """Prototypes of the ``mini`` classes, rendered by the generator's own synthesisers.

    Each draw of :func:`mini_prototype_draws` is synthesised clean (no background) by
    :func:`timebench.datasets.mini.synth.synthesize` and reduced to a unit spectrum vector.
    Phrases (for query matching) are each class's label, name, queries and captions; the
    caption is its first caption.
    """
    from timebench.datasets.mini import data as mini_data
    from timebench.datasets.mini.render import RENDER_VERSION, _Speech, manifest_hash
    from timebench.datasets.mini.synth import synthesize

    sr = mini_data.SAMPLE_RATE
    if sr != fp.sample_rate:
        raise ValueError(f"mini audio is {sr} Hz, the front end expects {fp.sample_rate} Hz")
    speech = _Speech()
    rows: dict[str, list[np.ndarray | None]] = {c.label: [] for c in mini_data.CLASSES}
    for label, drawn in mini_prototype_draws(per_class):
        n = drawn["length"] * sr // 100
        x = synthesize(label, n, drawn["params"], drawn["seed"], speech)
        rows[label].append(spectrum_vector(mel_power(x, fp).mean(axis=0)))
    labels, vectors, phrases, captions = [], [], {}, {}
    for cls in mini_data.CLASSES:
        labels.append(cls.label)
        vectors.append(_vectors(rows[cls.label], where="mini", label=cls.label))
        phrases[cls.label] = _phrases_for_label(cls.label, (cls.name, *cls.queries, *cls.captions))
        captions[cls.label] = cls.captions[0]
    recipe = (f"mini per_class={per_class} seed={PROTOTYPE_SEED} "
              f"manifest={manifest_hash()} render={RENDER_VERSION}")
    return Templates(tuple(labels), tuple(vectors), phrases, captions, fp, source="mini",
                     recipe=recipe)


def _manifest_seeds(scenes: Mapping[str, Any]) -> frozenset[int]:
    seeds = set()
    for clip in scenes.get("clips", []):
        seeds.add(int(clip.get("background", {}).get("seed", -1)))
        for ev in clip.get("events", []):
            seeds.add(int(ev.get("seed", -1)))
    return frozenset(seeds)


def example_vector(x: np.ndarray, fp: FeatureParams, dp: DetectorParams) -> np.ndarray | None:
    """One prototype from an example clip: mean background-subtracted spectrum of active frames.

    A clip with no frame ``high_db`` above its own background (e.g. an event that fills the whole
    clip) uses the mean spectrum of all frames instead.
    """
    P = mel_power(x, fp)
    S = smooth_frames(P, int(round(dp.smooth / fp.hop)))
    B = estimate_background(S, hop=fp.hop, block=dp.bg_block, window=dp.bg_window,
                            quantile=dp.bg_quantile)
    active = frame_activity(S, B, top_bands=dp.top_bands, peak_offset=dp.peak_offset) > dp.high_db
    if active.sum() >= 3:
        return spectrum_vector(np.maximum(P[active] - B[active], 0.0).mean(axis=0))
    return spectrum_vector(P.mean(axis=0))


def templates_from_folder(folder: str | Path, *, fp: FeatureParams = FeatureParams(),
                          dp: DetectorParams = DetectorParams()) -> Templates:
    """Templates from ``<folder>/<label>/*.wav|flac|ogg`` (+ optional ``phrases.txt``)."""
    from timebench.datasets.audio import read_audio

    root = Path(folder)
    labels, vectors, phrases, captions = [], [], {}, {}
    digest = hashlib.sha256(json.dumps(asdict(dp), sort_keys=True).encode())
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(p for p in sub.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
        if not files:
            continue
        rows = []
        for f in files:
            x, _ = read_audio(f, target_sr=fp.sample_rate)
            rows.append(example_vector(x, fp, dp))
            digest.update(f"{sub.name}/{f.name}\0".encode())
            digest.update(hashlib.sha256(f.read_bytes()).digest())
        label = sub.name
        extra: list[str] = []
        phrase_file = sub / "phrases.txt"
        if phrase_file.is_file():
            extra = [line.strip() for line in phrase_file.read_text(encoding="utf-8").splitlines()
                     if line.strip()]
        labels.append(label)
        vectors.append(_vectors(rows, where=str(sub), label=label))
        phrases[label] = _phrases_for_label(label, extra)
        captions[label] = extra[0] if extra else label.replace("_", " ")
    if not labels:
        raise InputError("no <label>/*.wav example folders found", path=str(root),
                         field="templates")
    return Templates(tuple(labels), tuple(vectors), phrases, captions, fp, source=str(root),
                     recipe=f"folder {digest.hexdigest()}")


def save_templates_json(templates: Templates, path: str | Path) -> None:
    """Write templates as JSON (see :func:`load_templates_json` for the format)."""
    from timebench.io import atomic_write_json

    atomic_write_json(path, {
        "format": TEMPLATE_FORMAT, "version": 1, "feature": asdict(templates.feature),
        "classes": {label: {"vectors": np.round(vecs, 8).tolist(),
                            "phrases": list(templates.phrases.get(label, ())),
                            "caption": templates.caption(label)}
                    for label, vecs in zip(templates.labels, templates.vectors)},
    })


def load_templates_json(path: str | Path) -> Templates:
    """Read ``{"format": "timebench-energy-templates", "version": 1, "feature": {...},
    "classes": {label: {"vectors": [[...], ...], "phrases": [...], "caption": "..."}}}``.

    Vectors are non-negative spectra of length ``feature.n_mels`` (normalised on reading).
    """
    spath = str(path)
    from timebench.io import read_text_file

    text = read_text_file(Path(path))
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise InputError(f"malformed JSON: {exc}", path=spath) from None
    if not isinstance(raw, dict) or raw.get("format") != TEMPLATE_FORMAT:
        raise InputError(f"not a templates file (expected \"format\": \"{TEMPLATE_FORMAT}\")",
                         path=spath, field="format")
    feat = raw.get("feature") or {}
    known = {f for f in FeatureParams.__dataclass_fields__}
    if not isinstance(feat, dict) or set(feat) - known:
        raise InputError(f"expected an object with keys from {sorted(known)}", path=spath,
                         field="feature")
    fp = FeatureParams(**feat)
    classes = raw.get("classes")
    if not isinstance(classes, dict) or not classes:
        raise InputError("expected a non-empty object label -> {vectors, ...}", path=spath,
                         field="classes")
    labels, vectors, phrases, captions = [], [], {}, {}
    for label, entry in classes.items():
        where = f"classes.{label}"
        if not isinstance(entry, dict):
            raise InputError("expected an object", path=spath, field=where)
        rows = entry.get("vectors")
        if isinstance(rows, list) and rows and not isinstance(rows[0], list):
            rows = [rows]
        try:
            arr = np.asarray(rows, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError("expected a list of number lists", path=spath,
                             field=f"{where}.vectors") from None
        if arr.ndim != 2 or arr.shape[1] != fp.n_mels or not np.all(np.isfinite(arr)) \
                or np.any(arr < 0):
            raise InputError(f"expected non-negative finite vectors of length {fp.n_mels}",
                             path=spath, field=f"{where}.vectors")
        unit = [spectrum_vector(r ** 2) for r in arr]  # rows are sqrt-spectra (or any shape)
        labels.append(label)
        vectors.append(_vectors(unit, where=spath, label=label))
        ph = entry.get("phrases") or []
        if not isinstance(ph, list) or not all(isinstance(p, str) for p in ph):
            raise InputError("expected a list of strings", path=spath, field=f"{where}.phrases")
        phrases[label] = _phrases_for_label(label, ph)
        cap = entry.get("caption")
        captions[label] = cap if isinstance(cap, str) and cap else label.replace("_", " ")
    recipe = "json " + hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Templates(tuple(labels), tuple(vectors), phrases, captions, fp, source=spath,
                     recipe=recipe)


def load_templates(spec: str, *, per_class: int = 24, dp: DetectorParams = DetectorParams()
                   ) -> Templates:
    """``"mini"``, a folder of labelled clips, or a templates JSON file."""
    if spec == "mini":
        return mini_templates(per_class)
    path = Path(spec).expanduser()
    if path.is_dir():
        return templates_from_folder(path, dp=dp)
    if path.is_file():
        return load_templates_json(path)
    raise InputError("templates: not 'mini', a folder of <label>/*.wav, nor a .json file",
                     path=str(path), field="templates")


def match_class(text: str | None, templates: Templates) -> str | None:
    """The class a query or question names, by words shared with the class phrases.

    A class's score is the sum over query words found in its phrases of ``log(1 + K / df)``
    (``K`` classes, ``df`` = classes whose phrases contain the word), plus 100 when one of
    its phrases occurs verbatim in the text.  Words are lower-cased, stop words dropped and a
    final -ing/-es/-ed/-s removed.  No shared word: ``None``.
    """
    if not text:
        return None
    lowered = " ".join(_WORD.findall(text.lower().replace("_", " ")))
    words = set(_words(text))
    vocab = {label: {w for p in templates.phrases.get(label, (label,)) for w in _words(p)}
             for label in templates.labels}
    df: dict[str, int] = {}
    for ws in vocab.values():
        for w in ws:
            df[w] = df.get(w, 0) + 1
    k = len(templates.labels)
    best, best_score = None, 0.0
    for label in templates.labels:
        score = sum(math.log(1 + k / df[w]) for w in words & vocab[label])
        for phrase in templates.phrases.get(label, ()):
            norm = " ".join(_WORD.findall(phrase.lower()))
            if norm and re.search(rf"\b{re.escape(norm)}\b", lowered):
                score += 100.0
                break
        if score > best_score:
            best, best_score = label, score
    return best


# -- detection ------------------------------------------------------------------------------------

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
