"""Timeline speech summaries (TSS): ROUGE-1, ROUGE-L and segment mIoU.

TimeAudio (arXiv 2511.11039) reports ROUGE-1, ROUGE-L and mIoU for timeline speech
summarisation, but its definitions were not found (no metric code in the repository, the paper
body could not be read).  These are **our** definitions, chosen to be simple, reproducible and
pure Python (no Java, no extra package):

Text (per sample, then the mean over samples)
    The hypothesis is the concatenation, in onset order, of the predicted segments' texts (their
    ``label``); the reference is the concatenation, in onset order, of the reference segments'
    summaries.  Tokens are ``[^\\W_]+`` runs of the lower-cased text (letters and digits of any
    script; punctuation and underscores separate tokens).

    * ``ROUGE_1`` (Lin, 2004): unigram overlap with clipped counts,
      ``P = overlap / |hyp|``, ``R = overlap / |ref|``, ``F1 = 2PR / (P + R)``.
    * ``ROUGE_L``: ``LCS`` of the two token sequences, ``P = LCS / |hyp|``, ``R = LCS / |ref|``,
      ``F = (1 + beta^2) P R / (R + beta^2 P)`` with ``beta = 1.2`` -- exactly pycocoevalcap's
      ``Rouge`` (the coco-caption ROUGE-L used by the captioning metrics), so the two ROUGE_L
      numbers of timebench mean the same thing; pass ``beta=1.0`` for the plain F1 used by the
      ``rouge-score`` package.

    A sample whose hypothesis or reference has no token scores 0.

Time (per sample, then the mean over samples)
    ``segment_mIoU``: predicted and reference segments are matched one-to-one so that the sum of
    IoUs is largest (Hungarian algorithm: ``timebench.metrics._lsap``, the same algorithm, tie rules
    and result as ``scipy.optimize.linear_sum_assignment``, in numpy), and the
    score is ``sum of matched IoUs / max(n_pred, n_ref)``: a missed reference segment and an
    extra predicted segment both count as IoU 0.  ``IoU = intersection / union`` of the two
    intervals (0 when the union is empty).  No prediction (or no reference segment) gives 0.

A missing prediction is an empty one (all three metrics 0), never skipped.

Tokenizer (``tokenizer=``): ``"timebench"`` (default, above: "3.5" is two tokens ``3`` and ``5``)
or ``"ptb"`` (protocol ``coco-ptb``): pycocoevalcap's PTB tokenizer (Stanford CoreNLP 3.4.1 via
Java, as the captioning metrics use; lower-cased, punctuation removed, "3.5" one token,
contractions split) and then whitespace split.  ``tokenize`` supplies it (a callable mapping a
list of texts to a list of tokenised strings, e.g. ``CaptionScorer.tokenize``).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

import numpy as np

from ..errors import InputError
from ..types import Event
from ._lsap import linear_sum_assignment
from .captioning import CaptionScores, EventMap, collect_predictions

__all__ = [
    "SUMMARY_METRICS",
    "summary_tokens",
    "lcs_length",
    "rouge_1",
    "rouge_l",
    "segment_miou",
    "timeline_text",
    "summary_scores",
]

SUMMARY_METRICS = ("ROUGE_1", "ROUGE_L", "segment_mIoU")
ROUGE_L_BETA = 1.2  # pycocoevalcap/rouge/rouge.py
_TOKEN = re.compile(r"[^\W_]+")


def summary_tokens(text: str) -> list[str]:
    """Lower-cased letter/digit runs of ``text`` (see the module docstring)."""
    return _TOKEN.findall(text.lower())


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of two token sequences.

    Bit-parallel algorithm (Allison & Dix 1986; Hyyrö 2004): one big-integer update per token
    of ``b``, so long summaries (thousands of tokens) cost milliseconds.  Equal to the textbook
    dynamic programme (checked against it in the tests).
    """
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, tok in enumerate(a):
        masks[tok] = masks.get(tok, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for tok in b:
        u = v & masks.get(tok, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - bin(v).count("1")


def rouge_1(hypothesis: Sequence[str], reference: Sequence[str]) -> tuple[float, float, float]:
    """``(precision, recall, f1)`` of unigram overlap with clipped counts (0 if a side is empty)."""
    if not hypothesis or not reference:
        return 0.0, 0.0, 0.0
    overlap = sum((Counter(hypothesis) & Counter(reference)).values())
    p = overlap / len(hypothesis)
    r = overlap / len(reference)
    f = 2 * p * r / (p + r) if overlap else 0.0
    return p, r, f


def rouge_l(hypothesis: Sequence[str], reference: Sequence[str], *,
            beta: float = ROUGE_L_BETA) -> float:
    """ROUGE-L F-measure, pycocoevalcap's formula with one reference (0 if a side is empty)."""
    if not hypothesis or not reference:
        return 0.0
    lcs = lcs_length(reference, hypothesis)
    prec = lcs / float(len(hypothesis))
    rec = lcs / float(len(reference))
    if prec == 0 or rec == 0:
        return 0.0
    return ((1 + beta ** 2) * prec * rec) / float(rec + beta ** 2 * prec)


def _iou_matrix(pred: Sequence[Event], ref: Sequence[Event]) -> np.ndarray:
    p = np.array([(e.onset, e.offset) for e in pred], dtype=np.float64).reshape(-1, 2)
    r = np.array([(e.onset, e.offset) for e in ref], dtype=np.float64).reshape(-1, 2)
    inter = np.maximum(0.0, np.minimum(p[:, None, 1], r[None, :, 1])
                       - np.maximum(p[:, None, 0], r[None, :, 0]))
    union = (p[:, None, 1] - p[:, None, 0]) + (r[None, :, 1] - r[None, :, 0]) - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def segment_miou(predictions: Sequence[Event], references: Sequence[Event]) -> float:
    """Sum of IoUs of the best one-to-one matching / ``max(n_pred, n_ref)`` (0 if a side is empty)."""
    if not predictions or not references:
        return 0.0
    iou = _iou_matrix(predictions, references)
    rows, cols = linear_sum_assignment(iou, maximize=True)
    return float(iou[rows, cols].sum() / max(len(predictions), len(references)))


def timeline_text(events: Sequence[Event]) -> str:
    """Texts of the events in onset order (stable), joined by spaces; unlabeled events add nothing."""
    ordered = sorted(events, key=lambda e: e.onset)
    return " ".join(e.label for e in ordered if e.label)


def summary_scores(references: EventMap, predictions: EventMap, *,
                   beta: float = ROUGE_L_BETA, tokenize=None) -> CaptionScores:
    """ROUGE_1 (F1), ROUGE_L (F, ``beta``) and segment_mIoU per sample and averaged.

    Parameters
    ----------
    references
        Sample id -> reference segments, each ``label`` a summary text.
    predictions
        Sample id -> predicted segments; a missing id is an empty prediction (scores 0);
        an id without references raises :class:`InputError`.
    beta
        ROUGE-L recall weight (1.2 as pycocoevalcap; 1.0 for plain F1).
    tokenize
        ``None``: :func:`summary_tokens`; else a batch tokenizer ``list[str] -> list[str]``
        (the PTB tokenizer for protocol ``coco-ptb``) whose outputs are split on whitespace.
    """
    if not beta > 0:
        raise InputError(f"beta must be positive, got {beta!r}", field="beta")
    ids = tuple(references)
    if not ids:
        raise InputError("no reference samples to score")
    preds = collect_predictions(predictions, ids, None)
    r1 = np.zeros(len(ids))
    rl = np.zeros(len(ids))
    miou = np.zeros(len(ids))
    texts = [(timeline_text(preds[vid]), timeline_text(list(references[vid]))) for vid in ids]
    if tokenize is not None:
        flat = [t for pair in texts for t in pair]
        done = dict(zip(flat, tokenize(flat))) if flat else {}
        split = {t: done[t].split() for t in flat}
    for k, vid in enumerate(ids):
        ref = list(references[vid])
        if tokenize is None:
            hyp_tokens, ref_tokens = summary_tokens(texts[k][0]), summary_tokens(texts[k][1])
        else:
            hyp_tokens, ref_tokens = split[texts[k][0]], split[texts[k][1]]
        r1[k] = rouge_1(hyp_tokens, ref_tokens)[2]
        rl[k] = rouge_l(hyp_tokens, ref_tokens, beta=beta)
        miou[k] = segment_miou(preds[vid], ref)
    per_sample = {"ROUGE_1": r1, "ROUGE_L": rl, "segment_mIoU": miou}
    return CaptionScores(ids=ids, aggregate={k: float(v.mean()) for k, v in per_sample.items()},
                         per_sample=per_sample,
                         details={"definition": "timebench TSS metrics (see "
                                                "timebench.metrics.summary)",
                                  "rouge_l_beta": beta,
                                  "tokenizer": "timebench" if tokenize is None else "ptb"})
