"""Kaldi-compatible log mel filter banks in plain torch (BEATs' input features).

BEATs (``BEATs.preprocess``) calls ``torchaudio.compliance.kaldi.fbank(waveform * 2**15,
num_mel_bins=128, sample_frequency=16000, frame_length=25, frame_shift=10)`` and normalises with
``(fbank - 15.41663) / (2 * 6.55582)``.  torchaudio is not a dependency here, so this module
re-implements that call with torchaudio's defaults, step by step as in
``torchaudio/compliance/kaldi.py`` (and Kaldi's ``feat/feature-fbank.cc``):

1. frames of 400 samples every 160 (``snip_edges=True``: ``1 + (n - 400) // 160`` frames, none
   if ``n < 400``); no dither;
2. remove each frame's mean (``remove_dc_offset``);
3. pre-emphasis ``x[t] - 0.97 * x[t-1]`` with ``x[-1] = x[0]``;
4. Povey window ``hann(400, periodic=False) ** 0.85``;
5. zero-pad to 512 samples, power spectrum ``|rfft|**2`` (257 bins);
6. triangular filters equally spaced on Kaldi's mel scale ``1127 ln(1 + f / 700)`` between 20 Hz
   and Nyquist, evaluated at the 256 FFT bin centres below Nyquist (the Nyquist bin weight is 0);
7. ``log(max(energy, eps))`` with ``eps`` the float32 machine epsilon.

Computed in float32 like torchaudio.  Checked against ``kaldi-native-fbank`` in
``tests/test_timeaudio_fbank.py`` when that package is installed.
"""

from __future__ import annotations

import math

import torch

__all__ = ["BEATS_FBANK_MEAN", "BEATS_FBANK_STD", "beats_fbank", "kaldi_fbank", "kaldi_mel_banks", "num_frames"]

BEATS_FBANK_MEAN = 15.41663
BEATS_FBANK_STD = 6.55582


def num_frames(num_samples: int, *, frame_length: int = 400, frame_shift: int = 160) -> int:
    """Frames Kaldi makes from ``num_samples`` with ``snip_edges=True``."""
    if num_samples < frame_length:
        return 0
    return 1 + (num_samples - frame_length) // frame_shift


def _mel(freq):
    return 1127.0 * torch.log(1.0 + freq / 700.0)


def kaldi_mel_banks(*, num_bins: int = 128, padded_window: int = 512, sample_rate: int = 16000,
                    low_freq: float = 20.0, high_freq: float = 0.0) -> torch.Tensor:
    """Triangular mel filters, shape ``(num_bins, padded_window // 2 + 1)`` (last column zero)."""
    nyquist = 0.5 * sample_rate
    if high_freq <= 0.0:
        high_freq += nyquist
    num_fft_bins = padded_window // 2
    fft_bin_width = sample_rate / padded_window
    mel_low = 1127.0 * math.log(1.0 + low_freq / 700.0)
    mel_high = 1127.0 * math.log(1.0 + high_freq / 700.0)
    delta = (mel_high - mel_low) / (num_bins + 1)
    b = torch.arange(num_bins).unsqueeze(1)
    left = mel_low + b * delta
    center = mel_low + (b + 1.0) * delta
    right = mel_low + (b + 2.0) * delta
    mel = _mel(fft_bin_width * torch.arange(num_fft_bins)).unsqueeze(0)
    up = (mel - left) / (center - left)
    down = (right - mel) / (right - center)
    banks = torch.clamp(torch.minimum(up, down), min=0.0)
    return torch.nn.functional.pad(banks, (0, 1))


def kaldi_fbank(waveform: torch.Tensor, *, num_mel_bins: int = 128, sample_rate: int = 16000,
                frame_length_ms: float = 25.0, frame_shift_ms: float = 10.0,
                preemphasis: float = 0.97, low_freq: float = 20.0, high_freq: float = 0.0) -> torch.Tensor:
    """Log mel filter banks of ``waveform`` (``(n,)`` or ``(batch, n)``), shape ``(batch, frames, bins)``.

    Equal to ``torchaudio.compliance.kaldi.fbank`` with its defaults (``dither=0``,
    ``window_type="povey"``, ``use_energy=False``, ``snip_edges=True``) for each row.
    """
    if waveform.dim() == 1:
        waveform = waveform.unsqueeze(0)
    wav = waveform.to(torch.float32)
    size = int(sample_rate * frame_length_ms * 0.001)
    shift = int(sample_rate * frame_shift_ms * 0.001)
    padded = 1 << (size - 1).bit_length()
    n = num_frames(wav.shape[-1], frame_length=size, frame_shift=shift)
    if n == 0:
        return wav.new_zeros(wav.shape[0], 0, num_mel_bins)
    frames = wav.unfold(-1, size, shift)[:, :n]                                  # (B, T, 400)
    frames = frames - frames.mean(dim=-1, keepdim=True)
    previous = torch.cat([frames[..., :1], frames[..., :-1]], dim=-1)
    frames = frames - preemphasis * previous
    window = torch.hann_window(size, periodic=False, dtype=torch.float32, device=wav.device).pow(0.85)
    frames = torch.nn.functional.pad(frames * window, (0, padded - size))
    power = torch.fft.rfft(frames).abs().pow(2.0)                                # (B, T, 257)
    banks = kaldi_mel_banks(num_bins=num_mel_bins, padded_window=padded, sample_rate=sample_rate,
                            low_freq=low_freq, high_freq=high_freq).to(device=wav.device)
    energies = power @ banks.T
    eps = torch.tensor(torch.finfo(torch.float32).eps, device=wav.device)
    return torch.maximum(energies, eps).log()


def beats_fbank(waveform: torch.Tensor) -> torch.Tensor:
    """BEATs input: fbank of ``waveform * 2**15`` (16 kHz), normalised with BEATs' mean and std."""
    fb = kaldi_fbank(waveform.to(torch.float32) * 2 ** 15, num_mel_bins=128, sample_rate=16000)
    return (fb - BEATS_FBANK_MEAN) / (2 * BEATS_FBANK_STD)
