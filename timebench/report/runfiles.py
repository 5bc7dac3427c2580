"""Reading a run directory for the report: paths relative to it (never out of it), JSONL
records by id, and events read leniently from file records.

A run directory is what :mod:`timebench.runner` writes: ``results.json``,
``references/<task>.jsonl``, ``<model>/<task>/predictions.jsonl`` and ``scores.jsonl``.  A
missing or unreadable file is remembered in :attr:`RunFiles.missing` instead of stopping the
report; relative paths in a results file that point outside the run directory are refused.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import TimebenchError
from .timeline import _Ev

def _num(value: Any) -> float | None:
    """A finite float, or None (bools and strings from hostile files are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    v = float(value)
    return v if math.isfinite(v) else None



def _same_run(folder: Path, results: Mapping[str, Any]) -> bool:
    """Whether ``folder/results.json`` is the run these results are a copy of (same creation
    time and the same sample sets): a ``run_dir`` elsewhere is trusted only then."""
    try:
        own = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(own, dict) or own.get("created") != results.get("created"):
        return False
    hashes = lambda r: {t: (i or {}).get("samples_hash") for t, i in (r.get("tasks") or {}).items()  # noqa: E731
                        if isinstance(i, dict)} if isinstance(r.get("tasks"), dict) else None
    return hashes(own) == hashes(results)


@dataclass
class _RunFiles:
    """Resolves paths relative to a run directory and remembers what could not be read."""

    bases: list[Path]
    missing: list[str] = field(default_factory=list)

    @classmethod
    def for_results(cls, results_path: Path | str | None, results: Mapping[str, Any]) -> "_RunFiles":
        """The folder holding the results file when it is a run directory (it has
        ``references/``); otherwise (a stored copy, e.g. ``leaderboards/results/``) the
        ``run_dir`` recorded in the results, then that folder.  One run directory is used at a
        time, so a file missing from it is reported rather than taken from another run."""
        here = Path(results_path).resolve().parent if results_path is not None else None
        if here is not None and (here / "references").is_dir():
            return cls([here])
        bases: list[Path] = []
        run_dir = results.get("run_dir")
        if isinstance(run_dir, str) and run_dir and "\x00" not in run_dir:
            # `run_dir` comes from the file: it may only point inside the current folder or
            # the folder of the results file (no `~`, no absolute path elsewhere, no link out)
            p = Path(run_dir).resolve()
            trusted = [Path.cwd().resolve()] + ([here] if here is not None else [])
            if p.is_dir() and (p / "references").is_dir() and (
                    any(p.is_relative_to(t) for t in trusted) or _same_run(p, results)):
                bases.append(p)
        if here is not None and here not in bases:
            bases.append(here)
        return cls(bases)

    def _resolve(self, rel: str) -> tuple[Path | None, str | None]:
        if not isinstance(rel, str) or not rel:
            return None, "no path recorded"
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            return None, f"{rel}: refused, the path leaves the run directory"
        from ..safepath import inside

        for base in self.bases:
            try:
                p = inside(base, rel)  # the one check for paths read from results files
            except TimebenchError:
                continue
            if p.is_file():
                return p, None
        where = str(self.bases[0]) if self.bases else "(no run directory)"
        return None, f"{rel}: not found in {where}"

    def records(self, rel: Any, what: str) -> dict[str, dict] | None:
        """``{id: record}`` of a JSONL file, or None (and a note) when it is missing or bad."""
        from ..io import read_records

        path, problem = self._resolve(rel)
        if path is None:
            self.missing.append(f"{what}: {problem}")
            return None
        try:
            rows = read_records(path)
        except TimebenchError as exc:
            self.missing.append(f"{what}: cannot be read ({exc})")
            return None
        out: dict[str, dict] = {}
        for _, row in rows:
            rid = row.get("id")
            if isinstance(rid, (str, int)) and not isinstance(rid, bool):
                out.setdefault(str(rid), row)
        return out


def _events(value: Any) -> list[_Ev]:
    """Events of a file record, leniently: entries without finite times are left out."""
    out = []
    if not isinstance(value, list):
        return out
    for item in value:
        if not isinstance(item, Mapping):
            continue
        on, off = _num(item.get("onset")), _num(item.get("offset"))
        if on is None or off is None:
            continue
        label = item.get("label")
        out.append(_Ev(min(on, off), max(on, off), None if label is None else str(label)))
    return out
