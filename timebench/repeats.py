"""``timebench run --repeats K``: several decodes of a sampled model, and their spread.

Repeat ``r`` (0-based) uses the run seed ``seed + r`` -- the per-sample seeds an adapter gets
(:func:`timebench.run_records.sample_seed`) change with it, so a model decoded with sampling draws
new outputs -- and its own cache (``<task>@seed<seed+r>``; repeat 0 is the plain run with its
cache, so ``--repeats 1`` is the ordinary run).  Repeat 0 gives the reported metrics, their
bootstrap intervals and the per-sample files; repeats ``1..K-1`` are scored the same way (no
bootstrap) into ``<model>/<task>/repeat-<r>/``.  ``results[model][task]["repeats"]`` then holds,
per metric, the values of every repeat with their mean, standard deviation (``ddof=1``),
minimum and maximum: the spread due to sampling, reported next to the bootstrap interval (the
spread due to the finite set of clips).  A deterministic (greedy) model gives zero spread.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["repeat_seeds", "run_repeats", "summarise_repeats"]


def repeat_seeds(seed: int, k: int) -> list[int]:
    return [int(seed) + r for r in range(max(1, int(k)))]


def run_repeats(task_pass) -> list[dict[str, Any]]:
    """Repeats ``1..K-1`` of one model and task (``task_pass``: :class:`timebench.runner._Pass`).

    Every rank generates its share; rank 0 scores and gets the metrics of each repeat.
    """
    options = task_pass.options
    quiet = dataclasses.replace(options, bootstrap=0)
    out = []
    for r, seed in enumerate(repeat_seeds(options.seed, options.repeats)[1:], start=1):
        result = task_pass.run(seed, f"{task_pass.task.name}@seed{seed}", f"repeat-{r}", quiet)
        if result is not None:
            out.append(result["metrics"])
    return out


def summarise_repeats(seeds: Sequence[int], metrics: Sequence[Mapping[str, Any]]
                      ) -> dict[str, Any]:
    """``{"k", "seeds", "metrics": {name: {"values", "mean", "std", "min", "max"}}}``."""
    names = [m for m in metrics[0]] if metrics else []
    out: dict[str, Any] = {}
    for name in names:
        vals = [m.get(name) for m in metrics]
        arr = np.array([math.nan if v is None else float(v) for v in vals], dtype=np.float64)
        ok = arr[np.isfinite(arr)]
        out[name] = {
            "values": [None if not math.isfinite(v) else float(v) for v in arr],
            "mean": float(ok.mean()) if ok.size else None,
            "std": float(ok.std(ddof=1)) if ok.size > 1 else (0.0 if ok.size else None),
            "min": float(ok.min()) if ok.size else None,
            "max": float(ok.max()) if ok.size else None,
        }
    return {"k": len(metrics), "seeds": list(seeds), "metrics": out}
