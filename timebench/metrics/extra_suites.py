"""Metric suites that need optional dependencies (pycocoevalcap, sed_scores_eval).

Kept apart from :mod:`timebench.metrics.suites` so that scoring grounding or SED never imports
them; the registry names them lazily.
"""

from __future__ import annotations

from .suites import MetricSuite, SuiteOutput

__all__ = ["PSDSSuite"]


class PSDSSuite(MetricSuite):
    """PSDS1 / PSDS2 (DCASE parameter sets) from frame-level scores, via sed_scores_eval.

    Only adapters that emit frame scores get PSDS.  Hard decisions (events or text) are not given
    a degenerate single-operating-point PSDS: the suite then reports nothing and says why.
    """

    name = "psds"
    defaults = {"scenarios": ("psds1", "psds2")}
    produces = ("psds1", "psds2")

    def compute(self, samples, *, labels=None):
        if not any(s.frame_scores is not None for s in samples):
            return SuiteOutput({}, notes=["psds: no frame-level scores; hard-decision outputs get "
                                          "event/segment F1 only"])
        raise NotImplementedError("PSDS from frame scores: pending metrics.psds")
