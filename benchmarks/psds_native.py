"""Native PSDS vs sed_scores_eval: time (and equality) on a DCASE-like synthetic set.

    PYTHONPATH=$PWD python benchmarks/psds_native.py [--files 40] [--frames 500] [--classes 10]

Prints seconds of both and the ratio native/reference measured in the same run; needs the
``psds`` extra for the reference.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timebench.metrics.psds_native import psds_native  # noqa: E402

SETS = {"psds1": dict(dtc=0.7, gtc=0.7, cttc=None, alpha_ct=0.0, alpha_st=1.0, max_efpr=100.0),
        "psds2": dict(dtc=0.1, gtc=0.1, cttc=0.3, alpha_ct=0.5, alpha_st=1.0, max_efpr=100.0)}


def synthetic(n_files: int, n_frames: int, n_classes: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    classes = [f"c{k}" for k in range(n_classes)]
    hop = 10.0 / n_frames
    times = np.arange(n_frames + 1) * hop
    frames, gt, durations = {}, {}, {}
    for i in range(n_files):
        events, act = [], np.zeros((n_frames, n_classes))
        # three classes a file, in turn, so every class has events once 3 * files >= classes
        for k in sorted({(3 * i + j) % n_classes for j in range(min(3, n_classes))}):
            on = float(rng.uniform(0, 7))
            off = on + float(rng.uniform(0.3, 3))
            events.append((round(on, 3), round(min(off, 10.0), 3), classes[k]))
            act[(times[:-1] < off) & (times[1:] > on), k] = 1
        # noise smoothed over ~12 frames: detections come out as contiguous regions with a few
        # spurious ones, so both PSDS settings land inside (0, 1) (frame-wise white noise made
        # every detection a run of fragments: psds1 was 0 for both libraries, a void check)
        noise = rng.random((n_frames + 11, n_classes))
        noise = np.cumsum(noise, axis=0)
        noise = (noise[11:] - np.vstack([np.zeros((1, n_classes)), noise[:-12]])) / 12.0
        scores = np.clip(0.35 * act + 1.1 * (noise - 0.5) + 0.3, 0, 1)
        scores = np.round(scores, 3)   # DCASE-style 3-decimal score files
        frames[f"f{i:04d}"] = (times, scores)
        gt[f"f{i:04d}"] = events
        durations[f"f{i:04d}"] = 10.0
    return classes, frames, gt, durations


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--frames", type=int, default=500)
    ap.add_argument("--classes", type=int, default=10)
    args = ap.parse_args()
    classes, frames, gt, durations = synthetic(args.files, args.frames, args.classes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pandas as pd
        from sed_scores_eval.intersection_based import psds as sse_psds
    dfs = {k: pd.DataFrame(np.column_stack([t[:-1], t[1:], s]),
                           columns=["onset", "offset", *classes]) for k, (t, s) in frames.items()}
    for name, p in SETS.items():
        t0 = time.perf_counter()
        ours = psds_native(frames=frames, ground_truth=gt, durations=durations, classes=classes,
                           **p)
        t_native = time.perf_counter() - t0
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = sse_psds(dfs, gt, durations, dtc_threshold=p["dtc"], gtc_threshold=p["gtc"],
                           cttc_threshold=p["cttc"], alpha_ct=p["alpha_ct"],
                           alpha_st=p["alpha_st"], max_efpr=p["max_efpr"])[0]
        t_ref = time.perf_counter() - t0
        print(f"{name}: native {ours.value:.12f} in {t_native:.2f} s, sed_scores_eval "
              f"{float(ref):.12f} in {t_ref:.2f} s, |diff| {abs(ours.value - float(ref)):.1e}, "
              f"time ratio native/reference {t_native / t_ref:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
