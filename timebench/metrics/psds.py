"""Polyphonic Sound Detection Score (PSDS) from frame-level class scores.

Definition: Bilen et al., "A Framework for the Robust Evaluation of Sound Event Detection",
ICASSP 2020; computed exactly (every threshold, no operating-point sampling) as in Ebbers,
Serizel, Haeb-Umbach, "Threshold-Independent Evaluation of Sound Event Detection Scores", ICASSP
2022.  By default with timebench's own numpy implementation (:mod:`.psds_native`, no pandas);
``backend="sed_scores_eval"`` uses ``sed_scores_eval.intersection_based.psds``
(``fgnt/sed_scores_eval``, the ``psds`` extra) instead.  The two agree to 1e-9 (value, per-class
values and ROC points; ``tests/test_psds_native.py``), see docs/METRICS.md.

Scenarios (DCASE 2021-2024 Task 4 recipes, ``sed_trainer.py``)

    ========  =====  =====  =====  ========  ========  ========================
    scenario  dtc    gtc    cttc   alpha_ct  alpha_st  max_efpr
    ========  =====  =====  =====  ========  ========  ========================
    psds1     0.7    0.7    None   0         1         100 false positives / hour
    psds2     0.1    0.1    0.3    0.5       1         100 false positives / hour
    ========  =====  =====  =====  ========  ========  ========================

Inputs
    * frame scores: :class:`model_adapters.base.FrameScores` per sample (``times`` are the
      ``n + 1`` frame boundaries, ``scores`` is ``(n, k)``, ``labels`` names the columns);
      for the reference backend they become sed_scores_eval score DataFrames
      (``create_score_dataframe``: columns ``onset``, ``offset``, one per class);
    * ground truth ``{id: [(onset, offset, label), ...]}`` from the reference events;
    * durations ``{id: seconds}`` (the eFPR denominator).

Conventions (ours, documented)
    * **Hard decisions get no PSDS.**  When no sample carries frame scores (an adapter that
      only outputs events), :func:`psds` returns a result with ``value=None`` and a reason; the
      caller reports event/segment F1 instead.  A single-operating-point "PSDS" is never made up.
    * A sample whose frame scores are missing while others have them is a failed sample: it gets
      one frame of score 0 for every class over ``[0, duration]`` (it detects nothing above any
      threshold but the lowest), so it stays in the denominator, as the contract requires.
    * Reference events of the same class that overlap or touch are merged (sed_scores_eval
      refuses connected same-class events; TACOS and DESED evaluations merge them the same way);
      zero-length reference events are dropped.
    * A class without any reference event cannot be scored by sed_scores_eval (it asserts);
      such classes are left out of the PSDS and named in ``notes``.
    * A sample without a duration uses the end of its last frame.

Pandas 3 and numpy >= 2.4 break sed_scores_eval 0.0.4 and psds_eval 0.5.3 (read-only arrays into
Cython; removed ``fillna(method=)``); the ``psds`` extra pins ``pandas<3`` and ``numpy<2.4``.
The native backend has no such pins.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from ..errors import InputError, MissingDependencyError, TimebenchError
from ..types import Event

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from model_adapters.base import FrameScores

__all__ = [
    "PSDSParams",
    "PSDS1",
    "PSDS2",
    "SCENARIOS",
    "PSDSResult",
    "resolve_params",
    "score_dataframe",
    "ground_truth_tuples",
    "prepare_psds_inputs",
    "prepare_psds_arrays",
    "native_statistics",
    "native_value",
    "psds",
    "psds_scores",
]

EventMap = Mapping[str, Sequence[Event]]


@dataclass(frozen=True)
class PSDSParams:
    """One PSDS operating scenario (argument names as in ``sed_scores_eval``)."""

    dtc_threshold: float
    gtc_threshold: float
    cttc_threshold: float | None
    alpha_ct: float
    alpha_st: float
    max_efpr: float = 100.0
    unit_of_time: str = "hour"

    def replace(self, **changes: Any) -> "PSDSParams":
        """A copy with some parameters changed (e.g. ``PSDS1.replace(max_efpr=50)``)."""
        return dataclasses.replace(self, **changes)


PSDS1 = PSDSParams(dtc_threshold=0.7, gtc_threshold=0.7, cttc_threshold=None, alpha_ct=0.0,
                   alpha_st=1.0, max_efpr=100.0)
PSDS2 = PSDSParams(dtc_threshold=0.1, gtc_threshold=0.1, cttc_threshold=0.3, alpha_ct=0.5,
                   alpha_st=1.0, max_efpr=100.0)
SCENARIOS: dict[str, PSDSParams] = {"psds1": PSDS1, "psds2": PSDS2}


@dataclass(frozen=True)
class PSDSResult:
    """A PSDS value (``None`` with a ``reason`` when it cannot be computed) and its breakdown."""

    value: float | None
    params: PSDSParams
    per_class: dict[str, float] = field(default_factory=dict)
    reason: str | None = None
    notes: tuple[str, ...] = ()


def resolve_params(scenario: str | PSDSParams, **overrides: Any) -> PSDSParams:
    """A scenario by name (``psds1``/``psds2``) or as given, with keyword overrides applied."""
    if isinstance(scenario, PSDSParams):
        base = scenario
    else:
        key = str(scenario).lower()
        if key not in SCENARIOS:
            raise InputError(f"unknown PSDS scenario {scenario!r}; known: {sorted(SCENARIOS)}",
                             field="psds")
        base = SCENARIOS[key]
    names = {f.name for f in dataclasses.fields(PSDSParams)}
    bad = sorted(set(overrides) - names)
    if bad:
        raise InputError(f"unknown PSDS parameter(s) {bad}; known: {sorted(names)}",
                         field="psds")
    params = base.replace(**overrides) if overrides else base
    if params.alpha_ct == 0 and params.cttc_threshold is not None:
        raise InputError("cttc_threshold must be None when alpha_ct is 0 (sed_scores_eval)",
                         field="psds")
    if params.alpha_ct != 0 and params.cttc_threshold is None:
        raise InputError("alpha_ct > 0 needs a cttc_threshold", field="psds")
    return params


def _import_sed_scores_eval():
    """Import what we need from sed_scores_eval lazily, with a clear error when it cannot work."""
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - pandas comes with sed_scores_eval
        raise MissingDependencyError("pandas", "psds", "PSDS") from exc
    if int(pd.__version__.split(".")[0]) >= 3:
        raise TimebenchError(
            f"PSDS: sed_scores_eval 0.0.4 fails with pandas {pd.__version__} (read-only arrays "
            "passed to its Cython code); install the pinned extra: pip install 'timebench[psds]' "
            "(pandas<3, numpy<2.4)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # dcase_util: "pkg_resources is deprecated"
            from sed_scores_eval.base_modules.scores import create_score_dataframe
            from sed_scores_eval.intersection_based import psds as sse_psds
    except ImportError as exc:
        raise MissingDependencyError("sed_scores_eval", "psds", "PSDS") from exc
    return pd, create_score_dataframe, sse_psds


def _check_frame_scores(sample_id: str, fs: "FrameScores") -> tuple[np.ndarray, np.ndarray,
                                                                     tuple[str, ...]]:
    times = np.asarray(fs.times, dtype=np.float64)
    scores = np.asarray(fs.scores, dtype=np.float64)
    labels = tuple(str(x) for x in fs.labels)
    where = f"sample {sample_id!r}"
    if scores.ndim != 2:
        raise InputError(f"{where}: frame scores must be 2-D (frames x classes), got shape "
                         f"{scores.shape}", field="frame_scores")
    if times.shape != (scores.shape[0] + 1,):
        raise InputError(f"{where}: {scores.shape[0]} frames need {scores.shape[0] + 1} time "
                         f"boundaries, got {times.shape[0] if times.ndim == 1 else times.shape}",
                         field="frame_scores.times")
    if scores.shape[0] == 0:
        raise InputError(f"{where}: no frames", field="frame_scores")
    if len(labels) != scores.shape[1] or len(set(labels)) != len(labels):
        raise InputError(f"{where}: {scores.shape[1]} score columns need as many distinct "
                         f"labels, got {list(labels)}", field="frame_scores.labels")
    if not np.all(np.isfinite(times)) or not np.all(np.diff(times) > 0):
        raise InputError(f"{where}: frame times must be finite and strictly increasing",
                         field="frame_scores.times")
    if not np.all(np.isfinite(scores)):
        raise InputError(f"{where}: frame scores must be finite", field="frame_scores.scores")
    return times, scores, labels


def score_dataframe(frame_scores: "FrameScores", *, labels: Sequence[str] | None = None,
                    sample_id: str = "?") -> "pd.DataFrame":
    """sed_scores_eval score DataFrame (``onset``, ``offset``, one column per class).

    ``labels`` fixes the column order (every label must be among ``frame_scores.labels``, which
    may list them in another order); by default the frame scores' own order is kept.
    """
    _, create_score_dataframe, _ = _import_sed_scores_eval()
    times, scores, own = _check_frame_scores(sample_id, frame_scores)
    if labels is None:
        labels = own
    else:
        labels = tuple(str(x) for x in labels)
        if set(labels) != set(own):
            raise InputError(f"sample {sample_id!r}: frame-score labels {sorted(own)} differ "
                             f"from the class list {sorted(labels)}", field="frame_scores.labels")
        index = {name: k for k, name in enumerate(own)}
        scores = scores[:, [index[name] for name in labels]]
    return create_score_dataframe(scores, times, list(labels))


def ground_truth_tuples(references: EventMap) -> dict[str, list[tuple[float, float, str]]]:
    """``{id: [(onset, offset, label), ...]}`` with same-class overlapping/touching events merged.

    Events are sorted by (label, onset); zero-length events are dropped; an event without a
    label raises :class:`InputError` (PSDS needs classes).
    """
    out: dict[str, list[tuple[float, float, str]]] = {}
    for sample_id, events in references.items():
        by_label: dict[str, list[tuple[float, float]]] = {}
        for ev in events:
            if ev.label is None:
                raise InputError(f"sample {sample_id!r}: a reference event has no label; PSDS "
                                 "needs class labels", field="events.label")
            if ev.offset > ev.onset:
                by_label.setdefault(str(ev.label), []).append((float(ev.onset), float(ev.offset)))
        merged: list[tuple[float, float, str]] = []
        for label in sorted(by_label):
            cur_on = cur_off = None
            for on, off in sorted(by_label[label]):
                if cur_on is None:
                    cur_on, cur_off = on, off
                elif on <= cur_off:
                    cur_off = max(cur_off, off)
                else:
                    merged.append((cur_on, cur_off, label))
                    cur_on, cur_off = on, off
            if cur_on is not None:
                merged.append((cur_on, cur_off, label))
        out[sample_id] = merged
    return out


def prepare_psds_arrays(frame_scores: Mapping[str, "FrameScores | None"], references: EventMap,
                        durations: Mapping[str, float | None], *,
                        labels: Sequence[str] | None = None):
    """``({id: (times, scores)}, ground truth, durations, scored classes, notes)`` (no pandas).

    ``scores`` columns follow the scored classes (classes with at least one reference event).
    Returns ``None`` for the first item when no sample has frame scores (hard decisions).
    Every id of ``references`` is scored; frame scores for other ids raise :class:`InputError`.
    """
    ids = list(references)
    unknown = [k for k in frame_scores if k not in references]
    if unknown:
        raise InputError(f"frame scores for {len(unknown)} sample id(s) without references: "
                         + ", ".join(repr(k) for k in unknown[:5]), field="id")
    present = {k: v for k, v in frame_scores.items() if v is not None}
    notes: list[str] = []
    if not present:
        return None, None, None, (), ("no frame scores",)
    checked = {k: _check_frame_scores(k, v) for k, v in present.items()}
    if labels is None:
        vocab = checked[next(iter(checked))][2]
    else:
        vocab = tuple(str(x) for x in labels)
    for k, (_, _, own) in checked.items():
        if set(own) != set(vocab):
            raise InputError(f"sample {k!r}: frame-score labels {sorted(own)} differ from the "
                             f"class list {sorted(vocab)}", field="frame_scores.labels")

    gt = ground_truth_tuples(references)
    gt_labels = {ev[2] for evs in gt.values() for ev in evs}
    stray = sorted(gt_labels - set(vocab))
    if stray:
        raise InputError(f"reference labels {stray} have no frame-score column (classes: "
                         f"{list(vocab)})", field="events.label")
    scored = tuple(c for c in vocab if c in gt_labels)
    dropped = [c for c in vocab if c not in gt_labels]
    if dropped:
        notes.append(f"classes without reference events left out of PSDS: {dropped}")

    dur: dict[str, float] = {}
    for k in ids:
        d = durations.get(k)
        if d is None and k in checked:
            d = float(checked[k][0][-1])
            notes.append(f"sample {k!r}: no duration, using the end of its last frame ({d:g} s)")
        if d is None or not math.isfinite(float(d)) or float(d) <= 0:
            raise InputError(f"sample {k!r}: PSDS needs a positive audio duration, got {d!r}",
                             field="duration")
        dur[k] = float(d)

    arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for k in ids:
        if k in checked:
            times, arr, own = checked[k]
            index = {name: j for j, name in enumerate(own)}
            arr = arr[:, [index[name] for name in scored]]
        else:
            times = np.array([0.0, dur[k]])
            arr = np.zeros((1, len(scored)))
        arrays[k] = (times, arr)
    failed = [k for k in ids if k not in checked]
    if failed:
        notes.append(f"{len(failed)} sample(s) without frame scores scored as all-zero "
                     "(failures)")
    return arrays, gt, dur, scored, tuple(notes)


def prepare_psds_inputs(frame_scores: Mapping[str, "FrameScores | None"], references: EventMap,
                        durations: Mapping[str, float | None], *,
                        labels: Sequence[str] | None = None):
    """As :func:`prepare_psds_arrays`, with sed_scores_eval score DataFrames (needs pandas)."""
    arrays, gt, dur, scored, notes = prepare_psds_arrays(frame_scores, references, durations,
                                                         labels=labels)
    if arrays is None:
        return None, None, None, (), notes
    _, create_score_dataframe, _ = _import_sed_scores_eval()
    scores = {k: create_score_dataframe(arr, times, list(scored))
              for k, (times, arr) in arrays.items()}
    return scores, gt, dur, scored, notes


def native_statistics(arrays: Mapping[str, tuple[np.ndarray, np.ndarray]],
                      gt: Mapping[str, Sequence[tuple[float, float, str]]],
                      dur: Mapping[str, float], scored: Sequence[str], *,
                      params: PSDSParams, time_decimals: int = 6):
    """Per-file PSDS statistics (:mod:`.psds_native`) of prepared arrays, ids sorted."""
    from .psds_native import dataset_statistics

    return dataset_statistics(frames=arrays, ground_truth=gt, durations=dur,
                              classes=list(scored), dtc=params.dtc_threshold,
                              gtc=params.gtc_threshold, cttc=params.cttc_threshold,
                              time_decimals=time_decimals)


def native_value(files: Sequence[Any], scored: Sequence[str], params: PSDSParams):
    """:class:`.psds_native.NativePSDS` of a multiset of per-file statistics."""
    from .psds_native import psd_roc_from_statistics

    return psd_roc_from_statistics(files, classes=list(scored), alpha_ct=params.alpha_ct,
                                   alpha_st=params.alpha_st, max_efpr=params.max_efpr,
                                   unit_of_time=params.unit_of_time)


def psds(frame_scores: Mapping[str, "FrameScores | None"], references: EventMap,
         durations: Mapping[str, float | None], *, params: PSDSParams | str = "psds1",
         labels: Sequence[str] | None = None, time_decimals: int = 6,
         num_jobs: int = 1, backend: str = "native") -> PSDSResult:
    """PSDS of frame-level scores against reference events (exact, every threshold).

    Parameters
    ----------
    frame_scores
        Sample id -> :class:`FrameScores`, or ``None`` for a sample without scores.  When no
        sample has frame scores the result has ``value=None`` and a ``reason``.
    references
        Sample id -> reference events with class labels (every id is scored).
    durations
        Sample id -> audio duration in seconds.
    params
        ``"psds1"``, ``"psds2"`` or a :class:`PSDSParams` (see :func:`resolve_params`).
    labels
        Class list (column order); default: the labels of the first frame scores.
    time_decimals
        Rounding of intersection times before the criteria are compared (6, as DCASE).
    num_jobs
        Processes for sed_scores_eval (``backend="sed_scores_eval"`` only).
    backend
        ``"native"`` (default; numpy only, :mod:`.psds_native`) or ``"sed_scores_eval"`` (the
        reference package; needs the ``psds`` extra).  Both give the same numbers
        (``tests/test_psds_native.py``).
    """
    params = resolve_params(params)
    if backend not in ("native", "sed_scores_eval"):
        raise InputError(f"unknown PSDS backend {backend!r}; use 'native' or 'sed_scores_eval'",
                         field="backend")
    scores, gt, dur, scored, notes = prepare_psds_arrays(frame_scores, references, durations,
                                                         labels=labels)
    if scores is None:
        return PSDSResult(value=None, params=params, reason=(
            "PSDS needs frame-level scores; this output has hard decisions (events) only, so "
            "report event-based / segment-based F1 instead"))
    if not scored:
        return PSDSResult(value=None, params=params, notes=notes,
                          reason="no reference events: PSDS is undefined")
    if backend == "native":
        stats = native_statistics(scores, gt, dur, scored, params=params,
                                  time_decimals=time_decimals)
        res = native_value(list(stats.values()), scored, params)
        return PSDSResult(value=res.value, params=params, per_class=dict(res.per_class),
                          notes=notes)
    _, create_score_dataframe, sse_psds = _import_sed_scores_eval()
    scores = {k: create_score_dataframe(arr, times, list(scored))
              for k, (times, arr) in scores.items()}
    value, per_class, _, _ = sse_psds(
        scores, gt, dur, dtc_threshold=params.dtc_threshold,
        gtc_threshold=params.gtc_threshold, cttc_threshold=params.cttc_threshold,
        alpha_ct=params.alpha_ct, alpha_st=params.alpha_st, unit_of_time=params.unit_of_time,
        max_efpr=params.max_efpr, time_decimals=time_decimals, num_jobs=num_jobs)
    return PSDSResult(value=float(value), params=params,
                      per_class={str(k): float(v) for k, v in per_class.items()}, notes=notes)


def psds_scores(frame_scores: Mapping[str, "FrameScores | None"], references: EventMap,
                durations: Mapping[str, float | None], *,
                scenarios: Mapping[str, PSDSParams | str] | Sequence[str] = ("psds1", "psds2"),
                labels: Sequence[str] | None = None, num_jobs: int = 1,
                backend: str = "native") -> dict[str, PSDSResult]:
    """Several PSDS scenarios at once: ``{"psds1": PSDSResult, "psds2": PSDSResult}`` by default.

    ``scenarios`` is a list of scenario names or a mapping result name -> parameters.
    """
    if isinstance(scenarios, Mapping):
        items = list(scenarios.items())
    else:
        items = [(str(name), str(name)) for name in scenarios]
    return {name: psds(frame_scores, references, durations, params=p, labels=labels,
                       num_jobs=num_jobs, backend=backend)
            for name, p in items}
