"""``vad``: speech timing with silero-vad (the model ships inside the ``silero-vad`` wheel).

A speech-only baseline for timeline speech summaries (``summary`` kind, e.g. ``tss``) and for
sound event detection when ``speech`` is one of the task's labels.  It answers *when* someone
speaks, never *what* is said: every segment carries the same label.

How it works
    1. the waveform (16 kHz mono; read with soundfile when only a path is given) is cut into
       512-sample chunks (32 ms) and silero-vad gives one speech probability per chunk;
    2. ``silero_vad.get_speech_timestamps_from_probs`` (the package's own post-processing:
       threshold with hysteresis ``threshold - 0.15``, ``min_speech_ms``, ``min_silence_ms``,
       ``speech_pad_ms``) turns them into speech segments.  ``min_silence_ms`` defaults to 300
       (silero's own default, 100, cuts a sentence at every comma; annotated speech events are
       usually whole utterances);
    3. summary: segments closer than ``merge_gap`` seconds are joined (a topic segment holds a
       few sentences with short pauses), each labelled ``summary_label``;
       detection: segments labelled ``speech`` (the task label that matches ``speech_label``),
       plus frame scores (the chunk probabilities in the speech column, 0 elsewhere) for PSDS.

Other task kinds get an empty answer with a note in ``meta`` (and :meth:`supports_task` says
so); a detection task without a speech label gets no events.

Dependencies: ``pip install 'timebench[vad]'`` (``silero-vad``, ``torch``), imported lazily.
``import silero_vad`` calls ``torch.set_num_threads(1)``; the adapter restores the previous
value right after the import.  ``silero_vad.read_audio`` needs torchaudio/torchcodec and is not
used.
"""

from __future__ import annotations

import math
import warnings
from typing import Sequence

import numpy as np

from timebench.errors import InputError, MissingDependencyError
from timebench.types import Event

from .base import FrameScores, Generation, Request
from .baselines import BaselineAdapter, Setting, render_text

__all__ = ["VadAdapter", "load_silero", "speech_probabilities", "SUPPORTED_KINDS"]

SUPPORTED_KINDS = frozenset({"summary", "detection"})
CHUNK = 512            # samples per silero-vad window at 16 kHz
SAMPLE_RATE = 16000

_MODEL = None


def load_silero():
    """The silero-vad JIT model (loaded once per process; torch thread count preserved)."""
    global _MODEL
    if _MODEL is None:
        try:
            import torch
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise MissingDependencyError("torch", "vad", "the vad baseline") from exc
        threads = torch.get_num_threads()
        try:
            import silero_vad
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise MissingDependencyError("silero-vad", "vad", "the vad baseline") from exc
        finally:
            torch.set_num_threads(threads)
        with warnings.catch_warnings():  # the package's own deprecation notices (jit.load, ...)
            warnings.simplefilter("ignore", DeprecationWarning)
            _MODEL = silero_vad.load_silero_vad()
        torch.set_num_threads(threads)
    return _MODEL


def speech_probabilities(x: np.ndarray) -> np.ndarray:
    """One speech probability per 512-sample chunk (the last chunk zero-padded), 16 kHz input."""
    import torch

    model = load_silero()
    wav = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32).reshape(-1))
    n = int(wav.shape[0])
    model.reset_states()
    probs = np.empty(max(0, -(-n // CHUNK)), dtype=np.float64)
    with torch.inference_mode():
        for i, start in enumerate(range(0, n, CHUNK)):
            chunk = wav[start:start + CHUNK]
            if chunk.shape[0] < CHUNK:
                chunk = torch.nn.functional.pad(chunk, (0, CHUNK - int(chunk.shape[0])))
            probs[i] = float(model(chunk, SAMPLE_RATE).item())
    model.reset_states()
    return probs


def _norm(label: str) -> str:
    return " ".join(label.lower().replace("_", " ").replace("-", " ").split())


class VadAdapter(BaselineAdapter):
    """silero-vad speech segments for summary (``tss``) and speech detection (see module doc)."""

    name = "vad"
    outputs = frozenset({"text", "events", "frame_scores"})
    sample_rate = SAMPLE_RATE
    version = "1"
    settings_spec = {
        "threshold": Setting(0.5, float, "speech probability threshold (silero default 0.5)",
                             lambda v: 0 < v < 1, "must be in (0, 1)"),
        "min_speech_ms": Setting(250, int, "shorter speech segments are dropped",
                                 lambda v: v >= 0, "must be >= 0"),
        "min_silence_ms": Setting(300, int, "silence needed to end a segment (silero's own "
                                            "default, 100, splits sentences at commas)",
                                  lambda v: v >= 0, "must be >= 0"),
        "speech_pad_ms": Setting(30, int, "padding added to both ends of a segment",
                                 lambda v: v >= 0, "must be >= 0"),
        "merge_gap": Setting(1.2, float, "summary: segments closer than this (s) are joined",
                             lambda v: v >= 0 and math.isfinite(v), "must be >= 0"),
        "summary_label": Setting("the speaker talks", str, "label of every summary segment"),
        "speech_label": Setting("speech", str, "the detection label that means speech"),
    }

    def supports_task(self, task_kind: str) -> bool:
        return task_kind in SUPPORTED_KINDS

    # -- audio ------------------------------------------------------------------------------------
    @staticmethod
    def _waveform(r: Request) -> np.ndarray:
        if r.waveform is not None:
            x = np.asarray(r.waveform, dtype=np.float32).reshape(-1)
            if r.sample_rate not in (None, SAMPLE_RATE):
                from timebench.datasets.audio import resample

                x = resample(x, int(r.sample_rate), SAMPLE_RATE)
            return x
        if r.audio:
            from timebench.datasets.audio import read_audio

            return read_audio(r.audio, target_sr=SAMPLE_RATE)[0]
        raise InputError("the vad baseline needs audio (no waveform and no audio path)",
                         field="audio")

    def segments(self, x: np.ndarray, probs: np.ndarray) -> list[tuple[float, float]]:
        """Speech segments in seconds from chunk probabilities (silero's post-processing).

        silero-vad < 6 has no ``get_speech_timestamps_from_probs``; there the waveform goes
        through ``get_speech_timestamps`` (same post-processing, probabilities recomputed).
        """
        import silero_vad

        options = dict(sampling_rate=SAMPLE_RATE, threshold=self.opt("threshold"),
                       min_speech_duration_ms=self.opt("min_speech_ms"),
                       min_silence_duration_ms=self.opt("min_silence_ms"),
                       speech_pad_ms=self.opt("speech_pad_ms"))
        from_probs = getattr(silero_vad, "get_speech_timestamps_from_probs", None)
        if from_probs is not None:
            stamps = from_probs([float(p) for p in probs], audio_length_samples=int(x.size),
                                **options)
        else:  # pragma: no cover - older silero-vad
            import torch

            stamps = silero_vad.get_speech_timestamps(
                torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)), load_silero(),
                **options)
        return [(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in stamps]

    # -- answers ----------------------------------------------------------------------------------
    def generate(self, requests: Sequence[Request]) -> list[Generation]:
        out = []
        for r in requests:
            if not self.supports_task(r.kind):
                out.append(Generation(text="", meta={
                    "note": f"vad answers only {', '.join(sorted(SUPPORTED_KINDS))} tasks, "
                            f"not {r.kind or 'an unknown kind'}"}))
                continue
            try:
                x = self._waveform(r)
            except InputError as exc:
                out.append(Generation(error=str(exc)))
                continue
            probs = speech_probabilities(x)
            segs = self.segments(x, probs)
            duration = r.duration if r.duration is not None else x.size / SAMPLE_RATE
            segs = [(round(s, 3), round(min(e, duration), 3)) for s, e in segs if s < duration]
            if r.kind == "summary":
                out.append(self._summary(segs))
            else:
                out.append(self._detection(r, segs, probs, x.size))
        return out

    def _summary(self, segs: list[tuple[float, float]]) -> Generation:
        joined: list[list[float]] = []
        for s, e in segs:
            if joined and s - joined[-1][1] < self.opt("merge_gap"):
                joined[-1][1] = max(joined[-1][1], e)
            else:
                joined.append([s, e])
        label = self.opt("summary_label")
        events = tuple(Event(s, e, label) for s, e in joined)
        return Generation(text=render_text("summary", events=events), events=events,
                          meta={"speech_segments": len(segs)})

    def _detection(self, r: Request, segs: list[tuple[float, float]], probs: np.ndarray,
                   n_samples: int) -> Generation:
        labels = tuple(r.labels) or (self.opt("speech_label"),)
        target = next((lab for lab in labels if _norm(lab) == _norm(self.opt("speech_label"))),
                      None)
        if target is None:
            return Generation(text="", events=(), meta={
                "note": f"no '{self.opt('speech_label')}' among the task's labels; vad detects "
                        f"speech only"})
        events = tuple(Event(s, e, target) for s, e in segs)
        times = np.arange(probs.size + 1, dtype=np.float64) * (CHUNK / SAMPLE_RATE)
        if probs.size:
            times[-1] = max(n_samples / SAMPLE_RATE, times[-2] + 1e-6)
        scores = np.zeros((probs.size, len(labels)))
        scores[:, labels.index(target)] = probs
        return Generation(text=render_text("detection", events=events), events=events,
                          frame_scores=FrameScores(times=times, scores=scores, labels=labels),
                          meta={"speech_segments": len(segs)})
