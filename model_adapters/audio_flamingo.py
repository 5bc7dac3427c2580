"""Audio Flamingo 3 (``nvidia/audio-flamingo-3-hf``) and SpotSound (its LoRA) for timebench.

Models: Goel et al., "Audio Flamingo 3" (arXiv 2507.08128), transformers
``AudioFlamingo3ForConditionalGeneration``; SpotSound (arXiv 2604.13023, ``LoieSun/SpotSound``),
a LoRA adapter on AF3-hf published as ``Loie/SpotSound``, applied here with peft through
transformers' ``load_adapter`` (unmerged, as ``from_pretrained`` of an adapter folder does).

What the model sees (the AF3-hf processor chat template: the audio placeholder first in the user
turn, whatever the content order, then the text; the task's rendered prompt is the text and the
adapter adds no wording of its own)::

    <|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n<|im_start|>user\\n
    {audio}{prompt}<|im_end|>\\n<|im_start|>assistant\\n

* ``audio-flamingo-3``: ``{audio}`` is ``<sound> x N``;
* ``spotsound`` (``timestamps=true``): ``{audio}`` is SpotSound's timestamp-interleaved form
  (``processor/af3.py``, ``AudioFlamingo3TemporalProcessor``): for ``t`` in ``range(N // 25)``
  the text ``"timestamp: {t} seconds; feature: "`` followed by 25 ``<sound>``.  Audio features of
  the last partial second (``N % 25``) get no placeholder and are dropped, as in the release (its
  ``masked_scatter`` uses only the first ``25 * (N // 25)`` features of a clip).  The prompts are the
  task card's (``tasks/spotsound.yaml`` carries SpotSound's grounding and existence prompts) and the
  answers are ``from {s:.2f}s to {e:.2f}s`` (``spotsound`` / ``lenient`` parsers).

Audio (``AudioFlamingo3Processor``): 16 kHz, cut into 30-s windows (at most 20: 600 s; longer
audio is refused), each window a 128-bin log-mel padded to 30 s; ``N = ((L - 1) // 2 + 1 - 2) // 2
+ 1`` for the clip's ``L`` mel frames (25 per second).  The adapter computes ``inputs_embeds`` itself
(encoder + projector over the windows, each clip's features in order into its placeholders) so
that SpotSound's dropped tail stays inside each clip of a batch (the release ran one clip at a
time); a test checks that plain AF3 gives the same as the model's own forward.

Decoding (see :mod:`.hf_base`), setting ``decoding``:

* ``spotsound`` default ``checkpoint``: SpotSound's ``inference.py`` calls
  ``model.generate(**inputs, max_new_tokens=500)`` and nothing else, so the checkpoint's
  ``generation_config`` decides -- for AF3-hf ``do_sample=True, temperature=0.7, top_k=20,
  top_p=0.8, repetition_penalty=1.05`` (the LoRA ships none).  Sampling is seeded per request
  (``Request.seed``) and run one request at a time; the resolved values are recorded in
  results.json (``config.generation``).  ``decoding=greedy`` is the named deviation (greedy,
  ``repetition_penalty=1.0``; deterministic, not the release's decoding).
* ``audio-flamingo-3`` default ``greedy`` (the SpotSound paper does not say how its AF3 baseline
  was decoded); ``decoding=checkpoint`` gives AF3-hf's sampling.

Audio over ``max_audio_len`` (600 s): truncated by default, as the AF3-hf processor does (20
windows of 30 s; ``over_limit=truncate``, counted per task as ``n_truncated``); ``over_limit=fail``
makes it a failure of that sample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from .base import Generation, Request
from .hf_base import (
    COMMON_SETTINGS,
    HFAudioLMAdapter,
    Item,
    Setting,
    compress_runs,
    is_local_path,
    load_waveform,
)

__all__ = [
    "AF3_SYSTEM_PROMPT",
    "AudioFlamingo3Adapter",
    "SpotSoundAdapter",
    "af3_token_count",
    "spotsound_audio_text",
]

#: The system turn the AF3-hf chat template inserts when none is given.
AF3_SYSTEM_PROMPT = "You are a helpful assistant."
#: SpotSound's per-second text (``processor/af3.py``).
SPOTSOUND_TIMESTAMP = "timestamp: {t} seconds; feature: "
#: AF3 audio features per second (SpotSound groups them by second).
TOKENS_PER_SECOND = 25


def af3_token_count(mel_frames: int) -> int:
    """``AudioFlamingo3Processor._get_audio_token_length`` for a clip's total mel frames."""
    return ((int(mel_frames) - 1) // 2 + 1 - 2) // 2 + 1


def spotsound_audio_text(n_tokens: int, audio_token: str = "<sound>") -> tuple[str, int]:
    """SpotSound's interleaved audio text and how many features it places (``25 * (n // 25)``)."""
    seconds = n_tokens // TOKENS_PER_SECOND
    text = "".join(SPOTSOUND_TIMESTAMP.format(t=t) + audio_token * TOKENS_PER_SECOND for t in range(seconds))
    return text, seconds * TOKENS_PER_SECOND


class AudioFlamingo3Adapter(HFAudioLMAdapter):
    """Audio Flamingo 3 (optionally with a LoRA and SpotSound's timestamped input); see the module docstring."""

    name = "audio-flamingo-3"
    display_name = "Audio Flamingo 3"
    hub_id = "nvidia/audio-flamingo-3-hf"
    max_audio_seconds = 600.0
    audio_token: ClassVar[str] = "<sound>"
    window_seconds: ClassVar[float] = 30.0
    SETTINGS: ClassVar[Mapping[str, Setting]] = {**COMMON_SETTINGS, "max_new_tokens": Setting(500, "int", minimum=1),
                "lora": Setting(None, doc="LoRA adapter folder or hub id (peft); none: the base model"),
                "timestamps": Setting(False, "bool", doc="SpotSound's timestamp-interleaved audio input"),
                "system_prompt": Setting(AF3_SYSTEM_PROMPT),
                "max_audio_len": Setting(600.0, "float", minimum=1.0, doc="the processor's cap in seconds"),
                "over_limit": Setting("truncate", choices=("truncate", "fail"),
                                      doc="audio over max_audio_len: truncate (as the processor) or fail"),
                "decoding": Setting("greedy", choices=("greedy", "checkpoint"),
                                    doc="greedy (settings) or the checkpoint's generation_config")}

    # -- loading --------------------------------------------------------------------------------------
    def _check_settings(self) -> None:
        if str(self.settings["lora"]).strip().lower() in ("", "none", "null"):
            self.settings["lora"] = None
        self.max_audio_seconds = float(self.settings["max_audio_len"])

    def _load_components(self, path: str):
        from transformers import (
            AudioFlamingo3ForConditionalGeneration,
            AutoTokenizer,
            WhisperFeatureExtractor,
        )

        self._check_available(path)
        if self.settings["lora"]:
            self._check_lora_available(self.settings["lora"])  # before reading 8 B parameters
        try:
            kwargs = self._load_kwargs(path)
            model = AudioFlamingo3ForConditionalGeneration.from_pretrained(path, **self._model_kwargs(path))
            tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
            extractor = WhisperFeatureExtractor.from_pretrained(path, **kwargs)
        except OSError as exc:  # missing or unreadable files (other errors propagate as they are)
            raise self._not_found(path, exc) from exc
        return model, tokenizer, extractor

    def _setup(self) -> None:
        tok_id = self.tokenizer.convert_tokens_to_ids(self.audio_token)
        if tok_id != self.model.config.audio_token_id:
            raise ValueError(f"tokenizer gives {self.audio_token} id {tok_id} but the model expects "
                             f"{self.model.config.audio_token_id}")
        self.audio_token_id = int(tok_id)
        lora = self.settings["lora"]
        if lora:
            self._apply_lora(lora)

    def _check_lora_available(self, lora: str) -> None:
        """A local adapter folder must hold ``adapter_config.json``; offline, a hub id must be cached."""
        local = Path(lora).expanduser()
        if is_local_path(lora):
            if not (local / "adapter_config.json").is_file():
                raise self._not_found(lora, None if not local.exists() else
                                      FileNotFoundError("no adapter_config.json (not a peft adapter folder)"),
                                      what="LoRA adapter", setting="lora")
        elif self._load_kwargs(lora)["local_files_only"]:
            from huggingface_hub import try_to_load_from_cache

            if not isinstance(try_to_load_from_cache(lora, "adapter_config.json"), str):
                raise self._not_found(lora, None, what="LoRA adapter", setting="lora")

    def _apply_lora(self, lora: str) -> None:
        """``model.load_adapter`` (peft); a missing adapter raises :class:`CheckpointNotFoundError`."""
        self._check_lora_available(lora)
        local = Path(lora).expanduser()
        try:
            # (offline use follows HF_HUB_OFFLINE: load_adapter's own local_files_only is broken in 5.23)
            self.model.load_adapter(str(local) if local.exists() else lora, adapter_name="lora")
        except OSError as exc:  # missing or unreadable adapter files (a mismatching adapter raises as it is)
            raise self._not_found(lora, exc, what="LoRA adapter", setting="lora") from exc
        # Activate it on peft's own layers (what ``model.set_adapter`` does): transformers 5.24's
        # ``set_adapter`` demands peft>=0.22, which was not released when 5.24 was.
        from peft.tuners.tuners_utils import BaseTunerLayer

        for module in self.model.modules():
            if isinstance(module, BaseTunerLayer):
                module.set_adapter("lora")
        self.model.eval()

    # -- inputs ---------------------------------------------------------------------------------------
    def features(self, waveforms: Sequence[Any]):
        """``(input_features, input_features_mask, windows per clip, placeholder counts, feature counts)``.

        As ``AudioFlamingo3Processor._process_audio``: 30-s windows (the last one shorter), each a
        log-mel padded to 30 s; the placeholder count comes from the clip's total mel frames; the
        feature count is what the encoder returns for the clip's windows."""
        window = round(self.window_seconds * self.sample_rate)
        max_windows = int(self.settings["max_audio_len"] // self.window_seconds)
        chunks, windows = [], []
        for wav in waveforms:
            n = int(wav.shape[0])
            n_win = min(max(1, (n + window - 1) // window), max_windows)
            cap = min(n, n_win * window)
            chunks.extend(wav[i * window: min((i + 1) * window, cap)] for i in range(n_win))
            windows.append(n_win)
        out = self.feature_extractor(chunks, sampling_rate=self.sample_rate, return_attention_mask=True,
                                     return_tensors="pt")
        mask = out["attention_mask"]
        per_window = mask.sum(-1).tolist()
        counts, feats, at = [], [], 0
        for n_win in windows:
            frames = per_window[at: at + n_win]
            counts.append(af3_token_count(sum(frames)))
            feats.append(sum(af3_token_count(f) for f in frames))
            at += n_win
        return out["input_features"], mask, windows, counts, feats

    def audio_text(self, n_tokens: int) -> tuple[str, int]:
        """The audio part of the user turn and how many placeholders it holds."""
        if self.settings["timestamps"]:
            return spotsound_audio_text(n_tokens, self.audio_token)
        return self.audio_token * n_tokens, n_tokens

    def build_text(self, prompt: str, n_tokens: int) -> str:
        audio, _ = self.audio_text(n_tokens)
        return (f"<|im_start|>system\n{self.settings['system_prompt']}<|im_end|>\n"
                f"<|im_start|>user\n{audio}{prompt}<|im_end|>\n<|im_start|>assistant\n")

    def render_inputs(self, requests: Sequence[Request]) -> list[str]:
        out = []
        for request in requests:
            *_, counts, _ = self.features([load_waveform(request, self.sample_rate)])
            out.append(compress_runs(self.build_text(request.prompt, counts[0]), [self.audio_token]))
        return out

    def inputs_embeds(self, input_ids, input_features, input_features_mask, feature_counts, placed):
        """Text embeddings with each clip's first ``placed[i]`` audio features in its placeholders."""
        import torch

        embeds = self.model.get_input_embeddings()(input_ids)
        audio = self.model.get_audio_features(input_features.to(self.torch_dtype), input_features_mask,
                                              return_dict=True).pooler_output
        if audio.shape[0] != sum(feature_counts):
            raise ValueError(f"encoder gave {audio.shape[0]} features, expected {sum(feature_counts)}")
        parts = []
        for clip, (have, need) in enumerate(zip(audio.split(list(feature_counts)), placed)):
            if have.shape[0] < need:
                raise ValueError(f"clip {clip}: {need} placeholders but only {have.shape[0]} audio features")
            parts.append(have[:need])
        audio = torch.cat(parts) if parts else audio[:0]
        mask = input_ids == self.audio_token_id
        if int(mask.sum()) != audio.shape[0]:
            raise ValueError(f"{int(mask.sum())} placeholders for {audio.shape[0]} audio features")
        return embeds.masked_scatter(mask.unsqueeze(-1), audio.to(embeds.device, embeds.dtype))

    # -- generation -----------------------------------------------------------------------------------
    def _run_batch(self, group: list[Item]) -> list[Generation]:
        feats, fmask, _, counts, n_feats = self.features([it.waveform for it in group])
        texts, placed = [], []
        for it, n in zip(group, counts):
            texts.append(self.build_text(it.request.prompt, n))
            placed.append(self.audio_text(n)[1])
        enc = self.tokenizer(texts, padding="longest", padding_side="left", return_tensors="pt")
        ids = enc["input_ids"].to(self.device)
        attn = enc["attention_mask"].to(self.device)
        embeds = self.inputs_embeds(ids, feats.to(self.device), fmask.to(self.device), n_feats, placed)
        # input_ids go along with the embeddings (used for the first step) so that logits processors
        # see the prompt as the release's generate(**inputs) does: a repetition penalty (1.05 in
        # AF3-hf's generation_config) then covers the prompt tokens too, not only the new ones
        out = self.model.generate(input_ids=ids, inputs_embeds=embeds, attention_mask=attn,
                                  generation_config=self.generation_config())
        texts_out, n_gen = self._decode(out, ids.shape[1])
        return [Generation(text=text, meta={
            "prompt_tokens": int(p), "audio_tokens": int(k), "audio_features": int(f), "generated_tokens": int(g),
            "audio_seconds": round(it.waveform.shape[0] / self.sample_rate, 3)})
            for text, p, k, f, g, it in zip(texts_out, attn.sum(-1).tolist(), placed, n_feats, n_gen, group)]


class SpotSoundAdapter(AudioFlamingo3Adapter):
    """SpotSound: AF3-hf + the ``Loie/SpotSound`` LoRA + timestamp-interleaved input (module docstring)."""

    name = "spotsound"
    display_name = "SpotSound"
    SETTINGS: ClassVar[Mapping[str, Setting]] = {**AudioFlamingo3Adapter.SETTINGS,
                "lora": Setting("Loie/SpotSound", doc="the SpotSound LoRA (folder or hub id)"),
                "decoding": Setting("checkpoint", choices=("checkpoint", "greedy"),
                                    doc="checkpoint: as SpotSound's inference.py; greedy: named deviation"),
                "timestamps": Setting(True, "bool", doc="SpotSound's timestamp-interleaved audio input")}
