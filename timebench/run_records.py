"""Cache records <-> generations and predictions, and the per-sample seed: the format of one
line of a run's cache (:mod:`timebench.cache`)."""

from __future__ import annotations

import hashlib
from typing import Any, Mapping

import numpy as np

from .redact import Redactor
from .types import Event, Prediction

__all__ = ["sample_seed", "generation_to_record", "record_to_prediction", "redact_record"]


def redact_record(record: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    """A cache record's generation with every stored text passed through ``redactor``
    (frame scores are numbers and class names, left as they are)."""
    return {k: (v if k == "frame_scores" else redactor.value(v)) for k, v in record.items()}


def sample_seed(seed: int, task: str, sample_id: str) -> int:
    """Per-sample seed: independent of order, batching and sharding."""
    digest = hashlib.sha256(f"{seed}:{task}:{sample_id}".encode("utf-8")).hexdigest()
    return int(digest[:8], 16)


def _json_safe(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def generation_to_record(gen) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if gen.text is not None:
        out["text"] = gen.text
    if gen.events is not None:
        out["events"] = [e.to_dict() for e in gen.events]
    if gen.present is not None:
        out["present"] = bool(gen.present)
    if gen.answer is not None:
        out["answer"] = _json_safe(gen.answer)
    if gen.frame_scores is not None:
        fs = gen.frame_scores
        out["frame_scores"] = {"times": np.asarray(fs.times, dtype=np.float64).tolist(),
                               "scores": np.asarray(fs.scores, dtype=np.float64).tolist(),
                               "labels": list(fs.labels)}
    if gen.error is not None:
        out["error"] = str(gen.error)
    if gen.meta:
        out["meta"] = _json_safe(dict(gen.meta))
    return out


def record_to_prediction(sample_id: str, rec: Mapping[str, Any]) -> Prediction:
    events = None
    if rec.get("events") is not None:
        events = tuple(Event(float(e["onset"]), float(e["offset"]), e.get("label"), e.get("score"))
                       for e in rec["events"])
    return Prediction(id=sample_id, text=rec.get("text"), events=events,
                      present=rec.get("present"), answer=rec.get("answer"), source="cache")


def _frame_scores(rec: Mapping[str, Any]):
    fs = rec.get("frame_scores")
    if not fs:
        return None
    from model_adapters.base import FrameScores

    return FrameScores(times=np.asarray(fs["times"], dtype=np.float64),
                       scores=np.asarray(fs["scores"], dtype=np.float64),
                       labels=tuple(fs["labels"]))
