"""Append-only per-sample cache of model outputs (JSON Lines, fsync'd).

Layout::

    <cache_root>/<model fingerprint>/<task>-<task version>.part-<rank>.jsonl

One line per finished sample::

    {"v": 1, "key": "<sample key>", "id": "<sample id>", "generation": {...}, "elapsed": 0.12}

* The sample key hashes everything that can change the model's output for that sample: the
  rendered prompt, the audio path, duration and the reference content (see :func:`sample_key`);
  the file is already specific to the model fingerprint and the task version.
* Lines are appended and ``fsync``'d after every batch, so a killed run loses at most the batch
  in flight.  A torn last line (killed mid-write) is skipped with a warning on load and the
  sample is recomputed; a newline is written before the next append so later lines stay whole.
* A line whose generation carries an ``error`` is kept for the record but the sample is retried
  on resume; a later successful line for the same key wins.
* A line that is valid JSON but not a valid record (wrong types in the generation: ``text`` not
  a string, events that are not finite ``onset <= offset`` numbers, malformed frame scores...)
  is treated like a torn line: skipped with a :class:`CorruptCacheLine` warning, the sample is
  recomputed (:func:`check_generation` lists the rules).
* Each rank of a sharded run writes its own part file, so ranks never interleave writes; loading
  reads every part, so a run can resume with a different number of ranks.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import warnings
from pathlib import Path
from typing import Any, Iterable, Mapping

from .io import dumps_json

__all__ = ["CACHE_VERSION", "sample_key", "ResultCache", "CorruptCacheLine", "check_generation"]

CACHE_VERSION = 1


class CorruptCacheLine(UserWarning):
    """A cache line that could not be read (skipped; the sample is recomputed)."""


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _numbers(x: Any) -> bool:
    return isinstance(x, list) and all(_number(v) or isinstance(v, list) and all(map(_number, v))
                                       for v in x)


def check_generation(gen: Any) -> str | None:
    """Why a cached generation record is unusable (``None`` when it is fine).

    The record is what :func:`timebench.runner.generation_to_record` writes: ``text`` a string,
    ``events`` a list of ``{onset, offset[, label][, score]}`` with finite times, ``onset <=
    offset``, a string label and a finite score; ``present`` a boolean; ``error`` a string;
    ``frame_scores`` ``{times, scores, labels}`` (numbers, numbers or rows of numbers, strings);
    ``meta`` an object.  Every field is optional.
    """
    if not isinstance(gen, dict):
        return "generation is not an object"
    for key, types in (("text", str), ("present", bool), ("error", str), ("meta", dict)):
        if gen.get(key) is not None and not isinstance(gen[key], types):
            return f"'{key}' has the wrong type"
    events = gen.get("events")
    if events is not None:
        if not isinstance(events, list):
            return "'events' is not a list"
        for e in events:
            if not isinstance(e, dict) or not _number(e.get("onset")) \
                    or not _number(e.get("offset")) or e["onset"] > e["offset"]:
                return "an event is not {onset <= offset} with finite times"
            if e.get("label") is not None and not isinstance(e["label"], str):
                return "an event label is not a string"
            if e.get("score") is not None and not _number(e["score"]):
                return "an event score is not a finite number"
    fs = gen.get("frame_scores")
    if fs is not None:
        if not isinstance(fs, dict) or not _numbers(fs.get("times")) \
                or not _numbers(fs.get("scores")) or not isinstance(fs.get("labels"), list) \
                or not all(isinstance(x, str) for x in fs["labels"]):
            return "'frame_scores' is not {times, scores, labels}"
    return None


def sample_key(*, sample_id: str, prompt: str, audio: str | None, duration: float | None,
               reference_hash: str) -> str:
    blob = json.dumps([sample_id, prompt, audio, duration, reference_hash], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


class ResultCache:
    """The cache of one (model fingerprint, task, task version), all ranks."""

    def __init__(self, root: str | os.PathLike, *, model_fingerprint: str, task: str,
                 task_version: str, rank: int = 0):
        self.dir = Path(root) / model_fingerprint
        self.stem = f"{task}-{task_version}"
        self.rank = rank
        self.path = self.dir / f"{self.stem}.part-{rank}.jsonl"
        self.corrupt_lines = 0
        self._warned: set[tuple[str, int]] = set()  # warn once per bad line, however often loaded

    def parts(self) -> list[Path]:
        return sorted(self.dir.glob(f"{self.stem}.part-*.jsonl"))

    def load(self) -> dict[str, dict[str, Any]]:
        """Map sample key -> the newest record (successful records win over errors)."""
        out: dict[str, dict[str, Any]] = {}
        self.corrupt_lines = 0
        for part in self.parts():
            with open(part, "rb") as fh:
                for number, raw in enumerate(fh, start=1):
                    if not raw.strip():
                        continue
                    try:
                        rec = json.loads(raw.decode("utf-8"))
                        if not isinstance(rec, dict) or rec.get("v") != CACHE_VERSION \
                                or not isinstance(rec.get("key"), str) \
                                or not isinstance(rec.get("generation"), dict):
                            raise ValueError("not a cache record")
                        problem = check_generation(rec["generation"])
                        if problem is not None:
                            raise ValueError(problem)
                    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                        self.corrupt_lines += 1
                        why = str(exc)[:80] if isinstance(exc, ValueError) else type(exc).__name__
                        if (str(part), number) not in self._warned:
                            self._warned.add((str(part), number))
                            warnings.warn(f"{part}:{number}: unreadable cache line skipped "
                                          f"({why}); the sample will be recomputed",
                                          CorruptCacheLine, stacklevel=2)
                        continue
                    old = out.get(rec["key"])
                    if old is not None and not old["generation"].get("error") \
                            and rec["generation"].get("error"):
                        continue  # never let a later error hide a finished result
                    out[rec["key"]] = rec
        return out

    def append(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Append records and fsync; starts on a fresh line if the file ends mid-line."""
        lines = [dumps_json({"v": CACHE_VERSION, **rec}, indent=None) + "\n" for rec in records]
        if not lines:
            return
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            with open(self.path, "ab+") as fh:
                fh.seek(0, os.SEEK_END)
                if fh.tell() > 0:
                    fh.seek(-1, os.SEEK_END)
                    if fh.read(1) != b"\n":
                        fh.write(b"\n")  # a torn line from a killed run stays isolated
                fh.write("".join(lines).encode("utf-8"))
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:  # disk full...: name the cache file (fsync errors name none)
            raise OSError(exc.errno, exc.strerror or str(exc), str(self.path)) from exc
