"""Hugging Face ``datasets`` stored locally: ``save_to_disk`` folders and json/jsonl/parquet files.

Needs the optional extra ``hf`` (``pip install 'timebench[hf]'``); ``datasets`` is imported only
when this loader runs.  Nothing is fetched from the Hub: ``path`` must be a local folder written
by ``Dataset.save_to_disk`` / ``DatasetDict.save_to_disk``, or a local ``.json``, ``.jsonl`` or
``.parquet`` file.

Columns map to contract fields with ``columns={"query": "caption", "events": "annotations",
...}``; a field not in the mapping is read from the column of the same name, else from a common
alias (``id``: ``qid``; ``audio``: ``audio_path``, ``path``, ``file``; ``query``: ``caption``;
``events``: ``annotations``, ``relevant_windows``, ``windows``).  Without an id column the row
index is the id.  Values are validated by :func:`timebench.io.reference_from_dict`; error
messages give the 1-based row number as the line.

Audio is never decoded through ``datasets`` (its ``Audio`` feature needs torchcodec, which is
not usable on CPU-only machines, see ``shared/reference/dependencies.md``): rows are read as raw
Arrow values (``with_format("arrow")``), so an ``Audio`` column arrives as ``{"bytes", "path"}``.
A plain string column is a path under the dataset root.  When an ``Audio`` column carries the
file bytes, every row's bytes are written once to ``extract_dir`` (default
``$TIMEBENCH_CACHE/hf_audio``) as ``<sha256 prefix><suffix>`` and that folder becomes the root;
audio is then read with soundfile like any other file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any, Mapping

from ..errors import InputError, MissingDependencyError
from ..io import reference_from_dict
from .audio import audio_duration
from .base import LoadedDataset, cache_root, dedupe_ids, default_root, normalize_audio_path

__all__ = ["load_hf"]

CONTRACT_FIELDS = ("id", "audio", "duration", "query", "question", "events", "present", "answer")
ALIASES = {
    "id": ("id", "qid"),
    "audio": ("audio", "audio_path", "path", "file"),
    "duration": ("duration",),
    "query": ("query", "caption"),
    "question": ("question",),
    "events": ("events", "annotations", "relevant_windows", "windows"),
    "present": ("present",),
    "answer": ("answer",),
}


def _import_datasets():
    try:
        import datasets  # noqa: F401
    except ImportError:
        raise MissingDependencyError("datasets", "hf", "loading Hugging Face datasets") from None
    return datasets


def _open(path: Path, split: str | None):
    datasets = _import_datasets()
    if path.is_dir():
        try:
            obj = datasets.load_from_disk(str(path))
        except FileNotFoundError as exc:
            raise InputError(f"not a folder written by save_to_disk: {exc}",
                             path=str(path)) from None
    elif path.is_file():
        suffix = path.suffix.lower()
        builder = {".json": "json", ".jsonl": "json", ".parquet": "parquet"}.get(suffix)
        if builder is None:
            raise InputError("expected a save_to_disk folder or a .json/.jsonl/.parquet file",
                             path=str(path))
        try:
            obj = datasets.load_dataset(builder, data_files=str(path), split="train")
        except Exception as exc:  # noqa: BLE001 - report any reader failure as bad input
            raise InputError(f"cannot read with datasets ({builder}): {exc}",
                             path=str(path)) from None
    else:
        raise InputError("file not found", path=str(path))
    if isinstance(obj, datasets.DatasetDict):
        if split is None:
            if len(obj) != 1:
                raise InputError(f"the dataset has splits {sorted(obj)}; pass split=...",
                                 path=str(path), field="split")
            split = next(iter(obj))
        if split not in obj:
            raise InputError(f"no split {split!r}; known: {sorted(obj)}", path=str(path),
                             field="split")
        obj = obj[split]
    return obj


def _resolve_columns(names: list[str], columns: Mapping[str, str] | None, *, path: str
                     ) -> dict[str, str]:
    columns = dict(columns or {})
    for key, col in columns.items():
        if key not in CONTRACT_FIELDS:
            raise InputError(f"unknown contract field {key!r} in columns; known: "
                             f"{', '.join(CONTRACT_FIELDS)}", path=path, field="columns")
        if col not in names:
            raise InputError(f"no column {col!r}; columns: {', '.join(names)}", path=path,
                             field="columns")
    out = {}
    for key in CONTRACT_FIELDS:
        if key in columns:
            out[key] = columns[key]
            continue
        for alias in ALIASES[key]:
            if alias in names and alias not in out.values():
                out[key] = alias
                break
    return out


_MAGIC = ((b"RIFF", ".wav"), (b"fLaC", ".flac"), (b"OggS", ".ogg"), (b"ID3", ".mp3"),
          (b"\xff\xfb", ".mp3"), (b"\xff\xf3", ".mp3"), (b"\xff\xf2", ".mp3"))


def _suffix(blob: bytes, name: str | None) -> str:
    if name:
        suffix = PurePosixPath(name).suffix.lower()
        if suffix and len(suffix) <= 6:
            return suffix
    for magic, suffix in _MAGIC:
        if blob.startswith(magic):
            return suffix
    return ".bin"


def _extract(blob: bytes, name: str | None, folder: Path) -> str:
    fname = hashlib.sha256(blob).hexdigest()[:24] + _suffix(blob, name)
    target = folder / fname
    if not target.is_file() or target.stat().st_size != len(blob):
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{fname}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    return fname


def load_hf(path: str | Path, *, root: str | Path | None = None,
            columns: Mapping[str, str] | None = None, split: str | None = None,
            extract_dir: str | Path | None = None, strip_prefix: str | None = None,
            probe_audio: bool = True, task_kind: str | None = None,
            labels: list[str] | tuple[str, ...] | None = None) -> LoadedDataset:
    """Load a locally stored Hugging Face dataset into contract references (module docstring)."""
    p = Path(path).expanduser()
    spath = str(p)
    ds = _open(p, split)
    names = list(ds.column_names)
    mapping = _resolve_columns(names, columns, path=spath)
    table = ds.with_format("arrow")[:]
    data = {field: table.column(col).to_pylist() for field, col in mapping.items()}
    n = table.num_rows
    audio_values = data.get("audio")
    embedded = audio_values is not None and any(
        isinstance(v, dict) and v.get("bytes") for v in audio_values)
    if embedded:
        base = (Path(extract_dir).expanduser().absolute() if extract_dir
                else cache_root() / "hf_audio")
    else:
        base = default_root(p if p.is_file() else p / "_", root)
    refs = []
    notes = []
    if "id" not in mapping:
        notes.append("no id column: the row index is the id")
    probed = 0
    for i in range(n):
        row: dict[str, Any] = {}
        for field, values in data.items():
            if values[i] is not None:
                row[field] = values[i]
        row.setdefault("id", str(i))
        audio = row.pop("audio", None)
        if isinstance(audio, dict):
            blob, name = audio.get("bytes"), audio.get("path")
            if embedded:
                if not blob:
                    raise InputError("row has no audio bytes while other rows embed theirs; "
                                     "mixed embedded/path audio is not supported", path=spath,
                                     line=i + 1, field=mapping["audio"])
                audio = _extract(blob, name, base)
            else:
                audio = name
        if audio is not None:
            row["audio"] = normalize_audio_path(audio, root=base, strip_prefix=strip_prefix,
                                                path=spath, line=i + 1,
                                                field=mapping.get("audio", "audio"))
        ref = reference_from_dict(row, path=spath, line=i + 1)
        if ref.duration is None and probe_audio and ref.audio is not None and base is not None:
            f = base / ref.audio
            dur = audio_duration(f) if f.is_file() else None
            if dur is not None:
                probed += 1
                ref = replace(ref, duration=dur)
        refs.append(ref)
    refs, dup_notes = dedupe_ids(refs)
    notes.extend(dup_notes)
    if probed:
        notes.append(f"{probed} duration(s) read from audio headers")
    if embedded:
        notes.append(f"embedded audio written to {base}")
    return LoadedDataset(references=tuple(refs),
                         labels=tuple(labels) if labels is not None else None, root=base,
                         source=f"hf:{spath}", task_kind=task_kind, notes=tuple(notes))

