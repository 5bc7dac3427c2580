"""Tokenizers for TimeAudio: the released Vicuna one (checked) and a tiny offline one for tests.

Released (``TimeAudio.__init__`` / ``from_config``): ``LlamaTokenizer.from_pretrained(llama_path)``,
``add_special_tokens({"pad_token": "[PAD]"})`` (id 32000), then ``add_tokens`` of the 20 markers
(ids 32001-32020, :data:`.markers.MARKER_TOKENS` order), 32021 entries in all.  The checkpoint's
``embed_tokens`` / ``lm_head`` rows follow these ids, so :func:`add_timeaudio_tokens` verifies them.
"""

from __future__ import annotations

from .markers import MARKER_TOKENS

__all__ = ["TokenizerLayoutError", "add_timeaudio_tokens", "build_tiny_tokenizer", "load_llama_tokenizer"]


class TokenizerLayoutError(RuntimeError):
    """The tokenizer does not give the marker tokens the ids the checkpoint expects."""


def add_timeaudio_tokens(tokenizer, *, expected_vocab: int | None = None):
    """Add ``[PAD]`` (as pad token) and the 20 markers in the released order; check their ids.

    The markers must follow ``[PAD]`` contiguously; with ``expected_vocab`` (32021 for Vicuna) the
    final size is checked too.  Returns the tokenizer.
    """
    tokenizer.add_special_tokens({"pad_token": "[PAD]"})
    tokenizer.add_tokens(list(MARKER_TOKENS))
    pad_id = tokenizer.convert_tokens_to_ids("[PAD]")
    ids = tokenizer.convert_tokens_to_ids(list(MARKER_TOKENS))
    if ids != list(range(pad_id + 1, pad_id + 1 + len(MARKER_TOKENS))):
        raise TokenizerLayoutError(f"marker token ids {ids[:3]}... do not follow [PAD]={pad_id} contiguously")
    if expected_vocab is not None and len(tokenizer) != expected_vocab:
        raise TokenizerLayoutError(f"tokenizer has {len(tokenizer)} entries after adding [PAD] and the markers; "
                                   f"the TimeAudio checkpoint expects {expected_vocab}")
    tokenizer.padding_side = "left"
    return tokenizer


def load_llama_tokenizer(llama_path: str, *, expected_vocab: int = 32021):
    """Vicuna's tokenizer from ``llama_path`` with TimeAudio's extra tokens (ids checked)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(llama_path)
    add_timeaudio_tokens(tokenizer, expected_vocab=expected_vocab)
    pad_expected = expected_vocab - 1 - len(MARKER_TOKENS)          # 32000 for vicuna-7b-v1.5
    if tokenizer.convert_tokens_to_ids("[PAD]") != pad_expected:
        raise TokenizerLayoutError(f"[PAD] has id {tokenizer.convert_tokens_to_ids('[PAD]')}, expected {pad_expected} "
                                   "(is this vicuna-7b-v1.5's tokenizer?)")
    return tokenizer


_CORPUS = [
    "USER: <Speech></Speech> What are the start and end times of audio matching 'dogs barking'?\nASSISTANT:",
    "What events can you detect in the sound with the start and end timestamps?",
    "Listen to the speech and provide a summary of speech content with start and end timestamps.",
    "A dog barks. A man speaks. Music plays in the background. 0 1 2 3 4 5 6 7 8 9 . , - :",
]


def build_tiny_base_tokenizer():
    """A small byte-level BPE tokenizer (no files, no network) laid out like Vicuna's before
    TimeAudio's additions: ``<unk>`` = 0, ``<s>`` = 1, ``</s>`` = 2, then 297 BPE pieces."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE(unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<unk>", "<s>", "</s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    core.train_from_iterator(_CORPUS, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=core, unk_token="<unk>", bos_token="<s>", eos_token="</s>")


def build_tiny_tokenizer():
    """:func:`build_tiny_base_tokenizer` with ``[PAD]`` and the 20 markers added (321 entries)."""
    return add_timeaudio_tokens(build_tiny_base_tokenizer())
