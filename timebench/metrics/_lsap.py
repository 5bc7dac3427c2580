"""Linear sum assignment (rectangular), pure numpy: the optimal one-to-one matching of rows and
columns of a cost matrix.

The algorithm is the shortest augmenting path method of Jonker and Volgenant as described by
D. F. Crouse, "On implementing 2D rectangular assignment algorithms", IEEE Trans. Aerospace and
Electronic Systems 52(4), 2016 -- the method ``scipy.optimize.linear_sum_assignment`` uses.  It
follows the same visiting order and tie rules, so that on ties it returns the same assignment
as scipy (``tests/test_lsap.py`` compares the two on random matrices full of ties):

* a matrix with more rows than columns is solved transposed;
* rows are added one at a time, in order; for each, a Dijkstra-like search over the columns
  keeps the not yet reached columns in a list that starts in *reverse* order and from which a
  reached column is removed by moving the list's last entry into its place;
* among columns of equal shortest path cost the first in that list wins, unless a later one of
  equal cost is unassigned (a sink): then the last such unassigned one wins;
* the result lists the rows in increasing order.

The float arithmetic is done in the same order, so the duals and hence every comparison are the
same numbers.  Only finite costs are supported (timebench passes IoU matrices).
"""

from __future__ import annotations

import numpy as np

__all__ = ["linear_sum_assignment"]


def linear_sum_assignment(cost, maximize: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of an optimal assignment (as ``scipy.optimize``'s function)."""
    c = np.array(cost, dtype=np.float64)
    if c.ndim != 2:
        raise ValueError(f"expected a matrix (2-d array), got a {c.ndim}-d array")
    if not np.all(np.isfinite(c)):
        raise ValueError("cost matrix contains non-finite values")
    nr, nc = c.shape
    if nr == 0 or nc == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy()
    transpose = nc < nr
    if transpose:
        c = np.ascontiguousarray(c.T)
        nr, nc = nc, nr
    if maximize:
        c = -c

    u = np.zeros(nr)
    v = np.zeros(nc)
    path = np.full(nc, -1, dtype=np.int64)
    col4row = np.full(nr, -1, dtype=np.int64)
    row4col = np.full(nc, -1, dtype=np.int64)
    for cur in range(nr):
        spc = np.full(nc, np.inf)          # shortest path cost to each column
        sr = np.zeros(nr, dtype=bool)      # rows reached
        sc = np.zeros(nc, dtype=bool)      # columns reached
        remaining = np.arange(nc - 1, -1, -1, dtype=np.int64)
        min_val = 0.0
        i = cur
        sink = -1
        while sink == -1:
            sr[i] = True
            r = ((min_val + c[i, remaining]) - u[i]) - v[remaining]
            better = r < spc[remaining]
            path[remaining[better]] = i
            spc[remaining[better]] = r[better]
            costs = spc[remaining]
            lowest = costs.min()
            ties = np.flatnonzero(costs == lowest)
            free = ties[row4col[remaining[ties]] == -1]
            index = int(free[-1]) if free.size else int(ties[0])
            min_val = float(lowest)
            j = int(remaining[index])
            if row4col[j] == -1:
                sink = j
            else:
                i = int(row4col[j])
            sc[j] = True
            remaining[index] = remaining[-1]
            remaining = remaining[:-1]

        u[cur] += min_val
        others = np.flatnonzero(sr)
        others = others[others != cur]
        u[others] += min_val - spc[col4row[others]]
        v[sc] -= min_val - spc[sc]

        j = sink
        while True:
            i = int(path[j])
            row4col[j] = i
            col4row[i], j = j, int(col4row[i])
            if i == cur:
                break

    if transpose:
        order = np.argsort(col4row, kind="stable")
        return col4row[order].astype(np.int64), order.astype(np.int64)
    return np.arange(nr, dtype=np.int64), col4row.astype(np.int64)
