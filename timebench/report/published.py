"""The gap between a run and the numbers a paper published (suite key ``published:``).

``gap_rows(suite, results)`` pairs every published number of the suite with the run's value of
the same model, task and metric (the run's fraction times the entry's ``scale``, 100 by default)
and the difference ``ours - published``.  A number the run does not have (model or task not run,
metric not produced) shows as missing, never as 0.  The protocol each task was scored with is
shown next to it: a gap is only meaningful under the protocol the paper used (docs/REPRODUCING.md).
"""

from __future__ import annotations

import math
from typing import Any, Mapping

__all__ = ["gap_rows", "gap_table"]


def gap_rows(suite, results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One dict per published number: model, task, metric, protocol, published, ours, gap, source."""
    rows = []
    for pub in suite.published:
        res = results.get("results", {}).get(pub.model, {}).get(pub.task) or {}
        value = (res.get("metrics") or {}).get(pub.metric)
        ours = float(value) * pub.scale if isinstance(value, (int, float)) and math.isfinite(value) else None
        protocol = res.get("protocol") or results.get("tasks", {}).get(pub.task, {}).get("protocol")
        rows.append({"model": pub.model, "task": pub.task, "metric": pub.metric, "protocol": protocol,
                     "published": pub.value, "ours": ours,
                     "gap": None if ours is None else ours - pub.value, "source": pub.source})
    return rows


def gap_table(suite, results: Mapping[str, Any]):
    """A rich table of :func:`gap_rows`."""
    from .tables import rows_table

    def num(v):
        return "—" if v is None else f"{v:.1f}"

    body = [(r["model"], r["task"], r["metric"], r["protocol"] or "—", num(r["published"]), num(r["ours"]),
             "—" if r["gap"] is None else f"{r['gap']:+.1f}", r["source"]) for r in gap_rows(suite, results)]
    return rows_table(f"gap to the published table ({suite.name})",
                      ["model", "task", "metric", "protocol", "published", "ours", "gap", "source"], body,
                      caption="ours = run value x scale (papers print x100); gap = ours - published",
                      justify_from=4)
