"""Segment-level token merging (SEM): the plain reference path and the counting rules.

Released algorithm (``models/timeaudio.py::_encode_auditory_feature``, ``use_token_merge``),
applied after the Q-Former and before ``speech_llama_proj`` when a clip has ``L > 88`` windows:

1. score each window: the last Q-Former layer's cross-attention probabilities of query 0,
   averaged over heads and then over the 17 keys (:func:`window_scores`).  Because each softmax row
   sums to 1, every score is ``1/17`` up to rounding error, so the selection below is decided by
   floating-point noise -- a property of the released model that we keep, not fix;
2. cut ``num_segments = int(2 * L / 88)`` segments of ``L // num_segments`` windows, the last one
   taking the remainder (:func:`segment_bounds`);
3. per segment: the ``dominant`` (22) best-scored windows, put back in time order; from the ``R``
   remaining windows (time order) take ``contextual`` (4) targets at positions ``0, s, 2s, 3s`` with
   ``s = max(1, R // 4)``; assign every other remaining window to the target with the largest cosine
   similarity (first target on ties, as ``argmax``); each contextual token is
   ``target + mean(assigned windows)`` on the *unnormalised* hidden states (``+ 0`` when nothing
   is assigned); the segment yields ``dominant`` then ``contextual`` tokens (22 + 4 = 26).

Ties in step 3's top-k (``MergeSettings.tie_break``): the scores are nearly all equal, so which
windows are kept is decided by how ties are ranked.

* ``"release"`` (default): ``torch.topk(segment_scores, dominant)`` and then the indices sorted,
  exactly the release's call, on the segment's own scores (the release slices ``scores[:, s:e]``
  with batch 1).  Whatever order ``topk`` gives equal values on the device in use is therefore the
  release's order on that device.  On CPU (torch 2.x) that order is not "first wins" nor "last
  wins": ``topk`` uses a selection algorithm whose tie order depends on the row's values and
  length, so it can only be reproduced by calling ``topk`` on a row of the same length.  On CUDA
  ``topk`` has its own tie order (not tested here: no GPU in the session that wrote this).
* ``"stable"`` (named deviation): a stable descending sort, the earlier window winning; the same
  tokens on every device, but not the release's.

This module is the reference: per clip, per segment, written for reading.  The batched path is
:mod:`.merging_fast`; ``tests/test_timeaudio_merging.py`` checks that they agree with each other
and with the release's rule written out in the test (tie-heavy scores from a random-initialised
window Q-Former, not only distinct random scores).

This module is the reference: per clip, per segment, written for reading.  The batched path is
:mod:`.merging_fast`; ``tests/test_timeaudio_merging.py`` checks that they agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from .config import MergeSettings

__all__ = [
    "dominant_positions",
    "merge_batch_reference",
    "merge_clip_reference",
    "merged_token_count",
    "segment_bounds",
    "window_scores",
]


def window_scores(cross_attention: torch.Tensor) -> torch.Tensor:
    """Scores ``(N,)`` from cross-attention probabilities ``(N, heads, queries, keys)``:
    query 0, mean over heads, then mean over keys (``attn[:, :, :, 0, :].mean(2).mean(-1)``)."""
    return cross_attention[:, :, 0, :].float().mean(dim=1).mean(dim=-1)


def segment_bounds(num_windows: int, *, segment_base: int = 88) -> list[tuple[int, int]]:
    """``[start, end)`` of each segment; one segment (no merging) when ``num_windows <= segment_base``."""
    if num_windows <= segment_base:
        return [(0, num_windows)]
    count = int(2 * num_windows / segment_base)
    size = num_windows // count
    return [(i * size, (i + 1) * size if i < count - 1 else num_windows) for i in range(count)]


_RELEASED_MERGE = MergeSettings(enabled=True)


def merged_token_count(num_windows: int, settings: MergeSettings = _RELEASED_MERGE) -> int:
    """LLM audio tokens for a clip of ``num_windows`` windows (``num_windows`` when not merged)."""
    if not settings.enabled or num_windows <= settings.segment_base:
        return num_windows
    return int(2 * num_windows / settings.segment_base) * settings.tokens_per_segment


def dominant_positions(scores: torch.Tensor, k: int, tie_break: str = "release") -> torch.Tensor:
    """Positions of the ``k`` best scores in time order.

    ``tie_break="release"``: ``torch.topk`` (the release's call; ties fall as ``topk`` lets them);
    ``"stable"``: a stable descending sort (ties go to the earlier position).  Works on ``(n,)`` or
    on rows ``(S, n)``.
    """
    if tie_break == "release":
        order = torch.topk(scores.contiguous(), k, dim=-1).indices
    elif tie_break == "stable":
        order = torch.sort(scores, dim=-1, descending=True, stable=True).indices[..., :k]
    else:
        raise ValueError(f"tie_break must be 'release' or 'stable', got {tie_break!r}")
    return torch.sort(order, dim=-1).values


def _merge_segment(hidden: torch.Tensor, scores: torch.Tensor, settings: MergeSettings) -> torch.Tensor:
    dom = dominant_positions(scores, settings.dominant, settings.tie_break)
    keep = torch.ones(hidden.shape[0], dtype=torch.bool, device=hidden.device)
    keep[dom] = False
    remaining = hidden[keep]                                   # time order
    count = remaining.shape[0]
    step = max(1, count // settings.contextual)
    targets = torch.arange(0, count, step, device=hidden.device)[: settings.contextual]
    is_target = torch.zeros(count, dtype=torch.bool, device=hidden.device)
    is_target[targets] = True
    unit = F.normalize(remaining, p=2, dim=-1)
    others = remaining[~is_target]
    similarity = unit[~is_target] @ unit[targets].T            # (R - C, C)
    assigned = similarity.argmax(dim=1)
    contextual = []
    for slot, target in enumerate(targets.tolist()):
        members = others[assigned == slot]
        mean = members.mean(dim=0) if members.shape[0] else torch.zeros_like(remaining[target])
        contextual.append(remaining[target] + mean)
    return torch.cat([hidden[dom], torch.stack(contextual)], dim=0)


def merge_clip_reference(hidden: torch.Tensor, scores: torch.Tensor, settings: MergeSettings) -> torch.Tensor:
    """Merge one clip's window states ``(L, D)`` with their scores ``(L,)``.

    Returns ``(merged_token_count(L), D)``; the input itself when merging is off or ``L <= 88``.
    """
    num = hidden.shape[0]
    if not settings.enabled or num <= settings.segment_base:
        return hidden
    parts = [_merge_segment(hidden[s:e], scores[s:e], settings)
             for s, e in segment_bounds(num, segment_base=settings.segment_base)]
    return torch.cat(parts, dim=0)


def merge_batch_reference(hidden: Sequence[torch.Tensor], scores: Sequence[torch.Tensor],
                          settings: MergeSettings) -> list[torch.Tensor]:
    """:func:`merge_clip_reference` for each clip of a ragged batch."""
    return [merge_clip_reference(h, s, settings) for h, s in zip(hidden, scores)]
