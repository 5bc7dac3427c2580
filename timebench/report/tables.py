"""Rich tables for the terminal (scores and leaderboards)."""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

__all__ = ["format_value", "score_table", "print_table"]


def format_value(value: Any, *, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return f"{value:.{digits}f}"
    return str(value)


def score_table(title: str, metrics: Mapping[str, Any], *, intervals: Mapping[str, Sequence[float]] | None = None,
                caption: str | None = None):
    """A two- (or three-) column table of metric values."""
    from rich.table import Table

    table = Table(title=title, caption=caption, show_lines=False)
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    if intervals:
        table.add_column("95% CI", justify="right")
    for key, value in metrics.items():
        row = [key, format_value(value)]
        if intervals:
            ci = intervals.get(key)
            row.append("—" if not ci else f"[{format_value(ci[0])}, {format_value(ci[1])}]")
        table.add_row(*row)
    return table


def print_table(table, *, stderr: bool = False) -> None:
    """Print to the terminal; in logs (not a terminal) use a wide fixed width, not 80 columns."""
    import sys

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else 160
    Console(stderr=stderr, soft_wrap=False, width=width).print(table)


def rows_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *,
               caption: str | None = None, justify_from: int = 1):
    from rich.table import Table

    table = Table(title=title, caption=caption)
    for i, col in enumerate(columns):
        table.add_column(col, justify="right" if i >= justify_from else "left",
                         style="bold" if i == 0 else None)
    for row in rows:
        table.add_row(*[format_value(v) for v in row])
    return table
