"""Small side tables that several dataset formats ship: clip durations and label maps.

Both are read with the :mod:`csv` module (quoting handled), from files checked by
:func:`timebench.io.read_text_file` (size limit, UTF-8), with errors that name file and line.
"""

from __future__ import annotations

import csv
import io as _io
import math
from pathlib import Path

from ..errors import InputError
from ..io import read_text_file

__all__ = ["read_table", "read_durations", "read_label_map"]


def read_table(path: str | Path, *, delimiter: str | None = None) -> list[list[str]]:
    """All rows of a CSV/TSV file; the delimiter is a tab if the first line has one, else ','."""
    text = read_text_file(Path(path))
    if delimiter is None:
        first = text.splitlines()[0] if text.strip() else ""
        delimiter = "\t" if "\t" in first else ","
    try:
        return list(csv.reader(_io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", path=str(path)) from None


def read_durations(path: str | Path) -> dict[str, float]:
    """Read ``name<sep>duration`` rows (CSV or TSV, header optional) into a dict.

    The name column is the first of ``filename``, ``audio_id``, ``audio``, ``segment_id`` found
    in the header (else column 0); the duration column is ``duration`` (else column 1).
    """
    spath = str(path)
    rows = read_table(path)
    name_col, dur_col, start = 0, 1, 0
    if rows:
        header = [c.strip().lower() for c in rows[0]]
        if "duration" in header:
            dur_col = header.index("duration")
            name_col = next((header.index(k) for k in ("filename", "audio_id", "audio",
                                                       "segment_id", "fname", "file")
                             if k in header), 0 if dur_col != 0 else 1)
            start = 1
    out: dict[str, float] = {}
    for number, row in enumerate(rows[start:], start=start + 1):
        if not row or not any(c.strip() for c in row):
            continue
        if len(row) <= max(name_col, dur_col):
            raise InputError(f"expected at least {max(name_col, dur_col) + 1} columns", path=spath,
                             line=number)
        name = row[name_col].strip()
        try:
            value = float(row[dur_col])
        except ValueError:
            raise InputError(f"not a number: {row[dur_col]!r}", path=spath, line=number,
                             field="duration") from None
        if not math.isfinite(value) or value < 0:
            raise InputError(f"invalid duration {value}", path=spath, line=number,
                             field="duration")
        out[name] = value
    return out


def read_label_map(path: str | Path) -> dict[str, str]:
    """AudioSet ``mid -> display name`` from ``class_labels_indices.csv`` (header ``index,mid,
    display_name``) or a two-column ``mid<TAB>name`` file without header
    (``mid_to_display_name.tsv``)."""
    spath = str(path)
    rows = read_table(path)
    out: dict[str, str] = {}
    key_col, name_col, start = 0, 1, 0
    if rows:
        header = [c.strip().lower() for c in rows[0]]
        if "mid" in header:
            key_col = header.index("mid")
            name_col = next((header.index(k) for k in ("display_name", "name", "label")
                             if k in header), None)
            if name_col is None:
                raise InputError("header has 'mid' but no 'display_name' column", path=spath,
                                 line=1)
            start = 1
    for number, row in enumerate(rows[start:], start=start + 1):
        if not row or not any(c.strip() for c in row):
            continue
        if len(row) <= max(key_col, name_col):
            raise InputError(f"expected at least {max(key_col, name_col) + 1} columns",
                             path=spath, line=number)
        key, name = row[key_col].strip(), row[name_col].strip()
        if not key or not name:
            raise InputError("empty mid or name", path=spath, line=number)
        out[key] = name
    return out
