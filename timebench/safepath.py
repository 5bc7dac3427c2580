"""Paths that come from files: one helper for every reader and writer (issue 15).

A results file, a suite or a model name can say where timebench reads or writes (the
``suite`` field picks the file ``leaderboard --store`` writes, ``run_dir`` the folder the HTML
report reads, a model name the run sub-folder).  Every such value goes through this module:

* :func:`safe_component` turns a name into one path component, *injectively*: a name made only
  of ``[A-Za-z0-9._=-]`` (not starting with a dot) is kept as is; any other name becomes a slug
  plus ``~`` and 8 hex digits of its SHA-256, so ``random[seed=1]`` and ``random(seed=1)`` never
  share a folder, and ``../x`` can never leave the parent;
* :func:`inside` resolves a relative path from a file under a base folder and refuses an
  absolute path, ``..``, and anything that resolves (through symbolic links) outside the base;
* :func:`write_path` builds a path under a root folder timebench owns (a run folder, a cache
  folder) and refuses to write through a symbolic link planted below that root: the root
  itself may be a link (runs kept on another disk), nothing inside it may.

The hashed form uses ``~``, which a kept name never contains, so a kept name and a hashed one
never meet; two hashed names meet only if their slugs and 32-bit hashes both agree.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from .errors import InputError

__all__ = ["safe_component", "inside", "write_path", "same_file"]

_PLAIN = re.compile(r"^[A-Za-z0-9_=-][A-Za-z0-9._=-]{0,99}$")


def safe_component(name: str, *, field: str = "name") -> str:
    """One path component for ``name``; distinct names always give distinct components."""
    if not isinstance(name, str) or not name:
        raise InputError(f"expected a non-empty string, got {name!r}"[:120], field=field)
    if _PLAIN.match(name):
        return name
    slug = re.sub(r"[^A-Za-z0-9._=-]+", "_", name).strip("._")[:60] or "x"
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{slug}~{digest}"


def inside(base: str | os.PathLike, rel: str, *, path: str | None = None,
           field: str | None = None) -> Path:
    """``base / rel`` resolved, refused (:class:`InputError`) when it leaves ``base``."""
    if not isinstance(rel, str) or not rel or "\x00" in rel:
        raise InputError("expected a non-empty relative path", path=path, field=field)
    p = Path(rel)
    if p.is_absolute() or ".." in p.parts or "\\" in rel and ".." in rel.split("\\"):
        raise InputError(f"path {rel!r} leaves {base}", path=path, field=field)
    root = Path(base).resolve()
    target = (root / p).resolve()
    if not target.is_relative_to(root):
        raise InputError(f"path {rel!r} resolves outside {root} (a symbolic link)", path=path,
                         field=field)
    return target


def write_path(root: str | os.PathLike, *parts: str) -> Path:
    """``root / parts...`` for writing; refuses a symbolic link anywhere below ``root``."""
    base = Path(root)
    cur = base
    for part in parts:
        for piece in Path(part).parts:
            if piece in ("..", "") or os.sep in piece or Path(piece).is_absolute():
                raise InputError(f"refusing to write to {base / part}: the name leaves {base}",
                                 path=str(base / part))
            cur = cur / piece
            if cur.is_symlink():
                raise InputError(f"is a symbolic link inside the output folder {base}; refusing "
                                 "to write through it (remove it)", path=str(cur))
    return cur


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name the same existing file (through links too)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)
