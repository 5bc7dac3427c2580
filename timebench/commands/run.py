"""``timebench run``: models x tasks (or a leaderboard suite) -> results.json and a table."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--suite", help="leaderboard suite name or YAML file (default: 'default' "
                   "when neither --suite nor --tasks is given)")
    p.add_argument("--tasks", help="comma-separated task names (overrides the suite's)")
    p.add_argument("--models", help="comma-separated adapters, each optionally with settings: "
                   "'oracle,random[seed=1],timeaudio[model_dir=pretrained_model]' "
                   "(overrides the suite's); 'package.module:Class' works too")
    p.add_argument("--out", help="run directory (default: the suite's, or runs/<suite>)")
    p.add_argument("--seed", type=int, help="run seed (default: the suite's, else 0)")
    p.add_argument("--batch-size", type=int, help="samples per adapter call (default: adapter's)")
    p.add_argument("--bootstrap", type=int, help="bootstrap iterations for confidence intervals")
    p.add_argument("--limit", type=int, help="only the first N samples of each task (smoke tests)")
    p.add_argument("--repeats", type=int, default=1, metavar="K",
                   help="decode K times with seeds seed..seed+K-1 (sampled decoding); results "
                        "report the mean, std, min and max over repeats")
    p.add_argument("--protocol", help="scoring protocol for every task (default: the suite's, "
                   "else each task card's), e.g. lighthouse, spotsound, soda-official")
    p.add_argument("--cache-dir", help="cache folder (default: <out>/cache)")
    p.add_argument("--shard-timeout", type=float, default=3600.0,
                   help="rank 0 waits this long for other ranks before doing their leftovers")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--include-tasks", action="append", default=[], metavar="DIR")
    p.add_argument("--data-root", metavar="DIR", help="data root for the public benchmarks "
                   "(default: $TIMEBENCH_DATA_ROOT, the config file, ~/.cache/timebench/data)")
    p.add_argument("--quiet", "-q", action="store_true", help="no leaderboard table at the end")


def main(args: argparse.Namespace) -> int:
    from ..report.leaderboard import leaderboard_table
    from ..report.tables import print_table
    from ..runner import RunOptions, parse_model_list, run, shard_info
    from ..suites import get_suite
    from ..data.root import set_data_root
    from ..tasks import get_task

    _check_args(args)
    set_data_root(args.data_root)
    suite = None
    if args.suite or not args.tasks:
        suite = get_suite(args.suite or "default")
    task_names = [t.strip() for t in args.tasks.split(",") if t.strip()] if args.tasks \
        else list(suite.tasks)
    tasks = [get_task(name, extra=args.include_tasks) for name in task_names]
    if args.models:
        models = parse_model_list(args.models)
    elif suite is not None:
        models = list(suite.models)
    else:
        from ..errors import InputError

        raise InputError("no models: pass --models or --suite", field="--models")
    name = suite.name if suite else None
    out = Path(args.out or (suite.out if suite and suite.out else f"runs/{name or 'adhoc'}"))
    options = RunOptions(
        out_dir=out,
        seed=args.seed if args.seed is not None else (suite.seed if suite else 0),
        batch_size=args.batch_size or (suite.batch_size if suite else None),
        bootstrap=args.bootstrap if args.bootstrap is not None else (suite.bootstrap if suite else 1000),
        limit=args.limit or (suite.limit if suite else None),
        progress=not args.no_progress and sys.stderr.isatty(),
        cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        suite=name, shard_timeout=args.shard_timeout,
        command=shlex.join(["timebench", *sys.argv[1:]]),
        repeats=_repeats(args.repeats),
        protocol=args.protocol, protocols=dict(suite.protocols) if suite else {})
    if args.protocol:
        from ..metrics.protocols import get_protocol

        get_protocol(args.protocol)   # unknown name: one clear line, before any model is loaded
    results = run(tasks, models, options)
    rank, _ = shard_info()
    if rank == 0 and not args.quiet:
        print_table(leaderboard_table(results, title=f"timebench · {name or 'run'} · {out}"))
        for line in repeat_lines(results):
            print(line)
        if suite is not None and suite.published:
            from ..report.published import gap_table

            print_table(gap_table(suite, results))
        print(f"results: {out / 'results.json'}")
    if rank == 0:
        for line in generation_error_lines(results):
            print(f"warning: {line}", file=sys.stderr)
        for line in data_issue_lines(results):
            print(f"note: {line}", file=sys.stderr)
        dead = all_failed(results, out)
        if dead:
            from ..cli import _error

            for model, task, n, cause in dead:
                _error(f"{model} · {task}: all {n} sample(s) failed in the adapter; first cause: "
                       f"{cause}")
            return 1
    return 0


def _check_args(args: argparse.Namespace) -> None:
    """Range checks of the numeric options (exit 2 naming the option, never a silent default)."""
    from ..options import MAX_BATCH, MAX_BOOTSTRAP, MAX_SEED, check_int

    for name, low, high in (("seed", 0, MAX_SEED), ("batch_size", 1, MAX_BATCH),
                            ("bootstrap", 0, MAX_BOOTSTRAP), ("limit", 1, 2 ** 62)):
        value = getattr(args, name)
        if value is not None:
            check_int(value, field="--" + name.replace("_", "-"), low=low, high=high)


def data_issue_lines(results) -> list[str]:
    """One line per task whose official file had rows repaired by the benchmark's rule."""
    lines = []
    for task, info in results.get("tasks", {}).items():
        counts = (info.get("data_issues") or {}).get("counts") or {}
        if counts:
            shown = ", ".join(f"{k} {v}" for k, v in counts.items())
            lines.append(f"{task}: rows repaired by the benchmark's own rule ({shown}); see "
                         "results.json tasks.<task>.data_issues")
    return lines


def _repeats(k: int) -> int:
    if k < 1:
        from ..errors import InputError

        raise InputError(f"must be at least 1, got {k}", field="--repeats")
    return k


def repeat_lines(results) -> list[str]:
    """With --repeats: the primary metric's mean +- std [min, max] over repeats per model/task."""
    lines = []
    for model, per_task in results.get("results", {}).items():
        for task, res in per_task.items():
            rep = res.get("repeats")
            if not rep:
                continue
            primary = results.get("tasks", {}).get(task, {}).get("primary_metric")
            m = rep["metrics"].get(primary)
            if not m or m["mean"] is None:
                continue
            ci = res.get("ci", {}).get(primary)
            ci_text = f"; bootstrap CI of repeat 0 [{ci[0]:.4f}, {ci[1]:.4f}]" if ci else ""
            lines.append(f"{model} · {task} · {primary} over {rep['k']} repeats: mean "
                         f"{m['mean']:.4f} ± {m['std']:.4f} (std), min {m['min']:.4f}, max "
                         f"{m['max']:.4f}{ci_text}")
    return lines


def all_failed(results, out: Path) -> list[tuple[str, str, int, str]]:
    """``(model, task, n, first error)`` for each (model, task) whose every sample failed in the
    adapter (a dead server, out of memory...): such a run exits 1 instead of showing zeros."""
    from ..io import iter_records

    dead = []
    for model, per_task in results.get("results", {}).items():
        for task, res in per_task.items():
            n = res.get("n") or 0
            if not n or (res.get("n_generation_errors") or 0) < n:
                continue
            cause = "unknown (see the predictions file)"
            try:
                for _, row in iter_records(out / res["predictions"]):
                    if row.get("error"):
                        cause = str(row["error"])
                        break
            except Exception:  # noqa: BLE001 - the cause is a courtesy; the exit code is what counts
                pass
            dead.append((model, task, n, cause))
    return dead


def generation_error_lines(results) -> list[str]:
    """One line per (model, task) where the adapter raised on some samples."""
    lines = []
    for model, per_task in results.get("results", {}).items():
        for task, res in per_task.items():
            n_err = res.get("n_generation_errors") or 0
            if n_err:
                lines.append(f"{model} · {task}: {n_err} of {res.get('n')} sample(s) failed in "
                             "the adapter (scored as failures; a rerun retries them)")
    return lines
