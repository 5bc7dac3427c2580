"""Token-merge window selection equals the released rule on realistic, tie-heavy scores.

The scores come from the model's own attention: a random-initialised window Q-Former (our
:class:`WindowQFormer`, the release's layout) over random frames, so every score is ``1/17`` up
to float rounding and the selection is decided by tie order, as with the released checkpoint.

The release's rule is written out here from its description (``models/timeaudio.py``,
``_encode_auditory_feature`` with ``use_token_merge`` and batch 1): the cross-attention of the
last layer viewed ``(B, L, H, Q, S)``, ``[:, :, :, 0, :].mean(2)`` then ``.mean(-1)``; segments of
``L // int(2L/88)`` windows, the last taking the rest; per segment ``scores[:, s:e].topk(22,
dim=1).indices.sort(dim=1)``.  Checked on the device the tests run on (CPU here); CUDA's ``topk``
tie order was not tested (see docs/TIMEAUDIO.md).
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from model_adapters.timeaudio.config import MergeSettings  # noqa: E402
from model_adapters.timeaudio.merging import merge_batch_reference, window_scores  # noqa: E402
from model_adapters.timeaudio.merging_fast import merge_fast  # noqa: E402
from model_adapters.timeaudio.qformer import QFormerSpec, WindowQFormer  # noqa: E402

RELEASE = MergeSettings(enabled=True)
STABLE = MergeSettings(enabled=True, tie_break="stable")
LENGTHS = [176, 529, 91, 264, 133, 441]   # 60 s, 180 s, ..., mixed in one ragged batch


def _release_scores(cross_attention: torch.Tensor, batch: int, length: int) -> torch.Tensor:
    attn = cross_attention.view(batch, length, cross_attention.size(1), cross_attention.size(2),
                                cross_attention.size(3))
    return attn[:, :, :, 0, :].mean(2).mean(dim=-1)


def _release_dominant(scores_bl: torch.Tensor, k: int = 22, base: int = 88) -> list[list[int]]:
    """Per segment, the released kept window indices (into the clip), batch of one clip."""
    length = scores_bl.shape[1]
    n_seg = int(2 * length / base)
    size = length // n_seg
    out = []
    for i in range(n_seg):
        start, end = i * size, ((i + 1) * size if i < n_seg - 1 else length)
        idx = scores_bl[:, start:end].topk(k, dim=1).indices.sort(dim=1).values[0]
        out.append((idx + start).tolist())
    return out


@pytest.fixture(scope="module")
def qformer_outputs():
    torch.manual_seed(0)
    spec = QFormerSpec(hidden_size=96, num_attention_heads=12, intermediate_size=192,
                       num_hidden_layers=2, encoder_width=160)
    qf = WindowQFormer(spec).eval()
    for p in qf.parameters():                     # BERT-style random initialisation
        torch.nn.init.normal_(p, std=0.02) if p.dim() > 1 else None
    query = torch.randn(1, 1, spec.hidden_size) * 0.02
    frames = torch.randn(sum(LENGTHS), 17, spec.encoder_width)
    with torch.no_grad():
        hidden, probs = qf(query.expand(frames.shape[0], -1, -1), frames, return_attention=True)
    return hidden[:, 0, :], probs


def test_scores_are_tie_heavy_and_computed_as_released(qformer_outputs):
    _, probs = qformer_outputs
    scores = window_scores(probs)
    at = 0
    for n in LENGTHS:
        assert torch.equal(scores[at:at + n], _release_scores(probs[at:at + n], 1, n)[0])
        at += n
    # realistic: a handful of distinct values (1/17 plus rounding noise), many exact ties
    assert torch.allclose(scores, torch.full_like(scores, 1 / 17), atol=1e-6)
    assert torch.unique(scores).numel() < scores.numel() / 20


@pytest.mark.parametrize("path", ["reference", "fast"])
def test_selection_equals_the_release(qformer_outputs, path):
    hidden, probs = qformer_outputs
    scores = window_scores(probs)
    if path == "reference":
        merged = merge_batch_reference(list(hidden.split(LENGTHS)), list(scores.split(LENGTHS)), RELEASE)
    else:
        flat, counts = merge_fast(hidden, scores, LENGTHS, RELEASE)
        merged = list(flat.split(counts))
    at = 0
    for n, tokens in zip(LENGTHS, merged):
        clip_h = hidden[at:at + n]
        segments = _release_dominant(scores[at:at + n].view(1, n))
        per = RELEASE.tokens_per_segment
        assert tokens.shape[0] == per * len(segments)
        for j, kept in enumerate(segments):
            assert torch.equal(tokens[j * per: j * per + RELEASE.dominant], clip_h[kept])
        at += n


def test_reference_and_fast_equal_on_tie_heavy_scores(qformer_outputs):
    hidden, probs = qformer_outputs
    scores = window_scores(probs)
    for settings in (RELEASE, STABLE):
        ref = torch.cat(merge_batch_reference(list(hidden.split(LENGTHS)), list(scores.split(LENGTHS)), settings))
        fast, _ = merge_fast(hidden, scores, LENGTHS, settings)
        assert torch.allclose(ref, fast, atol=1e-6)


def test_stable_rule_is_a_real_deviation(qformer_outputs):
    """On these scores the earlier-wins rule keeps other windows than the release (why it is named)."""
    hidden, probs = qformer_outputs
    scores = window_scores(probs)
    release, _ = merge_fast(hidden, scores, LENGTHS, RELEASE)
    stable, _ = merge_fast(hidden, scores, LENGTHS, STABLE)
    assert not torch.equal(release, stable)
