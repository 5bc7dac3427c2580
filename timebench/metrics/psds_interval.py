"""A confidence interval for PSDS from sed_scores_eval's ``bootstrapped_psds``.

PSDS is a curve over the whole evaluation set, so timebench's sample bootstrap (which recomputes
every metric on 1000 resamples) would need 1000 full PSD-ROCs.  sed_scores_eval ships its own
resampling, and we use it rather than writing another: ``intersection_based.bootstrapped_psds``
computes the intermediate statistics once (``deltas``), then PSDS on ``n_iterations`` random
``n_folds``-fold splits of the audio files, each time leaving one fold out (by default 5 folds x
20 iterations = 100 values); ``base_modules.bootstrap.confidence_interval`` takes their mean and
percentile interval.  The results record this as the interval's ``method``.
"""

from __future__ import annotations

import warnings
from typing import Mapping, Sequence

from .psds import PSDSParams, prepare_psds_inputs, resolve_params

__all__ = ["psds_interval", "METHOD"]

METHOD = ("sed_scores_eval intersection_based.bootstrapped_psds: leave-one-fold-out over "
          "{folds} folds x {iterations} random splits of the files, percentile interval")


def psds_interval(frame_scores: Mapping, references: Mapping, durations: Mapping, *,
                  params: PSDSParams | str = "psds1", labels: Sequence[str] | None = None,
                  confidence: float = 0.95, n_folds: int = 5, n_iterations: int = 20
                  ) -> tuple[float, float, float, str] | None:
    """``(mean, low, high, method)`` of bootstrapped PSDS, or None when PSDS is undefined."""
    params = resolve_params(params)
    scores, gt, dur, scored, _ = prepare_psds_inputs(frame_scores, references, durations,
                                                     labels=labels)
    if scores is None or not scored or len(scores) < n_folds:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sed_scores_eval.base_modules.bootstrap import confidence_interval
        from sed_scores_eval.intersection_based import bootstrapped_psds

        values = bootstrapped_psds(
            scores, gt, dur, dtc_threshold=params.dtc_threshold,
            gtc_threshold=params.gtc_threshold, cttc_threshold=params.cttc_threshold,
            alpha_ct=params.alpha_ct, alpha_st=params.alpha_st, unit_of_time=params.unit_of_time,
            max_efpr=params.max_efpr, n_folds=n_folds, n_iterations=n_iterations)[0]
    mean, low, high = confidence_interval(list(values), confidence=confidence)
    return float(mean), float(low), float(high), METHOD.format(folds=n_folds,
                                                               iterations=n_iterations)
