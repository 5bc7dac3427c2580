"""Time value tokens: find every number that can be a time in a piece of text.

One precompiled regular expression scans the (normalised) text left to right and yields
:class:`TimeValue` tokens.  Interval rules (:mod:`timebench.parsing.intervals`) then look only at
consecutive tokens and the short text between them, so the whole parse is linear in the text.

Accepted value forms (case-insensitive):

==========================  ===============================  ==============================
form                        example                          value (seconds)
==========================  ===============================  ==============================
plain number                ``12``, ``12.3``                 12.0, 12.3 (unit unknown)
number with a unit          ``12.3s``, ``15 sec``,           12.3, 15.0, 0.25, 90.0, 7200.0
                            ``250 ms``, ``1.5 min``, ``2 h``
composite duration          ``1 minute 5 seconds``,          65.0, 65.0, 3723.0
                            ``1m5s``, ``1 h 2 min 3 s``
clock                       ``0:18``, ``01:05.5``,           18.0, 65.5, 3723.0
                            ``1:02:03``                      (``[h:]mm:ss[.f]``)
percentage                  ``20%``, ``35 percent``          0.20, 0.35 (fraction of duration)
==========================  ===============================  ==============================

Rules that keep non-times out:

* a number must not touch a letter, digit, ``.`` or ``:`` on its left (``v1.2``, ``x12``,
  the ``5`` of ``1..5`` and the ``400`` of ``1e400`` are not tokens);
* a plain number must not be followed by a letter, ``_``, a digit or ``.d``/``:d``
  (``1.2.3`` and ``2nd`` give no token; ``1..5`` gives only ``1``);
* in a clock ``mm`` and ``ss`` must be below 60 (``0:75`` is not a clock);
* ``m`` alone is a minute unit only inside a composite (``1m5s``), never on its own
  (``5 m`` could be metres);
* numbers are converted with ``float`` (never ``int``), so 10**400-digit strings give
  ``inf`` instead of raising; callers reject non-finite values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["TimeValue", "scan_values", "unit_factor", "VALUE_KINDS"]

VALUE_KINDS = ("num", "clock", "comp", "pct")

_NUMBER = r"\d+(?:\.\d+)?"
_FINAL_UNIT = (
    r"(?:milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h)"
)

_VALUE_RE = re.compile(
    r"(?=\d)(?<![\w.:])(?:"  # the look-ahead lets the engine skip non-digits quickly
    # [h:]mm:ss[.f], with an optional unit word that is ignored (the clock already says it)
    r"(?P<clock>(?:(?P<ch>\d{1,2}):)?(?P<cm>\d{1,2}):(?P<cs>\d{2}(?:\.\d+)?))"
    r"(?: ?(?:seconds?|secs?|s|minutes?|mins?)(?![a-z]))?(?![\w:]|\.\d)"
    r"|"
    # optional hour part, optional minute part, then the final number with its unit
    rf"(?:(?P<h>{_NUMBER}) ?(?:hours?|hrs?|h)(?![a-z]),? ?(?:and )?)?"
    rf"(?:(?P<m>{_NUMBER}) ?(?:minutes?|mins?|m)(?![a-z]),? ?(?:and )?)?"
    rf"(?P<num>{_NUMBER})"
    rf"(?:(?: ?(?P<unit>{_FINAL_UNIT})| ?(?P<pct>%|percent|per cent))(?![a-z0-9])"
    r"|(?![\w]|[.:]\d))"
    r")",
    re.IGNORECASE,
)

# A plain number with an optional unit: used when a composite match turns out to be invalid.
_SIMPLE_RE = re.compile(
    rf"(?P<num>{_NUMBER})"
    rf"(?:(?: ?(?P<unit>{_FINAL_UNIT})| ?(?P<pct>%|percent|per cent))"
    r"(?![a-z0-9])|(?![\w]|[.:]\d))",
    re.IGNORECASE,
)


def unit_factor(unit: str | None) -> float:
    """Seconds per ``unit`` (``None`` -> 1.0: a plain number is read as seconds)."""
    if not unit:
        return 1.0
    u = unit.lower()
    if u.startswith(("ms", "msec", "milli")):
        return 0.001
    if u.startswith("h"):
        return 3600.0
    if u.startswith("m"):
        return 60.0
    return 1.0


def _unit_code(unit: str | None) -> str | None:
    factor = unit_factor(unit) if unit else None
    return {None: None, 0.001: "ms", 1.0: "s", 60.0: "min", 3600.0: "h"}[factor]


@dataclass(frozen=True, slots=True)
class TimeValue:
    """One time-like token of the text.

    ``value`` is in seconds, except for ``kind == "pct"`` where it is a fraction (0.2 for 20 %).
    ``unit`` is ``None`` for a plain number (seconds are assumed), else one of
    ``"ms" | "s" | "min" | "h"``; clocks and composites carry ``"s"``.
    """

    start: int
    end: int
    value: float
    kind: str
    unit: str | None
    is_int: bool
    text: str

    @property
    def bare(self) -> bool:
        """A plain number with no unit, clock or percent sign."""
        return self.kind == "num" and self.unit is None


def _clock(m: re.Match) -> float | None:
    h = float(m.group("ch")) if m.group("ch") is not None else 0.0
    mm = float(m.group("cm"))
    ss = float(m.group("cs"))
    if ss >= 60 or (m.group("ch") is not None and mm >= 60):
        return None
    return h * 3600.0 + mm * 60.0 + ss


def _simple(text: str, pos: int) -> tuple[TimeValue | None, int]:
    """Read one plain number (with unit) at ``pos``; return the token and where to go on."""
    m = _SIMPLE_RE.match(text, pos)
    if m is None:  # pragma: no cover - the composite match always starts with a number
        return None, pos + 1
    return _from_number(m, text), m.end()


def _from_number(m: re.Match, text: str) -> TimeValue:
    num = m.group("num")
    value = float(num)
    is_int = "." not in num
    if m.group("pct"):
        return TimeValue(m.start(), m.end(), value / 100.0, "pct", None, is_int, m.group(0))
    unit = _unit_code(m.group("unit"))
    if unit is not None:
        value *= unit_factor(unit)
    return TimeValue(m.start(), m.end(), value, "num", unit, is_int, m.group(0))


def scan_values(text: str) -> list[TimeValue]:
    """Return every time-value token of ``text`` in order of position (see module doc)."""
    out: list[TimeValue] = []
    pos = 0
    n = len(text)
    search = _VALUE_RE.search
    while pos < n:
        m = search(text, pos)
        if m is None:
            break
        if m.group("clock") is not None:
            v = _clock(m)
            if v is not None:
                out.append(TimeValue(m.start(), m.end(), v, "clock", "s", False, m.group(0)))
            pos = m.end()
            continue
        h, mi = m.group("h"), m.group("m")
        if h is None and mi is None:
            out.append(_from_number(m, text))
            pos = m.end()
            continue
        # Composite: the final part needs a unit smaller than the parts before it.
        final_unit = _unit_code(m.group("unit")) if m.group("unit") else None
        smaller = {"h": ("min", "s", "ms"), "min": ("s", "ms")}
        last_prefix = "min" if mi is not None else "h"
        if m.group("pct") or final_unit not in smaller[last_prefix]:
            tok, pos = _simple(text, m.start())
            if tok is not None:
                out.append(tok)
            continue
        total = float(m.group("num")) * unit_factor(final_unit)
        if h is not None:
            total += float(h) * 3600.0
        if mi is not None:
            total += float(mi) * 60.0
        out.append(TimeValue(m.start(), m.end(), total, "comp", "s", False, m.group(0)))
        pos = m.end()
    return out
