"""Typed reference and prediction schemas per task kind, with strict coercion (issue 15).

:mod:`timebench.io` checks what every line must be (an id, finite non-negative times, onset
not after offset, ``present`` a boolean...).  This module adds what a *task kind* needs, so a
value of the wrong type is refused (exit 2, naming file, line and field) instead of being
compared by truthiness or as a string:

=============  =================================================================================
kind           reference rules (besides the card's ``requires``)
=============  =================================================================================
qa             ``extra.qtype`` one of ``count, duration, order, choice, yesno, other`` (default
               ``other``); ``answer`` by question type: ``yesno`` a JSON boolean, or exactly one
               of the strings ``yes``/``no``/``true``/``false`` (any case, surrounding spaces and
               one final period ignored), coerced; ``count`` a non-negative whole number;
               ``duration`` a non-negative number; both may be a string holding exactly such a
               number, optionally followed by ``s``/``sec``/``seconds`` (``"10.00 seconds"``);
               ``order``/``choice`` a non-empty string, one of ``extra.options`` when given;
               ``other`` a string or a number.  ``extra.options`` is a list of strings.
detection      every event has a non-empty string ``label`` (its class).
captioning,    every event has a non-empty string ``label`` (its caption).
summary
grounding,     no extra rule (``present``/``events`` consistency is in :mod:`timebench.io`).
presence
=============  =================================================================================

Predictions (``timebench score``): a structured ``answer`` follows the same rules as the
reference answer of its sample's question type (``"no"`` is ``False``; ``"maybe"`` for a yes/no
question, or ``"three"`` for a count, is refused).  ``text`` is never type-coerced: it goes
through the parser.

Precedence of a structured field over ``text`` (documented in docs/RELIABILITY.md): when a
prediction gives ``text`` together with ``events``, ``answer`` or ``present``, the structured
field is scored and ``text`` is ignored (``events`` first, then ``answer``, then ``present``);
the number of such predictions is reported as ``n_text_ignored`` in the score output, and
``timebench score`` prints a warning.

:func:`yesno_value` and :func:`number_value` are the one coercion used by both validation and
the QA metric, so what is accepted is exactly what is scored.
"""

from __future__ import annotations

import math
import re
from typing import Any, Mapping, Sequence

from .errors import InputError
from .types import Prediction, Reference

__all__ = ["QA_TYPES", "yesno_value", "number_value", "check_reference_values",
           "check_predictions", "answer_problem"]

QA_TYPES = ("count", "duration", "order", "choice", "yesno", "other")
_YES = {"yes": True, "true": True, "no": False, "false": False}
_NUMBER = re.compile(r"^\s*\+?(\d+(?:\.\d+)?|\.\d+)\s*(?:s|sec|secs|seconds?|times?)?\s*\.?\s*$",
                     re.IGNORECASE)


def yesno_value(value: Any) -> bool | None:
    """``True``/``False`` for a boolean or an exact yes/no string; ``None`` otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _YES.get(value.strip().rstrip(".").strip().lower())
    return None


def number_value(value: Any) -> float | None:
    """A finite number from a JSON number or an exact numeric string; ``None`` otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        try:
            out = float(value)
        except OverflowError:
            return None
        return out if math.isfinite(out) else None
    if isinstance(value, str):
        m = _NUMBER.match(value)
        if m:
            out = float(m.group(1))
            return out if math.isfinite(out) else None
    return None


def _qtype(ref: Reference) -> str:
    extra = ref.extra if isinstance(ref.extra, Mapping) else {}
    return extra.get("qtype", "other")


def answer_problem(qtype: str, value: Any, options: Sequence[str] | None = None) -> str | None:
    """Why ``value`` is not a valid answer of question type ``qtype`` (``None`` when it is)."""
    shown = repr(value)[:40]
    if qtype == "yesno":
        if yesno_value(value) is None:
            return f"expected true or false (or the string yes/no), got {shown}"
    elif qtype in ("count", "duration"):
        n = number_value(value)
        if n is None or n < 0:
            return f"expected a non-negative number, got {shown}"
        if qtype == "count" and not n.is_integer():
            return f"expected a whole number for a count, got {shown}"
    elif qtype in ("order", "choice"):
        if not isinstance(value, str) or not value.strip():
            return f"expected a non-empty string (one of the options), got {shown}"
        if options and _norm(value) not in {_norm(o) for o in options}:
            return f"{shown} is not one of the options {list(options)}"[:160]
    elif not (isinstance(value, str) or number_value(value) is not None):
        return f"expected a string or a number, got {shown}"
    return None


def _norm(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().strip(".").lower()


def _where(ref: Reference, path: str | None) -> tuple[str | None, int | None]:
    src = ref.source or path
    if src and re.search(r":\d+$", src):
        head, _, line = src.rpartition(":")
        return head, int(line)
    return src, None


def check_reference_values(kind: str, refs: Sequence[Reference], *, path: str | None = None) -> None:
    """Raise :class:`InputError` (file, line, field) for a value the task kind cannot score."""
    for ref in refs:
        where, line = _where(ref, path)
        if kind == "qa":
            qtype = _qtype(ref)
            if qtype not in QA_TYPES:
                raise InputError(f"unknown question type {str(qtype)[:40]!r}; expected one of "
                                 f"{', '.join(QA_TYPES)}", path=where, line=line,
                                 field="extra.qtype")
            extra = ref.extra if isinstance(ref.extra, Mapping) else {}
            options = extra.get("options")
            if options is not None and not (isinstance(options, list) and all(
                    isinstance(o, str) for o in options)):
                raise InputError("expected a list of strings", path=where, line=line,
                                 field="extra.options")
            if ref.answer is not None:
                problem = answer_problem(qtype, ref.answer, options)
                if problem:
                    raise InputError(f"{problem} (question type {qtype})", path=where, line=line,
                                     field="answer")
        elif kind in ("detection", "captioning", "summary"):
            for i, ev in enumerate(ref.events):
                if not isinstance(ev.label, str) or not ev.label.strip():
                    what = "class label" if kind == "detection" else "caption"
                    raise InputError(f"every event needs a {what}", path=where, line=line,
                                     field=f"events[{i}].label")


def check_predictions(task, refs: Sequence[Reference], preds: Sequence[Prediction]) -> None:
    """Structured prediction fields typed against their sample (``timebench score``)."""
    if task.kind != "qa":
        return
    by_id = {r.id: r for r in refs}
    for p in preds:
        ref = by_id.get(p.id)
        if ref is None or p.answer is None or p.events is not None:
            continue
        problem = answer_problem(_qtype(ref), p.answer)  # a wrong option is a wrong answer
        if problem:
            where, line = _where(Reference(id=p.id, source=p.source), None)
            raise InputError(f"{problem} (question type {_qtype(ref)})", path=where, line=line,
                             field="answer")
