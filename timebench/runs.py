"""Reading a run folder (as :mod:`timebench.runner` writes it) for ``compare`` and ``diff``.

A run folder holds ``results.json``, ``references/<task>.jsonl`` and, per model and task,
``predictions.jsonl`` (raw outputs) and ``scores.jsonl`` (parse outcome, parsed events and
per-sample metric values); the results name those files relative to the folder.  A path that
leaves the folder is refused; a missing file is an input error naming it (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import InputError

__all__ = ["Run", "load_run"]


@dataclass
class Run:
    path: Path                      # the results.json
    root: Path                      # the run folder
    results: dict[str, Any]
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def models(self) -> list[str]:
        return list(self.results.get("results", {}))

    def tasks_of(self, model: str) -> list[str]:
        return [t for t, r in self.results["results"].get(model, {}).items()
                if isinstance(r, dict) and not r.get("skipped")]

    def task_info(self, task: str) -> Mapping[str, Any]:
        return self.results.get("tasks", {}).get(task, {})

    def result(self, model: str, task: str) -> Mapping[str, Any]:
        return self.results["results"].get(model, {}).get(task, {})

    def _file(self, rel: Any, what: str) -> Path:
        if not isinstance(rel, str) or not rel:
            raise InputError(f"no {what} file recorded", path=str(self.path), field=what)
        p = Path(rel)
        if p.is_absolute() or ".." in p.parts:
            raise InputError(f"{rel}: refused, the path leaves the run folder", path=str(self.path),
                             field=what)
        full = (self.root / p).resolve()
        if not full.is_file():
            raise InputError(f"{what} file not found: {full}", path=str(self.path), field=what)
        return full

    def _records(self, rel: Any, what: str) -> dict[str, dict]:
        key = (rel, what)
        if key not in self._cache:
            path = self._file(rel, what)
            out: dict[str, dict] = {}
            for line, row in _read_jsonl(path):
                rid = row.get("id")
                if not isinstance(rid, (str, int)) or isinstance(rid, bool):
                    raise InputError("missing or invalid id", path=str(path), line=line, field="id")
                out[str(rid)] = row
            self._cache[key] = out
        return self._cache[key]

    def scores(self, model: str, task: str) -> dict[str, dict]:
        return self._records(self.result(model, task).get("scores"), f"{model}/{task} scores")

    def predictions(self, model: str, task: str) -> dict[str, dict]:
        return self._records(self.result(model, task).get("predictions"),
                             f"{model}/{task} predictions")

    def references(self, task: str) -> dict[str, dict]:
        rel = self.task_info(task).get("references") or f"references/{task}.jsonl"
        try:
            return self._records(rel, f"{task} references")
        except InputError:
            return {}


def _read_jsonl(path: Path) -> list[tuple[int, dict]]:
    """``(line, object)`` pairs of a JSON Lines file the runner wrote.

    Fast path: every line parsed in one ``json.loads`` call (a run folder holds 100k-line
    files).  Anything unusual -- a syntax error, deep nesting, a non-object line, a JSON list
    file -- falls back to :func:`timebench.io.read_records`, which names the file, line and field.
    """
    import json

    from .io import read_records, read_text_file, split_lines

    lines = split_lines(read_text_file(path))
    try:   # a blank line makes ",," (invalid), so it too takes the careful path
        rows = json.loads("[" + ",".join(lines) + "]", parse_constant=_reject)
        if len(rows) == len(lines) and all(type(r) is dict for r in rows):
            return list(enumerate(rows, 1))
    except (ValueError, RecursionError):
        pass
    return read_records(path)


def _reject(name: str):
    raise ValueError(name)


def load_run(path: str | Path) -> Run:
    """A run folder or its ``results.json``."""
    from .commands.check import _load

    p = Path(path)
    if p.is_dir():
        p = p / "results.json"
    if not p.is_file():
        raise InputError("no results.json here (expected a run folder or its results.json)",
                         path=str(path))
    results = _load(str(p))
    root = p.resolve().parent
    if not (root / "references").is_dir():
        run_dir = results.get("run_dir")
        if isinstance(run_dir, str) and Path(run_dir).expanduser().is_dir():
            root = Path(run_dir).expanduser().resolve()
    return Run(p, root, results)
