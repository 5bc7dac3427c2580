"""timebench's former resampling (scipy polyphase, ``resample(method="polyphase")``) against
what the models' reference code uses, measured on the features the models see; the last row
of each block is timebench's default now (soxr HQ).

Reference pipelines: ``librosa.load(sr=16000)`` / ``librosa.resample`` (default
``res_type="soxr_hq"``) in SALMONN/TimeAudio-style code, ``soxr`` directly, and the processors'
own feature extractors (Whisper log-mel via ``transformers.WhisperFeatureExtractor``, as in
Qwen2-Audio / Audio Flamingo 3 / SALMONN / TimeAudio; Kaldi fbank via ``kaldi_native_fbank``, the
BEATs front end).  ``torchaudio`` is not installed here (its wheels pin another torch), so
``torchaudio.functional.resample`` is not measured.

Signals, at 44.1 kHz and 48 kHz (the usual rates of official releases): the bundled mini speech
clips (16 kHz FLAC, brought up with soxr VHQ) followed by synthetic events made at the high
rate (noise bursts, a chirp to 20 kHz, clicks, a 7.9 kHz tone near the new Nyquist) -- the
broadband parts are where resamplers differ.

Printed: waveform SNR of ours vs each reference, the feature differences (mean / 99th percentile
/ max absolute, in dB), and the wall time ratio.  Run:

    PYTHONPATH=. python benchmarks/resampling.py
    PYTHONPATH=. python benchmarks/resampling.py --quick   # smoke size: 44.1 kHz only, 3 clips

Needs librosa (not in any extra; the reference pipeline), transformers and scipy (``test``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's timebench, not an installed one
ASSETS = ROOT / "timebench" / "datasets" / "mini" / "assets" / "speech"


def speech_at(sr: int, n_clips: int = 12) -> np.ndarray:
    import soundfile as sf
    import soxr

    clips = []
    for path in sorted(ASSETS.glob("*.flac"))[:n_clips]:
        x, fs = sf.read(str(path), dtype="float64")
        clips.append(soxr.resample(x, fs, sr, quality="VHQ"))
        clips.append(np.zeros(int(0.2 * sr)))
    return np.concatenate(clips)


def events_at(sr: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    parts = []
    t = np.arange(int(1.5 * sr)) / sr
    parts.append(0.3 * rng.standard_normal(t.size) * np.exp(-3 * t))          # noise burst
    f0, f1 = 200.0, 20000.0
    phase = 2 * np.pi * (f0 * t + (f1 - f0) / (2 * t[-1]) * t ** 2)
    parts.append(0.2 * np.sin(phase))                                          # chirp to 20 kHz
    clicks = np.zeros(sr)
    clicks[:: sr // 8] = 0.8
    parts.append(clicks)                                                       # clicks
    parts.append(0.2 * np.sin(2 * np.pi * 7900.0 * np.arange(sr) / sr))       # near 8 kHz
    return np.concatenate(parts)


def ours(x: np.ndarray, sr: int) -> np.ndarray:
    """timebench's previous resampler (scipy polyphase), kept as ``method="polyphase"``."""
    from timebench.datasets.audio import resample

    return resample(x.astype(np.float32), sr, 16000, method="polyphase").astype(np.float64)


def ours_now(x: np.ndarray, sr: int) -> np.ndarray:
    """timebench's default now (soxr HQ, as librosa's default)."""
    from timebench.datasets.audio import resample

    return resample(x.astype(np.float32), sr, 16000).astype(np.float64)


def librosa_default(x, sr):
    import librosa

    return librosa.resample(x, orig_sr=sr, target_sr=16000)


def soxr_vhq(x, sr):
    import soxr

    return soxr.resample(x, sr, 16000, quality="VHQ")


def whisper_logmel(x: np.ndarray) -> np.ndarray:
    """Whisper log-mel (80 bins), converted from its scaled log10 units to dB."""
    from transformers import WhisperFeatureExtractor

    fe = WhisperFeatureExtractor(feature_size=80)
    n = len(x) // fe.hop_length * fe.hop_length
    feats = fe(x[:n].astype(np.float32), sampling_rate=16000, return_tensors="np",
               padding="do_not_pad")["input_features"][0]
    return feats * 40.0  # value = (log10 + 4) / 4  ->  dB = 10 * log10 = 40 * value + const


def kaldi_fbank(x: np.ndarray) -> np.ndarray | None:
    try:
        import kaldi_native_fbank as knf
    except ImportError:
        return None
    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    opts.frame_opts.samp_freq = 16000
    opts.mel_opts.num_bins = 80  # kaldi refuses BEATs' 128 bins at a 512-point FFT (empty filter)
    fb = knf.OnlineFbank(opts)
    fb.accept_waveform(16000, (x * 32768.0).astype(np.float32).tolist())
    fb.input_finished()
    frames = [fb.get_frame(i) for i in range(fb.num_frames_ready)]
    return np.asarray(frames) * (10.0 / np.log(10.0))  # natural log energy -> dB


def snr_db(a: np.ndarray, ref: np.ndarray) -> float:
    n = min(len(a), len(ref))
    err = a[:n] - ref[:n]
    return float(10 * np.log10(np.sum(ref[:n] ** 2) / max(np.sum(err ** 2), 1e-30)))


def compare(fa: np.ndarray, fb: np.ndarray, *, frames_axis: int = 0, floor_db: float = 60.0
            ) -> str:
    """Absolute feature difference in dB: over all cells, and over the cells of the reference
    within ``floor_db`` of its maximum (what is audible; log features of near-silence differ by
    the resamplers' stop-band floors, -100 dB vs -150 dB, which no model hears)."""
    m = min(fa.shape[frames_axis], fb.shape[frames_axis])
    a = np.take(fa, range(m), axis=frames_axis)
    b = np.take(fb, range(m), axis=frames_axis)
    d = np.abs(a - b)
    keep = b > b.max() - floor_db
    dk = d[keep]
    return (f"all cells: mean {d.mean():.3f} p99 {np.percentile(d, 99):.2f} max {d.max():.1f} dB;"
            f" cells within {floor_db:g} dB of max: mean {dk.mean():.3f} p99 "
            f"{np.percentile(dk, 99):.2f} max {dk.max():.2f} dB")


def band_snr_db(a: np.ndarray, ref: np.ndarray, cutoff: float = 7000.0) -> float:
    """SNR after a zero-phase 0-``cutoff`` Hz low-pass of both (the pass band of every
    resampler; they differ in the 7-8 kHz transition band)."""
    from scipy.signal import butter, sosfiltfilt

    sos = butter(10, cutoff, fs=16000, output="sos")
    n = min(len(a), len(ref))
    return snr_db(sosfiltfilt(sos, a[:n]), sosfiltfilt(sos, ref[:n]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="timebench's resampling against the models' "
                                 "reference pipelines")
    ap.add_argument("--quick", action="store_true",
                    help="smoke size: 44.1 kHz only and the first 3 speech clips (same code paths)")
    args = ap.parse_args(argv)
    rates, n_clips = ((44100,), 3) if args.quick else ((44100, 48000), 12)
    print("ours = scipy.signal.resample_poly (timebench), references: librosa.resample default "
          "(soxr_hq), soxr VHQ; torchaudio: not installed here, not measured")
    librosa_default(np.zeros(44100), 44100)  # import and warm up outside the timings
    ours(np.zeros(44100), 44100)
    for sr in rates:
        for label, sig in (("speech", speech_at(sr, n_clips)), ("events", events_at(sr))):
            t0 = time.perf_counter()
            y_ours = ours(sig, sr)
            t_ours = time.perf_counter() - t0
            refs = {}
            t0 = time.perf_counter()
            refs["librosa(soxr_hq)"] = librosa_default(sig, sr)
            t_lib = time.perf_counter() - t0
            refs["soxr VHQ"] = soxr_vhq(sig, sr)
            refs["timebench default (soxr HQ, float32)"] = ours_now(sig, sr)
            print(f"\n{sr} Hz -> 16 kHz, {label} ({len(sig) / sr:.1f} s); time ours "
                  f"{t_ours * 1e3:.1f} ms vs librosa {t_lib * 1e3:.1f} ms "
                  f"(ratio {t_ours / max(t_lib, 1e-9):.2f})")
            m_ours = whisper_logmel(y_ours)
            k_ours = kaldi_fbank(y_ours)
            for name, y in refs.items():
                print(f"  vs {name}: waveform SNR {snr_db(y_ours, y):.1f} dB, 0-7 kHz SNR "
                      f"{band_snr_db(y_ours, y):.1f} dB")
                print(f"     whisper log-mel (80): "
                      f"{compare(m_ours, whisper_logmel(y), frames_axis=1)}")
                if k_ours is not None:
                    print(f"     kaldi fbank (80):     {compare(k_ours, kaldi_fbank(y))}")
            a, b = refs["librosa(soxr_hq)"], refs["soxr VHQ"]
            print(f"  (spread between the references) librosa vs soxr VHQ: SNR {snr_db(a, b):.1f} "
                  f"dB, 0-7 kHz SNR {band_snr_db(a, b):.1f} dB")
            print(f"     whisper log-mel (80): "
                  f"{compare(whisper_logmel(a), whisper_logmel(b), frames_axis=1)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
