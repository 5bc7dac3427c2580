"""Plain contract references (JSON Lines or a JSON list), via :func:`timebench.io.read_references`.

The file is already in the contract's reference format (``shared/CONTRACT.md``); this loader
adds the dataset-root rule of :mod:`timebench.datasets.base` to the ``audio`` paths (relative to
``root``, by default the folder of the file; no ``..`` escapes; absolute only under the root).
``labels`` is the given vocabulary, if any (``labels=[...]``), else ``None``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Sequence

from ..io import read_references
from .base import LoadedDataset, default_root, normalize_audio_path

__all__ = ["load_jsonl"]


def load_jsonl(path: str | Path, *, root: str | Path | None = None,
               task_kind: str | None = None, labels: Sequence[str] | None = None,
               strip_prefix: str | None = None) -> LoadedDataset:
    """Load a contract references file and check its audio paths against the root."""
    spath = str(path)
    base = default_root(path, root)
    refs = []
    for ref in read_references(path):
        if ref.audio is not None:
            src = getattr(ref, "source", None)
            line = None
            if isinstance(src, str) and ":" in src:
                tail = src.rsplit(":", 1)[1]
                line = int(tail) if tail.isdigit() else None
            audio = normalize_audio_path(ref.audio, root=base, strip_prefix=strip_prefix,
                                         path=spath, line=line, field="audio")
            if audio != ref.audio:
                ref = replace(ref, audio=audio)
        refs.append(ref)
    return LoadedDataset(references=tuple(refs),
                         labels=tuple(labels) if labels is not None else None, root=base,
                         source=f"jsonl:{spath}", task_kind=task_kind)
