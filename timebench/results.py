"""The ``results.json`` schema, bootstrap confidence intervals and provenance helpers.

``results.json`` (schema version 1) is what ``timebench run`` writes and what ``leaderboard``
and ``check`` read.  Every field is documented in the TypedDicts below.  Two runs of the same
suite give byte-identical files apart from the keys listed in :data:`VOLATILE_KEYS` (wall-clock
times and the creation date), whatever the batch size or the number of shards.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Mapping, TypedDict

import numpy as np

from . import __version__

__all__ = [
    "SCHEMA_VERSION", "VOLATILE_KEYS", "ResultsFile", "TaskInfo", "ModelInfo", "TaskResult",
    "bootstrap_intervals", "git_hash", "environment", "LOWER_IS_BETTER", "higher_is_better",
    "strip_volatile",
]

SCHEMA_VERSION = 1
#: keys whose values change from run to run (removed by :func:`strip_volatile`)
VOLATILE_KEYS = ("created", "timings", "command", "run_dir")

#: metrics where lower is better (every other metric is higher-is-better)
LOWER_IS_BETTER = frozenset({"parse_failure_rate", "count_mae", "duration_mae", "error_rate",
                             "generation_error_rate"}
                            | {f"{p}_{r}_rate" for p in ("event", "segment")
                               for r in ("error", "substitution", "deletion", "insertion")})


def higher_is_better(metric: str) -> bool:
    return metric not in LOWER_IS_BETTER and not metric.endswith("_mae")


class TaskInfo(TypedDict):
    """Per task: which version of the task produced the numbers."""

    version: str            # "<declared>-<card hash>": changes whenever the card changes
    kind: str               # grounding, presence, detection, captioning, summary or qa
    card_hash: str          # sha256 of the whole task card
    samples_hash: str       # sha256 of the references (ids, audio, durations, queries, events)
    n: int                  # number of references scored
    source: str             # where the references came from (format and path)
    parser: Any             # the parser pipeline name (or qtype -> name mapping)
    prompt: str             # the prompt template name
    metric_suites: list     # suites with their parameters
    primary_metric: str     # ranks the leaderboard
    leaderboard_metrics: list   # shown in the per-task leaderboard tables
    protocol: str           # scoring protocol (timebench/metrics/protocols.py) the run used


class ModelInfo(TypedDict):
    adapter: str            # registry name of the adapter
    fingerprint: str        # hash of `config` (the cache key part)
    config: dict            # every setting that can change outputs


class TaskResult(TypedDict, total=False):
    metrics: dict[str, float | None]   # aggregate metrics; fractions in [0, 1] except *_mae
    ci: dict[str, list[float]]         # bootstrap percentile interval per metric [low, high]
    ci_method: dict[str, str]          # how each interval in `ci` was computed
    n: int                             # references scored
    n_missing: int                     # samples with no output (counted as failures)
    n_parse_failed: int                # outputs that could not be parsed
    n_generation_errors: int           # samples where the adapter raised (failures)
    parse_failure_rate: float          # samples without a usable prediction / n
    parse_failures: dict[str, int]     # those samples by reason (no_time, single_point, ...)
    n_truncated: int                   # samples whose audio the adapter cut to its limit (over_limit)
    protocol: str                      # scoring protocol used for this task
    parsers: dict[str, int]            # which parser ran how often
    predictions: str                   # path (relative to the run dir) of the raw outputs
    scores: str                        # path of the per-sample scores
    skipped: str                       # reason, when the model does not support the task
    repeats: dict                      # --repeats K: {"k", "seeds", "metrics": {m: {values,
                                       #   mean, std, min, max}}} (timebench/repeats.py)
    notes: list[str]
    label_mapping: dict                # predicted labels mapped to classes (labels/apply.py)


class ResultsFile(TypedDict, total=False):
    schema_version: int
    timebench_version: str
    git_hash: str | None               # of the timebench source tree, when it is a git checkout
    created: str                       # ISO time (volatile)
    command: str                       # the command line (volatile)
    run_dir: str                       # (volatile)
    suite: str | None
    seed: int                          # the run seed; per-sample seeds derive from it and the id
    bootstrap: dict                    # {"iterations", "confidence", "seed"}
    repeats: dict                      # only with --repeats K > 1: {"k", "seeds"}
    environment: dict                  # python, platform, numpy, torch/transformers if loaded
    tasks: dict[str, TaskInfo]
    models: dict[str, ModelInfo]
    results: dict[str, dict[str, TaskResult]]   # model -> task -> result
    timings: dict                      # wall/model/loading/scoring seconds (volatile)


def bootstrap_intervals(resample: Callable[[np.ndarray], Mapping[str, float]], n: int, *,
                        iterations: int = 1000, confidence: float = 0.95, seed: int = 0
                        ) -> dict[str, list[float]]:
    """Percentile bootstrap over samples: resample ``n`` indices with replacement.

    ``resample(index)`` recomputes every metric on the multiset ``index``; metrics that are NaN
    on a resample are dropped from that replicate.  Deterministic for a given ``seed``.
    """
    if n == 0 or iterations <= 0:
        return {}
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {}
    for _ in range(iterations):
        index = rng.integers(0, n, size=n)
        for key, value in resample(index).items():
            if value is None:
                continue
            value = float(value)
            if np.isfinite(value):
                draws.setdefault(key, []).append(value)
    alpha = (1.0 - confidence) / 2.0
    out = {}
    for key, values in sorted(draws.items()):
        arr = np.asarray(values)
        out[key] = [float(np.quantile(arr, alpha)), float(np.quantile(arr, 1.0 - alpha))]
    return out


def git_hash(path: str | os.PathLike | None = None) -> str | None:
    """The commit of the timebench source tree (None outside a git checkout)."""
    root = Path(path) if path else Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def environment() -> dict[str, Any]:
    """Versions that can change numbers; torch/transformers only if already imported."""
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "numpy": np.__version__,
        "timebench": __version__,
    }
    for name in ("scipy", "torch", "transformers", "peft", "pycocoevalcap", "sed_scores_eval"):
        module = sys.modules.get(name)
        if module is not None:
            version = getattr(module, "__version__", None)
            if version is None:
                try:
                    from importlib.metadata import version as dist_version

                    version = dist_version(name)
                except Exception:  # noqa: BLE001 - metadata may be missing
                    version = "unknown"
            env[name] = version
    return env


def strip_volatile(obj: Any) -> Any:
    """A copy of a results dict without the volatile keys (for comparisons and tests)."""
    if isinstance(obj, dict):
        return {k: strip_volatile(v) for k, v in obj.items() if k not in VOLATILE_KEYS}
    if isinstance(obj, list):
        return [strip_volatile(v) for v in obj]
    return obj
