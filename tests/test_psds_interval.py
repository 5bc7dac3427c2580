"""PSDS interval: equal to sed_scores_eval's own bootstrapped_psds + confidence_interval on
hand-built inputs, and recorded with its method in the suite output."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from timebench.metrics.psds_interval import psds_interval

pytest.importorskip("pandas")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    pytest.importorskip("sed_scores_eval")
    from sed_scores_eval.base_modules.bootstrap import confidence_interval
    from sed_scores_eval.intersection_based import bootstrapped_psds

from test_psds import _hand_dataframes, _hand_gt, _random_set  # noqa: E402


@pytest.mark.parametrize("scenario,kwargs", [
    ("psds1", dict(dtc_threshold=0.7, gtc_threshold=0.7, cttc_threshold=None, alpha_ct=0.0,
                   alpha_st=1.0)),
    ("psds2", dict(dtc_threshold=0.1, gtc_threshold=0.1, cttc_threshold=0.3, alpha_ct=0.5,
                   alpha_st=1.0)),
])
def test_equals_sed_scores_eval_bootstrapped_psds(scenario, kwargs):
    refs, frames, durations = _random_set(3, n_files=10)
    got = psds_interval(frames, refs, durations, params=scenario, n_iterations=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gt = {k: v for k, v in _hand_gt(refs).items()}
        values = bootstrapped_psds(_hand_dataframes(frames), gt, durations, max_efpr=100.0,
                                   n_folds=5, n_iterations=4, **kwargs)[0]
    mean, low, high = confidence_interval(list(values), confidence=0.95)
    assert got[:3] == pytest.approx((mean, low, high), abs=1e-12)
    assert low <= mean <= high and low < high
    assert "bootstrapped_psds" in got[3]


def test_suite_reports_psds_interval_with_method():
    from timebench.metrics.suites import Sample, build_suite
    from timebench.types import ParsedAnswer, Reference

    refs, frames, durations = _random_set(4, n_files=10)
    samples = [Sample(Reference(id=k, duration=durations[k], events=tuple(refs[k])),
                      ParsedAnswer(events=()), frames[k]) for k in refs]
    out = build_suite({"suite": "psds", "interval_iterations": 3}).compute(
        samples, labels=("alarm", "dog", "speech"))
    for name in ("psds1", "psds2"):
        iv = out.intervals[name]
        assert iv["low"] <= iv["high"]
        assert "bootstrapped_psds" in iv["method"]
        assert np.isfinite(out.metrics[name])


def test_interval_needs_neither_sed_scores_eval_nor_pandas(monkeypatch):
    import sys

    refs, frames, durations = _random_set(3, n_files=10)
    expected = psds_interval(frames, refs, durations, params="psds2", n_iterations=3)
    for name in [m for m in sys.modules if m.startswith(("sed_scores_eval", "pandas"))]:
        monkeypatch.setitem(sys.modules, name, None)
    got = psds_interval(frames, refs, durations, params="psds2", n_iterations=3)
    assert got == expected and got[1] < got[2]
