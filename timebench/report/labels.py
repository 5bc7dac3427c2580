"""How the label-mapping report (``label_mapping``) is shown: one terminal line, one HTML block.

The numbers come from :class:`timebench.labels.apply.LabelStats` (``score`` output JSON,
``results.json``); this module only formats them.
"""

from __future__ import annotations

import html
from typing import Any, Mapping

__all__ = ["label_mapping_line", "label_mapping_html"]


def _pct(value: Any) -> str:
    return "—" if not isinstance(value, (int, float)) else f"{100.0 * value:.1f} %"


def label_mapping_line(stats: Mapping[str, Any] | None, *, top: int = 5) -> str | None:
    """``labels (ontology, unmapped: keep): 7/10 predicted events mapped (70.0 %); unmapped:
    'x' x2, ...`` or ``None`` when there is no label-mapping report."""
    if not isinstance(stats, Mapping):
        return None
    head = (f"labels ({stats.get('protocol')}, unmapped: {stats.get('unmapped_policy')}): "
            f"{stats.get('n_matched', 0)}/{stats.get('n_events', 0)} predicted events mapped "
            f"({_pct(stats.get('mapping_rate'))}; {stats.get('n_exact', 0)} exact, "
            f"{stats.get('n_mapped', 0)} by the mapper)")
    rows = list(stats.get("top_unmapped") or [])[:top]
    if not rows:
        return head
    listed = ", ".join(f"'{r.get('label')}' ×{r.get('count')}"
                       + (" (ambiguous)" if r.get("status") == "ambiguous" else "")
                       for r in rows)
    more = int(stats.get("n_distinct_unmapped") or 0) - len(rows)
    return f"{head}; unmapped: {listed}" + (f", +{more} more" if more > 0 else "")


def label_mapping_html(results: Mapping[str, Any], task: str) -> str:
    """A small block per task: each model's mapping rate and top unmapped labels."""
    items = []
    for model, per_task in (results.get("results") or {}).items():
        res = per_task.get(task) if isinstance(per_task, Mapping) else None
        stats = res.get("label_mapping") if isinstance(res, Mapping) else None
        line = label_mapping_line(stats, top=10)
        if line:
            items.append(f"<li>{html.escape(str(model))}: {html.escape(line)}</li>")
    if not items:
        return ""
    return ('<div class="hint"><strong>Predicted labels mapped to the task\'s classes</strong> '
            "(docs/LABELS.md)<ul>" + "".join(items) + "</ul></div>")
