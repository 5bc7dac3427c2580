"""TACOS (Primus et al., WASPAA 2025): temporally aligned captions of Freesound clips.

``annotations_strong.csv`` is a real CSV (quoted fields, commas inside captions) with the
columns ``filename, onset, offset, text``, one row per captioned region and several rows per
file (``shared/reference/metric-protocols.md`` section 3).  Each file becomes one dense
captioning reference: events labelled with their ``text``, in file order, id = ``filename``
(``"<sound_id>.mp3"``), audio = ``audio_pattern`` (default ``"audio/{filename}"``, the layout of
the official loader ``tacos/datasets/tacos.py``).

Durations: the official loader treats every clip as 30 s; this loader does the same
(``default_duration=30.0``) unless the audio header under the root says otherwise.  The
optional ``metadata.csv`` (indexed by ``filename``; ``subclass``, ``keywords``,
``start_time_s``, ``end_time_s``...) is copied into ``extra`` as strings.

Rows that break their own constraints follow :data:`timebench.datasets.rules.RULES` (``tacos``):
a region past the clip end is clipped (the official loader cuts every clip at 30 s), an inverted
region is dropped; each repair is counted in ``issues``.  ``on_invalid="error"`` restores the
strict checks.

``mode="grounding"`` turns the same file into text-to-audio grounding queries: one query per
(file, caption), the regions with that caption as its windows, id ``"<filename>#<k>"``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io import parse_time_cells
from ..types import Event, Reference
from .audio import audio_duration
from .base import (DEFAULT_DURATION_TOLERANCE, LoadedDataset, default_root, make_reference,
                   normalize_audio_path)
from .rules import DataIssue, check_on_invalid, fit_windows, issue_notes, rule_for
from .tables import read_table

__all__ = ["load_tacos", "TACOS_CLIP_SECONDS"]

#: Clip length the official TACOS loader assumes (``'duration': 30``).
TACOS_CLIP_SECONDS = 30.0

_COLUMNS = ("filename", "onset", "offset", "text")


def _read_metadata(path: str | Path) -> dict[str, dict[str, str]]:
    rows = read_table(path, delimiter=",")
    if not rows:
        return {}
    header = [c.strip() for c in rows[0]]
    if "filename" not in header:
        raise InputError("header lacks the column 'filename'", path=str(path), line=1)
    out = {}
    for row in rows[1:]:
        if not row:
            continue
        record = dict(zip(header, row))
        name = record.pop("filename", "").strip()
        if name:
            out[name] = record
    return out


def load_tacos(path: str | Path, *, root: str | Path | None = None,
               metadata: str | Path | None = None, audio_pattern: str = "audio/{filename}",
               default_duration: float | None = TACOS_CLIP_SECONDS, probe_audio: bool = True,
               duration_tolerance: float = DEFAULT_DURATION_TOLERANCE,
               on_invalid: str = "official", mode: str = "captions") -> LoadedDataset:
    """Load TACOS ``annotations_strong.csv`` as dense-captioning (or grounding) references."""
    spath = str(path)
    strict = check_on_invalid(on_invalid) == "error"
    if mode not in ("captions", "grounding"):
        raise InputError(f"mode must be 'captions' or 'grounding', got {mode!r}", field="mode")
    rule = rule_for("tacos")
    issues: list[DataIssue] = []
    base = default_root(path, root)
    rows = read_table(path, delimiter=",")
    if not rows:
        raise InputError("empty file", path=spath)
    header = [c.strip().lower() for c in rows[0]]
    missing = [c for c in _COLUMNS if c not in header]
    if missing:
        raise InputError(f"header lacks the column(s) {', '.join(missing)}", path=spath, line=1)
    idx = {c: header.index(c) for c in _COLUMNS}
    meta = _read_metadata(metadata) if metadata is not None else {}
    per_file: dict[str, list[tuple[int, Event]]] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not row or not any(c.strip() for c in row):
            continue
        if len(row) < len(header):
            raise InputError(f"expected {len(header)} fields, got {len(row)}", path=spath,
                             line=number)
        name = row[idx["filename"]].strip()
        if not name:
            raise InputError("empty filename", path=spath, line=number, field="filename")
        times = parse_time_cells([(col, row[idx[col]]) for col in ("onset", "offset")],
                                 path=spath, line=number, allow_inverted=not strict)
        if times[0] > times[1]:
            issues.append(DataIssue("inverted", "dropped", f"{spath}:{number}",
                                    f"{name} {times[0]:g}-{times[1]:g}"))
            continue
        text = row[idx["text"]].strip()
        if not text:
            raise InputError("empty caption", path=spath, line=number, field="text")
        per_file.setdefault(name, []).append((number, Event(times[0], times[1], text)))
    refs: list[Reference] = []
    clipped = 0
    probed = 0
    for name, items in per_file.items():
        first_line = items[0][0]
        try:
            audio_raw = audio_pattern.format(filename=name, stem=Path(name).stem)
        except (KeyError, IndexError, ValueError) as exc:
            raise InputError(f"bad audio_pattern {audio_pattern!r}: {exc}; use {{filename}} or "
                             "{stem}", field="audio_pattern") from None
        audio = normalize_audio_path(audio_raw, root=base, path=spath, line=first_line,
                                     field="filename")
        duration = default_duration
        if probe_audio and base is not None and (base / audio).is_file():
            measured = audio_duration(base / audio)
            if measured is not None:
                duration = measured
                probed += 1
        fitted = []
        for line, ev in items:
            kept, n = fit_windows((ev,), duration, rule, strict=strict,
                                  tolerance=duration_tolerance, path=spath, line=line,
                                  field="offset" if strict else "region", issues=issues)
            clipped += n
            fitted.extend(kept)
        events = tuple(fitted)
        extra: dict[str, Any] = {}
        if name in meta:
            extra.update(meta[name])
        if mode == "grounding":
            refs.extend(_queries(name, audio, duration, events, extra, f"{spath}:{first_line}"))
            continue
        refs.append(make_reference(id=name, audio=audio, duration=duration, events=events,
                                   extra=extra, source=f"{spath}:{first_line}"))
    notes = []
    if default_duration is not None and probed < len(refs):
        notes.append(f"{len(refs) - probed} clip(s) assumed {default_duration:g} s long (no audio "
                     "file under the root)")
    if clipped:
        notes.append(f"{clipped} region(s) clipped to the clip duration")
    notes.extend(issue_notes(issues, rule))
    return LoadedDataset(references=tuple(refs), labels=None, root=base,
                         source=f"tacos:{spath}", task_kind="tag" if mode == "grounding" else "dac",
                         notes=tuple(notes), issues=tuple(issues),
                         rule=None if strict else rule.describe())


def _queries(name: str, audio: str, duration: float | None, events, extra, source: str
             ) -> list[Reference]:
    """One grounding query per distinct caption of a file (its regions are the windows)."""
    by_text: dict[str, list[Event]] = {}
    for ev in events:
        by_text.setdefault(ev.label or "", []).append(Event(ev.onset, ev.offset))
    return [make_reference(id=f"{name}#{k}", audio=audio, duration=duration, query=text,
                           events=tuple(wins), extra=dict(extra), source=source)
            for k, (text, wins) in enumerate(by_text.items())]
