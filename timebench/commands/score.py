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
    p.add_argument("--label-map", choices=("ontology", "exact"),
                   help="how predicted labels map onto the class vocabulary (default: the task "
                        "card's label_map, else ontology; docs/LABELS.md)")
    p.add_argument("--unmapped", choices=("keep", "fail"),
                   help="a label that maps to no class: keep it as its own class (default) or "
                        "fail with exit 2")
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

    from ..io import MAX_TIME, split_lines

    durations: dict[str, float] = {}
    lines_of: dict[str, int] = {}
    by_id = {r.id: r for r in refs}
    for number, line in enumerate(split_lines(read_text_file(Path(path))), start=1):
        cells = line.split("\t")
        if not line.strip() or cells[0].strip().lower() == "filename":
            continue
        if len(cells) < 2:
            raise InputError("expected filename<TAB>duration", path=path, line=number)
        try:
            value = float(cells[1])
        except ValueError:
            raise InputError("not a number", path=path, line=number, field="duration") from None
        if not value >= 0 or value > MAX_TIME:
            raise InputError(f"duration must be a finite number between 0 and {MAX_TIME:g}",
                             path=path, line=number, field="duration")
        fid = cells[0].strip()
        if fid in durations:
            raise InputError(f"duplicate filename '{fid}' (first on line {lines_of[fid]})",
                             path=path, line=number, field="filename")
        # the durations bound the events: an event that ends after its file's end is a
        # contradiction between the two files, not something to clip silently
        ref = by_id.get(fid)
        late = max((e.offset for e in ref.events), default=0.0) if ref is not None else 0.0
        if late > value + 1e-6:
            raise InputError(f"duration {value:g} is shorter than the reference event ending at "
                             f"{late:g} for '{fid}'", path=path, line=number, field="duration")
        durations[fid] = value
        lines_of[fid] = number
    out = [replace(r, duration=durations.get(r.id, r.duration)) for r in refs]
    for fid, d in durations.items():
        if fid not in by_id:
            from ..types import Reference

            out.append(Reference(id=fid, audio=fid, duration=d))
    return out


def _refuse_overwriting_inputs(args: argparse.Namespace) -> None:
    """``-o``/``--per-sample`` may not name an input file (or each other): exit 2, not data loss."""
    from ..safepath import same_file

    inputs = [("--references", args.references), ("--predictions", args.predictions),
              ("--durations", args.durations)]
    outputs = [("--output", args.output), ("--per-sample", args.per_sample)]
    for oname, out in outputs:
        if not out or not Path(out).exists():
            continue
        for iname, given in inputs:
            if given and same_file(out, given):
                raise InputError(f"is also the {iname} file; refusing to overwrite an input",
                                 path=str(out), field=oname)
    if args.output and args.per_sample and same_file(args.output, args.per_sample):
        raise InputError("--output and --per-sample name the same file", path=str(args.output),
                         field="--per-sample")


def main(args: argparse.Namespace) -> int:
    from ..io import atomic_write_json, read_predictions, write_jsonl
    from ..report.tables import print_table, score_table
    from ..scoring import score
    from ..tasks import get_task

    from ..schema import check_predictions

    _refuse_overwriting_inputs(args)
    task = get_task(args.task, extra=args.include_tasks)
    refs, ref_source = load_references_for(task, args.references, durations=args.durations)
    task.check_references(refs, path=ref_source)
    preds = read_predictions(args.predictions)
    check_predictions(task, refs, preds)
    report = score(task, refs, preds, parser=args.parser,
                   metric_overrides=parse_metric_args(args.metric_arg),
                   predictions_path=args.predictions, protocol=args.protocol,
                   label_map={"protocol": getattr(args, "label_map", None),
                              "unmapped": getattr(args, "unmapped", None)})
    out = report.to_json()
    out["references"] = ref_source
    out["predictions"] = str(args.predictions)
    if args.output:
        atomic_write_json(args.output, out)
    if args.per_sample:
        write_jsonl(args.per_sample, report.per_sample_rows())
    if report.n_text_ignored:
        import sys

        print(f"warning: {report.n_text_ignored} prediction(s) give both 'text' and a structured "
              "field; the structured field was scored and the text ignored (counted as "
              "'n_text_ignored')", file=sys.stderr)
    if not args.quiet:
        parsers = ", ".join(f"{k}×{v}" for k, v in sorted(report.parsers.items()))
        reasons = ", ".join(f"{k} {v}" for k, v in report.parse_failures.items()) or "none"
        caption = (f"n={report.n}  parse failures={report.n_failed} (missing {report.n_missing})  "
                   f"parsers: {parsers}  protocol: {report.protocol}\n"
                   f"parse failures by reason: {reasons}")
        from ..report.labels import label_mapping_line

        print_table(score_table(f"{task.name} (task version {task.task_version})",
                                report.metrics, caption=caption))
        line = label_mapping_line(out.get("label_mapping"))
        if line:
            print(line)
    return 0
