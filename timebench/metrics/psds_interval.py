"""A confidence interval for PSDS: leave-one-fold-out resampling of the files.

PSDS is a curve over the whole evaluation set, so timebench's sample bootstrap (which recomputes
every metric on 1000 resamples) would need 1000 full PSD-ROCs.  We use the resampling of
sed_scores_eval's ``intersection_based.bootstrapped_psds`` instead, computed natively
(:mod:`timebench.metrics.psds_native`, no pandas or sed_scores_eval needed): the per-file
statistics are computed once, then PSDS on ``n_iterations`` seeded random ``n_folds``-fold splits
of the (sorted) files, each time leaving one fold out (by default 5 folds x 20 iterations = 100
values); the interval is their mean and percentile interval (``np.percentile``, as
``sed_scores_eval.base_modules.bootstrap.confidence_interval``).  The numbers equal that
package's (``tests/test_psds_interval.py``).  The results record this as the interval's ``method``.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .psds import (PSDSParams, native_statistics, native_value, prepare_psds_arrays,
                   resolve_params)
from .psds_native import fold_subsets

__all__ = ["psds_interval", "METHOD"]

METHOD = ("leave-one-fold-out over {folds} folds x {iterations} seeded random splits of the "
          "files (the resampling of sed_scores_eval's bootstrapped_psds, computed natively), "
          "mean and percentile interval")


def psds_interval(frame_scores: Mapping, references: Mapping, durations: Mapping, *,
                  params: PSDSParams | str = "psds1", labels: Sequence[str] | None = None,
                  confidence: float = 0.95, n_folds: int = 5, n_iterations: int = 20
                  ) -> tuple[float, float, float, str] | None:
    """``(mean, low, high, method)`` of fold-resampled PSDS, or None when PSDS is undefined."""
    params = resolve_params(params)
    arrays, gt, dur, scored, _ = prepare_psds_arrays(frame_scores, references, durations,
                                                     labels=labels)
    if arrays is None or not scored or len(arrays) < n_folds:
        return None
    stats = native_statistics(arrays, gt, dur, scored, params=params)
    values = [native_value([stats[k] for k in subset], scored, params).value
              for subset in fold_subsets(ids=list(stats), n_folds=n_folds,
                                         n_iterations=n_iterations)]
    mean = float(np.mean(values))
    low = float(np.percentile(values, (1 - confidence) / 2 * 100))
    high = float(np.percentile(values, (confidence + (1 - confidence) / 2) * 100))
    return mean, low, high, METHOD.format(folds=n_folds, iterations=n_iterations)
