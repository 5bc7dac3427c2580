"""Scalar answers for temporal QA: a number, one of the given options, or yes/no.

**number** (:func:`extract_number`): ``ParsedAnswer.value`` is a float.

* Number words are read first and replaced by digits (noted): ``zero`` … ``nineteen``, the
  tens, ``hundred``/``thousand`` compounds (``twenty-one``, ``one hundred and five``),
  ``a dozen`` = 12, ``once``/``twice``/``thrice`` = 1/2/3 (``a``/``an`` before ``hundred``
  counts as one).
* Then the time-value tokens of :mod:`timebench.parsing.times`: ``3`` -> 3.0, ``about 2.5
  seconds`` -> 2.5, ``1 minute 5 seconds`` -> 65.0, ``1:05`` -> 65.0, ``250 ms`` -> 0.25,
  ``2 min`` -> 120.0 (a unit converts to seconds; a plain number stays as written), ``50%``
  -> 50.0 (noted); comma numbers as in :mod:`timebench.parsing.times` (``2,5 s`` -> 2.5,
  ``1,500 ms`` -> 1.5; an ambiguous ``1,000`` is not read, noted).
* The value taken is the first one after an answer cue (``answer is``, ``answer:``,
  ``result is``, ``total of``); without a cue the first one; when several different values are
  present the note lists them (``2-3 times`` -> 2.0, noted).
* ``none``/``never``/``no`` (as a whole answer or ``no times``/``not at all``) -> 0.0 when no
  digit or number word is present.
* Nothing numeric -> failure.

**choice** (:func:`extract_choice`, needs the options as ``labels``):

1. the whole answer is an option letter (``B``, ``(B)``, ``B.``) -> that option;
2. options named in the text (case-insensitive, whole words, ``_``/``-`` as spaces, an option
   inside a longer mentioned option does not count): exactly one -> it; several -> the one
   right after a cue (``answer is``, ``option:``, ``the first is``, ``the earlier one was``,
   ``the correct one is``...) -> else failure with a note naming them;
3. an explicit letter (``(A)``, ``A.``/``A)`` at the start, ``answer: C``, ``option B``) when
   options are in order (A = first);
4. else failure.  ``ParsedAnswer.value`` is the option string as given.

**yesno** (:func:`extract_yesno`): the presence detector of :mod:`timebench.parsing.absence`
(first word, then absence phrases, then presence phrases); an answer that gives a time
interval counts as yes (noted).  ``value`` is ``True``/``False``.
"""

from __future__ import annotations

import bisect
import math
import re

from .absence import detect_presence
from .context import ParseContext
from .intervals import TokenIntervals, ambiguous_note, fmt, short
from .times import scan_values

__all__ = ["extract_number", "extract_choice", "extract_yesno", "words_to_numbers"]

_SMALL = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALES = {"hundred": 100, "thousand": 1000}
_MULT = {"once": 1, "twice": 2, "thrice": 3}
_NUM_WORD = "|".join(sorted([*_SMALL, *_TENS, *_SCALES], key=len, reverse=True))
_WORDS_RE = re.compile(
    rf"\b(?:(?:an?|one) (?=hundred|thousand))?(?:{_NUM_WORD})"
    rf"(?:(?:[- ]|[- ]and[- ])(?:{_NUM_WORD}))*\b"
    r"|\ba dozen\b|\b(?:once|twice|thrice)\b",
    re.IGNORECASE,
)
_CUE = re.compile(r"\b(?:answer|result)(?: is|:| =| would be)|\btotal(?: of| is|:)",
                  re.IGNORECASE)
_ZERO = re.compile(r"^\W*(?:none|never|no|zero|nothing)\W*$|\bno times\b|\bnot at all\b|"
                   r"\bnever\b|\bnone\b", re.IGNORECASE)


def _words_value(phrase: str) -> float | None:
    low = phrase.lower()
    if low in _MULT:
        return float(_MULT[low])
    if low == "a dozen":
        return 12.0
    total, current = 0, 0
    for w in re.split(r"[- ]+", low):
        if w in ("and", ""):
            continue
        if w in ("a", "an"):
            current = max(current, 1)
        elif w in _SMALL:
            current += _SMALL[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        elif w == "thousand":
            total += max(current, 1) * 1000
            current = 0
    return float(total + current)


def words_to_numbers(text: str) -> tuple[str, list[str]]:
    """Replace number words by digits; ``twice`` -> ``2 times``.  Returns (text, replaced)."""
    done: list[str] = []

    def repl(m: re.Match) -> str:
        v = _words_value(m.group(0))
        if v is None:  # pragma: no cover - every match has a value
            return m.group(0)
        done.append(m.group(0))
        s = fmt(v)
        return f"{s} times" if m.group(0).lower() in _MULT else s

    return _WORDS_RE.sub(repl, text), done


def extract_number(ctx: ParseContext) -> None:
    """Set ``ctx.value`` to the answer's number (rules in the module docstring)."""
    text, words = words_to_numbers(ctx.text)
    if words:
        ctx.note("number words: " + ", ".join(f"'{short(w)}'" for w in words[:5]))
    tokens = scan_values(text, keep_ambiguous=True)
    ambiguous = [t.text for t in tokens if t.kind == "amb"]
    if ambiguous:
        ctx.note(ambiguous_note(ambiguous))
        tokens = [t for t in tokens if t.kind != "amb"]
    if not tokens:
        if _ZERO.search(text):
            ctx.value = 0.0
            ctx.note("no number; 'none'/'never' read as 0")
            return
        ctx.failed = True
        ctx.reason = "no_value"
        ctx.note("no number found")
        return
    chosen = tokens[0]
    cue = _CUE.search(text)
    if cue is not None:
        after = [t for t in tokens if t.start >= cue.end()]
        if after:
            chosen = after[0]
            ctx.note(f"took the number after '{short(cue.group(0))}'")
    value = chosen.value * 100.0 if chosen.kind == "pct" else chosen.value
    if chosen.kind == "pct":
        ctx.note(f"percentage {short(chosen.text)} read as {fmt(value)}")
    distinct = []
    for t in tokens:
        if t.value not in distinct:
            distinct.append(t.value)
    if len(distinct) > 1:
        ctx.note("several numbers (" + ", ".join(short(t.text) for t in tokens[:5])
                 + f"); took '{short(chosen.text)}'")
    if not math.isfinite(value):
        ctx.failed = True
        ctx.reason = "no_value"
        ctx.note(f"rejected non-finite number '{short(chosen.text)}'")
        return
    ctx.value = value
    ctx.note(f"number '{short(chosen.text)}' -> {fmt(value)}")


# --------------------------------------------------------------------------------- choice ----
_LETTER_ONLY = re.compile(r"^\W{0,3}\(?([A-Za-z])\)?\W{0,3}$")
_LETTER_FORMS = re.compile(
    r"\(([A-Za-z])\)|^\W{0,3}([A-Z])[.):](?:\s|$)"
    r"|\b(?:answer|option|choice)(?: is)?:? \(?([A-Z])\b\)?(?![\w'])",
    re.IGNORECASE,
)
_CHOICE_CUE = re.compile(
    r"\b(?:answer|option|choice)(?: is|:| would be| =)"
    r"|\b(?:first|earlier|earliest|last|later|latest|longer|longest|shorter|shortest|louder|"
    r"loudest|quieter|correct|right|second|former|latter)(?: one| sound| event| option)?"
    r" (?:is|was|would be|comes|came|occurs|occurred|happens|happened)\b",
    re.IGNORECASE,
)


def _option_pattern(option: str) -> re.Pattern:
    words = re.findall(r"[^\W_]+", option)
    body = r"[\s_-]+".join(re.escape(w) for w in words) if words else re.escape(option)
    return re.compile(rf"(?<![\w]){body}(?![\w])", re.IGNORECASE)


def extract_choice(ctx: ParseContext) -> None:
    """Set ``ctx.value`` to the option named by the answer (rules in the module docstring)."""
    options = ctx.labels or ()
    text = ctx.text
    m = _LETTER_ONLY.match(text)
    if m and m.group(1).upper() in _letters(len(options)):
        ctx.value = options[ord(m.group(1).upper()) - 65]
        ctx.note(f"option letter {m.group(1).upper()}")
        return
    spans: list[tuple[int, int, int]] = []  # (start, end, option index)
    for k, opt in enumerate(options):
        for mm in _option_pattern(opt).finditer(text):
            spans.append((mm.start(), mm.end(), k))
    spans = _outermost(spans)
    named = sorted({k for _, _, k in spans})
    if len(named) == 1:
        ctx.value = options[named[0]]
        ctx.note("one option named")
        return
    if len(named) > 1:
        starts = [s[0] for s in spans]
        for cue in _CHOICE_CUE.finditer(text):
            j = bisect.bisect_left(starts, cue.end())
            if j < len(spans) and spans[j][0] - cue.end() <= 40:
                ctx.value = options[spans[j][2]]
                ctx.note("several options named; took the one after "
                         f"'{short(cue.group(0))}'")
                return
    letters = set()
    for lm in _LETTER_FORMS.finditer(text):
        letter = next(g for g in lm.groups() if g is not None).upper()
        if letter in _letters(len(options)):
            letters.add(letter)
    if len(letters) == 1 and not named:
        letter = letters.pop()
        ctx.value = options[ord(letter) - 65]
        ctx.note(f"option letter {letter}")
        return
    ctx.failed = True
    ctx.reason = "no_value"
    if named:
        ctx.note("several options named without a deciding cue: "
                 + ", ".join(f"'{short(options[k])}'" for k in named))
    elif letters:
        ctx.note("several option letters: " + ", ".join(sorted(letters)))
    else:
        ctx.note("no option named")


def _outermost(spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Drop spans lying inside a strictly longer span (``dog`` inside ``dog barking``)."""
    spans = sorted(spans, key=lambda s: (s[0], -s[1], s[2]))
    out = []
    best_end, best_start = -1, -1
    for s in spans:
        inside = best_end > s[1] or (best_end == s[1] and best_start < s[0])
        if not inside:
            out.append(s)
        if s[1] > best_end:
            best_end, best_start = s[1], s[0]
    return out


def _letters(n: int) -> str:
    return "".join(chr(65 + i) for i in range(min(n, 26)))


# --------------------------------------------------------------------------------- yes/no ----
_TOKENS = TokenIntervals()


def extract_yesno(ctx: ParseContext) -> None:
    """Set ``ctx.value`` to True/False (rules in the module docstring)."""
    found = detect_presence(ctx.text)
    if found is not None:
        kind, cue = found
        ctx.value = kind == "affirmed"
        ctx.note(f"{'yes' if ctx.value else 'no'}: '{short(cue)}'")
        return
    probe = _probe_context(ctx)
    if _TOKENS.extract(ctx.text, probe):
        ctx.value = True
        ctx.note("yes: the answer gives a time interval")
        return
    ctx.failed = True
    ctx.reason = "no_value"
    ctx.note("no yes/no answer found")


def _probe_context(ctx: ParseContext) -> ParseContext:
    """A throw-away context with the same options, so probing leaves ``ctx.notes`` alone."""
    return ParseContext(raw=ctx.raw, text=ctx.text, duration=ctx.duration, prompt=None,
                        labels=None, opts=ctx.opts)
