"""SODA_c: story-oriented dense captioning score (Fujita et al., ECCV 2020).

Definition (``fujiso/SODA`` ``soda.py`` v1.1, ``soda_type="c"``, the variant usually reported)
    Per video, predictions and references are each sorted by onset.  A matrix with one row per
    reference and one column per prediction holds ``tIoU(ref_i, pred_j) * METEOR(pred_j |
    ref_i)`` (METEOR of the prediction's caption against that single reference caption; tIoU in
    the densevid form ``intersection / (union + 1e-8)``).  The "chased" dynamic programme picks
    an **order-preserving** one-to-one assignment (an LCS-style alignment) with the largest total::

        dp[i, j] = max(dp[i-1, j], dp[i, j-1], dp[i-1, j-1] + S[i, j]),  dp[-1, :] = dp[:, -1] = 0

    With ``score = dp[n_ref-1, n_pred-1]``: ``P = score / n_pred``, ``R = score / n_ref``,
    ``F = 2PR / (P + R)`` (0 when ``P + R == 0``).  With several reference sets the set with the
    best F is kept for the video (``--multi_reference``); P, R and F are averaged over videos
    (macro average).  The tIoU threshold of type "c" is 0 (no thresholding).

Deliberate differences from the reference script (which are about missing data, not scoring)
    * a video with no predictions scores P = R = F = 0 and stays in the average (the reference
      keeps only videos present in both files, so a silent system would be skipped); a video
      whose reference set is empty also scores 0 (the reference crashes on it);
    * the DP is iterative rather than recursive (same recurrence, no recursion limit);
    * the METEOR matrix of the whole dataset is computed in one request to the shared METEOR
      process: segment scores depend only on their own pair, so this equals the reference's one
      ``compute_score`` call per reference sentence.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..errors import InputError
from ..types import Event
from .captioning import (CaptionScorer, CaptionScores, EventMap, collect_predictions,
                         caption_of, collect_reference_sets, tiou_matrix)

__all__ = ["chased_dp_assignment", "soda_prf", "soda_c"]

#: ``similarity(reference_captions, predicted_captions) -> (n_ref, n_pred) array``
Similarity = Callable[[Sequence[str], Sequence[str]], np.ndarray]


def chased_dp_assignment(scores: np.ndarray) -> tuple[float, list[tuple[int, int]]]:
    """Best order-preserving one-to-one assignment on a non-negative ``(n_ref, n_pred)`` matrix.

    Returns the total score and the chosen ``(row, column)`` pairs (increasing in both).  The
    recurrence is SODA's ``chased_dp_assignment`` (see the module docstring); ties prefer
    skipping a row, then a column, then matching, as ``np.argmax`` over
    ``[up, left, diagonal]`` does in the reference.  An empty matrix scores 0.
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2:
        raise ValueError("scores must be a 2-D matrix")
    n, m = s.shape
    if n == 0 or m == 0:
        return 0.0, []
    if np.any(s < 0) or not np.all(np.isfinite(s)):
        raise ValueError("chased DP needs finite, non-negative scores")
    dp = np.zeros((n + 1, m + 1), dtype=np.float64)
    move = np.zeros((n + 1, m + 1), dtype=np.int8)  # 0 up, 1 left, 2 diagonal
    for i in range(1, n + 1):
        row, prev = dp[i], dp[i - 1]
        si = s[i - 1]
        for j in range(1, m + 1):
            up, left, diag = prev[j], row[j - 1], prev[j - 1] + si[j - 1]
            if up >= left and up >= diag:
                row[j], move[i, j] = up, 0
            elif left >= diag:
                row[j], move[i, j] = left, 1
            else:
                row[j], move[i, j] = diag, 2
    pairs: list[tuple[int, int]] = []
    i, j = n, m
    while i > 0 and j > 0:
        step = move[i, j]
        if step == 2:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif step == 0:
            i -= 1
        else:
            j -= 1
    pairs.reverse()
    return float(dp[n, m]), pairs


def soda_prf(score: float, n_ref: int, n_pred: int) -> tuple[float, float, float]:
    """``(precision, recall, f1)`` of one video from its DP score (0 when a side is empty)."""
    if n_ref == 0 or n_pred == 0:
        return 0.0, 0.0, 0.0
    p = score / n_pred
    r = score / n_ref
    f = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return float(p), float(r), float(f)


def _by_onset(events: Sequence[Event]) -> list[Event]:
    return sorted(events, key=lambda e: e.onset)


def soda_c(references: EventMap, predictions: EventMap, *, scorer: CaptionScorer | None = None,
           similarity: Similarity | None = None,
           extra_references: Sequence[EventMap] = (), meteor_order: str = "standard") -> CaptionScores:
    """SODA_c (F-measure of the chased-DP alignment on tIoU x METEOR), macro-averaged.

    Parameters
    ----------
    references, predictions
        Sample id -> events with captions as labels.  Missing predictions score 0; predictions
        for an id without references raise :class:`InputError`.
    scorer
        The run's :class:`CaptionScorer` (its METEOR process and tokenizer are reused); by
        default one is created and closed here.  Not used when ``similarity`` is given.
    similarity
        Replaces METEOR: ``similarity(ref_captions, pred_captions)`` returns the
        ``(n_ref, n_pred)`` caption-similarity matrix of one video from the raw captions
        (for tests and for other sentence metrics).
    extra_references
        Further reference sets; each video keeps the set with the best F.
    meteor_order
        ``"standard"``: METEOR(hypothesis = predicted caption, reference = reference caption);
        ``"swapped"`` (protocol ``soda-official``): the official ``soda.py`` passes its
        predictions where pycocoevalcap's ``compute_score(gts, res)`` expects the references, so
        the reference caption is scored as the hypothesis.  METEOR is not symmetric.

    Returns
    -------
    CaptionScores
        ``SODA_c`` (F), ``SODA_c_precision`` and ``SODA_c_recall``, aggregated and per sample.
    """
    ids, ref_sets = collect_reference_sets(references, extra_references)
    if not ids:
        raise InputError("no reference samples to score")
    preds = {vid: _by_onset(evs) for vid, evs in
             collect_predictions(predictions, ids, None).items()}
    sets = {vid: [_by_onset(rs) for rs in ref_sets[vid]] for vid in ids}

    if similarity is not None:
        sims = {(vid, k): np.asarray(similarity([caption_of(e) for e in rs],
                                                [caption_of(e) for e in preds[vid]]),
                                     dtype=np.float64)
                for vid in ids for k, rs in enumerate(sets[vid])}
    elif meteor_order not in ("standard", "swapped"):
        raise InputError(f"meteor_order must be 'standard' or 'swapped', got {meteor_order!r}",
                         field="meteor_order")
    elif scorer is None:
        with CaptionScorer() as own:
            sims = _meteor_matrices(ids, sets, preds, own, swapped=meteor_order == "swapped")
    else:
        sims = _meteor_matrices(ids, sets, preds, scorer, swapped=meteor_order == "swapped")

    p_out = np.zeros(len(ids))
    r_out = np.zeros(len(ids))
    f_out = np.zeros(len(ids))
    for v, vid in enumerate(ids):
        pv = preds[vid]
        best = (0.0, 0.0, 0.0)
        for k, rs in enumerate(sets[vid]):
            sim = sims[(vid, k)]
            if sim.shape != (len(rs), len(pv)):
                raise ValueError(f"similarity returned shape {sim.shape}, expected "
                                 f"{(len(rs), len(pv))}")
            score, _ = chased_dp_assignment(tiou_matrix(pv, rs).T * sim)
            prf = soda_prf(score, len(rs), len(pv))
            if prf[2] > best[2]:
                best = prf
        p_out[v], r_out[v], f_out[v] = best
    per_sample = {"SODA_c": f_out, "SODA_c_precision": p_out, "SODA_c_recall": r_out}
    aggregate = {k: float(v.mean()) for k, v in per_sample.items()}
    return CaptionScores(ids=tuple(ids), aggregate=aggregate, per_sample=per_sample,
                         details={"definition": "fujiso/SODA v1.1 soda_type='c' (METEOR)"
                                  if similarity is None else "SODA c with a custom similarity"})


def _meteor_matrices(ids, sets, preds, scorer: CaptionScorer, *, swapped: bool = False) -> dict:
    """Every video's (n_ref, n_pred) METEOR matrix from one tokenizer call and one METEOR call."""
    texts: list[str] = []
    for vid in ids:
        texts.extend(caption_of(e) for e in preds[vid])
        for rs in sets[vid]:
            texts.extend(caption_of(e) for e in rs)
    tok = dict(zip(texts, scorer.tokenize(texts)))
    hyps: list[str] = []
    refs: list[str] = []
    shapes = []
    for vid in ids:
        ph = [tok[caption_of(e)] for e in preds[vid]]
        for k, rs in enumerate(sets[vid]):
            for e in rs:
                r = tok[caption_of(e)]
                hyps.extend(ph)
                refs.extend([r] * len(ph))
            shapes.append(((vid, k), (len(rs), len(ph))))
    flat = scorer.meteor_segment_scores(refs, hyps) if swapped else scorer.meteor_segment_scores(hyps, refs)
    out, pos = {}, 0
    for key, (n, m) in shapes:
        out[key] = flat[pos:pos + n * m].reshape(n, m)
        pos += n * m
    return out
