"""Paired comparison of PSDS between two runs (the PSDS part of ``timebench compare``).

PSDS is a curve over the whole set, not a function of per-sample sums, so it gets its own
paired resampling, built on per-file intermediate statistics (:mod:`timebench.metrics.psds_native`;
the same "deltas" as sed_scores_eval's ``intermediate_statistics_deltas``): they are computed
once per run, and PSDS of any multiset of files is the PSD-ROC of those files' statistics
(a file drawn twice counts twice), which is how sed_scores_eval's own ``bootstrapped_psds``
resamples.  So, with the same definitions as for the other metrics:

* bootstrap replicate: draw shared files with replacement; PSDS of A and of B on that draw;
* permutation replicate: per file, take A's or B's statistics at random for "A*" (the other for
  "B*"); ``|PSDS(B*) - PSDS(A*)|`` against the observed ``|diff|``.

Each replicate costs two PSD-ROC computations, so the default is fewer replicates than for the
other metrics (``psds_iterations``, 100 in ``compare``).  Frame scores come from the runs' ``predictions.jsonl``
(the runner stores them); a failed sample uses all-zero scores, as when the run was scored.
Needs numpy only (no pandas, no sed_scores_eval).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from .paired import PairedResult
from .runs import Run
from .types import Event

__all__ = ["paired_psds"]


@dataclass(frozen=True)
class _Frames:
    times: np.ndarray
    scores: np.ndarray
    labels: tuple[str, ...]


def _frames(pred: Mapping[str, Any] | None, row: Mapping[str, Any]) -> _Frames | None:
    if row.get("failed") or not pred or not isinstance(pred.get("frame_scores"), Mapping):
        return None
    fs = pred["frame_scores"]
    return _Frames(np.asarray(fs["times"], np.float64), np.asarray(fs["scores"], np.float64),
                   tuple(str(x) for x in fs["labels"]))


def _events(ref: Mapping[str, Any]) -> list[Event]:
    return [Event(float(e["onset"]), float(e["offset"]), e.get("label"))
            for e in ref.get("events") or []]


def paired_psds(run_a: Run, model_a: str, run_b: Run, model_b: str, task: str, metric: str,
                ids: Sequence[str], *, iterations: int = 200, confidence: float = 0.95,
                seed: int = 0) -> PairedResult | str:
    """Paired bootstrap interval and permutation p-value of ``metric`` (psds1 / psds2)."""
    from .metrics.psds import (native_statistics, native_value, prepare_psds_arrays,
                               resolve_params)

    refs = run_a.references(task) or run_b.references(task)
    if any(i not in refs for i in ids):
        return "PSDS needs the references of every shared sample"
    labels = run_a.task_info(task).get("labels")
    events = {i: _events(refs[i]) for i in ids}
    durations = {i: refs[i].get("duration") for i in ids}
    params = resolve_params(metric)
    stats, scored = [], ()
    for run, model in ((run_a, model_a), (run_b, model_b)):
        preds, rows = run.predictions(model, task), run.scores(model, task)
        frames = {i: _frames(preds.get(i), rows[i]) for i in ids}
        if not any(v is not None for v in frames.values()):
            return "no frame scores in this run: PSDS needs them"
        arrays, gt, dur, scored, _ = prepare_psds_arrays(frames, events, durations,
                                                         labels=labels)
        if not scored:
            return "no reference events: PSDS is undefined"
        stats.append(native_statistics(arrays, gt, dur, scored, params=params))

    def value(pick: np.ndarray, side: np.ndarray) -> float:
        """PSDS of files ``ids[pick[k]]`` taken from run ``side[k]`` (0 = A, 1 = B)."""
        files = [stats[s][ids[j]] for j, s in zip(pick, side)]
        if not any(sum(f.n_ref) for f in files):
            return math.nan
        return native_value(files, scored, params).value

    n = len(ids)
    every = np.arange(n)
    zeros, ones = np.zeros(n, np.int64), np.ones(n, np.int64)
    va, vb = value(every, zeros), value(every, ones)
    observed = vb - va
    rng = np.random.default_rng(seed)
    boot, extreme, valid = [], 0, 0
    for _ in range(iterations):
        pick = rng.integers(0, n, n)
        boot.append(value(pick, ones) - value(pick, zeros))
        swap = (rng.random(n) < 0.5).astype(np.int64)
        d = value(every, 1 - swap) - value(every, swap)
        if math.isfinite(d):
            valid += 1
            extreme += abs(d) >= abs(observed) - 1e-12 * max(1.0, abs(observed))
    draws = np.array([x for x in boot if math.isfinite(x)])
    alpha = (1.0 - confidence) / 2.0
    low, high = (np.quantile(draws, [alpha, 1.0 - alpha]) if draws.size
                 else (math.nan, math.nan))
    p = (1 + extreme) / (1 + valid) if math.isfinite(observed) else math.nan
    return PairedResult(n, va, vb, observed, float(low), float(high), float(p), iterations,
                        confidence)
