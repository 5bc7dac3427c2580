"""Post-processing of candidate intervals into events, every change noted.

:func:`repair` (always, in this order for each candidate):

1. **non-finite** values (``inf`` from 10**400-digit numbers, JSON ``1e400``) -> rejected;
2. **inverted** (onset > offset) -> swapped (option ``swap``, default on; off -> rejected);
3. **negative** onset/offset -> clipped to 0 (option ``clip``);
4. **beyond the clip** when ``duration`` is known -> clipped to ``[0, duration]``
   (option ``clip``);
5. **too short**: length ``<= min_length`` after clipping -> dropped (default
   ``min_length = 0``: zero-length and emptied-by-clipping intervals go; the SpotSound pipeline
   uses 0.001 s like RELTWIN's ``end - start > 1e-3``).

Then, when enabled: :func:`drop_prompt_examples`, :func:`dedupe` (exact duplicates, same onset,
offset and label; first kept), :func:`merge_overlaps` (option ``merge``, off by default:
overlapping or touching intervals with the same label become one, in onset order),
:func:`map_labels` (captions onto the task's class vocabulary, see
:mod:`timebench.parsing.captions`).  Output order is the order of the answer (the first interval
is the top-1 window for R1-style metrics), except after ``merge``.
"""

from __future__ import annotations

import math

from ..types import Event
from .captions import map_label
from .context import ParseContext
from .intervals import fmt

__all__ = ["repair", "dedupe", "merge_overlaps", "map_labels", "drop_prompt_examples"]


def repair(ctx: ParseContext) -> None:
    """Candidates -> events: reject non-finite, swap, clip, drop short (see module doc)."""
    swap = bool(ctx.opts.get("swap", True))
    clip = bool(ctx.opts.get("clip", True))
    min_length = float(ctx.opts.get("min_length", 0.0))
    dur = ctx.duration
    events: list[Event] = []
    for c in ctx.candidates:
        on, off = c.onset, c.offset
        if not (math.isfinite(on) and math.isfinite(off)):
            ctx.note(f"rejected non-finite interval {_shown(c)}")
            continue
        if on > off:
            if not swap:
                ctx.note(f"rejected inverted interval {_shown(c)}")
                continue
            on, off = off, on
            ctx.note(f"swapped {_shown(c)}")
        if clip:
            hi = math.inf if dur is None else dur
            new_on, new_off = min(max(on, 0.0), hi), min(max(off, 0.0), hi)
            if new_on != on:
                ctx.note(f"clipped onset {fmt(on)} -> {fmt(new_on)}")
            if new_off != off:
                ctx.note(f"clipped offset {fmt(off)} -> {fmt(new_off)}")
            clipped = (new_on, new_off) != (on, off)
            on, off = new_on, new_off
        else:
            clipped = False
        if off - on <= min_length:
            if clipped:
                where = f"[0, {fmt(dur)}]" if dur is not None else "[0, inf)"
                reason = f"empty after clipping to {where} (out of range)"
            elif off == on:
                reason = "zero-length"
            else:
                reason = f"not longer than min_length {fmt(min_length)} s"
            ctx.note(f"dropped {_shown(c)}: {reason}")
            continue
        events.append(Event(on + 0.0, off + 0.0, c.label))   # + 0.0: no signed zero
    ctx.events = events


def _shown(c) -> str:
    """The candidate's interval as read, for a note (formatted only when a note needs it)."""
    return f"{fmt(c.onset)}-{fmt(c.offset)}"


def dedupe(ctx: ParseContext) -> None:
    """Drop exact duplicates (same onset, offset and label), keeping the first."""
    seen: set[tuple[float, float, str | None]] = set()
    out = []
    for e in ctx.events:
        key = (e.onset, e.offset, e.label)
        if key in seen:
            continue
        seen.add(key)
        out.append(e)
    if len(out) != len(ctx.events):
        ctx.note(f"removed {len(ctx.events) - len(out)} duplicate interval(s)")
        ctx.events = out


def merge_overlaps(ctx: ParseContext) -> None:
    """Merge overlapping or touching intervals that share a label (option ``merge``)."""
    if not ctx.opts.get("merge", False) or len(ctx.events) < 2:
        return
    by_label: dict[str | None, list[Event]] = {}
    for e in ctx.events:
        by_label.setdefault(e.label, []).append(e)
    merged: list[Event] = []
    for lab, evs in by_label.items():
        evs = sorted(evs, key=lambda e: (e.onset, e.offset))
        cur_on, cur_off = evs[0].onset, evs[0].offset
        for e in evs[1:]:
            if e.onset <= cur_off:
                cur_off = max(cur_off, e.offset)
            else:
                merged.append(Event(cur_on, cur_off, lab))
                cur_on, cur_off = e.onset, e.offset
        merged.append(Event(cur_on, cur_off, lab))
    merged.sort(key=lambda e: (e.onset, e.offset))
    if len(merged) != len(ctx.events):
        ctx.note(f"merged {len(ctx.events)} intervals into {len(merged)}")
    ctx.events = merged


def map_labels(ctx: ParseContext) -> None:
    """Map captions onto ``ctx.labels`` (the task's class vocabulary) when it is given."""
    if not ctx.labels or not ctx.events:
        return
    out = []
    for e in ctx.events:
        lab, note = map_label(e.label, ctx.labels)
        if note:
            ctx.note(note)
        out.append(Event(e.onset, e.offset, lab, e.score))
    ctx.events = out


def drop_prompt_examples(ctx: ParseContext) -> None:
    """Drop intervals equal to the prompt's own example when other intervals remain.

    When *every* interval equals a prompt example, they are kept (the model may really mean
    them) and the note ``interval(s) equal the prompt's example (kept)`` says so.
    """
    if not ctx.example_intervals or not ctx.events:
        return
    examples = ctx.example_intervals

    def is_example(e: Event) -> bool:
        return any(abs(e.onset - a) < 1e-9 and abs(e.offset - b) < 1e-9 for a, b in examples)

    flagged = [is_example(e) for e in ctx.events]
    if not any(flagged):
        return
    if all(flagged):
        ctx.note("interval(s) equal the prompt's example (kept)")
        return
    dropped = [e for e, f in zip(ctx.events, flagged, strict=False) if f]
    ctx.events = [e for e, f in zip(ctx.events, flagged, strict=False) if not f]
    ctx.note("dropped interval(s) equal to the prompt's example: "
             + ", ".join(f"{fmt(e.onset)}-{fmt(e.offset)}" for e in dropped[:5]))
