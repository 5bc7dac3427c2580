"""Reports from ``results.json``: rich tables, Markdown leaderboards, a static HTML report.

The names below are imported when first used (PEP 562), so that ``timebench score``, which
needs only :mod:`timebench.report.tables`, does not load the HTML report's modules.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["html_report", "leaderboard_markdown", "leaderboard_table", "overview_rows",
           "task_metric_rows"]

_HOMES = {"html_report": ".html", "leaderboard_markdown": ".leaderboard",
          "leaderboard_table": ".leaderboard", "overview_rows": ".leaderboard",
          "task_metric_rows": ".leaderboard"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
