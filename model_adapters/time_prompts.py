"""Audio-side time prompts (TimePro-RL style): timestamp tokens interleaved with audio features.

Source: Shi et al., "Towards Fine-grained Temporal Perception: Post-Training Large Audio-Language
Models with Audio-Side Time Prompt" (TimePro-RL, arXiv 2604.13715, Interspeech 2026).  No code was
released; what the paper digests state (``shared/reference/metric-protocols.md`` section 2):

* 750 timestamp tokens ``<0.04>`` ... ``<30.00>`` cover 0-30 s in 0.04-s steps (the encoder's
  frame rate: Qwen2-Audio / Qwen2.5-Omni give 25 audio features per second after pooling) and are
  interleaved within the audio feature sequence;
* their embeddings start as the mean of the sub-word embeddings of the number string (``"0.04"``)
  and stay frozen; backbones are Qwen2-Audio and Qwen2.5-Omni.

What the paper does not say and timebench decided (all are settings of the Qwen adapters):

* **order**: a timestamp token comes *before* the frames it labels;
* **label**: with the released vocabulary ``<0.04>`` ... ``<30.00>`` (no ``<0.00>``) the token
  before the frames covering ``[t, t + step)`` is the group's *end* time ``t + step``
  (``label="end"``, default); ``label="start"`` uses ``<0.00>`` ... ``<29.96>`` instead;
* **step**: one token every ``step`` seconds (default 0.04 s, i.e. before every frame); ``step``
  must be a whole number of frames; the last group may be shorter;
* **placement**: timestamp tokens are real vocabulary entries (added to the tokenizer as special
  tokens, the embedding matrix resized when needed) placed in the text between the ``<|AUDIO|>``
  placeholders; the model's own embedding lookup therefore puts the timestamp embeddings into
  ``inputs_embeds`` while the audio features fill the ``<|AUDIO|>`` positions around them;
* **initialisation** (:func:`install_time_tokens`, ``init="auto"``): if the tokenizer already has
  every timestamp token (a checkpoint fine-tuned this way, saved with its tokenizer) its rows are
  used as they are; if it has none they are added and initialised with the mean rule; a partial set
  is an error.  ``init="mean"`` re-initialises even present tokens;
* **output side**: the tokens are input-only; generation suppresses them (``suppress_tokens``), so
  answers use plain numbers.

Only token strings and positions are computed here without torch; :func:`install_time_tokens`
imports torch lazily.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["TimePromptError", "TimePromptSpec", "install_time_tokens", "mean_subword_embedding", "suppress_ids"]


class TimePromptError(ValueError):
    """An impossible time-prompt configuration or tokenizer state."""


@dataclass(frozen=True)
class TimePromptSpec:
    """Where timestamp tokens go for an audio feature sequence (see the module docstring)."""

    step: float = 0.04
    frame_seconds: float = 0.04
    max_seconds: float = 30.0
    label: str = "end"
    fmt: str = "<{:.2f}>"

    def __post_init__(self) -> None:
        if self.label not in ("end", "start"):
            raise TimePromptError(f"label must be 'end' or 'start', got {self.label!r}")
        if self.step <= 0 or self.frame_seconds <= 0 or self.max_seconds <= 0:
            raise TimePromptError("step, frame_seconds and max_seconds must be positive")
        k = self.step / self.frame_seconds
        if abs(k - round(k)) > 1e-6 or round(k) < 1:
            raise TimePromptError(f"step {self.step:g} s is not a whole number of "
                                  f"{self.frame_seconds:g}-s frames")

    @property
    def frames_per_step(self) -> int:
        return round(self.step / self.frame_seconds)

    @property
    def num_tokens(self) -> int:
        """Size of the timestamp vocabulary: groups needed for ``max_seconds`` of audio."""
        return int(math.ceil(self.max_seconds / self.step - 1e-9))

    def token(self, group: int) -> str:
        """The token placed before group ``group`` (0-based)."""
        t = (group + 1) * self.step if self.label == "end" else group * self.step
        return self.fmt.format(round(t, 6))

    def vocabulary(self) -> list[str]:
        """Every timestamp token, in time order (750 for the defaults: ``<0.04>`` ... ``<30.00>``)."""
        return [self.token(g) for g in range(self.num_tokens)]

    def number(self, token: str) -> str:
        """The number string of a token (``"<0.04>"`` -> ``"0.04"``), used for initialisation."""
        prefix, _, suffix = self.fmt.partition("{:.2f}")
        return token[len(prefix): len(token) - len(suffix)]

    def groups(self, n_frames: int) -> list[tuple[str, int]]:
        """``[(token, frames in the group), ...]`` for ``n_frames`` audio features."""
        if n_frames < 0:
            raise TimePromptError("negative frame count")
        k = self.frames_per_step
        n_groups = (n_frames + k - 1) // k
        if n_groups > self.num_tokens:
            raise TimePromptError(f"{n_frames} frames need {n_groups} timestamp tokens; the vocabulary "
                                  f"covers {self.max_seconds:g} s ({self.num_tokens} tokens)")
        return [(self.token(g), min(k, n_frames - g * k)) for g in range(n_groups)]

    def expand(self, n_frames: int, audio_token: str) -> str:
        """The interleaved placeholder text: ``<0.04><A><0.08><A>...`` (timestamp before frames)."""
        return "".join(tok + audio_token * count for tok, count in self.groups(n_frames))

    def positions(self, n_frames: int) -> tuple[list[int], list[int]]:
        """Offsets (within the interleaved span) of the timestamp tokens and of the audio frames."""
        time_pos, frame_pos, at = [], [], 0
        for _, count in self.groups(n_frames):
            time_pos.append(at)
            frame_pos.extend(range(at + 1, at + 1 + count))
            at += 1 + count
        return time_pos, frame_pos


def mean_subword_embedding(tokenizer: Any, weight: Any, text: str):
    """Mean of the embedding rows of ``text``'s sub-word tokens (no special tokens)."""
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if not ids:
        raise TimePromptError(f"{text!r} tokenizes to nothing")
    return weight[ids].float().mean(dim=0)


def install_time_tokens(model: Any, tokenizer: Any, spec: TimePromptSpec, *, init: str = "auto") -> dict[str, int]:
    """Make the timestamp tokens usable by ``model``; returns ``{token: id}``.

    See the module docstring for the ``init`` rule.  The input embedding matrix is resized (rows
    appended, ``mean_resizing=False``) only when a new id falls outside it; the new rows are then
    written with the mean of the sub-word embeddings of each number string, computed *before* any
    of the new tokens exist (so "0.04" is split by the original vocabulary).
    """
    import torch
    from tokenizers import AddedToken

    if init not in ("auto", "mean"):
        raise TimePromptError(f"init must be 'auto' or 'mean', got {init!r}")
    vocab = spec.vocabulary()
    known = tokenizer.get_vocab()
    present = [t for t in vocab if t in known]
    if present and len(present) != len(vocab):
        raise TimePromptError(f"the tokenizer has {len(present)} of the {len(vocab)} timestamp tokens "
                              f"(e.g. {present[0]}); expected all or none")
    embed = model.get_input_embeddings()
    if present and init == "auto":
        ids = {t: known[t] for t in vocab}
        if max(ids.values()) >= embed.weight.shape[0]:
            raise TimePromptError("timestamp token ids fall outside the embedding matrix")
        return ids
    weight = embed.weight.detach()
    rows = torch.stack([mean_subword_embedding(tokenizer, weight, spec.number(t)) for t in vocab])
    if not present:
        tokenizer.add_tokens([AddedToken(t, special=True, normalized=False) for t in vocab], special_tokens=True)
    ids = {t: int(tokenizer.convert_tokens_to_ids(t)) for t in vocab}
    if max(ids.values()) >= embed.weight.shape[0]:
        model.resize_token_embeddings(max(ids.values()) + 1, mean_resizing=False)
        embed = model.get_input_embeddings()
    with torch.no_grad():
        index = torch.tensor([ids[t] for t in vocab], device=embed.weight.device)
        embed.weight[index] = rows.to(embed.weight.device, embed.weight.dtype)
    return ids


def suppress_ids(ids: dict[str, int]) -> Sequence[int]:
    """The ids generation must not emit (all timestamp tokens)."""
    return sorted(ids.values())
