"""`timebench score` end to end on hostile reference and prediction files.

The only outcomes allowed (issue 7): exit 0 with every metric in [0, 1] or null (``*_mae`` and
``CIDEr`` and the DCASE error / insertion rates excepted), or exit 2 with ONE line on stderr, ``error: <file>[:<line>]: ...``, that
names the file that is wrong.  Anything else -- an exception escaping ``main``, a traceback, a
multi-line message, a metric outside [0, 1] -- fails.

Hypothesis builds prediction and reference files from records with random ids, texts, events
and types, serialises them (NaN/Infinity literals and huge integers allowed), then damages the
bytes (BOM, CRLF, truncation, byte flips, deep nesting, non-object lines, JSON-list form).
Deterministic attacks below cover what a random search rarely reaches (10 MB lines, files
over the line limit, devices, directories).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import math
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from timebench.cli import main
from timebench.java import find_java
from timebench.io import MAX_LINE_BYTES

CORPUS = Path(__file__).parent / "corpus" / "lalm_outputs.jsonl"
# dac (dense captioning) scores METEOR with pycocoevalcap's Java jar: only where both exist
HAS_METEOR = find_java() is not None and \
    importlib.util.find_spec("pycocoevalcap") is not None
TASKS = ("tag", "spotsound", "sed", "tqa", "tss") + (("dac",) if HAS_METEOR else ())
UNBOUNDED = re.compile(r"(_mae$|^CIDEr$|_error_rate$|_insertion_rate$)")  # ER can pass 1

# A small valid reference set per task (the shape of the bundled mini benchmark).
_EV = [{"onset": 2.0, "offset": 6.0, "label": "Dog"}, {"onset": 10.0, "offset": 12.5, "label": "Speech"}]
VALID_REFS = {
    "tag": [{"id": "c1#q0", "audio": "c1.wav", "duration": 20.0, "query": "a dog barks",
             "events": [{"onset": 2.0, "offset": 6.0}]},
            {"id": "c2#q0", "audio": "c2.wav", "duration": 20.0, "query": "a bell",
             "events": [{"onset": 10.0, "offset": 12.0}, {"onset": 14.0, "offset": 15.0}]}],
    "spotsound": [{"id": "s1", "audio": "s1.wav", "duration": 10.0, "query": "a bell",
                   "events": [{"onset": 1.0, "offset": 2.0}], "present": True},
                  {"id": "s2", "audio": "s2.wav", "duration": 10.0, "query": "a cat",
                   "events": [], "present": False}],
    "sed": [{"id": "f1.wav", "audio": "f1.wav", "duration": 20.0, "events": _EV},
            {"id": "f2.wav", "audio": "f2.wav", "duration": 20.0,
             "events": [{"onset": 0.0, "offset": 20.0, "label": "Speech"}]}],
    "tqa": [{"id": "q1", "audio": "a.wav", "duration": 30.0,
             "question": "How many times does the chirp occur?", "answer": 2,
             "extra": {"qtype": "count"}},
            {"id": "q2", "audio": "a.wav", "duration": 30.0,
             "question": "How long does the beep last?", "answer": 1.5,
             "extra": {"qtype": "duration"}}],
    "tss": [{"id": "t1", "audio": "t1.wav", "duration": 30.0,
             "events": [{"onset": 0.0, "offset": 9.5, "label": "a man talks about the weather"},
                        {"onset": 11.0, "offset": 20.0, "label": "a woman answers"}]}],
    "dac": [{"id": "d1", "audio": "d1.wav", "duration": 30.0,
             "events": [{"onset": 1.0, "offset": 3.0, "label": "a dog barks twice"},
                        {"onset": 5.0, "offset": 9.0, "label": "a car passes by"}]}],
}


def _corpus_texts() -> list[str]:
    out = []
    with open(CORPUS, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if "text" in row and len(row["text"]) < 300:
                out.append(row["text"])
    return out


TEXTS = _corpus_texts()


# -- running the CLI and judging the outcome ------------------------------------------------------

def run_score(task: str, refs: Path, preds: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    """``main(["score", ...])`` in process; returns (exit code, stdout, stderr)."""
    err, std = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
        rc = main(["score", "--task", task, "--references", str(refs), "--predictions",
                   str(preds), "--output", str(out), "-q", *extra])
    return rc, std.getvalue(), err.getvalue()


def check_outcome(rc: int, stderr: str, out: Path, files: tuple[Path, ...], *, n_refs=None,
                  fuzzing: bool = False, line_expected: bool = False) -> None:
    """The issue's rule: exit 0 with sane metrics, or exit 2 with one line naming a file."""
    assert "Traceback" not in stderr
    if fuzzing:
        event(f"exit {rc}")  # the mix is shown by --hypothesis-show-statistics
    if rc == 0:
        data = json.loads(out.read_text(encoding="utf-8"))
        if n_refs is not None:
            assert data["n"] == n_refs
        assert 0.0 <= data["parse_failure_rate"] <= 1.0
        for name, value in data["metrics"].items():
            if value is None:
                continue
            assert isinstance(value, (int, float)) and math.isfinite(value), (name, value)
            if not UNBOUNDED.search(name):
                assert -1e-12 <= value <= 1.0 + 1e-12, (name, value)
        return
    assert rc == 2, (rc, stderr)
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), lines[0]
    named = [f for f in files if f"error: {f}" in lines[0]]
    assert named, f"message names no input file: {lines[0]}"
    if line_expected:  # a record-level problem: the message carries the line number
        assert any(re.match(rf"error: {re.escape(str(f))}:\d+: ", lines[0]) for f in named), \
            lines[0]


# -- building hostile files -----------------------------------------------------------------------

BIG_INTS = st.sampled_from([10**400, -10**400, 2**63, -(2**63) - 1, 10**30])
NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-100, 100),
                    BIG_INTS, st.sampled_from([0, 0.0, -0.0, 1e-300, 1e308]))
JUNK = st.one_of(st.none(), st.booleans(), st.text(max_size=6), st.lists(st.integers(), max_size=3),
                 st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
UNICODE_IDS = st.sampled_from(["ид", "标识", "\u202eevil", "a\nb", "a\u2028b", "\x00", "🐶",
                               "a" * 5000, " ", "c1#q0 "])


def ids_for(task: str):
    known = st.sampled_from([r["id"] for r in VALID_REFS[task]])
    return st.one_of(known, known, known, known, known, known, UNICODE_IDS,
                     st.text(max_size=10), st.integers(-5, 5), JUNK)


def event_like(numbers=NUMBERS):
    pair = st.tuples(numbers, numbers)
    sane = st.tuples(st.floats(0, 40), st.floats(0, 40)).map(sorted)
    return st.one_of(
        sane.map(lambda p: {"onset": p[0], "offset": p[1]}),
        st.tuples(sane, st.sampled_from(["Dog", "Speech", "a dog barks"])).map(
            lambda p: {"onset": p[0][0], "offset": p[0][1], "label": p[1]}),
        pair.map(lambda p: {"onset": p[0], "offset": p[1]}),
        st.tuples(pair, st.sampled_from(["Dog", "Speech", None, 5, "", "a dog barks"])).map(
            lambda p: {"onset": p[0][0], "offset": p[0][1], "label": p[1]}),
        pair.map(list),
        st.fixed_dictionaries({"onset": numbers}),
        st.fixed_dictionaries({"onset": numbers, "offset": numbers, "score": JUNK | numbers}),
        JUNK,
    )


def prediction_record(task: str, hostile: bool):
    """One prediction line: well-formed (answers vary, types are right) or ``hostile``."""
    known = st.sampled_from([r["id"] for r in VALID_REFS[task]])
    if not hostile:
        sane = st.tuples(st.floats(0, 40), st.floats(0, 40)).map(sorted)
        body = st.one_of(
            st.fixed_dictionaries({"text": st.one_of(st.sampled_from(TEXTS), st.text(max_size=40))}),
            st.fixed_dictionaries({"events": st.lists(
                st.tuples(sane, st.sampled_from(["Dog", "Speech", "a dog barks", None])).map(
                    lambda p: {"onset": p[0][0], "offset": p[0][1], "label": p[1]}),
                max_size=4)}),
            st.fixed_dictionaries({"present": st.booleans()}),
            st.fixed_dictionaries({"answer": st.one_of(st.integers(0, 5), st.floats(0, 30),
                                                       st.text(max_size=5))}),
        )
        return st.tuples(known, body).map(lambda t: {"id": t[0], **t[1]})
    body = st.one_of(
        st.fixed_dictionaries({"text": st.one_of(st.sampled_from(TEXTS), st.text(max_size=40),
                                                 JUNK)}),
        st.fixed_dictionaries({"events": st.one_of(st.lists(event_like(), max_size=4), JUNK)}),
        st.fixed_dictionaries({"present": st.one_of(st.booleans(), JUNK)}),
        st.fixed_dictionaries({"answer": st.one_of(NUMBERS, JUNK)}),
        st.fixed_dictionaries({"model_prediction": st.sampled_from(TEXTS)}),
        st.just({}),
    )
    return st.tuples(ids_for(task), body, st.booleans()).map(
        lambda t: {"id": t[0], **t[1]} if t[2] else t[1])


def reference_record(task: str):
    """A valid reference with one field replaced by something hostile (or left alone)."""
    base = st.sampled_from(VALID_REFS[task])
    field = st.sampled_from(["id", "duration", "events", "present", "query", "audio", "question",
                             "answer", None, None, None, None, None])
    value = st.one_of(NUMBERS, JUNK, st.lists(event_like(), max_size=3), UNICODE_IDS)

    def build(args):
        ref, key, v = args
        ref = json.loads(json.dumps(ref))
        if key is not None:
            ref[key] = v
        return ref
    return st.tuples(base, field, value).map(build)


def dumps_lenient(obj) -> str:
    """JSON that may hold NaN/Infinity literals and integers of any size."""
    try:
        return json.dumps(obj, allow_nan=True, ensure_ascii=False)
    except (TypeError, ValueError):
        return json.dumps(str(obj))


HARMLESS = ["bom", "crlf", "json_list", "blank"]
HARMFUL = ["truncate", "flip", "insert_line", "deep", "non_object", "duplicate", "latin1"]
MUTATIONS = st.one_of(st.just([]), st.lists(st.sampled_from(HARMLESS), max_size=2),
                      st.lists(st.sampled_from(HARMLESS + HARMFUL), min_size=1, max_size=3))


def serialise(records, mutations, data) -> bytes:
    lines = [dumps_lenient(r) for r in records]
    if "duplicate" in mutations and lines:
        lines.append(lines[0])
    if "non_object" in mutations:
        lines.insert(data.draw(st.integers(0, len(lines))), data.draw(
            st.sampled_from(["5", "\"x\"", "[]", "null", "true", "[1, 2]"])))
    if "deep" in mutations:
        depth = data.draw(st.sampled_from([65, 1000, 100_000]))
        lines.append("{\"id\": " + "[" * depth + "]" * depth + "}")
    if "blank" in mutations:
        lines.insert(data.draw(st.integers(0, len(lines))), "   ")
    if "json_list" in mutations:
        text = "[\n" + ",\n".join(lines) + "\n]\n"
    else:
        text = "\n".join(lines) + "\n"
    if "crlf" in mutations:
        text = text.replace("\n", "\r\n")
    raw = text.encode("utf-8", "surrogatepass")
    if "latin1" in mutations:
        raw = text.encode("latin-1", "replace")
    if "bom" in mutations:
        raw = b"\xef\xbb\xbf" + raw
    if "truncate" in mutations and raw:
        raw = raw[:data.draw(st.integers(0, len(raw)))]
    if "flip" in mutations and raw:
        i = data.draw(st.integers(0, len(raw) - 1))
        raw = raw[:i] + bytes([data.draw(st.integers(0, 255))]) + raw[i + 1:]
    if "insert_line" in mutations:
        raw += data.draw(st.binary(max_size=20)) + b"\n"
    return raw


# -- the fuzz tests -------------------------------------------------------------------------------

FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(data=st.data(), task=st.sampled_from(TASKS))
def test_fuzzed_predictions(data, task):
    hostile = data.draw(st.booleans())
    records = data.draw(st.lists(prediction_record(task, hostile), max_size=6,
                                 unique_by=lambda r: json.dumps(r.get("id"), default=str)))
    raw = serialise(records, data.draw(MUTATIONS), data)
    suffix = data.draw(st.sampled_from([".jsonl", ".jsonl", ".json", ".tsv"]))
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        refs = d / "refs.jsonl"
        refs.write_text("".join(json.dumps(r) + "\n" for r in VALID_REFS[task]), encoding="utf-8")
        preds = d / f"preds{suffix}"
        preds.write_bytes(raw)
        out = d / "metrics.json"
        rc, _, err = run_score(task, refs, preds, out)
        # DCASE TSV predictions are grouped by file name: an unknown file names no line
        check_outcome(rc, err, out, (refs, preds), n_refs=len(VALID_REFS[task]), fuzzing=True,
                      line_expected=suffix != ".tsv")


@FUZZ
@given(data=st.data(), task=st.sampled_from(TASKS))
def test_fuzzed_references(data, task):
    records = data.draw(st.lists(reference_record(task), min_size=1, max_size=4,
                                 unique_by=lambda r: str(r.get("id"))))
    raw = serialise(records, data.draw(MUTATIONS), data)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        refs = d / "refs.jsonl"
        refs.write_bytes(raw)
        preds = d / "preds.jsonl"
        preds.write_text("".join(json.dumps({"id": str(r.get("id")), "text": "1.0 - 2.0"}) + "\n"
                                 for r in records[:1]), encoding="utf-8")
        out = d / "metrics.json"
        rc, _, err = run_score(task, refs, preds, out)
        check_outcome(rc, err, out, (refs, preds), fuzzing=True, line_expected=True)


@settings(max_examples=100, deadline=None)
@given(raw=st.binary(max_size=400), task=st.sampled_from(("tag", "sed", "tqa")),
       which=st.sampled_from(("refs", "preds")))
def test_random_bytes(raw, task, which):
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        refs, preds = d / "refs.jsonl", d / "preds.jsonl"
        refs.write_text("".join(json.dumps(r) + "\n" for r in VALID_REFS[task]), encoding="utf-8")
        preds.write_text(json.dumps({"id": VALID_REFS[task][0]["id"], "text": "1 - 2"}) + "\n",
                         encoding="utf-8")
        (refs if which == "refs" else preds).write_bytes(raw)
        out = d / "metrics.json"
        rc, _, err = run_score(task, refs, preds, out)
        check_outcome(rc, err, out, (refs, preds), fuzzing=True)


# -- deterministic attacks ------------------------------------------------------------------------

@pytest.fixture
def tag_refs(tmp_path):
    refs = tmp_path / "refs.jsonl"
    refs.write_text("".join(json.dumps(r) + "\n" for r in VALID_REFS["tag"]), encoding="utf-8")
    return refs


def _preds(tmp_path, text: str | bytes, name="preds.jsonl") -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


GOOD = '{"id": "c1#q0", "text": "2.0 - 6.0"}\n{"id": "c2#q0", "events": [[10, 12]]}\n'

ATTACKS = {
    # name: (prediction file content, expected exit code, a fragment of the message or None)
    "bom": ("\ufeff" + GOOD, 0, None),
    "crlf": (GOOD.replace("\n", "\r\n"), 0, None),
    "bom_crlf_json_list": ("\ufeff[\r\n" + GOOD.strip().replace("\n", ",\r\n") + "\r\n]", 0, None),
    "nan_literal": ('{"id": "c1#q0", "events": [{"onset": NaN, "offset": 2}]}\n', 2, ":1: "),
    "infinity_literal": ('{"id": "c1#q0", "events": [[0, Infinity]]}\n', 2, ":1: "),
    "huge_int": ('{"id": "c1#q0", "events": [[0, ' + "9" * 400 + "]]}\n", 2, ":1: field"),
    "negative": ('{"id": "c1#q0", "events": [[-1, 2]]}\n', 2, "events[0][0]"),
    "onset_after_offset": ('{"id": "c1#q0", "events": [[5, 2]]}\n', 2, "events[0]"),
    "unknown_id": ('{"id": "nope", "text": "1 - 2"}\n', 2, "preds.jsonl:1: field 'id'"),
    "duplicate_id": (GOOD + '{"id": "c1#q0", "text": "x"}\n', 2, "preds.jsonl:3: field 'id'"),
    "wrong_type_text": ('{"id": "c1#q0", "text": 5}\n', 2, "field 'text'"),
    "wrong_type_id": ('{"id": [1], "text": "x"}\n', 2, "field 'id'"),
    "no_id": ('{"text": "1 - 2"}\n', 2, "field 'id'"),
    "non_object": ("[1, 2]\n", 2, ":1: "),
    "truncated": (GOOD[:30], 2, ":1: malformed JSON"),
    "deep_nesting": ('{"id": "c1#q0", "text": ' + "[" * 10_000 + "]" * 10_000 + "}\n", 2,
                     "nested deeper"),
    "unicode_ids": ('{"id": "标识\u202e", "text": "1 - 2"}\n', 2, "is not in the references"),
    "control_chars_in_id": ('{"id": "a\\n\\u001b[31mb", "text": "1 - 2"}\n', 2, "\\x1b"),
    "random_bytes": (b"\x00\xff\xfe\x80garbage\n", 2, ":1: not valid UTF-8"),
    "empty_file": ("", 0, None),
    # JSON allows these raw inside strings; str.splitlines() would cut the record in two
    "unicode_line_separators": ('{"id": "c1#q0", "text": "2.0 - 6.0\u2028s\u2029\x85"}\n', 0,
                                None),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack(name, tag_refs, tmp_path):
    content, want_rc, fragment = ATTACKS[name]
    preds = _preds(tmp_path, content)
    out = tmp_path / "m.json"
    rc, _, err = run_score("tag", tag_refs, preds, out)
    check_outcome(rc, err, out, (tag_refs, preds))
    assert rc == want_rc, err
    if fragment:
        assert fragment in err, err


def test_model_text_with_line_separators_round_trips(tmp_path):
    """What the runner writes (write_jsonl, raw U+2028/U+2029/U+0085) is read back intact."""
    from timebench.io import read_predictions, write_jsonl

    text = "first\u2028second\u2029third\x85fourth\r\n2.0 - 6.0"
    path = tmp_path / "predictions.jsonl"
    write_jsonl(path, [{"id": "c1#q0", "text": text}, {"id": "c2#q0", "text": "x"}])
    assert "\u2028" in path.read_text(encoding="utf-8")  # written raw, not escaped
    preds = read_predictions(path)
    assert [p.text for p in preds] == [text, "x"]
    assert [p.source for p in preds] == [f"{path}:1", f"{path}:2"]


def test_ten_megabyte_line_is_scored(tag_refs, tmp_path):
    """A 10 MB prediction text (under the 16 MiB line limit) is read and scored, not refused;
    the parser does not read past ``max_chars`` (issue 15: a 16 MiB answer cost ~90 s and
    ~2 GB), so the answer is a counted failure with reason ``too_long``."""
    text = "The audio contains many sounds. " * 330_000 + "The dog barks from 2.0 to 6.0 s."
    preds = _preds(tmp_path, json.dumps({"id": "c1#q0", "text": text}) + "\n")
    assert preds.stat().st_size > 10_000_000
    out = tmp_path / "m.json"
    rc, _, err = run_score("tag", tag_refs, preds, out)
    check_outcome(rc, err, out, (tag_refs, preds), n_refs=2)
    assert rc == 0
    data = json.loads(out.read_text())
    # c1 too long to parse (a failure, IoU 0), c2 missing (IoU 0)
    assert data["metrics"]["mIoU"] == 0.0
    assert data["parse_failures"] == {"missing": 1, "too_long": 1}


def test_line_over_the_limit_is_refused(tag_refs, tmp_path):
    line = json.dumps({"id": "c1#q0", "text": "x" * (MAX_LINE_BYTES + 10)})
    preds = _preds(tmp_path, GOOD + line + "\n")
    out = tmp_path / "m.json"
    rc, _, err = run_score("tag", tag_refs, preds, out)
    check_outcome(rc, err, out, (tag_refs, preds))
    assert rc == 2 and "preds.jsonl:3: line longer than" in err


@pytest.mark.parametrize("kind", ["directory", "device", "missing"])
def test_not_a_file(kind, tag_refs, tmp_path):
    preds = {"directory": tmp_path, "device": Path("/dev/zero"),
             "missing": tmp_path / "nope.jsonl"}[kind]
    out = tmp_path / "m.json"
    rc, _, err = run_score("tag", tag_refs, preds, out)
    assert rc == 2 and len(err.strip().splitlines()) == 1 and str(preds) in err, err


def test_dcase_tsv_predictions_with_bad_cells(tmp_path):
    refs = tmp_path / "refs.jsonl"
    refs.write_text("".join(json.dumps(r) + "\n" for r in VALID_REFS["sed"]), encoding="utf-8")
    for body, fragment in [("f1.wav\tx\t2\tDog\n", ":1: field 'onset'"),
                           ("f1.wav\t1\tinf\tDog\n", ":1: field 'offset'"),
                           ("f1.wav\t3\t2\tDog\n", ":1: field 'onset'"),
                           ("f1.wav\t1\t2\n", ":1: "),
                           ("filename\tonset\toffset\tevent_label\tscore\nf1.wav\t1\t2\tDog\tzz\n",
                            ":2: field 'score'"),
                           ("filename\tonset\toffset\tevent_label\tscore\nf1.wav\t1\t2\tDog\tnan\n",
                            ":2: field 'score'")]:
        preds = _preds(tmp_path, body, name="preds.tsv")
        out = tmp_path / "m.json"
        rc, _, err = run_score("sed", refs, preds, out)
        check_outcome(rc, err, out, (refs, preds))
        assert rc == 2 and fragment in err, (body, err)
