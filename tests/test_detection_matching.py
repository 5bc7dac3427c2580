"""Event-based true positives without scipy: per (file, class), the matched count of
``event_based_counts`` equals the size of a maximum matching found independently here (simple
augmenting paths, Kuhn's algorithm) and, where scipy is installed, scipy's
``maximum_bipartite_matching`` -- on dense random event sets whose hit graphs have many
non-trivial components."""

from __future__ import annotations

import numpy as np
import pytest

from timebench.metrics.detection import event_based_counts
from timebench.types import Event


def hits(ref, est, collar, pct, onset, offset):
    out = []
    for i, r in enumerate(ref):
        row = []
        for j, e in enumerate(est):
            if r.label != e.label:
                continue
            ok = True
            if onset:
                ok &= abs(r.onset - e.onset) <= collar
            if offset:
                ok &= abs(r.offset - e.offset) <= max(collar, pct * (r.offset - r.onset))
            if ok:
                row.append(j)
        out.append(row)
    return out


def kuhn(graph, n_est):
    owner = [-1] * n_est

    def try_ref(i, seen):
        for j in graph[i]:
            if not seen[j]:
                seen[j] = True
                if owner[j] == -1 or try_ref(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return sum(try_ref(i, [False] * n_est) for i in range(len(graph)))


def random_events(rng, n, labels):
    on = np.round(rng.random(n) * 6.0, 2)   # crowded: 0-6 s, collars overlap
    return [Event(float(a), float(a + round(0.1 + rng.random() * 1.5, 2)),
                  labels[int(rng.integers(len(labels)))]) for a in on]


@pytest.mark.parametrize("onset,offset", [(True, True), (True, False), (False, True)])
def test_true_positives_are_a_maximum_matching(onset, offset):
    try:
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import maximum_bipartite_matching
    except ImportError:  # the independent Kuhn matching still checks every count
        maximum_bipartite_matching = None
    rng = np.random.default_rng(17 + onset + 2 * offset)
    labels = ["a", "b", "c"]
    for _ in range(40):
        files = [f"f{k}" for k in range(int(rng.integers(1, 6)))]
        refs = {f: random_events(rng, int(rng.integers(0, 25)), labels) for f in files}
        ests = {f: random_events(rng, int(rng.integers(0, 25)), labels) for f in files}
        collar = float(rng.choice([0.2, 0.5, 1.0]))
        counts = event_based_counts(refs, ests, t_collar=collar, percentage_of_length=0.2,
                                    evaluate_onset=onset, evaluate_offset=offset, labels=labels)
        for fi, f in enumerate(counts.files):
            for li, lb in enumerate(labels):
                ref = [e for e in refs[f] if e.label == lb]
                est = [e for e in ests[f] if e.label == lb]
                graph = hits(ref, est, collar, 0.2, onset, offset)
                want = kuhn(graph, len(est))
                assert counts.ntp[fi, li] == want
                if maximum_bipartite_matching is not None and ref and est:
                    pairs = [(i, j) for i, row in enumerate(graph) for j in row]
                    m = csr_matrix((np.ones(len(pairs)), ([p[0] for p in pairs],
                                                          [p[1] for p in pairs])),
                                   shape=(len(ref), len(est)))
                    assert int((maximum_bipartite_matching(m, perm_type="column") >= 0).sum()) \
                        == want


def test_long_chains_and_big_components():
    # ref k hits est k and est k+1 (a 2000-event chain), and one file where every event hits
    # every other: no recursion limit, the right maximum
    chain_ref = [Event(k * 0.15, k * 0.15 + 5.0, "a") for k in range(2000)]
    chain_est = [Event(k * 0.15 - 0.075, k * 0.15 + 5.0, "a") for k in range(2001)]
    dense_ref = [Event(1.0 + k * 1e-3, 3.0, "a") for k in range(300)]
    dense_est = [Event(1.0 + k * 1e-3, 3.0, "a") for k in range(200)]
    counts = event_based_counts({"chain": chain_ref, "dense": dense_ref},
                                {"chain": chain_est, "dense": dense_est}, t_collar=0.1,
                                percentage_of_length=0.2)
    got = dict(zip(counts.files, counts.ntp[:, 0].tolist()))
    assert got == {"chain": 2000, "dense": 200}
