"""Interval extractors: turn time-value tokens (or raw regex matches) into candidate intervals.

:class:`TokenIntervals` (the lenient and strict extractor) looks at each pair of consecutive
time-value tokens ``a``, ``b`` (see :mod:`timebench.parsing.times`) and the text ``gap``
between them, and tries these rules, left to right over the text (a token belongs to at most
one interval):

=============  =====================================================  ============================
rule           condition                                              example
=============  =====================================================  ============================
``start_end``  ``start``/``begin``/``onset`` (+ ``time``, one          ``starts at 12.3 and ends at
               ``-ing`` word or ``to`` + word, ``:``, ``at``,         15``; ``Start time: 0.8 s /
               ``is``...) right before ``a``, and ``gap`` is ≤60      End time: 1.1 s``; ``starts
               non-digit characters ending with ``end``/``stop``/     barking at 1.2s and stops
               ``finish``/``offset`` (+ the same)                     at 2.4s``
``from_to``    ``from`` right before ``a``; ``gap`` is ``-``, ``to``,  ``from 12.3 to 15.0 seconds``
               ``until``, ``till``, ``through``, ``~`` or ``->``
``between``    ``between`` right before ``a``; ``gap`` is ``and``,    ``between 3 and 5 s``
               ``&``, ``-`` or ``to``
``range``      ``gap`` is one of the ``from_to`` connectors           ``12.3s - 15s``, ``0:18 -
                                                                      0:23``, ``12.3–15.0``
``bracket``    ``[`` or ``(`` before ``a``, ``gap`` is ``,`` or       ``[12.30, 15.00]``,
               ``;``, and ``]``/``)`` after ``b``                     ``[[1, 2], [3, 4]]``
=============  =====================================================  ============================

Because a gap must *be* a connector (not merely contain one), ``into``/``tomato`` can never act
as ``to`` (the lmms-eval ``.replace("to", "-")`` bug), ``1. 12.3 - 15.0`` gives 12.3-15.0 (the
list number ``1`` is followed by ``. ``, not a connector), and ``0:18 - 0:23`` is one pair of
clock tokens (18-23, never 18-0).

Units: a plain number borrows the unit of its partner (``from 1 to 2 minutes`` -> 60-120 s;
``12.3 - 15 s``); plain numbers are seconds.  Percentages make a *relative* candidate (fractions
of the clip, converted later by :mod:`timebench.parsing.relative`); a percentage paired with a
plain number makes both percentages; paired with a time unit it is rejected (noted).

Numbers are read with their minus sign and comma rules (:func:`~.times.scan_values` with
``signed=True``): ``from -3.5 to 4.2`` is -3.5..4.2 (clipped to 0 later, noted); an ambiguous
comma number (``2,5`` in an answer that also writes ``1.5``) is never read, and is noted.

Rejections (each noted):

* **counts**: two plain integers joined by ``from_to``/``between``/``range`` and followed by a
  word that is neither a function word nor a word of the task's label vocabulary (``2-3 dogs
  bark``, ``between 2 and 3 people``), or directly by a CJK character (``2到3只狗``: Chinese
  times always carry a unit, ``3到5秒``); ``2-3 seconds`` has a unit and is kept,
  ``12.5-15 dog`` has a decimal and is kept; ``12-15 dog barking`` is (knowingly) rejected;
* **version numbers**: a pair right after ``version``/``ver``/``v``/``release``/``python``;
* **single time points**: a token with a time unit, a clock, or right after ``at`` that is in
  no interval (``at 12.3 s``) is not an interval; with the option ``point_window = w`` it becomes
  ``[t - w, t + w]`` (TimeChat's dense-captioning convention), otherwise it is noted (and an
  answer with nothing else is read as a presence claim without a window, ``affirmed``);
* stray plain numbers in no interval are listed in one note, ambiguous comma numbers in
  another (``ambiguous comma number(s) not read: '2,5'``).

Every fragment quoted in a note is cut to :data:`NOTE_FRAGMENT` characters (:func:`short`).

:class:`RegexPairs` wraps one fixed regex with two groups (onset, offset) for pipelines that
reproduce another harness exactly (SpotSound/RELTWIN, TimeAudio).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .times import CJK, CONNECT, TimeValue, scan_values, unit_factor

if TYPE_CHECKING:  # pragma: no cover
    from .context import ParseContext

__all__ = ["Candidate", "TokenIntervals", "RegexPairs", "RULES", "fmt", "short",
           "NOTE_FRAGMENT", "ambiguous_note"]

RULES = ("start_end", "from_to", "between", "range", "bracket")
MAX_NOTE_ITEMS = 5
#: Longest text fragment a note quotes (longer ones are cut, with an ellipsis).
NOTE_FRAGMENT = 60


def fmt(x: float) -> str:
    """Short, stable number formatting for notes (``12.3``, ``15``, ``inf``)."""
    return f"{x:.6g}"


def short(text: str, limit: int = NOTE_FRAGMENT) -> str:
    """``text`` cut to at most ``limit`` characters, the last one an ellipsis when cut."""
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


@dataclass(slots=True)
class Candidate:
    """One interval found in the text, before repairs.

    ``start``/``end`` are character offsets of the whole match (keywords and units included) in
    the text the extractor saw; captions are read from the text outside these spans.
    ``relative`` means ``onset``/``offset`` are fractions of the clip duration; ``from_end``
    means they are seconds before the end of the clip (``the last 3 s``).  ``fixed_label``
    is set when the source itself says the label (a JSON ``"label"`` field): caption attachment
    then leaves it alone.
    """

    start: int
    end: int
    onset: float
    offset: float
    rule: str
    label: str | None = None
    relative: bool = False
    fixed_label: bool = False
    text: str = ""
    from_end: bool = False


# --------------------------------------------------------------------------- patterns -----
_RANGE_GAP = re.compile(CONNECT, re.IGNORECASE)
_BETWEEN_GAP = re.compile(r" ?(?:and|&|-|to) ?", re.IGNORECASE)
_BRACKET_GAP = re.compile(r" ?[,;] ?")
_FROM_PREFIX = re.compile(r"\bfrom ?$", re.IGNORECASE)
_BETWEEN_PREFIX = re.compile(r"\bbetween ?$", re.IGNORECASE)
_OPEN_PREFIX = re.compile(r"[\[(] ?$")
_CLOSE_SUFFIX = re.compile(r" ?[\])]")
_FILLER = r"(?:(?:is|was|=|:|at|around|about|approximately|roughly|of|~|-)\s?){0,3}"
# "starts barking at", "begins to ring at": one -ing word or "to" + a word after the verb
_VERB_OBJECT = r"(?: (?:to [a-z]+|[a-z]+ing))?"
_START_PREFIX = re.compile(
    r"\b(?:start(?:s|ed|ing)?|begin(?:s|ning)?|began|onset)"
    r"(?:[ _-]?(?:time|timestamp|point|second))?" + _VERB_OBJECT
    + r"[\"']?\s?" + _FILLER + r"[\"']?$",
    re.IGNORECASE,
)
_END_GAP = re.compile(
    r"[^\d]{0,60}?\b(?:end(?:s|ed|ing)?|finish(?:es|ed|ing)?|stop(?:s|ped|ping)?|offset)"
    r"(?:[ _-]?(?:time|timestamp|point|second))?" + _VERB_OBJECT
    + r"[\"']?\s?" + _FILLER + r"[\"']?",
    re.IGNORECASE,
)
_VERSION_PREFIX = re.compile(
    r"\b(?:versions?|ver\.?|v|release|python|rev|revision) ?$", re.IGNORECASE)
_AT_PREFIX = re.compile(r"\b(?:at|around|about|approximately|@) ?$", re.IGNORECASE)
_NEXT_WORD = re.compile(r" ?([A-Za-z]+)")
_NEXT_CJK = re.compile(rf" ?([{CJK}])")

# Words that may follow a plain-number interval without making it a count ("2-3 the dog ...").
FUNCTION_WORDS = frozenset("""
a an the and or but nor so then than when while where whereas as at by for from in into of off on
onto out over per to up with within without during after before until till since through is are
was were be been being it its this that these those there here which who what we i you he she
they also again both each every all any some no not only just about approximately roughly around
near nearly exactly sec secs second seconds min mins minute minutes hour hours ms s timestamp
timestamps time times
""".split()) - {"times"}


def _prefix(pattern: re.Pattern, text: str, pos: int, window: int = 48) -> re.Match | None:
    return pattern.search(text, max(0, pos - window), pos)


@dataclass(frozen=True)
class TokenIntervals:
    """Interval extractor over time-value tokens (rules in the module docstring).

    ``rules``: which rules to try, in this priority order for each token pair.
    ``kinds``: token kinds allowed (``num``, ``clock``, ``comp``, ``pct``).
    ``units``: when given, the only units a ``num`` token may carry (``None`` = no unit).
    ``connector``: regex for the ``range`` gap (``strict`` uses ``" ?- ?"``).
    """

    rules: tuple[str, ...] = RULES
    kinds: tuple[str, ...] = ("num", "clock", "comp", "pct")
    units: tuple[str | None, ...] | None = None
    connector: str | None = None
    name: str = "text"
    _range_gap: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        unknown = set(self.rules) - set(RULES)
        if unknown:
            raise ValueError(f"unknown interval rule(s) {sorted(unknown)}; known: {RULES}")
        gap = re.compile(self.connector, re.IGNORECASE) if self.connector else _RANGE_GAP
        object.__setattr__(self, "_range_gap", gap)

    # ------------------------------------------------------------------------------------
    def _allowed(self, tok: TimeValue) -> bool:
        if tok.kind not in self.kinds:
            return False
        return self.units is None or tok.kind != "num" or tok.unit in self.units

    def _match_rule(self, text: str, a: TimeValue, b: TimeValue) -> tuple[str, int] | None:
        """Return (rule, span start) when ``a``-``b`` is an interval, else ``None``."""
        gap = text[a.end:b.start]
        if len(gap) > 80:
            return None
        rules = self.rules
        if "start_end" in rules and _END_GAP.fullmatch(gap):
            m = _prefix(_START_PREFIX, text, a.start)
            if m is not None:
                return "start_end", m.start()
        is_range_gap = self._range_gap.fullmatch(gap) is not None
        if "from_to" in rules and is_range_gap:
            m = _prefix(_FROM_PREFIX, text, a.start, 8)
            if m is not None:
                return "from_to", m.start()
        if "between" in rules and _BETWEEN_GAP.fullmatch(gap):
            m = _prefix(_BETWEEN_PREFIX, text, a.start, 10)
            if m is not None:
                return "between", m.start()
        if "range" in rules and is_range_gap:
            return "range", a.start
        if "bracket" in rules and _BRACKET_GAP.fullmatch(gap):
            m = _prefix(_OPEN_PREFIX, text, a.start, 3)
            if m is not None and _CLOSE_SUFFIX.match(text, b.end):
                return "bracket", m.start()
        return None

    def _values(self, a: TimeValue, b: TimeValue) -> tuple[float, float, bool] | str:
        """Onset, offset and relativity of the pair, or the reason it is rejected."""
        if a.kind == "pct" or b.kind == "pct":
            other = b if a.kind == "pct" else a
            if other.kind == "pct":
                return a.value, b.value, True
            if other.bare:
                scale = 100.0
                av = a.value if a.kind == "pct" else a.value / scale
                bv = b.value if b.kind == "pct" else b.value / scale
                return av, bv, True
            return "mixed percent and time units"
        av, bv = a.value, b.value
        if a.bare and b.unit is not None and b.kind == "num":
            av *= unit_factor(b.unit)
        elif b.bare and a.unit is not None and a.kind == "num":
            bv *= unit_factor(a.unit)
        return av, bv, False

    def extract(self, text: str, ctx: ParseContext,
                occupied: bytearray | None = None) -> list[Candidate]:
        """Candidates in order of position; ``occupied`` marks spans taken by other extractors.

        ``ctx.vocab``: lower-cased words of the task's label vocabulary; a plain-integer pair
        followed by one of them is an interval with a label (``0-3 Speech``), not a count.
        """
        vocab = ctx.vocab
        tokens = [t for t in scan_values(text, signed=True, keep_ambiguous=True)
                  if occupied is None or not occupied[t.start]]
        out: list[Candidate] = []
        used = [False] * len(tokens)
        counts: list[str] = []
        versions: list[str] = []
        mixed: list[str] = []
        count_filter = bool(ctx.opts.get("count_filter", True))
        i = 0
        n = len(tokens)
        while i < n - 1:
            a, b = tokens[i], tokens[i + 1]
            if not (self._allowed(a) and self._allowed(b)):
                i += 1
                continue
            hit = self._match_rule(text, a, b)
            if hit is None:
                i += 1
                continue
            rule, span_start = hit
            if rule != "start_end" and _prefix(_VERSION_PREFIX, text, a.start, 12):
                versions.append(text[a.start:b.end])
                used[i] = used[i + 1] = True
                i += 2
                continue
            if (count_filter and rule in ("from_to", "between", "range")
                    and a.bare and b.bare and a.is_int and b.is_int):
                w = _NEXT_WORD.match(text, b.end) or _NEXT_CJK.match(text, b.end)
                word = w.group(1).lower() if w is not None else ""
                if word and word not in FUNCTION_WORDS and word not in vocab:
                    counts.append(text[a.start:w.end()].strip())
                    i += 2
                    used[i - 2] = used[i - 1] = True
                    continue
            vals = self._values(a, b)
            if isinstance(vals, str):
                mixed.append(text[a.start:b.end])
                i += 1
                continue
            onset, offset, relative = vals
            end = b.end
            if rule == "bracket":
                close = _CLOSE_SUFFIX.match(text, b.end)
                end = close.end() if close else end
            out.append(Candidate(span_start, end, onset, offset, rule, relative=relative,
                                 text=text[span_start:end]))
            used[i] = used[i + 1] = True
            i += 2
        for label, items in (("rejected count", counts), ("rejected version number", versions),
                             ("rejected mixed units", mixed)):
            if items:
                ctx.note(_listing(label, items))
        self._points(text, tokens, used, ctx, out)
        return out

    def _points(self, text: str, tokens: list[TimeValue], used: list[bool],
                ctx: ParseContext, out: list[Candidate]) -> None:
        window = ctx.opts.get("point_window")
        points: list[TimeValue] = []
        stray: list[TimeValue] = []
        ambiguous: list[TimeValue] = []
        for tok, u in zip(tokens, used, strict=False):
            if u:
                continue
            if tok.kind == "amb":
                ambiguous.append(tok)
                continue
            timelike = tok.kind in ("clock", "comp") or (tok.kind == "num" and tok.unit)
            if timelike or (tok.kind == "num" and _prefix(_AT_PREFIX, text, tok.start, 16)):
                points.append(tok)
            else:
                stray.append(tok)
        if points:
            ctx.flags.add("time_point")
            if window:
                w = float(window)
                for tok in points:
                    out.append(Candidate(tok.start, tok.end, tok.value - w, tok.value + w,
                                         "point", text=tok.text))
                out.sort(key=lambda c: c.start)
                ctx.note(_listing(f"widened single time point(s) by +/-{fmt(w)} s",
                                      [fmt(t.value) for t in points]))
            else:
                ctx.note(_listing("single time point(s) not taken as intervals",
                                      [fmt(t.value) for t in points]))
        if stray:
            ctx.note(_listing("ignored stray number(s)", [t.text for t in stray]))
        if ambiguous:
            ctx.flags.add("ambiguous")
            ctx.note(ambiguous_note([t.text for t in ambiguous]))


def ambiguous_note(items: list[str]) -> str:
    """The note for comma numbers left unread (``ambiguous comma number(s) not read: '2,5'``)."""
    return _listing("ambiguous comma number(s) not read", items, quote=True)


def _listing(label: str, items: list[str], *, quote: bool = False) -> str:
    shown = ", ".join(f"'{short(s)}'" if quote or not _is_number(s) else short(s)
                      for s in items[:MAX_NOTE_ITEMS])
    more = f" (+{len(items) - MAX_NOTE_ITEMS} more)" if len(items) > MAX_NOTE_ITEMS else ""
    return f"{label}: {shown}{more}"


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class RegexPairs:
    """Every match of one fixed regex whose groups ``onset_group``/``offset_group`` are numbers.

    Used by the pipelines that reproduce another harness's parser byte for byte; no rejection
    rules are applied beyond what the regex itself encodes.
    """

    pattern: re.Pattern
    name: str
    onset_group: int = 1
    offset_group: int = 2

    def extract(self, text: str, ctx: ParseContext,
                occupied: bytearray | None = None) -> list[Candidate]:
        out = []
        for m in self.pattern.finditer(text):
            if occupied is not None and occupied[m.start()]:
                continue
            out.append(Candidate(m.start(), m.end(), float(m.group(self.onset_group)),
                                 float(m.group(self.offset_group)), self.name,
                                 text=m.group(0)))
        return out
