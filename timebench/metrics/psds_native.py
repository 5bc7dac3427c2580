"""Intersection-based PSDS in numpy alone (no pandas, no sed_scores_eval).

The same computation as ``sed_scores_eval.intersection_based.psds`` (Ebbers, Serizel,
Haeb-Umbach, "Threshold-Independent Evaluation of Sound Event Detection Scores", ICASSP 2022;
criteria from Bilen et al., ICASSP 2020), written from the papers and that package's documented
behaviour; ``tests/test_psds_native.py`` checks value, per-class values and ROC points against
it to 1e-9 on randomised and hand-built cases.

Steps
    1. **Per-file statistics** (:func:`file_statistics`).  For one file and one class, every
       unique frame score ``u`` is a decision threshold: frames with score ``>= u`` are active,
       runs of active frames are detections.  For each threshold the intersection criteria give
       (rounded to ``time_decimals`` before each comparison, as the reference does):

       * a detection is *relevant* (DTC) when its total intersection with the class's reference
         events is ``>= dtc * its length``; irrelevant detections are false positives (FP);
       * a reference event is a true positive (GTC) when its total intersection with relevant
         detections is ``>= gtc * its length``;
       * (CTTC, only with ``cttc``) an irrelevant detection is a cross trigger on another class
         when its intersection with that class's events is ``>= cttc * its length``.

       Only the *changes* of these counts between consecutive thresholds are kept ("deltas"),
       with the score at which they happen.  A class without reference events in a file (and no
       cross-trigger criterion) needs no criteria: the FP delta is +1 at each local maximum of the
       score curve and -1 at each local minimum.
    2. **Accumulation** (:func:`psd_roc_from_statistics`).  Deltas of any multiset of files are
       summed per unique score and cumulated from the top score down: counts of TP, FP, CT per
       threshold.  TPR = TP / n_ref; eFPR = (FP / total duration + alpha_ct * mean over other
       classes of CT / their reference time) per ``unit_of_time``.  Each class's ROC is sorted by
       (eFPR, TPR), made monotone (cumulative maximum of TPR), reduced to one point per eFPR and
       cut at ``max_efpr``.
    3. **PSD-ROC**: every class's TPR is read as a step function ("previous" value) at the union
       of eFPRs; eTPR = max(0, mean - alpha_st * std) over classes; PSDS is the area under this
       staircase up to ``max_efpr``, divided by ``max_efpr``.

Everything is a pure function; per-file statistics are computed once and can be re-accumulated
for any resample of the files (bootstrap intervals, paired comparison).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

__all__ = [
    "ClassDeltas",
    "FileStats",
    "ClassROC",
    "NativePSDS",
    "SECONDS_PER_UNIT",
    "detection_curves",
    "file_statistics",
    "dataset_statistics",
    "psd_roc_from_statistics",
    "psds_native",
    "staircase_auc",
    "fold_subsets",
]

SECONDS_PER_UNIT = {"second": 1.0, "minute": 60.0, "hour": 3600.0}

@dataclass(frozen=True)
class ClassDeltas:
    """Changes of the counts when the threshold falls below each ``scores[i]`` (one file, class).

    ``cts`` has one column per other class (in class-list order without this class), or is
    ``None`` when no cross-trigger criterion is used.
    """

    scores: np.ndarray
    tps: np.ndarray
    fps: np.ndarray
    cts: np.ndarray | None


@dataclass(frozen=True)
class FileStats:
    """Per-class deltas of one file plus its reference counts/durations and audio duration."""

    deltas: tuple[ClassDeltas, ...]
    n_ref: tuple[int, ...]
    t_ref: tuple[float, ...]
    duration: float


@dataclass(frozen=True)
class ClassROC:
    """One class's ROC after sorting/cummax/unique/cut: TPR, eFPR and the threshold scores."""

    tpr: np.ndarray
    efpr: np.ndarray
    scores: np.ndarray


@dataclass(frozen=True)
class NativePSDS:
    """PSDS, per-class PSDS, the PSD-ROC ``(etpr, efpr)`` and each class's ROC."""

    value: float
    per_class: dict[str, float]
    etpr: np.ndarray
    efpr: np.ndarray
    class_rocs: dict[str, ClassROC]


def _pairs(lo: np.ndarray, hi: np.ndarray, boundary: np.ndarray):
    """All (threshold index, boundary) with ``lo[b] <= index < hi[b]``, sorted by (index, b)."""
    n = np.maximum(hi - lo, 0)
    total = int(n.sum())
    starts = np.cumsum(n) - n
    rows = np.repeat(lo, n) + (np.arange(total) - np.repeat(starts, n))
    cols = np.repeat(boundary, n)
    order = np.lexsort((cols, rows))
    return rows[order], cols[order]


def detection_curves(*, scores: np.ndarray, times: np.ndarray,
                     thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Onsets/offsets ``(len(thresholds), max_events)`` of the detections at each threshold.

    A detection is a run of frames with score ``>= threshold``; detections are in time order,
    unused slots have onset = offset = 0 (zero length: not a detection).  ``thresholds`` must be
    sorted ascending.  Without building the thresholds x frames matrix: a detection starts at
    frame boundary ``b`` for the thresholds in ``(score[b-1], score[b]]`` and ends there for those
    in ``(score[b], score[b-1]]`` (score -inf outside the file).
    """
    n_thr = len(thresholds)
    before = np.concatenate(([-np.inf], scores))     # score left of boundary b = 0..n
    after = np.concatenate((scores, [-np.inf]))      # score right of boundary b
    boundary = np.arange(len(before))
    idx_before = np.searchsorted(thresholds, before, side="right")
    idx_after = np.searchsorted(thresholds, after, side="right")
    rows_on, cols_on = _pairs(idx_before, idx_after, boundary)     # before < u <= after
    rows_off, cols_off = _pairs(idx_after, idx_before, boundary)   # after < u <= before
    counts = np.bincount(rows_on, minlength=n_thr)
    max_events = int(counts.max()) if n_thr else 0
    onsets = np.zeros((n_thr, max_events))
    offsets = np.zeros((n_thr, max_events))
    slot = np.arange(rows_on.size) - (np.cumsum(counts) - counts)[rows_on]
    onsets[rows_on, slot] = times[cols_on]
    offsets[rows_off, slot] = times[cols_off]
    return onsets, offsets


def _round(x, decimals: int):
    return np.round(x, decimals=decimals)


def _criteria(on: np.ndarray, off: np.ndarray, gt_on: np.ndarray, gt_off: np.ndarray,
              others: Sequence[tuple[np.ndarray, np.ndarray]], *, dtc: float, gtc: float,
              cttc: float | None, decimals: int):
    """TP, FP and (with ``cttc``) CT counts per threshold row of ``on``/``off``."""
    is_det = off > on
    n_det = is_det.sum(-1)
    inter = np.maximum(np.minimum(off[..., None], gt_off) - np.maximum(on[..., None], gt_on), 0.0)
    inter_total = _round(np.sum(inter, axis=-1), decimals)
    length = off - on
    relevant = (inter_total >= _round(dtc * length, decimals)) * is_det
    fps = n_det - relevant.sum(-1)
    covered = _round(np.sum(relevant[..., None] * inter, axis=-2), decimals)
    tps = (covered >= _round(gtc * (gt_off - gt_on), decimals)).sum(-1)
    if cttc is None:
        return tps, fps, None
    cts = np.zeros((len(tps), len(others)), dtype=np.int64)
    for j, (o_on, o_off) in enumerate(others):
        if len(o_on) == 0:
            continue
        o_inter = np.maximum(np.minimum(off[..., None], o_off)
                             - np.maximum(on[..., None], o_on), 0.0)
        o_total = _round(np.sum((1 - relevant[..., None]) * o_inter, axis=-1), decimals)
        cts[:, j] = ((o_total >= _round(cttc * length, decimals)) * is_det).sum(-1)
    return tps, fps, cts


def _onset_deltas(scores: np.ndarray) -> np.ndarray:
    """+1 where a local maximum (plateau start) begins, -1 where a local minimum ends."""
    prev = np.concatenate(([-np.inf], scores[:-1]))
    nxt = np.concatenate((scores[1:], [-np.inf]))
    return (scores > prev).astype(np.int64) - (nxt > scores).astype(np.int64)


def _class_deltas(scores: np.ndarray, times: np.ndarray, gt_on: np.ndarray, gt_off: np.ndarray,
                  others: Sequence[tuple[np.ndarray, np.ndarray]], *, dtc: float, gtc: float,
                  cttc: float | None, decimals: int) -> ClassDeltas:
    n_other = len(others)
    if len(gt_on) == 0 and (cttc is None or n_other == 0):
        # no criterion can apply: each local maximum spawns a detection (FP), each local minimum
        # merges two (the reference package takes the same shortcut)
        d = _onset_deltas(scores)
        change = np.abs(d) > 0
        cp = scores[change]
        zeros = np.zeros(len(cp), dtype=np.int64)
        cts = None if cttc is None else np.zeros((len(cp), n_other), dtype=np.int64)
        return ClassDeltas(cp, zeros, d[change], cts)
    thresholds = np.unique(scores)
    on, off = detection_curves(scores=scores, times=times, thresholds=thresholds)
    tps, fps, cts = _criteria(on, off, gt_on, gt_off, others, dtc=dtc, gtc=gtc, cttc=cttc,
                              decimals=decimals)
    cols = [tps[:, None], fps[:, None]] + ([] if cts is None else [cts])
    stats = np.concatenate(cols, axis=1).astype(np.int64)
    # change when the threshold falls below thresholds[i]: stats[i] - stats[i + 1] (0 above top)
    delta = stats - np.concatenate((stats[1:], np.zeros_like(stats[:1])))
    keep = np.abs(delta).sum(1) > 0
    delta = delta[keep]
    return ClassDeltas(thresholds[keep], delta[:, 0], delta[:, 1],
                       None if cts is None else delta[:, 2:])


def file_statistics(*, scores: np.ndarray, times: np.ndarray,
                    events: Sequence[tuple[float, float, str]], classes: Sequence[str],
                    duration: float, dtc: float, gtc: float, cttc: float | None = None,
                    time_decimals: int = 6) -> FileStats:
    """Deltas of one file: ``scores`` ``(frames, len(classes))``, ``times`` the frame boundaries.

    ``events`` are ``(onset, offset, label)`` with same-class events not connected (merge them
    first); every label must be in ``classes``.
    """
    scores = np.asarray(scores, dtype=np.float64)
    times = np.asarray(times, dtype=np.float64)
    per_class = {c: ([], []) for c in classes}
    for on, off, label in events:
        per_class[label][0].append(on)
        per_class[label][1].append(off)
    gt = {c: (np.asarray(v[0], dtype=np.float64), np.asarray(v[1], dtype=np.float64))
          for c, v in per_class.items()}
    deltas = []
    for k, c in enumerate(classes):
        others = [gt[o] for o in classes if o != c]
        deltas.append(_class_deltas(scores[:, k], times, gt[c][0], gt[c][1], others, dtc=dtc,
                                    gtc=gtc, cttc=cttc, decimals=time_decimals))
    n_ref = tuple(len(gt[c][0]) for c in classes)
    t_ref = []
    for c in classes:
        total = 0.0
        for on, off in zip(*per_class[c]):
            total += off - on
        t_ref.append(total)
    return FileStats(tuple(deltas), n_ref, tuple(t_ref), float(duration))


def dataset_statistics(*, frames: Mapping[str, tuple[np.ndarray, np.ndarray]],
                       ground_truth: Mapping[str, Sequence[tuple[float, float, str]]],
                       durations: Mapping[str, float], classes: Sequence[str], dtc: float,
                       gtc: float, cttc: float | None = None,
                       time_decimals: int = 6) -> dict[str, FileStats]:
    """:func:`file_statistics` for every id of ``frames`` (``{id: (times, scores)}``), sorted."""
    return {key: file_statistics(scores=frames[key][1], times=frames[key][0],
                                 events=ground_truth.get(key, ()), classes=classes,
                                 duration=durations[key], dtc=dtc, gtc=gtc, cttc=cttc,
                                 time_decimals=time_decimals)
            for key in sorted(frames)}


def _accumulate(files: Sequence[FileStats], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Unique scores (plus +inf) and cumulated [tps, fps, cts...] counts for class ``k``."""
    cps = np.concatenate([f.deltas[k].scores for f in files])
    parts = []
    for f in files:
        d = f.deltas[k]
        cols = [d.tps[:, None], d.fps[:, None]] + ([] if d.cts is None else [d.cts])
        parts.append(np.concatenate(cols, axis=1))
    deltas = np.concatenate(parts, axis=0).astype(np.float64)
    uniq, inverse = np.unique(cps, return_inverse=True)
    summed = np.zeros((len(uniq), deltas.shape[1]))
    np.add.at(summed, inverse.reshape(-1), deltas)
    stats = np.concatenate((np.cumsum(summed[::-1], axis=0)[::-1], np.zeros_like(summed[:1])))
    return np.concatenate((uniq, [np.inf])), stats


def _monotone_roc(tpr: np.ndarray, efpr: np.ndarray, scores: np.ndarray,
                  max_efpr: float | None) -> ClassROC:
    order = np.lexsort((tpr, efpr))          # by eFPR, then TPR (stable)
    tpr, efpr, scores = tpr[order], efpr[order], scores[order]
    running = np.maximum.accumulate(tpr)
    keep = np.concatenate(([0], np.arange(1, len(tpr))[running[1:] > running[:-1]]))
    tpr, efpr, scores = tpr[keep], efpr[keep], scores[keep]
    # one point per eFPR: the last one (highest TPR)
    efpr_u, first_rev = np.unique(efpr[::-1], return_index=True)
    idx = -1 - first_rev
    tpr, scores = tpr[idx], scores[idx]
    efpr = efpr_u
    if max_efpr is not None:
        cut = int(np.searchsorted(efpr, max_efpr, side="right"))
        tpr, efpr, scores = tpr[:cut], efpr[:cut], scores[:cut]
    return ClassROC(tpr, efpr, scores)


def staircase_auc(*, y: np.ndarray, x: np.ndarray, max_x: float | None = None) -> float:
    """Area under the step curve through ``(x, y)`` (value ``y[i]`` on ``[x[i], x[i+1])``)."""
    order = np.argsort(x)
    x, y = x[order], y[order]
    if max_x is None:
        y = y[:-1]
    else:
        cut = int(np.argmax(np.concatenate((x > max_x, [True]))))
        x = np.concatenate((x[:cut], [max_x]))
        y = y[:cut]
    total = 0.0
    for area in y * (x[1:] - x[:-1]):     # left-to-right, as a plain sum
        total += float(area)
    return total


def _step_previous(x: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Step interpolation: ``y`` of the largest ``x <= at``; 0 left of ``x[0]``."""
    idx = np.searchsorted(x, at, side="right") - 1
    out = y[np.clip(idx, 0, len(y) - 1)].astype(np.float64)
    out[idx < 0] = 0.0
    return out


def psd_roc_from_statistics(files: Sequence[FileStats], *, classes: Sequence[str],
                            alpha_ct: float, alpha_st: float, max_efpr: float,
                            unit_of_time: str = "hour") -> NativePSDS:
    """PSDS of a multiset of files (repeats allowed) from their :func:`file_statistics`."""
    if unit_of_time not in SECONDS_PER_UNIT:
        raise ValueError(f"unit_of_time must be one of {sorted(SECONDS_PER_UNIT)}")
    if not files:
        raise ValueError("PSDS needs at least one file")
    total_duration = 0.0
    for f in files:
        total_duration += f.duration
    n_ref = np.zeros(len(classes), dtype=np.int64)
    t_ref = np.zeros(len(classes))
    for f in files:
        n_ref += np.asarray(f.n_ref, dtype=np.int64)
        for k in range(len(classes)):
            t_ref[k] += f.t_ref[k]
    rocs: dict[str, ClassROC] = {}
    for k, c in enumerate(classes):
        scores, stats = _accumulate(files, k)
        tpr = stats[:, 0] / max(int(n_ref[k]), 1)
        efpr = stats[:, 1] / total_duration
        if alpha_ct != 0.0 and len(classes) > 1:   # one class: nothing to cross-trigger on
            others = [j for j in range(len(classes)) if j != k]
            rates = [stats[:, 2 + i] / max(float(t_ref[j]), 1e-12) for i, j in enumerate(others)]
            efpr = efpr + alpha_ct * np.mean(rates, axis=0)
        efpr = efpr * SECONDS_PER_UNIT[unit_of_time]
        rocs[c] = _monotone_roc(tpr, efpr, scores, max_efpr)
    grid = np.unique(np.sort(np.concatenate([r.efpr for r in rocs.values()])))
    curves = [_step_previous(r.efpr, r.tpr, grid) for r in rocs.values()]
    etpr = np.maximum(np.mean(curves, axis=0) - alpha_st * np.std(curves, axis=0), 0.0)
    if max_efpr is not None:
        etpr = np.concatenate((etpr, [etpr[-1]]))
        grid = np.concatenate((grid, [max_efpr]))
    value = staircase_auc(y=etpr, x=grid, max_x=max_efpr) / max_efpr
    per_class = {c: staircase_auc(y=r.tpr, x=r.efpr, max_x=max_efpr) / max_efpr
                 for c, r in rocs.items()}
    return NativePSDS(float(value), per_class, etpr, grid, rocs)


def psds_native(*, frames: Mapping[str, tuple[np.ndarray, np.ndarray]],
                ground_truth: Mapping[str, Sequence[tuple[float, float, str]]],
                durations: Mapping[str, float], classes: Sequence[str], dtc: float,
                gtc: float, cttc: float | None, alpha_ct: float, alpha_st: float,
                max_efpr: float, unit_of_time: str = "hour",
                time_decimals: int = 6) -> NativePSDS:
    """PSDS of ``{id: (times, scores)}`` against ``{id: [(onset, offset, label)]}``."""
    stats = dataset_statistics(frames=frames, ground_truth=ground_truth, durations=durations,
                               classes=classes, dtc=dtc, gtc=gtc, cttc=cttc,
                               time_decimals=time_decimals)
    return psd_roc_from_statistics(list(stats.values()), classes=classes, alpha_ct=alpha_ct,
                                   alpha_st=alpha_st, max_efpr=max_efpr,
                                   unit_of_time=unit_of_time)


def fold_subsets(*, ids: Sequence[str], n_folds: int, n_iterations: int) -> list[list[str]]:
    """Leave-one-fold-out subsets: ``n_iterations`` seeded shuffles x ``n_folds`` folds.

    Ids are sorted, then shuffled in place with ``RandomState(i)`` for iteration ``i`` (each
    shuffle starts from the previous order), split at ``linspace(0, n, n_folds + 1)``; this is the
    resampling of sed_scores_eval's ``bootstrapped_psds``.
    """
    order = sorted(ids)
    cuts = np.linspace(0, len(order), n_folds + 1).astype(int)
    out = []
    for i in range(n_iterations):
        np.random.RandomState(i).shuffle(order)
        for j in range(n_folds):
            out.append(list(order[:cuts[j]] + order[cuts[j + 1]:]))
    return out
