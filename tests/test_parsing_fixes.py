"""Regression tests for the parser bugs found by fuzzing (brief H10), and the rules behind them.

Each expected value is read off the input text by hand (the comment says how when it is not
plain); nothing is produced by the code under test.  Lenient pipeline, 30 s clips unless said.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from timebench.parsing import parse
from timebench.parsing.context import MAX_NOTE_CHARS, ParseContext
from timebench.parsing.intervals import NOTE_FRAGMENT, short
from timebench.parsing.normalise import clean_text, strip_emphasis
from timebench.parsing.times import scan_values

D = 30.0


def spans(ans) -> list[tuple[float, float]]:
    return [(round(e.onset, 6), round(e.offset, 6)) for e in ans.events]


def has_note(ans, fragment: str) -> bool:
    return any(fragment in n for n in ans.notes)


# ------------------------------------------------------------------- the brief's bug table --
BRIEF = [
    ("00:00:01,000 --> 00:00:03,500", [(1.0, 3.5)]),          # SubRip: ss,mmm
    ("2,5 - 4,0 Sekunden", [(2.5, 4.0)]),                      # decimal commas, German unit
    ("1,200 ms - 2,400 ms", [(1.2, 2.4)]),                     # 1200 ms, 2400 ms
    ("-3.5 - 4.2", [(0.0, 4.2)]),                              # -3.5 clipped to 0
    ("from -3.5 to 4.2 seconds", [(0.0, 4.2)]),
    (("Sure! I listened to the whole clip carefully. The dog barks from 1.2 to 2.4 seconds, "
      "and again from 7.8 to 9.1 seconds."), [(1.2, 2.4), (7.8, 9.1)]),
    ("2.0\u200b - 4.5", [(2.0, 4.5)]),                         # zero-width space
    ("2.0\u200d-\u200d4.5", [(2.0, 4.5)]),                     # zero-width joiners
    ("狗叫声出现在3.5秒到6.2秒之间。", [(3.5, 6.2)]),          # numbers glued to CJK
    ("从3.5秒到6.2秒", [(3.5, 6.2)]),
    ("时间段：12.0-15.5秒", [(12.0, 15.5)]),                   # full-width colon
    ("| Start | End |\n|-------|-----|\n| 2.5 | 4.0 |\n| 10.0 | 12.5 |",
     [(2.5, 4.0), (10.0, 12.5)]),
    ("**Start:** 00:02.5 **End:** 00:04.0", [(2.5, 4.0)]),
    ("starts at 1.2s and stops at 2.4s", [(1.2, 2.4)]),
    ("The dog starts barking at 1.2s and stops at 2.4s.", [(1.2, 2.4)]),
]


@pytest.mark.parametrize("text,expected", BRIEF)
def test_brief_cases(text, expected):
    ans = parse(text, duration=D)
    assert spans(ans) == expected, ans.notes
    assert not ans.failed and not ans.absent and not ans.affirmed


def test_negative_onset_is_clipped_and_noted_like_json():
    for text in ("-3.5 - 4.2", "from -3.5 to 4.2 seconds", "[[-3.5, 4.2]]", "(-3.5, 4.2)"):
        ans = parse(text, duration=D)
        assert spans(ans) == [(0.0, 4.2)], text
        assert has_note(ans, "clipped onset -3.5 -> 0"), (text, ans.notes)


# ------------------------------------------------------------------------------ minus signs --
@pytest.mark.parametrize("text,expected", [
    ("1.0 -2.0", [(1.0, 2.0)]),          # the dash follows a number: a connector, not a sign
    ("5 -10 seconds", [(5.0, 10.0)]),
    ("1.0 --2.0", [(1.0, 2.0)]),         # a dash before the dash: a connector
    ("COVID-19 alarms from 2 to 4 s", [(2.0, 4.0)]),    # '-' after a letter: no sign
    ("Event-1: 1.0 - 2.0", [(1.0, 2.0)]),
    ("t=-1.0 to 2.0", [(0.0, 2.0)]),     # '=' before the dash: a sign; -1 clipped to 0
])
def test_minus_sign_rules(text, expected):
    assert spans(parse(text, duration=D)) == expected


def test_wholly_negative_interval_is_dropped_not_mirrored():
    ans = parse("-5 to -2 s", duration=D)          # both ends clip to 0: nothing left
    assert ans.failed and not ans.events
    assert has_note(ans, "dropped -5--2: empty after clipping")


def test_signed_zero_never_reaches_an_event():
    for text in ("[[-0.0, 1]]", "from -0 to 1 s"):
        ans = parse(text, duration=D)
        assert spans(ans) == [(0.0, 1.0)]
        assert math.copysign(1.0, ans.events[0].onset) == 1.0, text


# ------------------------------------------------------------------------ commas in numbers --
@pytest.mark.parametrize("text,expected", [
    ("2,5 - 4,0", [(2.5, 4.0)]),                       # no '.' decimal anywhere: decimal
    ("between 1,5 and 2,5 seconds", [(1.5, 2.5)]),
    ("0,5 - 1,5 s; 2.0 - 3.0 s", [(0.5, 1.5), (2.0, 3.0)]),   # a unit decides despite '.'
    ("1,25 - 3,5 s", [(1.25, 3.5)]),                   # two decimals
    ("1-2,3-4", [(1.0, 2.0), (3.0, 4.0)]),             # between two ranges: a list
    ("0-3,5-8 s", [(0.0, 3.0), (5.0, 8.0)]),
    ("(1,2)", [(1.0, 2.0)]),                           # in brackets: a pair
    ("[1,2], [3,4]", [(1.0, 2.0), (3.0, 4.0)]),
    ("from 1,000 ms to 2,500 ms", [(1.0, 2.5)]),       # thousands: 1000 ms, 2500 ms
    ("1,200 - 2,400 ms", [(1.2, 2.4)]),                # the partner's unit decides
])
def test_comma_numbers(text, expected):
    assert spans(parse(text, duration=D)) == expected


def test_thousands_with_a_fraction_are_english():
    # 1,234.5 = 1234.5 and 1,240.0 = 1240, inside a 2000 s clip
    assert spans(parse("1,234.5 - 1,240.0", duration=2000.0)) == [(1234.5, 1240.0)]


@pytest.mark.parametrize("text,fragment", [
    ("1.5 - 2.0; 2,5 - 4,0", "'2,5', '4,0'"),     # '.' decimals elsewhere: 2,5 is ambiguous
    ("1,200 - 2,400", "'1,200', '2,400'"),         # no unit: 1200 or (German) 1.2
])
def test_ambiguous_comma_numbers_are_not_read(text, fragment):
    ans = parse(text, duration=D)
    assert all((e.onset, e.offset) != (4.0, 5.0) for e in ans.events)   # never '5 - 4'
    assert has_note(ans, f"ambiguous comma number(s) not read: {fragment}"), ans.notes


def test_comma_list_is_still_a_list():
    toks = scan_values("1,2,3")
    assert [t.value for t in toks] == [1.0, 2.0, 3.0]
    assert not parse("1,2,3", duration=D).events


def test_number_pipeline_reads_decimal_commas():
    assert parse("2,5 seconds", pipeline="number").value == pytest.approx(2.5)
    assert parse("1,500 ms", pipeline="number").value == pytest.approx(1.5)
    ans = parse("1,000 times", pipeline="number")      # 1000, or 1.0 with a decimal comma
    assert ans.failed and has_note(ans, "ambiguous comma number(s) not read: '1,000'")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=st.integers(0, 2999), b=st.integers(0, 2999), dot=st.booleans(),
       unit=st.sampled_from(["", " s", " Sekunden", " seconds"]))
def test_decimal_comma_pair_is_right_or_not_read(a, b, dot, unit):
    """A comma-decimal pair (ticks of 0.01 s) is read correctly or not at all, never wrongly;
    with a unit or without any '.' decimal in the answer it is always read."""
    def comma(t: int) -> str:
        return f"{t // 100},{t % 100:02d}"

    text = f"{comma(a)} - {comma(b)}{unit}"
    if dot:
        text = "0.5 - 0.75; " + text
    ans = parse(text, duration=D)
    want = (min(a, b) / 100, max(a, b) / 100)
    got = [(e.onset, e.offset) for e in ans.events if (e.onset, e.offset) != (0.5, 0.75)]
    if a == b:
        assert got == []
        return
    if unit or not dot:
        assert got == [pytest.approx(want)], (text, ans.notes)
    else:
        assert got in ([], [pytest.approx(want)]), (text, ans.notes)


# --------------------------------------------------------------------------------- SubRip ----
def test_srt_cues():
    text = ("1\n00:00:01,000 --> 00:00:02,000\nDog\n\n"
            "2\n00:00:03,500 --> 00:00:04,000\nCat")
    assert spans(parse(text, duration=D)) == [(1.0, 2.0), (3.5, 4.0)]
    assert spans(parse("0:05,000 - 0:08,000", duration=D)) == [(5.0, 8.0)]


def srt_time(ms: int) -> str:
    h, r = divmod(ms, 3_600_000)
    m, r = divmod(r, 60_000)
    sec, milli = divmod(r, 1000)
    return f"{h:02d}:{m:02d}:{sec:02d},{milli:03d}"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pts=st.lists(st.integers(0, 7_200_000), min_size=2, max_size=8, unique=True),
       table=st.booleans())
def test_round_trip_srt_and_tables(pts, table):
    """Random intervals (whole milliseconds) written as SRT cues or as a start/end table."""
    pairs = [tuple(sorted(pts[i:i + 2])) for i in range(0, len(pts) - 1, 2)]
    if table:
        rows = "".join(f"| ev{k} | {a / 1000:.3f} | {srt_time(b).replace(',', '.')} |\n"
                       for k, (a, b) in enumerate(pairs))
        text = "| Event | Start (s) | End |\n|---|---|---|\n" + rows
    else:
        text = "\n\n".join(f"{k + 1}\n{srt_time(a)} --> {srt_time(b)}\nsound {k}"
                           for k, (a, b) in enumerate(pairs))
    ans = parse(text, duration=7200.0)
    assert [(e.onset, e.offset) for e in ans.events] == [
        (pytest.approx(a / 1000), pytest.approx(b / 1000)) for a, b in pairs], text
    if table:
        assert [e.label for e in ans.events] == [f"ev{k}" for k in range(len(pairs))]


# ------------------------------------------------------------------- invisible characters ----
def test_invisible_characters_are_removed():
    for text in ("\u200e1.0 - 2.0\u200f", "\ufeff1.0\u2060 - 2.0", "1.0 -\u00ad 2.0",
                 "\u202a1.0 - 2.0\u202c"):
        assert spans(parse(text, duration=D)) == [(1.0, 2.0)], repr(text)


def test_zero_width_space_is_a_word_boundary():
    ans = parse("dog\u200bbarking 1.0 - 2.0", duration=D)
    assert [e.label for e in ans.events] == ["dog barking"]


def test_keycap_digits_are_still_not_numbers():
    # U+FE0F (variation selector) is not a format character: keycap digits stay unread
    assert parse("1\ufe0f\u20e32\ufe0f\u20e3 - 1\ufe0f\u20e35\ufe0f\u20e3 seconds",
                 duration=D).failed


# --------------------------------------------------------------------------------------- CJK --
@pytest.mark.parametrize("text,duration,expected", [
    ("从第3秒到第5秒", D, [(3.0, 5.0)]),               # ordinal 第 dropped
    ("500毫秒到1.5秒", D, [(0.5, 1.5)]),               # 毫秒 = ms
    ("1分30秒到2分", 200.0, [(90.0, 120.0)]),          # 1 min 30 s .. 2 min
    ("3～5秒", D, [(3.0, 5.0)]),                       # full-width tilde
    ("3 至 5 秒", D, [(3.0, 5.0)]),
    ("答案:3.0-5.0秒", D, [(3.0, 5.0)]),
    ("第1个事件从3.5秒到6.2秒", D, [(3.5, 6.2)]),      # the '1' of 第1个 is no onset
])
def test_cjk_forms(text, duration, expected):
    assert spans(parse(text, duration=duration)) == expected


def test_cjk_minutes_are_not_read_as_seconds():
    # before CJK units were folded, 1分30秒到2分0秒 gave the wrong interval 2-30
    ans = parse("1分30秒到2分0秒", duration=D)       # 90-120 s: outside a 30 s clip
    assert not ans.events and has_note(ans, "dropped 90-120")


def test_cjk_count_is_not_an_interval():
    ans = parse("有2到3只狗在叫", duration=D)          # "there are 2 to 3 dogs barking"
    assert not ans.events and has_note(ans, "rejected count")


def test_cjk_label_has_no_function_words():
    ans = parse("狗叫声出现在3.5秒到6.2秒之间。", duration=D)
    assert [e.label for e in ans.events] == ["狗叫声出现"]    # 在 (at) and 之间 (between) gone


# ---------------------------------------------------------------------------------- tables ----
def test_table_with_label_column_and_header_units():
    text = ("| Event | Start (ms) | End (ms) |\n|---|:---:|---|\n"
            "| **Dog** | 2500 | 4000 |\n| Horn | 00:10 | 00:12.5 |\n| bad | x | 3 |")
    ans = parse(text, duration=D)
    # 2500 ms = 2.5 s; clocks carry their own unit; the 'bad' row has no start value
    assert [(e.onset, e.offset, e.label) for e in ans.events] == [
        (2.5, 4.0, "Dog"), (10.0, 12.5, "Horn")]
    assert has_note(ans, "matched table x2")


@pytest.mark.parametrize("text,expected", [
    ("Start | End\n--- | ---\n1 | 2", [(1.0, 2.0)]),                     # no outer pipes
    ("| # | Onset (s) | Offset (s) |\n| --- | --- | --- |\n| 1 | 0.5 | 1.5 |", [(0.5, 1.5)]),
    ("| Start | End |\n|---|---|\n| 00:01 | 00:03 |\n\nAlso 5.0 - 6.0", [(1.0, 3.0), (5.0, 6.0)]),
    ("| Time | Event |\n|---|---|\n| 1.5-2.5 | dog |", [(1.5, 2.5)]),    # the range rule
    ("| Start | End |\n| 1 | 2 |", []),                                   # no delimiter row
])
def test_tables(text, expected):
    assert spans(parse(text, duration=D)) == expected


# -------------------------------------------------------------------------------- markdown ----
@pytest.mark.parametrize("text,expected", [
    ("**Start:** 00:02.5 **End:** 00:04.0", "Start: 00:02.5 End: 00:04.0"),
    ("__Start:__ 3", "Start: 3"),
    ("*Dog barking*: 1.0 - 2.0", "Dog barking: 1.0 - 2.0"),
    ("Alarm_bell_ringing", "Alarm_bell_ringing"),     # inner underscores are not emphasis
    ("<a_1><f_5>", "<a_1><f_5>"),
    ("2*3", "2*3"),                                   # one star between digits stays
])
def test_strip_emphasis(text, expected):
    assert strip_emphasis(text) == expected


def test_bold_field_names_and_labels():
    assert spans(parse("__Start:__ 3 __End:__ 5", duration=D)) == [(3.0, 5.0)]
    ans = parse("**Alarm_bell_ringing**: 1.0 - 2.0", duration=D,
                labels=["Alarm_bell_ringing", "Dog"])
    assert [e.label for e in ans.events] == ["Alarm_bell_ringing"]


# ------------------------------------------------------------------------- start ... stop ----
@pytest.mark.parametrize("text,expected", [
    ("The dog starts to bark at 3.2 s and stops barking at 4.1 s.", [(3.2, 4.1)]),
    ("The siren begins wailing at 10 s and ends at 12 s.", [(10.0, 12.0)]),
    ("It starts at around 2 s and ends at about 4.5 s", [(2.0, 4.5)]),
])
def test_start_stop_with_a_verb(text, expected):
    ans = parse(text, duration=D)
    assert spans(ans) == expected and has_note(ans, "start_end")


# ----------------------------------------------------------------------- narration phrases ----
@pytest.mark.parametrize("text,expected", [
    ("After analysing the entire audio, a dog barks from 3 to 4 s.", [(3.0, 4.0)]),
    ("I have reviewed the whole recording: 1.0 - 2.0", [(1.0, 2.0)]),
    ("Rain is heard throughout the entire clip.", [(0.0, D)]),          # still an event
    ("Music plays throughout the whole clip; a dog barks from 2 to 3 s",
     [(0.0, D), (2.0, 3.0)]),
])
def test_clip_phrases_in_narration(text, expected):
    ans = parse(text, duration=D)
    assert spans(ans) == expected
    if expected[0] != (0.0, D):
        assert has_note(ans, "clip phrase describes the listening, not an event")


# ----------------------------------------------------------------------------------- notes ----
def test_short():
    assert short("abc") == "abc"
    cut = short("x" * 100)
    assert len(cut) == NOTE_FRAGMENT and cut.endswith("\u2026")


@pytest.mark.parametrize("pipeline", ["lenient", "strict", "number", "yesno", "timeaudio"])
def test_notes_never_quote_a_huge_fragment(pipeline):
    text = "x " + "1" * 100_000 + " and 2,5 y " + "q" * 5000 + " 1.0 - 2.0"
    ans = parse(text, pipeline=pipeline, duration=D, labels=["dog"])
    assert all(len(n) <= MAX_NOTE_CHARS for n in ans.notes), [len(n) for n in ans.notes]
    joined = " ".join(ans.notes)
    assert "1" * (NOTE_FRAGMENT + 1) not in joined


def test_stray_number_note_is_cut_with_an_ellipsis():
    ans = parse("x " + "1" * 100_000, duration=D)
    note = next(n for n in ans.notes if n.startswith("ignored stray number(s): "))
    assert note == "ignored stray number(s): " + "1" * (NOTE_FRAGMENT - 1) + "\u2026"


def test_long_caption_in_a_label_note_is_cut():
    ans = parse("1.0 - 2.0, " + "a very long caption " * 50, duration=D, labels=["Dog"])
    note = next(n for n in ans.notes if "matched no vocabulary label" in n)
    assert len(note) < NOTE_FRAGMENT + 50 and "\u2026" in note


def test_note_safety_net():
    ctx = ParseContext(raw="", text="", duration=None, prompt=None, labels=None, opts={})
    ctx.note("z" * 10_000)
    assert len(ctx.notes[0]) == MAX_NOTE_CHARS and ctx.notes[0].endswith("\u2026")


def test_clean_text_folds_everything_in_one_pass():
    text, _ = clean_text("**时间段：**\u200b１２.０\u2013１５.５秒")
    assert text == "时间段: 12.0-15.5 s"
