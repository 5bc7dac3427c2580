"""Validation of the fields of a record: times, time cells, labels and event lists, with
errors that name file, line and field.  Used by :mod:`timebench.io` (which re-exports the public
names) and the dataset loaders."""

from __future__ import annotations

import json
import math
from typing import Any, Sequence

from .errors import InputError
from .types import Event

__all__ = ["MAX_TIME", "parse_number", "parse_time_cells", "parse_events"]

MAX_TIME = 1e9                     # seconds (about 31 years): a larger time or duration is refused


def parse_number(value: Any, *, field: str, allow_negative: bool = False, path: str | None = None,
                 line: int | None = None) -> float:
    """Validate a time-like number: a finite JSON number, not a bool, not negative by default."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"expected a number, got {json.dumps(value)[:40]}", path=path, line=line,
                         field=field)
    try:
        out = float(value)
    except OverflowError:
        raise InputError("number too large", path=path, line=line, field=field) from None
    if not math.isfinite(out):
        raise InputError("NaN or infinite value", path=path, line=line, field=field)
    if out < 0 and not allow_negative:
        raise InputError(f"negative time {out}", path=path, line=line, field=field)
    if not allow_negative and out > MAX_TIME:
        raise InputError(f"time {out:g} s is beyond the limit of {MAX_TIME:g} s", path=path,
                         line=line, field=field)
    return out


def parse_time_cells(cells: Sequence[tuple[str, str]], *, path: str, line: int,
                     allow_inverted: bool = False) -> tuple[float, float]:
    """Onset and offset from two text cells (a TSV row): each a finite, non-negative number,
    the first not after the second (unless ``allow_inverted``: official files are repaired by
    their benchmark's rule, see :mod:`timebench.datasets.rules`).  ``cells`` is ``((field,
    text), (field, text))``; an error names the field of the bad cell (the first one when they
    are out of order)."""
    values = []
    for name, raw in cells:
        try:
            v = float(raw)
        except ValueError:
            raise InputError(f"not a number: {raw!r}", path=path, line=line, field=name) from None
        if not math.isfinite(v):
            raise InputError("NaN or infinite value", path=path, line=line, field=name)
        if v < 0:
            raise InputError(f"negative time {v}", path=path, line=line, field=name)
        if v > MAX_TIME:
            raise InputError(f"time {v:g} s is beyond the limit of {MAX_TIME:g} s", path=path,
                             line=line, field=name)
        values.append(v)
    (first, _), (second, _) = cells
    if values[0] > values[1] and not allow_inverted:
        raise InputError(f"{first} {values[0]} is after {second} {values[1]}", path=path,
                         line=line, field=first)
    return values[0], values[1]


def _parse_label(value: Any, *, field: str, path: str | None, line: int | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"expected a string, got {type(value).__name__}", path=path, line=line,
                         field=field)
    return value


def parse_events(value: Any, *, field: str = "events", path: str | None = None,
                 line: int | None = None, duration: float | None = None) -> tuple[Event, ...]:
    """Validate a list of events: objects ``{onset, offset[, label][, score]}`` or ``[s, e]`` pairs."""
    if value is None:
        return ()
    plain = _plain_events(value)
    if plain is not None:
        return plain
    return _checked_events(value, field=field, path=path, line=line)


def _plain_time(value: Any) -> bool:
    """Whether :func:`parse_number` takes ``value`` as it is: a JSON number (``int`` or
    ``float``, not a subclass such as ``bool``) from 0 to :data:`MAX_TIME` (so finite)."""
    return (type(value) is float or type(value) is int) and 0 <= value <= MAX_TIME


def _plain_events(value: Any) -> tuple[Event, ...] | None:
    """The events of the usual list, else ``None``: every item an object with exactly
    ``onset`` and ``offset`` (plain times, the first not after the second) and at most a
    ``label`` string besides.  :func:`_checked_events` accepts such a list with the same
    result; anything else (other keys, pairs, a bad value) goes there for its checks and
    messages."""
    if type(value) is not list:
        return None
    out = []
    for item in value:
        if type(item) is not dict or "onset" not in item or "offset" not in item:
            return None
        onset = item["onset"]
        offset = item["offset"]
        if not (_plain_time(onset) and _plain_time(offset) and onset <= offset):
            return None
        size = len(item)
        if size == 2:
            label = None
        elif size == 3 and type(item.get("label")) is str:
            label = item["label"]
        else:
            return None
        out.append(Event(float(onset), float(offset), label, None))
    return tuple(out)


def _checked_events(value: Any, *, field: str, path: str | None,
                    line: int | None) -> tuple[Event, ...]:
    """:func:`parse_events` with every check (any list, or the error naming the bad field)."""
    if not isinstance(value, list):
        raise InputError("expected a list of events", path=path, line=line, field=field)
    out: list[Event] = []
    for i, item in enumerate(value):
        f = f"{field}[{i}]"
        label = None
        score = None
        if isinstance(item, dict):
            if "onset" not in item:
                raise InputError("missing", path=path, line=line, field=f + ".onset")
            if "offset" not in item:
                raise InputError("missing", path=path, line=line, field=f + ".offset")
            onset = parse_number(item["onset"], field=f + ".onset", path=path, line=line)
            offset = parse_number(item["offset"], field=f + ".offset", path=path, line=line)
            label_value = item.get("label", item.get("event_label", item.get("caption")))
            label = _parse_label(label_value, field=f + ".label", path=path, line=line)
            if item.get("score") is not None:
                score = parse_number(item["score"], field=f + ".score", allow_negative=True,
                                     path=path, line=line)
        elif isinstance(item, list) and len(item) in (2, 3):
            onset = parse_number(item[0], field=f + "[0]", path=path, line=line)
            offset = parse_number(item[1], field=f + "[1]", path=path, line=line)
            if len(item) == 3:
                label = _parse_label(item[2], field=f + "[2]", path=path, line=line)
        else:
            raise InputError("expected {onset, offset, label} or [onset, offset]", path=path,
                             line=line, field=f)
        if onset > offset:
            raise InputError(f"onset {onset} is after offset {offset}", path=path, line=line,
                             field=f)
        out.append(Event(onset, offset, label, score))
    return tuple(out)
