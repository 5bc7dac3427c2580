"""The last interval step: absent, affirmed or failed when no event survived.

:class:`Conclude` reads presence and absence statements (:mod:`.absence`) and refusals, and gives
every failure a ``reason`` (``no_time``, ``single_point``, ``refusal``, ``ambiguous``,
``relative``, ``rejected``; docs/PARSING.md, *Presence and failure*).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from .absence import detect_presence, detect_presence_strict, detect_refusal, leading_absence
from .context import ParseContext
from .intervals import short
from .normalise import collapse_whitespace, fold_unicode

__all__ = ["Conclude"]


@dataclass(frozen=True)
class Conclude:
    """Decide absent / affirmed / failed when no event survived.

    ``presence``: ``"lenient"`` (:func:`.absence.detect_presence`), ``"strict"`` (only a
    whole ``Yes``/``No``/``None`` answer) or ``"none"``.  An empty JSON list of windows is an
    absence statement in every mode.  In lenient mode an answer whose only times are single
    time points (``The dog barks at 12.3 s``) says the event is there without a usable window:
    ``affirmed``.
    """

    presence: str = "lenient"
    name: str = "conclude"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"presence": True}

    def __call__(self, ctx: ParseContext) -> None:
        use = self.presence != "none" and ctx.opts.get("presence", True)
        if ctx.events:
            if use and self.presence == "lenient":
                found = leading_absence(ctx.text)
                if found is not None:
                    ctx.note(f"absence cue '{short(found)}' ignored: intervals were given")
            return
        if use and "empty_structured" in ctx.flags:
            ctx.absent = True
            ctx.note("absence: empty list of windows")
            return
        found = None
        if use:
            text = _presence_text(ctx)
            found = (detect_presence(text) if self.presence == "lenient"
                     else detect_presence_strict(text))
            refusal = detect_refusal(text) if self.presence == "lenient" else None
            if refusal is not None and (found is None or found[0] == "affirmed"
                                        or _CANNOT.search(found[1])
                                        or found[1] in refusal.lower()):
                ctx.failed = True
                ctx.reason = "refusal"
                ctx.note(f"refusal: '{short(refusal)}'")
                return
        if found is not None:
            kind, cue = found
            if kind == "absent":
                ctx.absent = True
                ctx.note(f"absence: '{short(cue)}'")
            else:
                ctx.affirmed = True
                ctx.note(f"affirmation without a window: '{short(cue)}'")
            return
        if use and self.presence == "lenient" and "time_point" in ctx.flags:
            ctx.affirmed = True
            ctx.note("affirmation without a window: a single time point")
            return
        ctx.failed = True
        if "relative_unresolved" in ctx.flags:
            ctx.reason = "relative"
            ctx.note("failed: only a relative form, and no duration to convert it")
        elif ctx.candidates:
            # start = end (00:00:00 to 00:00:00) says one instant: a single point, not a window
            ctx.reason = ("single_point" if all(c.onset == c.offset for c in ctx.candidates)
                          else "rejected")
            ctx.note("failed: every interval was rejected")
        else:
            ctx.reason = ("ambiguous" if "ambiguous" in ctx.flags
                          else "single_point" if "time_point" in ctx.flags else "no_time")
            ctx.note("failed: no interval found")


_CANNOT = re.compile(r"cannot|can't|can not|unable|not able|could ?n[o']t", re.IGNORECASE)


def _presence_text(ctx: ParseContext) -> str:
    if ctx.text is ctx.clean and ctx.text.isascii():
        return ctx.text      # unchanged since Normalise: folding and collapsing change nothing
    return collapse_whitespace(fold_unicode(ctx.text))
