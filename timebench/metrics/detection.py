"""Sound event detection: event-based (collar) and segment-based F-measures.

Definitions follow ``sed_eval`` (Mesaros, Heittola, Virtanen, "Metrics for polyphonic sound event
detection", Applied Sciences 2016; code ``TUT-ARG/sed_eval`` v0.2.1, ``sound_event.py``) exactly,
and the tests compare against ``sed_eval`` on randomised event sets to 1e-9.

Event-based (``EventBasedMetrics``, ``event_matching_type='optimal'``)
    A reference event and an estimated event of the same file and label *hit* when
    ``|onset_ref - onset_est| <= t_collar`` and
    ``|offset_ref - offset_est| <= max(t_collar, percentage_of_length * (offset_ref - onset_ref))``
    (both with the plain float arithmetic sed_eval uses, so a boundary case such as a 0.2 s shift
    that computes to 0.20000000000000018 is a miss in both).  True positives are a maximum
    bipartite matching of hits (each event used once).  DCASE Task 4 uses ``t_collar=0.2`` and
    ``percentage_of_length=0.2`` (sed_eval's own default is 0.5: always pass it explicitly).
    The micro average (``f_measure``) pools every event of every file; the class-wise average
    (``f_measure_macro``) is the mean over classes of per-class F, classes without reference
    events left out (sed_eval's ``nanmean``).

Segment-based (``SegmentBasedMetrics``)
    Each file is cut into segments of ``time_resolution`` seconds; an event makes its label
    active in segments ``floor(onset / res)`` to ``ceil(offset / res) - 1``.  Counts are over
    (segment, label) pairs: true positive when both reference and estimate are active.

Differences from sed_eval, on purpose and documented
    * sed_eval raises on an estimated label missing from ``event_label_list`` in segment-based
      scoring; here such a label simply contributes false positives to the micro average (it has
      no class-wise score because it has no reference events).
    * ``empty_system_output='zero_score'`` is the default (the DCASE setting), so an empty system
      output scores 0 rather than NaN; pass ``'nan'`` for sed_eval's library default.

Implementation
    Everything is vectorised over all files at once: candidate pairs come from a sorted search on
    (file, label, onset) and hits are tested with numpy.  A hit whose two events hit nothing else
    is a matched pair of every maximum matching (numpy, no search); the rest of the hit graph
    goes to :func:`~timebench.metrics.error_rate.max_matching` (Hopcroft-Karp, pure Python; no
    scipy).  Only the *number* of matched pairs per (file, class) is used, and that number is
    the same for every maximum matching.  Matching never crosses files or labels, so the global
    maximum equals the per-file, per-class maxima sed_eval computes one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from ..types import Event
from ._prf import nanmean, prf, prf_arrays

__all__ = [
    "DetectionCounts",
    "event_based_counts",
    "segment_based_counts",
    "detection_scores",
    "event_based_metrics",
    "segment_based_metrics",
]

EventMap = Mapping[str, Sequence[Event]]


@dataclass(frozen=True)
class DetectionCounts:
    """Per-file, per-class counts: the sufficient statistics of a detection F-measure.

    ``ntp``, ``nref``, ``nsys`` have shape ``(n_files, n_labels)``; micro counts of a file are the
    row sums.  Summing rows over any subset (or a bootstrap resample) of files and calling
    :func:`detection_scores` gives the metric on that subset.
    """

    files: tuple[str, ...]
    labels: tuple[str | None, ...]
    ntp: np.ndarray
    nref: np.ndarray
    nsys: np.ndarray
    scored_labels: tuple[bool, ...]  # False for labels seen only in estimates


def _encode(references: EventMap, estimates: EventMap, labels: Sequence[str] | None):
    files = list(references)
    seen = set(files)
    for fid in estimates:
        if fid not in seen:
            files.append(fid)
            seen.add(fid)
    file_index = {f: i for i, f in enumerate(files)}

    label_list: list[str | None] = []
    label_index: dict[str | None, int] = {}

    def lab(value):
        if value not in label_index:
            label_index[value] = len(label_list)
            label_list.append(value)
        return label_index[value]

    vocab = set(labels) if labels is not None else None
    if labels is not None:
        for name in labels:
            lab(name)
    ref_labels_seen = set()

    def arrays(mapping: EventMap, is_ref: bool):
        n = sum(len(v) for v in mapping.values())
        f = np.empty(n, dtype=np.int64)
        lb = np.empty(n, dtype=np.int64)
        on = np.empty(n, dtype=np.float64)
        off = np.empty(n, dtype=np.float64)
        k = 0
        for fid, events in mapping.items():
            fi = file_index[fid]
            for ev in events:
                f[k] = fi
                lb[k] = lab(ev.label)
                on[k] = ev.onset
                off[k] = ev.offset
                if is_ref:
                    ref_labels_seen.add(ev.label)
                k += 1
        return f, lb, on, off

    ref = arrays(references, True)
    est = arrays(estimates, False)
    if vocab is None:
        scored = tuple(name in ref_labels_seen for name in label_list)
    else:
        scored = tuple(name in vocab or name in ref_labels_seen for name in label_list)
    return tuple(files), tuple(label_list), ref, est, scored


def _candidate_pairs(ref_key, ref_anchor, ref_tol, est_key, est_anchor):
    """All (ref, est) index pairs with equal key and ``|anchor_ref - anchor_est|`` near ``ref_tol``.

    The window is widened slightly (1e-3 s plus the rounding of the combined sort key) so that it
    is a superset of the exact test done afterwards.
    """
    if ref_key.size == 0 or est_key.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    span = float(max(np.max(ref_anchor + ref_tol), np.max(est_anchor))) + 1.0
    if not span < _GRID_LIMIT:  # near float limits the combined key would lose the key part
        by_key: dict[int, list[int]] = {}
        for j, k in enumerate(est_key.tolist()):
            by_key.setdefault(k, []).append(j)
        pairs = [(i, j) for i, k in enumerate(ref_key.tolist()) for j in by_key.get(k, ())]
        arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        return arr[:, 0], arr[:, 1]
    stride = 2.0 ** np.ceil(np.log2(span + 1.0))  # > every anchor: keys never overlap
    order = np.argsort(est_key * stride + est_anchor, kind="stable")
    sorted_keys = est_key[order] * stride + est_anchor[order]
    widen = 1e-3 + np.spacing(float(np.max(np.abs(sorted_keys)))) * 4
    centre = ref_key * stride + ref_anchor
    lo = np.searchsorted(sorted_keys, centre - ref_tol - widen, side="left")
    hi = np.searchsorted(sorted_keys, centre + ref_tol + widen, side="right")
    counts = hi - lo
    total = int(counts.sum())
    ref_idx = np.repeat(np.arange(ref_key.size, dtype=np.int64), counts)
    starts = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    est_pos = starts + np.arange(total, dtype=np.int64)
    est_idx = order[est_pos]
    keep = est_key[est_idx] == ref_key[ref_idx]
    return ref_idx[keep], est_idx[keep]


def _matched_references(ri: np.ndarray, ei: np.ndarray, n_ref: int, n_est: int) -> np.ndarray:
    """Reference indices matched by a maximum matching of the hit edges ``(ri[k], ei[k])``.

    Edges whose reference and estimate have degree 1 are isolated pairs, matched in every
    maximum matching; only the other edges need a search (Hopcroft-Karp).
    """
    from .error_rate import max_matching

    ref_deg = np.bincount(ri, minlength=n_ref)
    est_deg = np.bincount(ei, minlength=n_est)
    lone = (ref_deg[ri] == 1) & (est_deg[ei] == 1)
    matched = [ri[lone]]
    if not lone.all():
        graph: dict[int, list[int]] = {}
        for r, e in zip(ri[~lone].tolist(), ei[~lone].tolist()):
            graph.setdefault(r, []).append(e)
        matched.append(np.fromiter(max_matching(graph).values(), dtype=np.int64))
    return np.concatenate(matched)


def event_based_counts(references: EventMap, estimates: EventMap, *, t_collar: float = 0.2,
                       percentage_of_length: float = 0.2, evaluate_onset: bool = True,
                       evaluate_offset: bool = True,
                       labels: Sequence[str] | None = None) -> DetectionCounts:
    """Per-file, per-class event-based counts (sed_eval optimal matching); see module docs.

    ``references`` and ``estimates`` map a file id to its events; a file missing from one side
    has no events there.  ``labels`` fixes the class vocabulary (order kept); by default it is the
    labels of the reference events.
    """
    if not evaluate_onset and not evaluate_offset:
        raise ValueError("evaluate_onset and evaluate_offset cannot both be False (as in sed_eval)")
    files, label_list, ref, est, scored = _encode(references, estimates, labels)
    n_files, n_labels = len(files), len(label_list)
    rf, rl, ron, roff = ref
    ef, el, eon, eoff = est
    ref_key = rf * max(n_labels, 1) + rl
    est_key = ef * max(n_labels, 1) + el

    if evaluate_onset:
        ri, ei = _candidate_pairs(ref_key, ron, np.full(ron.size, float(t_collar)), est_key, eon)
    else:
        tol = np.maximum(t_collar, percentage_of_length * (roff - ron))
        ri, ei = _candidate_pairs(ref_key, roff, tol, est_key, eoff)
    hit = np.ones(ri.size, dtype=bool)
    if evaluate_onset:
        hit &= np.abs(ron[ri] - eon[ei]) <= t_collar
    if evaluate_offset:
        annotated_length = roff[ri] - ron[ri]
        hit &= np.abs(roff[ri] - eoff[ei]) <= np.maximum(t_collar,
                                                          percentage_of_length * annotated_length)
    ri, ei = ri[hit], ei[hit]

    ntp = np.zeros((n_files, n_labels), dtype=np.int64)
    if ri.size:
        matched = _matched_references(ri, ei, ron.size, eon.size)
        np.add.at(ntp, (rf[matched], rl[matched]), 1)
    nref = np.zeros((n_files, n_labels), dtype=np.int64)
    nsys = np.zeros((n_files, n_labels), dtype=np.int64)
    np.add.at(nref, (rf, rl), 1)
    np.add.at(nsys, (ef, el), 1)
    return DetectionCounts(files, label_list, ntp, nref, nsys, scored)


def segment_based_counts(references: EventMap, estimates: EventMap, *,
                         time_resolution: float = 1.0,
                         labels: Sequence[str] | None = None) -> DetectionCounts:
    """Per-file, per-class segment-based counts (sed_eval ``SegmentBasedMetrics``)."""
    if not time_resolution > 0:
        raise ValueError("time_resolution must be positive")
    files, label_list, ref, est, scored = _encode(references, estimates, labels)
    n_files, n_labels = len(files), max(len(label_list), 1)

    res = float(time_resolution)
    for _, _, on, off in (ref, est):
        if not (np.all(np.isfinite(on)) and np.all(np.isfinite(off))):
            raise ValueError("event times must be finite")
    bounds = [(np.floor(on * 1 / res), np.ceil(off * 1 / res)) for _, _, on, off in (ref, est)]
    top = max([float(np.max(np.abs(b))) for pair in bounds for b in pair if b.size] or [0.0])
    n_total = sum(float(np.maximum(s1 - s0, 0).sum()) for s0, s1 in bounds)
    if top >= _GRID_LIMIT or n_total > _SEGMENTS_LIMIT:
        # times near float limits: an int64 grid would overflow (and a dense one would not fit
        # in memory), so count with exact integer interval unions instead
        tp, nr, ns = _segment_counts_by_intervals(ref, est, bounds, n_files, n_labels)
        k = len(label_list)
        return DetectionCounts(files, label_list, tp[:, :k], nr[:, :k], ns[:, :k], scored)

    def active(f, lb, on, off):
        # sed_eval: floor(onset * 1 / res) .. ceil(offset * 1 / res), end exclusive
        s0 = np.floor(on * 1 / res).astype(np.int64)
        s1 = np.ceil(off * 1 / res).astype(np.int64)
        length = np.maximum(s1 - s0, 0)
        total = int(length.sum())
        seg = np.repeat(s0, length) + (np.arange(total, dtype=np.int64)
                                       - np.repeat(np.cumsum(length) - length, length))
        group = np.repeat(f * n_labels + lb, length)
        return group, seg

    rg, rs = active(*ref)
    eg, es = active(*est)
    n_seg = int(max(rs.max(initial=0), es.max(initial=0))) + 1
    rkeys = np.unique(rg * n_seg + rs)
    ekeys = np.unique(eg * n_seg + es)
    tp_keys = np.intersect1d(rkeys, ekeys, assume_unique=True)
    size = n_files * n_labels

    def per_group(keys):
        return np.bincount(keys // n_seg, minlength=size).reshape(n_files, n_labels)[:, :len(label_list)]

    return DetectionCounts(files, label_list, per_group(tp_keys), per_group(rkeys),
                           per_group(ekeys), scored)


_GRID_LIMIT = 2.0 ** 40       # segment indices beyond this are counted without the int64 grid
_SEGMENTS_LIMIT = 2e7         # and so are more (segment, event) pairs than this


def _union(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for a, b in sorted(x for x in intervals if x[1] > x[0]):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _overlap(xs: list[tuple[int, int]], ys: list[tuple[int, int]]) -> int:
    i = j = total = 0
    while i < len(xs) and j < len(ys):
        lo, hi = max(xs[i][0], ys[j][0]), min(xs[i][1], ys[j][1])
        total += max(0, hi - lo)
        if xs[i][1] < ys[j][1]:
            i += 1
        else:
            j += 1
    return total


def _segment_counts_by_intervals(ref, est, bounds, n_files, n_labels):
    """Segment counts from unions of ``[floor(on/res), ceil(off/res))`` in Python integers."""
    groups: list[dict[int, list[tuple[int, int]]]] = [{}, {}]
    for side, ((f, lb, _, _), (s0, s1)) in enumerate(zip((ref, est), bounds)):
        for g, a, b in zip((f * n_labels + lb).tolist(), s0.tolist(), s1.tolist()):
            groups[side].setdefault(g, []).append((int(a), int(b)))
    tp, nr, ns = (np.zeros(n_files * n_labels, dtype=object) for _ in range(3))
    for g in set(groups[0]) | set(groups[1]):
        r, e = _union(groups[0].get(g, [])), _union(groups[1].get(g, []))
        nr[g] = sum(b - a for a, b in r)
        ns[g] = sum(b - a for a, b in e)
        tp[g] = _overlap(r, e)
    shape = (n_files, n_labels)
    return tp.reshape(shape), nr.reshape(shape), ns.reshape(shape)


def detection_scores(counts: DetectionCounts, *, files: np.ndarray | None = None,
                     empty_system_output: str = "zero_score",
                     class_wise: bool = False) -> dict:
    """Aggregate counts (optionally over a subset / resample of file indices) into scores.

    Returns ``f_measure``, ``precision``, ``recall`` (micro), ``f_measure_macro``,
    ``precision_macro``, ``recall_macro`` (class-wise averages over scored classes) and, with
    ``class_wise=True``, a ``class_wise`` mapping label -> {f_measure, precision, recall, Nref, Nsys,
    Ntp}.
    """
    ntp, nref, nsys = counts.ntp, counts.nref, counts.nsys
    if files is not None:
        ntp, nref, nsys = ntp[files], nref[files], nsys[files]
    ctp, cref, csys = ntp.sum(axis=0), nref.sum(axis=0), nsys.sum(axis=0)
    f, p, r = prf(float(ctp.sum()), float(cref.sum()), float(csys.sum()),
                  empty_system_output=empty_system_output)
    cf, cp, cr = prf_arrays(ctp, cref, csys, empty_system_output=empty_system_output)
    scored = np.array(counts.scored_labels, dtype=bool) if counts.labels else np.zeros(0, bool)
    out = {
        "f_measure": f,
        "precision": p,
        "recall": r,
        "f_measure_macro": nanmean(cf[scored]),
        "precision_macro": nanmean(cp[scored]),
        "recall_macro": nanmean(cr[scored]),
        "Ntp": int(ctp.sum()),
        "Nref": int(cref.sum()),
        "Nsys": int(csys.sum()),
    }
    if class_wise:
        out["class_wise"] = {
            str(label): {"f_measure": float(cf[k]), "precision": float(cp[k]),
                         "recall": float(cr[k]), "Ntp": int(ctp[k]), "Nref": int(cref[k]),
                         "Nsys": int(csys[k])}
            for k, label in enumerate(counts.labels) if scored[k]
        }
    return out


def event_based_metrics(references: EventMap, estimates: EventMap, *, t_collar: float = 0.2,
                        percentage_of_length: float = 0.2, evaluate_onset: bool = True,
                        evaluate_offset: bool = True, labels: Sequence[str] | None = None,
                        empty_system_output: str = "zero_score", class_wise: bool = False) -> dict:
    """Event-based F-measure (micro and class-wise average), sed_eval semantics; see module docs."""
    counts = event_based_counts(references, estimates, t_collar=t_collar,
                                percentage_of_length=percentage_of_length,
                                evaluate_onset=evaluate_onset, evaluate_offset=evaluate_offset,
                                labels=labels)
    return detection_scores(counts, empty_system_output=empty_system_output,
                            class_wise=class_wise)


def segment_based_metrics(references: EventMap, estimates: EventMap, *,
                          time_resolution: float = 1.0, labels: Sequence[str] | None = None,
                          empty_system_output: str = "zero_score",
                          class_wise: bool = False) -> dict:
    """Segment-based F-measure (micro and class-wise average), sed_eval semantics."""
    counts = segment_based_counts(references, estimates, time_resolution=time_resolution,
                                  labels=labels)
    return detection_scores(counts, empty_system_output=empty_system_output,
                            class_wise=class_wise)
