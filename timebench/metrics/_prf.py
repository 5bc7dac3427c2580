"""Precision, recall and F-measure from counts, with sed_eval's exact conventions.

sed_eval (``sed_eval/metric.py`` and ``sound_event.py``, v0.2.1):

* ``precision = Ntp / Nsys``, NaN when ``Nsys == 0`` -- unless the DCASE option
  ``empty_system_output_handling='zero_score'`` is used, which makes it 0;
* ``recall = Ntp / Nref``, NaN when ``Nref == 0``;
* ``F = 0`` when precision and recall are both exactly 0, otherwise
  ``(1 + beta**2) * P * R / (beta**2 * P + R)`` (NaN propagates);
* the class-wise average is ``numpy.nanmean`` over the classes (classes whose F is NaN are left
  out, so a class without reference events never counts).

timebench defaults to ``zero_score`` (the DCASE Task 4 setting): a system that outputs nothing
scores 0, never NaN.  The arithmetic below keeps sed_eval's operation order so results agree to
the last bit.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

__all__ = ["EMPTY_SYSTEM_OUTPUT", "prf", "prf_arrays", "nanmean"]

EMPTY_SYSTEM_OUTPUT = ("zero_score", "nan")


def prf(ntp: float, nref: float, nsys: float, *, empty_system_output: str = "zero_score",
        beta: float = 1.0) -> tuple[float, float, float]:
    """Return ``(f_measure, precision, recall)`` for one set of counts."""
    if empty_system_output not in EMPTY_SYSTEM_OUTPUT:
        raise ValueError(f"empty_system_output must be one of {EMPTY_SYSTEM_OUTPUT}")
    if nsys == 0 and empty_system_output == "zero_score":
        precision = 0.0
    else:
        precision = math.nan if nsys == 0 else float(ntp / float(nsys))
    recall = math.nan if nref == 0 else float(ntp / float(nref))
    if precision == 0 and recall == 0:
        f = 0.0
    else:
        f = float((1 + beta ** 2) * precision * recall / ((beta ** 2) * precision + recall))
    return f, precision, recall


def prf_arrays(ntp: np.ndarray, nref: np.ndarray, nsys: np.ndarray, *,
               empty_system_output: str = "zero_score", beta: float = 1.0):
    """Vectorised :func:`prf` over arrays of counts; returns ``(f, p, r)`` arrays."""
    ntp = np.asarray(ntp, dtype=np.float64)
    nref = np.asarray(nref, dtype=np.float64)
    nsys = np.asarray(nsys, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(nsys == 0, 0.0 if empty_system_output == "zero_score" else np.nan,
                     ntp / np.where(nsys == 0, 1.0, nsys))
        r = np.where(nref == 0, np.nan, ntp / np.where(nref == 0, 1.0, nref))
        f = (1 + beta ** 2) * p * r / ((beta ** 2) * p + r)
        f = np.where((p == 0) & (r == 0), 0.0, f)
    return f, p, r


def nanmean(values) -> float:
    """``numpy.nanmean`` without the all-NaN warning (returns NaN)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0 or np.all(np.isnan(arr)):
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmean(arr))
