"""Metric suites: how a task card's ``metrics:`` entries turn scored samples into numbers.

A suite is named in a task card with its parameters::

    metrics:
      - suite: grounding
        mode: set
        thresholds: [0.3, 0.5, 0.7, 0.9]

It receives the aligned list of :class:`Sample` (reference + parsed answer), calls the pure metric
functions of this package, and returns a :class:`SuiteOutput`: the aggregate metrics, per-sample
values (stored in the per-sample scores file) and a ``resample`` function that recomputes the
aggregate on any multiset of sample indices -- which is what the bootstrap confidence intervals
and the subset views use.  Suites never parse text and parsers never compute metrics.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping, Sequence

import numpy as np

from ..errors import InputError
from ..registry import Registry
from ..types import Event, ParsedAnswer, Reference

__all__ = ["Sample", "SuiteOutput", "MetricSuite", "SUITES", "build_suite"]


@dataclass(frozen=True)
class Sample:
    """One reference with the answer parsed for it (and optional frame scores for PSDS)."""

    reference: Reference
    parsed: ParsedAnswer
    frame_scores: Any = None


@dataclass
class SuiteOutput:
    metrics: dict[str, float]
    per_sample: dict[str, list] = field(default_factory=dict)
    resample: Callable[[np.ndarray], dict[str, float]] | None = None
    notes: list[str] = field(default_factory=list)
    #: intervals the suite computes itself (metrics without ``resample``, e.g. PSDS):
    #: metric -> {"low", "high", "method"}
    intervals: dict[str, dict[str, Any]] = field(default_factory=dict)


class MetricSuite(ABC):
    """Base class: declares its parameters with defaults; unknown parameters are rejected."""

    name: ClassVar[str] = ""
    defaults: ClassVar[Mapping[str, Any]] = {}
    #: metric names this suite can produce (for documentation and `timebench tasks`)
    produces: ClassVar[tuple[str, ...]] = ()

    #: parameter -> (low, high) inclusive bounds for numbers (and every number in a list)
    bounds: ClassVar[Mapping[str, tuple[float, float]]] = {}
    #: parameter -> allowed string values
    choices: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def __init__(self, **params: Any) -> None:
        unknown = set(params) - set(self.defaults)
        if unknown:
            raise InputError(f"unknown parameter(s) {sorted(unknown)} for metric suite "
                             f"'{self.name}'; known: {sorted(self.defaults)}", field="metrics")
        self.params = {**self.defaults}
        for key, value in params.items():
            self.params[key] = self._check(key, value)

    def _check(self, key: str, value: Any) -> Any:
        """Type-check a parameter against its default's type and the suite's bounds."""
        default = self.defaults[key]
        where = f"{self.name}.{key}"

        def number(v):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v \
                    or v in (float("inf"), float("-inf")):
                raise InputError(f"expected a finite number, got {v!r}", field=where)
            low, high = self.bounds.get(key, (float("-inf"), float("inf")))
            if not low <= v <= high:
                raise InputError(f"{v!r} is outside [{low:g}, {high:g}]", field=where)
            return v

        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise InputError(f"expected true or false, got {value!r}", field=where)
            return value
        if isinstance(default, (int, float)):
            return number(value)
        if isinstance(default, str):
            if not isinstance(value, str):
                raise InputError(f"expected a string, got {value!r}", field=where)
            if key in self.choices and value not in self.choices[key]:
                raise InputError(f"expected one of {list(self.choices[key])}, got {value!r}",
                                 field=where)
            return value
        if isinstance(default, (tuple, list)):
            if not isinstance(value, (list, tuple)) or not value:
                raise InputError(f"expected a non-empty list, got {value!r}", field=where)
            kind = type(default[0]) if default else None
            if kind in (int, float):
                return tuple(number(v) for v in value)
            if kind is str and not all(isinstance(v, str) for v in value):
                raise InputError(f"expected a list of strings, got {value!r}", field=where)
            return tuple(value)
        return value

    def describe(self) -> dict[str, Any]:
        return {"suite": self.name, **self.params}

    @abstractmethod
    def compute(self, samples: Sequence[Sample], *, labels: Sequence[str] | None = None
                ) -> SuiteOutput:
        """Score aligned samples."""


SUITES: Registry[type[MetricSuite]] = Registry("metric suite")


def build_suite(spec: Mapping[str, Any]) -> MetricSuite:
    """Instantiate a suite from a task-card entry ``{suite: name, **params}``."""
    spec = dict(spec)
    name = spec.pop("suite", None)
    if not isinstance(name, str):
        raise InputError("each metrics entry needs 'suite: <name>'", field="metrics")
    cls = SUITES.get(name)
    return cls(**spec)


def _thresholds(values) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


# -- grounding -----------------------------------------------------------------------------------

@SUITES.register("grounding")
class GroundingSuite(MetricSuite):
    """mIoU and R1@t (see :mod:`timebench.metrics.grounding`); negatives are left out."""

    name = "grounding"
    defaults = {"mode": "set", "thresholds": (0.3, 0.5, 0.7, 0.9), "tolerance": 1e-9,
                "map": True}
    bounds = {"thresholds": (0.0, 1.0), "tolerance": (0.0, 0.01)}
    choices = {"mode": ("set", "top1")}
    produces = ("mIoU", "R1@0.3", "R1@0.5", "R1@0.7", "R1@0.9", "mAP", "mAP@0.5", "mAP@0.75")

    def compute(self, samples, *, labels=None):
        from .grounding import GROUNDING_MODES, grounding_ious, grounding_summary

        mode = self.params["mode"]
        if mode not in GROUNDING_MODES:
            raise InputError(f"grounding mode must be one of {GROUNDING_MODES}", field="mode")
        thresholds = _thresholds(self.params["thresholds"])
        tol = float(self.params["tolerance"])
        keep = [i for i, s in enumerate(samples) if s.reference.events]
        preds = [() if samples[i].parsed.failed else samples[i].parsed.events for i in keep]
        refs = [samples[i].reference.events for i in keep]
        ious = grounding_ious(preds, refs, mode=mode)
        per = [None] * len(samples)
        for i, v in zip(keep, ious.tolist()):   # Python floats, as float(v)
            per[i] = v
        pos = np.array(keep, dtype=np.int64)
        lookup = np.full(len(samples), -1, dtype=np.int64)
        lookup[pos] = np.arange(pos.size)

        def resample(index: np.ndarray) -> dict[str, float]:
            sub = lookup[index]
            return grounding_summary(ious[sub[sub >= 0]], thresholds=thresholds, tolerance=tol)

        summary = grounding_summary(ious, thresholds=thresholds, tolerance=tol)
        per_sample = {"iou": per}
        if self.params["map"]:  # moment-retrieval mAP (extra, non-primary; see moment_map)
            from .moment_map import map_columns

            extra, per_sample_map = map_columns(preds, refs, keep, len(samples))
            summary.update(extra["summary"])
            per_sample.update(per_sample_map)
            base = resample

            def resample(index: np.ndarray) -> dict[str, float]:  # noqa: F811
                sub = lookup[index]
                return {**base(index), **extra["resample"](sub[sub >= 0])}

        return SuiteOutput(summary, per_sample, resample)


# -- presence ------------------------------------------------------------------------------------

def _is_positive(ref: Reference) -> bool:
    return ref.present if ref.present is not None else bool(ref.events)


@SUITES.register("presence")
class PresenceSuite(MetricSuite):
    """SpotSound-style presence accuracies and joint F1 (see :mod:`timebench.metrics.presence`)."""

    name = "presence"
    defaults = {"threshold": 0.5, "tolerance": 1e-9}
    bounds = {"threshold": (0.0, 1.0), "tolerance": (0.0, 0.01)}
    produces = ("presence_acc_pos", "presence_acc_neg", "joint_f1")

    def compute(self, samples, *, labels=None):
        from .grounding import set_iou
        from .presence import presence_flags, presence_summary

        positive = [_is_positive(s.reference) for s in samples]
        ious = [set_iou(s.parsed.events, s.reference.events) if pos and s.parsed.events else 0.0
                for s, pos in zip(samples, positive)]
        flags = presence_flags(
            positive=positive,
            claims=[s.parsed.claims_presence for s in samples],
            has_window=[bool(s.parsed.events) for s in samples],
            failed=[s.parsed.failed for s in samples],
            ious=ious, threshold=float(self.params["threshold"]),
            tolerance=float(self.params["tolerance"]))
        per = {"presence_correct": flags["correct_presence"].tolist(),
               "joint_tp": flags["tp"].tolist(),
               "joint_fp": flags["fp"].tolist(), "joint_fn": flags["fn"].tolist()}
        return SuiteOutput(presence_summary(flags), per,
                           lambda index: presence_summary(flags, index=index))


# -- detection -----------------------------------------------------------------------------------

def _event_maps(samples: Sequence[Sample], *, ignore_labels: bool):
    def strip(events):
        return [Event(e.onset, e.offset, None) for e in events] if ignore_labels else list(events)

    refs = {s.reference.id: strip(s.reference.events) for s in samples}
    ests = {s.reference.id: ([] if s.parsed.failed else strip(s.parsed.events)) for s in samples}
    return refs, ests


class _DetectionSuite(MetricSuite):
    prefix: ClassVar[str] = ""
    choices = {"empty_system_output": ("zero_score", "nan")}

    def _counts(self, refs, ests, labels):
        raise NotImplementedError

    def _errors(self, refs, ests):
        raise NotImplementedError

    def compute(self, samples, *, labels=None):
        from .detection import detection_scores

        ignore = bool(self.params.get("ignore_labels", False))
        refs, ests = _event_maps(samples, ignore_labels=ignore)
        vocab = None if ignore else (list(labels) if labels else None)
        counts = self._counts(refs, ests, vocab)
        eso = self.params["empty_system_output"]
        p = self.prefix

        def summarise(index=None):
            d = detection_scores(counts, files=index, empty_system_output=eso)
            out = {f"{p}_f1": d["f_measure"], f"{p}_precision": d["precision"],
                   f"{p}_recall": d["recall"]}
            if not ignore:
                out[f"{p}_f1_macro"] = d["f_measure_macro"]
            return out

        per = {f"{p}_ntp": counts.ntp.sum(axis=1).tolist(),
               f"{p}_nref": counts.nref.sum(axis=1).tolist(),
               f"{p}_nsys": counts.nsys.sum(axis=1).tolist()}
        # DCASE error rate (extra, non-primary; see timebench.metrics.error_rate)
        from .error_rate import error_rates

        errors = self._errors(refs, ests)
        f1_summary = summarise

        def summarise(index=None):  # noqa: F811
            rates = error_rates(errors, files=index)
            return {**f1_summary(index), **{f"{p}_{k}": v for k, v in rates.items()}}

        per.update({f"{p}_er_{k}": getattr(errors, k).tolist() for k in ("S", "D", "I", "nref")})
        return SuiteOutput(summarise(), per, summarise)


@SUITES.register("event_f1")
class EventF1Suite(_DetectionSuite):
    """sed_eval event-based F1 (collar on onset, offset max(collar, 20 % of length))."""

    name = "event_f1"
    prefix = "event"
    defaults = {"t_collar": 0.2, "percentage_of_length": 0.2, "evaluate_onset": True,
                "evaluate_offset": True, "empty_system_output": "zero_score",
                "ignore_labels": False}
    bounds = {"t_collar": (0.0, float("inf")), "percentage_of_length": (0.0, 1.0)}
    produces = ("event_f1", "event_f1_macro", "event_error_rate", "event_substitution_rate",
                "event_deletion_rate", "event_insertion_rate")

    def _counts(self, refs, ests, labels):
        from .detection import event_based_counts

        return event_based_counts(refs, ests, t_collar=float(self.params["t_collar"]),
                                  percentage_of_length=float(self.params["percentage_of_length"]),
                                  evaluate_onset=bool(self.params["evaluate_onset"]),
                                  evaluate_offset=bool(self.params["evaluate_offset"]),
                                  labels=labels)

    def _errors(self, refs, ests):
        from .error_rate import event_error_counts

        return event_error_counts(refs, ests, t_collar=float(self.params["t_collar"]),
                                  percentage_of_length=float(self.params["percentage_of_length"]),
                                  evaluate_onset=bool(self.params["evaluate_onset"]),
                                  evaluate_offset=bool(self.params["evaluate_offset"]))


@SUITES.register("segment_f1")
class SegmentF1Suite(_DetectionSuite):
    """sed_eval segment-based F1 (1 s segments by default)."""

    name = "segment_f1"
    prefix = "segment"
    defaults = {"time_resolution": 1.0, "empty_system_output": "zero_score",
                "ignore_labels": False}
    bounds = {"time_resolution": (1e-6, float("inf"))}
    produces = ("segment_f1", "segment_f1_macro", "segment_error_rate",
                "segment_substitution_rate", "segment_deletion_rate", "segment_insertion_rate")

    def _counts(self, refs, ests, labels):
        from .detection import segment_based_counts

        return segment_based_counts(refs, ests, time_resolution=float(self.params["time_resolution"]),
                                    labels=labels)

    def _errors(self, refs, ests):
        from .error_rate import segment_error_counts

        return segment_error_counts(refs, ests,
                                    time_resolution=float(self.params["time_resolution"]))


# -- temporal QA ---------------------------------------------------------------------------------

@SUITES.register("qa")
class QASuite(MetricSuite):
    """Accuracy per question type and numeric errors (see :mod:`timebench.metrics.qa`)."""

    name = "qa"
    defaults = {"abs_tolerance": 0.5, "rel_tolerance": 0.2}
    bounds = {"abs_tolerance": (0.0, float("inf")), "rel_tolerance": (0.0, float("inf"))}
    produces = ("accuracy", "count_mae", "duration_mae")

    def compute(self, samples, *, labels=None):
        from .qa import qa_correct, qa_error, qa_summary

        qtypes, correct, errors = [], [], []
        for s in samples:
            qtype = str(s.reference.extra.get("qtype", "other"))
            value = s.parsed.value
            qtypes.append(qtype)
            correct.append(qa_correct(qtype, value, s.reference.answer, failed=s.parsed.failed,
                                      abs_tolerance=float(self.params["abs_tolerance"]),
                                      rel_tolerance=float(self.params["rel_tolerance"])))
            errors.append(qa_error(qtype, value, s.reference.answer, failed=s.parsed.failed))
        per = {"correct": correct, "abs_error": errors}
        return SuiteOutput(qa_summary(qtypes, correct, errors), per,
                           lambda index: qa_summary(qtypes, correct, errors, index=index))


# Suites implemented in their own modules, imported only when a task uses them (they need
# optional dependencies such as pycocoevalcap or sed_scores_eval).
SUITES.register("captioning", "timebench.metrics.extra_suites:CaptioningSuite")
SUITES.register("soda", "timebench.metrics.extra_suites:SodaSuite")
SUITES.register("summary", "timebench.metrics.extra_suites:SummarySuite")
SUITES.register("psds", "timebench.metrics.extra_suites:PSDSSuite")
