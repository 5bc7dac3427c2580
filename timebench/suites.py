"""Leaderboard suites: tasks x models x settings, declared in ``leaderboards/<name>.yaml``.

Example (``leaderboards/default.yaml``)::

    name: default
    description: Weight-free baselines on the bundled mini benchmark.
    tasks: [tag, spotsound, sed, dac, tss, tqa]
    models:
      - {name: oracle, adapter: oracle}
      - {name: random, adapter: random}
      - {name: energy, adapter: energy}
    seed: 0
    bootstrap: 1000
    out: runs/default

Suites are read with ``yaml.safe_load``; ``TIMEBENCH_SUITES_PATH`` adds folders.

Optional keys for reproducing a paper (``leaderboards/paper-*.yaml``, docs/REPRODUCING.md):

* ``protocols: {task: protocol}`` -- the scoring protocol of each task (``--protocol`` overrides
  it for every task; otherwise the task card's);
* ``published:`` -- the paper's numbers, each ``{model, task, metric, value, source}`` with
  optional ``scale`` (default 100: the paper prints fractions x100) and ``note``; ``timebench
  run --suite`` prints the gap between them and the run (:mod:`timebench.report.published`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError, UnknownNameError
from .run_spec import ModelSpec

__all__ = ["Suite", "load_suite", "available_suites", "get_suite", "suite_dirs"]

_KEYS = {"name", "description", "tasks", "models", "seed", "bootstrap", "out", "batch_size",
         "limit", "confidence", "protocols", "published"}


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    tasks: tuple[str, ...]
    models: tuple[ModelSpec, ...]
    seed: int = 0
    bootstrap: int = 1000
    confidence: float = 0.95
    out: str | None = None
    batch_size: int | None = None
    limit: int | None = None
    path: str | None = None
    protocols: tuple[tuple[str, str], ...] = ()
    published: tuple[Published, ...] = ()


@dataclass(frozen=True)
class Published:
    """One number a paper reports, to compare a run against."""

    model: str
    task: str
    metric: str
    value: float
    source: str
    scale: float = 100.0
    note: str = ""


def suite_dirs() -> list[Path]:
    dirs = [Path(d) for d in os.environ.get("TIMEBENCH_SUITES_PATH", "").split(os.pathsep) if d]
    source = Path(__file__).resolve().parent.parent / "leaderboards"
    if source.is_dir():
        dirs.append(source)
    else:
        try:
            from importlib.resources import files

            dirs.append(Path(str(files("timebench.leaderboards"))))
        except (ModuleNotFoundError, TypeError):  # pragma: no cover
            pass
    return dirs


def available_suites() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for d in suite_dirs():
        if d.is_dir():
            for p in sorted(d.glob("*.yaml")):
                out.setdefault(p.stem, p)
    return out


def load_suite(path: str | os.PathLike) -> Suite:
    from .io import read_yaml_file

    p = Path(path)
    spath = str(p)
    raw = read_yaml_file(p, missing="suite file not found")
    if not isinstance(raw, dict):
        raise InputError("a suite must be a mapping", path=spath)
    unknown = set(raw) - _KEYS
    if unknown:
        raise InputError(f"unknown key(s) {sorted(unknown)}", path=spath, field=sorted(unknown)[0])
    tasks = raw.get("tasks")
    if not isinstance(tasks, list) or not all(isinstance(t, str) for t in tasks) or not tasks:
        raise InputError("expected a non-empty list of task names", path=spath, field="tasks")
    models = []
    for i, m in enumerate(raw.get("models") or []):
        if isinstance(m, str):
            m = {"name": m, "adapter": m}
        if not isinstance(m, dict) or "adapter" not in m:
            raise InputError("expected {name, adapter, settings?, tasks?}", path=spath,
                             field=f"models[{i}]")
        settings = m.get("settings") or {}
        if not isinstance(settings, dict):
            raise InputError("expected a mapping", path=spath, field=f"models[{i}].settings")
        mt = m.get("tasks")
        if mt is not None and not (isinstance(mt, list) and all(isinstance(t, str) for t in mt)):
            raise InputError("expected a list of task names", path=spath, field=f"models[{i}].tasks")
        models.append(ModelSpec(name=str(m.get("name") or m["adapter"]), adapter=str(m["adapter"]),
                                settings=dict(settings), tasks=tuple(mt) if mt is not None else None))
    if not models:
        raise InputError("a suite needs at least one model", path=spath, field="models")

    def opt_int(key):
        value = raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError("expected an integer", path=spath, field=key)
        return value

    confidence = raw.get("confidence", 0.95)
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) \
            or not 0 < confidence < 1:
        raise InputError("expected a number between 0 and 1", path=spath, field="confidence")
    out = raw.get("out")
    if out is not None and not isinstance(out, str):
        raise InputError("expected a folder path", path=spath, field="out")
    protocols = _protocols(raw.get("protocols"), tasks, spath)
    published = _published(raw.get("published"), tasks, {m.name: m.tasks for m in models}, spath)
    return Suite(name=str(raw.get("name") or p.stem), description=str(raw.get("description", "")),
                 tasks=tuple(tasks), models=tuple(models), seed=opt_int("seed") or 0,
                 bootstrap=1000 if opt_int("bootstrap") is None else opt_int("bootstrap"),
                 confidence=float(confidence), out=out,
                 batch_size=opt_int("batch_size"), limit=opt_int("limit"), path=spath,
                 protocols=protocols, published=published)


def _protocols(raw: Any, tasks: list, spath: str) -> tuple[tuple[str, str], ...]:
    from .metrics.protocols import PROTOCOLS

    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise InputError("expected a mapping task -> protocol", path=spath, field="protocols")
    for task, name in raw.items():
        if task not in tasks:
            raise InputError(f"task '{task}' is not in the suite's tasks", path=spath,
                             field=f"protocols.{task}")
        if not isinstance(name, str) or name not in PROTOCOLS:
            raise InputError(f"unknown protocol {name!r}; known: {', '.join(PROTOCOLS)}",
                             path=spath, field=f"protocols.{task}")
    return tuple((str(k), str(v)) for k, v in raw.items())


def _published(raw: Any, tasks: list, models: dict, spath: str) -> tuple[Published, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InputError("expected a list of {model, task, metric, value, source}", path=spath,
                         field="published")
    out = []
    for i, row in enumerate(raw):
        where = f"published[{i}]"
        if not isinstance(row, dict):
            raise InputError("expected {model, task, metric, value, source}", path=spath, field=where)
        unknown = set(row) - {"model", "task", "metric", "value", "source", "scale", "note"}
        if unknown:
            raise InputError(f"unknown key(s) {sorted(unknown)}", path=spath, field=where)
        for key in ("model", "task", "metric", "source"):
            if not isinstance(row.get(key), str) or not row[key].strip():
                raise InputError("expected a non-empty string", path=spath, field=f"{where}.{key}")
        if row["model"] not in models:
            raise InputError(f"model '{row['model']}' is not one of the suite's models {list(models)}",
                             path=spath, field=f"{where}.model")
        model_tasks = models[row["model"]]
        if row["task"] not in tasks or (model_tasks is not None and row["task"] not in model_tasks):
            raise InputError(f"task '{row['task']}' is not run for model '{row['model']}' in this suite",
                             path=spath, field=f"{where}.task")
        for key, default in (("value", None), ("scale", 100.0)):
            value = row.get(key, default)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
                raise InputError("expected a number", path=spath, field=f"{where}.{key}")
        if not row.get("scale", 100.0) > 0:
            raise InputError("expected a positive number", path=spath, field=f"{where}.scale")
        out.append(Published(model=row["model"], task=row["task"], metric=row["metric"],
                             value=float(row["value"]), source=row["source"].strip(),
                             scale=float(row.get("scale", 100.0)), note=str(row.get("note", ""))))
    return tuple(out)


def get_suite(name: str) -> Suite:
    if name.endswith((".yaml", ".yml")) and Path(name).is_file():
        return load_suite(name)
    suites = available_suites()
    if name not in suites:
        raise UnknownNameError("suite", name, suites)
    return load_suite(suites[name])


def describe(suite: Suite) -> dict[str, Any]:
    return {"name": suite.name, "tasks": list(suite.tasks),
            "models": [m.name for m in suite.models]}
