"""The parser steps that :mod:`.pipeline` composes into named pipelines.

A step is any object with a ``name``, a mapping ``OPTIONS`` (option name -> default) and
``__call__(ctx)`` that reads and updates a :class:`~timebench.parsing.context.ParseContext`
(and notes what it changed).  Steps come in three groups:

* normalisers: :class:`Normalise`, :class:`DecodeTimeTokens`, :class:`RemovePromptEcho`;
* extraction: :class:`Extract` runs extractors (:class:`~.roles.RoleIntervals`,
  :class:`~.intervals.TokenIntervals`,
  :class:`~.structured.JsonIntervals`, :class:`~.tables.TableIntervals`,
  :class:`~.relative.ClipPhrases`,
  :class:`~.intervals.RegexPairs`) either *merged by
  position* (every extractor runs; a span already taken by an earlier extractor is skipped) or
  *first* (the first extractor that finds anything wins), then :class:`ChooseAnswer` and
  :class:`AttachCaptions`;
* post-processing: :class:`ResolveRelative`, :class:`Repair`, :class:`DropPromptExamples`,
  :class:`Dedupe`, :class:`Merge`, :class:`MapLabels`, and :class:`~.conclude.Conclude`
  (presence/absence and failure), or one scalar step (:class:`ExtractNumber`,
  :class:`ExtractChoice`, :class:`ExtractYesNo`).

The options the steps read are listed in the :mod:`.pipeline` docstring.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, ClassVar, Protocol, runtime_checkable

from ..errors import InputError
from .captions import attach_captions
from .choose import choose_answer
from .context import ParseContext
from .echo import remove_prompt_echo
from .intervals import Candidate
from .normalise import clean_text, collapse_whitespace, decode_time_tokens, time_number_words
from .postprocess import dedupe, drop_prompt_examples, map_labels, merge_overlaps, repair
from .relative import resolve_relative
from .scalar import extract_choice, extract_number, extract_yesno

__all__ = [
    "Step", "MAX_CHARS",
    "Normalise", "DecodeTimeTokens", "RemovePromptEcho", "Extract", "ChooseAnswer",
    "AttachCaptions",
    "ResolveRelative", "Repair", "DropPromptExamples", "Dedupe", "Merge", "MapLabels",
    "ExtractNumber", "ExtractChoice", "ExtractYesNo",
]


#: Longest answer parsed (characters); a longer one fails with reason ``too_long``.  Parsing
#: is linear but costs a few microseconds a character: 200 000 characters take about a second,
#: a 16 MiB answer would take minutes and gigabytes.  Option ``max_chars``.
MAX_CHARS = 200_000


@runtime_checkable
class Step(Protocol):
    """One stage of a pipeline: ``step(ctx)`` updates the context and notes what it did."""

    name: str
    OPTIONS: ClassVar[Mapping[str, Any]]

    def __call__(self, ctx: ParseContext) -> None: ...


# ------------------------------------------------------------------------------ normalisers --
@dataclass(frozen=True)
class Normalise:
    """Wrappers, special tokens, Unicode folding, white space (see :mod:`.normalise`).

    ``fold``: NFKC + dash folding (off for strict and the reproduction pipelines, which match
    exactly what their originals matched).  ``words``: number words before a time unit become
    digits (``five seconds``; the lenient pipeline).  ``special``: remove end-of-sequence tokens
    (``</s>``...).  With both off only white-space runs are collapsed, which cannot change what
    a pattern built from ``\\s*`` matches but bounds its backtracking.
    """

    fold: bool = True
    special: bool = True
    words: bool = False
    name: str = "normalise"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"max_chars": MAX_CHARS}

    def __call__(self, ctx: ParseContext) -> None:
        if self.fold:
            ctx.text, notes = clean_text(ctx.text)
            if self.words:
                ctx.text, more = time_number_words(ctx.text)
                notes.extend(more)
        elif self.special:
            ctx.text, notes = _light_clean(ctx.text)
        else:
            ctx.text, notes = collapse_whitespace(ctx.text), []
        ctx.clean = ctx.text
        for n in notes:
            ctx.note(n)


_SPECIAL = re.compile(r"<\|[A-Za-z0-9_]{1,40}\|>|</?s>|<pad>|<unk>", re.IGNORECASE)


def _light_clean(text: str) -> tuple[str, list[str]]:
    new = _SPECIAL.sub(" ", text) if "<" in text else text
    notes = ["removed special tokens"] if new != text else []
    return collapse_whitespace(new), notes


@dataclass(frozen=True)
class DecodeTimeTokens:
    """TimeAudio time markers -> numbers (v3 ``<a_d><f_d>``, v2 ``<TIME_d>``, v1 ``<12.5>``)."""

    versions: tuple[str, ...] = ("v3", "v2", "v1")
    pair_v1: bool = True
    exact_v3: bool = False
    name: str = "decode_time_tokens"
    OPTIONS: ClassVar[Mapping[str, Any]] = {}

    def __call__(self, ctx: ParseContext) -> None:
        ctx.text, notes = decode_time_tokens(ctx.text, versions=self.versions,
                                             pair_v1=self.pair_v1, exact_v3=self.exact_v3)
        for n in notes:
            ctx.note(n)


@dataclass(frozen=True)
class RemovePromptEcho:
    """Remove the prompt's echoed example (see :mod:`.echo`); needs ``prompt``."""

    name: str = "remove_prompt_echo"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"remove_echo": True}

    def __call__(self, ctx: ParseContext) -> None:
        if ctx.opts.get("remove_echo", True):
            remove_prompt_echo(ctx)


# ------------------------------------------------------------------------------- extraction --
_START = attrgetter("start")


@dataclass(frozen=True)
class Extract:
    """Run interval extractors; ``mode`` is ``"merge"`` (by position) or ``"first"``."""

    extractors: tuple[Any, ...]
    mode: str = "merge"
    name: str = "extract"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"count_filter": True, "point_window": None}

    def __post_init__(self):
        if self.mode not in ("merge", "first"):
            raise ValueError(f"Extract mode must be 'merge' or 'first', got {self.mode!r}")

    def __call__(self, ctx: ParseContext) -> None:
        text = ctx.text
        found: list[Candidate] = []
        if self.mode == "first":
            for ex in self.extractors:
                found = ex.extract(text, ctx)
                if found:
                    break
        else:
            occupied = bytearray(len(text) + 1)
            for ex in self.extractors:
                got = ex.extract(text, ctx, occupied)
                if not got:
                    continue
                got = [c for c in got
                       if occupied.find(1, c.start, max(c.end, c.start + 1)) == -1]
                for c in got:  # several candidates may share one span (a JSON block)
                    occupied[c.start:c.end] = b"\x01" * (c.end - c.start)
                found.extend(got)
            found.sort(key=_START)
        if found:
            counts: dict[str, int] = {}
            for c in found:
                counts[c.rule] = counts.get(c.rule, 0) + 1
            ctx.note("matched " + ", ".join(f"{k} x{v}" for k, v in counts.items()))
        ctx.candidates = found


@dataclass(frozen=True)
class ChooseAnswer:
    """Which windows are the answer, when an answer also reasons (see :mod:`.choose`).

    Option ``single_query`` (the answer is about one queried event): an explicit answer block
    wins over windows elsewhere, a concluding sentence over earlier windows, and windows
    inside a stated window are a breakdown.
    """

    name: str = "choose_answer"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"single_query": False}

    def __call__(self, ctx: ParseContext) -> None:
        if len(ctx.candidates) >= 2:
            choose_answer(ctx)


@dataclass(frozen=True)
class AttachCaptions:
    """Captions from the text around each interval (see :mod:`.captions`)."""

    name: str = "attach_captions"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"captions": True}

    def __call__(self, ctx: ParseContext) -> None:
        if ctx.opts.get("captions", True) and ctx.candidates:
            attach_captions(ctx.text, ctx.candidates)


# ------------------------------------------------------------------------- post-processing --
@dataclass(frozen=True)
class ResolveRelative:
    """Percentages of the clip -> seconds (see :mod:`.relative`)."""

    name: str = "resolve_relative"
    OPTIONS: ClassVar[Mapping[str, Any]] = {}

    def __call__(self, ctx: ParseContext) -> None:
        resolve_relative(ctx)


@dataclass(frozen=True)
class Repair:
    """Non-finite, swap, clip, drop short (see :func:`.postprocess.repair`)."""

    name: str = "repair"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"swap": True, "clip": True, "min_length": 0.0}

    def __call__(self, ctx: ParseContext) -> None:
        # a relative candidate that reached here has no duration: resolve_relative dropped it
        ctx.candidates = [c for c in ctx.candidates if not (c.relative or c.from_end)]
        repair(ctx)


@dataclass(frozen=True)
class DropPromptExamples:
    """Drop intervals equal to the prompt's example when others remain."""

    name: str = "drop_prompt_examples"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"remove_echo": True}

    def __call__(self, ctx: ParseContext) -> None:
        if ctx.opts.get("remove_echo", True):
            drop_prompt_examples(ctx)


@dataclass(frozen=True)
class Dedupe:
    name: str = "dedupe"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"dedupe": True}

    def __call__(self, ctx: ParseContext) -> None:
        if ctx.opts.get("dedupe", True):
            dedupe(ctx)


@dataclass(frozen=True)
class Merge:
    name: str = "merge"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"merge": False}

    def __call__(self, ctx: ParseContext) -> None:
        merge_overlaps(ctx)


@dataclass(frozen=True)
class MapLabels:
    name: str = "map_labels"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"map_labels": True}

    def __call__(self, ctx: ParseContext) -> None:
        if ctx.opts.get("map_labels", True):
            map_labels(ctx)


# ---------------------------------------------------------------------------------- scalars --
@dataclass(frozen=True)
class ExtractNumber:
    name: str = "extract_number"
    OPTIONS: ClassVar[Mapping[str, Any]] = {}

    def __call__(self, ctx: ParseContext) -> None:
        extract_number(ctx)


@dataclass(frozen=True)
class ExtractChoice:
    name: str = "extract_choice"
    OPTIONS: ClassVar[Mapping[str, Any]] = {}

    def __call__(self, ctx: ParseContext) -> None:
        if not ctx.labels:
            raise InputError("the 'choice' parser needs the answer options (labels)",
                             field="labels")
        extract_choice(ctx)


@dataclass(frozen=True)
class ExtractYesNo:
    name: str = "extract_yesno"
    OPTIONS: ClassVar[Mapping[str, Any]] = {}

    def __call__(self, ctx: ParseContext) -> None:
        extract_yesno(ctx)

