"""Short text forms of events and references shared by the terminal and HTML diff views."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

__all__ = ["events_text", "reference_text", "score_text", "summary_line"]


def events_text(events: Sequence[Mapping[str, Any]], *, failed: bool = False,
                limit: int = 8) -> str:
    if failed:
        return "(parse failed)"
    if not events:
        return "(no events)"
    parts = []
    for e in list(events)[:limit]:
        try:
            span = f"{float(e.get('onset')):.2f}–{float(e.get('offset')):.2f}"
        except (TypeError, ValueError):
            span = "?"
        label = e.get("label") or e.get("caption")
        parts.append(f"{span} {label}" if label else span)
    more = f" (+{len(events) - limit})" if len(events) > limit else ""
    return "; ".join(parts) + more


def reference_text(ref: Mapping[str, Any]) -> str:
    head = ref.get("query") or ref.get("question") or ""
    body = events_text(ref.get("events") or [])
    if ref.get("present") is False:
        body = "(absent)"
    if ref.get("answer") is not None:
        body = f"answer: {ref['answer']}"
    return f"{head}: {body}" if head else body


def score_text(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def summary_line(t: Mapping[str, Any]) -> str:
    mean = t["mean_score_change"]
    return (f"{t['task']}: {t['n_shared']} shared samples; raw text changed {t['n_text_changed']}, "
            f"parse changed {t['n_parse_changed']}, {t['metric'] or 'score'} changed "
            f"{t['n_score_changed']}; mean change {'—' if mean is None else f'{mean:+.4f}'}"
            + (f"; only in A: {len(t['only_a'])}" if t["only_a"] else "")
            + (f"; only in B: {len(t['only_b'])}" if t["only_b"] else ""))
