"""What every dataset loader returns, and the checks every loader shares.

A loader turns one official annotation format into contract :class:`~timebench.types.Reference`
records (``docs``: ``shared/CONTRACT.md``) wrapped in a :class:`LoadedDataset`.  The shared
rules live here so that every format treats paths, ids and times the same way:

* **Audio paths stay inside the dataset root.**  A manifest's audio path is resolved against the
  dataset root (by default the folder holding the manifest).  ``..`` components that climb out of
  the root and absolute paths outside the root are rejected with an :class:`InputError` naming
  the file, line and field.  Absolute paths under the root are stored relative to it.  Official
  manifests that carry the authors' absolute paths (FTAR's ``/data/WavCaps/...``) can be mapped
  with ``strip_prefix`` (the prefix is removed before the check) or ``basename=True`` (only the
  file name is kept).  The check is lexical: a symbolic link inside the root that points
  elsewhere is followed, as users often link audio folders in from other disks.
* **Ids are unique.**  Formats without an id per row get one built from stable fields; if a
  format repeats an id, later occurrences get ``#2``, ``#3``... and the dataset notes say so.
* **Events fit the clip.**  An event that ends after the clip ends by less than
  ``duration_tolerance`` seconds (rounding in official labels, e.g. 10.0 s labels on a 9.98 s
  clip) is clipped to the duration and counted in the notes; a larger overshoot is an error.
"""

from __future__ import annotations

import os
import posixpath
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterator, Sequence

from ..errors import InputError
from ..types import Event, Reference

__all__ = [
    "LoadedDataset", "default_root", "normalize_audio_path", "fit_events", "dedupe_ids",
    "make_reference", "cache_root", "DEFAULT_DURATION_TOLERANCE",
]

#: Seconds an event may run past the clip end before it is an error (it is clipped otherwise).
DEFAULT_DURATION_TOLERANCE = 0.5

# Linux NAME_MAX / PATH_MAX: longer audio paths are rejected before any file-system call
_MAX_NAME_BYTES = 255
_MAX_PATH_BYTES = 1024


@dataclass(frozen=True)
class LoadedDataset:
    """References read from one dataset file, with what is needed to find and score them.

    * ``references``: the samples, in file order;
    * ``labels``: the class vocabulary when the format has one (SED), else ``None``;
    * ``root``: the folder that reference ``audio`` paths are relative to (``None`` if unknown);
    * ``source``: ``"<format>:<path>"``, for messages and results;
    * ``task_kind``: a hint such as ``"tag"``, ``"sed"``, ``"dac"``, ``"tss"``, ``"tqa"``,
      ``"spotsound"`` (``None`` when the file mixes kinds or the format does not say);
    * ``notes``: what the loader repaired or could not determine (clipped events, unknown
      durations, renamed duplicate ids, skipped empty queries), one line each;
    * ``issues`` / ``rule``: each row repaired under the benchmark's own rule, and the rule.
    """

    references: tuple[Reference, ...]
    labels: tuple[str, ...] | None = None
    root: Path | None = None
    source: str = ""
    task_kind: str | None = None
    notes: tuple[str, ...] = field(default=())
    #: rows repaired by the benchmark's documented rule (:mod:`timebench.datasets.rules`)
    issues: tuple = field(default=())
    #: that rule (``RowRule.describe()``), ``None`` for strict formats
    rule: dict | None = None

    def issue_counts(self) -> dict[str, int]:
        from .rules import issue_summary

        return issue_summary(self.issues)

    def __len__(self) -> int:
        return len(self.references)

    def __iter__(self) -> Iterator[Reference]:
        return iter(self.references)

    def ids(self) -> list[str]:
        return [r.id for r in self.references]

    def audio_path(self, ref: Reference) -> Path | None:
        """Absolute path of a reference's audio file (``None`` when it has no audio)."""
        if ref.audio is None:
            return None
        if self.root is None:
            return Path(ref.audio)
        return self.root / ref.audio


def default_root(path: str | Path | None, root: str | Path | None) -> Path | None:
    """The dataset root: ``root`` if given, else the folder holding the manifest ``path``."""
    if root is not None:
        return Path(root).expanduser().absolute()
    if path is None:
        return None
    return Path(path).expanduser().absolute().parent


def normalize_audio_path(raw: Any, *, root: Path | None, strip_prefix: str | None = None,
                         basename: bool = False, path: str | None = None,
                         line: int | None = None, field: str = "audio") -> str:
    """Validate one manifest audio path and return it relative to ``root`` (POSIX form).

    Steps: optional ``strip_prefix`` removal, optional reduction to the base name, then the
    root check described in the module docstring.  Raises :class:`InputError` on an empty path,
    a NUL byte, a name longer than 255 bytes (or 1024 in all), a ``..`` escape or an absolute
    path outside ``root``.
    """
    if not isinstance(raw, str):
        raise InputError(f"expected a string path, got {type(raw).__name__}", path=path,
                         line=line, field=field)
    text = raw.strip()
    if not text:
        raise InputError("empty audio path", path=path, line=line, field=field)
    if "\x00" in text:
        raise InputError("audio path contains a NUL byte", path=path, line=line, field=field)
    if len(text.encode("utf-8", "surrogatepass")) > _MAX_PATH_BYTES or any(
            len(part.encode("utf-8", "surrogatepass")) > _MAX_NAME_BYTES
            for part in text.replace("\\", "/").split("/")):
        # the file system would refuse it (ENAMETOOLONG) when the loader probes the file
        raise InputError(f"audio path too long (a name over {_MAX_NAME_BYTES} bytes or "
                         f"{_MAX_PATH_BYTES} bytes in all)", path=path, line=line, field=field)
    text = text.replace("\\", "/")
    if strip_prefix:
        prefix = strip_prefix.replace("\\", "/")
        if text.startswith(prefix):
            text = text[len(prefix):].lstrip("/")
    if basename:
        text = PurePosixPath(text).name
        if not text or text in (".", ".."):
            raise InputError(f"audio path {raw!r} has no file name", path=path, line=line,
                             field=field)
    if text.startswith("/"):
        if root is None:
            raise InputError(f"absolute audio path {raw!r} and no dataset root; pass root=... "
                             "or strip_prefix=...", path=path, line=line, field=field)
        norm = posixpath.normpath(text)
        # the root as given and with symbolic links resolved (either spelling may be used)
        for form in dict.fromkeys((root.absolute().as_posix(), root.resolve().as_posix())):
            form = form.rstrip("/")
            if norm.startswith(form + "/"):
                return norm[len(form) + 1:]
        raise InputError(f"absolute audio path {raw!r} is outside the dataset root "
                         f"{root.absolute().as_posix()}; pass strip_prefix=... (the part to "
                         "remove) or basename=True", path=path, line=line, field=field)
    norm = posixpath.normpath(text)
    if norm == ".." or norm.startswith("../") or norm == ".":
        raise InputError(f"audio path {raw!r} escapes the dataset root", path=path, line=line,
                         field=field)
    return norm


def fit_events(events: Sequence[Event], duration: float | None, *,
               tolerance: float = DEFAULT_DURATION_TOLERANCE, path: str | None = None,
               line: int | None = None, field: str = "events") -> tuple[tuple[Event, ...], int]:
    """Clip event offsets that overshoot ``duration`` by at most ``tolerance`` seconds.

    Returns ``(events, number_clipped)``; raises :class:`InputError` for an onset at or after
    the end of the clip or an offset beyond ``duration + tolerance``.
    """
    if duration is None:
        return tuple(events), 0
    out = []
    clipped = 0
    for i, ev in enumerate(events):
        if ev.offset > duration + tolerance:
            raise InputError(f"offset {ev.offset} is beyond the clip duration {duration} "
                             f"(tolerance {tolerance} s)", path=path, line=line,
                             field=f"{field}[{i}]")
        if ev.offset > duration:
            if ev.onset >= duration:
                raise InputError(f"event {ev.onset}-{ev.offset} starts after the clip ends "
                                 f"({duration} s)", path=path, line=line, field=f"{field}[{i}]")
            ev = Event(ev.onset, duration, ev.label, ev.score)
            clipped += 1
        out.append(ev)
    return tuple(out), clipped


_HAS_SOURCE = "source" in getattr(Reference, "__dataclass_fields__", {})


def make_reference(**fields: Any) -> Reference:
    """Build a :class:`Reference`; ``source`` ("file:line") is kept when the type has it."""
    if not _HAS_SOURCE:
        fields.pop("source", None)
    return Reference(**fields)


def dedupe_ids(refs: Sequence[Reference]) -> tuple[list[Reference], list[str]]:
    """Rename repeated ids to ``id#2``, ``id#3``...; returns the references and notes."""
    counts = Counter(r.id for r in refs)
    if all(c == 1 for c in counts.values()):
        return list(refs), []
    taken = set(counts)
    seen: Counter[str] = Counter()
    out = []
    renamed = 0
    for ref in refs:
        seen[ref.id] += 1
        if seen[ref.id] == 1:
            out.append(ref)
            continue
        k = seen[ref.id]
        new = f"{ref.id}#{k}"
        while new in taken:
            k += 1
            new = f"{ref.id}#{k}"
        taken.add(new)
        renamed += 1
        out.append(_replace_id(ref, new))
    dupes = sorted(i for i, c in counts.items() if c > 1)
    shown = ", ".join(dupes[:3]) + (" ..." if len(dupes) > 3 else "")
    return out, [f"{renamed} repeated id(s) renamed with a '#n' suffix ({shown})"]


def _replace_id(ref: Reference, new_id: str) -> Reference:
    from dataclasses import replace

    extra = dict(ref.extra)
    extra.setdefault("original_id", ref.id)
    return replace(ref, id=new_id, extra=extra)


def cache_root() -> Path:
    """timebench's cache folder: ``$TIMEBENCH_CACHE`` if set, else ``~/.cache/timebench``."""
    env = os.environ.get("TIMEBENCH_CACHE")
    if env:
        return Path(env).expanduser().absolute()
    return Path.home() / ".cache" / "timebench"
