"""Paired statistics for comparing two systems on the same samples (pure numpy, no file I/O).

Every metric timebench compares is a function of *sums of per-sample statistics*: a mean of
per-sample IoUs is ``sum(iou) / sum(1)``, a micro event F1 is ``2 sum(tp) / (sum(ref) +
sum(sys))``, an error rate is ``(sum(S) + sum(D) + sum(I)) / sum(ref)``.  A :class:`SumStatistic`
holds the per-sample columns (``n x k``) and the function of their sums, so

* a **paired bootstrap** replicate draws ``n`` shared samples with replacement and recomputes the
  metric of *both* systems on the same draw (the sums are ``W @ X`` with ``W`` the replicate's
  count vector, one BLAS call for a chunk of replicates); the interval is the percentile interval
  of ``metric(B*) - metric(A*)``.  For dataset-level metrics (F1, error rate) this recomputes the
  metric on each resample -- never an average of per-sample F1s;
* a **paired approximate-randomisation (permutation) test** swaps the two systems' outputs on
  each sample independently with probability 1/2 (under H0 the labels A/B are exchangeable per
  sample), recomputes both metrics and counts replicates with ``|diff*| >= |diff|``; the p-value is
  ``(1 + count) / (1 + R)`` (Noreen 1989; the "+1" keeps it a valid p-value);
* :func:`holm` adjusts a family of p-values (Holm 1979, step-down, controls the family-wise error).

All randomness comes from ``numpy.random.default_rng(seed)``: results are reproducible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

__all__ = ["SumStatistic", "PairedResult", "paired_compare", "paired_compare_many", "holm", "mean_statistic",
           "f1_from_sums", "precision_from_sums", "recall_from_sums", "ratio_from_sums",
           "error_rate_from_sums"]

#: replicates processed together (bounds memory at ``chunk * n * 8`` bytes)
_CHUNK_CELLS = 4_000_000


def _safe_div(num: np.ndarray, den: np.ndarray, empty: float = math.nan) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den == 0, empty, num / np.where(den == 0, 1.0, den))


def mean_from_sums(s: np.ndarray) -> np.ndarray:
    """columns ``[value, weight]``: ``sum(value) / sum(weight)``."""
    return _safe_div(s[..., 0], s[..., 1])


def ratio_from_sums(s: np.ndarray) -> np.ndarray:
    """columns ``[numerator..., denominator]``: ``sum(all but last) / sum(last)``."""
    return _safe_div(s[..., :-1].sum(axis=-1), s[..., -1])


def error_rate_from_sums(s: np.ndarray) -> np.ndarray:
    """columns ``[errors..., nref]``: ``sum(errors) / (nref + eps)`` as sed_eval divides
    (NaN without reference events, see :mod:`timebench.metrics.error_rate`)."""
    nref = s[..., -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(nref == 0, math.nan, s[..., :-1].sum(axis=-1) / (nref + np.spacing(1)))


def precision_from_sums(s: np.ndarray) -> np.ndarray:
    """columns ``[tp, ref, sys]``; 0 when nothing was output (DCASE ``zero_score``)."""
    return _safe_div(s[..., 0], s[..., 2], empty=0.0)


def recall_from_sums(s: np.ndarray) -> np.ndarray:
    return _safe_div(s[..., 0], s[..., 1])


def f1_from_sums(s: np.ndarray) -> np.ndarray:
    """columns ``[tp, ref, sys]``: sed_eval F with ``zero_score`` (0 when P = R = 0)."""
    p, r = precision_from_sums(s), recall_from_sums(s)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = 2 * p * r / (p + r)
    return np.where((p == 0) & (r == 0), 0.0, f)


@dataclass(frozen=True)
class SumStatistic:
    """A metric as ``fn(column sums)``; ``columns`` is ``(n, k)`` float64, one row per sample."""

    columns: np.ndarray
    fn: Callable[[np.ndarray], np.ndarray]
    how: str = ""   # one line: how the metric is recomputed on a resample

    def value(self, index: np.ndarray | None = None) -> float:
        cols = self.columns if index is None else self.columns[index]
        return float(self.fn(cols.sum(axis=0)))


def mean_statistic(values: np.ndarray, mask: np.ndarray | None = None, how: str = "") -> SumStatistic:
    """Mean of per-sample ``values`` over the samples where ``mask`` is true."""
    values = np.asarray(values, dtype=np.float64)
    w = np.ones_like(values) if mask is None else np.asarray(mask, dtype=np.float64)
    return SumStatistic(np.stack([np.where(w > 0, values, 0.0), w], axis=1), mean_from_sums,
                        how or "mean of per-sample values")


@dataclass(frozen=True)
class PairedResult:
    n: int
    a: float
    b: float
    diff: float          # b - a
    ci_low: float
    ci_high: float
    p_value: float
    iterations: int
    confidence: float


def _chunks(total: int, n: int) -> list[int]:
    size = max(1, min(total, _CHUNK_CELLS // max(1, n)))
    out, left = [], total
    while left > 0:
        out.append(min(size, left))
        left -= size
    return out


def paired_compare(a: SumStatistic, b: SumStatistic, *, iterations: int = 1000,
                   confidence: float = 0.95, seed: int = 0) -> PairedResult:
    """Paired bootstrap interval and approximate-randomisation p-value for ``b - a``."""
    return paired_compare_many([(a, b)], iterations=iterations, confidence=confidence,
                               seed=seed)[0]


def paired_compare_many(pairs: Sequence[tuple[SumStatistic, SumStatistic]], *,
                        iterations: int = 1000, confidence: float = 0.95, seed: int = 0
                        ) -> list[PairedResult]:
    """:func:`paired_compare` for several metrics over the same samples, with shared draws.

    Every statistic's columns must have the same number of rows ``n`` (row ``i`` = the same
    sample in every statistic and in both systems); ``a`` and ``b`` of a pair have the same
    shape (the permutation test swaps rows between them).  All metrics see the same bootstrap
    resamples and the same swaps (common random numbers), so one pass over ``n`` serves all.
    Replicates whose difference is NaN (e.g. a resample without any reference event) are left
    out of the interval and counted as not extreme for the p-value.
    """
    if not pairs:
        return []
    xa = [np.asarray(a.columns, np.float64) for a, _ in pairs]
    xb = [np.asarray(b.columns, np.float64) for _, b in pairs]
    for p, q in zip(xa, xb):
        if p.shape != q.shape or p.shape[0] != xa[0].shape[0]:
            raise ValueError(f"paired statistics need aligned shapes, got {p.shape}, {q.shape}")
    n = xa[0].shape[0]
    widths = np.cumsum([0] + [p.shape[1] for p in xa])
    cat_a, cat_b = np.concatenate(xa, axis=1), np.concatenate(xb, axis=1)
    fns = [(a.fn, b.fn, slice(widths[j], widths[j + 1])) for j, (a, b) in enumerate(pairs)]
    observed = [(a.value(), b.value()) for a, b in pairs]

    def diffs(sa: np.ndarray, sb: np.ndarray) -> list[np.ndarray]:
        return [fb(sb[..., sl]) - fa(sa[..., sl]) for fa, fb, sl in fns]

    k = len(pairs)
    if n == 0 or iterations <= 0:
        return [PairedResult(n, va, vb, vb - va, math.nan, math.nan, math.nan, 0, confidence)
                for va, vb in observed]
    rng = np.random.default_rng(seed)
    total_a, total_b = cat_a.sum(axis=0), cat_b.sum(axis=0)
    delta = cat_b - cat_a
    boot: list[list[np.ndarray]] = [[] for _ in range(k)]
    perm: list[list[np.ndarray]] = [[] for _ in range(k)]
    for size in _chunks(iterations, n):
        # paired bootstrap: one count vector per replicate, shared by both systems
        idx = rng.integers(0, n, size=(size, n))
        idx += (np.arange(size) * n)[:, None]
        w = np.bincount(idx.ravel(), minlength=size * n).reshape(size, n).astype(np.float64)
        for j, d in enumerate(diffs(w @ cat_a, w @ cat_b)):
            boot[j].append(d)
        # approximate randomisation: swap A and B on each sample with probability 1/2
        m = (rng.random((size, n)) < 0.5).astype(np.float64)
        shift = m @ delta
        for j, d in enumerate(diffs(total_a + shift, total_b - shift)):
            perm[j].append(d)
    alpha = (1.0 - confidence) / 2.0
    out = []
    for j, (va, vb) in enumerate(observed):
        obs = vb - va
        draws = np.concatenate(boot[j])
        draws = draws[np.isfinite(draws)]
        low, high = (np.quantile(draws, [alpha, 1.0 - alpha]) if draws.size
                     else (math.nan, math.nan))
        d = np.concatenate(perm[j])
        d = d[np.isfinite(d)]
        if math.isfinite(obs):
            tol = 1e-12 * max(1.0, abs(obs))
            p = (1 + int((np.abs(d) >= abs(obs) - tol).sum())) / (1 + d.size)
        else:
            p = math.nan
        out.append(PairedResult(n, va, vb, obs, float(low), float(high), float(min(1.0, p)),
                                iterations, confidence))
    return out


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values (NaN entries stay NaN and are not counted)."""
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, math.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0:
        return out.tolist()
    order = ok[np.argsort(p[ok], kind="stable")]
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out[order] = adjusted
    return out.tolist()
