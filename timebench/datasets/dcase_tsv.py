"""Strong-label TSV files for sound event detection: DESED and AudioSet-Strong.

Two headers are recognised (``shared/reference/metric-protocols.md`` 4.6):

* DESED / DCASE: ``filename<TAB>onset<TAB>offset<TAB>event_label`` (read with
  :func:`timebench.io.read_dcase_tsv`); the reference id is the ``filename`` (``Y..._30.000_
  40.000.wav``) and the default ``audio_pattern`` is ``"{id}"``;
* AudioSet-Strong: ``segment_id<TAB>start_time_seconds<TAB>end_time_seconds<TAB>label``
  (``YxlGt805lTA_30000  2.627  7.237  /m/053hz1``, the header of ``audioset_eval_strong.tsv``);
  the id is the ``segment_id`` and the default ``audio_pattern`` is ``"{id}.wav"``.

Options:

* ``durations``: a ``filename<TAB>duration`` table (DESED ``*_durations.tsv``); files listed
  there but absent from the label file are kept as clips without events (they count for false
  alarms), and their durations are used; otherwise durations come from audio headers under the
  root, else stay ``None`` (counted in the notes);
* ``label_map``: AudioSet ``mid -> display name`` (``class_labels_indices.csv`` or
  ``mid_to_display_name.tsv``); labels without an entry are kept as they are and counted;
* ``labels`` of the result is the sorted set of labels that occur (after mapping).

Rows that break their own constraints follow :data:`timebench.datasets.rules.RULES`
(``dcase_tsv``): the DCASE evaluation tools read the TSV as written, so an event past the clip
duration is kept; an inverted event (onset after offset) is dropped.  Each repair is counted in
``issues``; ``on_invalid="error"`` restores the strict checks.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..io import parse_time_cells, read_dcase_tsv, read_text_file
from ..types import Event, Reference
from .audio import audio_duration
from .base import (DEFAULT_DURATION_TOLERANCE, LoadedDataset, default_root, make_reference,
                   normalize_audio_path)
from .rules import DataIssue, check_on_invalid, fit_windows, issue_notes, rule_for
from .tables import read_durations, read_label_map

__all__ = ["load_dcase_tsv", "read_audioset_strong_tsv"]

_AUDIOSET_COLUMNS = ("segment_id", "start_time_seconds", "end_time_seconds", "label")


def _header(path: Path) -> list[str]:
    text = read_text_file(path)
    for raw in text.splitlines():
        if raw.strip():
            return [c.strip().lower() for c in raw.split("\t")]
    return []


def read_audioset_strong_tsv(path: str | Path, *, inverted: list | None = None
                             ) -> dict[str, list[Event]]:
    """Read an AudioSet-Strong TSV (header ``segment_id start_time_seconds end_time_seconds
    label``) into ``segment_id -> events`` in file order (``inverted`` as in
    :func:`timebench.io.read_dcase_tsv`)."""
    p = Path(path)
    spath = str(p)
    text = read_text_file(p)
    out: dict[str, list[Event]] = {}
    columns: list[str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        cells = [c.strip() for c in raw.split("\t")]
        if columns is None:
            columns = [c.lower() for c in cells]
            missing = [c for c in _AUDIOSET_COLUMNS if c not in columns]
            if missing:
                raise InputError(f"header lacks the column(s) {', '.join(missing)}", path=spath,
                                 line=number)
            continue
        if len(cells) < len(columns):
            raise InputError(f"expected {len(columns)} tab-separated fields, got {len(cells)}",
                             path=spath, line=number)
        record = dict(zip(columns, cells))
        seg = record["segment_id"]
        if not seg:
            raise InputError("empty segment_id", path=spath, line=number, field="segment_id")
        values = parse_time_cells([(name, record[name]) for name in
                                   ("start_time_seconds", "end_time_seconds")],
                                  path=spath, line=number, allow_inverted=inverted is not None)
        if not record["label"]:
            raise InputError("empty label", path=spath, line=number, field="label")
        if values[0] > values[1] and inverted is not None:
            inverted.append((number, seg, values[0], values[1]))
            continue
        out.setdefault(seg, []).append(Event(values[0], values[1], record["label"]))
    return out


def load_dcase_tsv(path: str | Path, *, root: str | Path | None = None,
                   durations: str | Path | None = None, label_map: str | Path | None = None,
                   audio_pattern: str | None = None, probe_audio: bool = True,
                   duration_tolerance: float = DEFAULT_DURATION_TOLERANCE,
                   on_invalid: str = "official") -> LoadedDataset:
    """Load a DESED or AudioSet-Strong label TSV as SED references (one per file)."""
    p = Path(path)
    spath = str(p)
    base = default_root(path, root)
    strict = check_on_invalid(on_invalid) == "error"
    rule = rule_for("dcase_tsv")
    issues: list[DataIssue] = []
    inverted: list | None = None if strict else []
    header = _header(p)
    audioset = "segment_id" in header
    table = read_audioset_strong_tsv(p, inverted=inverted) if audioset \
        else read_dcase_tsv(p, inverted=inverted)
    for number, fid, on, off in inverted or ():
        issues.append(DataIssue("inverted", "dropped", f"{spath}:{number}",
                                f"{fid} {on:g}-{off:g}"))
    pattern = audio_pattern or ("{id}.wav" if audioset else "{id}")
    mapping = read_label_map(label_map) if label_map is not None else None
    dur_table = read_durations(durations) if durations is not None else {}
    names = list(table)
    names.extend(n for n in dur_table if n not in table)
    refs: list[Reference] = []
    unmapped: set[str] = set()
    unknown = 0
    clipped = 0
    for fid in names:
        events = table.get(fid, [])
        if mapping is not None:
            mapped = []
            for ev in events:
                name = mapping.get(ev.label or "")
                if name is None:
                    unmapped.add(ev.label or "")
                    mapped.append(ev)
                else:
                    mapped.append(Event(ev.onset, ev.offset, name, ev.score))
            events = mapped
        try:
            audio_raw = pattern.format(id=fid, stem=Path(fid).stem)
        except (KeyError, IndexError, ValueError) as exc:
            raise InputError(f"bad audio_pattern {pattern!r}: {exc}; use {{id}} or {{stem}}",
                             field="audio_pattern") from None
        audio = normalize_audio_path(audio_raw, root=base, path=spath, field="filename")
        duration = dur_table.get(fid)
        if duration is None:
            duration = dur_table.get(Path(fid).name)
        if duration is None and probe_audio and base is not None and (base / audio).is_file():
            duration = audio_duration(base / audio)
        if duration is None:
            unknown += 1
        events, n_clipped = fit_windows(tuple(events), duration, rule, strict=strict,
                                        tolerance=duration_tolerance, path=spath, line=None,
                                        field=f"events of {fid}" if strict else "event",
                                        issues=issues, where=f"{spath} ({fid})")
        clipped += n_clipped
        refs.append(make_reference(id=fid, audio=audio, duration=duration, events=events,
                                   source=spath))
    labels = tuple(sorted({ev.label for r in refs for ev in r.events if ev.label}))
    notes = []
    if unmapped:
        shown = ", ".join(sorted(unmapped)[:5])
        notes.append(f"{len(unmapped)} label(s) not in the label map kept as they are ({shown})")
    if unknown:
        notes.append(f"{unknown} file(s) without a known duration (no durations entry, no audio "
                     "file under the root)")
    if clipped:
        notes.append(f"{clipped} event(s) clipped to the clip duration")
    notes.extend(issue_notes(issues, rule))
    kind = "audioset_strong" if audioset else "dcase_tsv"
    return LoadedDataset(references=tuple(refs), labels=labels, root=base,
                         source=f"{kind}:{spath}", task_kind="sed", notes=tuple(notes),
                         issues=tuple(issues), rule=None if strict else rule.describe())
