"""Metrics recomputed from the per-sample rows a run stores (``<model>/<task>/scores.jsonl``).

``timebench compare`` and ``timebench diff`` work from run folders alone.  The scores file
holds, per sample, the parse outcome (``failed``), the parsed events and the per-sample values
the metric suites export (``iou``; ``event_ntp/nref/nsys``; ``METEOR``...).  This module maps a
metric name to a :class:`~timebench.paired.SumStatistic` over those rows:

========================================  ===============================================
metric                                    recomputed as
========================================  ===============================================
``mIoU``                                  mean of ``iou`` (samples with reference events)
``R1@t``                                  mean of ``iou >= t - 1e-9`` (same samples)
``event_f1`` / ``_precision`` / ``_recall``  from sums of ``event_ntp, event_nref, event_nsys``
``segment_f1`` / ...                      the same with ``segment_*``
``event_f1_macro`` / ``segment_f1_macro``  per-class counts rebuilt from the stored parsed events
``event_error_rate`` / ``segment_...``   ``(sum S + sum D + sum I) / (sum Nref + eps)`` (sed_eval)
``accuracy``                              mean of ``correct``
``accuracy_<qtype>``, ``count_mae``...    mean of ``correct`` / ``abs_error`` over that question type
``joint_f1`` / ``_precision`` / ``_recall``  from sums of ``joint_tp, joint_fp, joint_fn``
``presence_acc_pos`` / ``presence_acc_neg``  mean of ``presence_correct`` over positives / negatives
``parse_failure_rate``                    mean of ``failed``
any other per-sample column               its mean (captioning METEOR / CIDEr / BLEU4 / ROUGE_L,
                                          SODA_c, summary ROUGE, ``segment_mIoU``, ``mAP``)
========================================  ===============================================

Metrics that are not a function of stored per-sample sums -- PSDS (resampled separately,
:mod:`timebench.compare_psds`) -- and rows without the needed columns (runs written before a
column existed) return a reason; the caller lists them as not
compared instead of dropping them silently.  Captioning scores are stored per video (the
ActivityNet protocol averages per video), so their mean is the corpus value.
"""

from __future__ import annotations

import math
import re
from typing import Any, Mapping, Sequence

import numpy as np

from .paired import (SumStatistic, error_rate_from_sums, f1_from_sums, mean_statistic,
                     precision_from_sums, recall_from_sums)
from .types import Event

__all__ = ["metric_statistic", "macro_statistic", "sample_score", "NOT_COMPARABLE"]

_R1 = re.compile(r"^R1@(\d+(?:\.\d+)?)$")
_PRF = re.compile(r"^(event|segment)_(f1|precision|recall)$")
_ER = re.compile(r"^(event|segment)_(error|substitution|deletion|insertion)_rate$")
_ER_PARTS = {"error": ("S", "D", "I"), "substitution": ("S",), "deletion": ("D",),
             "insertion": ("I",)}
_FNS = {"f1": f1_from_sums, "precision": precision_from_sums, "recall": recall_from_sums}

#: metrics that need more than per-sample sums, with the reason shown to the user
NOT_COMPARABLE = {
    "psds1": "PSDS is a curve over the whole set (compared in timebench.compare_psds)",
    "psds2": "PSDS is a curve over the whole set (compared in timebench.compare_psds)",
}


def _column(rows: Sequence[Mapping[str, Any]], key: str) -> tuple[np.ndarray, np.ndarray]:
    """Values of ``key`` (NaN where absent) and a mask of where it is present."""
    vals = np.array([_num(r.get(key)) for r in rows], dtype=np.float64)
    return np.nan_to_num(vals, nan=0.0), ~np.isnan(vals)


def _num(v: Any) -> float:
    # the common types first: this runs once per sample and column
    if type(v) is float:
        return v if math.isfinite(v) else math.nan
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)) and math.isfinite(v):
        return float(v)
    return math.nan



def _qtype(ref: Mapping[str, Any] | None) -> str:
    extra = (ref or {}).get("extra")
    return str(extra.get("qtype", "other")) if isinstance(extra, Mapping) else "other"


def _joint_f1(s: np.ndarray) -> np.ndarray:
    tp, fp, fn = s[..., 0], s[..., 1], s[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), math.nan)


def _joint_precision(s: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(s[..., 0] + s[..., 1] > 0, s[..., 0] / (s[..., 0] + s[..., 1]), 0.0)


def _joint_recall(s: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(s[..., 0] + s[..., 2] > 0, s[..., 0] / (s[..., 0] + s[..., 2]), math.nan)


_JOINT = {"joint_f1": _joint_f1, "joint_precision": _joint_precision,
          "joint_recall": _joint_recall}


def _positive(ref: Mapping[str, Any] | None) -> bool:
    if not ref:
        return False
    if ref.get("present") is not None:
        return bool(ref["present"])
    return bool(ref.get("events"))


def metric_statistic(metric: str, rows: Sequence[Mapping[str, Any]],
                     references: Sequence[Mapping[str, Any] | None] | None = None,
                     suites: Sequence[Mapping[str, Any]] | None = None,
                     labels: Sequence[str] | None = None) -> SumStatistic | str:
    """The statistic of ``metric`` over aligned score rows, or a reason string when not possible.

    ``suites`` (the task's ``metric_suites`` from results.json) and ``labels`` are needed for
    the class-averaged F1, whose per-class counts are recomputed from the stored events.
    """
    if metric in NOT_COMPARABLE:
        return NOT_COMPARABLE[metric]
    m = re.match(r"^(event|segment)_f1_macro$", metric)
    if m:
        return macro_statistic(m.group(1), rows, references, suites or (), labels)
    if metric.endswith("_macro"):
        return "class-averaged metric: per-class counts are not stored per sample"
    if not rows:
        return "no samples"
    if metric == "parse_failure_rate":
        return mean_statistic(np.array([bool(r.get("failed")) for r in rows], np.float64),
                              how="mean of per-sample parse failures")
    if metric == "mIoU" or _R1.match(metric):
        iou, has = _column(rows, "iou")
        if not has.any():
            return "no per-sample 'iou' in the scores"
        m = _R1.match(metric)
        if m:
            return mean_statistic((iou >= float(m.group(1)) - 1e-9).astype(np.float64), has,
                                  how="share of per-sample IoU >= threshold")
        return mean_statistic(iou, has, how="mean of per-sample IoU")
    m = _PRF.match(metric)
    if m:
        cols = [_column(rows, f"{m.group(1)}_{c}") for c in ("ntp", "nref", "nsys")]
        if not all(has.all() for _, has in cols):
            return f"per-sample {m.group(1)} counts missing from the scores"
        return SumStatistic(np.stack([v for v, _ in cols], axis=1), _FNS[m.group(2)],
                            f"recomputed from resampled {m.group(1)} tp/ref/sys counts")
    m = _ER.match(metric)
    if m:
        parts = (*_ER_PARTS[m.group(2)], "nref")
        cols = [_column(rows, f"{m.group(1)}_er_{c}") for c in parts]
        if not all(has.all() for _, has in cols):
            return f"per-sample {m.group(1)} S/D/I counts missing from the scores"
        return SumStatistic(np.stack([v for v, _ in cols], axis=1), error_rate_from_sums,
                            f"recomputed from resampled {m.group(1)} S/D/I/Nref counts")
    if metric in ("joint_f1", "joint_precision", "joint_recall"):
        cols = [_column(rows, f"joint_{c}") for c in ("tp", "fp", "fn")]
        if not all(has.all() for _, has in cols):
            return "per-sample joint tp/fp/fn missing from the scores (an older run)"
        return SumStatistic(np.stack([v for v, _ in cols], axis=1), _JOINT[metric],
                            "recomputed from resampled joint tp/fp/fn")
    m = re.match(r"^(?:accuracy_(\w+)|(count|duration)_mae)$", metric)
    if m and references is not None:
        qtype = m.group(1) or m.group(2)
        kinds = np.array([_qtype(r) == qtype for r in references], dtype=bool)
        vals, has = _column(rows, "correct" if m.group(1) else "abs_error")
        return mean_statistic(vals, has & kinds, how=f"mean over {qtype} questions")
    if metric in ("presence_acc_pos", "presence_acc_neg"):
        if references is None:
            return "needs the references"
        vals, has = _column(rows, "presence_correct")
        pos = np.array([_positive(r) for r in references], dtype=bool)
        mask = has & (pos if metric.endswith("pos") else ~pos)
        return mean_statistic(vals, mask, how="mean of per-sample presence correctness")
    column = "correct" if metric == "accuracy" else metric
    vals, has = _column(rows, column)
    if not has.any():
        return f"no per-sample '{column}' in the scores"
    return mean_statistic(vals, has, how=f"mean of per-sample {column}")


def _events(value: Any) -> list[Event]:
    out = []
    for e in value or []:
        if isinstance(e, Mapping):
            on, off = _num(e.get("onset")), _num(e.get("offset"))
            if not (math.isnan(on) or math.isnan(off)):
                out.append(Event(on, off, e.get("label")))
    return out


def macro_statistic(prefix: str, rows: Sequence[Mapping[str, Any]],
                    references: Sequence[Mapping[str, Any] | None] | None,
                    suites: Sequence[Mapping[str, Any]], labels: Sequence[str] | None
                    ) -> SumStatistic | str:
    """Class-averaged F1: per-file, per-class counts recomputed from the stored parsed events
    (the same :mod:`timebench.metrics.detection` code as the run), resampled by file; the
    average is over classes with reference events in the resample (sed_eval's nanmean)."""
    from .metrics._prf import prf_arrays
    from .metrics.detection import event_based_counts, segment_based_counts

    suite = next((dict(x) for x in suites if isinstance(x, Mapping)
                  and x.get("suite") == f"{prefix}_f1"), None)
    if suite is None or references is None or any(r is None for r in references):
        return f"needs the {prefix}_f1 suite settings and the references"
    if suite.get("ignore_labels"):
        return "labels are ignored in this task: no class average"
    ids = [str(r.get("id")) for r in rows]
    refs = {i: _events(ref.get("events")) for i, ref in zip(ids, references)}
    ests = {i: ([] if r.get("failed") else _events(r.get("events"))) for i, r in zip(ids, rows)}
    vocab = list(labels) if labels else None
    if prefix == "event":
        counts = event_based_counts(refs, ests, t_collar=float(suite.get("t_collar", 0.2)),
                                    percentage_of_length=float(suite.get(
                                        "percentage_of_length", 0.2)),
                                    evaluate_onset=bool(suite.get("evaluate_onset", True)),
                                    evaluate_offset=bool(suite.get("evaluate_offset", True)),
                                    labels=vocab)
    else:
        counts = segment_based_counts(refs, ests, time_resolution=float(
            suite.get("time_resolution", 1.0)), labels=vocab)
    scored = np.array(counts.scored_labels, dtype=bool)
    n_files = len(ids)
    tp, ref, sys_ = (x[:n_files, scored].astype(np.float64)
                     for x in (counts.ntp, counts.nref, counts.nsys))
    c = tp.shape[1]
    eso = str(suite.get("empty_system_output", "zero_score"))

    def fn(sums: np.ndarray) -> np.ndarray:
        f, _, _ = prf_arrays(sums[..., :c], sums[..., c:2 * c], sums[..., 2 * c:],
                             empty_system_output=eso)
        with np.errstate(invalid="ignore"):
            keep = ~np.isnan(f)
            total = np.where(keep, f, 0.0).sum(axis=-1)
            count = keep.sum(axis=-1)
            return np.where(count > 0, total / np.maximum(count, 1), math.nan)

    return SumStatistic(np.concatenate([tp, ref, sys_], axis=1), fn,
                        f"class average recomputed from resampled per-class {prefix} counts")


def sample_score(metric: str, row: Mapping[str, Any] | None) -> float | None:
    """One sample's contribution to ``metric``, for ranking per-sample differences.

    The per-sample IoU for grounding, the per-clip F1 of the counts for detection, the
    per-sample value of mean metrics; ``None`` when the row has nothing for the metric.
    """
    if row is None:
        return None
    if metric == "mIoU" or _R1.match(metric):
        return _opt(row.get("iou"))
    m = _PRF.match(metric) or re.match(r"^(event|segment)_f1_macro$", metric)
    if m:
        tp, ref, sys_ = (_num(row.get(f"{m.group(1)}_{c}")) for c in ("ntp", "nref", "nsys"))
        if any(math.isnan(x) for x in (tp, ref, sys_)):
            return None
        return float(f1_from_sums(np.array([tp, ref, sys_])))
    if metric == "accuracy":
        return _opt(row.get("correct"))
    if metric == "parse_failure_rate":
        return float(bool(row.get("failed")))
    return _opt(row.get(metric))


def _opt(v: Any) -> float | None:
    x = _num(v)
    return None if math.isnan(x) else x
