"""Reading contract files: validation errors name file, line and field."""

from __future__ import annotations

import json

import pytest

from timebench.errors import InputError
from timebench.io import (
    atomic_write_json,
    iter_records,
    read_dcase_tsv,
    read_predictions,
    read_references,
    write_dcase_tsv,
)
from timebench.types import Event


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_jsonl_and_json_list_give_the_same_records_with_line_numbers(tmp_path):
    rows = [{"id": "a", "events": [{"onset": 1, "offset": 2}]}, {"id": "b", "events": []}]
    jl = write(tmp_path, "r.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n\n")
    js = write(tmp_path, "r.json", "[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]\n")
    assert [(n, o["id"]) for n, o in iter_records(jl)] == [(1, "a"), (2, "b")]
    assert [(n, o["id"]) for n, o in iter_records(js)] == [(2, "a"), (3, "b")]
    assert read_references(jl)[0].events == (Event(1.0, 2.0),)


@pytest.mark.parametrize("line, field, message", [
    ('{"id": "a", "events": [{"onset": NaN, "offset": 2}]}', None, "NaN"),
    ('{"id": "a", "events": [{"onset": 1, "offset": Infinity}]}', None, "Infinity"),
    ('{"id": "a", "events": [{"onset": 1e400, "offset": 2}]}', "events[0].onset", "infinite"),
    ('{"id": "a", "events": [{"onset": -1, "offset": 2}]}', "events[0].onset", "negative"),
    ('{"id": "a", "events": [{"onset": 3, "offset": 2}]}', "events[0]", "after offset"),
    ('{"id": "a", "events": [{"onset": "3", "offset": 4}]}', "events[0].onset", "expected a number"),
    ('{"id": "a", "events": [{"offset": 4}]}', "events[0].onset", "missing"),
    ('{"events": []}', "id", "missing"),
    ('{"id": "a", "events": [}', None, "malformed JSON"),
    ('[1, 2]', None, "expected a JSON object"),
    ('{"id": "a", "duration": 5, "events": [{"onset": 1, "offset": 9}]}', "events[0].offset", "beyond the duration"),
    ('{"id": "a", "present": true, "events": []}', "events", "present is true"),
])
def test_bad_reference_lines_name_file_line_and_field(tmp_path, line, field, message):
    p = write(tmp_path, "refs.jsonl", '{"id": "ok", "events": []}\n' + line + "\n")
    with pytest.raises(InputError) as exc:
        read_references(p)
    err = exc.value
    assert err.path == str(p)
    text = str(err)
    assert err.line == 2 and f"{p}:2" in text
    if field:
        assert err.field == field
    assert message in text


def test_duplicate_ids_are_reported_with_both_lines(tmp_path):
    p = write(tmp_path, "p.jsonl", '{"id": "a", "text": "x"}\n{"id": "b", "text": "y"}\n{"id": "a", "text": "z"}\n')
    with pytest.raises(InputError, match=r"p.jsonl:3: field 'id': duplicate id 'a' \(first seen on line 1\)"):
        read_predictions(p)


def test_prediction_needs_text_or_events(tmp_path):
    p = write(tmp_path, "p.jsonl", '{"id": "a"}\n')
    with pytest.raises(InputError, match="field 'text'"):
        read_predictions(p)
    q = write(tmp_path, "q.jsonl", '{"id": "a", "model_prediction": "1 - 2"}\n{"id": "b", "text": null}\n')
    preds = read_predictions(q)
    assert preds[0].text == "1 - 2" and preds[1].text is None


def test_bom_crlf_and_blank_lines(tmp_path):
    p = tmp_path / "r.jsonl"
    p.write_bytes(b'\xef\xbb\xbf{"id": "a", "events": []}\r\n\r\n{"id": "b", "events": []}\r\n')
    assert [r.id for r in read_references(p)] == ["a", "b"]


def test_invalid_utf8_and_missing_file(tmp_path):
    p = tmp_path / "r.jsonl"
    p.write_bytes(b'{"id": "a"}\n{"id": "\xff"}\n')
    with pytest.raises(InputError, match=r"r.jsonl:2: not valid UTF-8"):
        read_references(p)
    with pytest.raises(InputError, match="file not found"):
        read_references(tmp_path / "nope.jsonl")


def test_deep_nesting_is_refused(tmp_path):
    p = write(tmp_path, "r.jsonl", '{"id": "a", "extra": ' + "[" * 5000 + "]" * 5000 + "}\n")
    with pytest.raises(InputError, match="nested deeper"):
        read_references(p)


def test_dcase_tsv_roundtrip_and_errors(tmp_path):
    table = {"a.wav": [Event(0.5, 1.25, "Speech"), Event(2.0, 3.0, "Dog")], "b.wav": []}
    p = tmp_path / "x.tsv"
    write_dcase_tsv(p, table)
    back = read_dcase_tsv(p)
    assert back["a.wav"] == table["a.wav"]
    q = write(tmp_path, "y.tsv", "filename\tonset\toffset\tevent_label\na.wav\t1\t0.5\tDog\n")
    with pytest.raises(InputError, match=r"y.tsv:2: field 'onset': onset 1.0 is after offset 0.5"):
        read_dcase_tsv(q)
    r = write(tmp_path, "z.tsv", "a.wav\t1\tx\tDog\nb.wav\t\t\t\n")
    with pytest.raises(InputError, match=r"z.tsv:1: field 'offset': not a number"):
        read_dcase_tsv(r)
    ok = write(tmp_path, "w.tsv", "a.wav\t1\t2\tDog\nb.wav\t\t\t\n")
    assert read_dcase_tsv(ok) == {"a.wav": [Event(1.0, 2.0, "Dog")], "b.wav": []}


def test_atomic_write_leaves_no_temp_files(tmp_path):
    target = tmp_path / "out" / "m.json"
    atomic_write_json(target, {"x": float("nan"), "y": 1.5})
    assert json.loads(target.read_text()) == {"x": None, "y": 1.5}
    assert [p.name for p in target.parent.iterdir()] == ["m.json"]
