"""Qwen2-Audio (``Qwen/Qwen2-Audio-7B-Instruct``) for timebench, and the Qwen audio family base.

Model: Chu et al., "Qwen2-Audio Technical Report" (arXiv 2407.10759); transformers
``Qwen2AudioForConditionalGeneration`` + ``Qwen2AudioProcessor``.

What the model sees (the model card's chat template, ``Qwen2AudioProcessor.default_chat_template``,
with the audio first in the user turn, then the task's rendered prompt)::

    <|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n<|im_start|>user\\n
    Audio 1: <|audio_bos|><|AUDIO|> x N<|audio_eos|>\\n{prompt}<|im_end|>\\n<|im_start|>assistant\\n

``template=base`` (for the non-instruct ``Qwen/Qwen2-Audio-7B``, model card):
``<|audio_bos|><|AUDIO|> x N<|audio_eos|>{prompt}``.

Audio: 16 kHz, log-mel (128 bins, 10-ms hop) padded to 30 s (``padding="max_length"``, as the
processor does); ``N = ((L - 1) // 2 + 1 - 2) // 2 + 1`` for ``L`` mel frames (the processor's
count: conv stride 2 then average pooling 2), i.e. 25 placeholders per second, 750 for 30 s.
Longer audio is refused (the feature extractor would cut it at 30 s).

Decoding (see :mod:`.hf_base`): greedy, ``max_new_tokens=256`` (the model card's example uses
``max_length=256``); the checkpoint's sampling defaults are not used.

Audio-side time prompts (:mod:`.time_prompts`, TimePro-RL): ``time_prompt=true`` interleaves
``<0.04>``-style tokens with the ``<|AUDIO|>`` placeholders.  Qwen2-Audio's forward treats a
sequence without two adjacent ``<|AUDIO|>`` tokens as "legacy" (unexpanded) input, which is what a
token before every frame gives, so with time prompts the adapter computes ``inputs_embeds`` itself
(:func:`qwen2_audio_inputs_embeds`, the same steps as ``Qwen2AudioModel.forward``; a test checks
that it equals the model's own path) and generates from them.

:class:`QwenAudioFamily` holds what Qwen2-Audio and Qwen2.5-Omni share (features, placeholder
counts, time prompts, batching); :mod:`.qwen_omni` subclasses it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from .base import Generation, Request
from .hf_base import (
    COMMON_SETTINGS,
    HFAudioLMAdapter,
    Item,
    Setting,
    compress_runs,
    load_waveform,
)

__all__ = [
    "QWEN2_AUDIO_SYSTEM_PROMPT",
    "TIME_PROMPT_SETTINGS",
    "Qwen2AudioAdapter",
    "QwenAudioFamily",
    "qwen2_audio_inputs_embeds",
    "qwen_audio_token_count",
]

#: The system turn the Qwen2-Audio chat template inserts when none is given.
QWEN2_AUDIO_SYSTEM_PROMPT = "You are a helpful assistant."

#: Settings of the audio-side time prompts (TimePro-RL), shared by the Qwen adapters.
TIME_PROMPT_SETTINGS: Mapping[str, Setting] = {
    "time_prompt": Setting(False, "bool", doc="interleave timestamp tokens with the audio features"),
    "time_step": Setting(0.04, "float", minimum=0.0, doc="seconds between timestamp tokens (multiple of 0.04)"),
    "time_max_seconds": Setting(30.0, "float", minimum=0.0, doc="range covered by the timestamp vocabulary"),
    "time_label": Setting("end", choices=("end", "start"), doc="label a group with its end or start time"),
    "time_init": Setting("auto", choices=("auto", "mean"), doc="keep a checkpoint's timestamp rows or re-init"),
}


def qwen_audio_token_count(mel_frames: int) -> int:
    """Audio placeholders for ``mel_frames`` log-mel frames (``Qwen2AudioProcessor``;
    ``_get_feat_extract_output_lengths`` of the Qwen2-Audio / Qwen2.5-Omni audio encoders)."""
    return ((int(mel_frames) - 1) // 2 + 1 - 2) // 2 + 1


def qwen2_audio_inputs_embeds(model: Any, input_ids, input_features, feature_attention_mask):
    """``inputs_embeds`` with the audio features in the ``<|AUDIO|>`` positions, computed as
    ``Qwen2AudioModel.forward`` does for expanded input (transformers 5.x): encoder with its
    padding mask, projector, features cut to each clip's length, ``masked_scatter`` in order.
    Works whether or not the placeholders are adjacent."""
    import torch
    from transformers.masking_utils import create_bidirectional_mask

    inner = model.model
    tower = inner.audio_tower
    embeds = inner.get_input_embeddings()(input_ids)
    feat_lengths, out_lengths = tower._get_feat_extract_output_lengths(feature_attention_mask.sum(-1))
    batch, _, max_mel = input_features.shape
    max_len = (max_mel - 2) // 2 + 1
    rng = torch.arange(max_len, device=feat_lengths.device).unsqueeze(0).expand(batch, max_len)
    mask_2d = (rng < feat_lengths.unsqueeze(1)).to(torch.long)
    dummy = torch.zeros((batch, max_len, 1), dtype=embeds.dtype, device=embeds.device)
    audio_mask = create_bidirectional_mask(config=tower.config, inputs_embeds=dummy, attention_mask=mask_2d)
    hidden = tower(input_features.to(tower.conv1.weight.dtype), attention_mask=audio_mask).last_hidden_state
    features = inner.multi_modal_projector(hidden)
    valid = torch.arange(features.shape[1], device=features.device)[None, :] < out_lengths.to(features.device)[:, None]
    features = features[valid]
    placeholder = input_ids == model.config.audio_token_id
    if int(placeholder.sum()) != features.shape[0]:
        raise ValueError(f"{int(placeholder.sum())} audio placeholders for {features.shape[0]} audio features")
    return embeds.masked_scatter(placeholder.unsqueeze(-1).to(embeds.device), features.to(embeds.device, embeds.dtype))


class QwenAudioFamily(HFAudioLMAdapter):
    """What Qwen2-Audio and Qwen2.5-Omni (thinker) share: Whisper-style features padded to the
    extractor's window, 25 placeholders per second, optional time prompts, left-padded batches."""

    audio_token: ClassVar[str] = "<|AUDIO|>"
    audio_bos: ClassVar[str] = "<|audio_bos|>"
    audio_eos: ClassVar[str] = "<|audio_eos|>"
    #: seconds of audio per placeholder after the encoder's pooling
    frame_seconds: ClassVar[float] = 0.04
    default_system_prompt: ClassVar[str] = QWEN2_AUDIO_SYSTEM_PROMPT

    # -- setup --------------------------------------------------------------------------------------
    def _setup(self) -> None:
        from .time_prompts import TimePromptError, TimePromptSpec, install_time_tokens

        tok_id = self.tokenizer.convert_tokens_to_ids(self.audio_token)
        cfg_id = getattr(self.model.config, "audio_token_id", None)
        if cfg_id is not None and tok_id != cfg_id:
            raise ValueError(f"tokenizer gives {self.audio_token} id {tok_id} but the model expects {cfg_id}")
        self.audio_token_id = int(tok_id)
        fe = self.feature_extractor
        self.max_audio_seconds = float(fe.n_samples) / float(fe.sampling_rate)
        self.time_spec = None
        self.time_token_ids: dict[str, int] = {}
        s = self.settings
        if s["time_prompt"]:
            try:
                self.time_spec = TimePromptSpec(step=s["time_step"], frame_seconds=self.frame_seconds,
                                                max_seconds=s["time_max_seconds"], label=s["time_label"])
                self.time_token_ids = install_time_tokens(self.model, self.tokenizer, self.time_spec,
                                                          init=s["time_init"])
            except TimePromptError as exc:
                from timebench.errors import InputError

                raise InputError(str(exc), path=f"{self.name} settings", field="time_step") from None
            self.max_audio_seconds = min(self.max_audio_seconds, float(s["time_max_seconds"]))

    # -- text -----------------------------------------------------------------------------------------
    def audio_span(self, n_tokens: int) -> str:
        """``<|audio_bos|>`` + placeholders (interleaved with timestamps when enabled) + ``<|audio_eos|>``."""
        inner = (self.time_spec.expand(n_tokens, self.audio_token) if self.time_spec is not None
                 else self.audio_token * n_tokens)
        return self.audio_bos + inner + self.audio_eos

    def build_text(self, prompt: str, n_tokens: int) -> str:
        """The whole model input for one request (subclasses: the chat template)."""
        raise NotImplementedError

    def features(self, waveforms: Sequence[Any]):
        """``(input_features, feature_attention_mask, placeholder counts)`` as the processor computes them."""
        out = self.feature_extractor(list(waveforms), sampling_rate=self.sample_rate, padding="max_length",
                                     return_attention_mask=True, return_tensors="pt")
        mask = out["attention_mask"]
        counts = [qwen_audio_token_count(int(n)) for n in mask.sum(-1).tolist()]
        return out["input_features"], mask, counts

    def _encode(self, group: Sequence[Item]):
        feats, mask, counts = self.features([it.waveform for it in group])
        texts = [self.build_text(it.request.prompt, n) for it, n in zip(group, counts)]
        enc = self.tokenizer(texts, padding="longest", padding_side="left", return_tensors="pt")
        return enc, feats, mask, counts

    def render_inputs(self, requests: Sequence[Request]) -> list[str]:
        out = []
        for request in requests:
            _, _, counts = self.features([load_waveform(request, self.sample_rate)])
            out.append(compress_runs(self.build_text(request.prompt, counts[0]), [self.audio_token]))
        return out

    # -- generation -----------------------------------------------------------------------------------
    def _generate_kwargs(self, enc, feats, mask) -> dict[str, Any]:
        """Inputs of ``model.generate`` (native: ids + features)."""
        return {"input_ids": enc["input_ids"].to(self.device), "attention_mask": enc["attention_mask"].to(self.device),
                "input_features": feats.to(self.device, self.torch_dtype),
                "feature_attention_mask": mask.to(self.device)}

    def _run_batch(self, group: list[Item]) -> list[Generation]:
        from .time_prompts import suppress_ids

        enc, feats, mask, counts = self._encode(group)
        kwargs = self._generate_kwargs(enc, feats, mask)
        config = self.generation_config(suppress=suppress_ids(self.time_token_ids) if self.time_token_ids else ())
        out = self.model.generate(**kwargs, generation_config=config)
        prompt_len = kwargs["input_ids"].shape[1] if "input_ids" in kwargs else 0
        texts, n_gen = self._decode(out, prompt_len)
        prompt_tokens = enc["attention_mask"].sum(-1).tolist()
        return [Generation(text=text, meta={
            "prompt_tokens": int(p), "audio_tokens": int(n), "generated_tokens": int(g),
            "time_tokens": len(self.time_spec.groups(n)) if self.time_spec is not None else 0,
            "audio_seconds": round(it.waveform.shape[0] / self.sample_rate, 3)})
            for text, p, n, g, it in zip(texts, prompt_tokens, counts, n_gen, group)]


class Qwen2AudioAdapter(QwenAudioFamily):
    """Qwen2-Audio-7B(-Instruct) through transformers (see the module docstring)."""

    name = "qwen2-audio"
    display_name = "Qwen2-Audio"
    hub_id = "Qwen/Qwen2-Audio-7B-Instruct"
    max_audio_seconds = 30.0
    SETTINGS: ClassVar[Mapping[str, Setting]] = {**COMMON_SETTINGS, "max_new_tokens": Setting(256, "int", minimum=1),
                "template": Setting("instruct", choices=("instruct", "base"),
                                    doc="instruct: chat template; base: Qwen2-Audio-7B's plain prompt"),
                "system_prompt": Setting(QWEN2_AUDIO_SYSTEM_PROMPT),
                **TIME_PROMPT_SETTINGS}

    def _load_components(self, path: str):
        from transformers import (
            AutoTokenizer,
            Qwen2AudioForConditionalGeneration,
            WhisperFeatureExtractor,
        )

        self._check_available(path)
        try:
            kwargs = self._load_kwargs(path)
            model = Qwen2AudioForConditionalGeneration.from_pretrained(path, **self._model_kwargs(path))
            tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
            extractor = WhisperFeatureExtractor.from_pretrained(path, **kwargs)
        except OSError as exc:  # missing or unreadable files (other errors propagate as they are)
            raise self._not_found(path, exc) from exc
        return model, tokenizer, extractor

    def build_text(self, prompt: str, n_tokens: int) -> str:
        span = self.audio_span(n_tokens)
        if self.settings["template"] == "base":
            return f"{span}{prompt}"
        return (f"<|im_start|>system\n{self.settings['system_prompt']}<|im_end|>\n"
                f"<|im_start|>user\nAudio 1: {span}\n{prompt}<|im_end|>\n<|im_start|>assistant\n")

    def _generate_kwargs(self, enc, feats, mask) -> dict[str, Any]:
        kwargs = super()._generate_kwargs(enc, feats, mask)
        if self.time_spec is None:
            return kwargs
        embeds = qwen2_audio_inputs_embeds(self.model, kwargs["input_ids"], kwargs["input_features"],
                                           kwargs["feature_attention_mask"])
        return {"inputs_embeds": embeds, "attention_mask": kwargs["attention_mask"]}
