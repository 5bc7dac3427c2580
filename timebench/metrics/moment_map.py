"""Moment-retrieval mAP for grounding with ranked or multiple windows (Moment-DETR / Lighthouse).

Definition: the QVHighlights ``standalone_eval`` (Lei et al., "QVHighlights / Moment-DETR",
NeurIPS 2021), used unchanged by Lighthouse (Munakata et al., ``line/lighthouse``,
``training/standalone_eval/eval.py``) for Clotho-Moment, UnAV-100 and TUT2017:

* per query, keep the first ``max_windows`` (10) predicted windows, sort them by decreasing
  score (a stable sort: equal scores keep their order);
* for each IoU threshold ``t`` (0.50, 0.55, ..., 0.95), walk the ranked windows; for each, visit
  the ground-truth windows in decreasing IoU: the first one below ``t`` ends the search (false
  positive), one already taken at this threshold is skipped, the first free one is taken (true
  positive);
* precision / recall over the ranking, recall normalised by the number of ground-truth windows;
  AP is the area under the interpolated precision-recall curve (ActivityNet: precision made
  monotone from the right, summed over recall steps);
* ``mAP@t`` is the mean AP over queries; ``mAP`` the mean over the ten thresholds.

Conventions (ours, documented in ``docs/METRICS.md``)
    * Windows without a score (LALM text) are ranked in the order they were written.
    * A query without a usable prediction (failed parse, nothing predicted) has AP 0 and stays
      in the mean; Lighthouse averages only over queries present in the submission.
    * Values are fractions, not rounded (Lighthouse prints percentages rounded to 2 decimals).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

__all__ = ["MAP_THRESHOLDS", "interpolated_ap", "query_ap", "moment_map", "map_columns"]

#: 0.5:0.05:0.95, rounded to two decimals as the reference does
MAP_THRESHOLDS: tuple[float, ...] = tuple(round(float(t), 2) for t in np.linspace(0.5, 0.95, 10))


def interpolated_ap(precision: np.ndarray, recall: np.ndarray) -> float:
    """Area under the precision-recall curve with precision made non-increasing."""
    p = np.concatenate([[0.0], np.asarray(precision, np.float64), [0.0]])
    r = np.concatenate([[0.0], np.asarray(recall, np.float64), [1.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]
    steps = np.flatnonzero(r[1:] != r[:-1]) + 1
    return float(np.sum((r[steps] - r[steps - 1]) * p[steps]))


def _iou(window: tuple[float, float], gts: np.ndarray) -> np.ndarray:
    inter = np.clip(np.minimum(window[1], gts[:, 1]) - np.maximum(window[0], gts[:, 0]), 0, None)
    union = (window[1] - window[0]) + (gts[:, 1] - gts[:, 0]) - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def query_ap(windows: Sequence[Sequence[float]], scores: Sequence[float] | None,
             ground_truth: Sequence[Sequence[float]], *,
             thresholds: Sequence[float] = MAP_THRESHOLDS, max_windows: int | None = 10
             ) -> np.ndarray:
    """AP of one query at each threshold (array of ``len(thresholds)``).

    ``windows`` are ``(start, end)`` in the model's order, ``scores`` their confidences (None:
    ranked in the given order).  ``max_windows`` keeps the first windows before ranking.
    """
    n_t = len(thresholds)
    wins = [(float(w[0]), float(w[1])) for w in windows]
    sc = [float(s) for s in scores] if scores is not None else [-float(i) for i in range(len(wins))]
    if max_windows is not None:
        wins, sc = wins[:max_windows], sc[:max_windows]
    gt_list = [(float(g[0]), float(g[1])) for g in ground_truth]
    if not wins or not gt_list:
        return np.zeros(n_t)
    order = sorted(range(len(wins)), key=lambda i: -sc[i])   # stable, as list.sort
    if len(gt_list) == 1:
        fast = _one_gt_ap([wins[i] for i in order], gt_list[0], thresholds)
        if fast is not None:
            return fast
    gts = np.asarray(gt_list, np.float64).reshape(-1, 2)
    taken = np.full((n_t, gts.shape[0]), False)
    tp = np.zeros((n_t, len(order)))
    for rank, i in enumerate(order):
        ious = _iou(wins[i], gts)
        by_iou = np.argsort(ious, kind="quicksort")[::-1]
        for k, t in enumerate(thresholds):
            for g in by_iou:
                if ious[g] < t:
                    break
                if taken[k, g]:
                    continue
                taken[k, g] = True
                tp[k, rank] = 1.0
                break
    ctp = np.cumsum(tp, axis=1)
    cfp = np.cumsum(1.0 - tp, axis=1)
    recall = ctp / gts.shape[0]
    precision = ctp / (ctp + cfp)
    return np.array([interpolated_ap(precision[k], recall[k]) for k in range(n_t)])


def _one_gt_ap(ranked: list[tuple[float, float]], gt: tuple[float, float],
               thresholds: Sequence[float]) -> np.ndarray | None:
    """:func:`query_ap` for one ground-truth window, in plain floats (the common grounding
    case; ``None`` when a value is not finite, then the array path runs).  With one window to
    find, at threshold ``t`` the first ranked window with IoU >= ``t`` is the only true
    positive; at rank ``r`` (from 0) precision is ``1 / (r + 1)`` there and lower after, recall
    steps once from 0 to 1, so AP = ``1 / (r + 1)``, or 0 without a hit -- the same float
    operations as the array path (tested equal on random rankings)."""
    g0, g1 = gt
    if not (math.isfinite(g0) and math.isfinite(g1)):
        return None
    glen = g1 - g0
    ious = []
    for w0, w1 in ranked:
        if not (math.isfinite(w0) and math.isfinite(w1)):
            return None
        inter = (w1 if w1 < g1 else g1) - (w0 if w0 > g0 else g0)
        if inter < 0:
            inter = 0.0
        union = (w1 - w0) + glen - inter
        ious.append(inter / union if union > 0 else 0.0)
    out = []
    for t in thresholds:
        ap = 0.0
        for rank, iou in enumerate(ious):
            if iou >= t:
                ap = 1.0 / (rank + 1.0)
                break
        out.append(ap)
    return np.array(out, dtype=np.float64)


def moment_map(per_query_ap: np.ndarray, thresholds: Sequence[float] = MAP_THRESHOLDS
               ) -> dict[str, float]:
    """``mAP`` (mean over thresholds) and ``mAP@0.5`` / ``mAP@0.75`` from ``(n, T)`` APs."""
    ap = np.asarray(per_query_ap, np.float64).reshape(-1, len(thresholds))
    if ap.shape[0] == 0:
        return {"mAP": float("nan"), "mAP@0.5": float("nan"), "mAP@0.75": float("nan")}
    per_t = ap.mean(axis=0)
    out = {"mAP": float(per_t.mean())}
    for t in (0.5, 0.75):
        if t in thresholds:
            out[f"mAP@{t:g}"] = float(per_t[list(thresholds).index(t)])
    return out


def map_columns(predictions: Sequence[Sequence], references: Sequence[Sequence], keep: Sequence[int],
                n_samples: int) -> tuple[dict, dict[str, list]]:
    """For the grounding suite: per-query APs of aligned event lists, as summary + per-sample.

    ``predictions[i]`` / ``references[i]`` are the events of sample ``keep[i]`` (of
    ``n_samples``).  Returns ``({"summary": ..., "resample": fn(positions)}, per_sample)`` with
    per-sample columns ``mAP``, ``mAP@0.5``, ``mAP@0.75`` (None for samples not in ``keep``).
    """
    ap = _event_aps(predictions, references)
    cols = {"mAP": ap.mean(axis=1), "mAP@0.5": ap[:, MAP_THRESHOLDS.index(0.5)],
            "mAP@0.75": ap[:, MAP_THRESHOLDS.index(0.75)]}
    per: dict[str, list] = {k: [None] * n_samples for k in cols}
    for k, v in cols.items():
        column = per[k]
        for i, x in zip(keep, v.tolist()):   # Python floats, as float(v[j])
            column[i] = x
    return {"summary": moment_map(ap), "resample": lambda pos: moment_map(ap[pos])}, per


def _event_ap(pred: Sequence, ref: Sequence) -> np.ndarray:
    """:func:`query_ap` of one sample's predicted and reference events."""
    scores = [e.score for e in pred]
    return query_ap([(e.onset, e.offset) for e in pred],
                    None if any(s is None for s in scores) else scores,
                    [(e.onset, e.offset) for e in ref])


def _event_aps(predictions: Sequence[Sequence], references: Sequence[Sequence]) -> np.ndarray:
    """``(n, T)`` array of :func:`_event_ap` rows, the common case for all samples at once.

    The common case is :func:`_one_gt_ap`'s: one reference window, predicted windows in the
    order written (the first has no score, so none is ranked by score; the first
    ``max_windows`` = 10 are kept), finite values.  The IoUs are the same float operations
    element-wise (``np.minimum``/``np.maximum`` may differ from the ``if`` form only in the
    sign of a zero, which meets no threshold > 0), the AP at a threshold is ``1 / (r + 1)``
    at the first rank ``r`` reaching it, else 0.  Other samples go through :func:`query_ap`
    (tested equal)."""
    n_t = len(MAP_THRESHOLDS)
    ap = np.zeros((len(predictions), n_t))
    rows: list[int] = []      # sample of each kept window
    ranks: list[int] = []
    w0: list = []
    w1: list = []
    g0: list = []             # per sample in `fast`
    g1: list = []
    fast: list[int] = []
    slow: list[int] = []
    for i, (pred, ref) in enumerate(zip(predictions, references)):
        if not pred or not ref:
            continue                      # AP 0 at every threshold
        if len(ref) != 1 or pred[0].score is not None:
            slow.append(i)
            continue
        g = ref[0]
        fast.append(i)
        g0.append(g.onset)
        g1.append(g.offset)
        if len(pred) == 1:                # the usual answer: one window
            e = pred[0]
            rows.append(i)
            ranks.append(0)
            w0.append(e.onset)
            w1.append(e.offset)
            continue
        kept = pred[:10]
        rows.extend([i] * len(kept))
        ranks.extend(range(len(kept)))
        w0.extend([e.onset for e in kept])
        w1.extend([e.offset for e in kept])
    if fast:
        fast_idx = np.array(fast, np.int64)
        gt0 = np.zeros(len(predictions))
        gt1 = np.zeros(len(predictions))
        gt0[fast_idx] = np.array(g0, np.float64)
        gt1[fast_idx] = np.array(g1, np.float64)
        row = np.array(rows, np.int64)
        a = np.array(w0, np.float64)
        b = np.array(w1, np.float64)
        s0, s1 = gt0[row], gt1[row]
        finite = np.isfinite(a) & np.isfinite(b) & np.isfinite(s0) & np.isfinite(s1)
        bad = np.unique(row[~finite])     # recomputed below by query_ap (its warnings too)
        with np.errstate(all="ignore"):
            inter = np.minimum(b, s1) - np.maximum(a, s0)
            inter = np.where(inter < 0, 0.0, inter)
            union = (b - a) + (s1 - s0) - inter
            iou = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
        hit = iou[:, None] >= np.asarray(MAP_THRESHOLDS, np.float64)[None, :]
        big = np.iinfo(np.int64).max
        first_rank = np.where(hit, np.array(ranks, np.int64)[:, None], big)
        starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
        first = np.minimum.reduceat(first_rank, starts, axis=0)
        ap[row[starts]] = np.where(first < big, 1.0 / (np.minimum(first, big - 1) + 1.0), 0.0)
        slow.extend(bad.tolist())
    for i in slow:
        ap[i] = _event_ap(predictions[i], references[i])
    return ap
