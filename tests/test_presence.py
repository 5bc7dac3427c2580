"""SpotSound-style presence metrics on a hand-computed case."""

from __future__ import annotations

import math

import numpy as np
import pytest

from timebench.metrics.presence import presence_flags, presence_summary


def _case():
    # sample:      0     1      2      3      4      5      6
    # reference:  pos   pos    pos    pos    neg    neg    neg
    # answer:     win   win    "yes"  fail   "no"   win    fail
    # IoU:        0.8   0.2    -      -      -      -      -
    return presence_flags(
        positive=[True, True, True, True, False, False, False],
        claims=[True, True, True, False, False, True, False],
        has_window=[True, True, False, False, False, True, False],
        failed=[False, False, False, True, False, False, True],
        ious=[0.8, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0],
        threshold=0.5)


def test_hand_computed_presence_and_joint_f1():
    out = presence_summary(_case())
    # positives: 0, 1, 2 claim presence; 3 failed -> 3/4
    assert out["presence_acc_pos"] == pytest.approx(3 / 4)
    # negatives: 4 rejects; 5 claims; 6 failed (never a correct rejection) -> 1/3
    assert out["presence_acc_neg"] == pytest.approx(1 / 3)
    # TP = {0}; FP = {1 (IoU < 0.5), 2 ("yes" without window), 5 (window on a negative)}
    # FN = {1, 2, 3}; F1 = 2*1 / (2*1 + 3 + 3) = 0.25
    assert out["joint_f1"] == pytest.approx(0.25)
    assert out["joint_precision"] == pytest.approx(1 / 4)
    assert out["joint_recall"] == pytest.approx(1 / 4)


def test_resampling_uses_the_same_flags():
    flags = _case()
    index = np.array([0, 0, 4])
    out = presence_summary(flags, index=index)
    assert out["joint_f1"] == 1.0 and out["presence_acc_neg"] == 1.0


def test_no_positives_and_no_claims_is_undefined_not_zero():
    flags = presence_flags(positive=[False], claims=[False], has_window=[False], failed=[False],
                           ious=[0.0])
    out = presence_summary(flags)
    assert math.isnan(out["joint_f1"]) and out["presence_acc_neg"] == 1.0
