"""Every answer accounted for: usable prediction, explicit absence, or failure with a reason.

A parser pipeline says what it read (events, ``absent``, ``affirmed``, ``value``, or
``failed``).  Whether that is *usable* depends on the task kind: a presence claim without a
window ("Yes, at 12 s") answers a SpotSound presence question but gives a grounding task no
window to score.  :func:`account` turns a parsed answer into exactly one of three outcomes for
a task kind (:func:`outcome`):

==============  ========================================  =====================================
kind            usable prediction                         explicit absence
==============  ========================================  =====================================
grounding       at least one window                       (no negatives: an absence is a failure)
presence        windows, or a presence claim ("Yes")      "not present", "No.", ``[]``
detection       at least one event                        "no events" / ``[]`` (empty output)
captioning      at least one event                        (no negatives)
summary         at least one event                        (no negatives)
qa              a value (or, for interval questions,      (no negatives)
                a window)
==============  ========================================  =====================================

Anything else is a **failure**: the answer is marked ``failed=True`` (metrics score it as a
failure: IoU 0, no events, never a correct presence) and gets one ``reason``:

=====================  ==========================================================================
reason                 meaning
=====================  ==========================================================================
``missing``            no prediction for the reference
``generation_error``   the adapter raised while generating
``empty``              empty or blank output
``too_long``           the answer is longer than the parser reads (``max_chars``)
``refusal``            the model declines ("I'm sorry, I cannot determine ...", "as an AI ...")
``no_time``            no time expression at all
``single_point``       only single time points ("at 12.3 s"), no window
``no_window``          a presence claim without any time ("Yes, it barks")
``absent``             says the event is absent, in a task without negatives
``ambiguous``          the only numbers are ambiguous (``2,5`` next to ``1.5``), or several
                       contradicting answers
``relative``           only a relative form (``20%-35%``) and no duration to convert it
``rejected``           every interval found was rejected (out of the clip, zero length ...)
``no_value``           a QA answer with no number / option / yes-no found
``other``              none of the above
=====================  ==========================================================================

``parse_failure_rate`` is the share of samples whose outcome is a failure, and
``parse_failures`` counts them by reason (``timebench.scoring``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import replace

from ..types import ParsedAnswer

__all__ = ["REASONS", "OUTCOMES", "account", "outcome", "failure_reason", "count_reasons"]

REASONS = ("missing", "generation_error", "empty", "too_long", "refusal", "no_time",
           "single_point", "no_window", "absent", "ambiguous", "relative", "rejected",
           "no_value", "other")
OUTCOMES = ("prediction", "absent", "failure")

#: task kinds whose references include negatives (an explicit absence is an answer)
_NEGATIVES = frozenset({"presence", "detection"})

# note prefix -> reason, for answers whose parser set no reason itself (first match wins)
_NOTE_REASONS = (
    ("missing prediction", "missing"),
    ("generation error", "generation_error"),
    ("empty output", "empty"),
    ("answer too long", "too_long"),
    ("refusal", "refusal"),
    ("failed: only a relative form", "relative"),
    ("failed: every interval was rejected", "rejected"),
    ("ambiguous", "ambiguous"),
    ("single time point", "single_point"),
    ("affirmation without a window: a single time point", "single_point"),
    ("no number", "no_value"),
    ("no option", "no_value"),
    ("several option", "no_value"),
    ("no yes/no", "no_value"),
    ("rejected non-finite number", "no_value"),
    ("failed: no interval found", "no_time"),
)


def failure_reason(parsed: ParsedAnswer) -> str:
    """The reason a failed answer failed (its own ``reason``, else read from its notes)."""
    if parsed.reason:
        return parsed.reason
    if parsed.parser == "missing":
        return "missing"
    if parsed.parser == "error":
        return "generation_error"
    for prefix, reason in _NOTE_REASONS:
        for note in parsed.notes:
            if note.startswith(prefix) or (prefix == "ambiguous" and "ambiguous" in note):
                return reason
    return "other"


def _usable(parsed: ParsedAnswer, kind: str) -> str | None:
    """``"prediction"``/``"absent"`` when ``parsed`` answers a ``kind`` task, else ``None``."""
    if parsed.failed:
        return None
    if parsed.events:
        return "prediction"
    if kind == "qa":
        return "prediction" if parsed.value is not None else None
    if kind in _NEGATIVES and parsed.absent:
        return "absent"
    if kind == "presence" and parsed.affirmed:
        return "prediction"
    return None


def _reason_without_usable(parsed: ParsedAnswer) -> str:
    if parsed.failed:
        return failure_reason(parsed)
    if parsed.absent:
        return "absent"
    if parsed.affirmed:
        if any(n.startswith(("single time point", "affirmation without a window: a single"))
               for n in parsed.notes):
            return "single_point"
        return "no_window"
    if parsed.value is None and not parsed.events:
        return failure_reason(parsed) if parsed.notes else "no_time"
    return "other"


_POINT_NOTES = ("single time point", "affirmation without a window: a single")
_FIRST_REASONS = frozenset({"missing", "generation_error", "empty", "too_long", "no_value"})


def _gave_points(parsed: ParsedAnswer) -> bool:
    return any(n.startswith(_POINT_NOTES) or (n.startswith("dropped ") and
                                              n.endswith("zero-length")) for n in parsed.notes)


def outcome(parsed: ParsedAnswer, kind: str) -> tuple[str, str]:
    """``(outcome, reason)``: ``("prediction", "")``, ``("absent", "")`` or
    ``("failure", reason)`` for a ``kind`` task (module docstring).  An answer that gave
    only single time points (or start = end) fails as ``single_point`` even when it also says
    the times are not known or the event is absent: the times it gave are the stronger fact."""
    got = _usable(parsed, kind)
    if got is not None:
        return got, ""
    reason = _reason_without_usable(parsed)
    if reason not in _FIRST_REASONS and reason != "single_point" and _gave_points(parsed):
        reason = "single_point"
    return "failure", reason


def account(parsed: ParsedAnswer, kind: str) -> ParsedAnswer:
    """``parsed`` with ``failed=True`` and a ``reason`` when it gives ``kind`` no usable
    prediction; unchanged otherwise (the flags ``absent``/``affirmed`` are kept as read)."""
    if parsed.events and not parsed.failed and not parsed.reason:
        return parsed          # a usable prediction for every kind (see _usable), as below
    got, reason = outcome(parsed, kind)
    if got != "failure":
        return parsed if not parsed.reason else replace(parsed, reason="")
    if parsed.failed and parsed.reason == reason:
        return parsed
    notes = parsed.notes
    if not parsed.failed:
        notes = notes + (f"no usable prediction for a {kind} task: {reason}",)
    return replace(parsed, failed=True, reason=reason, notes=notes)


def count_reasons(answers: Iterable[ParsedAnswer]) -> dict[str, int]:
    """``{reason: count}`` over the failed answers, most frequent first."""
    counts = Counter(a.reason or failure_reason(a) for a in answers if a.failed)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
