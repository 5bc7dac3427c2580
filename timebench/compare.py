"""``timebench compare``: paired differences between two runs (or two models of one run).

For each model pair and task, the samples both runs scored (same id) are aligned; each metric
(the task's primary metric and its leaderboard metrics, or every stored metric with
``all_metrics``) is recomputed from the per-sample rows (:mod:`timebench.sample_stats`) and
compared with :func:`timebench.paired.paired_compare_many`: ``diff = B - A`` on the shared
samples, a paired percentile-bootstrap interval and a paired approximate-randomisation p-value.
PSDS, a curve over the whole set, is resampled the same way through per-file intermediate
statistics (:mod:`timebench.compare_psds`, numpy only).
With more than one test, Holm-adjusted p-values are listed (``p_holm``) over the whole family
of tests printed.  Samples scored in only one run are listed (``unshared``), never dropped
silently; metrics that cannot be recomputed from per-sample rows are listed in
``not_compared`` with the reason.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from .errors import InputError
from .paired import holm, paired_compare_many
from .runs import Run
from .sample_stats import metric_statistic

__all__ = ["model_pairs", "compare_runs", "compare_markdown", "compare_rows", "unshared_lines",
           "COLUMNS"]


def model_pairs(run_a: Run, run_b: Run, models: Sequence[str] | None) -> list[tuple[str, str]]:
    """Which (model in A, model in B) to compare.

    ``models=[A, B]``: A from the first run, B from the second.  Otherwise every model present
    in both runs (compared with itself); when the runs share no model name and each holds one
    model, those two.
    """
    if models:
        if len(models) != 2:
            raise InputError(f"expected two models 'A,B', got {list(models)}", field="--models")
        a, b = models
        for name, run in ((a, run_a), (b, run_b)):
            if name not in run.models:
                raise InputError(f"model {name!r} is not in this run (it has {run.models})",
                                 path=str(run.path), field="--models")
        return [(a, b)]
    common = [m for m in run_a.models if m in run_b.models]
    if run_a.path.resolve() == run_b.path.resolve():
        raise InputError("comparing a run with itself: pass --models A,B", field="--models")
    if common:
        return [(m, m) for m in common]
    if len(run_a.models) == 1 and len(run_b.models) == 1:
        return [(run_a.models[0], run_b.models[0])]
    raise InputError(f"the runs share no model (A: {run_a.models}, B: {run_b.models}); "
                     "pass --models A,B", field="--models")


def _task_metrics(run_a: Run, run_b: Run, ma: str, mb: str, task: str,
                  all_metrics: bool) -> list[str]:
    info = {**run_b.task_info(task), **run_a.task_info(task)}
    names: list[str] = []
    primary = info.get("primary_metric")
    if primary:
        names.append(primary)
    names.extend(m for m in info.get("leaderboard_metrics", []) or [] if isinstance(m, str))
    if all_metrics or not names:
        for res in (run_a.result(ma, task), run_b.result(mb, task)):
            names.extend(k for k in (res.get("metrics") or {}))
    seen, out = set(), []
    for n in names:
        if n not in seen:
            seen.add(n)
            out.append(n)
    return out


def compare_runs(run_a: Run, run_b: Run, *, models: Sequence[str] | None = None,
                 tasks: Sequence[str] | None = None, iterations: int = 1000,
                 confidence: float = 0.95, seed: int = 0, all_metrics: bool = False,
                 psds_iterations: int = 100) -> dict[str, Any]:
    """The comparison as a JSON-ready dict (the ``compare --json`` object).

    PSDS (a curve over the whole set) is resampled through per-file intermediate
    statistics with ``psds_iterations`` replicates (:mod:`timebench.compare_psds`); 0 skips it.
    """
    entries: list[dict[str, Any]] = []
    unshared: list[dict[str, Any]] = []
    not_compared: list[dict[str, Any]] = []
    for ma, mb in model_pairs(run_a, run_b, models):
        ta, tb = run_a.tasks_of(ma), run_b.tasks_of(mb)
        names = [t for t in ta if t in tb]
        if tasks:
            missing = [t for t in tasks if t not in names]
            for t in missing:
                not_compared.append({"model_a": ma, "model_b": mb, "task": t, "metric": None,
                                     "reason": "task not scored for both models"})
            names = [t for t in names if t in tasks]
        for t in sorted(set(ta) ^ set(tb)):
            if not tasks or t in tasks:
                not_compared.append({"model_a": ma, "model_b": mb, "task": t, "metric": None,
                                     "reason": f"scored only in run {'A' if t in ta else 'B'}"})
        for task in names:
            sa, sb = run_a.scores(ma, task), run_b.scores(mb, task)
            shared = [i for i in sa if i in sb]
            only_a = [i for i in sa if i not in sb]
            only_b = [i for i in sb if i not in sa]
            if only_a or only_b:
                unshared.append({"model_a": ma, "model_b": mb, "task": task,
                                 "only_a": only_a, "only_b": only_b})
            refs = run_a.references(task) or run_b.references(task)
            ref_rows = [refs.get(i) for i in shared]
            rows_a = [sa[i] for i in shared]
            rows_b = [sb[i] for i in shared]
            info = {**run_b.task_info(task), **run_a.task_info(task)}
            pairs, metas, own = [], [], []
            for metric in _task_metrics(run_a, run_b, ma, mb, task, all_metrics):
                if metric in ("psds1", "psds2"):   # a curve metric: its own paired resampling
                    r = _psds(run_a, ma, run_b, mb, task, metric, shared, psds_iterations,
                              confidence, seed)
                    if isinstance(r, str):
                        not_compared.append({"model_a": ma, "model_b": mb, "task": task,
                                             "metric": metric, "reason": r})
                    else:
                        own.append((metric, PSDS_HOW.format(n=psds_iterations), r))
                    continue
                suites, labels = info.get("metric_suites"), info.get("labels")
                st_a = metric_statistic(metric, rows_a, ref_rows, suites, labels)
                st_b = metric_statistic(metric, rows_b, ref_rows, suites, labels)
                reason = st_a if isinstance(st_a, str) else st_b if isinstance(st_b, str) else None
                if reason is None and st_a.columns.shape != st_b.columns.shape:
                    reason = "per-sample columns differ between the runs"
                if reason is not None:
                    not_compared.append({"model_a": ma, "model_b": mb, "task": task,
                                         "metric": metric, "reason": reason})
                    continue
                pairs.append((st_a, st_b))
                metas.append((metric, st_a.how))
            done = paired_compare_many(pairs, iterations=iterations, confidence=confidence,
                                       seed=seed)
            for metric, how, r in [(m, h, r) for (m, h), r in zip(metas, done)] + own:
                entries.append({
                    "model_a": ma, "model_b": mb, "task": task, "metric": metric,
                    "primary": metric == info.get("primary_metric"),
                    "n": r.n, "a": _f(r.a), "b": _f(r.b), "diff": _f(r.diff),
                    "ci_low": _f(r.ci_low), "ci_high": _f(r.ci_high),
                    "p_value": _f(r.p_value), "how": how,
                })
    adjusted = holm([e["p_value"] if e["p_value"] is not None else math.nan for e in entries])
    for e, p in zip(entries, adjusted):
        e["p_holm"] = _f(p)
    m = sum(1 for e in entries if e["p_value"] is not None)
    note = (f"{m} tests: p_holm is the Holm-adjusted p-value over all of them (family-wise "
            "error); read p_value alone only for a single pre-chosen test"
            if m > 1 else "one test: no multiple-comparison adjustment needed")
    return {
        "run_a": str(run_a.path), "run_b": str(run_b.path),
        "iterations": iterations, "confidence": confidence, "seed": seed,
        "method": {
            "diff": "metric(B) - metric(A) on the samples both runs scored",
            "interval": f"paired percentile bootstrap over shared samples ({iterations} "
                        "resamples; dataset-level metrics recomputed on each resample)",
            "p_value": f"paired approximate randomisation, two-sided ({iterations} random "
                       "swaps of A/B per sample); (1 + extreme) / (1 + replicates)",
            "multiple_comparisons": "holm",
        },
        "multiple_comparisons": {"tests": m, "method": "holm", "note": note},
        "entries": entries,
        "unshared": unshared,
        "not_compared": not_compared,
    }


PSDS_HOW = ("PSDS recomputed on each resample from per-file intermediate statistics "
            "({n} bootstrap and {n} permutation replicates)")


def _psds(run_a, ma, run_b, mb, task, metric, shared, iterations, confidence, seed):
    if iterations <= 0:
        return "PSDS comparison switched off (--psds-iterations 0)"
    if not any(metric in (r.result(m, task).get("metrics") or {})
               for r, m in ((run_a, ma), (run_b, mb))):
        return f"no {metric} in either run (it needs frame-level scores)"
    from .compare_psds import paired_psds

    return paired_psds(run_a, ma, run_b, mb, task, metric, shared, iterations=iterations,
                       confidence=confidence, seed=seed)


def _f(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _fmt(x: float | None, digits: int = 4) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _p(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.3g}" if x >= 1e-3 else f"{x:.1e}"


def compare_rows(result: Mapping[str, Any]) -> list[list[str]]:
    """Table rows: pair, task, metric, n, A, B, diff, CI, p, p_holm."""
    rows = []
    for e in result["entries"]:
        pair = e["model_a"] if e["model_a"] == e["model_b"] else f"{e['model_a']} → {e['model_b']}"
        metric = e["metric"] + (" *" if e["primary"] else "")
        rows.append([pair, e["task"], metric, str(e["n"]), _fmt(e["a"]), _fmt(e["b"]),
                     ("+" if (e["diff"] or 0) > 0 else "") + _fmt(e["diff"]),
                     f"[{_fmt(e['ci_low'])}, {_fmt(e['ci_high'])}]", _p(e["p_value"]),
                     _p(e["p_holm"])])
    return rows


COLUMNS = ["model(s)", "task", "metric", "n", "A", "B", "B − A", "CI", "p", "p (Holm)"]


def unshared_lines(result: Mapping[str, Any], limit: int = 5) -> list[str]:
    lines = []
    for u in result["unshared"]:
        for side in ("a", "b"):
            ids = u[f"only_{side}"]
            if ids:
                more = f" (+{len(ids) - limit} more)" if len(ids) > limit else ""
                lines.append(f"{u['task']} ({u['model_' + side]}): {len(ids)} sample(s) only in "
                             f"run {side.upper()}: {', '.join(ids[:limit])}{more}")
    for nc in result["not_compared"]:
        what = f"{nc['task']}" + (f" · {nc['metric']}" if nc["metric"] else "")
        lines.append(f"not compared: {what}: {nc['reason']}")
    return lines


def compare_markdown(result: Mapping[str, Any]) -> str:
    """A Markdown section for reports."""
    conf = int(round(100 * float(result["confidence"])))
    out = ["## Paired comparison", "",
           f"A = `{result['run_a']}`, B = `{result['run_b']}`. B − A on the samples both runs "
           f"scored; {conf} % paired bootstrap interval; two-sided paired permutation p-value "
           f"({result['iterations']} replicates). * = primary metric. "
           + result["multiple_comparisons"]["note"] + ".", "",
           "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in compare_rows(result):
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    extra = unshared_lines(result, limit=10)
    if extra:
        out += ["", *[f"- {line}" for line in extra]]
    return "\n".join(out) + "\n"
