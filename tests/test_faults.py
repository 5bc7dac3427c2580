"""Faults while running and writing (issue 7, item 3).

* disk full (``ENOSPC``) or permission denied (``EACCES``) while writing results: the old file
  is intact, no temporary file is left, and the CLI exits 2 with one line naming the path;
* a cache append failing with ``ENOSPC`` mid-run: the run stops with that message, and a rerun
  once the disk is "freed" resumes without duplicates and gives the uninterrupted results;
* an adapter that raises on one sample: recorded as that sample's failure, the run goes on, and
  ``results.json`` and the printed summary say how many (tests/test_runner.py covers the rest);
* SIGINT mid-run in a real subprocess: exit 130, a message that says a rerun resumes, a cache
  of whole lines only, and a rerun that repeats nothing and matches an uninterrupted run
  (SIGKILL is covered in tests/test_runner.py);
* corrupt cache lines (garbage, wrong types, valid JSON with the wrong schema, unknown keys,
  invalid UTF-8, NaN literals): skipped with a warning, the sample recomputed, same results.

Tests run as root in some CI containers, where ``chmod`` does not stop writes: permission
errors are then simulated by monkeypatching (detected with :func:`_chmod_protects`).
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

import timebench.atomic as tatomic
import timebench.io as tio
from timebench.cache import CACHE_VERSION, CorruptCacheLine, ResultCache, line_sum
from timebench.cli import main
from timebench.results import strip_volatile

from procs import ECHO  # noqa: E402 (tests/helpers, put on sys.path by conftest.py)
from procs import default_sigint  # noqa: E402
from procs import helper_env as _env  # noqa: E402


def _summed(rec: dict) -> dict:
    """``rec`` with a correct per-line checksum (so only its content can make it invalid)."""
    rec = {k: v for k, v in rec.items() if k != "sum"}
    rec["sum"] = line_sum(rec)
    return rec


def _cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(argv))
    return rc, out.getvalue(), err.getvalue()


def _enospc(*_a, **_k):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as fsync/write raise it: no name


def _eacces(*_a, **_k):
    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))


def _chmod_protects(tmp_path: Path) -> bool:
    """False when running as root (or on a file system where 0500 still lets us write)."""
    d = tmp_path / "probe"
    d.mkdir()
    d.chmod(0o500)
    try:
        (d / "x").write_text("x")
    except PermissionError:
        return True
    else:
        return False
    finally:
        d.chmod(0o700)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.tmp"))


# -- atomic writes under ENOSPC / EACCES ------------------------------------------------------------

class _FailingWrites:
    """``os.fdopen`` whose file objects raise ENOSPC after writing half of the text."""

    def __init__(self, real):
        self.real = real

    def __call__(self, fd, *args, **kwargs):
        fh = self.real(fd, *args, **kwargs)
        real_write = fh.write

        def write(text):
            real_write(text[: len(text) // 2])
            fh.flush()
            _enospc()
        fh.write = write
        return fh


@pytest.mark.parametrize("where", ["write", "fsync", "replace", "mkstemp"])
def test_atomic_write_keeps_the_old_file_and_leaves_no_temp(where, tmp_path, monkeypatch):
    target = tmp_path / "out" / "results.json"
    tio.atomic_write_json(target, {"old": True})
    before = target.read_bytes()
    if where == "write":
        monkeypatch.setattr(tatomic.os, "fdopen", _FailingWrites(os.fdopen))
    elif where == "fsync":
        monkeypatch.setattr(tatomic.os, "fsync", _enospc)
    elif where == "replace":
        monkeypatch.setattr(tatomic.os, "replace", _enospc)
    else:
        monkeypatch.setattr(tatomic.tempfile, "mkstemp", _enospc)
    with pytest.raises(OSError) as err:
        tio.atomic_write_json(target, {"new": "x" * 100_000})
    assert err.value.errno == errno.ENOSPC and err.value.filename == str(target)
    monkeypatch.undo()
    assert target.read_bytes() == before
    assert _leftovers(tmp_path) == [] and sorted(os.listdir(target.parent)) == ["results.json"]


def test_read_only_folder(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    target = folder / "m.json"
    tio.atomic_write_json(target, {"old": True})
    before = target.read_bytes()
    if _chmod_protects(tmp_path):
        folder.chmod(0o500)
    else:  # root: simulate what the kernel would say
        monkeypatch.setattr(tatomic.tempfile, "mkstemp", _eacces)
    try:
        with pytest.raises(PermissionError) as err:
            tio.atomic_write_json(target, {"new": True})
        assert err.value.filename == str(target)
    finally:
        folder.chmod(0o700)
    assert target.read_bytes() == before and _leftovers(tmp_path) == []


@pytest.fixture
def tag_files(tmp_path):
    refs = tmp_path / "refs.jsonl"
    refs.write_text(json.dumps({"id": "a", "duration": 20.0, "query": "q",
                                "events": [[2.0, 6.0]]}) + "\n", encoding="utf-8")
    preds = tmp_path / "preds.jsonl"
    preds.write_text(json.dumps({"id": "a", "text": "2.0 - 6.0"}) + "\n", encoding="utf-8")
    return refs, preds


@pytest.mark.parametrize("fault", ["enospc_fsync", "enospc_write", "eacces"])
@pytest.mark.parametrize("option", ["--output", "--per-sample"])
def test_score_output_fault_exits_2_naming_the_path(fault, option, tag_files, tmp_path,
                                                   monkeypatch):
    refs, preds = tag_files
    target = tmp_path / "metrics" / "out.json"
    target.parent.mkdir()
    target.write_text("OLD\n")
    if fault == "enospc_fsync":
        monkeypatch.setattr(tatomic.os, "fsync", _enospc)
    elif fault == "enospc_write":
        monkeypatch.setattr(tatomic.os, "fdopen", _FailingWrites(os.fdopen))
    elif _chmod_protects(tmp_path):
        target.parent.chmod(0o500)
    else:
        monkeypatch.setattr(tatomic.tempfile, "mkstemp", _eacces)
    try:
        rc, _, err = _cli("score", "--task", "tag", "--references", str(refs), "--predictions",
                          str(preds), "-q", option, str(target))
    finally:
        target.parent.chmod(0o700)
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"error: {target}: ")
    assert ("ENOSPC" if fault.startswith("enospc") else "EACCES") in lines[0]
    assert target.read_text() == "OLD\n" and _leftovers(tmp_path) == []


def _run_args(out, *extra, tasks="tag,spotsound", models="random", limit="8"):
    return ["run", "--tasks", tasks, "--models", models, "--out", str(out), "--bootstrap", "20",
            "--limit", limit, "-q", "--no-progress", *extra]


def test_run_results_write_fault_keeps_the_old_results(tmp_path, monkeypatch):
    out = tmp_path / "run"
    assert _cli(*_run_args(out))[0] == 0
    before = (out / "results.json").read_bytes()
    real_replace = os.replace

    def replace(src, dst, *a, **k):  # the disk fills up just as results.json is renamed in
        if Path(dst).name == "results.json":
            _enospc()
        return real_replace(src, dst, *a, **k)
    monkeypatch.setattr(tatomic.os, "replace", replace)
    rc, _, err = _cli(*_run_args(out))
    assert rc == 2, err
    assert err.startswith(f"error: {out / 'results.json'}: No space left on device (ENOSPC)")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert (out / "results.json").read_bytes() == before and _leftovers(out) == []


# -- the cache fills the disk mid-run ---------------------------------------------------------------

def _cache_records(out: Path) -> list[dict]:
    recs = []
    for part in sorted((out / "cache").rglob("*.jsonl")):
        for raw in part.read_bytes().splitlines():
            try:
                recs.append(json.loads(raw))
            except ValueError:
                pass  # torn line: counted by the caller
    return recs


def test_cache_append_enospc_stops_the_run_then_resume_has_no_duplicates(tmp_path, monkeypatch):
    reference = tmp_path / "reference"
    assert _cli(*_run_args(reference, "--batch-size", "2"))[0] == 0
    out = tmp_path / "full"
    real_append = ResultCache.append
    calls = {"n": 0}

    def append(self, records):  # the 3rd append tears its first line, then the disk is full
        calls["n"] += 1
        if calls["n"] >= 3:
            if calls["n"] == 3:
                line = json.dumps({"v": 1, **records[0]})
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with open(self.path, "ab") as fh:
                    fh.write(line[: len(line) // 2].encode())
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))
        return real_append(self, records)
    monkeypatch.setattr(ResultCache, "append", append)
    rc, _, err = _cli(*_run_args(out, "--batch-size", "2"))
    assert rc == 2, err
    assert "No space left on device (ENOSPC)" in err and ".part-0.jsonl" in err
    assert "rerun resumes" in err and len(err.strip().splitlines()) == 1
    assert not (out / "results.json").exists()
    done = len(_cache_records(out))
    assert 0 < done < 16

    monkeypatch.setattr(ResultCache, "append", real_append)  # the disk is freed
    with pytest.warns(CorruptCacheLine):
        rc, _, err = _cli(*_run_args(out, "--batch-size", "2"))
    assert rc == 0, err
    keys = [r["key"] for r in _cache_records(out)]
    assert len(keys) == 16 and len(set(keys)) == 16  # 8 tag + 8 spotsound, each once
    a = json.loads((reference / "results.json").read_text())
    b = json.loads((out / "results.json").read_text())
    assert strip_volatile(a)["results"] == strip_volatile(b)["results"]


# -- an adapter that raises on one sample -----------------------------------------------------------

def test_adapter_failure_is_counted_in_results_and_printed(tmp_path):
    out = tmp_path / "run"
    spec = "fake_adapters:Flaky[fail=mini-tag-0003]"
    rc, stdout, err = _cli("run", "--tasks", "tag", "--models", spec, "--out", str(out),
                           "--bootstrap", "0", "--limit", "6", "--no-progress")
    assert rc == 0, err
    res = json.loads((out / "results.json").read_text())["results"][spec]["tag"]
    assert res["n_generation_errors"] == 1 and res["n"] == 6 and res["n_parse_failed"] == 0
    assert "results:" in stdout
    warning = [x for x in err.splitlines() if x.startswith("warning:")]
    assert warning == [f"warning: {spec} · tag: 1 of 6 sample(s) failed in the adapter "
                       "(scored as failures; a rerun retries them)"]
    rows = [json.loads(x) for x in (out / res["scores"]).read_text().splitlines()]
    failed = [r for r in rows if r["failed"]]
    assert [(r["id"], r["parser"]) for r in failed] == [("mini-tag-0003", "error")]
    preds = [json.loads(x) for x in (out / res["predictions"]).read_text().splitlines()]
    assert [p["id"] for p in preds if "error" in p] == ["mini-tag-0003"]
    assert "RuntimeError: boom on mini-tag-0003" in next(p for p in preds if "error" in p)["error"]
    # quiet runs still warn
    rc, _, err = _cli("run", "--tasks", "tag", "--models", spec, "--out", str(out),
                      "--bootstrap", "0", "--limit", "6", "--no-progress", "-q")
    assert rc == 0 and "1 of 6 sample(s) failed" in err


# -- SIGINT in a real subprocess --------------------------------------------------------------------

def test_sigint_mid_run_exits_130_and_resume_matches(tmp_path):
    reference = tmp_path / "uninterrupted"
    out = tmp_path / "interrupted"
    cmd = [sys.executable, "-m", "timebench", "run", "--tasks", "tag", "--models",
           f"{ECHO}[latency=0.1]", "--bootstrap", "30", "--batch-size", "2", "-q",
           "--no-progress"]
    subprocess.run(cmd + ["--out", str(reference)], env=_env(), cwd=tmp_path, check=True,
                   capture_output=True, timeout=300)
    proc = subprocess.Popen(cmd + ["--out", str(out)], env=_env(), cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=default_sigint)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if (out / "cache").exists() and len(_cache_records(out)) >= 8:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "rerun resumes" in err, err
    assert len(err.strip().splitlines()) == 1
    assert not (out / "results.json").exists()
    raw_lines = [x for p in (out / "cache").rglob("*.jsonl") for x in p.read_bytes().splitlines()]
    assert all(json.loads(x)["generation"] for x in raw_lines)  # whole lines only
    done = len(raw_lines)
    assert 8 <= done < 40, done
    res = subprocess.run(cmd + ["--out", str(out)], env=_env(), cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    keys = [r["key"] for r in _cache_records(out)]
    assert len(keys) == 40 and len(set(keys)) == 40
    a = json.loads((reference / "results.json").read_text())
    b = json.loads((out / "results.json").read_text())
    assert strip_volatile(a)["results"] == strip_volatile(b)["results"]
    assert strip_volatile(a)["tasks"] == strip_volatile(b)["tasks"]


# -- corrupt cache lines ----------------------------------------------------------------------------

def test_corrupt_cache_lines_are_skipped_and_recomputed(tmp_path):
    out = tmp_path / "run"
    args = _run_args(out, tasks="tag", models=ECHO)
    assert _cli(*args)[0] == 0
    first = json.loads((out / "results.json").read_text())
    part = next((out / "cache").rglob("tag-*.part-0.jsonl"))
    lines = part.read_bytes().splitlines()
    assert len(lines) == 8
    recs = [json.loads(x) for x in lines]

    def damaged(i, **changes):
        r = json.loads(json.dumps(recs[i]))
        for k, v in changes.items():
            if k == "generation":
                r["generation"] = v
            else:
                r["generation"][k] = v
        return json.dumps(_summed(r)).encode()  # a valid checksum: the content check rejects it

    # lines 0-5 are replaced by damaged copies (their samples must be recomputed);
    # 6 and 7 stay valid; extra lines of every kind are mixed in between
    new = [
        damaged(0, text=5),                                         # wrong type
        b"this is not json at all",                                 # garbage in the middle
        damaged(1, events="abc"),                                   # wrong type
        damaged(2, events=[{"onset": 5, "offset": 2}]),             # onset > offset
        json.dumps({"v": CACHE_VERSION, "key": recs[3]["key"], "gen": {}}).encode(),  # schema
        damaged(4, generation=[1, 2]),                              # wrong schema
        recs[5]["key"].encode() + b"\xff\xfe",                      # invalid UTF-8
        b'{"v": 2, "key": "' + recs[6]["key"].encode() + b'", "generation": {"events": '
        b'[{"onset": NaN, "offset": 1}]}}',                         # NaN literal, same key
        lines[6], lines[7],
        json.dumps(_summed({"v": CACHE_VERSION, "key": "0" * 32, "id": "ghost",
                            "generation": {"text": "1 - 2"}})).encode(),
        b"[" * 100_000 + b"]" * 100_000,                            # deep nesting
        json.dumps({"v": 99, "key": recs[7]["key"], "generation": {"text": "0 - 0"}}).encode(),
    ]
    part.write_bytes(b"\n".join(new) + b"\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rc, _, err = _cli(*args)
    assert rc == 0, err
    # the cache is read twice (before generating, and when collecting): count distinct lines
    corrupt = sorted({str(w.message) for w in caught if issubclass(w.category, CorruptCacheLine)})
    # every line but the two valid ones and the unknown key (a valid record of another sample:
    # ignored, as a --limit run ignores the cache of samples outside the limit)
    assert len(corrupt) == len(new) - 3, corrupt
    assert all(str(part) in m for m in corrupt)
    second = json.loads((out / "results.json").read_text())
    assert strip_volatile(first)["results"] == strip_volatile(second)["results"]
    valid = [json.loads(x) for x in part.read_bytes().splitlines()[len(new):]]
    assert sorted(r["id"] for r in valid) == sorted(r["id"] for r in recs[:6])  # recomputed
