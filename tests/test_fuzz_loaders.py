"""Every dataset loader under attack: mutated fixtures, path escapes and symbolic links.

The rule (issue 7): a loader either returns a dataset whose references are sane (unique string
ids, finite times with ``0 <= onset <= offset <= duration``, audio paths relative to the root
without ``..``), or raises :class:`~timebench.errors.InputError` naming the file (and the line
for row errors in line-oriented formats).  Any other exception fails.

Hypothesis mutates the fixtures in ``tests/fixtures/datasets/``: a random node of the JSON
formats is replaced by a hostile value (path escapes, NaN, huge numbers, wrong types, unicode,
control characters), a cell of the CSV/TSV formats is replaced, rows are duplicated or cut,
and the bytes get a BOM, CRLF line ends, truncation or a flipped byte.
"""

from __future__ import annotations

import copy
import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from timebench.datasets import load_dataset
from timebench.errors import InputError

FIX = Path(__file__).parent / "fixtures" / "datasets"

# format -> (main file, options; option values that are file names refer to the same folder)
CASES = {
    "ftar": ("ftar/ftar_sample.json", {"strip_prefix": "/data/WavCaps/"}),
    "spotsound": ("spotsound/spotsound_bench.json", {}),
    "audiogrounding": ("audiogrounding/test.json", {"durations": "duration.tsv"}),
    "lighthouse": ("lighthouse/tut2017_test_release.jsonl", {}),
    "clotho_moment": ("lighthouse/clotho_moment_test_release.jsonl", {}),
    "dcase_tsv": ("dcase_tsv/desed_validation.tsv", {"durations": "desed_durations.tsv"}),
    "audioset_strong": ("dcase_tsv/audioset_eval_strong.tsv",
                        {"label_map": "class_labels_indices.csv"}),
    "tacos": ("tacos/annotations_strong.csv", {"metadata": "metadata.csv"}),
    "jsonl": ("jsonl/refs.jsonl", {}),
}
JSON_FORMATS = {"ftar", "spotsound", "audiogrounding", "lighthouse", "clotho_moment", "jsonl"}
SIDE_FILES = {"durations", "label_map", "metadata"}

HOSTILE_STRINGS = [
    "../../etc/passwd", "/etc/passwd", "..\\..\\windows\\win.ini", "clips/../../x.wav",
    "/data/WavCaps/../../etc/shadow", "~/x.wav", "file:///etc/passwd", "\\\\server\\share\\x.wav",
    ".", "..", "", " ", "\x00", "a\x00b.wav", "a" * 300 + ".wav", "é" * 200, "标识.wav",
    "\u202eevil.wav", "nan", "NaN", "inf", "-inf", "-1", "1e400", "9" * 400, "0x10", "1_000",
    "1,5", "\t", ",", "\"", "'", "\n", "\r\n", "{vid}", "{0}", "{id", "%s", "1.0 - 2.0",
    "1.0 - 0.5, x", "0.00 - 99999.0, x.", "what 'a' matching 'b'", "matching 'x'",
]
HOSTILE_JSON = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([10**400, -10**400, -1, 0, 2**63, True, False, None, [], {}, [[]], [[1]],
                     [[5, 2]], [[-1, 2]], [[0, 1e400]], [["a", "b"]], [1, 2], {"onset": 1},
                     [{"onset": 1, "offset": 2}], [[0, 0]], [[1, 2, 3, 4]]]),
    st.text(max_size=12),
    st.integers(),
)


def _copy_fixtures(dst: Path, fmt: str) -> tuple[Path, dict]:
    main, opts = CASES[fmt]
    folder = dst / Path(main).parent.name
    shutil.copytree(FIX / Path(main).parent, folder)
    options = {k: (str(folder / v) if k in SIDE_FILES else v) for k, v in opts.items()}
    return folder / Path(main).name, options


def check_loaded(ds) -> None:
    """Invariants of a successfully loaded dataset."""
    ids = [r.id for r in ds.references]
    assert all(isinstance(i, str) and i for i in ids)
    assert len(set(ids)) == len(ids), "ids must be unique (repeats are renamed)"
    for ref in ds.references:
        d = ref.duration
        assert d is None or (isinstance(d, float) and math.isfinite(d) and d >= 0), d
        for e in ref.events:
            assert math.isfinite(e.onset) and math.isfinite(e.offset), e
            assert 0 <= e.onset <= e.offset, e
            if d is not None and e.offset > d + 1e-9:
                # only a benchmark whose own evaluation keeps such windows may, and it counts it
                assert ds.rule is not None and ds.rule["past_end"] == "keep", (e, d)
                assert any(i.kind == "past_end" and i.action == "kept" for i in ds.issues)
        if ref.audio is not None:
            a = ref.audio
            assert isinstance(a, str) and "\x00" not in a
            assert not a.startswith("/") and a != ".." and not a.startswith("../"), a
            assert "/../" not in f"/{a}/", a


def check_error(err: InputError, files: list[Path], *, line_expected: bool) -> None:
    assert err.path is not None, f"error names no file: {err}"
    assert any(err.path == str(f) for f in files), (err.path, files)
    if line_expected:
        assert err.line is not None, f"row error without a line: {err}"
    text = str(err)
    assert err.path in text


def _load(fmt, path, options, files, *, line_expected):
    try:
        ds = load_dataset(fmt, path, **options)
    except InputError as err:
        event("InputError")
        check_error(err, files, line_expected=line_expected)
        return None
    event("loaded")
    check_loaded(ds)
    return ds


# -- mutations ------------------------------------------------------------------------------------

def _nodes(obj, trail=()):
    """Every (container, key) pair inside a JSON value."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield obj, k
            yield from _nodes(v, trail + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield obj, i
            yield from _nodes(v, trail + (i,))


def mutate_json(records: list, data) -> list:
    records = json.loads(json.dumps(records))
    for _ in range(data.draw(st.integers(1, 3))):
        op = data.draw(st.sampled_from(["replace", "replace", "delete", "add", "duplicate"]))
        nodes = list(_nodes(records))
        if not nodes:
            break
        container, key = data.draw(st.sampled_from(nodes))
        if op == "replace":
            container[key] = copy.deepcopy(data.draw(HOSTILE_JSON))  # never alias a constant
        elif op == "delete" and isinstance(container, dict):
            del container[key]
        elif op == "add" and isinstance(container, dict):
            container[data.draw(st.sampled_from(["id", "duration", "audio", "extra", "zzz"]))] = \
                copy.deepcopy(data.draw(HOSTILE_JSON))
        elif op == "duplicate" and records:
            records.append(copy.deepcopy(records[data.draw(st.integers(0, len(records) - 1))]))
    return records


def mutate_table(text: str, sep: str, data) -> str:
    lines = text.splitlines()
    for _ in range(data.draw(st.integers(1, 3))):
        op = data.draw(st.sampled_from(["cell", "cell", "cell", "drop_cell", "add_row",
                                        "dup_row", "drop_row"]))
        i = data.draw(st.integers(0, len(lines) - 1)) if lines else 0
        cells = lines[i].split(sep) if lines else [""]
        if op == "cell":
            j = data.draw(st.integers(0, len(cells) - 1))
            cells[j] = data.draw(st.sampled_from(HOSTILE_STRINGS) | st.text(max_size=8))
            lines[i:i + 1] = [sep.join(cells)]
        elif op == "drop_cell" and cells:
            cells.pop(data.draw(st.integers(0, len(cells) - 1)))
            lines[i:i + 1] = [sep.join(cells)]
        elif op == "add_row":
            row = data.draw(st.lists(st.sampled_from(HOSTILE_STRINGS) | st.text(max_size=6),
                                     max_size=6))
            lines.insert(i, sep.join(row))
        elif op == "dup_row" and lines:
            lines.insert(i, lines[i])
        elif op == "drop_row" and lines:
            lines.pop(i)
    return "\n".join(lines) + "\n"


def damage_bytes(raw: bytes, data) -> bytes:
    for op in data.draw(st.lists(st.sampled_from(["bom", "crlf", "truncate", "flip", "none"]),
                                 max_size=2)):
        if op == "bom":
            raw = b"\xef\xbb\xbf" + raw
        elif op == "crlf":
            raw = raw.replace(b"\n", b"\r\n")
        elif op == "truncate" and raw:
            raw = raw[:data.draw(st.integers(0, len(raw)))]
        elif op == "flip" and raw:
            i = data.draw(st.integers(0, len(raw) - 1))
            raw = raw[:i] + bytes([data.draw(st.integers(0, 255))]) + raw[i + 1:]
    return raw


def _read_json_records(path: Path):
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        return json.loads(text), True
    return [json.loads(x) for x in text.splitlines() if x.strip()], False


def _write_json_records(path: Path, records, as_list: bool, indent) -> bytes:
    if as_list and indent is None:  # one record a line, '[' alone on line 1
        text = "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False, allow_nan=True)
                                   for r in records) + "\n]"
    elif as_list:
        text = json.dumps(records, indent=indent, ensure_ascii=False, allow_nan=True)
    else:
        text = "\n".join(json.dumps(r, ensure_ascii=False, allow_nan=True) for r in records)
    return (text + "\n").encode("utf-8", "surrogatepass")


FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(data=st.data(), fmt=st.sampled_from(sorted(CASES)))
def test_mutated_manifests(data, fmt):
    with tempfile.TemporaryDirectory() as tmp:
        path, options = _copy_fixtures(Path(tmp), fmt)
        if fmt in JSON_FORMATS:
            records, as_list = _read_json_records(path)
            records = mutate_json(records, data)
            raw = _write_json_records(path, records, as_list,
                                      data.draw(st.sampled_from([None, 2])))
        else:
            sep = "," if path.suffix == ".csv" else "\t"
            raw = mutate_table(path.read_text(encoding="utf-8"), sep, data).encode("utf-8")
        path.write_bytes(damage_bytes(raw, data))
        files = [path] + [Path(v) for k, v in options.items() if k in SIDE_FILES]
        # JSON formats: every error carries the line (the row at fault, or where parsing
        # stopped); table formats name the line only for row errors (not "events of <file>")
        _load(fmt, path, options, files, line_expected=fmt in JSON_FORMATS)


@FUZZ
@given(data=st.data(), fmt=st.sampled_from(["audiogrounding", "dcase_tsv", "audioset_strong",
                                            "tacos"]))
def test_mutated_side_tables(data, fmt):
    """Durations, label maps and metadata tables are attacked too."""
    with tempfile.TemporaryDirectory() as tmp:
        path, options = _copy_fixtures(Path(tmp), fmt)
        side = Path(next(v for k, v in options.items() if k in SIDE_FILES))
        sep = "," if side.suffix == ".csv" else "\t"
        raw = mutate_table(side.read_text(encoding="utf-8"), sep, data).encode("utf-8")
        side.write_bytes(damage_bytes(raw, data))
        _load(fmt, path, options, [path, side], line_expected=False)


@settings(max_examples=150, deadline=None)
@given(raw=st.binary(max_size=300), fmt=st.sampled_from(sorted(CASES)))
def test_random_bytes_manifest(raw, fmt):
    with tempfile.TemporaryDirectory() as tmp:
        path, options = _copy_fixtures(Path(tmp), fmt)
        path.write_bytes(raw)
        _load(fmt, path, options, [path], line_expected=False)


def test_the_fixtures_load():
    """The unmutated fixtures load (so the fuzz starts from valid files)."""
    for fmt in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            path, options = _copy_fixtures(Path(tmp), fmt)
            ds = load_dataset(fmt, path, **options)
            check_loaded(ds)
            assert len(ds) > 0, fmt


# -- JSON row errors carry file, line and field ----------------------------------------------------

AUDIO_FIELD = {"ftar": "audio", "spotsound": "audio_path", "audiogrounding": "audio_id",
               "jsonl": "audio"}


@pytest.mark.parametrize("fmt", sorted(AUDIO_FIELD))
@pytest.mark.parametrize("escape", [
    "../../etc/passwd", "/etc/passwd", "..\\..\\etc\\passwd", "clips/../../../etc/passwd",
    "/data/WavCaps/../../etc/passwd", ".."])
def test_audio_path_escapes_are_rejected_with_file_line_field(fmt, escape, tmp_path):
    path, options = _copy_fixtures(tmp_path, fmt)
    records, as_list = _read_json_records(path)
    records[-1][AUDIO_FIELD[fmt]] = escape
    path.write_bytes(_write_json_records(path, records, as_list, None))
    with pytest.raises(InputError) as err:
        load_dataset(fmt, path, **options)
    e = err.value
    assert e.path == str(path) and e.field == AUDIO_FIELD[fmt]
    assert e.line == len(records) + (1 if as_list else 0)  # one record a line; '[' on line 1


@pytest.mark.parametrize("fmt, row", [
    ("dcase_tsv", "../../etc/passwd\t0.0\t1.0\tDog"),
    ("audioset_strong", "../../../etc/passwd\t0.0\t1.0\t/m/09x0r"),
    ("tacos", "../../../etc/passwd,0.0,1.0,a dog"),
    ("tacos", "../../../etc/passwd.mp3,0.0,1.0,a dog"),
])
def test_table_path_escapes_are_rejected(fmt, row, tmp_path):
    path, options = _copy_fixtures(tmp_path, fmt)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(row + "\n")
    with pytest.raises(InputError) as err:
        load_dataset(fmt, path, **options)
    assert err.value.path == str(path) and "root" in str(err.value)


def test_lighthouse_vid_escape_is_rejected(tmp_path):
    path, options = _copy_fixtures(tmp_path, "lighthouse")
    row = {"qid": 99, "query": "x", "duration": 10, "vid": "../../../etc/passwd",
           "relevant_windows": [[1, 2]]}
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")
    with pytest.raises(InputError) as err:
        load_dataset("lighthouse", path)
    assert err.value.path == str(path) and err.value.line == 2 and err.value.field == "vid"


def test_absolute_path_inside_the_root_is_kept_relative(tmp_path):
    path, options = _copy_fixtures(tmp_path, "jsonl")
    records, _ = _read_json_records(path)
    records[0]["audio"] = str(path.parent / "clips" / "x.wav")
    path.write_bytes(_write_json_records(path, records, False, None))
    ds = load_dataset("jsonl", path)
    assert ds.references[0].audio == "clips/x.wav"


def test_overlong_audio_names_are_input_errors_not_os_errors(tmp_path):
    """Probing a 300-byte file name used to raise OSError(ENAMETOOLONG) from Path.is_file."""
    path, options = _copy_fixtures(tmp_path, "spotsound")
    records, as_list = _read_json_records(path)
    records[0]["audio_path"] = "a" * 300 + ".wav"
    path.write_bytes(_write_json_records(path, records, as_list, None))
    with pytest.raises(InputError) as err:
        load_dataset("spotsound", path)
    assert err.value.field == "audio_path" and err.value.line == 2


# -- symbolic links: followed, as documented in timebench/datasets/base.py --------------------------

@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_symlinks_inside_the_root_are_followed(tmp_path):
    """The root check is lexical: a link inside the root that points outside is followed.

    Documented behaviour (users link audio folders in from other disks).  What it means: a
    manifest can make the runner open any file the link reaches, but only through a link that
    someone placed inside the dataset root; the manifest itself cannot name a path outside.
    """
    import numpy as np
    import soundfile as sf

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    sf.write(outside / "clip.wav", np.zeros(8000, dtype=np.float32), 8000)
    root = tmp_path / "dataset"
    root.mkdir()
    (root / "audio").symlink_to(outside, target_is_directory=True)
    (root / "secret.wav").symlink_to("/etc/hostname")
    manifest = root / "refs.jsonl"
    manifest.write_text(
        json.dumps({"id": "a", "audio": "audio/clip.wav", "duration": 1.0}) + "\n"
        + json.dumps({"id": "b", "audio": "secret.wav", "duration": 1.0}) + "\n")
    ds = load_dataset("jsonl", manifest)
    assert [r.audio for r in ds.references] == ["audio/clip.wav", "secret.wav"]
    resolved = ds.audio_path(ds.references[0]).resolve()
    assert resolved == (outside / "clip.wav").resolve()  # outside the root, via the link
    from timebench.datasets import read_audio

    wav, sr = read_audio(ds.audio_path(ds.references[0]), target_sr=None)
    assert sr == 8000 and wav.size == 8000
    # a link to a non-audio file is opened but only as audio: an InputError, no content leaks
    with pytest.raises(InputError) as err:
        read_audio(ds.audio_path(ds.references[1]))
    assert "cannot decode audio" in str(err.value)
    assert Path("/etc/hostname").read_text().strip() not in str(err.value)
    # the manifest itself cannot reach the same file without the link
    manifest.write_text(json.dumps({"id": "c", "audio": str(outside / "clip.wav")}) + "\n")
    with pytest.raises(InputError, match="outside the dataset root"):
        load_dataset("jsonl", manifest)
