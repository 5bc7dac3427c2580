"""Class templates of the ``energy`` baseline (:mod:`model_adapters.energy`): prototype spectra
from the ``mini`` synthesisers, from a folder of example clips or from a JSON file, and the
matching of a query's words to a class."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from timebench.errors import InputError

from .energy_features import (DetectorParams, FeatureParams, estimate_background, frame_activity,
                              mel_power, smooth_frames, spectrum_vector)

#: Seed of the prototype stream for the ``mini`` templates (no evaluation clip uses it).
PROTOTYPE_SEED = 7_000_000_007
TEMPLATE_FORMAT = "timebench-energy-templates"
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")


_STOP = frozenset("a an the of on in at to and or with by for from is are be some any this that "
                  "it its into over out up down one sound sounds there".split())
_WORD = re.compile(r"[a-z0-9]+")


def _stem(word: str) -> str:
    for suffix in ("ing", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word


def _words(text: str) -> tuple[str, ...]:
    return tuple(_stem(w) for w in _WORD.findall(text.lower().replace("_", " "))
                 if w not in _STOP)


def _norm_label(label: str) -> str:
    return " ".join(_WORD.findall(label.lower().replace("_", " ").replace("-", " ")))


@dataclass(frozen=True)
class Templates:
    """Per-class prototype vectors plus the words used to map queries to classes.

    ``vectors[k]`` is an ``(n_prototypes, n_mels)`` array of unit vectors for ``labels[k]``;
    ``phrases[label]`` are the phrases a query is matched against (label, name, queries,
    captions); ``captions[label]`` is the caption used for dense captioning.
    """

    labels: tuple[str, ...]
    vectors: tuple[np.ndarray, ...]
    phrases: Mapping[str, tuple[str, ...]]
    captions: Mapping[str, str]
    feature: FeatureParams
    source: str
    recipe: str = ""        # what the vectors were made from (file hashes, seeds), for digest

    def __post_init__(self) -> None:
        if not self.labels:
            raise InputError("templates hold no class", path=self.source)
        for label, vecs in zip(self.labels, self.vectors):
            if vecs.ndim != 2 or vecs.shape[1] != self.feature.n_mels or not len(vecs):
                raise InputError(f"class '{label}': expected prototype vectors of length "
                                 f"{self.feature.n_mels}", path=self.source, field=label)

    @property
    def digest(self) -> str:
        """A stable hash of what the templates were made from, for fingerprints.

        With a ``recipe`` (file hashes, or the ``mini`` seeds and manifest hash) it hashes the
        recipe and the front end, so it does not depend on the last bits of floating-point
        arithmetic on this machine; without one it hashes the vectors rounded to 6 decimals.
        """
        h = hashlib.sha256(json.dumps(asdict(self.feature), sort_keys=True).encode())
        h.update(json.dumps([list(self.labels), {k: list(v) for k, v in self.phrases.items()},
                             dict(self.captions)], sort_keys=True).encode())
        if self.recipe:
            h.update(self.recipe.encode())
        else:
            for vecs in self.vectors:
                h.update(np.round(vecs, 6).astype("<f8").tobytes())
        return h.hexdigest()[:16]

    def similarities(self, vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of one unit vector to each class (max over its prototypes)."""
        return np.array([float(np.max(v @ vector)) for v in self.vectors])

    def similarity_matrix(self, unit_rows: np.ndarray) -> np.ndarray:
        """``(n_rows, n_classes)`` similarities of many unit vectors at once."""
        return np.stack([np.max(unit_rows @ v.T, axis=1) for v in self.vectors], axis=1)

    def caption(self, label: str) -> str:
        return self.captions.get(label) or label.replace("_", " ")


def _vectors(rows: Sequence[np.ndarray], *, where: str, label: str) -> np.ndarray:
    vecs = [v for v in rows if v is not None]
    if not vecs:
        raise InputError(f"class '{label}' has no usable example (all silent?)", path=where,
                         field=label)
    return np.stack(vecs)


def _phrases_for_label(label: str, extra: Sequence[str] = ()) -> tuple[str, ...]:
    return tuple(dict.fromkeys([label.replace("_", " "), *extra]))


def mini_prototype_draws(per_class: int = 24) -> list[tuple[str, dict[str, Any]]]:
    """The events the ``mini`` prototypes are made of: ``(label, drawn event)`` pairs.

    For the ``k``-th class, ``per_class`` events are drawn by the generator's event sampler
    (``generate._draw_event``: length, synthesis parameters and synthesis seed) from a
    :class:`~timebench.datasets.mini.rng.StableRng` seeded with ``PROTOTYPE_SEED + k``; a draw
    whose synthesis seed also appears in the manifest (any clip's event or background) is
    skipped, so no prototype shares noise with an evaluation clip.
    """
    from timebench.datasets.mini import data as mini_data
    from timebench.datasets.mini import generate as mini_generate
    from timebench.datasets.mini.render import load_scenes
    from timebench.datasets.mini.rng import StableRng

    used = _manifest_seeds(load_scenes())
    utterances = mini_generate.speech_index()["utterances"]
    out = []
    for k, cls in enumerate(mini_data.CLASSES):
        rng = StableRng(PROTOTYPE_SEED + k)
        taken = attempts = 0
        while taken < per_class and attempts < 20 * per_class:
            attempts += 1
            drawn = mini_generate._draw_event(rng, cls.label, utterances)
            if int(drawn["seed"]) in used:
                continue
            out.append((cls.label, drawn))
            taken += 1
    return out


@lru_cache(maxsize=4)
def mini_templates(per_class: int = 24, fp: FeatureParams = FeatureParams()) -> Templates:
    """Prototypes of the ``mini`` classes, rendered by the generator's own synthesisers.

    Each draw of :func:`mini_prototype_draws` is synthesised clean (no background) by
    :func:`timebench.datasets.mini.synth.synthesize` and reduced to a unit spectrum vector.
    Phrases (for query matching) are each class's label, name, queries and captions; the
    caption is its first caption.
    """
    from timebench.datasets.mini import data as mini_data
    from timebench.datasets.mini.render import RENDER_VERSION, _Speech, manifest_hash
    from timebench.datasets.mini.synth import synthesize

    sr = mini_data.SAMPLE_RATE
    if sr != fp.sample_rate:
        raise ValueError(f"mini audio is {sr} Hz, the front end expects {fp.sample_rate} Hz")
    speech = _Speech()
    rows: dict[str, list[np.ndarray | None]] = {c.label: [] for c in mini_data.CLASSES}
    for label, drawn in mini_prototype_draws(per_class):
        n = drawn["length"] * sr // 100
        x = synthesize(label, n, drawn["params"], drawn["seed"], speech)
        rows[label].append(spectrum_vector(mel_power(x, fp).mean(axis=0)))
    labels, vectors, phrases, captions = [], [], {}, {}
    for cls in mini_data.CLASSES:
        labels.append(cls.label)
        vectors.append(_vectors(rows[cls.label], where="mini", label=cls.label))
        phrases[cls.label] = _phrases_for_label(cls.label, (cls.name, *cls.queries, *cls.captions))
        captions[cls.label] = cls.captions[0]
    recipe = (f"mini per_class={per_class} seed={PROTOTYPE_SEED} "
              f"manifest={manifest_hash()} render={RENDER_VERSION}")
    return Templates(tuple(labels), tuple(vectors), phrases, captions, fp, source="mini",
                     recipe=recipe)


def _manifest_seeds(scenes: Mapping[str, Any]) -> frozenset[int]:
    seeds = set()
    for clip in scenes.get("clips", []):
        seeds.add(int(clip.get("background", {}).get("seed", -1)))
        for ev in clip.get("events", []):
            seeds.add(int(ev.get("seed", -1)))
    return frozenset(seeds)


def example_vector(x: np.ndarray, fp: FeatureParams, dp: DetectorParams) -> np.ndarray | None:
    """One prototype from an example clip: mean background-subtracted spectrum of active frames.

    A clip with no frame ``high_db`` above its own background (e.g. an event that fills the whole
    clip) uses the mean spectrum of all frames instead.
    """
    P = mel_power(x, fp)
    S = smooth_frames(P, int(round(dp.smooth / fp.hop)))
    B = estimate_background(S, hop=fp.hop, block=dp.bg_block, window=dp.bg_window,
                            quantile=dp.bg_quantile)
    active = frame_activity(S, B, top_bands=dp.top_bands, peak_offset=dp.peak_offset) > dp.high_db
    if active.sum() >= 3:
        return spectrum_vector(np.maximum(P[active] - B[active], 0.0).mean(axis=0))
    return spectrum_vector(P.mean(axis=0))


def templates_from_folder(folder: str | Path, *, fp: FeatureParams = FeatureParams(),
                          dp: DetectorParams = DetectorParams()) -> Templates:
    """Templates from ``<folder>/<label>/*.wav|flac|ogg`` (+ optional ``phrases.txt``)."""
    from timebench.datasets.audio import read_audio

    root = Path(folder)
    labels, vectors, phrases, captions = [], [], {}, {}
    digest = hashlib.sha256(json.dumps(asdict(dp), sort_keys=True).encode())
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(p for p in sub.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
        if not files:
            continue
        rows = []
        for f in files:
            x, _ = read_audio(f, target_sr=fp.sample_rate)
            rows.append(example_vector(x, fp, dp))
            digest.update(f"{sub.name}/{f.name}\0".encode())
            digest.update(hashlib.sha256(f.read_bytes()).digest())
        label = sub.name
        extra: list[str] = []
        phrase_file = sub / "phrases.txt"
        if phrase_file.is_file():
            extra = [line.strip() for line in phrase_file.read_text(encoding="utf-8").splitlines()
                     if line.strip()]
        labels.append(label)
        vectors.append(_vectors(rows, where=str(sub), label=label))
        phrases[label] = _phrases_for_label(label, extra)
        captions[label] = extra[0] if extra else label.replace("_", " ")
    if not labels:
        raise InputError("no <label>/*.wav example folders found", path=str(root),
                         field="templates")
    return Templates(tuple(labels), tuple(vectors), phrases, captions, fp, source=str(root),
                     recipe=f"folder {digest.hexdigest()}")


def save_templates_json(templates: Templates, path: str | Path) -> None:
    """Write templates as JSON (see :func:`load_templates_json` for the format)."""
    from timebench.io import atomic_write_json

    atomic_write_json(path, {
        "format": TEMPLATE_FORMAT, "version": 1, "feature": asdict(templates.feature),
        "classes": {label: {"vectors": np.round(vecs, 8).tolist(),
                            "phrases": list(templates.phrases.get(label, ())),
                            "caption": templates.caption(label)}
                    for label, vecs in zip(templates.labels, templates.vectors)},
    })


def load_templates_json(path: str | Path) -> Templates:
    """Read ``{"format": "timebench-energy-templates", "version": 1, "feature": {...},
    "classes": {label: {"vectors": [[...], ...], "phrases": [...], "caption": "..."}}}``.

    Vectors are non-negative spectra of length ``feature.n_mels`` (normalised on reading).
    """
    spath = str(path)
    from timebench.io import read_text_file

    text = read_text_file(Path(path))
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise InputError(f"malformed JSON: {exc}", path=spath) from None
    if not isinstance(raw, dict) or raw.get("format") != TEMPLATE_FORMAT:
        raise InputError(f"not a templates file (expected \"format\": \"{TEMPLATE_FORMAT}\")",
                         path=spath, field="format")
    feat = raw.get("feature") or {}
    known = {f for f in FeatureParams.__dataclass_fields__}
    if not isinstance(feat, dict) or set(feat) - known:
        raise InputError(f"expected an object with keys from {sorted(known)}", path=spath,
                         field="feature")
    fp = FeatureParams(**feat)
    classes = raw.get("classes")
    if not isinstance(classes, dict) or not classes:
        raise InputError("expected a non-empty object label -> {vectors, ...}", path=spath,
                         field="classes")
    labels, vectors, phrases, captions = [], [], {}, {}
    for label, entry in classes.items():
        where = f"classes.{label}"
        if not isinstance(entry, dict):
            raise InputError("expected an object", path=spath, field=where)
        rows = entry.get("vectors")
        if isinstance(rows, list) and rows and not isinstance(rows[0], list):
            rows = [rows]
        try:
            arr = np.asarray(rows, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError("expected a list of number lists", path=spath,
                             field=f"{where}.vectors") from None
        if arr.ndim != 2 or arr.shape[1] != fp.n_mels or not np.all(np.isfinite(arr)) \
                or np.any(arr < 0):
            raise InputError(f"expected non-negative finite vectors of length {fp.n_mels}",
                             path=spath, field=f"{where}.vectors")
        unit = [spectrum_vector(r ** 2) for r in arr]  # rows are sqrt-spectra (or any shape)
        labels.append(label)
        vectors.append(_vectors(unit, where=spath, label=label))
        ph = entry.get("phrases") or []
        if not isinstance(ph, list) or not all(isinstance(p, str) for p in ph):
            raise InputError("expected a list of strings", path=spath, field=f"{where}.phrases")
        phrases[label] = _phrases_for_label(label, ph)
        cap = entry.get("caption")
        captions[label] = cap if isinstance(cap, str) and cap else label.replace("_", " ")
    recipe = "json " + hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Templates(tuple(labels), tuple(vectors), phrases, captions, fp, source=spath,
                     recipe=recipe)


def load_templates(spec: str, *, per_class: int = 24, dp: DetectorParams = DetectorParams()
                   ) -> Templates:
    """``"mini"``, a folder of labelled clips, or a templates JSON file."""
    if spec == "mini":
        return mini_templates(per_class)
    path = Path(spec).expanduser()
    if path.is_dir():
        return templates_from_folder(path, dp=dp)
    if path.is_file():
        return load_templates_json(path)
    raise InputError("templates: not 'mini', a folder of <label>/*.wav, nor a .json file",
                     path=str(path), field="templates")


def match_class(text: str | None, templates: Templates) -> str | None:
    """The class a query or question names, by words shared with the class phrases.

    A class's score is the sum over query words found in its phrases of ``log(1 + K / df)``
    (``K`` classes, ``df`` = classes whose phrases contain the word), plus 100 when one of
    its phrases occurs verbatim in the text.  Words are lower-cased, stop words dropped and a
    final -ing/-es/-ed/-s removed.  No shared word: ``None``.
    """
    if not text:
        return None
    lowered = " ".join(_WORD.findall(text.lower().replace("_", " ")))
    words = set(_words(text))
    vocab = {label: {w for p in templates.phrases.get(label, (label,)) for w in _words(p)}
             for label in templates.labels}
    df: dict[str, int] = {}
    for ws in vocab.values():
        for w in ws:
            df[w] = df.get(w, 0) + 1
    k = len(templates.labels)
    best, best_score = None, 0.0
    for label in templates.labels:
        score = sum(math.log(1 + k / df[w]) for w in words & vocab[label])
        for phrase in templates.phrases.get(label, ()):
            norm = " ".join(_WORD.findall(phrase.lower()))
            if norm and re.search(rf"\b{re.escape(norm)}\b", lowered):
                score += 100.0
                break
        if score > best_score:
            best, best_score = label, score
    return best
