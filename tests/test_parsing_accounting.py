"""Every answer is accounted for (issue 11): usable prediction, explicit absence, or a failure
with a reason -- for every task kind, including through ``score`` and its JSON output."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from timebench.parsing import parse
from timebench.parsing.accounting import REASONS, account, count_reasons, outcome
from timebench.scoring import score
from timebench.tasks import KINDS, get_task
from timebench.types import Event, ParsedAnswer, Prediction, Reference

# (text, kind) -> expected (outcome, reason)
CASES = [
    ("The dog barks from 1 to 2 s.", "grounding", ("prediction", "")),
    ("The dog barks at 12.3 s.", "grounding", ("failure", "single_point")),
    ("Yes, the dog barks.", "grounding", ("failure", "no_window")),
    ("The dog barks at 12.3 s.", "presence", ("prediction", "")),
    ("Yes.", "presence", ("prediction", "")),
    ("No, the dog is not present.", "presence", ("absent", "")),
    ("No, the dog is not present.", "grounding", ("failure", "absent")),
    ("No sound events.", "detection", ("absent", "")),
    ("A dog can be heard.", "detection", ("failure", "no_window")),
    ("I'm sorry, but I cannot determine when the dog barks.", "grounding", ("failure", "refusal")),
    ("As an AI language model, I cannot listen to audio.", "presence", ("failure", "refusal")),
    ("The weather is nice.", "grounding", ("failure", "no_time")),
    ("1.5 - 2.0; 2,5 - 4,0", "grounding", ("prediction", "")),
    ("2,5 and 1.5", "grounding", ("failure", "ambiguous")),
    ("from 20% to 35% of the clip", "grounding", ("failure", "relative")),
    ("", "captioning", ("failure", "empty")),
]


@pytest.mark.parametrize("text,kind,want", CASES)
def test_outcome_of_parsed_text(text, kind, want):
    duration = None if "%" in text else 30.0
    assert outcome(parse(text, duration=duration), kind) == want


def test_qa_needs_a_value():
    assert outcome(parse("three", pipeline="number"), "qa") == ("prediction", "")
    assert outcome(parse("I am not sure.", pipeline="number"), "qa") == ("failure", "no_value")
    assert outcome(parse("maybe", pipeline="yesno"), "qa") == ("failure", "no_value")


def test_account_marks_failure_and_keeps_usable():
    p = parse("Yes, it is there.", duration=10.0)
    a = account(p, "grounding")
    assert a.failed and a.reason == "no_window" and a.affirmed
    assert account(p, "presence") is p
    missing = ParsedAnswer(failed=True, parser="missing", notes=("missing prediction",))
    assert account(missing, "grounding").reason == "missing"


def test_count_reasons():
    answers = [account(parse(t, duration=30.0), "grounding")
               for t in ("at 3 s", "at 4 s", "hello", "1 - 2")]
    assert count_reasons(answers) == {"single_point": 2, "no_time": 1}


def test_score_counts_every_sample_without_a_window(tmp_path):
    task = get_task("tag")
    refs = [Reference(id=f"r{i}", audio="a.wav", duration=30.0, query="dog",
                      events=(Event(1.0, 2.0),)) for i in range(6)]
    texts = ["1 - 2", "at 12 s", "Yes, it barks.", "no idea", "I'm sorry, I cannot determine it."]
    preds = [Prediction(id=f"r{i}", text=t) for i, t in enumerate(texts)]  # r5 missing
    report = score(task, refs, preds)
    assert report.parse_failure_rate == pytest.approx(5 / 6)
    assert report.parse_failures == {"missing": 1, "no_time": 1, "no_window": 1,
                                     "refusal": 1, "single_point": 1}
    out = report.to_json()
    assert out["parse_failures"] == report.parse_failures
    assert sum(out["parse_failures"].values()) == round(out["parse_failure_rate"] * out["n"])
    json.dumps(out)


def _accounted_kinds():
    return [k for k in KINDS]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(
    st.text(max_size=80),
    st.sampled_from(["Yes.", "No.", "at 3 s", "3 - 4", "none", "[]", "three", "I cannot help.",
                     "between 2 and 3 dogs", "20% - 40%", "2,5 - 4,0 and 1.5", "(B)"]),
    st.builds(lambda a, b, w: f"{a} {w} {b}", st.floats(0, 100), st.floats(0, 100),
              st.sampled_from(["-", "to", "and then", "ends at", "lasting"]))),
       kind=st.sampled_from(KINDS),
       pipeline=st.sampled_from(["lenient", "strict", "spotsound", "timeaudio", "number",
                                 "yesno"]),
       duration=st.one_of(st.none(), st.floats(1, 120)))
def test_every_answer_without_usable_prediction_is_a_failure(text, kind, pipeline, duration):
    """Property (issue 11): whatever the text, kind and parser, an accounted answer is exactly
    one of prediction / absence (kinds with negatives) / failure with a known reason, and every
    answer that gives the kind nothing usable is a failure."""
    a = account(parse(text, pipeline=pipeline, duration=duration), kind)
    got, reason = outcome(a, kind)
    usable = bool(a.events) or (kind == "qa" and a.value is not None)
    if kind == "presence":
        usable = usable or a.affirmed or a.absent
    if kind == "detection":
        usable = usable or a.absent
    if a.failed:
        assert got == "failure" and reason in REASONS and a.reason == reason
    else:
        assert got in ("prediction", "absent") and not a.reason
    assert usable == (not a.failed)


_TASK_TEXTS = st.one_of(
    st.sampled_from(["Yes.", "No.", "The dog barks at 3 s.", "3 - 4", "none", "[]", "three",
                     "I'm sorry, I cannot determine that.", "(B)", "", "   ", "A",
                     "The start time is 0:02 and the end time is 0:05.", "maybe later",
                     '{"start_time": 4.0s, "end_time": 6.0s}', "between 2 and 3 dogs"]),
    st.text(max_size=40))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(task_name=st.sampled_from(["tag", "spotsound", "sed", "dac", "tss", "tqa"]),
       texts=st.lists(st.one_of(st.none(), _TASK_TEXTS), min_size=1, max_size=6))
def test_score_counts_every_unusable_answer_for_every_task(task_name, texts):
    """Through ``score`` (the path of ``timebench score`` and ``run``): for every task card,
    ``parse_failure_rate`` is exactly the share of samples without a usable prediction for its
    kind, and ``parse_failures`` adds up to it ( ``None`` = a missing prediction)."""
    task = get_task(task_name)
    refs = []
    for i, _ in enumerate(texts):
        refs.append(Reference(
            id=f"r{i}", audio="a.wav", duration=30.0, query="a dog barks",
            question="How many times does the dog bark?", answer=2,
            events=(Event(1.0, 2.0, "Dog"),), present=None if i % 2 else True,
            extra={"qtype": "count"}))
    preds = [Prediction(id=f"r{i}", text=t) for i, t in enumerate(texts) if t is not None]
    report = score(task, refs, preds)
    kind = task.kind
    unusable = 0
    for s in report.samples:
        a = s.parsed
        usable = bool(a.events) or (kind == "qa" and a.value is not None) or (
            kind == "presence" and (a.affirmed or a.absent)) or (kind == "detection"
                                                                 and a.absent)
        unusable += not usable
        assert usable == (not a.failed), (kind, a)
        assert (a.reason in REASONS) if a.failed else not a.reason
    assert report.parse_failure_rate == pytest.approx(unusable / len(texts))
    assert sum(report.parse_failures.values()) == unusable
    assert report.to_json()["parse_failures"] == report.parse_failures
