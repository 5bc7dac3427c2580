"""Finding, checking and loading the official TimeAudio files.

Expected layout (TimeAudio README, ``configs/infer_config.yaml``), all under ``model_dir``
(default ``pretrained_model``):

=========================================================  ====================================
``whisper-large-v2/``                                      HF ``openai/whisper-large-v2``
``BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt2.pt``        microsoft/unilm ``beats`` README
``vicuna-7b-v1.5/``                                        HF ``lmsys/vicuna-7b-v1.5``
``timeaudio.pth``                                          HF ``lysanderism/TimeAudio``
``bert-base-uncased/config.json`` (optional)               HF ``google-bert/bert-base-uncased``
=========================================================  ====================================

``timeaudio.pth`` is checked against its published size and sha256 before loading.  Its
``["model"]`` state dict is loaded with ``torch.load(weights_only=True)`` and compared key by key
with the model (:func:`apply_checkpoint`): every key the release's stage-2 save filter keeps
(``runner.py::save_checkpoint``) must be present with the right shape, and every checkpoint key
must be used or be a known buffer -- a :class:`CoverageReport` instead of ``strict=False``
silence.  Without ``bert-base-uncased`` the Q-Former uses the five ``bert-base-uncased`` numbers it
needs (:data:`.config.BERT_BASE_UNCASED`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from timebench.errors import TimebenchError

from .config import BERT_BASE_UNCASED, TimeAudioConfig

__all__ = [
    "SOURCES",
    "TIMEAUDIO_SHA256",
    "TIMEAUDIO_SIZE",
    "CheckpointMismatchError",
    "CoverageReport",
    "ModelFilesError",
    "TimeAudioFiles",
    "apply_checkpoint",
    "expected_checkpoint_keys",
    "load_beats",
    "load_state",
    "load_timeaudio",
    "resolve_files",
    "sha256_file",
    "verify_file",
]

TIMEAUDIO_SHA256 = "2d1752697035435e01fdfa75d76c6ac2c0272fd14f209582d55dd3411c975016"
TIMEAUDIO_SIZE = 906_020_058

#: what each file is and where to get it (used in error messages)
SOURCES: Mapping[str, str] = {
    "whisper": "a Hugging Face model folder: huggingface-cli download openai/whisper-large-v2 --local-dir <path>",
    "beats": "BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt2.pt from the BEATs page of microsoft/unilm "
             "(https://github.com/microsoft/unilm/tree/master/beats)",
    "llama": "a Hugging Face model folder: huggingface-cli download lmsys/vicuna-7b-v1.5 --local-dir <path>",
    "ckpt": "timeaudio.pth from https://huggingface.co/lysanderism/TimeAudio "
            "(huggingface-cli download lysanderism/TimeAudio timeaudio.pth --local-dir <dir>)",
    "bert": "config.json of google-bert/bert-base-uncased (optional)",
}

#: checkpoint keys that are buffers our modules do not need (loaded nowhere, reported as ignored):
#: SALMONN's LLaMA copy stores ``rotary_emb.inv_freq`` per layer; LAVIS' Q-Former stores ``position_ids``.
IGNORED_KEY_PATTERNS = (
    re.compile(r"\.rotary_emb\.inv_freq$"),
    re.compile(r"^speech_Qformer\.bert\.embeddings\.position_ids$"),
)


class ModelFilesError(TimebenchError):
    """A model file is missing, corrupt, or does not fit the model."""


class CheckpointMismatchError(ModelFilesError):
    """The checkpoint's keys or shapes do not match the model; ``report`` has the details."""

    def __init__(self, message: str, report: CoverageReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class TimeAudioFiles:
    whisper: Path
    beats: Path | None
    llama: Path
    ckpt: Path
    bert: Path | None = None


def resolve_files(*, model_dir: str | Path = "pretrained_model", whisper: str | Path | None = None,
                  beats: str | Path | None = None, llama: str | Path | None = None,
                  ckpt: str | Path | None = None, bert: str | Path | None = None) -> TimeAudioFiles:
    """Paths of the five inputs; raises :class:`ModelFilesError` naming every missing one."""
    root = Path(model_dir)
    files = {
        "whisper": Path(whisper) if whisper else root / "whisper-large-v2",
        "beats": Path(beats) if beats else root / "BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt2.pt",
        "llama": Path(llama) if llama else root / "vicuna-7b-v1.5",
        "ckpt": Path(ckpt) if ckpt else root / "timeaudio.pth",
    }
    default_bert = root / "bert-base-uncased"
    bert_path = Path(bert) if bert else (default_bert if (default_bert / "config.json").is_file() else None)
    problems = []
    for name in ("whisper", "llama"):
        if not (files[name] / "config.json").is_file():
            problems.append(f"  {name}: {files[name]} (no config.json) -- get {SOURCES[name]}")
    for name in ("beats", "ckpt"):
        if not files[name].is_file():
            problems.append(f"  {name}: {files[name]} not found -- get {SOURCES[name]}")
    if bert_path is not None and not (bert_path / "config.json").is_file() and not bert_path.is_file():
        problems.append(f"  bert: {bert_path} (no config.json) -- get {SOURCES['bert']}")
    if problems:
        raise ModelFilesError("TimeAudio model files are missing (set model_dir or the *_path settings):\n"
                              + "\n".join(problems))
    return TimeAudioFiles(whisper=files["whisper"], beats=files["beats"], llama=files["llama"],
                          ckpt=files["ckpt"], bert=bert_path)


def sha256_file(path: str | Path, *, block: int = 1 << 22) -> str:
    """Hex sha256 of a file, read in 4 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: str | Path, *, sha256: str | None, size: int | None = None) -> None:
    """Check size (cheap, first) and sha256; :class:`ModelFilesError` on a mismatch."""
    path = Path(path)
    if size is not None and path.stat().st_size != size:
        raise ModelFilesError(f"{path}: size {path.stat().st_size:,} bytes, expected {size:,} "
                              f"(incomplete download?) -- get {SOURCES['ckpt']}")
    if sha256 is not None:
        got = sha256_file(path)
        if got != sha256.lower():
            raise ModelFilesError(f"{path}: sha256 {got} does not match the published {sha256} -- get {SOURCES['ckpt']}")


def load_state(path: str | Path, *, key: str | None = "model"):
    """``torch.load(path, weights_only=True)`` (and ``[key]``), with clear errors."""
    import torch

    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ModelFilesError(f"{path}: not found") from None
    except Exception as exc:  # pickle with non-tensor objects, truncated file, ...
        raise ModelFilesError(f"{path}: cannot be read with torch.load(weights_only=True): {exc}") from exc
    if key is None:
        return obj
    if not isinstance(obj, Mapping) or key not in obj:
        found = sorted(obj)[:8] if isinstance(obj, Mapping) else type(obj).__name__
        raise ModelFilesError(f"{path}: expected a dict with a '{key}' entry, found {found}")
    return obj[key]


def expected_checkpoint_keys(model_keys: Iterable[str]) -> list[str]:
    """The model keys that a released stage-2 checkpoint stores (``runner.py::save_checkpoint``):
    LoRA weights, the LLM's ``embed_tokens``/``lm_head``, encoder ``relative_attention_bias`` keys,
    and everything outside ``llama_model``/``speech_encoder``/``beats`` (Q-Former, query tokens,
    LayerNorms, projection, time table)."""
    out = []
    for k in model_keys:
        if "lora" in k:
            out.append(k)
        elif k.startswith("llama_model."):
            if "embed_tokens" in k or "lm_head" in k:
                out.append(k)
        elif k.startswith(("speech_encoder.", "beats.")):
            if "relative_attention_bias" in k:
                out.append(k)
        else:
            out.append(k)
    return out


@dataclass
class CoverageReport:
    """What loading a checkpoint did, key by key."""

    expected: list[str] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)       # expected but absent from the checkpoint
    unexpected: list[str] = field(default_factory=list)    # in the checkpoint, unknown to the model
    ignored: list[str] = field(default_factory=list)       # known buffers we do not need
    mismatched: list[tuple[str, tuple, tuple]] = field(default_factory=list)  # (key, ckpt shape, model shape)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def summary(self, *, limit: int = 8) -> str:
        def _few(items):
            items = [str(i) for i in items]
            more = f" ... (+{len(items) - limit})" if len(items) > limit else ""
            return ", ".join(items[:limit]) + more

        lines = [f"loaded {len(self.loaded)}/{len(self.expected)} expected keys, ignored {len(self.ignored)} known buffers"]
        if self.missing:
            lines.append(f"missing {len(self.missing)}: {_few(self.missing)}")
        if self.unexpected:
            lines.append(f"unexpected {len(self.unexpected)}: {_few(self.unexpected)}")
        if self.mismatched:
            lines.append(f"shape mismatch {len(self.mismatched)}: "
                         + _few(f"{k} {tuple(a)} vs model {tuple(b)}" for k, a, b in self.mismatched))
        return "; ".join(lines)


def apply_checkpoint(model, state: Mapping, *, strict: bool = True, source: str = "checkpoint",
                     expected: Sequence[str] | None = None,
                     model_name: str = "TimeAudio") -> CoverageReport:
    """Load ``state`` into ``model`` by key and report coverage.

    ``expected`` lists the keys the checkpoint must hold (default: TimeAudio's stage-2 layout,
    :func:`expected_checkpoint_keys`).  With ``strict`` (default) a missing expected key, an
    unknown key or a shape mismatch raises :class:`CheckpointMismatchError` before anything is
    loaded.
    """
    model_state = model.state_dict()
    report = CoverageReport(expected=list(expected) if expected is not None
                            else expected_checkpoint_keys(model_state))
    usable = {}
    for key, value in state.items():
        if key in model_state:
            if tuple(value.shape) != tuple(model_state[key].shape):
                report.mismatched.append((key, tuple(value.shape), tuple(model_state[key].shape)))
            else:
                usable[key] = value
                report.loaded.append(key)
        elif any(p.search(key) for p in IGNORED_KEY_PATTERNS):
            report.ignored.append(key)
        else:
            report.unexpected.append(key)
    report.missing = [k for k in report.expected if k not in state]
    if strict and not report.ok:
        raise CheckpointMismatchError(f"{source} does not fit the {model_name} model: {report.summary()}",
                                      report)
    result = model.load_state_dict(usable, strict=False)
    if result.unexpected_keys:  # cannot happen: usable keys come from the model's own state dict
        raise CheckpointMismatchError(f"{source}: load_state_dict rejected {result.unexpected_keys[:5]}", report)
    return report


def load_beats(path: str | Path):
    """BEATs from an official checkpoint (``{"cfg": ..., "model": ...}``), loaded strictly."""
    from .beats import BEATs, BEATsSpec

    ckpt = load_state(path, key=None)
    if not isinstance(ckpt, Mapping) or "cfg" not in ckpt or "model" not in ckpt:
        raise ModelFilesError(f"{path}: not a BEATs checkpoint (expected 'cfg' and 'model' entries) -- get {SOURCES['beats']}")
    model = BEATs(BEATsSpec.from_dict(ckpt["cfg"]))
    result = model.load_state_dict(ckpt["model"], strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ModelFilesError(f"{path}: BEATs keys do not match: missing {result.missing_keys[:5]}, "
                              f"unexpected {result.unexpected_keys[:5]}")
    return model


def load_timeaudio(files: TimeAudioFiles, config: TimeAudioConfig, *, device: str = "cpu", dtype=None,
                   verify_sha256: bool = True, merge_impl: str = "fast"):
    """Build the released model from ``files``; returns ``(model, coverage_report, feature_extractor)``."""
    import torch
    from transformers import LlamaForCausalLM, WhisperFeatureExtractor, WhisperModel

    from .model import TimeAudioModel, wrap_lora
    from .tokenizer import load_llama_tokenizer

    dtype = dtype or torch.float32
    verify_file(files.ckpt, sha256=TIMEAUDIO_SHA256 if verify_sha256 else None, size=TIMEAUDIO_SIZE if verify_sha256 else None)
    qformer = dict(BERT_BASE_UNCASED)
    if files.bert is not None:
        cfg_path = files.bert / "config.json" if files.bert.is_dir() else files.bert
        qformer.update({k: v for k, v in json.loads(cfg_path.read_text()).items() if k in BERT_BASE_UNCASED})
    whisper = WhisperModel.from_pretrained(str(files.whisper), dtype=torch.float32).encoder
    beats = load_beats(files.beats) if files.beats is not None else None
    tokenizer = load_llama_tokenizer(str(files.llama), expected_vocab=config.vocab_size)
    llm = LlamaForCausalLM.from_pretrained(str(files.llama), dtype=dtype)
    llm.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    llm = wrap_lora(llm, config)
    model = TimeAudioModel(speech_encoder=whisper, beats=beats, llama_model=llm, tokenizer=tokenizer,
                           config=config.with_(qformer=qformer), merge_impl=merge_impl)
    report = apply_checkpoint(model, load_state(files.ckpt), source=str(files.ckpt))
    model = model.to(device=device, dtype=dtype).eval()
    if (files.whisper / "preprocessor_config.json").is_file():
        extractor = WhisperFeatureExtractor.from_pretrained(str(files.whisper))
    else:
        extractor = WhisperFeatureExtractor(feature_size=80)
    return model, report, extractor
