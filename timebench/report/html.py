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

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .. import __version__
from ..results import higher_is_better
from .clips import _quality_text, choose_clips, sample_quality
from .leaderboard import overview_rows, task_metric_rows
from .labels import label_mapping_html
from .runfiles import _events, _num, _RunFiles
from .tables import format_value
from .style import CSS as _CSS
from .timeline import (_DEFS, _REFERENCE_COLOUR, PALETTE, LaneSpec, _as_ev, _e, _legend, _short,
                       timeline_svg)

__all__ = ["html_report", "choose_clips", "timeline_svg", "LaneSpec", "PALETTE",
           "sample_quality"]


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
