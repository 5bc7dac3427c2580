"""Role-based intervals: each time expression gets a role from the cue words of its clause,
then roles are paired.

Real answers rarely put the start and the end next to each other: ``The start time of the
query is 00:00:00 and the end time is 00:00:15.``, ``Start time: 2.0s`` / ``End time: 3.0s``
lines, ``"start_time": 4.0s,`` (JSON-like, not JSON), ``He starts at 0:00 and continues until
0:04``, ``starts at 3 s and lasts 2 seconds``, ``the start time is approximately 0:00 - 0:03
and the end time is approximately 0:05 - 0:08``.  :class:`RoleIntervals` reads them all the
same way:

1. **units**: the time values of the text (:func:`~.times.scan_values`); two values joined by
   a range connector (``-``, ``to``, ``~``...) or ``between X and Y`` are one *range* unit;
2. **role** of a unit, from the text before it back to the previous unit or the start of its
   clause (a sentence end ``. ``, ``;``, a line break), at most :data:`WINDOW` characters: the
   *last* cue word there decides -

   ===========  ==================================================================
   role         cue words
   ===========  ==================================================================
   ``start``    start(s/ed/ing), begin(s/ning), began, onset, commence(s),
                ``from`` right before the value
   ``end``      end(s/ed/ing) (not ``ends up``), stop(s/ped), finish(es/ed), offset,
                ``until``/``till``/``up to`` (``continues until``)
   ``duration`` lasts/lasted/lasting, duration, length, ``for`` right before the value
   ``both``     ``start and end`` (``start and end times are 2 and 5 s``)
   ``point``    no cue (``at 0:14``, ``at the 5 second mark``)
   ===========  ==================================================================

3. **pairing**, left to right over consecutive units: ``start`` then ``end`` -> [start, end];
   ``start`` then ``duration`` -> [start, start + duration]; ``both`` then any value ->
   [first, second]; a start *range* and an end *range* (``start is about 0:00 - 0:03 and the
   end about 0:05 - 0:08``) -> the outer window [0, 8] (decided: the answer says the event
   starts somewhere in the first range and ends somewhere in the second; the outer window
   contains every reading, and it is what careful readers of the real-output corpus took);
   with the option ``single_query`` (one queried event) a time point then an ``end`` ->
   [point, end] (``occurs at the 0:20 mark ... The end time is at 0:25``).  A range written as
   a whole interval (``from 2 to 3 s``, or with no cue) has role ``range`` and pairs with
   nothing.  Two paired units may be at most :data:`MAX_GAP` characters apart; a list number
   at the start of a line (``2. End: 4.0``) is no unit.

A pair whose two cues are *labelled fields* (the cue, optionally ``time``/``timestamp``, then
``:`` or ``=``: ``Start time: 2.0s``, ``"start_time": 4.0s``, ``**Start:** 0:02``) is an
*answer block* (rule ``labelled``, like a JSON block or a start/end table); other pairs get
rule ``role``.  Units that pair with nothing are left to the other extractors (a range stays a
range, a lone point is noted as a single time point).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .fastre import Fast, lower_ascii, spaced
from .intervals import Candidate
from .times import CONNECT, TimeValue, scan_values, unit_factor

if TYPE_CHECKING:  # pragma: no cover
    from .context import ParseContext

__all__ = ["RoleIntervals", "WINDOW", "MAX_GAP", "clause_bounds"]

#: how far back (characters) a cue word is looked for
WINDOW = 160
#: longest distance (characters) between two paired units
MAX_GAP = 400

_CUE = Fast(re.compile(
    r"\b(?P<both>start(?:ing)?(?:[ _-]?(?:times?|timestamps?|points?))? (?:and|&|/) "
    r"end(?:ing)?(?:[ _-]?(?:times?|timestamps?|points?))?)"
    r"|\b(?P<start>(?:start(?:s|ed|ing)?|begin(?:s|ning)?|began|onset|commenc(?:e|es|ed|ing))(?![a-z]))"
    r"(?P<sfield>(?:[ _-]?(?:time|timestamp|point|sec(?:ond)?s?))?[\"']? ?(?:\([a-z]+\) ?)?[:=])?"
    r"|\b(?P<end>(?:end(?:s|ed|ing)?|stop(?:s|ped|ping)?|finish(?:es|ed|ing)?|offset"
    r"|conclud(?:e|es|ed|ing)|until|till|up to)(?![a-z])(?! up\b))"
    r"(?P<efield>(?:[ _-]?(?:time|timestamp|point|sec(?:ond)?s?))?[\"']? ?(?:\([a-z]+\) ?)?[:=])?"
    r"|\b(?P<dur>lasts|lasted|lasting|duration|length)\b",
    re.IGNORECASE,
))
# cues that count only right before the value ("from 3 s", "for 2 seconds")
_ADJ_START = Fast(re.compile(r"\bfrom (?:(?:about|around|approximately|roughly|the) )?$",
                             re.IGNORECASE))
_ADJ_DUR = Fast(re.compile(r"\bfor (?:(?:about|around|approximately|roughly) )?$",
                           re.IGNORECASE))
# after a labelled cue only fillers may stand before the value
_FIELD_TAIL = re.compile(r"[\s\"'`:=~]*(?:(?:about|around|approximately|at|is|of) )*[\"'`]?$",
                         re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.!?](?=\s)|[;\n]")
_RANGE_GAP = re.compile(CONNECT, re.IGNORECASE)
_BETWEEN = re.compile(r"\bbetween ?$", re.IGNORECASE)
_AND_GAP = re.compile(r" ?(?:and|&) ?", re.IGNORECASE)


@dataclass(slots=True)
class _Unit:
    start: int
    end: int
    lo: float
    hi: float
    is_range: bool
    role: str = "point"
    labelled: bool = False
    cue: int = -1          # where the cue that gave the role starts (-1: no cue)
    timelike: bool = True  # a unit, a clock or a decimal (not a bare integer)


_QUOTED = re.compile(r"\"[^\"\n]{1,300}\"")
_RESTATED = re.compile(r" ?\(")
# "2. End: 4.0": a list number at the start of a line is no time
_LIST_MARKER = re.compile(r"[.)] ")
_LINE_START = re.compile(r"(?:^|\n)[ \t>*+-]*$")


def clause_bounds(text: str, end: int | None = None) -> list[int]:
    """Positions where a clause starts (after ``. ``, ``;``, a line break), except inside a
    double-quoted span (a quoted query ``"He slips. He falls"`` is one clause); with ``end``,
    only those up to ``end`` (the same list cut there)."""
    # = [m.end() for m in _CLAUSE_END.finditer(text)], found with str.find per character
    # (several times faster than any ``re`` scan of the text; tested equal)
    stop = len(text) if end is None else end
    bounds: list[int] = []
    find = text.find
    for ch in ";\n":
        p = find(ch, 0, stop)
        while p >= 0:
            bounds.append(p + 1)
            p = find(ch, p + 1, stop)
    for ch in ".!?":
        p = find(ch, 0, stop)
        while p >= 0:
            if text[p + 1:p + 2].isspace():
                bounds.append(p + 1)
            p = find(ch, p + 1, stop)
    bounds.sort()
    if bounds and '"' in text:
        for m in _QUOTED.finditer(text):
            s, e = m.start(), m.end()
            lo, hi = bisect.bisect_right(bounds, s), bisect.bisect_left(bounds, e)
            if lo < hi:
                del bounds[lo:hi]
    return bounds


def _units(text: str, tokens: list[TimeValue]) -> list[_Unit]:
    units: list[_Unit] = []
    i, n = 0, len(tokens)
    while i < n:
        a = tokens[i]
        if i + 1 < n:
            b = tokens[i + 1]
            gap = text[a.end:b.start]
            if len(gap) <= 12 and (_RANGE_GAP.fullmatch(gap) or (
                    _AND_GAP.fullmatch(gap) and _BETWEEN.search(text, max(0, a.start - 9),
                                                               a.start))):
                lo, hi = a.value, b.value
                if a.bare and b.unit is not None and b.kind == "num":
                    lo *= unit_factor(b.unit)
                elif b.bare and a.unit is not None and a.kind == "num":
                    hi *= unit_factor(a.unit)
                units.append(_Unit(a.start, b.end, lo, hi, True))
                i += 2
                continue
        unit = _Unit(a.start, a.end, a.value, a.value, False,
                     timelike=not (a.bare and a.is_int))
        i += 1
        # "0:00:05 (5 seconds)": a value restated in brackets right after is the same unit
        if i < n and tokens[i].value == a.value and _RESTATED.fullmatch(text, a.end,
                                                                          tokens[i].start):
            unit.end = tokens[i].end
            i += 1
        units.append(unit)
    return units


# the first word of every _CUE alternative: a cheap scan, then _CUE is matched at each hit
_CUE_START = re.compile(r"start|begin|began|onset|commenc|end|stop|finish|offset|conclud"
                        r"|until|till|up to|lasts|lasted|lasting|duration|length")


_SPACE_CUE_START = re.compile(b" (?:" + _CUE_START.pattern.encode() + b")")


def _cues(low: str, end: int | None = None) -> tuple[list[int], list[re.Match]]:
    """Every cue of the ASCII-lowered text in one left-to-right pass (non-overlapping, as
    ``_CUE.finditer``): (their end positions, the matches).  ``end``: only cues whose first
    word ends by then (a role reads only cues that end before its value, so the extractor
    passes the start of the last value; the cues before are the same, tested)."""
    found: list[re.Match] = []
    full = _CUE.pattern.match
    last_end = 0
    stop = len(low) if end is None else end
    if low.isascii():
        # the hits at a word start only: a first word after a non-word character.  Every
        # non-word character becomes a space (bytes, same offsets), then `` (?:start|...)``
        # is searched: a pattern opening with one literal character runs much faster in
        # ``re`` than one opening with an alternation (the same hits, tested)
        hits = [m.start() + 1 for m in _SPACE_CUE_START.finditer(spaced(low), 0, stop)]
        if _CUE_START.match(low, 0, stop):
            hits.insert(0, 0)
    else:
        hits = [h.start() for h in _CUE_START.finditer(low, 0, stop)]
    for i in hits:
        if i < last_end or (i and (low[i - 1].isalnum() or low[i - 1] == "_")):
            continue
        m = full(low, i)
        if m is not None:
            found.append(m)
            last_end = m.end()
    return [m.end() for m in found], found


def _role(low: str, left: int, pos: int, cues, has_from: bool = True,
          has_for: bool = True) -> tuple[str, bool, int]:
    """(role, labelled, cue position) of the value at ``pos`` from the cue words in
    ``low[left:pos]`` (``low``: the ASCII-lowered text; ``has_from``/``has_for``: False when
    the whole text has no ``from``/``for``, which skips looking)."""
    near = max(left, pos - 24)              # "from"/"for" right before the value only
    if has_from and low.find("from", near, pos) >= 0:
        m = _ADJ_START.search(low, left, pos, low=low)
        if m:
            return "start", False, m.start()
    if has_for and low.find("for", near, pos) >= 0:
        m = _ADJ_DUR.search(low, left, pos, low=low)
        if m:
            return "duration", False, m.start()
    ends, found = cues
    k = bisect.bisect_right(ends, pos) - 1
    if k < 0 or found[k].start() < left:
        return "point", False, -1
    last = found[k]
    kind = last.lastgroup
    if kind == "sfield" or kind == "efield":
        kind = "start" if kind == "sfield" else "end"
        labelled = _FIELD_TAIL.fullmatch(low, last.end(), pos) is not None
        return kind, labelled, last.start()
    return ("duration" if kind == "dur" else kind), False, last.start()


@dataclass(frozen=True)
class RoleIntervals:
    """Extractor: role-tagged time values, paired (rules in the module docstring)."""

    name: str = "role"
    RULES = ("start_end", "start_duration", "start_and_end", "point_end", "labelled")

    def extract(self, text: str, ctx: ParseContext,
                occupied: bytearray | None = None) -> list[Candidate]:
        tokens = scan_values(text, signed=True, keep_ambiguous=True)
        if len(tokens) < 2:
            return []                     # (the filter below only removes tokens)
        tokens = [t for t in tokens
                  if t.kind in ("num", "clock", "comp")
                  and (occupied is None or not occupied[t.start])
                  and not (t.is_int and t.unit is None and t.kind == "num"      # bare int
                           and _LIST_MARKER.match(text, t.end)
                           and _LINE_START.search(text, max(0, t.start - 8), t.start))]
        if len(tokens) < 2:
            return []
        low = lower_ascii(text)
        cues = _cues(low, tokens[-1].start)
        has_from, has_for = "from" in low, "for" in low
        if not cues[1] and not has_from and not has_for:
            return []                     # no cue word at all: every unit is a point
        units = _units(text, tokens)
        bounds = clause_bounds(text, units[-1].start)   # a unit reads bounds up to its start
        prev_end = 0
        for u in units:
            k = bisect.bisect_right(bounds, u.start) - 1
            clause = bounds[k] if k >= 0 else 0
            left = max(prev_end, clause, u.start - WINDOW)
            u.role, u.labelled, u.cue = _role(low, left, u.start, cues, has_from, has_for)
            if u.is_range and (u.cue < 0 or low.startswith("from", u.cue)):
                u.role = "range"          # "from 2 to 3 s": a whole interval, not a start
            prev_end = u.end
        out: list[Candidate] = []
        single = bool(ctx.opts.get("single_query", False))   # one queried event
        i, n = 0, len(units)
        while i < n - 1:
            u, v = units[i], units[i + 1]
            pair = None
            if v.start - u.end <= MAX_GAP:
                if u.role == "start" and v.role == "end":
                    pair = (u.lo, v.hi, "start_end")
                elif u.role == "start" and v.role == "duration" and not v.is_range:
                    pair = (u.lo, u.lo + v.lo, "start_duration")
                elif u.role == "both" and not u.is_range and not v.is_range \
                        and v.role in ("point", "end"):
                    pair = (u.lo, v.lo, "start_and_end")
                elif u.role == "duration" and v.role == "start" and not u.is_range \
                        and not v.is_range:
                    pair = (v.lo, v.lo + u.lo, "start_duration")
                elif u.role == "point" and v.role == "end" and not u.is_range and u.timelike \
                        and single:
                    pair = (u.lo, v.hi, "point_end")
            if pair is None:
                i += 1
                continue
            rule = "labelled" if (u.labelled and v.labelled) else pair[2]
            begin = u.cue if u.cue >= 0 else u.start
            out.append(Candidate(begin, v.end, pair[0], pair[1], rule,
                                 text=text[begin:v.end]))
            i += 2
        return out
