"""Rendering the ``mini`` benchmark's audio from its manifest, once, into a cache folder.

``render_mini()`` writes ``<cache>/mini/<manifest-hash>/audio/<clip>.wav`` (16 kHz mono 16-bit
PCM) for every clip of ``manifest/scenes.json`` and returns that ``audio`` folder.  ``<cache>`` is
``$TIMEBENCH_CACHE`` or ``~/.cache/timebench`` unless ``cache_dir`` is given; ``<manifest-hash>``
is the first 16 hex digits of :func:`manifest_hash` (manifest files + speech index + the
renderer version), so editing the manifest renders into a fresh folder.

Each file is rendered to a temporary name in the same folder and renamed into place (a reader
never sees half a file); its SHA-256 is recorded in ``render.json`` next to the ``audio``
folder.  A later call skips every clip whose file is present with the recorded hash and
re-renders the others (``force=True`` re-renders all).  The recorded hashes are those of this
machine's render: the noise comes from NumPy's ``Generator``, whose streams may differ between
NumPy versions, which changes the audio slightly but never the references (they come from the
manifest alone).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..base import cache_root
from .data import SAMPLE_RATE
from .generate import manifest_dir
from .synth import background, synthesize

__all__ = ["render_mini", "render_clip", "manifest_hash", "load_scenes", "mini_cache_dir",
           "RENDER_VERSION"]

#: Bump when the synthesis changes, so caches of older renders are not reused.
RENDER_VERSION = 1


def load_scenes() -> dict[str, Any]:
    """The parsed ``manifest/scenes.json``."""
    return json.loads((manifest_dir() / "scenes.json").read_text(encoding="utf-8"))


def manifest_hash() -> str:
    """SHA-256 over the manifest files, the speech index and :data:`RENDER_VERSION`."""
    digest = hashlib.sha256(f"timebench-mini-render-{RENDER_VERSION}\0".encode())
    folder = manifest_dir()
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in (".json", ".jsonl"):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    index = resources.files(__package__).joinpath("assets/speech/index.json").read_bytes()
    digest.update(b"speech\0" + index)
    return digest.hexdigest()


def mini_cache_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """``<cache>/mini/<manifest-hash[:16]>`` (the folder holding ``audio/`` and ``render.json``)."""
    base = Path(cache_dir).expanduser().absolute() if cache_dir is not None else cache_root()
    return base / "mini" / manifest_hash()[:16]


class _Speech:
    """Loads (and keeps) the checked-in speech clips as float64 in [-1, 1]."""

    def __init__(self) -> None:
        self._cache: dict[str, np.ndarray] = {}

    def __call__(self, name: str) -> np.ndarray:
        if name not in self._cache:
            import soundfile as sf

            ref = resources.files(__package__).joinpath(f"assets/speech/{name}.flac")
            with resources.as_file(ref) as path:
                data, sr = sf.read(str(path), dtype="float64")
            if sr != SAMPLE_RATE or data.ndim != 1:
                raise ValueError(f"speech asset {name}: expected 16 kHz mono, got {sr} Hz")
            self._cache[name] = data
        return self._cache[name]


def render_clip(clip: dict[str, Any], *, background_dbfs: float,
                speech: Callable[[str], np.ndarray] | None = None,
                return_stems: bool = False):
    """Mix one clip: background at ``background_dbfs`` RMS plus every event at its SNR.

    Returns float32 samples (and, with ``return_stems``, the float64 background and event-sum
    stems before the final safety scaling, which is 1 unless the mix would clip).
    """
    speech = speech or _Speech()
    n = int(round(clip["duration"] * SAMPLE_RATE))
    bg_rms = 10 ** (background_dbfs / 20)
    bg = background(clip["background"]["kind"], n, clip["background"]["seed"]) * bg_rms
    events = np.zeros(n)
    for ev in clip["events"]:
        start = int(round(ev["onset"] * SAMPLE_RATE))
        stop = int(round(ev["offset"] * SAMPLE_RATE))
        sig = synthesize(ev["label"], stop - start, ev["params"], ev["seed"], speech)
        events[start:stop] += sig * bg_rms * 10 ** (ev["snr_db"] / 20)
    mix = bg + events
    peak = float(np.max(np.abs(mix))) if n else 0.0
    scale = 0.98 / peak if peak > 0.98 else 1.0
    out = (mix * scale).astype(np.float32)
    if return_stems:
        return out, bg, events
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_wav(path: Path, samples: np.ndarray) -> None:
    import soundfile as sf

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        sf.write(tmp, samples, SAMPLE_RATE, subtype="PCM_16", format="WAV")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _write_json(path: Path, obj: Any) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=1, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, path)


def render_mini(cache_dir: str | os.PathLike | None = None, *, force: bool = False,
                progress: bool = True) -> Path:
    """Render every clip that is missing or changed; return the ``audio`` folder."""
    scenes = load_scenes()
    folder = mini_cache_dir(cache_dir)
    audio = folder / "audio"
    audio.mkdir(parents=True, exist_ok=True)
    record_path = folder / "render.json"
    record: dict[str, Any] = {}
    if record_path.is_file() and not force:
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = {}
    hashes: dict[str, str] = dict(record.get("files", {})) if not force else {}
    todo = []
    for clip in scenes["clips"]:
        path = audio / clip["audio"]
        known = hashes.get(clip["audio"])
        if known is not None and path.is_file() and _sha256(path) == known:
            continue
        todo.append(clip)
    if not todo:
        return audio
    speech = _Speech()
    started = time.perf_counter()

    def work(clip: dict[str, Any]) -> None:
        path = audio / clip["audio"]
        _write_wav(path, render_clip(clip, background_dbfs=scenes["background_dbfs"],
                                     speech=speech))
        hashes[clip["audio"]] = _sha256(path)

    if progress:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn)

        console = Console(stderr=True)
        with Progress(TextColumn("[bold]mini[/] rendering audio"), BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                      transient=not console.is_terminal) as bar:
            task = bar.add_task("render", total=len(todo))
            for clip in todo:
                work(clip)
                bar.advance(task)
    else:
        for clip in todo:
            work(clip)
    _write_json(record_path, {
        "manifest_hash": manifest_hash(), "render_version": RENDER_VERSION,
        "numpy": np.__version__, "seconds": round(time.perf_counter() - started, 3),
        "files": hashes,
    })
    return audio
