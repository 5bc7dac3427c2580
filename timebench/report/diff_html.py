"""The ``timebench diff`` HTML view: per task, the top changed samples side by side.

Reuses the static report's style and timelines (:mod:`timebench.report.html`): for each case a
timeline with the reference lane and one lane per run, then a table with the raw text, the parse
and the score of both runs.  Everything from files is escaped; no scripts, no external resources.
:func:`diff_section` is the section the report embeds (``html_report(..., extra_sections=...)``);
:func:`diff_page` wraps it in a whole page.
"""

from __future__ import annotations

import html
import math
from typing import Any, Mapping

from .. import __version__
from .diff_format import events_text, reference_text, score_text, summary_line
from .style import CSS as _CSS
from .timeline import _DEFS, PALETTE, LaneSpec, timeline_svg

__all__ = ["diff_section", "diff_page"]


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _lane(name: str, events, failed: bool, colour) -> LaneSpec:
    evs = []
    for e in events or []:
        try:
            on, off = float(e["onset"]), float(e["offset"])
        except (KeyError, TypeError, ValueError):
            continue
        if math.isfinite(on) and math.isfinite(off):
            evs.append((min(on, off), max(on, off), e.get("label") or e.get("caption")))
    status = "failed" if failed else ("events" if evs else "empty")
    return LaneSpec(name=name, events=evs, status=status, colour=colour)


def _duration(case: Mapping[str, Any]) -> float:
    d = case["reference"].get("duration")
    if isinstance(d, (int, float)) and math.isfinite(d) and d > 0:
        return float(d)
    ends = [float(e.get("offset") or 0) for k in ("events_a", "events_b") for e in case[k]]
    ends += [float(e.get("offset") or 0) for e in case["reference"].get("events") or []]
    return max(ends + [1.0])


def _case(case: Mapping[str, Any], ma: str, mb: str) -> str:
    ref = case["reference"]
    lanes = [LaneSpec(name="reference", is_reference=True,
                      events=[(float(e["onset"]), float(e["offset"]), e.get("label"))
                              for e in ref.get("events") or []],
                      status="negative" if ref.get("present") is False or not ref.get("events")
                      else "events"),
             _lane(f"A: {ma}", case["events_a"], case["failed_a"], PALETTE[0][1:]),
             _lane(f"B: {mb}", case["events_b"], case["failed_b"], PALETTE[1][1:])]
    svg = "" if ref.get("answer") is not None else timeline_svg(lanes, duration=_duration(case))
    delta = "—" if case["delta"] is None else f"{case['delta']:+.3f}"
    rows = "".join(
        f"<tr><th>{side}</th><td><pre>{_e(case['text_' + k])}</pre></td>"
        f"<td>{_e(events_text(case['events_' + k], failed=case['failed_' + k]))}</td>"
        f"<td>{_e(score_text(case['score_' + k]))}</td></tr>"
        for side, k in (("A", "a"), ("B", "b")))
    return (f'<div class="clip"><h4>{_e(case["id"])} · Δ {_e(delta)}</h4>'
            f'<p class="hint">reference: {_e(reference_text(ref))}</p>{svg}'
            '<table><tr><th>run</th><th>raw text</th><th>parse</th><th>score</th></tr>'
            f"{rows}</table></div>")


def diff_section(result: Mapping[str, Any], *, top: int = 10) -> str:
    """One ``<section>`` with the summary and the top ``top`` cases of every task."""
    ma, mb = result["model_a"], result["model_b"]
    parts = [f'<section class="suite"><h2 id="diff">Run diff: {_e(ma)}'
             + ("" if ma == mb else f" → {_e(mb)}") + "</h2>",
             f'<p class="hint">A = {_e(result["run_a"])}, B = {_e(result["run_b"])}. Samples are '
             "ordered by the size of their score change.</p>"]
    for t in result["tasks"]:
        parts.append(f'<section class="task"><h3>{_e(t["task"])}</h3><p>{_e(summary_line(t))}</p>')
        for side in ("a", "b"):
            ids = t[f"only_{side}"]
            if ids:
                parts.append(f'<p class="warn">only in run {side.upper()}: '
                             f'{_e(", ".join(ids[:20]))}'
                             + (f" (+{len(ids) - 20} more)" if len(ids) > 20 else "") + "</p>")
        parts.extend(_case(c, ma, mb) for c in t["changes"][:top])
        parts.append("</section>")
    parts.append("</section>")
    return "".join(parts)


def diff_page(result: Mapping[str, Any], *, top: int = 10) -> str:
    """A self-contained HTML page holding :func:`diff_section`."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>timebench diff</title>"
            f"<style>{_CSS}</style></head><body>{_DEFS}"
            f"<header><h1>timebench diff</h1><p class=\"hint\">timebench {_e(__version__)}</p>"
            f"</header>{diff_section(result, top=top)}</body></html>\n")
