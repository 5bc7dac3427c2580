"""``timebench diff`` in the terminal: a summary line and the top cases side by side."""

from __future__ import annotations

from typing import Any, Mapping

from .diff_format import events_text, reference_text, score_text, summary_line

__all__ = ["print_diff"]


def _short(text: str | None, limit: int = 160) -> str:
    if text is None:
        return "(no output)"
    return text if len(text) <= limit else text[:limit - 1] + "…"


def print_diff(result: Mapping[str, Any], *, top: int = 10) -> None:
    from rich.markup import escape
    from rich.table import Table

    from .tables import print_table

    pair = result["model_a"] if result["model_a"] == result["model_b"] \
        else f"{result['model_a']} → {result['model_b']}"
    print(f"diff of {pair}: A = {result['run_a']}, B = {result['run_b']}")
    for t in result["tasks"]:
        print(summary_line(t))
        for side in ("a", "b"):
            ids = t[f"only_{side}"]
            if ids:
                print(f"  only in run {side.upper()}: {', '.join(ids[:10])}"
                      + (f" (+{len(ids) - 10} more)" if len(ids) > 10 else ""))
        cases = t["changes"][:top]
        if not cases:
            continue
        table = Table(title=escape(f"{t['task']}: top {len(cases)} change(s) by "
                                   f"|Δ {t['metric'] or 'score'}|"), show_lines=True)
        for col in ("id", "Δ (A→B)", "text A", "text B", "parse A", "parse B", "reference"):
            table.add_column(col, overflow="fold")
        for c in cases:
            delta = "—" if c["delta"] is None else f"{c['delta']:+.3f}"
            table.add_row(
                escape(c["id"]),
                f"{delta}\n{score_text(c['score_a'])}→{score_text(c['score_b'])}",
                escape(_short(c["text_a"])), escape(_short(c["text_b"])),
                escape(events_text(c["events_a"], failed=c["failed_a"])),
                escape(events_text(c["events_b"], failed=c["failed_b"])),
                escape(reference_text(c["reference"])))
        print_table(table)
