"""The SALMONN-style audio encoder stack, shared by TimeAudio (and, later, SALMONN-7B).

Pipeline (SALMONN ``models/salmonn.py`` / TimeAudio ``models/timeaudio.py``)::

    waveform ─► Whisper encoder (30-s chunks, 1500 frames x d_w each) ─► ln_speech ─┐
            └─► BEATs (30-s pieces or whole clip, ~50 tokens/s x d_b) ─► ln_audio ──┴─ zero-pad the
        shorter stream, concatenate channels (1280 + 768 = 2048) ─► windows of 17 frames (0.34 s)
        ─► [window_bias hook: TimeAudio adds its time table] ─► Q-Former (1 query per window)
        ─► [reduce hook: TimeAudio's token merging] ─► speech_llama_proj (768 -> LLM width)

Submodules are attributes of the model object itself, so state-dict keys are the checkpoints'
top-level names: ``speech_encoder.*``, ``ln_speech.*``, ``beats.*``, ``ln_audio.*``,
``speech_Qformer.*``, ``speech_query_tokens``, ``speech_llama_proj.*``.  A subclass adds its own
parts (``abs_time_position_embedding``, ``llama_model``) and overrides the two hooks.

Chunking (:func:`plan_chunks`), decided from the released loader (``instruct_dataset.py``):

* clips shorter than 1 s are zero-padded to 1 s; clips are cut to ``max_audio_seconds``;
* Whisper: a clip of at most 30 s is one chunk; a longer clip is cut into 30-s chunks, each padded
  to 30 s, and a trailing chunk **shorter than 5 s is dropped** (released rule).  Every chunk is
  encoded (the released ``cli_inference.py`` gives Whisper only the first 30 s; we do not);
* BEATs, ``beats_chunking="whole"`` (default, as released): one pass over the whole clip, as
  the released loader and ``TimeAudio._encode_auditory_feature`` do for training and batch
  inference (quadratic attention over up to 9000 tokens at 180 s);
* BEATs, ``beats_chunking="chunked"`` (named deviation, bounds memory): the same 30-s grid as
  Whisper, piece ``c`` placed at frame ``1500 c`` so BEATs token ``i`` of a piece stays aligned
  with Whisper frame ``i`` of the chunk (each full piece gives 1496 tokens; the 4-frame gap is
  zero, like the zero padding after a short clip in the release).  The trailing piece is kept
  whatever its length unless it is too short for one 16-frame patch (< 0.175 s).  Features, and
  for long clips the window count, differ from the release's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from .beats import beats_num_tokens
from .config import TimeAudioConfig
from .qformer import QFormerSpec, WindowQFormer

if TYPE_CHECKING:  # pragma: no cover
    from .beats import BEATs

__all__ = [
    "AudioBatch",
    "AudioEncoderStack",
    "ChunkPlan",
    "EncodedAudio",
    "condition_waveform",
    "expected_num_windows",
    "plan_chunks",
    "prepare_audio",
]


@dataclass(frozen=True)
class ChunkPlan:
    """Sample ranges ``[start, end)`` fed to each encoder for one (conditioned) clip."""

    num_samples: int
    whisper: tuple[tuple[int, int], ...]
    beats: tuple[tuple[int, int], ...]


def plan_chunks(num_samples: int, config: TimeAudioConfig) -> ChunkPlan:
    """Cut a clip of ``num_samples`` (already padded / truncated) as described in the module docstring."""
    sr = config.sample_rate
    chunk = round(config.chunk_seconds * sr)
    if num_samples <= chunk:
        whisper = ((0, num_samples),)
    else:
        min_tail = round(config.min_tail_seconds * sr)
        whisper = tuple((s, min(s + chunk, num_samples)) for s in range(0, num_samples, chunk)
                        if min(s + chunk, num_samples) - s >= min_tail)
    if config.beats_chunking == "whole" or num_samples <= chunk:
        beats = ((0, num_samples),)
    else:
        beats = tuple((s, min(s + chunk, num_samples)) for s in range(0, num_samples, chunk)
                      if beats_num_tokens(min(s + chunk, num_samples) - s) > 0)
    return ChunkPlan(num_samples=num_samples, whisper=whisper, beats=beats)


def _beats_frames(plan: ChunkPlan, frames_per_chunk: int) -> int:
    last_start, last_end = plan.beats[-1]
    return (len(plan.beats) - 1) * frames_per_chunk + beats_num_tokens(last_end - last_start)


def expected_num_windows(num_samples: int, config: TimeAudioConfig, *, with_beats: bool = True) -> int:
    """Q-Former windows ``L`` for a conditioned clip of ``num_samples`` (closed form of the pipeline)."""
    plan = plan_chunks(num_samples, config)
    frames = len(plan.whisper) * config.frames_per_chunk
    if with_beats:
        frames = max(frames, _beats_frames(plan, config.frames_per_chunk))
    return frames // config.window_kernel


def condition_waveform(waveform: np.ndarray, config: TimeAudioConfig) -> np.ndarray:
    """Mono float32, zero-padded to ``min_audio_seconds``, cut to ``max_audio_seconds`` (released loader)."""
    wav = np.asarray(waveform, dtype=np.float32)
    if wav.ndim == 2:       # (samples, channels) as soundfile returns: channel 0, like the release
        wav = wav[:, 0]
    if wav.ndim != 1:
        raise ValueError(f"expected a mono waveform, got shape {tuple(np.shape(waveform))}")
    min_len = round(config.min_audio_seconds * config.sample_rate)
    if wav.shape[0] < min_len:
        wav = np.concatenate([wav, np.zeros(min_len - wav.shape[0], dtype=np.float32)])
    return wav[: round(config.max_audio_seconds * config.sample_rate)]


@dataclass
class AudioBatch:
    """Encoder inputs for a batch of clips (host tensors; the model moves them)."""

    mel: torch.Tensor                       # (total Whisper chunks, 80, 3000)
    whisper_counts: list[int]               # chunks per clip
    beats_pieces: list[list[np.ndarray]]    # per clip, the BEATs input pieces
    durations: list[float]                  # seconds, rounded to 0.1 (released loader)
    plans: list[ChunkPlan]

    def __len__(self) -> int:
        return len(self.durations)


def prepare_audio(waveforms: Sequence[np.ndarray], *, config: TimeAudioConfig, feature_extractor) -> AudioBatch:
    """Condition each 16 kHz waveform, plan its chunks and compute Whisper log-mels.

    ``feature_extractor`` is a ``transformers.WhisperFeatureExtractor`` (80 mel bins, 30-s window;
    each chunk is padded to 30 s by it, as ``np.pad`` + the extractor do in the release).
    """
    mels_in: list[np.ndarray] = []
    counts, pieces, durations, plans = [], [], [], []
    for waveform in waveforms:
        wav = condition_waveform(waveform, config)
        plan = plan_chunks(wav.shape[0], config)
        mels_in.extend(wav[s:e] for s, e in plan.whisper)
        counts.append(len(plan.whisper))
        pieces.append([wav[s:e] for s, e in plan.beats])
        durations.append(round(wav.shape[0] / config.sample_rate, 1))
        plans.append(plan)
    if mels_in:
        mel = feature_extractor(mels_in, sampling_rate=config.sample_rate, return_tensors="pt")["input_features"]
    else:
        mel = torch.zeros(0, 80, 3000)
    return AudioBatch(mel=mel, whisper_counts=counts, beats_pieces=pieces, durations=durations, plans=plans)


@dataclass
class EncodedAudio:
    """LLM-ready audio tokens of a batch: flat ``tokens (sum n_b, D)`` and ``counts`` per clip."""

    tokens: torch.Tensor
    counts: list[int]
    windows: list[int]

    def split(self) -> list[torch.Tensor]:
        return list(self.tokens.split(self.counts))


class AudioEncoderStack(nn.Module):
    """Whisper + BEATs + LayerNorms + window Q-Former + projection (see the module docstring)."""

    def __init__(self, *, speech_encoder: nn.Module, beats: BEATs | None, qformer: dict,
                 llm_hidden_size: int, config: TimeAudioConfig, encoder_batch_size: int = 8) -> None:
        super().__init__()
        whisper_width = int(speech_encoder.config.d_model)
        if int(getattr(speech_encoder.config, "max_source_positions", 1500)) != config.frames_per_chunk:
            raise ValueError("the Whisper encoder must output 1500 frames per 30-s chunk")
        self.speech_encoder = speech_encoder
        self.ln_speech = nn.LayerNorm(whisper_width)
        self.beats = beats
        self.ln_audio = nn.LayerNorm(beats.out_dim) if beats is not None else None
        width = whisper_width + (beats.out_dim if beats is not None else 0)
        spec = QFormerSpec.from_bert_config(qformer, num_hidden_layers=config.qformer_layers, encoder_width=width)
        self.speech_Qformer = WindowQFormer(spec)
        self.speech_query_tokens = nn.Parameter(torch.zeros(1, config.num_query_tokens, spec.hidden_size))
        nn.init.normal_(self.speech_query_tokens, mean=0.0, std=float(qformer.get("initializer_range", 0.02)))
        self.speech_llama_proj = nn.Linear(spec.hidden_size, llm_hidden_size)
        self.audio_config = config
        self.feature_width = width
        self.encoder_batch_size = max(1, int(encoder_batch_size))

    # -- helpers ----------------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return self.speech_query_tokens.device

    @property
    def dtype(self) -> torch.dtype:
        return self.speech_query_tokens.dtype

    def _whisper_frames(self, batch: AudioBatch) -> list[torch.Tensor]:
        outs = []
        enc_dtype = next(self.speech_encoder.parameters()).dtype
        for start in range(0, batch.mel.shape[0], self.encoder_batch_size):
            mel = batch.mel[start:start + self.encoder_batch_size].to(self.device, enc_dtype)
            outs.append(self.speech_encoder(mel).last_hidden_state)
        states = self.ln_speech(torch.cat(outs)) if outs else torch.zeros(0, self.audio_config.frames_per_chunk, self.ln_speech.normalized_shape[0], device=self.device)
        per_clip = states.split(batch.whisper_counts)
        return [s.reshape(-1, s.shape[-1]) for s in per_clip]

    def _beats_frames(self, batch: AudioBatch) -> list[torch.Tensor]:
        """Per clip ``(T_b, d_b)``: pieces of equal length run together (no padding inside BEATs)."""
        fpc = self.audio_config.frames_per_chunk
        groups: dict[int, list[tuple[int, int]]] = {}
        for clip, pieces in enumerate(batch.beats_pieces):
            for j, piece in enumerate(pieces):
                groups.setdefault(piece.shape[0], []).append((clip, j))
        results: dict[tuple[int, int], torch.Tensor] = {}
        beats_dtype = next(self.beats.parameters()).dtype
        for members in groups.values():
            for start in range(0, len(members), self.encoder_batch_size):
                part = members[start:start + self.encoder_batch_size]
                wav = torch.from_numpy(np.stack([batch.beats_pieces[c][j] for c, j in part])).to(self.device)
                feats = self.ln_audio(self.beats(wav).to(beats_dtype))
                for (c, j), f in zip(part, feats):
                    results[(c, j)] = f
        frames = []
        for clip, pieces in enumerate(batch.beats_pieces):
            last = results[(clip, len(pieces) - 1)]
            total = (len(pieces) - 1) * fpc + last.shape[0]
            out = last.new_zeros(total, last.shape[-1])
            for j in range(len(pieces)):
                f = results[(clip, j)]
                out[j * fpc: j * fpc + f.shape[0]] = f
            frames.append(out)
        return frames

    def encode_frames(self, batch: AudioBatch) -> list[torch.Tensor]:
        """Concatenated, LayerNormed encoder frames per clip: ``(T_b, feature_width)``."""
        speech = self._whisper_frames(batch)
        if self.beats is None:
            return speech
        audio = self._beats_frames(batch)
        out = []
        for s, a in zip(speech, audio):
            t = max(s.shape[0], a.shape[0])
            s = torch.nn.functional.pad(s, (0, 0, 0, t - s.shape[0]))
            a = torch.nn.functional.pad(a.to(s.dtype), (0, 0, 0, t - a.shape[0]))
            out.append(torch.cat([s, a], dim=-1))
        return out

    def to_windows(self, frames: Sequence[torch.Tensor]) -> tuple[torch.Tensor, list[int]]:
        """Non-overlapping 17-frame windows of every clip, stacked: ``(sum L, 17, C)``."""
        k = self.audio_config.window_kernel
        if self.audio_config.window_stride != k:
            raise NotImplementedError("overlapping windows (second_stride != second_per_window)")
        windows, lengths = [], []
        for f in frames:
            n = f.shape[0] // k
            windows.append(f[: n * k].reshape(n, k, f.shape[-1]))
            lengths.append(n)
        return torch.cat(windows), lengths

    # -- hooks ------------------------------------------------------------------------------------
    def window_bias(self, windows: torch.Tensor, lengths: list[int], batch: AudioBatch) -> torch.Tensor:
        """Called on ``(sum L, 17, C)`` windows before the Q-Former; identity here."""
        return windows

    def needs_attention(self) -> bool:
        """Whether :meth:`reduce` needs the Q-Former's last cross-attention probabilities."""
        return False

    def reduce(self, hidden: torch.Tensor, probs: torch.Tensor | None, lengths: list[int]) -> tuple[torch.Tensor, list[int]]:
        """Q-Former states ``(sum L, Q, H)`` -> flat tokens ``(sum n, H)`` and counts; no reduction here."""
        q = hidden.shape[1]
        return hidden.reshape(-1, hidden.shape[-1]), [n * q for n in lengths]

    # -- the whole stack --------------------------------------------------------------------------
    def encode_audio(self, batch: AudioBatch) -> EncodedAudio:
        """Waveforms -> projected LLM tokens for each clip of ``batch``."""
        frames = self.encode_frames(batch)
        windows, lengths = self.to_windows(frames)
        windows = self.window_bias(windows, lengths, batch)
        query = self.speech_query_tokens.expand(windows.shape[0], -1, -1)
        hidden, probs = self.speech_Qformer(query, windows.to(query.dtype), return_attention=self.needs_attention())
        tokens, counts = self.reduce(hidden, probs, lengths)
        return EncodedAudio(tokens=self.speech_llama_proj(tokens), counts=counts, windows=lengths)
