"""TimeAudio in PyTorch: the encoder stack + absolute time table + token merging + Vicuna/LoRA.

Layout and names follow ``lysanderism/TimeAudio`` ``models/timeaudio.py`` so that
``torch.load("timeaudio.pth")["model"]`` loads by key (see :mod:`.loading`):

* ``abs_time_position_embedding``: ``(768, feature_width)`` learned table (zeros at init), one row
  per window added to the window's 17 frames before the Q-Former (:mod:`.time_table`);
* token merging after the Q-Former when enabled and ``L > 88`` (:mod:`.merging`,
  :mod:`.merging_fast`);
* ``llama_model``: ``peft.get_peft_model(LlamaForCausalLM, LoraConfig(r=8, alpha=32, dropout=0.1,
  q_proj/v_proj))`` with the vocabulary resized to 32021 (keys
  ``llama_model.base_model.model.model.layers.N.self_attn.q_proj.lora_A.default.weight`` ...).

Generation (``TimeAudio.generate`` with ``prompt_wrap``): the prompt
``"USER: <Speech><SpeechHere></Speech> {question}\\nASSISTANT:"`` is split at ``<SpeechHere>``; the
LLM input is ``[BOS] + embed(before) + audio tokens + embed(after)``.  Unlike the release (batch
size 1 at inference; its multi-prompt batching right-pads the text *inside* the sequence) clips of a
batch are left-padded as whole sequences, so a batch gives the same result as one clip at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .config import GenerationSettings, TimeAudioConfig, tiny_config
from .encoder import AudioBatch, AudioEncoderStack
from .merging import merge_batch_reference, window_scores
from .merging_fast import merge_fast
from .time_table import batch_time_indices

__all__ = ["TimeAudioModel", "build_tiny_model", "build_tiny_parts", "wrap_lora"]


def wrap_lora(llm: nn.Module, config: TimeAudioConfig) -> nn.Module:
    """``peft.get_peft_model`` with the released LoRA settings (inference mode)."""
    from peft import LoraConfig, TaskType, get_peft_model

    lora = LoraConfig(task_type=TaskType.CAUSAL_LM, inference_mode=True, r=config.lora_r,
                      lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                      target_modules=list(config.lora_targets))
    return get_peft_model(llm, lora)


class TimeAudioModel(AudioEncoderStack):
    """The whole model; :meth:`generate` maps an :class:`AudioBatch` and prompts to token ids."""

    def __init__(self, *, speech_encoder: nn.Module, beats: nn.Module | None, llama_model: nn.Module,
                 tokenizer, config: TimeAudioConfig, merge_impl: str = "fast", encoder_batch_size: int = 8) -> None:
        llm_hidden = int(llama_model.get_input_embeddings().weight.shape[1])
        super().__init__(speech_encoder=speech_encoder, beats=beats, qformer=dict(config.qformer),
                         llm_hidden_size=llm_hidden, config=config, encoder_batch_size=encoder_batch_size)
        self.abs_time_position_embedding = nn.Parameter(torch.zeros(config.max_time_pos, self.feature_width))
        self.llama_model = llama_model
        self.tokenizer = tokenizer
        if merge_impl not in ("fast", "reference"):
            raise ValueError(f"merge_impl must be 'fast' or 'reference', got {merge_impl!r}")
        self.merge_impl = merge_impl
        if config.merge.enabled and config.num_query_tokens != 1:
            raise ValueError("token merging needs one query token per window")

    # -- hooks of the encoder stack ---------------------------------------------------------------
    def window_bias(self, windows: torch.Tensor, lengths: list[int], batch: AudioBatch) -> torch.Tensor:
        cfg = self.audio_config
        rows = batch_time_indices(lengths, batch.durations, second_stride=cfg.second_stride,
                                  max_time_pos=cfg.max_time_pos, device=windows.device)
        return windows + self.abs_time_position_embedding[rows].unsqueeze(1).to(windows.dtype)

    def needs_attention(self) -> bool:
        return self.audio_config.merge.enabled

    def reduce(self, hidden: torch.Tensor, probs: torch.Tensor | None, lengths: list[int]) -> tuple[torch.Tensor, list[int]]:
        settings = self.audio_config.merge
        if not settings.enabled or probs is None or all(n <= settings.segment_base for n in lengths):
            return super().reduce(hidden, probs, lengths)
        states = hidden[:, 0, :]
        scores = window_scores(probs)
        if self.merge_impl == "fast":
            return merge_fast(states, scores, lengths, settings)
        parts = merge_batch_reference(list(states.split(lengths)), list(scores.split(lengths)), settings)
        return torch.cat(parts), [p.shape[0] for p in parts]

    # -- prompting --------------------------------------------------------------------------------
    def prompt_pieces(self, prompt: str) -> tuple[str, str]:
        """``(text before the audio, text after)`` for one question."""
        cfg = self.audio_config
        full = cfg.prompt_template.format(cfg.speech_prefix + prompt.strip())
        before, _, after = full.partition("<SpeechHere>")
        return before, after

    def _embed_ids(self, ids: list[int]) -> torch.Tensor:
        table = self.llama_model.get_input_embeddings()
        return table(torch.tensor(ids, dtype=torch.long, device=table.weight.device))

    def build_inputs(self, audio_tokens: Sequence[torch.Tensor], prompts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Left-padded ``inputs_embeds (B, T, D)`` and ``attention_mask (B, T)``."""
        tok = self.tokenizer
        rows = []
        for audio, prompt in zip(audio_tokens, prompts):
            before, after = self.prompt_pieces(prompt)
            ids_before = [tok.bos_token_id] + tok(before, add_special_tokens=False).input_ids
            ids_after = tok(after, add_special_tokens=False).input_ids
            emb_before, emb_after = self._embed_ids(ids_before), self._embed_ids(ids_after)
            rows.append(torch.cat([emb_before, audio.to(emb_before.dtype), emb_after], dim=0))
        width = max(r.shape[0] for r in rows)
        embeds = rows[0].new_zeros(len(rows), width, rows[0].shape[-1])
        mask = torch.zeros(len(rows), width, dtype=torch.long, device=embeds.device)
        for i, r in enumerate(rows):
            embeds[i, width - r.shape[0]:] = r
            mask[i, width - r.shape[0]:] = 1
        return embeds, mask

    @torch.no_grad()
    def generate(self, batch: AudioBatch, prompts: Sequence[str],
                 settings: GenerationSettings | None = None) -> tuple[list[list[int]], list[int], list[int]]:
        """Token ids generated for each clip (cut at the first ``</s>``), audio tokens and windows per clip."""
        settings = settings or self.audio_config.generation
        encoded = self.encode_audio(batch)
        embeds, mask = self.build_inputs(encoded.split(), prompts)
        tok = self.tokenizer
        out = self.llama_model.generate(
            inputs_embeds=embeds, attention_mask=mask, max_new_tokens=settings.max_new_tokens,
            num_beams=settings.num_beams, do_sample=False, min_length=settings.min_length,
            repetition_penalty=settings.repetition_penalty, length_penalty=settings.length_penalty,
            eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id)
        sequences = []
        for row in out.tolist():
            cut = row.index(tok.eos_token_id) if tok.eos_token_id in row else len(row)
            sequences.append([t for t in row[:cut] if t != tok.pad_token_id])
        return sequences, encoded.counts, encoded.windows


def build_tiny_parts(config: TimeAudioConfig, *, seed: int = 0):
    """Random-initialised Whisper encoder, BEATs, LLM (+LoRA) and tokenizer from ``config`` (no files).

    Seeds the global torch RNG with ``seed`` (:func:`build_tiny_model` wraps this in ``fork_rng``)."""
    from transformers import LlamaConfig, LlamaForCausalLM, WhisperConfig
    from transformers.models.whisper.modeling_whisper import WhisperEncoder

    from .beats import BEATs, BEATsSpec
    from .tokenizer import build_tiny_tokenizer

    torch.manual_seed(seed)
    tokenizer = build_tiny_tokenizer()
    whisper = WhisperEncoder(WhisperConfig(**dict(config.whisper or {})))   # = WhisperModel(cfg).encoder
    beats = BEATs(BEATsSpec.from_dict(config.beats)) if config.beats is not None else None
    llm_cfg = LlamaConfig(vocab_size=len(tokenizer), bos_token_id=tokenizer.bos_token_id,
                          eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                          **dict(config.llm or {}))
    llm = wrap_lora(LlamaForCausalLM(llm_cfg), config)
    return whisper, beats, llm, tokenizer


def build_tiny_model(config: TimeAudioConfig | None = None, *, seed: int = 0, merge_impl: str = "fast") -> TimeAudioModel:
    """A whole random-initialised tiny TimeAudio (CPU tests, benchmarks).  The time table is given
    small random values (instead of the release's zeros) so tests can see it act."""
    config = config or tiny_config()
    with torch.random.fork_rng(devices=[]):      # seeded without touching the caller's RNG state
        whisper, beats, llm, tokenizer = build_tiny_parts(config, seed=seed)
        model = TimeAudioModel(speech_encoder=whisper, beats=beats, llama_model=llm, tokenizer=tokenizer,
                               config=config.with_(vocab_size=len(tokenizer)), merge_impl=merge_impl)
        with torch.no_grad():
            model.abs_time_position_embedding.normal_(0.0, 0.5)
    return model.eval()
