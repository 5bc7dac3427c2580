"""Speed shortcuts of the parser are proven equal to the full path (issue 11, item 4).

Each shortcut (a literal pre-check that skips a pattern, a plain-float metric path...) is run
against the path it replaces on the real-output corpus, ``tests/corpus/lalm_outputs.jsonl`` and
hypothesis-generated text built from the patterns' own words, and must give identical results.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timebench.parsing import absence

ROOT = Path(__file__).resolve().parent
CORPUS = ROOT / "corpus"


def _corpus_texts() -> list[str]:
    texts = []
    for path in sorted((CORPUS / "real").glob("*.jsonl")) + [CORPUS / "lalm_outputs.jsonl"]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if isinstance(row.get("text"), str):
                    texts.append(row["text"])
                    if row.get("prompt"):
                        texts.append(row["prompt"])
    return texts


TEXTS = _corpus_texts()


def _on_corpora_and_text(check_text, alphabet: str, max_size: int, examples: int = 2000):
    """Run ``check_text`` on every corpus text, then on hypothesis text from ``alphabet``."""
    for text in TEXTS:
        check_text(text)

    @settings(max_examples=examples, deadline=None)
    @given(st.text(alphabet=alphabet, max_size=max_size))
    def check(text):
        check_text(text)

    check()


def _on_corpora_and_soups(check_text, pieces: list[str], seps: list[str], max_size: int,
                          examples: int = 1500, ascii_only: bool = False):
    """Run ``check_text`` on every corpus text, then on ``pieces`` joined by one of ``seps``."""
    for text in TEXTS:
        if text.isascii() or not ascii_only:
            check_text(text)

    @settings(max_examples=examples, deadline=None)
    @given(st.lists(st.sampled_from(pieces), max_size=max_size), st.sampled_from(seps))
    def check(words, sep):
        check_text(sep.join(words))

    check()
NEEDLED = {"absent": absence._ABSENT, "affirm": absence._AFFIRM, "refusal": absence._REFUSAL}


def _vocabulary(fast) -> list[str]:
    """The words and word pieces of a pattern's source (with their apostrophes)."""
    return sorted(set(re.findall(r"[a-z']+", fast.original.pattern)) - {"", "'"})


@pytest.mark.parametrize("name", sorted(NEEDLED))
def test_needle_precheck_equals_the_pattern_on_the_corpora(name):
    fast = NEEDLED[name]
    assert fast.needles
    for text in TEXTS:
        a, b = fast.original.search(text), fast.search(text)
        assert (a and a.span()) == (b and b.span()), (name, text[:200])


@pytest.mark.parametrize("name", sorted(NEEDLED))
def test_needle_precheck_equals_the_pattern_on_generated_text(name):
    fast = NEEDLED[name]
    vocab = _vocabulary(fast)
    word = st.sampled_from(vocab).flatmap(
        lambda w: st.sampled_from([w, w.upper(), w.capitalize()]))

    @settings(max_examples=1500, deadline=None)
    @given(st.lists(word | st.text(alphabet="aeinost' .,\n", max_size=4), max_size=10),
           st.sampled_from([" ", "  ", "\n", ", "]))
    def check(words, sep):
        text = sep.join(words)
        a = fast.original.search(text)
        b = fast.search(text)
        assert (a and a.span()) == (b and b.span()), text
        if a is not None:   # a match holds a needle: the pre-check never skips a match
            assert any(n in a.group(0).lower() for n in fast.needles), text

    check()


@pytest.mark.parametrize("name", sorted(NEEDLED))
def test_every_string_the_pattern_matches_holds_a_needle(name):
    """Strings generated from the pattern itself (every alternative, any case) hold a needle:
    the pre-check can never skip a text the pattern would match."""
    fast = NEEDLED[name]

    @settings(max_examples=1500, deadline=None)
    @given(st.from_regex(fast.original, fullmatch=True))
    def check(text):
        m = fast.original.search(text)
        assert m is not None
        low = text.lower()
        assert any(n in low for n in fast.needles), text
        b = fast.search(text)
        assert b is not None and b.span() == m.span(), text

    check()


def test_clip_phrases_lowered_search_equals_the_pattern():
    """ClipPhrases searches its phrase pattern in the lowered ASCII text: same matches and
    the same groups as the case-insensitive pattern on the corpora and on generated text."""
    from timebench.parsing.relative import _KEYS, _PHRASE

    def same(text):
        if not text.isascii():
            return
        want = [(m.span(), m.group("edge") and m.group("edge").lower(),
                 m.group("half") and m.group("half").lower())
                for m in _PHRASE.original.finditer(text)]
        got = [(m.span(), m.group("edge"), m.group("half")) for m in _PHRASE.finditer(text)]
        assert got == want, text

    for text in TEXTS:
        same(text)
    vocab = _vocabulary(_PHRASE) + ["5 s", "10", "x", "The"]
    word = st.sampled_from(vocab).flatmap(
        lambda w: st.sampled_from([w, w.upper(), w.capitalize()]))

    @settings(max_examples=800, deadline=None)
    @given(st.lists(word | st.text(alphabet="aefhilrst 1.\n", max_size=4), max_size=10))
    def check(words):
        same(" ".join(words))

    check()

    @settings(max_examples=800, deadline=None)
    @given(st.from_regex(_PHRASE.original, fullmatch=True).filter(str.isascii),
           st.sampled_from(["", "a ", "The ", "x"]), st.sampled_from(["", " 5", "s", "."]))
    def check_generated(core, before, after):
        same(before + core + after)
        low = core.lower()     # the literal pre-check of ClipPhrases never skips a match
        assert any(k in low for k in _KEYS), core

    check_generated()


def test_clause_bounds_scan_equals_the_pattern():
    """roles.clause_bounds' character-class scan finds the ends of ``_CLAUSE_END``."""
    from timebench.parsing.roles import _CLAUSE_END, _QUOTED, clause_bounds

    def same(text):
        if '"' in text and _QUOTED.search(text):   # the quoted-span exception: cut equal
            whole = clause_bounds(text)
            for end in range(0, len(text) + 1, max(1, len(text) // 7)):
                assert clause_bounds(text, end) == [b for b in whole if b <= end], (text, end)
            return
        want = [m.end() for m in _CLAUSE_END.finditer(text)]
        assert clause_bounds(text) == want, text
        for end in range(0, len(text) + 1, max(1, len(text) // 7)):
            assert clause_bounds(text, end) == [b for b in want if b <= end], (text, end)

    _on_corpora_and_text(same, ".!?;\n \t\r\x0b\x1c\x85\xa0\u2028\u3000a1\"", 30)


def test_number_word_precheck_never_skips_a_match():
    """normalise._unit_after_number_word holds for every ASCII text the number-words pattern
    matches (so skipping the pattern when it is false changes nothing)."""
    from timebench.parsing import normalise
    from timebench.parsing.scalar import _SCALES, _SMALL, _TENS

    normalise.time_number_words("five seconds")          # builds the pattern
    pattern = normalise._NUMBER_WORDS

    def check_text(text):
        if text.isascii() and pattern.search(text):
            assert normalise._unit_after_number_word(text.lower()), text

    for text in TEXTS:
        check_text(text)
    words = [*_SMALL, *_TENS, *_SCALES, "and", "to", "or", "a", "x", "millisecond",
             "milliseconds", "second", "seconds", "secs", "sec", "minute", "mins", "hours",
             "hour", "the", "1", "until"]
    word = st.sampled_from(words).flatmap(
        lambda w: st.sampled_from([w, w.upper(), w.capitalize()]))

    @settings(max_examples=1500, deadline=None)
    @given(st.lists(word, max_size=8), st.lists(st.sampled_from([" ", "-", "", "  ", ", "]),
                                                min_size=8, max_size=8))
    def check(ws, seps):
        check_text("".join(w + s for w, s in zip(ws, seps)))

    check()

    @settings(max_examples=500, deadline=None)
    @given(st.from_regex(pattern, fullmatch=False).filter(str.isascii))
    def check_generated(text):
        check_text(text)

    check_generated()


def test_role_cues_up_to_the_last_value_give_the_same_candidates(monkeypatch):
    """RoleIntervals scans cue words only up to the last value: the same candidates as with
    every cue of the text, on the corpora and on generated cue/value soups."""
    from timebench.parsing import roles
    from timebench.parsing.context import ParseContext

    full_cues = roles._cues

    def run(text, whole):
        if whole:
            monkeypatch.setattr(roles, "_cues", lambda low, end=None: full_cues(low))
        else:
            monkeypatch.setattr(roles, "_cues", full_cues)
        out = []
        for single in (False, True):
            ctx = ParseContext(raw=text, text=text, duration=None, prompt=None, labels=None,
                               opts={"single_query": single})
            out.append([(c.start, c.end, c.onset, c.offset, c.rule)
                        for c in roles.RoleIntervals().extract(text, ctx)])
        return out

    def same(text):
        assert run(text, False) == run(text, True), text

    pieces = ["start", "starts at", "end", "ends at", "until", "lasts", "for", "from",
              "Start time:", "End time:", "start and end", "up to", "2.0", "3 s", "0:05", "4",
              "-", "to", ".", "\n", "and", "the", "duration", "untill", "lasting", "x"]
    _on_corpora_and_soups(same, pieces, [" ", "", "  "], 14)


def test_digit_comma_find_equals_the_pattern():
    """times._digit_comma (str.find for each comma) is ``_DIGIT_COMMA.search`` (``\\d,\\d``,
    ``\\d`` being any Unicode decimal digit: str.isdecimal, not str.isdigit)."""
    from timebench.parsing.times import _DIGIT_COMMA, _digit_comma

    def same(text):
        assert _digit_comma(text) == (_DIGIT_COMMA.search(text) is not None), text

    _on_corpora_and_text(same, ",,,19a .\u0661\u00b2\u2155\n", 12)


def test_strip_emphasis_find_equals_the_pattern_on_the_corpora():
    """normalise.strip_emphasis (marker runs found with str.find) removes what the emphasis
    pattern removes, on the corpora (generated text: tests/test_parsing_roles.py)."""
    from timebench.parsing.normalise import _EMPHASIS, strip_emphasis

    for text in TEXTS:
        assert strip_emphasis(text) == _EMPHASIS.sub("", text), text[:200]


@settings(max_examples=1500, deadline=None)
@given(st.one_of(st.none(), st.integers(0, 99)), st.integers(0, 99), st.integers(0, 99),
       st.sampled_from(["", ".5", ".25", ",000", ",250", ",5"]),
       st.sampled_from(["", "-", "at ", "(", "x"]), st.sampled_from(["", " s", "s", ".", " to"]))
def test_clock_values_read_in_line(h, mm, ss, frac, before, after):
    """The value scan reads clocks in line: a clock token's value is h*3600 + mm*60 + ss (an
    independent reading of the written digits), none when ss >= 60 or (with hours) mm >= 60."""
    from timebench.parsing.times import scan_values

    head = "" if h is None else f"{h:02d}:"
    text = f"{before}{head}{mm:02d}:{ss:02d}{frac}{after}"
    clocks = [t for t in scan_values(text, signed=True) if t.kind == "clock"]
    if frac.startswith(",") and len(frac) != 4:
        frac = ""                            # "ss,5" is no SubRip fraction: not part of it
    seconds = float(f"{ss:02d}{frac.replace(',', '.')}")
    valid = seconds < 60 and (h is None or mm < 60)
    if not valid or before == "x":           # "x00:01" touches a letter: no value at all
        assert clocks == [], text
        return
    assert len(clocks) == 1, text
    want = (0.0 if h is None else h * 3600.0) + mm * 60.0 + seconds
    sign = -1.0 if before == "-" else 1.0
    assert clocks[0].value == sign * want, text
    assert clocks[0].unit == "s" and not clocks[0].is_int


def test_time_values_compare_and_hash_by_value():
    """TimeValue is a plain slotted dataclass (faster to build than a frozen one): tokens
    still compare and hash by their fields."""
    from timebench.parsing.times import scan_values

    a, b = scan_values("1.5 s"), scan_values("1.5 s ")
    assert a == b and hash(a[0]) == hash(b[0]) and len({a[0], b[0]}) == 1


@pytest.mark.parametrize("name", sorted(NEEDLED))
def test_alternatives_split_back_into_the_pattern(name):
    """The per-alternative search splits the pattern at its top-level ``|`` exactly."""
    from timebench.parsing.fastre import top_level_alternatives

    fast = NEEDLED[name]
    alts = top_level_alternatives(fast.original.pattern)
    assert "|".join(alts) == fast.original.pattern
    assert len(alts) > 1 and fast.parts
    for alt in alts:
        re.compile(alt)                               # each one a whole regex
    assert "|".join(a for part, _ in fast.parts for a in [part.original.pattern]) \
        == fast.original.pattern
    assert top_level_alternatives(r"a(?:b|c)|[|(]d|\|e|f") == ["a(?:b|c)", "[|(]d", r"\|e", "f"]


@pytest.mark.parametrize("name", sorted(NEEDLED))
def test_every_string_an_alternative_matches_holds_its_needle(name):
    """Each run of alternatives is searched only when one of its own needles is in the text:
    strings generated from each run (any case) hold one of its needles, and the
    per-alternative search then finds the whole pattern's match."""
    fast = NEEDLED[name]
    for part, needles in fast.parts:

        @settings(max_examples=400, deadline=None)
        @given(st.from_regex(part.original, fullmatch=True),
               st.sampled_from(["", "x ", "Yes, ", "no. "]))
        def check(text, before):
            low = text.lower()
            assert any(n in low for n in needles), (part.original.pattern[:60], text)
            whole = before + text
            a, b = fast.original.search(whole), fast.search(whole)
            assert (a and a.span()) == (b and b.span()), whole

        check()


def test_value_matches_start_at_a_digit():
    """The value scan jumps to the next digit (``\\d``) before searching the value pattern:
    exact because no value match starts anywhere else (on the corpora and generated text)."""
    from timebench.parsing.times import _DIGIT, _VALUE_RE

    def check_text(text):
        pos = 0
        while True:
            m = _VALUE_RE.search(text, pos)
            if m is None:
                assert _DIGIT.search(text, pos) is None or all(
                    _VALUE_RE.match(text, d.start()) is None
                    for d in _DIGIT.finditer(text, pos)), text
                return
            assert _DIGIT.match(text, m.start()), text
            d = _DIGIT.search(text, pos)
            assert _VALUE_RE.search(text, d.start()).span() == m.span(), text
            pos = m.end()

    _on_corpora_and_text(check_text, "0159:.,-% smhinu\u0661\u00b2x", 20)


def test_cue_hits_on_spaced_bytes_equal_the_first_word_scan():
    """roles._cues finds first words of ASCII text on a copy whose non-word characters are
    spaces (`` (?:start|...)``): the same cues as the first-word alternation scan it replaces,
    for every cut-off ``end``, on the corpora and on generated cue soups."""
    from timebench.parsing.fastre import lower_ascii
    from timebench.parsing.roles import _CUE, _CUE_START, _cues

    def reference(low, end=None):
        found, last_end = [], 0
        for hit in _CUE_START.finditer(low, 0, len(low) if end is None else end):
            i = hit.start()
            if i < last_end or (i and (low[i - 1].isalnum() or low[i - 1] == "_")):
                continue
            m = _CUE.pattern.match(low, i)
            if m is not None:
                found.append(m)
                last_end = m.end()
        return [(m.span(), m.lastgroup) for m in found]

    def same(text):
        low = lower_ascii(text)
        for end in (None, *range(0, len(low) + 1, max(1, len(low) // 5))):
            got = [(m.span(), m.lastgroup) for m in _cues(low, end)[1]]
            assert got == reference(low, end), (text, end)

    pieces = ["start", "Start time:", "end", "(end", "*end*", "x_end", "9end", "up to",
              "until", "lasts", "lasting", "duration:", "-begin", "\nstop", "offset", "'till",
              "stared", "the", "0:05", "and", "&", "/", "ending", "é", "end\u00e9"]
    _on_corpora_and_soups(same, pieces, [" ", "", "\n"], 12)


def test_first_word_finditer_equals_the_scan_for_any_slice():
    """Fast.finditer with ``first_words`` (the pattern tried only where a first word starts a
    word) gives the matches of the plain lowered-text scan for every ``pos``/``endpos``."""
    from timebench.parsing.fastre import Fast
    from timebench.parsing.relative import _PHRASE

    plain = Fast(_PHRASE.original)
    assert _PHRASE.first_words is not None and plain.first_words is None

    def same(text):
        n = len(text)
        for pos in sorted({0, 1, n // 3, n // 2}):
            for end in sorted({n, n - 1, 2 * n // 3}):
                if end < pos:
                    continue
                got = [(m.span(), m.group("edge"), m.group("half"))
                       for m in _PHRASE.finditer(text, pos, end)]
                want = [(m.span(), m.group("edge"), m.group("half"))
                        for m in plain.finditer(text, pos, end)]
                assert got == want, (text, pos, end)

    words = ["the", "first", "last 5 s", "half", "whole clip", "throughout", "in", "for",
             "over the full audio", "x", "2", "-", "(", "the entire recording", "latter"]
    _on_corpora_and_soups(same, words, [" ", "", "_", "."], 10, examples=1000, ascii_only=True)


def test_presence_text_unchanged_since_normalise_is_the_folded_text(monkeypatch):
    """Conclude reads presence in the folded, collapsed text; when the text is still the object
    Normalise left (ASCII), it is used as it is: the same string folding and collapsing give,
    on the corpora (every interval pipeline, with and without the prompt) and generated text."""
    from timebench.parsing import conclude, parse
    from timebench.parsing.normalise import collapse_whitespace, fold_unicode

    full = conclude._presence_text
    seen = []

    def checked(ctx):
        got = full(ctx)
        assert got == collapse_whitespace(fold_unicode(ctx.text)), ctx.text[:200]
        seen.append(ctx.text is ctx.clean)
        return got

    monkeypatch.setattr(conclude, "_presence_text", checked)
    prompts = [None, "Give the start and end time, e.g. 'From 1.0 to 2.0 seconds'."]

    def run(text):
        for pipe in ("lenient", "strict", "spotsound", "timeaudio"):
            for prompt in prompts:
                parse(text, pipeline=pipe, prompt=prompt)

    _on_corpora_and_soups(run, ["No", "five", "seconds", "not", "heard", "  ", "\n", "\n\n",
                                " \n", "\t", "\u00a0", "\u2028", "**", "<s>", "From", "1.0",
                                "to", "2.0", "é", "\u79d2", "three-second", "cannot"],
                          ["", " ", "\n"], 10, examples=600)
    assert any(seen) and not all(seen)


def test_lower_ascii_keeps_only_the_last_text():
    """fastre.lower_ascii keeps its last result for the same text object; any other text
    (equal or not) is lowered afresh: A-Z only, offsets kept."""
    from timebench.parsing.fastre import lower_ascii

    texts = ["Start AT 1 s", "ÉTÉ Start", "Start AT 1 s", "x"]
    for _ in range(2):
        for text in texts:
            got = lower_ascii(text)
            assert got == "".join(c.lower() if "A" <= c <= "Z" else c for c in text)
            assert lower_ascii(text) is got
