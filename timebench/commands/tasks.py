"""``timebench tasks``: list task cards, or show one."""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", help="show this task's card")
    p.add_argument("--include-tasks", action="append", default=[], metavar="DIR")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.add_argument("--data-root", metavar="DIR", help="data root for the public benchmarks "
                   "(default: $TIMEBENCH_DATA_ROOT, the config file, ~/.cache/timebench/data)")


def main(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.syntax import Syntax

    from ..report.tables import print_table, rows_table
    from ..tasks import available_tasks, get_task

    if args.name:
        task = get_task(args.name, extra=args.include_tasks)
        with open(task.path, encoding="utf-8") as fh:
            text = fh.read()
        if not sys.stdout.isatty():  # piped or redirected: the card verbatim, never cropped
            print(f"# {task.name}  version {task.task_version}  ({task.path})")
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            return 0
        console = Console()
        console.print(f"[bold]{task.name}[/]  version {task.task_version}  ({task.path})",
                      soft_wrap=True)
        console.print(Syntax(text, "yaml", word_wrap=True))  # long lines wrap, not cropped
        return 0
    from ..data.status import task_data_status

    rows = []
    for name in available_tasks(args.include_tasks):
        task = get_task(name, extra=args.include_tasks)
        suites = ", ".join(m["suite"] for m in task.metrics)
        rows.append((name, task.kind, task.task_version, task.primary_metric, suites,
                     task_data_status(task, args.data_root)))
    columns = ["task", "kind", "version", "primary", "metric suites", "data"]
    if getattr(args, "json", False):
        import json

        print(json.dumps([dict(zip(columns, r)) for r in rows], indent=2))
        return 0
    print_table(rows_table("timebench tasks", columns, rows, justify_from=99))
    return 0
