"""Dense (audio) captioning: tIoU-matched caption metrics, proposal precision/recall, DAC event F1.

Definition (ActivityNet Captions, Krishna et al., ICCV 2017; evaluation code
``ranjaykrishna/densevid_eval``, the per-video ``evaluate2018.py`` variant also shipped as
``densevid_eval3/evaluate2018.py`` in PDVC and later dense-captioning repositories)
    For every tIoU threshold in ``tious`` (default 0.3, 0.5, 0.7, 0.9):

    1. every predicted event is paired with **every** reference event whose temporal IoU with it
       is ``>= tIoU`` (one pair per matching reference, each pair scored as its own item with a
       single reference); a prediction that overlaps no reference well enough is paired with the
       garbage string ``"abc123!@#"`` so that it scores (almost exactly) 0;
    2. captions are lower-cased and tokenised with the PTB tokenizer of pycocoevalcap
       (Stanford CoreNLP 3.4.1, punctuation removed), after non-ASCII characters are replaced by
       spaces (``remove_nonascii`` of the reference code);
    3. BLEU-4, METEOR, ROUGE-L and CIDEr (pycocoevalcap 1.2 scorers) are computed **per video**
       over that video's pairs, i.e. ``scorer.compute_score(gts[vid], res[vid])[0]``;
    4. the per-video values are averaged over all reference videos (a video without predictions
       scores 0 and stays in the denominator), then over the tIoU thresholds.

    Why this variant: the original 2017 ``evaluate.py`` pools all videos into one corpus-level
    call (so one long video dominates and the score cannot be split per sample), while the 2018
    version averages per video.  The per-video script is the one later dense-captioning code
    ships and reports with (e.g. PDVC's ``densevid_eval3/evaluate2018.py``), and it gives one
    number per sample, which the bootstrap intervals of the results need.  The per-sample
    value returned here is the mean over tIoUs of the per-video scores, so the mean of the
    per-sample values equals the aggregate exactly.

    Consequences of reproducing the reference exactly (documented, not "fixed"):

    * temporal IoU is ``intersection / (union + 1e-8)`` with
      ``union = min(max(ends) - min(starts), len_1 + len_2)``, so an IoU of exactly 0.5 computes
      to 0.49999999... and does **not** reach the 0.5 threshold;
    * METEOR per video is the METEOR jar's aggregate over the video's pairs (computed from the
      pooled statistics), not the mean of the pair scores;
    * CIDEr(-D) takes its document frequencies from the references of the one video being
      scored, so a video with a single pair always has CIDEr 0.  This is a property of the
      reference evaluation and makes CIDEr values small on audio data with few events per clip;
    * BLEU-4 is the corpus BLEU of the video's pairs ("closest" reference length).

Proposal precision / recall (the same script, ``evaluate_detection``)
    Per video and tIoU: recall = fraction of reference events covered by a prediction with
    ``IoU > tIoU`` (strict), precision = fraction of predictions that cover some reference with
    ``IoU > tIoU``; with several reference sets the best precision and the best recall are taken
    independently; averaged over videos then over tIoUs.  A video without predictions has
    precision and recall 0 (the reference code divides by zero when a reference set is empty;
    here such a set gives recall 0).

Only the first ``max_proposals`` (1000) predictions of a video are scored, as in the reference.

Performance
    The METEOR JVM, the PTB tokenizer and their caches live in :class:`CaptionScorer`
    (:mod:`timebench.metrics.caption_scorer`, the pycocoevalcap / Java bridge; its public names
    are re-exported here).

SPICE
    Optional: pycocoevalcap's SPICE downloads Stanford CoreNLP 3.6.0 on first use, which is not
    possible offline.  SPICE is computed only when ``spice/lib/stanford-corenlp-3.6.0.jar`` and
    ``stanford-corenlp-3.6.0-models.jar`` are already present; otherwise it is skipped with a
    warning and a note in :attr:`CaptionScores.details` (no download is ever attempted).

DAC event F1 (:func:`dac_event_f1`)
    TimePro-RL and TimeAudio report an "Eb-F1" for dense audio captioning whose definition was not
    found.  Ours: sed_eval event-based F1 (``timebench.metrics.detection.event_based_metrics``)
    with every label replaced by one class, so a predicted segment matches a reference segment by
    the collar rules alone (onset within ``t_collar``, offset within
    ``max(t_collar, percentage_of_length * reference length)``) regardless of caption text.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import InputError
from ..types import Event
# The pycocoevalcap / Java bridge, re-exported: its public names (and ``_pycoco_file``, which tests
# use) stay importable from here.  ``spice_available`` is looked up in this module's namespace by
# ``_dense_caption_scores``, so patching ``captioning.spice_available`` still takes effect.
from .caption_scorer import (CaptionScorer, _pycoco_file, ptb_tokenize,  # noqa: F401
                             remove_nonascii, require_captioning_dependencies, spice_available)

__all__ = [
    "DEFAULT_TIOUS",
    "CAPTION_METRICS",
    "GARBAGE_CAPTION",
    "MAX_PROPOSALS",
    "DAC_LABEL",
    "CaptionScores",
    "CaptionScorer",
    "remove_nonascii",
    "caption_of",
    "tiou_matrix",
    "ptb_tokenize",
    "spice_available",
    "require_captioning_dependencies",
    "collect_reference_sets",
    "collect_predictions",
    "dense_caption_scores",
    "dac_event_f1",
]

DEFAULT_TIOUS: tuple[float, ...] = (0.3, 0.5, 0.7, 0.9)
#: Caption metrics computed by default, by their result names (CONTRACT.md).
CAPTION_METRICS: tuple[str, ...] = ("METEOR", "CIDEr", "BLEU4", "ROUGE_L")
_KNOWN_METRICS = frozenset(CAPTION_METRICS) | {"SPICE"}
#: What densevid_eval pairs an unmatched prediction with.
GARBAGE_CAPTION = "abc123!@#"
MAX_PROPOSALS = 1000
IOU_EPS = 1e-8
#: The single class all captions collapse to for :func:`dac_event_f1`.
DAC_LABEL = "event"

EventMap = Mapping[str, Sequence[Event]]


@dataclass(frozen=True)
class CaptionScores:
    """Scores of a text-bearing metric family (dense captioning, SODA, speech summaries).

    ``aggregate`` maps a metric name to its dataset value; ``per_sample`` maps the same names to
    float arrays aligned with ``ids`` (one value per sample, the unit a bootstrap resamples), and
    ``aggregate[name] == per_sample[name].mean()``.  ``details`` holds breakdowns (per tIoU) and
    ``notes`` (e.g. a skipped SPICE).
    """

    ids: tuple[str, ...]
    aggregate: dict[str, float]
    per_sample: dict[str, np.ndarray]
    details: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# small pure helpers
# ---------------------------------------------------------------------------------------------
def caption_of(event: Event) -> str:
    """The caption of an event (its label; ``""`` when it has none)."""
    return "" if event.label is None else str(event.label)


def tiou_matrix(predictions: Sequence[Event], references: Sequence[Event]) -> np.ndarray:
    """Temporal IoU of every prediction (rows) with every reference (columns), densevid_eval form.

    ``intersection / (union + 1e-8)`` with ``intersection = max(0, min(e_p, e_r) - max(s_p, s_r))``
    and ``union = min(max(e_p, e_r) - min(s_p, s_r), (e_r - s_r) + e_p - s_p)`` evaluated in the
    reference code's operation order (``ANETcaptions.iou``), so threshold decisions agree bit for
    bit.  Zero-length or disjoint intervals give 0.
    """
    if not predictions or not references:
        return np.zeros((len(predictions), len(references)), dtype=np.float64)
    p = np.array([(e.onset, e.offset) for e in predictions], dtype=np.float64)
    r = np.array([(e.onset, e.offset) for e in references], dtype=np.float64)
    ps, pe = p[:, 0:1], p[:, 1:2]
    rs, re_ = r[None, :, 0], r[None, :, 1]
    inter = np.maximum(0.0, np.minimum(re_, pe) - np.maximum(rs, ps))
    union = np.minimum(np.maximum(re_, pe) - np.minimum(rs, ps), re_ - rs + pe - ps)
    return inter / (union + IOU_EPS)




# ---------------------------------------------------------------------------------------------
# dense captioning
# ---------------------------------------------------------------------------------------------
def collect_reference_sets(references: EventMap, extra_references: Sequence[EventMap] = ()
                           ) -> tuple[tuple[str, ...], dict[str, list[list[Event]]]]:
    """Sample ids (those of ``references`` first, then new ones) and each id's reference sets."""
    ids: list[str] = list(references)
    sets: dict[str, list[list[Event]]] = {i: [list(references[i])] for i in ids}
    for extra in extra_references:
        for vid, events in extra.items():
            if vid not in sets:
                ids.append(vid)
                sets[vid] = []
            sets[vid].append(list(events))
    return tuple(ids), sets


def collect_predictions(predictions: EventMap, ids: Sequence[str], max_proposals: int | None
                        ) -> dict[str, list[Event]]:
    """Each id's predicted events (first ``max_proposals``; none when missing).

    Raises :class:`InputError` for predictions whose id has no references.
    """
    known = set(ids)
    unknown = [k for k in predictions if k not in known]
    if unknown:
        shown = ", ".join(repr(k) for k in unknown[:5])
        raise InputError(f"predictions for {len(unknown)} sample id(s) without references: "
                         f"{shown}", field="id")
    out = {}
    for vid in ids:
        events = list(predictions.get(vid, ()))
        out[vid] = events if max_proposals is None else events[:max_proposals]
    return out


def _check_tious(tious: Sequence[float]) -> tuple[float, ...]:
    values = tuple(float(t) for t in tious)
    if not values or any(not (0.0 <= t <= 1.0) or math.isnan(t) for t in values):
        raise InputError(f"tIoU thresholds must be a non-empty list of values in [0, 1], "
                         f"got {list(tious)!r}", field="tious")
    return values


def _check_metrics(metrics: Sequence[str]) -> tuple[str, ...]:
    names = tuple(metrics)
    bad = [m for m in names if m not in _KNOWN_METRICS]
    if bad:
        raise InputError(f"unknown caption metric(s) {bad}; known: {sorted(_KNOWN_METRICS)}",
                         field="metrics")
    return names


def _text_scores(metric: str, scorer: CaptionScorer, gts: dict, res: dict) -> float:
    if metric == "METEOR":
        return scorer.meteor(gts, res)[0]
    if metric == "BLEU4":
        from pycocoevalcap.bleu.bleu import Bleu

        return float(Bleu(4).compute_score(gts, res, verbose=0)[0][3])
    if metric == "ROUGE_L":
        from pycocoevalcap.rouge.rouge import Rouge

        return float(Rouge().compute_score(gts, res)[0])
    if metric == "CIDEr":
        from pycocoevalcap.cider.cider import Cider

        return float(Cider().compute_score(gts, res)[0])
    raise AssertionError(metric)  # pragma: no cover - names are checked up front


def _spice_pair_scores(pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], float]:
    """SPICE of every distinct (hypothesis, reference) pair in one SPICE run."""
    from pycocoevalcap.spice.spice import Spice

    unique = list(dict.fromkeys(pairs))
    if not unique:
        return {}
    gts = {k: [ref] for k, (_, ref) in enumerate(unique)}
    res = {k: [hyp] for k, (hyp, _) in enumerate(unique)}
    _, scores = Spice().compute_score(gts, res)
    values = [float(s["All"]["f"]) if isinstance(s, Mapping) else float(s) for s in scores]
    return dict(zip(unique, values))


def random_garbage(seed: int, vid: str, tiou: float, index: int) -> str:
    """densevid2019's caption for an unmatched prediction: lower-case letters, 10-20 of them.

    The 2019 revision of densevid_eval (commit 66f9c5d, "Preventing abusers ... adding the string
    abc123!@#") draws ``random_string(random.randint(10, 20))`` from an unseeded ``random``; here
    the draw is seeded by ``(seed, sample id, tIoU, prediction index)`` so a score can be repeated.
    """
    import random
    import string

    rng = random.Random(f"{seed}:{vid}:{tiou!r}:{index}")
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(10, 20)))


def dense_caption_scores(references: EventMap, predictions: EventMap, *,
                         scorer: CaptionScorer | None = None,
                         tious: Sequence[float] = DEFAULT_TIOUS,
                         metrics: Sequence[str] = CAPTION_METRICS,
                         max_proposals: int | None = MAX_PROPOSALS,
                         extra_references: Sequence[EventMap] = (),
                         unmatched: str = "fixed", garbage_seed: int = 0) -> CaptionScores:
    """tIoU-matched caption metrics and proposal precision/recall (densevid_eval 2018).

    Parameters
    ----------
    references
        Sample id -> reference events; each event's ``label`` is its caption.
    predictions
        Sample id -> predicted events (captions as labels).  A missing id means no predictions
        (the sample scores 0); an id without references raises :class:`InputError`.
    scorer
        A :class:`CaptionScorer` to reuse (one METEOR JVM per run); by default one is created
        and closed here.
    tious
        tIoU thresholds averaged over (caption pairing uses ``IoU >= tIoU``, proposal
        precision/recall ``IoU > tIoU``, as in the reference).
    metrics
        Any of ``METEOR``, ``CIDEr``, ``BLEU4``, ``ROUGE_L`` and ``SPICE`` (SPICE only when its
        CoreNLP jars are present, otherwise skipped with a note).  An empty list computes only
        proposal precision/recall, which needs neither Java nor pycocoevalcap.
    max_proposals
        Predictions kept per sample, in the given order (reference default 1000).
    extra_references
        Further reference sets (other annotators), as in ActivityNet's ``val_1``/``val_2``:
        pairs are formed against every set; precision/recall take the best set.
    unmatched
        Caption paired with a prediction that matches no reference: ``"fixed"`` (densevid_eval
        2018: ``"abc123!@#"``) or ``"random"`` (the 2019 revision: :func:`random_garbage`,
        seeded by ``garbage_seed``).

    Returns
    -------
    CaptionScores
        ``aggregate`` and ``per_sample`` hold the requested caption metrics plus
        ``proposal_precision`` and ``proposal_recall``; ``details["per_tiou"]`` breaks them down
        by threshold.
    """
    tious = _check_tious(tious)
    metrics = _check_metrics(metrics)
    ids, ref_sets = collect_reference_sets(references, extra_references)
    if not ids:
        raise InputError("no reference samples to score")
    preds = collect_predictions(predictions, ids, max_proposals)
    if unmatched not in ("fixed", "random"):
        raise InputError(f"unmatched must be 'fixed' or 'random', got {unmatched!r}", field="unmatched")
    garbage_for = None if unmatched == "fixed" else (
        lambda vid, tiou, i: random_garbage(garbage_seed, vid, tiou, i))
    if scorer is None and metrics:
        with CaptionScorer() as own:
            return _dense_caption_scores(ids, ref_sets, preds, own, tious, metrics, garbage_for)
    return _dense_caption_scores(ids, ref_sets, preds, scorer, tious, metrics, garbage_for)


def _dense_caption_scores(ids, ref_sets, preds, scorer: CaptionScorer | None, tious, metrics,
                          garbage_for=None) -> CaptionScores:
    notes: list[str] = []
    text_metrics = [m for m in metrics if m != "SPICE"]
    use_spice = "SPICE" in metrics
    if use_spice and not spice_available():
        message = ("SPICE skipped: pycocoevalcap's SPICE needs stanford-corenlp-3.6.0.jar and "
                   "stanford-corenlp-3.6.0-models.jar in pycocoevalcap/spice/lib/ (it would "
                   "otherwise try to download them)")
        warnings.warn(message, RuntimeWarning, stacklevel=3)
        notes.append(message)
        use_spice = False

    # one tokenizer call for every caption of the run (none when only proposals are asked)
    all_texts = [GARBAGE_CAPTION]
    for vid in ids:
        all_texts.extend(caption_of(e) for e in preds[vid])
        for rs in ref_sets[vid]:
            all_texts.extend(caption_of(e) for e in rs)
    need_text = bool(text_metrics) or use_spice
    tok = dict(zip(all_texts, scorer.tokenize(all_texts))) if need_text else {}
    garbage = tok.get(GARBAGE_CAPTION, GARBAGE_CAPTION)

    n_vid, n_tiou = len(ids), len(tious)
    names = list(text_metrics) + (["SPICE"] if use_spice else [])
    table = {m: np.zeros((n_tiou, n_vid)) for m in names}
    table["proposal_precision"] = np.zeros((n_tiou, n_vid))
    table["proposal_recall"] = np.zeros((n_tiou, n_vid))

    cache: dict[tuple[str, tuple], float] = {}
    pairs_by_cell: dict[tuple[int, int], list[tuple[str, str]]] = {}
    for v, vid in enumerate(ids):
        pv = preds[vid]
        sets = ref_sets[vid]
        flat = [e for rs in sets for e in rs]
        iou_all = tiou_matrix(pv, flat)
        hyp = [tok.get(caption_of(e), "") for e in pv]
        ref_tok = [tok.get(caption_of(e), "") for e in flat]
        bounds = np.cumsum([0] + [len(rs) for rs in sets])
        for t, tiou in enumerate(tious):
            # proposal precision / recall: strict IoU > tIoU, best set
            if pv:
                hits = iou_all > tiou
                best_p = best_r = 0.0
                for s in range(len(sets)):
                    block = hits[:, bounds[s]:bounds[s + 1]]
                    best_p = max(best_p, float(block.any(axis=1).sum()) / len(pv))
                    if block.shape[1]:
                        best_r = max(best_r, float(block.any(axis=0).sum()) / block.shape[1])
                table["proposal_precision"][t, v] = best_p
                table["proposal_recall"][t, v] = best_r
            # caption pairs: IoU >= tIoU, one pair per matching reference, garbage otherwise
            pairs: list[tuple[str, str]] = []
            for i in range(len(pv)):
                matched = np.flatnonzero(iou_all[i] >= tiou)
                if matched.size:
                    pairs.extend((hyp[i], ref_tok[j]) for j in matched)
                else:   # 2019: a fresh lower-case string (tokenises to itself)
                    pairs.append((hyp[i], garbage if garbage_for is None else garbage_for(vid, tiou, i)))
            if not pairs or not need_text:
                continue  # no predictions: every caption metric is 0 for this video
            pairs_by_cell[(t, v)] = pairs
            key = tuple(pairs)
            gts = {k: [r] for k, (_, r) in enumerate(pairs)}
            res = {k: [h] for k, (h, _) in enumerate(pairs)}
            for m in text_metrics:
                ck = (m, key)
                if ck not in cache:
                    cache[ck] = _text_scores(m, scorer, gts, res)
                table[m][t, v] = cache[ck]

    if use_spice:
        spice = _spice_pair_scores([p for ps in pairs_by_cell.values() for p in ps])
        for (t, v), ps in pairs_by_cell.items():
            table["SPICE"][t, v] = float(np.mean([spice[p] for p in ps]))

    per_sample = {m: table[m].mean(axis=0) for m in table}
    aggregate = {m: float(per_sample[m].mean()) for m in table}
    per_tiou = {f"{tiou:g}": {m: float(table[m][t].mean()) for m in table}
                for t, tiou in enumerate(tious)}
    details = {"tious": list(tious), "per_tiou": per_tiou, "notes": notes,
               "definition": "densevid_eval 2018 (per-video average)" if garbage_for is None else
               "densevid_eval 2019 revision (random unmatched caption, seeded; per-video average)"}
    return CaptionScores(ids=tuple(ids), aggregate=aggregate, per_sample=per_sample,
                         details=details)


# ---------------------------------------------------------------------------------------------
# DAC event F1
# ---------------------------------------------------------------------------------------------
def _one_class(events: EventMap) -> dict[str, list[Event]]:
    return {vid: [Event(e.onset, e.offset, DAC_LABEL) for e in evs] for vid, evs in events.items()}


def dac_event_f1(references: EventMap, predictions: EventMap, *, t_collar: float = 0.2,
                 percentage_of_length: float = 0.2, evaluate_onset: bool = True,
                 evaluate_offset: bool = True,
                 empty_system_output: str = "zero_score") -> dict:
    """Event-based F1 of dense-captioning segments, ignoring caption text (our definition).

    Every caption is replaced by one class label and the segments are scored with
    :func:`timebench.metrics.detection.event_based_metrics` (sed_eval optimal matching, DCASE
    collar 0.2 s and offset tolerance 20 % of the reference length by default).  TimePro-RL and
    TimeAudio report a DAC "Eb-F1" whose definition was not found; this is the label-free
    reading, stated as ours.  Returns the detection dictionary (``f_measure`` is the micro F1,
    ``precision``, ``recall``, counts ``Ntp``/``Nref``/``Nsys``).
    """
    from .detection import event_based_metrics

    return event_based_metrics(_one_class(references), _one_class(predictions),
                               t_collar=t_collar, percentage_of_length=percentage_of_length,
                               evaluate_onset=evaluate_onset, evaluate_offset=evaluate_offset,
                               labels=[DAC_LABEL], empty_system_output=empty_system_output)
