"""Segment-level token merging: counts, the algorithm on a hand example, reference == fast."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from model_adapters.timeaudio.config import MergeSettings
from model_adapters.timeaudio.merging import (
    dominant_positions,
    merge_batch_reference,
    merge_clip_reference,
    merged_token_count,
    segment_bounds,
    window_scores,
)
from model_adapters.timeaudio.merging_fast import (
    merge_fast,
    merge_fast_padded,
    segment_table,
)

ON = MergeSettings(enabled=True)


@pytest.mark.parametrize("windows,tokens", [
    (88, 88),      # <= 88 windows: no merging
    (176, 104),    # 60 s: int(2*176/88) = 4 segments x 26
    (264, 156),    # 90 s: 6 x 26
    (529, 312),    # 180 s: int(1058/88) = 12 x 26
    (91, 52),      # int(182/88) = 2 x 26
])
def test_token_counts_with_released_settings(windows, tokens):
    assert merged_token_count(windows, ON) == tokens
    assert merged_token_count(windows, MergeSettings(enabled=False)) == windows
    h = torch.randn(windows, 8)
    assert merge_clip_reference(h, torch.rand(windows), ON).shape == (tokens, 8)


def test_segment_bounds_last_takes_remainder():
    # L=529: 12 segments of 529 // 12 = 44, the last one 529 - 11*44 = 45
    b = segment_bounds(529)
    assert len(b) == 12 and b[0] == (0, 44) and b[-1] == (484, 529)
    assert segment_bounds(88) == [(0, 88)]
    starts, sizes, owner = segment_table([529, 50, 176], ON)
    assert list(sizes[:12]) == [44] * 11 + [45] and list(owner) == [0] * 12 + [2] * 4
    assert starts[12] == 529 + 50      # clip 2 starts after clips 0 and 1 in the flat batch


def test_settings_validation():
    with pytest.raises(ValueError):
        MergeSettings(dominant=40, contextual=10, segment_base=88)   # 50 > 88 // 2


def test_hand_example_small_settings():
    # base 6 -> L=7 gives int(14/6)=2 segments: [0,3) and [3,7); dominant 1, contextual 1
    st = MergeSettings(enabled=True, dominant=1, contextual=1, segment_base=6)
    h = torch.tensor([[1., 0], [0, 1], [2, 0], [1, 1], [0, 2], [3, 0], [0, 3]])
    s = torch.tensor([0.1, 0.9, 0.2, 0.3, 0.1, 0.1, 0.8])
    out = merge_clip_reference(h, s, st)
    # segment 1 (rows 0-2): dominant = row 1; remaining rows 0, 2 (R=2, step 2): target row 0,
    # row 2 assigned to it -> contextual = [1,0] + mean([2,0]) = [3,0]
    # segment 2 (rows 3-6): dominant = row 6; remaining 3, 4, 5 (R=3, step 3): target row 3;
    # rows 4, 5 assigned -> [1,1] + mean([0,2],[3,0]) = [2.5, 2]
    expected = torch.tensor([[0., 1], [3, 0], [0, 3], [2.5, 2]])
    assert torch.allclose(out, expected)
    fast, counts = merge_fast(h, s, [7], st)
    assert counts == [4] and torch.allclose(fast, expected)


def test_contextual_assignment_uses_cosine_not_distance():
    # target rows at 0 and 2 (R=4, step 2): row 1 = [10, 0.1] is cosine-closest to [1, 0]
    st = MergeSettings(enabled=True, dominant=1, contextual=2, segment_base=7)
    h = torch.tensor([[9., 9], [1, 0], [10, 0.1], [0, 1], [0.1, 5], [1, 1.1], [2, 2], [5, 5]])
    s = torch.tensor([1.0, 0, 0, 0, 0, 0.5, 0.4, 0.3])
    # L=8 > 7: int(16/7)=2 segments [0,4) and [4,8)
    out = merge_clip_reference(h, s, st)
    # segment 1: dominant row 0; remaining rows 1,2,3 (R=3, step 1) -> targets rows 1, 2; row 3 =
    # [0,1] is closer (cosine) to row 2 = [10, .1] than to row 1? cos([0,1],[1,0]) = 0,
    # cos([0,1],[10,.1]) ~ 0.01 -> assigned to row 2: [10, 1.1]; row 1 unchanged
    assert torch.allclose(out[1], torch.tensor([1., 0])) and torch.allclose(out[2], torch.tensor([10., 1.1]))


def test_window_scores_are_mean_probabilities():
    probs = torch.softmax(torch.randn(5, 12, 1, 17), dim=-1)
    scores = window_scores(probs)
    assert scores.shape == (5,)
    # each softmax row sums to 1: every score is 1/17 up to rounding (the released quirk)
    assert torch.allclose(scores, torch.full((5,), 1 / 17), atol=1e-6)


def test_stable_tie_break_gives_ties_to_the_earlier_window():
    assert dominant_positions(torch.tensor([0.5, 0.5, 0.9, 0.5]), 2, "stable").tolist() == [0, 2]


def test_release_tie_break_is_topk():
    s = torch.full((44,), 1 / 17)
    assert dominant_positions(s, 22).tolist() == sorted(torch.topk(s, 22).indices.tolist())
    with pytest.raises(ValueError):
        MergeSettings(tie_break="last")


def _ragged(lengths, dim, gen, tied=False):
    hidden = torch.randn(sum(lengths), dim, generator=gen)
    if tied:   # the realistic case: many exactly equal scores
        scores = torch.randint(0, 3, (sum(lengths),), generator=gen).float() / 17
    else:
        scores = torch.rand(sum(lengths), generator=gen)
    return hidden, scores


@pytest.mark.parametrize("tied", [False, True])
def test_reference_and_fast_agree_over_many_lengths(tied):
    gen = torch.Generator().manual_seed(1)
    lengths = list(range(80, 360, 7)) + [529, 1760, 88, 89, 133]
    hidden, scores = _ragged(lengths, 48, gen, tied)
    ref = torch.cat(merge_batch_reference(list(hidden.split(lengths)), list(scores.split(lengths)), ON))
    fast, counts = merge_fast(hidden, scores, lengths, ON)
    assert counts == [merged_token_count(n, ON) for n in lengths]
    assert torch.allclose(ref, fast, atol=1e-5)


@pytest.mark.parametrize("seed", range(6))
def test_random_batch_mixes_and_settings(seed):
    gen = torch.Generator().manual_seed(100 + seed)
    batch = int(torch.randint(1, 9, (1,), generator=gen))
    lengths = torch.randint(20, 700, (batch,), generator=gen).tolist()
    base = [88, 60, 50][seed % 3]
    st = MergeSettings(enabled=True, dominant=[22, 10, 20][seed % 3], contextual=[4, 3, 5][seed % 3], segment_base=base)
    hidden, scores = _ragged(lengths, 32, gen)
    ref = merge_batch_reference(list(hidden.split(lengths)), list(scores.split(lengths)), st)
    fast, counts = merge_fast(hidden, scores, lengths, st)
    assert counts == [r.shape[0] for r in ref]
    assert torch.allclose(torch.cat(ref), fast, atol=1e-5)


def test_padded_form_and_disabled():
    gen = torch.Generator().manual_seed(3)
    lengths = [176, 60, 264]
    padded = torch.randn(3, 264, 16, generator=gen)
    scores = torch.rand(3, 264, generator=gen)
    out, counts = merge_fast_padded(padded, scores, lengths, ON)
    assert counts.tolist() == [104, 60, 156] and out.shape == (3, 156, 16)
    for b, n in enumerate(lengths):
        ref = merge_clip_reference(padded[b, :n], scores[b, :n], ON)
        assert torch.allclose(out[b, : ref.shape[0]], ref, atol=1e-5)
        assert (out[b, ref.shape[0]:] == 0).all()
    flat = padded[0, :176]
    same, c = merge_fast(flat, scores[0, :176], [176], MergeSettings(enabled=False))
    assert c == [176] and torch.equal(same, flat)


def test_half_precision_agrees_to_dtype_tolerance():
    gen = torch.Generator().manual_seed(5)
    lengths = [176, 300]
    hidden, scores = _ragged(lengths, 32, gen)
    hidden = hidden.to(torch.bfloat16)
    ref = torch.cat(merge_batch_reference(list(hidden.split(lengths)), list(scores.split(lengths)), ON))
    fast, _ = merge_fast(hidden, scores, lengths, ON)
    assert torch.allclose(ref.float(), fast.float(), atol=2e-2)
