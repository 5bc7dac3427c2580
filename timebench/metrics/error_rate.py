"""DCASE error rate (ER) for sound event detection: substitutions, deletions, insertions.

Definitions follow ``sed_eval`` (Mesaros, Heittola, Virtanen, "Metrics for polyphonic sound event
detection", Applied Sciences 2016; ``TUT-ARG/sed_eval`` v0.2.1), and the tests compare against
``sed_eval`` on randomised event sets.  ``ER = (S + D + I) / Nref``, each rate ``X / (Nref +
eps)`` with ``eps = numpy.spacing(1)`` as sed_eval divides -- except that with no reference
event at all (``Nref = 0``, where sed_eval returns about 1e16) the rates are NaN (no value).
ER and the insertion rate can exceed 1 (insertions are unbounded); lower is better.

Segment-based (``SegmentBasedMetrics``)
    Each file is cut into ``time_resolution`` segments (an event activates its label in
    segments ``floor(onset / res)`` to ``ceil(offset / res) - 1``).  In every segment, with
    ``Nref`` / ``Nsys`` the active reference / system labels and ``Ntp`` those active in both:
    ``S = min(Nref, Nsys) - Ntp``, ``D = max(0, Nref - Nsys)``, ``I = max(0, Nsys - Nref)``;
    counts are summed over segments and files.

Event-based (``EventBasedMetrics``, ``event_matching_type='optimal'``)
    Per file, true positives are a maximum matching of same-label hits (onset within
    ``t_collar``, offset within ``max(t_collar, percentage_of_length * reference length)``).
    Then each reference event left unmatched, in list order, is paired with the first unmatched
    system event (in list order, any label) that satisfies the onset / offset conditions, if
    one is still free: that is a substitution.  ``I = Nsys - Ntp - S``, ``D = Nref - Ntp - S``.
    Which events stay unmatched can depend on which maximum matching is chosen, so the matching
    here is a Hopcroft-Karp search with the same visiting order as sed_eval's (system events
    in order of their first hit, references in increasing order), which makes the counts equal.

Counts are kept per file so a bootstrap or a paired comparison can resample files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from ..types import Event

__all__ = ["ErrorCounts", "segment_error_counts", "event_error_counts", "error_rates",
           "max_matching"]

EventMap = Mapping[str, Sequence[Event]]
_EPS = float(np.spacing(1))


@dataclass(frozen=True)
class ErrorCounts:
    """Per-file substitutions, deletions, insertions and reference counts (arrays of length n)."""

    files: tuple[str, ...]
    S: np.ndarray
    D: np.ndarray
    I: np.ndarray  # noqa: E741 - the standard name
    nref: np.ndarray


def error_rates(counts: ErrorCounts, *, files: np.ndarray | None = None) -> dict[str, float]:
    """``error_rate``, ``substitution_rate``, ``deletion_rate``, ``insertion_rate`` (sed_eval)."""
    s, d, i, n = counts.S, counts.D, counts.I, counts.nref
    if files is not None:
        s, d, i, n = s[files], d[files], i[files], n[files]
    if float(n.sum()) == 0:   # sed_eval gives ~1e16 here (division by eps): no value instead
        return {k: math.nan for k in ("error_rate", "substitution_rate", "deletion_rate",
                                      "insertion_rate")}
    den = float(n.sum()) + _EPS
    sr, dr, ir = float(s.sum()) / den, float(d.sum()) / den, float(i.sum()) / den
    return {"error_rate": sr + dr + ir, "substitution_rate": sr, "deletion_rate": dr,
            "insertion_rate": ir}


# -- segment-based --------------------------------------------------------------------------------

def _segments(events: Sequence[Event], res: float) -> set[tuple[int, object]]:
    out = set()
    for e in events:
        start = int(math.floor(e.onset * 1 / float(res)))
        stop = int(math.ceil(e.offset * 1 / float(res)))
        out.update((s, e.label) for s in range(start, stop))
    return out


def segment_error_counts(references: EventMap, estimates: EventMap, *,
                         time_resolution: float = 1.0) -> ErrorCounts:
    """Per-file segment-based S, D, I (every id of ``references`` is a file)."""
    if not time_resolution > 0:
        raise ValueError("time_resolution must be positive")
    files = tuple(references)
    arr = np.zeros((4, len(files)), dtype=np.int64)
    for k, f in enumerate(files):
        ref = _segments(references[f], time_resolution)
        est = _segments(estimates.get(f, ()), time_resolution)
        if not ref and not est:
            continue
        nseg = 1 + max(s for s, _ in ref | est)
        nref = np.bincount([s for s, _ in ref], minlength=nseg)
        nsys = np.bincount([s for s, _ in est], minlength=nseg)
        ntp = np.bincount([s for s, _ in ref & est], minlength=nseg)
        arr[:, k] = ((np.minimum(nref, nsys) - ntp).sum(), np.maximum(0, nref - nsys).sum(),
                     np.maximum(0, nsys - nref).sum(), nref.sum())
    return ErrorCounts(files, *arr)


# -- event-based ----------------------------------------------------------------------------------

def max_matching(graph: Mapping[int, Sequence[int]]) -> dict[int, int]:
    """Maximum bipartite matching ``{right: left}`` of ``graph`` ``{left: [right, ...]}``.

    Hopcroft-Karp: a greedy start (each left vertex, in order, takes its first free right
    vertex), then phases of breadth-first layering from the free left vertices and depth-first
    augmentation along shortest paths, until no augmenting path is left.  The visiting order
    (dict order of ``graph``, list order of its neighbours) fixes which maximum matching is
    returned.
    """
    match: dict[int, int] = {}
    for u, nbrs in graph.items():
        for v in nbrs:
            if v not in match:
                match[v] = u
                break
    free = object()
    while True:
        parents: dict[int, list[int]] = {}      # right vertex -> left vertices reaching it
        reach: dict[int, object] = {u: free for u in graph}  # left vertex -> right predecessor
        for v in match:
            reach.pop(match[v], None)
        frontier = list(reach)
        ends: list[int] = []
        while frontier and not ends:
            layer: dict[int, list[int]] = {}
            for u in frontier:
                for v in graph[u]:
                    if v not in parents:
                        layer.setdefault(v, []).append(u)
            frontier = []
            for v, us in layer.items():
                parents[v] = us
                if v in match:
                    frontier.append(match[v])
                    reach[match[v]] = v
                else:
                    ends.append(v)
        if not ends:
            return match

        def augment(v: int) -> bool:
            us = parents.pop(v, None)
            if us is None:
                return False
            for u in us:
                if u in reach:
                    prev = reach.pop(u)
                    if prev is free or augment(prev):
                        match[v] = u
                        return True
            return False

        for v in ends:
            augment(v)


def _file_event_counts(ref: Sequence[Event], est: Sequence[Event], t_collar: float,
                       pol: float, onset: bool, offset: bool) -> tuple[int, int, int, int]:
    def position_ok(r: Event, e: Event) -> bool:
        if onset and not math.fabs(r.onset - e.onset) <= t_collar:
            return False
        if offset and not math.fabs(r.offset - e.offset) <= max(t_collar,
                                                                pol * (r.offset - r.onset)):
            return False
        return True

    graph: dict[int, list[int]] = {}
    for j, r in enumerate(ref):          # row-major over (reference, estimate), as sed_eval
        for i, e in enumerate(est):
            if r.label == e.label and position_ok(r, e):
                graph.setdefault(i, []).append(j)
    matching = max_matching(graph)       # {reference: estimate}
    ntp = len(matching)
    ref_used = set(matching)
    est_used = set(matching.values())
    subs = 0
    taken: set[int] = set()
    for j, r in enumerate(ref):
        if j in ref_used:
            continue
        for i, e in enumerate(est):
            if i in est_used or i in taken:
                continue
            if position_ok(r, e):
                taken.add(i)
                subs += 1
                break
    nref, nsys = len(ref), len(est)
    return subs, nref - ntp - subs, nsys - ntp - subs, nref


def event_error_counts(references: EventMap, estimates: EventMap, *, t_collar: float = 0.2,
                       percentage_of_length: float = 0.2, evaluate_onset: bool = True,
                       evaluate_offset: bool = True) -> ErrorCounts:
    """Per-file event-based S, D, I (every id of ``references`` is a file)."""
    files = tuple(references)
    arr = np.zeros((4, len(files)), dtype=np.int64)
    for k, f in enumerate(files):
        arr[:, k] = _file_event_counts(list(references[f]), list(estimates.get(f, ())),
                                       float(t_collar), float(percentage_of_length),
                                       bool(evaluate_onset), bool(evaluate_offset))
    return ErrorCounts(files, *arr)
