"""Dataset loaders: official annotation formats -> contract references, plus the bundled ``mini``.

``load_dataset(format, path, root=..., **options)`` looks the format up in :data:`FORMATS` (a
:class:`~timebench.registry.Registry` with lazy targets, so only the loader asked for is
imported) and returns a :class:`LoadedDataset`.  Formats:

================  ==========================================================================
``ftar``          TimeAudio FTAR JSON (dac / tag / tss / tqa; ``task=`` selects one)
``spotsound``     SpotSound-Bench rows (``audio_path, caption, annotations``; empty = negative)
``audiogrounding``  AudioGrounding v2 phrase JSON
``lighthouse``    Lighthouse AMR JSONL; presets ``clotho_moment``, ``unav100_subset``, ``tut2017``
``dcase_tsv``     DESED / AudioSet-Strong strong-label TSV (alias ``desed``, ``audioset_strong``)
``tacos``         TACOS ``annotations_strong.csv``
``hf``            Hugging Face ``datasets`` saved locally (extra ``hf``)
``jsonl``         contract reference JSONL / JSON list
``mini``          the bundled synthetic benchmark (``task=`` one of tag, spotsound, sed, dac,
                  tss, tqa; no path)
================  ==========================================================================

Unknown format names raise :class:`~timebench.errors.UnknownNameError` with suggestions, and
unknown options raise :class:`~timebench.errors.InputError` listing the accepted ones.
"""

from __future__ import annotations

import inspect
import os
from typing import Any

from ..errors import InputError
from ..registry import Registry
from .base import LoadedDataset

__all__ = ["LoadedDataset", "FORMATS", "load_dataset", "read_audio"]

FORMATS: Registry = Registry("dataset format")
FORMATS.register("ftar", "timebench.datasets.ftar:load_ftar")
FORMATS.register("spotsound", "timebench.datasets.spotsound:load_spotsound",
                 aliases=("spotsound_bench",))
FORMATS.register("audiogrounding", "timebench.datasets.audiogrounding:load_audiogrounding",
                 aliases=("audio_grounding",))
FORMATS.register("lighthouse", "timebench.datasets.lighthouse:load_lighthouse")
FORMATS.register("clotho_moment", "timebench.datasets.lighthouse:load_clotho_moment")
FORMATS.register("unav100_subset", "timebench.datasets.lighthouse:load_unav100_subset")
FORMATS.register("tut2017", "timebench.datasets.lighthouse:load_tut2017")
FORMATS.register("dcase_tsv", "timebench.datasets.dcase_tsv:load_dcase_tsv",
                 aliases=("desed", "audioset_strong"))
FORMATS.register("tacos", "timebench.datasets.tacos:load_tacos")
FORMATS.register("hf", "timebench.datasets.hf:load_hf", aliases=("huggingface",))
FORMATS.register("jsonl", "timebench.datasets.jsonl:load_jsonl", aliases=("contract",))
FORMATS.register("mini", "timebench.datasets.mini:load_mini_format")


def load_dataset(format: str, path: str | os.PathLike | None = None, *,
                 root: str | os.PathLike | None = None, **options: Any) -> LoadedDataset:
    """Load ``path`` in the named ``format`` (see the module docstring for the formats)."""
    loader = FORMATS.get(format)
    params = inspect.signature(loader).parameters
    accepted = [n for n, p in params.items()
                if p.kind == inspect.Parameter.KEYWORD_ONLY and n != "root"]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise InputError(f"format '{format}' does not take the option(s) "
                         f"{', '.join(unknown)}; it takes: {', '.join(accepted) or 'none'}",
                         field=unknown[0])
    if FORMATS.resolve_name(format) != "mini" and path is None:
        raise InputError(f"format '{format}' needs a path", field="path")
    return loader(path, root=root, **options)


def read_audio(path: str | os.PathLike, *, target_sr: int | None = 16000):
    """See :func:`timebench.datasets.audio.read_audio` (imported lazily)."""
    from .audio import read_audio as _read

    return _read(path, target_sr=target_sr)

