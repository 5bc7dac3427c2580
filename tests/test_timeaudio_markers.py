"""TimeAudio marker tokens: format_answer_v3 / decode_time_answer_v3 (released behaviour)."""

from __future__ import annotations

import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from model_adapters.timeaudio.markers import (
    MARKER_TOKENS,
    decode_time_answer_v3,
    format_answer_v3,
    has_markers,
    markers_to_seconds,
    seconds_to_markers,
)


def test_marker_order_matches_release():
    # models/timeaudio.py: ['<a_{}>'.format(i) for i in range(10)] + ['<f_{}>'.format(i) for i in range(10)]
    assert MARKER_TOKENS[:3] == ("<a_0>", "<a_1>", "<a_2>")
    assert MARKER_TOKENS[10] == "<f_0>" and MARKER_TOKENS[-1] == "<f_9>"
    assert len(MARKER_TOKENS) == 20 and len(set(MARKER_TOKENS)) == 20


def test_examples_from_the_release():
    # instruct_dataset.py: round to 1 decimal; digits of the integer part -> <a_d>, tenth -> <f_d>
    assert seconds_to_markers(12.47) == "<a_1><a_2><f_5>"
    assert seconds_to_markers("3") == "<a_3><f_0>"
    assert seconds_to_markers(0.04) == "<a_0><f_0>"
    assert seconds_to_markers("abc") == "abc"
    # round() on the binary value: 12.25 is exact in binary and rounds half to even -> 12.2
    assert seconds_to_markers(12.25) == "<a_1><a_2><f_2>"
    assert format_answer_v3("3.2 - 10.5") == "<a_3><f_2> - <a_1><a_0><f_5>"
    assert format_answer_v3("7.90-8.32, 0.00 - 10.00, trucks. 5 dogs") == (
        "<a_7><f_9> - <a_8><f_3>, <a_0><f_0> - <a_1><a_0><f_0>, trucks. 5 dogs")


def test_decode_like_slow_tokenizer_spacing():
    # the slow LLaMA tokenizer decodes added tokens separated by spaces
    assert decode_time_answer_v3("<a_3> <f_2> - <a_1> <a_0> <f_5>") == "3.2 - 10.5"
    assert decode_time_answer_v3("<a_3><f_2>  -  <a_1><a_0><f_5> , dog barks") == "3.2 - 10.5, dog barks"
    # only offsets -> 0.x; only anchors -> x.0 (release: `or "0"`)
    assert decode_time_answer_v3("<f_7> - <a_4>") == "0.7 - 4.0"
    assert markers_to_seconds("<a_1><a_2><f_5>") == 12.5
    assert not has_markers("3.2 - 10.5") and has_markers("<f_1>")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3000), st.integers(0, 3000)), min_size=1, max_size=5))
def test_round_trip_tenths(pairs):
    # values with one decimal survive format -> decode exactly (formatted with one decimal)
    text = ", ".join(f"{a / 10:.1f} - {b / 10:.1f}" for a, b in pairs) + ", sound."
    assert decode_time_answer_v3(format_answer_v3(text)) == text


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0, max_value=10_000, allow_nan=False))
def test_round_trip_is_round_to_one_decimal(x):
    assert markers_to_seconds(seconds_to_markers(x)) == round(x, 1)


def test_markers_module_needs_no_torch():
    code = ("import sys; import model_adapters.timeaudio.markers, model_adapters.timeaudio.config, "
            "model_adapters.timeaudio, model_adapters.timeaudio.adapter; assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
