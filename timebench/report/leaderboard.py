"""Leaderboards from ``results.json`` files: a rich table and Markdown.

The overview ranks models by the mean of their primary metrics over the tasks they ran (primary
metrics are fractions where higher is better; a task a model skipped counts as missing, not as
zero, and the number of tasks is shown).  Per-task tables show every leaderboard metric of the
task card with its bootstrap interval, the sample count and the parse-failure rate.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

from ..results import higher_is_better
from .tables import format_value

__all__ = ["overview_rows", "leaderboard_table", "leaderboard_markdown", "task_metric_rows",
           "md_text", "md_code"]


def _primary(results: Mapping[str, Any], task: str) -> str:
    info = results.get("tasks", {}).get(task, {})
    return info.get("primary_metric") or "mIoU"


def _cell(res: Mapping[str, Any] | None, metric: str, *, ci: bool = True) -> str:
    if not res:
        return "—"
    if "skipped" in res:
        return "skipped"
    value = res.get("metrics", {}).get(metric)
    text = format_value(value, digits=3)
    interval = res.get("ci", {}).get(metric) if ci else None
    if interval and value is not None:
        text += f" [{interval[0]:.3f}, {interval[1]:.3f}]"
    failed = res.get("n_generation_errors") or 0
    if failed:  # samples the adapter raised on (scored as failures): counted where the number is
        text += f" ({failed}/{res.get('n', '?')} failed)"
    return text


def overview_rows(results: Mapping[str, Any]) -> list[tuple[str, list[Any], float, int]]:
    """``(model, [primary value per task], mean, n_tasks)`` sorted best first.

    Models that ran more tasks come first (a mean over fewer tasks is not comparable), then by
    the mean of their primary metrics.
    """
    tasks = list(results.get("tasks", {}))
    rows = []
    for model, per_task in results.get("results", {}).items():
        values = []
        for task in tasks:
            res = per_task.get(task)
            v = None if not res or "skipped" in res else res.get("metrics", {}).get(_primary(results, task))
            values.append(v)
        # the mean is over higher-is-better fractions only (an error in seconds does not average)
        finite = [v for v, t in zip(values, tasks) if higher_is_better(_primary(results, t))
                  and isinstance(v, (int, float)) and math.isfinite(v)]
        mean = sum(finite) / len(finite) if finite else float("nan")
        rows.append((model, values, mean, len(finite)))
    rows.sort(key=lambda r: (-r[3], -(r[2] if math.isfinite(r[2]) else -1.0), r[0]))
    return rows


def leaderboard_table(results: Mapping[str, Any], *, title: str = "timebench leaderboard"):
    """Rich table: one row per model, primary metric per task with its 95 % interval."""
    from rich.table import Table

    tasks = list(results.get("tasks", {}))
    table = Table(title=title, caption="primary metric per task [95% bootstrap CI]; "
                  "mean over the tasks a model ran (models that ran more tasks first)")
    table.add_column("model", style="bold")
    for task in tasks:
        table.add_column(f"{task}\n{_primary(results, task)}", justify="right")
    table.add_column("mean", justify="right", style="bold")
    for model, _, mean, n in overview_rows(results):
        per_task = results["results"][model]
        cells = [_cell(per_task.get(t), _primary(results, t)) for t in tasks]
        table.add_row(model, *cells, f"{format_value(mean, digits=3)} ({n})")
    return table


def task_metric_rows(results: Mapping[str, Any], task: str) -> tuple[list[str], list[list[str]]]:
    info = results.get("tasks", {}).get(task, {})
    metrics = list(info.get("leaderboard_metrics") or [_primary(results, task)])
    header = ["model", *metrics, "n", "parse failures"]
    rows = []
    for model, per_task in results.get("results", {}).items():
        res = per_task.get(task)
        if not res:
            continue
        if "skipped" in res:
            rows.append([model, *["skipped"] * len(metrics), "—", "—"])
            continue
        rows.append([model, *[_cell(res, m) for m in metrics], str(res.get("n", "—")),
                     format_value(res.get("parse_failure_rate"), digits=3)])
    primary = _primary(results, task)
    sign = 1.0 if higher_is_better(primary) else -1.0

    def key(row):
        value = results["results"][row[0]].get(task, {}).get("metrics", {}).get(primary)
        ok = isinstance(value, (int, float)) and math.isfinite(value)
        return (not ok, -sign * value if ok else 0.0, row[0])

    rows.sort(key=key)
    return header, rows


def md_text(value: Any) -> str:
    """Text from a results file made safe for one Markdown table cell or heading.

    Names come from untrusted files: newlines would end the table row, ``|`` would add a
    column, raw HTML (``<script>``, ``<img onerror>``) would be rendered by GitHub and
    friends, ``![x](url)`` would load an image from anywhere, and backticks or ``*`` would
    change the formatting.  Control characters are escaped as ``\\xNN``, ``& < >`` become
    entities, ``\\ ` * |`` get a backslash and ``](`` becomes ``]\\(`` (no inline link).
    Intra-word underscores and plain brackets, common in metric names and intervals, are kept.
    """
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in str(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = "".join("\\" + c if c in "\\`*|" else c for c in text)
    return text.replace("](", "]\\(")  # no inline link or image (`![x](https://tracker)`)


def md_code(value: Any) -> str:
    """``value`` as an inline code span when that is safe (printable, no backtick, no ``|``),
    else :func:`md_text` (code spans keep HTML inert, but cannot hold those characters)."""
    text = str(value)
    if text.isprintable() and "`" not in text and "|" not in text and text.strip() == text \
            and text:
        return f"`{text}`"
    return md_text(text)


def _md_table(header: list[str], rows: Iterable[list[str]]) -> str:
    esc = [md_text(h) for h in header]
    lines = ["| " + " | ".join(esc) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(md_text(c) for c in row) + " |")
    return "\n".join(lines)


def leaderboard_markdown(all_results: Mapping[str, Mapping[str, Any]]) -> str:
    """Markdown for several suites' results (``{suite name: results dict}``)."""
    out = ["# timebench leaderboard", "",
           "Generated by `timebench leaderboard --markdown leaderboards/LEADERBOARD.md` from the "
           "stored results in `leaderboards/results/`. Do not edit by hand.", ""]
    for suite, results in all_results.items():
        tasks = list(results.get("tasks", {}))
        out += [f"## Suite {md_code(suite)}", ""]
        header = ["model", *[f"{t} ({_primary(results, t)})" for t in tasks], "mean (tasks)"]
        rows = []
        for model, values, mean, n in overview_rows(results):
            per_task = results["results"][model]
            rows.append([model, *[_cell(per_task.get(t), _primary(results, t), ci=False)
                                  for t in tasks], f"{format_value(mean, digits=3)} ({n})"])
        out += [_md_table(header, rows), ""]
        for task in tasks:
            info = results["tasks"][task]
            boot = results.get("bootstrap") or {}
            out += [f"### {md_text(task)}", "",
                    f"task version {md_code(info.get('version'))}, {md_text(info.get('n'))} "
                    f"samples, samples hash {md_code(str(info.get('samples_hash') or '')[:12])}, "
                    f"parser {md_code(info.get('parser'))}; values with 95% bootstrap "
                    f"intervals ({md_text(boot.get('iterations', '?'))} resamples).", ""]
            header, rows = task_metric_rows(results, task)
            out += [_md_table(header, rows), ""]
        out += [f"timebench {md_text(results.get('timebench_version'))} · git "
                f"{md_code((results.get('git_hash') or 'unknown')[:10])} · seed "
                f"{md_text(results.get('seed'))}", ""]
    return "\n".join(out)
