"""One line per task for ``timebench tasks``: is its data there, and if not, why."""

from __future__ import annotations

from typing import Any

__all__ = ["task_data_status"]


def task_data_status(task: Any, data_root: str | None = None) -> str:
    """``"ready"``, ``"ready (annotations only: ...)"`` or ``"not ready: <why>"``."""
    spec = dict(task.data)
    if "benchmark" not in spec:
        fmt = spec.get("format")
        return "bundled" if fmt == "mini" else f"format {fmt or '?'}: {spec.get('path', '--references')}"
    from ..errors import UnknownNameError
    from .catalog import benchmark_status, get_benchmark
    from .root import resolve_data_root

    try:
        bench = get_benchmark(spec["benchmark"])
    except UnknownNameError as exc:
        return f"not ready: {exc}"
    root, _ = resolve_data_root(data_root)
    ready, why = benchmark_status(bench, root)
    if not ready:
        return f"not ready: {why}"
    return "ready" if why.startswith("annotations and audio") else f"ready ({why})"
