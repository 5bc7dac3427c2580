"""DCASE error rate (S, D, I) against sed_eval on randomised event sets, plus hand cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from timebench.metrics.error_rate import (error_rates, event_error_counts, max_matching,
                                          segment_error_counts)
from timebench.types import Event

sed_eval = pytest.importorskip("sed_eval")

LABELS = ["alarm", "dog", "speech", "tone"]


def _random_sets(seed, n_files=40, quantum=None):
    """References and noisy estimates: misses, shifts, label swaps, duplicates, insertions."""
    rng = np.random.default_rng(seed)
    refs, ests = {}, {}
    for f in range(n_files):
        ref, est = [], []
        for _ in range(int(rng.integers(0, 8))):
            on = float(rng.uniform(0, 10))
            off = float(min(10.0, on + rng.exponential(1.0) + 0.01))
            if quantum:
                on, off = round(on / quantum) * quantum, round(off / quantum) * quantum + quantum
            ref.append(Event(on, off, str(rng.choice(LABELS))))
        for e in ref:
            if rng.random() < 0.2:
                continue
            on = max(0.0, e.onset + float(rng.normal(0, 0.15)))
            off = max(on + 0.01, e.offset + float(rng.normal(0, 0.2)))
            if quantum:
                on, off = round(on / quantum) * quantum, round(off / quantum) * quantum + quantum
            label = e.label if rng.random() < 0.7 else str(rng.choice(LABELS))
            est.append(Event(on, off, label))
            if rng.random() < 0.2:
                est.append(Event(on + 0.05, off, str(rng.choice(LABELS))))
        for _ in range(int(rng.integers(0, 3))):
            on = float(rng.uniform(0, 10))
            est.append(Event(on, on + float(rng.exponential(1.0)) + 0.01, str(rng.choice(LABELS))))
        order = rng.permutation(len(est))
        refs[f"f{f}"] = ref
        ests[f"f{f}"] = [est[i] for i in order]
    return refs, ests


def _reference(refs, ests, *, t_collar=0.2, pol=0.2, onset=True, offset=True, res=1.0):
    eb = sed_eval.sound_event.EventBasedMetrics(
        event_label_list=LABELS, t_collar=t_collar, percentage_of_length=pol,
        evaluate_onset=onset, evaluate_offset=offset)
    sb = sed_eval.sound_event.SegmentBasedMetrics(event_label_list=LABELS, time_resolution=res)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in refs:
            r = [{"filename": f, "onset": e.onset, "offset": e.offset, "event_label": e.label}
                 for e in refs[f]]
            s = [{"filename": f, "onset": e.onset, "offset": e.offset, "event_label": e.label}
                 for e in ests[f]]
            eb.evaluate(r, s)
            sb.evaluate(r, s)
    return eb, sb


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("quantum", [None, 0.1])
def test_event_and_segment_error_rate_equal_sed_eval(seed, quantum):
    refs, ests = _random_sets(seed, quantum=quantum)
    eb, sb = _reference(refs, ests)
    ev = event_error_counts(refs, ests, t_collar=0.2, percentage_of_length=0.2)
    assert int(ev.S.sum()) == eb.overall["Nsubs"]
    assert int(ev.D.sum()) == eb.overall["Nfn"]
    assert int(ev.I.sum()) == eb.overall["Nfp"]
    mine, theirs = error_rates(ev), eb.results_overall_metrics()["error_rate"]
    for key in ("error_rate", "substitution_rate", "deletion_rate", "insertion_rate"):
        assert mine[key] == pytest.approx(theirs[key], abs=1e-12)
    seg = segment_error_counts(refs, ests, time_resolution=1.0)
    assert (int(seg.S.sum()), int(seg.D.sum()), int(seg.I.sum()), int(seg.nref.sum())) == \
        (sb.overall["S"], sb.overall["D"], sb.overall["I"], sb.overall["Nref"])
    theirs = sb.results_overall_metrics()["error_rate"]
    for key, value in error_rates(seg).items():
        assert value == pytest.approx(theirs[key], abs=1e-12)


@pytest.mark.parametrize("params", [dict(t_collar=0.5, pol=0.5), dict(t_collar=0.2, pol=0.2,
                                     offset=False), dict(t_collar=1.0, pol=0.0)])
def test_event_error_rate_other_settings(params):
    refs, ests = _random_sets(11, quantum=0.1)
    eb, _ = _reference(refs, ests, **params)
    ev = event_error_counts(refs, ests, t_collar=params["t_collar"],
                            percentage_of_length=params["pol"],
                            evaluate_offset=params.get("offset", True))
    assert (int(ev.S.sum()), int(ev.D.sum()), int(ev.I.sum())) == \
        (eb.overall["Nsubs"], eb.overall["Nfn"], eb.overall["Nfp"])


@pytest.mark.parametrize("res", [0.5, 2.0])
def test_segment_error_rate_other_resolutions(res):
    refs, ests = _random_sets(5)
    _, sb = _reference(refs, ests, res=res)
    seg = segment_error_counts(refs, ests, time_resolution=res)
    assert (int(seg.S.sum()), int(seg.D.sum()), int(seg.I.sum())) == \
        (sb.overall["S"], sb.overall["D"], sb.overall["I"])


def test_hand_cases():
    refs = {"a": [Event(1.0, 2.0, "dog"), Event(5.0, 6.0, "alarm")]}
    # one hit, one wrong label at the right place (substitution), one extra (insertion)
    ests = {"a": [Event(1.05, 2.0, "dog"), Event(5.0, 6.0, "tone"), Event(8.0, 9.0, "dog")]}
    ev = event_error_counts(refs, ests)
    assert (ev.S[0], ev.D[0], ev.I[0], ev.nref[0]) == (1, 0, 1, 2)
    assert error_rates(ev)["error_rate"] == pytest.approx(1.0)
    # segments (1 s): ref dog [1], alarm [5]; sys dog [1], tone [5], dog [8]
    seg = segment_error_counts(refs, ests)
    assert (seg.S[0], seg.D[0], seg.I[0], seg.nref[0]) == (1, 0, 1, 2)
    # nothing output: every reference is a deletion
    ev = event_error_counts(refs, {"a": []})
    assert (ev.S[0], ev.D[0], ev.I[0]) == (0, 2, 0)
    assert error_rates(ev)["deletion_rate"] == pytest.approx(1.0)


def test_max_matching_is_maximum():
    graph = {0: [0, 1], 1: [0], 2: [1, 2]}
    m = max_matching(graph)
    assert len(m) == 3 and sorted(m.values()) == [0, 1, 2]
    assert all(r in graph[l] for r, l in m.items())
