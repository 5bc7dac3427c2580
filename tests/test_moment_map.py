"""Moment-retrieval mAP: hand cases and an independent re-implementation of the QVHighlights /
Lighthouse ``standalone_eval`` algorithm (written here from its description, loop by loop)."""

from __future__ import annotations

import numpy as np
import pytest

from timebench.metrics.moment_map import MAP_THRESHOLDS, interpolated_ap, moment_map, query_ap


def _ref_iou(a, b):
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = (a[1] - a[0]) + (b[1] - b[0]) - inter
    return inter / union if union > 0 else 0.0


def _ref_ap_curve(prec, rec):
    # "11-point"-free ActivityNet interpolation, written as explicit loops
    mp = [0.0] + list(prec) + [0.0]
    mr = [0.0] + list(rec) + [1.0]
    for i in range(len(mp) - 2, -1, -1):
        mp[i] = max(mp[i], mp[i + 1])
    return sum((mr[i] - mr[i - 1]) * mp[i] for i in range(1, len(mr)) if mr[i] != mr[i - 1])


def _ref_map(queries, thresholds=MAP_THRESHOLDS, max_windows=10):
    """queries: list of (pred [(s, e, score)], gt [(s, e)]); mean AP per threshold + average."""
    per_t = []
    for t in thresholds:
        aps = []
        for preds, gts in queries:
            preds = list(preds)[:max_windows]
            ranked = sorted(preds, key=lambda p: -p[2])
            if not ranked or not gts:
                aps.append(0.0)
                continue
            locked = [False] * len(gts)
            tps = []
            for p in ranked:
                ious = [_ref_iou(p, g) for g in gts]
                order = list(np.argsort(ious)[::-1])
                hit = False
                for j in order:
                    if ious[j] < t:
                        break
                    if locked[j]:
                        continue
                    locked[j] = hit = True
                    break
                tps.append(1 if hit else 0)
            prec, rec, c = [], [], 0
            for k, tp in enumerate(tps, 1):
                c += tp
                prec.append(c / k)
                rec.append(c / len(gts))
            aps.append(_ref_ap_curve(prec, rec))
        per_t.append(sum(aps) / len(aps))
    return per_t, sum(per_t) / len(per_t)


def _run(queries):
    ap = np.array([query_ap([(p[0], p[1]) for p in preds], [p[2] for p in preds], gts)
                   for preds, gts in queries])
    return ap, moment_map(ap)


def test_hand_cases():
    gt = [(0.0, 10.0)]
    assert query_ap([(0, 10)], [1.0], gt).tolist() == [1.0] * 10
    # a wrong window ranked first halves AP
    assert query_ap([(20, 30), (0, 10)], [0.9, 0.8], gt) == pytest.approx([0.5] * 10)
    # the same windows with the scores reversed: AP 1
    assert query_ap([(20, 30), (0, 10)], [0.1, 0.8], gt) == pytest.approx([1.0] * 10)
    # no scores: ranked in the written order
    assert query_ap([(20, 30), (0, 10)], None, gt) == pytest.approx([0.5] * 10)
    # one of two ground-truth windows found: recall 0.5 at precision 1
    assert query_ap([(0, 10)], [1.0], [(0, 10), (20, 30)]) == pytest.approx([0.5] * 10)
    # IoU 0.6 counts at 0.5, 0.55, 0.6 only -> mAP 0.3
    ap = query_ap([(0, 6)], [1.0], gt)
    assert ap.tolist() == [1.0, 1.0, 1.0] + [0.0] * 7
    assert moment_map(ap[None])["mAP"] == pytest.approx(0.3)
    # two predictions for one window: the second is a false positive (window already taken)
    assert query_ap([(0, 10), (0, 10)], [0.9, 0.8], gt) == pytest.approx([1.0] * 10)
    assert query_ap([(0, 10), (0, 10)], [0.9, 0.8], gt[:0]).tolist() == [0.0] * 10
    # nothing predicted: AP 0 (kept in the mean)
    assert query_ap([], None, gt).tolist() == [0.0] * 10
    # only the first 10 windows are kept
    many = [(20, 30)] * 10 + [(0, 10)]
    assert query_ap(many, None, gt).tolist() == [0.0] * 10


def test_interpolation_hand_case():
    # precision 1, 0.5, 0.67 at recall 0.5, 0.5, 1.0 -> 0.5 * 1 + 0.5 * 0.67
    assert interpolated_ap(np.array([1.0, 0.5, 2 / 3]), np.array([0.5, 0.5, 1.0])) == \
        pytest.approx(0.5 + 0.5 * 2 / 3)


@pytest.mark.parametrize("seed", range(6))
def test_matches_independent_reimplementation_on_random_queries(seed):
    rng = np.random.default_rng(seed)
    queries = []
    for _ in range(60):
        gts = []
        for _ in range(int(rng.integers(1, 4))):
            s = float(rng.uniform(0, 50))
            gts.append((s, s + float(rng.uniform(1, 10))))
        preds = []
        for _ in range(int(rng.integers(0, 14))):
            if gts and rng.random() < 0.6:
                g = gts[int(rng.integers(len(gts)))]
                s = g[0] + float(rng.normal(0, 1.0))
                e = max(s + 0.1, g[1] + float(rng.normal(0, 1.0)))
            else:
                s = float(rng.uniform(0, 55))
                e = s + float(rng.uniform(0.5, 8))
            score = float(rng.integers(0, 4)) / 4 if rng.random() < 0.3 else float(rng.random())
            preds.append((s, e, score))   # ties in score on purpose
        queries.append((preds, gts))
    ap, summary = _run(queries)
    per_t, average = _ref_map(queries)
    assert ap.mean(axis=0) == pytest.approx(per_t, abs=1e-12)
    assert summary["mAP"] == pytest.approx(average, abs=1e-12)
    assert summary["mAP@0.5"] == pytest.approx(per_t[0], abs=1e-12)
    assert summary["mAP@0.75"] == pytest.approx(per_t[5], abs=1e-12)


def test_grounding_suite_reports_map_as_extra_metric():
    from timebench.metrics.suites import Sample, build_suite
    from timebench.types import Event, ParsedAnswer, Reference

    refs = [Reference(id="a", duration=60.0, query="q", events=(Event(0.0, 10.0),)),
            Reference(id="b", duration=60.0, query="q", events=(Event(20.0, 30.0),))]
    answers = [ParsedAnswer(events=(Event(0.0, 10.0),)), ParsedAnswer(failed=True)]
    out = build_suite({"suite": "grounding"}).compute(
        [Sample(r, a) for r, a in zip(refs, answers)])
    assert out.metrics["mAP"] == pytest.approx(0.5)
    assert out.per_sample["mAP"] == [1.0, 0.0]
    assert out.resample(np.array([0, 0]))["mAP"] == pytest.approx(1.0)


def test_one_ground_truth_fast_path_equals_array_path(monkeypatch):
    """query_ap's plain-float path for one ground-truth window gives bit-identical APs."""
    import timebench.metrics.moment_map as mm

    rng = np.random.default_rng(7)
    cases = []
    for _ in range(3000):
        n = int(rng.integers(1, 14))
        grid = rng.choice([0.5, 1.0, 0.1])          # coarse grids make IoU ties and exact hits
        wins = [tuple(sorted(np.round(rng.uniform(-2, 30, 2) / grid) * grid)) for _ in range(n)]
        scores = None if rng.random() < 0.5 else list(np.round(rng.uniform(0, 1, n), 1))
        g = tuple(sorted(np.round(rng.uniform(0, 30, 2) / grid) * grid))
        cases.append((wins, scores, [g]))
    cases += [([(1.0, 1.0)], None, [(1.0, 1.0)]), ([(0.0, 5.0)], None, [(5.0, 9.0)]),
              ([(float("nan"), 2.0)], None, [(0.0, 2.0)]),
              ([(0.0, 2.0)], None, [(0.0, float("inf"))])]
    fast = [query_ap(*c[:2], c[2]) for c in cases]
    monkeypatch.setattr(mm, "_one_gt_ap", lambda *a: None)
    slow = [query_ap(*c[:2], c[2]) for c in cases]
    for f, s in zip(fast, slow):
        assert f.tobytes() == s.tobytes()
