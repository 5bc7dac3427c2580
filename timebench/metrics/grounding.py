"""Temporal grounding: IoU, mIoU and R1@IoU, in two documented modes.

``mode="set"`` (SpotSound; RELTWIN ``scripts/interval_metrics.py``)
    The predicted intervals and the reference intervals are each merged into a union of disjoint
    intervals; ``SetIoU(P, G) = |∪P ∩ ∪G| / |∪P ∪ ∪G|``.  Every predicted interval counts, so
    extra windows cost precision and missing windows cost recall.

``mode="top1"`` (Lighthouse / Moment-DETR ``standalone_eval/eval.py``)
    Only the first predicted window counts (models list their best window first); its IoU is
    taken with the reference window it overlaps best: ``max_g IoU(p_1, g)``.

The two agree when there is one predicted and one reference window, and differ on
multi-interval queries (TUT, DESED-as-grounding, SpotSound-Bench), which is why the task card
names the mode and results record it.

Conventions (the known traps):

* an empty prediction (or a parse failure) has IoU 0 -- it is scored, never skipped;
* an interval of zero length has IoU 0 with everything (no division by zero);
* ``R1@t`` counts ``IoU >= t``; because IoU is a ratio of float differences, a window that is
  mathematically exactly at the threshold can compute to ``t - 1e-16``, so the comparison uses
  ``IoU >= t - tolerance`` with ``tolerance=1e-9`` (documented, overridable; 0 reproduces a raw
  float comparison);
* ``mIoU`` and ``R1@t`` are fractions in [0, 1] (papers print them x100).
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np

__all__ = [
    "GROUNDING_MODES", "DEFAULT_THRESHOLDS",
    "as_intervals", "merge_intervals", "interval_iou", "iou_matrix",
    "set_iou", "top1_iou", "grounding_ious", "recall_at", "grounding_summary",
]

GROUNDING_MODES = ("set", "top1")
DEFAULT_THRESHOLDS = (0.3, 0.5, 0.7, 0.9)


def as_intervals(value) -> np.ndarray:
    """Return a float64 ``(n, 2)`` array from events, pairs or an array."""
    if isinstance(value, np.ndarray):
        arr = value.astype(np.float64, copy=False)
        return arr.reshape(-1, 2) if arr.size else np.zeros((0, 2))
    rows = []
    for item in value:
        if hasattr(item, "onset"):
            rows.append((item.onset, item.offset))
        else:
            rows.append((item[0], item[1]))
    return np.array(rows, dtype=np.float64).reshape(-1, 2)


def merge_intervals(intervals) -> np.ndarray:
    """Union of intervals as sorted, disjoint ``[start, end]`` rows (touching ones merge)."""
    arr = as_intervals(intervals)
    if arr.shape[0] <= 1:
        return arr.copy()
    arr = arr[np.argsort(arr[:, 0], kind="stable")]
    out = [list(arr[0])]
    for s, e in arr[1:]:
        if s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1][1] = e
        else:
            out.append([s, e])
    return np.array(out, dtype=np.float64)


def interval_iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    """IoU of two single intervals; 0 when the union has zero length."""
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    union = max(a[1], b[1]) - min(a[0], b[0])
    return float(inter / union) if union > 0 else 0.0


def iou_matrix(pred, ref) -> np.ndarray:
    """Pairwise IoU, shape ``(len(pred), len(ref))``; zero-length unions give 0."""
    p = as_intervals(pred)
    g = as_intervals(ref)
    inter = np.minimum(p[:, None, 1], g[None, :, 1]) - np.maximum(p[:, None, 0], g[None, :, 0])
    inter = np.clip(inter, 0.0, None)
    union = np.maximum(p[:, None, 1], g[None, :, 1]) - np.minimum(p[:, None, 0], g[None, :, 0])
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return out


def set_iou(pred, ref) -> float:
    """``|∪P ∩ ∪G| / |∪P ∪ ∪G|``; 0 when either side is empty or the union has no length."""
    if type(pred) in (list, tuple) and type(ref) in (list, tuple):
        if not pred or not ref:
            return 0.0
        if len(pred) == 1 and len(ref) == 1:
            fast = _one_pair_set_iou(pred[0], ref[0])
            if fast is not None:
                return fast
    p = merge_intervals(pred)
    g = merge_intervals(ref)
    if p.shape[0] == 0 or g.shape[0] == 0:
        return 0.0
    inter = np.minimum(p[:, None, 1], g[None, :, 1]) - np.maximum(p[:, None, 0], g[None, :, 0])
    inter_len = float(np.clip(inter, 0.0, None).sum())  # disjoint unions: pairwise sum is exact
    union_len = float((p[:, 1] - p[:, 0]).sum() + (g[:, 1] - g[:, 0]).sum()) - inter_len
    return inter_len / union_len if union_len > 0 else 0.0


def _pair(item) -> tuple[float, float]:
    return (item.onset, item.offset) if hasattr(item, "onset") else (item[0], item[1])


def _one_pair_set_iou(a, b) -> float | None:
    """:func:`set_iou` of one window against one, in plain floats: the array path's operations
    in the same order (``None`` when a value is not a finite float other than -0.0, whose sign
    the array path's min/max/clip could carry; tested bit-identical)."""
    (p0, p1), (g0, g1) = _pair(a), _pair(b)
    for v in (p0, p1, g0, g1):
        if type(v) is not float or not math.isfinite(v) or (v == 0.0 and math.copysign(1.0, v) < 0):
            return None
    inter = (p1 if p1 < g1 else g1) - (p0 if p0 > g0 else g0)
    if inter < 0.0:
        inter = 0.0
    union = ((p1 - p0) + (g1 - g0)) - inter
    return inter / union if union > 0 else 0.0


def top1_iou(pred, ref) -> float:
    """IoU of the first predicted window with its best-overlapping reference window."""
    p = as_intervals(pred)
    g = as_intervals(ref)
    if p.shape[0] == 0 or g.shape[0] == 0:
        return 0.0
    return float(iou_matrix(p[:1], g).max())


def grounding_ious(predictions: Sequence, references: Sequence, *, mode: str = "set") -> np.ndarray:
    """Per-sample IoU for aligned sequences of predicted and reference interval lists."""
    if mode not in GROUNDING_MODES:
        raise ValueError(f"mode must be one of {GROUNDING_MODES}, got {mode!r}")
    if len(predictions) != len(references):
        raise ValueError("predictions and references must be aligned")
    fn = set_iou if mode == "set" else top1_iou
    return np.array([fn(p, g) for p, g in zip(predictions, references)], dtype=np.float64)


def recall_at(ious, *, thresholds: Iterable[float] = DEFAULT_THRESHOLDS,
              tolerance: float = 1e-9) -> dict[str, float]:
    """``R1@t = mean(IoU >= t - tolerance)`` for each threshold; keys ``"R1@0.5"`` etc."""
    arr = np.asarray(ious, dtype=np.float64)
    out = {}
    for t in thresholds:
        out[f"R1@{_fmt(t)}"] = float(np.mean(arr >= t - tolerance)) if arr.size else float("nan")
    return out


def grounding_summary(ious, *, thresholds: Iterable[float] = DEFAULT_THRESHOLDS,
                      tolerance: float = 1e-9) -> dict[str, float]:
    """``mIoU`` and ``R1@t`` from per-sample IoUs."""
    arr = np.asarray(ious, dtype=np.float64)
    out = {"mIoU": float(arr.mean()) if arr.size else float("nan")}
    out.update(recall_at(arr, thresholds=thresholds, tolerance=tolerance))
    return out


def _fmt(t: float) -> str:
    text = f"{float(t):.4f}".rstrip("0")
    return text + "0" if text.endswith(".") else text
