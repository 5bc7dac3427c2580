"""Native (numpy-only) PSDS: equal to sed_scores_eval to 1e-9 (value, per-class values and ROC
points) on randomised sets with several classes, touching/overlapping events, empty files, tied
scores and both DCASE parameter sets; plus hand-computed cases that need no reference."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from timebench.metrics.psds_native import (dataset_statistics, detection_curves, fold_subsets,
                                           psd_roc_from_statistics, psds_native, staircase_auc)

PSDS1 = dict(dtc=0.7, gtc=0.7, cttc=None, alpha_ct=0.0, alpha_st=1.0, max_efpr=100.0)
PSDS2 = dict(dtc=0.1, gtc=0.1, cttc=0.3, alpha_ct=0.5, alpha_st=1.0, max_efpr=100.0)
SETS = {"psds1": PSDS1, "psds2": PSDS2}
TOL = 1e-9


def _merge(events):
    """Merge same-class overlapping/touching events (what timebench does before PSDS)."""
    out = []
    for label in sorted({e[2] for e in events}):
        cur = None
        for on, off in sorted((e[0], e[1]) for e in events if e[2] == label):
            if cur is None:
                cur = [on, off]
            elif on <= cur[1]:
                cur[1] = max(cur[1], off)
            else:
                out.append((cur[0], cur[1], label))
                cur = [on, off]
        if cur is not None:
            out.append((cur[0], cur[1], label))
    return out


def random_case(seed: int):
    """Files with varying frame grids; raw events may overlap/touch (merged afterwards);
    some files have no event; scores are quantised on some files (ties); a few random
    max_efpr / alpha values so that more than the two DCASE sets are exercised."""
    rng = np.random.default_rng(seed)
    n_classes = int(rng.integers(1, 5))
    classes = [f"c{k}" for k in range(n_classes)]
    n_files = int(rng.integers(1, 7))
    frames, gt, durations = {}, {}, {}
    for i in range(n_files):
        n_frames = int(rng.integers(3, 80))
        hop = float(rng.choice([0.02, 0.05, 0.1, 0.125, 0.25]))
        times = np.arange(n_frames + 1) * hop
        if rng.random() < 0.3:   # irregular frame boundaries
            times = np.concatenate(([0.0], np.cumsum(rng.uniform(0.01, 0.3, n_frames))))
        # the audio may run on past the scored frames (a long file keeps eFPRs in range)
        duration = float(times[-1]) + float(rng.choice([0.0, rng.uniform(0, 1),
                                                        rng.uniform(100, 3000)]))
        events = []
        if rng.random() > 0.25:  # else: an empty file
            for _ in range(int(rng.integers(0, 6))):
                label = classes[int(rng.integers(n_classes))]
                on = float(rng.uniform(0, duration))
                off = on + float(rng.uniform(0.01, duration / 2 + 0.05))
                if rng.random() < 0.3:   # on a frame boundary
                    on = float(times[int(rng.integers(len(times)))])
                    off = on + float(times[1] - times[0]) * int(rng.integers(1, 6))
                events.append((round(on, 4), round(min(off, duration + 0.5), 4), label))
            if events and rng.random() < 0.4:   # a touching same-class event
                on, off, label = events[0]
                events.append((off, off + 0.3, label))
        scores = rng.random((n_frames, n_classes))
        for on, off, label in events:   # scores follow the reference imperfectly
            k = classes.index(label)
            inside = (times[:-1] < off) & (times[1:] > on)
            scores[inside, k] += rng.uniform(0.0, 0.8)
        if rng.random() < 0.5:
            scores = np.round(scores * int(rng.integers(2, 6))) / 5.0   # many ties
        fid = f"file{i:02d}"
        frames[fid] = (times, scores)
        gt[fid] = _merge(events)
        durations[fid] = duration
    # every class needs a reference event somewhere (sed_scores_eval asserts it)
    present = {e[2] for evs in gt.values() for e in evs}
    first = next(iter(frames))
    for c in classes:
        if c not in present:
            d = durations[first]
            gt[first] = _merge(gt[first] + [(0.1 * d, 0.6 * d, c)])
    return classes, frames, gt, durations


def _sse_inputs(classes, frames):
    import pandas as pd

    return {fid: pd.DataFrame(np.column_stack([t[:-1], t[1:], s]),
                              columns=["onset", "offset", *classes])
            for fid, (t, s) in frames.items()}


def _sse_psds(classes, frames, gt, durations, p):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sed_scores_eval.intersection_based import psds as sse_psds

        return sse_psds(_sse_inputs(classes, frames), gt, durations, dtc_threshold=p["dtc"],
                        gtc_threshold=p["gtc"], cttc_threshold=p["cttc"],
                        alpha_ct=p["alpha_ct"], alpha_st=p["alpha_st"],
                        max_efpr=p["max_efpr"])


def _assert_equal(ours, ref):
    value, per_class, (etpr, efpr), rocs = ref
    assert abs(ours.value - float(value)) <= TOL
    assert set(ours.per_class) == set(per_class)
    for c, v in per_class.items():
        assert abs(ours.per_class[c] - float(v)) <= TOL, c
    np.testing.assert_allclose(ours.efpr, efpr, rtol=0, atol=TOL)
    np.testing.assert_allclose(ours.etpr, etpr, rtol=0, atol=TOL)
    for c, (tpr, cefpr, thr) in rocs.items():
        np.testing.assert_allclose(ours.class_rocs[c].tpr, tpr, rtol=0, atol=TOL)
        np.testing.assert_allclose(ours.class_rocs[c].efpr, cefpr, rtol=0, atol=TOL)
        np.testing.assert_array_equal(ours.class_rocs[c].scores, thr)


@pytest.mark.parametrize("scenario", ["psds1", "psds2"])
@pytest.mark.parametrize("seed", range(80))
def test_equals_sed_scores_eval_on_random_sets(seed, scenario):
    pytest.importorskip("pandas")
    pytest.importorskip("sed_scores_eval")
    classes, frames, gt, durations = random_case(seed)
    p = dict(SETS[scenario])
    if len(classes) == 1 and p["cttc"] is not None:
        p.update(cttc=None, alpha_ct=0.0)   # cross triggers need another class
    if seed % 5 == 4:   # other operating ranges, too
        p["max_efpr"] = float(np.random.default_rng(seed).choice([5.0, 50.0, 1000.0]))
    if seed % 7 == 3:
        p["alpha_st"] = 0.0
    ours = psds_native(frames=frames, ground_truth=gt, durations=durations, classes=classes,
                       **p)
    _assert_equal(ours, _sse_psds(classes, frames, gt, durations, p))


def test_random_cases_cover_the_edge_cases():
    """The generator really makes empty files, ties, several classes and merged events."""
    empty = ties = multi = merged = nonzero = 0
    for seed in range(80):
        classes, frames, gt, durations = random_case(seed)
        p = PSDS1 if len(classes) == 1 else PSDS2
        nonzero += psds_native(frames=frames, ground_truth=gt, durations=durations,
                               classes=classes, **p).value > 0.05
        empty += any(not evs for evs in gt.values())
        ties += any(len(np.unique(s)) < s.size for _, s in frames.values())
        multi += len(classes) >= 3
        merged += any(len(evs) > 0 and any(e[1] - e[0] > 0.3 for e in evs)
                      for evs in gt.values())
    assert empty >= 10 and ties >= 20 and multi >= 15 and merged >= 20 and nonzero >= 30


@pytest.mark.parametrize("scenario", ["psds1", "psds2"])
@pytest.mark.parametrize("seed", [0, 1])
def test_equals_sed_scores_eval_on_the_dcase_like_sets(seed, scenario):
    """The larger sets of tests/test_psds.py (3 classes, 240 frames, cross triggers)."""
    pytest.importorskip("pandas")
    pytest.importorskip("sed_scores_eval")
    from test_psds import CLASSES, _random_set

    refs, fs, durations = _random_set(seed)
    frames = {k: (v.times, v.scores) for k, v in fs.items()}
    gt = {k: [(e.onset, e.offset, e.label) for e in evs] for k, evs in refs.items()}
    p = SETS[scenario]
    ours = psds_native(frames=frames, ground_truth=gt, durations=durations, classes=CLASSES, **p)
    _assert_equal(ours, _sse_psds(CLASSES, frames, gt, durations, p))
    assert 0.05 < ours.value < 1.0


def test_statistics_of_subsets_equal_sed_scores_eval_with_deltas():
    """Re-accumulating per-file statistics of a resample (with repeats) = sed_scores_eval's
    psds(scores=None, deltas=...) on the same files under distinct keys."""
    pytest.importorskip("sed_scores_eval")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sed_scores_eval.intersection_based import intermediate_statistics_deltas, psds
    for seed in (3, 8, 11):
        classes, frames, gt, durations = random_case(seed)
        for p in (PSDS1, PSDS2 if len(classes) > 1 else PSDS1):
            stats = dataset_statistics(frames=frames, ground_truth=gt, durations=durations,
                                       classes=classes, dtc=p["dtc"], gtc=p["gtc"],
                                       cttc=p["cttc"])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                deltas = intermediate_statistics_deltas(
                    _sse_inputs(classes, frames), gt, dtc_threshold=p["dtc"],
                    gtc_threshold=p["gtc"], cttc_threshold=p["cttc"])
            ids = sorted(frames)
            pick = [ids[j] for j in np.random.default_rng(seed).integers(0, len(ids), len(ids))]
            pick.append(next(k for k in ids if gt[k]))   # at least one file with events
            keys = [f"{n}:{k}" for n, k in enumerate(pick)]
            g = {key: gt[k] for key, k in zip(keys, pick)}
            present = {e[2] for evs in g.values() for e in evs}
            if present != set(classes):
                continue
            ref = psds(scores=None, ground_truth=g,
                       audio_durations={key: durations[k] for key, k in zip(keys, pick)},
                       deltas={key: deltas[k] for key, k in zip(keys, pick)},
                       dtc_threshold=p["dtc"], gtc_threshold=p["gtc"],
                       cttc_threshold=p["cttc"], alpha_ct=p["alpha_ct"],
                       alpha_st=p["alpha_st"], max_efpr=p["max_efpr"])
            ours = psd_roc_from_statistics([stats[k] for k in pick], classes=classes,
                                           alpha_ct=p["alpha_ct"], alpha_st=p["alpha_st"],
                                           max_efpr=p["max_efpr"])
            _assert_equal(ours, ref)


# ---- hand-computed cases (no reference package needed) -------------------------------------

def test_detection_curves_by_hand():
    scores = np.array([0.4, 1.0, 0.6, 0.6, 1.0, 1.0, 0.4])
    times = np.linspace(0.0, 1.4, 8)
    on, off = detection_curves(scores=scores, times=times, thresholds=np.unique(scores))
    assert on.shape == (3, 2)
    np.testing.assert_allclose(np.stack((on, off), -1), [
        [[0.0, 1.4], [0.0, 0.0]],
        [[0.2, 1.2], [0.0, 0.0]],
        [[0.2, 0.4], [0.8, 1.2]]])


def test_perfect_detector_scores_one_and_silence_scores_zero():
    times = np.arange(11) * 1.0     # 10 s, 1 s frames
    gt = {"a": [(2.0, 5.0, "x")]}
    perfect = np.zeros((10, 1))
    perfect[2:5] = 1.0
    res = psds_native(frames={"a": (times, perfect)}, ground_truth=gt, durations={"a": 10.0},
                      classes=["x"], **PSDS1)
    # threshold 1: one TP, no FP -> TPR 1 from eFPR 0: area = 1
    assert res.value == pytest.approx(1.0, abs=1e-12)
    flat = np.zeros((10, 1))
    res = psds_native(frames={"a": (times, flat)}, ground_truth=gt, durations={"a": 10.0},
                      classes=["x"], **PSDS1)
    # the only threshold activates the whole file: detection 10 s, 3 s inside (< 0.7) -> FP;
    # eFPR = 1 FP / 10 s = 360 per hour > 100 -> the curve never rises within the range
    assert res.value == 0.0


def test_one_false_positive_shifts_the_curve_by_its_rate():
    """One TP at the top threshold; a second, lower peak is a FP: eFPR = 1 / 36 s = 100/h.
    With max_efpr 200: TPR 1 from 0 to 200 -> PSDS 1; then the FP alone does not lower it.
    With the FP above the TP instead, TPR is 0 until eFPR 100: PSDS = (200 - 100) / 200."""
    times = np.arange(37) * 1.0       # 36 s
    gt = {"a": [(2.0, 4.0, "x")]}
    s = np.zeros((36, 1))
    s[2:4] = 0.9
    s[20:22] = 0.5
    p = dict(PSDS1, max_efpr=200.0, alpha_st=0.0)
    res = psds_native(frames={"a": (times, s)}, ground_truth=gt, durations={"a": 36.0},
                      classes=["x"], **p)
    assert res.value == pytest.approx(1.0, abs=1e-12)
    s[20:22] = 0.95
    res = psds_native(frames={"a": (times, s)}, ground_truth=gt, durations={"a": 36.0},
                      classes=["x"], **p)
    assert res.value == pytest.approx(0.5, abs=1e-12)
    np.testing.assert_allclose(res.class_rocs["x"].efpr, [0.0, 100.0])
    np.testing.assert_allclose(res.class_rocs["x"].tpr, [0.0, 1.0])


def test_alpha_st_penalises_the_spread_between_classes():
    """Class x detected perfectly, class y never: mean 0.5, std 0.5 -> eTPR 0 with alpha_st 1."""
    times = np.arange(11) * 1.0
    gt = {"a": [(2.0, 5.0, "x"), (6.0, 8.0, "y")]}
    s = np.zeros((10, 2))
    s[2:5, 0] = 1.0
    kw = dict(frames={"a": (times, s)}, ground_truth=gt, durations={"a": 10.0},
              classes=["x", "y"])
    assert psds_native(**kw, **dict(PSDS1, alpha_st=0.0)).value == pytest.approx(0.5)
    assert psds_native(**kw, **PSDS1).value == pytest.approx(0.0)


def test_cross_trigger_adds_to_the_effective_fp_rate():
    """A y-detection over x's event is a FP for y and a cross trigger on x (3 s of x reference):
    eFPR_y = 1/10 s + 0.5 * 1/3 s, per hour = 360 + 600 = 960."""
    times = np.arange(11) * 1.0
    gt = {"a": [(2.0, 5.0, "x")], "b": [(1.0, 2.0, "y")]}
    sa = np.zeros((10, 2))
    sa[2:5, 1] = 1.0       # y fires on x's event
    sb = np.zeros((10, 2))
    res = psds_native(frames={"a": (times, sa), "b": (times, sb)}, ground_truth=gt,
                      durations={"a": 10.0, "b": 10.0}, classes=["x", "y"],
                      **dict(PSDS2, max_efpr=10_000.0))
    roc = res.class_rocs["y"]
    # top threshold: one FP (1 / 20 s total) and one CT on x (1 / 3 s of x)
    assert roc.efpr[1] == pytest.approx((1 / 20 + 0.5 * (1 / 3)) * 3600)


def test_staircase_auc_by_hand():
    x = np.array([0.0, 1.0, 2.0, 3.0])
    assert staircase_auc(y=np.array([0.0, 1.0, 2.0, 3.0]), x=x) == 3.0
    assert staircase_auc(y=np.array([0.0, 1.0, 2.0, 3.0]), x=x, max_x=2.5) == 2.0
    assert staircase_auc(y=np.array([0.0, 1.0, 2.0, 3.0]), x=x, max_x=10.0) == 24.0


def test_fold_subsets_leave_one_fold_out():
    subsets = fold_subsets(ids=[f"f{i}" for i in range(10)], n_folds=5, n_iterations=3)
    assert len(subsets) == 15
    assert all(len(s) == 8 for s in subsets)
    for it in range(3):
        left_out = [set(f"f{i}" for i in range(10)) - set(s) for s in subsets[5 * it:5 * it + 5]]
        assert set().union(*left_out) == {f"f{i}" for i in range(10)}


@pytest.mark.parametrize("gt_end, det_end, miss_end", [(10.0, 7, 6), (7.0, 10, 11)],
                         ids=["gtc-exactly-met", "dtc-exactly-met"])
def test_criteria_met_exactly_count(gt_end, det_end, miss_end):
    """A 7 s overlap meets the 0.7 GTC of a 10 s event (and the 0.7 DTC of a 10 s detection):
    the criteria are ">=", so this is one TP, no FP: PSDS 1."""
    times = np.arange(21) * 1.0
    s = np.zeros((20, 1))
    s[:det_end] = 1.0
    res = psds_native(frames={"a": (times, s)}, ground_truth={"a": [(0.0, gt_end, "x")]},
                      durations={"a": 20.0}, classes=["x"], **PSDS1)
    assert res.value == 1.0
    s[:] = 0.0
    s[:miss_end] = 1.0   # one frame off: criterion missed
    res = psds_native(frames={"a": (times, s)}, ground_truth={"a": [(0.0, gt_end, "x")]},
                      durations={"a": 20.0}, classes=["x"], **PSDS1)
    assert res.value < 1.0


def test_detection_curves_equal_a_frame_by_frame_scan():
    """The boundary/threshold-pair construction equals scanning the frames at each threshold."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 40))
        scores = np.round(rng.random(n) * int(rng.integers(1, 8))) / 7.0
        times = np.concatenate(([0.0], np.cumsum(rng.uniform(0.1, 1.0, n))))
        thr = np.unique(scores)
        on, off = detection_curves(scores=scores, times=times, thresholds=thr)
        expected = []
        for u in thr:
            events, start = [], None
            for t in range(n):
                if scores[t] >= u and start is None:
                    start = t
                elif scores[t] < u and start is not None:
                    events.append((times[start], times[t]))
                    start = None
            if start is not None:
                events.append((times[start], times[n]))
            expected.append(events)
        assert on.shape == (len(thr), max(len(e) for e in expected))
        for i, events in enumerate(expected):
            got = [(a, b) for a, b in zip(on[i], off[i]) if b > a]
            assert got == events
            assert not np.any(on[i, len(events):]) and not np.any(off[i, len(events):])
