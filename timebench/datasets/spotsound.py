"""SpotSound-Bench (HF ``Loie/SpotSound-Bench``): grounding rows with absent-event negatives.

Rows are ``{audio_path, caption, annotations: [[start, end], ...]}`` in a JSON list (JSON Lines
is accepted too); ``shared/reference/metric-protocols.md`` section 1.3.  Rules:

* every row is one sample (400 rows over 387 files: duplicate audio is expected and kept);
* the id is the row's own ``id``/``qid`` when it has one, else ``"<audio stem>#<row index>"``
  (row index counted from 0 in file order), so ids are per row and stable;
* ``annotations: []`` marks an absent-event negative: ``present=False`` and no events; a row
  with windows is ``present=True`` (the public release has no other negative flag [NF]);
* ``duration``: read from the audio file header (``soundfile.info``) when the file is under the
  root, else the row's ``duration`` field, else parsed from the ``<ytid>_<start>_<end>.wav``
  name (``end - start``), else ``None`` (counted in the notes).
* rows that break their own constraints (:mod:`timebench.datasets.rules`, ``spotsound``):
  SpotSound releases no evaluator; as in the reconstructed one, inverted windows are swapped
  and windows past the duration clipped (a window starting after the end is dropped, and a
  positive row left without a window is dropped); every repair is counted in ``issues``.
  ``on_invalid="error"`` restores the strict checks (tolerance ``duration_tolerance``).
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import InputError
from ..io import iter_records, parse_events, parse_number
from ..types import Reference
from .audio import audio_duration
from .base import (DEFAULT_DURATION_TOLERANCE, LoadedDataset, dedupe_ids, default_root,
                   make_reference, normalize_audio_path)
from .rules import DataIssue, check_on_invalid, fit_windows, issue_notes, rule_for, split_inverted

__all__ = ["load_spotsound", "duration_from_name"]

_NAME_RE = re.compile(r"^(?P<ytid>.+)_(?P<start>\d+(?:\.\d+)?)_(?P<end>\d+(?:\.\d+)?)$")


def duration_from_name(name: str) -> float | None:
    """``end - start`` from a ``<ytid>_<start>_<end>.<ext>`` file name, else ``None``."""
    m = _NAME_RE.match(PurePosixPath(name).stem)
    if not m:
        return None
    start, end = float(m.group("start")), float(m.group("end"))
    return end - start if end > start else None


def load_spotsound(path: str | Path, *, root: str | Path | None = None,
                   strip_prefix: str | None = None, basename: bool = False,
                   probe_audio: bool = True,
                   duration_tolerance: float = DEFAULT_DURATION_TOLERANCE,
                   on_invalid: str = "official") -> LoadedDataset:
    """Load SpotSound-Bench rows as grounding references with presence flags."""
    spath = str(path)
    strict = check_on_invalid(on_invalid) == "error"
    rule = rule_for("spotsound")
    issues: list[DataIssue] = []
    base = default_root(path, root)
    refs: list[Reference] = []
    unknown = 0
    clipped = 0
    sources = {"audio file": 0, "row field": 0, "file name": 0}
    for index, (line, row) in enumerate(iter_records(path)):
        audio = normalize_audio_path(row.get("audio_path"), root=base, strip_prefix=strip_prefix,
                                     basename=basename, path=spath, line=line,
                                     field="audio_path")
        caption = row.get("caption")
        if not isinstance(caption, str) or not caption.strip():
            raise InputError("expected a non-empty string", path=spath, line=line,
                             field="caption")
        if "annotations" not in row:
            raise InputError("missing", path=spath, line=line, field="annotations")
        where = f"{spath}:{line}"
        raw = split_inverted(row["annotations"], rule, strict=strict, where=where,
                             field="annotations", issues=issues)
        windows = parse_events(raw, field="annotations", path=spath, line=line)
        had_windows = bool(windows)
        duration = None
        if probe_audio and base is not None and (base / audio).is_file():
            duration = audio_duration(base / audio)
            if duration is not None:
                sources["audio file"] += 1
        if duration is None and row.get("duration") is not None:
            duration = parse_number(row["duration"], field="duration", path=spath, line=line)
            sources["row field"] += 1
        if duration is None:
            duration = duration_from_name(audio)
            if duration is not None:
                sources["file name"] += 1
        if duration is None:
            unknown += 1
        windows, n_clipped = fit_windows(windows, duration, rule, strict=strict,
                                         tolerance=duration_tolerance, path=spath, line=line,
                                         field="annotations", issues=issues)
        clipped += n_clipped
        if had_windows and not windows:
            issues.append(DataIssue("empty_query", "dropped", where,
                                    "no window left inside the clip"))
            continue
        rid = row.get("id", row.get("qid"))
        if rid is None or isinstance(rid, bool) or str(rid) == "":
            rid = f"{PurePosixPath(audio).stem}#{index}"
        extra: dict[str, Any] = {k: v for k, v in row.items()
                                 if k not in ("audio_path", "caption", "annotations", "id", "qid",
                                              "duration")}
        refs.append(make_reference(id=str(rid), audio=audio, duration=duration,
                                   query=caption.strip(), events=windows,
                                   present=bool(windows), extra=extra,
                                   source=f"{spath}:{line}"))
    refs, notes = dedupe_ids(refs)
    used = ", ".join(f"{k}: {v}" for k, v in sources.items() if v)
    if used:
        notes.append(f"durations from {used}")
    if unknown:
        notes.append(f"{unknown} row(s) without a known duration (no audio file under the root, "
                     "no duration field, file name not <ytid>_<start>_<end>)")
    if clipped:
        notes.append(f"{clipped} window(s) clipped to the clip duration")
    notes.extend(issue_notes(issues, rule))
    return LoadedDataset(references=tuple(refs), labels=None, root=base,
                         source=f"spotsound:{spath}", task_kind="spotsound", notes=tuple(notes),
                         issues=tuple(issues), rule=None if strict else rule.describe())
