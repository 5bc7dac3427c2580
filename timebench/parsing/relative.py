"""Answers relative to the clip: ``at 20% to 35% of the clip``, ``the last 3 seconds``.

Two sources of relative candidates:

* the interval rules (:mod:`timebench.parsing.intervals`) mark an interval made of
  percentages (``20%``, ``35 percent``; a plain number paired with a percentage counts as one)
  as *relative*, with values as fractions of the clip;
* :class:`ClipPhrases` (an extractor) reads phrases that name a part of the clip:

  ==========================================  ================================
  phrase                                      interval
  ==========================================  ================================
  ``the first 3 seconds`` (also ``opening``,  ``[0, 3]`` (needs no duration)
  ``initial``; the value needs a time unit)
  ``the last 2.5 s`` (also ``final``,         ``[duration - 2.5, duration]``
  ``closing``)
  ``the first half`` / ``the second half``    ``[0, d/2]`` / ``[d/2, d]``
  (also ``last half``)
  ``throughout the (whole|entire|full)        ``[0, duration]``
  clip/audio/recording``, ``the whole clip``,
  ``throughout the clip``
  ==========================================  ================================

A phrase that is the object of the model's own listening or analysis (``I listened to the
whole clip``, ``after analysing the entire audio``, ``having gone through the full
recording``: a listening/analysis verb -- ``listen``, ``analyse``/``analyze``, ``review``,
``examine``, ``inspect``, ``scan``, ``process``, ``go through`` -- followed by at most two words
and the phrase) describes the model's work, not the event: it is skipped, with the note
``clip phrase describes the listening, not an event: 'the whole clip'``.

:func:`resolve_relative` converts them with the clip duration, noting each conversion
(``relative 20%-35% of 60 s -> 12-21``).  Without a duration nothing is converted: the
candidate is dropped with the note ``relative form without duration: 20%-35% (not converted)``
and the flag ``relative_unresolved`` is set, so that an answer with nothing else becomes a
failure whose notes say why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .fastre import Fast, lower_ascii
from .intervals import Candidate, fmt, short
from .times import scan_values

if TYPE_CHECKING:  # pragma: no cover
    from .context import ParseContext

__all__ = ["resolve_relative", "ClipPhrases"]

_CLIP = r"(?:clip|audio|recording|track|sample|sound file|file|duration)"
_PHRASE = Fast(re.compile(
    r"\b(?:the )?(?P<edge>first|opening|initial|last|final|closing) (?=\d)"
    r"|\b(?:the )?(?P<half>first|second|last|latter) half\b"
    rf"|\b(?:throughout|during|across|over|for|in) the (?:whole|entire|full) {_CLIP}\b"
    rf"|\bthroughout the {_CLIP}\b|\bthe (?:whole|entire|full) {_CLIP}\b",
    re.IGNORECASE,
), first_words="the|first|opening|initial|last|final|closing|second|latter|throughout|during"
               "|across|over|for|in")
# searched in the ASCII-lowered text: take matched text from ``text`` by position; every match
# opens with one of ``first_words`` (tried only where one starts a word)


_NARRATION = re.compile(
    r"\b(?:listen\w*|analy[sz]\w*|review\w*|examin\w*|inspect\w*|scan|scann\w*|"
    r"process(?:ed|ing)?|(?:go|goes|going|went|gone) (?:through|over))"
    r"(?: [a-z]+){0,2} ?$", re.IGNORECASE)


#: every _PHRASE match holds one of these (lower case); ``in`` is faster than an alternation
_KEYS = ("first", "opening", "initial", "last", "final", "closing", "half", "whole", "entire",
         "full", "throughout")


@dataclass(frozen=True)
class ClipPhrases:
    """Extractor for phrases naming a part of the clip (table in the module docstring)."""

    name: str = "clip_phrase"

    def extract(self, text: str, ctx: ParseContext,
                occupied: bytearray | None = None) -> list[Candidate]:
        out: list[Candidate] = []
        # (ASCII: lower_ascii is text.lower(), and keeps its result for the role extractor)
        low = lower_ascii(text) if text.isascii() else text.lower()
        for key in _KEYS:                 # case-sensitive literals: a fast pre-check
            if key in low:
                break
        else:
            return out
        by_start = None
        # ASCII text: the lowered-text search (same matches); other text: the pattern itself
        # (its case folding maps a few non-ASCII letters onto ASCII ones, e.g. U+0130)
        found = (_PHRASE.finditer(text, low=low) if text.isascii()
                 else _PHRASE.original.finditer(text))
        for m in found:
            phrase = text[m.start():m.end()]
            if occupied is not None and occupied[m.start()]:
                continue
            if _NARRATION.search(text, max(0, m.start() - 40), m.start()):
                ctx.note("clip phrase describes the listening, not an event: "
                         f"'{short(phrase.strip())}'")
                continue
            if m.group("edge"):
                if by_start is None:
                    # the extractors' shared scan: the token right after "first " starts
                    # with a digit, so it carries no sign; ambiguous comma runs are no value
                    by_start = {t.start: t for t in scan_values(text, signed=True,
                                                                keep_ambiguous=True)
                                if t.kind != "amb"}
                tok = by_start.get(m.end())
                if tok is None or tok.kind == "pct" or (tok.kind == "num" and not tok.unit):
                    continue
                last = m.group("edge").lower() in ("last", "final", "closing")
                out.append(Candidate(m.start(), tok.end, tok.value if last else 0.0,
                                     0.0 if last else tok.value, self.name,
                                     text=text[m.start():tok.end], from_end=last))
            elif m.group("half"):
                first = m.group("half").lower() == "first"
                out.append(Candidate(m.start(), m.end(), 0.0 if first else 0.5,
                                     0.5 if first else 1.0, self.name, relative=True,
                                     text=phrase))
            else:
                out.append(Candidate(m.start(), m.end(), 0.0, 1.0, self.name, relative=True,
                                     text=phrase))
        return out


def resolve_relative(ctx: ParseContext) -> None:
    """Convert (or drop, when the duration is unknown) relative candidates in place."""
    if not any(c.relative or c.from_end for c in ctx.candidates):
        return
    kept = []
    for c in ctx.candidates:
        if not (c.relative or c.from_end):
            kept.append(c)
            continue
        if c.from_end:
            form = f"last {fmt(c.onset)} s"
        elif c.rule == "clip_phrase":
            form = f"'{short(c.text)}'"
        else:
            form = f"{fmt(c.onset * 100)}%-{fmt(c.offset * 100)}%"
        if ctx.duration is None:
            ctx.flags.add("relative_unresolved")
            ctx.note(f"relative form without duration: {form} (not converted)")
            continue
        if c.from_end:
            c.onset, c.offset = ctx.duration - c.onset, ctx.duration
            c.from_end = False
        else:
            c.onset *= ctx.duration
            c.offset *= ctx.duration
            c.relative = False
        ctx.note(f"relative {form} of {fmt(ctx.duration)} s -> {fmt(c.onset)}-{fmt(c.offset)}")
        kept.append(c)
    ctx.candidates = kept
