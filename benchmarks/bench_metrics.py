#!/usr/bin/env python
"""Speed of timebench's event-based (and segment-based) F1 against sed_eval, same data, same run.

    python benchmarks/bench_metrics.py                 # 10,000 files (the issue's target size)
    python benchmarks/bench_metrics.py --files 1000    # quicker

Prints wall time of both, the ratio, and checks that the numbers are identical (|diff| <= 1e-12).
Imports (numpy, sed_eval/dcase_util) happen before timing; timebench is timed on
its first call (no warm-up) and as the best of ``--repeat`` calls.
Target (issue 2): >= 50x faster than sed_eval with identical numbers.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's timebench, not an installed one


def make_data(n_files: int, n_labels: int, seed: int):
    from timebench.types import Event

    rng = np.random.default_rng(seed)
    labels = [f"class_{k:02d}" for k in range(n_labels)]
    refs, ests = {}, {}
    for i in range(n_files):
        fid = f"clip_{i:05d}.wav"
        r, e = [], []
        for _ in range(int(rng.integers(1, 8))):
            on = float(rng.uniform(0, 9.5))
            off = float(min(10.0, on + rng.exponential(1.0) + 0.05))
            lab = labels[int(rng.integers(n_labels))]
            r.append(Event(on, off, lab))
            if rng.random() < 0.85:
                eon = max(0.0, on + float(rng.normal(0, 0.15)))
                eoff = max(eon, off + float(rng.normal(0, 0.2)))
                elab = lab if rng.random() < 0.9 else labels[int(rng.integers(n_labels))]
                e.append(Event(eon, eoff, elab))
        for _ in range(int(rng.integers(0, 3))):
            on = float(rng.uniform(0, 9.5))
            e.append(Event(on, min(10.0, on + float(rng.exponential(0.8))),
                           labels[int(rng.integers(n_labels))]))
        refs[fid], ests[fid] = r, e
    return labels, refs, ests


def run_sed_eval(labels, refs, ests):
    import sed_eval

    eb = sed_eval.sound_event.EventBasedMetrics(event_label_list=labels, t_collar=0.2,
                                                percentage_of_length=0.2,
                                                empty_system_output_handling="zero_score")
    sb = sed_eval.sound_event.SegmentBasedMetrics(event_label_list=labels, time_resolution=1.0)
    t_event = t_segment = 0.0
    for fid in refs:
        r = [{"filename": fid, "onset": x.onset, "offset": x.offset, "event_label": x.label}
             for x in refs[fid]]
        s = [{"filename": fid, "onset": x.onset, "offset": x.offset, "event_label": x.label}
             for x in ests[fid]]
        t0 = time.perf_counter()
        eb.evaluate(r, s)
        t1 = time.perf_counter()
        sb.evaluate(r, s)
        t2 = time.perf_counter()
        t_event += t1 - t0
        t_segment += t2 - t1
    t0 = time.perf_counter()
    ev = eb.results()
    t_event += time.perf_counter() - t0
    t0 = time.perf_counter()
    seg = sb.results()
    t_segment += time.perf_counter() - t0
    return ev, seg, t_event, t_segment


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--labels", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")

    import sed_eval  # noqa: F401

    from timebench.metrics.detection import event_based_metrics, segment_based_metrics

    labels, refs, ests = make_data(args.files, args.labels, args.seed)
    n_ref = sum(len(v) for v in refs.values())
    n_est = sum(len(v) for v in ests.values())
    print(f"data: {args.files} files, {args.labels} labels, {n_ref} reference and {n_est} "
          f"estimated events")

    t0 = time.perf_counter()
    ours_e = event_based_metrics(refs, ests, labels=labels)
    t_ours_first = time.perf_counter() - t0
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        ours_e = event_based_metrics(refs, ests, labels=labels)
        times.append(time.perf_counter() - t0)
    t_ours = min(times)
    seg_times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        ours_s = segment_based_metrics(refs, ests, labels=labels, empty_system_output="nan")
        seg_times.append(time.perf_counter() - t0)
    t_ours_seg = min(seg_times)

    ev, seg, t_ref_e, t_ref_s = run_sed_eval(labels, refs, ests)

    checks = {
        "event_f1 (micro)": (ours_e["f_measure"], ev["overall"]["f_measure"]["f_measure"]),
        "event_f1_macro": (ours_e["f_measure_macro"], ev["class_wise_average"]["f_measure"]["f_measure"]),
        "segment_f1 (micro)": (ours_s["f_measure"], seg["overall"]["f_measure"]["f_measure"]),
        "segment_f1_macro": (ours_s["f_measure_macro"], seg["class_wise_average"]["f_measure"]["f_measure"]),
    }
    identical = True
    for name, (a, b) in checks.items():
        diff = abs(a - b)
        identical &= diff <= 1e-12
        print(f"  {name:20s} timebench {a:.12f}  sed_eval {b:.12f}  |diff| {diff:.1e}")
    print()
    print(f"event-based   sed_eval {t_ref_e:8.3f} s   timebench {t_ours:8.4f} s (first call "
          f"{t_ours_first:.4f} s)   ratio {t_ref_e / t_ours:7.1f}x  (first call "
          f"{t_ref_e / t_ours_first:.1f}x)")
    print(f"segment-based sed_eval {t_ref_s:8.3f} s   timebench {t_ours_seg:8.4f} s   ratio "
          f"{t_ref_s / t_ours_seg:7.1f}x")
    print(f"numbers identical: {identical}")
    target = t_ref_e / t_ours >= 50
    print(f"target >= 50x on event-based F1: {'met' if target else 'NOT met'}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
