"""SALMONN-7B (``tsinghua-ee/SALMONN-7B``, ``salmonn_7b_v0.pth``) for timebench.

Model: Tang et al., "SALMONN: Towards Generic Hearing Abilities for Large Language Models"
(ICLR 2024, ``bytedance/SALMONN`` branch ``salmonn``).  TimeAudio is built on SALMONN, and
:mod:`model_adapters.timeaudio` implements the shared parts under the checkpoint's key names; this
adapter reuses them (no copy):

* the encoder stack :class:`model_adapters.timeaudio.encoder.AudioEncoderStack` (Whisper +
  BEATs, LayerNorms, 17-frame windows, window-level Q-Former with one query, projection) with its
  hooks left as the identity: **no** absolute time table, **no** token merging;
* TimeAudio's prompt wrapping and generation (``TimeAudioModel.prompt_pieces``,
  ``build_inputs``, ``generate``), which are SALMONN's ``prompt_wrap`` + ``generate``;
* Vicuna with **no** marker tokens: SALMONN's tokenizer is Vicuna's plus ``[PAD]`` (32001 entries),
  the LLM is resized to it, LoRA r=8/alpha=32/dropout=0.1 on q_proj/v_proj (peft's LLaMA default);
* loading helpers of :mod:`model_adapters.timeaudio.loading` (file resolution with download hints,
  ``torch.load(weights_only=True)``, BEATs, key-by-key coverage).

What the model sees (``configs/decode_config.yaml`` ``prompt_template`` and ``cli_inference.py``):
``[BOS] USER: <Speech>{audio embeddings}</Speech> {prompt}\\nASSISTANT:`` -- the text is split at
``<SpeechHere>`` and the audio tokens (one per 0.34-s window, 88 for up to 30 s) go between the
two parts as embeddings.  ``<Speech>`` is plain text.

Audio: 16 kHz, padded to 1 s, one 30-s Whisper window.  SALMONN's CLI truncates to 30 s, and so
does this adapter by default (``over_limit=truncate``, ``max_len=30``); each cut clip is marked and
counted per task as ``n_truncated`` in results.json.  ``over_limit=fail`` (named deviation) makes
longer audio a failure of that sample instead.  ``max_len`` may be raised (up to 180): audio is
then cut into 30-s chunks with TimeAudio's rule (a tail under 5 s dropped) -- timebench's
extension, not SALMONN's behaviour.  BEATs runs over the whole clip (``beats_chunking=whole``, as
released); ``chunked`` is a named memory-saving deviation.

Decoding: SALMONN's ``decode_config.yaml`` ``generate`` block: beam search with 4 beams,
``max_new_tokens=200``, ``min_length=1``, ``repetition_penalty=1.0``, ``length_penalty=1.0``.

Files (under ``model_dir``, default ``pretrained_model``): ``whisper-large-v2/``,
``BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt2.pt``, ``vicuna-7b-v1.5/``, ``salmonn_7b_v0.pth`` and
optionally ``bert-base-uncased/config.json``.  ``salmonn_7b_v0.pth`` stores the trainable parts only
(Q-Former, query token, LayerNorms, projection, LoRA); every one of those keys must be present
with the right shape (:func:`apply_salmonn_checkpoint`), unknown keys are an error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, ClassVar

from .base import Generation, Request
from .hf_base import HFAudioLMAdapter, Item, Setting, compress_runs, load_waveform

__all__ = [
    "SALMONN_SOURCES",
    "SALMONN_VOCAB",
    "SalmonnAdapter",
    "apply_salmonn_checkpoint",
    "salmonn_config",
    "salmonn_model_class",
    "salmonn_required_keys",
]

#: Vicuna's 32000 entries + ``[PAD]`` (``SALMONN.__init__``: ``add_special_tokens({'pad_token': '[PAD]'})``).
SALMONN_VOCAB = 32001

SALMONN_SOURCES = {
    "ckpt": "salmonn_7b_v0.pth from https://huggingface.co/tsinghua-ee/SALMONN-7B "
            "(huggingface-cli download tsinghua-ee/SALMONN-7B salmonn_7b_v0.pth --local-dir <model_dir>)",
}


def salmonn_config(*, tiny: bool = False, **changes: Any):
    """The SALMONN settings: TimeAudio's released dimensions without merging, vocabulary 32001."""
    from .timeaudio.config import released_config, tiny_config

    base = tiny_config() if tiny else released_config()
    changes.setdefault("vocab_size", SALMONN_VOCAB)
    merge = dict(changes.pop("merge", {}) or {})
    merge["enabled"] = False
    return base.with_(merge=merge, **changes)


@cache
def salmonn_model_class():
    """``SalmonnModel`` (built on first use so that importing this module needs no torch)."""
    from .timeaudio.encoder import AudioEncoderStack
    from .timeaudio.model import TimeAudioModel

    class SalmonnModel(AudioEncoderStack):
        """Encoder stack + Vicuna/LoRA with SALMONN's prompt wrapping (identity hooks: no time
        table, no merging).  Prompting and generation are TimeAudio's functions, unchanged."""

        prompt_pieces = TimeAudioModel.prompt_pieces
        _embed_ids = TimeAudioModel._embed_ids
        build_inputs = TimeAudioModel.build_inputs
        generate = TimeAudioModel.generate

        def __init__(self, *, speech_encoder, beats, llama_model, tokenizer, config, encoder_batch_size: int = 8):
            hidden = int(llama_model.get_input_embeddings().weight.shape[1])
            super().__init__(speech_encoder=speech_encoder, beats=beats, qformer=dict(config.qformer),
                             llm_hidden_size=hidden, config=config, encoder_batch_size=encoder_batch_size)
            self.llama_model = llama_model
            self.tokenizer = tokenizer

    return SalmonnModel


def salmonn_required_keys(model_keys: Sequence[str]) -> list[str]:
    """Keys ``salmonn_7b_v0.pth`` must hold: LoRA weights and everything outside the frozen LLM and
    encoders (SALMONN's runner saves the parameters that require grad)."""
    out = []
    for k in model_keys:
        if "lora_" in k or not k.startswith(("llama_model.", "speech_encoder.", "beats.")):
            out.append(k)
    return out


def apply_salmonn_checkpoint(model, state, *, source: str = "checkpoint"):
    """Load ``state`` by key; every required key present with its shape, no unknown key.

    Frozen-encoder keys the release happens to store (BEATs' shared ``relative_attention_bias``) are
    loaded when present and not required.  Returns the :class:`~model_adapters.timeaudio.loading.CoverageReport`.
    """
    from .timeaudio.loading import apply_checkpoint

    return apply_checkpoint(model, state, source=source, model_name="SALMONN",
                            expected=salmonn_required_keys(list(model.state_dict())))


class SalmonnAdapter(HFAudioLMAdapter):
    """SALMONN-7B behind the adapter protocol (see the module docstring)."""

    name = "salmonn"
    display_name = "SALMONN-7B"
    hub_id = "tsinghua-ee/SALMONN-7B"
    default_model = "pretrained_model"
    gpu_dtype = "float16"          # the release runs the LLM in fp16 under autocast
    max_audio_seconds = 30.0
    SETTINGS: ClassVar[Mapping[str, Setting]] = {
        "model": Setting("pretrained_model", doc="model_dir: folder with the SALMONN files"),
        "whisper_path": Setting(None), "beats_path": Setting(None), "llama_path": Setting(None),
        "ckpt_path": Setting(None, doc="default <model>/salmonn_7b_v0.pth"), "bert_config": Setting(None),
        "device": Setting("auto"), "dtype": Setting("auto", choices=("auto", "bfloat16", "float16", "float32")),
        "batch_size": Setting(4, "int", minimum=1), "encoder_batch_size": Setting(8, "int", minimum=1),
        "num_beams": Setting(4, "int", minimum=1), "max_new_tokens": Setting(200, "int", minimum=1),
        "max_len": Setting(30.0, "float", minimum=1.0, doc="longest audio in seconds (SALMONN: 30)"),
        "beats_chunking": Setting("whole", choices=("whole", "chunked"),
                                  doc="whole: as released; chunked: 30-s pieces (named deviation)"),
        "over_limit": Setting("truncate", choices=("truncate", "fail"),
                              doc="audio over max_len: truncate (as released) or fail the sample"),
        "local_files_only": Setting(None, "bool"),
    }
    runtime_settings = HFAudioLMAdapter.runtime_settings | frozenset({"encoder_batch_size"})

    @classmethod
    def from_components(cls, model: Any, processor: Any = None, /, *, tokenizer: Any = None,
                        feature_extractor: Any = None, **settings: Any) -> SalmonnAdapter:
        """``model`` is a ``SalmonnModel`` (its ``tokenizer`` is used); ``feature_extractor`` a
        ``WhisperFeatureExtractor`` (80 mel bins)."""
        tokenizer = tokenizer if tokenizer is not None else getattr(model, "tokenizer", None)
        feature_extractor = feature_extractor if feature_extractor is not None else processor
        settings.setdefault("model", "<in-memory>")
        return super().from_components(model, None, tokenizer=tokenizer, feature_extractor=feature_extractor,
                                       **settings)

    def _check_settings(self) -> None:
        if self.settings["max_len"] > 180:
            from timebench.errors import InputError

            raise InputError("max_len above 180 s is not supported (TimeAudio's chunking limit)",
                             path="salmonn settings", field="max_len")
        self.max_audio_seconds = float(self.settings["max_len"])

    def _setup(self) -> None:
        config = self.model.audio_config.with_(
            max_audio_seconds=self.max_audio_seconds, beats_chunking=self.settings["beats_chunking"],
            generation={"num_beams": self.settings["num_beams"], "max_new_tokens": self.settings["max_new_tokens"]})
        self.model.audio_config = config
        self.model.encoder_batch_size = self.settings["encoder_batch_size"]

    def _load_components(self, path: str):
        import torch
        from transformers import (
            AutoTokenizer,
            LlamaForCausalLM,
            WhisperFeatureExtractor,
            WhisperModel,
        )

        from .timeaudio.config import BERT_BASE_UNCASED
        from .timeaudio.loading import (
            ModelFilesError,
            load_beats,
            load_state,
            resolve_files,
        )
        from .timeaudio.model import wrap_lora

        s = self.settings
        ckpt = s["ckpt_path"] or f"{path}/salmonn_7b_v0.pth"
        try:
            files = resolve_files(model_dir=path, whisper=s["whisper_path"], beats=s["beats_path"],
                                  llama=s["llama_path"], ckpt=ckpt, bert=s["bert_config"])
        except ModelFilesError as exc:  # same files as TimeAudio but salmonn_7b_v0.pth: say so
            lines = ["SALMONN-7B model files are missing (set model=<model_dir> or the *_path settings):"]
            for line in str(exc).splitlines()[1:]:
                if line.strip().startswith("ckpt:"):
                    line = f"  ckpt: {ckpt} not found -- get {SALMONN_SOURCES['ckpt']}"
                lines.append(line)
            raise ModelFilesError("\n".join(lines)) from None
        qformer = dict(BERT_BASE_UNCASED)
        if files.bert is not None:
            cfg_path = files.bert / "config.json" if files.bert.is_dir() else files.bert
            qformer.update({k: v for k, v in json.loads(cfg_path.read_text()).items() if k in BERT_BASE_UNCASED})
        config = salmonn_config(qformer=qformer, max_audio_seconds=self.max_audio_seconds)
        whisper = WhisperModel.from_pretrained(str(files.whisper), dtype=torch.float32, local_files_only=True).encoder
        beats = load_beats(files.beats) if files.beats is not None else None
        tokenizer = AutoTokenizer.from_pretrained(str(files.llama), local_files_only=True)
        tokenizer.add_special_tokens({"pad_token": "[PAD]"})
        if len(tokenizer) != SALMONN_VOCAB or tokenizer.convert_tokens_to_ids("[PAD]") != 32000:
            raise ModelFilesError(f"{files.llama}: tokenizer has {len(tokenizer)} entries with [PAD]; SALMONN-7B "
                                  f"expects {SALMONN_VOCAB} ([PAD] = 32000): is this vicuna-7b-v1.5?")
        tokenizer.padding_side = "left"
        llm = LlamaForCausalLM.from_pretrained(str(files.llama), dtype=self.torch_dtype, local_files_only=True)
        llm.resize_token_embeddings(len(tokenizer), mean_resizing=False)
        llm = wrap_lora(llm, config)
        model = salmonn_model_class()(speech_encoder=whisper, beats=beats, llama_model=llm, tokenizer=tokenizer,
                                      config=config, encoder_batch_size=s["encoder_batch_size"])
        self.coverage = apply_salmonn_checkpoint(model, load_state(files.ckpt), source=str(files.ckpt))
        model = model.to(device=self.device, dtype=self.torch_dtype)
        if (files.whisper / "preprocessor_config.json").is_file():
            extractor = WhisperFeatureExtractor.from_pretrained(str(files.whisper))
        else:
            extractor = WhisperFeatureExtractor(feature_size=80)
        return model, tokenizer, extractor

    # -- prompts and generation -------------------------------------------------------------------
    def render_inputs(self, requests: Sequence[Request]) -> list[str]:
        """``<s>`` + text before the audio + ``<audio embedding> x L`` + text after."""
        from .timeaudio.encoder import prepare_audio

        out = []
        for request in requests:
            batch = prepare_audio([load_waveform(request, self.sample_rate)], config=self.model.audio_config,
                                  feature_extractor=self.feature_extractor)
            n = self._num_tokens(batch)
            before, after = self.model.prompt_pieces(request.prompt)
            out.append(compress_runs(f"{self.tokenizer.bos_token}{before}{'<audio embedding>' * n}{after}",
                                     ["<audio embedding>"]))
        return out

    def _num_tokens(self, batch) -> int:
        from .timeaudio.encoder import expected_num_windows

        cfg = self.model.audio_config
        return expected_num_windows(batch.plans[0].num_samples, cfg, with_beats=self.model.beats is not None) \
            * cfg.num_query_tokens

    def _run_batch(self, group: list[Item]) -> list[Generation]:
        from .timeaudio.encoder import prepare_audio

        model = self.model
        batch = prepare_audio([it.waveform for it in group], config=model.audio_config,
                              feature_extractor=self.feature_extractor)
        ids, counts, windows = model.generate(batch, [it.request.prompt for it in group], model.audio_config.generation)
        return [Generation(text=self.tokenizer.decode(seq, skip_special_tokens=True).strip(), meta={
            "audio_tokens": int(n), "windows": int(w), "generated_tokens": len(seq),
            "audio_seconds": round(it.waveform.shape[0] / self.sample_rate, 3)})
            for seq, n, w, it in zip(ids, counts, windows, group)]
