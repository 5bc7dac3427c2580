"""TimeAudio's absolute time table: which row of ``abs_time_position_embedding`` each window gets.

Released rule (``models/timeaudio.py::_encode_auditory_feature``), reproduced operation by
operation in float32 because the rounding matters:

    t_i     = float32(i) * float32(second_stride)          for windows i = 1..L   (torch.arange * float)
    valid   = floor(float32(duration) / second_stride)    (duration rounded to 0.1 s upstream)
    t_i     = 0                                            for windows with 0-based index >= valid
    index_i = clamp(trunc(t_i / second_stride), 0, max_time_pos - 1)

The row is added to all 17 frames of window ``i`` *before* the Q-Former.

Quirks kept on purpose (documented in docs/TIMEAUDIO.md):

* (a) ``(k * 0.333333) / 0.333333`` in float32 truncates to ``k - 1`` for some ``k`` (17 of the
  first 264 windows), so some adjacent windows share a row and some rows are skipped;
* (b) windows are 17 frames = 0.34 s but labelled in 0.333333-s steps, so the label lags the
  window's true start by about 0.0067 s per window (~0.59 s at 30 s);
* (c) row 0 is shared by padding windows and, through (a), possibly by the first window;
* (d) rows past ``max_time_pos - 1`` (768 windows ~ 256 s) are clamped to the last row.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["batch_time_indices", "valid_windows", "window_time_indices"]


def valid_windows(duration: float, *, second_stride: float = 0.333333) -> int:
    """``floor(float32(duration) / second_stride)``: windows before this index keep their time."""
    d = torch.tensor([float(duration)], dtype=torch.float32)
    return int((d / second_stride).floor().long().item())


def window_time_indices(num_windows: int, duration: float, *, second_stride: float = 0.333333,
                        max_time_pos: int = 768, device: torch.device | str | None = None) -> torch.Tensor:
    """Time-table rows ``(num_windows,)`` (int64) for one clip of ``duration`` seconds."""
    times = torch.arange(1, num_windows + 1, device=device) * second_stride     # float32, like the release
    valid = valid_windows(duration, second_stride=second_stride)
    if valid < num_windows:
        times[max(valid, 0):] = 0.0
    return torch.clamp(times.div(second_stride).long(), 0, max_time_pos - 1)


def batch_time_indices(num_windows: Sequence[int], durations: Sequence[float], *, second_stride: float = 0.333333,
                       max_time_pos: int = 768, device: torch.device | str | None = None) -> torch.Tensor:
    """Rows for a ragged batch, concatenated in clip order (``sum(num_windows)``,)."""
    if len(num_windows) != len(durations):
        raise ValueError("num_windows and durations must have the same length")
    parts = [window_time_indices(n, d, second_stride=second_stride, max_time_pos=max_time_pos, device=device)
             for n, d in zip(num_windows, durations)]
    if not parts:
        return torch.zeros(0, dtype=torch.long, device=device)
    return torch.cat(parts)
