"""Reading and writing the contract's files, with errors that name file, line and field.

* JSON Lines (one object a line) or a ``.json`` file holding a list (line numbers are tracked
  for every list item as well);
* field checks (:mod:`timebench.fields`, re-exported here): times, labels, event lists;
* DCASE tab-separated event lists ``filename<TAB>onset<TAB>offset<TAB>event_label``;
* atomic writes (:mod:`timebench.atomic`, re-exported here: temporary file in the same
  folder, fsync, rename), so a result file is either the old one or the new one, never half
  written.

Everything here treats input as untrusted: ``NaN``/``Infinity`` literals are rejected, lines
and files have size limits, nesting has a depth limit, and nothing is ever evaluated.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any, Iterable, Iterator

from .atomic import atomic_write_json, atomic_write_text, dumps_json, write_jsonl
from .errors import InputError
from .fields import MAX_TIME, _parse_label, parse_events, parse_number, parse_time_cells
from .gcpause import collector_paused
from .types import Event, Prediction, Reference

__all__ = [
    "MAX_FILE_BYTES", "MAX_LINE_BYTES", "MAX_DEPTH", "MAX_TIME",
    "iter_records", "read_records", "parse_number", "parse_time_cells", "parse_events",
    "reference_from_dict", "prediction_from_dict", "read_references", "read_predictions",
    "read_dcase_tsv", "write_dcase_tsv", "atomic_write_text", "atomic_write_json",
    "write_jsonl", "dumps_json", "read_text_file", "read_yaml_file", "MAX_YAML_NODES",
    "split_lines",
]

MAX_FILE_BYTES = 2 * 1024**3       # 2 GiB: larger inputs are refused, not half-read
MAX_LINE_BYTES = 16 * 1024**2      # 16 MiB for one JSONL record
MAX_DEPTH = 64                     # JSON nesting depth
MAX_YAML_NODES = 100_000           # values in one YAML file (task card, suite), aliases expanded

TEXT_ALIASES = ("text", "model_prediction", "prediction", "response")


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON here (NaN/Infinity are not allowed)")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _depth(obj: Any, limit: int = MAX_DEPTH) -> int:
    stack = [(obj, 1)]
    deepest = 0
    while stack:
        cur, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        if isinstance(cur, dict):
            stack.extend((v, d + 1) for v in cur.values())
        elif isinstance(cur, list):
            stack.extend((v, d + 1) for v in cur)
    return deepest


def _too_deep(obj: Any, text: str, start: int = 0, end: int | None = None,
              limit: int = MAX_DEPTH) -> bool:
    """``_depth(obj) > limit`` for ``obj`` decoded from ``text[start:end]``, without walking
    ``obj`` when the text cannot nest that deep.

    Every level that :func:`_depth` counts but the innermost value is a list or an object,
    which opens with its own ``[`` or ``{`` in the text; so a text with fewer than ``limit`` of
    those characters has a depth of at most ``limit`` (brackets inside strings only make the
    count larger, never smaller).  Most lines have a handful, and the walk is skipped.
    """
    if end is None:
        end = len(text)
    if text.count("[", start, end) + text.count("{", start, end) < limit:
        return False
    return _depth(obj, limit) > limit


def _loads(text: str, *, path: str, line: int | None) -> Any:
    try:
        obj, end = _DECODER.raw_decode(text)
    except RecursionError:
        raise InputError(f"JSON nested deeper than {MAX_DEPTH} levels", path=path, line=line) from None
    except ValueError as exc:
        raise InputError(f"malformed JSON: {exc}", path=path, line=line) from None
    if text[end:].strip():
        raise InputError("malformed JSON: extra data after the object", path=path, line=line)
    if _too_deep(obj, text, 0, end):
        raise InputError(f"JSON nested deeper than {MAX_DEPTH} levels", path=path, line=line)
    return obj


def read_text_file(path: Path) -> str:
    """The UTF-8 text of a user file (a BOM is dropped), refusing what cannot be one.

    Refused with an :class:`InputError` naming the file: a missing or unreadable path, a
    directory, a device such as ``/dev/zero`` (only regular files and pipes are read, so
    ``/dev/stdin`` works), more than :data:`MAX_FILE_BYTES` bytes (also for a pipe, which is
    read no further than that), and bytes that are not UTF-8 (with the line).
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError("file not found", path=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=str(path)) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError("is a directory, expected a file", path=str(path))
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        raise InputError("not a regular file (a device or socket)", path=str(path))
    if st.st_size > MAX_FILE_BYTES:
        raise InputError(f"file is larger than {MAX_FILE_BYTES} bytes", path=str(path))
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=str(path)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(f"file is larger than {MAX_FILE_BYTES} bytes", path=str(path))
    try:
        text = raw.decode("utf-8-sig")  # tolerate a UTF-8 BOM
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"not valid UTF-8 (byte {exc.start})", path=str(path), line=line) from None
    return text


def split_lines(text: str) -> list[str]:
    """Lines split on ``\n`` only (a trailing ``\r`` is dropped), for JSON Lines and TSV.

    :meth:`str.splitlines` also splits on U+2028, U+2029, U+0085 and a few control characters,
    which JSON allows raw inside strings (and which model outputs contain): a valid record
    would be cut in two, and line numbers would not match what an editor shows.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if "\r" not in text:
        return lines
    return [x[:-1] if x.endswith("\r") else x for x in lines]


def read_yaml_file(path: str | os.PathLike, *, missing: str = "file not found") -> Any:
    """Read a YAML file with ``yaml.safe_load`` only (task cards, suites), as untrusted input.

    Tags that construct Python objects (``!!python/object/apply:os.system``) are refused by the
    safe loader; the file goes through :func:`read_text_file` (size limit, UTF-8, BOM); nesting
    deeper than the parser's recursion limit and documents whose aliases expand to more than
    :data:`MAX_YAML_NODES` values ("billion laughs") are refused.  Every failure is an
    :class:`InputError` naming the file (and the line for syntax errors); ``missing`` is the
    message for a file that does not exist.
    """
    import yaml

    p = Path(path)
    spath = str(p)
    if not p.exists():
        raise InputError(missing, path=spath)
    text = read_text_file(p)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"invalid YAML: {getattr(exc, 'problem', None) or exc}", path=spath,
                         line=(mark.line + 1) if mark else None) from None
    except RecursionError:
        raise InputError("YAML nested too deeply", path=spath) from None
    count = 0
    stack = [raw]
    while stack:
        cur = stack.pop()
        count += 1
        if count > MAX_YAML_NODES:
            raise InputError(f"YAML document has more than {MAX_YAML_NODES} values (after "
                             "expanding aliases)", path=spath)
        if isinstance(cur, dict):
            stack.extend(cur.keys())
            stack.extend(cur.values())
        elif isinstance(cur, (list, tuple, set)):
            stack.extend(cur)
    return raw


def _iter_json_list(text: str, path: str) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, item)`` for each element of a top-level JSON array, tracking lines.

    Line numbers are counted incrementally (only the newlines between the previous position
    and the current one), so a list of ``n`` items costs ``O(size)``, not ``O(n * size)``.
    """
    pos = text.index("[") + 1
    n = len(text)
    counted = [0, 1]  # position up to which newlines are counted, line number there

    def line_at(p: int) -> int:
        start, line = counted
        if p > start:
            line += text.count("\n", start, p)
            counted[0], counted[1] = p, line
        return line

    def skip_ws(p: int) -> int:
        while p < n and text[p] in " \t\r\n":
            p += 1
        return p

    pos = skip_ws(pos)
    if pos < n and text[pos] == "]":
        if text[pos + 1:].strip():
            raise InputError("malformed JSON: extra data after the list", path=path,
                             line=line_at(pos))
        return
    while True:
        pos = skip_ws(pos)
        line = line_at(pos)
        try:
            item, end = _DECODER.raw_decode(text, pos)
        except RecursionError:
            raise InputError(f"JSON nested deeper than {MAX_DEPTH} levels", path=path, line=line) from None
        except ValueError as exc:
            raise InputError(f"malformed JSON: {exc}", path=path, line=line) from None
        if _too_deep(item, text, pos, end):
            raise InputError(f"JSON nested deeper than {MAX_DEPTH} levels", path=path, line=line)
        yield line, item
        pos = skip_ws(end)
        if pos >= n:
            raise InputError("malformed JSON: unterminated list", path=path, line=line_at(pos))
        if text[pos] == ",":
            pos += 1
            continue
        if text[pos] == "]":
            if text[pos + 1:].strip():
                raise InputError("malformed JSON: extra data after the list", path=path,
                                 line=line_at(pos))
            return
        raise InputError("malformed JSON: expected ',' or ']'", path=path, line=line_at(pos))


def iter_records(path: str | os.PathLike) -> Iterator[tuple[int, dict]]:
    """Yield ``(line_number, object)`` from a JSONL file or a JSON file holding a list.

    Blank lines are skipped.  A JSON object at the top of a ``.json`` file that maps ids to
    records is not accepted: ids must be inside the records.
    """
    p = Path(path)
    text = read_text_file(p)
    spath = str(p)
    stripped = text.lstrip()
    if stripped.startswith("["):
        for number, obj in _iter_json_list(text, spath):
            yield number, _expect_object(obj, path=spath, line=number)
        return
    # one generator for the lines (not one feeding another): the same order of checks per line
    for number, line in enumerate(split_lines(text), start=1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE_BYTES:
            raise InputError(f"line longer than {MAX_LINE_BYTES} characters", path=spath,
                             line=number)
        obj = _loads(line, path=spath, line=number)
        if type(obj) is not dict:
            _expect_object(obj, path=spath, line=number)
        yield number, obj


def _expect_object(obj: Any, *, path: str, line: int) -> dict:
    if not isinstance(obj, dict):
        raise InputError(f"expected a JSON object, got {type(obj).__name__}", path=path,
                         line=line)
    return obj


def read_records(path: str | os.PathLike) -> list[tuple[int, dict]]:
    return list(iter_records(path))


def _require_id(obj: dict, *, path: str, line: int) -> str:
    if "id" not in obj:
        raise InputError("missing", path=path, line=line, field="id")
    value = obj["id"]
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InputError("expected a string", path=path, line=line, field="id")
    value = str(value)
    if not value:
        raise InputError("empty id", path=path, line=line, field="id")
    return value


_REFERENCE_KEYS = {"id", "audio", "duration", "query", "question", "events", "present", "answer",
                   "extra"}


def reference_from_dict(obj: dict, *, path: str = "<memory>", line: int = 0) -> Reference:
    """Build a :class:`Reference` from one contract line (validated)."""
    rid = _require_id(obj, path=path, line=line)
    duration = obj.get("duration")
    if duration is not None:
        duration = parse_number(duration, field="duration", path=path, line=line)
    audio = obj.get("audio")
    if audio is not None and not isinstance(audio, str):
        raise InputError("expected a string path", path=path, line=line, field="audio")
    query = _parse_label(obj.get("query"), field="query", path=path, line=line)
    question = _parse_label(obj.get("question"), field="question", path=path, line=line)
    events = parse_events(obj.get("events"), path=path, line=line)
    present = obj.get("present")
    if present is not None and not isinstance(present, bool):
        raise InputError("expected true or false", path=path, line=line, field="present")
    if present is True and not events:
        raise InputError("present is true but there are no events", path=path, line=line,
                         field="events")
    if present is False and events:
        raise InputError("present is false but events are given", path=path, line=line,
                         field="events")
    if duration is not None:
        for i, ev in enumerate(events):
            if ev.offset > duration + 1e-6:
                raise InputError(f"offset {ev.offset} is beyond the duration {duration}",
                                 path=path, line=line, field=f"events[{i}].offset")
    extra = dict(obj.get("extra") or {}) if isinstance(obj.get("extra"), dict) else {}
    if not _REFERENCE_KEYS.issuperset(obj):  # (the loop adds nothing otherwise)
        for key, value in obj.items():
            if key not in _REFERENCE_KEYS:
                extra.setdefault(key, value)
    return Reference(id=rid, audio=audio, duration=duration, query=query, question=question,
                     events=events, present=present, answer=obj.get("answer"), extra=extra,
                     source=f"{path}:{line}")


def prediction_from_dict(obj: dict, *, path: str = "<memory>", line: int = 0) -> Prediction:
    """Build a :class:`Prediction` from one contract line (validated)."""
    pid = _require_id(obj, path=path, line=line)
    text = None
    text_key = None
    for key in TEXT_ALIASES:
        if key in obj:
            text_key = key
            text = obj[key]
            break
    if text is not None and not isinstance(text, str):
        raise InputError("expected a string", path=path, line=line, field=text_key)
    events = None
    if "events" in obj and obj["events"] is not None:
        events = parse_events(obj["events"], path=path, line=line)
    present = obj.get("present")
    if present is not None and not isinstance(present, bool):
        raise InputError("expected true or false", path=path, line=line, field="present")
    answer = obj.get("answer")
    if text_key is None and events is None and present is None and "answer" not in obj:
        raise InputError("a prediction needs 'text' (raw model output) or 'events'", path=path,
                         line=line, field="text")
    return Prediction(id=pid, text=text, events=events, present=present, answer=answer,
                      source=f"{path}:{line}")


def _unique(items, *, kind: str, path: str):
    seen: dict[str, int] = {}
    for line, item in items:
        if item.id in seen:
            raise InputError(f"duplicate id '{item.id}' (first seen on line {seen[item.id]})",
                             path=path, line=line, field="id")
        seen[item.id] = line
    return [item for _, item in items]


def read_references(path: str | os.PathLike) -> list[Reference]:
    """Read a references file (JSONL / JSON list, or DCASE TSV for SED) with validation."""
    spath = str(path)
    if spath.endswith((".tsv", ".csv", ".txt")):
        return dcase_references(read_dcase_tsv(path))
    with collector_paused():  # every record is kept
        items = [(line, reference_from_dict(obj, path=spath, line=line))
                 for line, obj in iter_records(path)]
    return _unique(items, kind="reference", path=spath)


def read_predictions(path: str | os.PathLike) -> list[Prediction]:
    """Read a predictions file (JSONL / JSON list, or DCASE TSV) with validation."""
    spath = str(path)
    if spath.endswith((".tsv", ".csv", ".txt")):
        table = read_dcase_tsv(path)
        return [Prediction(id=fid, events=tuple(evs), source=f"{spath}")
                for fid, evs in table.items()]
    with collector_paused():  # every record is kept
        items = [(line, prediction_from_dict(obj, path=spath, line=line))
                 for line, obj in iter_records(path)]
    return _unique(items, kind="prediction", path=spath)


# -- DCASE TSV ------------------------------------------------------------------------------------

def read_dcase_tsv(path: str | os.PathLike, *, inverted: list | None = None
                   ) -> dict[str, list[Event]]:
    """Read ``filename<TAB>onset<TAB>offset<TAB>event_label[<TAB>score]`` into file -> events.

    A header line is optional.  A row with only a filename (empty other fields) lists a file
    that has no events, as some DCASE ground-truth files do.  The file order is kept.  With a
    list as ``inverted``, a row whose onset is after its offset is left out and appended there
    as ``(line, filename, onset, offset)`` instead of being an error.
    """
    p = Path(path)
    text = read_text_file(p)
    spath = str(p)
    out: dict[str, list[Event]] = {}
    columns = ["filename", "onset", "offset", "event_label"]
    for number, raw in enumerate(split_lines(text), start=1):
        if not raw.strip():
            continue
        cells = raw.split("\t")
        lowered = [c.strip().lower() for c in cells]
        if not out and "filename" in lowered:  # a header line
            columns = lowered
            for needed in ("onset", "offset", "event_label"):
                if needed not in columns:
                    raise InputError(f"header lacks the column '{needed}'", path=spath,
                                     line=number)
            continue
        record = dict(zip(columns, cells))
        fname = (record.get("filename") or "").strip()
        if not fname:
            raise InputError("empty filename", path=spath, line=number, field="filename")
        events = out.setdefault(fname, [])
        on_raw = (record.get("onset") or "").strip()
        off_raw = (record.get("offset") or "").strip()
        label = (record.get("event_label") or "").strip()
        if not on_raw and not off_raw and not label:
            continue  # a file without events
        if len(cells) < 4 and len(columns) == 4:
            raise InputError(f"expected 4 tab-separated fields, got {len(cells)}", path=spath,
                             line=number)
        values = parse_time_cells((("onset", on_raw), ("offset", off_raw)), path=spath,
                                  line=number, allow_inverted=inverted is not None)
        if not label:
            raise InputError("empty label", path=spath, line=number, field="event_label")
        if values[0] > values[1] and inverted is not None:
            inverted.append((number, fname, values[0], values[1]))
            continue
        score = None
        if "score" in record and record["score"].strip():
            try:
                score = float(record["score"])
            except ValueError:
                raise InputError("not a number", path=spath, line=number, field="score") from None
            if not math.isfinite(score):
                raise InputError("NaN or infinite value", path=spath, line=number, field="score")
        events.append(Event(values[0], values[1], label, score))
    return out


def dcase_references(table: dict[str, list[Event]]) -> list[Reference]:
    return [Reference(id=fid, audio=fid, events=tuple(evs)) for fid, evs in table.items()]


def write_dcase_tsv(path: str | os.PathLike, table: dict[str, Iterable[Event]]) -> None:
    lines = ["filename\tonset\toffset\tevent_label"]
    for fid, events in table.items():
        for ev in events:
            lines.append(f"{fid}\t{ev.onset:.6g}\t{ev.offset:.6g}\t{ev.label or ''}")
    atomic_write_text(path, "\n".join(lines) + "\n")
