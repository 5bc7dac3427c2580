"""``timebench diff``: which samples changed between two runs of one model, and by how much.

For every task both runs scored, the samples with the same id are compared on three levels:

* **raw output**: the model text (or, for structured outputs, the events / answer / presence) in
  ``predictions.jsonl``; a generation error counts as output;
* **parse**: the parse outcome in ``scores.jsonl`` -- failed or not, the parsed events (times
  compared to 1e-6 s, labels exactly), an absent-event answer, a parsed value;
* **score**: the sample's contribution to the task's primary metric
  (:func:`timebench.sample_stats.sample_score`: IoU, per-clip F1, per-sample METEOR...).

Changed samples are sorted by the absolute score change (largest first; then parse changes,
then text-only changes, then id), which is the order a user checking a serving backend, a dtype
or a batch size wants to read them in.  Samples present in one run only are listed.
"""

from __future__ import annotations

import json
import math
from typing import Any, Mapping, Sequence

from .errors import InputError
from .runs import Run
from .sample_stats import sample_score

__all__ = ["diff_runs", "pick_models", "raw_output", "parse_signature"]


def pick_models(run_a: Run, run_b: Run, model: Sequence[str] | None) -> tuple[str, str]:
    if model:
        if len(model) > 2:
            raise InputError(f"expected MODEL or A,B, got {list(model)}", field="--model")
        ma, mb = (model[0], model[0]) if len(model) == 1 else tuple(model)
        for name, run in ((ma, run_a), (mb, run_b)):
            if name not in run.models:
                raise InputError(f"model {name!r} is not in this run (it has {run.models})",
                                 path=str(run.path), field="--model")
        return ma, mb
    common = [m for m in run_a.models if m in run_b.models]
    if len(common) == 1:
        return common[0], common[0]
    if not common and len(run_a.models) == 1 and len(run_b.models) == 1:
        return run_a.models[0], run_b.models[0]
    raise InputError(f"pick the model with --model (run A has {run_a.models}, run B has "
                     f"{run_b.models})", field="--model")


def raw_output(pred: Mapping[str, Any] | None) -> str | None:
    """The raw output of one prediction record as a string (None when there is none)."""
    if pred is None:
        return None
    if pred.get("error"):
        return f"[generation error] {pred['error']}"
    if pred.get("text") is not None:
        return str(pred["text"])
    parts = {k: pred[k] for k in ("events", "present", "answer") if pred.get(k) is not None}
    return json.dumps(parts, sort_keys=True, ensure_ascii=False) if parts else None


def _event_key(e: Mapping[str, Any]) -> tuple:
    def t(x: Any) -> float:
        try:
            return round(float(x), 6)
        except (TypeError, ValueError):
            return math.nan

    return (t(e.get("onset")), t(e.get("offset")), e.get("label"), e.get("caption"))


def parse_signature(row: Mapping[str, Any] | None) -> tuple | None:
    """What the parse produced, in a comparable form."""
    if row is None:
        return None
    events = row.get("events") or []
    return (bool(row.get("failed")), bool(row.get("absent")),
            json.dumps(row.get("value"), sort_keys=True, default=str),
            tuple(sorted((_event_key(e) for e in events if isinstance(e, Mapping)), key=repr)))


_PARSE_FIELDS = ("failed", "absent", "value", "events")


def _parse_changed(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Identical rows (the common case) are settled without building signatures."""
    if all(a.get(k) == b.get(k) for k in _PARSE_FIELDS):
        return False
    return parse_signature(a) != parse_signature(b)


def _delta(a: float | None, b: float | None) -> float | None:
    """``b - a``; a sample scored on one side only counts 0 on the other; None when neither."""
    a = None if a is None or math.isnan(a) else a
    b = None if b is None or math.isnan(b) else b
    if a is None and b is None:
        return None
    return (b or 0.0) - (a or 0.0)


def diff_runs(run_a: Run, run_b: Run, *, model: Sequence[str] | None = None,
              tasks: Sequence[str] | None = None) -> dict[str, Any]:
    """Per-sample differences of one model between two runs (JSON-ready dict)."""
    ma, mb = pick_models(run_a, run_b, model)
    ta, tb = run_a.tasks_of(ma), run_b.tasks_of(mb)
    names = [t for t in ta if t in tb and (not tasks or t in tasks)]
    if tasks:
        unknown = [t for t in tasks if t not in names]
        if unknown:
            raise InputError(f"task(s) {unknown} not scored for both runs (shared: "
                             f"{[t for t in ta if t in tb]})", field="--tasks")
    out_tasks = []
    for task in names:
        info = {**run_b.task_info(task), **run_a.task_info(task)}
        metric = info.get("primary_metric") or ""
        sa, sb = run_a.scores(ma, task), run_b.scores(mb, task)
        pa, pb = run_a.predictions(ma, task), run_b.predictions(mb, task)
        refs = run_a.references(task) or run_b.references(task)
        shared = [i for i in sa if i in sb]
        counts = {"text": 0, "parse": 0, "score": 0}
        changes = []
        for sid in shared:
            text_a, text_b = raw_output(pa.get(sid)), raw_output(pb.get(sid))
            text_changed = text_a != text_b
            parse_changed = _parse_changed(sa[sid], sb[sid])
            score_a, score_b = sample_score(metric, sa[sid]), sample_score(metric, sb[sid])
            delta = _delta(score_a, score_b)
            score_changed = delta is not None and abs(delta) > 1e-12
            counts["text"] += text_changed
            counts["parse"] += parse_changed
            counts["score"] += score_changed
            if not (text_changed or parse_changed or score_changed):
                continue
            ref = refs.get(sid) or {}
            changes.append({
                "id": sid, "delta": delta, "score_a": score_a, "score_b": score_b,
                "text_changed": text_changed, "parse_changed": parse_changed,
                "text_a": text_a, "text_b": text_b,
                "failed_a": bool(sa[sid].get("failed")), "failed_b": bool(sb[sid].get("failed")),
                "events_a": sa[sid].get("events") or [], "events_b": sb[sid].get("events") or [],
                "reference": {k: ref[k] for k in ("query", "question", "answer", "events",
                                                  "duration", "present") if k in ref},
            })
        changes.sort(key=lambda c: (-abs(c["delta"] or 0.0), not c["parse_changed"],
                                    not c["text_changed"], c["id"]))
        deltas = [c["delta"] for c in changes if c["delta"] is not None]
        out_tasks.append({
            "task": task, "metric": metric, "n_shared": len(shared),
            "only_a": [i for i in sa if i not in sb], "only_b": [i for i in sb if i not in sa],
            "n_text_changed": counts["text"], "n_parse_changed": counts["parse"],
            "n_score_changed": counts["score"],
            "n_unchanged": len(shared) - len(changes),
            "mean_score_change": (sum(deltas) / len(shared)) if shared else None,
            "changes": changes,
        })
    return {"run_a": str(run_a.path), "run_b": str(run_b.path), "model_a": ma, "model_b": mb,
            "tasks": out_tasks}
