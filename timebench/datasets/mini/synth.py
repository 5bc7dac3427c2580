"""Signal synthesis for the ``mini`` benchmark's sound classes and backgrounds (numpy only).

Every ``synth_*`` function returns exactly ``n`` float64 samples at ``SAMPLE_RATE`` with an RMS
of 1 over the whole event window, so the renderer sets the level with one gain
(``background_rms * 10**(snr_db / 20)``).  Tonal events get 5 ms raised-cosine fades (50 ms for
the hum) so no energy leaks outside their window.  The class signatures are chosen to be easy
to tell apart by ear and by simple features:

=============  ================================================================================
beep           steady sine (660-1500 Hz)
chirp          exponential sine sweep upward (300-600 Hz -> 2-3.5 kHz)
noise burst    band-limited white noise (300-1500 Hz to 4-7 kHz)
click train    2 ms decaying 3 kHz clicks at 8-16 per second, evenly filling the window
speech         an espeak-ng utterance from ``assets/speech``
alarm          phase-continuous square alternation of two tones every 0.2-0.3 s
knock          2-4 damped low sines (120-220 Hz) with a noise transient, 0.25-0.4 s apart
hum            low sine (50-120 Hz) with 2nd and 3rd harmonics and a slow 2 % wobble
=============  ================================================================================

Backgrounds are stationary coloured noise (``pink``: 1/f power, ``brown``: 1/f^2 power), high-
passed at 40 Hz, shaped in the frequency domain from seeded Gaussian noise.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .data import SAMPLE_RATE

__all__ = ["SYNTHS", "synthesize", "background", "unit_rms"]

SR = SAMPLE_RATE


def unit_rms(x: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean(np.square(x)))) if x.size else 0.0
    return x / rms if rms > 0 else x


def _fade(x: np.ndarray, seconds: float = 0.005) -> np.ndarray:
    k = min(int(round(seconds * SR)), x.size // 2)
    if k > 0:
        ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(k) / k)
        x[:k] *= ramp
        x[-k:] *= ramp[::-1]
    return x


def _t(n: int) -> np.ndarray:
    return np.arange(n) / SR


def synth_beep(n: int, params: dict, rng: np.random.Generator) -> np.ndarray:
    return _fade(np.sin(2 * np.pi * params["freq_hz"] * _t(n)))


def synth_chirp(n: int, params: dict, rng: np.random.Generator) -> np.ndarray:
    f0, f1 = float(params["start_hz"]), float(params["end_hz"])
    dur = n / SR
    k = np.log(f1 / f0) / dur
    phase = 2 * np.pi * f0 * (np.exp(k * _t(n)) - 1) / k
    return _fade(np.sin(phase))


def _bandpass(x: np.ndarray, low: float, high: float) -> np.ndarray:
    spec = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(x.size, 1 / SR)
    spec[(freqs < low) | (freqs > high)] = 0
    return np.fft.irfft(spec, n=x.size)


def synth_noise_burst(n: int, params: dict, rng: np.random.Generator) -> np.ndarray:
    x = _bandpass(rng.standard_normal(n), params["low_hz"], params["high_hz"])
    return _fade(x)


def synth_click_train(n: int, params: dict, rng: np.random.Generator) -> np.ndarray:
    click_len = int(0.002 * SR)
    click = np.sin(2 * np.pi * 3000 * _t(click_len)) * np.exp(-_t(click_len) / 0.0005)
    span = n - click_len
    count = max(2, int(span / SR * params["rate_hz"]) + 1)
    starts = np.round(np.linspace(0, span, count)).astype(int)
    x = np.zeros(n)
    for s in starts:
        x[s:s + click_len] += click
    return x


def synth_alarm(n: int, params: dict, rng: np.random.Generator) -> np.ndarray:
    switch = int(params["switch_cs"]) * SR // 100
    which = (np.arange(n) // switch) % 2
    freq = np.where(which == 0, float(params["high_hz"]), float(params["low_hz"]))
    phase = 2 * np.pi * np.cumsum(freq) / SR
    return _fade(np.sin(phase))


def synth_knock(n: int, params: dict, rng: np.random.Generator) -> np.ndarray:
    spacing = int(params["spacing_cs"]) * SR // 100
    knock_len = min(int(0.2 * SR), n)
    tk = _t(knock_len)
    body = np.sin(2 * np.pi * params["freq_hz"] * tk) * np.exp(-tk / 0.03)
    x = np.zeros(n)
    for k in range(int(params["count"])):
        start = k * spacing
        if start >= n:
            break
        seg = body + 0.3 * rng.standard_normal(knock_len) * np.exp(-tk / 0.004)
        end = min(n, start + knock_len)
        x[start:end] += seg[:end - start]
    return _fade(x, 0.002)


def synth_hum(n: int, params: dict, rng: np.random.Generator) -> np.ndarray:
    f = float(params["freq_hz"])
    t = _t(n)
    wobble = 1 + 0.02 * np.sin(2 * np.pi * 0.7 * t)
    x = (np.sin(2 * np.pi * f * t) + 0.5 * np.sin(4 * np.pi * f * t)
         + 0.3 * np.sin(6 * np.pi * f * t)) * wobble
    return _fade(x, 0.05)


SYNTHS: dict[str, Callable[[int, dict, np.random.Generator], np.ndarray]] = {
    "beep": synth_beep,
    "chirp": synth_chirp,
    "noise burst": synth_noise_burst,
    "click train": synth_click_train,
    "alarm": synth_alarm,
    "knock": synth_knock,
    "hum": synth_hum,
}


def synthesize(label: str, n: int, params: dict[str, Any], seed: int,
               speech: Callable[[str], np.ndarray] | None = None) -> np.ndarray:
    """``n`` samples of one event of ``label`` with unit RMS over the window."""
    if label == "speech":
        if speech is None:
            raise ValueError("speech events need the speech asset loader")
        x = np.asarray(speech(params["utterance"]), dtype=np.float64)
        if x.size != n:
            raise ValueError(f"utterance {params['utterance']} has {x.size} samples, the event "
                             f"window {n}")
        return unit_rms(x.copy())
    rng = np.random.Generator(np.random.PCG64(seed))
    return unit_rms(SYNTHS[label](n, params, rng))


def background(kind: str, n: int, seed: int) -> np.ndarray:
    """Unit-RMS stationary coloured noise: ``pink`` (1/f) or ``brown`` (1/f^2), >= 40 Hz."""
    rng = np.random.Generator(np.random.PCG64(seed))
    spec = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / SR)
    shape = np.zeros_like(freqs)
    keep = freqs >= 40.0
    power = {"pink": 1.0, "brown": 2.0}[kind]
    shape[keep] = freqs[keep] ** (-power / 2)
    return unit_rms(np.fft.irfft(spec * shape, n=n))
