"""Structured (JSON) answers: ``[[s, e], ...]``, ``{"relevant_windows": [[s, e]]}``, event dicts.

:class:`JsonIntervals` looks for JSON values embedded anywhere in the text (code fences and
prose around them are fine) and reads intervals from them:

* a two-element list of numbers is one interval: ``[12.3, 15.0]``;
* other lists are read item by item: ``[[1, 2], [3, 4]]``;
* a dict with a start key (``start``, ``onset``, ``begin``, ``start_time``, ``from``, ...) and an
  end key (``end``, ``offset``, ``stop``, ``end_time``, ``to``, ...) is one interval, labelled by
  its ``label``/``event``/``event_label``/``caption``/``description``/``class``/``sound``/
  ``text`` field when there is one;
* other dicts are searched under ``relevant_windows``, ``windows``, ``intervals``,
  ``timestamps``, ``segments``, ``events``, ``spans``, ``times``, ``predictions``,
  ``results``, ``answer``; a label found on the dict applies to everything under it;
* values may be numbers or strings holding one time value (``"12.3s"``, ``"0:18"``).

An empty container (``[]``, ``{"relevant_windows": []}``) is recorded as an explicit "no
windows" answer (the absence step may use it).  At most :data:`MAX_ATTEMPTS` decode attempts are
made per text and nesting deeper than :data:`MAX_DEPTH` is ignored, so adversarial input such as
100 000 ``[`` characters costs microseconds.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .intervals import Candidate
from .times import scan_values

if TYPE_CHECKING:  # pragma: no cover
    from .context import ParseContext

__all__ = ["JsonIntervals", "MAX_ATTEMPTS", "MAX_DEPTH"]

MAX_ATTEMPTS = 16
MAX_DEPTH = 16

_OPEN = re.compile(r"[\[{](?= ?[\[{\"\d\]}-])")
_START_KEYS = ("start", "onset", "begin", "start_time", "starttime", "start_s", "from", "t0",
               "start_sec", "start_seconds", "startTime")
_END_KEYS = ("end", "offset", "stop", "end_time", "endtime", "end_s", "to", "t1", "end_sec",
             "end_seconds", "endTime")
_LABEL_KEYS = ("label", "event_label", "event", "caption", "description", "class", "sound",
               "text", "name", "query")
_WINDOW_KEYS = ("relevant_windows", "windows", "window", "intervals", "interval", "timestamps",
                "timestamp", "segments", "segment", "events", "spans", "span", "times",
                "predictions", "prediction", "results", "answer")

_DECODER = json.JSONDecoder()


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        try:
            return float(v)
        except OverflowError:
            return math.inf
    if isinstance(v, str) and len(v) <= 64:
        toks = scan_values(v.strip(), signed=True)
        if len(toks) == 1 and toks[0].kind != "pct":
            return toks[0].value
    return None


@dataclass
class _Walk:
    items: list[tuple[float, float, str | None]]
    empty: bool = False


def _walk(obj: Any, label: str | None, acc: _Walk, depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(obj, list):
        if not obj:
            acc.empty = True
            return
        if len(obj) == 2:
            a, b = _number(obj[0]), _number(obj[1])
            if a is not None and b is not None:
                acc.items.append((a, b, label))
                return
        for x in obj:
            _walk(x, label, acc, depth + 1)
        return
    if isinstance(obj, dict):
        lower = {str(k).lower(): v for k, v in obj.items()}
        own = next((lower[k] for k in _LABEL_KEYS if isinstance(lower.get(k), str)), None)
        lab = own.strip() if isinstance(own, str) and own.strip() else label
        s = next((lower[k.lower()] for k in _START_KEYS if k.lower() in lower), None)
        e = next((lower[k.lower()] for k in _END_KEYS if k.lower() in lower), None)
        if s is not None and e is not None:
            a, b = _number(s), _number(e)
            if a is not None and b is not None:
                acc.items.append((a, b, lab))
                return
        for k in _WINDOW_KEYS:
            if k in lower:
                _walk(lower[k], lab, acc, depth + 1)


@dataclass(frozen=True)
class JsonIntervals:
    """Extractor for JSON values embedded in the text (rules in the module docstring)."""

    name: str = "json"

    def extract(self, text: str, ctx: ParseContext,
                occupied: bytearray | None = None) -> list[Candidate]:
        out: list[Candidate] = []
        if "[" not in text and "{" not in text:
            return out
        pos = 0
        attempts = 0
        empty = False
        while attempts < MAX_ATTEMPTS:
            m = _OPEN.search(text, pos)
            if m is None:
                break
            attempts += 1
            try:
                obj, end = _DECODER.raw_decode(text, m.start())
            except (ValueError, RecursionError):
                pos = m.start() + 1
                continue
            acc = _Walk([])
            _walk(obj, None, acc, 0)
            if acc.items:
                for a, b, lab in acc.items:
                    out.append(Candidate(m.start(), end, a, b, self.name, label=lab,
                                         fixed_label=lab is not None,
                                         text=text[m.start():end]))
            elif acc.empty and not isinstance(obj, (int, float, str)):
                empty = True
            else:
                pos = m.start() + 1
                continue
            pos = end
        if empty and not out:
            ctx.flags.add("empty_structured")
            ctx.note("empty JSON list of windows")
        return out
