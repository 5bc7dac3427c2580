"""``replay``: predictions read from a file, so outputs produced elsewhere join the leaderboard.

A system run outside timebench (another harness, an API batch job, a paper's released outputs)
writes contract prediction lines (``id`` plus ``text`` and/or ``events`` / ``present`` /
``answer``, see CONTRACT.md); ``replay`` hands them to the runner as if a model had produced
them, so they go through the same parser, metrics, cache, results and leaderboard code.

Settings:

* ``path``: either one predictions file (JSONL, JSON list or DCASE TSV) whose ids are unique
  across every task of the run, or a folder holding ``<task>.jsonl`` (or ``<task>.json`` /
  ``<task>.tsv``) per task.  Files are validated with :func:`timebench.io.read_predictions`
  (bad lines raise :class:`~timebench.errors.InputError` naming file, line and field).

A request whose id has no line gets ``Generation(error="no prediction in <file>")``: it is
scored as a failure, never skipped.  The sha256 of the file(s) is part of :meth:`config` (hence
of the cache fingerprint), so editing a predictions file invalidates cached outputs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Sequence

from timebench.errors import InputError
from timebench.types import Prediction

from .base import Generation, Request
from .baselines import BaselineAdapter, Setting

__all__ = ["ReplayAdapter", "PREDICTION_SUFFIXES"]

#: File endings looked for in a folder, in this order, for ``<task><suffix>``.
PREDICTION_SUFFIXES = (".jsonl", ".json", ".tsv")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class ReplayAdapter(BaselineAdapter):
    """Replays predictions from a JSONL file (or a folder of ``<task>.jsonl`` files)."""

    name = "replay"
    outputs = frozenset({"text", "events", "presence"})
    sample_rate = None          # never looks at audio
    version = "1"
    settings_spec = {
        "path": Setting(None, str, "a predictions file, or a folder of <task>.jsonl files",
                        lambda v: bool(v.strip()), "must be a non-empty path"),
    }

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        raw = self.opt("path")
        if raw is None:
            raise InputError("adapter 'replay' needs path=<predictions file or folder>",
                             field="path")
        self.path = Path(raw).expanduser()
        if not self.path.exists():
            raise InputError("predictions file or folder not found", path=str(self.path),
                             field="path")
        if self.path.is_dir():
            self._files = {p.name: p for p in sorted(self.path.iterdir())
                           if p.is_file() and p.suffix in PREDICTION_SUFFIXES}
            if not self._files:
                raise InputError(f"folder holds no {'/'.join(PREDICTION_SUFFIXES)} predictions "
                                 f"files", path=str(self.path), field="path")
        else:
            self._files = {self.path.name: self.path}
        # Hash and validate every file now: the fingerprint reflects the content that is
        # replayed, and a bad line fails the run before any model time is spent.
        from timebench.io import read_predictions

        self._hashes = {name: _sha256(p) for name, p in self._files.items()}
        self._loaded: dict[Path, dict[str, Prediction]] = {
            p: {pred.id: pred for pred in read_predictions(p)} for p in self._files.values()}

    def config(self) -> dict[str, Any]:
        out = super().config()
        out["path"] = str(self.path)
        out["sha256"] = dict(sorted(self._hashes.items()))
        return out

    # -- lookup -----------------------------------------------------------------------------------
    def file_for(self, task: str) -> Path | None:
        """The predictions file used for ``task`` (None: a folder without one for it)."""
        if not self.path.is_dir():
            return self.path
        for suffix in PREDICTION_SUFFIXES:
            candidate = self._files.get(f"{task}{suffix}")
            if candidate is not None:
                return candidate
        return None

    def generate(self, requests: Sequence[Request]) -> list[Generation]:
        out = []
        for r in requests:
            path = self.file_for(r.task)
            if path is None:
                names = ", ".join(f"{r.task}{s}" for s in PREDICTION_SUFFIXES)
                out.append(Generation(error=f"no prediction in {self.path} (no file {names})"))
                continue
            pred = self._loaded[path].get(r.id)
            if pred is None:
                out.append(Generation(error=f"no prediction in {path}"))
                continue
            out.append(Generation(text=pred.text, events=pred.events, present=pred.present,
                                  answer=pred.answer, meta={"source": pred.source}))
        return out
