"""timebench's numpy linear sum assignment (``timebench.metrics._lsap``) against scipy's
``linear_sum_assignment``: the same rows and columns (ties included), and segment mIoU equal to
the last bit to the scipy-based definition; hand-computed cases run without scipy."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from timebench.metrics._lsap import linear_sum_assignment
from timebench.metrics.summary import segment_miou
from timebench.types import Event


def brute_force_best(cost, maximize):
    nr, nc = cost.shape
    sign = -1.0 if maximize else 1.0
    best = None
    if nr <= nc:
        for cols in itertools.permutations(range(nc), nr):
            total = sign * sum(cost[i, j] for i, j in enumerate(cols))
            best = total if best is None else min(best, total)
    else:
        for rows in itertools.permutations(range(nr), nc):
            total = sign * sum(cost[i, j] for j, i in enumerate(rows))
            best = total if best is None else min(best, total)
    return sign * best


def test_hand_computed():
    cost = np.array([[4.0, 1.0, 3.0], [2.0, 0.0, 5.0], [3.0, 2.0, 2.0]])
    rows, cols = linear_sum_assignment(cost)
    assert rows.tolist() == [0, 1, 2] and cols.tolist() == [1, 0, 2]   # 1 + 2 + 2 = 5
    rows, cols = linear_sum_assignment(cost, maximize=True)
    assert cost[rows, cols].sum() == 11.0                               # 4 + 5 + 2
    # a constant matrix gives the identity (scipy's documented tie behaviour)
    rows, cols = linear_sum_assignment(np.ones((3, 3)))
    assert cols.tolist() == [0, 1, 2]
    # tall: rows come back sorted
    rows, cols = linear_sum_assignment(np.array([[5.0], [1.0], [3.0]]))
    assert rows.tolist() == [1] and cols.tolist() == [0]
    for shape in ((0, 3), (3, 0), (0, 0)):
        rows, cols = linear_sum_assignment(np.zeros(shape))
        assert rows.size == 0 and cols.size == 0
    with pytest.raises(ValueError):
        linear_sum_assignment(np.array([[np.nan]]))


def test_optimal_against_brute_force():
    rng = np.random.default_rng(7)
    for _ in range(300):
        nr, nc = (int(v) for v in rng.integers(1, 6, size=2))
        cost = np.round(rng.random((nr, nc)), 1)
        for maximize in (False, True):
            rows, cols = linear_sum_assignment(cost, maximize=maximize)
            assert len(set(rows.tolist())) == len(rows) == min(nr, nc)
            assert len(set(cols.tolist())) == len(cols)
            assert cost[rows, cols].sum() == pytest.approx(brute_force_best(cost, maximize),
                                                           abs=1e-12)


@pytest.mark.parametrize("kind", ["integers", "tenths", "uniform", "sparse"])
def test_same_assignment_as_scipy(kind):
    scipy_optimize = pytest.importorskip("scipy.optimize")
    rng = np.random.default_rng({"integers": 1, "tenths": 2, "uniform": 3, "sparse": 4}[kind])
    for _ in range(800):
        nr, nc = (int(v) for v in rng.integers(0, 10, size=2))
        if kind == "integers":
            cost = rng.integers(0, 3, size=(nr, nc)).astype(float)
        elif kind == "tenths":
            cost = np.round(rng.random((nr, nc)), 1)
        elif kind == "uniform":
            cost = rng.random((nr, nc)) * 10.0 ** float(rng.integers(-3, 4))
        else:  # mostly zeros, as IoU matrices are
            cost = np.where(rng.random((nr, nc)) < 0.7, 0.0, rng.random((nr, nc)))
        for maximize in (False, True):
            want = scipy_optimize.linear_sum_assignment(cost, maximize=maximize)
            got = linear_sum_assignment(cost, maximize=maximize)
            assert got[0].tolist() == want[0].tolist()
            assert got[1].tolist() == want[1].tolist()


def _random_segments(rng, n, tenths):
    on = rng.random(n) * 30.0
    length = rng.random(n) * 8.0
    if tenths:  # shared boundaries: many equal IoUs
        on, length = np.round(on) / 2.0, np.round(length) / 2.0 + 0.5
    return [Event(float(a), float(a + b), "x") for a, b in zip(on, length)]


def test_segment_miou_bit_identical_to_scipy():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    from timebench.metrics.summary import _iou_matrix

    rng = np.random.default_rng(11)
    for k in range(1500):
        pred = _random_segments(rng, int(rng.integers(1, 9)), k % 2 == 0)
        ref = _random_segments(rng, int(rng.integers(1, 9)), k % 2 == 0)
        iou = _iou_matrix(pred, ref)
        rows, cols = scipy_optimize.linear_sum_assignment(iou, maximize=True)
        want = float(iou[rows, cols].sum() / max(len(pred), len(ref)))
        assert segment_miou(pred, ref) == want  # exact, not approx
