"""Lighthouse audio-moment-retrieval JSON Lines: Clotho-Moment, UnAV-100 subset, TUT2017.

One query a line (``shared/reference/metric-protocols.md`` section 4.2)::

    {"qid": 7, "query": "a dog barks", "duration": 60, "vid": "clip_x.12",
     "relevant_windows": [[12.0, 15.5]]}

Clotho-Moment lines also carry ``fg_dB``.  Every line becomes a grounding reference with id
``str(qid)``, ``query``, ``duration`` and the windows as events; other fields go to ``extra``.
Rows that break the file's own constraints follow Lighthouse's evaluation code
(``training/standalone_eval/eval.py``; :data:`timebench.datasets.rules.RULES`): a window past
the stated duration is kept as published (the official UnAV-100-subset release has one, line 84:
``[26.0, 48.0]`` on a 46 s clip), inverted and zero-length windows are dropped, a query left
without a window is dropped, and a repeated ``qid`` keeps its last line.  Every repair is counted
in ``LoadedDataset.issues``.  ``on_invalid="error"`` makes any of these an error instead.

The audio file name comes from ``audio_pattern``, a :meth:`str.format` template with the fields
``{vid}`` (as written) and ``{vid_nodot}`` (``vid`` with every ``.`` removed, as in the
Clotho-Moment WebDataset, whose file names drop the dots).  Presets: ``clotho_moment`` uses
``"{vid_nodot}.wav"``; ``unav100_subset`` and ``tut2017`` use ``"{vid}.wav"``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io import iter_records, parse_events, parse_number
from ..types import Reference
from .base import (DEFAULT_DURATION_TOLERANCE, LoadedDataset, dedupe_ids, default_root,
                   make_reference, normalize_audio_path)
from .rules import (DataIssue, check_on_invalid, fit_windows, issue_notes, resolve_duplicates,
                    rule_for, split_inverted)

__all__ = ["load_lighthouse", "PRESETS", "load_clotho_moment", "load_unav100_subset",
           "load_tut2017"]

PRESETS = {
    "clotho_moment": "{vid_nodot}.wav",
    "unav100_subset": "{vid}.wav",
    "tut2017": "{vid}.wav",
}


def _audio_name(pattern: str, vid: str, *, path: str, line: int) -> str:
    try:
        return pattern.format(vid=vid, vid_nodot=vid.replace(".", ""))
    except (KeyError, IndexError, ValueError) as exc:
        raise InputError(f"bad audio_pattern {pattern!r}: {exc}; use {{vid}} or {{vid_nodot}}",
                         path=path, line=line, field="vid") from None


def load_lighthouse(path: str | Path, *, root: str | Path | None = None,
                    audio_pattern: str = "{vid}.wav", dataset: str | None = None,
                    duration_tolerance: float = DEFAULT_DURATION_TOLERANCE,
                    on_invalid: str = "official") -> LoadedDataset:
    """Load a Lighthouse ``*_release.jsonl`` file (see the module docstring)."""
    spath = str(path)
    base = default_root(path, root)
    strict = check_on_invalid(on_invalid) == "error"
    rule = rule_for(dataset or "lighthouse")
    issues: list[DataIssue] = []
    refs: list[Reference] = []
    clipped = 0
    for line, row in iter_records(path):
        for key in ("qid", "query", "duration", "vid", "relevant_windows"):
            if key not in row:
                raise InputError("missing", path=spath, line=line, field=key)
        qid = row["qid"]
        if isinstance(qid, bool) or not isinstance(qid, (int, str)) or str(qid) == "":
            raise InputError("expected an integer or string", path=spath, line=line, field="qid")
        query = row["query"]
        if not isinstance(query, str) or not query.strip():
            raise InputError("expected a non-empty string", path=spath, line=line, field="query")
        vid = row["vid"]
        if isinstance(vid, bool) or not isinstance(vid, (str, int)):
            raise InputError("expected a string", path=spath, line=line, field="vid")
        duration = parse_number(row["duration"], field="duration", path=spath, line=line)
        where = f"{spath}:{line}"
        raw = split_inverted(row["relevant_windows"], rule, strict=strict, where=where,
                             field="relevant_windows", issues=issues)
        windows = parse_events(raw, field="relevant_windows", path=spath, line=line)
        if strict and not windows:
            raise InputError("a moment-retrieval query needs at least one window",
                             path=spath, line=line, field="relevant_windows")
        windows, n_clipped = fit_windows(windows, duration, rule, strict=strict,
                                         tolerance=duration_tolerance, path=spath, line=line,
                                         field="relevant_windows", issues=issues)
        clipped += n_clipped
        if not windows:
            issues.append(DataIssue("empty_query", "dropped", where,
                                    f"qid {qid!r} has no usable window"))
            continue
        audio = normalize_audio_path(_audio_name(audio_pattern, str(vid), path=spath, line=line),
                                     root=base, path=spath, line=line, field="vid")
        extra: dict[str, Any] = {k: v for k, v in row.items()
                                 if k not in ("qid", "query", "duration", "relevant_windows")}
        if dataset:
            extra["dataset"] = dataset
        refs.append(make_reference(id=str(qid), audio=audio, duration=duration,
                                   query=query.strip(), events=windows, extra=extra,
                                   source=f"{spath}:{line}"))
    if strict:
        _check_unique(refs, spath)
    else:
        refs = resolve_duplicates(refs, rule, issues)
    refs, notes = dedupe_ids(refs)
    if clipped:
        notes.append(f"{clipped} window(s) clipped to the clip duration")
    notes.extend(issue_notes(issues, rule))
    name = dataset or "lighthouse"
    return LoadedDataset(references=tuple(refs), labels=None, root=base,
                         source=f"{name}:{spath}", task_kind="tag", notes=tuple(notes),
                         issues=tuple(issues), rule=None if strict else rule.describe())


def _check_unique(refs: list[Reference], path: str) -> None:
    seen: dict[str, str] = {}
    for ref in refs:
        if ref.id in seen:
            line = (ref.source or "").rsplit(":", 1)[-1]
            raise InputError(f"qid {ref.id!r} repeats {seen[ref.id]}", path=path,
                             line=int(line) if line.isdigit() else None, field="qid")
        seen[ref.id] = ref.source or ""


def _preset(name: str):
    def load(path: str | Path, *, root: str | Path | None = None,
             audio_pattern: str | None = None,
             duration_tolerance: float = DEFAULT_DURATION_TOLERANCE,
             on_invalid: str = "official") -> LoadedDataset:
        return load_lighthouse(path, root=root, audio_pattern=audio_pattern or PRESETS[name],
                               dataset=name, duration_tolerance=duration_tolerance,
                               on_invalid=on_invalid)

    load.__name__ = f"load_{name}"
    load.__doc__ = (f"Lighthouse loader preset for {name} (audio pattern "
                    f"{PRESETS[name]!r}); see :func:`load_lighthouse`.")
    return load


load_clotho_moment = _preset("clotho_moment")
load_unav100_subset = _preset("unav100_subset")
load_tut2017 = _preset("tut2017")
