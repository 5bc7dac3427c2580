"""PSDS from frame scores: equal to sed_scores_eval on hand-built DataFrames, cross-checked with
psds_eval at every unique threshold, and the hard-decision / failure / input conventions."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

from model_adapters.base import FrameScores
from timebench.errors import InputError, MissingDependencyError, TimebenchError
from timebench.metrics import psds as psds_mod
from timebench.metrics.psds import (PSDS1, PSDS2, ground_truth_tuples, psds, psds_scores,
                                    resolve_params, score_dataframe)
from timebench.types import Event

pd = pytest.importorskip("pandas")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    sse = pytest.importorskip("sed_scores_eval")
    from sed_scores_eval.intersection_based import psds as sse_psds

CLASSES = ["alarm", "dog", "speech"]
HOP = 0.125  # exact in binary: no float ties at dtc/gtc (see dependencies.md section 3)


def _random_set(seed: int, n_files: int = 8, n_frames: int = 240,
                quantise: float | None = None):
    """Random GT (disjoint per class) and frame scores that follow it imperfectly.

    Scores are the GT activity plus noise that is constant over 1 s blocks plus a little
    per-frame jitter, so detections are contiguous and PSDS lands well inside (0, 1).
    File ``f0`` has no reference event at all.
    """
    rng = np.random.default_rng(seed)
    times = np.arange(n_frames + 1) * HOP
    duration = float(times[-1])
    block = int(round(1.0 / HOP))
    refs, frames, durations = {}, {}, {}
    for i in range(n_files):
        fid = f"f{i}"
        events = []
        active = np.zeros((n_frames, len(CLASSES)))
        if i > 0:
            for c, label in enumerate(CLASSES):
                t = rng.uniform(0, 3)
                while True:
                    length = rng.uniform(0.5, 4)
                    if t + length > duration:
                        break
                    events.append(Event(round(t, 3), round(t + length, 3), label))
                    active[(times[:-1] >= t) & (times[1:] <= t + length), c] = 1
                    t += length + rng.uniform(1, 8)
        blocks = np.repeat(rng.random((-(-n_frames // block), len(CLASSES))), block, axis=0)
        # 0.25 * the next class's activity: cross triggers, so PSDS2's alpha_ct matters
        scores = (0.5 * active + 0.25 * np.roll(active, 1, axis=1) + 0.45 * blocks[:n_frames]
                  + 0.05 * rng.random((n_frames, len(CLASSES))))
        if quantise:
            scores = np.round(scores / quantise) * quantise
        refs[fid] = events
        frames[fid] = FrameScores(times=times, scores=scores, labels=tuple(CLASSES))
        durations[fid] = duration
    return refs, frames, durations


def _hand_dataframes(frames):
    """Score DataFrames built directly with pandas (not through timebench)."""
    out = {}
    for fid, fs in frames.items():
        data = np.column_stack([fs.times[:-1], fs.times[1:], fs.scores])
        out[fid] = pd.DataFrame(data, columns=["onset", "offset", *fs.labels])
    return out


def _hand_gt(refs):
    return {fid: [(e.onset, e.offset, e.label) for e in evs] for fid, evs in refs.items()}


@pytest.mark.parametrize("params", [PSDS1, PSDS2], ids=["psds1", "psds2"])
@pytest.mark.parametrize("seed", [0, 1])
def test_equals_sed_scores_eval_called_directly(params, seed):
    refs, frames, durations = _random_set(seed)
    # one file lists its columns in another order: timebench must reorder them
    fs = frames["f2"]
    frames["f2"] = FrameScores(times=fs.times, scores=fs.scores[:, ::-1],
                               labels=tuple(CLASSES[::-1]))
    ours = psds(frames, refs, durations, params=params)
    direct_frames = dict(frames)
    direct_frames["f2"] = fs
    expected, per_class, _, _ = sse_psds(
        _hand_dataframes(direct_frames), _hand_gt(refs), durations,
        dtc_threshold=params.dtc_threshold, gtc_threshold=params.gtc_threshold,
        cttc_threshold=params.cttc_threshold, alpha_ct=params.alpha_ct,
        alpha_st=params.alpha_st, max_efpr=params.max_efpr)
    assert ours.value == pytest.approx(float(expected), abs=1e-12)
    assert 0.05 < ours.value < 1.0  # a non-trivial value
    for label in CLASSES:
        assert ours.per_class[label] == pytest.approx(float(per_class[label]), abs=1e-12)
    assert ours.reason is None


def _psds_eval_value(refs, frames, durations, params):
    """psds_eval with one operating point per unique score (``score >= u`` runs)."""
    from psds_eval import PSDSEval

    gt_rows = [(fid, e.onset, e.offset, e.label) for fid, evs in refs.items() for e in evs]
    gt = pd.DataFrame(gt_rows, columns=["filename", "onset", "offset", "event_label"])
    meta = pd.DataFrame([(fid, d) for fid, d in durations.items()],
                        columns=["filename", "duration"])
    ev = PSDSEval(dtc_threshold=params.dtc_threshold, gtc_threshold=params.gtc_threshold,
                  cttc_threshold=params.cttc_threshold if params.cttc_threshold else 0.3,
                  ground_truth=gt, metadata=meta)
    unique = np.unique(np.concatenate([fs.scores.ravel() for fs in frames.values()]))
    for thr in unique:
        rows = []
        for fid, fs in frames.items():
            for c, label in enumerate(fs.labels):
                on = np.concatenate([[False], fs.scores[:, c] >= thr, [False]]).astype(int)
                starts = np.flatnonzero(np.diff(on) == 1)
                ends = np.flatnonzero(np.diff(on) == -1)
                rows += [(fid, fs.times[s], fs.times[e], label) for s, e in zip(starts, ends)]
        det = pd.DataFrame(rows, columns=["filename", "onset", "offset", "event_label"])
        ev.add_operating_point(det)
    return ev.psds(alpha_ct=params.alpha_ct, alpha_st=params.alpha_st,
                   max_efpr=params.max_efpr).value


@pytest.mark.parametrize("params", [PSDS1, PSDS2], ids=["psds1", "psds2"])
def test_cross_check_with_psds_eval_at_all_unique_thresholds(params):
    pytest.importorskip("psds_eval")
    refs, frames, durations = _random_set(3, quantise=0.1)
    ours = psds(frames, refs, durations, params=params).value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = _psds_eval_value(refs, frames, durations, params)
    assert ours == pytest.approx(reference, abs=1e-3)
    assert ours > 0.05


def test_hard_decisions_get_no_psds():
    refs = {"a": [Event(0, 1, "dog")]}
    res = psds({"a": None}, refs, {"a": 10.0})
    assert res.value is None and "frame-level scores" in res.reason
    both = psds_scores({}, refs, {"a": 10.0})
    assert set(both) == {"psds1", "psds2"}
    assert all(r.value is None for r in both.values())


def test_failed_sample_scored_as_all_zero_frames():
    refs, frames, durations = _random_set(5, n_files=4)
    frames["f3"] = None
    ours = psds(frames, refs, durations, params=PSDS1)
    hand = _hand_dataframes({k: v for k, v in frames.items() if v is not None})
    hand["f3"] = pd.DataFrame([[0.0, durations["f3"], 0.0, 0.0, 0.0]],
                              columns=["onset", "offset", *CLASSES])
    expected = sse_psds(hand, _hand_gt(refs), durations, dtc_threshold=0.7, gtc_threshold=0.7,
                        alpha_st=1.0, max_efpr=100.0)[0]
    assert ours.value == pytest.approx(float(expected), abs=1e-12)
    assert any("without frame scores" in n for n in ours.notes)


def test_class_without_references_is_left_out_with_a_note():
    refs, frames, durations = _random_set(2, n_files=4)
    refs = {k: [e for e in v if e.label != "alarm"] for k, v in refs.items()}
    ours = psds(frames, refs, durations, params=PSDS1)
    hand = {k: df.drop(columns=["alarm"]) for k, df in _hand_dataframes(frames).items()}
    expected = sse_psds(hand, _hand_gt(refs), durations, dtc_threshold=0.7, gtc_threshold=0.7,
                        alpha_st=1.0, max_efpr=100.0)[0]
    assert ours.value == pytest.approx(float(expected), abs=1e-12)
    assert "alarm" not in ours.per_class
    assert any("alarm" in n for n in ours.notes)


def test_ground_truth_merges_connected_same_class_events():
    refs = {"a": [Event(0, 2, "dog"), Event(1, 3, "dog"), Event(3, 4, "dog"),
                  Event(5, 6, "dog"), Event(0, 1, "cat"), Event(2, 2, "cat")]}
    # dog: [0,2]+[1,3] overlap, [3,4] touches -> [0,4]; [5,6] apart. cat [2,2] zero-length: dropped
    assert ground_truth_tuples(refs) == {"a": [(0.0, 1.0, "cat"), (0.0, 4.0, "dog"),
                                               (5.0, 6.0, "dog")]}
    with pytest.raises(InputError, match="label"):
        ground_truth_tuples({"a": [Event(0, 1)]})


def test_score_dataframe_layout_and_validation():
    fs = FrameScores(times=np.array([0.0, 0.5, 1.0]), scores=np.array([[0.1, 0.9], [0.2, 0.8]]),
                     labels=("b", "a"))
    df = score_dataframe(fs, labels=["a", "b"])
    assert list(df.columns) == ["onset", "offset", "a", "b"]
    np.testing.assert_array_equal(df.to_numpy(), [[0, 0.5, 0.9, 0.1], [0.5, 1.0, 0.8, 0.2]])
    bad_times = FrameScores(times=np.array([0.0, 0.5, 0.5]), scores=fs.scores, labels=fs.labels)
    with pytest.raises(InputError, match="strictly increasing"):
        score_dataframe(bad_times)
    with pytest.raises(InputError, match="boundaries"):
        score_dataframe(FrameScores(times=np.array([0.0, 1.0]), scores=fs.scores,
                                    labels=fs.labels))
    with pytest.raises(InputError):
        score_dataframe(fs, labels=["a", "c"])


def test_input_errors():
    refs, frames, durations = _random_set(1, n_files=2)
    with pytest.raises(InputError, match="no frame-score column"):
        psds(frames, {**refs, "f1": [Event(0, 1, "cow")]}, durations)
    with pytest.raises(InputError, match="without references"):
        psds({**frames, "zzz": frames["f0"]}, refs, durations)
    with pytest.raises(InputError, match="duration"):
        psds({"f0": frames["f0"], "f1": None}, refs, {"f0": 10.0})
    res = psds(frames, refs, {})  # durations fall back to the end of the last frame
    assert res.value is not None and any("no duration" in n for n in res.notes)


def test_params_resolution():
    assert resolve_params("PSDS1") == PSDS1
    assert resolve_params("psds2", max_efpr=50).max_efpr == 50
    assert PSDS2.cttc_threshold == 0.3 and PSDS2.alpha_ct == 0.5 and PSDS1.alpha_st == 1.0
    with pytest.raises(InputError):
        resolve_params("psds3")
    with pytest.raises(InputError):
        resolve_params("psds1", cttc_threshold=0.3)  # alpha_ct == 0 forbids a cttc
    with pytest.raises(InputError):
        resolve_params("psds1", bogus=1)


def test_missing_sed_scores_eval(monkeypatch):
    """The native backend needs neither sed_scores_eval nor pandas; the reference backend says
    which extra to install."""
    refs, frames, durations = _random_set(1, n_files=2)
    expected = psds(frames, refs, durations, backend="sed_scores_eval")
    for name in [m for m in sys.modules if m.startswith(("sed_scores_eval", "pandas"))]:
        monkeypatch.setitem(sys.modules, name, None)   # import fails with ImportError
    monkeypatch.setitem(sys.modules, "sed_scores_eval", None)
    monkeypatch.setitem(sys.modules, "pandas", None)
    got = psds(frames, refs, durations)
    assert got.value == pytest.approx(expected.value, abs=1e-12)
    with pytest.raises(MissingDependencyError, match=r"timebench\[psds\]"):
        psds(frames, refs, durations, backend="sed_scores_eval")


def test_pandas_3_is_refused_clearly_by_the_reference_backend(monkeypatch):
    monkeypatch.setattr(pd, "__version__", "3.0.0")
    refs, frames, durations = _random_set(1, n_files=2)
    assert psds_mod.psds(frames, refs, durations).value is not None   # native: no pandas
    with pytest.raises(TimebenchError, match="pandas<3"):
        psds_mod.psds(frames, refs, durations, backend="sed_scores_eval")


@pytest.mark.parametrize("params", [PSDS1, PSDS2], ids=["psds1", "psds2"])
def test_native_and_reference_backends_agree(params):
    refs, frames, durations = _random_set(7, n_files=6, quantise=0.05)
    frames["f4"] = None   # a failed sample
    native = psds(frames, refs, durations, params=params)
    ref = psds(frames, refs, durations, params=params, backend="sed_scores_eval")
    assert native.value == pytest.approx(ref.value, abs=1e-9)
    assert native.per_class == pytest.approx(ref.per_class, abs=1e-9)
    assert native.notes == ref.notes
    with pytest.raises(InputError, match="backend"):
        psds(frames, refs, durations, backend="psds_eval")
