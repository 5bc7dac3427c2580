"""Speed paths of reading and writing the contract's files equal the plain paths they replace
(issue 11, item 4): the nesting check that skips its walk for a shallow text, the events of
the usual ``{onset, offset}`` list, ``split_lines`` without ``\\r``, JSON writing without the
NaN-to-null copy, and the collector paused while a file's records are read."""

from __future__ import annotations

import enum
import gc
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timebench import atomic
from timebench import fields as tfields
from timebench import io as tio
from timebench.errors import InputError

# -- nesting depth --------------------------------------------------------------------------------

_BRACKETY = st.text(alphabet="[]{}ab\"\\", max_size=6)
_LEAF = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False,
                  allow_infinity=False), _BRACKETY)
_JSON = st.recursive(_LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(_BRACKETY, inner, max_size=3)), max_leaves=30)


@settings(max_examples=1500, deadline=None)
@given(obj=_JSON, limit=st.integers(1, 9), wrapped=st.booleans())
def test_too_deep_equals_the_walk(obj, limit, wrapped):
    text = json.dumps(obj)
    start, end = 0, len(text)
    if wrapped:  # an item of a JSON list: only its own span counts
        text = "[[{" + "[" * limit + ", " + text + "]"
        start = 3 + limit + 2
        end = start + len(json.dumps(obj))
    assert tio._too_deep(obj, text, start, end, limit) == (tio._depth(obj, limit) > limit)


@pytest.mark.parametrize("n", range(tio.MAX_DEPTH - 4, tio.MAX_DEPTH + 4))
def test_too_deep_at_the_limit(n):
    for leaf in ("", "1", "{}", '"[[["'):
        text = '{"id": "a", "x": ' + "[" * n + leaf + "]" * n + "}"
        obj = json.loads(text)
        assert tio._too_deep(obj, text) == (tio._depth(obj) > tio.MAX_DEPTH), (n, leaf)


# -- events ---------------------------------------------------------------------------------------

_TIMES = [0, 1, 2, 0.0, -0.0, 1.5, 2.5, 1e9, 10**9, 1e9 + 1, 10**9 + 1, -1, -0.5, 10**400,
          float("nan"), float("inf"), True, False, None, "1", np.float64(1.0), 3.0]
_TIME = st.sampled_from(_TIMES)
_LABEL = st.sampled_from([None, "dog", "", 3, ["x"], True])
_KEYS = ["onset", "offset", "label", "event_label", "caption", "score", "other"]


@st.composite
def _event_item(draw):
    kind = draw(st.integers(0, 9))
    if kind <= 6:
        keys = draw(st.lists(st.sampled_from(_KEYS), unique=True, max_size=5))
        if kind <= 4:  # mostly the usual shape
            keys = ["onset", "offset"] + [k for k in keys if k not in ("onset", "offset")][:kind % 2]
        item = {}
        for k in keys:
            item[k] = draw(_LABEL) if k in ("label", "event_label", "caption", "other") \
                else draw(_TIME)
        return item
    if kind <= 8:
        return [draw(_TIME) for _ in range(draw(st.integers(1, 4)))]
    return draw(st.sampled_from(["x", 5, None, (1, 2)]))


def _outcome(fn, value):
    try:
        events = fn(value)
    except InputError as exc:
        return "error", str(exc)
    return "ok", [(repr(e.onset), repr(e.offset), type(e.onset), type(e.offset), e.label,
                   repr(e.score)) for e in events]


@settings(max_examples=3000, deadline=None)
@given(value=st.one_of(st.lists(_event_item(), max_size=4), st.sampled_from([{}, "x", 3])))
def test_plain_events_equal_the_checked_path(value):
    kw = {"field": "events", "path": "f.jsonl", "line": 7}
    fast = _outcome(lambda v: tio.parse_events(v, **kw), value)
    slow = _outcome(lambda v: tfields._checked_events(v, **kw), value)
    assert fast == slow, value


def test_plain_events_take_the_usual_lists():
    assert tfields._plain_events([{"onset": 1, "offset": 2.5}, {"offset": 4.0, "onset": 3.0,
                                                             "label": "dog"}]) is not None
    assert tfields._plain_events([{"onset": 2, "offset": 1}]) is None
    assert tfields._plain_events([[1, 2]]) is None


# -- split_lines ----------------------------------------------------------------------------------

@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab\r\n\u2028", max_size=20))
def test_split_lines_without_cr_equals_the_stripping_path(text):
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    assert tio.split_lines(text) == [x[:-1] if x.endswith("\r") else x for x in lines]


# -- JSON writing ---------------------------------------------------------------------------------

class _Key(str, enum.Enum):
    A = "a"


class _IntKey(enum.IntEnum):
    ONE = 1


class _Str(str):
    def __str__(self):
        return "other"


_ODD_LEAVES = [float("nan"), float("inf"), -float("inf"), np.float64(1.5), np.float64("nan"),
               np.int64(3), np.bool_(True), _Key.A, _IntKey.ONE, _Str("s"), 10**30, -0.0,
               "é\u2028\"\\", True, None]
_KEY = st.one_of(st.text(max_size=3), st.sampled_from([True, False, None, 1, -2, 1.5, _Key.A,
                                                       _IntKey.ONE, _Str("k"), np.float64(2.0)]))
_OUT_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=4),
                      st.sampled_from(_ODD_LEAVES))
_OUT = st.recursive(_OUT_LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.lists(inner, max_size=3).map(tuple),
    st.dictionaries(_KEY, inner, max_size=3)), max_leaves=25)


def _reference_dumps(obj, indent):
    try:
        return json.dumps(atomic._nan_to_none(obj), indent=indent, ensure_ascii=False,
                          allow_nan=False)
    except Exception as exc:  # noqa: BLE001 - the same failure is expected from both
        return type(exc)


def _dumps(obj, indent):
    try:
        return atomic.dumps_json(obj, indent=indent)
    except Exception as exc:  # noqa: BLE001
        return type(exc)


@settings(max_examples=3000, deadline=None)
@given(obj=_OUT, indent=st.sampled_from([None, 2, 0, "\t"]))
def test_dumps_json_equals_the_nan_to_null_copy(obj, indent):
    assert _dumps(obj, indent) == _reference_dumps(obj, indent)


@pytest.mark.parametrize("n", [atomic._PLAIN_DEPTH - 1, atomic._PLAIN_DEPTH,
                               atomic._PLAIN_DEPTH + 1, 400])
def test_dumps_json_deep_and_cyclic(n):
    obj: object = [1.0]
    for i in range(n):
        obj = [obj, 2] if i % 2 else {"k": obj, "j": "x"}
    assert _dumps(obj, None) == _reference_dumps(obj, None)
    cyclic: list = [1]
    cyclic.append(cyclic)
    assert not atomic._plain(cyclic)


def test_dumps_json_rows_take_the_plain_path():
    row = {"id": "s1", "parser": "lenient", "failed": False, "absent": False,
           "events": [{"onset": 1.0, "offset": 2.0}], "notes": ["x"], "iou": 0.5, "n": 3}
    assert atomic._plain(row)
    assert not atomic._plain({True: 1})
    assert not atomic._plain({"a": np.float64(1.0)})
    assert atomic.dumps_json({"a": float("nan"), "b": [math.inf]}, indent=None) \
        == '{"a": null, "b": [null]}'


# -- the collector while reading ------------------------------------------------------------------

@pytest.mark.parametrize("content", ['{"id": "a", "text": "x"}\n', '{"id": "a", "text": 5}\n'])
@pytest.mark.parametrize("enabled", [True, False])
def test_reading_leaves_the_collector_as_it_was(tmp_path, content, enabled):
    path = tmp_path / "p.jsonl"
    path.write_text(content, encoding="utf-8")
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        for read in (tio.read_predictions, tio.read_references):
            try:
                read(path)
            except InputError:
                pass
            assert gc.isenabled() == enabled
    finally:
        gc.enable() if was else gc.disable()
