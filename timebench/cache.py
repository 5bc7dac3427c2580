"""Append-only per-sample cache of model outputs (JSON Lines, fsync'd).

Layout::

    <cache_root>/<model fingerprint>/<task>-<task version>.part-<rank>.jsonl

One line per finished sample::

    {"v": 2, "key": "<sample key>", "id": "<sample id>", "generation": {...}, "elapsed": 0.12,
     "sum": "<16 hex digits>"}

* The sample key is the one identity of a cached output (issue 15): it hashes *every* input that
  can change it -- the sample id, the rendered prompt, the audio path, duration and reference
  content, the run seed and the per-sample seed, the class vocabulary, the task name and task
  version, the adapter name, its fingerprint and its settings, and the cache format version
  (see :func:`sample_key`).  A rerun with another ``--seed`` or other model settings never
  reuses an output made under the old ones.
* ``sum`` is a checksum of the rest of the line; a line whose sum does not match, or whose
  ``id`` is not the id its key was made for (:meth:`ResultCache.load` with ``expected``), is
  skipped with one :class:`CorruptCacheLine` warning and the sample is recomputed.  Lines of
  an older cache version are skipped too (one warning per file).
* Appends never follow a symbolic link planted in place of a part file (``O_NOFOLLOW``).
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

__all__ = ["CACHE_VERSION", "sample_key", "line_sum", "ResultCache", "CorruptCacheLine",
           "check_generation"]

CACHE_VERSION = 2


class CorruptCacheLine(UserWarning):
    """A cache line that could not be read (skipped; the sample is recomputed)."""


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _numbers(x: Any) -> bool:
    return isinstance(x, list) and all(_number(v) or isinstance(v, list) and all(map(_number, v))
                                       for v in x)


def check_generation(gen: Any) -> str | None:
    """Why a cached generation record is unusable (``None`` when it is fine).

    The record is what :func:`timebench.run_records.generation_to_record` writes: ``text`` a string,
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
               reference_hash: str, run_seed: int | None = None, sample_seed: int | None = None,
               task: str | None = None, task_version: str | None = None,
               labels: Any = None, model: Mapping[str, Any] | None = None) -> str:
    """The cache identity of one output: a hash of every input that can change it."""
    blob = json.dumps({"cache_version": CACHE_VERSION, "id": sample_id, "prompt": prompt,
                       "audio": audio, "duration": duration, "reference": reference_hash,
                       "run_seed": run_seed, "sample_seed": sample_seed, "task": task,
                       "task_version": task_version,
                       "labels": list(labels) if labels is not None else None,
                       "model": dict(model) if model is not None else None},
                      ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def line_sum(rec: Mapping[str, Any]) -> str:
    """Checksum of a cache record without its ``sum`` field (canonical JSON)."""
    body = {k: v for k, v in rec.items() if k != "sum"}
    blob = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


class ResultCache:
    """The cache of one (model fingerprint, task, task version), all ranks."""

    def __init__(self, root: str | os.PathLike, *, model_fingerprint: str, task: str,
                 task_version: str, rank: int = 0):
        from .safepath import write_path

        self.dir = write_path(root, model_fingerprint)
        self.stem = f"{task}-{task_version}"
        self.rank = rank
        self.path = self.dir / f"{self.stem}.part-{rank}.jsonl"
        self.corrupt_lines = 0
        self._warned: set[tuple[str, int]] = set()  # warn once per bad line, however often loaded

    def parts(self) -> list[Path]:
        return sorted(self.dir.glob(f"{self.stem}.part-*.jsonl"))

    def load(self, expected: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
        """Map sample key -> the newest record (successful records win over errors).

        ``expected`` maps the keys a run asks for to their sample ids: a line whose id is not
        the one its key was made for is skipped (warned once) and the sample recomputed.
        """
        out: dict[str, dict[str, Any]] = {}
        self.corrupt_lines = 0
        for part in self.parts():
            old_version = 0
            with open(part, "rb") as fh:
                for number, raw in enumerate(fh, start=1):
                    if not raw.strip():
                        continue
                    try:
                        rec = json.loads(raw.decode("utf-8"))
                        if isinstance(rec, dict) and isinstance(rec.get("v"), int) \
                                and not isinstance(rec.get("v"), bool) \
                                and rec["v"] < CACHE_VERSION:
                            old_version += 1
                            continue
                        if not isinstance(rec, dict) or rec.get("v") != CACHE_VERSION \
                                or not isinstance(rec.get("key"), str) \
                                or not isinstance(rec.get("generation"), dict):
                            raise ValueError("not a cache record")
                        if rec.get("sum") != line_sum(rec):
                            raise ValueError("checksum mismatch")
                        if expected is not None and rec["key"] in expected \
                                and rec.get("id") != expected[rec["key"]]:
                            raise ValueError(f"id {str(rec.get('id'))[:40]!r} does not match "
                                             "its key")
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
            if old_version and (str(part), 0) not in self._warned:
                self._warned.add((str(part), 0))
                warnings.warn(f"{part}: {old_version} line(s) of an older cache version skipped; "
                              "those samples will be recomputed", CorruptCacheLine, stacklevel=2)
        return out

    def append(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Append records and fsync; starts on a fresh line if the file ends mid-line."""
        lines = []
        for rec in records:
            body = json.loads(dumps_json({"v": CACHE_VERSION, **rec}, indent=None))
            body["sum"] = line_sum(body)
            lines.append(dumps_json(body, indent=None) + "\n")
        if not lines:
            return
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o666)
            with os.fdopen(fd, "ab+") as fh:
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
