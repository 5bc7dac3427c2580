"""Qwen2.5-Omni, thinker only (text out), for timebench.

Model: Xu et al., "Qwen2.5-Omni Technical Report" (arXiv 2503.20215); transformers
``Qwen2_5OmniThinkerForConditionalGeneration``.  Only the thinker is loaded (from a full
``Qwen/Qwen2.5-Omni-7B`` / ``-3B`` checkpoint its ``thinker_config`` and the ``thinker.*`` weights;
the talker and the token2wav vocoder are never built), so the model answers in text only.

What the model sees (the checkpoint's ``chat_template.jinja`` with the model card's system prompt,
audio first in the user turn, then the task's rendered prompt; no "Audio 1:" prefix and no newline
after the audio, unlike Qwen2-Audio)::

    <|im_start|>system\\nYou are Qwen, a virtual human developed by the Qwen Team, Alibaba Group,
    capable of perceiving auditory and visual inputs, as well as generating text and speech.<|im_end|>\\n
    <|im_start|>user\\n<|audio_bos|><|AUDIO|> x N<|audio_eos|>{prompt}<|im_end|>\\n<|im_start|>assistant\\n

Audio: 16 kHz log-mel (128 bins) padded to the feature extractor's window (``chunk_length=300``
in the released ``preprocessor_config.json``: audio up to 300 s; longer audio is refused), the same
25-per-second placeholder count as Qwen2-Audio.  With audio only, TMRoPE positions are plain
sequential positions, so the model's own forward (ids + features, ``masked_scatter`` in order)
also handles the interleaved audio-side time prompts (:mod:`.time_prompts`); no special path.

The ``Qwen2_5OmniProcessor`` is not used: it needs torchvision for its video processor; the
adapter loads the tokenizer and the ``WhisperFeatureExtractor`` and reproduces what the processor
does for audio (``padding="max_length"``, placeholder count from the feature mask).

Decoding (see :mod:`.hf_base`): greedy, ``max_new_tokens=256``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from .hf_base import COMMON_SETTINGS, Setting
from .qwen_audio import TIME_PROMPT_SETTINGS, QwenAudioFamily

__all__ = ["OMNI_SYSTEM_PROMPT", "QwenOmniAdapter"]

#: System prompt of the Qwen2.5-Omni model card (all of its examples use it).
OMNI_SYSTEM_PROMPT = ("You are Qwen, a virtual human developed by the Qwen Team, Alibaba Group, capable of "
                      "perceiving auditory and visual inputs, as well as generating text and speech.")


class QwenOmniAdapter(QwenAudioFamily):
    """Qwen2.5-Omni's thinker through transformers (see the module docstring)."""

    name = "qwen2.5-omni"
    display_name = "Qwen2.5-Omni"
    hub_id = "Qwen/Qwen2.5-Omni-7B"
    max_audio_seconds = 300.0
    SETTINGS: ClassVar[Mapping[str, Setting]] = {**COMMON_SETTINGS, "max_new_tokens": Setting(256, "int", minimum=1),
                "system_prompt": Setting(OMNI_SYSTEM_PROMPT), **TIME_PROMPT_SETTINGS}

    def _load_components(self, path: str):
        from transformers import (
            AutoConfig,
            AutoTokenizer,
            Qwen2_5OmniThinkerForConditionalGeneration,
            WhisperFeatureExtractor,
        )

        self._check_available(path)
        try:
            kwargs = self._load_kwargs(path)
            config = AutoConfig.from_pretrained(path, **kwargs)
            thinker_config = getattr(config, "thinker_config", config)
            model = Qwen2_5OmniThinkerForConditionalGeneration.from_pretrained(
                path, config=thinker_config, **self._model_kwargs(path))
            tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
            extractor = WhisperFeatureExtractor.from_pretrained(path, **kwargs)
        except OSError as exc:  # missing or unreadable files (other errors propagate as they are)
            raise self._not_found(path, exc) from exc
        return model, tokenizer, extractor

    def build_text(self, prompt: str, n_tokens: int) -> str:
        return (f"<|im_start|>system\n{self.settings['system_prompt']}<|im_end|>\n"
                f"<|im_start|>user\n{self.audio_span(n_tokens)}{prompt}<|im_end|>\n<|im_start|>assistant\n")
