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
* a structured field wins over ``text``: ``events``, then ``answer``, then ``present``; the text
  of such a prediction is ignored (noted per sample) and counted in ``n_text_ignored``;
* every answer is accounted for (:mod:`timebench.parsing.accounting`): a usable prediction, an
  explicit absence (tasks with negatives) or a failure with a reason;
  ``parse_failure_rate`` = samples without a usable prediction / number of references, and
  ``parse_failures`` counts them by reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import __version__
from .errors import InputError, TimebenchError
from .gcpause import collector_paused
from .metrics.suites import MetricSuite, Sample, SuiteOutput, build_suite
from .parsing.accounting import account, count_reasons
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
    n_text_ignored: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    parse_failures: dict[str, int] = field(default_factory=dict)
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
        with _gc_paused():   # every row is kept (see _gc_paused)
            return self._per_sample_rows()

    def _per_sample_rows(self) -> list[dict[str, Any]]:
        rows = []
        for i, s in enumerate(self.samples):
            row: dict[str, Any] = {
                "id": s.reference.id,
                "parser": s.parsed.parser,
                "failed": s.parsed.failed,
                **({"reason": s.parsed.reason} if s.parsed.reason else {}),
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
            "parse_failures": dict(self.parse_failures),
            "timebench_version": __version__,
            "task_version": self.task.task_version,
            "n_missing": self.n_missing,
            "n_parse_failed": self.n_failed - self.n_missing,
            "parsers": dict(self.parsers),
            "protocol": self.protocol,
            "metric_suites": [suite.describe() for suite, _ in self.suites],
            "samples_hash": self.samples_hash,
            "n_text_ignored": self.n_text_ignored,
            **({"label_mapping": self.extra["label_mapping"]}
               if "label_mapping" in self.extra else {}),
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


#: task kinds whose metrics never read event labels: captions need not be attached
_LABEL_FREE_KINDS = frozenset({"grounding", "presence"})


def task_parser_options(task: Task, pipeline: str) -> dict[str, Any] | None:
    """The card's parser options, plus, where the task asks about one queried event and ignores
    labels (grounding, presence) and the pipeline has the option: ``captions: false`` (a
    speed-up that changes no number) and ``single_query: true`` (docs/PARSING.md)."""
    key = (task.name, task.task_version, pipeline)
    hit = _OPTIONS_CACHE.get(key)
    if hit is None or hit[0] is not task:
        hit = _OPTIONS_CACHE[key] = (task, _parser_options(task, pipeline))
    return dict(hit[1]) if hit[1] else None


_OPTIONS_CACHE: dict[tuple, tuple[Task, dict[str, Any] | None]] = {}


def _parser_options(task: Task, pipeline: str) -> dict[str, Any] | None:
    from .parsing import get_pipeline

    options = dict(task.parser_options) if task.parser_options else {}
    if task.kind in _LABEL_FREE_KINDS:
        try:
            known = get_pipeline(pipeline).option_defaults()
        except TimebenchError:
            known = {}
        for key in ("captions", "single_query"):
            if key in known and key not in options:
                options[key] = key == "single_query"
    return options or None


def parse_prediction(task: Task, ref: Reference, pred: Prediction | None, *,
                     parser: str | None = None, labels: Sequence[str] | None = None,
                     extra_options: Mapping[str, Any] | None = None,
                     protocol=None) -> ParsedAnswer:
    """Turn one prediction into a :class:`ParsedAnswer` for ``ref`` under ``task``'s rules
    (and the parser options / clipping of ``protocol``, a :class:`~.metrics.protocols.Protocol`)."""
    given = _structured_answer(ref, pred, protocol)
    if given is not None:
        return given
    from .parsing import parse

    name = parser or task.parser_for(ref)
    options = _pipeline_options(task, name, protocol)
    if extra_options:
        options = {**(options or {}), **extra_options}
    try:
        prompt = task.render_prompt(ref, labels=labels)
    except TimebenchError:
        prompt = None
    return parse(pred.text, pipeline=name, duration=ref.duration, prompt=prompt,
                 labels=_vocabulary(ref, labels), options=options)


def _structured_answer(ref: Reference, pred: Prediction | None, protocol) -> ParsedAnswer | None:
    """The answer of a missing or structured prediction (``events``, ``answer``, ``present``);
    ``None`` when ``pred.text`` is to be parsed."""
    if pred is None:
        return ParsedAnswer(failed=True, parser="missing", notes=("missing prediction",),
                            reason="missing")
    if pred.events is not None:
        clip = protocol is None or protocol.clip_to_duration
        events, notes = clip_events(pred.events, ref.duration if clip else None)
        absent = pred.present is False or (not events and pred.present is None)
        if pred.present is False and events:
            notes = notes + ("present: false with events given; the events count",)
            absent = False
        if pred.text is not None:
            notes = notes + ("structured events used; text ignored",)
        return ParsedAnswer(events=events, absent=absent, affirmed=bool(pred.present),
                            value=pred.answer, notes=notes, parser="structured")
    if pred.answer is not None:  # a structured QA answer is canonical, as events are
        notes = ("structured answer used; text ignored",) if pred.text is not None else ()
        return ParsedAnswer(value=pred.answer, parser="structured", notes=notes)
    if pred.present is not None:
        notes = ("structured present used; text ignored",) if pred.text is not None else ()
        return ParsedAnswer(absent=not pred.present, affirmed=bool(pred.present),
                            parser="structured", notes=notes)
    return None


def _pipeline_options(task: Task, name: str, protocol) -> dict[str, Any] | None:
    """The card's options for pipeline ``name`` with ``protocol``'s parser options on top."""
    options = task_parser_options(task, name)
    if protocol is not None and protocol.parser_options:
        from .parsing import get_pipeline

        known = get_pipeline(name).option_defaults()
        options = {**(options or {}),
                   **{k: v for k, v in protocol.parser_options.items() if k in known}}
    return options


def _vocabulary(ref: Reference, labels: Sequence[str] | None) -> Sequence[str] | None:
    """The labels the parser reads: a QA sample's own answer options, else ``labels``."""
    extra = ref.extra
    if extra and isinstance(extra, Mapping) and extra.get("options"):
        return tuple(str(o) for o in extra["options"])
    return labels


def _gc_paused():
    """Pause the cyclic garbage collector (when it runs) for the loop that builds one parsed
    answer per sample: every answer and sample is kept, so the collections the allocations
    trigger walk a growing heap for no garbage (about 3 % of ``score``'s CPU on 20 000 tag
    samples).  Reference counting still frees everything acyclic at once; the collector runs
    again when the loop ends, however it ends.  Not around the metric suites: some build
    cyclic garbage (pandas in the SED references) that should be collected as it comes."""
    return collector_paused()


class _AnswerParser:
    """:func:`parse_prediction` for the samples of one :func:`score` call, with what is the
    same for every sample worked out once: the options per pipeline (card + protocol),
    resolved into a configured pipeline (``Pipeline.with_options`` of the options as
    ``resolve_options`` checks them, so each parse resolves no options), and the prompt per
    distinct value of the fields its template reads
    (:meth:`~timebench.tasks.Task.prompt_renderer`).  Same answers and the same errors at the
    same sample (tested against :func:`parse_prediction`)."""

    def __init__(self, task: Task, *, parser: str | None, labels: Sequence[str] | None,
                 protocol) -> None:
        from .parsing import PIPELINES, parse

        self.task, self.parser, self.labels, self.protocol = task, parser, labels, protocol
        self._parse, self._pipelines = parse, PIPELINES
        self._render = task.prompt_renderer(labels=labels)
        self._options: dict[str, dict[str, Any] | None] = {}
        self._configured: dict[tuple, Any] = {}

    def __call__(self, ref: Reference, pred: Prediction | None,
                 extra_options: Mapping[str, Any] | None = None) -> ParsedAnswer:
        if pred is None or pred.events is not None or pred.answer is not None \
                or pred.present is not None:
            return _structured_answer(ref, pred, self.protocol)
        name = self.parser or self.task.parser_for(ref)
        if name in self._options:
            options = self._options[name]
        else:
            options = self._options[name] = _pipeline_options(self.task, name, self.protocol)
        try:
            prompt = self._render(ref)
        except TimebenchError:
            prompt = None
        return self._parse(pred.text, pipeline=self._pipeline(name, options, extra_options),
                           duration=ref.duration, prompt=prompt,
                           labels=_vocabulary(ref, self.labels))

    def _pipeline(self, name: str, options: Mapping[str, Any] | None,
                  extra_options: Mapping[str, Any] | None):
        """Pipeline ``name`` with ``options`` and ``extra_options`` as its defaults (raising
        what ``parse(..., options=...)`` raises for them, at the first text parsed)."""
        # typed: {"clip": 1} must not reuse the pipeline of {"clip": True} (1 is refused)
        key = (name, tuple((k, type(v), v) for k, v in extra_options.items())
               if extra_options else ())
        try:
            hit = self._configured.get(key)
        except TypeError:   # an unhashable option value: configured for this call only
            hit, key = None, None
        if hit is None:
            merged = {**(options or {}), **(extra_options or {})}
            pipe = self._pipelines.get(name)
            hit = pipe.with_options(pipe.resolve_options(merged)) if merged else pipe
            if key is not None:
                self._configured[key] = hit
        return hit


def score(task: Task, references: Sequence[Reference], predictions: Sequence[Prediction] | Mapping[str, Prediction],
          *, parser: str | None = None, metric_overrides: Mapping[str, Mapping[str, Any]] | None = None,
          predictions_path: str | None = None, parsed: Mapping[str, ParsedAnswer] | None = None,
          frame_scores: Mapping[str, Any] | None = None,
          labels: Sequence[str] | None = None, protocol: str | None = None,
          label_map: Mapping[str, Any] | None = None) -> ScoreReport:
    """Score ``predictions`` against ``references`` under ``task``.

    ``metric_overrides`` maps a suite name to parameter overrides (``{"grounding": {"mode":
    "top1"}}``).  ``parsed`` lets a caller that already parsed (the runner) pass its answers.
    ``labels`` fixes the class vocabulary (default: :func:`task_labels`).  ``label_map``
    overrides the card's label-mapping settings (:mod:`timebench.labels.apply`).
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
    from .labels.apply import map_answers, map_choice, parser_overrides, settings_from

    label_settings = settings_from(task.card.get("label_map"), label_map, path=task.path)
    map_events = bool(labels) and task.kind == "detection"
    samples = []
    parse_one = _AnswerParser(task, parser=parser, labels=labels, protocol=proto)
    frames = frame_scores or {}
    is_qa = task.kind == "qa"
    with _gc_paused():  # the answers live on: collecting while they pile up finds nothing
        for ref in references:
            pred = pred_map.get(ref.id)
            if parsed is not None and ref.id in parsed:
                answer = parsed[ref.id]
            else:
                extra = parser_overrides(parser or task.parser_for(ref)) if map_events else None
                answer = parse_one(ref, pred, extra)
                if is_qa and pred is not None:
                    options = ref.extra.get("options") if isinstance(ref.extra, Mapping) else None
                    if options:
                        answer = map_choice(answer, pred.text, options, label_settings)
            answer = account(answer, task.kind)
            samples.append(Sample(ref, answer, frames.get(ref.id)))
    label_stats = None
    if map_events:
        mapped, label_stats = map_answers([s.parsed for s in samples], labels, label_settings)
        samples = [Sample(s.reference, a, s.frame_scores) for s, a in zip(samples, mapped)]

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
    n_text_ignored = sum(1 for p in pred_map.values() if p.text is not None and (
        p.events is not None or p.answer is not None or p.present is not None))
    n_missing = sum(1 for s in samples if s.parsed.parser == "missing")
    n_failed = sum(1 for s in samples if s.parsed.failed)
    rate = n_failed / len(samples) if samples else float("nan")
    metrics["parse_failure_rate"] = rate
    return ScoreReport(task=task, samples=samples, suites=suites, metrics=metrics,
                       parse_failure_rate=rate, n_missing=n_missing, n_failed=n_failed,
                       parsers=dict(Counter(s.parsed.parser for s in samples)),
                       samples_hash=hash_references(references), labels=labels,
                       n_text_ignored=n_text_ignored,
                       extra={"label_mapping": label_stats.to_json()} if label_stats else {},
                       parse_failures=count_reasons(s.parsed for s in samples),
                       protocol=proto.name)
