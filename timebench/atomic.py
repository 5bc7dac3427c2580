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
    return json.dumps(_nan_to_none(obj), indent=indent, ensure_ascii=False, allow_nan=False)


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
