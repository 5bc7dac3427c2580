"""Settings of the TimeAudio model, with the values of the released configs.

Source: ``lysanderism/TimeAudio`` at 22db713 (``configs/infer_config.yaml``,
``configs/config_stage2.yaml``, ``models/timeaudio.py``, ``instruct_dataset.py``).  Every default
below names where it comes from.  This module imports nothing heavy (no torch), so the adapter's
settings can be validated and fingerprinted without loading a model.

Architecture dimensions live in small dicts (``whisper``, ``beats``, ``qformer``, ``llm``):

* ``None`` for Whisper / BEATs / LLM means "read it from the files" (the real model);
* :func:`tiny_config` fills them with a few-dimensional configuration that keeps every *time*
  constant of the real model (16 kHz, 80 mel bins, 3000 mel frames -> 1500 encoder frames per 30 s,
  16x16 BEATs patches, 17-frame windows), so token counts in tests equal the real ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = [
    "BERT_BASE_UNCASED",
    "PROMPT_TEMPLATE",
    "SPEECH_PREFIX",
    "GenerationSettings",
    "MergeSettings",
    "TimeAudioConfig",
    "released_config",
    "tiny_config",
]

#: ``prompt_template`` of every released config.
PROMPT_TEMPLATE = "USER: {}\nASSISTANT:"
#: What ``instruct_dataset.py`` puts before every question (``"q": "<Speech><SpeechHere></Speech> " + question``).
SPEECH_PREFIX = "<Speech><SpeechHere></Speech> "

#: The fields of ``bert-base-uncased/config.json`` that the window Q-Former uses
#: (``TimeAudio.init_speech_Qformer`` builds ``BertConfig.from_pretrained("pretrained_model/bert-base-uncased")``
#: and then sets ``num_hidden_layers=2``, ``encoder_width``, ``add_cross_attention``,
#: ``cross_attention_freq=1``, ``query_length``).
BERT_BASE_UNCASED: Mapping[str, Any] = {
    "hidden_size": 768,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "layer_norm_eps": 1e-12,
    "hidden_act": "gelu",
    "initializer_range": 0.02,
}


@dataclass(frozen=True)
class MergeSettings:
    """Segment-level token merging (SEM), ``models/timeaudio.py::_encode_auditory_feature``.

    * ``enabled``: ``use_token_merge``; **False** in ``infer_config.yaml`` (the released inference
      setting) and True in ``config_stage2.yaml`` (the stage that produced ``timeaudio.pth``).
    * ``dominant`` (22) and ``contextual`` (4): ``dominant_token_num`` / ``contextual_token_num``.
    * ``segment_base`` (88): the windows of one 30-s chunk; merging runs only when the number of
      windows ``L > segment_base`` and cuts ``int(2 * L / segment_base)`` segments.

    ``dominant + contextual <= segment_base // 2`` is required: every segment then holds at least
    ``dominant + contextual`` windows, so each yields exactly ``dominant + contextual`` tokens (the
    released code would crash otherwise).
    """

    enabled: bool = False
    dominant: int = 22
    contextual: int = 4
    segment_base: int = 88
    #: how equal window scores are ranked: ``"release"`` (default) calls ``torch.topk`` on each
    #: segment's scores, as ``models/timeaudio.py`` does, so ties fall as ``topk`` lets them fall on
    #: the device in use; ``"stable"`` (a named deviation) ranks by a stable descending sort, the
    #: earlier window winning, which gives the same tokens on every device
    tie_break: str = "release"

    def __post_init__(self) -> None:
        if self.tie_break not in ("release", "stable"):
            raise ValueError(f"tie_break must be 'release' or 'stable', got {self.tie_break!r}")
        if self.dominant < 1 or self.contextual < 1 or self.segment_base < 2:
            raise ValueError("merge settings must be positive (dominant, contextual >= 1, segment_base >= 2)")
        if self.dominant + self.contextual > self.segment_base // 2:
            raise ValueError(
                f"dominant + contextual ({self.dominant} + {self.contextual}) must not exceed "
                f"segment_base // 2 ({self.segment_base // 2}): a segment holds at least that many windows")

    @property
    def tokens_per_segment(self) -> int:
        return self.dominant + self.contextual


@dataclass(frozen=True)
class GenerationSettings:
    """``generate:`` block of ``infer_config.yaml`` (sampling fields unused with ``do_sample: False``)."""

    num_beams: int = 4
    max_new_tokens: int = 200
    min_length: int = 1
    repetition_penalty: float = 1.0
    length_penalty: float = 1.0


@dataclass(frozen=True)
class TimeAudioConfig:
    """Everything that shapes TimeAudio's computation (see the module docstring)."""

    # -- audio front end (instruct_dataset.py) --------------------------------------------------
    sample_rate: int = 16000
    chunk_seconds: float = 30.0          # Whisper window; long audio is cut into 30-s chunks
    min_tail_seconds: float = 5.0        # a trailing Whisper chunk shorter than this is dropped
    min_audio_seconds: float = 1.0       # shorter clips are zero-padded to 1 s
    max_audio_seconds: float = 180.0     # datasets.max_len of infer_config.yaml
    #: how BEATs sees audio longer than 30 s: "whole" (default: one pass over the clip, as the
    #: released loader and model do) or "chunked" (a named deviation that bounds memory: 30-s
    #: pieces aligned with Whisper's chunks)
    beats_chunking: str = "whole"
    # -- window-level Q-Former (model config) ----------------------------------------------------
    second_per_window: float = 0.333333
    second_stride: float = 0.333333
    num_query_tokens: int = 1
    qformer_layers: int = 2
    # -- absolute time table --------------------------------------------------------------------
    max_time_pos: int = 768              # TimeAudio.__init__ default; no config sets it
    # -- LoRA (lora_rank / lora_alpha / lora_dropout; peft's llama default targets) --------------
    lora_r: int = 8
    lora_alpha: int = 32
    lora_dropout: float = 0.1
    lora_targets: tuple[str, ...] = ("q_proj", "v_proj")
    # -- prompting and decoding -----------------------------------------------------------------
    prompt_template: str = PROMPT_TEMPLATE
    speech_prefix: str = SPEECH_PREFIX
    merge: MergeSettings = field(default_factory=MergeSettings)
    generation: GenerationSettings = field(default_factory=GenerationSettings)
    # -- architecture (None: read from the files) -------------------------------------------------
    whisper: Mapping[str, Any] | None = None
    beats: Mapping[str, Any] | None = None
    qformer: Mapping[str, Any] = field(default_factory=lambda: dict(BERT_BASE_UNCASED))
    llm: Mapping[str, Any] | None = None
    #: ids the released tokenizer gives: vicuna 32000 + ``[PAD]`` (32000) + 20 markers (32001-32020)
    vocab_size: int = 32021

    def __post_init__(self) -> None:
        if self.beats_chunking not in ("chunked", "whole"):
            raise ValueError(f"beats_chunking must be 'chunked' or 'whole', got {self.beats_chunking!r}")
        if self.sample_rate <= 0 or self.chunk_seconds <= 0:
            raise ValueError("sample_rate and chunk_seconds must be positive")

    @property
    def frames_per_chunk(self) -> int:
        """Encoder frames per 30-s chunk (Whisper: 3000 mel frames -> 1500)."""
        return 1500

    @property
    def window_kernel(self) -> int:
        """``round(1500 * second_per_window / 30)`` = 17 frames (0.34 s) per Q-Former window."""
        return round(self.frames_per_chunk * self.second_per_window / self.chunk_seconds)

    @property
    def window_stride(self) -> int:
        """``round(1500 * second_stride / 30)`` = 17 (windows do not overlap)."""
        return round(self.frames_per_chunk * self.second_stride / self.chunk_seconds)

    def with_(self, **changes: Any) -> TimeAudioConfig:
        """A copy with some fields changed (``merge=...`` accepts a dict of merge fields)."""
        if isinstance(changes.get("merge"), Mapping):
            changes["merge"] = replace(self.merge, **changes["merge"])
        if isinstance(changes.get("generation"), Mapping):
            changes["generation"] = replace(self.generation, **changes["generation"])
        return replace(self, **changes)


def released_config(**changes: Any) -> TimeAudioConfig:
    """The released inference configuration (``infer_config.yaml``), optionally changed."""
    return TimeAudioConfig().with_(**changes) if changes else TimeAudioConfig()


def tiny_config(**changes: Any) -> TimeAudioConfig:
    """A few-dimensional TimeAudio for CPU tests and benchmarks (random weights, no files).

    Time constants are the real ones; only widths and depths shrink.  The BEATs flags mirror the
    released ``BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt2.pt`` configuration (deep norm, gated
    relative position bias with 320 buckets / max distance 800, 128-tap grouped conv positions,
    fine-tuned predictor).
    """
    base = TimeAudioConfig(
        whisper={
            "d_model": 16, "encoder_layers": 1, "encoder_attention_heads": 2, "encoder_ffn_dim": 32,
            "decoder_layers": 1, "decoder_attention_heads": 2, "decoder_ffn_dim": 32,
            "num_mel_bins": 80, "max_source_positions": 1500, "max_target_positions": 32,
            "vocab_size": 64, "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2,
            "decoder_start_token_id": 1,
        },
        beats={
            "input_patch_size": 16, "embed_dim": 8, "conv_bias": False,
            "encoder_layers": 1, "encoder_embed_dim": 16, "encoder_ffn_embed_dim": 32,
            "encoder_attention_heads": 2, "activation_fn": "gelu",
            "layer_norm_first": False, "deep_norm": True,
            "conv_pos": 128, "conv_pos_groups": 16,
            "relative_position_embedding": True, "num_buckets": 320, "max_distance": 800,
            "gru_rel_pos": True, "finetuned_model": True, "predictor_class": 527,
        },
        qformer={"hidden_size": 16, "num_attention_heads": 2, "intermediate_size": 32,
                 "layer_norm_eps": 1e-12, "hidden_act": "gelu", "initializer_range": 0.02},
        llm={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 4, "max_position_embeddings": 2048,
             "rms_norm_eps": 1e-5, "tie_word_embeddings": False},
        vocab_size=0,  # set from the tiny tokenizer
    )
    return base.with_(**changes) if changes else base
