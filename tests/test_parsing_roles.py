"""Roles and pairs (timebench/parsing/roles.py), answer choice (choose.py), number words,
Unicode fractions and the length cap: the shapes of issue 11 and issue 15, one case each."""

from __future__ import annotations

import pytest

from timebench.parsing import parse

D = 60.0
Q = {"captions": False, "single_query": True}   # what `score` passes for grounding tasks


def spans(ans):
    return [(round(e.onset, 3), round(e.offset, 3)) for e in ans.events]


@pytest.mark.parametrize("text,expected,rule", [
    ("The start time of the query is 00:00:00 and the end time is 00:00:15.", [(0, 15)],
     "start_end"),
    ("The start time of the query is at 0:00 and the end time is at 0:07. The video shows a man.",
     [(0, 7)], "start_end"),
    ("Start time: 2.0s\nEnd time: 3.0s", [(2, 3)], "labelled"),
    ("1. **Start:** 00:02.5\n2. **End:** 00:04.0", [(2.5, 4)], "labelled"),
    ("- Start time: 1.5 s\n- End time: 2.5 s", [(1.5, 2.5)], "labelled"),
    ('{\n"start_time": 4.0s,\n"end_time": 6.0s\n}', [(4, 6)], "labelled"),
    ("He starts at 0:00 and continues until 0:04.", [(0, 4)], "start_end"),
    ("The siren starts at 3 s and lasts 2 seconds.", [(3, 5)], "start_duration"),
    ("It barks for two seconds starting at 3 s.", [(3, 5)], "start_duration"),
    ("It starts at the 5 second mark and ends at the 7 second mark.", [(5, 7)], "start_end"),
    ("The start time is approximately 0:00 - 0:03 and the end time is approximately 0:05 - 0:08.",
     [(0, 8)], "start_end"),
    ('The start time of the query "He slips. He falls" is 0:07 and the end time is 0:09.',
     [(7, 9)], "start_end"),
    ("The start time is approximately 0:00:05 (5 seconds) and the end time is approximately "
     "0:00:13 (13 seconds).", [(5, 13)], "start_end"),
    ("The start and end times are 2 s and 5 s.", [(2, 5)], "start_and_end"),
])
def test_roles_pair_start_end_and_duration(text, expected, rule):
    ans = parse(text, duration=D)
    assert spans(ans) == expected, ans.notes
    assert any(rule in n for n in ans.notes if n.startswith("matched")), ans.notes


def test_point_then_end_pairs_only_for_a_single_query():
    text = ("The funny moment occurs at the 0:20 mark, when he slips. The end time of this moment "
            "is at 0:25.")
    ans = parse(text, duration=D, options=Q)
    assert spans(ans) == [(20, 25)] and any("point_end" in n for n in ans.notes)
    # in a many-event answer a point and a later end may belong to different events
    assert spans(parse("Speech starts at 0.5 s and a dog barks at 2 s; speech ends at 5 s.",
                       duration=D)) == []


def test_from_to_range_is_a_whole_interval_not_a_start():
    ans = parse("Speech starts at 0.5 s. A dog barks from 2 to 3 s and the speech ends at 5 s.",
                duration=D)
    assert spans(ans) == [(2, 3)]


def test_ends_up_is_not_an_end():
    ans = parse("The dog starts barking at 2 s and ends up sleeping at 9 s.", duration=D)
    assert spans(ans) == [] and ans.affirmed


def test_answer_block_wins_over_reasoning_for_a_single_query():
    text = ("Here is the answer in JSON format:\n{\n\"start_time\": 7.0s,\n\"end_time\": 8.0s\n}\n"
            "Reasoning: at 1.0s a man plays; from 3.0s to 5.0s he stands; therefore 4.0-6.0.")
    assert spans(parse(text, duration=D, options=Q)) == [(7, 8)]
    # without single_query (SED, captions: several events are the answer) all are kept
    assert (7, 8) in spans(parse(text, duration=D)) and len(parse(text, duration=D).events) > 1


def test_concluding_sentence_supersedes_earlier_windows():
    text = ("The start time is approximately 0:00-0:05 and the end time is approximately 0:10-0:15."
            "\nAt 0:05-0:10 the person swings.\nTherefore, the start time is approximately "
            "0:05-0:10 and the end time is approximately 0:10-0:15.")
    assert spans(parse(text, duration=D, options=Q)) == [(5, 15)]


def test_breakdown_inside_the_stated_window_is_dropped():
    text = ("The funny moment occurs at around 0:15 - 0:25 seconds.\n0:15 - 0:17: he holds paper."
            "\n0:18 - 0:20: he puts it on.\nSo, the start time is 0:15 and the end time is 0:25.")
    assert spans(parse(text, duration=D, options=Q)) == [(15, 25)]


@pytest.mark.parametrize("text,expected", [
    ("from five to eight seconds", [(5, 8)]),
    ("between twenty-one and thirty seconds", [(21, 30)]),
    ("One dog barks from 1 to 2 s.", [(1, 2)]),                 # 'One' before no unit: a word
])
def test_number_words(text, expected):
    assert spans(parse(text, duration=D)) == expected


@pytest.mark.parametrize("text,expected", [
    ("The dog barks from 1½ to 2¾ seconds.", [(1.5, 2.75)]),
    ("from ½ s to 1 s", [(0.5, 1.0)]),
    ("1 ½ - 3 s", [(1.5, 3.0)]),
    ("3⁄4 - 2 s", [(0.75, 2.0)]),
])
def test_unicode_fractions_are_read_right(text, expected):
    ans = parse(text, duration=D)
    assert spans(ans) == expected and any(n.startswith("fraction(s) read") for n in ans.notes)


def test_superscript_number_is_not_read_as_other_digits():
    ans = parse("from 10² to 150 s", duration=600.0)
    assert spans(ans) == [] and any("superscript" in n for n in ans.notes)


def test_answer_longer_than_max_chars_is_a_counted_failure():
    text = "The dog barks from 2.0 to 6.0 s. " * 10_000          # 330 000 characters
    ans = parse(text, duration=D)
    assert ans.failed and ans.reason == "too_long" and "not parsed" in ans.notes[0]
    assert spans(parse(text, duration=D, options={"max_chars": 400_000})) == [(2, 6)]


@pytest.mark.parametrize("text,reason", [
    ("The video does not provide any information about the start or end time.", "refusal"),
    ("The start and end times of the query are not provided in the video.", "refusal"),
    ("I'm sorry, but as an AI I cannot listen to audio.", "refusal"),
    ("Start: 00:00:00\nEnd: 00:00:00", "single_point"),
])
def test_failure_reasons(text, reason):
    ans = parse(text, duration=D)
    assert ans.failed and ans.reason == reason, ans


def test_collapse_whitespace_fast_path_equals_the_rule():
    """The fast checks in ``collapse_whitespace`` change nothing: space/tab runs -> one space,
    any run holding a line break -> one line break (the rule, written as two regexes)."""
    import re

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from timebench.parsing.normalise import collapse_whitespace

    def rule(t):
        return re.sub(r" ?\n[\s]*", "\n", re.sub(r"[^\S\n]+", " ", t)).strip()

    @settings(max_examples=500, deadline=None)
    @given(st.text(alphabet=" \t\n\r\x0b\x0c\x1c\x85\xa0\u2003\u2028ab.", max_size=30))
    def check(t):
        assert collapse_whitespace(t) == rule(t)

    check()


def test_strip_emphasis_fast_path_equals_the_pattern():
    """``strip_emphasis`` (a literal scan of marker runs) removes exactly what the emphasis
    pattern removes: ``*`` runs unless between two digits, ``_`` runs at a word edge."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from timebench.parsing.normalise import _EMPHASIS, strip_emphasis

    @settings(max_examples=500, deadline=None)
    @given(st.text(alphabet="*_a1 .\u0661x\n\u00b2<>", max_size=16))
    def check(t):
        assert strip_emphasis(t) == _EMPHASIS.sub("", t)

    check()
