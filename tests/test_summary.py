"""Timeline speech summary metrics: ROUGE-1, ROUGE-L (vs pycocoevalcap's Rouge), segment mIoU."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timebench.errors import InputError
from timebench.metrics.summary import (lcs_length, rouge_1, rouge_l, segment_miou,
                                       summary_scores, summary_tokens, timeline_text)
from timebench.types import Event


def _lcs_dp(a, b):
    """Textbook O(n*m) LCS dynamic programme (independent of the bit-parallel version)."""
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    return table[-1][-1]


def test_tokens_lowercase_alnum_runs():
    assert summary_tokens("The Cat's 2 mats, re-used_twice!") == [
        "the", "cat", "s", "2", "mats", "re", "used", "twice"]
    assert summary_tokens("Ünïcode Wörds") == ["ünïcode", "wörds"]
    assert summary_tokens("...") == []


def test_lcs_hand_cases():
    assert lcs_length(list("abcbdab"), list("bdcaba")) == 4  # CLRS example: "bcba"
    assert lcs_length([], ["a"]) == 0
    assert lcs_length(["a", "a"], ["a"]) == 1


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from("abcde"), max_size=40), st.lists(st.sampled_from("abcde"),
                                                                  max_size=40))
def test_lcs_bit_parallel_equals_dp(a, b):
    assert lcs_length(a, b) == _lcs_dp(a, b)


def test_lcs_long_sequences_fast():
    rng = np.random.default_rng(0)
    a = [str(x) for x in rng.integers(0, 50, 3000)]
    b = [str(x) for x in rng.integers(0, 50, 3000)]
    # The check against the DP on a 300-token slice keeps this fast; the full length only
    # has to run (bit-parallel: milliseconds).
    assert lcs_length(a[:300], b[:300]) == _lcs_dp(a[:300], b[:300])
    assert 0 < lcs_length(a, b) <= 3000


def test_rouge_1_hand():
    hyp = summary_tokens("the cat sat on the mat")
    ref = summary_tokens("the cat is on the mat")
    # overlap: the x2, cat, on, mat = 5 of 6 on each side
    p, r, f = rouge_1(hyp, ref)
    assert (p, r) == pytest.approx((5 / 6, 5 / 6))
    assert f == pytest.approx(5 / 6)
    # clipped counts: "the" x3 against one "the": overlap 1, P = 1/3, R = 1/2,
    # F = 2 * (1/3) * (1/2) / (1/3 + 1/2) = (1/3) / (5/6) = 0.4
    p, r, f = rouge_1(["the", "the", "the"], ["the", "cat"])
    assert (p, r, f) == pytest.approx((1 / 3, 1 / 2, 0.4))
    assert rouge_1([], ["a"]) == (0.0, 0.0, 0.0)
    assert rouge_1(["x"], ["y"]) == (0.0, 0.0, 0.0)


def test_rouge_l_hand():
    # LCS(a b c d, a c d e f) = 3 (a c d): P = 3/4, R = 3/5
    # F(beta=1.2) = 2.44 * 0.75 * 0.6 / (0.6 + 1.44 * 0.75) = 1.098 / 1.68
    assert rouge_l(list("abcd"), list("acdef")) == pytest.approx(1.098 / 1.68)
    # beta = 1: plain F1 = 2 * 0.75 * 0.6 / 1.35
    assert rouge_l(list("abcd"), list("acdef"), beta=1.0) == pytest.approx(0.9 / 1.35)
    assert rouge_l([], ["a"]) == 0.0


words = st.lists(st.sampled_from(["a", "dog", "barks", "the", "cat", "x"]), min_size=1,
                 max_size=25)


@settings(max_examples=200, deadline=None)
@given(words, words)
def test_rouge_l_equals_pycocoevalcap_rouge(hyp, ref):
    rouge_mod = pytest.importorskip("pycocoevalcap.rouge.rouge")
    expected = rouge_mod.Rouge().calc_score([" ".join(hyp)], [" ".join(ref)])
    assert rouge_l(hyp, ref) == pytest.approx(expected, abs=1e-12)


def test_segment_miou_hand():
    preds = [Event(0, 2), Event(3, 5), Event(9, 10)]
    refs = [Event(0, 2), Event(2, 5)]
    # IoU(p0, r0) = 1, IoU(p1, r1) = 2/3, everything else 0; 3 predictions -> (1 + 2/3) / 3
    assert segment_miou(preds, refs) == pytest.approx(5 / 9)
    assert segment_miou([], refs) == 0.0
    assert segment_miou(preds, []) == 0.0


def test_segment_miou_is_optimal_not_greedy():
    a, b = Event(0, 10), Event(0, 7)
    x, y = Event(0, 9), Event(1, 9)
    # IoU(a,x)=0.9, IoU(a,y)=0.8, IoU(b,x)=7/9, IoU(b,y)=6/9.
    # Greedy (a-x, b-y) = 0.9 + 0.667 = 1.567; optimal (a-y, b-x) = 0.8 + 7/9 = 1.578.
    assert segment_miou([a, b], [x, y]) == pytest.approx((0.8 + 7 / 9) / 2)


def test_zero_length_segments_score_zero():
    assert segment_miou([Event(1, 1)], [Event(1, 1)]) == 0.0


def test_timeline_text_sorts_by_onset():
    events = [Event(5, 6, "second part."), Event(0, 1, "First part"), Event(7, 8, None)]
    assert timeline_text(events) == "First part second part."


def test_summary_scores_per_sample_and_aggregate():
    refs = {
        "a": [Event(0, 10, "The cat sat on the mat."), Event(10, 20, "Then it slept.")],
        "b": [Event(0, 30, "A talk about rivers.")],
        "c": [Event(0, 5, "Nothing predicted here.")],
    }
    preds = {
        # given out of time order: the concatenation follows onsets
        "a": [Event(10, 20, "then it slept"), Event(0, 10, "the cat sat on the mat")],
        "b": [Event(0, 15, "a talk on lakes"), Event(15, 30, "and rivers")],
    }
    res = summary_scores(refs, preds)
    assert res.ids == ("a", "b", "c")
    # a: identical token sequences -> ROUGE 1, both segments exact -> mIoU 1
    assert res.per_sample["ROUGE_1"][0] == pytest.approx(1.0)
    assert res.per_sample["ROUGE_L"][0] == pytest.approx(1.0)
    assert res.per_sample["segment_mIoU"][0] == pytest.approx(1.0)
    # b: hyp [a talk on lakes and rivers] (6), ref [a talk about rivers] (4), overlap 3
    #    ROUGE-1: P = 1/2, R = 3/4, F = 2*(1/2)*(3/4)/(5/4) = 0.6
    #    LCS = 3 (a talk rivers): ROUGE-L(1.2) = 2.44*0.5*0.75/(0.75+1.44*0.5) = 0.915/1.47
    #    mIoU: [0,15] vs [0,30] = 0.5; one of two predictions matched -> 0.5 / 2
    assert res.per_sample["ROUGE_1"][1] == pytest.approx(0.6)
    assert res.per_sample["ROUGE_L"][1] == pytest.approx(0.915 / 1.47)
    assert res.per_sample["segment_mIoU"][1] == pytest.approx(0.25)
    # c: missing prediction scores 0 and stays in the mean
    for name in ("ROUGE_1", "ROUGE_L", "segment_mIoU"):
        assert res.per_sample[name][2] == 0.0
        assert res.aggregate[name] == pytest.approx(res.per_sample[name].mean())
    assert res.aggregate["ROUGE_1"] == pytest.approx((1 + 0.6 + 0) / 3)


def test_summary_scores_rejects_unknown_ids_and_bad_beta():
    with pytest.raises(InputError, match="without references"):
        summary_scores({"a": [Event(0, 1, "x")]}, {"zzz": [Event(0, 1, "x")]})
    with pytest.raises(InputError):
        summary_scores({"a": [Event(0, 1, "x")]}, {}, beta=0)
    with pytest.raises(InputError):
        summary_scores({}, {})


def test_summary_values_are_fractions():
    res = summary_scores({"a": [Event(0, 1, "x y z")]}, {"a": [Event(0, 2, "x y")]})
    for value in res.aggregate.values():
        assert 0.0 <= value <= 1.0 and not math.isnan(value)
