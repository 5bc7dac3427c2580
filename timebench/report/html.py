"""A static, self-contained HTML report: leaderboard tables and per-task timelines.

``timebench leaderboard --html report.html`` writes one file (issue 4, item 4): inline CSS and
inline SVG only -- no JavaScript, no external fonts, images or style sheets, nothing fetched --
so it can be mailed, archived next to a run or printed.  For every suite it shows

* provenance: timebench version, git hash, creation time, seed, bootstrap settings, environment;
* the overview table (models x tasks, primary metric with its 95 % bootstrap interval);
* per task the leaderboard metrics with intervals, ``n`` and the parse-failure rate, and, for a
  few sample clips, a timeline: one lane for the reference and one per model, events drawn as
  rectangles on a time axis in seconds, captions / labels as SVG ``<title>`` tooltips and as short
  text where there is room.  Absent-event negatives, explicit "absent" answers, failed parses,
  missing predictions and generation errors are drawn as hatched markers with a word, never as
  an empty lane.  QA tasks get a table (question, reference answer, each model's answer).

It reads a run directory as :mod:`timebench.runner` writes it: ``results.json``,
``references/<task>.jsonl`` and ``<model>/<task>/predictions.jsonl`` (raw outputs) and
``scores.jsonl`` (parsed events, failure flags, per-sample metric values), with paths in the
results relative to the run directory.  A missing or unreadable file does not stop the report: it
renders what it can and lists what is missing.

Everything read from files -- queries, captions, labels, model text, even model and task names --
comes from strangers and goes through :func:`html.escape` before it reaches the page; relative
paths in a results file that point outside the run directory are refused.

Clips are chosen deterministically from ``seed``: one absent-event negative and one sample that
some model failed to parse when there are any, the rest spread evenly over the samples ranked by
their mean per-sample value (the task's primary metric when stored per sample, else IoU,
correctness or per-clip event F1), so good and bad cases both appear.  Ties are broken by a
seeded hash of the sample id.

Palette: Okabe & Ito (2008), "Color Universal Design", the usual colour-blind-safe set of eight;
every marker also carries a word and a hatch, so the page stays readable in grey-scale print.
"""

from __future__ import annotations

import json
import hashlib
import html
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .. import __version__
from ..errors import TimebenchError
from ..results import higher_is_better
from .leaderboard import overview_rows, task_metric_rows
from .labels import label_mapping_html
from .tables import format_value

__all__ = ["html_report", "choose_clips", "timeline_svg", "LaneSpec", "PALETTE",
           "sample_quality"]

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


def _num(value: Any) -> float | None:
    """A finite float, or None (bools and strings from hostile files are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "…"


def _seeded_key(seed: int, task: str, sample_id: str) -> str:
    return hashlib.sha256(f"{seed}:{task}:{sample_id}".encode("utf-8")).hexdigest()


# -- reading a run directory ------------------------------------------------------------------------

def _same_run(folder: Path, results: Mapping[str, Any]) -> bool:
    """Whether ``folder/results.json`` is the run these results are a copy of (same creation
    time and the same sample sets): a ``run_dir`` elsewhere is trusted only then."""
    try:
        own = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(own, dict) or own.get("created") != results.get("created"):
        return False
    hashes = lambda r: {t: (i or {}).get("samples_hash") for t, i in (r.get("tasks") or {}).items()  # noqa: E731
                        if isinstance(i, dict)} if isinstance(r.get("tasks"), dict) else None
    return hashes(own) == hashes(results)


@dataclass
class _RunFiles:
    """Resolves paths relative to a run directory and remembers what could not be read."""

    bases: list[Path]
    missing: list[str] = field(default_factory=list)

    @classmethod
    def for_results(cls, results_path: Path | str | None, results: Mapping[str, Any]) -> "_RunFiles":
        """The folder holding the results file when it is a run directory (it has
        ``references/``); otherwise (a stored copy, e.g. ``leaderboards/results/``) the
        ``run_dir`` recorded in the results, then that folder.  One run directory is used at a
        time, so a file missing from it is reported rather than taken from another run."""
        here = Path(results_path).resolve().parent if results_path is not None else None
        if here is not None and (here / "references").is_dir():
            return cls([here])
        bases: list[Path] = []
        run_dir = results.get("run_dir")
        if isinstance(run_dir, str) and run_dir and "\x00" not in run_dir:
            # `run_dir` comes from the file: it may only point inside the current folder or
            # the folder of the results file (no `~`, no absolute path elsewhere, no link out)
            p = Path(run_dir).resolve()
            trusted = [Path.cwd().resolve()] + ([here] if here is not None else [])
            if p.is_dir() and (p / "references").is_dir() and (
                    any(p.is_relative_to(t) for t in trusted) or _same_run(p, results)):
                bases.append(p)
        if here is not None and here not in bases:
            bases.append(here)
        return cls(bases)

    def _resolve(self, rel: str) -> tuple[Path | None, str | None]:
        if not isinstance(rel, str) or not rel:
            return None, "no path recorded"
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            return None, f"{rel}: refused, the path leaves the run directory"
        from ..safepath import inside

        for base in self.bases:
            try:
                p = inside(base, rel)  # the one check for paths read from results files
            except TimebenchError:
                continue
            if p.is_file():
                return p, None
        where = str(self.bases[0]) if self.bases else "(no run directory)"
        return None, f"{rel}: not found in {where}"

    def records(self, rel: Any, what: str) -> dict[str, dict] | None:
        """``{id: record}`` of a JSONL file, or None (and a note) when it is missing or bad."""
        from ..io import read_records

        path, problem = self._resolve(rel)
        if path is None:
            self.missing.append(f"{what}: {problem}")
            return None
        try:
            rows = read_records(path)
        except TimebenchError as exc:
            self.missing.append(f"{what}: cannot be read ({exc})")
            return None
        out: dict[str, dict] = {}
        for _, row in rows:
            rid = row.get("id")
            if isinstance(rid, (str, int)) and not isinstance(rid, bool):
                out.setdefault(str(rid), row)
        return out


@dataclass(frozen=True)
class _Ev:
    onset: float
    offset: float
    label: str | None


def _events(value: Any) -> list[_Ev]:
    """Events of a file record, leniently: entries without finite times are left out."""
    out = []
    if not isinstance(value, list):
        return out
    for item in value:
        if not isinstance(item, Mapping):
            continue
        on, off = _num(item.get("onset")), _num(item.get("offset"))
        if on is None or off is None:
            continue
        label = item.get("label")
        out.append(_Ev(min(on, off), max(on, off), None if label is None else str(label)))
    return out


# -- per-sample quality and clip choice -------------------------------------------------------------

_QUALITY_KEYS = ("iou", "correct", "presence_correct", "segment_mIoU", "METEOR", "SODA_c",
                 "ROUGE_L", "CIDEr")
_SHORT_NAMES = {"iou": "IoU", "correct": "correct", "presence_correct": "presence",
                "segment_mIoU": "seg mIoU"}


def sample_quality(row: Mapping[str, Any] | None, *, primary: str | None = None
                   ) -> tuple[str, float] | None:
    """``(metric name, value)`` that says how well one sample went, or None.

    The task's primary metric when the scores file stores it per sample, else the first of
    IoU, QA correctness, presence correctness, segment mIoU, METEOR, SODA_c, ROUGE-L, CIDEr, else
    the per-clip event F1 ``2 TP / (N_ref + N_sys)`` (1.0 when both are empty) from the event
    counts that the detection suites store.  Booleans count as 1 / 0.
    """
    if not row:
        return None
    keys = ([primary] if primary else []) + [k for k in _QUALITY_KEYS if k != primary]
    for key in keys:
        value = row.get(key)
        if isinstance(value, bool):
            return key, float(value)
        v = _num(value)
        if v is not None:
            return key, v
    for prefix in ("event", "segment"):
        tp, nref, nsys = (_num(row.get(f"{prefix}_{k}")) for k in ("ntp", "nref", "nsys"))
        if tp is not None and nref is not None and nsys is not None:
            value = 1.0 if nref + nsys == 0 else 2.0 * tp / (nref + nsys)
            return f"{prefix} F1", value
    return None


def _quality_text(q: tuple[str, float] | None) -> str:
    if q is None:
        return ""
    key, value = q
    if key in ("correct", "presence_correct"):
        return f"{_SHORT_NAMES[key]} {'✓' if value >= 0.5 else '✗'}"
    return f"{_SHORT_NAMES.get(key, key)} {value:.2f}"


def choose_clips(ids: Sequence[str], *, k: int, seed: int, task: str,
                 quality: Mapping[str, float | None] | None = None,
                 negatives: Iterable[str] = (), failures: Iterable[str] = ()) -> list[str]:
    """Pick ``k`` sample ids deterministically, mixing good and bad cases.

    One absent-event negative and one sample with a failed parse are taken first when there are
    any (at most ``k // 2`` such picks, in seeded order); the remaining slots are spread evenly
    over the samples ranked by ``quality`` (worst, ..., best), ties and unscored samples ordered
    by a hash of ``seed``, ``task`` and the id.  The result keeps the order of ``ids``.
    """
    if k <= 0 or not ids:
        return []
    quality = quality or {}
    seeded = sorted(dict.fromkeys(ids), key=lambda i: _seeded_key(seed, task, i))
    picked: list[str] = []
    specials = 0
    for group in (set(negatives), set(failures)):
        if specials >= k // 2:
            break
        for i in seeded:
            if i in group and i not in picked:
                picked.append(i)
                specials += 1
                break
    rest = [i for i in seeded if i not in picked]
    scored = sorted((i for i in rest if quality.get(i) is not None),
                    key=lambda i: (quality[i], _seeded_key(seed, task, i)))
    unscored = [i for i in rest if quality.get(i) is None]
    slots = min(k - len(picked), len(rest))
    if slots > 0 and scored:
        m = min(slots, len(scored))
        if m == 1:
            positions = [len(scored) // 2]
        else:
            positions = sorted({round(j * (len(scored) - 1) / (m - 1)) for j in range(m)})
        picked += [scored[p] for p in positions]
    picked += unscored[: max(0, k - len(picked))]
    if len(picked) < min(k, len(seeded)):
        picked += [i for i in seeded if i not in picked][: k - len(picked)]
    order = {i: n for n, i in enumerate(ids)}
    return sorted(picked, key=lambda i: order[i])


# -- the timeline SVG -------------------------------------------------------------------------------

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


# -- one task ---------------------------------------------------------------------------------------

def _is_qa(info: Mapping[str, Any], refs: Mapping[str, dict] | None) -> bool:
    if info.get("kind") == "qa":
        return True
    suites = info.get("metric_suites") or []
    if any(isinstance(s, Mapping) and s.get("suite") == "qa" for s in suites):
        return True
    if refs:
        return all("question" in r and not r.get("events") for r in refs.values())
    return False


def _raw_text(pred: Mapping[str, Any] | None) -> str:
    if not pred:
        return ""
    if pred.get("error"):
        return f"error: {pred['error']}"
    if isinstance(pred.get("text"), str):
        return pred["text"]
    if "answer" in pred:
        return f"answer: {pred['answer']}"
    if "events" in pred:
        return "structured events: " + ", ".join(
            f"{e.onset:g}-{e.offset:g}" + (f" {e.label}" if e.label else "")
            for e in _events(pred.get("events")))
    return ""


def _model_lane(name: str, row: Mapping[str, Any] | None, pred: Mapping[str, Any] | None,
                scores_available: bool, colour, primary: str | None) -> LaneSpec:
    raw = _raw_text(pred)
    tooltip = _short(raw, 400) if raw else ""
    if not scores_available:
        return LaneSpec(name, status="unavailable", tooltip=tooltip, colour=colour,
                        value="no scores")
    if row is None:
        return LaneSpec(name, status="missing", tooltip=tooltip, colour=colour)
    notes = row.get("notes")
    if isinstance(notes, list) and notes:
        tooltip += ("\n" if tooltip else "") + "notes: " + _short("; ".join(map(str, notes)), 300)
    value = _quality_text(sample_quality(row, primary=primary))
    parser = row.get("parser")
    if parser == "missing":
        return LaneSpec(name, status="missing", tooltip=tooltip, value=value, colour=colour)
    if parser == "error":
        return LaneSpec(name, status="error", tooltip=tooltip, value=value, colour=colour)
    if row.get("failed") is True:
        return LaneSpec(name, status="failed", tooltip=tooltip, value=value, colour=colour)
    events = _events(row.get("events"))
    if not events:
        status = "absent" if row.get("absent") is True else "empty"
        return LaneSpec(name, status=status, tooltip=tooltip, value=value, colour=colour)
    return LaneSpec(name, events=events, tooltip=tooltip, value=value, colour=colour)


@dataclass
class _ModelData:
    name: str
    colour: tuple[str, str]
    skipped: str | None = None
    scores: dict[str, dict] | None = None
    preds: dict[str, dict] | None = None


def _task_models(results: Mapping[str, Any], task: str, files: _RunFiles,
                 colours: Mapping[str, tuple[str, str]]) -> list[_ModelData]:
    out = []
    for model, per_task in (results.get("results") or {}).items():
        res = per_task.get(task) if isinstance(per_task, Mapping) else None
        if not isinstance(res, Mapping):
            continue
        data = _ModelData(str(model), colours[model])
        if "skipped" in res:
            data.skipped = str(res["skipped"])
        else:
            data.scores = files.records(res.get("scores"), f"{model} / {task} scores")
            data.preds = files.records(res.get("predictions"), f"{model} / {task} predictions")
        out.append(data)
    return out


def _clip_header(sample_id: str, ref: Mapping[str, Any], quality: float | None) -> str:
    meta = []
    if ref.get("audio") is not None:
        meta.append(_e(ref["audio"]))
    d = _num(ref.get("duration"))
    if d is not None:
        meta.append(f"{d:g} s")
    if quality is not None:
        meta.append(f"mean per-sample score {quality:.2f}")
    out = [f'<h4 class="clipid">{_e(sample_id)} <span class="meta">{" · ".join(meta)}</span></h4>']
    if ref.get("query") is not None:
        badge = ' <span class="badge neg">absent-event negative</span>' \
            if ref.get("present") is False else ""
        out.append(f'<p class="query">query: <q>{_e(ref["query"])}</q>{badge}</p>')
    elif ref.get("present") is False:
        out.append('<p class="query"><span class="badge neg">absent-event negative</span></p>')
    if ref.get("question") is not None:
        out.append(f'<p class="query">question: <q>{_e(ref["question"])}</q></p>')
    return "".join(out)


def _raw_details(models: Sequence[_ModelData], sample_id: str) -> str:
    items = []
    for m in models:
        if m.skipped is not None:
            continue
        pred = (m.preds or {}).get(sample_id)
        if m.preds is None:
            text = "(predictions file missing)"
        elif pred is None:
            text = "(no prediction)"
        else:
            text = _short(_raw_text(pred), 2000) or "(empty)"
        row = (m.scores or {}).get(sample_id) or {}
        notes = row.get("notes") if isinstance(row.get("notes"), list) else []
        note = f'<br><span class="notes">{_e("; ".join(map(str, notes)))}</span>' if notes else ""
        items.append(f"<dt>{_e(m.name)}</dt><dd><code>{_e(text)}</code>{note}</dd>")
    if not items:
        return ""
    return ('<details class="raw"><summary>raw model outputs</summary><dl>'
            + "".join(items) + "</dl></details>")


def _label_colours(info: Mapping[str, Any]
                   ) -> dict[str, tuple[str, str]] | None:
    labels = info.get("labels")
    if not isinstance(labels, list) or not labels:
        return None
    vocab = list(dict.fromkeys(str(x) for x in labels))
    if len(vocab) > len(PALETTE):
        return None
    return {label: (PALETTE[i][1], PALETTE[i][2]) for i, label in enumerate(vocab)}


def _duration(ref: Mapping[str, Any], lanes: Sequence[LaneSpec]) -> float:
    d = _num(ref.get("duration"))
    if d is not None and d > 0:
        return d
    ends = [_as_ev(e).offset for lane in lanes for e in lane.events]
    return max(ends) if ends and max(ends) > 0 else 1.0


def _timeline_section(task: str, info: Mapping[str, Any], refs: Mapping[str, dict] | None,
                      models: Sequence[_ModelData], *, clips: int, seed: int) -> str:
    if refs is None:
        return '<p class="warn">No reference file: timelines cannot be drawn for this task.</p>'
    primary = info.get("primary_metric")
    live = [m for m in models if m.skipped is None]
    quality, failures = _qualities(refs, live, primary)
    negatives = [i for i, r in refs.items() if r.get("present") is False]
    chosen = choose_clips(list(refs), k=clips, seed=seed, task=task, quality=quality,
                          negatives=negatives, failures=failures)
    label_colours = _label_colours(info)
    out = [_legend(label_colours, [("reference", _REFERENCE_COLOUR)]
                   + [(m.name, m.colour) for m in live])]
    for sid in chosen:
        ref = refs[sid]
        ref_events = _events(ref.get("events"))
        if ref.get("present") is False and not ref_events:
            ref_lane = LaneSpec("reference", status="negative", is_reference=True)
        else:
            ref_lane = LaneSpec("reference", events=ref_events, is_reference=True,
                                status="events" if ref_events else "empty",
                                value=f"{len(ref_events)} event{'s' if len(ref_events) != 1 else ''}")
        lanes = [ref_lane]
        for m in live:
            row = (m.scores or {}).get(sid)
            pred = (m.preds or {}).get(sid)
            lanes.append(_model_lane(m.name, row, pred, m.scores is not None, m.colour, primary))
        svg = timeline_svg(lanes, duration=_duration(ref, lanes), label_colours=label_colours,
                           title=f"timeline of {sid}")
        out.append('<figure class="clip">' + _clip_header(sid, ref, quality.get(sid)) + svg
                   + _raw_details(live, sid) + "</figure>")
    if not chosen:
        out.append('<p class="warn">The reference file holds no samples.</p>')
    return "".join(out)


def _qualities(refs: Mapping[str, dict], models: Sequence[_ModelData], primary: str | None
               ) -> tuple[dict[str, float | None], list[str]]:
    """Mean per-sample value per id (over models whose value varies) and ids with a failure.

    A model whose per-sample value is the same on every sample (an oracle, a constant baseline)
    says nothing about which clips are hard, so it is left out of the mean unless every model is
    constant.
    """
    per_model: list[dict[str, float]] = []
    failures = []
    for sid in refs:
        if any(((m.scores or {}).get(sid) or {}).get("failed") is True for m in models):
            failures.append(sid)
    for m in models:
        values = {}
        for sid in refs:
            row = (m.scores or {}).get(sid)
            q = sample_quality(row, primary=primary)
            if q is not None:
                values[sid] = q[1]
            elif row is not None and row.get("failed") is True:
                values[sid] = 0.0   # a failure scores as nothing (CONTRACT.md)
        per_model.append(values)
    varying = [v for v in per_model if len(set(v.values())) > 1] or per_model
    quality: dict[str, float | None] = {}
    for sid in refs:
        vals = [v[sid] for v in varying if sid in v]
        quality[sid] = sum(vals) / len(vals) if vals else None
    return quality, failures


def _fmt_answer(value: Any) -> str:
    """A QA answer for display: numbers with up to 4 significant digits (``1``, ``2.85``)."""
    v = _num(value)
    if v is not None:
        return f"{v:.4g}"
    return format_value(value)


def _qa_answer_cell(m: _ModelData, sid: str) -> str:
    if m.scores is None:
        return '<td class="gone">scores file missing</td>'
    row = m.scores.get(sid)
    raw = _raw_text((m.preds or {}).get(sid))
    tip = f' title="{_e(_short(raw, 400))}"' if raw else ""
    if row is None or row.get("parser") == "missing":
        return f'<td class="fail"{tip}>missing prediction</td>'
    if row.get("parser") == "error":
        return f'<td class="fail"{tip}>generation error</td>'
    if row.get("failed") is True:
        return f'<td class="fail"{tip}>parse failed<br><small>{_e(_short(raw, 80))}</small></td>'
    value = row.get("value")
    correct = row.get("correct")
    mark = "" if not isinstance(correct, bool) else (" ✓" if correct else " ✗")
    cls = "" if not isinstance(correct, bool) else (' class="ok"' if correct else ' class="bad"')
    return f"<td{cls}{tip}>{_e(_fmt_answer(value))}{mark}</td>"


def _qa_section(task: str, info: Mapping[str, Any], refs: Mapping[str, dict] | None,
                models: Sequence[_ModelData], *, clips: int, seed: int) -> str:
    if refs is None:
        return '<p class="warn">No reference file: sample answers cannot be shown for this task.</p>'
    live = [m for m in models if m.skipped is None]
    quality, failures = _qualities(refs, live, info.get("primary_metric"))
    chosen = choose_clips(list(refs), k=clips, seed=seed, task=task, quality=quality,
                          failures=failures)
    head = "".join(f"<th>{_e(m.name)}</th>" for m in live)
    rows = []
    for sid in chosen:
        ref = refs[sid]
        extra = ref.get("extra") if isinstance(ref.get("extra"), Mapping) else {}
        options = extra.get("options")
        opts = ""
        if isinstance(options, list) and options:
            opts = f'<br><small>options: {_e(", ".join(map(str, options)))}</small>'
        qtype = extra.get("qtype")
        qt = f' <span class="badge">{_e(qtype)}</span>' if qtype is not None else ""
        cells = "".join(_qa_answer_cell(m, sid) for m in live)
        rows.append(f'<tr><td class="id">{_e(sid)}</td><td class="q">{_e(ref.get("question", ""))}'
                    f"{qt}{opts}</td><td>{_e(_fmt_answer(ref.get('answer')))}</td>"
                    f"{cells}</tr>")
    return ('<table class="qa"><thead><tr><th>sample</th><th>question</th><th>reference</th>'
            f"{head}</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
            '<p class="hint">Hover an answer for the raw model text; ✓ / ✗ is the scorer\'s verdict.</p>')


# -- tables -----------------------------------------------------------------------------------------

_CI = re.compile(r"^(?P<v>\S+) \[(?P<lo>[^,\]]+), (?P<hi>[^\]]+)\]$")


def _cell_html(text: str, *, best: bool = False) -> str:
    """A table cell from a leaderboard string ``"0.151 [0.107, 0.199]"`` (CI set smaller)."""
    m = _CI.match(text)
    strong = (lambda s: f"<strong>{s}</strong>") if best else (lambda s: s)
    if m:
        return (f'<td class="num">{strong(_e(m["v"]))} '
                f'<span class="ci">[{_e(m["lo"])}, {_e(m["hi"])}]</span></td>')
    cls = "num muted" if text in ("skipped", "—") else "num"
    return f'<td class="{cls}">{strong(_e(text))}</td>'


def _value_with_ci(res: Mapping[str, Any] | None, metric: str) -> str:
    if not isinstance(res, Mapping):
        return "—"
    if "skipped" in res:
        return "skipped"
    value = (res.get("metrics") or {}).get(metric)
    text = format_value(value, digits=3)
    interval = (res.get("ci") or {}).get(metric)
    if (isinstance(interval, list) and len(interval) == 2 and _num(interval[0]) is not None
            and _num(interval[1]) is not None and _num(value) is not None):
        text += f" [{interval[0]:.3f}, {interval[1]:.3f}]"
    return text


def _best(values: Iterable[Any], metric: str) -> float | None:
    finite = [v for v in (_num(x) for x in values) if v is not None]
    if not finite:
        return None
    return max(finite) if higher_is_better(metric) else min(finite)


def _overview_table(results: Mapping[str, Any], prefix: str) -> str:
    tasks = list(results.get("tasks") or {})
    primaries = {t: str((results["tasks"][t] or {}).get("primary_metric") or "mIoU") for t in tasks}
    rows = overview_rows(results)
    best = {t: _best([r[1][j] for r in rows], primaries[t]) for j, t in enumerate(tasks)}
    head = "".join(f'<th><a href="#{_anchor(prefix, t)}">{_e(t)}</a><br>'
                   f'<small>{_e(primaries[t])}</small></th>' for t in tasks)
    body = []
    for model, values, mean, n in rows:
        per_task = results["results"][model]
        cells = "".join(
            _cell_html(_value_with_ci(per_task.get(t), primaries[t]),
                       best=_num(v) is not None and best[t] is not None and _num(v) == best[t])
            for t, v in zip(tasks, values, strict=True))
        body.append(f'<tr><th scope="row">{_e(model)}</th>{cells}'
                    f'<td class="num">{_e(format_value(mean, digits=3))} ({n})</td></tr>')
    return ('<table class="board"><thead><tr><th>model</th>' + head + "<th>mean (tasks)</th>"
            "</tr></thead><tbody>" + "".join(body) + "</tbody></table>"
            '<p class="hint">Primary metric per task with its 95 % bootstrap interval; best value '
            "per task in bold; mean over the tasks a model ran (skipped tasks are not zeros).</p>")


def _task_table(results: Mapping[str, Any], task: str) -> str:
    header, rows = task_metric_rows(results, task)
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for row in rows:
        body.append(f'<tr><th scope="row">{_e(row[0])}</th>'
                    + "".join(_cell_html(str(c)) for c in row[1:]) + "</tr>")
    return ('<table class="board"><thead><tr>' + head + "</tr></thead><tbody>"
            + "".join(body) + "</tbody></table>")


def _anchor(prefix: str, task: str) -> str:
    """An id for a task section: only ``[a-z0-9-]`` from the name, prefixed by the suite's."""
    return f"{prefix}-t-{re.sub(r'[^a-z0-9]+', '-', str(task).lower()).strip('-') or 'task'}"


# -- the page ---------------------------------------------------------------------------------------

_CSS = """
:root { --ink: #1a1a1a; --muted: #666; --rule: #d0d0d0; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; color: var(--ink); margin: 1.5rem auto; max-width: 1200px; padding: 0 1rem;
       line-height: 1.4; -webkit-print-color-adjust: exact; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.3rem; border-bottom: 2px solid var(--ink); padding-bottom: .2rem;
     margin-top: 2rem; }
h3 { font-size: 1.1rem; margin: 1.6rem 0 .4rem; }
h4.clipid { font-size: .95rem; margin: .2rem 0; font-family: ui-monospace, Menlo, Consolas,
            monospace; }
h4 .meta { font-family: system-ui, sans-serif; font-weight: normal; color: var(--muted); }
dl.prov { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem;
          font-size: .85rem; margin: .5rem 0; }
dl.prov dt { color: var(--muted); }
dl.prov dd { margin: 0; font-family: ui-monospace, Menlo, Consolas, monospace;
             overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .85rem; }
th, td { border-bottom: 1px solid var(--rule); padding: .25rem .6rem; text-align: left;
         vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); vertical-align: bottom; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.muted { color: var(--muted); }
.ci { color: var(--muted); font-size: .8em; }
.hint { color: var(--muted); font-size: .8rem; margin: .2rem 0 .8rem; }
.warn { border-left: 4px solid #D55E00; background: #fdf0e8; padding: .4rem .7rem;
        font-size: .85rem; }
.warn ul { margin: .2rem 0 0 1rem; padding: 0; }
.badge { display: inline-block; font-size: .75rem; border: 1px solid var(--ink);
         border-radius: 3px; padding: 0 .3rem; margin-left: .3rem; }
.badge.neg { background: repeating-linear-gradient(45deg, #f4f4f4 0, #f4f4f4 4px, #cfcfcf 4px,
                                                     #cfcfcf 6px); }
figure.clip { margin: 1rem 0 1.4rem; page-break-inside: avoid; break-inside: avoid; }
p.query { margin: .1rem 0 .3rem; font-size: .9rem; }
p.query q { font-style: italic; }
svg.timeline { width: 100%; height: auto; display: block; font-size: 10px; }
svg.defs { position: absolute; width: 0; height: 0; overflow: hidden; }
.lanebg { fill: #ffffff; }
.lanebg.alt { fill: #f7f7f7; }
.lane.ref .lanebg { fill: #eeeeee; }
.grid { stroke: #e2e2e2; stroke-width: 1; }
.axis, .tick { stroke: #333; stroke-width: 1; }
.tl { text-anchor: middle; fill: #333; font-size: 10px; }
.unit { fill: #333; font-size: 10px; text-anchor: end; }
.lname { text-anchor: end; font-size: 11px; fill: #1a1a1a; }
.lane.ref .lname { font-weight: bold; }
.lval { font-size: 10px; fill: #333; }
.ev { stroke: #1a1a1a; stroke-width: .7; }
.evt { font-size: 10px; pointer-events: none; }
.marker { stroke: #777; stroke-width: .7; }
.marker.failed, .marker.missing, .marker.error { stroke: #D55E00; }
.mword { text-anchor: middle; font-size: 11px; fill: #1a1a1a; font-weight: 600;
         pointer-events: none; }
.mbox { fill: #ffffff; opacity: .85; }
.legend { font-size: .8rem; margin: .3rem 0; display: flex; flex-wrap: wrap; gap: .3rem 1rem; }
.key { white-space: nowrap; }
.sw { vertical-align: middle; margin-right: .3em; }
details.raw { font-size: .8rem; margin-top: .2rem; }
details.raw dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem;
                 margin: .3rem 0; }
details.raw dd { margin: 0; overflow-wrap: anywhere; }
details.raw code { white-space: pre-wrap; }
.notes { color: var(--muted); }
table.qa td.q { max-width: 30rem; }
table.qa td.id { font-family: ui-monospace, Menlo, Consolas, monospace; white-space: nowrap; }
table.qa td.ok { background: #e5f3ee; }
table.qa td.bad { background: #fdf0e8; }
table.qa td.fail, table.qa td.gone { font-weight: 600;
  background: repeating-linear-gradient(45deg, #fbe3d6 0, #fbe3d6 4px, #f3c2a6 4px, #f3c2a6 6px); }
nav.toc { font-size: .85rem; }
nav.toc ul { margin: .2rem 0; }
footer { margin-top: 2rem; color: var(--muted); font-size: .8rem; }
@media print {
  body { max-width: none; margin: 0; font-size: 10pt; }
  details.raw { display: none; }
  h2 { break-before: page; }
  h2:first-of-type { break-before: auto; }
  a { color: inherit; text-decoration: none; }
}
"""


def _provenance(name: str, path: Path | str | None, results: Mapping[str, Any]) -> str:
    boot = results.get("bootstrap") if isinstance(results.get("bootstrap"), Mapping) else {}
    env = results.get("environment") if isinstance(results.get("environment"), Mapping) else {}
    items = [
        ("suite", name),
        ("results file", str(path) if path is not None else "(in memory)"),
        ("timebench", results.get("timebench_version", "unknown")),
        ("git hash", results.get("git_hash") or "unknown"),
        ("created", results.get("created", "unknown")),
        ("seed", results.get("seed", "unknown")),
        ("bootstrap", f"{boot.get('iterations', '?')} resamples, confidence "
                      f"{boot.get('confidence', '?')}, seed {boot.get('seed', '?')}"),
    ]
    if env:
        items.append(("environment", ", ".join(f"{k} {v}" for k, v in env.items())))
    if results.get("command"):
        items.append(("command", results["command"]))
    return '<dl class="prov">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>"
                                         for k, v in items) + "</dl>"


def _task_provenance(info: Mapping[str, Any]) -> str:
    parser = info.get("parser")
    if isinstance(parser, Mapping):
        parser = ", ".join(f"{k}: {v}" for k, v in parser.items())
    bits = [f"version <code>{_e(info.get('version', '?'))}</code>",
            f"{_e(info.get('n', '?'))} samples",
            f"samples hash <code>{_e(str(info.get('samples_hash', ''))[:12])}</code>",
            f"parser <code>{_e(parser)}</code>",
            f"prompt <code>{_e(info.get('prompt', '?'))}</code>",
            f"source <code>{_e(info.get('source', '?'))}</code>"]
    return '<p class="hint">' + " · ".join(bits) + "</p>"


def _notes(results: Mapping[str, Any], task: str) -> str:
    items = []
    for model, per_task in (results.get("results") or {}).items():
        res = per_task.get(task) if isinstance(per_task, Mapping) else None
        if not isinstance(res, Mapping):
            continue
        if "skipped" in res:
            items.append(f"<li>{_e(model)}: skipped ({_e(res['skipped'])})</li>")
        for note in res.get("notes") or []:
            items.append(f"<li>{_e(model)}: {_e(note)}</li>")
    return f'<ul class="hint">{"".join(items)}</ul>' if items else ""


def _selection_hint(seed: int, *, qa: bool = False) -> str:
    first = "a failed parse" if qa else "an absent-event negative and a failed parse"
    last = ("" if qa else " The value right of each lane is that model's per-sample score; "
            "hover an event for its label or caption and times, a lane name for the raw output.")
    return (f'<p class="hint">Samples chosen with seed {int(seed)}: {first} when there are any, '
            "the rest spread from worst to best by the mean per-sample score over the models "
            f"(models whose score never varies are left out).{last}</p>")


def _model_colours(results: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    models = list(results.get("results") or {})
    return {m: (PALETTE[i % len(PALETTE)][1], PALETTE[i % len(PALETTE)][2])
            for i, m in enumerate(models)}


def _suite_section(index: int, name: str, path: Path | str | None, results: Mapping[str, Any],
                   *, clips: int, seed: int) -> tuple[str, list[tuple[str, str]]]:
    prefix = f"s{index}"
    files = _RunFiles.for_results(path, results)
    colours = _model_colours(results)
    tasks = list(results.get("tasks") or {})
    parts = []
    toc = []
    for task in tasks:
        info = results["tasks"][task] if isinstance(results["tasks"][task], Mapping) else {}
        anchor = _anchor(prefix, task)
        toc.append((anchor, str(task)))
        refs = files.records(info.get("references") or f"references/{task}.jsonl",
                             f"{task} references")
        models = _task_models(results, task, files, colours)
        section = [f'<section class="task"><h3 id="{anchor}">{_e(task)}</h3>',
                   _task_provenance(info), _task_table(results, task), _notes(results, task),
                   label_mapping_html(results, task)]
        if _is_qa(info, refs):
            section.append("<h4>Sample questions</h4>")
            section.append(_selection_hint(seed, qa=True))
            section.append(_qa_section(task, info, refs, models, clips=clips, seed=seed))
        else:
            section.append("<h4>Sample timelines</h4>")
            section.append(_selection_hint(seed))
            section.append(_timeline_section(task, info, refs, models, clips=clips, seed=seed))
        section.append("</section>")
        parts.append("".join(section))
    missing = ""
    if files.missing:
        missing = ('<div class="warn"><strong>Incomplete run directory</strong>: the report shows '
                   "what it could read; missing or unreadable:<ul>"
                   + "".join(f"<li>{_e(m)}</li>" for m in files.missing) + "</ul></div>")
    head = (f'<section class="suite"><h2 id="s{index}">Suite {_e(name)}</h2>'
            + _provenance(name, path, results) + missing
            + "<h3>Overview</h3>" + _overview_table(results, prefix))
    return head + "".join(parts) + "</section>", toc


def html_report(runs: Mapping[str, tuple[Path, Mapping[str, Any]]], *, clips_per_task: int = 4,
                seed: int = 0, extra_sections: Sequence[str] = ()) -> str:
    """One self-contained HTML page for ``{suite name: (results.json path, results dict)}``.

    The run directory of each results file is the folder that holds it when that folder has a
    ``references/`` subfolder, else the ``run_dir`` recorded in the results (a stored copy under
    ``leaderboards/results/``).  ``clips_per_task`` sample clips are drawn per task,
    chosen deterministically from ``seed`` (see :func:`choose_clips`).  Returns the page as a
    string; the caller writes it (``timebench leaderboard --html``).  ``extra_sections`` are
    ready-made HTML sections appended at the end (e.g. :func:`timebench.report.diff_html.
    diff_section`).
    """
    if clips_per_task < 0:
        raise ValueError("clips_per_task must be >= 0")
    sections, toc = [], []
    for i, (name, (path, results)) in enumerate(runs.items()):
        section, tasks = _suite_section(i, str(name), path, results, clips=clips_per_task,
                                        seed=seed)
        sections.append(section)
        links = "".join(f'<li><a href="#{a}">{_e(t)}</a></li>' for a, t in tasks)
        toc.append(f'<li><a href="#s{i}">{_e(name)}</a><ul>{links}</ul></li>')
    if not sections:
        sections.append('<p class="warn">No results were given.</p>')
    generated = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>timebench report</title>"
        f"<style>{_CSS}</style></head><body>{_DEFS}"
        "<header><h1>timebench report</h1>"
        f'<p class="hint">Generated by timebench {_e(__version__)} on {_e(generated)}; clip '
        f"selection seed {int(seed)}, {int(clips_per_task)} clips per task. Times in seconds. "
        "Hover events and lane names for captions, labels and raw model text.</p></header>"
        f'<nav class="toc"><strong>Contents</strong><ul>{"".join(toc)}</ul></nav>'
        + "".join(sections) + "".join(extra_sections)
        + "<footer>Static report: no scripts, no external resources. Palette: Okabe &amp; Ito "
          "colour-blind-safe set; markers are hatched and named so they read in grey-scale."
          "</footer></body></html>\n"
    )
