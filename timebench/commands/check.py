"""``timebench check``: exit 1 naming each metric that dropped against a baseline.

Exit codes: 0 every metric compared and none dropped; 1 a regression, or anything that cannot
be compared (NaN/null baseline value, empty baseline, another sample set; it fails closed, see
:mod:`timebench.check`); 2 bad input (unreadable or malformed file, a ``--tolerance`` that is
not a finite number >= 0).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--results", required=True, help="results.json of the run to check")
    p.add_argument("--baseline", required=True, help="baseline results.json")
    p.add_argument("--tolerance", type=float, default=0.005,
                   help="allowed absolute drop of a metric (default 0.005)")
    p.add_argument("--mode", choices=["tolerance", "ci"], default="tolerance",
                   help="'ci': also require the value to fall outside the baseline's bootstrap "
                        "interval before calling it a regression")
    p.add_argument("--all", action="store_true", help="list every compared metric, not only drops")


def _constant(name: str) -> float:
    return float("nan")  # NaN/Infinity literals read as an undefined value (check fails closed)


def _load(path: str):
    from ..errors import InputError
    from ..io import read_text_file

    try:
        data = json.loads(read_text_file(Path(path)), parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg}", path=path, line=exc.lineno) from None
    except RecursionError:
        raise InputError("JSON nested too deeply", path=path) from None
    from ..results_schema import check_results_shape

    check_results_shape(data, path)
    return data


def main(args: argparse.Namespace) -> int:
    from rich.console import Console

    from ..check import compare_results
    from ..errors import InputError
    from ..report.tables import print_table, rows_table

    if not math.isfinite(args.tolerance) or args.tolerance < 0:
        raise InputError(f"must be a finite number >= 0, got {args.tolerance!r}",
                         field="--tolerance")
    results, baseline = _load(args.results), _load(args.baseline)
    comparisons, warnings = compare_results(results, baseline, tolerance=args.tolerance,
                                            mode=args.mode)
    console = Console(stderr=True)
    for w in warnings:
        console.print(f"[yellow]warning:[/] {w}")
    bad = [c for c in comparisons if c.regressed]
    shown = comparisons if args.all else bad
    if shown:
        rows = [(c.model, c.task, c.metric, c.baseline, c.value,
                 ("REGRESSION: " if c.regressed else "") + c.reason) for c in shown]
        print_table(rows_table("timebench check", ["model", "task", "metric", "baseline", "now",
                                                   "status"], rows, justify_from=3))
    if bad:
        for c in bad:
            kind = "UNCOMPARABLE" if c.reason.startswith("cannot compare") else "REGRESSION"
            print(f"{kind} {c.model}/{c.task}/{c.metric}: {c.reason}")
        return 1
    print(f"ok: {len(comparisons)} metrics compared, none dropped beyond tolerance "
          f"{args.tolerance:g} (mode {args.mode})")
    return 0
