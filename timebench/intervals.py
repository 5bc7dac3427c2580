"""How each reported interval was computed: the ``ci_method`` entry of a task result.

``results.json`` keeps ``ci`` as ``{metric: [low, high]}`` (``check`` and ``leaderboard`` read
that shape) and adds ``ci_method: {metric: text}`` next to it:

* most metrics: a percentile bootstrap over samples -- the metric is *recomputed* on each
  resample of the samples (dataset-level metrics such as micro / macro F1 and error rates from
  the resampled per-file counts; mean metrics from the resampled per-sample values);
* captioning (METEOR, CIDEr, BLEU4, ROUGE_L, SODA_c, summary ROUGE): the same bootstrap over the
  per-video scores, which are exact inputs because each video is scored on its own (the 2018
  densevid_eval protocol; CIDEr document frequencies per video);
* PSDS: the leave-one-fold-out resampling of sed_scores_eval's ``bootstrapped_psds``, computed
  natively (see :mod:`timebench.metrics.psds_interval`), given by the suite itself.
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = ["merge_intervals"]

_PER_VIDEO_SUITES = ("captioning", "soda", "summary")


def merge_intervals(report, ci: Mapping[str, list[float]], *, iterations: int, seed: int
                    ) -> tuple[dict[str, list[float]], dict[str, str]]:
    """The sample-bootstrap ``ci`` plus the suites' own intervals, and a method per metric."""
    boot = (f"percentile bootstrap over samples ({iterations} resamples, seed {seed}); the "
            "metric is recomputed on each resample")
    per_video = boot + " from the per-video scores (each video is scored on its own)"
    out = {k: list(v) for k, v in ci.items()}
    methods: dict[str, str] = {}
    for suite, result in report.suites:
        for metric in result.metrics:
            if metric in out:
                methods[metric] = per_video if suite.name in _PER_VIDEO_SUITES else boot
        for metric, iv in (getattr(result, "intervals", None) or {}).items():
            out[metric] = [float(iv["low"]), float(iv["high"])]
            methods[metric] = str(iv["method"])
    for metric in out:
        methods.setdefault(metric, boot)
    return out, methods

