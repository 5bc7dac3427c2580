"""Absolute time-table indexing, reproduced in float32 like models/timeaudio.py."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from model_adapters.timeaudio.time_table import (
    batch_time_indices,
    valid_windows,
    window_time_indices,
)

STRIDE = 0.333333


def _numpy_rows(num_windows: int, duration: float, max_pos: int = 768) -> np.ndarray:
    """Independent float32 derivation of the released arithmetic with numpy."""
    s = np.float32(STRIDE)
    t = np.arange(1, num_windows + 1).astype(np.float32) * s
    valid = int(np.floor(np.float32(duration) / s))
    t[max(valid, 0):] = 0
    return np.clip(np.trunc(t / s).astype(np.int64), 0, max_pos - 1)


@pytest.mark.parametrize("num_windows,duration", [(88, 30.0), (88, 5.0), (176, 60.0), (264, 90.0),
                                                   (529, 180.0), (91, 31.0), (352, 95.0), (88, 29.9),
                                                   (1760, 600.0)])
def test_rows_match_float32_derivation(num_windows, duration):
    got = window_time_indices(num_windows, duration).numpy()
    assert np.array_equal(got, _numpy_rows(num_windows, duration))


def test_quirk_a_off_by_one_rows():
    # (k * 0.333333) / 0.333333 truncates to k - 1 for some k in float32: 17 of the first 264
    rows = window_time_indices(264, 90.0).numpy()
    off = rows != np.arange(1, 265)
    assert off.sum() == (_numpy_rows(264, 90.0) != np.arange(1, 265)).sum() == 17
    assert set(np.arange(1, 265)[off] - rows[off]) == {1}


def test_padding_windows_get_row_zero_and_clamp():
    # a 5-s clip still has 88 windows (one 30-s Whisper chunk): floor(5 / 0.333333) = 15 keep a time
    rows = window_time_indices(88, 5.0)
    assert valid_windows(5.0) == 15
    assert (rows[15:] == 0).all() and (rows[:15] > 0).all()
    # past 768 windows (~256 s) rows clamp to 767
    rows = window_time_indices(1000, 400.0)
    assert rows.max().item() == 767 and (rows[-10:] == 767).all()


def test_batch_concatenates_in_clip_order():
    rows = batch_time_indices([88, 176], [5.0, 60.0])
    assert rows.shape == (264,)
    assert torch.equal(rows[:88], window_time_indices(88, 5.0))
    assert torch.equal(rows[88:], window_time_indices(176, 60.0))
