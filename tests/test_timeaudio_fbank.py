"""Kaldi fbank in torch (BEATs input) against kaldi-native-fbank and hand-derived properties."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from model_adapters.timeaudio.fbank import (
    beats_fbank,
    kaldi_fbank,
    kaldi_mel_banks,
    num_frames,
)


def _signal(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 16000
    return (0.1 * rng.standard_normal(n) + 0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def test_frame_count_snip_edges():
    # 1 + (n - 400) // 160; 30 s -> 2998 frames -> 187 BEATs time patches (x 8 mel patches = 1496 tokens)
    assert num_frames(480_000) == 2998 and num_frames(399) == 0 and num_frames(400) == 1
    assert kaldi_fbank(torch.zeros(480_000) + 0.01).shape == (1, 2998, 128)
    assert kaldi_fbank(torch.zeros(100)).shape == (1, 0, 128)


def test_mel_bank_hand_values():
    banks = kaldi_mel_banks(num_bins=23)
    assert banks.shape == (23, 257) and (banks[:, -1] == 0).all()
    # Kaldi mel scale 1127 ln(1 + f/700) from 20 Hz to 8000 Hz, 24 equal steps; bin b peaks at
    # mel_low + (b+1) * delta.  FFT bin k (31.25 Hz wide) at the centre of bin 10 has weight ~1.
    mel = lambda f: 1127 * math.log(1 + f / 700)
    lo, hi = mel(20), mel(8000)
    centre_hz = 700 * (math.exp((lo + 11 * (hi - lo) / 24) / 1127) - 1)
    k = round(centre_hz / 31.25)
    assert banks[10, k] > 0.7 and banks[10].argmax().item() == k
    # every filter is a triangle: weights in [0, 1]
    assert banks.min() >= 0 and banks.max() <= 1


def test_sine_peaks_in_the_right_filter():
    t = torch.arange(16000) / 16000
    fb = kaldi_fbank(torch.sin(2 * math.pi * 1000 * t) * 10000, num_mel_bins=40)[0]
    peak_bin = fb.mean(0).argmax().item()
    banks = kaldi_mel_banks(num_bins=40)
    assert banks[peak_bin, round(1000 / 31.25)] > 0    # the filter that covers 1 kHz


def test_batch_rows_are_independent():
    a, b = _signal(8000, 1), _signal(8000, 2)
    both = kaldi_fbank(torch.from_numpy(np.stack([a, b])))
    assert torch.allclose(both[1], kaldi_fbank(torch.from_numpy(b))[0])


def test_beats_normalisation():
    wav = torch.from_numpy(_signal(16000))
    raw = kaldi_fbank(wav * 2 ** 15)
    assert torch.allclose(beats_fbank(wav), (raw - 15.41663) / (2 * 6.55582))


@pytest.mark.parametrize("bins", [23, 80])
def test_matches_kaldi_native_fbank(bins):
    knf = pytest.importorskip("kaldi_native_fbank")
    x = _signal(16000 * 3 + 123)
    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    opts.mel_opts.num_bins = bins   # (kaldi refuses 128 bins at 512-point FFT: one filter is empty;
    online = knf.OnlineFbank(opts)  #  torchaudio, and therefore BEATs, keeps it as a zero row)
    online.accept_waveform(16000, (x * 32768).tolist())
    online.input_finished()
    ref = np.stack([online.get_frame(i) for i in range(online.num_frames_ready)])
    ours = kaldi_fbank(torch.from_numpy(x) * 32768, num_mel_bins=bins)[0].numpy()
    assert ours.shape == ref.shape
    assert np.abs(ours - ref).max() < 1e-3
