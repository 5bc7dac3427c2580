"""Typed records that flow through timebench.

Every time is in seconds from the start of the audio, as a float.  The classes are frozen
dataclasses: a reference, a prediction or a parsed answer never changes once built, so the same
object can be shared by the cache, the parser and every metric without defensive copies.

Data flow (see docs/DESIGN.md)::

    Reference ──► prompt ──► adapter ──► raw text ─┐
                                                   ├─► ParsedAnswer ──► metrics
    Prediction (file line) ────────────────────────┘
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = ["Event", "Reference", "Prediction", "ParsedAnswer", "events_to_array"]


@dataclass(frozen=True, slots=True)
class Event:
    """One time interval, optionally labelled.

    ``label`` is a class name (SED), a caption (dense captioning, speech summaries) or ``None``
    (grounding, where the query says what the interval is).  ``score`` is an optional confidence
    used only by metrics that rank (never by the collar/IoU metrics).
    """

    onset: float
    offset: float
    label: str | None = None
    score: float | None = None

    @property
    def length(self) -> float:
        return self.offset - self.onset

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"onset": self.onset, "offset": self.offset}
        if self.label is not None:
            out["label"] = self.label
        if self.score is not None:
            out["score"] = self.score
        return out

    def is_finite(self) -> bool:
        return math.isfinite(self.onset) and math.isfinite(self.offset)


@dataclass(frozen=True, slots=True)
class Reference:
    """One evaluation sample with its ground truth.

    Fields beyond ``id`` depend on the task:

    * grounding / SpotSound: ``query`` and ``events`` (the target windows);
      ``present=False`` marks an absent-event negative (``events`` is then empty);
    * SED: ``events`` with class labels;
    * dense captioning / timeline speech summaries: ``events`` with captions as labels;
    * temporal QA: ``answer`` (a number or a string) and ``question``.

    ``extra`` keeps any other field of the source line (dataset name, question type, ...), so
    loaders never drop information silently.
    """

    id: str
    audio: str | None = None
    duration: float | None = None
    query: str | None = None
    question: str | None = None
    events: tuple[Event, ...] = ()
    present: bool | None = None
    answer: Any = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    source: str | None = field(default=None, compare=False)  # "file:line", for messages only

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id}
        for key in ("audio", "duration", "query", "question"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out["events"] = [e.to_dict() for e in self.events]
        if self.present is not None:
            out["present"] = self.present
        if self.answer is not None:
            out["answer"] = self.answer
        if self.extra:
            out["extra"] = dict(self.extra)
        return out


@dataclass(frozen=True, slots=True)
class Prediction:
    """One line of a predictions file: raw model text, structured events, or both.

    When ``events`` is given it is used as is (after validation and clipping); otherwise
    ``text`` goes through the task's parser pipeline.  ``present`` lets structured predictions
    state presence explicitly for SpotSound-style tasks; ``answer`` carries a structured QA
    answer.  ``source`` is ``"file:line"`` for error messages and reports.
    """

    id: str
    text: str | None = None
    events: tuple[Event, ...] | None = None
    present: bool | None = None
    answer: Any = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedAnswer:
    """What a parser pipeline (or a structured prediction) says the model answered.

    * ``events``: intervals after normalisation (swapped, clipped, deduplicated);
    * ``absent``: the model explicitly said the event is not there ("not present", "No.");
    * ``affirmed``: the model said the event is there without giving a usable interval ("Yes.");
    * ``failed``: nothing usable could be read (or the prediction was missing); such a sample is
      scored as a failure (IoU 0, no events), never skipped;
    * ``value``: a scalar answer for temporal QA (a number or a normalised string);
    * ``notes``: every repair or rejection made on the way, e.g. ``"swapped 15.0-12.3"``,
      ``"clipped offset 75.0 -> 60.0"``, ``"rejected count '2-3 dogs'"``;
    * ``parser``: the name of the pipeline that produced it (``"structured"`` for events given
      directly, ``"missing"`` for an absent prediction);
    * ``reason``: why there is no usable prediction (``"no_time"``, ``"single_point"``,
      ``"refusal"``, ``"missing"``...; see ``timebench.parsing.accounting``), else ``""``.
    """

    events: tuple[Event, ...] = ()
    absent: bool = False
    affirmed: bool = False
    failed: bool = False
    value: Any = None
    notes: tuple[str, ...] = ()
    parser: str = ""
    reason: str = ""

    @property
    def claims_presence(self) -> bool:
        """True when the answer asserts the event happens (with or without a window)."""
        return bool(self.events) or self.affirmed


def events_to_array(events: tuple[Event, ...] | list[Event]):
    """Return an ``(n, 2)`` float64 array of ``[onset, offset]`` rows."""
    import numpy as np

    if not events:
        return np.zeros((0, 2), dtype=np.float64)
    return np.array([(e.onset, e.offset) for e in events], dtype=np.float64)
