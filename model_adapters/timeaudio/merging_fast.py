"""Segment-level token merging for a whole ragged batch in one pass (torch ops, CPU or GPU).

Same result as :mod:`.merging` (the per-clip, per-segment reference; see its docstring for the
algorithm and the tie rule), computed without Python loops over clips or segments:

1. the segment table of every clip is computed on the host with numpy from the clip lengths
   (a few integers per clip), then every segment of every clip becomes one row of a padded
   ``(S, n_max)`` index matrix into the flat ``(sum L, D)`` hidden states;
2. dominant windows: with ``tie_break="release"``, ``torch.topk`` on the rows of each distinct
   segment length (a clip has at most two: ``L // count`` and the last one's), each row cut to its
   own length so that ``topk`` sees exactly the values and length the release's call sees (padding
   would change its tie order); with ``"stable"``, a stable descending sort of the padded rows
   (padding = ``-inf``); the first ``k`` positions re-sorted in time order, gathered;
3. the remaining windows keep their time-order rank through a cumulative sum of the "remaining"
   mask; targets are the ranks ``0, s, 2s, 3s`` (``s = max(1, R // C)`` per row), located with one
   scatter; cosine similarities of every window to its row's targets come from one batched matmul
   and ``argmax``; a masked one-hot matrix turns assignment into a batched matmul that sums the
   assigned states, divided by ``max(count, 1)``;
4. clips with ``L <= segment_base`` (or merging disabled) pass through; when every clip merges the
   segment outputs already are the result (they are in clip order), otherwise two ``index_copy_``
   place merged and passed-through rows.

Memory is ``O(S * n_max * D)`` with ``n_max < 2 * segment_len`` (about 44-87 windows).  No custom
kernel: at these sizes the work is a dozen batched ops, and Triton would not change the picture.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .config import MergeSettings
from .merging import dominant_positions

__all__ = ["merge_fast", "merge_fast_padded", "segment_table"]


def segment_table(lengths: Sequence[int], settings: MergeSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For clips that merge: segment starts (into the flat batch), segment lengths, owning clip.

    Vectorised over clips with numpy (the same rule as :func:`.merging.segment_bounds`).
    """
    lens = np.asarray(lengths, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lens)[:-1]]) if lens.size else np.zeros(0, np.int64)
    merging = lens > settings.segment_base if settings.enabled else np.zeros(lens.shape, bool)
    clips = np.nonzero(merging)[0]
    counts = (2 * lens[clips]) // settings.segment_base
    sizes = lens[clips] // np.maximum(counts, 1)
    owner = np.repeat(clips, counts)
    index_in_clip = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
    seg_size = np.repeat(sizes, counts)
    starts = np.repeat(offsets[clips], counts) + index_in_clip * seg_size
    is_last = index_in_clip == np.repeat(counts - 1, counts)
    ends = np.where(is_last, np.repeat(offsets[clips] + lens[clips], counts), starts + seg_size)
    return starts, ends - starts, owner


def _dominant_rows(sc: torch.Tensor, sizes: torch.Tensor, k: int, tie_break: str) -> torch.Tensor:
    """Time-ordered top-``k`` positions of each row of the padded score matrix ``sc (S, n_max)``."""

    if tie_break == "stable":
        return dominant_positions(sc, k, "stable")
    out = torch.empty(sc.shape[0], k, dtype=torch.long, device=sc.device)
    for n in torch.unique(sizes).tolist():          # one or two lengths per clip length: a few calls
        rows = (sizes == n).nonzero(as_tuple=True)[0]
        out[rows] = dominant_positions(sc[rows, :n], k, "release")
    return out


def _merge_segments(hidden: torch.Tensor, scores: torch.Tensor, starts: torch.Tensor,
                    sizes: torch.Tensor, n_max: int, settings: MergeSettings) -> torch.Tensor:
    """``(S, dominant + contextual, D)`` merged tokens for the segments ``[start, start + size)``."""
    k, c = settings.dominant, settings.contextual
    s_count, dim = starts.shape[0], hidden.shape[-1]
    pos = torch.arange(n_max, device=hidden.device)
    valid = pos[None, :] < sizes[:, None]                                           # (S, n)
    idx = torch.where(valid, starts[:, None] + pos[None, :], torch.zeros_like(starts)[:, None]).reshape(-1)
    h = hidden.index_select(0, idx).view(s_count, n_max, dim).masked_fill_(~valid[..., None], 0.0)  # (S, n, D)
    sc = scores.index_select(0, idx).view(s_count, n_max).masked_fill_(~valid, float("-inf"))

    dom_pos = _dominant_rows(sc, sizes, k, settings.tie_break)                      # (S, k)
    dominant = h.gather(1, dom_pos[..., None].expand(-1, -1, dim))

    is_dom = torch.zeros_like(valid).scatter_(1, dom_pos, True)
    remaining = valid & ~is_dom
    rank = torch.cumsum(remaining.to(torch.long), dim=1) - 1                        # time-order rank
    step = torch.clamp((sizes - k) // c, min=1)[:, None]
    slot = torch.div(rank, step, rounding_mode="floor")
    is_target = remaining & (rank % step == 0) & (slot < c)
    # position of target j in each row: the one position with is_target and slot == j
    hit = is_target[:, :, None] & (slot[:, :, None] == torch.arange(c, device=hidden.device))
    tgt_pos = hit.to(torch.uint8).argmax(dim=1)                                     # (S, c)

    unit = F.normalize(h, p=2, dim=-1)
    target_states = h.gather(1, tgt_pos[..., None].expand(-1, -1, dim))            # (S, c, D)
    target_units = unit.gather(1, tgt_pos[..., None].expand(-1, -1, dim))
    similarity = torch.bmm(unit, target_units.transpose(1, 2))                     # (S, n, c)
    members = (remaining & ~is_target)
    one_hot = F.one_hot(similarity.argmax(dim=-1), c).to(h.dtype) * members[..., None].to(h.dtype)
    counts = one_hot.sum(dim=1).clamp(min=1)                                       # (S, c)
    aggregated = torch.bmm(one_hot.transpose(1, 2), h) / counts[..., None]
    return torch.cat([dominant, target_states + aggregated], dim=1)


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(start, start + count)`` for each pair, without a Python loop."""
    total = int(counts.sum())
    first = np.cumsum(counts) - counts
    return np.repeat(starts - first, counts) + np.arange(total)


def merge_fast(hidden: torch.Tensor, scores: torch.Tensor, lengths: Sequence[int],
               settings: MergeSettings) -> tuple[torch.Tensor, list[int]]:
    """Merge a ragged batch given flat ``hidden (sum L, D)`` and ``scores (sum L,)``.

    Returns the flat merged tokens (clips in order) and the token count of each clip.
    """
    lengths = [int(n) for n in lengths]
    if hidden.shape[0] != sum(lengths) or scores.shape[0] != hidden.shape[0]:
        raise ValueError("hidden and scores must have sum(lengths) rows")
    starts_np, sizes_np, owner_np = segment_table(lengths, settings)
    if starts_np.size == 0:
        return hidden, lengths
    device = hidden.device
    starts = torch.as_tensor(starts_np, device=device)
    sizes = torch.as_tensor(sizes_np, device=device)
    merged = _merge_segments(hidden, scores, starts, sizes, int(sizes_np.max()), settings)
    per_seg = settings.tokens_per_segment
    merged_flat = merged.reshape(-1, hidden.shape[-1])          # segments are in clip order
    seg_counts = np.bincount(owner_np, minlength=len(lengths))
    out_lengths = [int(c * per_seg) if c else n for c, n in zip(seg_counts, lengths)]
    if seg_counts.all():                                        # every clip merged: nothing to assemble
        return merged_flat, out_lengths
    # some clips pass through: copy merged rows and passed-through rows to their output places
    lens = np.asarray(lengths, dtype=np.int64)
    out_len = np.asarray(out_lengths, dtype=np.int64)
    out_start = np.concatenate([[0], np.cumsum(out_len)[:-1]])
    in_start = np.concatenate([[0], np.cumsum(lens)[:-1]])
    merged_clips = seg_counts > 0
    dst_merged = _ranges(out_start[merged_clips], out_len[merged_clips])
    src_pass = _ranges(in_start[~merged_clips], lens[~merged_clips])
    dst_pass = _ranges(out_start[~merged_clips], out_len[~merged_clips])
    out = hidden.new_empty(int(out_len.sum()), hidden.shape[-1])
    out.index_copy_(0, torch.as_tensor(dst_merged, device=device), merged_flat)
    out.index_copy_(0, torch.as_tensor(dst_pass, device=device),
                    hidden.index_select(0, torch.as_tensor(src_pass, device=device)))
    return out, out_lengths


def merge_fast_padded(hidden: torch.Tensor, scores: torch.Tensor, lengths: Sequence[int],
                      settings: MergeSettings) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded-batch form: ``hidden (B, L_max, D)``, ``scores (B, L_max)`` with valid ``lengths``.

    Returns ``(B, T_max, D)`` merged tokens (zero padded on the right) and the token counts.
    """
    lengths = [int(n) for n in lengths]
    mask = torch.arange(hidden.shape[1], device=hidden.device)[None, :] < torch.as_tensor(lengths, device=hidden.device)[:, None]
    flat, out_lengths = merge_fast(hidden[mask], scores[mask], lengths, settings)
    out = hidden.new_zeros(len(lengths), max(out_lengths, default=0), hidden.shape[-1])
    out_mask = torch.arange(out.shape[1], device=hidden.device)[None, :] < torch.as_tensor(out_lengths, device=hidden.device)[:, None]
    out[out_mask] = flat
    return out, torch.as_tensor(out_lengths, device=hidden.device)
