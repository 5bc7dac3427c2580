"""``TimeAudioAdapter``: TimeAudio (lysanderism/TimeAudio, AAAI 2026) behind timebench's adapter protocol.

Usage::

    timebench run --models timeaudio --tasks tag,dac,tss
    timebench run --models "timeaudio:model_dir=/data/pretrained_model,token_merge=true,batch_size=8"

Settings (all optional; strings from the command line are converted):

==================  ==========================  ===============================================
setting             default                     meaning
==================  ==========================  ===============================================
model_dir           ``pretrained_model``        folder with the files of :mod:`.loading`
whisper_path        ``<model_dir>/whisper-large-v2``
beats_path          ``<model_dir>/BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt2.pt``
llama_path          ``<model_dir>/vicuna-7b-v1.5``
ckpt_path           ``<model_dir>/timeaudio.pth``
bert_config         ``<model_dir>/bert-base-uncased`` if present, else built-in values
device              ``auto`` (cuda if available)
dtype               ``auto``: float16 on GPU (as released), float32 on CPU; or bfloat16/float32
token_merge         ``False`` (``infer_config.yaml``; the paper's SEM = stage-2 training used True)
merge_dominant / merge_contextual / merge_segment_base      22 / 4 / 88
merge_impl          ``fast`` (batched) or ``reference`` (per segment); same tokens
merge_ties          ``release`` (``torch.topk`` per segment, as released) or ``stable`` (named
                    deviation: earlier window wins on equal scores; device-independent)
beats_chunking      ``whole`` (as released) or ``chunked`` (named deviation: 30-s pieces, less
                    memory; see :mod:`.encoder`)
num_beams           4          max_new_tokens  200
batch_size          4 (clips per LLM batch, bucketed by audio length)
encoder_batch_size  8 (Whisper chunks / BEATs pieces per encoder call)
max_len             180 (seconds; ``datasets.max_len`` of ``infer_config.yaml``)
over_limit          ``truncate`` (as released: audio past ``max_len`` is cut, and the runner
                    counts it per task as ``n_truncated``) or ``fail`` (named deviation: the
                    sample fails and scores 0)
verify_sha256       ``True`` (check ``timeaudio.pth`` against the published hash)
tiny / seed         ``False`` / 0: a random-initialised tiny model without files (tests)
==================  ==========================  ===============================================

``Generation.text`` is the answer with marker tokens decoded to seconds (``"3.2 - 10.5"``, the
release's ``decode_time_answer_v3``); ``Generation.meta["raw_text"]`` keeps the model's own text.
Audio must be 16 kHz (the release rejects other rates; we do not resample).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from timebench.errors import InputError

from ..base import Generation, ModelAdapter, Request, mark_truncated, setting_bool
from .config import GenerationSettings, TimeAudioConfig, released_config, tiny_config
from .markers import decode_time_answer_v3

__all__ = ["TimeAudioAdapter"]

_DEFAULTS: dict[str, Any] = {
    "model_dir": "pretrained_model", "whisper_path": None, "beats_path": None, "llama_path": None,
    "ckpt_path": None, "bert_config": None, "device": "auto", "dtype": "auto", "token_merge": False,
    "merge_dominant": 22, "merge_contextual": 4, "merge_segment_base": 88, "merge_impl": "fast",
    "merge_ties": "release", "over_limit": "truncate", "beats_chunking": "whole", "num_beams": 4, "max_new_tokens": 200, "batch_size": 4,
    "encoder_batch_size": 8, "max_len": 180.0, "verify_sha256": True, "tiny": False, "seed": 0,
}
_BOOL = {"token_merge", "verify_sha256", "tiny"}
_INT = {"merge_dominant", "merge_contextual", "merge_segment_base", "num_beams", "max_new_tokens",
        "batch_size", "encoder_batch_size", "seed"}
_FLOAT = {"max_len"}
_CHOICES = {"merge_impl": ("fast", "reference"), "beats_chunking": ("whole", "chunked"),
            "merge_ties": ("release", "stable"), "over_limit": ("truncate", "fail"),
            "dtype": ("auto", "float16", "bfloat16", "float32")}


def _coerce(key: str, value: Any) -> Any:
    where = {"path": "timeaudio settings", "field": key}
    if key in _BOOL:
        return setting_bool(value, **where)
    if key in _INT:
        try:
            out = int(value)
        except (TypeError, ValueError):
            raise InputError(f"expected an integer, got {value!r}", **where) from None
        if out < (0 if key == "seed" else 1):
            raise InputError(f"must be positive, got {out}", **where)
        return out
    if key in _FLOAT:
        try:
            out = float(value)
        except (TypeError, ValueError):
            raise InputError(f"expected a number, got {value!r}", **where) from None
        if out <= 0:
            raise InputError(f"must be positive, got {out}", **where)
        return out
    if key in _CHOICES and value not in _CHOICES[key]:
        raise InputError(f"expected one of {', '.join(_CHOICES[key])}, got {value!r}", **where)
    return value


class TimeAudioAdapter(ModelAdapter):
    """TimeAudio answering prompts about 16 kHz audio (see the module docstring for settings)."""

    name = "timeaudio"
    outputs = frozenset({"text"})
    sample_rate = 16000
    max_audio_seconds = 180.0
    version = "1"
    runtime_settings = ModelAdapter.runtime_settings | frozenset({"merge_impl", "encoder_batch_size", "verify_sha256"})

    def __init__(self, **settings: Any) -> None:
        unknown = sorted(set(settings) - set(_DEFAULTS))
        if unknown:
            import difflib

            hints = {k: difflib.get_close_matches(k, list(_DEFAULTS), n=1) for k in unknown}
            msg = ", ".join(f"{k!r}" + (f" (did you mean {hints[k][0]!r}?)" if hints[k] else "") for k in unknown)
            raise InputError(f"unknown setting(s) {msg}; known: {', '.join(sorted(_DEFAULTS))}",
                             path="timeaudio settings", field=unknown[0])
        resolved = {k: _coerce(k, settings.get(k, v)) if settings.get(k, v) is not None else None
                    for k, v in _DEFAULTS.items()}
        super().__init__(**resolved)
        self.max_audio_seconds = float(resolved["max_len"])
        self.over_limit = resolved["over_limit"]
        self._model = None
        self.coverage = None
        self._build()

    @classmethod
    def from_tiny_config(cls, seed: int = 0, **settings: Any) -> TimeAudioAdapter:
        """A random-initialised tiny TimeAudio (no files): for tests and the CPU benchmark."""
        return cls(tiny=True, seed=seed, **settings)

    # -- construction -------------------------------------------------------------------------------
    def _model_config(self) -> TimeAudioConfig:
        s = self.settings
        base = tiny_config() if s["tiny"] else released_config()
        return base.with_(
            max_audio_seconds=float(s["max_len"]), beats_chunking=s["beats_chunking"],
            merge={"enabled": s["token_merge"], "dominant": s["merge_dominant"],
                   "contextual": s["merge_contextual"], "segment_base": s["merge_segment_base"],
                   "tie_break": s["merge_ties"]},
            generation=GenerationSettings(num_beams=s["num_beams"], max_new_tokens=s["max_new_tokens"]))

    def _device_dtype(self):
        import torch

        device = self.settings["device"]
        if device in (None, "auto"):
            device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype_name = self.settings["dtype"]
        on_gpu = str(device).startswith("cuda")
        if dtype_name == "auto":
            dtype_name = "float16" if on_gpu else "float32"
        if dtype_name == "float16" and not on_gpu:
            raise InputError("float16 needs a GPU; use float32 (or bfloat16) on CPU",
                             path="timeaudio settings", field="dtype")
        return device, getattr(torch, dtype_name)

    def _build(self) -> None:
        s = self.settings
        try:
            config = self._model_config()
        except ValueError as exc:
            raise InputError(str(exc), path="timeaudio settings", field="merge_dominant") from None
        self.model_config = config
        if s["tiny"]:
            from transformers import WhisperFeatureExtractor

            from .model import build_tiny_model

            device, dtype = self._device_dtype()
            model = build_tiny_model(config, seed=s["seed"], merge_impl=s["merge_impl"])
            model.encoder_batch_size = s["encoder_batch_size"]
            self._model = model.to(device=device, dtype=dtype)
            self._extractor = WhisperFeatureExtractor(feature_size=80)
            return
        from .loading import load_timeaudio, resolve_files

        files = resolve_files(model_dir=s["model_dir"], whisper=s["whisper_path"], beats=s["beats_path"],
                              llama=s["llama_path"], ckpt=s["ckpt_path"], bert=s["bert_config"])
        device, dtype = self._device_dtype()
        self._model, self.coverage, self._extractor = load_timeaudio(
            files, config, device=device, dtype=dtype, verify_sha256=s["verify_sha256"], merge_impl=s["merge_impl"])
        self._model.encoder_batch_size = s["encoder_batch_size"]

    @property
    def model(self):
        """The underlying :class:`.model.TimeAudioModel`."""
        return self._model

    # -- generation ---------------------------------------------------------------------------------
    def _waveform(self, request: Request) -> np.ndarray:
        if request.waveform is not None:
            rate = request.sample_rate or self.sample_rate
            wav = np.asarray(request.waveform, dtype=np.float32)
        elif request.audio:
            import soundfile as sf

            wav, rate = sf.read(request.audio, dtype="float32", always_2d=False)
        else:
            raise ValueError("request has neither a waveform nor an audio path")
        if rate != self.sample_rate:
            raise ValueError(f"TimeAudio needs {self.sample_rate} Hz audio, got {rate} Hz (resample first)")
        return wav

    def _run_batch(self, items: Sequence[tuple[int, np.ndarray, Request]]) -> list[Generation]:
        from .encoder import prepare_audio

        model = self._model
        batch = prepare_audio([w for _, w, _ in items], config=model.audio_config, feature_extractor=self._extractor)
        prompts = [r.prompt for _, _, r in items]
        ids, counts, windows = model.generate(batch, prompts, model.audio_config.generation)
        out = []
        for seq, n_tok, n_win, dur in zip(ids, counts, windows, batch.durations):
            raw = model.tokenizer.decode(seq, skip_special_tokens=True).strip()
            text = decode_time_answer_v3(raw) if "<f_" in raw else raw
            out.append(Generation(text=text.strip(), meta={
                "raw_text": raw, "audio_tokens": n_tok, "windows": n_win, "duration": dur,
                "token_merge": model.audio_config.merge.enabled}))
        return out

    def generate(self, requests: Sequence[Request]) -> list[Generation]:
        """One answer per request; clips are sorted by length and batched ``batch_size`` at a time."""
        results: list[Generation | None] = [None] * len(requests)
        items = []
        truncated: dict[int, float] = {}
        for i, request in enumerate(requests):
            try:
                wav = self._waveform(request)
            except Exception as exc:  # unreadable audio, wrong rate: a failure for this sample only
                results[i] = Generation(error=f"{type(exc).__name__}: {exc}")
                continue
            seconds = wav.shape[0] / self.sample_rate
            if seconds > self.max_audio_seconds + 1e-9:
                if self.over_limit == "fail":
                    results[i] = Generation(error=f"audio is {seconds:.1f} s, longer than max_len "
                                                  f"{self.max_audio_seconds:g} s (over_limit=fail)")
                    continue
                truncated[i] = seconds    # prepare_audio cuts it to max_len, as the release does
            items.append((i, wav, request))
        items.sort(key=lambda it: it[1].shape[0])
        size = self.settings["batch_size"]
        for start in range(0, len(items), size):
            group = items[start:start + size]
            try:
                gens = self._run_batch(group)
            except Exception as exc:
                if len(group) == 1:
                    gens = [Generation(error=f"{type(exc).__name__}: {exc}")]
                else:  # retry one by one so one bad clip (or memory) does not fail the batch
                    gens = []
                    for item in group:
                        try:
                            gens.extend(self._run_batch([item]))
                        except Exception as inner:
                            gens.append(Generation(error=f"{type(inner).__name__}: {inner}"))
            for (i, _, _), gen in zip(group, gens):
                results[i] = mark_truncated(gen, truncated.get(i), self.max_audio_seconds)
        return [g if g is not None else Generation(error="not generated") for g in results]

    def close(self) -> None:
        self._model = None
        from .._torch_utils import release_accelerator_memory

        release_accelerator_memory()
