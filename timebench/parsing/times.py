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

* a number must not touch a letter, digit or ``.`` on its left, nor a colon that follows a
  digit (``v1.2``, ``x12``, the ``5`` of ``1..5``, the ``400`` of ``1e400`` and the ``75`` of
  ``0:75`` are not tokens; ``Start:12.3`` and ``时间段:12.0`` are);
* a plain number must not be followed by a letter, ``_``, a digit or ``.d``/``:d``
  (``1.2.3`` and ``2nd`` give no token; ``1..5`` gives only ``1``);
* CJK characters (Han, kana, Hangul) are not letters for these two rules: Chinese and Japanese
  write numbers glued to words (``出现在3.5秒到6.2秒之间``);
* in a clock ``mm`` and ``ss`` must be below 60 (``0:75`` is not a clock); the fraction of
  seconds is ``.f`` or, SubRip style, a comma and exactly three digits (``00:00:01,000``);
* ``m`` alone is a minute unit only inside a composite (``1m5s``), never on its own
  (``5 m`` could be metres);
* numbers are converted with ``float`` (never ``int``), so 10**400-digit strings give
  ``inf`` instead of raising; callers reject non-finite values.

Seconds are also recognised in German, French, Spanish/Portuguese and Italian (``Sekunden``,
``Sek``, ``secondes``, ``segundos``, ``secondi``...); the Chinese units are folded to ASCII by
:mod:`timebench.parsing.normalise` (``秒`` -> ``s``, ``毫秒`` -> ``ms``, ``分钟`` -> ``min``).

**Signs** (``signed=True``, used by the interval extractors): a ``-`` directly before the digits
is a minus sign when it starts the text or follows white space or one of ``([{,;:="'``, and the
text since the previous token is not white space only.  So ``-3.5 - 4.2`` and
``from -3.5 to 4.2`` start at -3.5 (later clipped to 0, noted), while in ``1.0 -2.0`` and
``1 --2`` the dash is a connector and ``COVID-19`` or ``Event-1`` have no sign.

**Commas between digits** (a run ``d,d`` with no space, e.g. ``2,5`` or ``1,200``) are read
once per answer:

1. inside brackets (``(1,2)``, ``[3,4]``) or between two ranges (``1-2,3-4``): a list, each
   number on its own (as without this rule);
2. one comma and 1-2 digits after it (``2,5``, ``12,25``): a **decimal comma** when a unit
   follows it or its range partner (``2,5 s``, ``2,5 - 4,0 Sekunden``), or when the answer
   writes no ``.`` decimals at all (``2,5 - 4,0``); otherwise ambiguous;
3. groups of exactly three digits (``1,200``, ``12,000,000``, ``1,200.5``): **thousands
   separators** when a unit follows it or its range partner (``1,200 ms``), or when a ``.``
   fraction follows; otherwise ambiguous (``1,200`` is 1.2 in German);
4. anything else (``1,2,3``, ``12,3456``): a list.

An ambiguous run gives no number at all (``keep_ambiguous=True`` returns it as a token of kind
``"amb"`` so the caller can note it), which turns a would-be wrong interval (``5 - 4`` out of
``2,5 - 4,0``) into a failure with a note.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["TimeValue", "scan_values", "unit_factor", "VALUE_KINDS", "CJK", "CONNECT"]

VALUE_KINDS = ("num", "clock", "comp", "pct")

#: Character ranges of scripts written without spaces between words (Han, kana, Hangul...):
#: their letters do not block a number boundary.
CJK = ("\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
       "\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\U00020000-\U0003134f")
_WORDCH = rf"[^\W{CJK}]"   # a letter, digit or "_" that is not CJK
#: A range connector between two values (``-``, ``-->``, ``~``, ``to``, ``until``...).
CONNECT = r" ?(?:-+>?|=>|~|to|until|till|through|thru) ?"

_NUMBER = r"\d+(?:\.\d+)?"
_FINAL_UNIT = (
    r"(?:milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h"
    r"|sekunden?|sek|secondes?|segundos?|segs?|secondi|secondo)"
)
_LEFT = rf"(?<![.])(?<!{_WORDCH})(?<!\d:)"          # what may not touch a number's left side

_VALUE_RE = re.compile(
    rf"(?=\d){_LEFT}(?:"  # the look-ahead lets the engine skip non-digits quickly
    # [h:]mm:ss[.f] (or SubRip ss,fff), with an optional unit word that is ignored
    r"(?P<clock>(?:(?P<ch>\d{1,2}):)?(?P<cm>\d{1,2}):(?P<cs>\d{2}(?:\.\d+|,\d{3}(?!\d))?))"
    rf"(?: ?(?:seconds?|secs?|s|minutes?|mins?)(?![a-z]))?(?!{_WORDCH}|:|\.\d)"
    r"|"
    # optional hour part, optional minute part, then the final number with its unit
    rf"(?:(?P<h>{_NUMBER}) ?(?:hours?|hrs?|h)(?![a-z]),? ?(?:and )?)?"
    rf"(?:(?P<m>{_NUMBER}) ?(?:minutes?|mins?|m)(?![a-z]),? ?(?:and )?)?"
    rf"(?P<num>{_NUMBER})"
    rf"(?:(?: ?(?P<unit>{_FINAL_UNIT})| ?(?P<pct>%|percent|per cent))(?![a-z0-9])"
    rf"|(?!{_WORDCH}|[.:]\d))"
    r")",
    re.IGNORECASE,
)

# A plain number with an optional unit: used when a composite match turns out to be invalid.
_SIMPLE_RE = re.compile(
    rf"(?P<num>{_NUMBER})"
    rf"(?:(?: ?(?P<unit>{_FINAL_UNIT})| ?(?P<pct>%|percent|per cent))"
    rf"(?![a-z0-9])|(?!{_WORDCH}|[.:]\d))",
    re.IGNORECASE,
)

# Digits joined by commas (no spaces): "2,5", "1,200", "1,200.5", "1,2,3".
_COMMA_RUN = re.compile(
    rf"(?<![\d.,]){_LEFT}(?P<int>\d+(?:,\d+)+)(?P<frac>\.\d+)?(?![\d,]|\.\d)")
_WORD_AFTER = re.compile(_WORDCH)
_SUFFIX_RE = re.compile(
    rf" ?(?:(?P<unit>{_FINAL_UNIT})|(?P<pct>%|percent|per cent))(?![a-z0-9])", re.IGNORECASE)
_PARTNER_UNIT = re.compile(
    rf"{CONNECT}\d+(?:[.,]\d+)*(?: ?(?:{_FINAL_UNIT}|%|percent))(?![a-z0-9])", re.IGNORECASE)
_RANGE_BEFORE = re.compile(rf"\d{CONNECT}$", re.IGNORECASE)
_RANGE_AFTER = re.compile(rf"{CONNECT}\d", re.IGNORECASE)
_DOT_DECIMAL = re.compile(r"\d\.\d")
_DIGIT_COMMA = re.compile(r"\d,\d")
_DIGIT = re.compile(r"\d")
_SIGN_BEFORE = frozenset(" \t\n([{,;:=\"'")


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


_CODES = {None: None, 0.001: "ms", 1.0: "s", 60.0: "min", 3600.0: "h"}
_CODE_OF: dict[str, str | None] = {}    # unit word as written -> code (a pure function)
#: seconds per unit code
_FACTOR = {None: 1.0, "ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0}


def _unit_code(unit: str | None) -> str | None:
    if not unit:
        return None
    code = _CODE_OF.get(unit)
    if code is None:
        code = _CODES[unit_factor(unit)]
        if len(_CODE_OF) < 4096:        # unit words are few; bounded all the same
            _CODE_OF[unit] = code
    return code


@dataclass(slots=True, unsafe_hash=True)
class TimeValue:
    """One time-like token of the text.

    ``value`` is in seconds, except for ``kind == "pct"`` where it is a fraction (0.2 for 20 %).
    ``unit`` is ``None`` for a plain number (seconds are assumed), else one of
    ``"ms" | "s" | "min" | "h"``; clocks and composites carry ``"s"``.  Kind ``"amb"`` (only
    with ``keep_ambiguous=True``) is a comma number that cannot be read safely; its ``value``
    is NaN and it must never be used as a time.
    """

    start: int
    end: int
    value: float
    kind: str
    unit: str | None
    is_int: bool
    text: str
    # (not frozen: a frozen dataclass costs ~0.5 us more per token to build; no code changes
    # a token after it is made, _signed builds a new one; equality and hash are kept)

    @property
    def bare(self) -> bool:
        """A plain number with no unit, clock or percent sign."""
        return self.kind == "num" and self.unit is None


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
        value *= _FACTOR[unit]
    return TimeValue(m.start(), m.end(), value, "num", unit, is_int, m.group(0))


def _digit_comma(text: str) -> bool:
    """``_DIGIT_COMMA.search(text) is not None`` (``\\d,\\d``), with str.find: a comma is
    rarer than any character a regex scan must test (``\\d`` is ``str.isdecimal``)."""
    p = text.find(",", 1)             # a comma at 0 has no digit before it
    while p >= 0:
        if text[p - 1].isdecimal() and text[p + 1:p + 2].isdecimal():
            return True
        p = text.find(",", p + 1)
    return False


def _comma_runs(text: str) -> dict[int, TimeValue]:
    """Comma runs that are one number (start -> token) or ambiguous (start -> ``amb`` token);
    list-like runs are left out, so their digits are read one by one (module docstring)."""
    out: dict[int, TimeValue] = {}
    if not _digit_comma(text):
        return out
    dot_decimals = _DOT_DECIMAL.search(text) is not None
    for m in _COMMA_RUN.finditer(text):
        s, e = m.start(), m.end()
        groups = m.group("int").split(",")
        frac = m.group("frac")
        before = text[max(0, s - 2):s].rstrip(" ")[-1:]      # one space allowed: "( 1,2 )"
        after = text[e:e + 2].lstrip(" ")[:1]
        if before and before in "([" and after and after in ")]":
            continue                                   # (1,2): a pair
        if _RANGE_BEFORE.search(text, max(0, s - 12), s) and _RANGE_AFTER.match(text, e):
            continue                                   # 1-2,3-4: two ranges
        suffix = _SUFFIX_RE.match(text, e)
        if suffix is None and _WORD_AFTER.match(text, e):
            continue                                   # 2,5x: not a number
        unit_near = suffix is not None or _PARTNER_UNIT.match(text, e) is not None
        if len(groups) == 2 and len(groups[1]) <= 2 and frac is None:
            if dot_decimals and not unit_near:
                out[s] = TimeValue(s, e, math.nan, "amb", None, False, m.group(0))
                continue
            number = f"{groups[0]}.{groups[1]}"
        elif len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]):
            if not (unit_near or frac is not None):
                out[s] = TimeValue(s, e, math.nan, "amb", None, False, m.group(0))
                continue
            number = "".join(groups) + (frac or "")
        else:
            continue                                   # 1,2,3: a list
        value = float(number)
        is_int = "." not in number
        end = e
        kind, unit = "num", None
        if suffix is not None:
            end = suffix.end()
            if suffix.group("pct"):
                kind, value = "pct", value / 100.0
            else:
                unit = _unit_code(suffix.group("unit"))
                value *= unit_factor(unit)
        out[s] = TimeValue(s, end, value, kind, unit, is_int, text[s:end])
    return out


def _signed(text: str, tok: TimeValue, last_end: int) -> TimeValue:
    """``tok`` with a leading minus sign when the ``-`` before it is one (module docstring)."""
    p = tok.start - 1
    if p < 0 or text[p] != "-":
        return tok
    if p > 0 and text[p - 1] not in _SIGN_BEFORE:
        return tok
    if last_end >= 0 and not text[last_end:p].strip():
        return tok                                     # "1.0 -2.0": a connector
    return TimeValue(p, tok.end, 0.0 - tok.value, tok.kind, tok.unit, tok.is_int, text[p:tok.end])


_LAST: tuple = (None, None)      # (key, tokens) of the latest call: extractors share a scan


def scan_values(text: str, *, signed: bool = False,
                keep_ambiguous: bool = False) -> list[TimeValue]:
    """Return every time-value token of ``text`` in order of position (see module doc).

    ``signed``: read minus signs; ``keep_ambiguous``: return ambiguous comma numbers as
    tokens of kind ``"amb"`` (value NaN) instead of leaving them out.  The latest result is
    kept, so several extractors reading the same text scan it once (callers must not change
    the returned list).
    """
    global _LAST
    key = (text, signed, keep_ambiguous)
    last_key, last_tokens = _LAST
    if last_key is not None and last_key[1:] == key[1:] and last_key[0] == text:
        return last_tokens
    out = _scan(text, signed, keep_ambiguous)
    _LAST = (key, out)
    return out


def _scan(text: str, signed: bool, keep_ambiguous: bool) -> list[TimeValue]:
    out: list[TimeValue] = []
    commas = _comma_runs(text) if "," in text else None
    pos = 0
    last_end = -1
    search = _VALUE_RE.search
    append = out.append

    def emit(tok: TimeValue | None) -> None:
        nonlocal last_end
        if tok is None:
            return
        if tok.kind == "amb":
            if keep_ambiguous:
                append(tok)
        else:
            if signed:
                tok = _signed(text, tok, last_end)
            append(tok)
        last_end = tok.end

    digit = _DIGIT.search
    while True:
        # a value starts at a digit ((?=\d)): jump there with a plain character-class scan,
        # which ``re`` runs several times faster than the value pattern's position-by-position
        # attempts (the same matches: none can start before the next digit)
        d = digit(text, pos)
        if d is None:
            break
        m = search(text, d.start())
        if m is None:
            break
        start = m.start()
        if commas and start in commas:
            tok = commas[start]
            emit(tok)
            pos = tok.end
            continue
        clock, ch, cm, cs, h, mi, num, unit_word, pct = m.groups()
        end = m.end()
        if clock is not None:
            # [h:]mm:ss[.f] (what _clock reads, in line)
            ss = float(cs.replace(",", ".") if "," in cs else cs)
            mm = float(cm)
            if ss < 60 and (ch is None or mm < 60):
                v = (0.0 if ch is None else float(ch) * 3600.0) + mm * 60.0 + ss
                tok = TimeValue(start, end, v, "clock", "s", False, text[start:end])
                if signed and start and text[start - 1] == "-":
                    tok = _signed(text, tok, last_end)
                append(tok)
                last_end = tok.end
            pos = end
            continue
        if h is None and mi is None:
            # a plain number (what _from_number reads), emitted in line: the common case
            value = float(num)
            is_int = "." not in num
            if pct:
                tok = TimeValue(start, end, value / 100.0, "pct", None, is_int, text[start:end])
            elif unit_word is None:
                tok = TimeValue(start, end, value, "num", None, is_int, text[start:end])
            else:
                unit = _unit_code(unit_word)
                value *= _FACTOR[unit]
                tok = TimeValue(start, end, value, "num", unit, is_int, text[start:end])
            if signed and start and text[start - 1] == "-":
                tok = _signed(text, tok, last_end)
            append(tok)
            last_end = tok.end
            pos = end
            continue
        # Composite: the final part needs a unit smaller than the parts before it.
        final_unit = _unit_code(m.group("unit")) if m.group("unit") else None
        smaller = {"h": ("min", "s", "ms"), "min": ("s", "ms")}
        last_prefix = "min" if mi is not None else "h"
        if m.group("pct") or final_unit not in smaller[last_prefix]:
            tok, pos = _simple(text, m.start())
            emit(tok)
            continue
        total = float(m.group("num")) * unit_factor(final_unit)
        if h is not None:
            total += float(h) * 3600.0
        if mi is not None:
            total += float(mi) * 60.0
        emit(TimeValue(m.start(), m.end(), total, "comp", "s", False, m.group(0)))
        pos = m.end()
    return out
