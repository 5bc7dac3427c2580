"""Markdown tables with a start column and an end column.

:class:`TableIntervals` reads GitHub-flavoured markdown tables such as::

    | Event | Start (s) | End (s) |
    |-------|-----------|---------|
    | dog   | 2.5       | 4.0     |
    | horn  | 00:10     | 00:12.5 |

A table is a header row (a line with ``|``), a delimiter row (only ``|``, ``-``, ``:`` and
spaces, at least one ``-`` and one ``|``) and the body rows that follow (lines with ``|``).
It is read when its header names a start column and an end column (cell text, ignoring case,
markdown emphasis and a unit in brackets):

* start: ``start``, ``onset``, ``begin``, ``beginning``, ``from``, ``t0`` (optionally followed
  by ``time``/``timestamp``/``point``/``sec``/``seconds``: ``Start time``, ``start_time``);
* end: ``end``, ``offset``, ``stop``, ``finish``, ``to``, ``t1`` (same suffixes);
* label (optional): ``event``, ``sound``, ``label``, ``class``, ``caption``, ``description``,
  ``category``, ``name``, ``sound event``, ``event label``.

A unit in the header (``Start (ms)``, ``End [min]``) applies to plain numbers in that column.
Each body row whose start and end cells each hold exactly one time value (a number, a number
with a unit, a clock) becomes one interval, labelled from the label column when there is one;
the whole row is its span, so other extractors do not read its numbers again.  Rows that do not
parse are left to the other extractors.  Tables whose columns are ranges (``| dog | 2.5 - 4.0
|``) need no special reading: the range rule finds them.

Cost is linear in the text: lines are split once and each cell is scanned once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .captions import clean_caption
from .intervals import Candidate
from .times import scan_values, unit_factor

if TYPE_CHECKING:  # pragma: no cover
    from .context import ParseContext

__all__ = ["TableIntervals"]

_SUFFIX = r"(?:[ _-]?(?:time|timestamp|point|sec|secs|seconds?))?"
_UNIT = r"(?: ?[\[(](?P<unit>ms|s|sec|secs|seconds?|min|mins|minutes?|h|hours?)[\])])?"
_START = re.compile(rf"(?:start|onset|begin|beginning|from|t0){_SUFFIX}{_UNIT}", re.IGNORECASE)
_END = re.compile(rf"(?:end|offset|stop|finish|to|t1){_SUFFIX}{_UNIT}", re.IGNORECASE)
_LABEL = re.compile(r"(?:sound )?(?:event|sound|label|class|caption|description|category|name)"
                    r"(?: label| class| name)?", re.IGNORECASE)
_DELIM_CHARS = frozenset("|-: \t")
_CELL_STRIP = " \t*_`"


def _cells(line: str) -> list[str]:
    body = line.strip().removeprefix("|").removesuffix("|")
    return [c.strip(_CELL_STRIP) for c in body.split("|")]


def _is_delimiter(line: str) -> bool:
    return "-" in line and "|" in line and set(line) <= _DELIM_CHARS


def _header(cells: list[str]) -> tuple[int, float, int, float, int | None] | None:
    """(start column, its unit factor, end column, its unit factor, label column or None)."""
    start = end = label = None
    f_start = f_end = 1.0
    for k, cell in enumerate(cells):
        if start is None and (m := _START.fullmatch(cell)):
            start, f_start = k, unit_factor(m.group("unit"))
        elif end is None and (m := _END.fullmatch(cell)):
            end, f_end = k, unit_factor(m.group("unit"))
        elif label is None and _LABEL.fullmatch(cell):
            label = k
    if start is None or end is None:
        return None
    return start, f_start, end, f_end, label


def _cell_value(cell: str, factor: float) -> float | None:
    toks = scan_values(cell, signed=True)
    if len(toks) != 1 or toks[0].kind not in ("num", "clock", "comp"):
        return None
    tok = toks[0]
    if cell[:tok.start].strip() or cell[tok.end:].strip():
        return None                      # other text in the cell: not a plain time value
    return tok.value * factor if tok.bare else tok.value


@dataclass(frozen=True)
class TableIntervals:
    """Extractor for markdown start/end tables (rules in the module docstring)."""

    name: str = "table"

    def extract(self, text: str, ctx: ParseContext,
                occupied: bytearray | None = None) -> list[Candidate]:
        out: list[Candidate] = []
        if "|" not in text or "-" not in text:
            return out
        lines = text.split("\n")
        offsets = []
        pos = 0
        for line in lines:
            offsets.append(pos)
            pos += len(line) + 1
        i = 0
        while i < len(lines) - 1:
            if "|" not in lines[i] or not _is_delimiter(lines[i + 1]):
                i += 1
                continue
            head = _header(_cells(lines[i]))
            i += 2
            if head is None:
                continue
            c_start, f_start, c_end, f_end, c_label = head
            while i < len(lines) and "|" in lines[i]:
                row = _cells(lines[i])
                begin, stop = offsets[i], offsets[i] + len(lines[i])
                i += 1
                if max(c_start, c_end) >= len(row):
                    continue
                if occupied is not None and occupied[begin]:
                    continue
                on = _cell_value(row[c_start], f_start)
                off = _cell_value(row[c_end], f_end)
                if on is None or off is None:
                    continue
                label = clean_caption(row[c_label]) if c_label is not None and \
                    c_label < len(row) else None
                out.append(Candidate(begin, stop, on, off, self.name, label=label,
                                     fixed_label=True, text=text[begin:stop]))
        return out
