"""Features of the ``energy`` baseline (:mod:`model_adapters.energy`): mel power, smoothing,
adaptive background, frame activity and hysteresis regions (steps 1-5 of its pipeline)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

EPS = 1e-12


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
