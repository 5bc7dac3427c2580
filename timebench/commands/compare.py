"""``timebench compare RUN_A RUN_B``: paired differences with intervals and p-values."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_a", metavar="RUN_A", help="run folder (or its results.json): the baseline")
    p.add_argument("run_b", metavar="RUN_B", help="run folder (or its results.json): compared "
                   "against A; differences are B minus A")
    p.add_argument("--models", help="'A,B': model A of RUN_A against model B of RUN_B "
                   "(default: every model present in both runs)")
    p.add_argument("--tasks", help="comma-separated tasks (default: every task both scored)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--markdown", help="also write a Markdown section to this file")
    p.add_argument("--iterations", type=int, default=1000,
                   help="bootstrap resamples and permutation replicates (default 1000)")
    p.add_argument("--confidence", type=float, default=0.95, help="interval level (default 0.95)")
    p.add_argument("--seed", type=int, default=0, help="seed of the resampling (default 0)")
    p.add_argument("--psds-iterations", type=int, default=100,
                   help="replicates for PSDS, which is recomputed per replicate (default 100; "
                        "0 skips PSDS)")
    p.add_argument("--all-metrics", action="store_true",
                   help="every stored metric, not only the primary and leaderboard metrics")


def split_list(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def main(args: argparse.Namespace) -> int:
    from ..compare import COLUMNS, compare_markdown, compare_rows, compare_runs, unshared_lines
    from ..errors import InputError
    from ..io import atomic_write_text, dumps_json
    from ..runs import load_run

    if args.iterations < 1:
        raise InputError("must be at least 1", field="--iterations")
    if not 0.0 < args.confidence < 1.0:
        raise InputError("must be between 0 and 1", field="--confidence")
    result = compare_runs(load_run(args.run_a), load_run(args.run_b),
                          models=split_list(args.models), tasks=split_list(args.tasks),
                          iterations=args.iterations, confidence=args.confidence, seed=args.seed,
                          all_metrics=args.all_metrics, psds_iterations=args.psds_iterations)
    if args.markdown:
        atomic_write_text(args.markdown, compare_markdown(result))
    if args.json:
        print(dumps_json(result))
        return 0
    from rich.markup import escape

    from ..report.tables import print_table, rows_table

    conf = int(round(100 * args.confidence))
    table = rows_table(f"timebench compare · B − A · {conf} % paired bootstrap CI",
                       COLUMNS, [[escape(c) for c in row] for row in compare_rows(result)],
                       caption=escape(result["multiple_comparisons"]["note"]) + " · * primary",
                       justify_from=3)
    print_table(table)
    for line in unshared_lines(result):
        print(line)
    if args.markdown:
        print(f"wrote {args.markdown}")
    return 0
