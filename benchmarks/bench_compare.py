#!/usr/bin/env python
"""Time of ``timebench compare`` and ``timebench diff`` on two runs of 100k samples, one core.

    python benchmarks/bench_compare.py                   # 100,000 samples (the issue's size)
    python benchmarks/bench_compare.py --samples 10000   # quicker

Writes two synthetic grounding runs (100k samples each, 5 % of samples changed between them,
a few samples present in one run only) to a temporary folder, then times, in this process and
on one core (BLAS threads pinned to 1 before numpy loads):

* ``compare`` (reading both runs, 3 metrics, 1000 paired bootstrap resamples and 1000
  permutation replicates each, Holm), through :func:`timebench.compare.compare_runs`;
* ``diff`` (reading predictions and scores of both runs, per-sample text/parse/score
  comparison, sorting) through :func:`timebench.rundiff.diff_runs`;
* the statistics alone against a reference: the same paired bootstrap and permutation test
  written the plain way (one ``numpy`` index draw / swap and one metric recomputation per
  replicate), to show what the sum-statistic formulation buys.

Target (issue 14): compare + diff under 10 s on one core.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "helpers"))


def make_runs(folder: Path, n: int, seed: int = 0):
    from synthetic_runs import grounding_references, grounding_rows, write_run

    rng = np.random.default_rng(seed)
    ious = rng.uniform(0, 1, n)
    changed = rng.random(n) < 0.05
    b_ious = np.where(changed, np.clip(ious + rng.normal(0, 0.2, n), 0, 1), ious)
    refs = grounding_references(n)
    a_rows, b_rows = grounding_rows(ious), grounding_rows(b_ious)[:-3]   # 3 only in A
    ra = write_run(folder / "a", {"m": {"tag": a_rows}}, {"tag": refs})
    rb = write_run(folder / "b", {"m": {"tag": b_rows}}, {"tag": refs})
    return ra, rb, ious[:-3], b_ious[:-3]


def plain_paired(a: np.ndarray, b: np.ndarray, iterations: int, seed: int = 0) -> float:
    """Reference: the same paired bootstrap + permutation test, one replicate at a time."""
    rng = np.random.default_rng(seed)

    def metrics(x):
        return np.array([x.mean(), (x >= 0.5).mean(), (x >= 0.7).mean()])

    t0 = time.perf_counter()
    n = a.size
    observed = metrics(b) - metrics(a)
    boot, extreme = [], np.zeros(3)
    for _ in range(iterations):
        idx = rng.integers(0, n, n)
        boot.append(metrics(b[idx]) - metrics(a[idx]))
        swap = rng.random(n) < 0.5
        d = metrics(np.where(swap, a, b)) - metrics(np.where(swap, b, a))
        extreme += np.abs(d) >= np.abs(observed)
    np.quantile(np.array(boot), [0.025, 0.975], axis=0)
    return time.perf_counter() - t0


def core_paired(a: np.ndarray, b: np.ndarray, iterations: int) -> float:
    """timebench's statistics alone (no file reading): paired_compare_many on 3 metrics."""
    from timebench.paired import mean_statistic, paired_compare_many

    t0 = time.perf_counter()
    pairs = [(mean_statistic(f(a)), mean_statistic(f(b)))
             for f in (lambda x: x, lambda x: (x >= 0.5) * 1.0, lambda x: (x >= 0.7) * 1.0)]
    paired_compare_many(pairs, iterations=iterations)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--iterations", type=int, default=1000)
    args = ap.parse_args()
    from timebench.compare import compare_runs
    from timebench.rundiff import diff_runs
    from timebench.runs import load_run

    with tempfile.TemporaryDirectory() as tmp:
        ra, rb, a, b = make_runs(Path(tmp), args.samples)
        t0, c0 = time.perf_counter(), time.process_time()
        out = compare_runs(load_run(ra), load_run(rb), iterations=args.iterations)
        t_compare, c_compare = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        diff = diff_runs(load_run(ra), load_run(rb))
        t_diff, c_diff = time.perf_counter() - t0, time.process_time() - c0
    t_plain = plain_paired(a, b, args.iterations)
    t_core = core_paired(a, b, args.iterations)
    miou = next(e for e in out["entries"] if e["metric"] == "mIoU")
    task = diff["tasks"][0]
    print(f"samples per run: {args.samples:,}; shared: {miou['n']:,}; "
          f"{args.iterations} bootstrap + {args.iterations} permutation replicates; one core")
    print(f"compare: {t_compare:6.2f} s wall, {c_compare:6.2f} s CPU  (mIoU diff "
          f"{miou['diff']:+.5f}, CI [{miou['ci_low']:+.5f}, {miou['ci_high']:+.5f}], "
          f"p {miou['p_value']:.3g}; {len(out['entries'])} metrics)")
    print(f"diff:    {t_diff:6.2f} s wall, {c_diff:6.2f} s CPU  ({task['n_score_changed']:,} "
          f"samples changed score, {len(task['only_a'])} only in A)")
    total, cpu = t_compare + t_diff, c_compare + c_diff
    print(f"total:   {total:6.2f} s wall, {cpu:6.2f} s CPU  (target < 10 s on one core: "
          f"{'met' if cpu < 10 else 'NOT met'}; CPU time is the one-core figure on a shared "
          "machine, wall time includes waiting for other processes)")
    print(f"statistics alone (3 metrics, bootstrap + permutation): timebench {t_core:.2f} s, "
          f"plain per-replicate loop {t_plain:.2f} s: {t_plain / t_core:.1f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
