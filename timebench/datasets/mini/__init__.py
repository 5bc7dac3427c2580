"""``mini``: a small synthetic benchmark that ships with timebench, so everything runs offline.

Fifty clips (about 35 minutes) of synthesised sound events (beeps, chirps, noise bursts, click
trains, two-tone alarms, knocks, hums and espeak-ng speech) mixed into coloured noise at known
times and SNRs, with exact references for six tasks:

=============  ====  ===================================================================
``tag``          40  grounding: ``query`` + every window of the queried class
``spotsound``    40  60-120 s clips, needles < 10 % of the clip, 12 absent-event negatives
``sed``          30  event lists labelled with the 8-class vocabulary (:data:`LABELS`)
``dac``          20  events labelled with captions
``tss``           8  speech timelines: topic segments labelled with a summary
``tqa``          40  counting / ordering / duration questions (``extra.qtype``)
=============  ====  ===================================================================

The references and the scene description (``manifest/``) are generated deterministically by
:mod:`.generate` and checked in; the audio is rendered from them on first use by
:mod:`.render` into ``$TIMEBENCH_CACHE`` (or ``~/.cache/timebench``).
"""

from __future__ import annotations

import os
from pathlib import Path

from ...errors import InputError, UnknownNameError
from ...io import read_references
from ..base import LoadedDataset
from .data import LABELS, TASKS

__all__ = ["load_mini", "render_mini", "load_mini_format", "TASKS", "LABELS", "manifest_dir"]


def manifest_dir() -> Path:
    """The folder holding the checked-in manifest (``manifest/``)."""
    from .generate import manifest_dir as _dir

    return _dir()


def render_mini(cache_dir: str | os.PathLike | None = None, *, force: bool = False,
                progress: bool = True) -> Path:
    """Render the benchmark's audio if needed; return the audio folder (see :mod:`.render`)."""
    from .render import render_mini as _render

    return _render(cache_dir, force=force, progress=progress)


def load_mini(task: str, *, cache_dir: str | os.PathLike | None = None,
              render: bool = True) -> LoadedDataset:
    """The references of one ``mini`` task; ``root`` is the rendered audio folder.

    With ``render=False`` nothing is rendered and ``root`` is where the audio would be.
    """
    if task not in TASKS:
        raise UnknownNameError("mini task", task, TASKS)
    if render:
        root = render_mini(cache_dir)
    else:
        from .render import mini_cache_dir

        root = mini_cache_dir(cache_dir) / "audio"
    refs = read_references(manifest_dir() / f"{task}.jsonl")
    labels = LABELS if task == "sed" else None
    return LoadedDataset(references=tuple(refs), labels=labels, root=root,
                         source=f"mini:{task}", task_kind=task)


def load_mini_format(path: str | os.PathLike | None = None, *,
                     root: str | os.PathLike | None = None, task: str | None = None,
                     cache_dir: str | os.PathLike | None = None,
                     render: bool = True) -> LoadedDataset:
    """Entry of the ``mini`` format in :func:`timebench.datasets.load_dataset` (no path)."""
    if path is not None:
        raise InputError("the mini benchmark is bundled: give no path, only task=...",
                         field="path")
    if root is not None:
        raise InputError("the mini benchmark's root is its render folder; use cache_dir=...",
                         field="root")
    if task is None:
        raise InputError(f"the mini format needs task=... (one of {', '.join(TASKS)})",
                         field="task")
    return load_mini(task, cache_dir=cache_dir, render=render)
