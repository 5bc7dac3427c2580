"""``timebench diff RUN_A RUN_B``: per-sample differences between two runs of one model."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_a", metavar="RUN_A", help="reference run folder (or its results.json)")
    p.add_argument("run_b", metavar="RUN_B", help="run folder compared against A")
    p.add_argument("--model", help="model name (default: the one model both runs hold); "
                   "'A,B' for differently named models")
    p.add_argument("--tasks", help="comma-separated tasks (default: every task both scored)")
    p.add_argument("--top", type=int, default=10, help="cases shown per task (default 10)")
    p.add_argument("--html", help="also write a self-contained HTML page with the top cases")
    p.add_argument("--json", action="store_true", help="print the diff as one JSON object")


def main(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..io import atomic_write_text, dumps_json
    from ..rundiff import diff_runs
    from ..runs import load_run
    from .compare import split_list

    if args.top < 0:
        raise InputError("must be >= 0", field="--top")
    run_a, run_b = load_run(args.run_a), load_run(args.run_b)
    result = diff_runs(run_a, run_b, model=split_list(args.model), tasks=split_list(args.tasks))
    if args.html:
        from ..report.diff_html import diff_page

        atomic_write_text(args.html, diff_page(result, top=args.top))
    if args.json:
        print(dumps_json(result))
        return 0
    from ..report.diff_terminal import print_diff

    print_diff(result, top=args.top)
    if args.html:
        print(f"wrote {args.html}")
    return 0
