"""Resampling matches the models' reference pipelines: ``librosa.resample``'s default
(``res_type="soxr_hq"``), which is what ``librosa.load(path, sr=16000)`` does in Qwen2-Audio /
SALMONN / TimeAudio-style code.  Numbers of the comparison with the former scipy polyphase path
are printed by ``benchmarks/resampling.py`` (docs/DATASETS.md)."""

from __future__ import annotations

import numpy as np
import pytest

from timebench.datasets.audio import read_audio, resample


def _signal(sr: int, seconds: float = 1.5) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    rng = np.random.default_rng(3)
    return (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(t.size)).astype(
        np.float32)


@pytest.mark.parametrize("sr", [44100, 48000, 22050, 8000])
def test_default_equals_librosa_default(sr):
    librosa = pytest.importorskip("librosa")
    x = _signal(sr)
    ref = librosa.resample(x, orig_sr=sr, target_sr=16000)      # res_type="soxr_hq"
    got = resample(x, sr, 16000)
    assert got.dtype == np.float32 and got.shape == ref.shape
    np.testing.assert_array_equal(got, ref)


def test_polyphase_kept_and_close_in_the_pass_band():
    t = np.arange(44100 * 3 // 2) / 44100
    x = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)  # no broadband noise
    a = resample(x, 44100, 16000)
    b = resample(x, 44100, 16000, method="polyphase")
    assert a.shape == b.shape == (24000,)
    # a 440 Hz tone is deep in both pass bands: the two agree to better than -40 dB
    err = np.sum((a - b)[2000:-2000] ** 2) / np.sum(a[2000:-2000] ** 2)
    assert 10 * np.log10(err) < -40
    with pytest.raises(ValueError):
        resample(x, 44100, 16000, method="sinc")


def test_read_audio_uses_it(tmp_path):
    sf = pytest.importorskip("soundfile")
    x = _signal(48000, 0.5)
    sf.write(str(tmp_path / "a.wav"), x, 48000, subtype="FLOAT")
    wav, sr = read_audio(tmp_path / "a.wav", target_sr=16000)
    np.testing.assert_array_equal(wav, resample(x, 48000, 16000))
    assert sr == 16000
