"""SODA_c: the chased DP on hand-computed matrices, the metric with a fake similarity, and the
metric with real METEOR against direct pycocoevalcap calls (Java)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from timebench.errors import InputError
from timebench.metrics.soda import chased_dp_assignment, soda_c, soda_prf
from timebench.types import Event

EPS = 1e-8  # densevid / SODA tIoU: intersection / (union + 1e-8)


def _best_order_preserving(s):
    """Brute force over every strictly increasing matching (an independent check of the DP)."""
    n, m = s.shape
    best = 0.0
    for k in range(1, min(n, m) + 1):
        for rows in itertools.combinations(range(n), k):
            for cols in itertools.combinations(range(m), k):
                best = max(best, float(sum(s[r, c] for r, c in zip(rows, cols))))
    return best


def test_chased_dp_hand_matrix():
    s = np.array([[0.5, 0.9, 0.0],
                  [0.8, 0.1, 0.3]])
    # Order-preserving options: (0,0)+(1,1)=0.6, (0,0)+(1,2)=0.8, (0,1)+(1,2)=1.2, singles <= 0.9.
    # The crossing assignment (0,1)+(1,0)=1.7 is NOT allowed (it is what Hungarian would pick).
    score, pairs = chased_dp_assignment(s)
    assert score == pytest.approx(1.2)
    assert pairs == [(0, 1), (1, 2)]


def test_chased_dp_skips_rows_and_columns():
    s = np.array([[0.0, 0.0],
                  [0.7, 0.0],
                  [0.0, 0.4]])
    score, pairs = chased_dp_assignment(s)
    assert score == pytest.approx(1.1)
    assert pairs == [(1, 0), (2, 1)]
    assert chased_dp_assignment(np.zeros((0, 3))) == (0.0, [])


def test_chased_dp_matches_brute_force_on_random_matrices():
    rng = np.random.default_rng(7)
    for _ in range(40):
        n, m = rng.integers(1, 5, size=2)
        s = rng.random((n, m)) * (rng.random((n, m)) > 0.3)
        assert chased_dp_assignment(s)[0] == pytest.approx(_best_order_preserving(s), abs=1e-12)


def test_chased_dp_rejects_negative():
    with pytest.raises(ValueError):
        chased_dp_assignment(np.array([[-0.1]]))


def test_soda_prf():
    assert soda_prf(1.0, 2, 4) == pytest.approx((0.25, 0.5, 2 * 0.25 * 0.5 / 0.75))
    assert soda_prf(0.0, 2, 2) == (0.0, 0.0, 0.0)
    assert soda_prf(1.0, 0, 2) == (0.0, 0.0, 0.0)


def _same_or_half(refs, preds):
    """Fake caption similarity: 1 for identical captions, 0.5 otherwise."""
    return np.array([[1.0 if r == p else 0.5 for p in preds] for r in refs])


def test_soda_c_with_fake_similarity_hand_case():
    refs = {
        "v1": [Event(3, 5, "b"), Event(0, 2, "a")],          # unsorted on purpose
        "v2": [Event(0, 4, "x")],
    }
    preds = {"v1": [Event(0, 2, "a"), Event(3, 4, "c")]}      # v2 has no prediction
    res = soda_c(refs, preds, similarity=_same_or_half)
    # v1 sorted: refs a[0,2], b[3,5]; preds a[0,2], c[3,4].
    # tIoU: (a,a) = 2/(2+eps), (b,c) = 1/(2+eps), crossings 0.
    # S = [[2/(2+eps) * 1, 0], [0, 1/(2+eps) * 0.5]]; DP total = both diagonal cells.
    total = 2 / (2 + EPS) + 0.5 / (2 + EPS)
    p = r = total / 2
    assert res.per_sample["SODA_c_precision"][0] == pytest.approx(p, abs=1e-12)
    assert res.per_sample["SODA_c_recall"][0] == pytest.approx(r, abs=1e-12)
    assert res.per_sample["SODA_c"][0] == pytest.approx(p, abs=1e-12)  # P == R -> F == P
    assert res.per_sample["SODA_c"][1] == 0.0                    # no prediction: 0, kept
    assert res.aggregate["SODA_c"] == pytest.approx(p / 2, abs=1e-12)
    assert res.ids == ("v1", "v2")


def test_soda_c_order_matters():
    # Two references in time order a, b; predictions in the opposite caption order.
    refs = {"v": [Event(0, 10, "a"), Event(0, 10, "b")]}
    preds = {"v": [Event(0, 10, "b"), Event(0, 10, "a")]}

    def exact(r, p):
        return np.array([[1.0 if x == y else 0.0 for y in p] for x in r])

    # sorted by onset (stable, all onsets 0): refs [a, b], preds [b, a]; S = [[0, 1], [1, 0]]
    # scaled by tIoU 10/(10+eps); the order-preserving alignment can take only one of them.
    res = soda_c(refs, preds, similarity=exact)
    one = 10 / (10 + EPS)
    assert res.per_sample["SODA_c"][0] == pytest.approx(one / 2, abs=1e-12)


def test_soda_c_multi_reference_takes_best_f():
    refs = {"v": [Event(0, 2, "a")]}
    extra = [{"v": [Event(0, 2, "a"), Event(2, 4, "b")]}]
    preds = {"v": [Event(0, 2, "a"), Event(2, 4, "b")]}

    def exact(r, p):
        return np.array([[1.0 if x == y else 0.0 for y in p] for x in r])

    res = soda_c(refs, preds, similarity=exact, extra_references=extra)
    # set 1: score ~1, P = 1/2, R = 1, F = 2/3; set 2: score ~2, P = R = F = 1 -> best is set 2
    assert res.per_sample["SODA_c"][0] == pytest.approx(2 / (2 + EPS), abs=1e-12)


def test_soda_c_rejects_predictions_without_references():
    with pytest.raises(InputError):
        soda_c({"a": [Event(0, 1, "x")]}, {"b": [Event(0, 1, "x")]}, similarity=_same_or_half)


# ----------------------------------------------------------------------------------------------
# with METEOR (Java): one scorer (one METEOR JVM) for the whole module
# ----------------------------------------------------------------------------------------------
@pytest.mark.java
def test_soda_c_with_meteor_matches_direct_pycocoevalcap(scorer):
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    refs = {"v1": [Event(0, 5, "A dog barks."), Event(5, 10, "A car passes by.")],
            "v2": [Event(0, 4, "Rain falls on a roof.")]}
    preds = {"v1": [Event(0, 5, "a dog is barking"), Event(5, 10, "a vehicle passes")],
             "v2": [Event(0, 2, "rain")]}
    res = soda_c(refs, preds, scorer=scorer)

    # Independent computation, the way fujiso/SODA builds its matrix: tokenize with
    # pycocoevalcap's PTBTokenizer, then one Meteor compute_score per reference sentence with
    # every prediction as a hypothesis (the same METEOR process class, called directly).
    tok = PTBTokenizer()
    meteor = scorer._meteor_obj()

    def matrix(ref_caps, pred_caps):
        res_ = tok.tokenize({i: [{"caption": c}] for i, c in enumerate(pred_caps)})
        rows = []
        for g in ref_caps:
            g_tok = tok.tokenize({0: [{"caption": g}]})[0][0]
            gts_ = {i: [g_tok] for i in range(len(pred_caps))}
            rows.append(meteor.compute_score(gts_, {i: res_[i] for i in res_})[1])
        return np.array(rows)

    m1 = matrix(["A dog barks.", "A car passes by."], ["a dog is barking", "a vehicle passes"])
    # v1: diagonal tIoU 5/(5+eps), off-diagonal 0 (touching intervals) -> DP takes the diagonal
    score1 = (m1[0, 0] + m1[1, 1]) * 5 / (5 + EPS)
    f1 = score1 / 2  # P = R = score / 2
    m2 = matrix(["Rain falls on a roof."], ["rain"])
    # v2: tIoU = 2 / (4 + eps); P = score / 1, R = score / 1
    f2 = m2[0, 0] * 2 / (4 + EPS)
    assert m1[0, 0] > 0 and m2[0, 0] > 0
    assert res.per_sample["SODA_c"] == pytest.approx([f1, f2], abs=1e-9)
    assert res.aggregate["SODA_c"] == pytest.approx((f1 + f2) / 2, abs=1e-9)
    assert scorer.meteor_starts == 1
