"""Timelines as inline SVG: a time axis in seconds and one lane per reference or model.

Used by the static report (:mod:`timebench.report.html`) and the run diff page
(:mod:`timebench.report.diff_html`).  Events are rectangles with ``<title>`` tooltips; an
absent-event negative, an "absent" answer, a failed parse, a missing prediction, a generation
error or a missing data file is a hatched marker with a word, never an empty lane.  Every text
goes through :func:`html.escape`.

Palette: Okabe & Ito (2008), "Color Universal Design", the usual colour-blind-safe set of eight;
every marker also carries a word and a hatch, so the page stays readable in grey-scale print.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

__all__ = ["PALETTE", "LaneSpec", "timeline_svg"]

#: Okabe-Ito colour-blind-safe palette (name, hex, text colour that reads on it)
PALETTE: tuple[tuple[str, str, str], ...] = (
    ("blue", "#0072B2", "#ffffff"),
    ("orange", "#E69F00", "#000000"),
    ("bluish green", "#009E73", "#ffffff"),
    ("reddish purple", "#CC79A7", "#000000"),
    ("sky blue", "#56B4E9", "#000000"),
    ("vermillion", "#D55E00", "#ffffff"),
    ("yellow", "#F0E442", "#000000"),
    ("black", "#000000", "#ffffff"),
)
_REFERENCE_COLOUR = ("#5f5f5f", "#ffffff")   # reference lane when colouring by lane
_OTHER_COLOUR = ("#bbbbbb", "#000000")       # a predicted label outside the vocabulary

# geometry of a timeline (SVG user units; the figure scales to the page width)
_WIDTH = 1000
_LEFT = 150          # lane names
_RIGHT = 120         # per-sample value
_ROW = 18            # one row of events
_PAD = 4             # padding inside a lane
_AXIS = 26           # time axis below the lanes
_MAX_ROWS = 6        # overlapping events stack into at most this many rows per lane
_CHAR_W = 6.0        # approximate width of one character at 10 px



def _e(value: Any) -> str:
    """Escape anything for HTML text and attribute values (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "…"


@dataclass(frozen=True)
class _Ev:
    onset: float
    offset: float
    label: str | None



@dataclass
class LaneSpec:
    """One lane of a timeline.

    ``status`` is ``"events"`` (draw ``events``), or a marker: ``"negative"`` (an absent-event
    negative reference), ``"absent"`` (the model said the event is absent), ``"empty"`` (no
    events), ``"failed"`` (parse failed), ``"missing"`` (no prediction), ``"error"`` (generation
    error), ``"unavailable"`` (the file with this lane's data is missing).
    """

    name: str
    events: list = field(default_factory=list)     # (onset, offset, label) tuples or _Ev
    status: str = "events"
    tooltip: str = ""
    value: str = ""
    colour: tuple[str, str] = _REFERENCE_COLOUR
    is_reference: bool = False


_MARKERS = {
    "negative": ("hatch-none", "absent-event negative: no events"),
    "absent": ("hatch-none", "said absent (no events)"),
    "empty": ("hatch-none", "no events"),
    "failed": ("hatch-fail", "parse failed"),
    "missing": ("hatch-fail", "missing prediction"),
    "error": ("hatch-fail", "generation error"),
    "unavailable": ("hatch-gone", "data file missing"),
}


def _tick_step(duration: float, target: int = 8) -> float:
    raw = max(duration, 1e-9) / target
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * mag >= raw - 1e-12:
            return m * mag
    return 10 * mag


def _pack(events: Sequence[_Ev]) -> list[int]:
    """Row of each event: greedy interval packing, so overlapping events do not hide each other."""
    ends: list[float] = []
    rows = [0] * len(events)
    for idx in sorted(range(len(events)), key=lambda i: (events[i].onset, events[i].offset)):
        ev = events[idx]
        for r, end in enumerate(ends):
            if ev.onset >= end - 1e-9:
                rows[idx] = r
                ends[r] = ev.offset
                break
        else:
            if len(ends) < _MAX_ROWS:
                ends.append(ev.offset)
                rows[idx] = len(ends) - 1
            else:  # too many overlaps: put it on the row that frees up first
                r = min(range(len(ends)), key=lambda j: ends[j])
                rows[idx] = r
                ends[r] = max(ends[r], ev.offset)
    return rows


def _as_ev(e: Any) -> _Ev:
    if isinstance(e, _Ev):
        return e
    on, off, label = e
    return _Ev(float(on), float(off), label)


def timeline_svg(lanes: Sequence[LaneSpec], *, duration: float,
                 label_colours: Mapping[str, tuple[str, str]] | None = None,
                 title: str = "") -> str:
    """An inline ``<svg>``: a time axis in seconds and one lane per :class:`LaneSpec`.

    Each event is one ``<rect class="ev">`` with a ``<title>`` (label and times); markers are one
    ``<rect class="marker ...">`` with a word.  ``label_colours`` colours events by label;
    otherwise each lane has its own colour.
    """
    duration = duration if duration > 0 else 1.0
    plot = _WIDTH - _LEFT - _RIGHT

    def x(t: float) -> float:
        return _LEFT + plot * min(max(t, 0.0), duration) / duration

    body: list[str] = []
    y = 0.0
    lane_boxes = []
    for lane in lanes:
        evs = [_as_ev(e) for e in lane.events] if lane.status == "events" else []
        rows = _pack(evs)
        n_rows = max(1, max(rows) + 1 if rows else 1)
        h = n_rows * _ROW + 2 * _PAD
        lane_boxes.append((lane, evs, rows, y, h))
        y += h
    total_h = y + _AXIS

    # grid and ticks first, so lanes draw over them
    step = _tick_step(duration)
    grid, ticks = [], []
    n_ticks = math.floor(duration / step + 1e-9)
    for j in range(n_ticks + 1):
        t = j * step
        tx = x(t)
        grid.append(f'<line class="grid" x1="{tx:.1f}" y1="0" x2="{tx:.1f}" y2="{y:.1f}"/>')
        ticks.append(f'<line class="tick" x1="{tx:.1f}" y1="{y:.1f}" x2="{tx:.1f}" '
                     f'y2="{y + 5:.1f}"/><text class="tl" x="{tx:.1f}" y="{y + 16:.1f}">'
                     f'{round(t, 6):g}</text>')
    axis = (f'<line class="axis" x1="{_LEFT}" y1="{y:.1f}" x2="{_LEFT + plot}" y2="{y:.1f}"/>'
            + "".join(ticks)
            + f'<text class="unit" x="{_LEFT - 8}" y="{y + 16:.1f}">time (s)</text>')

    for n, (lane, evs, rows, top, h) in enumerate(lane_boxes):
        cls = "lane ref" if lane.is_reference else "lane"
        parts = [f'<g class="{cls}">']
        tip = lane.name + (f"\n{lane.tooltip}" if lane.tooltip else "")
        parts.append(f"<title>{_e(tip)}</title>")
        parts.append(f'<rect class="lanebg{" alt" if n % 2 else ""}" x="0" y="{top:.1f}" '
                     f'width="{_WIDTH}" height="{h:.1f}"/>')
        parts.append(f'<text class="lname" x="{_LEFT - 8}" y="{top + h / 2 + 4:.1f}">'
                     f'{_e(_short(lane.name, 22))}</text>')
        if lane.value:
            parts.append(f'<text class="lval" x="{_LEFT + plot + 8}" y="{top + h / 2 + 4:.1f}">'
                         f'{_e(lane.value)}</text>')
        if lane.status != "events" or not evs:
            status = lane.status if lane.status != "events" else "empty"
            pattern, word = _MARKERS.get(status, _MARKERS["empty"])
            parts.append(f'<rect class="marker {status}" x="{_LEFT}" y="{top + _PAD:.1f}" '
                         f'width="{plot}" height="{h - 2 * _PAD:.1f}" fill="url(#{pattern})">'
                         f"<title>{_e(word)}</title></rect>")
            box_w = min(plot - 4, len(word) * 6.6 + 12)
            parts.append(f'<rect class="mbox" x="{_LEFT + (plot - box_w) / 2:.1f}" '
                         f'y="{top + h / 2 - 7:.1f}" width="{box_w:.1f}" height="14"/>')
            parts.append(f'<text class="mword" x="{_LEFT + plot / 2:.1f}" '
                         f'y="{top + h / 2 + 4:.1f}">{_e(word)}</text>')
        for ev, row in zip(evs, rows, strict=True):
            fill, ink = lane.colour
            if label_colours is not None:
                fill, ink = label_colours.get(ev.label or "", _OTHER_COLOUR)
            x0 = x(ev.onset)
            w = max(x(ev.offset) - x0, 2.0)
            ry = top + _PAD + row * _ROW + 1
            times = f"{ev.onset:.2f}–{ev.offset:.2f} s"
            tip = f"{ev.label} ({times})" if ev.label else times
            parts.append(f'<rect class="ev" x="{x0:.1f}" y="{ry:.1f}" width="{w:.1f}" '
                         f'height="{_ROW - 2}" rx="2" fill="{fill}"><title>{_e(tip)}</title></rect>')
            if ev.label:
                room = int((w - 4) / _CHAR_W)
                if room >= 3:
                    parts.append(f'<text class="evt" x="{x0 + 2:.1f}" y="{ry + _ROW - 6:.1f}" '
                                 f'fill="{ink}">{_e(_short(ev.label, room))}</text>')
        parts.append("</g>")
        body.append("".join(parts))

    label = f' aria-label="{_e(title)}"' if title else ""
    return (f'<svg class="timeline" viewBox="0 0 {_WIDTH} {total_h:.0f}" role="img"{label} '
            f'preserveAspectRatio="xMinYMin meet">'
            + "".join(grid) + "".join(body) + axis + "</svg>")


_DEFS = (
    '<svg class="defs" width="0" height="0" aria-hidden="true" focusable="false"><defs>'
    '<pattern id="hatch-none" width="8" height="8" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="8" height="8" fill="#f4f4f4"/>'
    '<line x1="0" y1="0" x2="0" y2="8" stroke="#9a9a9a" stroke-width="2"/></pattern>'
    '<pattern id="hatch-fail" width="8" height="8" patternUnits="userSpaceOnUse">'
    '<rect width="8" height="8" fill="#fbe3d6"/>'
    '<path d="M0,0 L8,8 M8,0 L0,8" stroke="#D55E00" stroke-width="1.2"/></pattern>'
    '<pattern id="hatch-gone" width="6" height="6" patternUnits="userSpaceOnUse">'
    '<rect width="6" height="6" fill="#ffffff"/><circle cx="3" cy="3" r="1" fill="#777"/>'
    '</pattern></defs></svg>'
)


def _swatch(fill: str) -> str:
    """A small SVG colour key (SVG fills print even where CSS backgrounds are dropped)."""
    return (f'<svg class="sw" viewBox="0 0 24 12" width="24" height="12" aria-hidden="true">'
            f'<rect x=".5" y=".5" width="23" height="11" fill="{fill}" stroke="#1a1a1a"/></svg>')


def _legend(label_colours: Mapping[str, tuple[str, str]] | None,
            lane_colours: Sequence[tuple[str, tuple[str, str]]]) -> str:
    keys: list[tuple[str, str]] = []
    if label_colours:
        keys += [(fill, label) for label, (fill, _) in label_colours.items()]
        keys.append((_OTHER_COLOUR[0], "other label"))
    else:
        keys += [(fill, name) for name, (fill, _) in lane_colours]
    keys += [("url(#hatch-none)", "no events / absent"),
             ("url(#hatch-fail)", "parse failed / missing / error"),
             ("url(#hatch-gone)", "data file missing")]
    return ('<p class="legend">' + "".join(f'<span class="key">{_swatch(fill)}{_e(text)}</span>'
                                           for fill, text in keys) + "</p>")
