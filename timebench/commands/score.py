"""``timebench score``: score a predictions file produced elsewhere."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError
from ._common import parse_metric_args


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--task", required=True, help="task name (see `timebench tasks`)")
    p.add_argument("--references", "--refs", help="references file (JSONL/JSON, or DCASE TSV for sed); "
                   "default: the task's own data source (the bundled mini benchmark)")
    p.add_argument("--predictions", "--preds", required=True,
                   help="predictions file (JSONL/JSON with text or events, or DCASE TSV)")
    p.add_argument("--output", "-o", help="write the metrics JSON here (atomically)")
    p.add_argument("--per-sample", help="write one JSON line per sample (parse outcome and scores)")
    p.add_argument("--parser", help="parser pipeline to use instead of the task's")
    p.add_argument("--protocol", help="scoring protocol (default: the task card's; see "
                   "`timebench tasks` and docs/METRICS.md): timebench, lighthouse, spotsound, ...")
    p.add_argument("--metric-arg", action="append", metavar="SUITE.PARAM=VALUE",
                   help="override a metric parameter, e.g. grounding.mode=top1 (repeatable)")
    p.add_argument("--durations", help="DCASE durations TSV (filename<TAB>duration) for TSV references")
    p.add_argument("--include-tasks", action="append", default=[], metavar="DIR",
                   help="extra folder of task cards")
    p.add_argument("--quiet", "-q", action="store_true", help="no table on screen")


def load_references_for(task, path: str | None, *, durations: str | None = None):
    """References from a file, or from the task card's own data source."""
    from ..io import read_references

    if path:
        refs = read_references(path)
        if durations:
            refs = _apply_durations(refs, durations)
        return refs, str(path)
    from ..tasks import load_task_data

    # scoring needs no audio: do not render the bundled benchmark's clips for it
    loaded = load_task_data(task, **({"render": False} if task.data.get("format") == "mini" else {}))
    return list(loaded.references), loaded.source


def _apply_durations(refs, path):
    from dataclasses import replace

    from ..io import read_text_file

    durations: dict[str, float] = {}
    for number, line in enumerate(read_text_file(Path(path)).splitlines(), start=1):
        cells = line.split("\t")
        if not line.strip() or cells[0].strip().lower() == "filename":
            continue
        if len(cells) < 2:
            raise InputError("expected filename<TAB>duration", path=path, line=number)
        try:
            value = float(cells[1])
        except ValueError:
            raise InputError("not a number", path=path, line=number, field="duration") from None
        if not value >= 0 or value == float("inf"):
            raise InputError("duration must be a finite non-negative number", path=path,
                             line=number, field="duration")
        durations[cells[0].strip()] = value
    by_id = {r.id: r for r in refs}
    out = [replace(r, duration=durations.get(r.id, r.duration)) for r in refs]
    for fid, d in durations.items():
        if fid not in by_id:
            from ..types import Reference

            out.append(Reference(id=fid, audio=fid, duration=d))
    return out


def main(args: argparse.Namespace) -> int:
    from ..io import atomic_write_json, read_predictions, write_jsonl
    from ..report.tables import print_table, score_table
    from ..scoring import score
    from ..tasks import get_task

    task = get_task(args.task, extra=args.include_tasks)
    refs, ref_source = load_references_for(task, args.references, durations=args.durations)
    task.check_references(refs, path=ref_source)
    preds = read_predictions(args.predictions)
    report = score(task, refs, preds, parser=args.parser,
                   metric_overrides=parse_metric_args(args.metric_arg),
                   predictions_path=args.predictions, protocol=args.protocol)
    out = report.to_json()
    out["references"] = ref_source
    out["predictions"] = str(args.predictions)
    if args.output:
        atomic_write_json(args.output, out)
    if args.per_sample:
        write_jsonl(args.per_sample, report.per_sample_rows())
    if not args.quiet:
        parsers = ", ".join(f"{k}×{v}" for k, v in sorted(report.parsers.items()))
        caption = (f"n={report.n}  parse failures={report.n_failed} (missing {report.n_missing})  "
                   f"parsers: {parsers}  protocol: {report.protocol}")
        print_table(score_table(f"{task.name} (task version {task.task_version})",
                                report.metrics, caption=caption))
    return 0
