"""Parsers under attack: a corpus of real-looking nasty LALM answers, and hypothesis fuzzing.

``tests/corpus/lalm_outputs.jsonl`` holds one answer a line with what the lenient parser should
make of it (``expect.outcome``: ``events`` within ``TOL`` seconds, ``absent``, ``affirmed`` or
``failed``).  Entries with a ``known_issue`` record a parser behaviour we believe is wrong
(``observed``): they are strict xfails, so fixing the parser turns them into failures that ask
for the corpus to be updated, and wrong behaviour is never encoded as expected.

The property tests feed every registered pipeline hostile text (corpus fragments spliced
together, random Unicode, control and format characters, huge and non-finite number strings)
and check the invariants every consumer relies on: no exception, finite events inside
``[0, duration]`` with ``onset <= offset``, exactly one of events/absent/affirmed/failed.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from timebench.parsing import PIPELINES, parse

CORPUS = Path(__file__).parent / "corpus" / "lalm_outputs.jsonl"
TOL = 0.011  # seconds; corpus times have two decimals at most


def load_corpus() -> list[dict]:
    rows = []
    with open(CORPUS, encoding="utf-8") as fh:  # text mode splits on \n only
        for line in fh:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def corpus_text(row: dict) -> str:
    if "build" in row:
        b = row["build"]
        return b["prefix"] + b["unit"] * b["times"] + b["suffix"]
    return row["text"]


ROWS = load_corpus()


def check_outcome(ans, expect: dict) -> str | None:
    """Why ``ans`` does not meet ``expect`` (None when it does)."""
    outcome = expect["outcome"]
    flags = {"absent": ans.absent, "affirmed": ans.affirmed, "failed": ans.failed}
    if outcome == "events":
        if ans.failed or not ans.events:
            return f"expected events, got {flags} notes={ans.notes}"
        want = expect["events"]
        got = sorted(ans.events, key=lambda e: (e.onset, e.offset))
        if len(got) != len(want):
            return f"expected {len(want)} events, got {[(e.onset, e.offset) for e in got]}"
        for e, w in zip(got, sorted(want), strict=True):
            if abs(e.onset - w[0]) > TOL or abs(e.offset - w[1]) > TOL:
                return f"event {(e.onset, e.offset)} != {tuple(w[:2])}"
            if len(w) > 2 and e.label != w[2]:
                return f"label {e.label!r} != {w[2]!r}"
        return None
    if ans.events:
        return f"expected {outcome}, got events {[(e.onset, e.offset) for e in ans.events]}"
    if not flags[outcome]:
        return f"expected {outcome}, got {flags} notes={ans.notes}"
    return None


def test_corpus_is_well_formed():
    assert len(ROWS) >= 60
    ids = [r["id"] for r in ROWS]
    assert len(set(ids)) == len(ids)
    categories = {r["category"] for r in ROWS}
    for needed in ("rambling", "echo", "markdown", "json", "list", "clock", "unicode_digits",
                   "rtl", "emoji", "zero_width", "huge", "clock_overflow", "negative",
                   "nan_text", "repeated", "long", "number_words", "chinese", "timeaudio"):
        assert needed in categories, needed
    assert any(len(corpus_text(r)) >= 100_000 for r in ROWS)
    for r in ROWS:
        assert r["expect"]["outcome"] in ("events", "absent", "affirmed", "failed"), r["id"]
        assert ("known_issue" in r) == ("observed" in r), r["id"]


@pytest.mark.parametrize("row", [
    pytest.param(r, id=r["id"], marks=pytest.mark.xfail(strict=True, reason=r["known_issue"]))
    if "known_issue" in r else pytest.param(r, id=r["id"]) for r in ROWS])
def test_corpus_lenient(row):
    text = corpus_text(row)
    t0 = time.perf_counter()
    ans = parse(text, pipeline="lenient", duration=row["duration"], prompt=row.get("prompt"),
                labels=row.get("labels"))
    assert time.perf_counter() - t0 < 2.0, "a single answer must parse quickly"
    problem = check_outcome(ans, row["expect"])
    assert problem is None, problem


@pytest.mark.parametrize("name", sorted(PIPELINES.names()))
def test_every_pipeline_survives_the_corpus(name):
    """Every pipeline (not only lenient) takes every corpus answer without raising."""
    for row in ROWS:
        labels = row.get("labels") or (("A", "B", "C") if name in ("choice", "mcq") else None)
        ans = parse(corpus_text(row), pipeline=name, duration=row["duration"],
                    prompt=row.get("prompt"), labels=labels)
        assert_invariants(ans, row["duration"])


# -- properties ---------------------------------------------------------------------------------

def assert_invariants(ans, duration) -> None:
    assert isinstance(ans.notes, tuple) and all(isinstance(n, str) for n in ans.notes)
    for e in ans.events:
        assert math.isfinite(e.onset) and math.isfinite(e.offset), e
        assert 0.0 <= e.onset <= e.offset, e
        if duration is not None:
            assert e.offset <= duration + 1e-9, (e, duration)
        assert e.label is None or isinstance(e.label, str)
    if ans.events:
        assert not ans.failed and not ans.absent
    if ans.failed:
        assert not ans.absent and not ans.affirmed
    if isinstance(ans.value, float):
        assert math.isfinite(ans.value)


FRAGMENTS = [corpus_text(r) for r in ROWS if len(corpus_text(r)) < 400]
NASTY_CHARS = ("\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
               "\u2028\u2029\x85\x00\x1b\t\r\n\u00a0\u3000-–—−~:.,;()[]{}\"'<>/\\|%秒到至:")
NUMBERS = st.one_of(
    st.integers(-10**30, 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e308", "1e309", "-0", "0.0000001", "9" * 400, "NaN", "Infinity", "١٢",
                     "１２", "¹²", "00:00:00", "99:99:99", "1:00:05", "<a_1><f_2>", "<12.5>",
                     "<TIME_3>", "12.", ".5", "1,5", "1_000"]),
)
PIECES = st.one_of(
    st.sampled_from(FRAGMENTS),
    NUMBERS,
    st.text(alphabet=NASTY_CHARS, max_size=8),
    st.text(max_size=20),
    st.sampled_from([" - ", " to ", " and ", "from ", "between ", " s", "秒", "%", " seconds",
                     "not present", "yes", "no", "[[", "]]", "{\"start\": ", ", \"end\": ",
                     "```json\n", "\n```", "</s>", "<think>", "</think>", "<answer>"]),
)
TEXTS = st.lists(PIECES, max_size=12).map("".join)
DURATIONS = st.one_of(st.none(), st.floats(0.0, 1e6), st.sampled_from(
    [float("nan"), float("inf"), -1.0, 0.0, 1e-9, 30.0]))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTS, duration=DURATIONS, pipeline=st.sampled_from(sorted(PIPELINES.names())),
       use_prompt=st.booleans())
def test_pipelines_never_raise_on_hostile_text(text, duration, pipeline, use_prompt):
    prompt = "Give the times as in this example: 1.0 - 2.0. When does 'it' happen?" \
        if use_prompt else None
    labels = ("A", "B", "Dog") if pipeline in ("choice", "mcq") else None
    ans = parse(text, pipeline=pipeline, duration=duration, prompt=prompt, labels=labels)
    valid = duration if duration is not None and math.isfinite(duration) and duration > 0 \
        else None
    assert_invariants(ans, valid)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_decoded_random_bytes_never_raise(raw):
    text = raw.decode("utf-8", errors="surrogateescape")  # lone surrogates included
    for pipeline in ("lenient", "strict", "spotsound", "timeaudio", "number", "yesno"):
        assert_invariants(parse(text, pipeline=pipeline, duration=30.0), 30.0)
