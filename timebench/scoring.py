"""Scoring: references + predictions -> parsed answers -> metric suites -> a report.

This is the one path every number goes through: ``timebench score`` calls it on a predictions
file, and ``timebench run`` calls it on the model outputs it collected.  So a number means the
same thing on either path.

Rules (CONTRACT.md):

* every reference is scored; a missing prediction is a failure (IoU 0, no events), never skipped
  and never filled in;
* a prediction whose id is not in the references is an error (exit 2), as is a duplicate id;
* structured ``events`` in a prediction are used as given (clipped to the clip duration, with a
  note), raw ``text`` goes through the task's parser pipeline (or the one passed explicitly);
* ``parse_failure_rate`` = (failed parses + missing predictions) / number of references.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from . import __version__
from .errors import InputError, TimebenchError
from .metrics.suites import MetricSuite, Sample, SuiteOutput, build_suite
from .tasks import Task, hash_references
from .types import Event, ParsedAnswer, Prediction, Reference

__all__ = ["ScoreReport", "score", "parse_prediction", "task_labels", "clip_events"]


@dataclass
class ScoreReport:
    """Everything a score produced; :meth:`to_json` gives the contract's metrics file."""

    task: Task
    samples: list[Sample]
    suites: list[tuple[MetricSuite, SuiteOutput]]
    metrics: dict[str, float]
    parse_failure_rate: float
    n_missing: int
    n_failed: int
    parsers: dict[str, int]
    samples_hash: str
    labels: tuple[str, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    protocol: str = "timebench"

    @property
    def n(self) -> int:
        return len(self.samples)

    def resample(self, index: np.ndarray) -> dict[str, float]:
        """All metrics recomputed on a multiset of sample indices (for bootstrap intervals)."""
        out: dict[str, float] = {}
        for _, result in self.suites:
            if result.resample is not None:
                out.update(result.resample(index))
        failed = np.array([s.parsed.failed for s in self.samples], dtype=bool)[index]
        out["parse_failure_rate"] = float(failed.mean()) if failed.size else float("nan")
        return out

    def per_sample_rows(self) -> list[dict[str, Any]]:
        """One row per reference: id, parse outcome, events and per-sample metric values."""
        rows = []
        for i, s in enumerate(self.samples):
            row: dict[str, Any] = {
                "id": s.reference.id,
                "parser": s.parsed.parser,
                "failed": s.parsed.failed,
                "absent": s.parsed.absent,
                "events": [e.to_dict() for e in s.parsed.events],
            }
            if s.parsed.value is not None:
                row["value"] = s.parsed.value
            if s.parsed.notes:
                row["notes"] = list(s.parsed.notes)
            for _, result in self.suites:
                for key, values in result.per_sample.items():
                    if values[i] is not None:
                        row[key] = values[i]
            rows.append(row)
        return rows

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task.name,
            "n": self.n,
            "metrics": dict(self.metrics),
            "parse_failure_rate": self.parse_failure_rate,
            "timebench_version": __version__,
            "task_version": self.task.task_version,
            "n_missing": self.n_missing,
            "n_parse_failed": self.n_failed - self.n_missing,
            "parsers": dict(self.parsers),
            "protocol": self.protocol,
            "metric_suites": [suite.describe() for suite, _ in self.suites],
            "samples_hash": self.samples_hash,
        }


def task_labels(task: Task, references: Sequence[Reference]) -> tuple[str, ...] | None:
    """The class vocabulary: the card's ``labels`` or, for detection, the reference labels."""
    if task.labels:
        return tuple(task.labels)
    if task.kind == "detection":
        return tuple(sorted({e.label for r in references for e in r.events if e.label}))
    return None


def clip_events(events: Sequence[Event], duration: float | None) -> tuple[tuple[Event, ...], tuple[str, ...]]:
    """Clip structured events to ``[0, duration]``; drop those left empty; return notes."""
    if duration is None:
        return tuple(events), ()
    out, notes = [], []
    for e in events:
        on, off = min(e.onset, duration), min(e.offset, duration)
        if (on, off) != (e.onset, e.offset):
            notes.append(f"clipped {e.onset:g}-{e.offset:g} to the duration {duration:g}")
        if off <= on and e.offset > e.onset:
            notes.append(f"dropped {e.onset:g}-{e.offset:g}: outside the clip")
            continue
        out.append(Event(on, off, e.label, e.score))
    return tuple(out), tuple(notes)


def parse_prediction(task: Task, ref: Reference, pred: Prediction | None, *,
                     parser: str | None = None, labels: Sequence[str] | None = None,
                     protocol=None) -> ParsedAnswer:
    """Turn one prediction into a :class:`ParsedAnswer` for ``ref`` under ``task``'s rules
    (and the parser options / clipping of ``protocol``, a :class:`~.metrics.protocols.Protocol`)."""
    if pred is None:
        return ParsedAnswer(failed=True, parser="missing", notes=("missing prediction",))
    if pred.events is not None:
        clip = protocol is None or protocol.clip_to_duration
        events, notes = clip_events(pred.events, ref.duration if clip else None)
        absent = pred.present is False or (not events and pred.present is None)
        if pred.present is False and events:
            notes = notes + ("present: false with events given; the events count",)
            absent = False
        return ParsedAnswer(events=events, absent=absent, affirmed=bool(pred.present),
                            value=pred.answer, notes=notes, parser="structured")
    if pred.answer is not None:  # a structured QA answer is canonical, as events are
        notes = ("structured answer used; text ignored",) if pred.text is not None else ()
        return ParsedAnswer(value=pred.answer, parser="structured", notes=notes)
    if pred.text is None and pred.present is not None:
        return ParsedAnswer(absent=not pred.present, affirmed=bool(pred.present),
                            parser="structured")
    from .parsing import parse

    name = parser or task.parser_for(ref)
    options = task.parser_options
    if protocol is not None and protocol.parser_options:
        from .parsing import get_pipeline

        known = get_pipeline(name).option_defaults()
        options = {**options, **{k: v for k, v in protocol.parser_options.items() if k in known}}
    vocab = labels
    if isinstance(ref.extra, Mapping) and ref.extra.get("options"):
        vocab = tuple(str(o) for o in ref.extra["options"])
    try:
        prompt = task.render_prompt(ref, labels=labels)
    except TimebenchError:
        prompt = None
    return parse(pred.text, pipeline=name, duration=ref.duration, prompt=prompt, labels=vocab,
                 options=options)


def score(task: Task, references: Sequence[Reference], predictions: Sequence[Prediction] | Mapping[str, Prediction],
          *, parser: str | None = None, metric_overrides: Mapping[str, Mapping[str, Any]] | None = None,
          predictions_path: str | None = None, parsed: Mapping[str, ParsedAnswer] | None = None,
          frame_scores: Mapping[str, Any] | None = None,
          labels: Sequence[str] | None = None, protocol: str | None = None) -> ScoreReport:
    """Score ``predictions`` against ``references`` under ``task``.

    ``metric_overrides`` maps a suite name to parameter overrides (``{"grounding": {"mode":
    "top1"}}``).  ``parsed`` lets a caller that already parsed (the runner) pass its answers.
    ``labels`` fixes the class vocabulary (default: :func:`task_labels`).
    ``protocol`` names the scoring convention (:mod:`.metrics.protocols`; default: the task
    card's): its suite parameters apply first, ``metric_overrides`` on top.
    """
    from .metrics.protocols import get_protocol

    proto = get_protocol(protocol or task.protocol)
    if isinstance(predictions, Mapping):
        pred_map = dict(predictions)
    else:
        pred_map = {}
        for p in predictions:
            if p.id in pred_map:
                raise InputError(f"duplicate id '{p.id}'", path=p.source or predictions_path,
                                 field="id")
            pred_map[p.id] = p
    ref_ids = {r.id for r in references}
    for pid, p in pred_map.items():
        if pid not in ref_ids:
            raise InputError(f"id '{pid}' is not in the references", path=p.source or predictions_path,
                             field="id")
    labels = tuple(labels) if labels else task_labels(task, references)
    samples = []
    for ref in references:
        if parsed is not None and ref.id in parsed:
            answer = parsed[ref.id]
        else:
            answer = parse_prediction(task, ref, pred_map.get(ref.id), parser=parser, labels=labels,
                                      protocol=proto)
        samples.append(Sample(ref, answer, (frame_scores or {}).get(ref.id)))

    overrides = {k: dict(v) for k, v in (metric_overrides or {}).items()}
    from_protocol = proto.suite_overrides(m["suite"] for m in task.metrics)
    used = set()
    suites: list[tuple[MetricSuite, SuiteOutput]] = []
    metrics: dict[str, float] = {}
    for spec in task.metrics:
        spec = dict(spec)
        name = spec["suite"]
        spec.update(from_protocol.get(name, {}))
        if name in overrides:
            spec.update(overrides[name])
            used.add(name)
        suite = build_suite(spec)
        result = suite.compute(samples, labels=labels)
        suites.append((suite, result))
        metrics.update(result.metrics)
    unused = set(overrides) - used
    if unused:
        raise InputError(f"task '{task.name}' has no metric suite(s) {sorted(unused)}; "
                         f"it has {[m['suite'] for m in task.metrics]}", field="metric-arg")
    n_missing = sum(1 for s in samples if s.parsed.parser == "missing")
    n_failed = sum(1 for s in samples if s.parsed.failed)
    rate = n_failed / len(samples) if samples else float("nan")
    metrics["parse_failure_rate"] = rate
    return ScoreReport(task=task, samples=samples, suites=suites, metrics=metrics,
                       parse_failure_rate=rate, n_missing=n_missing, n_failed=n_failed,
                       parsers=dict(Counter(s.parsed.parser for s in samples)),
                       samples_hash=hash_references(references), labels=labels,
                       protocol=proto.name)
