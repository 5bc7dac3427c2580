"""Tiny random-initialised audio-language models for the adapter tests (no files, no network).

Every builder keeps the real models' *time* constants (16 kHz, 10-ms mel hop, 128 mel bins for the
Qwen/AF3 encoders, 1500 encoder positions per 30 s, pooling to 25 audio features per second) so
placeholder counts equal the real ones; only widths, depths and vocabularies shrink.  Tokenizers are
byte-level BPE trained offline with the real special-token strings.
"""

from __future__ import annotations

from types import SimpleNamespace

import torch

_CORPUS = [
    "What are the start and end times of audio matching 'a dog barks'? from 1.00s to 2.00s, 3.2 - 10.5",
    ("This is a sequence of audio stream. Your task is to identify the temporal window (start and end "
     "timestamps) when the given query appears. The query is: glass breaking Answer: timestamp: 0 seconds; feature: "),
    "system user assistant You are a helpful assistant. Audio 1: Yes. No. 0 1 2 3 4 5 6 7 8 9 . , - :",
    "USER: <Speech></Speech> What events can you detect in the sound? ASSISTANT: Listen to the speech.",
]

QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|AUDIO|>", "<|audio_bos|>", "<|audio_eos|>",
                 "<|IMAGE|>", "<|VIDEO|>", "<|vision_bos|>", "<|vision_eos|>", "<sound>"]

#: The Qwen2.5-Omni chat template (``Qwen/Qwen2.5-Omni-7B`` ``chat_template.jinja``; the same string is
#: in transformers' ``tests/models/qwen2_5_omni/test_processor_qwen2_5_omni.py``).
OMNI_CHAT_TEMPLATE = (
    "{% set audio_count = namespace(value=0) %}{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}<|vision_bos|><|IMAGE|><|vision_eos|>"
    "{% elif content['type'] == 'audio' or 'audio' in content or 'audio_url' in content %}{% set audio_count.value = audio_count.value + 1 %}"
    "{% if add_audio_id %}Audio {{ audio_count.value }}: {% endif %}<|audio_bos|><|AUDIO|><|audio_eos|>"
    "{% elif content['type'] == 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}<|vision_bos|><|VIDEO|><|vision_eos|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

#: The AF3-hf processor chat template (transformers ``convert_audioflamingo3_to_hf.py``, ``write_processor``).
AF3_CHAT_TEMPLATE = (
    "{% if messages[0]['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "{% for m in messages if m['content'] is not none %}<|im_start|>{{ m['role'] }}\n{% if m['content'] is string %}"
    "{{ m['content'] }}{% else %}{% set audio = namespace(found=False) %}{% set text_buf = namespace(v='') %}"
    "{% for c in m['content'] %}{% if c.get('type') == 'audio' or 'audio' in c %}{% set audio.found = True %}"
    "{% elif c.get('type') == 'text' or 'text' in c %}{% set text_buf.v = text_buf.v + c['text'] %}{% endif %}{% endfor %}"
    "{% if audio.found %}{{ '<sound>' }}{% endif %}{{ text_buf.v }}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _bpe(specials, *, vocab_size=420, unk=None):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    core = Tokenizer(models.BPE(unk_token=unk))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(specials), show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    core.train_from_iterator(_CORPUS, trainer=trainer)
    return core


def qwen_tokenizer():
    """Qwen-style tokenizer: ``<|im_end|>`` is EOS, ``<|endoftext|>`` the pad token."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(tokenizer_object=_bpe(QWEN_SPECIALS), eos_token="<|im_end|>",
                                   pad_token="<|endoftext|>")


def llama_tokenizer():
    """Vicuna-style tokenizer: ``<unk>``=0, ``<s>``=1, ``</s>``=2, BPE pieces, then ``[PAD]`` (SALMONN)."""
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast(tokenizer_object=_bpe(["<unk>", "<s>", "</s>"], vocab_size=320, unk="<unk>"),
                                  unk_token="<unk>", bos_token="<s>", eos_token="</s>")
    tok.add_special_tokens({"pad_token": "[PAD]"})
    return tok


def _text_config(vocab, **extra):
    return dict(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, max_position_embeddings=8192, **extra)


def tiny_qwen2_audio(seed: int = 0):
    """``(model, processor)``: a real ``Qwen2AudioProcessor`` and a 0.1 M-parameter model."""
    from transformers import (
        Qwen2AudioConfig,
        Qwen2AudioForConditionalGeneration,
        Qwen2AudioProcessor,
        WhisperFeatureExtractor,
    )

    tok = qwen_tokenizer()
    processor = Qwen2AudioProcessor(feature_extractor=WhisperFeatureExtractor(feature_size=128), tokenizer=tok)
    config = Qwen2AudioConfig(
        audio_config=dict(d_model=16, encoder_layers=1, encoder_attention_heads=2, encoder_ffn_dim=32,
                          num_mel_bins=128, max_source_positions=1500),
        text_config=dict(model_type="qwen2", **_text_config(len(tok))),
        audio_token_id=tok.convert_tokens_to_ids("<|AUDIO|>"))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2AudioForConditionalGeneration(config).eval()
    return model, processor


def tiny_qwen_omni(seed: int = 0, chunk_length: int = 300):
    """``(thinker, processor-like namespace)``.  The real ``Qwen2_5OmniProcessor`` needs torchvision for
    its video processor, so the namespace carries the two parts the adapter uses (the real checkpoint's
    feature extractor has ``chunk_length=300``: 300-s windows)."""
    from transformers import (
        Qwen2_5OmniThinkerConfig,
        Qwen2_5OmniThinkerForConditionalGeneration,
        WhisperFeatureExtractor,
    )

    tok = qwen_tokenizer()
    ids = {t: tok.convert_tokens_to_ids(t) for t in QWEN_SPECIALS}
    config = Qwen2_5OmniThinkerConfig(
        audio_config=dict(d_model=16, encoder_layers=1, encoder_attention_heads=2, encoder_ffn_dim=32,
                          num_mel_bins=128, max_source_positions=1500, n_window=100, output_dim=32),
        vision_config=dict(depth=1, hidden_size=16, intermediate_size=32, num_heads=2, out_hidden_size=32,
                           fullatt_block_indexes=[0]),
        text_config=_text_config(len(tok), rope_scaling={"type": "default", "mrope_section": [2, 1, 1]}),
        audio_token_index=ids["<|AUDIO|>"], image_token_index=ids["<|IMAGE|>"], video_token_index=ids["<|VIDEO|>"],
        audio_start_token_id=ids["<|audio_bos|>"], audio_end_token_id=ids["<|audio_eos|>"],
        vision_start_token_id=ids["<|vision_bos|>"], vision_end_token_id=ids["<|vision_eos|>"])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2_5OmniThinkerForConditionalGeneration(config).eval()
    fe = WhisperFeatureExtractor(feature_size=128, chunk_length=chunk_length, return_attention_mask=True)
    return model, SimpleNamespace(tokenizer=tok, feature_extractor=fe)


def tiny_audio_flamingo3(seed: int = 0):
    """``(model, processor)``: a real ``AudioFlamingo3Processor`` (with the AF3-hf chat template)."""
    from transformers import (
        AudioFlamingo3Config,
        AudioFlamingo3ForConditionalGeneration,
        AudioFlamingo3Processor,
        WhisperFeatureExtractor,
    )

    tok = qwen_tokenizer()
    processor = AudioFlamingo3Processor(feature_extractor=WhisperFeatureExtractor(feature_size=128, return_attention_mask=True),
                                        tokenizer=tok, chat_template=AF3_CHAT_TEMPLATE)
    config = AudioFlamingo3Config(
        audio_config=dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                          num_mel_bins=128, max_source_positions=1500),
        text_config=dict(model_type="qwen2", **_text_config(len(tok))),
        audio_token_id=tok.convert_tokens_to_ids("<sound>"))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = AudioFlamingo3ForConditionalGeneration(config).eval()
    return model, processor


def make_parrot(model, tokenizer, answer: str, *, stop_token: str) -> None:
    """Rewire a tiny decoder so that greedy decoding answers ``answer`` (added as one token) then stops.

    Attention and MLP outputs are zeroed (each position then sees only its own token), every token
    embedding is set to one direction ``b`` and the answer token's to an orthogonal ``a``; the output
    head maps ``b`` to the answer token and ``a`` to ``stop_token``.  Whatever the prompt and audio,
    the model then says ``answer`` once: a way to test prompt stripping, EOS handling and parsing
    end to end with random weights.
    """
    tokenizer.add_tokens([answer])
    answer_id = tokenizer.convert_tokens_to_ids(answer)
    embed = model.get_input_embeddings()
    if answer_id >= embed.weight.shape[0]:
        model.resize_token_embeddings(answer_id + 1, mean_resizing=False)
        embed = model.get_input_embeddings()
    head = model.get_output_embeddings()
    dim = embed.weight.shape[1]
    with torch.no_grad():
        for name, module in model.named_modules():
            if name.endswith(("self_attn.o_proj", "mlp.down_proj")):
                module.weight.zero_()
                if getattr(module, "bias", None) is not None:
                    module.bias.zero_()
        a = torch.zeros(dim)
        a[0] = 1.0
        b = torch.zeros(dim)
        b[1] = 1.0
        embed.weight[:] = b
        embed.weight[answer_id] = a
        head.weight.zero_()
        head.weight[answer_id] = 10.0 * b
        head.weight[tokenizer.convert_tokens_to_ids(stop_token)] = 10.0 * a


def tiny_salmonn(seed: int = 0):
    """``(SalmonnModel, WhisperFeatureExtractor)`` with TimeAudio's tiny encoder dimensions (real time
    constants: 1500 Whisper frames per 30 s, 17-frame windows -> 88 audio tokens per 30 s)."""
    from transformers import (
        LlamaConfig,
        LlamaForCausalLM,
        WhisperConfig,
        WhisperFeatureExtractor,
    )
    from transformers.models.whisper.modeling_whisper import WhisperEncoder

    from model_adapters.salmonn import salmonn_config, salmonn_model_class
    from model_adapters.timeaudio.beats import BEATs, BEATsSpec
    from model_adapters.timeaudio.model import wrap_lora

    tok = llama_tokenizer()
    config = salmonn_config(tiny=True, vocab_size=len(tok))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        whisper = WhisperEncoder(WhisperConfig(**dict(config.whisper)))
        beats = BEATs(BEATsSpec.from_dict(config.beats))
        llm_cfg = LlamaConfig(vocab_size=len(tok), bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                              pad_token_id=tok.pad_token_id, **dict(config.llm))
        llm = wrap_lora(LlamaForCausalLM(llm_cfg), config)
        model = salmonn_model_class()(speech_encoder=whisper, beats=beats, llama_model=llm, tokenizer=tok,
                                      config=config)
    return model.eval(), WhisperFeatureExtractor(feature_size=80)


def _spotsound_base():
    from model_adapters.audio_flamingo import SpotSoundAdapter

    return SpotSoundAdapter


class TinySpotSound(_spotsound_base()):
    """A tiny SpotSound that always answers "from 1.00s to 2.00s" (for runner end-to-end tests:
    ``--models tiny_lalm:TinySpotSound`` with ``tests/helpers`` on the path)."""

    name = "tiny-spotsound"

    def __init__(self, **settings):
        model, processor = tiny_audio_flamingo3(seed=0)
        make_parrot(model, processor.tokenizer, "from 1.00s to 2.00s", stop_token="<|im_end|>")
        settings.setdefault("model", "tiny-af3-parrot")
        super().__init__(_components={"model": model, "tokenizer": processor.tokenizer,
                                      "feature_extractor": processor.feature_extractor}, lora="none", **settings)
