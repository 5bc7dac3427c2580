"""Regression check: compare a results file with a stored baseline.

Every metric of every (model, task) in the baseline is compared with the same entry in the
results.  Direction comes from :func:`timebench.results.higher_is_better` (errors and failure
rates are lower-is-better).  A metric *regresses* when

* ``mode="tolerance"`` (default): it got worse by more than ``tolerance`` (absolute);
* ``mode="ci"``: it got worse by more than ``tolerance`` AND falls outside the baseline's
  bootstrap interval on the bad side (so noise within the interval never fails CI, and a
  zero-width interval still needs the tolerance);

and a model, task or metric present in the baseline but missing from the results is a
regression too.  Differences in task version or samples hash are reported as warnings: the
numbers may not be comparable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from .results import higher_is_better

__all__ = ["Comparison", "compare_results"]

MODES = ("tolerance", "ci")


@dataclass(frozen=True)
class Comparison:
    model: str
    task: str
    metric: str
    baseline: float | None
    value: float | None
    regressed: bool
    reason: str


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x) if math.isfinite(x) else None


def compare_results(results: Mapping[str, Any], baseline: Mapping[str, Any], *,
                    tolerance: float = 0.005, mode: str = "tolerance"
                    ) -> tuple[list[Comparison], list[str]]:
    """Return ``(comparisons, warnings)``; see the module docstring for the rules."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    if not tolerance >= 0:
        raise ValueError("tolerance must be >= 0")
    out: list[Comparison] = []
    warnings: list[str] = []
    for task, info in baseline.get("tasks", {}).items():
        now = results.get("tasks", {}).get(task)
        if now is None:
            continue
        for key in ("version", "samples_hash"):
            if info.get(key) != now.get(key):
                warnings.append(f"task '{task}': {key} differs (baseline {info.get(key)}, "
                                f"results {now.get(key)}); numbers may not be comparable")
    for model, per_task in baseline.get("results", {}).items():
        got_model = results.get("results", {}).get(model)
        for task, base in per_task.items():
            if "skipped" in base:
                continue
            got = (got_model or {}).get(task)
            if got_model is None or got is None or "skipped" in got:
                why = "model missing from results" if got_model is None else "task missing from results"
                out.append(Comparison(model, task, "*", None, None, True, why))
                continue
            for metric, bval in base.get("metrics", {}).items():
                b = _num(bval)
                if b is None:
                    continue
                v = _num(got.get("metrics", {}).get(metric))
                if v is None:
                    out.append(Comparison(model, task, metric, b, None, True,
                                          "metric missing or not a number"))
                    continue
                worse = (b - v) if higher_is_better(metric) else (v - b)
                regressed = worse > tolerance + 1e-12
                reason = f"worse by {worse:.4g} (tolerance {tolerance:g})" if regressed else "ok"
                if regressed and mode == "ci":
                    ci = base.get("ci", {}).get(metric)
                    if ci:
                        lo, hi = ci
                        outside = v < lo if higher_is_better(metric) else v > hi
                        if not outside:
                            regressed = False
                            reason = f"within the baseline interval [{lo:.4g}, {hi:.4g}]"
                        else:
                            reason += f", outside the baseline interval [{lo:.4g}, {hi:.4g}]"
                out.append(Comparison(model, task, metric, b, v, regressed, reason))
    return out, warnings
