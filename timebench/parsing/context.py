"""The mutable state one parse passes from step to step.

A pipeline (:mod:`timebench.parsing.pipeline`) is a sequence of steps; each step reads and
updates one :class:`ParseContext` and appends a note for every repair or rejection it makes.
At the end the context is frozen into a :class:`timebench.types.ParsedAnswer`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..types import Event, ParsedAnswer
from .intervals import Candidate

__all__ = ["ParseContext"]

MAX_NOTES = 64
#: Longest note kept whole; steps cut quoted fragments to 60 characters themselves, this is the
#: safety net that keeps a results file small whatever a step quotes.
MAX_NOTE_CHARS = 400


@dataclass(slots=True)
class ParseContext:
    """Everything a step may read or change.

    ``text`` is the current (normalised) answer text; ``raw`` the text as given.  ``opts`` are
    the resolved pipeline options.  ``flags`` holds facts for later steps, e.g.
    ``"empty_structured"`` (the answer held an empty JSON list of windows) or
    ``"relative_unresolved"`` (a percentage interval could not be converted).
    ``example_intervals`` are the intervals of the prompt's own example (echo removal).
    ``clean`` is the text object :class:`~.steps.Normalise` left (folded, white space
    collapsed): while ``text is clean`` no later step changed it.
    """

    raw: str
    text: str
    duration: float | None
    prompt: str | None
    labels: tuple[str, ...] | None
    opts: Mapping[str, Any]
    notes: list[str] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    example_intervals: tuple[tuple[float, float], ...] = ()
    vocab: frozenset[str] = frozenset()
    absent: bool = False
    affirmed: bool = False
    failed: bool = False
    value: Any = None
    done: bool = False
    reason: str = ""
    clean: str | None = None

    def note(self, message: str) -> None:
        """Record one note (capped at :data:`MAX_NOTES`; the cap itself is noted once; a note
        longer than :data:`MAX_NOTE_CHARS` is cut, with an ellipsis)."""
        if len(message) > MAX_NOTE_CHARS:
            message = message[:MAX_NOTE_CHARS - 1] + "\u2026"
        if len(self.notes) < MAX_NOTES:
            self.notes.append(message)
        elif len(self.notes) == MAX_NOTES:
            self.notes.append("further notes omitted")

    def result(self, parser: str) -> ParsedAnswer:
        return ParsedAnswer(
            events=tuple(self.events),
            absent=self.absent,
            affirmed=self.affirmed,
            failed=self.failed,
            value=self.value,
            notes=tuple(self.notes),
            parser=parser,
            reason=self.reason if self.failed else "",
        )


def label_tuple(labels: Sequence[str] | None) -> tuple[str, ...] | None:
    if labels is None:
        return None
    if isinstance(labels, str):
        return (labels,)
    return tuple(str(x) for x in labels)
