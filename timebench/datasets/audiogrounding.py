"""AudioGrounding v2 (Xu et al., Zenodo 7269161): phrase-level text-to-audio grounding.

The label file is a JSON list of audio items (``shared/reference/metric-protocols.md`` 4.1)::

    {"audiocap_id": 103014, "audio_id": "Y0iJnw8JbAPI.wav", "tokens": ["a", "man", ...],
     "phrases": [{"phrase": "a man speaks", "start_index": 0, "end_index": 2,
                  "segments": [[0.0, 2.5], [6.1, 8.0]]}, ...]}

One query per (audiocap_id, phrase), with id ``f"{audiocap_id}_{start_index}"`` as in the
official evaluation (``python_scripts/training/run_strong.py``).  A segment ``[0, 0]`` means "no
segment" and is skipped.  A phrase left with no segment has no ground truth; the official
evaluation leaves such phrases out (``if fname not in gt_df["filename"].unique(): continue``),
so this loader drops them too and counts them in the notes (``keep_empty=True`` keeps them as
``present=False`` negatives instead).

``phrase`` may be a string or a token list (joined with spaces).  Durations come from a
durations file (``duration.csv`` / TSV with ``audio_id``/``filename`` and ``duration`` columns,
as written by the official ``prepare_duration.py``) or from the audio headers under the root.

Rows that break their own constraints follow :data:`timebench.datasets.rules.RULES`
(``audiogrounding``): segments past the duration are kept as published (the official evaluation
does not clip), inverted segments are dropped, and phrases that share an id are merged into one
query (the official ground-truth table is keyed by that id).  ``on_invalid="error"`` restores the
strict checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io import iter_records, parse_events
from ..types import Event, Reference
from .audio import audio_duration
from .base import (DEFAULT_DURATION_TOLERANCE, LoadedDataset, dedupe_ids, default_root,
                   make_reference, normalize_audio_path)
from .rules import (DataIssue, check_on_invalid, fit_windows, issue_notes, resolve_duplicates,
                    rule_for, split_inverted)
from .tables import read_durations

__all__ = ["load_audiogrounding"]


def _phrase_text(value: Any, *, path: str, line: int, field: str) -> str:
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        value = " ".join(value)
    if not isinstance(value, str) or not value.strip():
        raise InputError("expected a non-empty phrase (string or token list)", path=path,
                         line=line, field=field)
    return value.strip()


def _int_field(obj: dict, key: str, *, path: str, line: int, field: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError("expected an integer", path=path, line=line, field=field)
    return value


def load_audiogrounding(path: str | Path, *, root: str | Path | None = None,
                        durations: str | Path | None = None, probe_audio: bool = True,
                        keep_empty: bool = False, strip_prefix: str | None = None,
                        duration_tolerance: float = DEFAULT_DURATION_TOLERANCE,
                        on_invalid: str = "official") -> LoadedDataset:
    """Load an AudioGrounding v2 label file (``train.json``/``val.json``/``test.json``)."""
    spath = str(path)
    strict = check_on_invalid(on_invalid) == "error"
    rule = rule_for("audiogrounding")
    issues: list[DataIssue] = []
    base = default_root(path, root)
    table = read_durations(durations) if durations is not None else {}
    refs: list[Reference] = []
    dropped = 0
    unknown = 0
    clipped = 0
    for line, item in iter_records(path):
        if "audiocap_id" not in item:
            raise InputError("missing", path=spath, line=line, field="audiocap_id")
        cap_id = item["audiocap_id"]
        if isinstance(cap_id, bool) or not isinstance(cap_id, (int, str)):
            raise InputError("expected an integer or string", path=spath, line=line,
                             field="audiocap_id")
        audio = normalize_audio_path(item.get("audio_id"), root=base, strip_prefix=strip_prefix,
                                     path=spath, line=line, field="audio_id")
        phrases = item.get("phrases")
        if not isinstance(phrases, list):
            raise InputError("expected a list", path=spath, line=line, field="phrases")
        duration = table.get(audio, table.get(Path(audio).name, table.get(Path(audio).stem)))
        if duration is None and probe_audio and base is not None and (base / audio).is_file():
            duration = audio_duration(base / audio)
        tokens = item.get("tokens")
        caption = " ".join(tokens) if isinstance(tokens, list) and all(
            isinstance(t, str) for t in tokens) else None
        for k, phrase in enumerate(phrases):
            f = f"phrases[{k}]"
            if not isinstance(phrase, dict):
                raise InputError("expected an object", path=spath, line=line, field=f)
            text = _phrase_text(phrase.get("phrase"), path=spath, line=line, field=f + ".phrase")
            start_index = _int_field(phrase, "start_index", path=spath, line=line,
                                     field=f + ".start_index")
            where = f"{spath}:{line}"
            raw = split_inverted(phrase.get("segments"), rule, strict=strict, where=where,
                                 field=f + ".segments", issues=issues)
            segments = parse_events(raw, field=f + ".segments", path=spath, line=line)
            events = tuple(Event(e.onset, e.offset) for e in segments
                           if not (e.onset == 0 and e.offset == 0))
            if not events and not keep_empty:
                dropped += 1
                continue
            events, n_clipped = fit_windows(events, duration, rule, strict=strict,
                                            tolerance=duration_tolerance, path=spath, line=line,
                                            field=f + ".segments", issues=issues)
            clipped += n_clipped
            if duration is None:
                unknown += 1
            extra: dict[str, Any] = {"audiocap_id": cap_id, "start_index": start_index,
                                     "end_index": phrase.get("end_index")}
            if caption is not None:
                extra["caption"] = caption
            refs.append(make_reference(id=f"{cap_id}_{start_index}", audio=audio,
                                       duration=duration, query=text, events=events,
                                       present=bool(events) if keep_empty else None,
                                       extra=extra, source=f"{spath}:{line}"))
    if not strict:
        refs = resolve_duplicates(refs, rule, issues)
    refs, notes = dedupe_ids(refs)
    if dropped:
        notes.append(f"{dropped} phrase(s) with no segment (only [0, 0]) left out, as in the "
                     "official evaluation")
    if unknown:
        notes.append(f"{unknown} quer(ies) without a known duration (no durations file entry, "
                     "no audio file under the root)")
    if clipped:
        notes.append(f"{clipped} segment(s) clipped to the clip duration")
    notes.extend(issue_notes(issues, rule))
    return LoadedDataset(references=tuple(refs), labels=None, root=base,
                         source=f"audiogrounding:{spath}", task_kind="tag", notes=tuple(notes),
                         issues=tuple(issues), rule=None if strict else rule.describe())
