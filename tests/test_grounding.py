"""Grounding metrics on hand-computed cases and the known traps."""

from __future__ import annotations

import numpy as np
import pytest

from timebench.metrics.grounding import (
    grounding_ious,
    grounding_summary,
    iou_matrix,
    merge_intervals,
    recall_at,
    set_iou,
    top1_iou,
)
from timebench.types import Event


def test_single_interval_iou_by_hand():
    # [2, 6] vs [4, 8]: intersection 2, union 6
    assert set_iou([(2, 6)], [(4, 8)]) == pytest.approx(2 / 6)
    assert top1_iou([(2, 6)], [(4, 8)]) == pytest.approx(2 / 6)
    assert set_iou([(0, 1)], [(2, 3)]) == 0.0
    assert set_iou([(1, 5)], [(1, 5)]) == 1.0


def test_set_iou_vs_top1_on_multi_interval_queries():
    ref = [(0, 2), (10, 12)]
    pred = [(0, 2), (10, 12)]
    assert set_iou(pred, ref) == 1.0
    assert top1_iou(pred, ref) == 1.0
    # only the first window predicted: set-IoU 2/4, top-1 IoU 1.0 (best-overlapping reference)
    assert set_iou([(0, 2)], ref) == pytest.approx(0.5)
    assert top1_iou([(0, 2)], ref) == 1.0
    # a wrong first window and a right second one: top-1 scores 0, set-IoU 2/6
    assert top1_iou([(5, 7), (10, 12)], ref) == 0.0
    assert set_iou([(5, 7), (10, 12)], ref) == pytest.approx(2 / 6)


def test_overlapping_predictions_are_merged_before_set_iou():
    # [0,4] and [2,6] merge to [0,6]; reference [0,6] -> IoU 1 (not double counted)
    assert set_iou([(0, 4), (2, 6)], [(0, 6)]) == 1.0
    assert merge_intervals([(2, 6), (0, 4), (8, 9), (9, 10)]).tolist() == [[0, 6], [8, 10]]


def test_empty_prediction_scores_zero_and_is_not_skipped():
    ious = grounding_ious([(), [(0, 1)]], [[(0, 1)], [(0, 1)]], mode="set")
    assert ious.tolist() == [0.0, 1.0]
    s = grounding_summary(ious, thresholds=[0.5])
    assert s == {"mIoU": 0.5, "R1@0.5": 0.5}


def test_zero_length_intervals_do_not_divide_by_zero():
    assert set_iou([(3, 3)], [(3, 3)]) == 0.0
    assert top1_iou([(3, 3)], [(3, 3)]) == 0.0
    assert iou_matrix([(3, 3)], [(3, 3), (2, 4)]).tolist() == [[0.0, 0.0]]


def test_float_boundary_counts_as_hit():
    # [0, 0.1] inside [0, 0.2] is IoU 1/2 exactly, but computes to 0.49999999999999994
    iou = set_iou([(0.0, 0.1)], [(0.0, 0.2)])
    assert iou < 0.5
    assert recall_at([iou], thresholds=[0.5])["R1@0.5"] == 1.0  # documented tolerance 1e-9
    # the raw float comparison (tolerance 0) is available and misses it
    assert recall_at([iou], thresholds=[0.5], tolerance=0.0)["R1@0.5"] == 0.0
    # a genuinely lower IoU is still a miss
    assert recall_at([0.5 - 1e-6], thresholds=[0.5])["R1@0.5"] == 0.0


def test_accepts_events_and_arrays():
    ev = [Event(1.0, 3.0), Event(5.0, 6.0)]
    assert set_iou(ev, np.array([[1.0, 3.0], [5.0, 6.0]])) == 1.0


def test_summary_keys_and_values_are_fractions():
    s = grounding_summary([0.2, 0.55, 0.75, 0.95])
    assert set(s) == {"mIoU", "R1@0.3", "R1@0.5", "R1@0.7", "R1@0.9"}
    assert s["mIoU"] == pytest.approx(0.6125)
    assert (s["R1@0.3"], s["R1@0.5"], s["R1@0.7"], s["R1@0.9"]) == (0.75, 0.75, 0.5, 0.25)


def test_bad_mode_is_rejected():
    with pytest.raises(ValueError):
        grounding_ious([[(0, 1)]], [[(0, 1)]], mode="best")
