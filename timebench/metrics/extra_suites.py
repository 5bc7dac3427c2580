"""Metric suites that need optional dependencies (pycocoevalcap + Java), and PSDS (numpy only).

Kept apart from :mod:`timebench.metrics.suites` so that scoring grounding or SED never imports
them; the registry names them lazily.  The METEOR JVM is started once per process (one per
``timebench run`` or ``timebench score``) and reused by every captioning and SODA computation.
"""

from __future__ import annotations

import atexit
from typing import Any

import numpy as np

from .suites import MetricSuite, SuiteOutput

__all__ = ["CaptioningSuite", "SodaSuite", "SummarySuite", "PSDSSuite", "shared_scorer"]

_SCORER = None


def shared_scorer():
    """The process-wide :class:`~timebench.metrics.captioning.CaptionScorer` (one METEOR JVM)."""
    global _SCORER
    from .captioning import CaptionScorer

    if _SCORER is None or _SCORER.closed:
        _SCORER = CaptionScorer()
        atexit.register(_SCORER.close)
    return _SCORER


def _maps(samples):
    refs = {s.reference.id: list(s.reference.events) for s in samples}
    preds = {s.reference.id: ([] if s.parsed.failed else list(s.parsed.events)) for s in samples}
    return refs, preds


def _mean_suite_output(scores, samples, names) -> SuiteOutput:
    """Per-sample arrays -> aggregate (their mean, as the metric modules define) + resample."""
    order = {sid: i for i, sid in enumerate(scores.ids)}
    index = np.array([order[s.reference.id] for s in samples], dtype=np.int64)
    per = {k: np.asarray(scores.per_sample[k], dtype=np.float64)[index] for k in names
           if k in scores.per_sample}
    aggregate = {k: float(scores.aggregate[k]) for k in names if k in scores.aggregate}

    def resample(idx: np.ndarray) -> dict[str, float]:
        return {k: float(v[idx].mean()) if idx.size else float("nan") for k, v in per.items()}

    return SuiteOutput(aggregate, {k: v.tolist() for k, v in per.items()}, resample)


class CaptioningSuite(MetricSuite):
    """tIoU-matched METEOR / CIDEr / BLEU4 / ROUGE_L (ActivityNet densevid_eval 2018)."""

    name = "captioning"
    defaults = {"tious": (0.3, 0.5, 0.7, 0.9), "metrics": ("METEOR", "CIDEr", "BLEU4", "ROUGE_L"),
                "max_proposals": 1000, "unmatched": "fixed", "garbage_seed": 0}
    choices = {"unmatched": ("fixed", "random")}
    bounds = {"garbage_seed": (0, 2**31 - 1)}
    produces = ("METEOR", "CIDEr", "BLEU4", "ROUGE_L")

    def compute(self, samples, *, labels=None):
        from .captioning import dense_caption_scores

        refs, preds = _maps(samples)
        metrics = tuple(self.params["metrics"])
        scores = dense_caption_scores(refs, preds, scorer=shared_scorer() if metrics else None,
                                      tious=tuple(float(t) for t in self.params["tious"]),
                                      metrics=metrics,
                                      max_proposals=self.params["max_proposals"],
                                      unmatched=self.params["unmatched"],
                                      garbage_seed=int(self.params["garbage_seed"]))
        out = _mean_suite_output(scores, samples, [*metrics, "proposal_precision",
                                                   "proposal_recall"])
        notes = scores.details.get("notes") if isinstance(scores.details, dict) else None
        if notes:
            out.notes.extend(notes)
        return out


class SodaSuite(MetricSuite):
    """SODA_c (Fujita et al., ECCV 2020): ordered DP matching on IoU x METEOR.

    ``meteor_order``: ``standard`` or ``swapped`` (the official script's argument order);
    ``skip_empty``: leave samples without predicted events out of the mean, as the official
    script does with videos missing from the prediction file (default: they score 0).
    """

    name = "soda"
    defaults: dict[str, Any] = {"meteor_order": "standard", "skip_empty": False}
    choices = {"meteor_order": ("standard", "swapped")}
    produces = ("SODA_c",)

    def compute(self, samples, *, labels=None):
        from .soda import soda_c

        refs, preds = _maps(samples)
        scores = soda_c(refs, preds, scorer=shared_scorer(), meteor_order=self.params["meteor_order"])
        names = ["SODA_c", "SODA_c_precision", "SODA_c_recall"]
        out = _mean_suite_output(scores, samples, names)
        if not self.params["skip_empty"]:
            return out
        kept = np.array([bool(preds[s.reference.id]) for s in samples], dtype=bool)
        per = {k: np.asarray(v, dtype=np.float64) for k, v in out.per_sample.items()}

        def resample(idx: np.ndarray) -> dict[str, float]:
            sub = idx[kept[idx]]
            return {k: float(v[sub].mean()) if sub.size else float("nan") for k, v in per.items()}

        metrics = resample(np.arange(len(samples)))
        return SuiteOutput(metrics, {k: [x if keep else None for x, keep in zip(v.tolist(), kept)]
                                     for k, v in per.items()}, resample,
                           [f"soda: {int((~kept).sum())} of {len(samples)} sample(s) without predictions skipped "
                            "(skip_empty, as the official SODA script)"] if (~kept).any() else [])


class SummarySuite(MetricSuite):
    """Timeline speech summaries: ROUGE_1, ROUGE_L and segment mIoU (timebench definitions)."""

    name = "summary"
    defaults = {"beta": 1.2, "tokenizer": "timebench"}
    choices = {"tokenizer": ("timebench", "ptb")}
    produces = ("ROUGE_1", "ROUGE_L", "segment_mIoU")

    def compute(self, samples, *, labels=None):
        from .summary import summary_scores

        refs, preds = _maps(samples)
        tokenize = shared_scorer().tokenize if self.params["tokenizer"] == "ptb" else None
        scores = summary_scores(refs, preds, beta=float(self.params["beta"]), tokenize=tokenize)
        return _mean_suite_output(scores, samples, ["ROUGE_1", "ROUGE_L", "segment_mIoU"])


class PSDSSuite(MetricSuite):
    """PSDS1 / PSDS2 (DCASE parameter sets) from frame-level scores (numpy only, equal to
    sed_scores_eval; :mod:`timebench.metrics.psds_native`).

    Only adapters that emit frame scores get PSDS.  Hard decisions (events or text) are not given
    a degenerate single-operating-point PSDS: the suite then reports nothing and says why.  PSDS
    is a corpus-level curve metric: its interval is the leave-one-fold-out resampling of
    sed_scores_eval's ``bootstrapped_psds``, computed natively
    (:mod:`timebench.metrics.psds_interval`; ``interval_iterations`` random 5-fold splits, 0 for
    none), not the sample bootstrap.
    """

    name = "psds"
    defaults = {"scenarios": ("psds1", "psds2"), "interval_iterations": 20}
    bounds = {"interval_iterations": (0, 1000)}
    produces = ("psds1", "psds2")

    def compute(self, samples, *, labels=None):
        if not any(s.frame_scores is not None for s in samples):
            return SuiteOutput({}, notes=["psds: no frame-level scores; hard-decision outputs get "
                                          "event/segment F1 only"])
        from .psds import psds_scores

        frames = {s.reference.id: (None if s.parsed.failed else s.frame_scores) for s in samples}
        refs = {s.reference.id: list(s.reference.events) for s in samples}
        durations = {s.reference.id: s.reference.duration for s in samples}
        results = psds_scores(frames, refs, durations, labels=labels,
                              scenarios=tuple(self.params["scenarios"]))
        metrics, notes = {}, []
        for name, res in results.items():
            if res.value is None:
                notes.append(f"{name}: {res.reason}")
            else:
                metrics[name] = float(res.value)
            notes.extend(f"{name}: {n}" for n in res.notes)
        intervals = {}
        if int(self.params["interval_iterations"]) > 0:
            from .psds_interval import psds_interval

            for name in metrics:
                ci = psds_interval(frames, refs, durations, params=name, labels=labels,
                                   n_iterations=int(self.params["interval_iterations"]))
                if ci is not None:
                    intervals[name] = {"low": ci[1], "high": ci[2], "method": ci[3]}
        return SuiteOutput(metrics, notes=notes, intervals=intervals)
