"""Writing result files: JSON with NaN as null, and atomic writes (temporary file in the same
folder, fsync, rename), so a result file is either the old one or the new one, never half
written."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

__all__ = ["dumps_json", "atomic_write_text", "atomic_write_json", "write_jsonl"]


def dumps_json(obj: Any, *, indent: int | None = 2) -> str:
    """JSON with NaN written as null (JSON has no NaN) and stable key order."""
    if _plain(obj):
        try:
            return _encoder(indent).encode(obj)
        except ValueError:  # a NaN or an infinity: written as null below
            pass
    return json.dumps(_nan_to_none(obj), indent=indent, ensure_ascii=False, allow_nan=False)


_ENCODERS: dict[Any, json.JSONEncoder] = {}


def _encoder(indent: Any) -> json.JSONEncoder:
    """The encoder that ``json.dumps(..., indent=indent, ensure_ascii=False, allow_nan=False)``
    builds for each call, built once per ``indent``."""
    enc = _ENCODERS.get(indent)
    if enc is None:
        enc = _ENCODERS[indent] = json.JSONEncoder(indent=indent, ensure_ascii=False,
                                                   allow_nan=False)
    return enc


_LEAVES = frozenset({str, int, float, bool, type(None)})
_NESTED = frozenset({dict, list, tuple})
_KNOWN = _LEAVES | _NESTED
_STR = frozenset({str})
_PLAIN_DEPTH = 64


def _plain(obj: Any) -> bool:
    """Whether JSON writes ``obj`` as it writes ``_nan_to_none(obj)`` (when it writes it at
    all): only ``dict``/``list``/``tuple`` with ``str`` keys, ``str``/``int``/``float``/
    ``bool``/``None`` values (exact types, no subclasses: no numpy scalar, no ``bool`` or enum
    key, whose ``str()`` differs from what JSON writes for it), nested at most
    :data:`_PLAIN_DEPTH` levels (no cycle, no recursion limit).  Only non-finite floats tell
    the two apart then, and ``allow_nan=False`` refuses those.  The types of a container's
    items are collected in C, so only containers holding containers are walked in Python."""
    stack = [(obj, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        cur, depth = pop()
        kind = type(cur)
        if kind is dict:
            if not _STR.issuperset(map(type, cur)):
                return False
            items: Any = cur.values()
        elif kind is list or kind is tuple:
            items = cur
        else:
            if kind in _LEAVES:
                continue
            return False
        kinds = set(map(type, items))
        if kinds <= _LEAVES:
            continue
        if not kinds <= _KNOWN or depth >= _PLAIN_DEPTH:
            return False
        for item in items:
            if type(item) in _NESTED:
                push((item, depth + 1))
    return True


def _nan_to_none(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_nan_to_none(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return _nan_to_none(obj.item())
    return obj


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _default_mode()


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a reader sees the old file or the new one.

    The file gets the usual permissions (0666 minus the umask), not mkstemp's private 0600.
    A symbolic link is followed (the file it points to is replaced, the link stays), and a
    target that exists but is not a regular file (``/dev/stdout``, a pipe) is written to
    directly: renaming over it would replace the device node.  When writing fails (a full disk,
    a read-only folder) the temporary file is removed, the old file is left as it was, and the
    :class:`OSError` is re-raised with ``filename`` set to ``path`` (``fsync`` and ``write``
    errors carry no file name of their own).
    """
    target = Path(path)
    try:
        if target.exists() and not target.is_file() and not target.is_dir():
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(text)
            return
        if target.is_symlink():
            target = Path(os.path.realpath(target))
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise
    try:
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on directories
        pass


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_text(path, dumps_json(obj) + "\n")


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> None:
    atomic_write_text(path, "".join(dumps_json(r, indent=None) + "\n" for r in rows))
