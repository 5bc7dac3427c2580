"""Table tests for timebench.parsing: every form named in the parsing issue, every rejection.

Expected values are written by hand from the input text (the comment or the string itself says
where each number comes from); no expected value is produced by the code under test.
"""

from __future__ import annotations

import pytest

from timebench.errors import InputError, UnknownNameError
from timebench.parsing import PIPELINES, get_pipeline, parse
from timebench.types import ParsedAnswer


def spans(ans: ParsedAnswer) -> list[tuple[float, float]]:
    return [(round(e.onset, 6), round(e.offset, 6)) for e in ans.events]


def labelled(ans: ParsedAnswer) -> list[tuple[float, float, str | None]]:
    return [(round(e.onset, 6), round(e.offset, 6), e.label) for e in ans.events]


def has_note(ans: ParsedAnswer, fragment: str) -> bool:
    return any(fragment in n for n in ans.notes)


# ------------------------------------------------------------------- lenient: accepted forms --
ACCEPTED = [
    ("12.3s - 15s", [(12.3, 15.0)]),
    ("from 12.3 to 15.0 seconds", [(12.3, 15.0)]),
    ("12.3-15.0", [(12.3, 15.0)]),
    ("12.3\u201315.0", [(12.3, 15.0)]),            # en dash
    ("12.3 \u2014 15.0", [(12.3, 15.0)]),          # em dash
    ("12.3 \u2212 15.0", [(12.3, 15.0)]),          # minus sign
    ("[12.30, 15.00]", [(12.3, 15.0)]),
    ("(12.3, 15.0)", [(12.3, 15.0)]),
    ("<12.3> <15.0>", [(12.3, 15.0)]),
    ("0:18 - 0:23", [(18.0, 23.0)]),               # mm:ss, not 18-0
    ("[00:05 - 00:10]", [(5.0, 10.0)]),
    ("00:01:05.5 to 00:01:10", [(65.5, 70.0)]),    # 1 min 5.5 s .. 1 min 10 s
    ("01:05.5 - 01:10.25", [(65.5, 70.25)]),
    ("between 3 and 5 seconds", [(3.0, 5.0)]),
    ("It happens between 3.5 s and 7 s.", [(3.5, 7.0)]),
    ("The sound starts at 12.3 and ends at 15.0.", [(12.3, 15.0)]),
    ("It starts at around 2 s and ends at about 4.5 s", [(2.0, 4.5)]),
    ("Start time: 0.8 s / End time: 1.1 s", [(0.8, 1.1)]),
    ("Starting time: 0.8 seconds\nEnding time: 1.1 seconds", [(0.8, 1.1)]),
    ("start: 3, end: 6", [(3.0, 6.0)]),
    ("{'start': 1.5, 'end': 2.5}", [(1.5, 2.5)]),   # Python-dict style, not JSON
    ("from 1 to 2 minutes", [(60.0, 120.0)]),       # the unit applies to both ends
    ("from 1 min 5 s to 1 min 10.5 s", [(65.0, 70.5)]),
    ("250 ms - 1.5 s", [(0.25, 1.5)]),
    ("12.3 until 15", [(12.3, 15.0)]),
    ("12.3 s ~ 15 s", [(12.3, 15.0)]),
    ("12.3 -> 15", [(12.3, 15.0)]),
    ("2-3 seconds", [(2.0, 3.0)]),                  # a unit: an interval, not a count
    ("1. 12.3 - 15.0", [(12.3, 15.0)]),             # list number is not the onset
    ("1) Start time: 4 s, end time: 6 s", [(4.0, 6.0)]),
    ("1.0 - 2.0, 3.0 - 4.0 and 5.0 to 6.0", [(1.0, 2.0), (3.0, 4.0), (5.0, 6.0)]),
    ("from 1.0 to 2.0 and 3.0 to 4.0 seconds", [(1.0, 2.0), (3.0, 4.0)]),
    ("\uff11\uff12.\uff13 - \uff11\uff15", [(12.3, 15.0)]),   # full-width digits (NFKC)
    ("3 \u81f3 5 \u79d2", [(3.0, 5.0)]),             # CJK "to" and "seconds"
    ("**12.3 - 15.0**", [(12.3, 15.0)]),
    ("The answer is 1-2", [(1.0, 2.0)]),            # integers with nothing after: kept
    ("<answer>3.0 - 4.0</answer>", [(3.0, 4.0)]),
    ("<think>maybe 1 - 2</think> 5.0 - 6.0", [(5.0, 6.0)]),
    ("12.3 - 15.0</s>", [(12.3, 15.0)]),
]


@pytest.mark.parametrize("text,expected", ACCEPTED)
def test_lenient_accepts(text, expected):
    ans = parse(text)
    assert spans(ans) == expected, ans.notes
    assert not ans.failed and not ans.absent
    assert ans.parser == "lenient"
    assert any(n.startswith("matched ") for n in ans.notes)


JSON_CASES = [
    ('[[1, 2], [3.5, 4]]', [(1.0, 2.0), (3.5, 4.0)]),
    ('{"relevant_windows": [[1, 2], [3.5, 4]]}', [(1.0, 2.0), (3.5, 4.0)]),
    ('```json\n{"relevant_windows": [[10.5, 12]]}\n```', [(10.5, 12.0)]),
    ('[12.3, 15.0]', [(12.3, 15.0)]),
    ('[{"start": 1, "end": 2}, {"onset": "0:03", "offset": "4.5s"}]', [(1.0, 2.0), (3.0, 4.5)]),
    ('{"timestamps": [3, 4], "caption": "x"}', [(3.0, 4.0)]),
]


@pytest.mark.parametrize("text,expected", JSON_CASES)
def test_lenient_json(text, expected):
    ans = parse(text)
    assert spans(ans) == expected, ans.notes
    assert has_note(ans, "matched json")


def test_json_labels_are_kept():
    ans = parse('[{"start": 1, "end": 2, "label": "Dog"}, {"start": 3, "end": 4, "event": "Cat"}]')
    assert labelled(ans) == [(1.0, 2.0, "Dog"), (3.0, 4.0, "Cat")]


# ------------------------------------------------------------------------ timeaudio tokens ----
@pytest.mark.parametrize("pipeline", ["lenient", "timeaudio"])
@pytest.mark.parametrize("text,expected", [
    ("<a_1><a_2><f_5>-<a_1><a_5><f_0>", [(12.5, 15.0)]),     # 12 . 5 and 15 . 0
    ("<a_3> <f_2> - <a_1> <a_0> <f_5>", [(3.2, 10.5)]),      # spaced, as LLaMA decodes them
    ("<a_7> - <f_5>", [(0.5, 7.0)]),     # 7.0 and 0.5 (missing parts are 0), then swapped
    ("<TIME_1><TIME_0><TIME_DOT><TIME_5> - <TIME_1><TIME_2>", [(10.5, 12.0)]),   # v2
    ("<1.0><0.2> - <3.0>", [(1.2, 3.0)]),                    # v1: adjacent tokens are summed
])
def test_time_tokens(pipeline, text, expected):
    ans = parse(text, pipeline=pipeline)
    assert spans(ans) == expected, ans.notes
    assert has_note(ans, "TimeAudio")


def test_timeaudio_dense_caption_output():
    # the FTAR answer format after decode_time_answer_v3, with the trailing </s>
    text = ("<a_7><f_9> - <a_8><f_3>, <a_8><f_7> - <a_8><f_8>, brief impact sounds. "
            "<a_0><f_0> - <a_1><a_0><f_0>, a truck.</s>")
    for pipeline in ("lenient", "timeaudio"):
        ans = parse(text, pipeline=pipeline)
        assert labelled(ans) == [(7.9, 8.3, "brief impact sounds"),
                                 (8.7, 8.8, "brief impact sounds"), (0.0, 10.0, "a truck")]


# --------------------------------------------------------------------------------- captions ----
def test_ftar_caption_after_groups():
    ans = parse("7.90 - 8.32, 8.71 - 8.81, brief impact sounds. 0.00 - 10.00, a truck.")
    assert labelled(ans) == [(7.9, 8.32, "brief impact sounds"),
                             (8.71, 8.81, "brief impact sounds"),
                             (0.0, 10.0, "a truck")]


def test_caption_before_intervals():
    ans = parse("A dog barks from 1.0 to 2.0 s; a car horn from 3 to 4 s")
    assert labelled(ans) == [(1.0, 2.0, "A dog barks"), (3.0, 4.0, "a car horn")]


@pytest.mark.parametrize("text,expected", [
    ("Dog: 1.0 - 2.0\nSpeech: 3.0 - 4.0", [(1.0, 2.0, "Dog"), (3.0, 4.0, "Speech")]),
    ("0.5 - 2.0, Dog\n3 - 4, Speech", [(0.5, 2.0, "Dog"), (3.0, 4.0, "Speech")]),
    ("From 1 to 2 s a dog barks, and from 3 to 4 s a car horn sounds.",
     [(1.0, 2.0, "a dog barks"), (3.0, 4.0, "a car horn sounds")]),
    ("A dog barks from 1 to 2 s and again from 5 to 6 s.",
     [(1.0, 2.0, "A dog barks"), (5.0, 6.0, "A dog barks")]),
    ("Sure! Here are the events: 1.0-2.0 dog barking, 3.0-4.0 car horn.",
     [(1.0, 2.0, "dog barking"), (3.0, 4.0, "car horn")]),
    ("Here are the events: dog barking 1.0-2.0; a car horn 3.0 - 4.0",
     [(1.0, 2.0, "dog barking"), (3.0, 4.0, "a car horn")]),
    ("The dog barks from 12.1s to 15.0s.", [(12.1, 15.0, "The dog barks")]),
    ("1.0 - 2.0", [(1.0, 2.0, None)]),
    ("Event 1: dog 1-2.5. Event 2: cat 3-4.5.", [(1.0, 2.5, "dog"), (3.0, 4.5, "cat")]),
])
def test_captions(text, expected):
    assert labelled(parse(text)) == expected


def test_labels_mapped_to_vocabulary():
    vocab = ["Dog", "Speech", "Alarm_bell_ringing", "Vacuum_cleaner"]
    text = ("dog: 1-2.5\nSpeech: 3-4.5\ndogs 5-6.5\nalarm bell ringing 7-8.5\n"
            "a loud vacuum cleaner runs 9-10.5\nbirds 11-12.5")
    ans = parse(text, labels=vocab)
    assert [e.label for e in ans.events] == [
        "Dog",                 # exact, ignoring case
        "Speech",              # exact
        "Dog",                 # plural -> singular
        "Alarm_bell_ringing",  # spaces ~ underscores
        "Vacuum_cleaner",      # contained in the caption
        "birds",               # no label: caption kept
    ]
    assert has_note(ans, "label 'birds' matched no vocabulary label (kept)")


def test_longest_contained_label_wins():
    ans = parse("1.5 - 2.5, a dog and a dog whistle", labels=["Dog", "Dog whistle"])
    assert [e.label for e in ans.events] == ["Dog whistle"]


def test_integer_interval_followed_by_a_vocabulary_word_is_not_a_count():
    ans = parse("0-3 Speech\n4-6 Dog", labels=["Speech", "Dog"])
    assert labelled(ans) == [(0.0, 3.0, "Speech"), (4.0, 6.0, "Dog")]


# ---------------------------------------------------------------------- absence / presence ----
@pytest.mark.parametrize("text", [
    "not present", "The event is not present.", "It does not occur.", "no", "No.", "NO",
    "There is no dog barking in this clip.", "There isn't any barking.",
    "The sound cannot be heard.", "It can't be heard.", "absent", "The sound doesn't appear.",
    "I do not hear a dog.", "No such sound.", "None", "[]", '{"relevant_windows": []}',
])
def test_absence(text):
    ans = parse(text, duration=30.0)
    assert ans.absent and not ans.events and not ans.failed and not ans.affirmed, ans.notes
    assert has_note(ans, "absence")


@pytest.mark.parametrize("text", ["Yes.", "yes", "Yes, the dog barks.", "The sound is present."])
def test_affirmation_without_window(text):
    ans = parse(text)
    assert ans.affirmed and not ans.events and not ans.failed and not ans.absent
    assert ans.claims_presence


def test_intervals_win_over_absence_words():
    ans = parse("No, it is not at the start; the dog barks from 3 to 5 s.")
    assert spans(ans) == [(3.0, 5.0)] and not ans.absent
    assert has_note(ans, "ignored: intervals were given")


# ----------------------------------------------------------------------------------- relative --
def test_relative_with_duration():
    ans = parse("at 20% to 35% of the clip", duration=60.0)
    # 0.20 * 60 = 12, 0.35 * 60 = 21
    assert spans(ans) == [(12.0, 21.0)]
    assert has_note(ans, "relative 20%-35% of 60 s -> 12-21")


def test_relative_percent_word_and_bare_partner():
    ans = parse("from 10 to 50 percent of the audio", duration=10.0)
    assert spans(ans) == [(1.0, 5.0)]       # 0.1*10, 0.5*10


def test_relative_without_duration_fails_with_note():
    ans = parse("at 20% to 35% of the clip")
    assert ans.failed and not ans.events
    assert has_note(ans, "relative form without duration: 20%-35% (not converted)")
    assert has_note(ans, "no duration")


def test_relative_without_duration_keeps_other_intervals():
    ans = parse("1.0 - 2.0, then 20% to 30%")
    assert spans(ans) == [(1.0, 2.0)] and not ans.failed
    assert has_note(ans, "relative form without duration")


@pytest.mark.parametrize("text,duration,expected", [
    ("The dog barks in the first 3 seconds.", None, [(0.0, 3.0)]),
    ("during the last 2.5 s", 10.0, [(7.5, 10.0)]),              # 10 - 2.5 .. 10
    ("in the second half of the clip", 10.0, [(5.0, 10.0)]),
    ("in the first half", 9.0, [(0.0, 4.5)]),
    ("Rain is heard throughout the entire clip.", 12.0, [(0.0, 12.0)]),
    ("Wind throughout the audio; a dog barks from 2 to 3 s", 10.0, [(0.0, 10.0), (2.0, 3.0)]),
    ("first 3 - 5 seconds", 10.0, [(3.0, 5.0)]),                # a range, not "first 3"
])
def test_clip_phrases(text, duration, expected):
    assert spans(parse(text, duration=duration)) == expected


def test_clip_phrase_without_duration_is_noted():
    ans = parse("during the last 2.5 s")
    assert ans.failed and has_note(ans, "relative form without duration: last 2.5 s")
    assert not parse("the first 3 dogs").events      # a count, no time unit


# ---------------------------------------------------------------------------- rejected forms --
@pytest.mark.parametrize("text,note", [
    ("2-3 dogs bark", "rejected count: '2-3 dogs'"),
    ("between 2 and 3 people talk", "rejected count: '2 and 3 people'"),
    ("1..5", "ignored stray number(s): 1"),
    ("version 2.0 - 3.0", "rejected version number"),
    ("Python 3.10 to 3.11", "rejected version number"),
    ("v1.2.3", "failed: no interval found"),
    ("1e400 - 2e400", "failed"),
    ("1.2.3 - 4.5.6", "failed"),
    ("0:75 - 0:80", "failed"),        # not clocks (seconds >= 60)
    ("I am not sure.", "failed: no interval found"),
])
def test_rejected(text, note):
    ans = parse(text)
    assert not ans.events, ans
    assert has_note(ans, note), ans.notes


@pytest.mark.parametrize("text,point", [("at 12.3 s", "12.3"), ("The dog barks at 12.3.", "12.3"),
                                        ("It happens at 0:18.", "18")])
def test_single_time_point_is_a_presence_claim_not_an_interval(text, point):
    ans = parse(text)
    assert not ans.events and ans.affirmed and not ans.failed
    assert has_note(ans, f"single time point(s) not taken as intervals: {point}")
    strict = parse(text, pipeline="strict")
    assert strict.failed and not strict.affirmed


def test_count_rejected_but_real_interval_kept():
    ans = parse("The dog barks 2-3 times between 1.0 and 4.0 s.")
    assert spans(ans) == [(1.0, 4.0)]
    assert has_note(ans, "rejected count: '2-3 times'")


@pytest.mark.parametrize("text,expected", [
    ("The dog runs into the room 3 - 5", [(3.0, 5.0)]),
    ("into 3 to 5", [(3.0, 5.0)]),
    ("3 onto 5 and 7 tomato 9", []),     # lmms-eval's replace("to", "-") would give 3-5, 7-9
    ("3.5 into 5.5", []),
])
def test_to_inside_words_is_not_a_connector(text, expected):
    assert spans(parse(text)) == expected


def test_mmss_is_not_read_as_seconds():
    ans = parse("0:18 - 0:23")
    assert spans(ans) == [(18.0, 23.0)]
    assert not has_note(ans, "swapped")


def test_single_point_window_option():
    ans = parse("The dog barks at 12.3 s.", options={"point_window": 0.5})
    assert spans(ans) == [(11.8, 12.8)]
    assert has_note(ans, "widened single time point")


# ---------------------------------------------------------------------------- post-processing --
def test_swap_clip_drop_dedupe_notes():
    ans = parse("15 - 12.3, 50 - 75, 70 - 80, 1 - 2, 1 - 2, 4 - 4", duration=60.0)
    assert spans(ans) == [(12.3, 15.0), (50.0, 60.0), (1.0, 2.0)]
    assert has_note(ans, "swapped 15-12.3")
    assert has_note(ans, "clipped offset 75 -> 60")
    assert has_note(ans, "dropped 70-80: empty after clipping to [0, 60] (out of range)")
    assert has_note(ans, "removed 1 duplicate interval(s)")
    assert has_note(ans, "dropped 4-4: zero-length")


def test_order_is_kept():
    ans = parse("30 - 40, 1 - 2, 10 - 20")
    assert spans(ans) == [(30.0, 40.0), (1.0, 2.0), (10.0, 20.0)]


def test_min_length_option():
    assert spans(parse("1 - 1.0005, 2 - 3", options={"min_length": 0.001})) == [(2.0, 3.0)]
    assert spans(parse("1 - 1.0005, 2 - 3")) == [(1.0, 1.0005), (2.0, 3.0)]


def test_swap_off_rejects():
    ans = parse("5 - 3", options={"swap": False})
    assert ans.failed and has_note(ans, "rejected inverted interval 5-3")


def test_merge_option():
    ans = parse("1 - 3, 2 - 4, 6 - 7", options={"merge": True})
    assert spans(ans) == [(1.0, 4.0), (6.0, 7.0)]
    assert has_note(ans, "merged 3 intervals into 2")


def test_invalid_duration_is_noted_and_ignored():
    ans = parse("1 - 2", duration=float("nan"))
    assert spans(ans) == [(1.0, 2.0)] and has_note(ans, "ignored invalid duration")


def test_huge_numbers_do_not_crash():
    digits = "9" * 400
    for text in (f"{digits} - 5", f"1 - {digits}", f"from {digits} to {digits}",
                 "[1e400, 2]", f"[{digits}, 5]", f'{{"start": {digits}, "end": 3}}'):
        ans = parse(text, duration=10.0)
        assert all(0 <= e.onset < e.offset <= 10.0 for e in ans.events)
    ans = parse(f"{digits} - 5")
    assert ans.failed and has_note(ans, "rejected non-finite interval")


# ------------------------------------------------------------------------------ prompt echo ----
PROMPT = ("Find when the dog barks. Answer in the format 'start - end seconds', "
          "for example 20.8 - 30.0 seconds.")


def test_echoed_example_removed():
    ans = parse("For example 20.8 - 30.0 seconds. The dog barks at 3.1 - 5.2 seconds.",
                prompt=PROMPT)
    assert spans(ans) == [(3.1, 5.2)]
    assert has_note(ans, "removed prompt echo 'for example 20.8 - 30.0 seconds'")


def test_echoed_example_without_cue_dropped_when_other_intervals():
    ans = parse("20.8 - 30.0 seconds, 3.1 - 5.2 seconds", prompt=PROMPT)
    assert spans(ans) == [(3.1, 5.2)]
    assert has_note(ans, "dropped interval(s) equal to the prompt's example: 20.8-30")


def test_echo_only_example_is_failure():
    ans = parse("for example '20.8 - 30.0 seconds'", prompt=PROMPT)
    assert ans.failed and has_note(ans, "removed prompt echo")


def test_example_value_as_only_answer_is_kept_and_noted():
    ans = parse("20.8 - 30.0 seconds", prompt=PROMPT)
    assert spans(ans) == [(20.8, 30.0)]
    assert has_note(ans, "equal the prompt's example (kept)")


def test_whole_prompt_echo_removed():
    ans = parse(PROMPT + "\n3.0 - 4.0", prompt=PROMPT)
    assert spans(ans) == [(3.0, 4.0)] and has_note(ans, "removed echoed prompt")


def test_without_prompt_example_is_parsed():
    ans = parse("For example 20.8 - 30.0 seconds.")
    assert spans(ans) == [(20.8, 30.0)]


# ----------------------------------------------------------------------------------- strict ----
@pytest.mark.parametrize("text,expected", [
    ("12.3 - 15.0", [(12.3, 15.0)]),
    ("12.3 - 15.0 seconds", [(12.3, 15.0)]),
    ("[[1, 2], [3, 4]]", [(1.0, 2.0), (3.0, 4.0)]),
    ('{"relevant_windows": [[1, 2]]}', [(1.0, 2.0)]),
    ("1.0 - 2.0, dog. 3.0 - 4.0, cat.", [(1.0, 2.0), (3.0, 4.0)]),
])
def test_strict_accepts_canonical(text, expected):
    ans = parse(text, pipeline="strict")
    assert spans(ans) == expected and ans.parser == "strict"


@pytest.mark.parametrize("text", ["from 1 to 2 seconds", "12.3\u201315.0", "0:18 - 0:23",
                                  "between 1 and 2", "starts at 1 and ends at 2",
                                  "no it is not there"])
def test_strict_rejects_other_forms(text):
    ans = parse(text, pipeline="strict")
    assert ans.failed and not ans.events
    assert parse(text).events or parse(text).absent  # ... which lenient does read


def test_strict_yes_no():
    assert parse("No.", pipeline="strict").absent
    assert parse("Yes", pipeline="strict").affirmed
    assert parse("[]", pipeline="strict").absent


# -------------------------------------------------------------------------------- spotsound ----
@pytest.mark.parametrize("text,duration,expected", [
    ("from 3.20s to 5.10s, from 20.00s to 21.50s", 60.0, [(3.2, 5.1), (20.0, 21.5)]),
    ("from 3.20 seconds to 5.10 seconds", 60.0, [(3.2, 5.1)]),
    ("The event: 3.2s - 5s", 60.0, [(3.2, 5.0)]),            # fallback regex needs the 's'
    ("3.2s to 5s and 7s \u2013 8s", 60.0, [(3.2, 5.0), (7.0, 8.0)]),
    ("from 5s to 3s", 60.0, [(3.0, 5.0)]),                   # swapped
    ("from 50s to 75s", 60.0, [(50.0, 60.0)]),               # clipped
    ("from 3s to 3.0005s, from 1s to 2s", 60.0, [(1.0, 2.0)]),   # <= 1 ms dropped
    ("from 1s to 2s. Also 4s - 5s", 60.0, [(1.0, 2.0)]),     # fallback only when 'from' fails
])
def test_spotsound(text, duration, expected):
    ans = parse(text, pipeline="spotsound", duration=duration)
    assert spans(ans) == expected, ans.notes


@pytest.mark.parametrize("text", ["3.2 - 5", "0:18 - 0:23", "between 1 and 2 s"])
def test_spotsound_ignores_forms_reltwin_ignores(text):
    assert parse(text, pipeline="spotsound").failed


def test_spotsound_presence_flags():
    assert parse("No.", pipeline="spotsound").absent
    assert parse("Yes.", pipeline="spotsound").affirmed


# ------------------------------------------------------------------------------------ number ----
@pytest.mark.parametrize("text,value", [
    ("3", 3.0), ("three", 3.0), ("Three.", 3.0), ("twice", 2.0), ("once", 1.0),
    ("3 times", 3.0), ("The dog barks 3 times.", 3.0), ("about 2.5 seconds", 2.5),
    ("1 minute 5 seconds", 65.0), ("one minute and five seconds", 65.0), ("1:05", 65.0),
    ("250 ms", 0.25), ("2 min", 120.0), ("twenty-one", 21.0), ("one hundred and five", 105.0),
    ("a dozen", 12.0), ("The answer is 4.", 4.0), ("In 10 s the answer is 4", 4.0),
    ("None.", 0.0), ("It never happens", 0.0), ("<a_2><f_5> seconds", 2.5),
])
def test_number(text, value):
    ans = parse(text, pipeline="number")
    assert ans.value == pytest.approx(value) and not ans.failed
    assert isinstance(ans.value, float)


def test_number_several_values_noted():
    ans = parse("2-3 times", pipeline="number")
    assert ans.value == 2.0 and has_note(ans, "several numbers")


@pytest.mark.parametrize("text", ["I don't know", "many", "9" * 400])
def test_number_failure(text):
    ans = parse(text, pipeline="number")
    assert ans.failed and ans.value is None and ans.notes


# ------------------------------------------------------------------------------------ choice ----
OPTIONS = ["dog barking", "car horn", "dog"]


@pytest.mark.parametrize("text,value", [
    ("car horn", "car horn"),
    ("The dog barking comes first.", "dog barking"),   # 'dog' inside 'dog barking' ignored
    ("The dog.", "dog"),
    ("(B)", "car horn"), ("B", "car horn"), ("b.", "car horn"),
    ("A. dog barking", "dog barking"),
    ("Answer: C", "dog"),
    ("The first is the car horn, then the dog barking.", "car horn"),
    ("Both occur, but the answer is dog barking, not car horn.", "dog barking"),
    ("Car_horn", "car horn"),
])
def test_choice(text, value):
    ans = parse(text, pipeline="choice", labels=OPTIONS)
    assert ans.value == value and not ans.failed, ans.notes


@pytest.mark.parametrize("text,note", [
    ("dog barking and car horn", "several options named without a deciding cue"),
    ("neither", "no option named"),
    ("(A) or (B)", "several option letters"),
])
def test_choice_failure(text, note):
    ans = parse(text, pipeline="choice", labels=OPTIONS)
    assert ans.failed and ans.value is None and has_note(ans, note)


def test_choice_needs_options():
    with pytest.raises(InputError):
        parse("car horn", pipeline="choice")


# ------------------------------------------------------------------------------------- yesno ----
@pytest.mark.parametrize("text,value", [
    ("Yes.", True), ("yes, it does", True), ("No.", False), ("No, it does not occur.", False),
    ("The sound is not present.", False), ("There is no dog barking.", False),
    ("The dog barks from 1 to 2 s.", True), ("The sound is present.", True),
])
def test_yesno(text, value):
    ans = parse(text, pipeline="yesno")
    assert ans.value is value and not ans.failed


def test_yesno_failure():
    ans = parse("maybe", pipeline="yesno")
    assert ans.failed and ans.value is None and has_note(ans, "no yes/no answer found")


# -------------------------------------------------------------------------- API and registry ----
@pytest.mark.parametrize("name", ["lenient", "strict", "spotsound", "timeaudio", "number",
                                  "choice", "yesno"])
def test_registered_and_empty_output(name):
    assert name in PIPELINES
    for text in (None, "", "   \n\t"):
        ans = parse(text, pipeline=name, labels=["a"])
        assert ans == ParsedAnswer(failed=True, notes=("empty output",), parser=name)


def test_unknown_pipeline_did_you_mean():
    with pytest.raises(UnknownNameError, match="did you mean 'lenient'"):
        parse("1 - 2", pipeline="lenent")


def test_unknown_option_did_you_mean():
    with pytest.raises(InputError, match="did you mean 'min_length'"):
        parse("1 - 2", options={"min_lenght": 0.1})


@pytest.mark.parametrize("options", [{"min_length": "abc"}, {"min_length": -1},
                                     {"min_length": float("inf")}, {"merge": "yes"},
                                     {"point_window": True}])
def test_bad_option_values(options):
    with pytest.raises(InputError, match="parser option"):
        parse("1 - 2", options=options)


def test_get_pipeline_with_options_is_a_new_pipeline():
    pipe = get_pipeline("lenient", {"min_length": 0.5})
    assert pipe.name == "lenient"
    assert spans(pipe.parse("1 - 1.2, 2 - 3")) == [(2.0, 3.0)]
    assert spans(parse("1 - 1.2, 2 - 3")) == [(1.0, 1.2), (2.0, 3.0)]   # registry unchanged
    assert get_pipeline("spotsound").option_defaults()["min_length"] == 0.001


def test_non_string_text_is_converted():
    ans = parse(12)
    assert ans.failed and has_note(ans, "non-string answer converted to text")


def test_import_does_not_pull_torch():
    import subprocess
    import sys

    code = ("import sys, timebench.parsing as p; p.parse('1 - 2');"
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_leading_yes_no_is_not_a_caption():
    from timebench.parsing import parse

    out = parse("Yes, from 3.0 to 9.5 seconds.", duration=30)
    assert [(e.onset, e.offset, e.label) for e in out.events] == [(3.0, 9.5, None)]
    out = parse("Yes, a dog barks from 3.0 to 9.5 seconds.", duration=30)
    assert out.events[0].label == "a dog barks"


def test_steps_module_and_pipeline_re_exports():
    """The step classes live in parsing.steps; parsing.pipeline re-exports them (same objects),
    keeps every name of its ``__all__``, and every registered pipeline is built of Steps."""
    from timebench.parsing import pipeline, steps
    for name in steps.__all__:
        assert getattr(pipeline, name) is getattr(steps, name), name
    for name in pipeline.__all__:
        assert hasattr(pipeline, name), name
    assert pipeline.Step is steps.Step and pipeline.MAX_CHARS == 200_000
    for name in PIPELINES.names():
        assert all(isinstance(s, steps.Step) for s in PIPELINES.get(name).steps), name
