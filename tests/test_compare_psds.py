"""PSDS in ``timebench compare``: paired resampling through per-file intermediate statistics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("pandas")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    pytest.importorskip("sed_scores_eval")

from synthetic_runs import write_run  # noqa: E402
from test_psds import CLASSES, _random_set  # noqa: E402
from timebench.compare import compare_runs  # noqa: E402
from timebench.compare_psds import paired_psds  # noqa: E402
from timebench.metrics.psds import psds  # noqa: E402
from timebench.runs import load_run  # noqa: E402


def _psds_run(root, refs, frames, durations, model="m"):
    rows = [{"id": k, "failed": False, "events": []} for k in refs]
    preds = [{"id": k, "frame_scores": {"times": frames[k].times.tolist(),
                                        "scores": frames[k].scores.tolist(),
                                        "labels": list(frames[k].labels)}} for k in refs]
    references = [{"id": k, "duration": durations[k],
                   "events": [{"onset": e.onset, "offset": e.offset, "label": e.label}
                              for e in refs[k]]} for k in refs]
    run = write_run(root, {model: {"sed": rows}}, {"sed": references}, {model: {"sed": preds}})
    data = load_run(run)
    data.results["tasks"]["sed"]["labels"] = list(CLASSES)
    data.results["tasks"]["sed"]["leaderboard_metrics"] = ["psds1"]
    data.results["results"][model]["sed"]["metrics"] = {"psds1": 0.0}
    return data


def test_paired_psds_matches_plain_psds_and_covers_the_difference(tmp_path):
    refs, frames, durations = _random_set(5, n_files=10)
    _, noisy, _ = _random_set(6, n_files=10)      # other random scores, same frame grid
    frames_b = {k: type(v)(times=v.times, scores=0.6 * v.scores + 0.4 * noisy[k].scores,
                           labels=v.labels) for k, v in frames.items()}
    ra = _psds_run(tmp_path / "a", refs, frames, durations)
    rb = _psds_run(tmp_path / "b", refs, frames_b, durations)
    ids = list(refs)
    r = paired_psds(ra, "m", rb, "m", "sed", "psds1", ids, iterations=30)
    plain_a = psds(frames, refs, durations, params="psds1", labels=CLASSES).value
    plain_b = psds(frames_b, refs, durations, params="psds1", labels=CLASSES).value
    assert r.a == pytest.approx(plain_a, abs=1e-12)
    assert r.b == pytest.approx(plain_b, abs=1e-12)
    assert r.diff == pytest.approx(plain_b - plain_a, abs=1e-12)
    assert r.ci_low < r.ci_high and 0 < r.p_value <= 1


def test_identical_runs_have_zero_psds_difference(tmp_path):
    refs, frames, durations = _random_set(7, n_files=8)
    ra = _psds_run(tmp_path / "a", refs, frames, durations)
    rb = _psds_run(tmp_path / "b", refs, frames, durations)
    out = compare_runs(ra, rb, iterations=50, psds_iterations=10)
    (entry,) = [e for e in out["entries"] if e["metric"] == "psds1"]
    assert (entry["diff"], entry["ci_low"], entry["ci_high"], entry["p_value"]) == \
        (0.0, 0.0, 0.0, 1.0)
    assert "intermediate statistics" in entry["how"]
    out = compare_runs(ra, rb, iterations=50, psds_iterations=0)
    assert any(nc["metric"] == "psds1" for nc in out["not_compared"])


def test_paired_psds_without_sed_scores_eval_or_pandas(tmp_path, monkeypatch):
    import sys

    refs, frames, durations = _random_set(5, n_files=6)
    _, noisy, _ = _random_set(6, n_files=6)
    frames_b = {k: type(v)(times=v.times, scores=0.5 * v.scores + 0.5 * noisy[k].scores,
                           labels=v.labels) for k, v in frames.items()}
    ra = _psds_run(tmp_path / "a", refs, frames, durations)
    rb = _psds_run(tmp_path / "b", refs, frames_b, durations)
    expected = paired_psds(ra, "m", rb, "m", "sed", "psds2", list(refs), iterations=5)
    for name in [m for m in sys.modules if m.startswith(("sed_scores_eval", "pandas"))]:
        monkeypatch.setitem(sys.modules, name, None)
    got = paired_psds(ra, "m", rb, "m", "sed", "psds2", list(refs), iterations=5)
    assert got == expected
