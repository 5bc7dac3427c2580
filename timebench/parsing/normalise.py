"""Text normalisers: run before any extractor, each returns the new text and its notes.

* :func:`clean_text`: model-output wrappers and Unicode.  Keeps the inside of an
  ``<answer>…</answer>`` block when there is one, removes ``<think>…</think>`` reasoning blocks
  and end-of-sequence markers (``</s>``, ``<|im_end|>``, ``<|endoftext|>``, ``<pad>``, ...),
  removes markdown emphasis markers (runs of ``*``, and of ``_`` at a word edge:
  ``**Start:**`` -> ``Start:``; a ``*`` between two digits stays), then :func:`fold_unicode`:
  deletes invisible format characters (zero-width (non-)joiners U+200C/U+200D, word joiner
  U+2060, BOM U+FEFF, soft hyphen, bidirectional marks and overrides: the parser reads what a
  reader sees) and turns the zero-width space U+200B (a word boundary) into a space, applies
  NFKC (full-width digits and punctuation such as ``：`` become ASCII), folds every Unicode
  dash and minus (U+2010–U+2015, U+2212, ...) to ``-``, curly quotes to straight ones, ``→``
  to ``->``, the CJK range words 至/到 to `` to ``, 〜/～ to ``~``, 秒 to
  `` s``, 毫秒/分钟/小时 after a number to ``ms``/``min``/``h``, 从/從/自 before a number to
  ``from``, 在 before a number to ``at``, and drops the ordinal 第 before a number and 之间
  after a time (``从第3秒到第5秒`` -> ``from 3 s to 5 s``); and collapses runs of
  spaces/tabs to one space and blank-line runs to one ``\\n`` (so no later pattern ever sees a
  long run of whitespace, which rules out quadratic backtracking on whitespace).
* :func:`decode_time_tokens`: TimeAudio's time-marker vocabularies, exactly as its
  ``models/utils.py`` decodes them:

  - **v3** ``decode_time_answer_v3``: each run of ``<a_d>``/``<f_d>`` tokens (whitespace allowed
    between tokens of a run) becomes one number: the ``a`` digits are the integer part, the
    ``f`` digits the fraction (either defaults to ``0``), printed with one decimal:
    ``<a_1><a_2><f_5>`` -> ``12.5``, ``<a_3> <f_2>`` -> ``3.2``; then ``\\s+-\\s+`` -> `` - `` and
    ``\\s+,\\s*`` -> ``, ``.  (The lenient pipeline ends a run at a line break; the original,
    used by the ``timeaudio`` pipeline, lets one run continue over it.)
  - **v2** ``decode_time_answer_v2``: ``<TIME_d>`` -> ``d``, ``<TIME_DOT>`` -> ``.``, then the
    same white-space clean-ups as the original (``1 0 . 5`` -> ``10.5``).  The clean-ups run only
    when a v2 token was present (they would damage ordinary text).
  - **v1** ``decode_time_answer_v1``: a run of adjacent ``<12.5>`` tokens (no space between)
    is replaced by the sum of its values with one decimal.  timebench addition: two runs
    separated only by white space, ``-``, ``to`` or ``,`` are an interval and become
    ``X - Y`` (``<12.3> <15.0>`` -> ``12.3 - 15.0``); the original left ``12.3 15.0``.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["clean_text", "decode_time_tokens", "fold_unicode", "collapse_whitespace",
           "strip_emphasis", "fold_fractions"]

#: Invisible format characters (Unicode category Cf that carry no text), deleted.
_INVISIBLE = ("\u00ad\u061c\u180e\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d"
              "\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u206a\u206b"
              "\u206c\u206d\u206e\u206f\ufeff")

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d"
_TRANSLATE = {ord(c): "-" for c in _DASHES}
_TRANSLATE.update({
    ord("\u2018"): "'", ord("\u2019"): "'", ord("\u201c"): '"', ord("\u201d"): '"',
    ord("\u2192"): "->", ord("\u27f6"): "->", ord("\u301c"): "~",
    ord("\u81f3"): " to ", ord("\u5230"): " to ", ord("\u79d2"): " s ",
    ord("\u00a0"): " ", ord("\u3000"): " ", ord("\u200b"): " ",
})
_TRANSLATE.update({ord(c): None for c in _INVISIBLE})
# CJK time words next to a number (run after NFKC, before the one-character folds above)
_CJK_WORDS = re.compile(
    r"(?<=\d) ?(?P<ms>毫秒)|(?<=\d) ?(?P<min>分钟|分鐘|分)|(?<=\d) ?(?P<h>小时|小時)"
    r"|(?P<from>[从從自])(?= ?第?[-\d])|(?P<at>在)(?= ?第?\d)|(?P<nth>第)(?= ?\d)"
    r"|(?<=[\d秒]) ?(?P<between>之间|之間)")
_CJK_REPL = {"ms": " ms ", "min": " min ", "h": " h ", "from": " from ", "at": " at ",
             "nth": " ", "between": " "}
_EMPHASIS = re.compile(r"(?<![\d*])\*+|\*+(?![\d*])|(?<!\w)_+|_+(?!\w)")

_ANSWER_BLOCK = re.compile(r"<answer>(.*?)(?:</answer>|$)", re.IGNORECASE | re.DOTALL)
_THINK_BLOCK = re.compile(r"<think>.*?(?:</think>|$)", re.IGNORECASE | re.DOTALL)
_SPECIAL = re.compile(
    r"<\|[A-Za-z0-9_]{1,40}\|>|</?s>|<pad>|<unk>|<eos>|<bos>|\[PAD\]|\[/?INST\]",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[^\S\n]+")
_SPACE_RUNS = re.compile(r"[^\S\n]{2,}|[^\S\n ]")   # what _SPACES changes: not single spaces
_NEWLINE_RUN = re.compile(r"\n\s+")
_NEWLINES = re.compile(r" ?\n[\s]*")


def fold_unicode(text: str) -> str:
    """Invisible characters out, NFKC, then the dash/quote/arrow/CJK folding described in the
    module docstring."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        if not text.isascii():
            text = _CJK_WORDS.sub(lambda m: _CJK_REPL[m.lastgroup], text)
        text = text.translate(_TRANSLATE)
    return text


def strip_emphasis(text: str) -> str:
    """Remove markdown emphasis markers: runs of ``*`` (not one between two digits) and runs
    of ``_`` at a word edge (``Alarm_bell_ringing`` and ``<a_1>`` are untouched).

    The same as ``_EMPHASIS.sub("", text)``: a maximal run of ``*`` goes unless a digit stands
    on both sides, a run of ``_`` unless a word character does (property-tested); the runs
    are found with ``str.find``, much faster than any ``re`` scan (let alone the look-behinds)."""
    star, under = text.find("*"), text.find("_")
    if star < 0 and under < 0:
        return text
    n = len(text)
    cuts: list[tuple[int, int]] = []          # the runs that go
    for ch, p in (("*", star), ("_", under)):   # str.find: much faster than a regex scan
        while p >= 0:
            e = p + 1
            if e < n and text[e] == ch:
                e = _MARKER_RUN.match(text, p).end()
            before = text[p - 1] if p else ""
            after = text[e] if e < n else ""
            if ch == "*":
                keep = before.isdecimal() and after.isdecimal()     # = \d on both sides
            else:
                keep = _wordch(before) and _wordch(after)
            if not keep:
                cuts.append((p, e))
            p = text.find(ch, e)
    if not cuts:
        return text
    cuts.sort()
    parts: list[str] = []
    last = 0
    for s, e in cuts:
        parts.append(text[last:s])
        last = e
    parts.append(text[last:])
    return "".join(parts)


_MARKER_RUN = re.compile(r"\*+|_+")


def _wordch(ch: str) -> bool:
    return ch != "" and (ch.isalnum() or ch == "_")


def collapse_whitespace(text: str) -> str:
    """Runs of spaces/tabs -> one space; any run containing newlines -> one ``\\n``."""
    # (fast checks first: most text has single spaces only)
    # ASCII white space other than " " and "\n" (\t \r \f \v \x1c-\x1f) is not printable;
    # line breaks are checked apart, so multi-line answers skip the substitution too
    if "  " in text or not text.isascii() or not (
            text.isprintable() or text.replace("\n", "").isprintable()):
        text = _SPACE_RUNS.sub(" ", text)
    if "\n" in text:
        text = _NEWLINE_RUN.sub("\n", text.replace(" \n", "\n"))
    return text.strip()


#: vulgar fraction characters -> their value (NFKC would turn "1½" into "11⁄2": wrong digits)
_VULGAR = {"\u00bd": 1 / 2, "\u00bc": 1 / 4, "\u00be": 3 / 4, "\u2153": 1 / 3,
           "\u2154": 2 / 3, "\u2155": 1 / 5, "\u2156": 2 / 5, "\u2157": 3 / 5,
           "\u2158": 4 / 5, "\u2159": 1 / 6, "\u215a": 5 / 6, "\u215b": 1 / 8,
           "\u215c": 3 / 8, "\u215d": 5 / 8, "\u215e": 7 / 8, "\u2150": 1 / 7,
           "\u2151": 1 / 9, "\u2152": 1 / 10, "\u2189": 0.0}
_VULGAR_RE = re.compile(r"(?<![\d.])(?:(\d+) ?)?([" + "".join(_VULGAR) + r"])")
# "1⁄2" written with the fraction slash U+2044 (or the division slash U+2215)
_SLASH_RE = re.compile(r"(?<![\d.])(\d+)[\u2044\u2215](\d+)(?![\d.])")
# superscript/subscript digits glued to a number ("10²"): NFKC would make them digits
_SUPER_RE = re.compile(r"\d+(?:\.\d+)?[\u00b2\u00b3\u00b9\u2070-\u2079\u2080-\u2089]+")


def fold_fractions(text: str) -> tuple[str, list[str]]:
    """Unicode number forms read right or not at all (before NFKC): ``1½`` / ``1 ½`` -> 1.5,
    ``½`` -> 0.5, ``3⁄4`` -> 0.75; a number with superscript or subscript digits (``10²``)
    is replaced by ``?`` (unreadable), noted.  Returns (text, notes)."""
    notes: list[str] = []
    read: list[str] = []

    def vulgar(m: re.Match) -> str:
        value = float(m.group(1) or 0) + _VULGAR[m.group(2)]
        read.append(f"'{m.group(0)}' -> {value:.6g}")
        return f"{value:.6g}"

    def slash(m: re.Match) -> str:
        den = float(m.group(2))
        if den == 0:
            return m.group(0)
        value = float(m.group(1)) / den
        read.append(f"'{m.group(0)}' -> {value:.6g}")
        return f"{value:.6g}"

    text = _VULGAR_RE.sub(vulgar, text)
    text = _SLASH_RE.sub(slash, text)
    if read:
        notes.append("fraction(s) read: " + ", ".join(read[:5])
                     + (f" (+{len(read) - 5} more)" if len(read) > 5 else ""))
    bad = _SUPER_RE.findall(text)
    if bad:
        text = _SUPER_RE.sub(" ? ", text)
        notes.append("number(s) with superscript/subscript digits not read: "
                     + ", ".join(f"'{b[:20]}'" for b in bad[:5]))
    return text, notes


def clean_text(text: str) -> tuple[str, list[str]]:
    """Remove output wrappers, fold Unicode and collapse white space; return (text, notes)."""
    notes: list[str] = []
    if not text.isascii():
        text, notes = fold_fractions(text)
    if "<" in text:
        if "<think>" in text.lower():
            stripped = _THINK_BLOCK.sub(" ", text)
            if stripped != text:
                notes.append("removed <think> block")
                text = stripped
        m = _ANSWER_BLOCK.search(text)
        if m is not None:
            notes.append("used <answer> block")
            text = m.group(1)
        stripped = _SPECIAL.sub(" ", text)
        if stripped != text:
            notes.append("removed special tokens")
            text = stripped
    return collapse_whitespace(fold_unicode(strip_emphasis(text))), notes


# ---------------------------------------------------------------- TimeAudio time tokens ----
_V3_TOKEN = r"<(?:a|f)_\d+>"
_V3_RUN = re.compile(rf"({_V3_TOKEN}(?:\s*{_V3_TOKEN})*)")
_V3_RUN_LINE = re.compile(rf"({_V3_TOKEN}(?:[ \t]*{_V3_TOKEN})*)")
_V3_A = re.compile(r"<a_(\d+)>")
_V3_F = re.compile(r"<f_(\d+)>")
_HYPHEN_SPACING = re.compile(r"\s+-\s+")
_COMMA_SPACING = re.compile(r"\s+,\s*")

_V2_TOKEN = re.compile(r"<TIME_\d+>|<TIME_DOT>")

_V1_RUN_RE = re.compile(r"(?:<\d+\.\d>)+")
_V1_JOIN = re.compile(r" ?(?:-|to|,) ?| ", re.IGNORECASE)
_V1_VALUE = re.compile(r"<(\d+\.\d)>")


def _v3_decode(m: re.Match) -> str:
    seq = m.group(0)
    whole = "".join(_V3_A.findall(seq)) or "0"
    frac = "".join(_V3_F.findall(seq)) or "0"
    return f"{float(f'{whole}.{frac}'): .1f}".strip()


def _v2_clean(text: str) -> str:
    def repl(m: re.Match) -> str:
        tok = m.group(0)
        return "." if tok == "<TIME_DOT>" else tok[6:-1]

    out = _V2_TOKEN.sub(repl, text)
    out = re.sub(r"\s{2,}", " ", out)
    out = re.sub(r"(\d)\s*\.\s*(\d)", r"\1.\2", out)
    out = re.sub(r"(?<=\d)\s+(?=\d)", "", out)
    out = re.sub(r"\s*,\s*", ", ", out)
    out = re.sub(r"\s*-\s*", " - ", out)
    out = re.sub(r"\s+\.", ".", out)
    return out.strip()


def _v1_sum(run: str) -> str:
    return f"{sum(float(v) for v in _V1_VALUE.findall(run)):.1f}"


def decode_time_tokens(text: str, *, versions: tuple[str, ...] = ("v3", "v2", "v1"),
                       pair_v1: bool = True, exact_v3: bool = True) -> tuple[str, list[str]]:
    """Decode TimeAudio time-marker tokens (see module docstring); return (text, notes).

    ``exact_v3=False`` (the lenient pipeline) ends a v3 run at a line break, where the original
    joins ``<a_1><f_0>\\n<a_2><f_0>`` into one number.
    """
    notes: list[str] = []
    if "v3" in versions and exact_v3:
        # the original always applies its spacing clean-up, tokens or not
        text, n = _V3_RUN.subn(_v3_decode, text) if "_" in text else (text, 0)
        text = _COMMA_SPACING.sub(", ", _HYPHEN_SPACING.sub(" - ", text))
        if n:
            notes.append(f"decoded {n} TimeAudio v3 time-token run(s)")
    if "<" not in text:
        return text, notes
    if "v3" in versions and not exact_v3 and ("<a_" in text or "<f_" in text):
        new, n = _V3_RUN_LINE.subn(_v3_decode, text)
        if n:
            new = _HYPHEN_SPACING.sub(" - ", new)
            new = _COMMA_SPACING.sub(", ", new)
            notes.append(f"decoded {n} TimeAudio v3 time-token run(s)")
            text = new
    if "v2" in versions and "<TIME_" in text:
        new = _v2_clean(text)
        if new != text:
            notes.append("decoded TimeAudio v2 time tokens")
            text = new
    if "v1" in versions and "<" in text:
        runs = list(_V1_RUN_RE.finditer(text))
        if runs:
            parts: list[str] = []
            last = 0
            i = 0
            while i < len(runs):
                m = runs[i]
                parts.append(text[last:m.start()])
                nxt = runs[i + 1] if i + 1 < len(runs) else None
                if (pair_v1 and nxt is not None
                        and _V1_JOIN.fullmatch(text, m.end(), nxt.start())):
                    parts.append(f"{_v1_sum(m.group(0))} - {_v1_sum(nxt.group(0))}")
                    last = nxt.end()
                    i += 2
                    continue
                parts.append(_v1_sum(m.group(0)))
                last = m.end()
                i += 1
            parts.append(text[last:])
            text = "".join(parts)
            notes.append(f"decoded {len(runs)} TimeAudio v1 time-token run(s)")
    return text, notes


# ------------------------------------------------------------------------ number words -----
def _number_words_re() -> re.Pattern:
    from .scalar import _NUM_WORD

    word = rf"(?:{_NUM_WORD})(?:(?:[- ]|(?<=hundred) and |(?<=thousand) and )(?:{_NUM_WORD}))*"
    unit = r"(?:milliseconds?|seconds?|secs?|minutes?|mins?|hours?)\b"
    return re.compile(
        rf"\b(?P<a>{word})(?:(?P<gap> ?(?:-|to|and|until|through|or) ?)(?P<b>{word}))?"
        rf"(?=(?: |-){unit})", re.IGNORECASE)


_NUMBER_WORDS: re.Pattern | None = None
_NUMBER_KEYS = re.compile(r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                          r"teen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
                          r"thousand)[ -]")


_UNIT_STARTS = ("milli", "sec", "min", "hour")   # how every unit of _number_words_re begins
_NUMBER_WORD_TUPLE: tuple[str, ...] | None = None


def _unit_after_number_word(low: str) -> bool:
    """Whether the lowered ASCII text has a unit word right after a number word and a space
    or ``-`` (``five seconds``, ``ten-second``): every match of the number-words pattern ends
    so, so a text without one has no match (tested)."""
    global _NUMBER_WORD_TUPLE
    if _NUMBER_WORD_TUPLE is None:
        from .scalar import _SCALES, _SMALL, _TENS
        _NUMBER_WORD_TUPLE = (*_SMALL, *_TENS, *_SCALES)
    words = _NUMBER_WORD_TUPLE
    for key in _UNIT_STARTS:
        p = low.find(key, 2)
        while p >= 0:
            if low[p - 1] in " -" and low.endswith(words, 0, p - 1):
                return True
            p = low.find(key, p + 1)
    return False


def time_number_words(text: str) -> tuple[str, list[str]]:
    """Number words that count time units become digits: ``five seconds`` -> ``5 seconds``,
    ``from two to four seconds`` -> ``from 2 to 4 seconds``, ``the ten-second mark`` ->
    ``the 10-second mark``.  Number words not followed by a time unit are left alone (``one of
    the dogs``).  Returns (text, notes)."""
    global _NUMBER_WORDS
    low = text.lower()
    if not ("sec" in low or "min" in low or "hour" in low):
        return text, []                          # case-sensitive literals: fast pre-checks
    if text.isascii():
        if not _unit_after_number_word(low):
            return text, []
    elif _NUMBER_KEYS.search(low) is None:
        return text, []
    if _NUMBER_WORDS is None:
        _NUMBER_WORDS = _number_words_re()
    from .scalar import _words_value

    done: list[str] = []

    def value(phrase: str) -> str:
        v = _words_value(phrase)
        return phrase if v is None else f"{v:.6g}"

    def repl(m: re.Match) -> str:
        done.append(m.group(0))
        out = value(m.group("a"))
        if m.group("b"):
            out += m.group("gap") + value(m.group("b"))
        return out

    new = _NUMBER_WORDS.sub(repl, text)
    if not done:
        return text, []
    return new, ["number words read: " + ", ".join(f"'{d[:30]}'" for d in done[:5])]
