"""Write synthetic run folders (results.json, references, predictions, scores) for compare/diff
tests and benchmarks, in the layout :mod:`timebench.runner` writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

TASK_INFO = {
    "tag": {"kind": "grounding", "primary_metric": "mIoU",
            "leaderboard_metrics": ["mIoU", "R1@0.5", "R1@0.7"]},
    "sed": {"kind": "detection", "primary_metric": "event_f1",
            "leaderboard_metrics": ["event_f1", "event_f1_macro", "segment_f1", "event_error_rate"]},
}


def _jsonl(path: Path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")


def write_run(root: Path, models: Mapping[str, Mapping[str, Sequence[dict]]],
              references: Mapping[str, Sequence[dict]],
              predictions: Mapping[str, Mapping[str, Sequence[dict]]] | None = None) -> Path:
    """``models[model][task]`` = score rows; ``references[task]`` = reference rows."""
    root = Path(root)
    results = {"schema_version": 1, "tasks": {}, "models": {}, "results": {}}
    for task, refs in references.items():
        _jsonl(root / "references" / f"{task}.jsonl", refs)
        results["tasks"][task] = {**TASK_INFO[task], "references": f"references/{task}.jsonl",
                                  "n": len(refs)}
    for model, per_task in models.items():
        results["models"][model] = {"adapter": "synthetic", "fingerprint": model, "config": {}}
        for task, rows in per_task.items():
            base = Path(model) / task
            _jsonl(root / base / "scores.jsonl", rows)
            preds = (predictions or {}).get(model, {}).get(task)
            if preds is None:
                preds = [{"id": r["id"], "text": " ".join(
                    f"{e['onset']:.2f} - {e['offset']:.2f}" for e in r.get("events", []))}
                    for r in rows]
            _jsonl(root / base / "predictions.jsonl", preds)
            results["results"].setdefault(model, {})[task] = {
                "metrics": {}, "ci": {}, "n": len(rows),
                "scores": str(base / "scores.jsonl"),
                "predictions": str(base / "predictions.jsonl")}
    (root / "results.json").write_text(json.dumps(results), encoding="utf-8")
    return root


def grounding_rows(ious: np.ndarray, ids: Sequence[str] | None = None) -> list[dict]:
    """Score rows of a grounding task with the given per-sample IoUs (reference [0, 10])."""
    ids = ids or [f"s{i:06d}" for i in range(len(ious))]
    return [{"id": sid, "parser": "lenient", "failed": False, "absent": False,
             "events": [{"onset": 0.0, "offset": round(10.0 * float(v), 6)}], "iou": float(v)}
            for sid, v in zip(ids, ious)]


def grounding_references(n: int) -> list[dict]:
    return [{"id": f"s{i:06d}", "duration": 30.0, "query": "a sound",
             "events": [{"onset": 0.0, "offset": 10.0}]} for i in range(n)]
