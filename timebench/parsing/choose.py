"""Which windows are the answer when the text also reasons about other times.

Real answers state a window and then walk through the clip ("At 1.0s ... At 3.0s ..."),
repeat it in prose, or revise it in a closing sentence.  :func:`choose_answer` runs after
extraction, on the candidates in text order, only with the option ``single_query`` (set by the
scorer for grounding and presence tasks, whose answer is about one queried event; off by
default, so an SED answer's many windows are all kept):

1. **answer block**: when some candidates come from an explicit answer block -- a JSON value,
   a start/end table, or labelled fields (``Start time: 2.0s`` / ``End time: 3.0s``,
   ``"start_time": 4.0s``) -- the candidates elsewhere are reasoning and are dropped;
2. **conclusion** (no block): when a sentence opens with a concluding cue (``Therefore``,
   ``Thus``, ``So``, ``Hence``, ``In conclusion``, ``In summary``, ``Overall``, ``Final
   answer``) and holds windows, the windows before that sentence are superseded and dropped
   (the last such sentence wins);
3. **breakdown**: a window inside a stated window (a block, or a start/end pair read by
   :mod:`.roles`) is a breakdown of it (``0:15 - 0:25. Here's a breakdown: 0:15 - 0:17 ...``)
   and is dropped.  For set-IoU grounding this changes no score (the union is the same); it
   keeps the window list what the answer states.

Every drop is noted with the windows it dropped.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .intervals import Candidate, fmt

if TYPE_CHECKING:  # pragma: no cover
    from .context import ParseContext

__all__ = ["choose_answer", "BLOCK_RULES", "STATED_RULES"]

#: rules whose candidates form an explicit answer block
BLOCK_RULES = frozenset({"json", "table", "labelled"})
#: rules whose candidates state the answer window (a breakdown may sit inside them)
STATED_RULES = BLOCK_RULES | {"start_end", "start_duration", "start_and_end", "point_end"}

_CONCLUSION = re.compile(
    r"(?:^|(?<=[.!?] )|(?<=\n))(?:therefore|thus|hence|so|in conclusion|in summary|"
    r"to summari[sz]e|overall|in short|final answer|my final answer)\b",
    re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")


def _listing(cands: list[Candidate]) -> str:
    shown = ", ".join(f"{fmt(c.onset)}-{fmt(c.offset)}" for c in cands[:5])
    return shown + (f" (+{len(cands) - 5} more)" if len(cands) > 5 else "")


def choose_answer(ctx: ParseContext) -> None:
    """Drop candidates that are reasoning, not the answer (module docstring)."""
    cands = ctx.candidates
    if not ctx.opts.get("single_query", False) or len(cands) < 2:
        return
    block = [c for c in cands if c.rule in BLOCK_RULES]
    if block and len(block) < len(cands):
        dropped = [c for c in cands if c.rule not in BLOCK_RULES]
        ctx.candidates = cands = block
        ctx.note(f"answer block preferred; dropped window(s) outside it: {_listing(dropped)}")
    if not block:
        _conclusion(ctx)
        cands = ctx.candidates
    stated = [c for c in cands if c.rule in STATED_RULES]
    if stated:
        inside = [c for c in cands if c.rule not in STATED_RULES and not c.relative and any(
            s.onset <= min(c.onset, c.offset) and max(c.onset, c.offset) <= s.offset
            and not s.relative for s in stated)]
        if inside:
            ctx.candidates = [c for c in cands if all(c is not d for d in inside)]
            ctx.note(f"window(s) inside the stated window dropped (a breakdown): "
                     f"{_listing(inside)}")


def _conclusion(ctx: ParseContext) -> None:
    text = ctx.text
    cands = ctx.candidates
    best = None
    for m in _CONCLUSION.finditer(text):
        end = _SENTENCE_END.search(text, m.end())
        stop = end.start() if end else len(text)
        if any(m.start() <= c.start < stop for c in cands):
            best = m.start()
    if best is None:
        return
    before = [c for c in cands if c.start < best]
    if before:
        ctx.candidates = [c for c in cands if c.start >= best]
        ctx.note(f"concluding sentence supersedes earlier window(s): {_listing(before)}")
