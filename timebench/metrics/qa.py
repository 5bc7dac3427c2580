"""Audio temporal QA: counting, ordering, duration and yes/no questions.

TimeAudio/FTAR publish no TQA metric definition ([NF] in ``shared/reference/timeaudio-model.md``);
these are timebench's, documented here:

* ``count``: correct when the parsed number equals the reference count exactly (a non-integer
  answer such as 2.5 is wrong); absolute error feeds ``count_mae``;
* ``duration``: correct when ``|pred - ref| <= max(abs_tolerance, rel_tolerance * ref)`` (defaults
  0.5 s and 20 %, the shape of sed_eval's offset collar); absolute error feeds ``duration_mae``;
* ``order`` / ``choice``: correct when the chosen option equals the reference option
  (case- and whitespace-insensitive);
* ``yesno``: correct when the parsed boolean equals the reference, both read with
  :func:`timebench.schema.yesno_value` (a boolean, or exactly yes/no/true/false: the string
  ``"no"`` is false, never truthy);
* anything else (``other``): case-insensitive exact match of normalised strings.

A failed or missing answer is wrong, and for the error metrics it counts as answering 0 (error =
``|ref|``), so failing never scores better than answering.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..schema import number_value, yesno_value

__all__ = ["QA_TYPES", "qa_correct", "qa_error", "qa_summary"]

QA_TYPES = ("count", "duration", "order", "choice", "yesno", "other")


def _norm(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().strip(".").lower()


def _as_float(value: Any) -> float | None:
    # the one strict coercion shared with reference validation (timebench.schema): a JSON
    # number, or a string holding exactly a number; 10**400, NaN, "1e3", "two" are not numbers
    return number_value(value)


def qa_correct(qtype: str, predicted: Any, reference: Any, *, failed: bool = False,
               abs_tolerance: float = 0.5, rel_tolerance: float = 0.2) -> bool:
    """Whether one answer is correct under the rules in the module docstring."""
    if failed or predicted is None:
        return False
    if qtype == "count":
        p, r = _as_float(predicted), _as_float(reference)
        return p is not None and r is not None and p == r
    if qtype == "duration":
        p, r = _as_float(predicted), _as_float(reference)
        if p is None or r is None:
            return False
        return abs(p - r) <= max(abs_tolerance, rel_tolerance * abs(r))
    if qtype == "yesno":  # never by truthiness: the string "no" is False, "maybe" is no answer
        p, r = yesno_value(predicted), yesno_value(reference)
        return p is not None and r is not None and p == r
    return _norm(predicted) == _norm(reference)


def qa_error(qtype: str, predicted: Any, reference: Any, *, failed: bool = False) -> float | None:
    """Absolute error for numeric question types (``None`` for the others)."""
    if qtype not in ("count", "duration"):
        return None
    r = _as_float(reference)
    if r is None:
        return None
    p = None if failed else _as_float(predicted)
    return abs(r) if p is None else abs(p - r)


def qa_summary(qtypes, correct, errors, *, index: np.ndarray | None = None) -> dict[str, float]:
    """``accuracy`` overall and per type (``accuracy_count``...), ``count_mae``, ``duration_mae``."""
    qtypes = np.asarray(qtypes, dtype=object)
    correct = np.asarray(correct, dtype=bool)
    errors = np.asarray([np.nan if e is None else e for e in errors], dtype=np.float64)
    if index is not None:
        qtypes, correct, errors = qtypes[index], correct[index], errors[index]
    out = {"accuracy": float(correct.mean()) if correct.size else float("nan")}
    for qtype in sorted(set(qtypes.tolist())):
        mask = qtypes == qtype
        out[f"accuracy_{qtype}"] = float(correct[mask].mean())
        if qtype in ("count", "duration"):
            out[f"{qtype}_mae"] = float(np.nanmean(errors[mask])) if mask.any() else float("nan")
    return out
