"""Shared machinery of the ``transformers`` audio-language-model adapters.

:class:`HFAudioLMAdapter` does everything that is not model-specific:

* **settings** (:data:`COMMON_SETTINGS`): typed, validated, converted from command-line strings,
  with "did you mean" for unknown names; ``device``/``batch_size``/``local_files_only`` are runtime
  settings (outside the fingerprint), everything else that can change an output is inside it, and
  ``dtype="auto"`` is recorded as the dtype it resolved to;
* **loading**: ``model`` is a hub id or a local folder; a local folder is read with
  ``local_files_only=True``; a hub id is read from the local Hugging Face cache or downloaded
  (offline when ``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE`` is set).  A checkpoint that cannot be
  found raises :class:`CheckpointNotFoundError` with the download command;
  :meth:`HFAudioLMAdapter.from_components` takes an already-built model and processor instead
  (tests build tiny random-initialised ones);
* **device / dtype**: ``device="auto"`` is CUDA when available; ``dtype="auto"`` is bfloat16 on a
  GPU and float32 on CPU;
* **decoding**: with ``decoding="checkpoint"`` (an adapter whose released inference calls
  ``generate`` with only ``max_new_tokens``, e.g. SpotSound) the checkpoint's own
  ``generation_config`` with ``max_new_tokens`` from the settings -- sampling included; the values
  it resolved to are recorded in ``config()["generation"]``.  Otherwise (adapters that do not
  declare the setting, or ``decoding="greedy"``) an explicit
  :class:`transformers.GenerationConfig` built from the settings only
  (greedy by default: ``do_sample=False``, ``num_beams=1``, ``repetition_penalty=1.0``).  The
  sampling defaults a checkpoint ships in its ``generation_config.json`` (Qwen2-Audio-Instruct:
  ``top_k=20, top_p=0.5, temperature=0.7, repetition_penalty=1.1``; AF3-hf: ``top_k=20,
  top_p=0.8, temperature=0.7, repetition_penalty=1.05``) are never used unless asked for, so a
  number does not depend on which copy of the checkpoint was loaded.  Only its ``eos_token_id``
  list is taken from the checkpoint.  With ``do_sample=true`` each request is generated alone
  after ``torch.manual_seed(request.seed)``;
* **batching**: requests are cut into batches of ``batch_size``; texts are left-padded; the prompt
  is stripped from the outputs; a failing batch is retried one request at a time so one bad clip
  fails only itself.  ``Generation.meta`` records ``prompt_tokens``, ``audio_tokens`` (placeholders
  filled with audio features), ``generated_tokens`` and ``audio_seconds``.

A subclass provides :meth:`~HFAudioLMAdapter._load_components` (model, tokenizer, feature
extractor from a path) and :meth:`~HFAudioLMAdapter._run_batch` (one batch of waveforms and
prompts to generations), and usually :meth:`~HFAudioLMAdapter.render_inputs` (the exact text the
model sees, for the prompt snapshots in ``tests/snapshots/``).

Imports no torch/transformers at module level.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from timebench.errors import InputError, TimebenchError

from .base import TRUE_WORDS, Generation, ModelAdapter, Request, mark_truncated, setting_bool

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "COMMON_SETTINGS",
    "CheckpointNotFoundError",
    "HFAudioLMAdapter",
    "Setting",
    "compress_runs",
    "download_hint",
    "is_local_path",
    "load_waveform",
    "offline_mode",
    "download_allowed",
    "DOWNLOAD_ENV",
    "resolve_settings",
]


class CheckpointNotFoundError(TimebenchError):
    """Model weights (or a LoRA adapter) could not be found locally nor fetched from the Hub."""


# ------------------------------------------------------------------------------------------------
# settings
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Setting:
    """One adapter setting: default, type (``bool``/``int``/``float``/``str``), allowed values."""

    default: Any
    kind: str = "str"
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    doc: str = ""

    def coerce(self, name: str, value: Any, where: str) -> Any:
        if value is None:
            return None
        loc = {"path": where, "field": name}
        if self.kind == "bool":
            return setting_bool(value, **loc)
        if self.kind in ("int", "float"):
            if isinstance(value, bool):
                raise InputError(f"expected a number, got {value!r}", **loc)
            try:
                out = int(value) if self.kind == "int" else float(value)
            except (TypeError, ValueError):
                raise InputError(f"expected {'an integer' if self.kind == 'int' else 'a number'}, "
                                 f"got {value!r}", **loc) from None
            if self.kind == "int" and isinstance(value, float) and value != int(value):
                raise InputError(f"expected an integer, got {value!r}", **loc)
            if self.minimum is not None and out < self.minimum:
                raise InputError(f"must be >= {self.minimum:g}, got {out}", **loc)
            return out
        text = str(value)
        if self.choices and text not in self.choices:
            raise InputError(f"expected one of {', '.join(self.choices)}, got {value!r}", **loc)
        return text


#: Settings every transformers adapter accepts (subclasses add their own and change defaults).
COMMON_SETTINGS: Mapping[str, Setting] = {
    "model": Setting("", doc="hub id or local folder of the checkpoint"),
    "device": Setting("auto", doc="auto (cuda if available), cpu, cuda, cuda:1, ..."),
    "dtype": Setting("auto", choices=("auto", "bfloat16", "float16", "float32"),
                     doc="auto: bfloat16 on GPU, float32 on CPU"),
    "attn_implementation": Setting(None, doc="transformers attention backend (sdpa, eager, flash_attention_2)"),
    "batch_size": Setting(4, "int", minimum=1),
    "max_new_tokens": Setting(256, "int", minimum=1),
    "num_beams": Setting(1, "int", minimum=1),
    "do_sample": Setting(False, "bool"),
    "temperature": Setting(1.0, "float", minimum=0.0, doc="only with do_sample"),
    "top_p": Setting(1.0, "float", minimum=0.0, doc="only with do_sample"),
    "repetition_penalty": Setting(1.0, "float", minimum=0.0),
    "trust_remote_code": Setting(False, "bool"),
    "local_files_only": Setting(None, "bool", doc="default: true for a local folder or when HF_HUB_OFFLINE is set"),
}


def resolve_settings(spec: Mapping[str, Setting], given: Mapping[str, Any], *, where: str) -> dict[str, Any]:
    """Validate ``given`` against ``spec`` (unknown names -> :class:`InputError` with suggestions)."""
    unknown = sorted(set(given) - set(spec))
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, list(spec), n=1)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise InputError(f"unknown setting(s) {', '.join(hints)}; known: {', '.join(sorted(spec))}",
                         path=where, field=unknown[0])
    return {k: s.coerce(k, given.get(k, s.default), where) for k, s in spec.items()}


# ------------------------------------------------------------------------------------------------
# small helpers
# ------------------------------------------------------------------------------------------------
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


#: environment variable that lets adapters download a missing checkpoint from the Hugging Face Hub
DOWNLOAD_ENV = "TIMEBENCH_DOWNLOAD"


def download_allowed() -> bool:
    """Whether ``TIMEBENCH_DOWNLOAD`` allows fetching missing checkpoints (default: no; a hub id
    is then read from the local Hugging Face cache only, and a missing one fails at once)."""
    return os.environ.get(DOWNLOAD_ENV, "").strip().lower() in TRUE_WORDS and not offline_mode()


def offline_mode() -> bool:
    """Whether ``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE`` is set (read at call time)."""
    return any(os.environ.get(k, "").strip().lower() in TRUE_WORDS
               for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def is_local_path(name: str) -> bool:
    """A local folder or file (existing), or something that cannot be a hub id."""
    return Path(name).expanduser().exists() or not _HUB_ID.match(name)


def download_hint(repo_id: str, setting: str = "model") -> str:
    """``huggingface-cli download <id> --local-dir ...`` and the setting that takes the folder."""
    target = repo_id.split("/")[-1]
    return (f"download it with: huggingface-cli download {repo_id} --local-dir <dir>/{target} "
            f"and pass {setting}=<dir>/{target}")


def compress_runs(text: str, tokens: Sequence[str]) -> str:
    """Write runs of a repeated placeholder token as ``{<tok> xN}`` (snapshots stay readable)."""
    for tok in tokens:
        pattern = re.compile(f"(?:{re.escape(tok)}){{2,}}")
        text = pattern.sub(lambda m, t=tok: f"{{{t} x{len(m.group(0)) // len(t)}}}", text)
    return text


def load_waveform(request: Request, sample_rate: int) -> np.ndarray:
    """Mono float32 at ``sample_rate`` from ``request.waveform`` (resampled if needed) or its path."""
    from timebench.datasets.audio import read_audio, resample

    if request.waveform is not None:
        wav = np.asarray(request.waveform, dtype=np.float32)
        if wav.ndim == 2:  # (samples, channels)
            wav = wav.mean(axis=1).astype(np.float32)
        if wav.ndim != 1:
            raise ValueError(f"expected a mono waveform, got shape {wav.shape}")
        rate = request.sample_rate or sample_rate
        return wav if rate == sample_rate else resample(wav, rate, sample_rate).astype(np.float32)
    if request.audio:
        wav, _ = read_audio(request.audio, target_sr=sample_rate)
        return np.asarray(wav, dtype=np.float32)
    raise ValueError("the request has neither a waveform nor an audio path")


@dataclass
class Item:
    """One request of a batch with its waveform."""

    index: int
    request: Request
    waveform: np.ndarray


# ------------------------------------------------------------------------------------------------
# the base adapter
# ------------------------------------------------------------------------------------------------
class HFAudioLMAdapter(ModelAdapter):
    """Base of the transformers adapters (see the module docstring)."""

    outputs = frozenset({"text"})
    sample_rate = 16000
    version = "1"
    #: default hub id of the checkpoint
    hub_id: ClassVar[str] = ""
    #: default of the ``model`` setting (the hub id unless a subclass expects a local folder)
    default_model: ClassVar[str] = ""
    #: dtype that ``dtype="auto"`` means on a GPU
    gpu_dtype: ClassVar[str] = "bfloat16"
    #: human name used in messages
    display_name: ClassVar[str] = ""
    #: the adapter's settings (COMMON_SETTINGS plus its own)
    SETTINGS: ClassVar[Mapping[str, Setting]] = COMMON_SETTINGS
    runtime_settings = ModelAdapter.runtime_settings | frozenset({"local_files_only"})

    def __init__(self, *, _components: Mapping[str, Any] | None = None, **settings: Any) -> None:
        where = f"{self.name} settings"
        spec = dict(self.SETTINGS)
        spec["model"] = Setting(self.default_model or self.hub_id, doc=spec["model"].doc)
        resolved = resolve_settings(spec, settings, where=where)
        super().__init__(**resolved)
        self.over_limit = str(self.settings.get("over_limit") or "fail")
        self._check_settings()
        if _components is None:
            self._precheck(self.settings["model"])
        self.device, self.torch_dtype = self._device_dtype()
        self.settings["dtype"] = str(self.torch_dtype).replace("torch.", "")
        if _components is not None:
            self.model = _components["model"]
            self.tokenizer = _components["tokenizer"]
            self.feature_extractor = _components["feature_extractor"]
            self.model.to(device=self.device, dtype=self.torch_dtype)
        else:
            self.model, self.tokenizer, self.feature_extractor = self._load_components(self.settings["model"])
        self.model.eval()
        self._setup()
        if self.settings.get("decoding") == "checkpoint":   # record what the checkpoint decided
            self.settings["generation"] = self.resolved_decoding()

    # -- construction -----------------------------------------------------------------------------
    @classmethod
    def from_components(cls, model: Any, processor: Any = None, /, *, tokenizer: Any = None,
                        feature_extractor: Any = None, **settings: Any) -> HFAudioLMAdapter:
        """An adapter around an already-built ``model`` and ``processor`` (or tokenizer + feature
        extractor); no files are read.  ``model`` in the fingerprint is the model's
        ``name_or_path`` unless given."""
        tokenizer = tokenizer if tokenizer is not None else getattr(processor, "tokenizer", None)
        feature_extractor = (feature_extractor if feature_extractor is not None
                             else getattr(processor, "feature_extractor", None))
        if tokenizer is None or feature_extractor is None:
            raise TypeError("from_components needs a processor with .tokenizer and .feature_extractor "
                            "(or tokenizer= and feature_extractor=)")
        settings.setdefault("model", getattr(model, "name_or_path", "") or "<in-memory>")
        return cls(_components={"model": model, "tokenizer": tokenizer,
                                "feature_extractor": feature_extractor}, **settings)

    def _check_settings(self) -> None:
        """Hook: cross-field validation of ``self.settings`` (raise InputError)."""

    def _setup(self) -> None:
        """Hook: after the model is loaded (add tokens, LoRA, ...)."""

    def _device_dtype(self):
        import torch

        device = self.settings["device"] or "auto"
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        on_gpu = str(device).startswith("cuda")
        name = self.settings["dtype"]
        if name == "auto":
            name = self.gpu_dtype if on_gpu else "float32"
        if name == "float16" and not on_gpu:
            raise InputError("float16 needs a GPU; use float32 or bfloat16 on CPU",
                             path=f"{self.name} settings", field="dtype")
        return device, getattr(torch, name)

    def _load_kwargs(self, path: str) -> dict[str, Any]:
        local = self.settings.get("local_files_only")
        if local is None:
            local = is_local_path(path) or not download_allowed()
        return {"local_files_only": bool(local), "trust_remote_code": bool(self.settings.get("trust_remote_code"))}

    def _model_kwargs(self, path: str) -> dict[str, Any]:
        kwargs = dict(self._load_kwargs(path), dtype=self.torch_dtype)
        if self.settings.get("attn_implementation"):
            kwargs["attn_implementation"] = self.settings["attn_implementation"]
        if str(self.device).startswith("cuda"):
            kwargs["device_map"] = {"": self.device}
        return kwargs

    def _not_found(self, path: str, exc: BaseException | None, what: str = "checkpoint",
                   setting: str = "model") -> CheckpointNotFoundError:
        name = self.display_name or self.name
        if Path(path).expanduser().exists():
            msg = f"{name}: cannot load the {what} in {path}: {exc}"
        elif not _HUB_ID.match(path):
            msg = f"{name}: {what} folder {path!r} does not exist"
        else:
            if offline_mode():
                reason = "offline mode is set (HF_HUB_OFFLINE)"
            elif not self._load_kwargs(path)["local_files_only"]:
                reason = "it could not be fetched from the Hugging Face Hub"
            else:
                reason = (f"downloads are off (set {DOWNLOAD_ENV}=1, or the model setting "
                          "local_files_only=false, to let timebench fetch it)")
            cause = f" ({type(exc).__name__}: {exc})" if exc is not None else ""
            msg = (f"{name}: {what} {path!r} is not a local folder, not in the Hugging Face cache, "
                   f"and {reason}{cause}; {download_hint(path, setting)}")
        return CheckpointNotFoundError(msg)

    def _precheck(self, path: str) -> None:
        """Before torch is imported: the ``models`` extra is installed, and a hub id that may not
        be downloaded is in the local Hugging Face cache (fails in well under a second)."""
        import importlib.util

        for module in ("transformers", "torch"):
            if importlib.util.find_spec(module) is None:
                raise ModuleNotFoundError(f"No module named '{module}'", name=module)
        if not is_local_path(path) and self._load_kwargs(path)["local_files_only"]:
            from huggingface_hub import try_to_load_from_cache

            if not isinstance(try_to_load_from_cache(path, "config.json"), str):
                raise self._not_found(path, None)

    def _check_available(self, path: str) -> None:
        """Fail early (before any weight is read) when ``path`` has no config to load."""
        from transformers import AutoConfig

        if not is_local_path(path) or Path(path).expanduser().exists():
            try:
                AutoConfig.from_pretrained(path, **self._load_kwargs(path))
                return
            except Exception as exc:  # noqa: BLE001 - OSError, HF hub errors, bad configs, ...
                raise self._not_found(path, exc) from None
        raise self._not_found(path, None)

    def _load_components(self, path: str) -> tuple[Any, Any, Any]:
        """``(model, tokenizer, feature_extractor)`` from ``path`` (subclasses)."""
        raise NotImplementedError

    # -- generation settings ----------------------------------------------------------------------
    def stop_token_ids(self) -> list[int]:
        """EOS ids: the checkpoint's ``generation_config.eos_token_id`` plus the tokenizer's."""
        ids: list[int] = []
        gen = getattr(self.model, "generation_config", None)
        eos = getattr(gen, "eos_token_id", None) if gen is not None else None
        for value in (eos if isinstance(eos, (list, tuple)) else [eos]):
            if value is not None and int(value) not in ids:
                ids.append(int(value))
        if self.tokenizer.eos_token_id is not None and self.tokenizer.eos_token_id not in ids:
            ids.append(int(self.tokenizer.eos_token_id))
        return ids

    @property
    def pad_token_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        return int(pad) if pad is not None else self.stop_token_ids()[0]

    def samples(self) -> bool:
        """Whether decoding samples (then each request is generated alone, seeded)."""
        if self.settings.get("decoding") == "checkpoint":
            return bool(self.generation_config().do_sample)
        return bool(self.settings.get("do_sample"))

    def _checkpoint_generation_config(self, suppress: Sequence[int] = ()):
        """The checkpoint's ``generation_config`` with only ``max_new_tokens`` (and stop / pad ids) set."""
        import copy

        from transformers import GenerationConfig

        base = getattr(self.model, "generation_config", None)
        gen = copy.deepcopy(base) if base is not None else GenerationConfig()
        gen.max_new_tokens = self.settings["max_new_tokens"]
        gen.max_length = None
        gen.eos_token_id = self.stop_token_ids()
        if gen.pad_token_id is None:
            gen.pad_token_id = self.pad_token_id
        if suppress:
            gen.suppress_tokens = list(suppress)
        return gen

    def resolved_decoding(self) -> dict[str, Any]:
        """The decoding values in effect (recorded in ``config()`` when they come from the checkpoint)."""
        g = self.generation_config()
        return {k: getattr(g, k, None) for k in ("do_sample", "temperature", "top_k", "top_p",
                                                 "repetition_penalty", "num_beams", "max_new_tokens")}

    def generation_config(self, *, suppress: Sequence[int] = ()):
        """The decoding configuration (see the module docstring)."""
        from transformers import GenerationConfig

        s = self.settings
        if s.get("decoding") == "checkpoint":
            return self._checkpoint_generation_config(suppress)
        kwargs: dict[str, Any] = {
            "max_new_tokens": s["max_new_tokens"], "num_beams": s["num_beams"], "do_sample": s["do_sample"],
            "repetition_penalty": s["repetition_penalty"], "length_penalty": 1.0,
            "eos_token_id": self.stop_token_ids(), "pad_token_id": self.pad_token_id,
        }
        if s["do_sample"]:
            kwargs.update(temperature=s["temperature"], top_p=s["top_p"], top_k=0)
        else:
            kwargs.update(temperature=1.0, top_p=1.0, top_k=50)  # transformers' neutral values: no warnings
        if suppress:
            kwargs["suppress_tokens"] = list(suppress)
        return GenerationConfig(**kwargs)

    # -- generation -------------------------------------------------------------------------------
    def generate(self, requests: Sequence[Request]) -> list[Generation]:
        """One generation per request, in order (see the module docstring)."""
        results: list[Generation | None] = [None] * len(requests)
        items: list[Item] = []
        limit = self.max_audio_seconds  # the runner checks it too (from the reference duration)
        truncated: dict[int, float] = {}
        for i, request in enumerate(requests):
            try:
                wav = load_waveform(request, self.sample_rate)
            except Exception as exc:  # noqa: BLE001 - unreadable audio: a failure for this sample only
                results[i] = Generation(error=f"{type(exc).__name__}: {exc}")
                continue
            seconds = wav.shape[0] / self.sample_rate
            if limit is not None and seconds > limit + 1e-6:
                if self.over_limit != "truncate":
                    results[i] = Generation(error=f"audio is {seconds:.2f} s, longer than the {limit:g} s "
                                                  f"{self.display_name or self.name} accepts")
                    continue
                truncated[i] = seconds                     # cut as the release does; counted
                wav = wav[: round(limit * self.sample_rate)]
            items.append(Item(i, request, wav))
        size = 1 if self.samples() else self.settings["batch_size"]
        for start in range(0, len(items), size):
            group = items[start:start + size]
            for item, gen in zip(group, self._run_safely(group)):
                results[item.index] = mark_truncated(gen, truncated.get(item.index), limit)
        return [g if g is not None else Generation(error="not generated") for g in results]

    def _run_safely(self, group: list[Item]) -> list[Generation]:
        try:
            return self._run_seeded(group)
        except Exception as exc:  # noqa: BLE001 - any model failure is recorded, never fatal
            if len(group) == 1:
                return [Generation(error=f"{type(exc).__name__}: {exc}")]
        out = []
        for item in group:  # one bad clip (or memory) must not fail the others
            try:
                out.extend(self._run_seeded([item]))
            except Exception as exc:  # noqa: BLE001
                out.append(Generation(error=f"{type(exc).__name__}: {exc}"))
        return out

    def _run_seeded(self, group: list[Item]) -> list[Generation]:
        import torch

        if self.samples():
            torch.manual_seed(int(group[0].request.seed))
        with torch.inference_mode():
            return self._run_batch(group)

    def _run_batch(self, group: list[Item]) -> list[Generation]:
        """Generations for one batch (subclasses)."""
        raise NotImplementedError

    # -- shared decoding helpers ------------------------------------------------------------------
    def _decode(self, sequences: torch.Tensor, prompt_len: int) -> tuple[list[str], list[int]]:
        """Texts and generated-token counts from ``generate`` output (prompt stripped, stop at EOS)."""
        stops = set(self.stop_token_ids())
        pad = self.pad_token_id
        texts, counts = [], []
        for row in sequences[:, prompt_len:].tolist():
            kept = []
            for tok in row:
                if tok in stops:
                    break
                if tok != pad:
                    kept.append(tok)
            counts.append(len(kept))
            texts.append(self.tokenizer.decode(kept, skip_special_tokens=True).strip())
        return texts, counts

    def render_inputs(self, requests: Sequence[Request]) -> list[str]:
        """The full text each request gives the model, audio placeholders shown as ``{<tok> xN}``."""
        raise NotImplementedError

    def close(self) -> None:
        self.model = None
        from ._torch_utils import release_accelerator_memory

        release_accelerator_memory()
