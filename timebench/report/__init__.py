"""Reports from ``results.json``: rich tables, Markdown leaderboards, a static HTML report."""

from .html import html_report
from .leaderboard import leaderboard_markdown, leaderboard_table, overview_rows, task_metric_rows

__all__ = ["html_report", "leaderboard_markdown", "leaderboard_table", "overview_rows",
           "task_metric_rows"]
