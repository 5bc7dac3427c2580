"""Regression check: compare a results file with a stored baseline.

Every metric of every (model, task) in the baseline is compared with the same entry in the
results.  Direction comes from :func:`timebench.results.higher_is_better` (errors and failure
rates are lower-is-better).  A metric *regresses* when

* ``mode="tolerance"`` (default): it got worse by more than ``tolerance`` (absolute);
* ``mode="ci"``: it got worse by more than ``tolerance`` AND falls outside the baseline's
  bootstrap interval on the bad side (so noise within the interval never fails CI, and a
  zero-width interval still needs the tolerance);

and a model, task or metric present in the baseline but missing from the results is a
regression too.  The check *fails closed* (issue 15): whatever it cannot compare is a failure,
never a silent pass --

* a baseline metric that is ``NaN``/``null`` (or not a number) while the results have a number
  (both undefined is equal, and passes);
* a baseline with nothing to compare (no model, no task, no metric);
* a task whose ``samples_hash`` differs between baseline and results (another sample set: the
  numbers do not measure the same thing), or a task missing from either ``tasks`` table;
* a tolerance that is not a finite number ``>= 0`` (``ValueError``; the CLI exits 2).

Such entries are :class:`Comparison` rows with ``regressed=True`` (exit 1).  A task version
that differs is a warning only (a card edit that keeps the samples is common while developing).
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
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) \
            or not math.isfinite(tolerance) or tolerance < 0:
        raise ValueError("tolerance must be a finite number >= 0")
    out: list[Comparison] = []
    warnings: list[str] = []
    base_tasks = baseline.get("tasks") or {}
    now_tasks = results.get("tasks") or {}
    uncomparable: dict[str, str] = {}
    for task, info in base_tasks.items():
        now = now_tasks.get(task)
        if now is None:
            continue
        if info.get("version") != now.get("version"):
            warnings.append(f"task '{task}': version differs (baseline {info.get('version')}, "
                            f"results {now.get('version')}); numbers may not be comparable")
        if info.get("samples_hash") != now.get("samples_hash"):
            uncomparable[task] = (f"another sample set (samples_hash baseline "
                                  f"{info.get('samples_hash')}, results {now.get('samples_hash')})")
    for model, per_task in (baseline.get("results") or {}).items():
        got_model = (results.get("results") or {}).get(model)
        for task, base in per_task.items():
            if "skipped" in base:
                continue
            got = (got_model or {}).get(task)
            if got_model is None or got is None or "skipped" in got:
                why = "model missing from results" if got_model is None else "task missing from results"
                out.append(Comparison(model, task, "*", None, None, True, why))
                continue
            if task in uncomparable:
                out.append(Comparison(model, task, "*", None, None, True,
                                      "cannot compare: " + uncomparable[task]))
                continue
            if base_tasks and task not in base_tasks or now_tasks and task not in now_tasks:
                out.append(Comparison(model, task, "*", None, None, True,
                                      "cannot compare: task missing from the 'tasks' table"))
                continue
            base_metrics = base.get("metrics") or {}
            if not base_metrics:
                out.append(Comparison(model, task, "*", None, None, True,
                                      "cannot compare: the baseline has no metrics here"))
                continue
            for metric, bval in base_metrics.items():
                b = _num(bval)
                v = _num(got.get("metrics", {}).get(metric))
                if b is None:
                    if v is None and metric in got.get("metrics", {}):
                        out.append(Comparison(model, task, metric, None, None, False,
                                              "ok (undefined in both)"))
                    else:
                        out.append(Comparison(model, task, metric, None, v, True,
                                              "cannot compare: the baseline value is not a "
                                              "number (NaN/null)"))
                    continue
                if v is None:
                    out.append(Comparison(model, task, metric, b, None, True,
                                          "metric missing or not a number"))
                    continue
                worse = (b - v) if higher_is_better(metric) else (v - b)
                regressed = worse > tolerance + 1e-12
                reason = f"worse by {worse:.4g} (tolerance {tolerance:g})" if regressed else "ok"
                if regressed and mode == "ci":
                    ci = base.get("ci", {}).get(metric)
                    if ci and all(_num(x) is not None for x in ci):
                        lo, hi = ci
                        outside = v < lo if higher_is_better(metric) else v > hi
                        if not outside:
                            regressed = False
                            reason = f"within the baseline interval [{lo:.4g}, {hi:.4g}]"
                        else:
                            reason += f", outside the baseline interval [{lo:.4g}, {hi:.4g}]"
                out.append(Comparison(model, task, metric, b, v, regressed, reason))
    if not out:
        out.append(Comparison("*", "*", "*", None, None, True,
                              "cannot compare: the baseline has no results to compare"))
    return out, warnings
